package check

import (
	"context"
	"flag"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden keeps check's verdict and findings on two fixture roots (a host broken into, and the
// same host after ordinary administration) in testdata/*.json: any change in what check says
// shows in review. go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	for name, build := range map[string]func(testing.TB) *fixture.Root{"check-breached": fixture.Breached, "check-tended": fixture.Tended} {
		t.Run(name, func(t *testing.T) {
			r := build(t)
			rep, err := Run(context.Background(), Options{Root: r.Dir})
			if err != nil {
				t.Fatal(err)
			}
			fixture.Golden(t, name, struct {
				Verdict  finding.Verdict   `json:"verdict"`
				Summary  string            `json:"summary"`
				Findings []finding.Finding `json:"findings"`
				Next     []string          `json:"next"`
			}{rep.Verdict, rep.Summary, rep.Findings, rep.Next}, *update, r.Dir)
		})
	}
}
