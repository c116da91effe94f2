package weblog

import (
	"strings"
	"time"
)

// ParseError reads one error log line of nginx, Apache (2.2 and 2.4 formats), PHP-FPM or PHP
// (error_log), telling them apart by shape. Local time stamps are read in loc (nil: UTC).
// Continuation lines (a PHP stack trace, a multi-line message) give ok false.
func ParseError(line string, loc *time.Location) (ErrorEvent, bool) {
	if loc == nil {
		loc = time.UTC
	}
	var e ErrorEvent
	var ok bool
	switch {
	case len(line) > 20 && isDigit(line[0]) && line[4] == '/':
		ok = parseNginxError(line, loc, &e)
	case len(line) > 20 && line[0] == '[' && isDigit(line[1]):
		ok = parseFPM(line, loc, &e)
	case len(line) > 20 && line[0] == '[':
		ok = parseApacheError(line, loc, &e)
	}
	return e, ok
}

// parseNginxError reads
// 2026/11/26 13:04:05 [error] 1234#1234: *5 message, client: 1.2.3.4, server: x, request: "GET /x HTTP/1.1", host: "x"
func parseNginxError(s string, loc *time.Location, e *ErrorEvent) bool {
	if len(s) < 21 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != ' ' {
		return false
	}
	year, mon, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hh, mm, ss := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if !validDate(year, mon, day, hh, mm, ss) {
		return false
	}
	e.Time = time.Date(year, time.Month(mon), day, hh, mm, ss, 0, loc).UTC()
	e.Server = ServerNginx
	rest := s[20:]
	if !strings.HasPrefix(rest, "[") {
		return false
	}
	c := strings.IndexByte(rest, ']')
	if c < 0 {
		return false
	}
	e.Level = strings.ToLower(rest[1:c])
	rest = strings.TrimLeft(rest[c+1:], " ")
	// pid#tid:
	if h := strings.IndexByte(rest, '#'); h > 0 && num(rest[:h]) >= 0 {
		if col := strings.IndexByte(rest, ':'); col > h {
			rest = strings.TrimLeft(rest[col+1:], " ")
		}
	}
	// *connection
	if strings.HasPrefix(rest, "*") {
		if sp := strings.IndexByte(rest, ' '); sp > 0 && num(rest[1:sp]) >= 0 {
			rest = rest[sp+1:]
		}
	}
	msg := rest
	if k := strings.LastIndex(rest, ", client: "); k >= 0 {
		msg = rest[:k]
		nginxFields(rest[k+2:], e)
	}
	e.Message = msg
	return true
}

// nginxFields reads `client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`.
func nginxFields(s string, e *ErrorEvent) {
	for s != "" {
		col := strings.Index(s, ": ")
		if col < 0 {
			return
		}
		key := s[:col]
		s = s[col+2:]
		var val string
		if strings.HasPrefix(s, `"`) {
			v, end, ok := quotedField(s, 0)
			if !ok {
				v, end = s[1:], len(s)
			}
			val, s = v, s[end:]
		} else if k := strings.Index(s, ", "); k >= 0 {
			val, s = s[:k], s[k:]
		} else {
			val, s = s, ""
		}
		switch key {
		case "client":
			e.Client = val
		case "request":
			e.Request = val
		case "host":
			e.Host = val
		case "server":
			if e.Host == "" {
				e.Host = val
			}
		}
		s = strings.TrimPrefix(s, ", ")
	}
}

// parseApacheError reads the Apache 2.2 and 2.4 formats:
// [Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] msg
// [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 1.2.3.4:5678] AH00037: msg
func parseApacheError(s string, loc *time.Location, e *ErrorEvent) bool {
	c := strings.IndexByte(s, ']')
	if c < 0 {
		return false
	}
	t, ok := apacheTime(s[1:c], loc)
	if !ok {
		return false
	}
	e.Time = t
	e.Server = ServerApache
	rest := strings.TrimLeft(s[c+1:], " ")
	v24 := false
	for strings.HasPrefix(rest, "[") {
		c := strings.IndexByte(rest, ']')
		if c < 0 {
			break
		}
		field := rest[1:c]
		switch {
		case e.Level == "" && !strings.Contains(field, " "):
			if col := strings.LastIndexByte(field, ':'); col >= 0 {
				field, v24 = field[col+1:], true
			}
			e.Level = strings.ToLower(field)
		case strings.HasPrefix(field, "pid "):
			v24 = true
		case strings.HasPrefix(field, "client ") || strings.HasPrefix(field, "remote "):
			if e.Client == "" || strings.HasPrefix(field, "client ") {
				e.Client = field[7:]
				if v24 {
					e.Client = dropPort(e.Client)
				}
			}
		default:
			goto done // a bracket that belongs to the message
		}
		rest = strings.TrimLeft(rest[c+1:], " ")
	}
done:
	if e.Level == "" {
		return false
	}
	e.Message = rest
	return true
}

