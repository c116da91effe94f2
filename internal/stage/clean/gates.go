package clean

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

// gates checks the order of the response and fills the result's gates; with apply, a failed
// blocking gate stops it.
func (pl *planner) gates(apply bool) {
	res := pl.res
	pl.describe()

	// Rebuild or clean.
	reasons := RebuildReasons(pl.rep.Findings, pl.rep.Sessions, investigation(pl.opt.CaseDir))
	if pl.opt.Findings != nil {
		reasons = RebuildReasons(pl.opt.Findings, pl.rep.Sessions, investigation(pl.opt.CaseDir))
	}
	res.Rebuild = reasons
	res.InPlace = pl.opt.InPlace
	if len(reasons) > 0 {
		ok := strings.TrimSpace(pl.opt.InPlace) != ""
		msg := "REBUILD RECOMMENDED: " + strings.Join(reasons, "; ") + ". A host where this happened cannot be proven clean: build a new one from known-good media, restore the data (not the programs) from a backup taken before the intrusion, and rotate every credential. To clean this one in place anyway, give --in-place \"REASON\" (kept for the report)."
		if ok {
			msg = "rebuild recommended (" + strings.Join(reasons, "; ") + "); cleaning in place because: " + pl.opt.InPlace
		}
		res.Gates = append(res.Gates, Gate{Name: "rebuild", OK: ok, Blocks: true, Message: msg})
	}

	// Running implants.
	if run := pl.running(); len(run) > 0 {
		res.Gates = append(res.Gates, Gate{Name: "running", OK: false, Blocks: true,
			Message: "flagged processes still run: " + strings.Join(run, ", ") + ". Freeze them first (nowwhat contain suspend PID --apply), keep their memory and files (nowwhat collect), then clean"})
	}

	// Evidence before cleaning.
	ev, evOK := VerifiedEvidence(pl.opt.CaseDir)
	res.Evidence = ev
	if !evOK {
		g := Gate{Name: "evidence", Blocks: true,
			Message: "no verified evidence archive in the case (" + ev + "): keep the evidence first (nowwhat --case DIR collect -o DIR/evidence.tar.zst.age --recipient age1...; then nowwhat --case DIR collect verify ARCHIVE), or give --no-evidence \"REASON\""}
		if strings.TrimSpace(pl.opt.NoEvidence) != "" {
			g.OK, g.Message = true, "applying without a verified evidence archive because: "+pl.opt.NoEvidence
			res.Evidence = "none: " + pl.opt.NoEvidence
		}
		res.Gates = append(res.Gates, g)
	} else {
		res.Gates = append(res.Gates, Gate{Name: "evidence", OK: true, Message: ev})
	}

	// Containment.
	if pl.opt.CaseDir != "" {
		j, _ := contain.OpenJournal(pl.opt.CaseDir)
		in, err := contain.InForce(j)
		switch {
		case err != nil:
			res.Gates = append(res.Gates, Gate{Name: "containment", Message: "containment unknown: " + err.Error()})
		case len(in) == 0:
			res.Gates = append(res.Gates, Gate{Name: "containment", Message: "warning: no containment is in force: an intruder still connected can put back what clean removes (nowwhat contain isolate, or contain service)"})
		default:
			var ks []string
			for _, e := range in {
				ks = append(ks, e.Kind+" "+e.Target)
			}
			res.Gates = append(res.Gates, Gate{Name: "containment", OK: true, Message: "containment in force: " + strings.Join(ks, ", ")})
		}
	} else {
		res.Gates = append(res.Gates, Gate{Name: "containment", Message: "warning: no case folder: containment unknown"})
	}
	for _, g := range res.Gates {
		if g.Blocks && !g.OK {
			res.Blocked = true
		}
	}
}

