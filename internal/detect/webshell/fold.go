package webshell

import (
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// foldInfo says how a constant was made.
type foldInfo struct {
	built   bool // from more than one literal, or through a function
	layers  int  // decoders applied (base64, inflate, rot13, hex, ...)
	escaped bool // a literal written with escapes
}

// foldFn computes a function's result from its constant arguments.
type foldFn func(args []string) (string, bool)

// maxFold bounds a folded value.
const maxFold = 4 << 20

// fold computes the constant string of the expression lo..hi, when it is one: literals,
// variables holding constants, concatenation and the functions of the language's fold tables.
func (u *unit) fold(lo, hi int) (string, foldInfo, bool) {
	var fi foldInfo
	s, ok := u.fold0(lo, hi, &fi, 0)
	if !ok && u.p.name == "php" && hi-lo <= 64 {
		// a number: ('>'>'<')+('>'>'<') is 2
		if n, ok := u.foldNum(lo, hi); ok {
			return strconv.FormatInt(n, 10), foldInfo{built: true}, true
		}
	}
	return s, fi, ok
}

func (u *unit) fold0(lo, hi int, fi *foldInfo, depth int) (string, bool) {
	u.evalBudget -= hi - lo + 1
	if lo >= hi || depth > 24 || u.evalBudget < 0 {
		return "", false
	}
	for u.isOp(lo, "(") && u.closeOf(lo) == hi-1 {
		lo, hi = lo+1, hi-1
		if lo >= hi {
			return "", false
		}
	}
	// top-level concatenation (and PHP's string xor)
	var terms [][2]int
	var ops []string
	st := lo
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if t.k != tkOp {
			continue
		}
		switch t.s {
		case "(", "[", "{":
			if c := u.closeOf(k); c > k && c < hi {
				k = c
			}
			continue
		}
		if u.p.concatOps[t.s] || t.s == "^" && u.p.name == "php" {
			if k == st {
				return "", false
			}
			terms = append(terms, [2]int{st, k})
			ops = append(ops, t.s)
			st = k + 1
		} else if t.s == "?" || t.s == "=" || t.s == ";" || u.p.boolOps[t.s] {
			return "", false
		}
	}
	if len(terms) > 0 {
		terms = append(terms, [2]int{st, hi})
		fi.built = true
		acc, ok := u.foldTerm(terms[0][0], terms[0][1], fi, depth+1)
		if !ok {
			return "", false
		}
		for n, tm := range terms[1:] {
			v, ok := u.foldTerm(tm[0], tm[1], fi, depth+1)
			if !ok {
				return "", false
			}
			if ops[n] == "^" {
				acc = xorStrings(acc, v)
			} else {
				acc += v
			}
			if len(acc) > maxFold {
				return "", false
			}
		}
		return acc, true
	}
	return u.foldTerm(lo, hi, fi, depth+1)
}

