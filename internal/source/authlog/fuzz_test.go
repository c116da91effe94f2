package authlog

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var kinds = map[string]bool{
	KindSSHAccepted: true, KindSSHFailed: true, KindSSHInvalidUser: true, KindSSHInvalidUserReq: true,
	KindSSHDisconnect: true, KindSSHSessionOpen: true, KindSSHSessionClose: true, KindSSHSessionStart: true,
	KindSSHMaxAuth: true, KindSSHPreauthClose: true, KindSSHBadProtocol: true, KindSSHReverseMapping: true,
	KindSSHUserDenied: true, KindSSHConnect: true, KindSSHKeyFound: true, KindPAMAuthFailure: true,
	KindPAMUserUnknown: true, KindPAMMaxRetries: true, KindSudoCommand: true, KindSudoAuthFailure: true,
	KindSudoNotInSudoers: true, KindSudoNotAllowed: true, KindSuSessionOpen: true, KindSuSessionClose: true,
	KindSuSuccess: true, KindSuFailed: true, KindSessionOpen: true, KindSessionClose: true,
	KindLoginFailed: true, KindUserAdd: true, KindUserDel: true, KindUserMod: true, KindGroupAdd: true,
	KindGroupMod: true, KindGroupDel: true, KindPasswdChange: true, KindNewSession: true,
	KindSessionRemoved: true, KindCronSession: true, KindCronCommand: true, KindPkexecCommand: true,
	KindOther: true,
}

var seedLines = []string{
	"Nov 26 13:04:05 web1 sshd[1234]: Accepted publickey for alice from 203.0.113.7 port 50122 ssh2: ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
	"2026-11-26T13:04:05.123456+01:00 web1 sshd-session[99]: Accepted password for bob from 2001:db8::7 port 22 ssh2",
	"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
	"Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
	"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
	"Mar  1 10:00:00 h sshd[7]: Connection closed by authenticating user root 192.0.2.9 port 41000 [preauth]",
	"Mar  1 10:05:00 h sshd[8]: Received disconnect from 2001:db8::5 port 22:11: Bye Bye [preauth]",
	"Mar  1 10:00:00 h sshd[7]: error: maximum authentication attempts exceeded for root from 192.0.2.9 port 41000 ssh2 [preauth]",
	"Mar  1 10:00:00 h sshd[7]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.9  user=root",
	"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
	"Nov 26 13:04:05 web1 sudo[2211]: alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh",
	"Nov 26 13:04:05 web1 su[300]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
	"Nov 26 13:04:05 web1 useradd[400]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
	"Nov 26 13:04:05 web1 gpasswd[405]: user bob added by root to group sudo",
	"Nov 26 13:04:05 web1 systemd-logind[500]: New session 'c3' of user 'alice' with class 'user' and type 'tty'.",
	"Nov 26 13:17:01 web1 CRON[600]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)",
	"Nov 26 13:04:05 web1 login[700]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
	"Nov 26 13:04:05 web1 pkexec[800]: alice: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/bash -i]",
	"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
	"Feb 29 00:00:00 h su[1]: + /dev/pts/0 alice:root",
}

// FuzzParseLine checks that any line parses without panic and that every string of an event
// comes from the line.
func FuzzParseLine(f *testing.F) {
	for _, l := range seedLines {
		f.Add(l, 2025)
	}
	f.Fuzz(func(t *testing.T, line string, year int) {
		p := newParser("/var/log/auth.log", time.UTC, year%20000, true)
		var ev Event
		if !p.parseLine([]byte(line), 1, &ev) {
			return
		}
		if !kinds[ev.Kind] {
			t.Fatalf("kind %q", ev.Kind)
		}
		if len(ev.Raw) > maxRaw || !strings.HasPrefix(line, ev.Raw) {
			t.Fatalf("raw %q", ev.Raw)
		}
		if ev.Count < 1 || ev.Port < 0 || ev.Port > 65535 || ev.PID < 0 {
			t.Fatalf("count %d port %d pid %d", ev.Count, ev.Port, ev.PID)
		}
		if ev.SourceIP != "" {
			if _, err := netip.ParseAddr(ev.SourceIP); err != nil {
				t.Fatalf("source %q: %v", ev.SourceIP, err)
			}
		}
		for _, s := range []string{ev.Host, ev.Program, ev.User, ev.TargetUser, ev.By, ev.SourceIP, ev.SourceHost,
			ev.Method, ev.KeyType, ev.Key, ev.Command, ev.TTY, ev.PWD, ev.Session, ev.Group, ev.Detail} {
			if !strings.Contains(line, s) {
				t.Fatalf("field %q is not in the line", s)
			}
		}
		if ev.Service != "" && ev.Service != "sshd" && !strings.Contains(line, ev.Service) {
			t.Fatalf("service %q", ev.Service)
		}
		if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
			t.Fatalf("time %v", ev.Time)
		}
	})
}

