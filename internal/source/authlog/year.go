package authlog

import "time"

// Traditional syslog stamps ("Nov 26 13:04:05") have no year. The year is worked out in two
// steps:
//
//  1. Along a file, a cursor follows the stamps. Each stamp is placed in the year (previous,
//     same or next as the cursor) that puts it at the earliest point not more than stampSlack
//     (two days) before the cursor: Dec 31 followed by Jan 1 moves to the next year, a line that
//     arrives a few hours late does not, and a late "Dec 31" line just after "Jan 1" stays in the old
//     year. The cursor never moves back. Gaps of a year or more between two lines cannot be
//     seen (nothing in the stamps shows them).
//  2. The cursor's last position must not be later than the file's end bound (its modification
//     time, or the first line of the next newer file in the rotation, whichever is earlier):
//     the latest year that satisfies that, give or take boundSlack for a wrong time zone, is
//     the year of the last line, and so fixes the year of the first.
//
// Positions inside a year are counted on a fixed calendar of 366 days (February always has 29),
// so the arithmetic does not depend on the year and the first pass can run with relative years.

const (
	daySecs    = 86400
	yearSpan   = 366 * daySecs
	stampSlack = 2 * daySecs   // how late a line may arrive without being taken for a new year (a day, plus the 29 February that non-leap years lack)
	boundSlack = 14 * 3600     // how far the last line may lie after the end bound (time zones)
	maxYear    = 9999          // years beyond this are not produced
	minYear    = 1970 - 10_000 // a floor so that absurd inputs stay bounded
)

// cumDays[m] is the day index of the 1st of month m (1-based) on the fixed 366-day calendar.
var cumDays = [13]int{0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335}

// monthLen on the fixed calendar.
var monthLen = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// stamp is a traditional syslog time stamp.
type stamp struct {
	mon, day, hour, min, sec int
}

// valid reports whether the stamp names a real point of the fixed calendar.
func (s stamp) valid() bool {
	return s.mon >= 1 && s.mon <= 12 && s.day >= 1 && s.day <= monthLen[s.mon] &&
		s.hour >= 0 && s.hour < 24 && s.min >= 0 && s.min < 60 && s.sec >= 0 && s.sec <= 60
}

// pos is the stamp's second within the fixed year.
func (s stamp) pos() int64 {
	return int64(cumDays[s.mon]+s.day-1)*daySecs + int64(s.hour*3600+s.min*60+s.sec)
}

// stampOf gives the stamp of a wall-clock time.
func stampOf(t time.Time) stamp {
	return stamp{mon: int(t.Month()), day: t.Day(), hour: t.Hour(), min: t.Minute(), sec: t.Second()}
}

// yearCursor follows the stamps of one file (step 1 above).
type yearCursor struct {
	year    int   // year of the cursor
	pos     int64 // position of the cursor within that year
	started bool
}

// observe places a stamp position and returns its year.
func (c *yearCursor) observe(p int64) int {
	if !c.started {
		c.started = true
		c.pos = p
		return c.year
	}
	cur := int64(c.year)*yearSpan + c.pos
	lo := cur - stampSlack
	for y := c.year - 1; y <= c.year+1; y++ {
		k := int64(y)*yearSpan + p
		if k >= lo {
			if k > cur {
				c.year, c.pos = y, p
			}
			return y
		}
	}
	// Not reached: (year+1)*yearSpan+p > cur for every p >= 0.
	return c.year
}

// yearOfEnd returns the year of the cursor's last position endPos so that it is not later
// than bound (a wall-clock time in the log's zone) by more than boundSlack (step 2 above).
func yearOfEnd(endPos int64, bound time.Time) int {
	by := bound.Year()
	bk := int64(by)*yearSpan + stampOf(bound).pos() + boundSlack
	for y := by + 1; y > by-1; y-- {
		if int64(y)*yearSpan+endPos <= bk {
			return y
		}
	}
	return by - 1
}

// firstYear works out the year of the first line of a file of traditional stamps: wraps is the
// relative year of the cursor at the end of the file (the first line being year 0), endPos the
// cursor's last position, and bound the latest time the last line can have (the file's
// modification time, or the first line of the next newer file), as wall-clock time in the zone
// the log was written in.
func firstYear(wraps int, endPos int64, bound time.Time) int {
	y := yearOfEnd(endPos, bound) - wraps
	if y < minYear {
		y = minYear
	}
	return y
}

// clampYear keeps produced years in a range time.Date handles sensibly.
func clampYear(y int) int {
	if y > maxYear {
		return maxYear
	}
	if y < minYear {
		return minYear
	}
	return y
}
