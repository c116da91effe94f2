package check

import (
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// TestUnownedBySeverityOfWhatItCan: through the whole check, an unowned ELF in /usr/sbin is
// high, an unowned script medium, and an image builder's do-nothing policy-rc.d, written with the
// system (the fixture's package lists are as new as it), info with its reason.
func TestUnownedBySeverityOfWhatItCan(t *testing.T) {
	tests := []struct {
		path, content string
		want          finding.Severity
		reason        string
	}{
		{"/usr/sbin/sysupd", "\x7fELF\x02\x01\x01\x00tool", finding.High, ""},
		{"/usr/sbin/backup-now", "#!/bin/sh\ntar czf /var/backups/etc.tgz /etc\n", finding.Medium, "a script"},
		{"/usr/sbin/policy-rc.d", "#!/bin/sh\n\n# For most Docker users ...\n\nexit 101\n", finding.Info, "system image"},
	}
	for _, tc := range tests {
		r := fixture.Debian(t)
		r.File(tc.path, tc.content, 0o755)
		rep := run(t, r, Options{})
		f := has(rep, "integrity.unowned-executable", tc.path)
		if f == nil {
			t.Errorf("%s: not reported:\n%s", tc.path, dump(rep))
			continue
		}
		if f.Severity != tc.want || !strings.Contains(strings.Join(f.Evidence, "\n"), tc.reason) {
			t.Errorf("%s: %s, want %s with %q: %q", tc.path, f.Severity, tc.want, tc.reason, f.Evidence)
		}
	}
}
