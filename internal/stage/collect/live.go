package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/live"
)

// procRoot is where the live host's /proc is read (a variable for tests).
var procRoot = "/proc"

// maxProcFile bounds one /proc file read (a huge maps or environ).
const maxProcFile = 8 << 20

// perProcess are the /proc/PID files kept for every process.
var perProcess = []string{"status", "cmdline", "environ", "stat", "maps", "limits", "cgroup", "loginuid", "sessionid", "mountinfo"}

// system are the /proc files about the whole system kept once (network tables from PID 1's
// namespace, the host's own, not this process's).
var system = []string{"1/net/tcp", "1/net/tcp6", "1/net/udp", "1/net/udp6", "1/net/raw", "1/net/raw6", "1/net/unix", "1/net/packet",
	"1/net/arp", "1/net/route", "1/net/ipv6_route", "1/net/dev", "modules", "1/mountinfo", "cmdline", "version", "uptime", "loadavg",
	"meminfo", "swaps", "sys/kernel/tainted", "sys/kernel/hostname", "stat"}

// readProc reads a /proc file whole (they report size 0), up to maxProcFile.
func readProc(p string) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxProcFile))
}

// live copies the volatile state of a live host: every process (command line, environment,
// status, memory map, open files, and its program when that was deleted), network tables,
// kernel modules, mounts, and who is logged in.
func (c *collection) live(ctx context.Context) {
	if !c.fs.IsLive() {
		c.w.Logf("not a live host (root %s): no processes, sockets or logged-in users to collect", c.fs.Dir())
		return
	}
	c.exes = map[int]bool{}
	c.copyFile("live", catalog.Path("log.utmp")) // who is logged in now
	for _, name := range system {
		data, err := readProc(procRoot + "/" + name)
		if err != nil {
			if !live.Gone(err) {
				c.w.Problem("live", "/proc/"+name, err)
			}
			continue
		}
		c.w.AddBytes("live", "live/proc/"+name, "/proc/"+name, data)
	}
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		c.w.Problem("live", "/proc", err)
		return
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	var table bytes.Buffer
	table.WriteString("pid\tppid\tuid\tcomm\texe\tcmdline\n")
	self := os.Getpid()
	for _, pid := range pids {
		if ctx.Err() != nil {
			return
		}
		if pid == self {
			continue
		}
		c.process(pid, &table)
	}
	c.w.AddBytes("live", "live/processes.tsv", "", table.Bytes())
}

// zombie reports a process that exited and waits for its parent to collect it (State: Z):
// its memory, environment, open files and namespaces are gone, so reading them fails.
func zombie(status []byte) bool {
	for line := range bytes.SplitSeq(status, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("State:")); ok {
			return bytes.HasPrefix(bytes.TrimSpace(v), []byte("Z"))
		}
	}
	return false
}

// process keeps one process's files; a process that exits half-way is noted, not an error,
// and so is what a zombie no longer has.
func (c *collection) process(pid int, table *bytes.Buffer) {
	dir := fmt.Sprintf("%s/%d", procRoot, pid)
	host := fmt.Sprintf("/proc/%d", pid)
	arch := fmt.Sprintf("live/proc/%d", pid)
	var status, cmdline []byte
	isZombie := false
	for _, name := range perProcess {
		data, err := readProc(dir + "/" + name)
		if err != nil {
			if isZombie {
				c.w.Leave("live", host+"/"+name, fmt.Sprintf("zombie process (it exited; its parent PID %d has not collected it): %s is gone with it", live.ParseStatus(status).PPID, name))
				continue
			}
			if live.Gone(err) {
				if name == "status" || name == "cmdline" {
					c.w.Logf("process %d exited before it could be read", pid)
					return
				}
				continue
			}
			if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) || name == "cmdline" || name == "status" {
				c.w.Problem("live", host+"/"+name, err)
			}
			continue
		}
		switch name {
		case "status":
			status = data
			isZombie = zombie(data)
		case "cmdline":
			cmdline = data
		}
		c.w.AddBytes("live", arch+"/"+name, host+"/"+name, data)
	}
	// Open files: the targets of /proc/PID/fd/*.
	var fds bytes.Buffer
	if ents, err := os.ReadDir(dir + "/fd"); err == nil {
		for _, e := range ents {
			t, err := os.Readlink(dir + "/fd/" + e.Name())
			if err != nil {
				continue
			}
			fmt.Fprintf(&fds, "%s\t%s\n", e.Name(), t)
		}
		c.w.AddBytes("live", arch+"/fd.txt", host+"/fd", fds.Bytes())
	}
	exe, _ := os.Readlink(dir + "/exe")
	cwd, _ := os.Readlink(dir + "/cwd")
	root, _ := os.Readlink(path.Join(dir, "root"))
	c.w.AddBytes("live", arch+"/links.txt", host, []byte(fmt.Sprintf("exe\t%s\ncwd\t%s\nroot\t%s\n", exe, cwd, root)))
	if _, deleted := live.ExeTarget(exe); deleted {
		c.copyExe(pid, "the program's file was deleted: "+exe)
	}
	st := live.ParseStatus(status)
	fmt.Fprintf(table, "%d\t%d\t%d\t%s\t%s\t%s\n", pid, st.PPID, st.UID, st.Name, exe, live.Cmdline(cmdline))
}

// copyExe copies a process's program through /proc/PID/exe, which opens the program even when
// its file was deleted or replaced.
func (c *collection) copyExe(pid int, note string) {
	if c.exes[pid] {
		return
	}
	p := fmt.Sprintf("%s/%d/exe", procRoot, pid)
	f, err := os.Open(p)
	if err != nil {
		if !live.Gone(err) {
			c.w.Problem("live", fmt.Sprintf("/proc/%d/exe", pid), err)
		}
		return
	}
	defer f.Close()
	st, err := hostfs.Fstat(f)
	if err != nil || !st.IsRegular() {
		return
	}
	c.exes[pid] = true
	c.w.AddFile("live", fmt.Sprintf("/proc/%d/exe", pid), fmt.Sprintf("live/proc/%d/exe", pid), f, st, note)
}

// flaggedProcesses copies the program of every process a finding names, while it still runs.
func (c *collection) flaggedProcesses(ctx context.Context) {
	if !c.fs.IsLive() {
		return
	}
	if c.exes == nil {
		c.exes = map[int]bool{}
	}
	for _, f := range c.flagged() {
		if f.PID > 0 && ctx.Err() == nil {
			c.copyExe(int(f.PID), "flagged by check: "+f.Rule)
		}
	}
}
