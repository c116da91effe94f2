package check

import (
	"fmt"
	"sort"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// BaselineChoice says which baseline was used and why, and what became of the others.
type BaselineChoice struct {
	Used    string `json:"used,omitempty"`
	TakenAt string `json:"taken_at,omitempty"`
	// FirstHostile is the earliest hostile event the sessions model found (a baseline must
	// predate it to be trusted).
	FirstHostile string              `json:"first_hostile,omitempty"`
	Reason       string              `json:"reason"`
	Considered   []BaselineCandidate `json:"considered"`
}

// BaselineCandidate is one baseline that was offered.
type BaselineCandidate struct {
	Path     string `json:"path"`
	TakenAt  string `json:"taken_at,omitempty"`
	Status   string `json:"status"` // used, older, after-intrusion, not-clean, unreadable
	Detail   string `json:"detail,omitempty"`
	Verified bool   `json:"verified"`
	taken    time.Time
}

// openBaseline is a baseline opened for use.
type openBaseline struct {
	r        *snapshot.Reader
	verified *seal.Verified
	cand     *BaselineCandidate
}

// chooseBaseline verifies every baseline offered and takes the newest one taken before the
// first hostile event, whose own logs show no hostile login; a baseline taken after the
// intrusion began holds the intruder's work and is never used to explain. The model is rebuilt
// with the chosen baseline (its logins vouch for sessions), which can move the first hostile
// event earlier: then the choice is made again.
func chooseBaseline(cur *snapshot.Reader, opt Options) (*openBaseline, *sessions.Model, *BaselineChoice, []string, error) {
	var warnings []string
	mopt := sessions.Options{Trust: opt.Trust, HostileIPs: opt.HostileIPs}
	model, err := sessions.Build(cur, mopt)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	paths := opt.Baselines
	if len(paths) == 0 {
		return nil, model, nil, nil, nil
	}
	choice := &BaselineChoice{}
	var cands []*BaselineCandidate
	for _, p := range paths {
		c := &BaselineCandidate{Path: p}
		r, v, err := seal.Open(p, opt.PubKey, opt.UnsignedOK)
		if err != nil {
			if len(paths) == 1 {
				return nil, nil, nil, nil, err // the only baseline: its failure is the answer
			}
			warnings = append(warnings, fmt.Sprintf("baseline %s not used: %v", p, err))
			c.Status, c.Detail = "unreadable", err.Error()
			cands = append(cands, c)
			continue
		}
		c.Verified = v != nil
		c.TakenAt = r.Meta("taken_at")
		c.taken, _ = time.Parse(time.RFC3339, c.TakenAt)
		if a, b := r.Meta("host.machine_id"), cur.Meta("host.machine_id"); a != "" && b != "" && a != b {
			c.Status, c.Detail = "unreadable", fmt.Sprintf("of another machine (machine id %s, this one %s)", a, b)
			warnings = append(warnings, fmt.Sprintf("baseline %s not used: it is %s", p, c.Detail))
		}
		r.Close()
		cands = append(cands, c)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].taken.After(cands[j].taken) })
	var chosen *openBaseline
	for round := 0; round < 4; round++ {
		first := model.FirstHostile
		chosen = nil
		for _, c := range cands {
			if c.Status == "unreadable" {
				continue
			}
			c.Status, c.Detail = "", ""
			if !first.IsZero() && !c.taken.Before(first) {
				c.Status = "after-intrusion"
				c.Detail = fmt.Sprintf("taken %s, after the first hostile event at %s: it may hold the intruder's work", c.TakenAt, first.UTC().Format(time.RFC3339))
				continue
			}
			if chosen != nil {
				c.Status = "older"
				continue
			}
			r, v, err := seal.Open(c.Path, opt.PubKey, opt.UnsignedOK)
			if err != nil {
				c.Status, c.Detail = "unreadable", err.Error()
				continue
			}
			own, err := sessions.Build(r, sessions.Options{})
			if err != nil {
				r.Close()
				c.Status, c.Detail = "unreadable", err.Error()
				continue
			}
			if hs := own.Hostile(); len(hs) > 0 && hs[0].Attack {
				r.Close()
				c.Status = "not-clean"
				c.Detail = fmt.Sprintf("its own logs show a hostile login: %s (%s)", hs[0].Label(), first1(hs[0].Reasons))
				continue
			}
			c.Status = "used"
			chosen = &openBaseline{r: r, verified: v, cand: c}
		}
		if chosen == nil {
			break
		}
		m2, err := sessions.Build(cur, sessions.Options{Base: chosen.r, Trust: opt.Trust, HostileIPs: opt.HostileIPs})
		if err != nil {
			chosen.r.Close()
			return nil, nil, nil, nil, err
		}
		model = m2
		if model.FirstHostile.IsZero() || chosen.cand.taken.Before(model.FirstHostile) {
			break
		}
		chosen.r.Close() // the baseline's own logins moved the first hostile event before it
		chosen = nil
	}
	choice.Considered = choice.Considered[:0]
	for _, c := range cands {
		choice.Considered = append(choice.Considered, *c)
	}
	if !model.FirstHostile.IsZero() {
		choice.FirstHostile = model.FirstHostile.UTC().Format(time.RFC3339)
	}
	switch {
	case chosen != nil:
		choice.Used, choice.TakenAt = chosen.cand.Path, chosen.cand.TakenAt
		choice.Reason = "the newest verified baseline"
		if !model.FirstHostile.IsZero() {
			choice.Reason += fmt.Sprintf(" taken before the first hostile event (%s)", choice.FirstHostile)
		}
		if len(cands) > 1 {
			choice.Reason += fmt.Sprintf(", of %d offered", len(cands))
		}
	default:
		choice.Reason = "no baseline could be used: judged as if there were none"
		for _, c := range cands {
			if c.Status == "after-intrusion" {
				warnings = append(warnings, fmt.Sprintf("BASELINE NOT USED: %s was taken at %s, after the first hostile event at %s; it may hold the intruder's work, so nothing is explained by it (judged as if there were no baseline). Use one taken before.",
					c.Path, c.TakenAt, choice.FirstHostile))
			}
		}
	}
	return chosen, model, choice, warnings, nil
}

func first1(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
