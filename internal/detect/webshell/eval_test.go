package webshell_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"
	"github.com/nowwhat/nowwhat/internal/detect/webshell"
	"github.com/nowwhat/nowwhat/internal/detect/webshell/wseval"
)

// Floors the evaluation must hold on the real data (see docs/webshells.md for the figures and
// how to reproduce them). Recall counts files with an alarm (webshell or suspicious verdict);
// false alarms are benign code files with an alarm.
const (
	minHeldOutRecall = 88.0 // percent of the held-out half of the web-shell corpus
	maxFalseAlarms   = 0.5  // percent of the benign code files, copied into a web root
)

// TestEvaluation measures recall on the real web shells of shared/testdata/webshells (held-out
// and tuning halves of the fixed split by family) and false alarms on real web applications
// and admin tools fetched from Debian's archive (wseval.BenignPackages). The samples missing
// make it skip, or fail under NOWWHAT_REQUIRE_TESTDATA=1; a benign set that cannot be fetched
// always fails: recall without false alarms measures nothing.
func TestEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation on real data skipped in -short mode")
	}
	td := filepath.Dir(testdata.Shared(t, "webshells"))
	shells, err := wseval.LoadShells(td)
	if err != nil {
		t.Fatalf("web-shell samples: %v", err)
	}
	fetched, notes, err := wseval.Fetch(context.Background(), wseval.BenignPackages, wseval.CacheDir())
	for _, n := range notes {
		t.Log(n)
	}
	if err != nil {
		t.Fatalf("benign packages (needed to measure false alarms; Debian's mirror must be reachable): %v", err)
	}
	webroot := filepath.Join(wseval.CacheDir(), "webroot")
	if err := wseval.InstallWebRoot(fetched, webroot); err != nil {
		t.Fatalf("web root: %v", err)
	}
	benign, err := wseval.LoadBenign(fetched, wseval.ModeWebRoot, webroot)
	if err != nil {
		t.Fatalf("benign files: %v", err)
	}
	rep := wseval.Evaluate(shells, benign, func(s wseval.Sample) wseval.Verdict {
		r := webshell.Scan(s.Path, s.Content)
		return wseval.Verdict{Webshell: r.Verdict == webshell.VerdictWebshell, Suspicious: r.Verdict == webshell.VerdictSuspicious, Language: r.Language}
	})
	var sb strings.Builder
	rep.Print(&sb, "copied into a web root")
	t.Log("\n" + sb.String())
	held := wseval.Find(rep.Shells, wseval.HeldOut+"/all")
	if held.Files == 0 {
		t.Fatal("no held-out samples")
	}
	if r := wseval.Rate(held.Alarms(), held.Files); r < minHeldOutRecall {
		t.Errorf("held-out recall %.1f%% (%d/%d), floor %.0f%%", r, held.Alarms(), held.Files, minHeldOutRecall)
	}
	all := wseval.Find(rep.Benign, "all")
	if all.Files < 5000 {
		t.Fatalf("only %d benign code files: the benign set is incomplete", all.Files)
	}
	if r := wseval.Rate(all.Alarms(), all.Files); r >= maxFalseAlarms {
		t.Errorf("false alarms %.2f%% (%d/%d), must stay under %.1f%%", r, all.Alarms(), all.Files, maxFalseAlarms)
	}
	for _, a := range rep.BenignAlarms {
		t.Logf("benign alarm: %s", a)
	}
}
