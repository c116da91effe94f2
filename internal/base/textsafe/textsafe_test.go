package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want, lines string }{
		{"/etc/passwd", "/etc/passwd", "/etc/passwd"},
		{"/tmp/\x1b[2J\x1b[1;32mCLEAN", `/tmp/\x1b[2J\x1b[1;32mCLEAN`, `/tmp/\x1b[2J\x1b[1;32mCLEAN`},
		{"a\nVERDICT: clean", `a\nVERDICT: clean`, "a\nVERDICT: clean"},
		{"tab\there", `tab\there`, "tab\there"},
		{"cr\rover", `cr\rover`, `cr\rover`},
		{"bell\a del\x7f", `bell\x07 del\x7f`, `bell\x07 del\x7f`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`, `bad\xff\xfeutf8`},
		{"c1 \u009b31m", `c1 \u009b31m`, `c1 \u009b31m`},
		{"invoice\u202egpj.exe", `invoice\u202egpj.exe`, `invoice\u202egpj.exe`},
		{"日本語 café ünïcode", "日本語 café ünïcode", "日本語 café ünïcode"},
		{"back\\slash", "back\\slash", "back\\slash"},
		{"", "", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Lines(tc.in); got != tc.lines {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, tc.lines)
		}
		if Safe(tc.in) != (Escape(tc.in) == tc.in) {
			t.Errorf("Safe(%q) disagrees with Escape", tc.in)
		}
	}
}

// FuzzEscape: whatever the input, the result is valid UTF-8, one line, and holds no byte a
// terminal acts on.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"\x1b]0;title\x07", "a\nb", "\xc2\x9b", "\xe2\x80\xae", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, out)
		}
		for _, r := range out {
			if needs(r, utf8.RuneLen(r), false) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
		if strings.ContainsAny(Lines(s), "\x1b\r\x00") {
			t.Fatalf("Lines(%q) keeps a control byte", s)
		}
	})
}
