package webshell

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

var phpOps = []string{"<<=", ">>=", "**=", "...", "<=>", "===", "!==", "??=", "?->",
	"==", "!=", "<>", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", ".=", "%=", "&=", "|=", "^=",
	"->", "=>", "::", "<<", ">>", "??", "**", "${"}

// lexPHP tokenizes a PHP file: the text outside <?php ... ?> becomes tkHTML tokens, "<?=" an
// echo, "?>" a statement end; comments are dropped; strings keep their interpolated variables.
// code says the text starts inside PHP (decoded payloads for eval have no open tag).
func lexPHP(src []byte, code bool) []tok {
	l := &lexer{src: src}
	inPHP := code
	for l.i < len(src) && !l.full() {
		if !inPHP {
			j := indexPHPOpenAt(src, l.i)
			if j < 0 {
				l.emit(tok{k: tkHTML, pos: int32(l.i), end: int32(len(src))})
				break
			}
			if j > l.i {
				l.emit(tok{k: tkHTML, pos: int32(l.i), end: int32(j)})
			}
			l.i = j
			switch {
			case bytes.HasPrefix(src[j:], []byte("<?=")):
				l.emit(tok{k: tkIdent, pos: int32(j), end: int32(j + 3), s: "echo", lc: "echo"})
				l.i += 3
			case src[j] == '<' && src[j+1] == '?':
				l.i += 2
				if len(src)-l.i >= 3 && asciiLower(string(src[l.i:l.i+3])) == "php" {
					l.i += 3
				}
			default: // <script language="php">
				l.i = j + bytes.IndexByte(src[j:], '>') + 1
			}
			inPHP = true
			continue
		}
		c := src[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '?' && l.i+1 < len(src) && src[l.i+1] == '>':
			l.emit(tok{k: tkOp, pos: int32(l.i), end: int32(l.i + 2), s: ";"})
			l.i += 2
			if l.i < len(src) && src[l.i] == '\n' {
				l.i++
			}
			inPHP = false
		case c == '<' && bytes.HasPrefix(src[l.i:], []byte("</script")) && !code:
			l.emit(tok{k: tkOp, pos: int32(l.i), end: int32(l.i + 2), s: ";"})
			l.skipTo(">")
			inPHP = false
		case c == '#' && !(l.i+1 < len(src) && src[l.i+1] == '['), c == '/' && l.i+1 < len(src) && src[l.i+1] == '/':
			for l.i < len(src) && src[l.i] != '\n' && !(src[l.i] == '?' && l.i+1 < len(src) && src[l.i+1] == '>') {
				l.i++
			}
		case c == '/' && l.i+1 < len(src) && src[l.i+1] == '*':
			l.i += 2
			l.skipTo("*/")
		case c == '$' && l.i+1 < len(src) && isIdentStart(src[l.i+1]):
			st := l.i
			l.i++
			name := l.ident()
			l.emit(tok{k: tkVar, sig: '$', pos: int32(st), end: int32(l.i), s: name, lc: asciiLower(name)})
		case isIdentStart(c) || c == '\\' && l.i+1 < len(src) && isIdentStart(src[l.i+1]):
			st := l.i
			last := st
			for l.i < len(src) && (isIdentByte(src[l.i]) || src[l.i] == '\\' && l.i+1 < len(src) && isIdentStart(src[l.i+1])) {
				if src[l.i] == '\\' {
					last = l.i + 1
				}
				l.i++
			}
			name := string(src[last:l.i])
			lc := asciiLower(name)
			if lc == "__halt_compiler" {
				l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: name, lc: lc})
				return l.toks
			}
			if (lc == "b" || lc == "B") && l.i < len(src) && (src[l.i] == '\'' || src[l.i] == '"') {
				continue // binary string prefix b'...'
			}
			l.emit(tok{k: tkIdent, pos: int32(st), end: int32(l.i), s: name, lc: lc})
		case isDigit(c) || c == '.' && l.i+1 < len(src) && isDigit(src[l.i+1]):
			l.number()
		case c == '\'':
			l.phpSingle()
		case c == '"':
			l.phpDouble('"', tkStr)
		case c == '`':
			l.phpDouble('`', tkCmd)
		case c == '<' && bytes.HasPrefix(src[l.i:], []byte("<<<")):
			if !l.phpHeredoc() {
				l.operator(phpOps)
			}
		default:
			l.operator(phpOps)
		}
	}
	return l.toks
}

