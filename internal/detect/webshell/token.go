package webshell

// Tokens: every language's lexer turns a file into the same kinds of tokens, so the analysis
// (assignments, calls, request input reaching a sink, constant strings) is written once.

type tkind uint8

const (
	tkIdent tkind = iota + 1 // a name: function, keyword, class, constant, bare word
	tkVar                    // a variable with a sigil: PHP $x, Perl $x @x %x, Ruby @x $x
	tkStr                    // a string literal; s holds its value, escapes resolved
	tkNum                    // a number
	tkOp                     // an operator or punctuation mark
	tkCmd                    // a shell command literal (backticks, qx//, %x()); s holds the command
	tkNL                     // end of a line, in languages where it ends a statement
	tkHTML                   // text outside the code (template languages)
	tkRegex                  // a regular expression literal (Perl, Ruby, JavaScript); s holds it, flags in fl
)

// Token flags.
const (
	fInterp  uint8 = 1 << iota // a string or command with variables interpolated (see parts)
	fHeredoc                   // a heredoc or long string
	fEscaped                   // a string written mostly with escapes (\x73, \163, \u0073)
	fBadVar                    // interpolation too complex to fold
)

// tok is one token.
type tok struct {
	k   tkind
	fl  uint8
	sig byte   // variable sigil
	pos int32  // offset of the token in the text lexed
	end int32  // offset just past it
	s   string // identifier or variable name as written, operator, or string value
	lc  string // s lower-cased (identifiers and variables)
	// parts of an interpolated string: literal text and variable names, in order (a variable
	// part has var set).
	parts []strPart
}

type strPart struct {
	text string
	v    string // variable name (without sigil) when this part is a variable
}

func (t *tok) is(k tkind, s string) bool { return t.k == k && t.s == s }
func (t *tok) op(s string) bool          { return t.k == tkOp && t.s == s }

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= 0x80
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || ('0' <= c && c <= '9')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// maxTokens bounds the tokens of one file (a bigger file is judged on its head).
const maxTokens = 2_000_000

// lexer holds what every lexer shares.
type lexer struct {
	src  []byte
	i    int
	toks []tok
	gbk  bool // the text is not UTF-8: a double-byte encoding may hide backslashes in characters
}

func (l *lexer) emit(t tok) {
	if len(l.toks) < maxTokens {
		l.toks = append(l.toks, t)
	}
}

func (l *lexer) full() bool { return len(l.toks) >= maxTokens }

// ident reads an identifier at l.i.
func (l *lexer) ident() string {
	j := l.i
	for j < len(l.src) && isIdentByte(l.src[j]) {
		j++
	}
	s := string(l.src[l.i:j])
	l.i = j
	return s
}

// number reads a number literal at l.i (digits, letters and dots and underscores that follow).
func (l *lexer) number() {
	j := l.i
	for j < len(l.src) && (isIdentByte(l.src[j]) || l.src[j] == '.' && j+1 < len(l.src) && isDigit(l.src[j+1])) {
		j++
	}
	l.emit(tok{k: tkNum, pos: int32(l.i), end: int32(j), s: string(l.src[l.i:j])})
	l.i = j
}

// operator reads the longest operator of ops at l.i, else one byte.
func (l *lexer) operator(ops []string) {
	for _, o := range ops {
		if len(o) <= len(l.src)-l.i && string(l.src[l.i:l.i+len(o)]) == o {
			l.emit(tok{k: tkOp, pos: int32(l.i), end: int32(l.i + len(o)), s: o})
			l.i += len(o)
			return
		}
	}
	l.emit(tok{k: tkOp, pos: int32(l.i), end: int32(l.i + 1), s: string(l.src[l.i : l.i+1])})
	l.i++
}

// skipTo moves past the next occurrence of s (to the end when none).
func (l *lexer) skipTo(s string) {
	for j := l.i; j+len(s) <= len(l.src); j++ {
		if l.src[j] == s[0] && string(l.src[j:j+len(s)]) == s {
			l.i = j + len(s)
			return
		}
	}
	l.i = len(l.src)
}

// lineEnd returns the index of the next newline at or after i (len when none).
func lineEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		if b[i] == '\n' {
			return i
		}
	}
	return len(b)
}

// escapeShare reports whether most of a string literal's source is escapes.
func escapeShare(raw []byte) bool {
	n, esc := len(raw), 0
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] == '\\' && (raw[i+1] == 'x' || raw[i+1] == 'u' || isDigit(raw[i+1])) {
			esc++
		}
	}
	return n >= 8 && esc*4 >= n*1/2 && esc >= 3
}
