package contain

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/netlab"
)

// TestIsolationInNamespaces: after isolation an allowed peer still reaches the host, the other
// peer does not, the operator's open SSH connection keeps working; undo restores everything,
// and an isolation nobody confirms rolls itself back.
func TestIsolationInNamespaces(t *testing.T) {
	l := netlab.New(t)
	l.Listen(t, "10.99.0.1:8080")
	l.Listen(t, "10.99.0.1:2222") // stands for sshd
	if !l.Reachable(t, "allowed", "10.99.0.1:8080") || !l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Fatal("the test network does not work before isolation")
	}
	// The operator's session: an open connection from the other peer to "sshd".
	sess, err := l.Dial(t, "other", "10.99.0.1:2222")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	client := netip.MustParseAddrPort(sess.LocalAddr().String())
	j, _ := OpenJournal(t.TempDir())
	e, err := NewEnv("/", j)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.NetNS = l.FDs["host"]
	e.Operator = Operator{SSH: true, Client: client, Server: netip.MustParseAddrPort("10.99.0.1:2222"), Source: "test"}
	iso := Isolate{Allow: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/32")}, NetNS: l.FDs["host"]}

	out, err := Run(e, iso, true)
	if err != nil || !out.Applied {
		t.Fatalf("isolate: %v", err)
	}
	if !l.Reachable(t, "allowed", "10.99.0.1:8080") {
		t.Error("the allowed peer is cut off")
	}
	if l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("the other peer still reaches the host")
	}
	if !netlab.Echo(sess) {
		t.Error("the operator's open session was cut")
	}
	if !l.Reachable(t, "other", "10.99.0.1:2222") {
		t.Error("the operator cannot open a new SSH connection from their address")
	}
	if again, err := Run(e, iso, true); err != nil || again.Applied || again.Plan.Noop == "" {
		t.Errorf("isolating twice: %+v %v", again, err)
	}
	in, _ := InForce(j)
	if len(in) != 1 {
		t.Fatalf("in force: %+v", in)
	}
	if err := Undo(e, in[0], ""); err != nil {
		t.Fatal(err)
	}
	if !l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("undo did not restore the network")
	}

	// Unconfirmed: it rolls itself back.
	iso.Rollback = time.Second
	out, err = Run(e, iso, true)
	if err != nil || !out.Applied {
		t.Fatal(err)
	}
	if l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("not isolated")
	}
	if err := Watch(e, out.ID, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !l.Reachable(t, "other", "10.99.0.1:8080") {
		t.Error("the unconfirmed isolation did not roll back")
	}
	es, _, _ := j.Entries()
	if last := es[len(es)-1]; last.Phase != PhaseRolledBack {
		t.Errorf("journal: %s", last.Phase)
	}

	// Confirmed: it stays.
	out, err = Run(e, iso, true)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Confirm(j); err != nil || n != 1 {
		t.Fatalf("confirm: %d %v", n, err)
	}
	if err := Watch(e, out.ID, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, _ := Isolated(l.FDs["host"]); !ok {
		t.Error("a confirmed isolation was rolled back")
	}
	Unisolate(l.FDs["host"])
}

func TestIsolationRefusesUnknownSession(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	j, _ := OpenJournal(t.TempDir())
	e, err := NewEnv("/", j)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Operator = Operator{SSH: true, Problem: "not found"}
	if _, err := Run(e, Isolate{}, false); err == nil || !strings.Contains(err.Error(), "--allow") {
		t.Errorf("unknown SSH session: %v", err)
	}
}

func TestParseAllow(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.10", "192.0.2.10/32"}, {"192.0.2.0/24", "192.0.2.0/24"}, {"192.0.2.7/24", "192.0.2.0/24"},
		{"2001:db8::1", "2001:db8::1/128"}, {"::ffff:192.0.2.1", "192.0.2.1/32"}, {"example.org", ""}, {"1.2.3.4/40", ""},
	} {
		p, err := ParseAllow(c.in)
		if (err != nil) != (c.want == "") || err == nil && p.String() != c.want {
			t.Errorf("%q: %v %v, want %q", c.in, p, err, c.want)
		}
	}
}
