package guide

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// fakeRunner stands in for this binary: check runs the real check library on the fixture root
// and keeps its result in the case as the command does; every command is recorded.
type fakeRunner struct {
	t    *testing.T
	cfg  *Config
	mu   sync.Mutex
	runs [][]string
	code int
}

type fakeJob struct {
	out  string
	code int
}

func (j *fakeJob) Wait() (int, error) { return j.code, nil }
func (j *fakeJob) Output() string     { return j.out }
func (j *fakeJob) PID() int           { return 0 }

func (r *fakeRunner) Start(args []string) (Job, error) {
	r.mu.Lock()
	r.runs = append(r.runs, slices.Clone(args))
	r.mu.Unlock()
	c, err := casedir.Open(r.cfg.Case)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(r.cfg.Case, fmt.Sprintf("out-%d.txt", len(r.runs)))
	text := "$ " + CommandLine(args) + "\n"
	cmd := ""
	for _, a := range args[2:] {
		if !strings.HasPrefix(a, "-") {
			cmd = a
			break
		}
	}
	outcome := "ok"
	switch cmd {
	case "check":
		rep, err := check.Run(context.Background(), check.Options{Root: r.cfg.Root})
		if err != nil {
			r.t.Fatal(err)
		}
		if _, err := c.SaveResult("check", rep); err != nil {
			r.t.Fatal(err)
		}
		outcome = string(rep.Verdict)
		text += "VERDICT: " + rep.Summary + "\n"
	case "contain":
		if slices.Contains(args, "--apply") {
			text += "DONE\n"
			outcome = "applied"
		} else {
			text += "PLAN: ...\n" + "hostile name \x1b[2J\n"
			outcome = "planned"
		}
	}
	if err := c.Append(casedir.Entry{Command: cmd, Args: args, Outcome: outcome}); err != nil {
		r.t.Fatal(err)
	}
	os.WriteFile(out, []byte(text), 0o600)
	return &fakeJob{out: out, code: r.code}, nil
}

func (r *fakeRunner) applied() [][]string {
	var out [][]string
	for _, a := range r.runs {
		if slices.Contains(a, "--apply") {
			out = append(out, a)
		}
	}
	return out
}

func newTest(t *testing.T, root string) (*Config, *fakeRunner) {
	cfg := &Config{Case: filepath.Join(t.TempDir(), "case"), Root: root, IsRoot: true,
		Built: func(n string) bool { return n != "clean" && n != "verify" },
		Propose: func(rep *check.Report) []Proposal {
			var out []Proposal
			for _, f := range rep.Findings {
				if f.Rule == "accounts.uid0" && !f.Explained {
					out = append(out, Proposal{Args: []string{"contain", "lock-user", f.User}, Why: f.Title})
				}
			}
			return append(out, Proposal{Args: []string{"contain", "isolate", "--allow", "YOUR_ADDRESS"}, Why: "cut it off"})
		}}
	return cfg, &fakeRunner{t: t, cfg: cfg}
}

var (
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEsc}
)

func letter(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

// press sends keys; a command the model starts is finished at once (the fake runs synchronously).
func press(t *testing.T, m *Model, keys ...tea.KeyPressMsg) {
	t.Helper()
	for _, k := range keys {
		m.Update(k)
		if m.scr == ScreenRunning && m.job != nil {
			code, err := m.job.Wait()
			m.Update(doneMsg{code, err})
		}
	}
}

func screenText(m *Model) string { return ansi.Strip(m.Render()) }

// flat joins wrapped lines, so a long command is found whole.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestEnterThroughDefaultsReachesVerdict(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	m := New(cfg, run)
	if m.Screen() != ScreenHome || !strings.Contains(screenText(m), "> [to do]") {
		t.Fatalf("a new case opens on the home screen with the next step chosen: %v\n%s", m.Screen(), screenText(m))
	}
	press(t, m, keyEnter)
	if m.Screen() != ScreenStep || m.StepID() != StepCheck {
		t.Fatalf("enter on home: %v %s", m.Screen(), m.StepID())
	}
	s := screenText(m)
	for _, want := range []string{"What it is for", "What nowwhat will do", "What changes on the host: nothing", "same as: nowwhat --case " + cfg.Case + " check --root " + host.Dir, "No baseline"} {
		if !strings.Contains(flat(s), want) {
			t.Errorf("check screen lacks %q:\n%s", want, s)
		}
	}
	press(t, m, keyEnter)
	if m.Screen() != ScreenVerdict {
		t.Fatalf("after check: %v\n%s", m.Screen(), screenText(m))
	}
	s = screenText(m)
	if !strings.Contains(s, "Verdict: COMPROMISED") || !strings.Contains(s, "/var/spool/cron/crontabs/deploy") || !strings.Contains(s, "#  #") {
		t.Errorf("verdict screen:\n%s", s)
	}
	// a finding opens to its evidence, and closes again
	press(t, m, letter(' '))
	if s2 := screenText(m); !strings.Contains(s2, "evidence: line 1") || !strings.Contains(s2, "rule implant.pattern") {
		t.Errorf("expanded finding:\n%s", s2)
	}
	press(t, m, keyDown, keyUp, letter(' '))
	if strings.Contains(screenText(m), "evidence: line 1") {
		t.Error("finding did not close")
	}
	if len(run.applied()) != 0 {
		t.Fatalf("the defaults applied something: %v", run.applied())
	}
	// enter goes to the step the case calls for: containment
	press(t, m, keyEnter)
	if m.Screen() != ScreenStep || m.StepID() != StepContain {
		t.Fatalf("after the verdict: %v %s", m.Screen(), m.StepID())
	}
	s = screenText(m)
	if !strings.Contains(s, "lock-user toor") || strings.Contains(s, "isolate") {
		t.Errorf("contain screen on a mounted root offers lock-user and no isolation:\n%s", s)
	}
}

