package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// TestContainServiceEndToEnd: on a mounted root the plan changes nothing, --apply masks the
// unit, status shows it, undo --apply restores it exactly, and ssh is refused with exit 2.
func TestContainServiceEndToEnd(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/lib/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n", 0o644)
	r.File("/etc/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx -g 'daemon off;'\n", 0o600)
	caseDir := filepath.Join(t.TempDir(), "case")
	unit := r.Path("/etc/systemd/system/nginx.service")
	before, _ := os.ReadFile(unit)
	c := func(args ...string) result {
		return run(t, nil, append([]string{"--case", caseDir, "contain"}, append(args, "--root", r.Dir)...)...)
	}
	if res := c("service", "nginx"); res.code != 0 || !strings.Contains(res.stdout, "PLAN") {
		t.Fatalf("plan: %+v", res)
	}
	if fi, _ := os.Lstat(unit); fi.Mode()&os.ModeSymlink != 0 {
		t.Fatal("the plan changed the host")
	}
	if res := c("service", "nginx", "--apply"); res.code != 0 || !strings.Contains(res.stdout, "DONE") {
		t.Fatalf("apply: %+v", res)
	}
	if target, _ := os.Readlink(unit); target != "/dev/null" {
		t.Fatalf("not masked: %q", target)
	}
	if res := c("status"); !strings.Contains(res.stdout, "IN FORCE: service nginx.service") {
		t.Errorf("status: %+v", res)
	}
	if res := c("undo", "--apply"); res.code != 0 || !strings.Contains(res.stdout, "UNDONE") {
		t.Fatalf("undo: %+v", res)
	}
	after, err := os.ReadFile(unit)
	if err != nil || string(after) != string(before) {
		t.Errorf("undo: %q %v", after, err)
	}
	if fi, _ := os.Stat(unit); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after undo %v", fi.Mode())
	}
	if res := c("service", "ssh"); res.code != 2 || !strings.Contains(res.stderr, "refused") {
		t.Errorf("ssh: %+v", res)
	}
	if res := c("status"); !strings.Contains(res.stdout, "no containment in force") {
		t.Errorf("status after undo: %+v", res)
	}
	// The case journal records each command.
	journal, _ := os.ReadFile(filepath.Join(caseDir, "journal.jsonl"))
	if !strings.Contains(string(journal), `"command":"service"`) || !strings.Contains(string(journal), `"outcome":"applied"`) {
		t.Errorf("case journal: %s", journal)
	}
}
