// Package guide walks an administrator through the response, one step at a time: what each
// step is for, what nowwhat will do, the exact command that does it (every screen has a flag
// twin) and what changes on the host. The case folder is the guide's only memory: the journal,
// each step's saved result, the containment and hardening journals and the rotation ledger say
// where the case stands, so the guide resumes where the journal says, after q or kill -9 alike.
//
// The guide never implements a step a second time: it runs nowwhat's own commands (this same
// binary, with the arguments it shows) and reads back what they saved in the case. The default
// action of every screen changes nothing on the host; a change needs an explicit yes on a
// screen that shows the plan, after its dry run.
//
// Two faces share this package's state and steps: a full-screen interface (Bubble Tea, see
// tui.go) and a plain text one (plain.go) for scripts, pipes and screen readers.
package guide

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/harden"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
	"github.com/nowwhat/nowwhat/internal/stage/rotate"
)

// Proposal is a containment command proposed from check's findings (the same proposals as
// nowwhat contain --from-findings), as arguments after "nowwhat".
type Proposal struct {
	Args []string
	Why  string
}

// Config is what the guide was started with.
type Config struct {
	Case      string // the case folder ("" until chosen)
	Root      string // the host's root: "/" or a mounted disk
	Baseline  string // a sealed baseline snapshot, if any
	Pubkey    string // the key that sealed it
	Recipient string // the responder's age public key (collect, rotate)
	// Built says whether a command of nowwhat exists in this build (clean and verify come later).
	Built func(name string) bool
	// Propose turns check's findings into containment commands (cli.ContainmentProposal).
	Propose func(*check.Report) []Proposal
	// Root user: false when nowwhat runs without root (what cannot be seen is explained).
	IsRoot bool
	// SSH is the operator's SSH connection ("client-ip client-port server-ip server-port"),
	// empty on a console.
	SSH string
	Now func() time.Time
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) built(name string) bool { return c.Built == nil || c.Built(name) }

// Live is true when the guide works on this running host (root "/").
func (c *Config) Live() bool { return c.Root == "" || c.Root == "/" }

