package live

import (
	"context"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func collect(t *testing.T, dir string, live bool) *probe.Recorder {
	t.Helper()
	fs, err := hostfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	rec := &probe.Recorder{}
	if err := (Collector{}).Collect(context.Background(), &probe.Env{FS: fs, Sink: rec, Live: live}); err != nil {
		t.Fatal(err)
	}
	return rec
}

// liveFixture is a Debian root with a fake /proc: init, a kernel thread, sshd holding two
// sockets, a process running a deleted binary from /tmp, and the network tables.
func liveFixture(t *testing.T) *fixture.Root {
	r := fixture.Debian(t)
	r.File("/proc/stat", "cpu  1 2 3 4\nbtime 1700000000\nprocesses 500\n", 0o444)
	r.Process(fixture.ProcessSpec{PID: 1, PPID: 0, Comm: "systemd", Exe: "/usr/lib/systemd/systemd", Cmdline: []string{"/sbin/init", "splash"}, Cwd: "/", StartTick: 1})
	r.Process(fixture.ProcessSpec{PID: 2, PPID: 0, Comm: "kthreadd", StartTick: 1})
	r.Process(fixture.ProcessSpec{PID: 812, PPID: 1, Comm: "sshd", Exe: "/usr/sbin/sshd", Cmdline: []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}, Cwd: "/", StartTick: 250})
	r.Symlink("socket:[1001]", "/proc/812/fd/3").Symlink("socket:[1003]", "/proc/812/fd/4").Symlink("/dev/null", "/proc/812/fd/0")
	r.Symlink("socket:[2001]", "/proc/812/fd/5")
	r.Process(fixture.ProcessSpec{PID: 4242, PPID: 1, UID: 33, Comm: "kworker/0:1", Exe: "/tmp/.x (deleted)", Cmdline: []string{"[kworker/0:1]"}, Cwd: "/tmp", StartTick: 100000})
	r.Symlink("socket:[1002]", "/proc/4242/fd/3")
	// A child of sshd holding the listener too: the lowest pid is named as owner.
	r.Process(fixture.ProcessSpec{PID: 9000, PPID: 812, Comm: "sshd", Exe: "/usr/sbin/sshd", StartTick: 300000})
	r.Symlink("socket:[1001]", "/proc/9000/fd/3")
	r.File("/proc/net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"+
		"   1: 0500000A:C350 097100CB:115C 01 00000000:00000000 00:00000000 00000000    33        0 1002 1 0000000000000000 20 4 30 10 -1\n"+
		"   2: 0500000A:0016 097100CB:D431 06 00000000:00000000 03:00000000 00000000     0        0 0 3\n"+
		"   3: this line is broken\n", 0o444)
	r.File("/proc/net/tcp6", "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 1004 1 0\n", 0o444)
	r.File("/proc/net/udp", "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"+
		"  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1005 2 0000000000000000 0\n", 0o444)
	r.File("/proc/net/unix", "Num       RefCount Protocol Flags    Type St Inode Path\n"+
		"0000000000000000: 00000002 00000000 00010000 0001 01 2001 /run/sshd control.sock\n"+
		"0000000000000000: 00000003 00000000 00000000 0001 03 2002\n"+
		"0000000000000000: 00000003 00000000 00000000 0001 03 2003 /run/systemd/journal/stdout\n"+
		"0000000000000000: 00000002 00000000 00000000 0002 01 2004 /run/systemd/notify\n"+
		"0000000000000000: 00000002 00000000 00010000 0001 01 2005 @/tmp/.X11-unix/X0\n", 0o444)
	r.File("/proc/1/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"+
		"23 22 0:21 / /tmp rw,nosuid,nodev,noexec shared:2 - tmpfs tmpfs rw,size=1024k\n"+
		`24 22 0:30 / /mnt/back\040up rw - nfs 10.0.0.9:/export\040x rw,vers=4.2`+"\n"+
		"broken\n", 0o444)
	return r
}

