// Package clean removes what an intruder left on a host and restores what they changed, as a
// plan first and then, asked, journaled actions that undo can reverse: nothing is deleted (a
// removed file goes to the case's quarantine with its metadata and digest), persistence entries
// are removed at their smallest unit as the catalog of locations says (a cron line, a unit with
// its links, a key line, a PAM line, a drop-in), back-door accounts are locked, changed packaged
// files are restored from the Debian package fetched and verified in Go, and other changed
// files from the operator's backup only when the backup's bytes match the baseline.
//
// The order of the response is enforced: clean refuses while a flagged process runs, refuses to
// apply without a verified evidence archive in the case (unless the operator says why), warns
// without containment, and opens with a rebuild recommendation where root was taken or the way
// in is unknown.
package clean

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"aead.dev/minisign"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

// JournalName is clean's journal in the case folder: the containment journal's format and
// guarantees (intent fsync'd before each change, outcome after), in its own file.
const JournalName = "cleaning.jsonl"

// Journal is the case's clean journal.
func Journal(caseDir string) *contain.Journal {
	return &contain.Journal{Path: filepath.Join(caseDir, JournalName)}
}

// Options say what to clean and with what.
type Options struct {
	Root    string
	CaseDir string // the case folder: journal, quarantine, results (needed to apply)
	// Baselines and their key: the check clean starts from compares with the newest one taken
	// before the intrusion, and restores are proven against it.
	Baselines  []string
	PubKey     *minisign.PublicKey
	UnsignedOK bool
	Notes      []casedir.Note
	Trust      []casedir.Trust
	// Findings, when set, are the findings to answer (--from-findings: a check's JSON);
	// otherwise clean runs check itself.
	Findings []finding.Finding
	// RestoreFrom is the operator's backup (a mounted snapshot or an rsync copy): a file is taken
	// from it only when its bytes match the baseline's digest.
	RestoreFrom string
	// Packages: where verified .deb files come from.
	PackagesFrom string // a folder filled on a clean machine
	Keyring      string // an OpenPGP keyring file or folder ("": the Debian keys built in)
	Offline      bool   // never fetch from the network
	NoEvidence   string // the reason to apply without a verified evidence archive
	InPlace      string // the reason to clean in place where a rebuild is recommended
	Group        string // journal group of this run (undo reverses a run as a whole)
	Now          func() time.Time
	Getter       interface{} // a debrepo.Getter for tests ("": HTTP)
}

// Step kinds.
const (
	StepQuarantine = "quarantine"
	StepLines      = "remove-lines"
	StepUnit       = "remove-unit"
	StepAccount    = "lock-account"
	StepPackage    = "restore-package"
	StepBackup     = "restore-backup"
	StepBits       = "clear-bits"
	StepAck        = "record"
	StepManual     = "manual"
)

// Step states.
const (
	StatePlanned = "planned"
	StateApplied = "applied"
	StateNothing = "nothing to do"
	StateRefused = "refused"
	StateManual  = "manual"
	StateFailed  = "failed"
)

// Step is one change of the plan.
type Step struct {
	N        int      `json:"n"`
	Kind     string   `json:"kind"`
	Path     string   `json:"path,omitempty"`
	User     string   `json:"user,omitempty"`
	Answers  []string `json:"answers"` // the findings it answers: rule and subject
	Keys     []string `json:"finding_keys,omitempty"`
	Change   []string `json:"change"`
	Kept     string   `json:"kept"`
	Undo     string   `json:"undo"`
	Then     string   `json:"then,omitempty"`
	State    string   `json:"state"`
	Reason   string   `json:"reason,omitempty"`
	Diff     string   `json:"diff,omitempty"`
	ID       string   `json:"journal_id,omitempty"`
	Proof    any      `json:"proof,omitempty"`
	action   contain.Action
	findings []finding.Finding
}

// Gate is one of the rules of order, and whether it holds.
type Gate struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Blocks  bool   `json:"blocks"` // it stops --apply
	Message string `json:"message"`
}

