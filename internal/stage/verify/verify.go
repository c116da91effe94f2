// Package verify is the gate before a host goes back online: a fresh check against the sealed
// baseline with nothing unexplained above low (what clean answered aside), every clean step
// applied, no flagged process running, every credential rotated or waived, and the hole that let
// the intruder in closed or waived. It lists, in plain words, what still stands in the way and
// the command that resolves each; when nothing does, it gives the exact commands that lift the
// containment (and can run them).
package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/clean"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/harden"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
	"github.com/nowwhat/nowwhat/internal/stage/rotate"
)

// Options say what to verify.
type Options struct {
	Check   check.Options // root, baselines and key (a baseline is required)
	CaseDir string
}

// Blocker is one thing between the host and going back online.
type Blocker struct {
	What string `json:"what"`
	Fix  string `json:"fix"`
}

// Result is the gate's answer.
type Result struct {
	Ready    bool          `json:"ready"`
	Verdict  string        `json:"check_verdict"`
	Baseline string        `json:"baseline,omitempty"`
	Blockers []Blocker     `json:"blockers"`
	Passed   []string      `json:"passed"`
	Lift     []string      `json:"lift_commands"` // the contain undo commands that lift the containment
	Answered []string      `json:"answered_by_clean,omitempty"`
	Report   *check.Report `json:"-"`
}

// Run runs the gate.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if len(opt.Check.Baselines) == 0 {
		return nil, fmt.Errorf("verify compares the host with its sealed baseline: give --baseline FILE --pubkey KEY")
	}
	if opt.CaseDir == "" {
		return nil, fmt.Errorf("verify reads the case (clean, rotate, harden, containment): give --case DIR")
	}
	res := &Result{}
	cs := "nowwhat --case " + opt.CaseDir + " "
	block := func(what, fix string) { res.Blockers = append(res.Blockers, Blocker{What: what, Fix: fix}) }

	// 1. A fresh check against the sealed baseline.
	rep, err := check.Run(ctx, opt.Check)
	if err != nil {
		return nil, err
	}
	res.Report = rep
	res.Verdict = string(rep.Verdict)
	if rep.Baseline != nil {
		res.Baseline = rep.Baseline.Used
	}
	if rep.Coverage.Baseline == "" || !rep.Coverage.Verified {
		block("the check did not use a verified baseline", cs+"verify --baseline FILE --pubkey KEY with the sealed baseline taken before the intrusion")
	}
	cj := clean.Journal(opt.CaseDir)
	answered := answeredByClean(cj)
	left := 0
	for _, f := range rep.Findings {
		if !clean.Actionable(f) {
			continue
		}
		if why, ok := answered.covers(f, opt.Check.Root); ok {
			res.Answered = append(res.Answered, clean.Subject(f)+": "+why)
			continue
		}
		left++
		if left <= 25 {
			block("check still finds: "+finding.Clip(f.Title, 160)+" ("+f.Severity.String()+", "+f.Rule+")", cs+"clean --baseline ... --pubkey ... (then --apply)")
		}
	}
	if left > 25 {
		block(fmt.Sprintf("... and %d more findings", left-25), cs+"clean")
	}
	if left == 0 && rep.Verdict != "incomplete" {
		res.Passed = append(res.Passed, "check against the baseline: nothing unexplained above low")
	}
	if rep.Verdict == "incomplete" {
		block("the check could not cover enough of the host ("+strings.Join(rep.Coverage.NotCovered, "; ")+")", "run verify as root on the host, or on its mounted disk")
	}

	// 2. Every clean step applied.
	es, _, err := cj.Entries()
	if err != nil {
		block("the clean journal cannot be read: "+err.Error(), "restore "+cj.Path+" from a copy of the case")
	} else {
		broken := 0
		for _, e := range es {
			if e.Phase == contain.PhaseIntent || e.Phase == contain.PhaseFailed {
				broken++
				block(fmt.Sprintf("clean step %s %s %s", e.Kind, e.Target, phaseWords(e.Phase)), cs+"clean status, then "+cs+"clean (plan again and --apply)")
			}
		}
		if c, err := casedir.Open(opt.CaseDir); err == nil {
			var cr clean.Result
			if _, err := c.LatestResult("clean", &cr); err == nil {
				for _, s := range cr.Steps {
					if (s.State == clean.StatePlanned || s.State == clean.StateFailed) && cr.Command == "apply" {
						block(fmt.Sprintf("clean step %d (%s %s) was not applied: %s", s.N, s.Kind, s.Path+s.User, s.Reason), cs+"clean --apply")
					}
				}
			}
		}
		if broken == 0 {
			res.Passed = append(res.Passed, "no clean step interrupted or failed")
		}
	}

	// 3. No flagged process runs.
	running := 0
	for _, f := range rep.Findings {
		if f.PID > 0 && !f.Explained && f.Severity >= finding.Medium {
			if _, err := os.Stat("/proc/" + strconv.FormatInt(f.PID, 10)); err == nil && (opt.Check.Root == "" || opt.Check.Root == "/") {
				running++
				block(fmt.Sprintf("process %d still runs: %s", f.PID, finding.Clip(f.Title, 120)), fmt.Sprintf("%scontain suspend %d --apply, %scollect, then %scontain kill %d --apply", cs, f.PID, cs, cs, f.PID))
			}
		}
	}
	if running == 0 {
		res.Passed = append(res.Passed, "no flagged process runs")
	}

	// 4. Every credential rotated or waived.
	pending, err := rotate.Pending(opt.CaseDir)
	switch {
	case err != nil:
		block("the credentials' rotation is unknown ("+err.Error()+")", cs+"rotate (plan), then "+cs+"rotate --apply --recipient age1...")
	case len(pending) > 0:
		for i, it := range pending {
			if i == 20 {
				block(fmt.Sprintf("... and %d more credentials", len(pending)-20), cs+"rotate status")
				break
			}
			block(fmt.Sprintf("credential not rotated: %s (%s)", it.ID, it.State), cs+"rotate --apply, or "+cs+"rotate waive "+it.ID+" \"REASON\"")
		}
	default:
		res.Passed = append(res.Passed, "every credential rotated or waived")
	}

	// 5. The hole closed or waived.
	c, err := casedir.Open(opt.CaseDir)
	if err != nil {
		return nil, err
	}
	var lr loophole.Report
	if _, err := c.LatestResult("loophole", &lr); err != nil {
		block("the hole the intruder came through is not named", cs+"investigate, then "+cs+"loophole")
	} else {
		hj, err := harden.OpenJournal(opt.CaseDir)
		if err != nil {
			return nil, err
		}
		st, err := harden.Status(&lr, hj)
		if err != nil {
			block("hardening state unknown: "+err.Error(), cs+"harden status")
		}
		open := 0
		for _, h := range st {
			if !h.Closed {
				open++
				block("the hole is open: "+h.Hole, cs+"harden --apply (its fix), or "+cs+"harden waive \""+h.Hole+"\" --reason \"REASON\"")
			}
		}
		if open == 0 && err == nil {
			res.Passed = append(res.Passed, "the hole is closed or waived")
		}
	}

	// On success: how to lift the containment.
	j, _ := contain.OpenJournal(opt.CaseDir)
	in, _ := contain.InForce(j)
	for _, e := range in {
		res.Lift = append(res.Lift, fmt.Sprintf("%scontain undo --apply   # lifts %s %s (applied %s)", cs, e.Kind, e.Target, e.Time))
	}
	res.Ready = len(res.Blockers) == 0
	return res, nil
}