func TestChangeNeedsPlanAndYes(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	m := New(cfg, run)
	press(t, m, keyEnter, keyEnter, keyEnter) // check, verdict, contain
	if m.StepID() != StepContain {
		t.Fatalf("at %s", m.StepID())
	}
	press(t, m, keyEnter) // the dry run
	if m.Screen() != ScreenResult || !m.offerApply {
		t.Fatalf("after the dry run: %v offer %v", m.Screen(), m.offerApply)
	}
	last := run.runs[len(run.runs)-1]
	if slices.Contains(last, "--apply") || !slices.Contains(last, "lock-user") {
		t.Fatalf("the first run of a change must be its plan: %v", last)
	}
	s := screenText(m)
	if !strings.Contains(s, "This was the plan: nothing has changed yet") || !strings.Contains(s, "--apply") {
		t.Errorf("plan screen:\n%s", s)
	}
	if strings.Contains(m.Render(), "\x1b[2J") || !strings.Contains(s, `\x1b[2J`) {
		t.Error("a command's output reached the screen unescaped")
	}
	// enter is no
	press(t, m, keyEnter)
	if len(run.applied()) != 0 || m.Screen() != ScreenStep {
		t.Fatalf("enter on the plan applied it or left the step: %v %v", run.applied(), m.Screen())
	}
	// n is no too; y is yes
	press(t, m, keyEnter, letter('n'))
	if len(run.applied()) != 0 {
		t.Fatalf("n applied: %v", run.applied())
	}
	press(t, m, keyEnter, letter('y'))
	if a := run.applied(); len(a) != 1 || !slices.Equal(a[0], append(slices.Clone(last), "--apply")) {
		t.Fatalf("y must run the plan's command with --apply: %v (plan %v)", a, last)
	}
	// a plan that failed (a refusal) offers no yes
	run.code = 2
	press(t, m, keyEsc)
	m.openStep(StepContain)
	press(t, m, keyEnter)
	if m.offerApply {
		t.Error("a refused plan offered to apply")
	}
	press(t, m, letter('y'))
	if len(run.applied()) != 1 {
		t.Error("y after a refused plan applied it")
	}
}

func TestResumeAfterKill(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	m := New(cfg, run)
	press(t, m, keyEnter, keyEnter, keyEnter)
	// the guide dies here (kill -9): nothing of the model is kept, only the case folder
	m2 := New(&Config{Case: cfg.Case, Root: cfg.Root, IsRoot: true, Built: cfg.Built, Propose: cfg.Propose}, run)
	if m2.Screen() != ScreenStep || m2.StepID() != StepContain || !strings.Contains(screenText(m2), "Resumed") {
		t.Fatalf("resumed at %v %s:\n%s", m2.Screen(), m2.StepID(), screenText(m2))
	}
	// skip is journaled and the next guide starts after it
	press(t, m2, letter('s'))
	if m2.StepID() != StepCollect {
		t.Fatalf("after skipping contain: %s", m2.StepID())
	}
	m3 := New(&Config{Case: cfg.Case, Root: cfg.Root, IsRoot: true, Built: cfg.Built, Propose: cfg.Propose}, run)
	if m3.StepID() != StepCollect {
		t.Fatalf("a skip was not kept: %s", m3.StepID())
	}
	if st, _ := m3.st.Status(m3.cfg, StepContain); st != Skipped {
		t.Errorf("contain status %s", st)
	}
}

