// Package live records the volatile state of a running host straight from /proc: processes
// (with those that answer when probed by pid but are missing from the /proc listing, a rootkit's
// tell), network sockets with the process that owns each, and mounts. Nothing here runs ps, ss
// or mount; every read goes through the host root, so a fixture with a proc folder is read the
// same way as the live host.
//
// Sockets come from /proc/net under the root: on a live host that is the network namespace of
// nowwhat itself (run it in the host's namespace to see the host's sockets). Mounts come from
// /proc/self/mountinfo on a live host (nowwhat's own mount namespace) and from
// /proc/1/mountinfo in a fixture or image that has no /proc/self.
package live

import (
	"context"
	"errors"
	"fmt"
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"io"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Collector records processes, sockets and mounts when env.Live is set; otherwise it records
// nothing.
//
// Process: PID, PPID, UID (real, -1 when unknown), Comm (from stat), Exe (the exe link without
// " (deleted)", which sets ExeDeleted; "" for kernel threads and where it could not be read),
// Cmdline (arguments joined by spaces, at most 4 KiB), Cwd, Start (Unix ns, 0 when /proc/stat
// has no btime), State (stat's letter: R, S, D, Z, T, I, ...), Listed (false: found by probing
// pids, missing from the /proc listing).
//
// Socket: Proto tcp, tcp6, udp, udp6, raw, raw6, unix; LocalAddr and RemoteAddr as IP text
// (IPv4-mapped addresses in the v6 tables stay v6 text, "::ffff:127.0.0.1"); for unix sockets
// LocalAddr is the path ("@name" for abstract ones) and only listeners are recorded. State:
// the TCP state name (LISTEN, ESTABLISHED, TIME_WAIT, SYN_SENT, SYN_RECV, FIN_WAIT1,
// FIN_WAIT2, CLOSE, CLOSE_WAIT, LAST_ACK, CLOSING, NEW_SYN_RECV); udp and raw: UNCONN or
// ESTABLISHED; unix: LISTEN (stream, seqpacket) or UNCONN (bound datagram). UID from the
// table (unix: the owner's, -1 when unknown); PID and Process (comm) of the lowest pid holding
// the socket, 0 and "" when no readable process holds it.
//
// Mount: Target and Source unescaped, FSType, Options (mount options then file-system
// options, findmnt style).
type Collector struct{}

// Name implements probe.Collector.
func (Collector) Name() string { return "live" }

// owner is the process holding a socket.
type owner struct {
	pid  int64
	comm string
	uid  int64
}

// scan is the state of one collection.
type scan struct {
	c      Collector
	env    *probe.Env
	btime  int64
	owners map[uint64]owner
	// denied counts processes whose exe, cwd or fd links could not be read, for one problem.
	denied   map[string]int
	deniedEx map[string]error
}

// Collect implements probe.Collector.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	if !env.Live {
		return nil
	}
	s := &scan{c: c, env: env, owners: map[uint64]owner{}, denied: map[string]int{}, deniedEx: map[string]error{}}
	if data, err := env.FS.ReadFile("/proc/stat", 1<<20); err == nil || errors.Is(err, hostfs.ErrTooLarge) {
		s.btime = ParseBootTime(data)
	} else if !hostfs.IsNotExist(err) {
		env.Problem(c, "/proc/stat", err)
	}
	listed, err := listPIDs(env.FS)
	if err != nil {
		env.Problem(c, "/proc", err)
	}
	for _, pid := range listed {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.process(pid, true)
	}
	if env.FS.IsLive() && err == nil {
		s.hidden(ctx, listed)
	}
	s.reportDenied()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.sockets(ctx)
	s.mounts()
	return ctx.Err()
}