func TestCollectFixture(t *testing.T) {
	littleEndian(t)
	rec := collect(t, liveFixture(t).Dir, true)

	procs := map[int64]snapshot.Process{}
	for _, p := range probe.Of[snapshot.Process](rec) {
		procs[p.PID] = p
	}
	const boot = int64(1700000000) * 1e9
	wantProcs := []snapshot.Process{
		{PID: 1, PPID: 0, UID: 0, Comm: "systemd", Exe: "/usr/lib/systemd/systemd", Cmdline: "/sbin/init splash", Cwd: "/", Start: boot + 1e7, State: "S", Listed: true},
		{PID: 2, PPID: 0, UID: 0, Comm: "kthreadd", Start: boot + 1e7, State: "S", Listed: true},
		{PID: 812, PPID: 1, UID: 0, Comm: "sshd", Exe: "/usr/sbin/sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", Cwd: "/", Start: boot + 250*1e7, State: "S", Listed: true},
		{PID: 4242, PPID: 1, UID: 33, Comm: "kworker/0:1", Exe: "/tmp/.x", ExeDeleted: true, Cmdline: "[kworker/0:1]", Cwd: "/tmp", Start: boot + 100000*1e7, State: "S", Listed: true},
		{PID: 9000, PPID: 812, UID: 0, Comm: "sshd", Exe: "/usr/sbin/sshd", Start: boot + 300000*1e7, State: "S", Listed: true},
	}
	if len(procs) != len(wantProcs) {
		t.Errorf("%d processes, want %d: %+v", len(procs), len(wantProcs), procs)
	}
	for _, w := range wantProcs {
		if procs[w.PID] != w {
			t.Errorf("process %d:\n got  %+v\n want %+v", w.PID, procs[w.PID], w)
		}
	}

	wantSocks := []snapshot.Socket{
		{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 22, RemoteAddr: "0.0.0.0", State: "LISTEN", Inode: 1001, PID: 812, Process: "sshd"},
		{Proto: "tcp", LocalAddr: "10.0.0.5", LocalPort: 50000, RemoteAddr: "203.0.113.9", RemotePort: 4444, State: "ESTABLISHED", Inode: 1002, UID: 33, PID: 4242, Process: "kworker/0:1"},
		{Proto: "tcp", LocalAddr: "10.0.0.5", LocalPort: 22, RemoteAddr: "203.0.113.9", RemotePort: 54321, State: "TIME_WAIT"},
		{Proto: "tcp6", LocalAddr: "::ffff:127.0.0.1", LocalPort: 8080, RemoteAddr: "::", State: "LISTEN", Inode: 1004, UID: 33},
		{Proto: "udp", LocalAddr: "0.0.0.0", LocalPort: 68, RemoteAddr: "0.0.0.0", State: "UNCONN", Inode: 1005},
		{Proto: "unix", LocalAddr: "/run/sshd control.sock", State: "LISTEN", Inode: 2001, UID: 0, PID: 812, Process: "sshd"},
		{Proto: "unix", LocalAddr: "/run/systemd/notify", State: "UNCONN", Inode: 2004, UID: -1},
		{Proto: "unix", LocalAddr: "@/tmp/.X11-unix/X0", State: "LISTEN", Inode: 2005, UID: -1},
	}
	socks := probe.Of[snapshot.Socket](rec)
	if len(socks) != len(wantSocks) {
		t.Errorf("%d sockets, want %d: %+v", len(socks), len(wantSocks), socks)
	}
	for i := range min(len(socks), len(wantSocks)) {
		if socks[i] != wantSocks[i] {
			t.Errorf("socket %d:\n got  %+v\n want %+v", i, socks[i], wantSocks[i])
		}
	}

	wantMounts := []snapshot.Mount{
		{Target: "/", Source: "/dev/sda1", FSType: "ext4", Options: "rw,relatime,errors=remount-ro"},
		{Target: "/tmp", Source: "tmpfs", FSType: "tmpfs", Options: "rw,nosuid,nodev,noexec,size=1024k"},
		{Target: "/mnt/back up", Source: "10.0.0.9:/export x", FSType: "nfs", Options: "rw,vers=4.2"},
	}
	mounts := probe.Of[snapshot.Mount](rec)
	if len(mounts) != len(wantMounts) {
		t.Errorf("mounts: %+v", mounts)
	}
	for i := range min(len(mounts), len(wantMounts)) {
		if mounts[i] != wantMounts[i] {
			t.Errorf("mount %d: got %+v, want %+v", i, mounts[i], wantMounts[i])
		}
	}

	// The broken tcp line and the broken mountinfo line are reported, nothing else.
	if len(rec.Problems) != 2 || rec.Problems[0].Path != "/proc/net/tcp" || rec.Problems[1].Path != "/proc/1/mountinfo" {
		t.Errorf("problems: %+v", rec.Problems)
	}
}

