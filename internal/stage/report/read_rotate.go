package report

func init() { register(80, "rotate", readRotate) }

// readRotate: which credentials were rotated, which wait, which were waived.
func readRotate(b *builder) {
	b.genericStep("rotate", PhaseResponse, "no credential is recorded as rotated: assume every password, key and token on the host is known to the intruder; run nowwhat rotate with --case")
}