// Result is a plan, or what was applied of it.
type Result struct {
	Command   string   `json:"command"` // plan, apply
	Root      string   `json:"root"`
	Baseline  string   `json:"baseline,omitempty"`
	Verdict   string   `json:"verdict_before"`
	Rebuild   []string `json:"rebuild_reasons,omitempty"`
	InPlace   string   `json:"in_place_reason,omitempty"`
	Evidence  string   `json:"evidence"`
	Gates     []Gate   `json:"gates"`
	Steps     []Step   `json:"steps"`
	Warnings  []string `json:"warnings,omitempty"`
	Journal   string   `json:"journal,omitempty"`
	Group     string   `json:"group,omitempty"`
	Blocked   bool     `json:"blocked"`
	Applied   int      `json:"applied"`
	Failed    int      `json:"failed"`
	Manual    int      `json:"manual"`
	Generated string   `json:"generated"`
}

// ErrBlocked is returned by an apply a gate stops.
var ErrBlocked = errors.New("clean refuses to apply")

// Run plans the cleaning and, with apply, carries it out.
func Run(ctx context.Context, opt Options, apply bool) (*Result, error) {
	if opt.Root == "" {
		opt.Root = "/"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	res := &Result{Command: "plan", Root: opt.Root, Generated: opt.Now().UTC().Format(time.RFC3339)}
	if apply {
		res.Command = "apply"
		if opt.CaseDir == "" {
			return nil, errors.New("clean keeps what it removes in the case folder's quarantine, and its journal there: give --case DIR")
		}
	}
	copt := check.Options{Root: opt.Root, Baselines: opt.Baselines, PubKey: opt.PubKey, UnsignedOK: opt.UnsignedOK, Notes: opt.Notes, Trust: opt.Trust}
	err := check.With(ctx, copt, func(cur *snapshot.Reader, rep *check.Report) error {
		res.Verdict = string(rep.Verdict)
		res.Warnings = append(res.Warnings, rep.Warnings...)
		var base *snapshot.Reader
		if rep.Baseline != nil && rep.Baseline.Used != "" {
			res.Baseline = rep.Baseline.Used
			b, _, err := seal.Open(rep.Baseline.Used, opt.PubKey, opt.UnsignedOK)
			if err != nil {
				return fmt.Errorf("baseline %s: %w", rep.Baseline.Used, err)
			}
			defer b.Close()
			base = b
		} else {
			res.Warnings = append(res.Warnings, "no baseline: clean cannot tell new files from old ones, nor prove a backup; it removes only the flagged lines and files (give --baseline FILE --pubkey KEY)")
		}
		fs := rep.Findings
		if opt.Findings != nil {
			fs = opt.Findings
		}
		env, err := contain.NewEnv(opt.Root, nil)
		if err != nil {
			return err
		}
		defer env.Close()
		if opt.CaseDir != "" {
			env.Journal = Journal(opt.CaseDir)
		}
		pl := &planner{opt: opt, env: env, cur: cur, base: base, rep: rep, res: res}
		if err := pl.load(); err != nil {
			return err
		}
		pl.plan(ctx, fs)
		pl.gates(apply)
		if !apply {
			return nil
		}
		if res.Blocked {
			return ErrBlocked
		}
		return pl.apply()
	})
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			return res, err
		}
		return nil, err
	}
	return res, nil
}

// planner holds what planning reads.
type planner struct {
	opt      Options
	env      *contain.Env
	cur      *snapshot.Reader
	base     *snapshot.Reader
	rep      *check.Report
	res      *Result
	owned    map[string]snapshot.PackageFile
	pkgs     map[string]snapshot.Package
	stepOf   map[string]*Step // by path
	resolver *resolver
}

func (pl *planner) load() error {
	pl.owned = map[string]snapshot.PackageFile{}
	pl.pkgs = map[string]snapshot.Package{}
	pl.stepOf = map[string]*Step{}
	if err := snapshot.Each(pl.cur, "manager = 'dpkg'", nil, func(p snapshot.PackageFile) error {
		pl.owned[p.Path] = p
		return nil
	}); err != nil {
		return err
	}
	return snapshot.Each(pl.cur, "manager = 'dpkg'", nil, func(p snapshot.Package) error {
		pl.pkgs[p.Name] = p
		return nil
	})
}

// ownerOf finds the package file record of a host path, through the merged-/usr aliases.
func (pl *planner) ownerOf(p string) (snapshot.PackageFile, bool) {
	for _, a := range aliases(p) {
		if o, ok := pl.owned[a]; ok {
			o.Path = a
			return o, true
		}
	}
	return snapshot.PackageFile{}, false
}

