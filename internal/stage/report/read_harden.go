package report

func init() { register(90, "harden", readHarden) }

// readHarden: the changes that close the hole and harden the host.
func readHarden(b *builder) {
	b.genericStep("harden", PhaseRecovery, "the hole is not recorded as closed and no hardening as applied; run nowwhat harden with --case")
}
