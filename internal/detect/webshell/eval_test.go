package webshell_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"

	"github.com/nowwhat/nowwhat/internal/detect/webshell"
	"github.com/nowwhat/nowwhat/internal/detect/webshell/wseval"
)

// Goals on the real data: alarms (web shell or suspicious) on more than 90% of the web-shell
// samples, and on fewer than 1% of the benign files of each language.
const (
	minRecall     = 90.0
	maxFalseAlarm = 1.0
)

// TestEvaluation measures recall on shared/testdata/webshells and false alarms on the benign
// WordPress and Tomcat example files (Debian packages fetched once into a cache folder under
// $TMPDIR). It skips when the data or the package tools are missing.
func TestEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation on real data skipped in -short mode")
	}
	wd, _ := os.Getwd()
	td := wseval.FindTestdata(wd)
	if td == "" {
		testdata.Shared(t, "webshells") // skips, or fails under NOWWHAT_REQUIRE_TESTDATA=1
	}
	shells, err := wseval.LoadShells(td)
	if err != nil {
		t.Skipf("web-shell samples not readable: %v", err)
	}
	pkgs, err := wseval.BenignPackages(td)
	if err != nil {
		t.Skipf("benign manifest not readable: %v", err)
	}
	var benign []wseval.Sample
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Logf("apt-get not found: benign set skipped")
	} else if notes, err := wseval.FetchBenign(context.Background(), pkgs, wseval.CacheDir()); err != nil {
		t.Logf("benign packages not available (%v): false alarms not measured", err)
	} else {
		for _, n := range notes {
			t.Log(n)
		}
		var missing int
		benign, missing, err = wseval.LoadBenign(td, wseval.CacheDir(), pkgs)
		if err != nil {
			t.Fatalf("benign files: %v", err)
		}
		if missing > 0 {
			t.Logf("%d benign manifest files missing from the packages", missing)
		}
	}
	rep := wseval.Evaluate(shells, benign, func(name string, b []byte) wseval.Verdict {
		r := webshell.Scan(name, b)
		return wseval.Verdict{Webshell: r.Verdict == webshell.VerdictWebshell, Suspicious: r.Verdict == webshell.VerdictSuspicious, Language: r.Language}
	})
	var sb strings.Builder
	rep.Print(&sb)
	t.Log("\n" + sb.String())
	tot := wseval.Total(rep.Shells)
	if r := wseval.Rate(tot.Alarms(), tot.Files); r <= minRecall {
		t.Errorf("recall %.1f%% (%d/%d), goal above %.0f%%", r, tot.Alarms(), tot.Files, minRecall)
	}
	for _, row := range rep.Benign {
		if r := wseval.Rate(row.Alarms(), row.Files); r >= maxFalseAlarm {
			t.Errorf("%s: false alarms %.2f%% (%d/%d), goal under %.0f%%", row.Group, r, row.Alarms(), row.Files, maxFalseAlarm)
		}
	}
	for _, a := range rep.BenignAlarmList {
		t.Logf("benign alarm: %s", a)
	}
}
