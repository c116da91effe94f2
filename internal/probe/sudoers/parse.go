// Package sudoers reads the sudo policy of a host: /etc/sudoers and every file it includes
// (@include, @includedir and the older #include, #includedir), the way sudo's own parser
// splits it into logical lines (backslash continuations joined, comments dropped).
//
// Parse turns one file into Rules: Defaults lines, aliases, include directives and user
// specifications (grants). A Policy resolves aliases across files and flattens the grants into
// one Grant per command, with helpers to tell which grants amount to full root (ALL, or a
// command that gives a shell). The Collector puts one snapshot.SudoRule per logical line.
package sudoers

import (
	"strconv"
	"strings"
)

// Kinds of rules, as stored in snapshot.SudoRule.Kind.
const (
	KindGrant    = "grant"    // a user specification: who may run what as whom
	KindDefaults = "defaults" // a Defaults line
	KindAlias    = "alias"    // User_Alias, Runas_Alias, Host_Alias, Cmnd_Alias
	KindInclude  = "include"  // @include, @includedir, #include, #includedir
	KindUnparsed = "unparsed" // a line nowwhat could not parse (sudo would refuse the file)
)

// Rule is one logical line of a sudoers file.
type Rule struct {
	File string // host path, filled by the collector
	Line int    // first physical line
	Kind string
	Text string // the logical line, comments dropped, white space collapsed outside quotes

	// Include: the path as written (quotes removed), and whether it names a directory.
	Include    string
	IncludeDir bool

	// Defaults: the binding as written ("", ":alice", "@host", ">root", "!/usr/bin/x") and the
	// settings ("env_reset", "!authenticate", "secure_path=\"...\"").
	Binding  string
	Settings []string

	// Alias: its type (User_Alias, Runas_Alias, Host_Alias, Cmnd_Alias) and definitions.
	AliasType string
	Aliases   []Alias

	// Grant: the user list as written and one privilege per "Host_List = Cmnd_Spec_List".
	Users      []string
	Privileges []Privilege

	// Error says why a line is unparsed.
	Error string
}

// Alias is one alias definition: NAME = members.
type Alias struct {
	Name    string
	Members []string
}

// Privilege is "Host_List = Cmnd_Spec_List" of a grant.
type Privilege struct {
	Hosts []string
	Cmnds []Cmnd
}

// Cmnd is one command of a Cmnd_Spec_List, with the run-as list, tags and options that apply
// to it (inherited from the commands before it on the line, as sudo does).
type Cmnd struct {
	RunasGiven  bool     // a "(...)" applies; without it commands run as root
	RunasUsers  []string // as written: "ALL", "root", "#0", "%wheel", an alias
	RunasGroups []string
	Tags        []string // NOPASSWD, SETENV, NOEXEC, ...
	Options     []string // CWD=..., CHROOT=..., ROLE=..., TIMEOUT=...
	Digest      string   // "sha256:..." when the command is pinned by digest
	Negated     bool
	Command     string // "ALL", "/usr/bin/vim /etc/hosts", an alias name; escapes kept
}

// NoPasswd reports whether the NOPASSWD tag applies.
func (c Cmnd) NoPasswd() bool { return hasTag(c.Tags, "NOPASSWD") }

func hasTag(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

// LineError is a problem with one line of a file.
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Reason }

// logical is one logical line before classification.
type logical struct {
	line    int
	text    string
	include bool // an old-style #include / #includedir line (kept from comment stripping)
}

// splitLogical joins continuation lines and drops comments, the way sudo's lexer does: "#"
// starts a comment unless escaped, quoted, followed by a digit (a uid: "#0", "%#27") or the
// "#include"/"#includedir" keyword at the start of a line. A comment ends the logical line
// even when it ends with a backslash.
func splitLogical(data []byte) []logical {
	var out []logical
	var cur strings.Builder
	start := 0
	n := 0
	inQuote := false
	flush := func() {
		t := normalize(cur.String())
		if t != "" {
			out = append(out, logical{line: start, text: t})
		}
		cur.Reset()
		start = 0
		inQuote = false
	}
	s := string(data)
	for len(s) > 0 || cur.Len() > 0 {
		if len(s) == 0 {
			flush()
			break
		}
		n++
		var phys string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			phys, s = s[:i], s[i+1:]
		} else {
			phys, s = s, ""
		}
		phys = strings.TrimSuffix(phys, "\r")
		if cur.Len() == 0 {
			start = n
			if isOldInclude(phys) {
				out = append(out, logical{line: n, text: normalize(phys), include: true})
				start = 0
				continue
			}
		}
		cont := false
		esc := false
		end := len(phys)
		for i := 0; i < len(phys); i++ {
			c := phys[i]
			if esc {
				esc = false
				continue
			}
			switch {
			case c == '\\':
				esc = true
			case c == '"':
				inQuote = !inQuote
			case c == '#' && !inQuote && !uidAfter(phys[i+1:]):
				end = i
			}
			if end != len(phys) {
				break
			}
		}
		body := phys[:end]
		if end == len(phys) && esc {
			// The last character is an unescaped backslash: a continuation.
			body = strings.TrimSuffix(body, "\\")
			cont = true
		} else if end == len(phys) {
			// sudo also accepts blanks between the backslash and the newline.
			trimmed := strings.TrimRight(body, " \t")
			if strings.HasSuffix(trimmed, "\\") && !endsEscaped(trimmed[:len(trimmed)-1]) {
				body = trimmed[:len(trimmed)-1]
				cont = true
			}
		}
		if start == 0 {
			start = n
		}
		cur.WriteString(body)
		if cont {
			cur.WriteByte(' ')
			continue
		}
		flush()
	}
	return out
}

