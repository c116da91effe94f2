package weblog

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxRounds is how many times URL encoding is undone: attackers encode twice or three times
// ("%252e", "%%35%63") to slip past filters that decode once.
const maxRounds = 3

// normalize appends to dst the form of src the rules look at: URL encoding undone up to
// maxRounds times (%XX, IIS's %uXXXX, and "+" as a space when plus is set, first round only),
// overlong UTF-8 encodings of ASCII folded (%c0%af is "/"), backslashes as slashes, ASCII lower
// case. a and b are scratch buffers, returned for reuse.
func normalize(dst []byte, src string, plus bool, a, b []byte) (out, a2, b2 []byte) {
	if !needsDecode(src) && !(plus && strings.IndexByte(src, '+') >= 0) {
		return fold(dst, src), a, b
	}
	a = decodeOnce(a[:0], src, plus)
	for round := 1; round < maxRounds && needsDecode(a); round++ {
		b = decodeOnce(b[:0], a, false)
		a, b = b, a
	}
	return fold(dst, a), a, b
}

// needsDecode reports whether s holds a URL escape.
func needsDecode[T ~string | ~[]byte](s T) bool {
	for i := 0; i+2 < len(s); i++ {
		k := indexByte(s[i:], '%')
		if k < 0 {
			return false
		}
		i += k
		if i+2 < len(s) && (isHex(s[i+1]) && isHex(s[i+2]) || (s[i+1]|0x20) == 'u') {
			return true
		}
	}
	return false
}

// indexByte is strings.IndexByte or bytes.IndexByte.
func indexByte[T ~string | ~[]byte](s T, c byte) int {
	switch v := any(s).(type) {
	case string:
		return strings.IndexByte(v, c)
	case []byte:
		return bytes.IndexByte(v, c)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// decodeOnce undoes one round of URL encoding; invalid escapes are kept as they are.
func decodeOnce[T ~string | ~[]byte](dst []byte, s T, plus bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '%' && i+5 < len(s) && (s[i+1]|0x20) == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			r := rune(unhex(s[i+2]))<<12 | rune(unhex(s[i+3]))<<8 | rune(unhex(s[i+4]))<<4 | rune(unhex(s[i+5]))
			dst = appendWide(dst, r)
			i += 5
		case c == '+' && plus:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendWide appends a %uXXXX character: ASCII as itself, the look-alike slashes and full-width
// ASCII that IIS maps to ASCII ("best fit") as their ASCII, anything else in UTF-8.
func appendWide(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r == 0x2215 || r == 0x2044:
		return append(dst, '/')
	case r == 0x2216 || r == 0xfe68:
		return append(dst, '\\')
	case r >= 0xff01 && r <= 0xff5e:
		return append(dst, byte(r-0xfee0))
	}
	return utf8.AppendRune(dst, r)
}

// lower maps ASCII upper case to lower case and the backslash to a slash.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c + 32)
	}
	t['\\'] = '/'
	return
}()

func fold[T ~string | ~[]byte](dst []byte, s T) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(s))[:n+len(s)]
	out := dst[n:]
	w := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0xc0 {
			if v, k := overlong(s[i:]); k > 0 {
				out[w] = lower[v]
				w++
				i += k - 1
				continue
			}
		}
		out[w] = lower[c]
		w++
	}
	return dst[:n+w]
}

// overlong reads an overlong UTF-8 encoding of an ASCII character at the start of s (two bytes
// C0/C1 xx, or three bytes E0 80 xx), which old IIS decoded as the character: the value and
// the length, or n 0.
func overlong[T ~string | ~[]byte](s T) (v byte, n int) {
	switch {
	case len(s) >= 2 && (s[0] == 0xc0 || s[0] == 0xc1):
		// IIS ignored the continuation marker bits: %c1%1c was read as "\".
		return (s[0]&1)<<6 | s[1]&0x3f, 2
	case len(s) >= 3 && s[0] == 0xe0 && s[1]&0xe0 == 0x80 && s[2]&0xc0 == 0x80:
		return (s[1]&1)<<6 | s[2]&0x3f, 3
	}
	return 0, 0
}
