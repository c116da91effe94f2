// Package bootlab boots a throw-away Debian 12 with systemd, for tests that need a live host as
// users run nowwhat on: systemd as PID 1 with its D-Bus API, sshd, nginx, cron and rsyslog
// running, and a network of its own that a test reaches from outside as an internet client would.
//
// Build makes the Debian root once with debootstrap and keeps it (under /var/tmp/nowwhat-bootlab,
// keyed by its package list); Boot starts a copy of it (an overlay on the kept root, so every
// boot starts clean) with systemd-nspawn --boot in a network namespace joined to the test by a
// veth pair, and waits for multi-user.target. Exec and Start run programs inside (nsenter into
// all of its namespaces), CopyIn and CopyOut move files through its own view of the file system,
// Addr and Peers are the addresses on its network, SSH logs in with a real SSH client. Close (run
// by t.Cleanup, also when the test fails) kills the container and removes its overlay, network
// and folder; labs left behind by a test binary that was killed are swept at the next start.
//
// It needs root, debootstrap, systemd-nspawn (Debian's systemd-container), nsenter, ip and
// overlayfs. Without them the test is skipped with the reason; with NOWWHAT_REQUIRE_BOOTLAB set
// (CI sets it) a lab that cannot be built or booted fails the test instead.
package bootlab

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
)

// Suite is the Debian release the lab boots.
const Suite = "bookworm"

// Packages are installed on top of debootstrap's minimal base: a small web server as servers run
// it, and what tests need inside.
var Packages = []string{
	"systemd", "systemd-sysv", "dbus", "libpam-systemd", // the init system, its bus and login sessions
	"openssh-server", "nginx-light", "cron", "rsyslog", // the services a small server runs
	"iproute2", "procps", "passwd", // for the tests' own looks inside
}

// layout is bumped when the way the root is prepared changes, so a kept root is rebuilt.
const layout = "3"

// DefaultMirror is where debootstrap fetches packages; NOWWHAT_BOOTLAB_MIRROR overrides it.
const DefaultMirror = "http://deb.debian.org/debian"

// Dir keeps the built roots and the running labs; NOWWHAT_BOOTLAB_DIR overrides it.
func Dir() string {
	if d := os.Getenv("NOWWHAT_BOOTLAB_DIR"); d != "" {
		return d
	}
	return "/var/tmp/nowwhat-bootlab"
}

// unavailable skips the test, or fails it where the lab is required (CI).
func unavailable(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := "boot lab unavailable: " + fmt.Sprintf(format, a...)
	if os.Getenv("NOWWHAT_REQUIRE_BOOTLAB") != "" {
		t.Fatal(msg + " (NOWWHAT_REQUIRE_BOOTLAB is set)")
	}
	t.Skip(msg)
}

// Image is a built Debian root, kept read-only and shared by every boot.
type Image struct {
	Root string // the root folder
	Key  string // what it was built from, hashed
}

func imageKey() string {
	pk := append([]string(nil), Packages...)
	sort.Strings(pk)
	h := sha256.Sum256([]byte(Suite + "\n" + layout + "\n" + strings.Join(pk, ",")))
	return hex.EncodeToString(h[:6])
}

func need(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("boot lab: booting a container needs root (CI runs this as root)")
	}
	for _, p := range []string{"debootstrap", "systemd-nspawn", "nsenter", "ip"} {
		if _, err := exec.LookPath(p); err != nil {
			unavailable(t, "%s is not installed (apt-get install debootstrap systemd-container util-linux iproute2)", p)
		}
	}
	if data, _ := os.ReadFile("/proc/filesystems"); !bytes.Contains(data, []byte("\toverlay\n")) {
		exec.Command("modprobe", "overlay").Run()
		if data, _ := os.ReadFile("/proc/filesystems"); !bytes.Contains(data, []byte("\toverlay\n")) {
			unavailable(t, "the kernel has no overlay file system")
		}
	}
}

