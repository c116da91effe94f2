package live

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// maxPID is the kernel's largest possible pid_max (PID_MAX_LIMIT on 64-bit).
const maxPID = 4 << 20

// pidMax reads /proc/sys/kernel/pid_max, capped at maxPID; maxPID when unreadable.
func pidMax(fs *hostfs.FS) int {
	data, err := fs.ReadFile("/proc/sys/kernel/pid_max", 64)
	if err != nil {
		return maxPID
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n <= 0 || n > maxPID {
		return maxPID
	}
	return n
}

// probeLimit is the highest pid worth probing. Pids are handed out in increasing order and
// only start again from the bottom after reaching pid_max; as long as fewer tasks were ever
// created (processes and threads since boot: /proc/stat's "processes") than pid_max, no pid
// above the last one handed out (ns_last_pid) can exist. Debian sets pid_max to 4194304, and
// probing all of them is seconds of CPU on a busy host; probing up to the last pid is enough
// until the counter has wrapped.
func probeLimit(fs *hostfs.FS, max int) int {
	last, err1 := fs.ReadFile("/proc/sys/kernel/ns_last_pid", 64)
	stat, err2 := fs.ReadFile("/proc/stat", 1<<20)
	if err1 != nil || err2 != nil {
		return max
	}
	lastPID, err := strconv.Atoi(strings.TrimSpace(string(last)))
	if err != nil || lastPID <= 0 {
		return max
	}
	forks := -1
	for _, line := range strings.Split(string(stat), "\n") {
		if v, ok := strings.CutPrefix(line, "processes "); ok {
			forks, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if forks < 0 || forks >= max {
		return max // wrapped, or cannot tell
	}
	// Tasks started while the probe runs get higher pids: the second listing covers them.
	return min(max, lastPID+4096)
}

// alive asks the kernel, not /proc, whether a task with this id exists: kill with signal 0
// sends nothing and only checks. EPERM means it exists but belongs to someone else.
func alive(pid int) bool {
	_, _, e := unix.RawSyscall(unix.SYS_KILL, uintptr(pid), 0, 0)
	return e == 0 || e == unix.EPERM
}

// bitset marks pids.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, n/64+1) }

func (b bitset) set(i int) {
	if i >= 0 && i/64 < len(b) {
		b[i/64] |= 1 << (i % 64)
	}
}

func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// probe asks the kernel about every pid from 1 to max and returns those that answer but are
// not in listed, in order. Threads answer too (the caller tells them apart).
func probePIDs(ctx context.Context, max int, listed bitset) []int {
	workers := runtime.NumCPU()
	if workers > 4 {
		workers = 4
	}
	const chunk = 1 << 14
	var next atomic.Int64
	var mu sync.Mutex
	var found []int
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk + 1
				if start > max {
					break
				}
				end := min(start+chunk-1, max)
				for pid := start; pid <= end; pid++ {
					if !listed.has(pid) && alive(pid) {
						mine = append(mine, pid)
					}
				}
			}
			mu.Lock()
			found = append(found, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Ints(found)
	return found
}

// errNotOwnPidNS explains a skipped probe.
var errNotOwnPidNS = errors.New("hidden-process probe skipped: /proc/self is not this process, so /proc belongs to another pid namespace")

// hidden probes every pid on the live host and records, with Listed false, the thread group
// leaders that exist but are missing from the /proc listing. A pid must be missing from a
// second listing taken after the probe too, so processes started meanwhile are not flagged.
func (s *scan) hidden(ctx context.Context, listed []int64) {
	self, err := s.env.FS.Readlink("/proc/self")
	if err != nil || self != strconv.Itoa(os.Getpid()) {
		s.env.Problem(s.c, "/proc", errNotOwnPidNS)
		return
	}
	max := probeLimit(s.env.FS, pidMax(s.env.FS))
	in := newBitset(max)
	for _, p := range listed {
		in.set(int(p))
	}
	cands := probePIDs(ctx, max, in)
	if len(cands) == 0 || ctx.Err() != nil {
		return
	}
	again, err := listPIDs(s.env.FS)
	if err != nil {
		s.env.Problem(s.c, "/proc", err)
		return
	}
	in2 := newBitset(max)
	for _, p := range again {
		in2.set(int(p))
	}
	s.confirm(ctx, cands, in2, alive)
}

// confirm records the candidates of a probe: those in the second listing as ordinary
// processes (started after the first listing), thread group leaders missing from it with
// Listed false, and pids the kernel still knows that cannot be looked up under /proc at all
// as bare hidden processes. Threads and exited pids are dropped.
func (s *scan) confirm(ctx context.Context, cands []int, listedAgain bitset, alive func(int) bool) {
	for _, pid := range cands {
		if ctx.Err() != nil {
			return
		}
		if listedAgain.has(pid) {
			s.process(int64(pid), true)
			continue
		}
		if s.process(int64(pid), false) {
			continue
		}
		// A thread has a readable status naming its leader; a pid that cannot be looked up
		// at all yet still answers is hidden deeper than the listing.
		if s.unreadable(pid) && alive(pid) {
			s.env.Sink.Put(snapshot.Process{PID: int64(pid), PPID: -1, UID: -1, Listed: false})
		}
	}
}

// unreadable reports whether /proc/PID cannot be looked up at all.
func (s *scan) unreadable(pid int) bool {
	_, err := s.env.FS.Lstat("/proc/" + strconv.Itoa(pid))
	return err != nil && hostfs.IsNotExist(err)
}
