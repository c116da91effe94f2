package webshell

import (
	"bytes"
	"math"
)

// reason is a Reason with a flag for marker strings, whose sum is capped.
type reason struct {
	Reason
	marker bool
}

// maxMarkerScore caps what known-shell strings add together: a few strings alone make a file
// suspicious, never a web shell. A file that shows manyMarkerGroups different kinds of them
// (shell names, hacker words, an exec form, recon commands, back-connect, ...) is a shell's
// user interface, and may reach maxManyMarkerScore.
const (
	maxMarkerScore     = 70
	manyMarkerGroups   = 4
	maxManyMarkerScore = 100
)

// scanner holds the views of one file that the rules read.
type scanner struct {
	raw []byte
	lc  []byte // ASCII lower case of raw
	// cp is lc compacted: white space, '@' and short /* */ comments removed, and the string
	// joins "." and '.' removed ("sys"."tem" -> "system"), so calls read the same however
	// they are spaced or split.
	cp []byte
	// cr is cp before lower-casing: the same offsets, the original case (for literals).
	cr []byte
	// ck is the lexical kind of each byte of cp and cr (PHP only; nil otherwise).
	ck      []byte
	reasons []reason
	fired   map[string]bool
	ev      evaluator
	// userDecoders are the file's own functions that decode their argument.
	userDecoders map[string]bool
	cmdExec      bool // the file calls an OS-command function with a code-like argument
	depth        int  // decoding depth of this text (0 for the file itself)
}

func newScanner(raw []byte) *scanner {
	cr, _ := compact(raw, nil)
	return &scanner{raw: raw, lc: toLower(raw), cp: toLower(cr), cr: cr, fired: map[string]bool{}}
}

// newPHPScanner reads raw as PHP: comments are dropped from the code views and every byte of
// them has its lexical kind in ck.
func newPHPScanner(raw []byte) *scanner {
	code, kind := phpLex(raw)
	cr, ck := compact(code, kind)
	return &scanner{raw: raw, lc: toLower(raw), cp: toLower(cr), cr: cr, ck: ck, fired: map[string]bool{}, userDecoders: map[string]bool{}}
}

// add records a rule once; later hits of the same rule are ignored.
func (s *scanner) add(rule string, weight int, evidence []byte) {
	if s.fired[rule] {
		return
	}
	s.fired[rule] = true
	s.reasons = append(s.reasons, reason{Reason: Reason{Rule: rule, Weight: weight, Evidence: clip(evidence)}})
}

// addMarker records a known-shell string (capped in the sum).
func (s *scanner) addMarker(rule string, weight int, evidence []byte) {
	if s.fired[rule] {
		return
	}
	s.fired[rule] = true
	s.reasons = append(s.reasons, reason{Reason: Reason{Rule: rule, Weight: weight, Evidence: clip(evidence)}, marker: true})
}

func (s *scanner) has(rule string) bool { return s.fired[rule] }

// kindAt returns the lexical kind of cp[i] (kCode when unknown).
func (s *scanner) kindAt(i int) byte {
	if s.ck == nil || i < 0 || i >= len(s.ck) {
		return kCode
	}
	return s.ck[i]
}

const maxEvidence = 100

