package authlog

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func failed(t time.Time, ip, user string, invalid bool) Event {
	return Event{Kind: KindSSHFailed, Time: t, SourceIP: ip, User: user, Invalid: invalid, Count: 1}
}

func TestGuessingBursts(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	type in struct {
		evs     []Event
		success string // ip whose login closes its burst after the events
	}
	cases := []struct {
		name  string
		in    in
		want  int // bursts emitted
		check func(t *testing.T, bs []Burst)
	}{
		{"sixty failures then a success: one burst", in{func() (evs []Event) {
			for i := range 60 {
				evs = append(evs, failed(t0.Add(time.Duration(i)*2*time.Second), "203.0.113.77", "root", false))
			}
			return
		}(), "203.0.113.77"}, 1, func(t *testing.T, bs []Burst) {
			if bs[0].Attempts != 60 || bs[0].Accounts != 1 || bs[0].Spray || bs[0].Top[0] != "root" {
				t.Errorf("burst = %+v", bs[0])
			}
		}},
		{"typos: three failures, sparse", in{[]Event{failed(t0, "192.0.2.10", "alice", false), failed(t0.Add(time.Minute), "192.0.2.10", "alice", false),
			failed(t0.Add(26*time.Hour), "192.0.2.10", "alcie", true)}, ""}, 0, nil},
		{"seventeen failures over four days across ten accounts: no burst", in{func() (evs []Event) {
			for i := range 17 {
				evs = append(evs, failed(t0.Add(time.Duration(i)*5*time.Hour+time.Duration(i%3)*time.Minute), "192.0.2.10", fmt.Sprintf("acct%d", i%10), false))
			}
			return
		}(), ""}, 0, nil},
		{"spray: five accounts twice each in ten minutes", in{func() (evs []Event) {
			for i := range 10 {
				evs = append(evs, failed(t0.Add(time.Duration(i)*time.Minute), "198.51.100.5", fmt.Sprintf("u%d", i%5), true))
			}
			return
		}(), ""}, 1, func(t *testing.T, bs []Burst) {
			if !bs[0].Spray || bs[0].Accounts != 5 || bs[0].Invalid != 10 {
				t.Errorf("burst = %+v", bs[0])
			}
		}},
		{"a gap over 30 minutes splits the runs", in{func() (evs []Event) {
			for i := range 12 {
				evs = append(evs, failed(t0.Add(time.Duration(i)*time.Second), "198.51.100.6", "root", false))
			}
			for i := range 12 {
				evs = append(evs, failed(t0.Add(2*time.Hour+time.Duration(i)*time.Second), "198.51.100.6", "root", false))
			}
			return
		}(), ""}, 2, nil},
		{"invalid-user lines and their failed lines are one attempt each", in{func() (evs []Event) {
			for i := range 10 {
				at := t0.Add(time.Duration(i) * time.Second)
				evs = append(evs, Event{Kind: KindSSHInvalidUser, Time: at, SourceIP: "198.51.100.7", User: "oracle"}, failed(at, "198.51.100.7", "oracle", true))
			}
			return
		}(), ""}, 1, func(t *testing.T, bs []Burst) {
			if bs[0].Attempts != 10 || bs[0].Invalid != 10 {
				t.Errorf("attempts %d invalid %d, want 10 and 10", bs[0].Attempts, bs[0].Invalid)
			}
		}},
		{"message repeated counts", in{[]Event{{Kind: KindSSHFailed, Time: t0, SourceIP: "198.51.100.8", User: "root", Count: 30}}, ""}, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var bs []Burst
			g := &Guessing{Emit: func(b Burst) { bs = append(bs, b) }}
			for _, ev := range c.in.evs {
				g.Add(ev)
			}
			if c.in.success != "" {
				g.SourceClosed(c.in.success)
				if len(bs) != c.want {
					t.Fatalf("after the success: %d bursts, want %d", len(bs), c.want)
				}
			}
			g.Flush()
			if len(bs) != c.want {
				t.Fatalf("%d bursts, want %d: %+v", len(bs), c.want, bs)
			}
			if c.check != nil {
				c.check(t, bs)
			}
		})
	}
}

func TestPrefix24(t *testing.T) {
	for in, want := range map[string]string{"203.0.113.77": "203.0.113.0/24", "::ffff:203.0.113.77": "203.0.113.0/24",
		"2001:db8::1": "2001:db8::/64", "example.org": "", "": ""} {
		if got := Prefix24(in); got != want {
			t.Errorf("Prefix24(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGuessingMemoryBounded: two million failed logins from one address, each for a distinct
// account name, keep the tracker's memory small (the names are capped, the top list fixed).
func TestGuessingMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("two million events")
	}
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var bs []Burst
	g := &Guessing{Emit: func(b Burst) { bs = append(bs, b) }}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 2_000_000 {
		g.Add(Event{Kind: KindSSHFailed, Time: t0.Add(time.Duration(i) * time.Millisecond), SourceIP: "203.0.113.9", User: fmt.Sprintf("user%07d", i), Count: 1})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	g.Flush()
	if len(bs) != 1 || bs[0].Attempts != 2_000_000 || !bs[0].AccountsCapped || bs[0].Accounts != AccountsCap || len(bs[0].Top) != topAccounts {
		t.Fatalf("burst = attempts %d accounts %d capped %v top %d", bs[0].Attempts, bs[0].Accounts, bs[0].AccountsCapped, len(bs[0].Top))
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("heap grew by %d MiB for one source", grown>>20)
	}
}
