package guide

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/progress"
)

// Runner starts nowwhat's own commands for the guide.
type Runner interface {
	Start(args []string) (Job, error)
}

// Job is a command the guide started (or found still running after it was stopped).
type Job interface {
	// Wait blocks until the command ends: its exit status (-1 when unknown: a command started
	// by an earlier guide).
	Wait() (int, error)
	Output() string // the file holding what it printed
	PID() int
}

// runningName is the marker of a command the guide started, removed when it ends.
const runningName = "running.json"

// OutputDir is the case's folder of what the guide's commands printed.
const OutputDir = "guide"

type marker struct {
	PID     int       `json:"pid"`
	Args    []string  `json:"args"`
	Output  string    `json:"output"`
	Started time.Time `json:"started"`
}

// ExecRunner runs this nowwhat binary (Exe) with the arguments the screen shows, its output
// going to a file in the case, in its own session: a guide that quits or is killed leaves the
// command to finish and journal its result.
type ExecRunner struct {
	Exe    string
	Config *Config // its case folder, chosen on the first screen
}

type execJob struct {
	cmd  *exec.Cmd
	out  string
	mark string
	f    *os.File
}

func (j *execJob) Output() string { return j.out }
func (j *execJob) PID() int       { return j.cmd.Process.Pid }
func (j *execJob) Wait() (int, error) {
	err := j.cmd.Wait()
	j.f.Close()
	os.Remove(j.mark)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// Start runs the command.
func (r *ExecRunner) Start(args []string) (Job, error) {
	caseDir := r.Config.Case
	dir := filepath.Join(caseDir, OutputDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("case folder: %w", err)
	}
	n := 1
	if ents, err := os.ReadDir(dir); err == nil {
		n = len(ents) + 1
	}
	name := "command"
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && a != caseDir {
			name = a
			break
		}
	}
	out := filepath.Join(dir, fmt.Sprintf("%04d-%s-%s.txt", n, time.Now().UTC().Format("20060102T150405Z"), safeName(name)))
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("output file in the case: %w", err)
	}
	fmt.Fprintf(f, "$ %s\n", CommandLine(args))
	cmd := exec.Command(r.Exe, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), progress.LinesEnv+"=lines")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", CommandLine(args), err)
	}
	mark := filepath.Join(dir, runningName)
	if data, err := json.Marshal(marker{PID: cmd.Process.Pid, Args: args, Output: out, Started: time.Now().UTC()}); err == nil {
		writeSync(mark, data)
	}
	return &execJob{cmd: cmd, out: out, mark: mark, f: f}, nil
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 20 {
		b = b[:20]
	}
	return string(b)
}

func writeSync(p string, data []byte) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	f.Write(data)
	f.Sync()
	f.Close()
}

// attached is a command an earlier guide started that is still running.
type attached struct {
	m    marker
	mark string
}

func (a *attached) Output() string { return a.m.Output }
func (a *attached) PID() int       { return a.m.PID }
func (a *attached) Wait() (int, error) {
	for alive(a.m.PID, a.m.Args) {
		time.Sleep(300 * time.Millisecond)
	}
	os.Remove(a.mark)
	return -1, nil
}

// Running finds a command an earlier guide started in this case that is still running (after
// q, or the guide was killed), with its arguments; nil when there is none.
func Running(caseDir string) (Job, []string) {
	mark := filepath.Join(caseDir, OutputDir, runningName)
	data, err := os.ReadFile(mark)
	if err != nil {
		return nil, nil
	}
	var m marker
	if json.Unmarshal(data, &m) != nil || m.PID <= 0 || !alive(m.PID, m.Args) {
		os.Remove(mark)
		return nil, nil
	}
	return &attached{m: m, mark: mark}, m.Args
}

// alive says whether pid runs a command with these arguments (not a reused pid).
func alive(pid int, args []string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return false // a zombie: it has ended
		}
	}
	got := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	return len(got) >= 1 && slices.Equal(got[1:], args)
}

// Tail reads the end of a command's output: the latest progress record and the last line for
// people.
func Tail(path string) (p progress.Status, hasProgress bool, last string) {
	f, err := os.Open(path)
	if err != nil {
		return p, false, ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return p, false, ""
	}
	const tail = 16 << 10
	off := st.Size() - tail
	if off < 0 {
		off = 0
	}
	buf := make([]byte, tail)
	n, _ := f.ReadAt(buf, off)
	lines := strings.Split(string(buf[:n]), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimRight(lines[i], "\r")
		if s, ok := progress.ParseRecord(l); ok {
			if !hasProgress {
				p, hasProgress = s, true
			}
			continue
		}
		if last == "" && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "$ ") {
			last = l
		}
		if hasProgress && last != "" {
			break
		}
	}
	return p, hasProgress, last
}

// ReadOutput reads what a command printed (at most max bytes, the end kept when longer),
// without the progress records.
func ReadOutput(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	var r io.Reader = f
	cut := false
	if st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
		cut = true
	}
	data, _ := io.ReadAll(io.LimitReader(r, max))
	var b strings.Builder
	if cut {
		b.WriteString("[the beginning is left out: the whole output is in " + path + "]\n")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if _, ok := progress.ParseRecord(l); ok {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}