func TestCaseScreen(t *testing.T) {
	cfg, run := newTest(t, fixture.Debian(t).Dir)
	want := cfg.Case
	cfg.Case = ""
	m := New(cfg, run)
	if m.Screen() != ScreenCase || !strings.Contains(screenText(m), "off the suspect disk") {
		t.Fatalf("no case: %v\n%s", m.Screen(), screenText(m))
	}
	// q is a letter here, not quit
	m.input.SetValue("")
	for _, r := range want {
		m.Update(letter(r))
	}
	if m.quit || m.input.Value() != want {
		t.Fatalf("typing the folder: quit %v value %q", m.quit, m.input.Value())
	}
	press(t, m, keyEnter)
	if m.Screen() != ScreenHome || cfg.Case != want {
		t.Fatalf("after the folder: %v %q", m.Screen(), cfg.Case)
	}
	if st, err := os.Stat(want); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("case folder: %v %v", st, err)
	}
}

func TestUnbuiltAndDecision(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	c, _ := casedir.Open(cfg.Case)
	rep, err := check.Run(context.Background(), check.Options{Root: host.Dir})
	if err != nil {
		t.Fatal(err)
	}
	c.SaveResult("check", rep)
	st := Load(cfg.Case)
	if len(st.RootTaken()) == 0 {
		t.Fatal("a second uid 0 account and a preload: root was taken")
	}
	if s, _ := st.Status(cfg, StepClean); s != Unbuilt {
		t.Errorf("clean: %s", s)
	}
	for _, id := range []string{StepContain, StepCollect, StepInvestigate, StepLoophole} {
		Skip(cfg.Case, id)
	}
	m := New(cfg, run)
	if m.StepID() != StepDecide {
		t.Fatalf("root taken: the decision comes after the hole is named, at %s", m.StepID())
	}
	if s := screenText(m); !strings.Contains(s, "Rebuild from a clean image") || !strings.Contains(s, "toor") {
		t.Errorf("decision screen:\n%s", s)
	}
	press(t, m, keyEnter) // rebuild, the default
	st = Load(cfg.Case)
	if st.Decision() != "rebuild" {
		t.Fatalf("decision %q", st.Decision())
	}
	if s, _ := st.Status(cfg, StepVerify); s != Unbuilt {
		t.Errorf("verify unbuilt: %s", s)
	}
	if m.StepID() != StepRotate {
		t.Errorf("after rebuild: %s", m.StepID())
	}
	// an unbuilt step opened by hand says so, and enter moves on without running anything
	n := len(run.runs)
	m.openStep(StepClean)
	if !strings.Contains(screenText(m), "Not built yet") {
		t.Errorf("unbuilt screen:\n%s", screenText(m))
	}
	press(t, m, keyEnter)
	if len(run.runs) != n || m.StepID() == StepClean {
		t.Error("enter on an unbuilt step ran something or stayed")
	}
	// with clean built, it is offered unless the decision was to rebuild
	cfg.Built = func(string) bool { return true }
	if s, _ := Load(cfg.Case).Status(cfg, StepClean); s != NotNeed {
		t.Errorf("clean after a rebuild decision: %s", s)
	}
}

