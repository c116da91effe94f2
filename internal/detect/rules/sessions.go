package rules

import (
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// The logins themselves, judged by the sessions model (package detect/sessions): a hostile
// login is a finding of its own, and so is a package a hostile session installed. Without the
// model (Input.Sessions nil) these rules say nothing.
var (
	ruleSessionHostile = rule(Rule{ID: sessions.RuleHostile, Severity: finding.High,
		Title:  "a login judged hostile",
		Attack: []string{"T1110.001", "T1110.003", "T1078"},
		Why:    "A login that follows password guessing, comes back from where an intruder was, or uses credentials the way a thief does, is the intruder's: what that session did is their work, whatever the account.",
		Action: "Cut the address off and end its sessions (nowwhat contain isolate, lock-user), keep the evidence (nowwhat collect), then change the account's password and keys from a clean machine."})
	ruleSessionPackage = rule(Rule{ID: sessions.RulePackage, Severity: finding.High,
		Title:  "a package installed or removed by a hostile session",
		Attack: []string{"T1072", "T1105"},
		Why:    "A package installed by an intruder is one of their tools, or a way to replace a trusted program with the package manager's blessing.",
		Action: "Remove the package after the evidence is kept, and look at what its programs were used for."})
	_ = find(Finder{Name: "sessions", Rules: []*Rule{ruleSessionHostile, ruleSessionPackage}, Find: func(ix *Index, out *Out) error {
		m := ix.Sessions
		if m == nil {
			return nil
		}
		for _, f := range m.Findings() {
			out.add(ruleSessionHostile, f)
		}
		pf, err := m.PackageFindings(ix.Cur)
		if err != nil {
			return err
		}
		for _, f := range pf {
			out.add(ruleSessionPackage, f)
		}
		return nil
	}})
)
