package webshell

// span is a half-open range [lo, hi) of a view.
type span struct{ lo, hi int }

// splitArgs splits the argument list between b[open] == '(' and b[close] into top-level
// arguments, respecting nested brackets and quoted strings.
func splitArgs(b []byte, open, close int) []span {
	var out []span
	depth := 0
	var quote byte
	start := open + 1
	for i := open + 1; i < close && i < len(b); i++ {
		c := b[i]
		if quote != 0 {
			if c == '\\' {
				i++
				continue
			}
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			quote = c
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, span{start, i})
				start = i + 1
			}
		}
		if len(out) > 16 {
			break
		}
	}
	if close > len(b) {
		close = len(b)
	}
	if start <= close {
		out = append(out, span{start, close})
	}
	return out
}

// literal returns the content of a quoted string that makes up all of b (after the quotes are
// stripped), and whether b is one.
func literal(b []byte) ([]byte, byte, bool) {
	if len(b) < 2 {
		return nil, 0, false
	}
	q := b[0]
	if (q != '"' && q != '\'') || b[len(b)-1] != q {
		return nil, 0, false
	}
	inner := b[1 : len(b)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' {
			i++
			continue
		}
		if inner[i] == q {
			return nil, 0, false
		}
	}
	return inner, q, true
}

// unescape resolves the escapes of a PHP double-quoted string that obfuscators use: \xHH,
// octal \NNN, and \\ \" \'.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		n := s[i+1]
		switch {
		case n == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]):
			out = append(out, hexVal(s[i+2])<<4|hexVal(s[i+3]))
			i += 3
		case n == 'x' && i+2 < len(s) && isHex(s[i+2]):
			out = append(out, hexVal(s[i+2]))
			i += 2
		case '0' <= n && n <= '7':
			v, k := 0, i+1
			for k < len(s) && k < i+4 && '0' <= s[k] && s[k] <= '7' {
				v = v*8 + int(s[k]-'0')
				k++
			}
			out = append(out, byte(v))
			i = k - 1
		default:
			out = append(out, n)
			i++
		}
	}
	return out
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

func reverse(s []byte) []byte {
	out := make([]byte, len(s))
	for i, c := range s {
		out[len(s)-1-i] = c
	}
	return out
}

func rot13(s []byte) []byte {
	out := make([]byte, len(s))
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		out[i] = c
	}
	return out
}