func TestWaitingConfirmation(t *testing.T) {
	cfg, run := newTest(t, "/")
	cfg.SSH = "192.0.2.10 50000 192.0.2.1 22"
	c, _ := casedir.Open(cfg.Case)
	c.SaveResult("check", &check.Report{Verdict: finding.Compromised, Summary: "x", Findings: []finding.Finding{{Rule: "accounts.uid0", User: "toor", Severity: finding.Critical, Title: "extra root"}}})
	j, _ := contain.OpenJournal(cfg.Case)
	exp := time.Now().Add(4 * time.Minute).UTC().Format(time.RFC3339)
	j.Append(contain.Record{ID: "i1", Phase: contain.PhaseApplied, Kind: "isolate", Target: "network", Expires: exp, Time: time.Now().UTC().Format(time.RFC3339)})
	st := Load(cfg.Case)
	if len(st.Waiting()) != 1 {
		t.Fatalf("waiting %v", st.Waiting())
	}
	acts := Actions(cfg, st, StepContain)
	if !slices.Equal(acts[0].Args, []string{"--case", cfg.Case, "contain", "confirm"}) {
		t.Errorf("confirm is not first: %v", acts[0].Args)
	}
	var iso []string
	for _, a := range acts {
		if slices.Contains(a.Args, "isolate") {
			iso = a.Args
		}
	}
	if !slices.Contains(iso, "192.0.2.10") || slices.Contains(iso, "YOUR_ADDRESS") {
		t.Errorf("isolate over SSH keeps the operator's address: %v", iso)
	}
	cfg.Propose = func(*check.Report) []Proposal {
		return []Proposal{{Args: []string{"contain", "service", "nginx"}, Why: "web shell"}}
	}
	svc := Actions(cfg, st, StepContain)[1]
	if slices.Contains(svc.Args, "--apply") || !slices.Equal(svc.Apply[len(svc.Apply)-2:], []string{"--apply", "--maintenance"}) {
		t.Errorf("a service is planned, then stopped with the maintenance page in its place: %v / %v", svc.Args, svc.Apply)
	}
	m := New(cfg, run)
	m.openStep(StepContain)
	if s := screenText(m); !strings.Contains(s, "WAITING FOR YOUR CONFIRMATION") || !strings.Contains(s, "rolls back by itself") || !strings.Contains(s, "connected over SSH") {
		t.Errorf("contain screen over SSH:\n%s", s)
	}
	var b strings.Builder
	Plain(&b, cfg, st)
	if !strings.Contains(b.String(), "WAITING: isolate network rolls back by itself at "+exp) || !strings.Contains(b.String(), "contain confirm") {
		t.Errorf("plain:\n%s", b.String())
	}
}

// No screen panics or draws outside the terminal, however small, and a resize is taken.
func TestSmallTerminalsAndResize(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	m := New(cfg, run)
	screens := map[Screen]bool{}
	visit := func() {
		screens[m.scr] = true
		for _, sz := range [][2]int{{80, 24}, {20, 10}, {1, 1}, {0, 0}, {200, 3}, {7, 60}} {
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			out := m.Render()
			lines := strings.Split(out, "\n")
			w, h := max(sz[0], 1), max(sz[1], 1)
			if len(lines) > h {
				t.Errorf("%v at %dx%d: %d lines", m.scr, sz[0], sz[1], len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Errorf("%v at %dx%d: line wider than the terminal: %q", m.scr, sz[0], sz[1], ansi.Strip(l))
					break
				}
			}
		}
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	}
	visit()
	press(t, m, keyEnter)
	visit()
	press(t, m, keyEnter)
	visit()
	press(t, m, letter(' '))
	visit()
	press(t, m, keyEnter, keyEnter)
	visit()
	press(t, m, keyEsc, letter('t'))
	visit()
	press(t, m, keyEsc)
	m.scr, m.job, m.jobArgs = ScreenRunning, &fakeJob{out: "/nonexistent"}, []string{"check"}
	visit()
	m.cfg.Case = ""
	m2 := New(&Config{Root: host.Dir, IsRoot: false}, run)
	m = m2
	visit()
	for _, s := range []Screen{ScreenCase, ScreenHome, ScreenStep, ScreenResult, ScreenVerdict, ScreenAsk, ScreenRunning} {
		if !screens[s] {
			t.Errorf("screen %v not visited", s)
		}
	}
}

func TestTrustAndNote(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	m := New(cfg, run)
	press(t, m, keyEnter, keyEnter) // the verdict
	press(t, m, letter('t'))
	if m.Screen() != ScreenAsk || m.input.Value() != "192.0.2.10" {
		t.Fatalf("trust offers the address nothing vouches for: %v %q", m.Screen(), m.input.Value())
	}
	press(t, m, keyEnter)
	for _, r := range "alice" {
		m.Update(letter(r))
	}
	press(t, m, keyEnter)
	last := run.runs[len(run.runs)-1]
	if !slices.Equal(last, []string{"--case", cfg.Case, "trust", "add", "--address", "192.0.2.10", "--who", "alice"}) {
		t.Fatalf("trust ran %v", last)
	}
	press(t, m, keyEsc)
	press(t, m, letter('n'))
	for _, r := range "alice added /etc/cron.d/backup" {
		m.Update(letter(r))
	}
	press(t, m, keyEnter)
	if last := run.runs[len(run.runs)-1]; !slices.Equal(last, []string{"--case", cfg.Case, "note", "alice added /etc/cron.d/backup"}) {
		t.Fatalf("note ran %v", last)
	}
}

