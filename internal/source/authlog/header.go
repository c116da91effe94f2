package authlog

import "time"

// header is the syslog part of a line: time stamp, host, tag. Offsets index the line.
type header struct {
	stampOK      bool      // the time stamp was read (even if the rest was not)
	trad         bool      // traditional stamp (no year)
	st           stamp     // the traditional stamp
	t            time.Time // RFC 3339 stamp, UTC
	host0, host1 int
	prog0, prog1 int
	pid          int
	msg          int // start of the message
}

// monthOf reads a three-letter English month name.
func monthOf(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	switch string(b[:3]) {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits2 reads two decimal digits at b[i].
func digits2(b []byte, i int) (int, bool) {
	if i+1 >= len(b) || !isDigit(b[i]) || !isDigit(b[i+1]) {
		return 0, false
	}
	return int(b[i]-'0')*10 + int(b[i+1]-'0'), true
}

// parseTrad reads "Nov 26 13:04:05 " (day space-padded, zero-padded or bare; an optional
// fraction of a second is skipped) and returns the offset after the space that follows.
func parseTrad(b []byte, st *stamp) (int, bool) {
	if len(b) < 15 || b[3] != ' ' {
		return 0, false
	}
	mon := monthOf(b)
	if mon == 0 {
		return 0, false
	}
	i := 4
	if b[i] == ' ' {
		i++
	}
	if i >= len(b) || !isDigit(b[i]) {
		return 0, false
	}
	day := int(b[i] - '0')
	i++
	if i < len(b) && isDigit(b[i]) {
		day = day*10 + int(b[i]-'0')
		i++
	}
	if i >= len(b) || b[i] != ' ' {
		return 0, false
	}
	i++
	hh, ok1 := digits2(b, i)
	mm, ok2 := digits2(b, i+3)
	ss, ok3 := digits2(b, i+6)
	if !ok1 || !ok2 || !ok3 || b[i+2] != ':' || b[i+5] != ':' {
		return 0, false
	}
	i += 8
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i >= len(b) || b[i] != ' ' {
		return 0, false
	}
	*st = stamp{Mon: mon, Day: day, Hour: hh, Min: mm, Sec: ss}
	if !st.Valid() {
		return 0, false
	}
	return i + 1, true
}

// daysFromCivil counts days from 1970-01-01 to y-m-d (proleptic Gregorian).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// parseRFC3339 reads "2026-11-26T13:04:05[.frac](Z|+hh:mm|-hh:mm) " and returns the instant in
// UTC and the offset after the space that follows.
func parseRFC3339(b []byte) (time.Time, int, bool) {
	if len(b) < 21 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	y1, ok1 := digits2(b, 0)
	y2, ok2 := digits2(b, 2)
	mo, ok3 := digits2(b, 5)
	d, ok4 := digits2(b, 8)
	hh, ok5 := digits2(b, 11)
	mm, ok6 := digits2(b, 14)
	ss, ok7 := digits2(b, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return time.Time{}, 0, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, 0, false
	}
	ml := monthLen[mo]
	if mo == 2 && !isLeap(y) {
		ml = 28
	}
	if d > ml {
		return time.Time{}, 0, false
	}
	i := 19
	ns := 0
	if i < len(b) && b[i] == '.' {
		i++
		scale := 100_000_000
		for i < len(b) && isDigit(b[i]) {
			ns += int(b[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if i >= len(b) {
		return time.Time{}, 0, false
	}
	off := 0
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		oh, okh := digits2(b, i+1)
		om, okm := digits2(b, i+4)
		if !okh || !okm || i+3 >= len(b) || b[i+3] != ':' || oh > 23 || om > 59 {
			return time.Time{}, 0, false
		}
		off = oh*3600 + om*60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return time.Time{}, 0, false
	}
	if i >= len(b) || b[i] != ' ' {
		return time.Time{}, 0, false
	}
	sec := daysFromCivil(y, mo, d)*daySecs + int64(hh*3600+mm*60+ss) - int64(off)
	return time.Unix(sec, int64(ns)).UTC(), i + 1, true
}

// parseHeader reads the stamp, host and tag ("prog[pid]: " or "prog: ") of a syslog line.
// A line without a readable stamp and host gives false; a line without a tag gives
// prog0 == prog1 (no program).
func parseHeader(b []byte, h *header) bool {
	var i int
	var ok bool
	if len(b) > 0 && isDigit(b[0]) {
		h.trad = false
		h.t, i, ok = parseRFC3339(b)
	} else {
		h.trad = true
		i, ok = parseTrad(b, &h.st)
	}
	h.stampOK = ok
	if !ok {
		return false
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	h.host0 = i
	for i < len(b) && b[i] != ' ' {
		i++
	}
	h.host1 = i
	if h.host1 == h.host0 || i >= len(b) {
		return false
	}
	i++
	h.prog0, h.prog1, h.pid, h.msg = i, i, 0, i
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ' ':
			return true // no tag
		case ':':
			h.prog1 = j
			h.msg = skipSpace(b, j+1)
			return true
		case '[':
			k := j + 1
			pid := 0
			for k < len(b) && isDigit(b[k]) {
				if pid < 1<<30 {
					pid = pid*10 + int(b[k]-'0')
				}
				k++
			}
			if k+1 >= len(b) || b[k] != ']' || b[k+1] != ':' {
				return true // not a tag
			}
			h.prog1 = j
			h.pid = pid
			h.msg = skipSpace(b, k+2)
			return true
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	if i < len(b) && b[i] == ' ' {
		return i + 1
	}
	return i
}
