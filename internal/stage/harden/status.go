package harden

import (
	"encoding/json"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
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

// HoleState is whether a hole loophole named is closed. This is what verify reads; its fields
// keep their meaning (docs/harden.md, "What verify asks").
type HoleState struct {
	Hole   string `json:"hole"` // "ID SUBJECT", as loophole named it
	Used   bool   `json:"used"` // the way in went through it
	Closed bool   `json:"closed"`
	By     string `json:"by,omitempty"` // the harden id in force, or "waiver: REASON"
	// Fix is the change that closes the hole (the hole's first fix): a harden id, or a step
	// done by hand ("upgrade:openssh", "bind-local:redis") that only a fresh loophole run
	// (the hole gone) or a waiver can show done.
	Fix string `json:"fix,omitempty"`
	// Problems: the closing change is journaled in force but not found on the host
	// (CheckHoles only): a drop-in removed, the firewall rules gone after a reboot.
	Problems []string `json:"problems,omitempty"`
}

// Manual tells whether a fix is done by hand rather than by harden ("upgrade:PKG",
// "bind-local:SERVICE").
func Manual(fix string) bool { return strings.Contains(fix, ":") }

// Status is what verify asks: for each hole of loophole's report, is it closed? A hole is
// closed when the change that closes it (its first fix) is in force per the hardening
// journal, applied and, for an sshd or firewall change, confirmed (a change still waiting
// for confirmation rolls back by itself, so it does not count), or when a waiver is
// recorded. The other fixes of a hole (ssh-limits, ssh-rate-limit for a password hole) make
// it harder to use but do not close it. Status reads only the journal; CheckHoles also looks
// at the host.
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
	out := []HoleState{}
	for _, h := range rep.Holes {
		s := HoleState{Hole: h.ID + " " + h.Subject, Used: h.Used}
		if len(h.Fixes) > 0 {
			s.Fix = h.Fixes[0]
		}
		if s.Fix != "" && !Manual(s.Fix) && kept[s.Fix] {
			s.Closed, s.By = true, s.Fix
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

// CheckHoles is Status with each closing change checked on the host too (Check, and for the
// firewall the running rules read through netlink when fsys is the live root): a change the
// journal holds in force that is no longer on the host leaves its hole open, with Problems.
// netns is the network namespace to read the firewall in (0: this process's).
func CheckHoles(rep *loophole.Report, j *contain.Journal, fsys *hostfs.FS, netns int) ([]HoleState, error) {
	st, err := Status(rep, j)
	if err != nil {
		return nil, err
	}
	folders := UploadFolders(rep)
	for i := range st {
		s := &st[i]
		d := Lookup(s.By)
		if !s.Closed || d == nil {
			continue
		}
		probs := CheckFolders(fsys, d, folders)
		if d.Firewall && (fsys.IsLive() || netns > 0) {
			if ok, err := FirewallInForce(netns); err != nil {
				probs = append(probs, "the running firewall could not be read: "+err.Error())
			} else if !ok {
				probs = append(probs, "the nftables table inet "+RateTable+" is not in the running firewall (a reboot, or removed by hand)")
			}
		}
		if len(probs) > 0 {
			s.Closed, s.Problems = false, probs
		}
	}
	return st, nil
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
