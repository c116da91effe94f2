package hostlogs

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

func collect(t *testing.T, r *fixture.Root) *probe.Recorder {
	t.Helper()
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	rec := &probe.Recorder{}
	if err := (Collector{}).Collect(context.Background(), &probe.Env{FS: fs, Sink: rec, Accounts: r.Accounts()}); err != nil {
		t.Fatal(err)
	}
	return rec
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestTextLogs(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	r.File("/var/log/dpkg.log.2.gz", gz("2026-10-01 09:00:00 install tree:amd64 <none> 2.1.0-1\n"), 0o644)
	r.File("/var/log/dpkg.log", "2026-11-20 10:00:00 startup archives unpack\n2026-11-20 10:00:01 upgrade nginx:amd64 1.22.1-9 1.22.1-9+deb12u1\n2026-11-20 10:00:02 status installed nginx:amd64 1.22.1-9+deb12u1\n", 0o644)
	r.File("/var/log/apt/history.log", "\nStart-Date: 2026-11-20  10:00:00\nCommandline: apt upgrade\nRequested-By: alice (1000)\nUpgrade: nginx:amd64 (1.22.1-9, 1.22.1-9+deb12u1)\nEnd-Date: 2026-11-20  10:00:05\n", 0o644)
	r.File("/var/log/auth.log", strings.Join([]string{
		"Nov 20 09:58:00 web1 sshd[100]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:abc",
		"Nov 20 09:58:00 web1 sshd[100]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
		"Nov 20 09:59:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt upgrade",
		"Nov 20 10:01:00 web1 sshd[200]: Failed password for root from 203.0.113.9 port 4000 ssh2",
		"Nov 20 10:30:00 web1 sshd[100]: pam_unix(sshd:session): session closed for user alice",
		"",
	}, "\n"), 0o640)
	r.Chtimes("/var/log/auth.log", time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC))
	rec := collect(t, r)
	for _, p := range rec.Problems {
		t.Logf("problem: %+v", p)
	}
	evs := probe.Of[snapshot.Event](rec)
	has := func(source, kind, contains string) bool {
		for _, e := range evs {
			if e.Source == source && e.Kind == kind && strings.Contains(e.Subject+" "+e.User+" "+e.Target, contains) {
				return true
			}
		}
		return false
	}
	for _, w := range []struct{ source, kind, contains string }{
		{"dpkg", "package-install", "tree"},
		{"dpkg", "package-upgrade", "1.22.1-9 -> 1.22.1-9+deb12u1"},
		{"apt", "apt", "apt upgrade"},
		{"auth", "ssh-accepted", "alice"},
		{"auth", "sudo-command", "/usr/bin/apt upgrade"},
	} {
		if !has(w.source, w.kind, w.contains) {
			t.Errorf("no %s %s event with %q in %+v", w.source, w.kind, w.contains, evs)
		}
	}
	if has("auth", "ssh-failed", "root") {
		t.Error("failed attempts are stored one by one")
	}
	var up snapshot.Event
	for _, e := range evs {
		if e.Kind == "package-upgrade" {
			up = e
		}
	}
	if got := time.Unix(0, up.Time).UTC(); !got.Equal(time.Date(2026, 11, 20, 10, 0, 1, 0, time.UTC)) {
		t.Errorf("upgrade time %v", got)
	}
	ss := probe.Of[snapshot.Session](rec)
	if len(ss) != 1 || ss[0].User != "alice" || ss[0].SourceIP != "192.0.2.10" || ss[0].Sudo != 1 || ss[0].End == 0 {
		t.Fatalf("sessions %+v", ss)
	}
}

func TestJournalWhenNoTextLog(t *testing.T) {
	r := fixture.Debian(t)
	r.Remove("/var/log/auth.log")
	w := journaltest.New(journaltest.Options{Compact: true, Compression: journaltest.ZSTD, CompressThreshold: 64})
	t0 := uint64(time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC).UnixMicro())
	w.Add(journaltest.Entry{Realtime: t0, Fields: []string{"SYSLOG_IDENTIFIER=sshd", "_PID=300", "_HOSTNAME=web1",
		"MESSAGE=Accepted password for bob from 198.51.100.4 port 40000 ssh2"}})
	w.Add(journaltest.Entry{Realtime: t0 + 1e6, Fields: []string{"SYSLOG_IDENTIFIER=kernel", "MESSAGE=" + strings.Repeat("x", 200)}})
	w.Add(journaltest.Entry{Realtime: t0 + 2e6, Fields: []string{"SYSLOG_IDENTIFIER=useradd", "_PID=301", "_HOSTNAME=web1",
		"MESSAGE=new user: name=mallory, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0"}})
	r.MkdirAll("/var/log/journal/0123456789abcdef0123456789abcdef", 0o755)
	if err := w.WriteFile(r.Path("/var/log/journal/0123456789abcdef0123456789abcdef/system.journal")); err != nil {
		t.Fatal(err)
	}
	rec := collect(t, r)
	for _, p := range rec.Problems {
		t.Logf("problem: %+v", p)
	}
	var kinds []string
	for _, e := range probe.Of[snapshot.Event](rec) {
		if e.Source == "journal" {
			kinds = append(kinds, e.Kind+":"+e.User)
			if e.Kind == "ssh-accepted" && time.Unix(0, e.Time).UTC().Hour() != 8 {
				t.Errorf("journal time %v", time.Unix(0, e.Time).UTC())
			}
		}
	}
	if strings.Join(kinds, ",") != "ssh-accepted:bob,useradd:mallory" {
		t.Fatalf("journal events %v", kinds)
	}
}