// ClientAddress is the operator's address from the SSH connection, if any.
func (c *Config) ClientAddress() string {
	if f := strings.Fields(c.SSH); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Step ids, in the order of the response.
const (
	StepCheck       = "check"
	StepContain     = "contain"
	StepCollect     = "collect"
	StepDiff        = "diff"
	StepInvestigate = "investigate"
	StepLoophole    = "loophole"
	StepDecide      = "decide"
	StepClean       = "clean"
	StepRotate      = "rotate"
	StepHarden      = "harden"
	StepVerify      = "verify"
	StepLift        = "lift"
	StepReport      = "report"
	StepDone        = "done"
)

// Step describes one screen of the walk, in plain words.
type Step struct {
	ID       string
	Question string // the question it answers, as people ask it in the first hour
	Title    string
	For      string // what it is for
	Does     string // what nowwhat will do
	Changes  string // what changes on the host ("" = nothing)
	Command  string // the nowwhat command that must exist for the step to run
}

// Steps is the walk, in order. The five questions of the first hour lead it.
var Steps = []Step{
	{ID: StepCheck, Question: "1. Is someone still in?  2. Is it really an attack?", Title: "Check the server", Command: "check",
		For:  "A verdict (clean, suspicious, compromised, incomplete) backed by evidence: implants, back doors, extra root accounts, web shells, who logged in and from where, and on a live host the processes and connections running now.",
		Does: "Reads files, logs and /proc directly (never the host's own programs), takes a snapshot into memory and judges it. The result is kept in the case folder."},
	{ID: StepContain, Question: "1. Is someone still in? Then stop them.", Title: "Contain", Command: "contain",
		For:     "Cut the intruder off without taking everything down: lock the account they use, stop only the affected service (with a maintenance page), cut the network except your own session.",
		Does:    "Proposes actions from check's findings. Each one is shown as a plan first; nothing changes until you answer yes. Every action is journaled and can be undone.",
		Changes: "Only after your yes: the action you approved (an account locked, a service stopped and masked, the network cut, processes stopped)."},
	{ID: StepCollect, Question: "Keep the evidence", Title: "Collect evidence", Command: "collect",
		For:  "An evidence archive, most volatile first, hashed, with chain of custody: what a court, an insurer or an incident responder will ask for. Cleaning destroys evidence, so this comes first.",
		Does: "Copies logs, configuration, the snapshot and the suspicious files into one archive in the case folder (encrypted to the responder's key when one is given)."},
	{ID: StepDiff, Question: "3. What did they change?", Title: "Compare with the baseline", Command: "diff",
		For:  "Every change since the trusted baseline, grouped by part of the system.",
		Does: "Checks the baseline's seal, then compares it with the host now."},
	{ID: StepInvestigate, Question: "3. How did they get in?", Title: "Investigate", Command: "investigate",
		For:  "The way in, what was done after, and the timeline of logs, file times and package events, mapped to MITRE ATT&CK.",
		Does: "Reads the logs and the snapshot; the result is kept in the case."},
	{ID: StepLoophole, Question: "3. Which hole did they use?", Title: "Name the hole", Command: "loophole",
		For:  "The hole the way in went through (a guessed SSH password, an upload folder that runs PHP, a vulnerable package), with what closes it.",
		Does: "Joins investigate's way in with the host's configuration and known vulnerabilities."},
	{ID: StepDecide, Question: "4. Is it gone? Rebuild or clean?", Title: "Rebuild or clean", Command: "",
		For:  "When the intruder had root, nothing on the host can be trusted to tell the truth any more: rebuilding from a clean image is the safe answer, cleaning in place is a risk you take knowingly.",
		Does: "Records your decision in the case journal. Nothing changes on the host."},
	{ID: StepClean, Question: "4. Is it gone?", Title: "Clean", Command: "clean",
		For:     "Remove what the attacker left (kept in quarantine, undoable) and restore changed package files from verified packages.",
		Does:    "Shows the plan first; nothing changes until you answer yes.",
		Changes: "Only after your yes: the files and entries in the plan are moved to quarantine or restored."},
	{ID: StepRotate, Question: "4. Is it gone? Every password and key", Title: "Rotate credentials", Command: "rotate",
		For:     "Every credential the server holds may be the intruder's now: account passwords, SSH keys, database passwords, application secrets, cloud tokens. Rotate them all at once, and prove the old ones dead.",
		Does:    "Lists every credential (never printing one) with how it is rotated. With your yes it rotates what it can on the host; new secrets are written only encrypted to your key.",
		Changes: "Only after your yes: passwords, keys and secrets in the plan are replaced."},
	{ID: StepHarden, Question: "4. Is the hole closed?", Title: "Close the hole and harden", Command: "harden",
		For:     "Close the hole they came through, and the usual ones, so the same attack does not work twice.",
		Does:    "Proposes a short set of changes (first those that close the named hole), each with how it is checked and undone. Nothing changes until you answer yes.",
		Changes: "Only after your yes: the configuration changes in the plan (sshd changes roll back by themselves unless confirmed)."},
	{ID: StepVerify, Question: "4. Is it gone? The gate", Title: "Verify before going back online", Command: "verify",
		For:  "The gate before lifting containment: a fresh check is clean, every credential is rotated, the hole is closed.",
		Does: "Checks the host and the case, and says what still blocks the return to service."},
	{ID: StepLift, Question: "Back online", Title: "Lift containment", Command: "contain",
		For:     "Put back what containment took offline, once verify lets you.",
		Does:    "Undoes the containment actions in force, newest first, as planned first.",
		Changes: "Only after your yes: the containment actions are reversed."},
	{ID: StepReport, Question: "5. What do I tell my provider and my customers?", Title: "Report", Command: "report",
		For:  "An incident report for people, indicators for machines, and notification letters with their deadlines.",
		Does: "Writes the report from the case folder alone. Nothing on the host is read or changed."},
}

// StepByID returns the step with that id (nil if none).
func StepByID(id string) *Step {
	for i := range Steps {
		if Steps[i].ID == id {
			return &Steps[i]
		}
	}
	return nil
}

// Statuses a step can have.
const (
	ToDo     = "to do"
	Done     = "done"
	Skipped  = "skipped"
	NotNeed  = "not needed"
	Unbuilt  = "not built yet"
	Waiting  = "waiting"
	Blocked  = "blocked"
	NoBase   = "no baseline"
	Decision = "decided"
	Later    = "after check"
)

// State is where the case stands, read from the case folder alone.
type State struct {
	Case    string
	Entries []casedir.Entry
	// Problems are what could not be read (a damaged journal, an unreadable result): shown,
	// never hidden.
	Problems []string

	Check       *check.Report
	CheckTime   time.Time
	Investigate *investigate.Report
	Loophole    *loophole.Report
	InForce     []contain.Entry // containment in force, oldest first
	Hardened    []contain.Entry // hardening in force
	Holes       []harden.HoleState
	Pending     []rotate.Item // credentials still to rotate
	Rotated     bool          // a rotation result exists in the case

	ran      map[string]casedir.Entry // the latest finished run of each command
	skipped  map[string]bool
	decision string // rebuild or clean
}

// journal entries the guide writes itself
const (
	guideCommand   = "guide"
	outcomeSkipped = "skipped"
	outcomeDecided = "decided"
)

// Load reads the case's state. A case that does not exist yet is an empty state.
func Load(caseDir string) *State {
	st := &State{Case: caseDir, ran: map[string]casedir.Entry{}, skipped: map[string]bool{}}
	if caseDir == "" {
		return st
	}
	if _, err := os.Stat(caseDir); err != nil {
		return st
	}
	c := &casedir.Case{Dir: caseDir}
	es, err := c.Entries()
	if err != nil {
		st.Problems = append(st.Problems, err.Error())
	}
	st.Entries = es
	for _, e := range es {
		if e.Command == guideCommand {
			step := e.Facts["step"]
			switch e.Outcome {
			case outcomeSkipped:
				st.skipped[step] = true
			case outcomeDecided:
				if step == StepDecide {
					st.decision = e.Facts["decision"]
				}
			}
			continue
		}
		if e.Outcome == "failed" || e.Outcome == "refused" {
			continue
		}
		st.ran[e.Command] = e
	}
	var rep check.Report
	if p, err := c.LatestResult("check", &rep); err == nil {
		st.Check = &rep
		if fi, err := os.Stat(p); err == nil {
			st.CheckTime = fi.ModTime()
		}
	} else if !errors.Is(err, casedir.ErrNoResult) {
		st.Problems = append(st.Problems, err.Error())
	}
	var inv investigate.Report
	if _, err := c.LatestResult("investigate", &inv); err == nil {
		st.Investigate = &inv
	}
	var lr loophole.Report
	if _, err := c.LatestResult("loophole", &lr); err == nil {
		st.Loophole = &lr
	}
	if _, err := os.Stat(filepath.Join(caseDir, contain.JournalName)); err == nil {
		if j, err := contain.OpenJournal(caseDir); err == nil {
			in, err := contain.InForce(j)
			if err != nil {
				st.Problems = append(st.Problems, err.Error())
			}
			st.InForce = in
		}
	}
	if j, err := harden.OpenJournal(caseDir); err == nil {
		if in, err := contain.InForce(j); err == nil {
			st.Hardened = in
		}
		if st.Loophole != nil {
			if hs, err := harden.Status(st.Loophole, j); err == nil {
				st.Holes = hs
			}
		}
	}
	if list, _ := c.Results("rotate"); len(list) > 0 {
		st.Rotated = true
		p, err := rotate.Pending(caseDir)
		if err != nil {
			st.Problems = append(st.Problems, err.Error())
		}
		st.Pending = p
	}
	return st
}

// Verdict is check's verdict ("" before check ran).
func (s *State) Verdict() finding.Verdict {
	if s.Check == nil {
		return ""
	}
	return s.Check.Verdict
}

func (s *State) attacked() bool {
	v := s.Verdict()
	return v == finding.Compromised || v == finding.Suspicious
}

// Unexplained are check's findings nobody accounts for, most severe first.
func (s *State) Unexplained() []finding.Finding {
	if s.Check == nil {
		return nil
	}
	var out []finding.Finding
	for _, f := range s.Check.Findings {
		if !f.Explained && f.Severity > finding.Info {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity > out[j].Severity
		}
		return out[i].Strong && !out[j].Strong
	})
	return out
}

