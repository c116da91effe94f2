// Package indicator finds malicious patterns in shell text: scripts, cron lines, systemd
// ExecStart values, rc and profile files, shell histories and configuration text. It knows
// reverse shells (bash /dev/tcp, nc -e, fifo + nc, socat, python/perl/ruby/php/lua/awk/node,
// telnet and openssl pipes), download-and-execute (curl|sh, fetch then chmod and run),
// decode-and-execute obfuscation (base64 -d | sh, exec(base64...)), coin miners (names,
// stratum URLs, pools, config keys), shell-history and log tampering, and persistence hints
// (chattr +i, LD_PRELOAD, ld.so.preload, authorized_keys and crontab writes, uid-0 users,
// SUID shells, programs run from /tmp or /dev/shm).
//
// Scan is a pure function over bytes: no regular expressions, no I/O. Every Match carries a
// stable rule id, a category, a severity, the line (trimmed to 200 bytes), its 1-based number
// and MITRE ATT&CK technique ids. Log clearing is reported as T1070.002 (ATT&CK v19 moved it to
// T1685.006).
package indicator

import (
	"bytes"
	"sort"
)

// Categories.
const (
	CatReverseShell    = "reverse-shell"
	CatDownloadExec    = "download-exec"
	CatMiner           = "miner"
	CatHistoryTamper   = "history-tamper"
	CatLogTamper       = "log-tamper"
	CatPersistenceHint = "persistence-hint"
	CatObfuscation     = "obfuscation"
)

// Severities, weakest first.
const (
	Low      = "low"
	Medium   = "medium"
	High     = "high"
	Critical = "critical"
)

// Match is one rule that fired on one line.
type Match struct {
	Rule     string   // stable id, e.g. "reverse-shell.bash-dev-tcp"
	Category string   // one of the Cat constants
	Severity string   // Low, Medium, High or Critical
	Evidence string   // the line, trimmed, at most 200 bytes
	Line     int      // 1-based line number
	Attack   []string // MITRE ATT&CK technique ids
}

// MaxLine is how much of one line the rules read.
const MaxLine = 64 << 10

// maxEvidence is the longest Evidence.
const maxEvidence = 200

// line is one line of the text as the rules see it.
type line struct {
	no   int
	raw  []byte // as written (for evidence)
	lc   []byte // lower case, continuation lines joined
	segs []seg  // shell segments of lc
}

// Scan returns the matches in text, ordered by line and rule id.
func Scan(text []byte) []Match {
	lines := splitLines(text)
	var out []Match
	seen := map[string]bool{}
	emit := func(r *rule, l *line) {
		key := r.id + "\x00" + string(rune(l.no))
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Match{Rule: r.id, Category: r.cat, Severity: r.sev, Evidence: evidence(l.raw), Line: l.no, Attack: r.attack})
	}
	for i := range lines {
		l := &lines[i]
		if isComment(l.lc) {
			continue
		}
		hits := anchorHits(l.lc)
		if hits == 0 {
			continue
		}
		for k := range rules {
			r := &rules[k]
			if r.anchors&hits == 0 {
				continue
			}
			if r.match(l) {
				emit(r, l)
			}
		}
	}
	// rules that look across lines
	for _, m := range fetchThenRun(lines) {
		if !seen[m.Rule+"\x00"+string(rune(m.Line))] {
			seen[m.Rule+"\x00"+string(rune(m.Line))] = true
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// splitLines cuts text into lines, lower-cases them and joins backslash continuations (the
// joined line keeps the number of its first physical line).
func splitLines(text []byte) []line {
	var out []line
	no := 0
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		var raw []byte
		if i < 0 {
			raw, text = text, nil
		} else {
			raw, text = text[:i], text[i+1:]
		}
		no++
		first := no
		joined := raw
		for bytes.HasSuffix(bytes.TrimRight(joined, " \t\r"), []byte(`\`)) && len(text) > 0 && len(joined) < MaxLine {
			j := bytes.IndexByte(text, '\n')
			var next []byte
			if j < 0 {
				next, text = text, nil
			} else {
				next, text = text[:j], text[j+1:]
			}
			no++
			t := bytes.TrimRight(joined, " \t\r")
			joined = append(append(append([]byte(nil), t[:len(t)-1]...), ' '), next...)
		}
		if len(joined) > MaxLine {
			joined = joined[:MaxLine]
		}
		lc := lower(joined)
		out = append(out, line{no: first, raw: joined, lc: lc, segs: segments(lc)})
		// A command wrapped in sh -c '...' (cron lines, ExecStart=, udev RUN) is judged as
		// the line it runs too.
		for _, inner := range shellC(lc) {
			out = append(out, line{no: first, raw: joined, lc: inner, segs: segments(inner)})
		}
	}
	return out
}

// shellC returns the quoted command strings given to a shell's -c option in a line.
func shellC(lc []byte) [][]byte {
	var out [][]byte
	rest := lc
	for len(out) < 4 {
		i := bytes.Index(rest, []byte(" -c "))
		j := bytes.Index(rest, []byte(" -lc "))
		k := 4
		if j >= 0 && (i < 0 || j < i) {
			i, k = j, 5
		}
		if i < 0 {
			break
		}
		before := bytes.TrimRight(rest[:i], " ")
		shell := before[bytes.LastIndexAny(before, " /'\"=")+1:]
		rest = rest[i+k:]
		switch string(shell) {
		case "sh", "bash", "dash", "zsh", "ash", "ksh", "busybox":
		default:
			continue
		}
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) < 2 || rest[0] != '\'' && rest[0] != '"' {
			continue
		}
		q := rest[0]
		end := bytes.IndexByte(rest[1:], q)
		if end < 0 {
			out = append(out, append([]byte(nil), rest[1:]...))
			break
		}
		out = append(out, append([]byte(nil), rest[1:1+end]...))
		rest = rest[1+end:]
	}
	return out
}

// isComment reports a shell comment line (commented-out code does not run).
func isComment(lc []byte) bool {
	t := bytes.TrimLeft(lc, " \t")
	return len(t) > 0 && t[0] == '#'
}

func lower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func evidence(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) > maxEvidence {
		t = t[:maxEvidence]
	}
	out := make([]byte, len(t))
	for i, c := range t {
		if c < 0x20 && c != '\t' || c == 0x7f {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}