// clip makes printable, short evidence.
func clip(b []byte) string {
	if len(b) > maxEvidence {
		b = b[:maxEvidence]
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c == '\n' || c == '\r' || c == '\t':
			out = append(out, ' ')
		case c < 0x20 || c >= 0x7f:
			out = append(out, '.')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// around returns b[i-before : i+after] within bounds.
func around(b []byte, i, before, after int) []byte {
	lo, hi := i-before, i+after
	if lo < 0 {
		lo = 0
	}
	if hi > len(b) {
		hi = len(b)
	}
	if lo > hi {
		lo = hi
	}
	return b[lo:hi]
}

func toLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// compact builds the compacted view of text (see scanner.cp); it keeps the case. kind, when
// not nil, gives the lexical kind of each byte of src (see phpLex): white space inside strings
// is kept. It returns the kinds of the bytes kept (nil when kind is nil).
func compact(src, kind []byte) ([]byte, []byte) {
	out := make([]byte, 0, len(src))
	var ok []byte
	if kind != nil {
		ok = make([]byte, 0, len(src))
	}
	emit := func(c byte, i int) {
		out = append(out, c)
		if kind != nil {
			ok = append(ok, kind[i])
		}
	}
	str := func(i int) bool {
		return kind != nil && (kind[i] == kSingle || kind[i] == kDouble || kind[i] == kBacktick)
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if str(i) {
			emit(c, i)
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			// Keep one space between two words ("return system(") so they stay two words.
			k := i + 1
			for k < len(src) && !str(k) && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n' || src[k] == '\r' || src[k] == '\v' || src[k] == '\f') {
				k++
			}
			n2 := k
			for n2 < len(src) && src[n2] == '@' && !str(n2) {
				n2++
			}
			if n := len(out); n > 0 && isIdent(out[n-1]) && n2 < len(src) && (isIdent(src[n2]) || src[n2] == '$') {
				emit(' ', i)
			}
			i = k - 1
			continue
		case '@':
			continue
		case '/':
			if kind == nil && i+1 < len(src) && src[i+1] == '*' {
				if j := bytes.Index(src[i+2:min(len(src), i+2+200)], []byte("*/")); j >= 0 {
					i += 2 + j + 1
					continue
				}
			}
		case '.':
			// "ab"."cd" -> "abcd": drop the quote, dot and quote.
			if n := len(out); n > 0 && (out[n-1] == '"' || out[n-1] == '\'') {
				q := out[n-1]
				k := i + 1
				for k < len(src) && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n' || src[k] == '\r') {
					k++
				}
				if k < len(src) && src[k] == q && (kind == nil || kind[k] == kCode) {
					out = out[:n-1]
					if ok != nil {
						ok = ok[:n-1]
					}
					i = k
					continue
				}
			}
		}
		emit(c, i)
	}
	return out, ok
}

func isIdent(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || c >= 0x80
}

// identBefore returns the identifier that ends just before b[i] and the index where it starts.
func identBefore(b []byte, i int) (string, int) {
	j := i
	for j > 0 && isIdent(b[j-1]) && i-j < 40 {
		j--
	}
	return string(b[j:i]), j
}

// identAt returns the identifier starting at b[i].
func identAt(b []byte, i int) []byte {
	j := i
	for j < len(b) && isIdent(b[j]) && j-i < 60 {
		j++
	}
	return b[i:j]
}

// argEnd returns the index of the parenthesis closing the one at b[open], or the end of a
// capped window when none closes in it.
func argEnd(b []byte, open, limit int) int {
	depth := 0
	end := min(len(b), open+limit)
	for i := open; i < end; i++ {
		switch b[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case ';':
			if depth <= 1 {
				return i
			}
		}
	}
	return end
}

// statementEnd returns the index of the next ';' (or newline in raw views) after i, capped.
func statementEnd(b []byte, i, limit int) int {
	end := min(len(b), i+limit)
	if j := bytes.IndexByte(b[i:end], ';'); j >= 0 {
		return i + j
	}
	return end
}

// countAll counts non-overlapping occurrences of sub.
func countAll(b []byte, sub string) int {
	return bytes.Count(b, []byte(sub))
}

// lineAt returns the line of b that holds index i.
func lineAt(b []byte, i int) []byte {
	lo := bytes.LastIndexByte(b[:i], '\n') + 1
	hi := bytes.IndexByte(b[i:], '\n')
	if hi < 0 {
		hi = len(b)
	} else {
		hi += i
	}
	if i-lo > 40 {
		lo = i - 40
	}
	return b[lo:hi]
}

// entropy is the Shannon entropy in bits per byte of b.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func isB64(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '+' || c == '/' || c == '='
}

// longestB64Run returns the longest run of base64 alphabet bytes in raw (line breaks inside a
// string literal are not counted as breaks when the run continues on the next line) and where
// it starts.
func longestB64Run(raw []byte) (int, int) {
	best, bestAt, run, at := 0, 0, 0, 0
	for i, c := range raw {
		if isB64(c) {
			if run == 0 {
				at = i
			}
			run++
			continue
		}
		if run > best {
			best, bestAt = run, at
		}
		run = 0
	}
	if run > best {
		best, bestAt = run, at
	}
	return best, bestAt
}