// indexPHPOpenAt finds the next PHP open tag at or after i: "<?php", "<?=", "<?" not followed
// by "xml", or <script language="php">.
func indexPHPOpenAt(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return -1
		}
		at := i + j
		rest := b[at+1:]
		if len(rest) > 0 && rest[0] == '?' {
			r := rest[1:]
			if len(r) >= 3 && (r[0]|0x20) == 'x' && (r[1]|0x20) == 'm' && (r[2]|0x20) == 'l' {
				i = at + 2
				continue
			}
			return at
		}
		if len(rest) >= 6 && asciiLower(string(rest[:6])) == "script" {
			end := bytes.IndexByte(rest, '>')
			if end > 0 && end < 200 && bytes.Contains(bytes.ToLower(rest[:end]), []byte("php")) {
				return at
			}
		}
		i = at + 1
	}
}

func (l *lexer) phpSingle() {
	st := l.i
	l.i++
	var b []byte
	for l.i < len(l.src) && l.src[l.i] != '\'' {
		c := l.src[l.i]
		if c == '\\' && l.i+1 < len(l.src) && (l.src[l.i+1] == '\'' || l.src[l.i+1] == '\\') {
			b = append(b, l.src[l.i+1])
			l.i += 2
			continue
		}
		b = append(b, c)
		l.i++
	}
	l.i++
	l.emit(tok{k: tkStr, pos: int32(st), end: int32(min(l.i, len(l.src))), s: string(b)})
}

// phpDouble reads a "..." string or `...` command with escapes and interpolation.
func (l *lexer) phpDouble(q byte, k tkind) {
	st := l.i
	l.i++
	body := l.i
	for l.i < len(l.src) && l.src[l.i] != q {
		if l.src[l.i] == '\\' {
			l.i++
		}
		l.i++
	}
	end := min(l.i, len(l.src))
	l.i = end + 1
	t := tok{k: k, pos: int32(st), end: int32(min(l.i, len(l.src)))}
	phpInterp(&t, l.src[body:end], q)
	l.emit(t)
}

// phpHeredoc reads <<<ID ... ID, <<<"ID" and nowdoc <<<'ID'.
func (l *lexer) phpHeredoc() bool {
	src := l.src
	j := l.i + 3
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	nowdoc := false
	if j < len(src) && (src[j] == '\'' || src[j] == '"') {
		nowdoc = src[j] == '\''
		j++
	}
	k := j
	for k < len(src) && isIdentByte(src[k]) {
		k++
	}
	id := src[j:k]
	if len(id) == 0 {
		return false
	}
	body := lineEnd(src, k) + 1
	if body > len(src) {
		body = len(src)
	}
	end, next := len(src), len(src)
	for p := body; p < len(src); {
		t := p
		for t < len(src) && (src[t] == ' ' || src[t] == '\t') {
			t++
		}
		if bytes.HasPrefix(src[t:], id) && (t+len(id) >= len(src) || !isIdentByte(src[t+len(id)])) {
			end, next = p, t+len(id)
			break
		}
		p = lineEnd(src, p) + 1
	}
	bodyEnd := end
	if bodyEnd > body {
		bodyEnd-- // the newline before the closing id
	}
	t := tok{k: tkStr, fl: fHeredoc, pos: int32(l.i), end: int32(next)}
	if nowdoc {
		t.s = string(src[body:max(body, bodyEnd)])
	} else {
		phpInterp(&t, src[body:max(body, bodyEnd)], 0)
		t.fl |= fHeredoc
	}
	l.emit(t)
	l.i = next
	return true
}

