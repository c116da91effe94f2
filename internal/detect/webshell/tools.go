package webshell

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
)

// Admin tools and known releases.
//
// A database tool such as Adminer is, by what its code does, a database console reachable over
// the web: the request's SQL is run, with the request's server, user and password. So is an
// intruder's SQL console. What tells them apart is the release: a file identical to a file of a
// known release (known.tsv, the digests of the files of Debian's packages that read as alarms by
// their code alone), or a single-file tool whose own header names it and whose code does nothing
// its released form does not do (no code or command execution, no callbacks, no hiding). Such a
// file is reported as information with the tool's name: an admin may well have put it there,
// and an intruder may have too, so it is shown, never hidden.

// VerdictKnown is the verdict on a file of a known release or a known admin tool in its released
// form: information, with its name in Result.Tool.
const VerdictKnown = "known"

// knownTool is a single-file admin tool recognized by its own header.
type knownTool struct {
	name    string
	header  *regexp.Regexp // matched against the first 2 KiB; the first group is the version
	allowed map[string]bool
}

// toolRules are what a database tool's code does by design: a console, its connection, dumps,
// imports and exports, its compressed resources.
var toolRules = set("flow.sql", "flow.dbconnect", "sql.dump", "obf.blob", "flow.delete", "flow.read", "flow.write",
	"write.path", "write.data", "flow.list", "flow.upload", "upload.const", "flow.file-manager", "flow.mail",
	"flow.include-mixed", "exec.const", "flow.socket")

var knownTools = []knownTool{
	{"Adminer", regexp.MustCompile(`(?s)^\s*<\?php\s*/\*\*\s*Adminer - Compact database management.*?@link https://www\.adminer\.org/.*?@version ([0-9][0-9A-Za-z.\-]*)`), toolRules},
	{"Adminer Editor", regexp.MustCompile(`(?s)^\s*<\?php\s*/\*\*\s*Adminer Editor - Compact database editor.*?@link https://www\.adminer\.org/.*?@version ([0-9][0-9A-Za-z.\-]*)`), toolRules},
}

//go:embed known.tsv
var knownTSV []byte

var (
	knownOnce sync.Once
	knownMap  map[string]string // sha256 -> "app version: path"
)

// KnownRelease returns what release a file's content is, by its SHA-256, or "".
func KnownRelease(sum [32]byte) string {
	knownOnce.Do(func() {
		knownMap = map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(knownTSV))
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			f := strings.SplitN(line, "\t", 4)
			if len(f) == 4 && len(f[0]) == 64 {
				knownMap[f[0]] = f[1] + " " + f[2] + ": " + f[3]
			}
		}
	})
	return knownMap[hex.EncodeToString(sum[:])]
}

// recognize turns the verdict of a known release's file, or of a single-file admin tool in its
// released form, into VerdictKnown with the tool's name.
func recognize(r *Result, content []byte) {
	if r.Verdict == VerdictClean {
		return
	}
	if rel := KnownRelease(sha256.Sum256(content)); rel != "" {
		r.Tool = rel
		r.Verdict = VerdictKnown
		r.Reasons = append([]Reason{{Rule: "known.release", Evidence: clip([]byte("identical to " + rel))}}, r.Reasons...)
		return
	}
	head := content[:min(len(content), 2048)]
	for _, t := range knownTools {
		m := t.header.FindSubmatch(head)
		if m == nil {
			continue
		}
		name := t.name + " " + string(m[1])
		var extra []string
		for _, x := range r.Reasons {
			if !t.allowed[x.Rule] && !strings.HasPrefix(x.Rule, "marker.") {
				extra = append(extra, x.Rule)
			}
		}
		if len(extra) > 0 {
			// named like the tool, but its code does more than the tool does: judged as it is
			r.Reasons = append(r.Reasons, Reason{Rule: "known.tool-altered", Evidence: clip([]byte("headed as " + name + " but also: " + strings.Join(extra, ", ")))})
			return
		}
		r.Tool = name
		r.Verdict = VerdictKnown
		r.Reasons = append([]Reason{{Rule: "known.tool", Evidence: clip([]byte(name + " (its own header); its code does what the released tool does"))}}, r.Reasons...)
		return
	}
}
