package webshell

import "bytes"

var rubyOps = []string{"**=", "||=", "&&=", "<=>", "===", "...", "<<=", ">>=", "==", "!=", "=~", "!~", "<=", ">=", "&&", "||",
	"+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "**", "::", "..", "=>", "->", "<<", ">>", "&."}

var rubyRegexAfter = map[string]bool{"if": true, "unless": true, "when": true, "and": true, "or": true, "not": true,
	"return": true, "while": true, "until": true, "gsub": true, "sub": true, "match": true, "scan": true, "split": true}

// lexRuby tokenizes Ruby: comments, =begin/=end and what follows __END__ are dropped; strings,
// %q %Q %w %x %r literals and heredocs are read with their #{...} interpolations; `...` and %x
// are commands; :name symbols are strings; a line break outside brackets ends a statement.
func lexRuby(src []byte) []tok {
	l := &lexer{src: src}
	depth := 0
	var skipFrom, skipTo []int
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
			if bytes.HasPrefix(src[l.i:], []byte("=begin")) {
				j := bytes.Index(src[l.i:], []byte("\n=end"))
				if j < 0 {
					return l.toks
				}
				l.i = lineEnd(src, l.i+j+1)
				continue
			}
			if bytes.HasPrefix(src[l.i:], []byte("__END__")) {
				return l.toks
			}
		}
		atLineStart = false
		switch {
		case c == '\n':
			if depth == 0 {
				l.emit(tok{k: tkNL, pos: int32(l.i), end: int32(l.i + 1)})
			}
			l.i++
			atLineStart = true
			if len(skipFrom) > 0 && l.i >= skipFrom[0] {
				l.i = max(l.i, skipTo[0])
				skipFrom, skipTo = skipFrom[1:], skipTo[1:]
			}
		case c == '\\' && l.i+1 < len(src) && src[l.i+1] == '\n':
			l.i += 2
		case isSpace(c):
			l.i++
		case c == '#':
			l.i = lineEnd(src, l.i)
		case c == '@' && l.i+1 < len(src) && (isIdentStart(src[l.i+1]) || src[l.i+1] == '@'):
			st := l.i
			for l.i < len(src) && src[l.i] == '@' {
				l.i++
			}
			n := l.ident()
			l.emit(tok{k: tkVar, sig: '@', pos: int32(st), end: int32(l.i), s: n, lc: asciiLower(n)})
		case c == '$' && l.i+1 < len(src) && (isIdentStart(src[l.i+1]) || bytes.IndexByte([]byte("0123456789!@&`'+~=/\\,;.<>_*$?:\""), src[l.i+1]) >= 0):
			st := l.i
			l.i++
			var n string
			if isIdentStart(src[l.i]) {
				n = l.ident()
			} else {
				n = string(src[l.i])
				l.i++
			}
			l.emit(tok{k: tkVar, sig: '$', pos: int32(st), end: int32(l.i), s: n, lc: asciiLower(n)})
		case c == ':' && l.i+1 < len(src) && isIdentStart(src[l.i+1]) && (l.i == 0 || !isIdentByte(src[l.i-1]) && src[l.i-1] != ':'):
			st := l.i
			l.i++
			n := l.ident()
			l.emit(tok{k: tkStr, pos: int32(st), end: int32(l.i), s: n})
		case c == '\'':
			l.perlQuoted('\'', '\'', l.i, l.i+1, false, tkStr)
		case c == '"':
			l.rubyQuoted('"', '"', l.i, l.i+1, tkStr)
		case c == '`':
			l.rubyQuoted('`', '`', l.i, l.i+1, tkCmd)
		case c == '%' && l.i+1 < len(src) && l.rubyTermOK() && l.rubyPercent():
		case c == '<' && l.i+2 < len(src) && src[l.i+1] == '<' && (src[l.i+2] == '~' || src[l.i+2] == '-' || src[l.i+2] == '"' || src[l.i+2] == '\'' || src[l.i+2] >= 'A' && src[l.i+2] <= 'Z') && l.regexOK():
			if from, to, ok := l.rubyHeredoc(skipTo); ok {
				skipFrom = append(skipFrom, from)
				skipTo = append(skipTo, to)
			} else {
				l.operator(rubyOps)
			}
		case c == '/' && l.rubyTermOK():
			l.perlPattern(l.i, l.i, 1)
		case isIdentStart(c):
			st := l.i
			w := l.ident()
			if l.i < len(src) && (src[l.i] == '?' || src[l.i] == '!') && !(l.i+1 < len(src) && src[l.i+1] == '=') {
				l.i++
				w = string(src[st:l.i])
			}
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: w, lc: asciiLower(w)})
		case isDigit(c):
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
			l.operator(rubyOps)
		}
	}
	return l.toks
}

func (l *lexer) rubyQuoted(open, close byte, st, body int, k tkind) {
	e := delimited(l.src, body, open, close)
	raw := l.src[body:e]
	l.i = min(e+1, len(l.src))
	t := tok{k: k, pos: int32(st), end: int32(l.i)}
	scriptInterp(&t, raw, '#', false)
	l.emit(t)
}

// rubyPercent reads %q() %Q() %w() %i() %x() %r() and %() literals.
func (l *lexer) rubyPercent() bool {
	src := l.src
	st := l.i
	j := l.i + 1
	kind := byte('Q')
	if isIdentStart(src[j]) {
		kind = src[j]
		j++
	}
	if j >= len(src) {
		return false
	}
	d := src[j]
	if isIdentByte(d) || isSpace(d) || d == '=' {
		return false
	}
	switch kind {
	case 'q', 'w', 'i':
		l.perlQuoted(d, closerOf(d), st, j+1, false, tkStr)
	case 'Q', 'W', 'I':
		l.rubyQuoted(d, closerOf(d), st, j+1, tkStr)
	case 'x':
		l.rubyQuoted(d, closerOf(d), st, j+1, tkCmd)
	case 'r':
		l.perlPattern(st, j, 1)
	default:
		return false
	}
	return true
}

func (l *lexer) rubyHeredoc(skipTo []int) (int, int, bool) {
	src := l.src
	j := l.i + 2
	if src[j] == '~' || src[j] == '-' {
		j++
	}
	q := byte(0)
	if j < len(src) && (src[j] == '"' || src[j] == '\'') {
		q = src[j]
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
	body := lineEnd(src, k) + 1
	if n := len(skipTo); n > 0 && skipTo[n-1] > body {
		body = skipTo[n-1]
	}
	body = min(body, len(src))
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
	if q == '\'' {
		t.s = string(src[body:max(body, end)])
	} else {
		scriptInterp(&t, src[body:max(body, end)], '#', false)
		t.fl |= fHeredoc
	}
	l.emit(t)
	l.i = k
	return body, next, true
}

// rubyTermOK is regexOK with Ruby's own rule for a method called without parentheses: after a
// name, a space before the mark and none after it start a literal ("puts %x(id)", "m /re/").
func (l *lexer) rubyTermOK() bool {
	if l.regexOK() {
		return true
	}
	n := len(l.toks)
	return n > 0 && l.toks[n-1].k == tkIdent && l.i > 0 && l.src[l.i-1] == ' ' && l.i+1 < len(l.src) && !isSpace(l.src[l.i+1]) && l.src[l.i+1] != '='
}