// aliases lists a path and its merged-/usr twin (/bin/x and /usr/bin/x).
func aliases(p string) []string {
	out := []string{p}
	usr := catalog.Dir("usr")
	for _, d := range catalog.Paths("bin", "sbin", "lib", "lib32", "lib64", "libx32") {
		if strings.HasPrefix(p, d) {
			out = append(out, usr+p)
		}
		if strings.HasPrefix(p, usr+d) {
			out = append(out, strings.TrimPrefix(p, usr))
		}
	}
	return out
}

func (pl *planner) baseFile(p string) (snapshot.File, bool) {
	if pl.base == nil {
		return snapshot.File{}, false
	}
	fs, err := snapshot.All[snapshot.File](pl.base, "path = ?", p)
	if err != nil || len(fs) == 0 {
		return snapshot.File{}, false
	}
	return fs[0], true
}

func (pl *planner) baseText(p string) (string, bool) {
	if pl.base == nil {
		return "", false
	}
	cs, err := snapshot.All[snapshot.Content](pl.base, "path = ?", p)
	if err != nil || len(cs) == 0 {
		return "", false
	}
	return cs[0].Text, true
}

// baselineCovers reports whether the baseline recorded the folder p's content (so absence from it
// means the entry is new).
func (pl *planner) inBaselineScope(p string) bool {
	if pl.base == nil {
		return false
	}
	_, ok := pl.baseFile(path.Dir(p))
	return ok
}

// Rules whose findings tell what happened rather than what is on the host now: no clean step
// can remove them; the operator records that they saw them.
var historyRules = []string{"ssh.", "login.", "entry.", "session.", "web.", "tamper.log-", "tamper.login-records", "tamper.lastlog-wtmp", "tamper.log-gap"}

// History reports whether a rule tells what happened (logs) rather than what is on the host.
func History(rule string) bool {
	for _, p := range historyRules {
		if strings.HasPrefix(rule, p) {
			return true
		}
	}
	return false
}

// Actionable reports whether clean answers a finding: not explained, and above low (a finding
// below may still be swept by a step on its path).
func Actionable(f finding.Finding) bool {
	return !f.Explained && f.Severity >= finding.Medium
}

// Subject names what a finding is about: its rule and its path, account or process.
func Subject(f finding.Finding) string {
	switch {
	case f.Path != "":
		return f.Rule + " " + f.Path
	case f.User != "":
		return f.Rule + " user " + f.User
	case f.PID > 0:
		return fmt.Sprintf("%s pid %d", f.Rule, f.PID)
	}
	return f.Rule + " " + finding.Clip(f.Title, 100)
}

func (pl *planner) add(s *Step) *Step {
	s.N = len(pl.res.Steps) + 1
	if s.State == "" {
		s.State = StatePlanned
	}
	pl.res.Steps = append(pl.res.Steps, *s)
	return &pl.res.Steps[len(pl.res.Steps)-1]
}

func (s *Step) answer(f finding.Finding) {
	sub := Subject(f)
	for _, a := range s.Answers {
		if a == sub {
			return
		}
	}
	s.Answers = append(s.Answers, sub)
	s.Keys = append(s.Keys, f.Key())
	s.findings = append(s.findings, f)
}

