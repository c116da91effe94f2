package indicator

import (
	"bytes"
	"path"
	"strings"
)

// seg is one simple command of a line: the text between shell operators, and the operator that
// ends it ("|", ";", "&&", "||", "&" or "" at the end of the line).
type seg struct {
	text  []byte
	words []string // words with quotes, "$(", "`", "(" and ")" stripped
	next  string
}

// segments splits a lower-cased line on shell operators. Quotes do not protect operators:
// "bash -c 'curl x | sh'" splits too, which is what the rules want.
func segments(lc []byte) []seg {
	var out []seg
	start := 0
	for i := 0; i < len(lc); i++ {
		c := lc[i]
		op := ""
		switch c {
		case '|':
			op = "|"
			if i+1 < len(lc) && lc[i+1] == '|' {
				op = "||"
			}
		case ';':
			op = ";"
		case '&':
			switch {
			case i+1 < len(lc) && lc[i+1] == '&':
				op = "&&"
			case i > 0 && (lc[i-1] == '>' || lc[i-1] == '<'):
				// >&2, <&196: a redirection
			case i+1 < len(lc) && lc[i+1] == '>':
				// &>file
			default:
				op = "&"
			}
		case '\n':
			op = ";"
		}
		if op == "" {
			continue
		}
		out = append(out, newSeg(lc[start:i], op))
		i += len(op) - 1
		start = i + 1
	}
	if start <= len(lc) {
		out = append(out, newSeg(lc[start:], ""))
	}
	return out
}

func newSeg(text []byte, next string) seg {
	ws := words(text)
	if len(ws) > 0 {
		// systemd: ExecStart=-/path args
		if eq := strings.IndexByte(ws[0], '='); eq > 4 && strings.HasPrefix(strings.ToLower(ws[0]), "exec") {
			v := strings.TrimLeft(ws[0][eq+1:], "-@:+!")
			if v == "" {
				ws = ws[1:]
			} else {
				ws[0] = v
			}
		}
		ws = ws[cronFields(ws):]
	}
	return seg{text: text, words: ws, next: next}
}

// cronFields returns how many leading words are a crontab schedule (and user name).
func cronFields(ws []string) int {
	if len(ws) == 0 {
		return 0
	}
	n := 0
	switch {
	case strings.HasPrefix(ws[0], "@") && len(ws) > 1:
		n = 1
	case len(ws) > 5:
		for i := 0; i < 5; i++ {
			if !isCronField(ws[i]) {
				return 0
			}
		}
		n = 5
	default:
		return 0
	}
	// /etc/crontab and cron.d lines have a user before the command
	if n+1 < len(ws) && isUserName(ws[n]) {
		next := ws[n+1]
		if strings.HasPrefix(next, "/") || strings.HasPrefix(next, ".") || prefixCmds[next] || shells[next] || downloaders[next] || isAssign(next) || next == "test" || next == "[" || next == "cd" {
			n++
		}
	}
	return n
}

func isCronField(w string) bool {
	if w == "" {
		return false
	}
	for _, c := range w {
		if !(('0' <= c && c <= '9') || c == '*' || c == '/' || c == '-' || c == ',' || ('a' <= c && c <= 'z')) {
			return false
		}
	}
	if strings.ContainsAny(w, "0123456789*") {
		return true
	}
	for _, p := range strings.Split(w, ",") {
		for _, q := range strings.Split(p, "-") {
			if !cronNames[q] {
				return false
			}
		}
	}
	return true
}

var cronNames = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "oct": true, "nov": true, "dec": true, "sun": true, "mon": true,
	"tue": true, "wed": true, "thu": true, "fri": true, "sat": true,
}

