package sessions

import (
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

var t0 = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixNano() }

// snap builds a snapshot holding the given records.
func snap(t *testing.T, meta map[string]string, recs ...any) *snapshot.Reader {
	t.Helper()
	w, err := snapshot.CreateMemory()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		w.SetMeta(k, v)
	}
	for _, r := range recs {
		w.Put(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := w.Reader("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var users = []any{
	snapshot.User{Name: "root", UID: 0, Shell: "/bin/bash"},
	snapshot.User{Name: "alice", UID: 1000, Shell: "/bin/bash"},
	snapshot.User{Name: "www-data", UID: 33, Shell: "/usr/sbin/nologin"},
}

func ssh(user, ip, method, key string, start, end time.Duration, line int) snapshot.Session {
	s := snapshot.Session{User: user, Via: "ssh", SourceIP: ip, Method: method, Key: key, Start: at(start), File: "/var/log/auth.log", Line: line}
	if end != 0 {
		s.End = at(end)
	}
	return s
}

const (
	aliceKey = "SHA256:AAAAaaaaBBBBbbbbCCCCccccDDDDddddEEEEeeeeFFF"
	evilKey  = "SHA256:ZZZZzzzzYYYYyyyyXXXXxxxxWWWWwwwwVVVVvvvvUUU"
)

// baseline: alice logged in from 192.0.2.10 with her key on many days before the incident, at
// office hours.
func baseline(t *testing.T) *snapshot.Reader {
	recs := append([]any{}, users...)
	recs = append(recs, snapshot.SSHKey{User: "alice", File: "/home/alice/.ssh/authorized_keys", Fingerprint: aliceKey})
	for d := 1; d <= 10; d++ {
		recs = append(recs, ssh("alice", "192.0.2.10", "publickey", aliceKey, -time.Duration(d)*24*time.Hour-4*time.Hour, -time.Duration(d)*24*time.Hour-3*time.Hour, d))
	}
	return snap(t, map[string]string{"taken_at": t0.Add(-12 * time.Hour).Format(time.RFC3339)}, recs...)
}

func burst(ip string, start, end time.Duration, n, accounts int) snapshot.Burst {
	return snapshot.Burst{SourceIP: ip, Start: at(start), End: at(end), Attempts: n, Accounts: accounts, Top: "root", File: "/var/log/auth.log", Line: 7}
}

func TestJudgement(t *testing.T) {
	tests := []struct {
		name     string
		recs     []any
		base     bool
		trust    []casedir.Trust
		hostile  map[string]string
		id       int // which session to look at (index in time order)
		want     Judgement
		attack   bool
		reason   string
		firstHos time.Duration // expected FirstHostile offset (0: none)
	}{
		{name: "a root login after sixty failed passwords is hostile",
			recs: []any{burst("203.0.113.77", -2*time.Minute, -5*time.Second, 60, 1), ssh("root", "203.0.113.77", "password", "", 0, 0, 70)},
			want: Hostile, attack: true, reason: "60 failed logins from 203.0.113.77", firstHos: -2 * time.Minute},
		{name: "operator trust does not outweigh guessing before the login",
			recs:  []any{burst("203.0.113.77", -2*time.Minute, -5*time.Second, 60, 1), ssh("root", "203.0.113.77", "password", "", 0, 0, 70)},
			trust: []casedir.Trust{{Address: "203.0.113.77/32", Who: "x"}},
			want:  Hostile, attack: true, reason: "despite", firstHos: -2 * time.Minute},
		{name: "a neighbour of the guessing address is hostile too",
			recs: []any{burst("203.0.113.77", -2*time.Hour, -time.Hour, 500, 30), ssh("root", "203.0.113.78", "password", "", 0, 0, 70)},
			want: Hostile, attack: true, reason: "network 203.0.113.0/24"},
		{name: "guessing more than a week before does not taint a login",
			recs: []any{burst("203.0.113.77", -9*24*time.Hour, -9*24*time.Hour+time.Hour, 60, 1), ssh("alice", "203.0.113.77", "publickey", aliceKey, 0, time.Hour, 70)},
			want: Unknown},
		{name: "the baseline's known address vouches",
			recs: []any{ssh("alice", "192.0.2.10", "publickey", aliceKey, 0, time.Hour, 70)}, base: true,
			want: Trusted, reason: "baseline's logs show 192.0.2.10"},
		{name: "no baseline, no trust: unknown",
			recs: []any{ssh("alice", "192.0.2.10", "publickey", aliceKey, 0, time.Hour, 70)},
			want: Unknown, reason: "no baseline"},
		{name: "operator's trust vouches",
			recs:  []any{ssh("alice", "198.51.100.20", "publickey", "", 0, time.Hour, 70)},
			trust: []casedir.Trust{{Address: "198.51.100.0/24", Who: "alice", Operator: "bob"}},
			want:  Trusted, reason: "bob vouched for 198.51.100.0/24"},
		{name: "a key the baseline did not have, from an unknown address, is hostile",
			recs: []any{ssh("alice", "198.51.100.20", "publickey", evilKey, 0, time.Hour, 70)}, base: true,
			want: Hostile, reason: "which the baseline did not have", firstHos: 0},
		{name: "a new key from the admin's known address is the admin's",
			recs: []any{ssh("alice", "192.0.2.10", "publickey", evilKey, 0, time.Hour, 70)}, base: true,
			want: Trusted},
		{name: "a stolen key: known key, new address, an hour the admin never works",
			recs: []any{ssh("alice", "198.51.100.99", "publickey", aliceKey, 0, time.Hour, 70)}, base: true, // 14:00 UTC; alice works at 10:00
			want: Hostile, reason: "an hour they never logged in at"},
		{name: "a password login into a service account from a never-seen address",
			recs: []any{ssh("alice", "192.0.2.10", "publickey", aliceKey, -time.Hour, -50*time.Minute, 60), ssh("www-data", "198.51.100.5", "password", "", 0, time.Hour, 70)},
			id:   1, want: Hostile, reason: "password login into www-data"},
		{name: "the same address as a hostile session, later, is hostile",
			recs: []any{burst("203.0.113.77", -2*time.Minute, -5*time.Second, 60, 1), ssh("root", "203.0.113.77", "password", "", 0, time.Minute, 70),
				ssh("alice", "203.0.113.77", "publickey", aliceKey, 30*24*time.Hour, 30*24*time.Hour+time.Minute, 80)},
			id: 1, want: Hostile, attack: true, reason: "the same address as"},
		{name: "an address investigate tied to an exploit",
			recs:    []any{ssh("alice", "198.51.100.8", "publickey", aliceKey, 0, time.Hour, 70)},
			hostile: map[string]string{"198.51.100.8": "uploaded a web shell"},
			want:    Hostile, attack: true, reason: "uploaded a web shell"},
		{name: "su from a hostile session is hostile",
			recs: []any{burst("203.0.113.77", -2*time.Minute, -5*time.Second, 60, 1), ssh("alice", "203.0.113.77", "password", "", 0, time.Hour, 70),
				snapshot.Session{User: "alice", Via: "su", Target: "root", Start: at(5 * time.Minute), End: at(10 * time.Minute), File: "/var/log/auth.log", Line: 75}},
			id: 1, want: Hostile, attack: true, reason: "run from alice's ssh session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := snap(t, nil, append(append([]any{}, users...), tc.recs...)...)
			opt := Options{Trust: tc.trust, HostileIPs: tc.hostile}
			if tc.base {
				opt.Base = baseline(t)
			}
			m, err := Build(cur, opt)
			if err != nil {
				t.Fatal(err)
			}
			s := m.Sessions[tc.id]
			if s.Judgement != tc.want || s.Attack != tc.attack {
				t.Fatalf("%s: %s (attack %v), want %s (attack %v): %v", s.Label(), s.Judgement, s.Attack, tc.want, tc.attack, s.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(s.Reasons, "; "), tc.reason) {
				t.Errorf("reasons %q lack %q", s.Reasons, tc.reason)
			}
			if tc.firstHos != 0 && !m.FirstHostile.Equal(t0.Add(tc.firstHos)) {
				t.Errorf("first hostile %v, want %v", m.FirstHostile, t0.Add(tc.firstHos))
			}
			if tc.want != Hostile && !m.FirstHostile.IsZero() {
				t.Errorf("first hostile %v with no hostile session", m.FirstHostile)
			}
		})
	}
}

func TestAttribute(t *testing.T) {
	recs := append([]any{}, users...)
	recs = append(recs,
		burst("203.0.113.77", -2*time.Minute, -5*time.Second, 60, 1),
		ssh("root", "203.0.113.77", "password", "", 0, 30*time.Minute, 70), // hostile, root
		ssh("alice", "192.0.2.10", "publickey", aliceKey, 2*time.Hour, 4*time.Hour, 80),
		snapshot.Event{Time: at(2*time.Hour + 10*time.Minute), Source: "auth", Kind: "sudo-command", User: "alice", Target: "root", Subject: "/usr/bin/tee /etc/cron.d/backup", File: "/var/log/auth.log", Line: 81},
		snapshot.Event{Time: at(3 * time.Hour), Source: "auth", Kind: "sudo-command", User: "alice", Target: "root", Subject: "/usr/bin/bash", File: "/var/log/auth.log", Line: 82},
	)
	m, err := Build(snap(t, nil, recs...), Options{Base: baseline(t)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		c                Change
		trusted, hostile string // How expected ("" none)
		unknown          string
	}{
		{"the intruder's root session made it", Change{Time: t0.Add(10 * time.Minute), Path: "/root/.ssh/authorized_keys", Owner: "root"}, "", ByRoot, ""},
		{"alice's sudo names it", Change{Time: t0.Add(2*time.Hour + 10*time.Minute), Path: "/etc/cron.d/backup", Owner: "root"}, ByCommand, "", ""},
		{"alice has no root before her sudo shell", Change{Time: t0.Add(2*time.Hour + 30*time.Minute), Path: "/etc/sudoers.d/x", Owner: "root"}, "", "", ""},
		{"alice's own file", Change{Time: t0.Add(2*time.Hour + 30*time.Minute), Path: "/home/alice/.bashrc", Owner: "alice"}, ByOwner, "", ""},
		{"after alice's sudo bash she has root", Change{Time: t0.Add(3*time.Hour + 5*time.Minute), Path: "/etc/sudoers.d/x", Owner: "root"}, ByRoot, "", ""},
		{"after every session ended", Change{Time: t0.Add(5 * time.Hour), Path: "/etc/x", Owner: "root"}, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := m.Attribute(tc.c)
			for _, x := range []struct {
				got  *Attribution
				want string
				what string
			}{{a.Trusted, tc.trusted, "trusted"}, {a.Hostile, tc.hostile, "hostile"}, {a.Unknown, tc.unknown, "unknown"}} {
				got := ""
				if x.got != nil {
					got = x.got.How
				}
				if got != x.want {
					t.Errorf("%s attribution %q, want %q", x.what, got, x.want)
				}
			}
		})
	}
	if m.PackageOpHostile(t0.Add(10*time.Minute)) == nil {
		t.Error("a package operation while only the intruder had root is not called hostile")
	}
	if m.PackageOpHostile(t0.Add(3*time.Hour+5*time.Minute)) != nil {
		t.Error("a package operation during alice's root shell is called hostile")
	}
	fs := m.Findings()
	if len(fs) != 1 || fs[0].Rule != RuleHostile || !fs[0].Strong || fs[0].SourceIP != "203.0.113.77" {
		t.Fatalf("findings: %+v", fs)
	}
}

func TestMentionsAndRootShell(t *testing.T) {
	for _, tc := range []struct {
		cmd, full string
		want      bool
	}{
		{"/usr/bin/vi /etc/nginx/nginx.conf", "/etc/nginx/nginx.conf", true},
		{"/usr/bin/cp backup /etc/cron.d/", "/etc/cron.d/backup", true},
		{"/usr/bin/systemctl restart nginx", "/etc/nginx/nginx.conf", false},
		{"/usr/sbin/useradd -m bob", "/home/bob", true},
		{"/usr/bin/tee -a /etc/hosts", "/etc/hostname", false},
		{"/bin/sh -c echo x>/etc/cron.d/job", "/etc/cron.d/job", true},
	} {
		base := tc.full[strings.LastIndex(tc.full, "/")+1:]
		if got := Mentions(tc.cmd, tc.full, base); got != tc.want {
			t.Errorf("Mentions(%q, %q) = %v", tc.cmd, tc.full, got)
		}
	}
	for cmd, want := range map[string]bool{"/usr/bin/bash": true, "/usr/bin/su -": true, "/usr/bin/sudo -i": true, "/usr/bin/vim /etc/x": false, "": false} {
		if RootShell(cmd) != want {
			t.Errorf("RootShell(%q) != %v", cmd, want)
		}
	}
}

// TestNeighbourOfKnownAddress: guessing from the /24 of an address that logged in before does
// not make its next login hostile (an admin's provider network holds infected neighbours).
func TestNeighbourOfKnownAddress(t *testing.T) {
	recs := append([]any{}, users...)
	recs = append(recs, ssh("alice", "198.51.100.23", "publickey", aliceKey, -48*time.Hour, -47*time.Hour, 10),
		burst("198.51.100.201", -2*time.Hour, -2*time.Hour+time.Minute, 5, 5),
		ssh("alice", "198.51.100.23", "publickey", aliceKey, 0, time.Hour, 70))
	m, err := Build(snap(t, nil, recs...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Sessions[1]; s.Judgement == Hostile {
		t.Fatalf("%s judged hostile: %v", s.Label(), s.Reasons)
	}
}
