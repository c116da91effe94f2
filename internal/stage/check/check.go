// Package check answers "is this server really compromised?": it takes (or reads) a snapshot,
// compares it with a trusted baseline when there is one, runs the detection rules, lets the
// package manager, administrators' sessions, change notes and the baseline explain what they
// can, and draws a verdict (clean, suspicious, compromised, incomplete) that says what it could
// not cover.
package check

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"aead.dev/minisign"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
	"github.com/nowwhat/nowwhat/internal/detect/explain"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
	"github.com/nowwhat/nowwhat/internal/probe/filescan"
)

// Options say what to check.
type Options struct {
	Root     string // host root to snapshot ("/" by default)
	Snapshot string // judge this snapshot file instead of taking one
	// Baselines offered (sealed snapshots) and their public key; the newest verified one taken
	// before the first hostile event is used. UnsignedOK accepts baselines without a signature.
	Baselines  []string
	PubKey     *minisign.PublicKey
	UnsignedOK bool
	Capture    capture.Options
	Notes      []casedir.Note
	// PackagesOnly verifies installed packages only (like debsums): every file a package
	// recorded a digest for, against that digest.
	PackagesOnly bool
	// Trust lists the addresses and keys operators vouched for (the case's nowwhat trust).
	Trust []casedir.Trust
	// HostileIPs are addresses tied to an exploit (investigate fills it): their logins are
	// hostile.
	HostileIPs map[string]string
}

// Report is the result of a check.
type Report struct {
	Verdict  finding.Verdict   `json:"verdict"`
	Summary  string            `json:"summary"`
	Findings []finding.Finding `json:"findings"`
	Coverage finding.Coverage  `json:"coverage"`
	Next     []string          `json:"next"`
	Host     map[string]string `json:"host"`
	Warnings []string          `json:"warnings,omitempty"`
	// Baseline says which baseline was used and why (with --baseline).
	Baseline *BaselineChoice `json:"baseline,omitempty"`
	// Sessions are the hostile sessions and those nothing vouches for, with their reasons.
	Sessions []*sessions.Session `json:"sessions,omitempty"`
	// Model is the judged sessions (for investigate; not serialized).
	Model *sessions.Model `json:"-"`
}

// Run performs the check.
func Run(ctx context.Context, opt Options) (*Report, error) {
	var rep *Report
	err := With(ctx, opt, func(_ *snapshot.Reader, r *Report) error {
		rep = r
		return nil
	})
	return rep, err
}

// With performs the check and hands the snapshot it judged, with the report, to fn before the
// snapshot is released (the investigation reads both).
func With(ctx context.Context, opt Options, fn func(cur *snapshot.Reader, rep *Report) error) error {
	var cur *snapshot.Reader
	var err error
	if opt.Snapshot != "" {
		cur, _, err = seal.Open(opt.Snapshot, nil, true)
	} else {
		cur, err = take(ctx, opt)
	}
	if err != nil {
		return err
	}
	defer cur.Close()
	rep, err := Judge(ctx, cur, opt)
	if err != nil {
		return err
	}
	return fn(cur, rep)
}

// Judge checks a snapshot: compares it with the baseline of opt (if any), runs the rules, lets
// what can explain findings do so, and draws the verdict.
func Judge(ctx context.Context, cur *snapshot.Reader, opt Options) (*Report, error) {
	rep := &Report{Findings: []finding.Finding{}}
	var base *snapshot.Reader
	var verified *seal.Verified
	var model *sessions.Model
	var err error
	if !opt.PackagesOnly {
		chosen, m, choice, warns, err := chooseBaseline(cur, opt)
		if err != nil {
			return nil, err
		}
		model, rep.Baseline = m, choice
		rep.Warnings = append(rep.Warnings, warns...)
		if chosen != nil {
			base, verified = chosen.r, chosen.verified
			defer base.Close()
			if verified == nil {
				rep.Warnings = append(rep.Warnings, "UNVERIFIED baseline: its signature was not checked, so an attacker could have changed it")
			}
		}
		if err := model.CollectFiles(cur); err != nil {
			return nil, err
		}
	}
	in := &rules.Input{Cur: cur, Base: base, Sessions: model}
	if opt.PackagesOnly {
		in.Only = []string{"integrity.modified-"}
	}
	if base != nil {
		res, err := diff.Compare(ctx, base, cur, diff.Options{})
		if err != nil {
			return nil, err
		}
		in.Changes = res.Changes
	}
	fs, err := rules.Analyze(ctx, in)
	if err != nil {
		return nil, err
	}
	fs, ownNote := dropOwn(cur, fs)
	var notes []explain.Note
	for _, n := range opt.Notes {
		notes = append(notes, explain.Note{Time: n.Time, Operator: n.Operator, Text: n.Text, Paths: n.Paths})
	}
	var ex *explain.Explainer
	if opt.PackagesOnly {
		ex = explain.None()
	} else {
		if ex, err = explain.New(cur, base, model, notes); err != nil {
			return nil, err
		}
		for _, s := range model.Sessions {
			if s.Judgement == sessions.Hostile || s.Judgement == sessions.Unknown && (s.Via == "ssh" || len(s.Sudo) > 0) {
				if len(rep.Sessions) < 200 {
					rep.Sessions = append(rep.Sessions, s)
				}
			}
		}
		rep.Model = model
	}
	ex.Apply(fs)
	finding.Sort(fs)
	rep.Findings = fs
	rep.Host = hostFacts(cur)
	rep.Coverage = coverage(cur, base, verified, ex)
	if ownNote != "" {
		rep.Coverage.NotCovered = append(rep.Coverage.NotCovered, ownNote)
	}
	rep.Verdict = finding.Decide(fs, rep.Coverage)
	rep.Summary = summary(rep)
	rep.Next = nextSteps(rep)
	return rep, nil
}

