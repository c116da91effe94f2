package weblog

import (
	"strings"
	"time"
)

// ParseAccess reads one access log line in NCSA common or combined format, with or without a
// leading virtual host (Apache's vhost_combined "%v:%p ...", nginx's "$host ..."), with any
// fields after the user agent ignored. File and Line are left empty. ok is false for a line of
// another shape.
//
// Quoted fields may hold escaped quotes (\") and Apache's or nginx's \xHH escapes, which are
// undone. A request line that is not HTTP (binary, a TLS handshake, "-" or empty) gives an
// empty Method and the raw text in Target; a quote left unescaped by an old server inside the
// request line is tolerated.
func ParseAccess(line string) (Request, bool) {
	var p accessParser
	var r Request
	ok := p.parse(line, &r)
	return r, ok
}

// accessParser keeps the last time stamp read, since most lines of a busy log share it.
type accessParser struct {
	lastStamp string
	lastTime  time.Time
}

func (p *accessParser) parse(line string, r *Request) bool {
	*r = Request{}
	open := timeOpen(line)
	if open < 0 {
		return false
	}
	if !p.head(line[:open], r) {
		return false
	}
	closeAt := strings.IndexByte(line[open:], ']')
	if closeAt < 0 {
		return false
	}
	t, ok := p.stamp(line[open+1 : open+closeAt])
	if !ok {
		return false
	}
	r.Time = t
	i := open + closeAt + 1
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i >= len(line) || line[i] != '"' {
		return false
	}
	reqStart := i + 1
	// The request line, and the status and size after it.
	end, esc := scanQuoted(line, i)
	next := -1
	if end > 0 {
		next = tail(line, end, r)
	}
	if next < 0 {
		// An unescaped quote inside the request line (old servers logged it as sent): the
		// request ends at the first quote followed by a status and a size.
		esc = false
		for q := reqStart; q < len(line); q++ {
			if line[q] == '\\' {
				esc = true
				continue
			}
			if line[q] != '"' {
				continue
			}
			if n := tail(line, q+1, r); n >= 0 {
				end, next = q+1, n
				break
			}
		}
		if next < 0 {
			return false
		}
	}
	req := line[reqStart : end-1]
	if esc {
		req = unescapeLog(req)
	}
	splitRequest(req, r)
	// Referer and user agent, when present; anything after them is ignored.
	i = next
	if i < len(line) && line[i] == ' ' && i+1 < len(line) && line[i+1] == '"' {
		ref, e, ok := quotedField(line, i+1)
		if !ok {
			return true
		}
		r.Referer = dash(ref)
		i = e
		if i+1 < len(line) && line[i] == ' ' && line[i+1] == '"' {
			ua, _, ok := quotedField(line, i+1)
			if ok {
				r.UserAgent = dash(ua)
			}
		}
	}
	return true
}

// timeOpen finds the "[" that opens the time stamp: the first one after a space and before a
// digit. -1 if there is none.
func timeOpen(line string) int {
	for i := 1; i+1 < len(line); i++ {
		if line[i] == '[' && line[i-1] == ' ' && isDigit(line[i+1]) {
			return i
		}
	}
	return -1
}

// head reads the fields before the time stamp: "client ident user" or, with a fourth field in
// front, "vhost[:port] client ident user". A user name with spaces is kept whole when the
// ident is "-" (always, in practice).
func (p *accessParser) head(s string, r *Request) bool {
	var f [4]string
	n := 0
	rest := ""
	for s != "" {
		for s != "" && s[0] == ' ' {
			s = s[1:]
		}
		if s == "" {
			break
		}
		if n == 4 {
			rest = strings.TrimRight(s, " ")
			break
		}
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			f[n], s = s, ""
		} else {
			f[n], s = s[:sp], s[sp+1:]
		}
		n++
	}
	switch {
	case n < 3:
		return false
	case n == 3:
		r.Client, r.User = f[0], dash(f[2])
	case f[1] == "-":
		// "client - John Smith": a user name with spaces (a virtual host line has the client
		// second, never "-").
		user := strings.Join(f[2:n], " ")
		if rest != "" {
			user += " " + rest
		}
		r.Client, r.User = f[0], dash(user)
	default:
		r.VHost, r.Client = hostOnly(f[0]), f[1]
		user := f[3]
		if rest != "" {
			user += " " + rest
		}
		r.User = dash(user)
	}
	return r.Client != ""
}

// hostOnly drops a ":port" from a virtual host name ("example.org:443", "[2001:db8::1]:80").
func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if e := strings.IndexByte(h, ']'); e > 0 {
			return h[1:e]
		}
		return h
	}
	c := strings.LastIndexByte(h, ':')
	if c <= 0 || strings.IndexByte(h[:c], ':') >= 0 {
		return h // no port, or a bare IPv6 address
	}
	for i := c + 1; i < len(h); i++ {
		if !isDigit(h[i]) {
			return h
		}
	}
	return h[:c]
}

// tail reads ` STATUS SIZE` at line[i:], fills Status and Bytes, and returns the index after
// the size, which must be the end of the line or a space. -1 if the text does not fit.
func tail(line string, i int, r *Request) int {
	if i+5 > len(line) || line[i] != ' ' {
		return -1
	}
	a, b, c := line[i+1], line[i+2], line[i+3]
	if !isDigit(a) || !isDigit(b) || !isDigit(c) || line[i+4] != ' ' {
		return -1
	}
	j := i + 5
	var size int64
	switch {
	case j < len(line) && line[j] == '-':
		j++
	case j < len(line) && isDigit(line[j]):
		for ; j < len(line) && isDigit(line[j]); j++ {
			if size < 1e17 {
				size = size*10 + int64(line[j]-'0')
			}
		}
	default:
		return -1
	}
	if j < len(line) && line[j] != ' ' {
		return -1
	}
	r.Status = int(a-'0')*100 + int(b-'0')*10 + int(c-'0')
	r.Bytes = size
	return j
}

