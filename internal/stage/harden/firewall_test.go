package harden

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/netlab"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// burst opens n connections to addr from a peer, one after the other, and says which got an
// echo back.
func burst(t *testing.T, l *netlab.Lab, role, addr string, n int) []bool {
	var out []bool
	for i := 0; i < n; i++ {
		out = append(out, l.Reachable(t, role, addr))
	}
	return out
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// TestSSHRateLimitInNetns: the rate limit, added through netlink in a network namespace where
// sshd's port 22 listens: a peer's connections under the limit pass and those over it are
// dropped, the operator's address is never limited, and the unconfirmed change is rolled back
// by the watcher (table and boot file gone, the peer connects again).
func TestSSHRateLimitInNetns(t *testing.T) {
	l := netlab.New(t)
	l.Listen(t, "10.99.0.1:22")
	l.Listen(t, "10.99.0.1:8080")
	r := fixture.Debian(t)
	j, _ := OpenJournal(t.TempDir())
	env, err := contain.NewEnv(r.Dir, j)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	env.NetNS = l.FDs["host"]
	env.Operator = contain.Operator{User: "root", SSH: true, Source: "SSH_CONNECTION",
		Client: netip.MustParseAddrPort("10.99.0.2:41234"), Server: netip.MustParseAddrPort("10.99.0.1:22")}
	ch := Change{Def: Lookup("ssh-rate-limit"), NetNS: l.FDs["host"], Rollback: 4 * time.Second, RateOverride: Rate{PerMinute: 6, Burst: 3}}
	out, err := contain.Run(env, ch, true)
	if err != nil || !out.Applied {
		t.Fatalf("apply: %v %+v", err, out)
	}
	t.Log(strings.Join(out.Plan.What, "\n"))
	if ok, err := FirewallInForce(l.FDs["host"]); !ok || err != nil {
		t.Fatalf("the table is not in the namespace: %v", err)
	}
	got := burst(t, l, "other", "10.99.0.1:22", 8)
	t.Logf("another address, 8 connections in a row: %v", got)
	if !got[0] || !got[1] || !got[2] {
		t.Errorf("connections under the limit were dropped: %v", got)
	}
	if got[5] || got[6] || got[7] {
		t.Errorf("connections over the limit passed: %v", got)
	}
	if n := count(got); n > 5 {
		t.Errorf("%d of 8 passed: no limit", n)
	}
	if got := burst(t, l, "allowed", "10.99.0.1:22", 8); count(got) != 8 {
		t.Errorf("the operator's address was limited: %v", got)
	}
	if !l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("a port that is not sshd's is limited too")
	}
	if !strings.Contains(r.Read(RateFile), "ip saddr 10.99.0.2 accept") {
		t.Errorf("boot file:\n%s", r.Read(RateFile))
	}
	if _, err := exec.LookPath("nft"); err == nil {
		// The boot file is what nft itself accepts (checked in an empty namespace).
		c := exec.Command("ip", "netns", "exec", l.Names["switch"], "nft", "-c", "-f", r.Path(RateFile))
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("nft -c rejects the boot file: %v\n%s\n%s", err, out, r.Read(RateFile))
		}
	}
	// Not confirmed: the watcher removes it at its time.
	if err := contain.Watch(env, out.ID, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, _ := FirewallInForce(l.FDs["host"]); ok {
		t.Fatal("the table is still there after the rollback")
	}
	if _, err := os.Stat(r.Path(RateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the boot file is still there: %v", err)
	}
	if got := burst(t, l, "other", "10.99.0.1:22", 4); count(got) != 4 {
		t.Errorf("after the rollback the peer is still limited: %v", got)
	}
	es, _, _ := j.Entries()
	if len(es) != 1 || es[0].Phase != contain.PhaseRolledBack {
		t.Errorf("journal: %+v", es)
	}
}

// TestSSHRateLimitRefusals: never on a mounted root (no firewall of its own), and never when
// the operator is on SSH but their address is not known (it could not be exempted).
func TestSSHRateLimitRefusals(t *testing.T) {
	r := fixture.Debian(t)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	if _, err := contain.Run(env, Change{Def: Lookup("ssh-rate-limit")}, true); err == nil || !strings.Contains(err.Error(), "mounted root") {
		t.Errorf("mounted root: %v", err)
	}
	env.Operator = contain.Operator{User: "root", SSH: true, Problem: "running under sshd (pid 7) but its connection is not in the socket table"}
	_, err := contain.Run(env, Change{Def: Lookup("ssh-rate-limit"), NetNS: 99999}, true)
	if !errors.Is(err, contain.ErrRefused) || !strings.Contains(err.Error(), "could not exempt your address") {
		t.Errorf("unknown operator address: %v", err)
	}
	if _, err := os.Stat(r.Path(RateFile)); err == nil {
		t.Error("a refused change wrote its file")
	}
}