// TestDnfHistory builds a dnf history database with libdnf's schema and reads it back.
func TestDnfHistory(t *testing.T) {
	r := fixture.Debian(t)
	r.MkdirAll("/var/lib/dnf", 0o755)
	db, err := sql.Open("sqlite", "file:"+r.Path(dnfHistory))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE trans (id INTEGER PRIMARY KEY, dt_begin INTEGER NOT NULL, dt_end INTEGER, rpmdb_version_begin TEXT, rpmdb_version_end TEXT, releasever TEXT NOT NULL, user_id INTEGER NOT NULL, cmdline TEXT, state INTEGER NOT NULL, comment TEXT)",
		"CREATE TABLE item (id INTEGER PRIMARY KEY, item_type INTEGER NOT NULL)",
		"CREATE TABLE trans_item (id INTEGER PRIMARY KEY, trans_id INTEGER, item_id INTEGER, repo_id INTEGER, action INTEGER NOT NULL, reason INTEGER NOT NULL, state INTEGER NOT NULL)",
		"CREATE TABLE rpm (item_id INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, epoch INTEGER NOT NULL, version TEXT NOT NULL, release TEXT NOT NULL, arch TEXT NOT NULL)",
		"INSERT INTO trans VALUES (1, 1764000000, 1764000060, '', '', '9', 1000, 'install nginx', 1, '')",
		"INSERT INTO item VALUES (1, 0), (2, 0)",
		"INSERT INTO rpm VALUES (1, 'nginx', 1, '1.20.1', '14.el9', 'x86_64'), (2, 'openssl', 0, '3.0.7', '24.el9', 'x86_64')",
		"INSERT INTO trans_item VALUES (1, 1, 1, 1, 1, 2, 1), (2, 1, 2, 1, 6, 2, 1)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	rec := collect(t, r)
	var got []string
	for _, e := range probe.Of[snapshot.Event](rec) {
		if e.Source == "dnf" {
			got = append(got, e.Kind+" "+e.User+" "+e.Subject)
		}
	}
	want := "dnf alice dnf install nginx|package-install alice nginx.x86_64 1:1.20.1-14.el9|package-upgrade alice openssl.x86_64 3.0.7-24.el9"
	if strings.Join(got, "|") != want {
		t.Fatalf("dnf events:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

// TestAuditEvents: the audit log's records of interest reach the snapshot as events, rotations
// (compressed too) in order; failed logins and records of no interest do not.
func TestAuditEvents(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/var/log/audit/audit.log.1", gz("type=ADD_USER msg=audit(1764000000.000:1): pid=3 uid=0 auid=1000 msg='op=adding user id=1002 exe=\"/usr/sbin/useradd\" res=success'\n"), 0o600)
	r.File("/var/log/audit/audit.log",
		"type=USER_LOGIN msg=audit(1764000100.000:2): pid=9 uid=0 auid=1002 msg='op=login acct=\"eve\" exe=\"/usr/sbin/sshd\" addr=203.0.113.7 res=failed'\n"+
			"type=CONFIG_CHANGE msg=audit(1764000200.000:3): auid=0 ses=1 op=remove_rule key=\"ssh\" list=4 res=1\n"+
			"type=CWD msg=audit(1764000300.000:4): cwd=\"/root\"\n", 0o600)
	rec := collect(t, r)
	var got []string
	for _, e := range probe.Of[snapshot.Event](rec) {
		if e.Source == "audit" {
			got = append(got, e.Kind+" "+path.Base(e.File))
		}
	}
	if want := "audit-add_user audit.log.1|audit-config_change audit.log"; strings.Join(got, "|") != want {
		t.Errorf("audit events %q, want %q", strings.Join(got, "|"), want)
	}
}