// Build returns the Debian root, building it first if it is not kept yet (a few minutes, once;
// concurrent test binaries wait for the one that builds).
func Build(t testing.TB) *Image {
	t.Helper()
	need(t)
	if err := os.MkdirAll(Dir(), 0o700); err != nil {
		unavailable(t, "%v", err)
	}
	Sweep()
	img := &Image{Key: imageKey()}
	img.Root = filepath.Join(Dir(), "image-"+img.Key)
	if ready(img.Root) {
		return img
	}
	lock, err := os.OpenFile(filepath.Join(Dir(), "build.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		unavailable(t, "%v", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		unavailable(t, "lock: %v", err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if ready(img.Root) {
		return img // built by another test binary while this one waited
	}
	start := time.Now()
	if err := build(img.Root); err != nil {
		unavailable(t, "build the Debian root: %v", err)
	}
	t.Logf("boot lab: built %s in %s", img.Root, time.Since(start).Round(time.Second))
	return img
}

// readyMark is the file next to a root that says it is complete (written last); its time is
// when the root was last used.
func readyMark(root string) string { return root + ".ready" }

func ready(root string) bool {
	now := time.Now()
	return os.Chtimes(readyMark(root), now, now) == nil
}

func build(root string) error {
	os.RemoveAll(root)
	tmp, err := os.MkdirTemp(Dir(), "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mirror := os.Getenv("NOWWHAT_BOOTLAB_MIRROR")
	if mirror == "" {
		mirror = DefaultMirror
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dst := filepath.Join(tmp, "root")
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--include="+strings.Join(Packages, ","), Suite, dst, mirror)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		tail := log.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("debootstrap %s from %s: %w\n%s", Suite, mirror, err, tail)
	}
	if err := prepare(dst); err != nil {
		return err
	}
	if err := os.Rename(dst, root); err != nil {
		return err
	}
	return os.WriteFile(readyMark(root), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600)
}

// prepare makes the fresh root boot quickly and quietly in a container: a host name, no package
// files kept, and nothing that waits for hardware it does not have. Host keys, machine id and
// the rest stay as debootstrap left them, and it adds what container image builders add (the
// policy-rc.d that keeps package installs from starting services), as on the images users run.
func prepare(root string) error {
	w := func(p, s string) error {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, p), []byte(s), 0o644)
	}
	if err := w("/etc/hostname", "bootlab\n"); err != nil {
		return err
	}
	if err := w(catalog.Path("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tbootlab\n::1\tlocalhost ip6-localhost ip6-loopback\n"); err != nil {
		return err
	}
	if err := w("/usr/sbin/policy-rc.d", policyRcD); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(root, "usr/sbin/policy-rc.d"), 0o755); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(root, "var/cache/apt/archives/*.deb"))
	for _, d := range debs {
		os.Remove(d)
	}
	// The network is set from outside (the test's veth): nothing inside waits for one.
	for _, u := range []string{"systemd-networkd-wait-online.service", "systemd-timesyncd.service"} {
		os.Symlink("/dev/null", filepath.Join(root, "etc/systemd/system", u))
	}
	return nil
}

// policyRcD is the file Docker's Debian images carry (and other image builders write the same
// stub): package installs must not start services while the image is built.
const policyRcD = `#!/bin/sh

# For most Docker users, "apt-get install" only happens during "docker build",
# where starting services doesn't work and often fails in humorous ways. This
# prevents those failures by stopping the services from attempting to start.

exit 101
`

// Host is a booted container.
type Host struct {
	Name   string // machine name, network namespace name and run folder suffix
	Image  *Image
	Leader int // PID of its systemd, as this side sees it
	dir    string
	subnet int // 10.98.SUBNET.0/24
	nspawn *exec.Cmd
	exited chan struct{}
	closed bool
}

// state is what the sweep needs to remove a lab whose test binary died.
type state struct {
	Owner      int    `json:"owner"`
	OwnerStart uint64 `json:"owner_start"`
	NetNS      string `json:"netns"`
	Veth       string `json:"veth"`
	Merged     string `json:"merged"`
	NSpawn     int    `json:"nspawn,omitempty"`
	Leader     int    `json:"leader,omitempty"`
}

func (h *Host) merged() string { return filepath.Join(h.dir, "root") }
func (h *Host) veth() string   { return h.Name + "h" }

// Addr is the container's address on its network.
func (h *Host) Addr() string { return fmt.Sprintf("10.98.%d.2", h.subnet) }

// Peers are three addresses outside the container, on its network (the test's side of the
// veth): clients that dial from different peers look like different hosts of the internet (an
// administrator, a partner that must keep access, an attacker). The first is also the
// container's default gateway.
func (h *Host) Peers() []string {
	return []string{fmt.Sprintf("10.98.%d.1", h.subnet), fmt.Sprintf("10.98.%d.3", h.subnet), fmt.Sprintf("10.98.%d.4", h.subnet)}
}

