package report

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

func init() { register(10, "check", readCheck) }

// readCheck: every check run is on the timeline with its verdict (the first compromised one
// starts the notification clock); the newest saved result gives the host, the findings and
// what check could not cover.
func readCheck(b *builder) {
	es := b.noteRuns("check")
	for _, e := range es {
		v := e.Outcome
		if fv := e.Facts["verdict"]; fv != "" {
			v = fv
		}
		what := "check: verdict " + v
		if n := e.Facts["findings"]; n != "" {
			what += fmt.Sprintf(" (%s findings)", n)
		}
		b.entryEvent(e, PhaseDetection, what)
		if b.r.Verdict.First == "" && isVerdict(v) {
			b.r.Verdict.First, b.r.Verdict.FirstAt = v, e.Time.UTC()
		}
		if isVerdict(v) {
			b.r.Verdict.Checks++
			b.r.Verdict.Last, b.r.Verdict.LastAt, b.r.Verdict.LastRef = v, e.Time.UTC(), journalRef(e)
			b.r.Verdict.Summary = e.Detail
		}
	}
	var rep check.Report
	res, ok := b.latest("check", &rep)
	if !ok {
		if len(es) == 0 {
			b.missing("check", "there is no verdict and no list of findings; run nowwhat check with --case on the host (or on its evidence archive)")
		} else {
			b.r.NotCovered = append(b.r.NotCovered, say([]Ref{journalRef(es[len(es)-1])},
				"check ran but its full result is not in the case (results/check-*.json): the findings come only from investigate, if it ran"))
		}
		return
	}
	b.step("check").Section = &StepSection{Step: "check", Summary: rep.Summary, Items: []Statement{}, Source: Ref{File: res.rel}}
	if b.r.Verdict.Last == "" {
		b.r.Verdict.Last, b.r.Verdict.Summary = string(rep.Verdict), rep.Summary
		b.r.Verdict.LastRef = Ref{File: res.rel}
	}
	h := rep.Host
	b.r.Host = Host{Name: h["hostname"], OS: h["os"], Kernel: h["kernel"], MachineID: h["machine_id"], Root: rep.Coverage.Root, Live: rep.Coverage.Live}
	for _, f := range rep.Findings {
		if f.Severity < finding.Low && !f.Strong {
			continue // informational notes stay in check's own report
		}
		b.addFinding(f, res.rel)
	}
	for _, nc := range rep.Coverage.NotCovered {
		b.r.Verdict.Coverage = append(b.r.Verdict.Coverage, nc)
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: res.rel}}, "check could not cover: %s", nc))
	}
	if !rep.Coverage.Privileged && rep.Coverage.Root != "" {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: res.rel}}, "check did not run with root's rights: files only root can read were not examined"))
	}
	for _, w := range rep.Warnings {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: res.rel}}, "check warned: %s", w))
	}
	if rep.Coverage.Baseline == "" {
		b.r.NotCovered = append(b.r.NotCovered, say([]Ref{{File: res.rel}}, "check had no trusted baseline to compare with: changes no rule knows about may have been missed"))
	}
}

func isVerdict(v string) bool {
	switch finding.Verdict(strings.TrimSpace(v)) {
	case finding.Clean, finding.Suspicious, finding.Compromised, finding.Incomplete:
		return true
	}
	return false
}