// rootRules are findings only someone with root could have caused.
var rootRules = map[string]bool{
	"accounts.uid0": true, "persistence.ld-preload": true, "kernel.module": true, "kernel.hidden-module": true,
	"persistence.pam": true, "persistence.sudoers": true, "live.hidden-process": true,
}

// rootOnly are places only root can write.
var rootOnly = catalog.Dirs("etc", "usr", "lib", "lib64", "boot", "home.root", "bin", "sbin")

// RootTaken says why the intruder must be assumed to have had root (nil: nothing shows it).
func (s *State) RootTaken() []string {
	var why []string
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] && len(why) < 5 {
			seen[w] = true
			why = append(why, w)
		}
	}
	if s.Check != nil {
		for _, ss := range s.Check.Sessions {
			if ss != nil && ss.Judgement == sessions.Hostile && !ss.Root.IsZero() {
				add(fmt.Sprintf("a hostile session (%s from %s) had a root shell", textsafe.Escape(ss.User), textsafe.Escape(ss.SourceIP)))
			}
		}
	}
	for _, f := range s.Unexplained() {
		if f.Severity < finding.High {
			continue
		}
		if rootRules[f.Rule] || strings.HasPrefix(f.Rule, "integrity.modified") {
			add(textsafe.Escape(f.Title))
			continue
		}
		for _, p := range rootOnly {
			if strings.HasPrefix(f.Path, strings.TrimSuffix(p, "/")+"/") {
				add(textsafe.Escape(f.Title))
				break
			}
		}
	}
	return why
}