func TestCollectNotLive(t *testing.T) {
	rec := collect(t, liveFixture(t).Dir, false)
	if len(rec.Records) != 0 || len(rec.Problems) != 0 {
		t.Fatalf("collected without Live: %d records, %+v", len(rec.Records), rec.Problems)
	}
}

func TestCollectBrokenProcess(t *testing.T) {
	r := fixture.New(t)
	r.Process(fixture.ProcessSpec{PID: 10, PPID: 1, Comm: "ok", Exe: "/bin/ok"})
	r.MkdirAll("/proc/11", 0o555).File("/proc/11/stat", "garbage", 0o444) // malformed: a problem
	r.MkdirAll("/proc/12", 0o555)                                         // exited mid-read: skipped silently
	r.MkdirAll("/proc/self", 0o555).MkdirAll("/proc/sys", 0o555)          // not pids
	rec := collect(t, r.Dir, true)
	procs := probe.Of[snapshot.Process](rec)
	if len(procs) != 1 || procs[0].PID != 10 || procs[0].Start != 0 {
		t.Errorf("processes: %+v", procs)
	}
	if len(rec.Problems) != 1 || rec.Problems[0].Path != "/proc/11/stat" {
		t.Errorf("problems: %+v", rec.Problems)
	}
}

// TestCollectThisHost reads the real /proc: the test's own process must be there with its
// binary, a listener it opens must name it, and no process may look hidden.
func TestCollectThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rec := collect(t, "/", true)
	t.Logf("collected %d records in %v", len(rec.Records), time.Since(start))
	for _, p := range rec.Problems {
		t.Logf("problem: %+v", p)
	}
	me := int64(os.Getpid())
	var found bool
	for _, p := range probe.Of[snapshot.Process](rec) {
		if !p.Listed {
			t.Errorf("process looks hidden: %+v", p)
		}
		if p.PID == me {
			found = true
			if p.Exe != exe || p.ExeDeleted || !p.Listed || p.UID != int64(os.Getuid()) || p.PPID != int64(os.Getppid()) {
				t.Errorf("own process: %+v, want exe %s", p, exe)
			}
			if !strings.Contains(p.Cmdline, "live.test") && !strings.Contains(p.Cmdline, "-test.") {
				t.Errorf("own cmdline %q", p.Cmdline)
			}
			if d := time.Since(time.Unix(0, p.Start)); p.Start == 0 || d < 0 || d > time.Hour {
				t.Errorf("own start %v ago", d)
			}
		}
	}
	if !found {
		t.Errorf("own pid %d not listed", me)
	}
	var sock *snapshot.Socket
	for _, s := range probe.Of[snapshot.Socket](rec) {
		if s.Proto == "tcp" && s.LocalAddr == "127.0.0.1" && s.LocalPort == port {
			sock = &s
		}
	}
	if sock == nil || sock.State != "LISTEN" || sock.PID != me || sock.UID != int64(os.Getuid()) || sock.Inode == 0 {
		t.Errorf("listener 127.0.0.1:%d: %+v", port, sock)
	}
	root := false
	for _, m := range probe.Of[snapshot.Mount](rec) {
		root = root || m.Target == "/"
	}
	if !root {
		t.Errorf("no mount at /")
	}
}

