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
	got := ContainmentProposal(rep)
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
	if p := ContainmentProposal(&check.Report{Verdict: finding.Clean}); len(p) != 0 {
		t.Errorf("clean host: %v", p)
	}
}
