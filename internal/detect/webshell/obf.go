package webshell

import (
	"strings"
)

// obfuscation weighs how the code hides itself: names made of look-alike or unreadable bytes,
// readable words spelled in escapes, and long high-entropy literals that are no image.
func obfuscation(u *unit) {
	sqlDump(u)
	odd := map[string]bool{}
	escaped := 0
	escEv := ""
	for i := range u.t {
		t := &u.t[i]
		switch t.k {
		case tkVar, tkIdent:
			if len(odd) < 64 && oddName(t.s) {
				odd[t.s] = true
			}
		case tkStr:
			if t.fl&fEscaped != 0 && readable(t.s) {
				escaped++
				if escEv == "" {
					escEv = u.evidence(i, i+1)
				}
			}
			if len(t.s) >= 1500 && t.fl&fInterp == 0 {
				blob(u, i)
			}
		}
	}
	if len(odd) >= 8 {
		var ex []string
		for n := range odd {
			if len(ex) < 3 {
				ex = append(ex, n)
			}
		}
		u.an.add("obf.odd-names", wObfNames, clip([]byte(strings.Join(ex, " "))))
	}
	if escaped >= 3 {
		u.an.add("obf.escaped", wObfEscaped, escEv)
	}
}

// oddName reports a name made to be unreadable: only look-alike letters and digits (O0, lI1),
// or bytes outside ASCII.
func oddName(s string) bool {
	if len(s) < 4 {
		return false
	}
	high, look := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			high++
		case c == 'O' || c == '0' || c == 'l' || c == 'I' || c == '1' || c == '_':
			look++
		}
	}
	return high == len(s) && !utf8Letters(s) || look == len(s) && strings.ContainsAny(s, "O0") != strings.ContainsAny(s, "lI1") || look == len(s) && len(s) >= 6
}

// utf8Letters reports text in a script people read (valid UTF-8 with letters), as opposed to
// bytes chosen to look like nothing.
func utf8Letters(s string) bool {
	for _, r := range s {
		if r == 0xfffd {
			return false
		}
	}
	return true
}

// readable reports text made of printable ASCII with letters: a word someone spelled in
// escapes to hide it (not a table of control characters).
func readable(s string) bool {
	if len(s) < 3 {
		return false
	}
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			letters++
		}
	}
	return letters*2 >= len(s)
}

// blob weighs a long literal: high entropy that is not an image, a font or an archive kept in
// the page.
func blob(u *unit, i int) {
	s := u.t[i].s
	if entropy(s[:min(len(s), 1<<16)]) < 5.0 {
		return
	}
	if d, ok := decodeBase64(s); ok && binaryMedia(d) {
		return
	}
	u.an.add("obf.blob", wObfBlob, u.evidence(i, i+1))
}

// binaryMedia reports data that is an image, a font, an archive or compressed data whose
// content is not code.
func binaryMedia(d string) bool {
	for _, m := range []string{"\x89PNG", "GIF8", "\xff\xd8\xff", "wOFF", "wOF2", "\x00\x01\x00\x00", "OTTO", "PK\x03\x04", "RIFF", "BM", "\x00\x00\x01\x00", "<svg", "<?xml"} {
		if strings.HasPrefix(d, m) {
			return true
		}
	}
	return false
}

