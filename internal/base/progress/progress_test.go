package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type fake struct{ known bool }

func (f fake) Progress() (int64, int64, int64, bool) {
	return 1234567, 2_000_000_000, 4_000_000_000, f.known
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{Bytes(999), "999 B"}, {Bytes(1500), "1.5 kB"}, {Bytes(5_300_000_000), "5.3 GB"},
		{Count(0), "0"}, {Count(1234567), "1,234,567"}, {Count(100), "100"},
		{Duration(65 * time.Second), "1:05"}, {Duration(3725 * time.Second), "1:02:05"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q want %q", tc.got, tc.want)
		}
	}
}

func TestMeter(t *testing.T) {
	m := Start(&bytes.Buffer{}, false, "snapshot", fake{true})
	m.start = time.Now().Add(-2 * time.Second)
	l := m.Line()
	if !strings.Contains(l, "1,234,567 files") || !strings.Contains(l, "2.0 GB") || !strings.Contains(l, "left") {
		t.Errorf("line %q", l)
	}
	m2 := Start(&bytes.Buffer{}, false, "snapshot", fake{false})
	if !strings.Contains(m2.Line(), "still finding") {
		t.Errorf("line %q", m2.Line())
	}
	var out bytes.Buffer
	m3 := Start(&out, false, "x", fake{true})
	m3.Stop()
	if out.Len() != 0 {
		t.Errorf("a disabled meter printed %q", out.String())
	}
}
