package check

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
)

func takeSnapshot(t *testing.T, root, path string) {
	t.Helper()
	fsys, err := hostfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	w, err := snapshot.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capture.Take(context.Background(), fsys, w, capture.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTwoBaselines: one baseline from before a brute force, one taken after the intruder's key
// was added. Given both, check takes the early one and names the key; given only the late one,
// it uses none, says why at the top with both times, and still names the key.
func TestTwoBaselines(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	dir := t.TempDir()
	early, late := filepath.Join(dir, "early.snap"), filepath.Join(dir, "late.snap")
	takeSnapshot(t, r.Dir, early)
	time.Sleep(1200 * time.Millisecond)
	now := time.Now().UTC()
	var log strings.Builder
	for i := range 60 {
		fmt.Fprintf(&log, "%s web1 sshd[%d]: Failed password for root from 203.0.113.77 port %d ssh2\n", now.Format("Jan _2 15:04:05"), 2000+i, 40000+i)
	}
	fmt.Fprintf(&log, "%s web1 sshd[2100]: Accepted password for root from 203.0.113.77 port 41000 ssh2\n", now.Add(time.Second).Format("Jan _2 15:04:05"))
	r.File("/var/log/auth.log", log.String(), 0o640)
	r.MkdirAll("/root/.ssh", 0o700)
	r.File("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8Zkq7bU2x0mC6nV9lP3sR4tY5uW6vX7yZ8aB9cD0e support@helpdesk\n", 0o600)
	time.Sleep(2200 * time.Millisecond)
	takeSnapshot(t, r.Dir, late)

	key := func(rep *Report) *finding.Finding {
		for i, f := range rep.Findings {
			if f.Path == "/root/.ssh/authorized_keys" && !f.Explained {
				return &rep.Findings[i]
			}
		}
		return nil
	}
	both := run(t, r, Options{Baselines: []string{late, early}, UnsignedOK: true})
	if both.Baseline == nil || both.Baseline.Used != early {
		t.Fatalf("with both: used %+v, want the early one", both.Baseline)
	}
	if f := key(both); f == nil || !f.Hostile() {
		t.Fatalf("with both: the intruder's key is not named as the intruder's:\n%s", dump(both))
	}
	if both.Verdict != finding.Compromised {
		t.Errorf("with both: verdict %s", both.Verdict)
	}
	statuses := map[string]string{}
	for _, c := range both.Baseline.Considered {
		statuses[c.Path] = c.Status
	}
	if statuses[late] != "after-intrusion" || statuses[early] != "used" {
		t.Errorf("considered: %+v", both.Baseline.Considered)
	}

	only := run(t, r, Options{Baselines: []string{late}, UnsignedOK: true})
	if only.Baseline == nil || only.Baseline.Used != "" || only.Coverage.Baseline != "" {
		t.Fatalf("with the late one only: used %+v (coverage %q), want none", only.Baseline, only.Coverage.Baseline)
	}
	warned := false
	for _, w := range only.Warnings {
		if strings.Contains(w, "BASELINE NOT USED") && strings.Contains(w, late) && strings.Contains(w, only.Baseline.FirstHostile) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming the late baseline and the first hostile event: %q", only.Warnings)
	}
	if f := key(only); f == nil {
		t.Fatalf("with the late one only: the key is not named:\n%s", dump(only))
	}
	if only.Verdict != finding.Compromised {
		t.Errorf("with the late one only: verdict %s", only.Verdict)
	}
}

// TestCleanedAuthLog: the intruder emptied auth.log, but btmp still holds the guessing and wtmp
// the login that followed it: the key they added is still theirs.
func TestCleanedAuthLog(t *testing.T) {
	r := fixture.Debian(t)
	now := time.Now().UTC()
	var btmp, wtmp strings.Builder
	for i := range 40 {
		btmp.Write(fixture.UtmpRecord(6, int32(100+i), "ssh:notty", "root", "203.0.113.77", now.Add(-10*time.Minute+time.Duration(i)*time.Second)))
	}
	wtmp.Write(fixture.UtmpRecord(fixture.UtmpUser, 500, "pts/0", "root", "203.0.113.77", now.Add(-8*time.Minute)))
	r.File("/var/log/btmp", btmp.String(), 0o600)
	r.File("/var/log/wtmp", wtmp.String(), 0o664)
	r.MkdirAll("/root/.ssh", 0o700)
	r.File("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8Zkq7bU2x0mC6nV9lP3sR4tY5uW6vX7yZ8aB9cD0e support@helpdesk\n", 0o600)
	rep := run(t, r, Options{})
	f := has(rep, "persistence.ssh-key", "/root/.ssh/authorized_keys")
	if f == nil || !f.Hostile() {
		t.Fatalf("the key added in the login after btmp's guessing is not tied to it:\n%s", dump(rep))
	}
	if rep.Verdict != finding.Compromised {
		t.Errorf("verdict %s", rep.Verdict)
	}
}