// hiddenLiterals decodes long encoded literals (base64, hex, then inflate, rot13, reversal,
// up to a few layers) and reads what comes out as code of the file's language. Found code
// that reaches sinks counts, with the hiding itself.
func (u *unit) hiddenLiterals() {
	tried := 0
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkStr || len(t.s) < 24 || tried > 64 {
			continue
		}
		var code string
		layers := 0
		embedded := false
		switch {
		case t.fl&fInterp == 0 && encodedLooking(t.s):
			code, layers = peel(t.s, 4)
			if layers == 0 || !looksLikeCode(code) || !hasCodeWords(code) {
				continue
			}
		case u.p.embeddedCode != nil && u.p.embeddedCode(t.s):
			// a page's code kept in a string, to be written somewhere or sent
			code, embedded = t.s, true
		default:
			continue
		}
		tried++
		sub := newAnalysis(u.an.lang)
		sub.nestBudget = u.an.nestBudget
		saved := u.an
		u.an = sub
		u.nest(code, "hidden")
		u.an = saved
		r := sub.result(u.an.lang)
		if r.Score < ScoreSuspicious || embedded && r.Score < ScoreWebshell {
			continue
		}
		if embedded {
			u.an.add("obf.embedded-shell", wEmbeddedShell, u.evidence(i, i+1))
			continue
		}
		for k, x := range sub.reasons {
			if u.an.reasons[k] == nil {
				x.Evidence = clip([]byte("hidden: " + x.Evidence))
				u.an.reasons[k] = x
			}
		}
		u.an.add("obf.hidden-code", wHiddenCode, u.evidence(i, i+1))
		if layers > 1 {
			u.an.add("obf.layers", wObfLayers, u.evidence(i, i+1))
		}
	}
}

// encodedLooking reports a literal made only of the base64 (or hex) alphabet and white space.
func encodedLooking(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/', c == '=', c == '-', c == '_':
			n++
		case isSpace(c):
		default:
			return false
		}
	}
	return n >= 24
}

// peel undoes up to max layers of encoding (base64 or hex, then compression, rot13 or
// reversal) while the result keeps changing into something more like text; it returns the
// last result and the layers undone.
func peel(s string, max int) (string, int) {
	layers := 0
	for layers < max {
		if layers > 0 && looksLikeCode(s) && hasCodeWords(s) {
			return s, layers
		}
		if encodedLooking(s) {
			if d, ok := decodeHex(s); ok {
				s, layers = d, layers+1
				continue
			}
			if d, ok := decodeBase64(s); ok && len(d) > 0 {
				s, layers = d, layers+1
				continue
			}
			if d, ok := decodeBase64(reverseString(s)); ok && len(d) > 0 && (looksLikeCode(d) || !printable(d)) {
				s, layers = d, layers+1
				continue
			}
			if d, ok := decodeBase64(rot13(s)); ok && len(d) > 0 && looksLikeCode(d) {
				s, layers = d, layers+1
				continue
			}
		}
		if !printable(s) {
			if d, ok := inflateAny(s); ok && len(d) > 0 {
				s, layers = d, layers+1
				continue
			}
		}
		if rs := rot13(s); layers > 0 && looksLikeCode(rs) && hasCodeWords(rs) && !hasCodeWords(s) {
			s, layers = rs, layers+1
			continue
		}
		break
	}
	if layers > 0 && !looksLikeCode(s) {
		return s, 0
	}
	return s, layers
}

// printable reports text: no control bytes other than white space in its head.
func printable(s string) bool {
	for i := 0; i < len(s) && i < 512; i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// sqlDump: the code lists a database's tables and selects everything from each (a table name
// it did not write itself): a whole database dumped, what data thieves' scripts do.
func sqlDump(u *unit) {
	list, all := -1, -1
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkStr {
			continue
		}
		l := strings.ToLower(t.s)
		if strings.Contains(l, "show tables") || strings.Contains(l, "information_schema.tables") || strings.Contains(l, "all_tables") || strings.Contains(l, "user_tables") || strings.Contains(l, "sysobjects") || strings.Contains(l, "sqlite_master") {
			list = i
		}
		if t.fl&fInterp != 0 && strings.Contains(l, "select * from") {
			all = i
		} else if strings.Contains(l, "select * from") && strings.HasSuffix(strings.TrimSpace(strings.Trim(l, "`'\"[")), "from") && (u.isOp(i+1, ".") || u.isOp(i+1, "+") || u.isOp(i+1, "&")) {
			all = i
		}
	}
	for ci := range u.calls {
		if u.calls[ci].name == "gettables" && list < 0 {
			list = u.calls[ci].at
		}
	}
	if list >= 0 && all >= 0 {
		u.an.add("sql.dump", wSQLDump, u.evidence(all, all+1))
	}
}
