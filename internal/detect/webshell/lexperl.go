package webshell

import "bytes"

var perlOps = []string{"<=>", "**=", "||=", "&&=", "//=", "...", "<<=", ">>=", "=~", "!~", "==", "!=", "<=", ">=", "&&", "||", "//",
	"++", "--", "+=", "-=", "*=", "/=", ".=", "%=", "x=", "&=", "|=", "^=", "->", "=>", "::", "..", "**", "<<", ">>"}

// perlRegexAfter are the words after which a '/' starts a pattern, not a division.
var perlRegexAfter = map[string]bool{"split": true, "grep": true, "if": true, "unless": true, "and": true, "or": true,
	"not": true, "return": true, "while": true, "until": true, "push": true, "unshift": true, "join": true, "map": true, "when": true,
	// words after which a term starts: %h and &f are variables there, not modulus and bit-and
	"my": true, "our": true, "local": true, "keys": true, "values": true, "each": true, "scalar": true,
	"defined": true, "exists": true, "delete": true, "foreach": true, "for": true, "print": true, "sort": true}

// lexPerl tokenizes Perl: comments, POD and what follows __END__ are dropped; '...', "...",
// q//, qq//, qw//, heredocs are strings (double-quoted ones keep their interpolated variables);
// `...` and qx// are commands; m//, s///, tr///, qr// and /.../ are patterns.
func lexPerl(src []byte) []tok {
	l := &lexer{src: src}
	var skipFrom, skipTo []int // heredoc bodies, read when their operator was seen
	atLineStart := true
	for l.i < len(src) && !l.full() {
		if len(skipFrom) > 0 && l.i >= skipFrom[0] {
			l.i = max(l.i, skipTo[0])
			skipFrom, skipTo = skipFrom[1:], skipTo[1:]
			atLineStart = true
			continue
		}
		c := src[l.i]
		if atLineStart {
			if c == '=' && l.i+1 < len(src) && isIdentStart(src[l.i+1]) {
				// POD to "=cut"
				j := bytes.Index(src[l.i:], []byte("\n=cut"))
				if j < 0 {
					return l.toks
				}
				l.i = lineEnd(src, l.i+j+1)
				continue
			}
			if bytes.HasPrefix(src[l.i:], []byte("__END__")) || bytes.HasPrefix(src[l.i:], []byte("__DATA__")) {
				return l.toks
			}
		}
		atLineStart = false
		switch {
		case c == '\n':
			l.i++
			atLineStart = true
			if len(skipFrom) > 0 && l.i >= skipFrom[0] {
				l.i = max(l.i, skipTo[0])
				skipFrom, skipTo = skipFrom[1:], skipTo[1:]
			}
		case isSpace(c):
			l.i++
		case c == '#':
			l.i = lineEnd(src, l.i)
		case (c == '$' || c == '@' || c == '%' || c == '&') && l.i+1 < len(src) && l.perlVarStart(c):
			l.perlVar(c)
		case c == '\'':
			l.perlQuoted('\'', '\'', l.i, l.i+1, false, tkStr)
		case c == '"':
			l.perlQuoted('"', '"', l.i, l.i+1, true, tkStr)
		case c == '`':
			l.perlQuoted('`', '`', l.i, l.i+1, true, tkCmd)
		case c == '<' && l.i+2 < len(src) && src[l.i+1] == '<' && (src[l.i+2] == '"' || src[l.i+2] == '\'' || src[l.i+2] == '~' || isIdentStart(src[l.i+2])) && l.regexOK():
			if from, to, ok := l.perlHeredoc(skipFrom, skipTo); ok {
				skipFrom = append(skipFrom, from)
				skipTo = append(skipTo, to)
			} else {
				l.operator(perlOps)
			}
		case c == '/' && l.regexOK():
			l.perlPattern(l.i, l.i, 1)
		case c == '<' && l.readlineOK():
			// <STDIN>, <$fh>, <FH>, <>: a line read from a handle, one token named as written
			e := bytes.IndexByte(src[l.i:], '>')
			w := string(src[l.i : l.i+e+1])
			l.emit(tok{k: tkIdent, pos: int32(l.i), end: int32(l.i + e + 1), s: w, lc: asciiLower(w)})
			l.i += e + 1
		case isIdentStart(c):
			st := l.i
			for l.i < len(src) && (isIdentByte(src[l.i]) || src[l.i] == ':' && l.i+2 < len(src) && src[l.i+1] == ':' && isIdentStart(src[l.i+2])) {
				if src[l.i] == ':' {
					l.i++
				}
				l.i++
			}
			w := string(src[st:l.i])
			if l.perlQuoteLike(w, st) {
				continue
			}
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: w, lc: asciiLower(w)})
		case isDigit(c):
			l.number()
		default:
			l.operator(perlOps)
		}
	}
	return l.toks
}