// TestProbeThisHost runs the pid probe on the live host: every process it finds beyond the
// listing must be a thread, and it must be quick.
func TestProbeThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux /proc")
	}
	fs, err := hostfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if self, err := fs.Readlink("/proc/self"); err != nil || self != strconv.Itoa(os.Getpid()) {
		t.Skip("/proc belongs to another pid namespace")
	}
	// Keep a few extra threads alive so the probe meets some.
	done := make(chan struct{})
	defer close(done)
	for range 3 {
		go func() {
			runtime.LockOSThread()
			<-done
		}()
	}
	listed, err := listPIDs(fs)
	if err != nil {
		t.Fatal(err)
	}
	max := pidMax(fs)
	in := newBitset(max)
	for _, p := range listed {
		in.set(int(p))
	}
	start := time.Now()
	cands := probePIDs(context.Background(), max, in)
	took := time.Since(start)
	t.Logf("probed %d pids in %v: %d answer beyond the listing of %d", max, took, len(cands), len(listed))
	if len(cands) == 0 {
		t.Errorf("probe found none of this process's own threads")
	}
	rec := &probe.Recorder{}
	s := &scan{env: &probe.Env{FS: fs, Sink: rec, Live: true}, owners: map[uint64]owner{}, denied: map[string]int{}, deniedEx: map[string]error{}}
	s.hidden(context.Background(), listed)
	for _, p := range probe.Of[snapshot.Process](rec) {
		if !p.Listed {
			t.Errorf("hidden process reported on a clean host: %+v", p)
		}
	}
	// 2 s is the target on an idle host; the bound here leaves room for a loaded test machine.
	if took > 20*time.Second {
		t.Errorf("probe took %v", took)
	}
}

// TestConfirmHidden checks what happens to the pids a probe found beyond the listing.
func TestConfirmHidden(t *testing.T) {
	r := fixture.New(t)
	r.Process(fixture.ProcessSpec{PID: 777, PPID: 1, Comm: "hidden", Exe: "/dev/shm/.h", Cmdline: []string{"/dev/shm/.h", "-d"}})
	r.File("/proc/777/status", "Name:\thidden\nTgid:\t777\nPid:\t777\nPPid:\t1\nUid:\t0\t0\t0\t0\n", 0o444)
	// A thread of 812: its status names its leader.
	r.Process(fixture.ProcessSpec{PID: 813, PPID: 1, Comm: "sshd"})
	r.File("/proc/813/status", "Name:\tsshd\nTgid:\t812\nPid:\t813\nPPid:\t1\nUid:\t0\t0\t0\t0\n", 0o444)
	r.Process(fixture.ProcessSpec{PID: 900, PPID: 1, Comm: "late", Exe: "/usr/bin/late"})
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	rec := &probe.Recorder{}
	s := &scan{env: &probe.Env{FS: fs, Sink: rec, Live: true}, owners: map[uint64]owner{}, denied: map[string]int{}, deniedEx: map[string]error{}}
	again := newBitset(1000)
	again.set(900) // started after the first listing: listed the second time
	answers := map[int]bool{777: true, 813: true, 900: true, 950: true}
	// 950: answers but has no /proc entry at all; 960: exited before the check.
	s.confirm(context.Background(), []int{777, 813, 900, 950, 960}, again, func(pid int) bool { return answers[pid] })
	got := map[int64]snapshot.Process{}
	for _, p := range probe.Of[snapshot.Process](rec) {
		got[p.PID] = p
	}
	want := map[int64]snapshot.Process{
		777: {PID: 777, PPID: 1, Comm: "hidden", Exe: "/dev/shm/.h", Cmdline: "/dev/shm/.h -d", State: "S", Listed: false},
		900: {PID: 900, PPID: 1, Comm: "late", Exe: "/usr/bin/late", State: "S", Listed: true},
		950: {PID: 950, PPID: -1, UID: -1, Listed: false},
	}
	if len(got) != len(want) {
		t.Errorf("got %+v", got)
	}
	for pid, w := range want {
		if got[pid] != w {
			t.Errorf("pid %d:\n got  %+v\n want %+v", pid, got[pid], w)
		}
	}
}
