// Package textsafe makes text that came from a suspect host safe to show a person. File names,
// user names, log lines and unit names there are chosen by the attacker: an escape sequence in
// a file name can clear the responder's screen, recolour it, move the cursor and print a fake
// "CLEAN"; a newline can forge a line of the report; a right-to-left override can make
// "gpj.exe" read as "exe.jpg". Every human-facing renderer (text reports, tables, the guide, the
// Markdown and HTML report) passes every host-derived string through Escape (or Lines for
// multi-line content) before it is written. JSON output keeps the exact bytes instead (and says
// so where a name is not valid UTF-8).
//
// Escaped forms are visible and unambiguous to the eye: \n, \r, \t, \x1b, \x7f, \u009b, \u202e,
// and \xNN for each byte that is not valid UTF-8. Letters of every script are kept as they are.
package textsafe

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character, every byte that is not UTF-8 and every
// invisible character that reorders or breaks text written as a visible escape, so the result
// is one line that shows exactly what s holds and does nothing to a terminal.
func Escape(s string) string { return escape(s, false) }

// Lines is Escape for multi-line text shown as lines (a diff of a configuration file, a log
// excerpt): newlines and tabs are kept, everything else Escape changes is changed.
func Lines(s string) string { return escape(s, true) }

// Safe reports whether Escape would leave s as it is.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if needs(r, n, false) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepLines bool) string {
	// Fast path: plain printable ASCII (almost every name) is returned as it is.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !needs(r, n, keepLines) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// needs reports whether the rune r (n bytes long) must be escaped.
func needs(r rune, n int, keepLines bool) bool {
	switch {
	case r == utf8.RuneError && n <= 1:
		return true // not UTF-8
	case r == '\n' || r == '\t':
		return !keepLines
	case r < 0x20 || r == 0x7f:
		return true // C0 controls (ESC, BEL, CR, backspace, ...) and DEL
	case r >= 0x80 && r <= 0x9f:
		return true // C1 controls: U+009B is CSI on many terminals
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional embeddings, overrides, isolates and marks
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators
	case r == 0xfeff:
		return true // zero-width no-break space (byte order mark)
	}
	return false
}

// All escapes every string of a slice (for evidence lines and the like), in a new slice.
func All(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Escape(s)
	}
	return out
}

// ForJSON gives the JSON form of a name from the host. A valid UTF-8 name is kept as it is
// (JSON holds it exactly, control characters included, as \u escapes). A name that is not
// valid UTF-8 (attackers use such names on purpose, and encoding/json would turn the bytes into
// U+FFFD) gets an escaped display form and its exact bytes in base64, for a *_b64 field beside
// it. FromJSON reads the pair back.
func ForJSON(name string) (display, exactB64 string) {
	if utf8.ValidString(name) {
		return name, ""
	}
	return Escape(name), base64.StdEncoding.EncodeToString([]byte(name))
}

// FromJSON is the name ForJSON wrote: the exact bytes when there are some, else display.
func FromJSON(display, exactB64 string) (string, error) {
	if exactB64 == "" {
		return display, nil
	}
	raw, err := base64.StdEncoding.DecodeString(exactB64)
	if err != nil {
		return display, fmt.Errorf("a name's exact bytes (base64) are damaged: %w", err)
	}
	return string(raw), nil
}
