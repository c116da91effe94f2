package investigate

import (
	"flag"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden keeps investigate's way in, findings and indicators on two fixture roots (a host
// broken into, and the same host after ordinary administration) in testdata/*.json. go test -run
// TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	for name, build := range map[string]func(testing.TB) *fixture.Root{"investigate-breached": fixture.Breached, "investigate-tended": fixture.Tended} {
		t.Run(name, func(t *testing.T) {
			r := build(t)
			rep := investigateRoot(t, r)
			ruleCounts(t, rep) // every finding described in the catalog
			fixture.Golden(t, name, struct {
				Entry    Entry             `json:"entry"`
				Verdict  finding.Verdict   `json:"verdict"`
				Findings []finding.Finding `json:"findings"`
				IOCs     IOCs              `json:"iocs"`
			}{rep.Entry, rep.Verdict, rep.Findings, rep.IOCs}, *update, r.Dir)
		})
	}
}
