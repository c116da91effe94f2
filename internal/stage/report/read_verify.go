package report

import "strings"

func init() { register(100, "verify", readVerify) }

// readVerify: the gate before going back online. A passed gate is the return to service.
func readVerify(b *builder) {
	es := b.v.entriesOf("verify")
	_, raw := b.genericStep("verify", PhaseRecovery, "no gate before the return to service is recorded: nothing shows a fresh clean check, every credential rotated and the hole fixed")
	passed := false
	if raw != nil {
		if ok, found := raw.flag("passed", "ready", "ok", "pass"); found {
			passed = ok
		} else {
			v := strings.ToLower(raw.text("verdict", "result", "status"))
			passed = v == "passed" || v == "pass" || v == "ready" || v == "ok"
		}
	} else if len(es) > 0 {
		o := strings.ToLower(es[len(es)-1].Outcome)
		passed = o == "passed" || o == "ready" || o == "ok"
	}
	if passed && len(es) > 0 {
		e := es[len(es)-1]
		b.verified = true
		b.verifiedAt = e.Time.UTC()
		b.r.Timeline = append(b.r.Timeline, Event{Time: e.Time.UTC(), Phase: PhaseRecovery, Source: "case journal", What: "return to service: verify passed", Refs: []Ref{journalRef(e)}})
	}
}