// Decision is the rebuild-or-clean decision recorded in the journal ("" if none).
func (s *State) Decision() string { return s.decision }

// Ran says whether a command has a finished run in the journal (not failed, not refused).
func (s *State) Ran(cmd string) bool { _, ok := s.ran[cmd]; return ok }

// LastRun is the latest finished run of a command.
func (s *State) LastRun(cmd string) (casedir.Entry, bool) { e, ok := s.ran[cmd]; return e, ok }

// Waiting are the isolations and sshd changes that roll back by themselves unless confirmed.
func (s *State) Waiting() []contain.Entry {
	var out []contain.Entry
	for _, list := range [][]contain.Entry{s.InForce, s.Hardened} {
		for _, e := range list {
			if e.Expires != "" && e.Phase != contain.PhaseConfirmed && e.Phase != contain.PhaseIntent {
				out = append(out, e)
			}
		}
	}
	return out
}

// VerifyPassed says whether the gate let the host back online.
func (s *State) VerifyPassed() bool {
	e, ok := s.ran["verify"]
	if !ok {
		return false
	}
	switch e.Outcome {
	case "passed", "ok", "clean", "open":
		return true
	}
	return false
}

// Status is a step's status in this case, with a short detail for people.
func (s *State) Status(cfg *Config, id string) (status, detail string) {
	st := StepByID(id)
	if st != nil && st.Command != "" && !cfg.built(st.Command) {
		return Unbuilt, "comes in a later version of nowwhat"
	}
	if s.skipped[id] {
		return Skipped, "you chose to skip it"
	}
	rebuild := s.decision == "rebuild"
	switch id {
	case StepCheck:
		if s.Check == nil {
			return ToDo, ""
		}
		return Done, fmt.Sprintf("%s: %d findings nobody accounts for", strings.ToUpper(string(s.Check.Verdict)), len(s.Unexplained()))
	case StepContain:
		if len(s.InForce) > 0 {
			return Done, fmt.Sprintf("%d actions in force", len(s.InForce))
		}
		if s.Check != nil && !s.attacked() {
			return NotNeed, "check found no attack"
		}
		return ToDo, ""
	case StepCollect:
		if s.Ran("collect") {
			return Done, ""
		}
		return ToDo, ""
	case StepDiff:
		if s.Ran("diff") {
			return Done, ""
		}
		if cfg.Baseline == "" {
			return NoBase, "no baseline given (--baseline)"
		}
		return ToDo, ""
	case StepInvestigate:
		if s.Investigate != nil {
			return Done, "way in: " + orNone(s.Investigate.Entry.Vector)
		}
		return ToDo, ""
	case StepLoophole:
		if s.Loophole != nil {
			return Done, fmt.Sprintf("%d holes named", len(s.Loophole.Holes))
		}
		return ToDo, ""
	case StepDecide:
		if s.decision != "" {
			return Decision, s.decision
		}
		if s.Check == nil {
			return Later, "check tells whether root was taken"
		}
		if len(s.RootTaken()) == 0 {
			return NotNeed, "nothing shows the intruder had root"
		}
		return ToDo, ""
	case StepClean:
		if rebuild {
			return NotNeed, "you decided to rebuild"
		}
		if e, ok := s.ran["clean"]; ok && e.Outcome == "applied" {
			return Done, ""
		}
		if s.Check != nil && !s.attacked() {
			return NotNeed, "check found no attack"
		}
		return ToDo, ""
	case StepRotate:
		if s.Rotated && len(s.Pending) == 0 {
			return Done, "every credential dealt with"
		}
		if s.Rotated {
			return Waiting, fmt.Sprintf("rotation is waiting for %s", pendingText(s.Pending))
		}
		if s.Check != nil && !s.attacked() {
			return NotNeed, "check found no attack"
		}
		return ToDo, ""
	case StepHarden:
		open := 0
		for _, h := range s.Holes {
			if !h.Closed {
				open++
			}
		}
		if s.Loophole != nil && open == 0 && (len(s.Holes) > 0 || len(s.Hardened) > 0) {
			return Done, "every named hole is closed"
		}
		if open > 0 {
			return ToDo, fmt.Sprintf("%d holes still open", open)
		}
		if s.Check != nil && !s.attacked() {
			return NotNeed, "check found no attack"
		}
		return ToDo, ""
	case StepVerify:
		if s.VerifyPassed() {
			return Done, "the gate is open"
		}
		if rebuild {
			return NotNeed, "you decided to rebuild: verify the new server instead"
		}
		if s.Check != nil && !s.attacked() {
			return NotNeed, "check found no attack"
		}
		return ToDo, ""
	case StepLift:
		if len(s.InForce) == 0 {
			if s.Ran("undo") {
				return Done, ""
			}
			return NotNeed, "no containment in force"
		}
		if !s.VerifyPassed() {
			return Blocked, "verify has not passed yet"
		}
		return ToDo, ""
	case StepReport:
		if s.Ran("report") {
			return Done, ""
		}
		return ToDo, ""
	}
	return ToDo, ""
}

