package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/netlab"
)

// TestIsolateRollsBackEndToEnd runs the binary inside a network namespace as an admin would:
// the isolation cuts the other peer and keeps the allowed one; unconfirmed, the detached timer
// removes it; confirmed, it stays until undo.
func TestIsolateRollsBackEndToEnd(t *testing.T) {
	l := netlab.New(t)
	l.Listen(t, "10.99.0.1:8080")
	caseDir := filepath.Join(t.TempDir(), "case")
	inHost := func(args ...string) result {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", l.Names["host"], binary, "--case", caseDir, "contain"}, args...)...)
		cmd.Env = append(os.Environ(), "NOWWHAT_CASE=", "SSH_CONNECTION=")
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			return result{string(out), string(ee.Stderr), code}
		} else if err != nil {
			t.Fatal(err)
		}
		return result{string(out), "", code}
	}
	res := inHost("isolate", "--allow", "10.99.0.2", "--apply", "--rollback-after", "2s")
	if res.code != 0 || !strings.Contains(res.stdout, "rollback timer running") {
		t.Fatalf("isolate: %+v", res)
	}
	if !l.Reachable(t, "allowed", "10.99.0.1:8080") || l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Fatal("isolation does not hold")
	}
	if st := inHost("status"); !strings.Contains(st.stdout, "IN FORCE: isolate") || !strings.Contains(st.stdout, "rolls back by itself") {
		t.Errorf("status: %+v", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !l.Reachable(t, "other", "10.99.0.1:8080") {
		if time.Now().After(deadline) {
			t.Fatal("the unconfirmed isolation did not roll itself back")
		}
		time.Sleep(300 * time.Millisecond)
	}
	journal, _ := os.ReadFile(filepath.Join(caseDir, "containment.jsonl"))
	if !strings.Contains(string(journal), `"phase":"rolled-back"`) {
		t.Errorf("journal: %s", journal)
	}
	// Confirmed: it outlives its timer, until undo.
	if res := inHost("isolate", "--allow", "10.99.0.2", "--apply", "--rollback-after", "2s"); res.code != 0 {
		t.Fatalf("isolate again: %+v", res)
	}
	if res := inHost("confirm"); !strings.Contains(res.stdout, "confirmed") {
		t.Fatalf("confirm: %+v", res)
	}
	time.Sleep(3500 * time.Millisecond)
	if l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Fatal("a confirmed isolation was rolled back")
	}
	if res := inHost("undo", "--apply"); res.code != 0 || !strings.Contains(res.stdout, "UNDONE: isolate") {
		t.Fatalf("undo: %+v", res)
	}
	if !l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("undo did not restore the network")
	}
}