func phaseWords(p string) string {
	if p == contain.PhaseIntent {
		return "was interrupted while being applied"
	}
	return "failed"
}

// answered is what the clean journal says about findings: records of what happened, and locked
// accounts.
type answered struct {
	acks     map[string]string // finding key -> journal id
	accounts map[string]string // locked account -> journal id
}

func answeredByClean(j *contain.Journal) answered {
	a := answered{acks: map[string]string{}, accounts: map[string]string{}}
	in, err := contain.InForce(j)
	if err != nil {
		return a
	}
	for _, e := range in {
		if e.Phase == contain.PhaseIntent {
			continue
		}
		switch e.Kind {
		case clean.KindAck:
			a.acks[e.Target] = e.ID
		case clean.KindAccount:
			var u clean.AccountUndo
			if json.Unmarshal(e.Undo, &u) == nil {
				a.accounts[u.Name] = e.ID
			}
		}
	}
	return a
}

// covers says whether clean answered a finding that stays visible by nature: a past event it
// recorded, or an account it locked (kept, not deleted) that is locked still.
func (a answered) covers(f finding.Finding, root string) (string, bool) {
	if id, ok := a.acks[f.Key()]; ok && clean.History(f.Rule) {
		return "recorded as what happened (" + id + ")", true
	}
	if id, ok := a.accounts[f.User]; ok && strings.HasPrefix(f.Rule, "accounts.") {
		if clean.AccountLocked(root, f.User) {
			return "the account is locked, kept for the investigation (" + id + "); delete it when it is no longer needed (userdel " + f.User + ")", true
		}
	}
	return "", false
}

// Lift runs the contain undo of every containment in force, newest first.
func Lift(caseDir, root string) ([]string, error) {
	j, err := contain.OpenJournal(caseDir)
	if err != nil {
		return nil, err
	}
	env, err := contain.NewEnv(root, j)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	in, err := contain.InForce(j)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, e := range in {
		if err := contain.Undo(env, e, ""); err != nil {
			return done, fmt.Errorf("lift %s %s: %w", e.Kind, e.Target, err)
		}
		done = append(done, e.Kind+" "+e.Target)
	}
	return done, nil
}
