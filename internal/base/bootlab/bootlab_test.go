package bootlab

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// get fetches / from the container's port 80 from a peer, as a browser on the internet would.
func get(h *Host, from string) (int, string, error) {
	c, err := h.Dial(from, 80, 2*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: bootlab\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

// TestBootServesAndCleansUp: the booted container runs systemd as PID 1 with nginx and sshd
// reachable from both peers, programs run inside it, files go in and out (also on its own
// tmpfs), and Close leaves no mount, namespace, link or folder behind.
func TestBootServesAndCleansUp(t *testing.T) {
	img := Build(t)
	h := Boot(t, img)
	if r := h.Exec(t, "cat", "/proc/1/comm"); strings.TrimSpace(r.Stdout) != "systemd" {
		t.Fatalf("PID 1 inside is not systemd: %s", r)
	}
	if r := h.Exec(t, "systemctl", "is-active", "nginx", "ssh", "cron", "rsyslog", "dbus"); r.Code != 0 {
		t.Errorf("services not all active: %s", r)
	}
	for _, from := range h.Peers() {
		code, body, err := get(h, from)
		if err != nil || code != 200 || !strings.Contains(body, "nginx") {
			t.Errorf("nginx from %s: %d %v %.80q", from, code, err, body)
		}
	}
	key := h.AuthorizeKey(t, "root")
	out, err := h.SSH("root", key, "id -u; cat /etc/hostname")
	if err != nil || out != "0\nbootlab\n" {
		t.Errorf("ssh login: %q %v", out, err)
	}
	// A key it does not know is refused.
	h.CopyIn(t, nil, "/root/.ssh/authorized_keys", 0o600)
	if _, err := h.SSH("root", key, "true"); !LoginRefused(err) {
		t.Errorf("a removed key still logs in: %v", err)
	}
	h.CopyIn(t, []byte("#!/bin/sh\necho hi from shm\n"), "/dev/shm/x/hi", 0o755)
	if r := h.Exec(t, "/dev/shm/x/hi"); r.Stdout != "hi from shm\n" {
		t.Errorf("run a copied-in program: %s", r)
	}
	if fi, err := os.Stat(h.merged() + "/dev/shm/x/hi"); err == nil {
		t.Errorf("/dev/shm inside is the overlay's folder, not the container's own tmpfs: %v", fi.Mode())
	}
	if got := h.CopyOut(t, "/etc/os-release"); !bytes.Contains(got, []byte(`VERSION_CODENAME=bookworm`)) {
		t.Errorf("os-release: %q", got)
	}
	if r := h.Exec(t, "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("exit status: %s", r)
	}

	// Close: nothing left.
	name, dir, merged := h.Name, h.dir, h.merged()
	h.Close()
	if data, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(data, []byte(merged)) {
		t.Error("the overlay is still mounted")
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); bytes.Contains(out, []byte(name)) {
		t.Error("the network namespace is left")
	}
	if out, _ := exec.Command("ip", "-o", "link").Output(); bytes.Contains(out, []byte(name)) {
		t.Error("the veth is left")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run folder is left: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", h.Leader)); !os.IsNotExist(err) {
		t.Error("the container's init still runs")
	}
}

// TestSweepRemovesOrphans: a lab whose test binary died (its owner is gone) is torn down by the
// next Sweep, and one still owned is left alone.
func TestSweepRemovesOrphans(t *testing.T) {
	img := Build(t)
	h := Boot(t, img)
	alive := Boot(t, img)
	// Pretend h's test binary died: its owner becomes a process that has exited.
	c := exec.Command("true")
	c.Run()
	st := state{Owner: c.Process.Pid, OwnerStart: 1, NetNS: h.Name, Veth: h.veth(), Merged: h.merged(), NSpawn: h.nspawn.Process.Pid, Leader: h.Leader}
	if err := h.writeState(st); err != nil {
		t.Fatal(err)
	}
	Sweep()
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the orphaned container still runs after the sweep")
	}
	if _, err := os.Stat(h.dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's folder is left: %v", err)
	}
	if r := alive.Exec(t, "true"); r.Code != 0 {
		t.Errorf("the sweep touched a lab still in use: %s", r)
	}
	h.closed = true // already gone
}

// TestBuild: the kept root has every package of the list installed (CI runs this first, with a
// long timeout, so the first build does not count against another test's time).
func TestBuild(t *testing.T) {
	img := Build(t)
	status, err := os.ReadFile(img.Root + "/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Packages {
		if !bytes.Contains(status, []byte("Package: "+p+"\nStatus: install ok installed\n")) {
			t.Errorf("package %s is not installed in %s", p, img.Root)
		}
	}
	if again := Build(t); again.Root != img.Root {
		t.Errorf("a second Build made another root: %s, %s", again.Root, img.Root)
	}
}
