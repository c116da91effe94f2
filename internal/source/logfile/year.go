package logfile

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

// YearSpan is the length of a year on the fixed calendar of stamp positions (366 days, in
// seconds); BoundSlack how far a log's last line may lie after its end bound (time zones).
const (
	DaySecs    = 86400
	YearSpan   = 366 * DaySecs
	BoundSlack = 14 * 3600
)

const (
	yearSpan   = YearSpan
	stampSlack = 2 * DaySecs   // how late a line may arrive without being taken for a new year (a day, plus the 29 February that non-leap years lack)
	boundSlack = BoundSlack    // how far the last line may lie after the end bound (time zones)
	maxYear    = 9999          // years beyond this are not produced
	minYear    = 1970 - 10_000 // a floor so that absurd inputs stay bounded
)

// cumDays[m] is the day index of the 1st of month m (1-based) on the fixed 366-day calendar.
var cumDays = [13]int{0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335}

// MonthLen is the length of each month (1-based) on the fixed calendar (February has 29).
var MonthLen = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Stamp is a traditional syslog time stamp (no year).
type Stamp struct {
	Mon, Day, Hour, Min, Sec int
}

// Valid reports whether the Stamp names a real point of the fixed calendar.
func (s Stamp) Valid() bool {
	return s.Mon >= 1 && s.Mon <= 12 && s.Day >= 1 && s.Day <= MonthLen[s.Mon] &&
		s.Hour >= 0 && s.Hour < 24 && s.Min >= 0 && s.Min < 60 && s.Sec >= 0 && s.Sec <= 60
}

// Pos is the Stamp's second within the fixed year.
func (s Stamp) Pos() int64 {
	return int64(cumDays[s.Mon]+s.Day-1)*DaySecs + int64(s.Hour*3600+s.Min*60+s.Sec)
}

// StampOf gives the Stamp of a wall-clock time.
func StampOf(t time.Time) Stamp {
	return Stamp{Mon: int(t.Month()), Day: t.Day(), Hour: t.Hour(), Min: t.Minute(), Sec: t.Second()}
}

// YearCursor follows the stamps of one file (step 1 above).
type YearCursor struct {
	Year    int   // year of the cursor
	Pos     int64 // position of the cursor within that year
	Started bool
}

// Observe places a Stamp position and returns its year.
func (c *YearCursor) Observe(p int64) int {
	if !c.Started {
		c.Started = true
		c.Pos = p
		return c.Year
	}
	cur := int64(c.Year)*yearSpan + c.Pos
	lo := cur - stampSlack
	for y := c.Year - 1; y <= c.Year+1; y++ {
		k := int64(y)*yearSpan + p
		if k >= lo {
			if k > cur {
				c.Year, c.Pos = y, p
			}
			return y
		}
	}
	// Not reached: (year+1)*yearSpan+p > cur for every p >= 0.
	return c.Year
}

// YearOfEnd returns the year of the cursor's last position endPos so that it is not later
// than bound (a wall-clock time in the log's zone) by more than boundSlack (step 2 above).
func YearOfEnd(endPos int64, bound time.Time) int {
	by := bound.Year()
	bk := int64(by)*yearSpan + StampOf(bound).Pos() + boundSlack
	for y := by + 1; y > by-1; y-- {
		if int64(y)*yearSpan+endPos <= bk {
			return y
		}
	}
	return by - 1
}

// FirstYear works out the year of the first line of a file of traditional stamps: wraps is the
// relative year of the cursor at the end of the file (the first line being year 0), endPos the
// cursor's last position, and bound the latest time the last line can have (the file's
// modification time, or the first line of the next newer file), as wall-clock time in the zone
// the log was written in.
func FirstYear(wraps int, endPos int64, bound time.Time) int {
	y := YearOfEnd(endPos, bound) - wraps
	if y < minYear {
		y = minYear
	}
	return y
}

// ClampYear keeps produced years in a range time.Date handles sensibly.
func ClampYear(y int) int {
	if y > maxYear {
		return maxYear
	}
	if y < minYear {
		return minYear
	}
	return y
}
