package harden

import (
	"encoding/json"
	"strings"

	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

// WaiverKind is the journal kind of a recorded waiver: the operator accepts a hole open, with
// a reason.
const WaiverKind = "waiver"

func init() {
	contain.RegisterUndo(WaiverKind, func(*contain.Env, json.RawMessage) error { return nil })
}

// Waive records that a hole stays open on purpose, and why.
func Waive(j *contain.Journal, holeID, reason string) error {
	return j.Append(contain.Record{ID: "waiver-" + holeID, Phase: contain.PhaseApplied, Kind: WaiverKind, Target: holeID, What: []string{reason}})
}

// HoleState is whether a hole loophole named is closed: a change that closes it is in force
// (applied and, for sshd, confirmed or past no rollback), or a waiver is recorded.
type HoleState struct {
	Hole   string `json:"hole"`
	Used   bool   `json:"used"`
	Closed bool   `json:"closed"`
	By     string `json:"by,omitempty"` // the harden id in force, or "waiver: REASON"
}

// Status is what verify asks: for each hole of loophole's report, is it closed? Changes still
// waiting for confirmation do not count (they roll back by themselves).
func Status(rep *loophole.Report, j *contain.Journal) ([]HoleState, error) {
	in, err := contain.InForce(j)
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	waived := map[string]string{}
	for _, e := range in {
		switch {
		case e.Kind == WaiverKind:
			waived[e.Target] = strings.Join(e.What, " ")
		case e.Kind == Kind && e.Phase != contain.PhaseIntent && (e.Expires == "" || e.Phase == contain.PhaseConfirmed):
			kept[e.Target] = true
		}
	}
	var out []HoleState
	for _, h := range rep.Holes {
		s := HoleState{Hole: h.ID + " " + h.Subject, Used: h.Used}
		for _, f := range h.Fixes {
			if kept[f] {
				s.Closed, s.By = true, f
				break
			}
		}
		if !s.Closed {
			if why, ok := waived[h.ID+" "+h.Subject]; ok {
				s.Closed, s.By = true, "waiver: "+why
			} else if why, ok := waived[h.ID]; ok {
				s.Closed, s.By = true, "waiver: "+why
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Plan orders the changes to propose: those that close the holes of loophole's report (the
// ones used first), then the general ones.
func Plan(rep *loophole.Report) []*Def {
	var out []*Def
	seen := map[string]bool{}
	add := func(id string) {
		if d := Lookup(id); d != nil && !seen[id] {
			seen[id] = true
			out = append(out, d)
		}
	}
	if rep != nil {
		for _, h := range rep.Holes {
			if h.Used {
				for _, f := range h.Fixes {
					add(f)
				}
			}
		}
		for _, h := range rep.Holes {
			for _, f := range h.Fixes {
				add(f)
			}
		}
	}
	for i := range Catalog {
		add(Catalog[i].ID)
	}
	return out
}

// UploadFolders are the upload folders loophole named as holes (php-uploads-noexec closes
// them besides the usual ones).
func UploadFolders(rep *loophole.Report) []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, h := range rep.Holes {
		if h.ID == "web-upload-php" && h.Subject != "" {
			out = append(out, h.Subject)
		}
	}
	return out
}
