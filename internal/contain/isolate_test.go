package contain

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lab is three network namespaces on a bridge in a fourth: the host to isolate (10.99.0.1),
// an allowed peer (10.99.0.2) and another peer (10.99.0.3).
type lab struct {
	names map[string]string // role -> namespace name
	fds   map[string]int
}

func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CI runs this as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) is not installed")
	}
	var b [3]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	l := &lab{names: map[string]string{}, fds: map[string]int{}}
	for _, role := range []string{"host", "allowed", "other", "switch"} {
		l.names[role] = "nw" + id + role[:2]
	}
	t.Cleanup(func() {
		for _, fd := range l.fds {
			unix.Close(fd)
		}
		for _, n := range l.names {
			exec.Command("ip", "netns", "del", n).Run()
		}
	})
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("cannot build the test network here (ip %s: %v %s)", strings.Join(args, " "), err, out)
		}
	}
	for _, n := range l.names {
		sh("netns", "add", n)
	}
	sw := l.names["switch"]
	sh("-n", sw, "link", "add", "br0", "type", "bridge")
	sh("-n", sw, "link", "set", "br0", "up")
	for i, role := range []string{"host", "allowed", "other"} {
		ns := l.names[role]
		dev, port := fmt.Sprintf("eth%d", i), fmt.Sprintf("p%d", i)
		sh("link", "add", dev, "netns", ns, "type", "veth", "peer", "name", port, "netns", sw)
		sh("-n", sw, "link", "set", port, "master", "br0", "up")
		sh("-n", ns, "addr", "add", fmt.Sprintf("10.99.0.%d/24", i+1), "dev", dev)
		sh("-n", ns, "link", "set", dev, "up")
		sh("-n", ns, "link", "set", "lo", "up")
		fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Skipf("open netns %s: %v", ns, err)
		}
		l.fds[role] = fd
	}
	return l
}

// in runs fn on a thread moved into a namespace; the thread is discarded afterwards.
func (l *lab) in(t *testing.T, role string, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Setns(l.fds[role], unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		fn()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// listen starts an echo server in the host namespace.
func (l *lab) listen(t *testing.T, addr string) {
	var ln net.Listener
	l.in(t, "host", func() {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			t.Error(err)
		}
	})
	if ln == nil {
		t.FailNow()
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
}

// dial opens a connection from a peer's namespace.
func (l *lab) dial(t *testing.T, role, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	l.in(t, role, func() { c, err = net.DialTimeout("tcp", addr, 700*time.Millisecond) })
	return c, err
}

func (l *lab) reachable(t *testing.T, role, addr string) bool {
	c, err := l.dial(t, role, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	return echo(c)
}

func echo(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(700 * time.Millisecond))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

// TestIsolationInNamespaces: after isolation an allowed peer still reaches the host, the other
// peer does not, the operator's open SSH connection keeps working; undo restores everything,
// and an isolation nobody confirms rolls itself back.
func TestIsolationInNamespaces(t *testing.T) {
	l := newLab(t)
	l.listen(t, "10.99.0.1:8080")
	l.listen(t, "10.99.0.1:2222") // stands for sshd
	if !l.reachable(t, "allowed", "10.99.0.1:8080") || !l.reachable(t, "other", "10.99.0.1:8080") {
		t.Fatal("the test network does not work before isolation")
	}
	// The operator's session: an open connection from the other peer to "sshd".
	sess, err := l.dial(t, "other", "10.99.0.1:2222")
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
	e.NetNS = l.fds["host"]
	e.Operator = Operator{SSH: true, Client: client, Server: netip.MustParseAddrPort("10.99.0.1:2222"), Source: "test"}
	iso := Isolate{Allow: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/32")}, NetNS: l.fds["host"]}

	out, err := Run(e, iso, true)
	if err != nil || !out.Applied {
		t.Fatalf("isolate: %v", err)
	}
	if !l.reachable(t, "allowed", "10.99.0.1:8080") {
		t.Error("the allowed peer is cut off")
	}
	if l.reachable(t, "other", "10.99.0.1:8080") {
		t.Error("the other peer still reaches the host")
	}
	if !echo(sess) {
		t.Error("the operator's open session was cut")
	}
	if !l.reachable(t, "other", "10.99.0.1:2222") {
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
	if !l.reachable(t, "other", "10.99.0.1:8080") {
		t.Error("undo did not restore the network")
	}

	// Unconfirmed: it rolls itself back.
	iso.Rollback = time.Second
	out, err = Run(e, iso, true)
	if err != nil || !out.Applied {
		t.Fatal(err)
	}
	if l.reachable(t, "other", "10.99.0.1:8080") {
		t.Error("not isolated")
	}
	if err := Watch(e, out.ID, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !l.reachable(t, "other", "10.99.0.1:8080") {
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
	if ok, _ := Isolated(l.fds["host"]); !ok {
		t.Error("a confirmed isolation was rolled back")
	}
	Unisolate(l.fds["host"])
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