// plan turns the findings into steps.
func (pl *planner) plan(ctx context.Context, fs []finding.Finding) {
	var accounts = map[string][]finding.Finding{}
	var acctOrder []string
	byPath := map[string][]finding.Finding{}
	var pathOrder []string
	for _, f := range fs {
		if !Actionable(f) {
			continue
		}
		switch {
		case History(f.Rule):
			s := pl.add(&Step{Kind: StepAck, Path: f.Path, User: f.User, Change: []string{"nothing on the host: " + finding.Clip(f.Title, 200)},
				Kept: "the finding, in the case's results and the report", Undo: "the record is withdrawn",
				action: Acknowledge{Key: f.Key(), Title: f.Title}})
			s.answer(f)
		case strings.HasPrefix(f.Rule, "accounts."):
			if f.User != "" {
				if _, ok := accounts[f.User]; !ok {
					acctOrder = append(acctOrder, f.User)
				}
				accounts[f.User] = append(accounts[f.User], f)
			}
		case f.Rule == "kernel.module-loaded":
			s := pl.add(&Step{Kind: StepManual, State: StateManual, Path: f.Path,
				Change: []string{"a loaded module stays in memory until the host reboots: remove its autoload and file (the steps below), then reboot"},
				Reason: "nowwhat does not unload modules (that runs code in the kernel)"})
			s.answer(f)
		case f.Rule == "package.outside-session":
			pkg := pkgOf(f)
			s := pl.add(&Step{Kind: StepManual, State: StateManual, Path: f.Path,
				Change: []string{"purge the package the intruder installed: apt-get purge " + pkg},
				Reason: "nowwhat never runs the host's package manager; its files are Debian's own, so removing them by hand would leave dpkg's database wrong"})
			s.answer(f)
		case f.Path != "" && f.Rule != "baseline.change" || f.Rule == "baseline.change" && f.Path != "":
			p := hostfs.Clean(f.Path)
			if _, ok := byPath[p]; !ok {
				pathOrder = append(pathOrder, p)
			}
			byPath[p] = append(byPath[p], f)
		case f.PID > 0:
			// A running process without a file: the gate stops apply while it runs.
		default:
			if sameAs := pl.coveredElsewhere(f, fs); sameAs != "" {
				continue
			}
			s := pl.add(&Step{Kind: StepManual, State: StateManual, Change: []string{finding.Clip(f.Title, 200)},
				Reason: "no file to act on: " + f.Action})
			s.answer(f)
		}
	}
	for _, p := range pathOrder {
		pl.planPath(ctx, p, byPath[p])
		if catalog.Get("ld.preload").Covers(p) {
			pl.planPreloaded(p, byPath[p])
		}
	}
	for _, u := range acctOrder {
		pl.planAccount(u, accounts[u])
	}
	// Findings without a path that a step on a file answers (an sshd option added: the step on
	// sshd_config).
	for _, f := range fs {
		if Actionable(f) && f.Path == "" && f.User == "" && f.PID == 0 && !History(f.Rule) {
			if p := pl.coveredElsewhere(f, fs); p != "" {
				if s := pl.stepOf[p]; s != nil {
					s.answer(f)
				}
			}
		}
	}
}

// coveredElsewhere finds the file a path-less finding is about (an sshd option: the file its
// evidence names).
func (pl *planner) coveredElsewhere(f finding.Finding, fs []finding.Finding) string {
	if !strings.Contains(f.Title, "ssh_option") && !strings.Contains(f.Title, "sshd ") {
		return ""
	}
	for _, g := range fs {
		if g.Rule == "persistence.sshd-config" && g.Path != "" {
			return hostfs.Clean(g.Path)
		}
	}
	return ""
}

func pkgOf(f finding.Finding) string {
	for _, e := range append([]string{f.Title}, f.Evidence...) {
		if i := strings.Index(e, "package "); i >= 0 {
			if w := strings.Fields(e[i+8:]); len(w) > 0 {
				return strings.Trim(w[0], ",:;()")
			}
		}
	}
	return "PACKAGE"
}

var lineRef = regexp.MustCompile(`(?:^|\s)(/\S+) line (\d+)[:,]?`)

