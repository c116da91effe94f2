package webshell

import "bytes"

var pyOps = []string{"**=", "//=", ">>=", "<<=", "...", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
	"->", "**", "//", "<<", ">>", ":="}

// lexPython tokenizes Python: comments dropped, strings with their prefixes (r, b, u, f) and
// triple quotes, f-strings keeping the names they interpolate; a line break outside brackets
// ends a statement (tkNL).
func lexPython(src []byte) []tok {
	l := &lexer{src: src}
	depth := 0
	for l.i < len(src) && !l.full() {
		c := src[l.i]
		switch {
		case c == '\n':
			if depth == 0 {
				l.emit(tok{k: tkNL, pos: int32(l.i), end: int32(l.i + 1)})
			}
			l.i++
		case c == '\\' && l.i+1 < len(src) && (src[l.i+1] == '\n' || src[l.i+1] == '\r'):
			l.i = lineEnd(src, l.i) + 1
		case isSpace(c):
			l.i++
		case c == '#':
			l.i = lineEnd(src, l.i)
		case c == '"' || c == '\'':
			l.pyString(l.i, "")
		case isIdentStart(c):
			st := l.i
			w := l.ident()
			if len(w) <= 2 && l.i < len(src) && (src[l.i] == '"' || src[l.i] == '\'') && isPyPrefix(w) {
				l.pyString(st, asciiLower(w))
				continue
			}
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: w, lc: asciiLower(w)})
		case isDigit(c) || c == '.' && l.i+1 < len(src) && isDigit(src[l.i+1]):
			l.number()
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			l.operator(pyOps)
		}
	}
	return l.toks
}

func isPyPrefix(w string) bool {
	switch asciiLower(w) {
	case "r", "b", "u", "f", "rb", "br", "fr", "rf":
		return true
	}
	return false
}

// pyString reads a string at l.i (its prefix, if any, from st).
func (l *lexer) pyString(st int, prefix string) {
	src := l.src
	q := src[l.i]
	triple := bytes.HasPrefix(src[l.i:], []byte{q, q, q})
	raw := bytes.IndexByte([]byte(prefix), 'r') >= 0
	var body, end int
	if triple {
		body = l.i + 3
		e := bytes.Index(src[body:], []byte{q, q, q})
		// a quote escaped just before the closing triple belongs to the body
		for e > 0 && src[body+e-1] == '\\' && !raw {
			n := bytes.Index(src[body+e+1:], []byte{q, q, q})
			if n < 0 {
				e = -1
				break
			}
			e += 1 + n
		}
		if e < 0 {
			end = len(src)
			l.i = len(src)
		} else {
			end = body + e
			l.i = end + 3
		}
	} else {
		body = l.i + 1
		j := body
		for j < len(src) && src[j] != q && src[j] != '\n' {
			if src[j] == '\\' {
				j++
			}
			j++
		}
		end = min(j, len(src))
		l.i = min(end+1, len(src))
	}
	rawBody := src[body:end]
	t := tok{k: tkStr, pos: int32(st), end: int32(l.i)}
	if triple {
		t.fl |= fHeredoc
	}
	switch {
	case bytes.IndexByte([]byte(prefix), 'f') >= 0:
		var v []byte
		if raw {
			v = rawBody
		} else {
			v = cUnescape(rawBody)
		}
		scriptInterp(&t, v, '#', false)
		// f-strings interpolate {expr}: read them the way Ruby's #{expr} is read
		if bytes.IndexByte(v, '{') >= 0 {
			scriptInterp(&t, bytes.ReplaceAll(v, []byte("{"), []byte("#{")), '#', false)
		}
	case raw:
		t.s = string(rawBody)
	default:
		t.s = string(cUnescape(rawBody))
		if escapeShare(rawBody) {
			t.fl |= fEscaped
		}
	}
	l.emit(t)
}
