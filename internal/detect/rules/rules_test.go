package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"
)

// TestCatalogDocumented keeps docs/check.md in step with the rules.
func TestCatalogDocumented(t *testing.T) {
	doc, err := os.ReadFile(testdata.Repo(t, "docs/check.md"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range Catalog() {
		if ids[r.ID] {
			t.Errorf("rule id %s used twice", r.ID)
		}
		ids[r.ID] = true
		if r.Why == "" || r.Action == "" || r.Title == "" {
			t.Errorf("rule %s lacks why, action or title", r.ID)
		}
		if !strings.Contains(string(doc), "`"+r.ID+"`") {
			t.Errorf("rule %s is not in docs/check.md", r.ID)
		}
	}
}

func TestHelpers(t *testing.T) {
	for cmd, want := range map[string]bool{
		"/usr/local/bin/backup": false, "/tmp/.x/run": true, "cd / && /var/tmp/x": true, "sh -c '/dev/shm/k'": true,
		"/usr/lib/.hidden/bin": true, "/root/.bashrc": true, "run-parts /etc/cron.daily": false, "": false,
	} {
		if _, got := pointsOutside(cmd); got != want {
			t.Errorf("pointsOutside(%q) = %v, want %v", cmd, got, want)
		}
	}
	for p, want := range map[string]bool{"/usr/lib/.x/run": true, "/usr/bin/ls": false, "/home/a/.ssh/x": true, "/etc/.pwd.lock": false} {
		if got := hiddenDir(p); got != want {
			t.Errorf("hiddenDir(%q) = %v, want %v", p, got, want)
		}
	}
	for name, want := range map[string]bool{"[kworker/0:1]": true, "kthreadd": true, "kworker": true, "ls": false, "[x]": true, "sshd": false} {
		if got := masquerades(name); got != want {
			t.Errorf("masquerades(%q) = %v, want %v", name, got, want)
		}
	}
	if got := commonDir("/usr/lib/node/a/b.js", "/usr/lib/node/c/d.js"); got != "/usr/lib/node" {
		t.Errorf("commonDir = %s", got)
	}
	if got := tmpGroup("/tmp/build/x/y"); got != "/tmp/build" {
		t.Errorf("tmpGroup = %s", got)
	}
	if got := tmpGroup("/dev/shm/x"); got != "/dev/shm/x" {
		t.Errorf("tmpGroup = %s", got)
	}
}
