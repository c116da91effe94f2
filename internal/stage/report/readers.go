package report

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
)

// A reader turns one step's records in the case (its journal entries, its saved result, its own
// journal) into the report's facts. Each step has its reader in a file of its own (read_*.go)
// that registers it, so adding a step's section to the report is one file.
type reader struct {
	order int // place in the response: readers run in this order
	name  string
	read  func(b *builder)
}

var readers []reader

// register adds a step's reader.
func register(order int, name string, read func(b *builder)) {
	readers = append(readers, reader{order, name, read})
	sort.SliceStable(readers, func(i, j int) bool { return readers[i].order < readers[j].order })
}

// addFinding adds a finding of check or investigate, once: the same finding from both gets one
// id (the first), and the copy read last wins for its fields.
func (b *builder) addFinding(f finding.Finding, src string) string {
	if b.findingIDs == nil {
		b.findingIDs = map[string]string{}
	}
	key := f.Key()
	subject := f.Path
	if subject == "" && f.User != "" {
		subject = "user " + f.User
	}
	if subject == "" && f.PID != 0 {
		subject = "pid " + itoa(f.PID)
	}
	if subject == "" && f.SourceIP != "" {
		subject = "from " + f.SourceIP
	}
	rf := Finding{Rule: f.Rule, Severity: f.Severity.String(), Title: f.Title, Subject: subject, Path: f.Path, User: f.User,
		Address: f.SourceIP, Time: parseTime(f.Time), Attack: nonNil(f.Attack), Evidence: nonNil(f.Evidence), Strong: f.Strong,
		Explained: f.Explained, Explanation: f.Explanation, Action: f.Action}
	if id, ok := b.findingIDs[key]; ok {
		for i := range b.r.Findings {
			if b.r.Findings[i].ID == id {
				rf.ID, rf.Source = id, b.r.Findings[i].Source
				b.r.Findings[i] = rf
			}
		}
		return id
	}
	id := "F" + itoa(int64(len(b.r.Findings)+1))
	b.findingIDs[key] = id
	rf.ID, rf.Source = id, Ref{File: src, Finding: id}
	b.r.Findings = append(b.r.Findings, rf)
	return id
}

// findingFor finds the report's id of a finding by rule and subject ("" when none matches).
func (b *builder) findingFor(rule, path, user string, at time.Time) string {
	for _, f := range b.r.Findings {
		if f.Rule == rule && (path == "" || f.Path == path) && (user == "" || f.User == user) && (at.IsZero() || f.Time.IsZero() || f.Time.Equal(at)) {
			return f.ID
		}
	}
	return ""
}

// entryEvent puts a step's journal entry on the timeline.
func (b *builder) entryEvent(e casedir.Entry, phase, what string) {
	b.r.Timeline = append(b.r.Timeline, Event{Time: e.Time.UTC(), Phase: phase, Source: "case journal", What: what, Refs: []Ref{journalRef(e)}})
}

// action records something done during the response, from a journal entry.
func (b *builder) entryAction(e casedir.Entry, step, what string, refs ...Ref) {
	b.r.Actions = append(b.r.Actions, Action{Time: e.Time.UTC(), Operator: e.Operator, Step: step, What: what, Outcome: e.Outcome,
		Refs: append([]Ref{journalRef(e)}, refs...)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
