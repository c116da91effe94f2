package report

import (
	"fmt"
	"strings"
	"time"
)

// lessons asks the lessons-learned questions of NIST SP 800-61 (in our words) and fills in
// what the case already answers; the rest is left for the team's meeting.
func (b *builder) lessons() {
	r := b.r
	add := func(q string, ans ...Statement) {
		r.Lessons = append(r.Lessons, Lesson{Question: q, Answer: append([]Statement{}, ans...), Open: len(ans) == 0})
	}
	// What happened, and when?
	var what []Statement
	if first := b.firstHostile(); first != nil {
		last := first
		for i := range r.Timeline {
			if r.Timeline[i].Phase == PhaseHostile {
				last = &r.Timeline[i]
			}
		}
		what = append(what, say(append(append([]Ref{}, first.Refs...), last.Refs...), "The intruder's activity runs from %s to %s (see the timeline).", stamp(first.Time), stamp(last.Time)))
	}
	if r.Entry.Known && r.Entry.Vector != "unknown" {
		what = append(what, say(r.Entry.Refs, "Way in: %s (%s confidence).", firstNonEmpty(vectorWords[r.Entry.Vector], r.Entry.Vector), r.Entry.Confidence))
	}
	add("What exactly happened, and at what times?", what...)
	// Detection: how long between the first sign and the first verdict?
	var det []Statement
	if first := b.firstHostile(); first != nil && !r.Verdict.FirstAt.IsZero() {
		d := r.Verdict.FirstAt.Sub(first.Time)
		if d > 0 {
			det = append(det, say([]Ref{first.Refs[0], {File: "journal.jsonl"}}, "The intrusion went unnoticed for %s: from its first sign (%s) to the first check in this case (%s). What would have shown it sooner?",
				span(d), stamp(first.Time), stamp(r.Verdict.FirstAt)))
		}
	}
	add("What information was needed sooner, and how could the intrusion have been detected earlier?", det...)
	// Order of the response.
	var order []Statement
	firstOf := func(step string) (time.Time, Ref) {
		for _, a := range r.Actions {
			if a.Step == step {
				return a.Time, a.Refs[0]
			}
		}
		return time.Time{}, Ref{}
	}
	ct, cref := firstOf("contain")
	kt, kref := firstOf("collect")
	lt, lref := firstOf("clean")
	switch {
	case !lt.IsZero() && (kt.IsZero() || lt.Before(kt)):
		order = append(order, say([]Ref{lref}, "Cleanup started (%s) before any evidence was collected: what it removed may be lost to the investigation.", stamp(lt)))
	case !lt.IsZero():
		order = append(order, say([]Ref{kref, lref}, "Evidence was collected (%s) before cleanup started (%s).", stamp(kt), stamp(lt)))
	}
	if !ct.IsZero() && !kt.IsZero() && ct.Before(kt) {
		order = append(order, say([]Ref{cref, kref}, "Containment (%s) came before evidence collection (%s): the state of running processes may have changed before it was kept.", stamp(ct), stamp(kt)))
	}
	if ct.IsZero() && len(r.Actions) > 0 {
		order = append(order, say([]Ref{{File: "journal.jsonl"}}, "No containment is recorded: the intruder may have kept access while the response went on."))
	}
	add("Were any steps taken that might have hindered the investigation or the recovery?", order...)
	add("How well did staff and management handle the incident? Were the procedures followed, and were they adequate?")
	add("What would staff and management do differently next time?")
	// Sharing.
	var share []Statement
	if len(r.Indicators) > 0 {
		share = append(share, say(nil, "%d indicators are exported with this report (STIX 2.1, MISP, Timesketch) for other teams and the hosting provider.", len(r.Indicators)))
	}
	add("How could information sharing with other organisations have been improved?", share...)
	// Corrective actions.
	var fix []Statement
	if r.Hole != nil {
		fix = append(fix, say([]Ref{r.Hole.Source}, "The hole as loophole named it: %s", firstNonEmpty(r.Hole.Summary, "see the hole section")))
	}
	for _, s := range r.Steps {
		if s.Name == "harden" && s.Section != nil {
			fix = append(fix, say([]Ref{s.Section.Source}, "Hardening recorded by harden: %d items.", len(s.Section.Items)))
		}
	}
	add("What corrective actions can prevent a similar incident?", fix...)
	// Precursors.
	var pre []Statement
	for _, f := range r.Findings {
		if f.Rule == "ssh.bruteforce" || f.Rule == "ssh.spray" || f.Rule == "entry.ssh-bruteforce" || strings.HasPrefix(f.Rule, "web.scan") {
			pre = append(pre, say([]Ref{{Finding: f.ID}}, "%s", f.Title))
			if len(pre) == 5 {
				break
			}
		}
	}
	if len(r.Indicators) > 0 {
		pre = append(pre, say(nil, "Watch for the indicators in this report (addresses, files, hashes, keys) on the other servers."))
	}
	add("Which precursors or indicators should be watched for in the future?", pre...)
	// Tools.
	var tools []Statement
	if len(r.NotCovered) > 0 {
		tools = append(tools, say(nil, "%d things could not be covered (see 'What was not covered'); each is a gap in what the servers record or what the tools could see.", len(r.NotCovered)))
	}
	add("What additional tools or resources are needed to detect, analyse and mitigate future incidents?", tools...)
}