// phpInterp resolves the escapes of a double-quoted body and splits it into literal text and
// interpolated variables.
func phpInterp(t *tok, raw []byte, q byte) {
	var lit []byte
	var parts []strPart
	flush := func() {
		if len(lit) > 0 || len(parts) == 0 {
			parts = append(parts, strPart{text: string(lit)})
		}
		lit = nil
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
			case n == 'v':
				lit = append(lit, '\v')
			case n == 'e':
				lit = append(lit, 0x1b)
			case n == 'f':
				lit = append(lit, '\f')
			case n == '\\' || n == '$' || n == q && q != 0:
				lit = append(lit, n)
			case n == 'x' && i+2 < len(raw) && isHex(raw[i+2]):
				v, k := 0, i+2
				for k < len(raw) && k < i+4 && isHex(raw[k]) {
					v = v*16 + int(hexVal(raw[k]))
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
			case n == 'u' && i+2 < len(raw) && raw[i+2] == '{':
				e := bytes.IndexByte(raw[i+3:], '}')
				if e > 0 {
					if v, err := strconv.ParseUint(string(raw[i+3:i+3+e]), 16, 32); err == nil {
						lit = utf8.AppendRune(lit, rune(v))
						i += 3 + e
						continue
					}
				}
				lit = append(lit, c, n)
			default:
				lit = append(lit, c, n)
			}
			i++
			continue
		}
		if c == '$' && i+1 < len(raw) && isIdentStart(raw[i+1]) {
			k := i + 1
			for k < len(raw) && isIdentByte(raw[k]) {
				k++
			}
			flush()
			name := string(raw[i+1 : k])
			parts = append(parts, strPart{v: name})
			// $a[...] and $a->b belong to the variable
			if k < len(raw) && raw[k] == '[' {
				if e := bytes.IndexByte(raw[k:], ']'); e > 0 {
					k += e + 1
					t.fl |= fBadVar
				}
			} else if k+2 < len(raw) && raw[k] == '-' && raw[k+1] == '>' && isIdentStart(raw[k+2]) {
				k += 2
				for k < len(raw) && isIdentByte(raw[k]) {
					k++
				}
				t.fl |= fBadVar
			}
			i = k - 1
			continue
		}
		if (c == '{' && i+1 < len(raw) && raw[i+1] == '$') || (c == '$' && i+1 < len(raw) && raw[i+1] == '{') {
			// {$expr} or ${name}: the variables in it, to the matching brace
			depth, k := 0, i
			for ; k < len(raw); k++ {
				if raw[k] == '{' {
					depth++
				} else if raw[k] == '}' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			flush()
			inner := raw[min(i+1, len(raw)):min(k, len(raw))]
			simple := true
			for p := 0; p < len(inner); p++ {
				if inner[p] == '$' || (p == 0 && c == '$' && inner[p] == '{') {
					continue
				}
				if !isIdentByte(inner[p]) {
					simple = false
				}
			}
			if !simple {
				t.fl |= fBadVar
			}
			for p := 0; p < len(inner); p++ {
				if (inner[p] == '$' || p == 1 && c == '$') && p+1 <= len(inner) {
					st := p
					if inner[p] == '$' {
						st = p + 1
					}
					e := st
					for e < len(inner) && isIdentByte(inner[e]) {
						e++
					}
					if e > st {
						parts = append(parts, strPart{v: string(inner[st:e])})
						p = e - 1
					}
				}
			}
			i = k
			continue
		}
		lit = append(lit, c)
	}
	if len(lit) > 0 || len(parts) == 0 {
		parts = append(parts, strPart{text: string(lit)})
	}
	if escapeShare(raw) {
		t.fl |= fEscaped
	}
	hasVar := false
	for _, p := range parts {
		if p.v != "" {
			hasVar = true
		}
	}
	if hasVar {
		t.fl |= fInterp
		t.parts = parts
		var sb []byte
		for _, p := range parts {
			sb = append(sb, p.text...)
		}
		t.s = string(sb)
		return
	}
	t.s = parts[0].text
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