// foldTerm folds one operand with what follows it (method calls, an index).
func (u *unit) foldTerm(lo, hi int, fi *foldInfo, depth int) (string, bool) {
	if lo >= hi {
		return "", false
	}
	if u.isIdent(lo, "new") && lo+4 < hi && (u.isIdent(lo+1, "byte") || u.isIdent(lo+1, "char")) && u.isOp(lo+2, "[") && u.isOp(lo+3, "]") && u.isOp(lo+4, "{") {
		// new byte[]{106, 97, ...}, new char[]{'e', 'x'}
		c := u.closeOf(lo + 4)
		if c < 0 || c >= hi {
			return "", false
		}
		var b []byte
		for _, a := range u.splitArgs(lo+5, c) {
			if a[1] == a[0]+1 && u.tk(a[0]).k == tkStr && len(u.tk(a[0]).s) == 1 {
				b = append(b, u.tk(a[0]).s[0])
				continue
			}
			n, ok := u.foldNum(a[0], a[1])
			if !ok {
				return "", false
			}
			b = append(b, byte(n))
		}
		fi.built = true
		if c+1 == hi {
			return string(b), true
		}
		return "", false
	}
	if u.p.name != "vb" && u.isOp(lo, "(") && u.closeOf(lo) == lo+2 && u.t[lo+1].k == tkIdent {
		switch u.t[lo+1].lc {
		case "string":
			return u.foldTerm(lo+3, hi, fi, depth+1)
		case "char":
			if n, ok := u.foldNum(lo+3, hi); ok && n >= 0 && n < 0x110000 {
				fi.built = true
				return string(rune(n)), true
			}
		}
		return "", false
	}
	if u.isOp(lo, "@") || u.isOp(lo, "\\") {
		return u.foldTerm(lo+1, hi, fi, depth)
	}
	if u.isOp(lo, "~") && u.p.name == "php" {
		// PHP's ~ on a string flips its bytes
		v, ok := u.foldTerm(lo+1, hi, fi, depth+1)
		if !ok {
			return "", false
		}
		b := []byte(v)
		for i := range b {
			b[i] = ^b[i]
		}
		fi.built = true
		return string(b), true
	}
	var cur string
	have := false
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		switch t.k {
		case tkStr:
			if have {
				return "", false
			}
			if t.fl&fInterp != 0 {
				if t.fl&fBadVar != 0 {
					return "", false
				}
				var b strings.Builder
				for _, p := range t.parts {
					if p.v == "" {
						b.WriteString(p.text)
						continue
					}
					vi := u.lookup(k, asciiLower(p.v))
					if vi == nil || !vi.hasConst {
						return "", false
					}
					b.WriteString(vi.konst)
				}
				cur, have = b.String(), true
				fi.built = true
				continue
			}
			if t.fl&fEscaped != 0 {
				fi.escaped = true
			}
			cur, have = t.s, true
		case tkNum:
			if have {
				return "", false
			}
			cur, have = t.s, true
		case tkVar:
			if have {
				return "", false
			}
			if u.isOp(k+1, "(") {
				// $f(...) where $f holds the name of a function folding knows
				c := u.closeOf(k + 1)
				vi := u.lookup(k, t.lc)
				if c < 0 || c >= hi+1 || vi == nil || !vi.hasConst {
					return "", false
				}
				fn := u.p.foldCall[lowerTrim(vi.konst)]
				if fn == nil {
					return "", false
				}
				var args []string
				for _, a := range u.splitArgs(k+2, c) {
					v, ok := u.fold0(a[0], a[1], fi, depth+1)
					if !ok {
						return "", false
					}
					args = append(args, v)
				}
				v, ok := fn(args)
				if !ok {
					return "", false
				}
				fi.built = true
				if decoderFold[lowerTrim(vi.konst)] {
					fi.layers++
				}
				cur, have = v, true
				k = c
				continue
			}
			name := t.lc
			if u.p.fieldKey != nil {
				if n, next, ok := u.p.fieldKey(u, k); ok {
					if fv := u.lookup(k, n); fv != nil && fv.hasConst {
						name = n
						k = next - 1
					}
				}
			}
			vi := u.lookup(k, name)
			if vi == nil || !vi.hasConst {
				return "", false
			}
			if vi.built {
				fi.built = true
			}
			cur, have = vi.konst, true
		case tkIdent:
			name := t.lc
			if u.isOp(k+1, "(") {
				c := u.closeOf(k + 1)
				if c < 0 || c >= hi+1 {
					return "", false
				}
				afterDot := k > lo && u.memberOp(k-1)
				var fn foldFn
				var args []string
				if afterDot && have {
					fn = u.p.foldMethod[name]
					args = append(args, cur)
				} else if !have || afterDot {
					fn = u.p.foldCall[name]
					if fn == nil && afterDot {
						fn = u.p.foldCall[u.qualified(k)]
					}
				}
				if fn == nil && (!afterDot || u.isThis(k)) && !have {
					// a function of the page given constants: run its body on them
					v, ok := u.foldUser(name, k+2, c, fi, depth)
					if !ok {
						return "", false
					}
					cur, have = v, true
					k = c
					continue
				}
				if fn == nil {
					return "", false
				}
				for _, a := range u.splitArgs(k+2, c) {
					v, ok := u.fold0(a[0], a[1], fi, depth+1)
					if !ok {
						if n, ok2 := u.foldNum(a[0], a[1]); ok2 {
							v = strconv.FormatInt(n, 10)
						} else if u.tk(a[0]).k == tkIdent && a[1] == a[0]+1 {
							v = u.tk(a[0]).s // a constant's name (PHP's INPUT_GET, ENT_QUOTES)
						} else {
							return "", false
						}
					}
					args = append(args, v)
				}
				v, ok := fn(args)
				if !ok || len(v) > maxFold {
					return "", false
				}
				fi.built = true
				if decoderFold[name] {
					fi.layers++
				}
				cur, have = v, true
				k = c
				continue
			}
			if !have && u.p.name == "php" && hi == lo+1 && u.p.dangerName(name) {
				// old PHP reads an unknown constant as its own name: sqlsec(assert)
				fi.built = true
				return name, true
			}
			if have || u.p.varSigil {
				if k > lo && u.memberOp(k-1) {
					continue // a module or class name in a chain (base64.b64decode)
				}
				if u.isOp(k+1, ".") || u.isOp(k+1, "::") || u.isOp(k+1, "->") {
					continue
				}
				return "", false
			}
			if u.isOp(k+1, ".") || u.isOp(k+1, "::") {
				if vi := u.lookup(k, name); vi != nil && vi.hasConst && !(k > lo && u.memberOp(k-1)) {
					// a variable holding a constant, a method of it follows (b.reverse())
					cur, have = vi.konst, true
				}
				continue
			}
			if name == "new" {
				continue
			}
			vi := u.lookup(k, name)
			if vi == nil || !vi.hasConst {
				return "", false
			}
			cur, have = vi.konst, true
		case tkOp:
			switch t.s {
			case ".", "::", "->":
				continue
			case "[", "{":
				c := u.closeOf(k)
				if c < 0 || t.s == "{" && (!have || u.p.name != "php") {
					return "", false
				}
				if !have {
					// an array literal
					var el []string
					for _, a := range u.splitArgs(k+1, c) {
						v, ok := u.fold0(a[0], a[1], fi, depth+1)
						if !ok {
							return "", false
						}
						el = append(el, v)
					}
					v, ok := foldArray(el)
					if !ok {
						return "", false
					}
					cur, have = v, true
					k = c
					continue
				}
				// python slices [::-1]; string indexes [n]
				if u.p.name == "python" && c == k+5 && u.isOp(k+1, ":") && u.isOp(k+2, ":") && u.isOp(k+3, "-") {
					cur = reverseString(cur)
					fi.built = true
					k = c
					continue
				}
				n, ok := u.foldNum(k+1, c)
				if !ok || n < 0 || int(n) >= len(cur) {
					return "", false
				}
				cur = cur[n : n+1]
				fi.built = true
				k = c
			case "(":
				c := u.closeOf(k)
				if c < 0 || have {
					return "", false
				}
				v, ok := u.fold0(k+1, c, fi, depth+1)
				if !ok {
					return "", false
				}
				cur, have = v, true
				k = c
			default:
				return "", false
			}
		default:
			return "", false
		}
	}
	return cur, have
}