// Dial opens a TCP connection to the container's port from one of its peers ("" for the first).
func (h *Host) Dial(from string, port int, timeout time.Duration) (net.Conn, error) {
	if from == "" {
		from = h.Peers()[0]
	}
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", net.JoinHostPort(h.Addr(), strconv.Itoa(port)))
}

func procStart(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 19 {
			n, _ := strconv.ParseUint(f[19], 10, 64)
			return n
		}
	}
	return 0
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// freeSubnet picks a 10.98.N.0/24 that no interface of this side uses.
func freeSubnet() int {
	out, _ := exec.Command("ip", "-o", "-4", "addr").Output()
	for range 50 {
		var b [1]byte
		rand.Read(b[:])
		n := 1 + int(b[0])%254
		if !bytes.Contains(out, fmt.Appendf(nil, " 10.98.%d.", n)) {
			return n
		}
	}
	return 0
}

// Boot starts a fresh copy of the image and waits until it has reached multi-user.target.
func Boot(t testing.TB, img *Image) *Host {
	t.Helper()
	var b [3]byte
	rand.Read(b[:])
	h := &Host{Name: "nwbl" + hex.EncodeToString(b[:]), Image: img, exited: make(chan struct{})}
	h.dir = filepath.Join(Dir(), "run-"+h.Name)
	h.subnet = freeSubnet()
	if h.subnet == 0 {
		unavailable(t, "no free 10.98.N.0/24 network")
	}
	t.Cleanup(h.Close)
	if err := h.boot(t); err != nil {
		t.Logf("console of %s:\n%s", h.Name, h.console())
		unavailable(t, "boot %s: %v", h.Name, err)
	}
	return h
}

func (h *Host) writeState(st state) error {
	data, _ := json.Marshal(st)
	return os.WriteFile(filepath.Join(h.dir, "state.json"), data, 0o600)
}

func (h *Host) boot(t testing.TB) error {
	// The overlay's root takes its owner and mode from the upper folder: 0755, or the
	// container's services that do not run as root cannot reach any file.
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		return err
	}
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(h.dir, d), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(h.dir, d), 0o755); err != nil {
			return err
		}
	}
	st := state{Owner: os.Getpid(), OwnerStart: procStart(os.Getpid()), NetNS: h.Name, Veth: h.veth(), Merged: h.merged()}
	if err := h.writeState(st); err != nil {
		return err
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", h.Image.Root, filepath.Join(h.dir, "upper"), filepath.Join(h.dir, "work"))
	if err := unix.Mount("overlay", h.merged(), "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount the overlay: %w", err)
	}
	// Its own network: a namespace with eth0 (10.98.N.2), joined by a veth to this side, which
	// holds the peer addresses (10.98.N.1, the gateway, .3 and .4).
	for _, args := range [][]string{
		{"netns", "add", h.Name},
		{"link", "add", h.veth(), "type", "veth", "peer", "name", "eth0", "netns", h.Name},
		{"addr", "add", h.Peers()[0] + "/24", "dev", h.veth()},
		{"addr", "add", h.Peers()[1] + "/24", "dev", h.veth()},
		{"addr", "add", h.Peers()[2] + "/24", "dev", h.veth()},
		{"link", "set", h.veth(), "up"},
		{"-n", h.Name, "addr", "add", h.Addr() + "/24", "dev", "eth0"},
		{"-n", h.Name, "link", "set", "eth0", "up"},
		{"-n", h.Name, "link", "set", "lo", "up"},
		{"-n", h.Name, "route", "add", "default", "via", h.Peers()[0]},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	console, err := os.OpenFile(filepath.Join(h.dir, "console.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer console.Close()
	h.nspawn = exec.Command("systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit",
		"--directory="+h.merged(), "--machine="+h.Name, "--network-namespace-path=/run/netns/"+h.Name,
		"--link-journal=no", "--console=passive", "--timezone=off", "--resolv-conf=off",
		// Its network is its own: its root may change it (firewall rules, addresses), as on a server.
		"--capability=CAP_NET_ADMIN")
	h.nspawn.Stdout, h.nspawn.Stderr = console, console
	h.nspawn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := h.nspawn.Start(); err != nil {
		return fmt.Errorf("systemd-nspawn: %w", err)
	}
	go func() {
		h.nspawn.Wait()
		close(h.exited)
	}()
	st.NSpawn = h.nspawn.Process.Pid
	h.writeState(st)
	deadline := time.Now().Add(30 * time.Second)
	for h.Leader == 0 {
		select {
		case <-h.exited:
			return errors.New("systemd-nspawn exited")
		case <-time.After(50 * time.Millisecond):
		}
		h.Leader = findLeader(st.NSpawn)
		if time.Now().After(deadline) {
			return errors.New("no container init appeared in 30 s")
		}
	}
	st.Leader = h.Leader
	h.writeState(st)
	// Booted: multi-user.target reached (systemctl is-system-running says running, or degraded
	// when a unit failed, which is logged).
	deadline = time.Now().Add(90 * time.Second)
	for {
		r := h.run(nil, "systemctl", "is-system-running")
		state := strings.TrimSpace(r.Stdout)
		if state == "running" {
			break
		}
		if state == "degraded" {
			f := h.run(nil, "systemctl", "--failed", "--no-legend", "--plain")
			t.Logf("boot lab %s booted degraded: %s", h.Name, strings.TrimSpace(f.Stdout))
			break
		}
		select {
		case <-h.exited:
			return errors.New("the container stopped while booting")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			jobs := h.run(nil, "systemctl", "list-jobs", "--no-legend", "--plain")
			return fmt.Errorf("not booted after 90 s (systemctl is-system-running: %q %s; jobs waiting: %s)", state, strings.TrimSpace(r.Stderr), strings.TrimSpace(jobs.Stdout))
		}
	}
	return nil
}

// findLeader finds the container's init: a child of systemd-nspawn that is PID 1 of its own
// PID namespace.
func findLeader(nspawn int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		var ppid int
		var nspid []string
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				nspid = strings.Fields(v)
			}
		}
		if ppid == nspawn && len(nspid) >= 2 && nspid[len(nspid)-1] == "1" {
			return pid
		}
	}
	return 0
}