func TestPlainFacts(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	var b strings.Builder
	Plain(&b, cfg, Load(cfg.Case))
	if !strings.Contains(b.String(), NextCommandPrefix+"nowwhat --case "+cfg.Case+" check --root "+host.Dir) {
		t.Fatalf("new case:\n%s", b.String())
	}
	m := New(cfg, run)
	press(t, m, keyEnter, keyEnter)
	b.Reset()
	Plain(&b, cfg, Load(cfg.Case))
	s := b.String()
	for _, want := range []string{"VERDICT: COMPROMISED", "/var/spool/cron/crontabs/deploy", "/var/www/html/wp-content/uploads/thumb.php", "HOSTILE LOGIN: deploy", "ROOT WAS TAKEN",
		NextCommandPrefix + "nowwhat --case " + cfg.Case + " contain lock-user toor --root " + host.Dir, "[done]           check"} {
		if !strings.Contains(s, want) {
			t.Errorf("plain lacks %q:\n%s", want, s)
		}
	}
}

func TestEscapedHostNames(t *testing.T) {
	cfg, run := newTest(t, "/")
	c, _ := casedir.Open(cfg.Case)
	evil := "/tmp/\x1b[2J\x1b[32mCLEAN\u202e"
	c.SaveResult("check", &check.Report{Verdict: finding.Compromised, Summary: "s\x1b]0;x\x07", Findings: []finding.Finding{
		{Rule: "implant.tmp-executable", Severity: finding.High, Title: "program " + evil, Path: evil, Evidence: []string{"e " + evil}},
		{Rule: "accounts.uid0", Severity: finding.Critical, User: "r\x1b[1A", Title: "account r\x1b[1A"}}})
	cfg.Propose = func(rep *check.Report) []Proposal {
		return []Proposal{{Args: []string{"contain", "lock-user", "r\x1b[1A"}, Why: "x"}}
	}
	m := New(cfg, run)
	for _, open := range []func(){func() { m.scr = ScreenVerdict; m.open[0], m.open[1] = true, true }, func() { m.openStep(StepContain) }} {
		open()
		out := ansi.Strip(m.Render())
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("raw control characters reached the screen: %q", out)
		}
		if !strings.Contains(out, `\x1b[`) {
			t.Errorf("escaped form missing:\n%s", out)
		}
	}
	var b strings.Builder
	Plain(&b, cfg, Load(cfg.Case))
	if strings.ContainsAny(b.String(), "\x1b\x07\u202e") {
		t.Errorf("plain text carries raw control characters: %q", b.String())
	}
}

func TestWrapText(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want []string
	}{
		{"same as: nowwhat --case /c collect --root /r", 20, []string{"same as: nowwhat", "--case /c collect", "--root /r"}},
		{"    indented words go on", 14, []string{"    indented", "    words go", "    on"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"a\nb", 5, []string{"a", "b"}},
		{"", 3, []string{""}},
		{"x y", 0, []string{"x", "y"}},
		{"日本語", 1, []string{"日", "本", "語"}},
	}
	for _, tc := range tests {
		if got := wrapText(tc.in, tc.w); !slices.Equal(got, tc.want) {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
	}
}

func TestAccessible(t *testing.T) {
	host := fixture.Breached(t)
	cfg, run := newTest(t, host.Dir)
	var out strings.Builder
	// the default (run check), then on the contain step the default (the plan), no to the
	// apply question, then quit
	in := strings.NewReader("\n\nn\n" + "3\n")
	if err := Accessible(cfg, run, in, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(run.runs) < 2 || run.runs[0][2] != "check" || !slices.Contains(run.runs[1], "lock-user") {
		t.Fatalf("runs %v\n%s", run.runs, out.String())
	}
	if len(run.applied()) != 0 {
		t.Fatalf("no applied: %v", run.applied())
	}
	for _, want := range []string{"VERDICT: COMPROMISED", "Running: nowwhat --case", "Nothing was changed."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("accessible output lacks %q:\n%s", want, out.String())
		}
	}
	// an input that ends (after an invalid answer, or none) ends the guide without a crash
	for _, input := range []string{"", "9\n", "\n"} {
		out.Reset()
		if err := Accessible(cfg, run, strings.NewReader(input), &out); err != nil || !strings.Contains(out.String(), "the input ended") {
			t.Errorf("input %q: %v\n%s", input, err, out.String())
		}
	}
	if len(run.applied()) != 0 {
		t.Fatalf("no applied: %v", run.applied())
	}
}