// evidenceLines lists the line numbers of path the findings' evidence names.
func evidenceLines(p string, fs []finding.Finding) []int {
	seen := map[int]bool{}
	var out []int
	for _, f := range fs {
		for _, e := range f.Evidence {
			for _, m := range lineRef.FindAllStringSubmatch(e, -1) {
				if hostfs.Clean(m[1]) != p {
					continue
				}
				n, err := strconv.Atoi(m[2])
				if err == nil && n > 0 && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	sort.Ints(out)
	return out
}

func hasRule(fs []finding.Finding, prefixes ...string) bool {
	for _, f := range fs {
		for _, p := range prefixes {
			if strings.HasPrefix(f.Rule, p) {
				return true
			}
		}
	}
	return false
}

// planPath decides what to do about one host path the findings name.
func (pl *planner) planPath(ctx context.Context, p string, fs []finding.Finding) {
	if s := pl.coveringStep(p); s != nil {
		for _, f := range fs {
			s.answer(f)
		}
		return
	}
	st, err := pl.env.FS.Lstat(p)
	if hostfs.IsNotExist(err) {
		s := pl.add(&Step{Kind: StepQuarantine, Path: p, State: StateNothing, Change: []string{"already gone from the host"}})
		for _, f := range fs {
			s.answer(f)
		}
		return
	}
	if err != nil {
		pl.manual(p, fs, "cannot read it: "+err.Error(), "")
		return
	}
	if catalog.UnderKind(p, catalog.Log) {
		// A log or a history is evidence of what happened: it is never removed.
		for _, f := range fs {
			s := pl.add(&Step{Kind: StepAck, Path: p, Change: []string{"nothing on the host (a log or history is evidence, never removed): " + finding.Clip(f.Title, 200)},
				Kept: "the file as it is", Undo: "the record is withdrawn", action: Acknowledge{Key: f.Key(), Title: f.Title}})
			s.answer(f)
		}
		return
	}
	bf, inBase := pl.baseFile(p)
	isNew := pl.base != nil && !inBase && pl.inBaselineScope(p)
	if pl.base == nil {
		for _, f := range fs {
			isNew = isNew || f.New
		}
	}
	owner, owned := pl.ownerOf(p)
	loc, undo, inCatalog := catalog.UndoAt(p)
	switch {
	case hasRule(fs, "privilege.setuid", "privilege.capability") && inBase && st.IsRegular() && bf.Type == "file" && pl.sameContent(p, bf):
		pl.addStep(p, fs, &Step{Kind: StepBits, Path: p, Kept: "the file itself (only its bits change)",
			Undo: "the mode bits and capabilities are set again", action: ClearBits{Path: p, Mode: bf.Mode}})
	case owned && !owner.Conffile && st.IsRegular() && !isNew:
		pl.planPackage(ctx, p, owner, fs)
	case hasRule(fs, "integrity.digest-list-rewritten") && catalog.Get("dpkg.info").Covers(p):
		pl.planDigestList(ctx, p, fs)
	case isNew || !pl.hasBaseline() && !owned && wholeFile(fs, inCatalog, undo):
		pl.planRemoval(p, st, fs, loc, undo, inCatalog)
	case inCatalog && undo.Unit == catalog.UnitLine && st.IsRegular():
		pl.planLines(p, fs, loc, undo)
	case inCatalog && (undo.Unit == catalog.UnitFile || undo.Unit == catalog.UnitUnit || undo.Unit == catalog.UnitModule) && !inBase && !owned:
		pl.planRemoval(p, st, fs, loc, undo, inCatalog)
	default:
		pl.planBackup(p, st, bf, inBase, fs)
	}
}

func (pl *planner) hasBaseline() bool { return pl.base != nil }

// wholeFile says, without a baseline, whether the findings call for removing the file itself
// (an implant, a dropped program, a file no package installed in a start-up folder) rather than
// lines of it.
func wholeFile(fs []finding.Finding, inCatalog bool, u catalog.Undo) bool {
	if hasRule(fs, "implant.", "integrity.unowned-executable", "persistence.startup-file", "tamper.file-time", "privilege.") {
		return !inCatalog || u.Unit != catalog.UnitLine || hasRule(fs, "persistence.startup-file")
	}
	return inCatalog && u.Unit != catalog.UnitLine
}

// coveringStep is the step that already takes p away (a folder or unit quarantined whole).
func (pl *planner) coveringStep(p string) *Step {
	for i := range pl.res.Steps {
		s := &pl.res.Steps[i]
		if q, ok := s.action.(Quarantine); ok {
			for _, qp := range q.Paths {
				if p == qp || strings.HasPrefix(p, qp+"/") {
					return s
				}
			}
		}
		if s.Path == p && s.Kind != StepAck {
			return s
		}
	}
	return nil
}

func (pl *planner) sameContent(p string, bf snapshot.File) bool {
	sum, err := hashHost(pl.env, p)
	return err == nil && sum == bf.SHA256
}

func (pl *planner) addStep(p string, fs []finding.Finding, s *Step) {
	st := pl.add(s)
	for _, f := range fs {
		st.answer(f)
	}
	pl.stepOf[p] = st
}

func (pl *planner) manual(p string, fs []finding.Finding, reason, diff string) {
	pl.addStep(p, fs, &Step{Kind: StepManual, Path: p, State: StateManual, Reason: reason, Diff: diff,
		Change: []string{"nothing is changed by nowwhat: decide and act by hand"}})
}

// planRemoval quarantines a file the intruder added: the whole unit (a systemd unit with its
// links, an init script with its start links), or the topmost folder that is new since the
// baseline, or the file itself.
func (pl *planner) planRemoval(p string, st hostfs.Stat, fs []finding.Finding, loc *catalog.Location, undo catalog.Undo, inCatalog bool) {
	if !inCatalog {
		undo = catalog.DroppedUndo()
	}
	paths := []string{p}
	kind := StepQuarantine
	if undo.Unit == catalog.UnitUnit {
		paths = pl.unitFiles(p, loc)
		kind = StepUnit
	} else if pl.base != nil {
		top := p
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			if _, ok := pl.baseFile(d); ok || !pl.inBaselineScope(d) || isLocationDir(d) {
				break
			}
			top = d
		}
		paths = []string{top}
	}
	what := "the file"
	if st.Type() == "dir" || paths[0] != p {
		what = "the folder"
	}
	kept := what + ", byte for byte, in the case's quarantine with its owner, mode, capabilities, times and SHA-256"
	s := &Step{Kind: kind, Path: paths[0], Kept: kept, Undo: undo.How, Then: undo.Then,
		action: Quarantine{Paths: paths, Case: pl.opt.CaseDir}}
	if pl.opt.CaseDir == "" {
		s.action = Quarantine{Paths: paths, Case: "(case folder)"}
	}
	pl.addStep(p, fs, s)
	for _, q := range paths {
		pl.stepOf[q] = &pl.res.Steps[len(pl.res.Steps)-1]
	}
}

// isLocationDir reports whether d is itself a folder the catalog names (never taken whole).
func isLocationDir(d string) bool {
	for _, l := range catalog.All() {
		if l.Literal() && l.Dir() == d {
			return true
		}
	}
	return catalog.IsHome(d)
}

// unitFiles lists a unit's files: the unit, its drop-in folder, and every link that enables
// or aliases it in the unit folder it lives in; for an init script, its start and kill links.
func (pl *planner) unitFiles(p string, loc *catalog.Location) []string {
	name := path.Base(p)
	root := unitRoot(p, loc)
	if strings.HasPrefix(loc.ID, "rc.links") || strings.HasPrefix(loc.ID, "init.d") {
		return pl.sysvFiles(p)
	}
	// A link in a .wants folder names the unit by its own name.
	if d := path.Base(path.Dir(p)); strings.HasSuffix(d, ".wants") || strings.HasSuffix(d, ".requires") || strings.HasSuffix(d, ".upholds") {
		if t, err := pl.env.FS.Readlink(p); err == nil {
			name = path.Base(t)
		}
	}
	names := map[string]bool{name: true}
	// The service a timer, socket or path unit starts, and those that start it, go with it when
	// they are new too.
	stem := strings.TrimSuffix(name, path.Ext(name))
	for _, ext := range []string{".service", ".timer", ".socket", ".path"} {
		sib := stem + ext
		if sib == name {
			continue
		}
		sp := path.Join(root, sib)
		if _, err := pl.env.FS.Lstat(sp); err == nil {
			if _, inBase := pl.baseFile(sp); pl.base != nil && !inBase {
				names[sib] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	addp := func(x string) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	for n := range names {
		up := path.Join(root, n)
		if _, err := pl.env.FS.Lstat(up); err == nil {
			addp(up)
		}
		if _, err := pl.env.FS.Lstat(up + ".d"); err == nil {
			addp(up + ".d")
		}
	}
	for _, e := range pl.env.FS.ReadDirNames(root) {
		ep := path.Join(root, e)
		est, err := pl.env.FS.Lstat(ep)
		if err != nil {
			continue
		}
		if est.Type() == "symlink" {
			if t, err := pl.env.FS.Readlink(ep); err == nil && names[path.Base(t)] {
				addp(ep) // an alias
			}
			continue
		}
		if est.Type() != "dir" || !(strings.HasSuffix(e, ".wants") || strings.HasSuffix(e, ".requires") || strings.HasSuffix(e, ".upholds")) {
			continue
		}
		for _, l := range pl.env.FS.ReadDirNames(ep) {
			lp := path.Join(ep, l)
			t, err := pl.env.FS.Readlink(lp)
			if names[l] || err == nil && names[path.Base(t)] {
				addp(lp)
			}
		}
	}
	if len(out) == 0 {
		out = []string{p}
	}
	sort.Strings(out)
	return out
}

// unitRoot is the unit folder a unit path lives in (the location's folder, in the right home
// for a home-relative one).
func unitRoot(p string, loc *catalog.Location) string {
	if loc.InHomes() {
		rel := "/" + loc.Rel()
		if i := strings.Index(p, rel+"/"); i >= 0 {
			return p[:i+len(rel)]
		}
	}
	if loc.Literal() {
		return loc.Dir()
	}
	return path.Dir(p)
}

// sysvFiles lists an init script and its rc?.d links.
func (pl *planner) sysvFiles(p string) []string {
	name := path.Base(p)
	if strings.HasPrefix(name, "S") || strings.HasPrefix(name, "K") {
		if t, err := pl.env.FS.Readlink(p); err == nil {
			name = path.Base(t)
		}
	}
	var out []string
	for _, id := range []string{"init.d", "init.d.rhel"} {
		sp := path.Join(catalog.Dir(id), name)
		if _, err := pl.env.FS.Lstat(sp); err == nil {
			out = append(out, sp)
		}
	}
	for _, id := range []string{"rc.links", "rc.links.rhel"} {
		l := catalog.Get(id)
		parent := path.Dir(l.Dir())
		for _, d := range pl.env.FS.ReadDirNames(parent) {
			dp := path.Join(parent, d)
			if !l.Covers(dp + "/x") {
				continue
			}
			for _, e := range pl.env.FS.ReadDirNames(dp) {
				ep := path.Join(dp, e)
				if t, err := pl.env.FS.Readlink(ep); err == nil && path.Base(t) == name {
					out = append(out, ep)
				}
			}
		}
	}
	if len(out) == 0 {
		out = []string{p}
	}
	sort.Strings(out)
	return out
}

// planPreloaded quarantines the libraries a preload file names that no package installed and
// that are new since the baseline (without one: that no package installed).
func (pl *planner) planPreloaded(p string, fs []finding.Finding) {
	data, err := pl.env.FS.ReadFile(p, 1<<20)
	if err != nil {
		return
	}
	for _, w := range strings.Fields(string(data)) {
		if !strings.HasPrefix(w, "/") {
			continue
		}
		lib := hostfs.Clean(w)
		st, err := pl.env.FS.Lstat(lib)
		if err != nil || pl.coveringStep(lib) != nil {
			continue
		}
		if _, owned := pl.ownerOf(lib); owned {
			continue
		}
		if _, inBase := pl.baseFile(lib); inBase {
			continue
		}
		loc, undo, ok := catalog.UndoAt(lib)
		pl.planRemoval(lib, st, fs, loc, undo, ok)
	}
}

// planLines removes the intruder's lines of a file that also holds the host's own: the lines
// the baseline's text lacks (or, where the baseline kept no text, the lines the findings name).
func (pl *planner) planLines(p string, fs []finding.Finding, loc *catalog.Location, undo catalog.Undo) {
	data, err := pl.env.FS.ReadFile(p, 16<<20)
	if err != nil {
		pl.manual(p, fs, "cannot read it: "+err.Error(), "")
		return
	}
	cur := strings.Split(string(data), "\n")
	var hunks []Hunk
	how := ""
	if text, ok := pl.baseText(p); ok {
		if bf, ok := pl.baseFile(p); ok && bf.SHA256 != "" && sum([]byte(text)) == bf.SHA256 {
			if h, ok := lineHunks(cur, strings.Split(text, "\n")); ok {
				hunks, how = h, "the baseline's own text of the file (its SHA-256 matches the sealed record)"
			}
		}
	}
	if hunks == nil {
		for _, n := range evidenceLines(p, fs) {
			if n <= len(cur) {
				hunks = append(hunks, Hunk{Line: n, Remove: []string{cur[n-1]}})
			}
		}
		how = "the lines the findings name"
	}
	if len(hunks) == 0 {
		diff := ""
		if text, ok := pl.baseText(p); ok {
			if h, ok := lineHunks(cur, strings.Split(text, "\n")); ok && len(h) > 0 {
				diff = showDiff(p, h)
			}
		}
		pl.manual(p, fs, "no line of it can be told to be the intruder's (the baseline kept no verified text of it, and the findings name no line)", diff)
		return
	}
	pl.addStep(p, fs, &Step{Kind: StepLines, Path: p, Kept: "the removed lines, in the clean journal (the rest of the file is untouched); chosen by " + how,
		Undo: undo.How, Then: undo.Then, action: EditLines{Path: p, Hunks: hunks}})
}

// planBackup restores a changed file no package answers for from the operator's backup, when
// the backup's bytes match the baseline's digest; otherwise it shows the change and leaves the
// decision to the operator.
func (pl *planner) planBackup(p string, st hostfs.Stat, bf snapshot.File, inBase bool, fs []finding.Finding) {
	diff := ""
	if text, ok := pl.baseText(p); ok {
		if data, err := pl.env.FS.ReadFile(p, 16<<20); err == nil {
			if h, ok := lineHunks(strings.Split(string(data), "\n"), strings.Split(text, "\n")); ok && len(h) > 0 {
				diff = showDiff(p, h)
			}
		}
	}
	if !inBase || bf.SHA256 == "" {
		why := "the baseline has no digest of it"
		if pl.base == nil {
			why = "no baseline to prove a copy against"
		}
		pl.manual(p, fs, why+": nowwhat cannot tell which copy is the right one", diff)
		return
	}
	if pl.opt.RestoreFrom == "" {
		pl.manual(p, fs, fmt.Sprintf("changed since the baseline (sha256 %s there): give --restore-from DIR, a backup holding the file as it was, and clean restores it if its bytes match", bf.SHA256), diff)
		return
	}
	bp := filepath.Join(pl.opt.RestoreFrom, filepath.FromSlash(p))
	data, err := readBackup(bp)
	if err != nil {
		pl.manual(p, fs, fmt.Sprintf("no copy in the backup (%v)", err), diff)
		return
	}
	if got := sum(data); got != bf.SHA256 {
		s := &Step{Kind: StepBackup, Path: p, State: StateRefused, Diff: diff,
			Reason: fmt.Sprintf("the backup's copy %s has SHA-256 %s, but the baseline recorded %s: it is not the file as it was before the intrusion (a backup taken after it could bring the intruder back), so it is not used", bp, got, bf.SHA256),
			Change: []string{"nothing is changed: decide by hand"}}
		pl.addStep(p, fs, s)
		return
	}
	pl.addStep(p, fs, &Step{Kind: StepBackup, Path: p, Kept: "the changed file, byte for byte, in the case's quarantine",
		Undo: "the changed file comes back from the quarantine", Then: thenOf(p),
		action: Replace{Path: p, Data: data, Mode: bf.Mode, UID: int(bf.UID), GID: int(bf.GID), Mtime: time.Unix(0, bf.Mtime),
			Source: fmt.Sprintf("from the backup %s, whose SHA-256 matches the baseline's record", bp), Case: pl.opt.CaseDir}})
}

// thenOf says what must run for a change of p to take effect, from the catalog.
func thenOf(p string) string {
	if _, u, ok := catalog.UndoAt(p); ok {
		return u.Then
	}
	return ""
}

func readBackup(p string) ([]byte, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a file", p)
	}
	if st.Size() > maxQuarantine {
		return nil, fmt.Errorf("%s is too large", p)
	}
	return os.ReadFile(p)
}

// planAccount locks a back-door account.
func (pl *planner) planAccount(user string, fs []finding.Finding) {
	expire := !hasRule(fs, "accounts.system-login") // a service account keeps running its services
	a := Account{Name: user, Expire: expire}
	pl.addStep("user:"+user, fs, &Step{Kind: StepAccount, User: user,
		Kept: "the account and its files (never deleted here; its password hash stays in /etc/shadow behind the \"!\", and no copy of it is made)",
		Undo: "the \"!\" is taken off again, and the expiry and shell put back", action: a})
}

// apply carries out the planned steps, in order, each journaled.
func (pl *planner) apply() error {
	res := pl.res
	if pl.opt.Group == "" {
		pl.opt.Group = "clean-" + token()
	}
	pl.env.Group = pl.opt.Group
	res.Group = pl.opt.Group
	res.Journal = pl.env.Journal.Path
	var errs []error
	for i := range res.Steps {
		s := &res.Steps[i]
		if s.action == nil || s.State != StatePlanned {
			if s.State == StateManual || s.State == StateRefused {
				res.Manual++
			}
			continue
		}
		out, err := contain.Run(pl.env, s.action, true)
		if err != nil {
			s.State, s.Reason = StateFailed, err.Error()
			res.Failed++
			errs = append(errs, fmt.Errorf("step %d (%s %s): %w", s.N, s.Kind, s.Path+s.User, err))
			continue
		}
		if out.Plan.Noop != "" {
			s.State, s.Reason = StateNothing, out.Plan.Noop
			continue
		}
		s.State, s.ID = StateApplied, out.ID
		res.Applied++
	}
	return errors.Join(errs...)
}

// investigation reads the case's latest investigation (nil when none).
func investigation(caseDir string) *investigate.Report {
	if caseDir == "" {
		return nil
	}
	c, err := casedir.Open(caseDir)
	if err != nil {
		return nil
	}
	var r investigate.Report
	if _, err := c.LatestResult("investigate", &r); err != nil {
		return nil
	}
	return &r
}