// endsEscaped reports whether s ends in an odd number of backslashes.
func endsEscaped(s string) bool {
	k := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		k++
	}
	return k%2 == 1
}

// uidAfter reports whether the text after a "#" makes it a uid ("#0", "#-1") rather than a comment.
func uidAfter(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// isOldInclude reports whether a physical line is "#include X" or "#includedir X" (at the very
// start of the line, as sudo's lexer requires).
func isOldInclude(s string) bool {
	for _, kw := range []string{"#includedir", "#include"} {
		if strings.HasPrefix(s, kw) && len(s) > len(kw) && (s[len(kw)] == ' ' || s[len(kw)] == '\t') {
			return true
		}
	}
	return false
}

// normalize collapses runs of white space outside double quotes into one space and trims the
// ends; escaped characters are copied as they are.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inQuote, esc, space := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if esc {
			b.WriteByte(c)
			esc = false
			continue
		}
		if !inQuote && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		switch c {
		case '\\':
			esc = true
		case '"':
			inQuote = !inQuote
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Parse splits one sudoers file into rules. It never fails: lines it cannot parse are rules of
// kind "unparsed" (with Error set) and are also returned as LineErrors.
func Parse(data []byte) ([]Rule, []LineError) {
	var rules []Rule
	var bad []LineError
	for _, l := range splitLogical(data) {
		r := ParseLine(l.text)
		r.Line = l.line
		if l.include && r.Kind != KindInclude {
			continue // "#include" with nothing usable after it: a comment after all
		}
		if r.Kind == KindUnparsed {
			bad = append(bad, LineError{Line: l.line, Reason: r.Error})
		}
		rules = append(rules, r)
	}
	return rules, bad
}

// ParseLine parses one logical line (as stored in snapshot.SudoRule.Text). Line and File are
// left zero.
func ParseLine(text string) Rule {
	text = normalize(text)
	r := Rule{Text: text}
	word, rest, _ := strings.Cut(text, " ")
	switch {
	case word == "@include" || word == "#include" || word == "@includedir" || word == "#includedir":
		r.Kind = KindInclude
		r.IncludeDir = strings.HasSuffix(word, "dir")
		r.Include = unquotePath(rest)
		if r.Include == "" {
			r.Kind, r.Error = KindUnparsed, "include without a path"
		}
	case word == "Defaults" || strings.HasPrefix(word, "Defaults") && strings.ContainsRune(":@>!", rune(word[len("Defaults")])):
		parseDefaults(&r)
	case word == "User_Alias" || word == "Runas_Alias" || word == "Host_Alias" || word == "Cmnd_Alias" || word == "Cmd_Alias":
		parseAliases(&r, word, rest)
	default:
		parseGrant(&r)
	}
	return r
}

// unquotePath reads an include path: double quotes removed, backslash escapes resolved.
func unquotePath(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "\"") {
		if i := strings.IndexByte(s[1:], '"'); i >= 0 {
			return s[1 : i+1]
		}
		return s[1:]
	}
	return unescape(s)
}

// unescape resolves backslash escapes.
func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// scan walks s calling fn with each byte that is outside quotes, not escaped and not inside
// parentheses; fn returns false to stop. It returns the index where fn stopped, or -1.
func scan(s string, fn func(i int, c byte) bool) int {
	inQuote, esc, depth := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			if !fn(i, c) {
				return i
			}
		}
	}
	return -1
}

// indexTop is the index of the first sep outside quotes, escapes and parentheses, or -1.
func indexTop(s string, sep byte) int {
	return scan(s, func(_ int, c byte) bool { return c != sep })
}