// qualified returns "a.b" for the call at token k preceded by "a." (a module function).
func (u *unit) qualified(k int) string {
	if k >= 2 && u.memberOp(k-1) && u.t[k-2].k == tkIdent {
		return u.t[k-2].lc + "." + u.t[k].lc
	}
	return u.t[k].lc
}

// foldNum folds a small integer expression (numbers, + - * ^ |, parentheses).
func (u *unit) foldNum(lo, hi int) (int64, bool) {
	for u.isOp(lo, "(") && u.closeOf(lo) == hi-1 {
		lo, hi = lo+1, hi-1
	}
	if lo >= hi {
		return 0, false
	}
	if hi == lo+1 && u.t[lo].k == tkNum {
		return parseNum(u.t[lo].s)
	}
	if hi == lo+1 && u.t[lo].k == tkVar {
		if vi := u.lookup(lo, u.t[lo].lc); vi != nil && vi.hasConst {
			return parseNum(vi.konst)
		}
		return 0, false
	}
	if hi == lo+3 && u.t[lo].k == tkStr && u.t[lo+2].k == tkStr && u.t[lo+1].k == tkOp {
		// a comparison of two literals: 1 or 0
		a, b := u.t[lo].s, u.t[lo+2].s
		r := map[string]bool{">": a > b, "<": a < b, "==": a == b, "!=": a != b, ">=": a >= b, "<=": a <= b}
		if v, ok := r[u.t[lo+1].s]; ok {
			if v {
				return 1, true
			}
			return 0, true
		}
	}
	if u.isOp(lo, "-") && hi == lo+2 && u.t[lo+1].k == tkNum {
		n, ok := parseNum(u.t[lo+1].s)
		return -n, ok
	}
	// left to right over one operator level (enough for chr(100+15))
	for k := hi - 1; k > lo; k-- {
		t := &u.t[k]
		if t.k == tkOp && (t.s == ")" || t.s == "]") {
			if o := u.closeOf(k); o > lo {
				k = o
			}
			continue
		}
		if t.k == tkOp && (t.s == "+" || t.s == "-" || t.s == "*" || t.s == "/" || t.s == "^" || t.s == "|" || t.s == "&") {
			a, ok1 := u.foldNum(lo, k)
			b, ok2 := u.foldNum(k+1, hi)
			if !ok1 || !ok2 {
				return 0, false
			}
			switch t.s {
			case "+":
				return a + b, true
			case "-":
				return a - b, true
			case "*":
				return a * b, true
			case "/":
				if b == 0 {
					return 0, false
				}
				return a / b, true
			case "^":
				return a ^ b, true
			case "|":
				return a | b, true
			case "&":
				return a & b, true
			}
		}
	}
	return 0, false
}

