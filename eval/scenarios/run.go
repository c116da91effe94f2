package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Finding is one finding of `nowwhat check --format json` (the contract). Fields the
// harness does not know are ignored; pid and evidence items are taken in any JSON shape.
type Finding struct {
	Rule        string            `json:"rule"`
	Severity    string            `json:"severity"`
	Title       string            `json:"title"`
	Path        string            `json:"path,omitempty"`
	PID         json.RawMessage   `json:"pid,omitempty"`
	User        string            `json:"user,omitempty"`
	Evidence    []json.RawMessage `json:"evidence,omitempty"`
	Attack      []string          `json:"attack,omitempty"`
	Explained   bool              `json:"explained"`
	Explanation string            `json:"explanation,omitempty"`
	Action      string            `json:"action,omitempty"`
}

// CheckOutput is the whole JSON document.
type CheckOutput struct {
	Verdict  string          `json:"verdict"`
	Findings []Finding       `json:"findings"`
	Coverage json.RawMessage `json:"coverage,omitempty"`
}

// evidenceText returns the evidence items as text (strings as they are, anything else as
// JSON).
func (f Finding) evidenceText() []string {
	out := make([]string, 0, len(f.Evidence))
	for _, raw := range f.Evidence {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		} else {
			out = append(out, string(raw))
		}
	}
	return out
}

// severityRank orders severities (unknown ones lowest).
func severityRank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	case "info":
		return 0
	}
	return -1
}

// CheckRun is one run of nowwhat check and what the harness made of it.
type CheckRun struct {
	Args        []string  `json:"args"`
	Exit        int       `json:"exit"`
	Seconds     float64   `json:"seconds"`
	Verdict     string    `json:"verdict"`
	Findings    int       `json:"findings"`
	Unexplained int       `json:"unexplained"`
	Matched     *Finding  `json:"matched,omitempty"` // the unexplained finding that names the change
	Caught      bool      `json:"caught"`            // attack: verdict at least the expected one, and Matched
	Detected    bool      `json:"detected"`          // attack: verdict at least suspicious, and Matched
	OK          bool      `json:"ok"`                // benign: not compromised
	Clean       bool      `json:"clean"`             // verdict clean
	NoHigh      bool      `json:"no_high"`           // no unexplained finding at high or above
	Problems    []string  `json:"problems,omitempty"`
	Stderr      string    `json:"stderr,omitempty"`
	Top         []Finding `json:"top,omitempty"` // unexplained findings, most severe first (at most 12)
	raw         *CheckOutput
}

