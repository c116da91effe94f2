package cli

import (
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

func TestContainmentProposal(t *testing.T) {
	rep := &check.Report{Verdict: finding.Compromised, Findings: []finding.Finding{
		{Rule: "live.tmp-process", Severity: finding.High, PID: 4242, Title: "a process runs from /tmp"},
		{Rule: "persistence.systemd", Severity: finding.Medium, Path: "/etc/systemd/system/kworkerd.service", Title: "unowned service"},
		{Rule: "accounts.uid0", Severity: finding.Critical, User: "toor", Title: "extra root"},
		{Rule: "persistence.ssh-key", Severity: finding.Medium, Evidence: []string{"/root/.ssh/authorized_keys line 2: ssh-ed25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG intruder"}, Title: "key"},
		{Rule: "persistence.cron", Severity: finding.Medium, Explained: true, Path: "/etc/cron.d/backup", Title: "explained"},
		{Rule: "live.network", Severity: finding.Low, PID: 1, Title: "low"},
	}}
	got := ContainmentProposal(rep, ProposalContext{Live: true, Self: 999})
	var cmds []string
	for _, p := range got {
		cmds = append(cmds, p.Command)
	}
	want := []string{
		"nowwhat contain suspend 4242",
		"nowwhat contain service kworkerd.service",
		"nowwhat contain lock-user toor",
		"nowwhat contain revoke-key SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"nowwhat contain isolate --allow YOUR_ADDRESS",
	}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Errorf("proposal:\n%s\nwant\n%s", strings.Join(cmds, "\n"), strings.Join(want, "\n"))
	}
	if p := ContainmentProposal(&check.Report{Verdict: finding.Clean}, ProposalContext{Live: true}); len(p) != 0 {
		t.Errorf("clean host: %v", p)
	}
}

// TestContainmentProposalNamesOnlyTheSuspect: never this nowwhat, the operator's session, init,
// a process a rule did not single out, or any process when the root is not this system.
func TestContainmentProposalNamesOnlyTheSuspect(t *testing.T) {
	rep := &check.Report{Verdict: finding.Suspicious, Findings: []finding.Finding{
		{Rule: "live.tmp-process", Severity: finding.High, PID: 999, Title: "nowwhat itself, run from /tmp"},
		{Rule: "live.deleted-binary", Severity: finding.High, PID: 700, Title: "the operator's shell"},
		{Rule: "live.deleted-binary", Severity: finding.High, PID: 1, Title: "init after an upgrade"},
		{Rule: "live.summary", Severity: finding.High, PID: 500, Title: "a finding about processes in general"},
		{Rule: "live.tmp-process", Severity: finding.High, PID: 4242, Title: "the dropper"},
		{Rule: "live.tmp-process", Severity: finding.High, PID: 4343, Explained: true, Explanation: "note: our build job", Title: "noted"},
	}}
	var cmds []string
	for _, p := range ContainmentProposal(rep, ProposalContext{Live: true, Self: 999, Session: []int{700, 650}}) {
		cmds = append(cmds, p.Command)
	}
	if strings.Join(cmds, "|") != "nowwhat contain suspend 4242" {
		t.Errorf("live: %v", cmds)
	}
	for _, p := range ContainmentProposal(rep, ProposalContext{Live: false, Self: 1}) {
		if strings.Contains(p.Command, "suspend") {
			t.Errorf("a dead host's PID proposed for this machine: %s", p.Command)
		}
	}
}
