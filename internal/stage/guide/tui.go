package guide

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	baseprogress "github.com/nowwhat/nowwhat/internal/base/progress"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// Screen names the guide's screens (the model's state).
type Screen int

// The screens.
const (
	ScreenCase    Screen = iota // choose the case folder
	ScreenHome                  // where the case stands, every step with its status
	ScreenStep                  // one step: what for, what nowwhat does, the command, what changes
	ScreenRunning               // a command running, with progress
	ScreenResult                // what a command printed; after a plan, the yes/no question
	ScreenVerdict               // check's verdict, findings by severity, expandable
	ScreenAsk                   // answers an action needs (trust, note)
)

func (s Screen) String() string {
	return [...]string{"case", "home", "step", "running", "result", "verdict", "ask"}[s]
}

// Model is the guide's Bubble Tea model.
type Model struct {
	cfg *Config
	st  *State
	run Runner

	scr  Screen
	w, h int

	input     textinput.Model
	caseLines []string

	cursor int // home: index in Steps

	step string
	acts []Action
	act  int

	job      Job
	jobArgs  []string
	jobApply bool
	planOf   *Action
	spin     spinner.Model
	bar      progress.Model
	prog     baseprogress.Status
	hasProg  bool
	last     string
	started  time.Time

	out        string
	code       int
	scroll     int
	offerApply bool

	fcur int
	open map[int]bool

	ask     Action
	answers []string
	qi      int

	msg     string
	resumed string
	quit    bool
}

type doneMsg struct {
	code int
	err  error
}

type tickMsg time.Time

// New makes the model: the case screen when no case is given, else the step the journal calls
// for (or the home screen of a new case), or the command an earlier guide left running.
func New(cfg *Config, run Runner) *Model {
	m := &Model{cfg: cfg, run: run, w: 80, h: 24, open: map[int]bool{}}
	m.spin = spinner.New(spinner.WithSpinner(spinner.Line))
	m.bar = progress.New(progress.WithFillCharacters('#', '-'), progress.WithColors(lipgloss.Color("2")), progress.WithWidth(40))
	m.input = textinput.New()
	m.input.Prompt = "> "
	if cfg.Case == "" {
		suggest, lines := CaseAdvice(cfg.Root)
		m.input.SetValue(suggest)
		m.input.Focus()
		m.caseLines = lines
		m.scr = ScreenCase
		m.st = Load("")
		return m
	}
	m.openCase()
	return m
}

// openCase loads the case and goes where the journal says.
func (m *Model) openCase() {
	m.st = Load(m.cfg.Case)
	if job, args := Running(m.cfg.Case); job != nil {
		m.job, m.jobArgs, m.started = job, args, time.Now()
		m.scr = ScreenRunning
		m.resumed = "A command the guide started before is still running: waiting for it."
		return
	}
	next, _ := m.st.Next(m.cfg)
	if len(m.st.Entries) > 0 && next != StepDone {
		last := m.st.Entries[len(m.st.Entries)-1]
		m.resumed = fmt.Sprintf("Resumed: the journal's last entry is %s (%s) at %s.", textsafe.Escape(last.Command), textsafe.Escape(last.Outcome), last.Time.UTC().Format("15:04:05 UTC"))
		m.openStep(next)
		m.msg = m.resumed
		return
	}
	m.home()
}

func (m *Model) reload() { m.st = Load(m.cfg.Case) }

func (m *Model) home() {
	m.scr = ScreenHome
	next, _ := m.st.Next(m.cfg)
	m.cursor = 0
	for i, s := range Steps {
		if s.ID == next {
			m.cursor = i
		}
	}
	m.scroll = 0
}

func (m *Model) openStep(id string) {
	if id == StepDone || StepByID(id) == nil {
		m.home()
		return
	}
	m.scr, m.step, m.act, m.scroll = ScreenStep, id, 0, 0
	m.acts = Actions(m.cfg, m.st, id)
}

func (m *Model) next() {
	m.reload()
	id, _ := m.st.Next(m.cfg)
	m.openStep(id)
}

// Screen is the screen shown now.
func (m *Model) Screen() Screen { return m.scr }

// StepID is the step shown (on the step screen).
func (m *Model) StepID() string { return m.step }

