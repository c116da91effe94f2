package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// own is what belongs to nowwhat itself on the host it checked, from what the capture noted:
// the checking process, its program (and any copy of it: same SHA-256, so the same code),
// processes running that program (a maintenance page, a rollback timer) and the source checkout
// it was built in. A user who built nowwhat in /tmp must not be told nowwhat is an intruder.
type own struct {
	pid      int64
	programs map[string]bool // paths of files that are this program
	procs    map[int64]bool  // processes that run it
	source   string
}

func ownOf(cur *snapshot.Reader) *own {
	if cur.Meta("live") != "true" || cur.Meta("self.pid") == "" {
		return nil
	}
	o := &own{programs: map[string]bool{}, procs: map[int64]bool{}, source: cur.Meta("self.source")}
	fmt.Sscan(cur.Meta("self.pid"), &o.pid)
	if exe := cur.Meta("self.exe"); exe != "" {
		o.programs[exe] = true
	}
	if sum := cur.Meta("tool_sha256"); len(sum) == 64 {
		copies, _ := snapshot.All[snapshot.File](cur, "sha256 = ? AND type = 'file'", sum)
		for _, f := range copies {
			o.programs[f.Path] = true
		}
	}
	procs, _ := snapshot.All[snapshot.Process](cur, "exe_deleted = 0")
	for _, p := range procs {
		if o.programs[p.Exe] {
			o.procs[p.PID] = true
		}
	}
	return o
}

func (o *own) owns(f finding.Finding) bool {
	switch {
	case f.PID != 0 && (f.PID == o.pid || o.procs[f.PID]):
		return true
	case f.Path != "" && o.programs[f.Path]:
		return true
	case o.source != "" && (f.Path == o.source || strings.HasPrefix(f.Path, o.source+"/")):
		return true
	}
	return false
}

// dropOwn removes the findings about nowwhat itself and says, for the coverage, what was left out.
func dropOwn(cur *snapshot.Reader, fs []finding.Finding) ([]finding.Finding, string) {
	o := ownOf(cur)
	if o == nil {
		return fs, ""
	}
	kept := fs[:0]
	dropped := 0
	for _, f := range fs {
		if o.owns(f) {
			dropped++
			continue
		}
		kept = append(kept, f)
	}
	if dropped == 0 {
		return kept, ""
	}
	var what []string
	for p := range o.programs {
		what = append(what, p)
	}
	sort.Strings(what)
	if o.source != "" {
		what = append(what, "its source checkout "+o.source)
	}
	return kept, fmt.Sprintf("nowwhat itself: %d findings about its own process and program (%s) left out", dropped, finding.Clip(strings.Join(what, ", "), 300))
}
