package webshell

var vbOps = []string{"<>", "<=", ">=", "&=", "+=", "-=", ":="}

// lexVB tokenizes VBScript and VB.NET: names are compared lower-cased, ' and REM start a
// comment, "..." is a string ("" a quote), a line break (unless continued with _) and ':' end a
// statement (tkNL), &H1F is a number.
func lexVB(src []byte) []tok {
	l := &lexer{src: src}
	for l.i < len(src) && !l.full() {
		c := src[l.i]
		switch {
		case c == '\n' || c == ':' && !(l.i+1 < len(src) && src[l.i+1] == '='):
			l.emit(tok{k: tkNL, pos: int32(l.i), end: int32(l.i + 1)})
			l.i++
		case isSpace(c):
			l.i++
		case c == '_' && l.i+1 < len(src) && (src[l.i+1] == '\n' || src[l.i+1] == '\r') && (l.i == 0 || isSpace(src[l.i-1])):
			l.i = lineEnd(src, l.i) + 1 // line continuation
		case c == '\'':
			l.i = lineEnd(src, l.i)
		case c == '"':
			st := l.i
			l.i++
			var b []byte
			for l.i < len(src) {
				if src[l.i] == '"' {
					if l.i+1 < len(src) && src[l.i+1] == '"' {
						b = append(b, '"')
						l.i += 2
						continue
					}
					break
				}
				if src[l.i] == '\n' {
					break
				}
				b = append(b, src[l.i])
				l.i++
			}
			l.i++
			l.emit(tok{k: tkStr, pos: int32(st), end: int32(min(l.i, len(src))), s: string(b)})
		case c == '&' && l.i+1 < len(src) && (src[l.i+1] == 'h' || src[l.i+1] == 'H') && l.i+2 < len(src) && isHex(src[l.i+2]):
			st := l.i
			l.i += 2
			for l.i < len(src) && isHex(src[l.i]) {
				l.i++
			}
			l.emit(tok{k: tkNum, pos: int32(st), end: int32(l.i), s: string(src[st:l.i])})
		case isIdentStart(c):
			st := l.i
			name := l.ident()
			lc := asciiLower(name)
			if lc == "rem" && (l.i >= len(src) || isSpace(src[l.i])) {
				l.i = lineEnd(src, l.i)
				continue
			}
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: name, lc: lc})
		case isDigit(c):
			l.number()
		case c == '#' && l.i+1 < len(src) && isDigit(src[l.i+1]):
			l.skipTo("#") // a date literal's opening mark; the rest reads as numbers
		default:
			l.operator(vbOps)
		}
	}
	return l.toks
}