func isUserName(w string) bool {
	if w == "" || len(w) > 32 {
		return false
	}
	for _, c := range w {
		if !(('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// words splits on white space and strips shell quoting characters from each word.
func words(b []byte) []string {
	var out []string
	for _, f := range bytes.Fields(b) {
		w := strings.Trim(string(f), "\"'`(){}")
		w = strings.TrimPrefix(w, "$(")
		w = strings.TrimPrefix(w, "$")
		w = strings.Trim(w, "\"'`(){}")
		// VAR=$(cmd ...): the command substitution's command is a word of its own
		if eq := strings.IndexByte(w, '='); eq > 0 && isAssign(w) {
			v := string(f)[strings.IndexByte(string(f), '=')+1:]
			for _, p := range []string{`"$(`, "$(", "`", "\"`"} {
				if strings.HasPrefix(v, p) && len(v) > len(p) {
					out = append(out, w[:eq+1], strings.Trim(v[len(p):], "\"'`(){}"))
					w = ""
					break
				}
			}
		}
		if w != "" {
			out = append(out, w)
		}
		if len(out) > 256 {
			break
		}
	}
	return out
}

// Words that run the next word as a command.
var prefixCmds = map[string]bool{
	"sudo": true, "nohup": true, "exec": true, "env": true, "busybox": true, "command": true,
	"nice": true, "setsid": true, "time": true, "doas": true, "su": false, "stdbuf": true,
	"ionice": true, "chroot": false, "then": true, "do": true, "else": true, "!": true,
	"xargs": true, "watch": true, "eval": true, "runuser": false,
}

// cmd returns the command name of a segment (basename, after sudo/nohup/env/timeout N and
// variable assignments) and the index of its word.
func (s seg) cmd() (string, int) {
	prefix := false
	for i := 0; i < len(s.words); i++ {
		w := s.words[i]
		if isAssign(w) || (prefix && strings.HasPrefix(w, "-")) {
			continue
		}
		if strings.ContainsAny(w, "*?[") {
			return "", -1 // a glob: a case pattern, not a command
		}
		name := path.Base(strings.TrimLeft(w, `\`))
		if prefixCmds[name] {
			prefix = true
			continue
		}
		if name == "timeout" {
			prefix = true
			if i+1 < len(s.words) && len(s.words[i+1]) > 0 && '0' <= s.words[i+1][0] && s.words[i+1][0] <= '9' {
				i++
			}
			continue
		}
		return name, i
	}
	return "", -1
}

// isAssign reports a shell variable assignment word (NAME=value).
func isAssign(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := w[i]
		if !(c == '_' || ('a' <= c && c <= 'z') || (i > 0 && '0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// hasWord reports whether the segment has the word (exactly, after quote stripping).
func (s seg) hasWord(ws ...string) bool {
	for _, w := range s.words {
		for _, x := range ws {
			if w == x {
				return true
			}
		}
	}
	return false
}

// Interpreters and shells that run what is piped into them.
var shells = map[string]bool{
	"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true, "csh": true,
	"tcsh": true, "busybox": true, "python": true, "python2": true, "python3": true, "perl": true,
	"ruby": true, "php": true, "node": true, "lua": true, "fish": true,
}

// Plain shells (the programs a reverse shell connects).
var plainShells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true, "csh": true, "tcsh": true}

// isShellWord reports whether w names a shell: "sh", "/bin/bash", "bash -i" words.
func isShellWord(w string) bool {
	return plainShells[path.Base(w)]
}

// Downloaders.
var downloaders = map[string]bool{
	"curl": true, "wget": true, "fetch": true, "lwp-download": true, "lwp-request": true,
	"get": false, "tftp": true, "aria2c": true, "axel": true,
}

func containsAny(b []byte, subs ...string) bool {
	for _, s := range subs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// wordIndex returns the index of the first occurrence of word w in b with non-identifier
// characters (or the ends) around it, or -1.
func wordIndex(b []byte, w string) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(w))
		if j < 0 {
			return -1
		}
		at := i + j
		end := at + len(w)
		if (at == 0 || !isWordChar(b[at-1])) && (end >= len(b) || !isWordChar(b[end])) {
			return at
		}
		i = at + 1
	}
}

func hasWordIn(b []byte, ws ...string) bool {
	for _, w := range ws {
		if wordIndex(b, w) >= 0 {
			return true
		}
	}
	return false
}

func isWordChar(c byte) bool {
	return c == '_' || c == '-' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z')
}
