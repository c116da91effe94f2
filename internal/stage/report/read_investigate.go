package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

func init() { register(50, "investigate", readInvestigate) }

// readInvestigate: the way in, the findings from the logs, the intrusion's rows of the timeline
// and the indicators come from investigate's newest saved result.
func readInvestigate(b *builder) {
	es := b.noteRuns("investigate")
	for _, e := range es {
		b.entryEvent(e, PhaseDetection, "investigate: "+firstNonEmpty(e.Detail, e.Outcome))
	}
	var rep investigate.Report
	res, ok := b.latest("investigate", &rep)
	if !ok {
		b.missing("investigate", "the way in, what the intruder did after and the timeline of the intrusion are not established; "+
			"run nowwhat investigate with --case (on the host, or on the evidence archive with --evidence)")
		return
	}
	src := res.rel
	sec := &StepSection{Step: "investigate", Summary: strings.Join(rep.Narrative, " "), Items: []Statement{}, Source: Ref{File: src}}
	b.step("investigate").Section = sec
	for _, f := range rep.Findings {
		if f.Severity < finding.Low && !f.Strong && !strings.HasPrefix(f.Rule, "entry.") {
			continue
		}
		b.addFinding(f, src)
	}
	e := rep.Entry
	b.r.Entry = Entry{Known: true, Vector: firstNonEmpty(e.Vector, "unknown"), Confidence: firstNonEmpty(e.Confidence, "none"), Time: e.Time.UTC(),
		Addresses: uniq(e.SourceIPs), Accounts: uniq(e.Users), Summary: e.Summary, Evidence: nonNil(e.Evidence)}
	if e.Time.IsZero() {
		b.r.Entry.Time = e.Time
	}
	var refs []Ref
	for _, f := range b.r.Findings {
		if strings.HasPrefix(f.Rule, "entry.") && (len(e.SourceIPs) == 0 || contains(e.SourceIPs, f.Address)) {
			refs = append(refs, Ref{Finding: f.ID})
		}
	}
	b.r.Entry.Refs = append(refs, Ref{File: src})
	// The intrusion's rows: those investigate marked malicious, and those from the attacker's
	// addresses; runs of the same event are folded into one row.
	attacker := map[string]bool{}
	for _, ip := range rep.IOCs.IPs {
		attacker[ip] = true
	}
	for _, ip := range e.SourceIPs {
		attacker[ip] = true
	}
	var prev *Event
	var prevKey string
	var prevLast time.Time
	count, added, left := 0, 0, 0
	flush := func() {
		if prev != nil && count > 1 {
			prev.What += fmt.Sprintf(" (and %d more like it until %s)", count-1, stamp(prevLast))
		}
	}
	for _, row := range rep.Timeline {
		if !row.Malicious && !attacker[firstIP(row.IP)] {
			continue
		}
		key := row.Source + "\x00" + row.Event + "\x00" + row.IP + "\x00" + row.User
		if prev != nil && key == prevKey && !row.Malicious {
			count++
			prevLast = row.Time.UTC()
			continue
		}
		flush()
		if added >= b.opt.TimelineRows {
			left++
			prev = nil
			continue
		}
		what := row.Event
		if row.Detail != "" {
			what += ": " + row.Detail
		}
		ev := Event{Time: row.Time.UTC(), Phase: PhaseHostile, Source: row.Source, What: what}
		if id := b.findingFor(row.Event, row.Path, row.User, row.Time); id != "" {
			ev.Refs = []Ref{{Finding: id}}
			for _, f := range b.r.Findings {
				if f.ID == id {
					ev.Attack = f.Attack
				}
			}
		} else if row.Event == "entry-point" && len(refs) > 0 {
			ev.Refs = refs
		}
		ev.Refs = append(ev.Refs, Ref{File: src})
		b.r.Timeline = append(b.r.Timeline, ev)
		added++
		prev, prevKey, count, prevLast = &b.r.Timeline[len(b.r.Timeline)-1], key, 1, row.Time.UTC()
	}
	flush()
	b.r.TimelineLeftOut = left + rep.Dropped
	for _, p := range rep.Problems {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: src}}, "investigate could not read: %s", p))
	}
	if rep.Dropped > 0 {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: src}}, "investigate left %d timeline rows out of its result (far from the intrusion)", rep.Dropped))
	}
	b.invIOCs = &rep.IOCs
	b.invSrc = src
	b.invFirst, b.invLast = rep.First.UTC(), rep.Last.UTC()
	if rep.First.IsZero() {
		b.invFirst = rep.First
	}
	if rep.Last.IsZero() {
		b.invLast = rep.Last
	}
	if len(rep.Sources) > 0 {
		sec.Items = append(sec.Items, say([]Ref{{File: src}}, "Logs read: %s.", strings.Join(rep.Sources, ", ")))
	}
}

func firstIP(s string) string {
	ip, _, _ := strings.Cut(s, ",")
	return ip
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
