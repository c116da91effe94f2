package cli

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Now().UTC()
	cases := []struct {
		in   string
		want time.Time // zero with ok: no bound
		back time.Duration
		ok   bool
	}{
		{"", time.Time{}, 0, true},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 0, true},
		{"2026-11-20T13:00:00Z", time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC), 0, true},
		{"2026-11-20T13:00:00+01:00", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), 0, true},
		{"2026-11-20 13:05", time.Date(2026, 11, 20, 13, 5, 0, 0, time.UTC), 0, true},
		{"72h", time.Time{}, 72 * time.Hour, true},
		{"3d", time.Time{}, 72 * time.Hour, true},
		{"-3d", time.Time{}, 0, false},
		{"0h", time.Time{}, 0, false},
		{"yesterday", time.Time{}, 0, false},
		{"99999999999d", time.Time{}, 0, false},
	}
	for _, c := range cases {
		got, err := parseTime(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if c.back > 0 {
			if d := now.Add(-c.back).Sub(got); d < -time.Minute || d > time.Minute {
				t.Errorf("%q: %v, want about %v", c.in, got, now.Add(-c.back))
			}
		} else if !got.Equal(c.want) {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
		}
	}
}
