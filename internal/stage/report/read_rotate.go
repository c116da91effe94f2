package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/stage/rotate"
)

func init() { register(80, "rotate", readRotate) }

// readRotate: the credentials rotate found on the host, which are rotated and proven dead,
// which wait for the operator or a provider, which were waived (and why), and each change
// rotate --apply made. No secret is in rotate's result, so none can reach the report.
func readRotate(b *builder) {
	es := b.noteRuns("rotate")
	for _, e := range es {
		b.entryEvent(e, PhaseResponse, "rotate: "+firstNonEmpty(e.Outcome, "")+" "+e.Detail)
		if e.Outcome == "waived" {
			b.entryAction(e, "rotate", "waived "+e.Detail)
		}
	}
	var res rotate.Result
	latest, ok := b.latest("rotate", &res)
	if !ok {
		if len(es) == 0 {
			b.missing("rotate", "no credential is recorded as rotated: assume every password, key and token on the host is known to the intruder; run nowwhat rotate with --case")
		}
		return
	}
	// Every apply run's changes are actions (each result file keeps its own run's).
	list, _ := b.v.results("rotate")
	for _, rf := range list {
		var r rotate.Result
		if rf.path != latest.path {
			if err := readResult(rf.path, &r); err != nil || r.Command != "apply" {
				continue
			}
		} else {
			r = res
		}
		if r.Command != "apply" {
			continue
		}
		op, at := "", r.Taken.UTC()
		var refs []Ref
		if rf.entry != nil {
			op, at = rf.entry.Operator, rf.entry.Time.UTC()
			refs = append(refs, journalRef(*rf.entry))
		}
		for _, a := range r.Actions {
			outcome := "planned"
			if a.Applied {
				outcome = "applied"
			}
			if a.Error != "" {
				outcome = "failed: " + a.Error
			}
			what := a.Kind + " " + a.Target
			if len(a.What) > 0 {
				what += ": " + strings.Join(a.What, "; ")
			}
			ar := append([]Ref{}, refs...)
			if a.ID != "" {
				ar = append(ar, Ref{File: "rotation.jsonl", Action: a.ID})
			}
			ar = append(ar, Ref{File: rf.rel})
			b.r.Actions = append(b.r.Actions, Action{Time: at, Operator: op, Step: "rotate", What: what, Outcome: outcome, Refs: ar})
		}
	}
	src := Ref{File: latest.rel}
	var states []string
	for st, n := range res.Counts {
		states = append(states, fmt.Sprintf("%d %s", n, st))
	}
	sort.Strings(states)
	sec := &StepSection{Step: "rotate", Summary: fmt.Sprintf("%d credentials found on the host (%s); last run: %s", len(res.Items), strings.Join(states, ", "), res.Command),
		Items: []Statement{}, Source: src}
	open := 0
	db := map[string]bool{}
	for _, it := range res.Items {
		where := it.Path
		if it.Line > 0 {
			where += fmt.Sprintf(":%d", it.Line)
		}
		if where == "" {
			where = it.Store
		}
		s := fmt.Sprintf("%s %s (%s, owner %s) [%s]", it.Kind, firstNonEmpty(it.Name, it.ID), where, firstNonEmpty(it.Owner, "?"), it.State)
		if it.Waiver != "" {
			s += ": waived: " + it.Waiver
		}
		sec.Items = append(sec.Items, say([]Ref{src}, "%s", s))
		switch it.State {
		case rotate.StateRotated, rotate.StateKept, rotate.StateWaived, rotate.StateGone:
		default:
			open++
		}
		if it.Kind == "db-password" || it.Kind == "redis-password" {
			db[firstNonEmpty(it.App, it.Owner, it.Path)] = true
		}
	}
	b.step("rotate").Section = sec
	if open > 0 {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{src}, "%d of %d credentials are not yet proven rotated (pending, waiting for a provider, applied but unverified, or failed): see the rotate section", open, len(res.Items)))
	}
	for _, nc := range res.NotCovered {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{src}, "rotate could not cover: %s", nc))
	}
	if len(db) > 0 {
		var names []string
		for n := range db {
			names = append(names, n)
		}
		sort.Strings(names)
		b.dbCreds = say([]Ref{src}, "Database passwords were stored on the host (%s): whoever had the rights to read them could read those databases.", strings.Join(names, ", "))
	}
}