func orNone(s string) string {
	if s == "" {
		return "not found"
	}
	return textsafe.Escape(s)
}

// pendingText says what rotation waits for: "2 cloud keys and 1 password".
func pendingText(items []rotate.Item) string {
	n := map[string]int{}
	var kinds []string
	for _, it := range items {
		k := it.Kind
		if n[k] == 0 {
			kinds = append(kinds, k)
		}
		n[k]++
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], plural(textsafe.Escape(strings.ReplaceAll(k, "-", " ")), n[k])))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	if len(parts) > 3 {
		parts = append(parts[:3], "more")
	}
	return strings.Join(parts, ", ")
}

func plural(s string, n int) string {
	if n == 1 || strings.HasSuffix(s, "s") {
		return s
	}
	return s + "s"
}

// Next is the step the case calls for, with the reason in plain words; StepDone when the walk
// is over.
func (s *State) Next(cfg *Config) (id, reason string) {
	for _, st := range Steps {
		status, detail := s.Status(cfg, st.ID)
		if status != ToDo && status != Waiting {
			continue
		}
		return st.ID, s.reason(cfg, st.ID, detail)
	}
	if s.Check != nil && !s.attacked() {
		return StepDone, "check found nothing that calls for a response; keep the case folder, and run check again if something else looks wrong"
	}
	return StepDone, "every step is done or skipped: the case folder holds the whole story"
}

func (s *State) reason(cfg *Config, id, detail string) string {
	switch id {
	case StepCheck:
		return "start here: check tells whether someone is in and whether it is really an attack, and changes nothing"
	case StepContain:
		return fmt.Sprintf("the verdict is %s and nothing is contained yet: cut the intruder off before collecting and rotating", strings.ToUpper(string(s.Verdict())))
	case StepCollect:
		return "collect evidence before cleaning: cleaning destroys what the attacker left"
	case StepDiff:
		return "a baseline was given: see everything that changed since it"
	case StepInvestigate:
		return "find how they got in: until the hole is known, it stays open"
	case StepLoophole:
		return "name the hole the way in went through, so it can be closed"
	case StepDecide:
		return "root was taken (" + strings.Join(s.RootTaken(), "; ") + "): decide between rebuilding and cleaning"
	case StepClean:
		return "remove what the attacker left, now that the evidence is kept"
	case StepRotate:
		if detail != "" {
			return detail
		}
		return "every credential the server holds may be the intruder's: rotate them all at once"
	case StepHarden:
		if detail != "" {
			return detail + ": close them so the same attack does not work twice"
		}
		return "close the hole they came through, and the usual ones"
	case StepVerify:
		return "the gate: a fresh check, every credential rotated and the hole closed before lifting containment"
	case StepLift:
		return "verify passed: put back what containment took offline"
	case StepReport:
		return "tell your provider and your customers: the report, indicators and notification letters"
	}
	return ""
}

