package report

func init() { register(60, "loophole", readLoophole) }

// readLoophole: the hole (the way in joined with the host's configuration and known
// vulnerabilities) from loophole's newest result.
func readLoophole(b *builder) {
	sec, raw := b.genericStep("loophole", PhaseDetection, "the hole the intruder came through is not named beyond investigate's way in; run nowwhat loophole with --case")
	if sec == nil {
		return
	}
	if h := raw.object("hole", "loophole", "finding"); h != nil {
		if s := h.describe(); s != "" {
			sec.Summary = firstNonEmpty(h.text("summary", "title", "description"), sec.Summary)
			if c := h.text("confidence"); c != "" {
				sec.Summary += " (confidence " + c + ")"
			}
		}
	}
	b.r.Hole = sec
}
