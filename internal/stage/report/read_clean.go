package report

func init() { register(70, "clean", readClean) }

// readClean: what was removed (quarantined) and restored.
func readClean(b *builder) {
	b.genericStep("clean", PhaseResponse, "nothing the intruder left is recorded as removed, and no changed file as restored; run nowwhat clean with --case")
}