// splitTop splits s at every top-level sep and trims the parts; empty parts are dropped.
func splitTop(s string, sep byte) []string {
	var out []string
	last := 0
	scan(s, func(i int, c byte) bool {
		if c == sep {
			if p := strings.TrimSpace(s[last:i]); p != "" {
				out = append(out, p)
			}
			last = i + 1
		}
		return true
	})
	if p := strings.TrimSpace(s[last:]); p != "" {
		out = append(out, p)
	}
	return out
}

// tightenLists removes blanks around top-level commas and after "!" so that a list such as
// "alice , ! bob" becomes one word "alice,!bob".
func tightenLists(s string) string {
	var b strings.Builder
	inQuote, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if esc {
			esc = false
			b.WriteByte(c)
			continue
		}
		switch {
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ' ':
			prev := byte(0)
			if b.Len() > 0 {
				prev = b.String()[b.Len()-1]
			}
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			}
			if prev == ',' || prev == '!' || next == ',' {
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func parseDefaults(r *Rule) {
	r.Kind = KindDefaults
	t := tightenLists(r.Text)
	head, rest, _ := strings.Cut(t, " ")
	r.Binding = head[len("Defaults"):]
	// The rest is the original text after the head (tightening kept it intact except around
	// commas, which is how settings are separated anyway).
	r.Settings = splitTop(rest, ',')
	if len(r.Settings) == 0 {
		r.Kind, r.Error = KindUnparsed, "Defaults without settings"
	}
}

// isAliasName reports whether s is a valid alias name: an upper-case letter, then upper-case
// letters, digits and underscores.
func isAliasName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func parseAliases(r *Rule, typ, rest string) {
	r.Kind = KindAlias
	r.AliasType = typ
	if typ == "Cmd_Alias" {
		r.AliasType = "Cmnd_Alias"
	}
	// Definitions are separated by ":" where the text after it starts a new "NAME =".
	var parts []string
	last := 0
	scan(rest, func(i int, c byte) bool {
		if c == ':' {
			name, _, ok := strings.Cut(rest[i+1:], "=")
			if ok && isAliasName(strings.TrimSpace(name)) {
				parts = append(parts, rest[last:i])
				last = i + 1
			}
		}
		return true
	})
	parts = append(parts, rest[last:])
	for _, p := range parts {
		eq := indexTop(p, '=')
		if eq < 0 {
			r.Kind, r.Error = KindUnparsed, "alias without \"=\""
			return
		}
		name := strings.TrimSpace(p[:eq])
		if !isAliasName(name) {
			r.Kind, r.Error = KindUnparsed, "bad alias name"
			return
		}
		r.Aliases = append(r.Aliases, Alias{Name: name, Members: splitTop(tightenNegation(p[eq+1:]), ',')})
	}
}

// tightenNegation removes blanks after "!" ("! /bin/su" -> "!/bin/su").
func tightenNegation(s string) string {
	for strings.Contains(s, "! ") {
		s = strings.ReplaceAll(s, "! ", "!")
	}
	return s
}

func parseGrant(r *Rule) {
	eq := indexTop(r.Text, '=')
	if eq < 0 {
		r.Kind, r.Error = KindUnparsed, "not a Defaults, alias, include or user specification"
		return
	}
	left := strings.Fields(tightenLists(strings.TrimSpace(r.Text[:eq])))
	if len(left) != 2 {
		r.Kind, r.Error = KindUnparsed, "user specification without a user list and a host list"
		return
	}
	privs, err := parsePrivileges(splitTop(left[1], ','), r.Text[eq+1:])
	if err != "" {
		r.Kind, r.Error = KindUnparsed, err
		return
	}
	r.Kind = KindGrant
	r.Users = splitTop(left[0], ',')
	r.Privileges = privs
}

// Tags sudo knows, each with its opposite.
var tagOpposite = map[string]string{
	"NOPASSWD": "PASSWD", "PASSWD": "NOPASSWD",
	"NOEXEC": "EXEC", "EXEC": "NOEXEC",
	"SETENV": "NOSETENV", "NOSETENV": "SETENV",
	"LOG_INPUT": "NOLOG_INPUT", "NOLOG_INPUT": "LOG_INPUT",
	"LOG_OUTPUT": "NOLOG_OUTPUT", "NOLOG_OUTPUT": "LOG_OUTPUT",
	"MAIL": "NOMAIL", "NOMAIL": "MAIL",
	"FOLLOW": "NOFOLLOW", "NOFOLLOW": "FOLLOW",
	"INTERCEPT": "NOINTERCEPT", "NOINTERCEPT": "INTERCEPT",
}

var optionNames = map[string]bool{
	"CWD": true, "CHROOT": true, "ROLE": true, "TYPE": true, "TIMEOUT": true, "NOTBEFORE": true,
	"NOTAFTER": true, "APPARMOR_PROFILE": true, "PRIVS": true, "LIMITPRIVS": true,
}

var digestNames = map[string]bool{"sha224": true, "sha256": true, "sha384": true, "sha512": true}

func parsePrivileges(hosts []string, s string) ([]Privilege, string) {
	var privs []Privilege
	for guard := 0; guard < 1000; guard++ {
		cmnds, rest, more, err := parseCmndList(s)
		if err != "" {
			return nil, err
		}
		privs = append(privs, Privilege{Hosts: hosts, Cmnds: cmnds})
		if !more {
			return privs, ""
		}
		eq := indexTop(rest, '=')
		if eq < 0 {
			return nil, "\":\" not followed by \"Host_List = Cmnd_Spec_List\""
		}
		hosts = splitTop(tightenLists(rest[:eq]), ',')
		if len(hosts) == 0 {
			return nil, "empty host list"
		}
		s = rest[eq+1:]
	}
	return privs, ""
}

func wordAt(s string, i int) string {
	j := i
	for j < len(s) {
		c := s[j]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			j++
			continue
		}
		break
	}
	return s[i:j]
}

// parseCmndList parses a Cmnd_Spec_List up to its end or to a ":" that starts the next
// "Host_List = Cmnd_Spec_List" (returned in rest, with more set).
func parseCmndList(s string) (cmnds []Cmnd, rest string, more bool, err string) {
	var cur Cmnd // run-as, tags and options carry over to the next command
	i := 0
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	for {
		skip()
		if i < len(s) && s[i] == '(' {
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				return nil, "", false, "unclosed \"(\" in run-as list"
			}
			inner := s[i+1 : i+j]
			u, g, _ := cutTop(inner, ':')
			cur.RunasGiven = true
			cur.RunasUsers = splitTop(tightenLists(u), ',')
			cur.RunasGroups = splitTop(tightenLists(g), ',')
			i += j + 1
		}
		cur.Digest = ""
		for {
			skip()
			w := wordAt(s, i)
			if w == "" || i+len(w) >= len(s) {
				break
			}
			next := s[i+len(w)]
			if next == ':' && tagOpposite[w] != "" {
				cur.Tags = setTag(cur.Tags, w)
				i += len(w) + 1
				continue
			}
			if next == ':' && digestNames[w] {
				j := i + len(w) + 1
				k := j
				for k < len(s) && s[k] != ' ' && s[k] != ',' {
					k++
				}
				cur.Digest = s[i:k]
				i = k
				continue
			}
			if next == '=' && optionNames[w] {
				j := i + len(w) + 1
				k := j
				if k < len(s) && s[k] == '"' {
					if e := strings.IndexByte(s[k+1:], '"'); e >= 0 {
						k += e + 2
					} else {
						k = len(s)
					}
				} else {
					for k < len(s) && s[k] != ' ' && s[k] != ',' {
						k++
					}
				}
				cur.Options = setOption(cur.Options, s[i:k])
				i = k
				continue
			}
			break
		}
		c := cur
		c.Negated = false
		for {
			skip()
			if i < len(s) && s[i] == '!' {
				c.Negated = !c.Negated
				i++
				continue
			}
			break
		}
		end := scan(s[i:], func(_ int, ch byte) bool { return ch != ',' && ch != ':' })
		var cmd string
		if end < 0 {
			cmd = s[i:]
		} else {
			cmd = s[i : i+end]
		}
		c.Command = strings.TrimSpace(cmd)
		if c.Command == "" {
			return nil, "", false, "empty command"
		}
		c.Tags = append([]string(nil), cur.Tags...)
		c.Options = append([]string(nil), cur.Options...)
		cmnds = append(cmnds, c)
		if end < 0 {
			return cmnds, "", false, ""
		}
		i += end
		if s[i] == ':' {
			return cmnds, s[i+1:], true, ""
		}
		i++ // ","
	}
}

// cutTop cuts s at the first top-level sep.
func cutTop(s string, sep byte) (before, after string, found bool) {
	if i := indexTop(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func setTag(tags []string, t string) []string {
	out := make([]string, 0, len(tags)+1)
	for _, x := range tags {
		if x != t && x != tagOpposite[t] {
			out = append(out, x)
		}
	}
	return append(out, t)
}

func setOption(opts []string, o string) []string {
	name, _, _ := strings.Cut(o, "=")
	out := make([]string, 0, len(opts)+1)
	for _, x := range opts {
		if n, _, _ := strings.Cut(x, "="); n != name {
			out = append(out, x)
		}
	}
	return append(out, o)
}
