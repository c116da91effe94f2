// Package accounts reads the local account databases of a host (/etc/passwd, /etc/group,
// /etc/shadow) the way glibc's files backend and pam_unix read them, without calling them.
//
// The parsers are pure functions over the file content, tolerant of malformed lines: a bad line
// is skipped and described in a LineError, the rest goes on. The Collector joins passwd with
// shadow and puts snapshot.User and snapshot.Group records; it never stores a password hash,
// only its state, its algorithm and a keyed fingerprint.
package accounts

import (
	"bytes"
	"strconv"
	"strings"
)

// LineError describes one line a parser skipped. Reason never quotes the line itself (a shadow
// line holds a password hash).
type LineError struct {
	Line   int
	Name   string // the name field when it could be told, else ""
	Reason string
}

func (e LineError) Error() string {
	if e.Name != "" {
		return "line " + strconv.Itoa(e.Line) + " (" + e.Name + "): " + e.Reason
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// ReasonNIS is the Reason of a NIS compat line ("+", "-", "+name", "+@netgroup"), which a
// host without NIS ignores and a host with nsswitch "compat" mode would expand.
const ReasonNIS = "NIS compat entry"

// PasswdEntry is one account line of /etc/passwd.
type PasswdEntry struct {
	Name     string
	Password string // 2nd field: "x" means "look in shadow"; anything else is used as the hash
	UID      int64
	GID      int64
	Gecos    string
	Home     string
	Shell    string
	Line     int
}

// GroupEntry is one line of /etc/group.
type GroupEntry struct {
	Name     string
	Password string
	GID      int64
	Members  string // comma separated, as written
	Line     int
}

// MemberList splits Members into names, dropping empty ones.
func (g GroupEntry) MemberList() []string {
	var out []string
	for _, m := range strings.Split(g.Members, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// ShadowEntry is one line of /etc/shadow. Numeric fields are -1 when empty or unreadable.
type ShadowEntry struct {
	Name       string
	Hash       string // the password field as written (a secret: never store it)
	LastChange int64  // days since 1970
	Min        int64
	Max        int64
	Warn       int64
	Inactive   int64
	Expire     int64 // days since 1970
	Line       int
}

// eachLine calls fn for every line that is neither blank nor a comment, with leading blanks
// removed (glibc's files backend skips leading white space and "#" lines the same way).
func eachLine(data []byte, fn func(n int, line string)) {
	n := 0
	for len(data) > 0 {
		n++
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		line := strings.TrimLeft(string(raw), " \t\v\f\r")
		if line == "" || line[0] == '#' {
			continue
		}
		fn(n, line)
	}
}

// isNIS reports whether a line is a NIS compat entry.
func isNIS(line string) bool { return line[0] == '+' || line[0] == '-' }

// nisName returns the name part of a NIS line, for messages ("+@admins", "-bob").
func nisName(line string) string {
	name, _, _ := strings.Cut(line, ":")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// parseID reads a numeric id the way glibc's strtoul-based field parser does: leading blanks
// and a "+" are accepted, the digits must reach the end of the field.
func parseID(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t")
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int64(v), true
}

// safeName returns the name field for messages, or "" when it does not look like a name.
func safeName(s string) string {
	if s == "" || len(s) > 64 || strings.ContainsAny(s, "$/ \t") {
		return ""
	}
	return s
}

// ParsePasswd parses /etc/passwd. As in glibc, the shell is the rest of the line after the
// sixth colon (so it may hold colons). NIS compat lines and malformed lines are skipped and
// returned as LineErrors; duplicate names are returned too (the caller decides: the first one
// is the one the system uses).
func ParsePasswd(data []byte) ([]PasswdEntry, []LineError) {
	var out []PasswdEntry
	var bad []LineError
	eachLine(data, func(n int, line string) {
		if isNIS(line) {
			bad = append(bad, LineError{Line: n, Name: nisName(line), Reason: ReasonNIS})
			return
		}
		f := strings.SplitN(line, ":", 7)
		if len(f) < 7 {
			bad = append(bad, LineError{Line: n, Name: safeName(f[0]), Reason: "malformed passwd line: " + strconv.Itoa(len(f)) + " fields, want 7"})
			return
		}
		if f[0] == "" {
			bad = append(bad, LineError{Line: n, Reason: "malformed passwd line: empty name"})
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			bad = append(bad, LineError{Line: n, Name: safeName(f[0]), Reason: "malformed passwd line: uid or gid is not a number"})
			return
		}
		out = append(out, PasswdEntry{Name: f[0], Password: f[1], UID: uid, GID: gid, Gecos: f[4], Home: f[5],
			Shell: strings.TrimRight(f[6], "\r"), Line: n})
	})
	return out, bad
}

// ParseGroup parses /etc/group (name:password:gid:members).
func ParseGroup(data []byte) ([]GroupEntry, []LineError) {
	var out []GroupEntry
	var bad []LineError
	eachLine(data, func(n int, line string) {
		if isNIS(line) {
			bad = append(bad, LineError{Line: n, Name: nisName(line), Reason: ReasonNIS})
			return
		}
		f := strings.SplitN(line, ":", 4)
		if len(f) < 4 || f[0] == "" {
			bad = append(bad, LineError{Line: n, Name: safeName(f[0]), Reason: "malformed group line: want name:password:gid:members"})
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			bad = append(bad, LineError{Line: n, Name: safeName(f[0]), Reason: "malformed group line: gid is not a number"})
			return
		}
		out = append(out, GroupEntry{Name: f[0], Password: f[1], GID: gid, Members: strings.TrimRight(f[3], "\r"), Line: n})
	})
	return out, bad
}

// shadowNum reads a numeric shadow field; empty or malformed gives -1.
func shadowNum(f []string, i int) int64 {
	if i >= len(f) {
		return -1
	}
	s := strings.TrimSpace(f[i])
	if s == "" {
		return -1
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// ParseShadow parses /etc/shadow. Lines with fewer than 9 fields are accepted as long as they
// hold a name and a password field (missing numeric fields are -1), as pam_unix does.
func ParseShadow(data []byte) ([]ShadowEntry, []LineError) {
	var out []ShadowEntry
	var bad []LineError
	eachLine(data, func(n int, line string) {
		if isNIS(line) {
			bad = append(bad, LineError{Line: n, Name: nisName(line), Reason: ReasonNIS})
			return
		}
		f := strings.SplitN(line, ":", 9)
		if len(f) < 2 || f[0] == "" {
			bad = append(bad, LineError{Line: n, Name: safeName(f[0]), Reason: "malformed shadow line: no password field"})
			return
		}
		out = append(out, ShadowEntry{
			Name: f[0], Hash: strings.TrimRight(f[1], "\r"),
			LastChange: shadowNum(f, 2), Min: shadowNum(f, 3), Max: shadowNum(f, 4), Warn: shadowNum(f, 5),
			Inactive: shadowNum(f, 6), Expire: shadowNum(f, 7), Line: n,
		})
	})
	return out, bad
}