// scanQuoted finds the end of the quoted field opening at s[i] (the index after its closing
// quote, -1 if it is not closed), and whether it holds backslash escapes.
func scanQuoted(s string, i int) (end int, esc bool) {
	if q := strings.IndexByte(s[i+1:], '"'); q >= 0 && strings.IndexByte(s[i+1:i+1+q], '\\') < 0 {
		return i + 2 + q, false // the common case: no escapes
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc
		}
	}
	return -1, esc
}

// quotedField reads the quoted field opening at s[i], with escapes undone.
func quotedField(s string, i int) (val string, end int, ok bool) {
	end, esc := scanQuoted(s, i)
	if end < 0 {
		return "", 0, false
	}
	val = s[i+1 : end-1]
	if esc {
		val = unescapeLog(val)
	}
	return val, end, true
}

// unescapeLog undoes the escapes Apache (\" \\ \n \t \xHH ...) and nginx (\xHH) write in quoted
// fields. Unknown escapes are kept as they are.
func unescapeLog(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch d := s[i+1]; d {
		case '"', '\\':
			b.WriteByte(d)
			i++
		case 'n':
			b.WriteByte('\n')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case 'b':
			b.WriteByte('\b')
			i++
		case 'v':
			b.WriteByte('\v')
			i++
		case 'x':
			if i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) {
				b.WriteByte(unhex(s[i+2])<<4 | unhex(s[i+3]))
				i += 3
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitRequest fills Method, Target, Proto, Path and Query from a request line.
func splitRequest(req string, r *Request) {
	if req == "" || req == "-" {
		return
	}
	rest := req
	if sp := strings.IndexByte(req, ' '); sp > 0 && isToken(req[:sp]) {
		r.Method = req[:sp]
		rest = strings.TrimLeft(req[sp+1:], " ")
	}
	if sp := strings.LastIndexByte(rest, ' '); sp >= 0 && strings.HasPrefix(rest[sp+1:], "HTTP/") {
		r.Proto = rest[sp+1:]
		rest = strings.TrimRight(rest[:sp], " ")
	}
	r.Target = rest
	if r.Method == "" {
		return // not HTTP: no path to speak of
	}
	p := rest
	if q := strings.IndexByte(p, '?'); q >= 0 {
		p, r.Query = p[:q], p[q+1:]
	}
	if h := strings.Index(p, "://"); h > 0 && isScheme(p[:h]) {
		// Absolute URI (a proxy request): the path is what follows the authority.
		p = p[h+3:]
		if s := strings.IndexByte(p, '/'); s >= 0 {
			p = p[s:]
		} else {
			p = "/"
		}
	}
	if r.Method == "CONNECT" {
		p = ""
	}
	r.Path = decodePath(p)
}

func isScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z') && !(i > 0 && (isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}

// decodePath undoes one round of %XX in a path, as a server does ("+" stays "+").
func decodePath(p string) string {
	if strings.IndexByte(p, '%') < 0 {
		return p
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			b = append(b, unhex(p[i+1])<<4|unhex(p[i+2]))
			i += 2
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}

// tchar: the characters of an HTTP token (RFC 9110).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-32] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// month reads a three-letter English month name, any case.
func month(s string) time.Month {
	if len(s) != 3 {
		return 0
	}
	var b [3]byte
	b[0] = s[0] &^ 0x20
	b[1] = s[1] | 0x20
	b[2] = s[2] | 0x20
	return months[string(b[:])]
}

// num reads a fixed-width decimal number; -1 if s is not all digits.
func num(s string) int {
	if s == "" {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// stamp reads an access log time stamp: "10/Oct/2000:13:55:36 -0700" (with optional fractional
// seconds) or ISO 8601 ("2000-10-10T13:55:36-07:00", nginx's $time_iso8601).
func (p *accessParser) stamp(s string) (time.Time, bool) {
	if s == p.lastStamp && s != "" {
		return p.lastTime, true
	}
	t, ok := parseCLFTime(s)
	if !ok {
		var err error
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, false
		}
		t = t.UTC()
	}
	p.lastStamp, p.lastTime = s, t
	return t, true
}

func parseCLFTime(s string) (time.Time, bool) {
	// 10/Oct/2000:13:55:36 -0700
	if len(s) < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' {
		return time.Time{}, false
	}
	day, mon, year := num(s[0:2]), month(s[3:6]), num(s[7:11])
	hh, mm, ss := num(s[12:14]), num(s[15:17]), num(s[18:20])
	rest := s[20:]
	nsec := 0
	if rest[0] == '.' || rest[0] == ',' {
		j := 1
		scale := 100000000
		for j < len(rest) && isDigit(rest[j]) {
			nsec += int(rest[j]-'0') * scale
			scale /= 10
			j++
		}
		rest = rest[j:]
	}
	if len(rest) != 6 || rest[0] != ' ' || (rest[1] != '+' && rest[1] != '-') {
		return time.Time{}, false
	}
	zh, zm := num(rest[2:4]), num(rest[4:6])
	if day < 1 || day > 31 || mon == 0 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		ss < 0 || ss > 60 || zh < 0 || zh > 23 || zm < 0 || zm > 59 {
		return time.Time{}, false
	}
	off := time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
	if rest[1] == '-' {
		off = -off
	}
	return time.Date(year, mon, day, hh, mm, ss, nsec, time.UTC).Add(-off), true
}