func take(ctx context.Context, opt Options) (*snapshot.Reader, error) {
	root := opt.Root
	if root == "" {
		root = "/"
	}
	fsys, err := hostfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	w, err := snapshot.CreateMemory()
	if err != nil {
		return nil, err
	}
	copt := opt.Capture
	copt.PackagesOnly = opt.PackagesOnly
	if copt.Stats == nil {
		copt.Stats = &filescan.Stats{}
	}
	if _, err := capture.Take(ctx, fsys, w, copt); err != nil {
		w.Abort()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.Reader("host " + root)
}

func hostFacts(r *snapshot.Reader) map[string]string {
	out := map[string]string{}
	for k, v := range r.MetaAll() {
		if strings.HasPrefix(k, "host.") && v != "" {
			out[strings.TrimPrefix(k, "host.")] = v
		}
	}
	out["taken_at"] = r.Meta("taken_at")
	return out
}

// coverage says what the check saw and what it could not.
func coverage(cur, base *snapshot.Reader, verified *seal.Verified, ex *explain.Explainer) finding.Coverage {
	c := finding.Coverage{Root: cur.Meta("root"), Live: cur.Meta("live") == "true", Privileged: cur.Meta("privileged") == "true",
		Counts: map[string]int{}, NotCovered: []string{}, Explainers: ex.Sources()}
	c.Collectors = strings.Fields(cur.Meta("collectors"))
	for k, v := range cur.MetaAll() {
		if strings.HasPrefix(k, "count.") {
			n, _ := strconv.Atoi(v)
			c.Counts[strings.TrimPrefix(k, "count.")] = n
		}
	}
	if base != nil {
		c.Baseline = base.Name()
		c.Verified = verified != nil
	} else {
		c.NotCovered = append(c.NotCovered, "no baseline: changes since a known-good state were not compared (give --baseline and --pubkey)")
	}
	if !c.Privileged {
		c.NotCovered = append(c.NotCovered, "not run as root: password states, other users' files and keys, and parts of /proc were not readable")
		c.Insufficient = true
	}
	if !c.Live {
		c.NotCovered = append(c.NotCovered, "not a live host: processes, hidden processes and network connections were not examined")
	}
	if c.Counts["packages"] == 0 {
		c.NotCovered = append(c.NotCovered, "no package database: installed files could not be verified against their packages")
		if base == nil {
			// Nothing to tell a system program from a planted one: no package digests and no
			// baseline. Quiet rules then prove nothing: the verdict is "cannot tell".
			c.Insufficient = true
		}
	}
	if c.Counts["users"] == 0 {
		c.NotCovered = append(c.NotCovered, "no accounts found (/etc/passwd missing or unreadable)")
		c.Insufficient = true
	}
	if c.Counts["files"] == 0 {
		c.NotCovered = append(c.NotCovered, "no files recorded")
		c.Insufficient = true
	}
	if c.Counts["events"] == 0 {
		c.NotCovered = append(c.NotCovered, "no package or login logs: changes could not be attributed to upgrades or administrators")
	}
	probs, _ := snapshot.All[snapshot.Problem](cur, "")
	c.Problems = len(probs)
	byCol := map[string][]string{}
	deep := 0
	for _, p := range probs {
		// A limit reached is a coverage gap of its own, never one line among many.
		if strings.Contains(p.Error, filescan.ErrTooDeep.Error()) {
			if deep++; deep <= 3 {
				c.NotCovered = append(c.NotCovered, fmt.Sprintf("%s: %s", finding.Clip(p.Path, 160), finding.Clip(p.Error, 200)))
			}
		}
	}
	if deep > 3 {
		c.NotCovered = append(c.NotCovered, fmt.Sprintf("%d more folders too deep to walk", deep-3))
	}
	for _, p := range probs {
		byCol[p.Collector] = append(byCol[p.Collector], strings.TrimSpace(p.Path+" "+p.Error))
	}
	cols := make([]string, 0, len(byCol))
	for k := range byCol {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	for _, col := range cols {
		ps := byCol[col]
		line := fmt.Sprintf("%s: %d things not read, e.g. %s", col, len(ps), finding.Clip(ps[0], 160))
		if len(ps) == 1 {
			line = fmt.Sprintf("%s: %s", col, finding.Clip(ps[0], 200))
		}
		c.NotCovered = append(c.NotCovered, line)
	}
	return c
}

func summary(r *Report) string {
	n := map[finding.Severity]int{}
	explained, strong := 0, 0
	for _, f := range r.Findings {
		if f.Explained {
			explained++
			continue
		}
		n[f.Severity]++
		if f.Strong {
			strong++
		}
	}
	host := r.Host["hostname"]
	if host == "" {
		host = "this host"
	}
	switch r.Verdict {
	case finding.Compromised:
		return fmt.Sprintf("%s is COMPROMISED: %d strong signs of an intruder, %d critical and %d high findings nobody accounts for", host, strong, n[finding.Critical], n[finding.High])
	case finding.Suspicious:
		return fmt.Sprintf("%s is SUSPICIOUS: %d high and %d medium findings nobody accounts for yet (%d explained)", host, n[finding.High], n[finding.Medium], explained)
	case finding.Incomplete:
		return fmt.Sprintf("%s: CANNOT TELL (incomplete check): nothing alarming in what could be read, but too little could be read to call it clean (%s); see what was not covered", host, strings.Join(missing(r.Coverage), "; "))
	}
	return fmt.Sprintf("%s looks CLEAN: nothing unexplained above low (%d findings explained by packages, administrators, notes or the baseline)", host, explained)
}

// missing names, shortly, why coverage is insufficient.
func missing(c finding.Coverage) []string {
	var out []string
	if !c.Privileged {
		out = append(out, "not run as root")
	}
	if c.Counts["packages"] == 0 && c.Baseline == "" {
		out = append(out, "no package database and no baseline")
	}
	if c.Counts["users"] == 0 {
		out = append(out, "no accounts")
	}
	if c.Counts["files"] == 0 {
		out = append(out, "no files")
	}
	if len(out) == 0 {
		out = append(out, "see below")
	}
	return out
}

func nextSteps(r *Report) []string {
	var out []string
	switch r.Verdict {
	case finding.Compromised:
		out = append(out,
			"Keep calm and do not reboot or clean yet: the evidence is in memory and on disk.",
			"Take only the affected part offline: nowwhat contain --from-findings proposes a plan; nowwhat contain service NAME --apply --maintenance stops a service and shows visitors a maintenance page in its place (step 2).",
			"Keep the evidence before touching anything, off this host: from your own machine, ssh HOST sudo nowwhat collect -o - --recipient AGE_PUBLIC_KEY > HOST.tar.zst.age (step 3).",
			"See everything that changed since your last good baseline: nowwhat diff --pubkey PREFIX.pub BASELINE.",
			"Change the passwords and keys of every account that used this host, from another machine.")
	case finding.Suspicious:
		out = append(out,
			"Go through the findings above with your team: each one someone can account for, record with nowwhat note \"what and why\" and run check again.",
			"Compare with a trusted baseline if you have one: nowwhat check --baseline BASELINE --pubkey PREFIX.pub.",
			"Anything nobody can account for: treat the host as compromised.")
	case finding.Incomplete:
		if !r.Coverage.Privileged {
			out = append(out, "Run again as root (sudo nowwhat check) so every file, account and process can be read.")
		}
		if r.Coverage.Counts["packages"] == 0 && r.Coverage.Baseline == "" {
			out = append(out, "Give a trusted baseline (nowwhat check --baseline BASELINE --pubkey PREFIX.pub), or check a root that holds its package database (/var/lib/dpkg, /var/lib/rpm, /lib/apk/db): without one nothing tells a system program from a planted one.")
		}
		if r.Coverage.Counts["users"] == 0 || r.Coverage.Counts["files"] == 0 {
			out = append(out, "Check that --root points at the host's whole file system (a mounted disk image, not one partition of it).")
		}
		out = append(out, "Until then, treat the host as neither clean nor compromised: keep the evidence (nowwhat collect) before changing anything.")
	default:
		out = append(out, "Take a sealed baseline now if you have none, so the next check can show every change: nowwhat snapshot -o - (from your machine) and nowwhat seal.")
	}
	return out
}