// Record writes one of the guide's own decisions into the case journal (a skipped step, the
// rebuild-or-clean decision), so a later guide, and the report, know it.
func Record(caseDir, step, outcome string, facts map[string]string, detail string) error {
	c, err := casedir.Open(caseDir)
	if err != nil {
		return err
	}
	f := map[string]string{"step": step}
	for k, v := range facts {
		f[k] = v
	}
	return c.Append(casedir.Entry{Command: guideCommand, Args: os.Args[1:], Outcome: outcome, Detail: detail, Facts: f})
}

// Skip records that the operator skipped a step.
func Skip(caseDir, step string) error {
	return Record(caseDir, step, outcomeSkipped, nil, "skipped "+step)
}

// Decide records the rebuild-or-clean decision.
func Decide(caseDir, decision string) error {
	return Record(caseDir, StepDecide, outcomeDecided, map[string]string{"decision": decision}, decision)
}

// NotRootText says what cannot be seen without root.
const NotRootText = "You are not root: nowwhat cannot read /etc/shadow, other users' home folders, crontabs and " +
	"root-only logs, nor other users' processes and their network connections. Whatever it cannot read is " +
	"reported as not covered, and the verdict can only be INCOMPLETE. Run it with sudo."

// NoBaselineText says what checking without a baseline costs.
const NoBaselineText = "No baseline: check judges the host by what intruders usually leave and by its logs, but " +
	"without a known-good snapshot from before it cannot show every change (a configuration edited, a program " +
	"replaced that no package owns). Check without one now; afterwards, keep one: nowwhat baseline."

// SSHText explains the rollback timer to an operator connected over SSH.
const SSHText = "You are connected over SSH. Cutting the network keeps your own session and your address, " +
	"and rolls back by itself after 5 minutes unless you confirm: open a new terminal, check that you can still " +
	"log in, then confirm. A mistake never locks you out for good."

// CaseAdvice says where to keep the case folder, with the USB disks that are mounted.
func CaseAdvice(root string) (suggest string, lines []string) {
	disks := RemovableMounts()
	if len(disks) > 0 {
		host, _ := os.Hostname()
		if host == "" {
			host = "host"
		}
		suggest = filepath.Join(disks[0], "nowwhat-case-"+host)
		lines = append(lines, "Mounted disks that are not this server's own: "+textsafe.Escape(strings.Join(disks, ", ")))
		return suggest, lines
	}
	suggest = "/root/nowwhat-case"
	if w := casedir.Placement(suggest, root); w != "" {
		lines = append(lines, textsafe.Escape(w))
	}
	lines = append(lines, "No USB disk is mounted: plug one in and mount it (for example: mount /dev/sdb1 /mnt), then give /mnt/nowwhat-case.")
	return suggest, lines
}

// RemovableMounts lists mount points under /media, /run/media and /mnt (USB disks and shares).
func RemovableMounts() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if !writableDisk(f) {
			continue
		}
		for _, p := range []string{"/media/", "/run/media/", "/mnt/", "/mnt"} {
			if mp == p || strings.HasPrefix(mp, p) && strings.HasSuffix(p, "/") {
				out = append(out, mp)
				break
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// writableDisk says whether a mountinfo line is a writable disk or network share (not a
// read-only, memory or pseudo file system).
func writableDisk(f []string) bool {
	if len(f) < 6 || f[5] == "ro" || strings.HasPrefix(f[5], "ro,") {
		return false
	}
	sep := slices.Index(f, "-")
	if sep < 0 || sep+2 >= len(f) {
		return false
	}
	fstype, source := f[sep+1], f[sep+2]
	switch fstype {
	case "nfs", "nfs4", "cifs", "smb3", "fuse.sshfs":
		return true
	}
	return strings.HasPrefix(source, "/dev/")
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}
