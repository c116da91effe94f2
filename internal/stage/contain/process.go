package contain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/probe/live"
)

// Signal stops processes for good (kill: SIGKILL) or freezes them for memory forensics (suspend:
// SIGSTOP, undone with SIGCONT). It refuses PID 1, kernel threads, itself and the operator's own
// session, and signals through a pidfd so a PID reused meanwhile is never hit.
type Signal struct {
	PIDs    []int
	Suspend bool // SIGSTOP instead of SIGKILL
}

// SignalUndo names the processes signalled, with their start times (PID reuse guard).
type SignalUndo struct {
	Suspend bool      `json:"suspend"`
	Procs   []ProcRef `json:"procs"`
}

// ProcRef is a process as it was when the plan was made.
type ProcRef struct {
	PID     int    `json:"pid"`
	Start   uint64 `json:"start"` // start time in clock ticks since boot
	Name    string `json:"name"`
	Exe     string `json:"exe,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
}

func init() {
	undoers["suspend"] = undoSignal
	undoers["kill"] = undoSignal
}

func (s Signal) Kind() string {
	if s.Suspend {
		return "suspend"
	}
	return "kill"
}

func (s Signal) Target() string {
	var p []string
	for _, pid := range s.PIDs {
		p = append(p, strconv.Itoa(pid))
	}
	return strings.Join(p, ",")
}

// procStat reads /proc/PID/stat.
func procStat(pid int) (live.Stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return live.Stat{}, err
	}
	return live.ParseStat(data)
}

func (s Signal) Prepare(env *Env) (*Plan, error) {
	if !env.Live {
		return nil, errors.New("processes exist only on the running system: this is not it (--root)")
	}
	if len(s.PIDs) == 0 {
		return nil, errors.New("name the processes: their PIDs")
	}
	if err := NeedRoot("stopping processes"); err != nil {
		return nil, err
	}
	undo := SignalUndo{Suspend: s.Suspend}
	p := &Plan{}
	self := os.Getpid()
	for _, pid := range s.PIDs {
		switch {
		case pid <= 0:
			return nil, fmt.Errorf("%d is not a process id", pid)
		case pid == 1:
			return nil, refuse("PID 1 is the init system: stopping it stops the host")
		case pid == self:
			return nil, refuse("PID %d is this nowwhat", pid)
		case slices.Contains(env.Operator.Ancestors, pid):
			return nil, refuse("PID %d is part of your own session (your shell, sudo or SSH connection)", pid)
		}
		st, err := procStat(pid)
		if err != nil {
			return nil, fmt.Errorf("process %d: %w (is it still running?)", pid, err)
		}
		name := st.Comm
		if st.Flags&live.PFKthread != 0 || pid == 2 || st.PPID == 2 {
			return nil, refuse("PID %d (%s) is a kernel thread: signals do not stop it, and a process dressed as one is shown by nowwhat check with its real PID", pid, name)
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		ref := ProcRef{PID: pid, Start: st.StartTicks, Name: name, Exe: exe, Cmdline: live.Cmdline(cmd)}
		if s.Suspend && st.State == "T" {
			p.Warn = append(p.Warn, fmt.Sprintf("%d (%s) is already stopped", pid, name))
			continue
		}
		undo.Procs = append(undo.Procs, ref)
		verb := "kill (SIGKILL)"
		if s.Suspend {
			verb = "suspend (SIGSTOP: frozen, its memory kept for forensics)"
		}
		p.What = append(p.What, fmt.Sprintf("%s process %d %s: %s", verb, pid, name, finding.Clip(ref.Cmdline, 120)))
	}
	p.Undo = undo
	if s.Suspend {
		p.UndoHow = "resume the processes (SIGCONT)"
	} else {
		p.UndoHow = "none: a killed process cannot be brought back (its program and files stay for the evidence)"
		p.Warn = append(p.Warn, "killing loses what is only in the process's memory: collect first (nowwhat collect), or suspend instead")
	}
	if len(undo.Procs) == 0 {
		p.Noop = "every process named is already stopped"
	}
	return p, nil
}

// signalProc sends sig to a process through a pidfd, after checking it is the same process
// (same start time) as when the plan was made.
func signalProc(r ProcRef, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(r.PID, 0)
	if err != nil {
		return fmt.Errorf("process %d: %w", r.PID, err)
	}
	defer unix.Close(fd)
	st, err := procStat(r.PID)
	if err != nil {
		return fmt.Errorf("process %d: %w", r.PID, err)
	}
	if st.StartTicks != r.Start {
		return fmt.Errorf("process %d is another process now (it was restarted or its PID reused): not signalled", r.PID)
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal process %d: %w", r.PID, err)
	}
	return nil
}

func (s Signal) Apply(env *Env, p *Plan) error {
	undo := p.Undo.(SignalUndo)
	sig := unix.SIGKILL
	if s.Suspend {
		sig = unix.SIGSTOP
	}
	for i, r := range undo.Procs {
		if err := signalProc(r, sig); err != nil {
			if s.Suspend {
				for _, done := range undo.Procs[:i] {
					signalProc(done, unix.SIGCONT)
				}
			}
			return err
		}
	}
	return nil
}

func undoSignal(env *Env, raw json.RawMessage) error {
	var undo SignalUndo
	if err := json.Unmarshal(raw, &undo); err != nil {
		return err
	}
	if !undo.Suspend {
		return nil // nothing can bring a killed process back; undo only records it
	}
	var errs []error
	for _, r := range undo.Procs {
		if err := signalProc(r, unix.SIGCONT); err != nil && !errors.Is(err, unix.ESRCH) && !os.IsNotExist(errors.Unwrap(err)) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
