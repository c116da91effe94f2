// Package explain tells changes that someone can account for from the rest: for each finding it
// looks for a package operation at that time (dpkg.log, apt history), an administrator's session
// or a sudo command that touched the file (auth.log, the journal), a change note recorded in the
// case folder, or the baseline (what was already there is not new). Strong indicators of
// compromise are never explained away: an explanation found for them is noted, not applied.
package explain

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Note is a planned change recorded with `nowwhat note`.
type Note struct {
	Time     time.Time `json:"time"`
	Operator string    `json:"operator"`
	Text     string    `json:"text"`
	Paths    []string  `json:"paths,omitempty"`
}

// Explainer holds what can explain a change.
type Explainer struct {
	pkgEvents []snapshot.Event
	sudo      []snapshot.Event
	sessions  []snapshot.Session
	admins    map[string]bool
	owner     map[string]string
	notes     []Note
	base      string // when the baseline was taken ("" without one)
}

// packageWindow is how far from a package operation a change is still attributed to it.
const packageWindow = 10 * time.Minute

// openSession is how long a session whose end was not logged is taken to last.
const openSession = 12 * time.Hour

// noteWindow is how far from a change note a matching change is attributed to it.
const noteWindow = 48 * time.Hour

// New gathers the explanations a snapshot offers, and the baseline's time if there is one.
func New(cur *snapshot.Reader, base *snapshot.Reader, notes []Note) (*Explainer, error) {
	e := &Explainer{admins: map[string]bool{}, owner: map[string]string{}, notes: notes}
	evs, err := snapshot.All[snapshot.Event](cur, "")
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		switch {
		case (ev.Source == "dpkg" || ev.Source == "dnf") && strings.HasPrefix(ev.Kind, "package-"):
			e.pkgEvents = append(e.pkgEvents, ev)
		case ev.Kind == "sudo-command" || ev.Kind == "pkexec-command":
			e.sudo = append(e.sudo, ev)
		}
	}
	if e.sessions, err = snapshot.All[snapshot.Session](cur, ""); err != nil {
		return nil, err
	}
	groups, err := snapshot.All[snapshot.Group](cur, "name IN ('sudo', 'wheel', 'admin', 'root')")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		for _, m := range strings.Split(g.Members, ",") {
			if m = strings.TrimSpace(m); m != "" {
				e.admins[m] = true
			}
		}
	}
	users, err := snapshot.All[snapshot.User](cur, "uid = 0")
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		e.admins[u.Name] = true
	}
	// Whoever ran sudo as root successfully is an administrator of this host.
	for _, ev := range e.sudo {
		e.admins[ev.User] = true
	}
	err = snapshot.Each(cur, "alg != 'diverted'", nil, func(p snapshot.PackageFile) error {
		if _, ok := e.owner[p.Path]; !ok {
			e.owner[p.Path] = p.Package
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if base != nil {
		e.base = base.Meta("taken_at")
	}
	return e, nil
}

// None is an explainer with nothing to draw on (package verification alone).
func None() *Explainer {
	return &Explainer{admins: map[string]bool{}, owner: map[string]string{}}
}

// Sources says what the explainer could draw on, for the coverage report.
func (e *Explainer) Sources() []string {
	var out []string
	out = append(out, fmt.Sprintf("package manager log: %d operations", len(e.pkgEvents)))
	out = append(out, fmt.Sprintf("administrators' sessions: %d sessions, %d sudo commands", len(e.sessions), len(e.sudo)))
	out = append(out, fmt.Sprintf("change notes: %d", len(e.notes)))
	if e.base != "" {
		out = append(out, "baseline taken "+e.base)
	} else {
		out = append(out, "no baseline")
	}
	return out
}

// Apply marks the findings that something explains.
func (e *Explainer) Apply(fs []finding.Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Explained {
			continue
		}
		why := e.explain(f)
		if why == "" {
			continue
		}
		if f.Strong {
			f.Explanation = "not enough to clear it (a strong sign of compromise whoever did it): " + why
			continue
		}
		f.Explained, f.Explanation = true, why
	}
}

func (e *Explainer) explain(f *finding.Finding) string {
	if f.PID != 0 && f.Path == "" {
		return ""
	}
	if e.base != "" && !f.New && f.Rule != "baseline.change" && !strings.HasPrefix(f.Rule, "live.") {
		return "present in the baseline taken " + e.base + ": not new"
	}
	t, err := time.Parse(time.RFC3339, f.Time)
	if err != nil {
		t = time.Time{}
	}
	if why := e.byNote(f, t); why != "" {
		return why
	}
	if t.IsZero() {
		return ""
	}
	if f.Rule != "integrity.modified-binary" && f.Rule != "integrity.modified-file" && f.Rule != "integrity.digest-list-rewritten" {
		if why := e.byPackage(f, t); why != "" {
			return why
		}
	}
	return e.bySession(f, t)
}

// byPackage finds a dpkg operation around t on the package that owns the path (or, for a file
// no package owns, any operation: maintainer scripts create such files).
func (e *Explainer) byPackage(f *finding.Finding, t time.Time) string {
	if f.Path == "" {
		return ""
	}
	pkg := e.owner[f.Path]
	var best *snapshot.Event
	for i := range e.pkgEvents {
		ev := &e.pkgEvents[i]
		d := time.Unix(0, ev.Time).Sub(t)
		if d < -packageWindow || d > packageWindow {
			continue
		}
		if pkg != "" && ev.Target != pkg {
			continue
		}
		if best == nil || abs(time.Unix(0, ev.Time).Sub(t)) < abs(time.Unix(0, best.Time).Sub(t)) {
			best = ev
		}
	}
	if best == nil {
		return ""
	}
	when := time.Unix(0, best.Time).UTC().Format("2006-01-02 15:04:05 UTC")
	if pkg != "" {
		return fmt.Sprintf("package manager: %s %s at %s (%s line %d)", strings.TrimPrefix(best.Kind, "package-"), best.Subject, when, best.File, best.Line)
	}
	return fmt.Sprintf("created during a package operation (%s %s at %s, %s line %d)", strings.TrimPrefix(best.Kind, "package-"), best.Subject, when, best.File, best.Line)
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// bySession finds an administrator's sudo command naming the file around t, else an
// administrator's session open at t.
func (e *Explainer) bySession(f *finding.Finding, t time.Time) string {
	base := path.Base(f.Path)
	if f.Path != "" && base != "/" && base != "." {
		for _, ev := range e.sudo {
			et := time.Unix(0, ev.Time)
			if !e.admins[ev.User] || et.After(t.Add(2*time.Minute)) || et.Before(t.Add(-openSession)) {
				continue
			}
			if mentions(ev.Subject, f.Path, base) || f.User != "" && mentionsAll(ev.Subject, f.User) && accountRule(f.Rule) {
				return fmt.Sprintf("%s ran `sudo %s` at %s (%s line %d)", ev.User, finding.Clip(ev.Subject, 120), et.UTC().Format("2006-01-02 15:04:05 UTC"), ev.File, ev.Line)
			}
		}
	}
	var best *snapshot.Session
	for i := range e.sessions {
		s := &e.sessions[i]
		if !e.admins[s.User] || s.Via == "cron" {
			continue
		}
		start := time.Unix(0, s.Start)
		end := start.Add(openSession)
		if s.End != 0 {
			end = time.Unix(0, s.End)
		}
		if t.Before(start) || t.After(end.Add(time.Minute)) {
			continue
		}
		if best == nil || s.Start > best.Start {
			best = s
		}
	}
	if best == nil {
		return ""
	}
	from := ""
	if best.SourceIP != "" {
		from = " from " + best.SourceIP
	}
	end := "still open"
	if best.End != 0 {
		end = "until " + time.Unix(0, best.End).UTC().Format("15:04:05")
	}
	return fmt.Sprintf("during %s's %s session%s (%s, %s; %s line %d)", best.User, best.Via, from,
		time.Unix(0, best.Start).UTC().Format("2006-01-02 15:04:05 UTC"), end, best.File, best.Line)
}

// mentionsAll reports whether a command names every account of a comma-separated list.
func mentionsAll(cmd, users string) bool {
	for _, u := range strings.Split(users, ",") {
		if u == "" || !mentions(cmd, u, u) {
			return false
		}
	}
	return true
}

func accountRule(r string) bool { return strings.HasPrefix(r, "accounts.") || r == "baseline.change" }

// mentions reports whether a command line names a path (whole, or by its file name as a word).
func mentions(cmd, full, base string) bool {
	if strings.Contains(cmd, full) {
		return true
	}
	for _, w := range strings.FieldsFunc(cmd, func(r rune) bool { return r == ' ' || r == '/' || r == '\'' || r == '"' || r == '=' || r == ':' }) {
		if w == base && len(base) > 2 {
			return true
		}
	}
	return false
}

// byNote finds a change note that names the finding's path, file name, unit or account, near t
// (or at any time when the finding has no time).
func (e *Explainer) byNote(f *finding.Finding, t time.Time) string {
	sort.SliceStable(e.notes, func(i, j int) bool { return e.notes[i].Time.After(e.notes[j].Time) })
	for _, n := range e.notes {
		if !t.IsZero() && (t.Before(n.Time.Add(-noteWindow)) || t.After(n.Time.Add(noteWindow))) {
			continue
		}
		match := false
		for _, p := range n.Paths {
			if p == f.Path || strings.HasPrefix(f.Path, strings.TrimSuffix(p, "/")+"/") {
				match = true
			}
		}
		if !match && f.Path != "" && (strings.Contains(n.Text, f.Path) || wordIn(n.Text, path.Base(f.Path))) {
			match = true
		}
		if !match && f.User != "" && wordIn(n.Text, f.User) && accountRule(f.Rule) {
			match = true
		}
		if match {
			return fmt.Sprintf("change note by %s at %s: %q", n.Operator, n.Time.UTC().Format("2006-01-02 15:04 UTC"), finding.Clip(n.Text, 120))
		}
	}
	return ""
}

func wordIn(text, w string) bool {
	if len(w) < 3 {
		return false
	}
	for _, x := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == ':' || r == '(' || r == ')' || r == '"' || r == '\'' || r == '/'
	}) {
		if strings.EqualFold(strings.TrimRight(x, "."), w) {
			return true
		}
	}
	return false
}
