package explain

import (
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

func TestMentions(t *testing.T) {
	tests := []struct {
		cmd, full string
		want      bool
	}{
		{"/usr/bin/vi /etc/nginx/nginx.conf", "/etc/nginx/nginx.conf", true},
		{"/usr/bin/cp backup /etc/cron.d/", "/etc/cron.d/backup", true},
		{"/usr/bin/systemctl restart nginx", "/etc/nginx/nginx.conf", false},
		{"/usr/sbin/useradd -m bob", "/home/bob", true},
		{"/usr/bin/ls", "/usr/bin/ls", true},
		{"/usr/bin/tee -a /etc/hosts", "/etc/hostname", false},
	}
	for _, tc := range tests {
		base := tc.full[strings.LastIndex(tc.full, "/")+1:]
		if got := mentions(tc.cmd, tc.full, base); got != tc.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tc.cmd, tc.full, got, tc.want)
		}
	}
}

func TestNotes(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	e := &Explainer{notes: []Note{
		{Time: now, Operator: "alice", Text: "alice adds the backup job (backup.sh)", Paths: []string{"/etc/cron.d/"}},
		{Time: now.Add(-30 * 24 * time.Hour), Operator: "bob", Text: "new user carol"},
	}, admins: map[string]bool{}, owner: map[string]string{}}
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
		f := tc.f
		e.Apply([]finding.Finding{f})
		fs := []finding.Finding{f}
		e.Apply(fs)
		got := fs[0].Explanation
		if tc.want == "" && fs[0].Explained || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: explained=%v %q, want %q", tc.name, fs[0].Explained, got, tc.want)
		}
	}
}

func TestPackageAndSession(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	e := &Explainer{
		pkgEvents: []snapshot.Event{{Time: t0.UnixNano(), Source: "dpkg", Kind: "package-upgrade", Target: "nginx", Subject: "nginx 1 -> 2", File: "/var/log/dpkg.log", Line: 4}},
		sessions:  []snapshot.Session{{User: "alice", Via: "ssh", SourceIP: "192.0.2.1", Start: t0.Add(time.Hour).UnixNano(), End: t0.Add(2 * time.Hour).UnixNano(), File: "/var/log/auth.log", Line: 9}},
		admins:    map[string]bool{"alice": true},
		owner:     map[string]string{"/usr/sbin/nginx": "nginx"},
	}
	fs := []finding.Finding{
		{Rule: "baseline.change", Path: "/usr/sbin/nginx", Time: t0.Add(2 * time.Minute).Format(time.RFC3339)},
		{Rule: "persistence.cron", Path: "/etc/cron.d/x", Time: t0.Add(90 * time.Minute).Format(time.RFC3339)},
		{Rule: "persistence.cron", Path: "/etc/cron.d/y", Time: t0.Add(5 * time.Hour).Format(time.RFC3339)},
		{Rule: "integrity.modified-binary", Path: "/usr/sbin/nginx", Strong: true, Time: t0.Add(90 * time.Minute).Format(time.RFC3339)},
	}
	e.Apply(fs)
	if !fs[0].Explained || !strings.Contains(fs[0].Explanation, "package manager: upgrade nginx 1 -> 2") {
		t.Errorf("package: %+v", fs[0])
	}
	if !fs[1].Explained || !strings.Contains(fs[1].Explanation, "alice's ssh session from 192.0.2.1") {
		t.Errorf("session: %+v", fs[1])
	}
	if fs[2].Explained {
		t.Errorf("outside any session: %+v", fs[2])
	}
	if fs[3].Explained || !strings.Contains(fs[3].Explanation, "not enough to clear it") {
		t.Errorf("strong: %+v", fs[3])
	}
}