// runTool runs nowwhat with a timeout, returning stdout, stderr and the exit status.
func runTool(ctx context.Context, timeout time.Duration, bin string, args ...string) (stdout, stderr []byte, exit int, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	exit = -1
	if cmd.ProcessState != nil {
		exit = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() == context.DeadlineExceeded {
		return o.Bytes(), e.Bytes(), exit, fmt.Errorf("timed out after %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = nil // a non-zero exit is an answer, not a failure
	}
	return o.Bytes(), e.Bytes(), exit, err
}

// parseCheck reads check's JSON, tolerating leading noise; problems are contract violations.
func parseCheck(out []byte, exit int, root string) (*CheckOutput, []string) {
	var problems []string
	var doc CheckOutput
	if err := json.Unmarshal(out, &doc); err != nil {
		i := bytes.IndexByte(out, '{')
		if i < 0 || json.Unmarshal(out[i:], &doc) != nil {
			return nil, []string{fmt.Sprintf("no JSON document on standard output (%d bytes): %v", len(out), err)}
		}
		problems = append(problems, "standard output has text before the JSON document")
	}
	if _, ok := verdictExit[doc.Verdict]; !ok {
		problems = append(problems, fmt.Sprintf("unknown verdict %q", doc.Verdict))
	} else if verdictExit[doc.Verdict] != exit {
		problems = append(problems, fmt.Sprintf("verdict %s but exit status %d (want %d)", doc.Verdict, exit, verdictExit[doc.Verdict]))
	}
	prefixed := 0
	for i := range doc.Findings {
		f := &doc.Findings[i]
		if root != "" && strings.HasPrefix(f.Path, root+"/") {
			f.Path = strings.TrimPrefix(f.Path, root)
			prefixed++
		}
		if f.Rule == "" {
			problems = append(problems, fmt.Sprintf("finding %q has no rule id", f.Title))
		}
		if severityRank(f.Severity) < 0 {
			problems = append(problems, fmt.Sprintf("finding %s has unknown severity %q", f.Rule, f.Severity))
		}
	}
	if prefixed > 0 {
		problems = append(problems, fmt.Sprintf("%d finding paths carry the --root folder (must be as on the host)", prefixed))
	}
	if len(problems) > 8 {
		problems = append(problems[:8], fmt.Sprintf("... and %d more", len(problems)-8))
	}
	return &doc, problems
}

// accountFiles are where an account finding points; a finding about a user elsewhere (a cron
// job of root, say) does not name the account.
var accountFiles = map[string]bool{"/etc/passwd": true, "/etc/shadow": true, "/etc/group": true, "/etc/gshadow": true}

// matches says whether a finding names what the scenario changed.
func (x Expect) matches(f Finding) bool {
	for _, p := range x.Paths {
		if pathMatches(f.Path, p) {
			return true
		}
	}
	for _, u := range x.Users {
		if f.User == u && (f.Path == "" || accountFiles[f.Path]) {
			return true
		}
	}
	if len(x.Evidence) > 0 {
		texts := append(f.evidenceText(), f.Title)
		for _, want := range x.Evidence {
			for _, t := range texts {
				if strings.Contains(t, want) {
					return true
				}
			}
		}
	}
	return false
}

// judge fills the harness's view of a check run for a scenario.
func judge(s *Scenario, run *CheckRun, doc *CheckOutput) {
	run.raw = doc
	if doc == nil {
		return
	}
	run.Verdict = doc.Verdict
	run.Findings = len(doc.Findings)
	run.Clean = doc.Verdict == VerdictClean
	var unexplained []Finding
	for _, f := range doc.Findings {
		if !f.Explained {
			unexplained = append(unexplained, f)
		}
	}
	run.Unexplained = len(unexplained)
	run.NoHigh = true
	for _, f := range unexplained {
		if severityRank(f.Severity) >= severityRank("high") {
			run.NoHigh = false
		}
	}
	sort.SliceStable(unexplained, func(i, j int) bool {
		return severityRank(unexplained[i].Severity) > severityRank(unexplained[j].Severity)
	})
	for i := range unexplained {
		if s.Expect.matches(unexplained[i]) {
			m := unexplained[i]
			run.Matched = &m
			break
		}
	}
	if len(unexplained) > 12 {
		unexplained = unexplained[:12]
	}
	run.Top = unexplained
	rank := verdictRank(doc.Verdict)
	switch s.Kind {
	case Attack:
		run.Detected = run.Matched != nil && rank >= verdictRank(VerdictSuspicious)
		run.Caught = run.Matched != nil && rank >= verdictRank(s.Expect.Verdict)
	case Benign:
		run.OK = doc.Verdict != VerdictCompromised
	}
}

// Result is one scenario's outcome.
type Result struct {
	Name            string    `json:"name"`
	Category        string    `json:"category"`
	Kind            string    `json:"kind"`
	Techniques      []string  `json:"techniques,omitempty"`
	Description     string    `json:"description"`
	Expect          Expect    `json:"expect"`
	Skipped         string    `json:"skipped,omitempty"`
	Error           string    `json:"error,omitempty"`
	Notes           []string  `json:"notes,omitempty"`
	CopyMode        string    `json:"copy_mode,omitempty"`
	BaselineSeconds float64   `json:"baseline_seconds"`
	ApplySeconds    float64   `json:"apply_seconds"`
	NoBaseline      *CheckRun `json:"no_baseline,omitempty"`
	WithBaseline    *CheckRun `json:"with_baseline,omitempty"`
	Kept            string    `json:"kept,omitempty"`
}

// measured says whether both checks ran.
func (r *Result) measured() bool {
	return r.Skipped == "" && r.Error == "" && r.NoBaseline != nil && r.WithBaseline != nil && r.NoBaseline.raw != nil && r.WithBaseline.raw != nil
}

// runner holds what every scenario run shares.
type runner struct {
	bin       string
	base      string // the cached clean root
	workDir   string
	key, pub  string
	debs      map[string]string
	debsErr   error
	noteBuilt bool
	copyMode  string
	keep      bool
	timeout   time.Duration
	log       io.Writer
}

// needsMet returns why a scenario cannot run here ("" when it can).
func (rn *runner) needsMet(s *Scenario) string {
	for _, n := range s.Needs {
		switch {
		case n == "useradd":
			if os.Geteuid() != 0 {
				return "needs root for useradd --root"
			}
			for _, p := range []string{"useradd", "chpasswd"} {
				if _, err := exec.LookPath(p); err != nil {
					return "needs " + p + " (Debian package passwd)"
				}
			}
		case n == "note":
			if !rn.noteBuilt {
				return "nowwhat note is not built yet"
			}
		case strings.HasPrefix(n, "deb:"):
			if rn.debs[strings.TrimPrefix(n, "deb:")] == "" {
				return fmt.Sprintf("no .deb of %s (%v)", strings.TrimPrefix(n, "deb:"), rn.debsErr)
			}
		case n == "real-root":
			if os.Geteuid() != 0 {
				return "needs root for chroot"
			}
		}
	}
	return ""
}

// run runs one scenario: copy, baseline of the clean copy, apply, check twice.
func (rn *runner) run(ctx context.Context, s *Scenario) *Result {
	res := &Result{Name: s.Name, Category: s.Category, Kind: s.Kind, Techniques: s.Techniques, Description: s.Description, Expect: s.Expect}
	if why := rn.needsMet(s); why != "" {
		res.Skipped = why
		return res
	}
	ws, err := newWorkspace(ctx, rn.workDir, s.Name, rn.base, rn.copyMode, rn.log)
	if err != nil {
		res.Error = "copy of the root: " + err.Error()
		return res
	}
	res.CopyMode = ws.mode
	defer func() {
		if rn.keep {
			res.Kept = ws.keepHint()
			return
		}
		if err := ws.close(false); err != nil {
			fmt.Fprintf(rn.log, "warning: %s: %v\n", s.Name, err)
		}
	}()
	baseline := filepath.Join(ws.dir, "baseline.snap")
	t0 := time.Now()
	_, stderr, exit, err := runTool(ctx, rn.timeout, rn.bin, "--quiet", "baseline", "--root", ws.root, "--key", rn.key, "-o", baseline)
	res.BaselineSeconds = time.Since(t0).Seconds()
	if err != nil || exit != 0 {
		res.Error = fmt.Sprintf("nowwhat baseline: exit %d %v: %s", exit, err, tail(stderr, 600))
		return res
	}
	env := &Env{Ctx: ctx, Root: Root{Dir: ws.root}, Bin: rn.bin, Case: filepath.Join(ws.dir, "case"), Debs: rn.debs}
	t0 = time.Now()
	err = s.Apply(env)
	res.ApplySeconds = time.Since(t0).Seconds()
	res.Notes = env.Notes
	if errors.Is(err, errSkip) {
		res.Skipped = strings.TrimPrefix(err.Error(), errSkip.Error()+": ")
		return res
	}
	if err != nil {
		res.Error = "apply: " + err.Error()
		return res
	}
	if err := verify(env.Root, s.Changes); err != nil {
		res.Error = "the scenario's change is not on disk: " + err.Error()
		return res
	}
	common := append([]string{"--quiet"}, env.CheckArgs...)
	res.NoBaseline = rn.check(ctx, s, ws.root, slices.Concat(common, []string{"check", "--root", ws.root, "--format", "json"}))
	res.WithBaseline = rn.check(ctx, s, ws.root, slices.Concat(common, []string{"check", "--root", ws.root, "--baseline", baseline, "--pubkey", rn.pub, "--format", "json"}))
	return res
}

func (rn *runner) check(ctx context.Context, s *Scenario, root string, args []string) *CheckRun {
	run := &CheckRun{Args: args}
	t0 := time.Now()
	out, stderr, exit, err := runTool(ctx, rn.timeout, rn.bin, args...)
	run.Seconds = time.Since(t0).Seconds()
	run.Exit = exit
	run.Stderr = tail(stderr, 800)
	if err != nil {
		run.Problems = append(run.Problems, err.Error())
		return run
	}
	doc, problems := parseCheck(out, exit, root)
	run.Problems = append(run.Problems, problems...)
	judge(s, run, doc)
	return run
}

// tail returns the end of a text, at most n bytes, trimmed.
func tail(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}
