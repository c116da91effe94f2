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
