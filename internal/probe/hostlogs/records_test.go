package hostlogs

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// TestLoginRecords: with the authentication log gone (an intruder's cleaning), btmp's failed
// logins still make the guessing burst and wtmp's logins the sessions; with the authentication
// log there, wtmp repeats its logins (not kept twice) and btmp its failures (not counted twice).
func TestLoginRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var btmp, wtmp bytes.Buffer
	for i := range 30 {
		btmp.Write(fixture.UtmpRecord(6, int32(100+i), "ssh:notty", "root", "203.0.113.9", t0.Add(time.Duration(i)*time.Second)))
	}
	wtmp.Write(fixture.UtmpRecord(fixture.UtmpUser, 500, "pts/0", "root", "203.0.113.9", t0.Add(time.Minute)))
	wtmp.Write(fixture.UtmpRecord(fixture.UtmpDead, 500, "pts/0", "", "", t0.Add(20*time.Minute)))
	wtmp.Write(fixture.UtmpRecord(fixture.UtmpUser, 600, "tty1", "alice", "", t0.Add(2*time.Hour)))

	count := func(rec *probe.Recorder) (sessions []snapshot.Session, bursts []snapshot.Burst) {
		for _, x := range rec.Records {
			switch v := x.(type) {
			case snapshot.Session:
				sessions = append(sessions, v)
			case snapshot.Burst:
				bursts = append(bursts, v)
			}
		}
		return
	}
	t.Run("no auth.log", func(t *testing.T) {
		r := fixture.Debian(t)
		r.File("/var/log/btmp", btmp.String(), 0o600)
		r.File("/var/log/wtmp", wtmp.String(), 0o664)
		ss, bs := count(collect(t, r))
		if len(bs) != 1 || bs[0].SourceIP != "203.0.113.9" || bs[0].Attempts != 30 {
			t.Fatalf("bursts from btmp: %+v", bs)
		}
		if len(ss) != 2 || ss[0].Via != "ssh" || ss[0].SourceIP != "203.0.113.9" || ss[0].End == 0 || ss[1].Via != "console" || ss[1].User != "alice" {
			t.Fatalf("sessions from wtmp: %+v", ss)
		}
	})
	t.Run("auth.log too", func(t *testing.T) {
		r := fixture.Debian(t)
		r.File("/etc/timezone", "Etc/UTC\n", 0o644)
		var auth strings.Builder
		for i := range 30 {
			auth.WriteString(t0.Add(time.Duration(i)*time.Second).Format("Jan _2 15:04:05") + " web1 sshd[100]: Failed password for root from 203.0.113.9 port 4000 ssh2\n")
		}
		auth.WriteString(t0.Add(time.Minute).Format("Jan _2 15:04:05") + " web1 sshd[500]: Accepted password for root from 203.0.113.9 port 4001 ssh2\n")
		r.File("/var/log/auth.log", auth.String(), 0o640)
		r.Chtimes("/var/log/auth.log", t0.Add(3*time.Hour))
		r.File("/var/log/btmp", btmp.String(), 0o600)
		r.File("/var/log/wtmp", wtmp.String(), 0o664)
		ss, bs := count(collect(t, r))
		if len(bs) != 1 || bs[0].Attempts != 30 {
			t.Fatalf("bursts: %+v (btmp's failures counted again?)", bs)
		}
		n := 0
		for _, s := range ss {
			if s.User == "root" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("root's login kept %d times: %+v", n, ss)
		}
	})
}