func (l *lexer) perlVarStart(sig byte) bool {
	n := l.src[l.i+1]
	if isIdentStart(n) || n == '{' && sig != '%' && sig != '&' || n == ':' && l.i+2 < len(l.src) && l.src[l.i+2] == ':' {
		if sig == '%' || sig == '&' {
			// modulus and bit-and: only after an operator or at the start
			return l.regexOK()
		}
		return true
	}
	if sig == '$' && (isDigit(n) || bytes.IndexByte([]byte("_&`'+!@/\\,;.0<>[]^#$"), n) >= 0) {
		return true
	}
	if sig == '@' && n == '_' {
		return true
	}
	return false
}

func (l *lexer) perlVar(sig byte) {
	st := l.i
	l.i++
	src := l.src
	var name string
	switch {
	case src[l.i] == '{':
		e := bytes.IndexByte(src[l.i:min(len(src), l.i+200)], '}')
		inner := []byte(nil)
		if e > 0 {
			inner = bytes.TrimSpace(src[l.i+1 : l.i+e])
		}
		if len(inner) > 0 && isIdentStart(inner[0]) && len(bytes.TrimFunc(inner, func(r rune) bool { return r < 0x80 && isIdentByte(byte(r)) })) == 0 {
			name = string(inner)
			l.i += e + 1
		} else {
			// ${ expr }: a dereference; the sigil alone, the block follows
			l.emit(tok{k: tkOp, pos: int32(st), end: int32(st + 1), s: string(sig)})
			return
		}
	case sig == '$' && src[l.i] == '#':
		l.i++
		if l.i < len(src) && (isIdentStart(src[l.i]) || src[l.i] == '{' || src[l.i] == '$') {
			if src[l.i] == '$' || src[l.i] == '{' {
				l.emit(tok{k: tkOp, pos: int32(st), end: int32(l.i), s: "$#"})
				return
			}
			name = l.ident()
		} else {
			name = "#"
		}
	case isIdentStart(src[l.i]) || src[l.i] == ':':
		s := l.i
		for l.i < len(src) && (isIdentByte(src[l.i]) || src[l.i] == ':' && l.i+1 < len(src) && src[l.i+1] == ':') {
			if src[l.i] == ':' {
				l.i++
			}
			l.i++
		}
		name = string(src[s:l.i])
		if len(name) > 2 && name[:2] == "::" {
			name = "main" + name
		}
	default:
		name = string(src[l.i : l.i+1])
		l.i++
		for isDigit(name[0]) && l.i < len(src) && isDigit(src[l.i]) {
			name += string(src[l.i])
			l.i++
		}
	}
	if i := bytes.LastIndex([]byte(name), []byte("::")); i >= 0 && name[:i] == "main" {
		name = name[i+2:]
	}
	l.emit(tok{k: tkVar, sig: sig, pos: int32(st), end: int32(l.i), s: name, lc: asciiLower(name)})
}

// regexOK reports whether a '/' (or '<<', '%', '&') here starts a term rather than being an
// operator: after another operator, at the start, or after a word that takes a list.
func (l *lexer) regexOK() bool {
	if len(l.toks) == 0 {
		return true
	}
	p := l.toks[len(l.toks)-1]
	switch p.k {
	case tkOp:
		return p.s != ")" && p.s != "]" && p.s != "}"
	case tkIdent:
		return perlRegexAfter[p.s] || rubyRegexAfter[p.s]
	case tkNL:
		return true
	}
	return false
}

// readlineOK reports a '<' that starts a read from a handle (<STDIN>, <$fh>, <FH>, <>) where a
// term may start.
func (l *lexer) readlineOK() bool {
	src := l.src
	j := l.i + 1
	if j < len(src) && src[j] == '$' {
		j++
	}
	st := j
	for j < len(src) && j-st < 64 && (isIdentByte(src[j]) || src[j] == ':') {
		j++
	}
	if j >= len(src) || src[j] != '>' || st < j && !isIdentStart(src[st]) {
		return false
	}
	if len(l.toks) > 0 {
		p := l.toks[len(l.toks)-1]
		if p.k == tkIdent && (p.lc == "chomp" || p.lc == "lc" || p.lc == "uc") {
			return true
		}
	}
	return l.regexOK()
}

func closerOf(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return c
}

// delimited returns the end of a body that starts at i and ends with close (open nests when it
// differs from close), skipping backslash escapes; the index of the closing delimiter.
func delimited(b []byte, i int, open, close byte) int {
	depth := 0
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\\' {
			i++
			continue
		}
		if open != close && c == open {
			depth++
			continue
		}
		if c == close {
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(b)
}

