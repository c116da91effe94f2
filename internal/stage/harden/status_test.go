package harden

import (
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

// TestStatusForVerify: the hole is closed only by a change in force and not waiting for
// confirmation, or by a waiver; undoing the change opens it again.
func TestStatusForVerify(t *testing.T) {
	r := fixture.Debian(t)
	rep := &loophole.Report{Holes: []loophole.Hole{{ID: "ssh-password-login", Subject: "deploy", Used: true, Fixes: []string{"ssh-no-password"}},
		{ID: "exposed-service", Subject: "redis", Fixes: []string{"bind-local:redis"}}}}
	j, _ := OpenJournal(t.TempDir())
	env, err := contain.NewEnv(r.Dir, j)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	st, _ := Status(rep, j)
	if st[0].Closed || st[1].Closed {
		t.Fatalf("closed before anything: %+v", st)
	}
	out, err := contain.Run(env, Change{Def: Lookup("ssh-no-password"), Rollback: time.Hour}, true)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(rep, j); st[0].Closed {
		t.Fatal("a change waiting for confirmation counts as closing the hole")
	}
	contain.Confirm(j)
	if st, _ := Status(rep, j); !st[0].Closed || st[0].By != "ssh-no-password" {
		t.Fatalf("confirmed: %+v", st)
	}
	Waive(j, "exposed-service redis", "bound to a private network by the provider's firewall")
	if st, _ := Status(rep, j); !st[1].Closed {
		t.Fatalf("waiver: %+v", st)
	}
	es, _, _ := j.Entries()
	for _, e := range es {
		if e.ID == out.ID {
			if err := contain.Undo(env, e, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, _ := Status(rep, j); st[0].Closed {
		t.Fatal("still closed after undo")
	}
	if r.Read("/etc/ssh/sshd_config") == "" {
		t.Fatal("main config gone")
	}
}

// TestDropInLosesToEarlierSetting: a setting read before the drop-in wins in sshd, so the
// change is refused as not in force, and put back.
func TestDropInLosesToEarlierSetting(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ssh/sshd_config", "PasswordAuthentication yes\nInclude /etc/ssh/sshd_config.d/*.conf\n", 0o644)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	_, err := contain.Run(env, Change{Def: Lookup("ssh-no-password")}, true)
	if err == nil {
		t.Fatal("a drop-in that sshd ignores was reported applied")
	}
	if _, statErr := env.FS.Stat("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf"); statErr == nil {
		t.Error("the ineffective drop-in was left behind")
	}
	t.Log(err)
}

func TestSysctlLeftAloneInContainers(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/run/systemd/container", "docker\n", 0o444)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	out, err := contain.Run(env, Change{Def: Lookup("sysctl-baseline")}, true)
	if err != nil || out.Plan.Noop == "" || out.Applied {
		t.Fatalf("%v %+v", err, out)
	}
}

// TestStatusOnlyTheClosingFix: a hole is closed by its first fix, not by the changes that only
// make it harder to use (the unattended upgrades for a vulnerable service, the limits for a
// password hole); CheckHoles opens it again when the journaled change is gone from the host.
func TestStatusOnlyTheClosingFix(t *testing.T) {
	r := fixture.Debian(t)
	rep := &loophole.Report{Holes: []loophole.Hole{
		{ID: "ssh-password-login", Subject: "deploy", Used: true, Fixes: []string{"ssh-no-password", "ssh-limits", "ssh-rate-limit"}},
		{ID: "vulnerable-service", Subject: "openssh", Fixes: []string{"upgrade:openssh", "unattended-upgrades"}}}}
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	for _, id := range []string{"ssh-limits", "unattended-upgrades"} {
		if _, err := contain.Run(env, Change{Def: Lookup(id)}, true); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := Status(rep, j)
	if st[0].Closed || st[1].Closed || st[0].Fix != "ssh-no-password" || st[1].Fix != "upgrade:openssh" {
		t.Fatalf("a helping change counted as closing: %+v", st)
	}
	if _, err := contain.Run(env, Change{Def: Lookup("ssh-no-password")}, true); err != nil {
		t.Fatal(err)
	}
	if st, _ := CheckHoles(rep, j, env.FS, 0); !st[0].Closed {
		t.Fatalf("closed change not seen: %+v", st)
	}
	r.Remove("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf")
	if st, _ := Status(rep, j); !st[0].Closed {
		t.Error("Status reads only the journal")
	}
	st, _ = CheckHoles(rep, j, env.FS, 0)
	if st[0].Closed || len(st[0].Problems) == 0 {
		t.Errorf("the drop-in is gone but the hole reads closed: %+v", st[0])
	}
	t.Log(st[0].Problems)
}