func parseNum(s string) (int64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	s = strings.TrimRight(s, "lLuU")
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return n, true
	}
	if len(s) > 1 && s[0] == '0' {
		if n, err := strconv.ParseInt(s[1:], 8, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func xorStrings(a, b string) string {
	n := min(len(a), len(b))
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		out[i] = a[i] ^ b[i]
	}
	return string(out)
}

func reverseString(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func rot13(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		}
	}
	return string(b)
}

// decodeBase64 reads standard or URL-safe base64, with or without padding, ignoring white
// space (and, leniently, stray bytes at the end).
func decodeBase64(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			b = append(b, c)
		case c == '-':
			b = append(b, '+')
		case c == '_':
			b = append(b, '/')
		case c == '=' || isSpace(c):
		default:
			return "", false
		}
	}
	b = b[:len(b)/4*4+map[int]int{0: 0, 1: 0, 2: 2, 3: 3}[len(b)%4]]
	out, err := base64.RawStdEncoding.DecodeString(string(b))
	if err != nil {
		return "", false
	}
	return string(out), true
}

func decodeBase32(s string) (string, bool) {
	s = strings.TrimRight(strings.ToUpper(strings.Join(strings.Fields(s), "")), "=")
	out, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return "", false
	}
	return string(out), true
}

func decodeHex(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "\\x")
	s = strings.ReplaceAll(s, "\\x", "")
	out, err := hex.DecodeString(s)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// inflate tries raw deflate, zlib and gzip.
func inflate(s string, kind string) (string, bool) {
	var r io.Reader
	var err error
	in := strings.NewReader(s)
	switch kind {
	case "raw":
		r = flate.NewReader(in)
	case "zlib":
		r, err = zlib.NewReader(in)
	case "gzip":
		r, err = gzip.NewReader(in)
	case "bzip2":
		r = bzip2.NewReader(in)
	}
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(io.LimitReader(r, maxFold+1))
	if (err != nil && len(out) == 0) || len(out) > maxFold {
		return "", false
	}
	return string(out), true
}

// inflateAny tries each compression in turn.
func inflateAny(s string) (string, bool) {
	for _, k := range []string{"raw", "zlib", "gzip", "bzip2"} {
		if v, ok := inflate(s, k); ok && len(v) > 0 {
			return v, true
		}
	}
	return "", false
}

func uudecode(s string) (string, bool) {
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line == "`" || strings.HasPrefix(line, "begin ") || line == "end" {
			continue
		}
		n := int((line[0] - 32) & 63)
		var buf []byte
		for i := 1; i+3 < len(line)+1 && i+3 <= len(line); i += 4 {
			c := [4]byte{}
			for j := 0; j < 4; j++ {
				c[j] = (line[i+j] - 32) & 63
			}
			buf = append(buf, c[0]<<2|c[1]>>4, c[1]<<4|c[2]>>2, c[2]<<6|c[3])
		}
		if n > len(buf) {
			return "", false
		}
		out = append(out, buf[:n]...)
	}
	return string(out), len(out) > 0
}

func urlDecode(s string, plus bool) (string, bool) {
	if plus {
		v, err := url.QueryUnescape(s)
		return v, err == nil
	}
	v, err := url.PathUnescape(s)
	return v, err == nil
}

