package webshell

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
)

// maxDecoded bounds what one decoded literal may grow to.
const maxDecoded = 1 << 20

// maxNested bounds how many decoded layers are scanned again.
const maxNested = 3

// evalExpr evaluates the PHP expression s.cr[lo:hi] with the constant strings known so far
// (see evaluator).
func (s *scanner) evalExpr(lo, hi, depth int) ([]byte, bool) {
	if lo < 0 || hi > len(s.cr) || lo >= hi || depth > 8 {
		return nil, false
	}
	return s.ev.eval(s.cr[lo:hi], depth)
}

// evaluator folds PHP expressions made only of string literals, variables holding constant
// strings, concatenation, XOR of strings, string indexing and a few pure string functions
// (strrev, str_rot13, base64_decode, gzinflate, str_replace, substr, chr, ...). It is how the
// rules see through "$a = 'as'.'sert'; $a($_POST[x]);" and packed eval payloads.
type evaluator struct {
	env   map[string][]byte // variable name (as written) -> constant value
	steps int               // work budget
}

func evalPHP(b []byte, depth int) ([]byte, bool) {
	var e evaluator
	return e.eval(b, depth)
}

func (e *evaluator) eval(b []byte, depth int) ([]byte, bool) {
	v, ok := e.eval0(b, depth)
	if ok && v == nil {
		v = []byte{} // an empty string, not a failure
	}
	return v, ok
}

