package progress

import (
	"bytes"
	"strings"
	"sync"
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

func TestRecordRoundTrip(t *testing.T) {
	m := &Meter{c: fake{true}, start: time.Now()}
	s, ok := ParseRecord(m.Record() + "\n")
	if !ok || s.Items != 1234567 || s.Done != 2_000_000_000 || s.Total != 4_000_000_000 || !s.TotalKnown || !strings.Contains(s.Text, "1,234,567 files") {
		t.Fatalf("round trip: %+v %v from %q", s, ok, m.Record())
	}
	for _, bad := range []string{"", "collect: 3 files", LinePrefix + "1 2 3", LinePrefix + "x 2 3 true text", LinePrefix + "1 2 z true t"} {
		if _, ok := ParseRecord(bad); ok {
			t.Errorf("ParseRecord(%q) accepted", bad)
		}
	}
}

func TestLinesMode(t *testing.T) {
	t.Setenv(LinesEnv, "lines")
	if !Enabled(nil, false) || Enabled(nil, true) {
		t.Fatal("lines mode: enabled without a terminal unless quiet")
	}
	var b syncBuffer
	m := Start(&b, true, "collect", fake{false})
	time.Sleep(1200 * time.Millisecond)
	m.Stop()
	out := b.String()
	if strings.Contains(out, "\r") || strings.Contains(out, "\x1b") {
		t.Fatalf("lines mode wrote terminal controls: %q", out)
	}
	s, ok := ParseRecord(strings.SplitN(out, "\n", 2)[0])
	if !ok || s.TotalKnown || !strings.Contains(s.Text, "still finding files") {
		t.Fatalf("lines mode output %q: %+v %v", out, s, ok)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
