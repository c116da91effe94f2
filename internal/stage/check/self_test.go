package check

import (
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// TestDropOwn: findings about nowwhat's own process, its program (and copies of it, by digest),
// processes running it, and its source checkout are left out on a live host, and said to be;
// everything else stays, and nothing is left out of a snapshot that is not of a live host.
func TestDropOwn(t *testing.T) {
	const sum = "4fa5242f355564a288abe5827b68ea1915c6227dc2178e2ef705a9878c27e669"
	mk := func(live bool) *snapshot.Reader {
		w, err := snapshot.CreateMemory()
		if err != nil {
			t.Fatal(err)
		}
		w.SetMeta("live", map[bool]string{true: "true", false: "false"}[live])
		w.SetMeta("self.pid", "51")
		w.SetMeta("self.exe", "/tmp/x/nowwhat")
		w.SetMeta("self.source", "/root/src/nowwhat")
		w.SetMeta("tool_sha256", sum)
		w.Put(snapshot.File{Path: "/tmp/x/nowwhat", Type: "file", SHA256: sum})
		w.Put(snapshot.File{Path: "/var/tmp/copy", Type: "file", SHA256: sum})
		w.Put(snapshot.File{Path: "/dev/shm/miner", Type: "file", SHA256: strings.Repeat("a", 64)})
		w.Put(snapshot.Process{PID: 51, Exe: "/tmp/x/nowwhat", Listed: true})
		w.Put(snapshot.Process{PID: 60, Exe: "/var/tmp/copy", Listed: true})                    // a maintenance page run from a copy
		w.Put(snapshot.Process{PID: 61, Exe: "/tmp/x/nowwhat", ExeDeleted: true, Listed: true}) // deleted: cannot be told apart
		w.Put(snapshot.Process{PID: 70, Exe: "/dev/shm/miner", Listed: true})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := w.Reader("test")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	tests := []struct {
		f    finding.Finding
		own  bool
		name string
	}{
		{finding.Finding{Rule: "live.tmp-process", PID: 51}, true, "its process"},
		{finding.Finding{Rule: "implant.tmp-executable", Path: "/tmp/x/nowwhat"}, true, "its program"},
		{finding.Finding{Rule: "implant.tmp-executable", Path: "/var/tmp/copy"}, true, "a copy of its program"},
		{finding.Finding{Rule: "live.tmp-process", PID: 60}, true, "a process running a copy"},
		{finding.Finding{Rule: "implant.hidden", Path: "/root/src/nowwhat/.git/hooks/pre-commit"}, true, "its source checkout"},
		{finding.Finding{Rule: "live.deleted-binary", PID: 61}, false, "a deleted program at its path"},
		{finding.Finding{Rule: "live.deleted-binary", PID: 70, Path: "/dev/shm/miner"}, false, "another program"},
		{finding.Finding{Rule: "implant.x", Path: "/root/src/nowwhat-evil/x"}, false, "a sibling folder"},
		{finding.Finding{Rule: "accounts.uid0", User: "toor"}, false, "an account"},
	}
	var fs []finding.Finding
	for _, tc := range tests {
		fs = append(fs, tc.f)
	}
	kept, note := dropOwn(mk(true), append([]finding.Finding(nil), fs...))
	left := map[string]bool{}
	for _, f := range kept {
		left[f.Key()] = true
	}
	for _, tc := range tests {
		if left[tc.f.Key()] == tc.own {
			t.Errorf("%s: kept=%v, want kept=%v", tc.name, left[tc.f.Key()], !tc.own)
		}
	}
	if !strings.Contains(note, "5 findings") || !strings.Contains(note, "/root/src/nowwhat") {
		t.Errorf("coverage note: %q", note)
	}
	if kept, note := dropOwn(mk(false), append([]finding.Finding(nil), fs...)); len(kept) != len(fs) || note != "" {
		t.Errorf("not a live host: %d of %d kept, note %q", len(kept), len(fs), note)
	}
}