func (h *Host) console() string {
	data, _ := os.ReadFile(filepath.Join(h.dir, "console.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// Result is what a program run inside printed and how it ended.
type Result struct {
	Stdout, Stderr string
	Code           int // exit status; -1 when it could not run or was killed
	Err            error
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d %v\nstdout: %s\nstderr: %s", r.Code, r.Err, r.Stdout, r.Stderr)
}

// cleanEnv is the environment programs inside get: a root login's, nothing of the test's.
var cleanEnv = []string{"PATH=" + catalog.Dir("usr.local.sbin") + ":/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=" + catalog.Dir("home.root"), "LANG=C.UTF-8", "USER=root", "LOGNAME=root", "TERM=dumb"}

// Command is a program to run inside the container, in every one of its namespaces, as root, in
// /root, with a root login's environment (plus env).
func (h *Host) Command(env []string, args ...string) *exec.Cmd {
	a := append([]string{"-t", strconv.Itoa(h.Leader), "-a", "-r", "-w/root", "--"}, args...)
	c := exec.Command("nsenter", a...)
	c.Env = append(append([]string(nil), cleanEnv...), env...)
	return c
}

func (h *Host) run(env []string, args ...string) Result {
	c := h.Command(env, args...)
	// A program that leaves children holding its output (a daemon it started) must not keep
	// Wait waiting after it has exited or been killed.
	c.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		return Result{Code: -1, Err: err}
	}
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Minute):
		c.Process.Kill()
		err = errors.New("killed after 5 minutes")
		<-done
	}
	r := Result{Stdout: out.String(), Stderr: errb.String(), Err: err}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code, r.Err = ee.ExitCode(), nil
	default:
		r.Code = -1
	}
	return r
}

// Exec runs a program inside and waits for it (5 minutes at most).
func (h *Host) Exec(t testing.TB, args ...string) Result {
	t.Helper()
	return h.run(nil, args...)
}

// ExecEnv is Exec with more environment variables.
func (h *Host) ExecEnv(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	return h.run(env, args...)
}

// Start starts a program inside and leaves it running (it dies with the container). Its
// output is discarded.
func (h *Host) Start(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	c := h.Command(nil, args...)
	if err := c.Start(); err != nil {
		t.Fatalf("start %v in %s: %v", args, h.Name, err)
	}
	go c.Wait()
	return c
}

// fs is the container's own view of its files (its mounts included: /dev/shm, /run, /tmp),
// confined: a link inside never leads out.
func (h *Host) fs() (*os.Root, error) {
	return os.OpenRoot(fmt.Sprintf("/proc/%d/root", h.Leader))
}