// running lists the flagged processes still running on a live host.
func (pl *planner) running() []string {
	if !pl.env.Live {
		return nil
	}
	fs := pl.rep.Findings
	if pl.opt.Findings != nil {
		fs = pl.opt.Findings
	}
	var quarantined []string
	for _, s := range pl.res.Steps {
		if q, ok := s.action.(Quarantine); ok {
			quarantined = append(quarantined, q.Paths...)
		}
	}
	seen := map[int64]bool{}
	var out []string
	alive := func(pid int64) bool {
		_, err := os.Stat("/proc/" + strconv.FormatInt(pid, 10))
		return err == nil
	}
	for _, f := range fs {
		if f.PID > 0 && !f.Explained && f.Severity >= finding.Medium && !seen[f.PID] && alive(f.PID) {
			seen[f.PID] = true
			out = append(out, fmt.Sprintf("%d (%s)", f.PID, finding.Clip(f.Title, 60)))
		}
	}
	snapshot.Each(pl.cur, "", nil, func(p snapshot.Process) error {
		for _, q := range quarantined {
			if p.Exe == q || strings.HasPrefix(p.Exe, q+"/") {
				if !seen[p.PID] && alive(p.PID) {
					seen[p.PID] = true
					out = append(out, fmt.Sprintf("%d (runs %s)", p.PID, p.Exe))
				}
			}
		}
		return nil
	})
	return out
}

// RebuildReasons says why a rebuild is the safer answer: root was obtained, or the way in is
// unknown (nil: none).
func RebuildReasons(fs []finding.Finding, ss []*sessions.Session, inv *investigate.Report) []string {
	var out []string
	for _, s := range ss {
		if s.Judgement == sessions.Hostile && !s.Root.IsZero() {
			out = append(out, fmt.Sprintf("a hostile session had root (%s %s)", s.User, s.Label()))
			break
		}
	}
	for _, f := range fs {
		if f.Explained {
			continue
		}
		switch {
		case f.Rule == "accounts.uid0", f.Rule == "persistence.ld-preload", f.Rule == "integrity.modified-binary",
			f.Rule == "persistence.kernel-module", f.Rule == "persistence.pam", f.Rule == "integrity.digest-list-rewritten",
			f.Rule == "privilege.setuid", f.Rule == "privilege.capability":
			out = append(out, "root was obtained: "+finding.Clip(f.Title, 120))
		}
		if len(out) >= 3 {
			break
		}
	}
	switch {
	case inv == nil:
		out = append(out, "the way in is unknown (no investigation in the case: nowwhat --case DIR investigate)")
	case inv.Entry.Vector == "" || inv.Entry.Vector == "unknown":
		out = append(out, "the way in is unknown (investigate found no entry point)")
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.HasPrefix(out[i], "root") && !strings.HasPrefix(out[j], "root") })
	return dedupe(out)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// VerifiedEvidence looks for an evidence archive the case can vouch for: a collect verify that
// succeeded, or the archive collect wrote (named in the case journal) whose SHA-256 still
// matches what collect recorded. It says which, or why none.
func VerifiedEvidence(caseDir string) (string, bool) {
	if caseDir == "" {
		return "no case folder", false
	}
	c, err := casedir.Open(caseDir)
	if err != nil {
		return err.Error(), false
	}
	es, err := c.Entries()
	if err != nil {
		return "the case journal cannot be read: " + err.Error(), false
	}
	collected := map[string]bool{}
	var archives []casedir.Output
	for _, e := range es {
		if e.Command != "collect" {
			continue
		}
		if sum := e.Facts["sha256"]; sum != "" && (e.Outcome == "complete" || e.Outcome == "incomplete") {
			collected[sum] = true
			archives = append(archives, e.Outputs...)
		}
	}
	for _, e := range es {
		if e.Command == "verify" && e.Outcome == "verified" && collected[e.Facts["sha256"]] {
			return "verified evidence archive " + e.Facts["archive"] + " (sha256 " + e.Facts["sha256"] + ", collect verify " + e.Time.UTC().Format("2006-01-02 15:04 UTC") + ")", true
		}
	}
	if len(collected) == 0 {
		return "the case has no collection", false
	}
	for i := len(archives) - 1; i >= 0; i-- {
		a := archives[i]
		sum, err := fileSHA256(a.Path)
		if err != nil {
			continue
		}
		if collected[sum] {
			return "evidence archive " + a.Path + " (sha256 " + sum + ", as collect recorded it)", true
		}
		return "the evidence archive " + a.Path + " has changed since it was collected (sha256 " + sum + ")", false
	}
	return "the collection was streamed elsewhere: verify that archive in this case (nowwhat --case DIR collect verify ARCHIVE)", false
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(filepath.Clean(p))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