func (e *evaluator) eval0(b []byte, depth int) ([]byte, bool) {
	e.steps++
	b = bytes.TrimSpace(b)
	if depth > 10 || e.steps > 20000 {
		return nil, false
	}
	b = bytes.TrimRight(b, ";")
	for len(b) >= 2 && b[0] == '(' && closingParen(b, 0) == len(b)-1 {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 {
		return nil, false
	}
	if parts := splitTop(b, '^'); len(parts) > 1 {
		var out []byte
		for i, p := range parts {
			v, ok := e.eval(p, depth+1)
			if !ok {
				return nil, false
			}
			if i == 0 {
				out = append([]byte(nil), v...)
				continue
			}
			n := min(len(out), len(v))
			out = out[:n]
			for k := 0; k < n; k++ {
				out[k] ^= v[k]
			}
		}
		return out, true
	}
	if parts := splitTop(b, '.'); len(parts) > 1 {
		var out []byte
		for _, p := range parts {
			v, ok := e.eval(p, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
			if len(out) > maxDecoded {
				return nil, false
			}
		}
		return out, true
	}
	if lit, q, ok := literal(b); ok {
		if q == '"' {
			return e.interpolate(unescape(lit)), true
		}
		return bytes.ReplaceAll(bytes.ReplaceAll(lit, []byte(`\'`), []byte(`'`)), []byte(`\\`), []byte(`\`)), true
	}
	if b[0] == '$' {
		return e.variable(b, depth)
	}
	if isNumber(b) {
		return b, true
	}
	open := bytes.IndexByte(b, '(')
	if open <= 0 || closingParen(b, open) != len(b)-1 {
		// a bare word: old PHP reads an undefined constant as its own name
		if id := identAt(b, 0); len(id) == len(b) && len(b) > 0 && !('0' <= b[0] && b[0] <= '9') {
			return b, true
		}
		return nil, false
	}
	name := string(bytes.ToLower(bytes.TrimLeft(b[:open], `\`)))
	if name[0] == '$' {
		// a variable holding a function name
		fn, ok := e.variable(b[:open], depth)
		if !ok {
			return nil, false
		}
		name = string(bytes.ToLower(fn))
	}
	argSpans := splitArgs(b, open, len(b)-1)
	vals := make([][]byte, len(argSpans))
	for i, a := range argSpans {
		v, ok := e.eval(b[a.lo:a.hi], depth+1)
		if !ok {
			if i > 0 && (name == "base64_decode" || name == "gzinflate" || name == "gzuncompress" || name == "gzdecode") {
				continue // a length or strict flag
			}
			return nil, false
		}
		vals[i] = v
	}
	return callPure(name, vals)
}

// variable resolves $x, $x[N], $x{N}, ${"x"} and $$x.
func (e *evaluator) variable(b []byte, depth int) ([]byte, bool) {
	if e.env == nil {
		return nil, false
	}
	var name []byte
	rest := b[1:]
	switch {
	case len(rest) > 0 && rest[0] == '$':
		inner, ok := e.env[string(identAt(rest, 1))]
		if !ok {
			return nil, false
		}
		name = inner
		rest = rest[1+len(identAt(rest, 1)):]
	case len(rest) > 0 && rest[0] == '{':
		end := closingBrace(rest, 0)
		if end < 0 {
			return nil, false
		}
		v, ok := e.eval(rest[1:end], depth+1)
		if !ok {
			return nil, false
		}
		name = v
		rest = rest[end+1:]
	default:
		name = identAt(rest, 0)
		rest = rest[len(name):]
	}
	v, ok := e.env[string(name)]
	if !ok {
		return nil, false
	}
	for len(rest) > 0 {
		if rest[0] != '[' && rest[0] != '{' {
			return nil, false
		}
		cl := byte(']')
		if rest[0] == '{' {
			cl = '}'
		}
		end := bytes.IndexByte(rest, cl)
		if end < 0 {
			return nil, false
		}
		idx, ok := e.eval(rest[1:end], depth+1)
		if !ok || !isNumber(idx) {
			return nil, false
		}
		n, err := strconv.ParseInt(string(idx), 0, 64)
		if err != nil || n < 0 || int(n) >= len(v) {
			return nil, false
		}
		v = v[n : n+1]
		rest = rest[end+1:]
	}
	return v, true
}

// interpolate replaces "$name" in a double-quoted string by known constants.
func (e *evaluator) interpolate(v []byte) []byte {
	if e.env == nil || bytes.IndexByte(v, '$') < 0 {
		return v
	}
	var out []byte
	for i := 0; i < len(v); i++ {
		if v[i] == '$' {
			id := identAt(v, i+1)
			if val, ok := e.env[string(id)]; ok && len(id) > 0 {
				out = append(out, val...)
				i += len(id)
				continue
			}
		}
		out = append(out, v[i])
	}
	return out
}

func isNumber(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9') && c != 'x' && !isHex(c) {
			return false
		}
	}
	return '0' <= b[0] && b[0] <= '9'
}

func atoi(b []byte) (int, bool) {
	n, err := strconv.ParseInt(string(b), 0, 64)
	if err != nil || n > 1<<30 || n < -(1<<30) {
		return 0, false
	}
	return int(n), true
}

// phpSubstr implements substr's start and length rules.
func phpSubstr(v []byte, start, length int, hasLen bool) []byte {
	n := len(v)
	if start < 0 {
		start = max(0, n+start)
	}
	if start > n {
		return nil
	}
	end := n
	if hasLen {
		if length < 0 {
			end = n + length
		} else {
			end = min(n, start+length)
		}
	}
	if end < start {
		return nil
	}
	return v[start:end]
}

// callPure runs one of the pure string functions the evaluator knows.
func callPure(name string, vals [][]byte) ([]byte, bool) {
	if len(vals) == 0 || vals[0] == nil {
		return nil, false
	}
	v := vals[0]
	switch name {
	case "chr":
		n, ok := atoi(v)
		return []byte{byte(n)}, ok
	case "strrev":
		return reverse(v), true
	case "str_rot13":
		return rot13(v), true
	case "strtolower":
		return bytes.ToLower(v), true
	case "strtoupper":
		return bytes.ToUpper(v), true
	case "ucfirst", "lcfirst", "strval", "trim", "ltrim", "rtrim":
		if name == "ucfirst" && len(v) > 0 {
			return append(bytes.ToUpper(v[:1]), v[1:]...), true
		}
		if name == "lcfirst" && len(v) > 0 {
			return append(bytes.ToLower(v[:1]), v[1:]...), true
		}
		if strings.HasSuffix(name, "trim") && len(vals) == 1 {
			return bytes.TrimSpace(v), true
		}
		return v, true
	case "stripslashes":
		return bytes.ReplaceAll(v, []byte(`\`), nil), true
	case "base64_decode":
		return decodeB64(v)
	case "hex2bin":
		out := make([]byte, hex.DecodedLen(len(v)))
		n, err := hex.Decode(out, v)
		return out[:n], err == nil
	case "gzinflate":
		return inflate(flate.NewReader(bytes.NewReader(v)))
	case "gzuncompress":
		r, err := zlib.NewReader(bytes.NewReader(v))
		if err != nil {
			return nil, false
		}
		return inflate(r)
	case "gzdecode":
		r, err := gzip.NewReader(bytes.NewReader(v))
		if err != nil {
			return nil, false
		}
		return inflate(r)
	case "str_replace", "str_ireplace":
		if len(vals) == 3 && vals[1] != nil && vals[2] != nil {
			return bytes.ReplaceAll(vals[2], vals[0], vals[1]), true
		}
	case "substr":
		if len(vals) >= 2 && vals[1] != nil {
			start, ok := atoi(vals[1])
			if !ok {
				return nil, false
			}
			length, hasLen := 0, len(vals) == 3 && vals[2] != nil
			if hasLen {
				if length, ok = atoi(vals[2]); !ok {
					return nil, false
				}
			}
			return phpSubstr(v, start, length, hasLen), true
		}
	case "substr_replace":
		if len(vals) >= 3 && vals[1] != nil && vals[2] != nil {
			start, ok := atoi(vals[2])
			if !ok {
				return nil, false
			}
			length, hasLen := 0, len(vals) == 4 && vals[3] != nil
			if hasLen {
				if length, ok = atoi(vals[3]); !ok {
					return nil, false
				}
			}
			mid := phpSubstr(v, start, length, hasLen)
			if start < 0 {
				start = max(0, len(v)+start)
			}
			start = min(start, len(v))
			out := append([]byte(nil), v[:start]...)
			out = append(out, vals[1]...)
			return append(out, v[start+len(mid):]...), true
		}
	case "str_repeat":
		if len(vals) == 2 && vals[1] != nil {
			n, ok := atoi(vals[1])
			if ok && n >= 0 && n*len(v) <= maxDecoded {
				return bytes.Repeat(v, n), true
			}
		}
	case "urldecode", "rawurldecode":
		return urlDecode(v), true
	case "implode", "join":
		return nil, false
	}
	return nil, false
}

// closingBrace returns the index of the '}' closing b[open], or -1.
func closingBrace(b []byte, open int) int {
	depth := 0
	for i := open; i < len(b); i++ {
		switch b[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func inflate(r io.Reader) ([]byte, bool) {
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded))
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
	if len(out) == 0 {
		return nil, false
	}
	// a truncated stream still gives the text decoded so far
	return out, err == nil || err == io.ErrUnexpectedEOF || len(out) > 0
}

func decodeB64(v []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(v))
	for _, c := range v {
		if isB64(c) && c != '=' {
			clean = append(clean, c)
		} else if c == '-' {
			clean = append(clean, '+')
		} else if c == '_' {
			clean = append(clean, '/')
		}
	}
	clean = clean[:len(clean)/4*4+func() int {
		if r := len(clean) % 4; r > 1 {
			return r
		}
		return 0
	}()]
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil && len(out) == 0 {
		return nil, false
	}
	return out, true
}

func urlDecode(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			out = append(out, hexVal(v[i+1])<<4|hexVal(v[i+2]))
			i += 2
			continue
		}
		if v[i] == '+' {
			out = append(out, ' ')
			continue
		}
		out = append(out, v[i])
	}
	return out
}

// closingParen returns the index of the bracket closing b[open], respecting quotes, or -1.
func closingParen(b []byte, open int) int {
	depth := 0
	var quote byte
	for i := open; i < len(b); i++ {
		c := b[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTop splits b on sep outside quotes and brackets.
func splitTop(b []byte, sep byte) [][]byte {
	var out [][]byte
	depth := 0
	var quote byte
	start := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
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
		case sep:
			if depth == 0 {
				out = append(out, b[start:i])
				start = i + 1
			}
		}
	}
	return append(out, b[start:])
}

// phpObfuscation: encoded function names, decoded payloads (scanned again), escape and chr()
// soup, long encoded blobs, dense lines, underscore-only variable names, goto spaghetti.
func (s *scanner) phpObfuscation(st *phpState) {
	cp, cr := s.cp, s.cr
	// decoder calls over literals: evaluate them
	decodes := 0
	s.eachCall(0, len(cp), func(name string, open int) {
		if !phpDecoders[name] || name == "chr" || decodes > 200 {
			return
		}
		start := open - len(name)
		// take the outermost decoder chain: skip if an enclosing decoder already covered it
		if start > 0 && cp[start-1] == '(' {
			if n, _ := identBefore(cp, start-1); phpDecoders[n] {
				return
			}
		}
		end := closingParen(cr, open)
		if end < 0 || end-start > maxDecoded {
			return
		}
		decodes++
		v, ok := evalPHP(cr[start:end+1], 0)
		if !ok || len(v) == 0 {
			return
		}
		lv := bytes.ToLower(bytes.TrimSpace(v))
		for _, d := range phpDangerNames {
			if string(lv) == d {
				s.add("php.obf-func-name", 60, append([]byte(name+"(...) = "), lv...))
				return
			}
		}
		if len(v) > 20 && looksLikePHP(lv) {
			s.add("php.obf-decoded-code", 20, around(v, 0, 0, 60))
			s.nested(v)
		}
	})
	// double-quoted literals with escapes that spell a dangerous name
	esc := 0
	for i := 0; i < len(cr) && esc < 500; i++ {
		if cr[i] != '"' {
			continue
		}
		e := bytes.IndexByte(cr[i+1:min(len(cr), i+200)], '"')
		if e < 0 {
			continue
		}
		lit := cr[i+1 : i+1+e]
		i += e + 1
		if bytes.IndexByte(lit, '\\') < 0 {
			continue
		}
		esc++
		v := bytes.ToLower(unescape(lit))
		for _, d := range phpDangerNames {
			if string(v) == d {
				s.add("php.obf-func-name", 60, append(append(lit[:min(len(lit), 40):min(len(lit), 40)], " = "...), v...))
			}
		}
	}
	// names written backwards or in rot13 as a literal
	encodedNames.each(cp, func(_, at int) bool {
		s.add("php.obf-func-name", 60, around(cp, at, 20, 40))
		return false
	})
	if runs, longest := escapeRuns(s.lc); runs >= 8 || longest >= 16 {
		s.add("php.obf-escapes", 25, nil)
	}
	if n := countAll(cp, ").chr("); n >= 8 {
		s.add("php.obf-chr", 25, nil)
	}
	if n, at := longestB64Run(s.raw); n >= 1000 && entropy(s.raw[at:at+min(n, 4096)]) > 4.5 {
		s.add("php.obf-blob", 20, around(s.raw, at, 0, 40))
	}
	if denseLine(s.raw) {
		s.add("php.obf-dense-line", 20, nil)
	}
	under := 0
	varsIn(cp, 0, len(cp), func(name string, _ int) bool {
		if bytes.Trim([]byte(name), "_") == nil || len(bytes.Trim([]byte(name), "_")) == 0 {
			under++
		}
		return under >= 6
	})
	if under >= 6 {
		s.add("php.obf-underscore-vars", 30, nil)
	}
	if countAll(cp, "goto ") >= 30 {
		s.add("php.obf-goto", 30, nil)
	}
}

// escapeRuns counts runs of at least 4 back-to-back \xHH or \NNN escapes (text spelled in
// escapes, not a regular expression's odd escaped byte) and returns the longest run.
func escapeRuns(lc []byte) (runs, longest int) {
	run := 0
	end := func() {
		if run >= 4 {
			runs++
		}
		longest = max(longest, run)
		run = 0
	}
	for i := 0; i < len(lc); {
		if i+3 < len(lc) && lc[i] == '\\' && lc[i+1] == 'x' && isHex(lc[i+2]) && isHex(lc[i+3]) {
			run++
			i += 4
			continue
		}
		if i+3 < len(lc) && lc[i] == '\\' && '0' <= lc[i+1] && lc[i+1] <= '3' && '0' <= lc[i+2] && lc[i+2] <= '7' && '0' <= lc[i+3] && lc[i+3] <= '7' {
			run++
			i += 4
			continue
		}
		if run > 0 {
			end()
		}
		i++
	}
	end()
	return runs, longest
}

// denseLine reports a very long line with almost no spaces and high entropy: packed code.
func denseLine(raw []byte) bool {
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		line := raw
		if i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) < 1500 {
			continue
		}
		sp := bytes.Count(line, []byte(" "))
		if sp*100 < len(line) && entropy(line[:min(len(line), 8192)]) > 5.0 {
			return true
		}
	}
	return false
}

func looksLikePHP(lv []byte) bool {
	return (bytes.Contains(lv, []byte("<?")) || bytes.Contains(lv, []byte(";"))) &&
		(bytes.Contains(lv, []byte("$")) || bytes.Contains(lv, []byte("(")))
}

// nested scans decoded PHP and keeps what it finds, marked as decoded.
func (s *scanner) nested(v []byte) {
	if s.depth >= maxNested {
		return
	}
	n := newPHPScanner(v)
	n.depth = s.depth + 1
	n.php()
	n.markers()
	for _, r := range n.reasons {
		if s.fired[r.Rule] {
			continue
		}
		ev := []byte("decoded: " + r.Evidence)
		if r.marker {
			s.addMarker(r.Rule, r.Weight, ev)
		} else {
			s.add(r.Rule, r.Weight, ev)
		}
	}
}

// encodedNames matches dangerous function names written backwards or in rot13, quoted.
var encodedNames = func() *multi {
	var pats []string
	for _, d := range phpDangerNames {
		for _, v := range [][]byte{reverse([]byte(d)), rot13([]byte(d))} {
			for _, q := range []string{"'", `"`} {
				pats = append(pats, q+string(v)+q)
			}
		}
	}
	return newMulti(pats)
}()