// listPIDs lists the numeric entries of /proc, in numeric order.
func listPIDs(fs *hostfs.FS) ([]int64, error) {
	ents, err := fs.ReadDir("/proc")
	var pids []int64
	for _, e := range ents {
		if n, perr := strconv.ParseInt(e.Name, 10, 64); perr == nil && n > 0 && e.Name[0] != '0' && e.Name[0] != '+' {
			pids = append(pids, n)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	return pids, err
}

// Gone reports whether err means the process exited while it was read.
func Gone(err error) bool {
	return hostfs.IsNotExist(err) || errors.Is(err, unix.ESRCH)
}

// readSmall reads at most limit bytes of a file in an open /proc/PID directory.
func readSmall(d *hostfs.Dir, name string, limit int64) ([]byte, error) {
	f, err := d.OpenFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return data, fmt.Errorf("read %s/%s: %w", d.Path, name, err)
	}
	return data, nil
}

const maxCmdline = 4 << 10

// process reads /proc/PID and records it. It reports false when there is no such process
// (it exited, or pid is a thread and the caller asked for thread group leaders only).
func (s *scan) process(pid int64, listed bool) bool {
	dir := "/proc/" + strconv.FormatInt(pid, 10)
	d, err := s.env.FS.OpenDir(dir)
	if err != nil {
		if !Gone(err) {
			s.env.Problem(s.c, dir, err)
		}
		return false
	}
	defer d.Close()
	data, err := readSmall(d, "stat", 4<<10)
	if err != nil {
		if !Gone(err) {
			s.env.Problem(s.c, dir+"/stat", err)
		}
		return false
	}
	st, err := ParseStat(data)
	if err != nil {
		s.env.Problem(s.c, dir+"/stat", err)
		return false
	}
	status := Status{Tgid: -1, PPID: -1, UID: -1}
	if data, err := readSmall(d, "status", 64<<10); err == nil {
		status = ParseStatus(data)
	} else if Gone(err) {
		return false
	}
	if !listed && status.Tgid != pid {
		return false // a thread, or unknown: threads are not hidden processes
	}
	p := snapshot.Process{
		PID:    pid,
		PPID:   st.PPID,
		UID:    status.UID,
		Comm:   st.Comm,
		Start:  startTime(s.btime, st.StartTicks),
		State:  st.State,
		Listed: listed,
	}
	if data, err := readSmall(d, "cmdline", maxCmdline); err == nil {
		p.Cmdline = Cmdline(data)
	}
	kernelThread := pid == 2 || st.PPID == 2
	if link, err := d.Readlink("exe"); err == nil {
		p.Exe, p.ExeDeleted = ExeTarget(link)
	} else if !kernelThread {
		s.deny("exe", err)
	}
	if link, err := d.Readlink("cwd"); err == nil {
		p.Cwd = link
	} else if !kernelThread {
		s.deny("cwd", err)
	}
	s.env.Sink.Put(p)
	s.fds(d, owner{pid: pid, comm: st.Comm, uid: status.UID})
	return true
}

// deny counts a link that could not be read; exits and kernel threads do not count.
func (s *scan) deny(what string, err error) {
	if Gone(err) {
		return
	}
	s.denied[what]++
	if s.deniedEx[what] == nil {
		s.deniedEx[what] = err
	}
}

func (s *scan) reportDenied() {
	for _, what := range []string{"exe", "cwd", "fd"} {
		if n := s.denied[what]; n > 0 {
			s.env.Problem(s.c, "/proc/*/"+what, fmt.Errorf("could not read %s of %d processes (run as root to see all), first: %w", what, n, s.deniedEx[what]))
		}
	}
}

// fds maps the sockets a process holds to it, by the inode in its fd links (read, never opened).
func (s *scan) fds(d *hostfs.Dir, o owner) {
	fd, err := d.Sub("fd")
	if err != nil {
		s.deny("fd", err)
		return
	}
	defer fd.Close()
	ents, err := fd.Entries()
	if err != nil {
		s.deny("fd", err)
	}
	for _, e := range ents {
		link, err := fd.Readlink(e.Name)
		if err != nil {
			continue
		}
		if ino, ok := SocketInode(link); ok {
			if cur, seen := s.owners[ino]; !seen || o.pid < cur.pid {
				s.owners[ino] = o
			}
		}
	}
}

var netTables = []struct{ path, proto string }{
	{"/proc/net/tcp", "tcp"}, {"/proc/net/tcp6", "tcp6"},
	{"/proc/net/udp", "udp"}, {"/proc/net/udp6", "udp6"},
	{"/proc/net/raw", "raw"}, {"/proc/net/raw6", "raw6"},
}

// maxNetLine bounds one line of a /proc/net table (a unix socket path is at most 108 bytes).
const maxNetLine = 4 << 10

func (s *scan) sockets(ctx context.Context) {
	for _, t := range netTables {
		s.table(ctx, t.path, func(line string) bool {
			e, err := ParseNetLine(line)
			if err != nil {
				return false
			}
			sock := snapshot.Socket{
				Proto:      t.proto,
				LocalAddr:  e.Local.String(),
				LocalPort:  e.LocalPort,
				RemoteAddr: e.Remote.String(),
				RemotePort: e.RemotePort,
				State:      StateName(t.proto, e.State),
				Inode:      e.Inode,
				UID:        e.UID,
			}
			if o, ok := s.owners[e.Inode]; ok && e.Inode != 0 {
				sock.PID, sock.Process = o.pid, o.comm
			}
			s.env.Sink.Put(sock)
			return true
		})
	}
	s.table(ctx, "/proc/net/unix", func(line string) bool {
		u, err := ParseUnixLine(line)
		if err != nil {
			return false
		}
		if !u.Listening() || u.Path == "" {
			return true
		}
		sock := snapshot.Socket{Proto: "unix", LocalAddr: u.Path, Inode: u.Inode, UID: -1, State: "LISTEN"}
		if u.Type == 2 {
			sock.State = "UNCONN"
		}
		if o, ok := s.owners[u.Inode]; ok && u.Inode != 0 {
			sock.PID, sock.Process, sock.UID = o.pid, o.comm, o.uid
		}
		s.env.Sink.Put(sock)
		return true
	})
}

// table streams one /proc/net table past its header line; fn reports whether it understood
// a line. Malformed lines make one problem for the table.
func (s *scan) table(ctx context.Context, path string, fn func(string) bool) {
	f, err := s.env.FS.Open(path)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			s.env.Problem(s.c, path, err)
		}
		return
	}
	defer f.Close()
	bad, first := 0, 0
	err = textline.Each(f, maxNetLine, func(n int, line []byte, long bool) bool {
		if n == 1 || ctx.Err() != nil {
			return ctx.Err() == nil
		}
		if len(line) == 0 {
			return true
		}
		if long || !fn(string(line)) {
			bad++
			if first == 0 {
				first = n
			}
		}
		return true
	})
	if err != nil {
		s.env.Problem(s.c, path, err)
	}
	if bad > 0 {
		s.env.Problem(s.c, path, fmt.Errorf("%d malformed lines skipped, first at line %d", bad, first))
	}
}

// maxMountLine bounds one mountinfo line (two paths of at most 4096 bytes, escaped).
const maxMountLine = 64 << 10

func (s *scan) mounts() {
	paths := []string{"/proc/self/mountinfo", "/proc/1/mountinfo"}
	if s.env.FS.IsLive() {
		paths = paths[:1]
	}
	for _, p := range paths {
		f, err := s.env.FS.Open(p)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				s.env.Problem(s.c, p, err)
			}
			continue
		}
		bad := 0
		err = textline.Each(f, maxMountLine, func(n int, line []byte, long bool) bool {
			if len(line) == 0 {
				return true
			}
			m, err := ParseMountinfo(string(line))
			if err != nil || long {
				bad++
				return true
			}
			s.env.Sink.Put(snapshot.Mount{Target: m.Target, Source: m.Source, FSType: m.FSType, Options: m.AllOptions()})
			return true
		})
		f.Close()
		if err != nil {
			s.env.Problem(s.c, p, err)
		}
		if bad > 0 {
			s.env.Problem(s.c, p, fmt.Errorf("%d malformed lines skipped", bad))
		}
		return
	}
}

var _ probe.Collector = Collector{}
