package explain

import (
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

func TestNotes(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	e := &Explainer{notes: []Note{
		{Time: now, Operator: "alice", Text: "alice adds the backup job (backup.sh)", Paths: []string{"/etc/cron.d/"}},
		{Time: now.Add(-30 * 24 * time.Hour), Operator: "bob", Text: "new user carol"},
	}, owner: map[string]string{}}
	tests := []struct {
		name string
		f    finding.Finding
		want string
	}{
		{"path under a noted folder", finding.Finding{Rule: "persistence.cron", Path: "/etc/cron.d/anything", Time: now.Add(time.Hour).Format(time.RFC3339)}, "alice"},
		{"file named in the text", finding.Finding{Rule: "persistence.startup-file", Path: "/usr/local/bin/backup.sh", Time: now.Format(time.RFC3339)}, "alice"},
		{"too long after the note", finding.Finding{Rule: "persistence.cron", Path: "/etc/cron.d/x", Time: now.Add(5 * 24 * time.Hour).Format(time.RFC3339)}, ""},
		{"account in an old note, change now", finding.Finding{Rule: "accounts.system-login", User: "carol", Time: now.Format(time.RFC3339)}, ""},
		{"account in the note window", finding.Finding{Rule: "accounts.system-login", User: "carol", Time: now.Add(-30 * 24 * time.Hour).Format(time.RFC3339)}, "bob"},
	}
	for _, tc := range tests {
		fs := []finding.Finding{tc.f}
		e.Apply(fs)
		got := fs[0].Explanation
		if tc.want == "" && fs[0].Explained || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: explained=%v %q, want %q", tc.name, fs[0].Explained, got, tc.want)
		}
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixNano() }

// host is a snapshot of a host where: nginx was upgraded at t0 (dpkg); an intruder logged in as
// root at +3h after guessing from 203.0.113.77, until +3h30; deploy logged in from an address
// nothing vouches for at +6h with a root shell through sudo.
func host(t *testing.T) *snapshot.Reader {
	t.Helper()
	w, err := snapshot.CreateMemory()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []any{
		snapshot.User{Name: "root", UID: 0}, snapshot.User{Name: "deploy", UID: 1001},
		snapshot.Event{Time: at(0), Source: "dpkg", Kind: "package-upgrade", Target: "nginx", Subject: "nginx 1 -> 2", File: "/var/log/dpkg.log", Line: 4},
		snapshot.Event{Time: at(3*time.Hour + 10*time.Minute), Source: "dpkg", Kind: "package-install", Target: "nmap", Subject: "nmap 7", File: "/var/log/dpkg.log", Line: 9},
		snapshot.PackageFile{Path: "/usr/sbin/nginx", Manager: "dpkg", Package: "nginx", Alg: "md5", Digest: "x"},
		snapshot.PackageFile{Path: "/usr/bin/nmap", Manager: "dpkg", Package: "nmap", Alg: "md5", Digest: "y"},
		snapshot.PackageFile{Path: "/lib/systemd/system/nginx.service", Manager: "dpkg", Package: "nginx", Alg: "md5", Digest: "z"},
		snapshot.File{Path: "/etc/systemd/system/multi-user.target.wants/nginx.service", Type: "symlink", Link: "/lib/systemd/system/nginx.service"},
		snapshot.File{Path: "/tmp/.x/dropper.sh", Type: "file", UID: 0},
		snapshot.Burst{SourceIP: "203.0.113.77", Start: at(2*time.Hour + 50*time.Minute), End: at(2*time.Hour + 59*time.Minute), Attempts: 60, Accounts: 1, Top: "root", File: "/var/log/auth.log", Line: 20},
		snapshot.Session{User: "root", Via: "ssh", SourceIP: "203.0.113.77", Method: "password", Start: at(3 * time.Hour), End: at(3*time.Hour + 30*time.Minute), File: "/var/log/auth.log", Line: 80},
		snapshot.Session{User: "deploy", Via: "ssh", SourceIP: "198.51.100.3", Method: "publickey", Start: at(6 * time.Hour), End: at(7 * time.Hour), File: "/var/log/auth.log", Line: 90},
		snapshot.Event{Time: at(6*time.Hour + time.Minute), Source: "auth", Kind: "sudo-command", User: "deploy", Target: "root", Subject: "/usr/bin/bash", File: "/var/log/auth.log", Line: 91},
	} {
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

func TestExplainWithSessions(t *testing.T) {
	cur := host(t)
	m, err := sessions.Build(cur, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cur, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name      string
		f         finding.Finding
		explained bool
		hostile   bool
		sev       finding.Severity
		text      string
	}{
		{"a packaged file changed by its package's upgrade", finding.Finding{Rule: "baseline.change", Path: "/usr/sbin/nginx", Severity: finding.Medium, Time: ts(2 * time.Minute)},
			true, false, finding.Medium, "package manager: upgrade nginx 1 -> 2"},
		{"the upgrade's unit enablement link", finding.Finding{Rule: "persistence.systemd", Path: "/etc/systemd/system/multi-user.target.wants/nginx.service", Severity: finding.Medium, Time: ts(time.Minute)},
			true, false, finding.Medium, "a link to /lib/systemd/system/nginx.service"},
		{"a dropper near an unrelated package operation is not the package's", finding.Finding{Rule: "implant.pattern", Path: "/tmp/.x/dropper.sh", Severity: finding.High, Time: ts(3 * time.Minute)},
			false, false, finding.High, ""},
		{"a key added in the intruder's root session is tied to it", finding.Finding{Rule: "persistence.ssh-key", Path: "/root/.ssh/authorized_keys", Severity: finding.Medium, Time: ts(3*time.Hour + 5*time.Minute)},
			false, true, finding.High, "the intruder's work"},
		{"the intruder's package install explains nothing", finding.Finding{Rule: "privilege.setuid", Path: "/usr/bin/nmap", Severity: finding.High, Time: ts(3*time.Hour + 10*time.Minute)},
			false, true, finding.High, "203.0.113.77"},
		{"a change in a session nothing vouches for stays unexplained and says so", finding.Finding{Rule: "persistence.cron", Path: "/etc/cron.d/job", Severity: finding.Medium, Time: ts(6*time.Hour + 5*time.Minute)},
			false, false, finding.Medium, "nowwhat trust add --address 198.51.100.3"},
		{"a strong sign is never cleared", finding.Finding{Rule: "integrity.modified-binary", Path: "/usr/sbin/nginx", Severity: finding.Critical, Strong: true, Time: ts(time.Minute)},
			false, false, finding.Critical, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := []finding.Finding{tc.f}
			e.Apply(fs)
			f := fs[0]
			if f.Explained != tc.explained || f.Hostile() != tc.hostile || f.Severity != tc.sev {
				t.Fatalf("explained %v hostile %v severity %s, want %v %v %s: %q", f.Explained, f.Hostile(), f.Severity, tc.explained, tc.hostile, tc.sev, f.Explanation)
			}
			if tc.text != "" && !strings.Contains(f.Explanation, tc.text) {
				t.Errorf("explanation %q lacks %q", f.Explanation, tc.text)
			}
			if tc.hostile && finding.Decide(fs, finding.Coverage{}) != finding.Compromised {
				t.Errorf("a change tied to a hostile session does not make the host compromised")
			}
		})
	}
}
