package webshell

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

var cOps = []string{">>>=", "<<=", ">>=", ">>>", "===", "!==", "...", "==", "!=", "<=", ">=", "&&", "||", "++", "--",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->", "=>", "::", "<<", ">>", "??", "?."}

// lexC tokenizes C-family code: Java (JSP scriptlets), C# and JScript (ASP.NET), JavaScript
// and CFScript. Comments are dropped; "..." and '...' are strings with their escapes
// resolved; C#'s @"..." and $"..." and Java's """ text blocks are read too. Java's \uXXXX
// escapes, which the compiler resolves anywhere in the source, are resolved first (see
// javaUnicode).
func lexC(src []byte) []tok {
	return lexCFamily(src, false)
}

// lexCF is lexC for CFScript, whose strings have no backslash escapes ("" is a quote).
func lexCF(src []byte) []tok {
	return lexCFamily(src, true)
}

func lexCFamily(src []byte, cf bool) []tok {
	l := &lexer{src: src, gbk: !utf8.Valid(src)}
	for l.i < len(src) && !l.full() {
		c := src[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '/' && l.i+1 < len(src) && src[l.i+1] == '/':
			l.i = lineEnd(src, l.i)
		case c == '/' && l.i+1 < len(src) && src[l.i+1] == '*':
			l.i += 2
			l.skipTo("*/")
		case c == '"' && bytes.HasPrefix(src[l.i:], []byte(`"""`)):
			st := l.i
			l.i += 3
			body := l.i
			l.skipTo(`"""`)
			e := max(body, l.i-3)
			l.emit(tok{k: tkStr, fl: fHeredoc, pos: int32(st), end: int32(l.i), s: string(cUnescape(src[body:e]))})
		case c == '"' || c == '\'':
			l.cString(c, cf)
		case (c == '@' || c == '$') && l.i+1 < len(src) && src[l.i+1] == '"':
			l.i++
			l.cString('"', c == '@')
		case isIdentStart(c) || c == '$':
			st := l.i
			for l.i < len(src) && (isIdentByte(src[l.i]) || src[l.i] == '$') {
				l.i++
			}
			name := string(src[st:l.i])
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: name, lc: asciiLower(name)})
		case isDigit(c) || c == '.' && l.i+1 < len(src) && isDigit(src[l.i+1]):
			l.number()
		default:
			l.operator(cOps)
		}
	}
	return l.toks
}

// cString reads a "..." or '...' literal (verbatim: C#'s @"...", where "" is a quote).
func (l *lexer) cString(q byte, verbatim bool) {
	st := l.i
	l.i++
	body := l.i
	for l.i < len(l.src) {
		c := l.src[l.i]
		if verbatim {
			if c == q {
				if l.i+1 < len(l.src) && l.src[l.i+1] == q {
					l.i += 2
					continue
				}
				break
			}
			l.i++
			continue
		}
		if c == '\\' && !l.dbcsTrail(body) {
			l.i += 2
			continue
		}
		if c == q || c == '\n' && q == '\'' {
			break
		}
		l.i++
	}
	end := min(l.i, len(l.src))
	l.i = end + 1
	raw := l.src[body:end]
	var v []byte
	if verbatim {
		v = bytes.ReplaceAll(raw, []byte{q, q}, []byte{q})
	} else {
		v = cUnescape(raw)
	}
	t := tok{k: tkStr, pos: int32(st), end: int32(min(l.i, len(l.src))), s: string(v)}
	if escapeShare(raw) {
		t.fl |= fEscaped
	}
	l.emit(t)
}

// cUnescape resolves C-family escapes: \n \t \r \b \f \0, octal, \xHH, \uXXXX and \\ \" \'.
func cUnescape(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		n := raw[i+1]
		switch {
		case n == 'n':
			out = append(out, '\n')
		case n == 't':
			out = append(out, '\t')
		case n == 'r':
			out = append(out, '\r')
		case n == 'b':
			out = append(out, '\b')
		case n == 'f':
			out = append(out, '\f')
		case '0' <= n && n <= '7':
			v, k := 0, i+1
			for k < len(raw) && k < i+4 && '0' <= raw[k] && raw[k] <= '7' {
				v = v*8 + int(raw[k]-'0')
				k++
			}
			out = append(out, byte(v))
			i = k - 1
			continue
		case n == 'x' && i+2 < len(raw) && isHex(raw[i+2]):
			v, k := 0, i+2
			for k < len(raw) && k < i+6 && isHex(raw[k]) {
				v = v*16 + int(hexVal(raw[k]))
				k++
			}
			out = utf8.AppendRune(out, rune(v))
			i = k - 1
			continue
		case n == 'u' && i+5 < len(raw):
			k := i + 2
			for k < len(raw) && raw[k] == 'u' {
				k++
			}
			if k+4 <= len(raw) {
				if v, err := strconv.ParseUint(string(raw[k:k+4]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(v))
					i = k + 3
					continue
				}
			}
			out = append(out, n)
		default:
			out = append(out, n)
		}
		i++
	}
	return out
}

// javaUnicode resolves \uXXXX escapes outside string literals, as the Java compiler does
// before it reads the source (obfuscated JSPs spell whole statements that way). It returns src
// itself when there is nothing to resolve.
func javaUnicode(src []byte) []byte {
	if !bytes.Contains(src, []byte(`\u`)) {
		return src
	}
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+5 < len(src) && src[i+1] == 'u' {
			k := i + 1
			for k < len(src) && src[k] == 'u' {
				k++
			}
			if k+4 <= len(src) {
				if v, err := strconv.ParseUint(string(src[k:k+4]), 16, 32); err == nil && (v < 0x80 && v >= 0x20 || v == '\n' || v == '\t') {
					out = append(out, byte(v))
					i = k + 3
					continue
				}
			}
		}
		if src[i] == '\\' && i+1 < len(src) {
			out = append(out, src[i], src[i+1])
			i++
			continue
		}
		out = append(out, src[i])
	}
	return out
}

// dbcsTrail reports whether the byte at l.i is the second byte of a double-byte character
// (GBK, Big5, Shift-JIS: a backslash can be one) in a file that is not UTF-8: an odd run of
// high bytes just before it.
func (l *lexer) dbcsTrail(lo int) bool {
	if !l.gbk {
		return false
	}
	n := 0
	for j := l.i - 1; j >= lo && l.src[j] >= 0x81; j-- {
		n++
	}
	return n%2 == 1
}