// Job is the command running when the guide was left (nil if none).
func (m *Model) Job() Job {
	if m.scr == ScreenRunning {
		return m.job
	}
	return nil
}

// Init starts the spinner (and waits for a command found running).
func (m *Model) Init() tea.Cmd {
	if m.scr == ScreenRunning && m.job != nil {
		return tea.Batch(m.wait(m.job), tick(), m.spin.Tick)
	}
	if m.scr == ScreenCase {
		return textinput.Blink
	}
	return nil
}

func tick() tea.Cmd {
	return tea.Tick(250*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) wait(job Job) tea.Cmd {
	return func() tea.Msg {
		code, err := job.Wait()
		return doneMsg{code, err}
	}
}

func (m *Model) start(args []string, apply bool, plan *Action) tea.Cmd {
	job, err := m.run.Start(args)
	if err != nil {
		m.msg = err.Error()
		return nil
	}
	m.job, m.jobArgs, m.jobApply, m.planOf = job, args, apply, plan
	m.scr, m.started, m.hasProg, m.last, m.msg = ScreenRunning, time.Now(), false, "", ""
	return tea.Batch(m.wait(job), tick(), m.spin.Tick)
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 1), max(msg.Height, 1)
		return m, nil
	case tickMsg:
		if m.scr != ScreenRunning || m.job == nil {
			return m, nil
		}
		m.prog, m.hasProg, m.last = Tail(m.job.Output())
		return m, tick()
	case spinner.TickMsg:
		if m.scr != ScreenRunning {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case doneMsg:
		return m, m.finished(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	if m.scr == ScreenCase || m.scr == ScreenAsk {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) finished(d doneMsg) tea.Cmd {
	job := m.job
	m.job = nil
	m.code = d.code
	m.reload()
	if job != nil {
		m.out = textsafe.Lines(ReadOutput(job.Output(), 1<<20))
	}
	if d.err != nil {
		m.out += "\n" + textsafe.Escape(d.err.Error())
	}
	m.scroll = 0
	if !m.jobApply && isCheck(m.jobArgs) && m.st.Check != nil {
		m.scr, m.fcur, m.open = ScreenVerdict, 0, map[int]bool{}
		return nil
	}
	m.scr = ScreenResult
	m.offerApply = m.planOf != nil && !m.jobApply && m.planOf.Apply != nil && d.code == 0
	return nil
}

func isCheck(args []string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && !strings.Contains(a, "/") && a != "" {
			return a == "check"
		}
	}
	return false
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	key := k.String()
	if key == "ctrl+c" {
		m.quit = true
		return tea.Quit
	}
	switch m.scr {
	case ScreenCase:
		return m.keyCase(key, k)
	case ScreenAsk:
		return m.keyAsk(key, k)
	}
	if key == "q" {
		m.quit = true
		return tea.Quit
	}
	m.msg = ""
	switch m.scr {
	case ScreenHome:
		switch key {
		case "up", "k":
			m.cursor = max(m.cursor-1, 0)
		case "down", "j":
			m.cursor = min(m.cursor+1, len(Steps)-1)
		case "enter", "right", "l":
			m.openStep(Steps[m.cursor].ID)
		case "t":
			m.startAsk(TrustAction(m.cfg, m.st))
		case "n":
			m.startAsk(NoteAction(m.cfg))
		case "v":
			if m.st.Check != nil {
				m.scr, m.fcur, m.open = ScreenVerdict, 0, map[int]bool{}
			}
		}
	case ScreenStep:
		return m.keyStep(key)
	case ScreenRunning:
		// only q (above) leaves: the command goes on and journals its result
	case ScreenResult:
		switch key {
		case "y":
			if m.offerApply && m.planOf != nil {
				a := m.planOf
				return m.start(a.Apply, true, a)
			}
		case "n", "esc", "b":
			if m.offerApply {
				m.msg = "Nothing was changed."
			}
			m.offerApply = false
			m.openStep(m.step)
		case "enter":
			if m.offerApply {
				m.offerApply = false
				m.msg = "Nothing was changed."
				m.openStep(m.step)
				return nil
			}
			if len(m.st.Waiting()) > 0 && m.step != "" {
				m.openStep(m.step) // confirm comes first there
				return nil
			}
			m.next()
		default:
			m.scrollKey(key)
		}
	case ScreenVerdict:
		un := m.st.Unexplained()
		switch key {
		case "up", "k":
			m.fcur = max(m.fcur-1, 0)
		case "down", "j":
			m.fcur = min(m.fcur+1, max(len(un)-1, 0))
		case "space", " ", "e", "right", "l", "tab":
			m.open[m.fcur] = !m.open[m.fcur]
		case "t":
			m.startAsk(TrustAction(m.cfg, m.st))
		case "esc", "b":
			m.home()
		case "enter":
			m.next()
		}
	}
	return nil
}

func (m *Model) scrollKey(key string) {
	switch key {
	case "up", "k":
		m.scroll = max(m.scroll-1, 0)
	case "down", "j":
		m.scroll++
	case "pgup":
		m.scroll = max(m.scroll-(m.h-4), 0)
	case "pgdown", "space", " ":
		m.scroll += max(m.h-4, 1)
	case "home", "g":
		m.scroll = 0
	}
}

func (m *Model) keyStep(key string) tea.Cmd {
	switch key {
	case "up", "k":
		m.act = max(m.act-1, 0)
	case "down", "j":
		m.act = min(m.act+1, max(len(m.acts)-1, 0))
	case "esc", "b", "left", "h":
		m.home()
	case "s":
		if err := Skip(m.cfg.Case, m.step); err != nil {
			m.msg = err.Error()
			return nil
		}
		m.next()
		m.msg = "Skipped; it stays on the list (h: home)."
	case "t":
		m.startAsk(TrustAction(m.cfg, m.st))
	case "n":
		m.startAsk(NoteAction(m.cfg))
	case "enter":
		if status, _ := m.st.Status(m.cfg, m.step); status == Unbuilt {
			m.next()
			m.msg = StepByID(m.stepOr(m.step)).Title + ": not built yet in this nowwhat; moved on."
			return nil
		}
		if len(m.acts) == 0 {
			m.next()
			return nil
		}
		a := m.acts[m.act]
		switch {
		case a.Blocked != "":
			m.msg = a.Blocked
		case a.Decide != "":
			if err := Decide(m.cfg.Case, a.Decide); err != nil {
				m.msg = err.Error()
				return nil
			}
			m.next()
			m.msg = "Recorded in the journal: " + a.Decide + "."
		case a.Ask != nil:
			m.startAsk(a)
		default:
			var plan *Action
			if a.Apply != nil {
				plan = &a
			}
			return m.start(a.Args, false, plan)
		}
	}
	return nil
}

func (m *Model) stepOr(id string) string {
	if StepByID(id) == nil {
		return StepCheck
	}
	return id
}

func (m *Model) startAsk(a Action) {
	m.ask, m.answers, m.qi = a, nil, 0
	m.scr = ScreenAsk
	m.input.SetValue(a.Ask[0].Default)
	m.input.Focus()
}

func (m *Model) keyAsk(key string, k tea.KeyPressMsg) tea.Cmd {
	switch key {
	case "esc":
		m.input.Blur()
		m.msg = "Nothing was recorded."
		m.home()
		return nil
	case "enter":
		v := strings.TrimSpace(m.input.Value())
		if v == "" {
			m.msg = "An answer is needed (esc to leave)."
			return nil
		}
		m.answers = append(m.answers, v)
		m.qi++
		if m.qi < len(m.ask.Ask) {
			m.input.SetValue(m.ask.Ask[m.qi].Default)
			m.msg = ""
			return nil
		}
		m.input.Blur()
		m.step = ""
		return m.start(m.ask.Fill(m.answers), false, nil)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

func (m *Model) keyCase(key string, k tea.KeyPressMsg) tea.Cmd {
	switch key {
	case "esc":
		m.quit = true
		return tea.Quit
	case "enter":
		v := strings.TrimSpace(m.input.Value())
		if v == "" {
			m.msg = "Give a folder for the case."
			return nil
		}
		c, err := casedir.Open(v)
		if err != nil {
			m.msg = textsafe.Escape(err.Error())
			return nil
		}
		m.cfg.Case = c.Dir
		m.input.Blur()
		m.msg = ""
		m.openCase()
		if m.scr == ScreenRunning {
			return tea.Batch(m.wait(m.job), tick(), m.spin.Tick)
		}
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

// styles: basic ANSI colours only (a Linux console has eight), degraded by Bubble Tea to what
// the terminal has, and nothing when NO_COLOR is set.
var (
	sTitle  = lipgloss.NewStyle().Bold(true)
	sDim    = lipgloss.NewStyle().Faint(true)
	sCursor = lipgloss.NewStyle().Reverse(true)
	sRed    = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	sYellow = lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true)
	sGreen  = lipgloss.NewStyle().Foreground(lipgloss.Color("2")).Bold(true)
	sCmd    = lipgloss.NewStyle().Foreground(lipgloss.Color("6"))
)

// View draws the screen, cut to the terminal's size.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "nowwhat guide"
	return v
}

// line is one line of a screen, styled after wrapping (so styles never break a wrap).
type line struct {
	text  string
	style *lipgloss.Style
	focus bool // keep in view
}

type page struct {
	w     int
	lines []line
}

func (p *page) add(text string, st *lipgloss.Style) {
	for _, l := range wrapText(text, p.w) {
		p.lines = append(p.lines, line{text: l, style: st})
	}
}

// wrapText breaks plain text at spaces only (a command's --flags stay whole, so it can be
// copied), keeps a line's indentation on its continuation lines, and cuts a word longer than
// the width.
func wrapText(text string, w int) []string {
	w = max(w, 1)
	var out []string
	for _, para := range strings.Split(text, "\n") {
		body := strings.TrimLeft(para, " ")
		indent := para[:len(para)-len(body)]
		if len(indent) >= w/2 {
			indent = ""
		}
		line, empty := indent, true // empty: the line holds only the indentation
		start := len(out)
		for _, word := range strings.Split(body, " ") {
			for {
				room := w - ansi.StringWidth(line)
				need := ansi.StringWidth(word)
				if !empty {
					need++
				}
				if need <= room {
					if !empty {
						line += " "
					}
					line, empty = line+word, false
					break
				}
				if !empty {
					out = append(out, line)
					line, empty = indent, true
					continue
				}
				head := ansi.Truncate(word, room, "")
				if head == "" {
					_, size := utf8.DecodeRuneInString(word)
					head = word[:size]
				}
				out = append(out, line+head)
				word = word[len(head):]
				line = indent
				if word == "" {
					break
				}
			}
		}
		if !empty || len(out) == start {
			out = append(out, line)
		}
	}
	return out
}

func (p *page) para(text string) { p.add(text, nil); p.blank() }

func (p *page) blank() { p.lines = append(p.lines, line{}) }

func (p *page) focus() { // the next lines added are the cursor's
	p.lines = append(p.lines, line{focus: true, text: "\x00"})
}

// Render is the screen as text (View's content), width and height respected.
func (m *Model) Render() string {
	w, h := max(m.w, 1), max(m.h, 1)
	header := m.header()
	footer := m.footer()
	body := &page{w: w}
	switch m.scr {
	case ScreenCase:
		m.viewCase(body)
	case ScreenHome:
		m.viewHome(body)
	case ScreenStep:
		m.viewStep(body)
	case ScreenRunning:
		m.viewRunning(body)
	case ScreenResult:
		m.viewResult(body)
	case ScreenVerdict:
		m.viewVerdict(body)
	case ScreenAsk:
		m.viewAsk(body)
	}
	var out []string
	out = append(out, fit(header, w, &sTitle))
	room := h - 1
	var foot []string
	if m.scr != ScreenCase {
		for _, e := range m.st.Waiting() {
			foot = append(foot, fit(m.waitingLine(e), w, &sRed))
		}
	}
	if m.msg != "" {
		for _, l := range wrapText(m.msg, w) {
			foot = append(foot, fit(l, w, &sYellow))
		}
	}
	foot = append(foot, fit(footer, w, &sDim))
	if len(foot) > room-1 {
		foot = foot[len(foot)-max(room-1, 0):]
	}
	room -= len(foot)
	if room < 0 {
		room = 0
	}
	// find the focus marker and drop it, keeping the cursor's line in view
	focus := -1
	var lines []line
	for _, l := range body.lines {
		if l.focus {
			focus = len(lines)
			continue
		}
		lines = append(lines, l)
	}
	off := m.scroll
	if m.scr != ScreenResult {
		off = 0
		if focus >= room*2/3 && room > 0 {
			off = focus - room/3
		}
	}
	if off > len(lines)-room {
		off = max(len(lines)-room, 0)
		if m.scr == ScreenResult {
			m.scroll = off
		}
	}
	for i := off; i < len(lines) && i < off+room; i++ {
		out = append(out, fit(lines[i].text, w, lines[i].style))
	}
	for len(out) < h-len(foot) {
		out = append(out, "")
	}
	out = append(out, foot...)
	if len(out) > h {
		out = out[:h]
	}
	return strings.Join(out, "\n")
}

func fit(s string, w int, st *lipgloss.Style) string {
	s = ansi.Truncate(s, w, "")
	if st != nil && s != "" {
		return st.Render(s)
	}
	return s
}

func (m *Model) header() string {
	t := "nowwhat guide"
	if m.cfg.Case != "" {
		t += " | case " + textsafe.Escape(filepath.Base(m.cfg.Case))
	}
	if !m.cfg.Live() {
		t += " | root " + textsafe.Escape(m.cfg.Root)
	}
	return t
}

func (m *Model) footer() string {
	switch m.scr {
	case ScreenCase:
		return "enter: use this folder  esc or ctrl+c: quit"
	case ScreenAsk:
		return "enter: next  esc: leave  ctrl+c: quit"
	case ScreenHome:
		return "up/down: choose  enter: open  v: verdict  t: trust  n: note  q: quit"
	case ScreenStep:
		return "enter: run  up/down: choose  s: skip  h: home  t: trust  q: quit"
	case ScreenRunning:
		return "q: quit (the command goes on and journals its result)"
	case ScreenResult:
		if m.offerApply {
			return "y: yes, apply  n or enter: no, change nothing  up/down: scroll  q: quit"
		}
		return "enter: next step  up/down: scroll  h or esc: back  q: quit"
	case ScreenVerdict:
		return "up/down: finding  space: evidence  enter: next step  t: trust  q: quit"
	}
	return "q: quit"
}

func (m *Model) viewCase(p *page) {
	p.add("Where should this incident's case folder be?", &sTitle)
	p.blank()
	p.para("Every step nowwhat takes is journaled there, with what it found, so you can stop and come back at any time. Keep it off the suspect disk: an intruder with root can read or change it, and writing there can overwrite deleted evidence.")
	for _, l := range m.caseLines {
		p.para(l)
	}
	p.add(m.input.View(), nil)
	p.blank()
	if v := strings.TrimSpace(m.input.Value()); v != "" {
		if w := casedir.Placement(v, m.cfg.Root); w != "" {
			p.add("warning: "+textsafe.Escape(w), &sYellow)
		}
	}
}

func statusStyle(s string) *lipgloss.Style {
	switch s {
	case Done, Decision:
		return &sGreen
	case ToDo, Waiting, Blocked:
		return &sYellow
	}
	return &sDim
}

// waitingLine says what rolls back by itself, and when, unless confirmed; it stays at the
// bottom of every screen while the timer runs.
func (m *Model) waitingLine(e contain.Entry) string {
	left := ""
	if t, err := time.Parse(time.RFC3339, e.Expires); err == nil {
		left = " (in " + baseprogress.Duration(max(time.Until(t), 0)) + ")"
	}
	where := "Contain"
	if e.Kind != "isolate" {
		where = "Harden"
	}
	return fmt.Sprintf("WAITING FOR YOUR CONFIRMATION: %s rolls back at %s%s; confirm on the %s screen", textsafe.Escape(e.Kind), textsafe.Escape(e.Expires), left, where)
}

func (m *Model) banners(p *page) {
	for _, e := range m.st.Waiting() {
		p.add(fmt.Sprintf("%s %s rolls back by itself at %s unless you confirm: %s", textsafe.Escape(e.Kind), textsafe.Escape(e.Target), textsafe.Escape(e.Expires), confirmLine(m.cfg, e.Kind)), &sRed)
		p.blank()
	}
	for _, w := range Warnings(m.cfg, m.st) {
		p.add("! "+w, &sYellow)
	}
	if len(Warnings(m.cfg, m.st)) > 0 {
		p.blank()
	}
}

func (m *Model) viewHome(p *page) {
	m.banners(p)
	if m.st.Check != nil {
		v := strings.ToUpper(string(m.st.Verdict()))
		p.add("Verdict: "+v+" (v shows the findings)", verdictStyle(m.st.Verdict()))
		p.blank()
	}
	next, why := m.st.Next(m.cfg)
	p.add("The response, step by step:", &sTitle)
	for i, s := range Steps {
		status, detail := m.st.Status(m.cfg, s.ID)
		mark := "  "
		if i == m.cursor {
			mark = "> "
			p.focus()
		}
		text := fmt.Sprintf("%s%-16s %s", mark, "["+status+"]", s.Title)
		if detail != "" {
			text += ": " + detail
		}
		st := statusStyle(status)
		if i == m.cursor {
			st = &sCursor
		}
		p.add(text, st)
	}
	p.blank()
	if next == StepDone {
		p.add("Nothing left to do: "+why, &sGreen)
	} else {
		p.add("Next: "+StepByID(next).Title+": "+why, &sTitle)
	}
}

func (m *Model) viewStep(p *page) {
	s := StepByID(m.step)
	if s == nil {
		return
	}
	m.banners(p)
	p.add(s.Title+"  ("+s.Question+")", &sTitle)
	p.blank()
	status, detail := m.st.Status(m.cfg, s.ID)
	if status == Unbuilt {
		p.para("Not built yet in this nowwhat: " + detail + ". Enter moves on to the next step.")
		p.para("What it is for: " + s.For)
		return
	}
	if status != ToDo && status != Waiting {
		p.add("Status: "+status+" "+detail, statusStyle(status))
		p.blank()
	}
	p.para("What it is for: " + s.For)
	switch s.ID {
	case StepCheck:
		if m.cfg.Baseline == "" {
			p.add(NoBaselineText, &sYellow)
			p.blank()
		}
	case StepContain:
		if m.cfg.SSH != "" && m.cfg.Live() {
			p.add(SSHText, &sYellow)
			p.blank()
		}
	case StepDecide:
		for _, w := range m.st.RootTaken() {
			p.add("- "+w, &sRed)
		}
		p.blank()
	}
	for i, a := range m.acts {
		mark := "  "
		st := (*lipgloss.Style)(nil)
		if i == m.act {
			mark = "> "
			st = &sCursor
			p.focus()
		}
		p.add(mark+a.Label, st)
		if a.Args != nil {
			p.add("    same as: "+CommandLine(a.Args), &sCmd)
		}
		if i != m.act {
			continue
		}
		if a.Apply != nil {
			p.add("    then, only after your yes: "+CommandLine(a.Apply), &sCmd)
		}
		if a.Why != "" {
			p.add("    "+a.Why, nil)
		}
		if a.Blocked != "" {
			p.add("    "+a.Blocked, &sYellow)
		}
	}
	p.blank()
	p.para("What nowwhat will do: " + s.Does)
	if s.Changes == "" {
		p.para("What changes on the host: nothing.")
	} else {
		p.para("What changes on the host: " + s.Changes)
	}
}

func (m *Model) viewRunning(p *page) {
	if m.resumed != "" {
		p.para(m.resumed)
	}
	p.add(m.spin.View()+" running: "+CommandLine(m.jobArgs), &sCmd)
	p.blank()
	el := baseprogress.Duration(time.Since(m.started))
	if m.hasProg {
		if m.prog.TotalKnown && m.prog.Total > 0 {
			bar := m.bar
			bar.SetWidth(max(min(m.w-10, 60), 5))
			p.add(bar.ViewAs(float64(m.prog.Done)/float64(m.prog.Total)), nil)
		}
		p.add(textsafe.Escape(m.prog.Text), nil)
	} else {
		p.add("elapsed "+el, nil)
	}
	if m.last != "" {
		p.blank()
		p.add(textsafe.Escape(m.last), &sDim)
	}
	p.blank()
	if m.job != nil {
		p.add("Its output is kept in the case: "+textsafe.Escape(m.job.Output()), &sDim)
	}
}

func (m *Model) viewResult(p *page) {
	title := "Done: " + CommandLine(m.jobArgs)
	if m.offerApply {
		title = "Plan: " + CommandLine(m.jobArgs)
	} else if m.code > 0 {
		title = fmt.Sprintf("Finished with exit status %d: %s", m.code, CommandLine(m.jobArgs))
	}
	p.add(title, &sTitle)
	if m.offerApply && m.planOf != nil {
		p.blank()
		p.add("This was the plan: nothing has changed yet.", &sGreen)
		p.add("Apply it? y = yes, same as: "+CommandLine(m.planOf.Apply), &sYellow)
		p.add("n or enter = no, change nothing.", &sYellow)
	}
	p.blank()
	for _, l := range strings.Split(m.out, "\n") {
		p.add(l, nil)
	}
}

func verdictStyle(v finding.Verdict) *lipgloss.Style {
	switch v {
	case finding.Compromised:
		return &sRed
	case finding.Suspicious, finding.Incomplete:
		return &sYellow
	}
	return &sGreen
}

func (m *Model) viewVerdict(p *page) {
	rep := m.st.Check
	if rep == nil {
		return
	}
	word := strings.ToUpper(string(rep.Verdict))
	vs := verdictStyle(rep.Verdict)
	if m.h >= 20 {
		for _, row := range Big(word, m.w) {
			p.add(row, vs)
		}
	}
	p.add("Verdict: "+word, vs)
	p.add(textsafe.Escape(rep.Summary), nil)
	if why := m.st.RootTaken(); len(why) > 0 {
		p.add("Root was taken: the rebuild-or-clean decision comes later.", &sRed)
	}
	p.blank()
	un := m.st.Unexplained()
	if len(un) == 0 {
		p.add("No finding nobody accounts for.", &sGreen)
	}
	sev := finding.Severity(0)
	for i, f := range un {
		if f.Severity != sev {
			sev = f.Severity
			p.add(strings.ToUpper(sev.String()), sevStyle(sev))
		}
		mark := "  "
		st := (*lipgloss.Style)(nil)
		if i == m.fcur {
			mark = "> "
			st = &sCursor
			p.focus()
		}
		open := "+"
		if m.open[i] {
			open = "-"
		}
		p.add(mark+open+" "+FindingLine(f), st)
		if m.open[i] {
			p.add("      rule "+textsafe.Escape(f.Rule)+", ATT&CK "+textsafe.Escape(strings.Join(f.Attack, " ")), &sDim)
			for _, e := range f.Evidence {
				p.add("      evidence: "+textsafe.Escape(e), nil)
			}
			if f.Why != "" {
				p.add("      why it matters: "+textsafe.Escape(f.Why), nil)
			}
			if f.Action != "" {
				p.add("      what to do: "+textsafe.Escape(f.Action), nil)
			}
		}
	}
	var hostile []*sessions.Session
	for _, s := range rep.Sessions {
		if s != nil && s.Judgement == sessions.Hostile {
			hostile = append(hostile, s)
		}
	}
	if len(hostile) > 0 {
		p.blank()
		p.add("WHO WAS LOGGED IN", &sTitle)
		for _, s := range hostile {
			p.add("  hostile: "+SessionLine(s), &sRed)
		}
	}
	for _, s := range rep.Sessions {
		if s != nil && s.Judgement == sessions.Unknown && s.SourceIP != "" {
			p.add("  nothing vouches for "+textsafe.Escape(s.SourceIP)+": if it is a colleague, press t (nowwhat trust add)", &sYellow)
			break
		}
	}
	next, why := m.st.Next(m.cfg)
	p.blank()
	if next != StepDone {
		p.add("Next: "+StepByID(next).Title+": "+why, &sTitle)
	}
}

func sevStyle(s finding.Severity) *lipgloss.Style {
	switch s {
	case finding.Critical:
		return &sRed
	case finding.High:
		return &sYellow
	}
	return &sTitle
}

func (m *Model) viewAsk(p *page) {
	p.add(m.ask.Label, &sTitle)
	p.blank()
	if m.ask.Why != "" {
		p.para(m.ask.Why)
	}
	for i, a := range m.answers {
		p.add(m.ask.Ask[i].Prompt+": "+textsafe.Escape(a), &sDim)
	}
	if m.qi < len(m.ask.Ask) {
		p.add(m.ask.Ask[m.qi].Prompt+":", nil)
		p.add(m.input.View(), nil)
	}
}