// perlQuoted reads a quoted body starting at body (the opening delimiter just before it).
func (l *lexer) perlQuoted(open, close byte, st, body int, interp bool, k tkind) {
	e := delimited(l.src, body, open, close)
	raw := l.src[body:e]
	l.i = min(e+1, len(l.src))
	t := tok{k: k, pos: int32(st), end: int32(l.i)}
	if interp {
		scriptInterp(&t, raw, '$', true)
	} else {
		t.s = string(bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte(`\`+string(close)), []byte{close}), []byte(`\\`), []byte(`\`)))
	}
	l.emit(t)
}

// perlQuoteLike reads q qq qw qx m qr s tr y and their bodies; false when w is another word.
func (l *lexer) perlQuoteLike(w string, st int) bool {
	switch w {
	case "q", "qq", "qw", "qx", "m", "qr", "s", "tr", "y":
	default:
		return false
	}
	j := l.i
	for j < len(l.src) && (l.src[j] == ' ' || l.src[j] == '\t') {
		j++
	}
	if j >= len(l.src) {
		return false
	}
	d := l.src[j]
	if isIdentByte(d) || isSpace(d) || d == ',' || d == ';' || d == ')' || (d == '=' && j+1 < len(l.src) && l.src[j+1] == '>') {
		return false // a hash key or a sub named like the operator
	}
	if (w == "s" || w == "y" || w == "m" || w == "q") && (d == '=' || d == '-') {
		return false
	}
	switch w {
	case "q", "qw":
		l.perlQuoted(d, closerOf(d), st, j+1, false, tkStr)
	case "qq":
		l.perlQuoted(d, closerOf(d), st, j+1, true, tkStr)
	case "qx":
		l.perlQuoted(d, closerOf(d), st, j+1, d != '\'', tkCmd)
	case "m", "qr":
		l.perlPattern(st, j, 1)
	default:
		l.perlPattern(st, j, 2)
	}
	return true
}

// perlPattern reads a pattern with parts bodies (m// is 1, s/// and tr/// are 2) and its flags.
func (l *lexer) perlPattern(st, at, parts int) {
	d := l.src[at]
	cl := closerOf(d)
	e := delimited(l.src, at+1, d, cl)
	pat := l.src[min(at+1, len(l.src)):e]
	var repl []byte
	i := e + 1
	if parts == 2 && i <= len(l.src) {
		if cl != d {
			for i < len(l.src) && isSpace(l.src[i]) {
				i++
			}
			if i < len(l.src) {
				d2 := l.src[i]
				e2 := delimited(l.src, i+1, d2, closerOf(d2))
				repl = l.src[min(i+1, len(l.src)):e2]
				i = e2 + 1
			}
		} else {
			e2 := delimited(l.src, i, d, d)
			repl = l.src[min(i, len(l.src)):e2]
			i = e2 + 1
		}
	}
	f := min(i, len(l.src))
	for f < len(l.src) && ('a' <= l.src[f] && l.src[f] <= 'z') {
		f++
	}
	flags := string(l.src[min(i, len(l.src)):f])
	l.i = f
	t := tok{k: tkRegex, pos: int32(st), end: int32(f), s: string(pat)}
	t.lc = flags
	if repl != nil {
		t.parts = []strPart{{text: string(repl)}}
	}
	l.emit(t)
}

// perlHeredoc reads <<"ID", <<'ID', <<ID, <<~ID: the string token now, its body (the lines
// after this one, to ID) to be skipped when the lexer gets there.
func (l *lexer) perlHeredoc(skipFrom, skipTo []int) (int, int, bool) {
	src := l.src
	j := l.i + 2
	if j < len(src) && src[j] == '~' {
		j++
	}
	interp := true
	q := byte(0)
	if src[j] == '"' || src[j] == '\'' {
		q = src[j]
		interp = q == '"'
		j++
	}
	k := j
	for k < len(src) && isIdentByte(src[k]) {
		k++
	}
	id := src[j:k]
	if len(id) == 0 {
		return 0, 0, false
	}
	if q != 0 {
		if k >= len(src) || src[k] != q {
			return 0, 0, false
		}
		k++
	}
	// the body starts after this line (or after the previous heredoc's body on it)
	body := lineEnd(src, k) + 1
	if n := len(skipTo); n > 0 && skipTo[n-1] > body {
		body = skipTo[n-1]
	}
	if body > len(src) {
		body = len(src)
	}
	end, next := len(src), len(src)
	for p := body; p < len(src); {
		t := p
		for t < len(src) && (src[t] == ' ' || src[t] == '\t') {
			t++
		}
		le := lineEnd(src, t)
		if bytes.Equal(bytes.TrimRight(src[t:le], "\r"), id) {
			end, next = p, min(le+1, len(src))
			break
		}
		p = le + 1
	}
	t := tok{k: tkStr, fl: fHeredoc, pos: int32(l.i), end: int32(k)}
	raw := src[body:max(body, end)]
	if interp {
		scriptInterp(&t, raw, '$', true)
	} else {
		t.s = string(raw)
	}
	t.fl |= fHeredoc
	l.emit(t)
	l.i = k
	return body, next, true
}

// scriptInterp resolves backslash escapes and splits a double-quoted body into text and the
// variables interpolated with sigil ($name, ${name}, @name; Ruby's #{expr} when ruby).
func scriptInterp(t *tok, raw []byte, sigil byte, at bool) {
	var lit []byte
	var parts []strPart
	hasVar := false
	flush := func() {
		if len(lit) > 0 {
			parts = append(parts, strPart{text: string(lit)})
			lit = nil
		}
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			n := raw[i+1]
			switch {
			case n == 'n':
				lit = append(lit, '\n')
			case n == 't':
				lit = append(lit, '\t')
			case n == 'r':
				lit = append(lit, '\r')
			case n == 'e':
				lit = append(lit, 0x1b)
			case n == 'x' && i+2 < len(raw) && (isHex(raw[i+2]) || raw[i+2] == '{'):
				k, v := i+2, 0
				brace := raw[k] == '{'
				if brace {
					k++
				}
				for k < len(raw) && isHex(raw[k]) && (brace || k < i+4) {
					v = v*16 + int(hexVal(raw[k]))
					k++
				}
				if brace && k < len(raw) && raw[k] == '}' {
					k++
				}
				lit = append(lit, byte(v))
				i = k - 1
				continue
			case '0' <= n && n <= '7':
				v, k := 0, i+1
				for k < len(raw) && k < i+4 && '0' <= raw[k] && raw[k] <= '7' {
					v = v*8 + int(raw[k]-'0')
					k++
				}
				lit = append(lit, byte(v))
				i = k - 1
				continue
			default:
				lit = append(lit, n)
			}
			i++
			continue
		}
		if sigil == '#' && c == '#' && i+1 < len(raw) && raw[i+1] == '{' {
			e := delimited(raw, i+2, '{', '}')
			flush()
			inner := raw[i+2 : e]
			// the names used in the expression
			for p := 0; p < len(inner); p++ {
				if isIdentStart(inner[p]) && (p == 0 || !isIdentByte(inner[p-1])) {
					q := p
					for q < len(inner) && isIdentByte(inner[q]) {
						q++
					}
					parts = append(parts, strPart{v: string(inner[p:q])})
					hasVar = true
					p = q
				}
			}
			t.fl |= fBadVar
			i = e
			continue
		}
		if sigil == '$' && (c == '$' || c == '@' && at) && i+1 < len(raw) && (isIdentStart(raw[i+1]) || raw[i+1] == '{' && c == '$') {
			k := i + 1
			if raw[k] == '{' {
				e := bytes.IndexByte(raw[k:], '}')
				if e < 0 {
					lit = append(lit, c)
					continue
				}
				flush()
				parts = append(parts, strPart{v: string(bytes.TrimSpace(raw[k+1 : k+e]))})
				hasVar = true
				i = k + e
				continue
			}
			for k < len(raw) && (isIdentByte(raw[k]) || raw[k] == ':' && k+1 < len(raw) && raw[k+1] == ':') {
				if raw[k] == ':' {
					k++
				}
				k++
			}
			flush()
			parts = append(parts, strPart{v: string(raw[i+1 : k])})
			hasVar = true
			if k < len(raw) && (raw[k] == '{' || raw[k] == '[') {
				e := bytes.IndexByte(raw[k:], closerOf(raw[k]))
				if e > 0 {
					k += e + 1
					t.fl |= fBadVar
				}
			} else if k+2 < len(raw) && raw[k] == '-' && raw[k+1] == '>' && (raw[k+2] == '{' || raw[k+2] == '[') {
				e := bytes.IndexByte(raw[k:], closerOf(raw[k+2]))
				if e > 0 {
					k += e + 1
					t.fl |= fBadVar
				}
			}
			i = k - 1
			continue
		}
		lit = append(lit, c)
	}
	flush()
	if escapeShare(raw) {
		t.fl |= fEscaped
	}
	if !hasVar {
		if len(parts) > 0 {
			t.s = parts[0].text
		}
		return
	}
	t.fl |= fInterp
	t.parts = parts
	var sb []byte
	for _, p := range parts {
		sb = append(sb, p.text...)
	}
	t.s = string(sb)
}