// dropPort removes the ":port" Apache 2.4 appends to client addresses ("1.2.3.4:5678",
// "2001:db8::1:5678", "[2001:db8::1]:5678").
func dropPort(a string) string {
	if strings.HasPrefix(a, "[") {
		if e := strings.IndexByte(a, ']'); e > 0 {
			return a[1:e]
		}
	}
	c := strings.LastIndexByte(a, ':')
	if c <= 0 || num(a[c+1:]) < 0 {
		return a
	}
	return a[:c]
}

// apacheTime reads "Wed Oct 11 14:32:52 2000" or "Wed Oct 11 14:32:52.123456 2000".
func apacheTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 24 || s[3] != ' ' || s[7] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	mon := month(s[4:7])
	day := num(strings.TrimLeft(s[8:10], " "))
	hh, mm, ss := num(s[11:13]), num(s[14:16]), num(s[17:19])
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		j, scale := 1, 100000000
		for j < len(rest) && isDigit(rest[j]) {
			nsec += int(rest[j]-'0') * scale
			scale /= 10
			j++
		}
		rest = rest[j:]
	}
	if len(rest) != 5 || rest[0] != ' ' {
		return time.Time{}, false
	}
	year := num(rest[1:])
	if mon == 0 || !validDate(year, int(mon), day, hh, mm, ss) {
		return time.Time{}, false
	}
	return time.Date(year, mon, day, hh, mm, ss, nsec, loc).UTC(), true
}

// parseFPM reads PHP-FPM's and PHP's own error log lines:
// [26-Nov-2026 13:04:05] WARNING: [pool www] child 12 said into stderr: "..."
// [26-Nov-2026 13:04:05 UTC] PHP Warning:  Undefined variable $x in /var/www/a.php on line 3
func parseFPM(s string, loc *time.Location, e *ErrorEvent) bool {
	c := strings.IndexByte(s, ']')
	if c < 0 {
		return false
	}
	stamp := s[1:c]
	if sp := strings.LastIndexByte(stamp, ' '); sp > 12 && sp+1 < len(stamp) && !isDigit(stamp[sp+1]) {
		// PHP writes its zone name: UTC is certain, another name is the host's own zone.
		if stamp[sp+1:] == "UTC" {
			loc = time.UTC
		}
		stamp = stamp[:sp]
	}
	if len(stamp) < 20 || stamp[2] != '-' || stamp[6] != '-' || stamp[11] != ' ' || stamp[14] != ':' || stamp[17] != ':' {
		return false
	}
	day, mon, year := num(stamp[0:2]), month(stamp[3:6]), num(stamp[7:11])
	hh, mm, ss := num(stamp[12:14]), num(stamp[15:17]), num(stamp[18:20])
	nsec := 0
	if len(stamp) > 21 && stamp[20] == '.' {
		scale := 100000000
		for j := 21; j < len(stamp) && isDigit(stamp[j]); j++ {
			nsec += int(stamp[j]-'0') * scale
			scale /= 10
		}
	}
	if mon == 0 || !validDate(year, int(mon), day, hh, mm, ss) {
		return false
	}
	e.Time = time.Date(year, mon, day, hh, mm, ss, nsec, loc).UTC()
	e.Server = ServerFPM
	rest := strings.TrimLeft(s[c+1:], " ")
	col := strings.IndexByte(rest, ':')
	if col <= 0 || col > 40 || !isWords(rest[:col]) {
		e.Message = rest
		return rest != ""
	}
	e.Level = strings.ToLower(strings.TrimPrefix(rest[:col], "PHP "))
	e.Message = strings.TrimLeft(rest[col+1:], " ")
	return true
}

func validDate(year, mon, day, hh, mm, ss int) bool {
	return year >= 1970 && year <= 9999 && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 &&
		hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59 && ss >= 0 && ss <= 60
}

// isWords: letters and spaces only ("WARNING", "PHP Fatal error").
func isWords(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < 'a' || c > 'z') && s[i] != ' ' {
			return false
		}
	}
	return true
}
