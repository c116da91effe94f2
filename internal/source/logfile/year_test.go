package logfile

import (
	"testing"
	"time"
)

// TestYears: a cursor across Dec 31 to Jan 1 moves to the next year, a line a few hours late
// does not, and the end bound fixes the year of the first line.
func TestYears(t *testing.T) {
	st := func(mon, day, h int) int64 { return Stamp{Mon: mon, Day: day, Hour: h}.Pos() }
	var c YearCursor
	var ys []int
	for _, p := range []int64{st(12, 30, 10), st(12, 31, 23), st(1, 1, 1), st(12, 31, 22), st(1, 2, 0)} {
		ys = append(ys, c.Observe(p))
	}
	if want := []int{0, 0, 1, 0, 1}; len(ys) != len(want) || ys[0] != want[0] || ys[2] != want[2] || ys[3] != want[3] || ys[4] != want[4] {
		t.Errorf("years %v, want %v", ys, want)
	}
	bound := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	if y := FirstYear(c.Year, c.Pos, bound); y != 2025 {
		t.Errorf("first year %d, want 2025", y)
	}
	if !(Stamp{Mon: 2, Day: 29}).Valid() || (Stamp{Mon: 2, Day: 30}).Valid() || (Stamp{Mon: 13, Day: 1}).Valid() {
		t.Error("Valid")
	}
	if ClampYear(1<<40) != maxYear || ClampYear(-1<<40) != minYear {
		t.Error("ClampYear")
	}
}