// FuzzStream feeds whole streams: no panic, lines in order, no more events than lines.
func FuzzStream(f *testing.F) {
	f.Add([]byte(strings.Join(seedLines, "\n")), int64(0))
	f.Add([]byte("Dec 31 23:59:59 h sshd[1]: x\r\nJan  1 00:00:00 h sshd[1]: y\n\n\x00\xff"), int64(40))
	f.Fuzz(func(t *testing.T, data []byte, limit int64) {
		rd := &Reader{AllPrograms: true, MaxBytes: limit}
		last := 0
		n := 0
		rd.Stream(context.Background(), bytes.NewReader(data), "f", 2026, func(ev Event) bool {
			if ev.Line <= last {
				t.Fatalf("line %d after %d", ev.Line, last)
			}
			last = ev.Line
			n++
			return true
		})
		st := rd.Stats()
		if int64(n) != st.Events || st.Events > st.Lines || st.Lines > int64(bytes.Count(data, []byte("\n"))+1) {
			t.Fatalf("events %d, stats %+v", n, st)
		}
	})
}

// FuzzYears builds a true timeline (forward gaps under 360 days, lines arriving up to an hour
// late), writes it as traditional stamps and checks that the inferred years are the true ones,
// given an end bound between the last line and 300 days after it.
func FuzzYears(f *testing.F) {
	f.Add(int64(0), []byte{1, 2, 3, 4, 200, 100, 50, 0, 9, 9, 9, 9}, uint32(5))
	f.Add(int64(1<<30), []byte{255, 255, 255, 200, 10, 0, 0, 0, 255, 255, 255, 250}, uint32(1<<31))
	f.Fuzz(func(t *testing.T, start int64, steps []byte, delay uint32) {
		base := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		cur := base + (start&0x7fffffffffff)%(80*365*daySecs)
		max := cur
		truth := []int64{cur}
		for i := 0; i+4 <= len(steps) && len(truth) < 200; i += 4 {
			v := int64(binary.LittleEndian.Uint32(steps[i:]))
			if v%10 == 0 {
				truth = append(truth, max-v%3600) // a late line
				continue
			}
			cur = max + v%(360*daySecs)
			max = cur
			truth = append(truth, cur)
		}
		bound := time.Unix(max+int64(delay)%(300*daySecs), 0).UTC()
		var c yearCursor
		stamps := make([]stamp, len(truth))
		for i, u := range truth {
			stamps[i] = stampOf(time.Unix(u, 0).UTC())
			c.Observe(stamps[i].Pos())
		}
		y0 := firstYear(c.Year, c.Pos, bound)
		p := newParser("f", time.UTC, y0, false)
		var got, want []int
		for i, u := range truth {
			want = append(want, time.Unix(u, 0).UTC().Year())
			y := p.cursor.Observe(stamps[i].Pos())
			got = append(got, y)
			if tm := p.tradTime(y, stamps[i]); tm.Unix() != u {
				t.Fatalf("line %d: %v, want %v", i, tm, time.Unix(u, 0).UTC())
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("years %v, want %v", got, want)
		}
	})
}

// FuzzYearOfEnd: any position and bound give a year at most one off the bound's, and the last
// line then lies no later than the bound (give or take boundSlack).
func FuzzYearOfEnd(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(yearSpan-1), int64(1700000000))
	f.Fuzz(func(t *testing.T, pos, unix int64) {
		pos = (pos%yearSpan + yearSpan) % yearSpan
		unix %= 1 << 36
		bound := time.Unix(unix, 0).UTC()
		y := yearOfEnd(pos, bound)
		if y < bound.Year()-1 || y > bound.Year()+1 {
			t.Fatalf("year %d for bound %v", y, bound)
		}
		if int64(y)*yearSpan+pos > int64(bound.Year())*yearSpan+stampOf(bound).Pos()+boundSlack {
			t.Fatalf("year %d puts %d after %v", y, pos, bound)
		}
	})
}

// FuzzIsIPv4: the fast check agrees with net/netip.
func FuzzIsIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "0.0.0.0", "::1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is4()
		if got := isIPv4(s); got != want {
			t.Fatalf("isIPv4(%q) = %v, netip says %v", s, got, want)
		}
	})
}