// htmlDecode resolves the common entities and numeric references.
func htmlDecode(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			e := strings.IndexByte(s[i:], ';')
			if e > 1 && e < 10 {
				ent := s[i+1 : i+e]
				switch {
				case ent == "lt":
					b.WriteByte('<')
				case ent == "gt":
					b.WriteByte('>')
				case ent == "amp":
					b.WriteByte('&')
				case ent == "quot":
					b.WriteByte('"')
				case ent == "apos" || ent == "#039":
					b.WriteByte('\'')
				case ent[0] == '#':
					n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimPrefix(ent[1:], "x"), "X"), map[bool]int{true: 16, false: 10}[ent[1] == 'x' || ent[1] == 'X'], 32)
					if err != nil {
						b.WriteString(s[i : i+e+1])
					} else {
						b.WriteRune(rune(n))
					}
				default:
					b.WriteString(s[i : i+e+1])
				}
				i += e
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decoderFold names the fold functions that decode (they count as layers).
var decoderFold = set("base64_decode", "gzinflate", "gzuncompress", "gzdecode", "str_rot13", "hex2bin",
	"convert_uudecode", "bzdecompress", "decode_base64", "b64decode", "b32decode", "b16decode", "a2b_base64",
	"unhexlify", "decodestring", "decodebytes", "decompress", "decode64", "strict_decode64", "urlsafe_decode64",
	"inflate", "decode", "decodebuffer", "parsebase64binary", "decodebase64", "frombase64string", "fromhex",
	"base64.b64decode", "base64.b32decode", "zlib.decompress", "codecs.decode", "unpack", "unpack1", "pack", "strrev", "strreverse")

// Shared fold functions.

func foldArg(n int, f func(string) (string, bool)) foldFn {
	return func(a []string) (string, bool) {
		if len(a) <= n {
			return "", false
		}
		return f(a[n])
	}
}

func pureArg(n int, f func(string) string) foldFn {
	return foldArg(n, func(s string) (string, bool) { return f(s), true })
}

func foldChr(a []string) (string, bool) {
	if len(a) < 1 {
		return "", false
	}
	n, ok := parseNum(a[0])
	if !ok {
		return "", false
	}
	return string([]byte{byte(n)}), true
}

func foldReplace(a []string) (string, bool) {
	// str_replace(search, replace, subject)
	if len(a) < 3 || a[0] == "" {
		return "", false
	}
	return strings.ReplaceAll(a[2], a[0], a[1]), true
}

func foldSubstr(a []string) (string, bool) {
	if len(a) < 2 {
		return "", false
	}
	s := a[0]
	st, ok := parseNum(a[1])
	if !ok {
		return "", false
	}
	if st < 0 {
		st += int64(len(s))
	}
	if st < 0 || st > int64(len(s)) {
		return "", false
	}
	s = s[st:]
	if len(a) > 2 {
		n, ok := parseNum(a[2])
		if !ok {
			return "", false
		}
		if n < 0 {
			n += int64(len(s))
		}
		if n < 0 {
			return "", false
		}
		if n < int64(len(s)) {
			s = s[:n]
		}
	}
	return s, true
}

func foldStrtr(a []string) (string, bool) {
	if len(a) != 3 || len(a[1]) == 0 {
		return "", false
	}
	n := min(len(a[1]), len(a[2]))
	var m [256]int
	for i := range m {
		m[i] = -1
	}
	for i := 0; i < n; i++ {
		m[a[1][i]] = int(a[2][i])
	}
	b := []byte(a[0])
	for i, c := range b {
		if m[c] >= 0 {
			b[i] = byte(m[c])
		}
	}
	return string(b), true
}

func foldRepeat(a []string) (string, bool) {
	if len(a) < 2 {
		return "", false
	}
	n, ok := parseNum(a[1])
	if !ok || n < 0 || int64(len(a[0]))*n > 1<<16 {
		return "", false
	}
	return strings.Repeat(a[0], int(n)), true
}

// foldPack reads pack/unpack formats "H*" (hex), "C*"/"c*" (bytes) and "m"/"m0" (base64).
func foldPack(format string, data []string) (string, bool) {
	f := strings.TrimSpace(format)
	switch {
	case strings.HasPrefix(f, "H") || strings.HasPrefix(f, "h"):
		if len(data) != 1 {
			return "", false
		}
		return decodeHex(data[0])
	case strings.HasPrefix(f, "m"):
		if len(data) != 1 {
			return "", false
		}
		return decodeBase64(data[0])
	case strings.HasPrefix(f, "C") || strings.HasPrefix(f, "c") || strings.HasPrefix(f, "U"):
		var b []byte
		for _, d := range data {
			n, ok := parseNum(d)
			if !ok {
				return "", false
			}
			b = append(b, byte(n))
		}
		return string(b), true
	}
	return "", false
}

