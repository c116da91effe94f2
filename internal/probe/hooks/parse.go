// Package hooks collects the places where the host runs or loads something on an event: the
// dynamic loader's preload list and library path, PAM rules, APT and dpkg hook commands, udev
// rules that run programs, update-motd scripts and shell start-up files. Each parser here reads
// one foreign format; nothing on the host is run.
package hooks

import (
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"regexp"
	"strings"
	"unicode/utf8"
)

// LineError lists the lines of a file that were not understood (and were skipped).
type LineError = textline.Skipped

// Item is one value found in a file, with the line it starts on.
type Item struct {
	Line  int
	Value string
}

// MaxValue bounds the length of a value kept in a record.
const MaxValue = 4096

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func lines(data []byte) []string {
	ls := strings.Split(string(data), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

// ParsePreload parses /etc/ld.so.preload: library paths separated by white space or colons.
// The loader knows no comments, so every word is kept as it would be tried.
func ParsePreload(data []byte) []Item {
	var out []Item
	for i, l := range lines(data) {
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' || r == '\v' || r == '\f' }) {
			out = append(out, Item{Line: i + 1, Value: truncate(w, MaxValue)})
		}
	}
	return out
}

// LdConfEntry is one entry of ld.so.conf: a library folder, or an include pattern.
type LdConfEntry struct {
	Line    int
	Include bool   // Value is a glob pattern of files to read
	Value   string // folder or pattern
}

// ParseLdConf parses ld.so.conf syntax: folders (separated by white space, colons or commas,
// optionally with a "=TYPE" suffix), "include PATTERN..." lines, "hwcap" lines (ignored) and
// comments from #.
func ParseLdConf(data []byte) []LdConfEntry {
	var out []LdConfEntry
	for i, l := range lines(data) {
		if c := strings.IndexByte(l, '#'); c >= 0 {
			l = l[:c]
		}
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "include":
			for _, p := range f[1:] {
				out = append(out, LdConfEntry{Line: i + 1, Include: true, Value: truncate(p, MaxValue)})
			}
			continue
		case "hwcap":
			continue
		}
		for _, d := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' || r == ',' }) {
			if eq := strings.IndexByte(d, '='); eq > 0 {
				d = d[:eq]
			}
			if d != "" {
				out = append(out, LdConfEntry{Line: i + 1, Value: truncate(d, MaxValue)})
			}
		}
	}
	return out
}

// pamTypes are the management groups a PAM rule may name ("-" before one: ignore a missing
// module).
var pamTypes = map[string]bool{"account": true, "auth": true, "password": true, "session": true}

// pamTokens splits a PAM line into words, keeping a [...] group (control values, or arguments
// with spaces) as one word with its inner white space collapsed.
func pamTokens(l string) ([]string, bool) {
	var out []string
	i := 0
	for i < len(l) {
		for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
			i++
		}
		if i >= len(l) {
			break
		}
		if l[i] == '[' {
			j := i + 1
			for j < len(l) && l[j] != ']' {
				if l[j] == '\\' && j+1 < len(l) {
					j++
				}
				j++
			}
			if j >= len(l) {
				return out, false
			}
			out = append(out, "["+strings.Join(strings.Fields(l[i+1:j]), " ")+"]")
			i = j + 1
			continue
		}
		j := i
		for j < len(l) && l[j] != ' ' && l[j] != '\t' {
			j++
		}
		out = append(out, l[i:j])
		i = j
	}
	return out, true
}

// ParsePAM parses a PAM service file (/etc/pam.d/NAME), or /etc/pam.conf when withService is
// true (each rule then starts with the service name). Each rule becomes one value with single
// spaces: "[service ]type control module args", "@include file" for includes. Lines continued
// with a backslash are joined; comments run from # to the end of the line.
func ParsePAM(data []byte, withService bool) ([]Item, error) {
	var out []Item
	var bad LineError
	ls := lines(data)
	for i := 0; i < len(ls); i++ {
		start := i + 1
		l := ls[i]
		for strings.HasSuffix(l, `\`) && i+1 < len(ls) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + ls[i]
		}
		l = strings.TrimSuffix(l, `\`)
		if c := strings.IndexByte(l, '#'); c >= 0 {
			l = l[:c]
		}
		toks, ok := pamTokens(l)
		if len(toks) == 0 && ok {
			continue
		}
		if !ok {
			bad.Add(start)
			continue
		}
		if toks[0] == "@include" {
			if len(toks) != 2 {
				bad.Add(start)
				continue
			}
			out = append(out, Item{Line: start, Value: "@include " + toks[1]})
			continue
		}
		rule := toks
		if withService {
			rule = toks[1:]
		}
		if len(rule) < 3 || !pamTypes[strings.ToLower(strings.TrimPrefix(rule[0], "-"))] {
			bad.Add(start)
			continue
		}
		out = append(out, Item{Line: start, Value: truncate(strings.Join(toks, " "), MaxValue)})
	}
	return out, bad.Err()
}

// secretAssignment finds an assignment of something that looks like a secret: a name holding
// pass(word), secret, token, api key, private key, access key, auth key or credential, possibly
// followed by more of the name (AWS_SECRET_ACCESS_KEY=, PASSWD=).
var secretAssignment = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|auth[_-]?key|credential)[A-Za-z0-9_-]*\s*=`)

// Redact replaces what follows the first secret-looking assignment of a line
// ("DB_PASSWORD=...", "--token=...") with "[redacted]".
func Redact(line string) string {
	loc := secretAssignment.FindStringIndex(line)
	if loc == nil {
		return line
	}
	return line[:loc[1]] + "[redacted]"
}

// Profile limits: the longest line kept and the most lines kept per file.
const (
	MaxProfileLine  = 512
	MaxProfileLines = 200
)

// ProfileLines returns the commands of a shell start-up file (or /etc/environment): each
// non-empty line that is not a comment, trimmed, redacted, cut to MaxProfileLine bytes, at most
// MaxProfileLines of them; more reports whether lines were left out.
func ProfileLines(data []byte) (out []Item, more bool) {
	for i, l := range lines(data) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if len(out) == MaxProfileLines {
			return out, true
		}
		out = append(out, Item{Line: i + 1, Value: truncate(Redact(t), MaxProfileLine)})
	}
	return out, false
}
