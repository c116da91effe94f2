// Package netlab builds small networks of Linux network namespaces for tests that must see real
// packets: three hosts (host, allowed, other) on a bridge in a fourth namespace, each with an
// address in 10.99.0.0/24, and helpers to listen, dial and echo inside them. It needs root and
// iproute2's ip; without them the test is skipped.
package netlab

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Lab is three network namespaces on a bridge in a fourth: the host to isolate (10.99.0.1),
// an allowed peer (10.99.0.2) and another peer (10.99.0.3).
type Lab struct {
	Names map[string]string // role -> namespace name
	FDs   map[string]int    // role -> an open fd of the namespace
}

func New(t testing.TB) *Lab {
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
	l := &Lab{Names: map[string]string{}, FDs: map[string]int{}}
	for _, role := range []string{"host", "allowed", "other", "switch"} {
		l.Names[role] = "nw" + id + role[:2]
	}
	t.Cleanup(func() {
		for _, fd := range l.FDs {
			unix.Close(fd)
		}
		for _, n := range l.Names {
			exec.Command("ip", "netns", "del", n).Run()
		}
	})
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("cannot build the test network here (ip %s: %v %s)", strings.Join(args, " "), err, out)
		}
	}
	for _, n := range l.Names {
		sh("netns", "add", n)
	}
	sw := l.Names["switch"]
	sh("-n", sw, "link", "add", "br0", "type", "bridge")
	sh("-n", sw, "link", "set", "br0", "up")
	for i, role := range []string{"host", "allowed", "other"} {
		ns := l.Names[role]
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
		l.FDs[role] = fd
	}
	return l
}

// In runs fn on a thread moved into a namespace; the thread is discarded afterwards.
func (l *Lab) In(t testing.TB, role string, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Setns(l.FDs[role], unix.CLONE_NEWNET); err != nil {
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

// Listen starts an echo server in the host namespace.
func (l *Lab) Listen(t testing.TB, addr string) {
	var ln net.Listener
	l.In(t, "host", func() {
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

// Dial opens a connection from a peer's namespace.
func (l *Lab) Dial(t testing.TB, role, addr string) (net.Conn, error) {
	var c net.Conn
	var err error
	l.In(t, role, func() { c, err = net.DialTimeout("tcp", addr, 700*time.Millisecond) })
	return c, err
}

// Reachable reports whether a peer can open a connection to addr and get an echo.
func (l *Lab) Reachable(t testing.TB, role, addr string) bool {
	c, err := l.Dial(t, role, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	return Echo(c)
}

// Echo sends a line over c and reports whether it comes back.
func Echo(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(700 * time.Millisecond))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}
