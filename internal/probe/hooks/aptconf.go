package hooks

import (
	"regexp"
	"strings"
)

// AptItem is one value set in an APT configuration file.
type AptItem struct {
	Line  int
	Key   string // full name with "::" between levels, as written ("DPkg::Pre-Invoke")
	Value string
}

type aptTok struct {
	kind   byte // 'w' word, 's' quoted string, '{', '}', ';', '#' directive
	text   string
	line   int
	closed bool // for 's': the closing quote was found
}

// aptTokens splits APT configuration text into tokens, dropping // and # comments to the end of
// the line and /* */ comments. "#include" and "#clear" are directives, not comments.
func aptTokens(s string) []aptTok {
	var out []aptTok
	line := 1
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				end = len(s) - i - 2
			} else {
				end += 2
			}
			line += strings.Count(s[i:i+2+end], "\n")
			i += 2 + end
		case c == '#':
			rest := s[i+1:]
			if strings.HasPrefix(rest, "include") || strings.HasPrefix(rest, "clear") {
				j := i + 1
				for j < len(s) && isAptWordByte(s[j]) {
					j++
				}
				out = append(out, aptTok{kind: '#', text: s[i:j], line: line})
				i = j
				continue
			}
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			closed := j >= 0
			if !closed {
				j = len(s) - i - 1
			}
			text := s[i+1 : i+1+j]
			out = append(out, aptTok{kind: 's', text: text, line: line, closed: closed})
			line += strings.Count(text, "\n")
			i += j + 2
		case c == '{' || c == '}' || c == ';':
			out = append(out, aptTok{kind: c, line: line})
			i++
		default:
			j := i
			for j < len(s) && isAptWordByte(s[j]) && !(s[j] == '/' && j+1 < len(s) && (s[j+1] == '/' || s[j+1] == '*')) {
				j++
			}
			if j == i {
				j++ // never stall
			}
			out = append(out, aptTok{kind: 'w', text: s[i:j], line: line})
			i = j
		}
	}
	return out
}

func isAptWordByte(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '{', '}', ';', '"':
		return false
	}
	return true
}

func joinKey(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		p = strings.Trim(p, ":")
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, "::")
}

// maxAptDepth bounds the nesting of blocks.
const maxAptDepth = 64

// ParseAptConf parses APT configuration syntax (apt.conf(5)): "Name::Sub value;" statements,
// nested "Name { ... };" blocks, lists of quoted values inside a block, "Name:: value;" list
// appends, comments (//, #, /* */) and #include/#clear directives (ignored). It returns every
// value set, with its full key. Statements that do not make sense are reported in the error
// (a *LineError) and skipped.
func ParseAptConf(data []byte) ([]AptItem, error) {
	toks := aptTokens(string(data))
	var out []AptItem
	var bad LineError
	var stack []string
	var stmt []aptTok
	flush := func() {
		defer func() { stmt = stmt[:0] }()
		if len(stmt) == 0 {
			return
		}
		first := stmt[0]
		if first.kind == '#' {
			return // #include / #clear: not followed here
		}
		prefix := joinKey(stack...)
		var values []string
		for _, t := range stmt[1:] {
			values = append(values, t.text)
		}
		switch {
		case len(stmt) == 1 && (first.kind == 's' || prefix != ""):
			// A bare value inside a block: an element of the block's list.
			if prefix == "" {
				bad.Add(first.line)
				return
			}
			out = append(out, AptItem{Line: first.line, Key: prefix, Value: first.text})
		case first.kind == 'w' && strings.Trim(first.text, ":") != "":
			v := strings.Join(values, " ")
			out = append(out, AptItem{Line: stmt[len(stmt)-1].line, Key: joinKey(prefix, first.text), Value: v})
		default:
			bad.Add(first.line)
		}
	}
	for _, t := range toks {
		switch t.kind {
		case ';':
			flush()
		case '{':
			name := ""
			switch {
			case len(stmt) == 1 && stmt[0].kind == 'w':
				name = stmt[0].text
			case len(stmt) == 0:
			default:
				bad.Add(stmt[0].line)
			}
			stmt = stmt[:0]
			if len(stack) >= maxAptDepth {
				bad.Add(t.line)
				return out, bad.Err()
			}
			stack = append(stack, name)
		case '}':
			flush() // a last statement without ";"
			if len(stack) == 0 {
				bad.Add(t.line)
				continue
			}
			stack = stack[:len(stack)-1]
		default:
			if t.kind == 's' && !t.closed {
				bad.Add(t.line)
				continue
			}
			stmt = append(stmt, t)
		}
	}
	if len(stmt) > 0 || len(stack) > 0 {
		line := toks[len(toks)-1].line
		flush()
		if len(stack) > 0 {
			bad.Add(line)
		}
	}
	return out, bad.Err()
}

// aptHookKey matches the options whose values APT, dpkg or the apt tools run as commands.
var aptHookKey = regexp.MustCompile(`(?i)^(` +
	`(dpkg|apt::update|apt::install)::(pre-invoke|post-invoke|post-invoke-success|post-invoke-failure|pre-install-pkgs)` +
	`|aptcli::hooks::[^:]+` +
	`|acquire::.*::proxy-auto-detect` +
	`|dir::bin::[^:]+` +
	`)$`)

// dpkgInvokeOption matches a dpkg option that runs a command, given through DPkg::Options.
var dpkgInvokeOption = regexp.MustCompile(`^--(pre|post)-invoke=`)

// AptHooks filters the items of an APT configuration down to the commands APT or dpkg would
// run: DPkg::Pre-Invoke, DPkg::Post-Invoke, DPkg::Pre-Install-Pkgs, APT::Update::Pre-Invoke,
// APT::Update::Post-Invoke(-Success), APT::Install::..., AptCli::Hooks::..., proxy auto-detect
// programs, Dir::Bin::* program overrides, and --pre-invoke/--post-invoke in DPkg::Options.
func AptHooks(items []AptItem) []AptItem {
	var out []AptItem
	for _, it := range items {
		if it.Value == "" {
			continue
		}
		if aptHookKey.MatchString(it.Key) {
			out = append(out, it)
			continue
		}
		if strings.EqualFold(it.Key, "DPkg::Options") && dpkgInvokeOption.MatchString(it.Value) {
			out = append(out, it)
		}
	}
	return out
}

// ParseDpkgCfg returns the commands of dpkg configuration files (/etc/dpkg/dpkg.cfg and
// dpkg.cfg.d): "pre-invoke=COMMAND" and "post-invoke COMMAND" options.
func ParseDpkgCfg(data []byte) []Item {
	var out []Item
	for i, l := range lines(data) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		t = strings.TrimPrefix(t, "--")
		name, value := t, ""
		if j := strings.IndexAny(t, "= \t"); j >= 0 {
			name, value = t[:j], strings.TrimSpace(t[j+1:])
		}
		if (name == "pre-invoke" || name == "post-invoke") && value != "" {
			out = append(out, Item{Line: i + 1, Value: truncate(value, MaxValue)})
		}
	}
	return out
}
