package rules

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"
)

// TestCatalog keeps the one catalog whole: ids unique, every rule described (title, why, action,
// ATT&CK ids that look like ids), documented (check's in docs/check.md, investigate's in
// docs/investigate.md), and raised by a finder of this package exactly when check raises it.
func TestCatalog(t *testing.T) {
	docs := map[string]string{}
	for stage, name := range map[string]string{StageCheck: "docs/check.md", StageInvestigate: "docs/investigate.md"} {
		data, err := os.ReadFile(testdata.Repo(t, name))
		if err != nil {
			t.Fatal(err)
		}
		docs[stage] = string(data)
	}
	found := map[*Rule]bool{ruleNested: true} // Analyze itself reports the nested roots, last
	for _, f := range finders {
		if f.Find == nil && f.EachFile == nil {
			t.Errorf("finder %s finds nothing", f.Name)
		}
		for _, r := range f.Rules {
			found[r] = true
		}
	}
	ids := map[string]bool{}
	attack := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	for _, r := range Catalog() {
		if ids[r.ID] {
			t.Errorf("rule id %s used twice", r.ID)
		}
		ids[r.ID] = true
		if r.Why == "" || r.Action == "" || r.Title == "" || r.Severity == 0 {
			t.Errorf("rule %s lacks why, action, title or severity", r.ID)
		}
		for _, a := range r.Attack {
			if !attack.MatchString(a) {
				t.Errorf("rule %s: %q is not an ATT&CK technique id", r.ID, a)
			}
		}
		doc, ok := docs[r.Stage]
		if !ok {
			t.Errorf("rule %s: unknown stage %q", r.ID, r.Stage)
		} else if !strings.Contains(doc, "`"+r.ID+"`") {
			t.Errorf("rule %s is not in the documentation of %s", r.ID, r.Stage)
		}
		if found[r] != (r.Stage == StageCheck) {
			t.Errorf("rule %s (raised by %s): a finder here raises it: %v", r.ID, r.Stage, found[r])
		}
	}
	if Get("implant.webshell") == nil || Get("login.root") == nil || Get("no.such") != nil {
		t.Error("Get does not find check's and investigate's rules by id")
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