// CopyIn writes a file inside the container (its folders are created 0755, root's).
func (h *Host) CopyIn(t testing.TB, data []byte, dst string, mode os.FileMode) {
	t.Helper()
	r, err := h.fs()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rel := strings.TrimPrefix(filepath.Clean(dst), "/")
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		t.Fatalf("copy in %s: %v", dst, err)
	}
	if err := r.WriteFile(rel, data, mode); err != nil {
		t.Fatalf("copy in %s: %v", dst, err)
	}
	if err := r.Chmod(rel, mode); err != nil {
		t.Fatalf("copy in %s: %v", dst, err)
	}
}

// CopyInFile copies a file of this side into the container.
func (h *Host) CopyInFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	h.CopyIn(t, data, dst, mode)
}

// CopyOut reads a file of the container.
func (h *Host) CopyOut(t testing.TB, src string) []byte {
	t.Helper()
	data, err := h.ReadFile(src)
	if err != nil {
		t.Fatalf("copy out %s: %v", src, err)
	}
	return data
}

// ReadFile reads a file of the container, as os.ReadFile does.
func (h *Host) ReadFile(src string) ([]byte, error) {
	r, err := h.fs()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(strings.TrimPrefix(filepath.Clean(src), "/"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Close stops the container and removes everything Boot made. It is safe to call twice.
func (h *Host) Close() {
	if h.closed {
		return
	}
	h.closed = true
	var nspawn int
	if h.nspawn != nil && h.nspawn.Process != nil {
		nspawn = h.nspawn.Process.Pid
	}
	teardown(state{NetNS: h.Name, Veth: h.veth(), Merged: h.merged(), NSpawn: nspawn, Leader: h.Leader}, h.exited)
	os.RemoveAll(h.dir)
}

// teardown kills a lab's container (its init first: every process in its PID namespace goes
// with it) and removes its mount and network.
func teardown(st state, exited chan struct{}) {
	if st.Leader > 0 {
		syscall.Kill(st.Leader, syscall.SIGKILL)
	}
	if st.NSpawn > 0 {
		if exited != nil {
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				syscall.Kill(st.NSpawn, syscall.SIGKILL)
				<-exited
			}
		} else {
			syscall.Kill(st.NSpawn, syscall.SIGKILL)
		}
	}
	if st.Merged != "" {
		for range 50 {
			if err := unix.Unmount(st.Merged, 0); err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		unix.Unmount(st.Merged, unix.MNT_DETACH)
	}
	if st.Veth != "" {
		exec.Command("ip", "link", "del", st.Veth).Run()
	}
	if st.NetNS != "" {
		exec.Command("ip", "netns", "del", st.NetNS).Run()
	}
}

// Sweep removes labs whose test binary is gone (killed before its cleanup ran), and roots of
// older package lists.
func Sweep() {
	runs, _ := filepath.Glob(filepath.Join(Dir(), "run-nwbl*"))
	for _, dir := range runs {
		data, err := os.ReadFile(filepath.Join(dir, "state.json"))
		var st state
		if err == nil && json.Unmarshal(data, &st) == nil && st.Owner > 0 && procStart(st.Owner) == st.OwnerStart {
			continue // its test binary is still running
		}
		if err != nil {
			fi, serr := os.Stat(dir)
			if serr == nil && time.Since(fi.ModTime()) < time.Minute {
				continue // being set up right now
			}
			st = state{NetNS: filepath.Base(dir)[4:], Veth: filepath.Base(dir)[4:] + "h", Merged: filepath.Join(dir, "root")}
		}
		teardown(st, nil)
		os.RemoveAll(dir)
	}
	// Roots of other package lists may be another checkout's (worktrees of other branches share
	// this folder): removed only when unused for two weeks.
	marks, _ := filepath.Glob(filepath.Join(Dir(), "image-*.ready"))
	for _, m := range marks {
		d := strings.TrimSuffix(m, ".ready")
		fi, err := os.Stat(m)
		if filepath.Base(d) != "image-"+imageKey() && err == nil && time.Since(fi.ModTime()) > 14*24*time.Hour {
			os.Remove(m)
			os.RemoveAll(d)
		}
	}
	builds, _ := filepath.Glob(filepath.Join(Dir(), "build-*"))
	for _, d := range builds {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
}
