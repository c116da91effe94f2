// Package services collects what the host starts by itself: systemd units (system-wide, for all
// users, and per user under ~/.config/systemd/user), SysV init scripts and /etc/rc.local.
//
// Unit files are parsed here (ParseUnit), resolved over the unit search path with the precedence
// systemd uses (/etc before /run before /usr/lib), merged with their drop-ins, and their state
// (enabled, masked, alias, ...) is worked out from the symbolic links in the unit folders, read
// with Readlink and never followed out of the root. Nothing on the host is run: no systemctl.
package services

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Entry is one assignment of a unit file: Key=Value in a section.
type Entry struct {
	Section string
	Key     string
	Value   string
	Line    int
	// File is the file the assignment came from (set by Merge callers; empty for ParseUnit).
	File string
}

// Unit is a parsed unit file (possibly merged with drop-ins): its assignments in file order.
// Repeated keys accumulate (All) and an empty assignment resets what came before, as systemd
// does for list settings such as ExecStart=.
type Unit struct {
	Sections []string // section names in order of first appearance
	Entries  []Entry
}

// SyntaxError lists the lines of a unit file that were not understood (and were skipped).
type SyntaxError struct {
	Lines []int // at most maxBadLines line numbers
	Count int   // how many lines in all
}

const maxBadLines = 20

func (e *SyntaxError) Error() string {
	nums := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		nums[i] = strconv.Itoa(l)
	}
	more := ""
	if e.Count > len(e.Lines) {
		more = fmt.Sprintf(" and %d more", e.Count-len(e.Lines))
	}
	return fmt.Sprintf("malformed unit file lines skipped: %s%s", strings.Join(nums, ", "), more)
}

func (e *SyntaxError) add(line int) {
	e.Count++
	if len(e.Lines) < maxBadLines {
		e.Lines = append(e.Lines, line)
	}
}

// ParseUnit parses a systemd unit file or drop-in: [Section] headers, Key=Value assignments,
// comment lines starting with # or ;, and lines continued with a trailing backslash (comment
// lines inside a continuation are skipped, as systemd does). Lines that are not understood are
// skipped; the unit holds every good line and the error (a *SyntaxError) lists the bad ones.
func ParseUnit(data []byte) (Unit, error) {
	var u Unit
	var bad SyntaxError
	section := ""
	var cont strings.Builder
	contStart := 0
	inCont := false
	lines := bytes.Split(data, []byte("\n"))
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimRight(string(raw), " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if inCont {
			if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
				continue
			}
			if strings.HasSuffix(trimmed, `\`) {
				cont.WriteString(strings.TrimSuffix(trimmed, `\`))
				cont.WriteByte(' ')
				continue
			}
			cont.WriteString(trimmed)
			inCont = false
			section = u.line(cont.String(), section, contStart, &bad)
			cont.Reset()
			continue
		}
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) && !strings.HasPrefix(trimmed, "[") {
			inCont = true
			contStart = n
			cont.WriteString(strings.TrimSuffix(trimmed, `\`))
			cont.WriteByte(' ')
			continue
		}
		section = u.line(trimmed, section, n, &bad)
	}
	if inCont {
		u.line(strings.TrimRight(cont.String(), " "), section, contStart, &bad)
	}
	if bad.Count > 0 {
		return u, &bad
	}
	return u, nil
}

// line handles one logical line and returns the section in force after it.
func (u *Unit) line(l, section string, n int, bad *SyntaxError) string {
	if strings.HasPrefix(l, "[") {
		if !strings.HasSuffix(l, "]") || len(l) < 3 {
			bad.add(n)
			return "" // systemd ignores the following assignments too
		}
		name := l[1 : len(l)-1]
		if strings.ContainsAny(name, "[]") {
			bad.add(n)
			return ""
		}
		u.addSection(name)
		return name
	}
	key, value, ok := strings.Cut(l, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" || strings.ContainsAny(key, " \t") {
		bad.add(n)
		return section
	}
	if section == "" {
		bad.add(n)
		return section
	}
	u.Entries = append(u.Entries, Entry{Section: section, Key: key, Value: strings.TrimSpace(value), Line: n})
	return section
}

func (u *Unit) addSection(name string) {
	for _, s := range u.Sections {
		if s == name {
			return
		}
	}
	u.Sections = append(u.Sections, name)
}

// HasSection reports whether the unit has a [name] section.
func (u Unit) HasSection(name string) bool {
	for _, s := range u.Sections {
		if s == name {
			return true
		}
	}
	return false
}

// All returns the values of key in section in order, with an empty assignment clearing the
// values before it (ExecStart= followed by ExecStart=/new gives just "/new").
func (u Unit) All(section, key string) []string {
	var out []string
	for _, e := range u.Entries {
		if e.Section != section || e.Key != key {
			continue
		}
		if e.Value == "" {
			out = out[:0]
			continue
		}
		out = append(out, e.Value)
	}
	return out
}

// Get returns the last value of key in section ("" when unset or reset).
func (u Unit) Get(section, key string) string {
	for i := len(u.Entries) - 1; i >= 0; i-- {
		e := u.Entries[i]
		if e.Section == section && e.Key == key {
			return e.Value
		}
	}
	return ""
}

// Merge applies a drop-in on top of u: its assignments come after those of u, so scalar
// settings are overridden and list settings appended to (or reset by an empty assignment).
func (u *Unit) Merge(o Unit) {
	for _, s := range o.Sections {
		u.addSection(s)
	}
	u.Entries = append(u.Entries, o.Entries...)
}

// MaxExec bounds the length of a joined command line kept in a record.
const MaxExec = 4096

// ExecLine joins ExecStartPre, ExecStart and ExecStartPost of section (Service, Socket) with
// " ; ", cut to MaxExec bytes.
func ExecLine(u Unit, section string) string {
	var parts []string
	for _, k := range []string{"ExecStartPre", "ExecStart", "ExecStartPost"} {
		parts = append(parts, u.All(section, k)...)
	}
	return Truncate(strings.Join(parts, " ; "), MaxExec)
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-4 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// installKeys are the [Install] settings that make a unit enableable.
var installKeys = []string{"WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also", "DefaultInstance"}

// HasInstall reports whether the unit says how to enable it (a non-empty [Install] section).
func (u Unit) HasInstall() bool {
	for _, k := range installKeys {
		if len(u.All("Install", k)) > 0 {
			return true
		}
	}
	return false
}