// looksLikeCode reports whether decoded text reads as program text (rather than an image, a
// font or random bytes): mostly printable, with code punctuation.
func looksLikeCode(s string) bool {
	if len(s) < 4 {
		return false
	}
	n := min(len(s), 4096)
	printable, punct := 0, 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' || c >= 0x80 {
			printable++
		}
		if c == '(' || c == ';' || c == '$' || c == '=' || c == '{' {
			punct++
		}
	}
	return printable*100 >= n*95 && punct > 0
}

// hasCodeWords reports whether text mentions things code sinks are made of.
func hasCodeWords(s string) bool {
	l := strings.ToLower(s[:min(len(s), 1<<20)])
	for _, w := range []string{"eval", "exec", "system", "assert", "passthru", "popen", "base64", "$_", "request", "runtime", "process", "socket", "<?", "include", "require", "create_function", "call_user_func", "fputs", "file_put_contents", "defineclass", "shell"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// isThis reports a method call on the object itself (this.x(...), $this->x(...)).
func (u *unit) isThis(k int) bool {
	return k >= 2 && u.memberOp(k-1) && (u.t[k-2].lc == "this" || u.t[k-2].lc == "self")
}

// maxFoldUser bounds how deep calls of the page's own functions are folded into each other.
const maxFoldUser = 3

// foldUser folds a call of a function the page defines (one definition, parameters lo..hi):
// its parameters take the constant arguments, the assignments of its body are folded in order
// and its return expression gives the value. Decoders written by hand (a string reversed, a
// table looked up) then name the functions they hide, like the language's own.
func (u *unit) foldUser(name string, lo, hi int, fi *foldInfo, depth int) (string, bool) {
	fs := u.byName[name]
	if len(fs) != 1 || u.p.returns == nil || u.foldUserDepth >= maxFoldUser {
		return "", false
	}
	f := fs[0]
	args := u.splitArgs(lo, hi)
	if len(args) > len(f.params) || f.hi-f.lo > 400 {
		return "", false
	}
	rets := u.p.returns(u, f)
	if len(rets) != 1 {
		return "", false
	}
	var vals []string
	for _, a := range args {
		v, ok := u.fold0(a[0], a[1], fi, depth+1)
		if !ok {
			return "", false
		}
		vals = append(vals, v)
	}
	// bind the parameters and fold the body's assignments; restore everything after
	saved := map[vkey]*vinfo{}
	keep := func(k vkey) *vinfo {
		if _, ok := saved[k]; !ok {
			if old := u.vars[k]; old != nil {
				cp := *old
				saved[k] = &cp
			} else {
				saved[k] = nil
			}
		}
		return u.info(k)
	}
	defer func() {
		for k, old := range saved {
			if old == nil {
				delete(u.vars, k)
			} else {
				*u.vars[k] = *old
			}
		}
	}()
	for i, p := range f.params {
		vi := keep(vkey{f.scope, p})
		vi.hasConst = i < len(vals)
		if i < len(vals) {
			vi.konst = vals[i]
		}
	}
	u.foldUserDepth++
	defer func() { u.foldUserDepth-- }()
	for _, a := range u.asg {
		if a.lo < f.lo || a.hi > f.hi || a.each || len(a.lhs) != 1 || a.elem || a.lhs[0].scope != f.scope {
			continue
		}
		vi := keep(a.lhs[0])
		v, ok := u.fold0(a.lo, a.hi, fi, depth+1)
		switch {
		case !ok:
			vi.hasConst = false
		case a.op == "=":
			vi.konst, vi.hasConst = v, true
		case vi.hasConst && (a.op == ".=" || a.op == "+="):
			vi.konst += v
		default:
			vi.hasConst = false
		}
		if len(vi.konst) > maxConst {
			return "", false
		}
	}
	v, ok := u.fold0(rets[0][0], rets[0][1], fi, depth+1)
	if ok {
		fi.built = true
	}
	return v, ok
}
