package live

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// Stat is what nowwhat uses of /proc/PID/stat.
type Stat struct {
	PID        int64
	Comm       string
	State      string // R, S, D, Z, T, t, X, I, ...
	PPID       int64
	Flags      uint64 // field 9: the kernel's PF_* flags (PF_KTHREAD marks a kernel thread)
	StartTicks uint64 // field 22: clock ticks after boot when the process started
}

// PFKthread is the PF_KTHREAD flag of Stat.Flags: the process is a kernel thread.
const PFKthread = 0x00200000

var errStat = errors.New("malformed /proc/PID/stat")

// ParseStat reads /proc/PID/stat. The command name sits in parentheses and may itself hold
// spaces and parentheses, so it runs from the first "(" to the last ")".
func ParseStat(data []byte) (Stat, error) {
	open := bytes.IndexByte(data, '(')
	close := bytes.LastIndexByte(data, ')')
	if open <= 0 || close < open {
		return Stat{}, errStat
	}
	pid, err := strconv.ParseInt(string(bytes.TrimSpace(data[:open])), 10, 64)
	if err != nil || pid <= 0 {
		return Stat{}, errStat
	}
	f := strings.Fields(string(data[close+1:]))
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[6] field 9 (flags), f[19] field 22 (starttime).
	if len(f) < 20 {
		return Stat{}, errStat
	}
	st := Stat{PID: pid, Comm: string(data[open+1 : close]), State: f[0]}
	if st.PPID, err = strconv.ParseInt(f[1], 10, 64); err != nil || st.PPID < 0 {
		return Stat{}, errStat
	}
	if st.Flags, err = strconv.ParseUint(f[6], 10, 64); err != nil {
		return Stat{}, errStat
	}
	if st.StartTicks, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return Stat{}, errStat
	}
	return st, nil
}

// Status is what nowwhat uses of /proc/PID/status.
type Status struct {
	Name string
	Tgid int64 // thread group id: equals the pid for a process, differs for a thread
	PPID int64
	UID  int64 // real uid; -1 when missing
}

// ParseStatus reads /proc/PID/status ("Key:\tvalue" lines). Missing numbers stay -1.
func ParseStatus(data []byte) Status {
	st := Status{Tgid: -1, PPID: -1, UID: -1}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		val := strings.TrimSpace(string(v))
		switch string(k) {
		case "Name":
			st.Name = val
		case "Tgid":
			st.Tgid = parseID(val)
		case "PPid":
			st.PPID = parseID(val)
		case "Uid":
			if f := strings.Fields(val); len(f) > 0 {
				st.UID = parseID(f[0])
			}
		}
	}
	return st
}

func parseID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// ParseBootTime reads the btime line (seconds since 1970) of /proc/stat; 0 when missing.
func ParseBootTime(data []byte) int64 {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil || n < 0 {
				return 0
			}
			return n
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of stat's starttime: 100 on every Linux architecture.
const clockTicks = 100

// startTime turns boot time (s) and start ticks into Unix nanoseconds; 0 when boot time is unknown.
func startTime(btime int64, ticks uint64) int64 {
	if btime <= 0 {
		return 0
	}
	const maxTicks = 1 << 40 // ~350 years of ticks: anything larger is garbage
	if ticks > maxTicks {
		return 0
	}
	return btime*1e9 + int64(ticks)*(1e9/clockTicks)
}

// Cmdline turns the NUL-separated /proc/PID/cmdline into one line, arguments joined by spaces.
func Cmdline(data []byte) string {
	data = bytes.TrimRight(data, "\x00")
	return string(bytes.ReplaceAll(data, []byte{0}, []byte{' '}))
}

// ExeTarget splits the exe link target into the path and whether the file was deleted.
func ExeTarget(link string) (string, bool) {
	if p, ok := strings.CutSuffix(link, " (deleted)"); ok {
		return p, true
	}
	return link, false
}

// SocketInode reads an fd link target "socket:[12345]"; ok is false for anything else.
func SocketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}