// csfOutcomes are the NIST CSF 2.0 outcomes that SP 800-61r3 ties to incident response, as this
// report documents them (in our words).
var csfOutcomes = []struct{ id, outcome string }{
	{"RS.MI-01", "Incidents are contained"},
	{"RS.MI-02", "Incidents are eradicated"},
	{"RS.AN-03", "Analysis establishes what took place during the incident and its root cause"},
	{"RS.AN-06", "Actions taken during the investigation are recorded, with the records' integrity and provenance preserved"},
	{"RS.AN-07", "Incident data and metadata are collected, with their integrity and provenance preserved"},
	{"RC.RP-03", "The integrity of backups and other restoration assets is verified before they are used"},
	{"RC.RP-05", "The integrity of restored assets is verified, services are restored and normal operation is confirmed"},
	{"RC.RP-06", "The end of recovery is declared on criteria, and the incident's documentation is completed"},
}

// csf maps the report's sections to the CSF outcomes and says how far the case records each.
func (b *builder) csf() {
	r := b.r
	ran := map[string]bool{}
	for _, s := range r.Steps {
		if s.Ran {
			ran[s.Name] = true
		}
	}
	for _, o := range csfOutcomes {
		c := CSFOutcome{ID: o.id, Outcome: o.outcome}
		switch o.id {
		case "RS.MI-01":
			c.Sections = []string{"actions"}
			c.Status, c.Why = status(b.containSeen, false), fmt.Sprintf("%d containment actions recorded, %d in force", count(r.Actions, "contain"), b.contains)
		case "RS.MI-02":
			c.Sections = []string{"actions", "steps"}
			c.Status = status(ran["clean"] && ran["rotate"], ran["clean"] || ran["rotate"])
			c.Why = fmt.Sprintf("clean recorded: %v; rotate recorded: %v", ran["clean"], ran["rotate"])
		case "RS.AN-03":
			c.Sections = []string{"timeline", "entry", "hole", "techniques", "affected"}
			c.Status = status(r.Entry.Known && r.Entry.Vector != "unknown" && r.Hole != nil, r.Entry.Known || len(r.Findings) > 0)
			c.Why = fmt.Sprintf("way in: %s; hole named: %v", r.Entry.Vector, r.Hole != nil)
		case "RS.AN-06":
			c.Sections = []string{"actions", "custody"}
			c.Status = status(r.Custody.Journal.Intact && r.Custody.Journal.Entries > 0, r.Custody.Journal.Entries > 0)
			c.Why = fmt.Sprintf("case journal: %d entries, hash chain intact: %v", r.Custody.Journal.Entries, r.Custody.Journal.Intact)
		case "RS.AN-07":
			c.Sections = []string{"custody"}
			c.Status = status(b.archives > 0, len(r.Custody.Results) > 0)
			c.Why = fmt.Sprintf("%d evidence archives with SHA-256 and custody; %d saved results checked against the journal", b.archives, len(r.Custody.Results))
		case "RC.RP-03":
			c.Sections = []string{"steps"}
			c.Status = status(false, ran["clean"])
			c.Why = "clean restores changed files only from verified packages or from a backup whose bytes match the trusted baseline"
			if !ran["clean"] {
				c.Why = "nothing was restored in this case"
			}
		case "RC.RP-05":
			c.Sections = []string{"steps", "timeline"}
			c.Status = status(b.verified, ran["verify"])
			c.Why = fmt.Sprintf("verify passed: %v", b.verified)
		case "RC.RP-06":
			c.Sections = []string{"summary", "lessons"}
			c.Status = status(b.verified, true)
			c.Why = "this report completes the documentation; the end of recovery needs a passed verify"
		}
		r.CSF = append(r.CSF, c)
	}
}

func status(full, part bool) string {
	switch {
	case full:
		return "recorded"
	case part:
		return "partly recorded"
	}
	return "not recorded"
}

func count(as []Action, step string) int {
	n := 0
	for _, a := range as {
		if a.Step == step {
			n++
		}
	}
	return n
}
