package report

import (
	"path/filepath"
	"strings"

	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

func init() { register(20, "contain", readContain) }

// readContain: every containment action from the containment journal (what, when, who, and
// whether it is still in force), with the case journal's entry that ran it.
func readContain(b *builder) {
	es := b.noteRuns("contain")
	byID := map[string]int{}
	for _, e := range es {
		if id := e.Facts["containment_id"]; id != "" {
			byID[id] = e.Line
		}
		if e.Outcome == "refused" {
			b.entryEvent(e, PhaseResponse, "contain refused: "+e.Detail)
		}
	}
	for _, e := range b.v.entriesOf("maintenance") {
		b.entryAction(e, "contain", "maintenance page: "+firstNonEmpty(e.Detail, strings.Join(e.Args, " ")))
	}
	j := &contain.Journal{Path: filepath.Join(b.v.c.Dir, contain.JournalName)}
	ents, bad, err := j.Entries()
	if err != nil {
		b.r.Problems = append(b.r.Problems, err.Error())
	}
	state := &JournalState{File: contain.JournalName, Entries: len(ents), Intact: len(bad) == 0}
	if len(bad) > 0 {
		state.Problem = strings.Join(bad, "; ")
		b.r.Problems = append(b.r.Problems, bad...)
	}
	if len(ents) > 0 || len(bad) > 0 {
		b.r.Custody.Containment = state
		b.source(contain.JournalName)
	}
	for _, e := range ents {
		refs := []Ref{{File: contain.JournalName, Action: e.ID}}
		if line := byID[e.ID]; line > 0 {
			refs = append(refs, Ref{File: "journal.jsonl", Line: line})
		}
		what := e.Kind + " " + e.Target
		if len(e.What) > 0 {
			what += ": " + strings.Join(e.What, "; ")
		}
		t := parseTime(e.Time)
		outcome := e.Phase
		if e.Error != "" {
			outcome += " (" + e.Error + ")"
		}
		b.r.Actions = append(b.r.Actions, Action{Time: t, Operator: e.Operator, Step: "contain", What: what, Outcome: outcome, Refs: refs})
		b.r.Timeline = append(b.r.Timeline, Event{Time: t, Phase: PhaseResponse, Source: "containment", What: "contained: " + e.Kind + " " + e.Target, Refs: refs})
		if e.Phase == contain.PhaseUndone || e.Phase == contain.PhaseRolledBack {
			lt := parseTime(e.LastTime)
			b.r.Actions = append(b.r.Actions, Action{Time: lt, Operator: e.Operator, Step: "contain", What: e.Kind + " " + e.Target + " lifted", Outcome: e.Phase, Refs: refs})
			b.r.Timeline = append(b.r.Timeline, Event{Time: lt, Phase: PhaseRecovery, Source: "containment", What: "containment lifted: " + e.Kind + " " + e.Target + " (" + e.Phase + ")", Refs: refs})
		}
		if e.InForce() {
			b.contains++
		}
		b.containSeen = true
	}
	if !b.containSeen {
		b.missing("contain", "no containment was recorded: nothing shows that the intruder was cut off before the other steps")
	}
}
