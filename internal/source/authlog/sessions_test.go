package authlog

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func eventsOf(t *testing.T, log string) []Event {
	t.Helper()
	rd := &Reader{}
	var evs []Event
	if err := rd.Stream(context.Background(), strings.NewReader(log), "/var/log/auth.log", 2026, func(ev Event) bool {
		evs = append(evs, ev)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSessions(t *testing.T) {
	log := `Mar  1 09:00:00 web sshd[100]: Accepted publickey for alice from 203.0.113.7 port 50122 ssh2: ED25519 SHA256:aaa
Mar  1 09:00:00 web sshd[100]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)
Mar  1 09:00:01 web systemd-logind[50]: New session 7 of user alice.
Mar  1 09:00:01 web sshd[100]: Starting session: shell on pts/0 for alice from 203.0.113.7 port 50122 id 0
Mar  1 09:05:00 web sudo[200]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt install nginx
Mar  1 09:05:00 web sudo[200]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)
Mar  1 09:05:30 web sudo[200]: pam_unix(sudo:session): session closed for user root
Mar  1 09:06:00 web su[210]: (to root) alice on pts/0
Mar  1 09:06:00 web su[210]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)
Mar  1 09:07:00 web sudo[220]:     root : TTY=pts/0 ; PWD=/root ; USER=www-data ; COMMAND=/usr/bin/id
Mar  1 09:08:00 web su[210]: pam_unix(su-l:session): session closed for user root
Mar  1 09:17:01 web CRON[300]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)
Mar  1 09:17:01 web CRON[300]: pam_unix(cron:session): session closed for user root
Mar  1 09:30:00 web sshd[100]: Received disconnect from 203.0.113.7 port 50122:11: disconnected by user
Mar  1 09:30:00 web sshd[100]: Disconnected from user alice 203.0.113.7 port 50122
Mar  1 09:30:00 web sshd[100]: pam_unix(sshd:session): session closed for user alice
Mar  1 10:00:00 web sudo[400]:      bob : TTY=pts/3 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash
Mar  1 10:00:00 web sudo[400]: pam_unix(sudo:session): session opened for user root(uid=0) by bob(uid=1001)
Mar  1 10:20:00 web sudo[400]: pam_unix(sudo:session): session closed for user root
Mar  1 11:00:00 web login[500]: pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)
Mar  1 11:01:00 web sudo[510]:     root : TTY=tty1 ; PWD=/root ; USER=root ; COMMAND=/usr/sbin/reboot
Mar  1 12:00:00 web sshd[600]: Accepted password for mallory from 198.51.100.66 port 40000 ssh2
`
	ss := Sessions(slices.Values(eventsOf(t, log)))
	at := func(hms string) time.Time {
		tm, _ := time.Parse(time.DateTime, "2026-03-01 "+hms)
		return tm
	}
	type brief struct {
		Via, User, Target, IP, Method, Key, TTY string
		Start, End                              time.Time
		Commands                                []string
	}
	var got []brief
	for _, s := range ss {
		b := brief{s.Via, s.User, s.TargetUser, s.SourceIP, s.Method, s.Key, s.TTY, s.Start, s.End, nil}
		for _, c := range s.Commands {
			b.Commands = append(b.Commands, c.RunAs+":"+c.Command)
		}
		got = append(got, b)
	}
	want := []brief{
		{ViaSSH, "alice", "", "203.0.113.7", "publickey", "SHA256:aaa", "pts/0", at("09:00:00"), at("09:30:00"), []string{"root:/usr/bin/apt install nginx"}},
		{ViaSu, "alice", "root", "", "", "", "", at("09:06:00"), at("09:08:00"), []string{"www-data:/usr/bin/id"}},
		{ViaCron, "root", "", "", "", "", "", at("09:17:01"), at("09:17:01"), nil},
		{ViaSudo, "bob", "root", "", "", "", "pts/3", at("10:00:00"), at("10:20:00"), []string{"root:/bin/bash"}},
		{ViaConsole, "root", "", "", "", "", "", at("11:00:00"), time.Time{}, []string{"root:/usr/sbin/reboot"}},
		{ViaSSH, "mallory", "", "198.51.100.66", "password", "", "", at("12:00:00"), time.Time{}, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sessions:\n%+v", len(got), got)
	}
	for i := range want {
		if !slices.Equal(got[i].Commands, want[i].Commands) || got[i].Via != want[i].Via || got[i].User != want[i].User ||
			got[i].Target != want[i].Target || got[i].IP != want[i].IP || got[i].Method != want[i].Method ||
			got[i].Key != want[i].Key || got[i].TTY != want[i].TTY || !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Errorf("session %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	// "Was a logged-in admin there at 09:05?" and "at 12:30?"
	if !ss[0].Covers(at("09:05:00")) || ss[0].Covers(at("09:31:00")) || !ss[5].Covers(at("23:00:00")) {
		t.Error("Covers")
	}
}

func TestSessionsPIDReuseAndLostAccept(t *testing.T) {
	log := `Mar  1 09:00:00 web sshd[100]: Accepted password for alice from 192.0.2.1 port 1 ssh2
Mar  2 09:00:00 web sshd[100]: Accepted password for bob from 192.0.2.2 port 2 ssh2
Mar  2 09:00:05 web sudo[7]: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/true
Mar  2 09:10:00 web sshd[100]: pam_unix(sshd:session): session closed for user bob
Mar  3 09:00:00 other sshd[100]: pam_unix(sshd:session): session opened for user carol(uid=1002) by (uid=0)
Mar  3 09:00:00 other sshd[100]: pam_unix(sshd:session): session closed for user dave
`
	ss := Sessions(slices.Values(eventsOf(t, log)))
	if len(ss) != 4 {
		t.Fatalf("got %d sessions: %+v", len(ss), ss)
	}
	// alice's session was ended by the reuse of its process id, its end unknown; her sudo
	// command then belongs to no login session.
	if ss[0].User != "alice" || !ss[0].End.IsZero() || len(ss[0].Commands) != 0 {
		t.Errorf("alice: %+v", ss[0])
	}
	if ss[1].User != "bob" || ss[1].End.IsZero() || ss[2].Via != ViaSudo || ss[2].User != "alice" {
		t.Errorf("bob / sudo: %+v / %+v", ss[1], ss[2])
	}
	if ss[3].User != "carol" || ss[3].Host != "other" || ss[3].End.IsZero() {
		t.Errorf("carol: %+v", ss[3])
	}
}
