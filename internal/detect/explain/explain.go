// Package explain tells changes that someone can account for from the rest. Only four things
// explain a finding:
//
//   - the baseline: what was already there before the incident is not new;
//   - a change note recorded in the case folder (`nowwhat note`);
//   - a package operation, for what it wrote: the files its package owns, links to them (unit
//     enablement, alternatives), and the few files maintainer scripts are known to create; and
//     never a package operation that a hostile session ran;
//   - a trusted session (see package detect/sessions) that could have made the change: a sudo
//     command naming it, a root shell open then, or the account's own file.
//
// A change made while a hostile session could have made it is tied to that session and
// escalated; one made in a session nothing vouches for stays unexplained, and says so. Strong
// indicators of compromise are never explained away: an explanation found for them is noted,
// not applied.
package explain

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
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
	model     *sessions.Model
	owner     map[string]string // path -> package that records it
	files     func(path string) (snapshot.File, bool)
	names     map[uint32]string // uid -> account
	notes     []Note
	base      string // when the baseline was taken ("" without one)
}

// packageWindow is how far from a package operation a change is still attributed to it.
const packageWindow = 10 * time.Minute

// noteWindow is how far from a change note a matching change is attributed to it.
const noteWindow = 48 * time.Hour

// New gathers the explanations a snapshot offers: its package operations, the judged sessions
// (model, nil for none), the notes and the baseline's time if there is one.
func New(cur *snapshot.Reader, base *snapshot.Reader, model *sessions.Model, notes []Note) (*Explainer, error) {
	e := &Explainer{owner: map[string]string{}, names: map[uint32]string{}, notes: notes, model: model}
	evs, err := snapshot.All[snapshot.Event](cur, "source IN ('dpkg', 'dnf') AND kind LIKE 'package-%'")
	if err != nil {
		return nil, err
	}
	e.pkgEvents = evs
	err = snapshot.Each(cur, "alg != 'diverted'", nil, func(p snapshot.PackageFile) error {
		if _, ok := e.owner[p.Path]; !ok {
			e.owner[p.Path] = p.Package
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	users, err := snapshot.All[snapshot.User](cur, "")
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if _, dup := e.names[uint32(u.UID)]; !dup {
			e.names[uint32(u.UID)] = u.Name
		}
	}
	e.files = func(p string) (snapshot.File, bool) {
		fs, err := snapshot.All[snapshot.File](cur, "path = ?", p)
		if err != nil || len(fs) == 0 {
			return snapshot.File{}, false
		}
		return fs[0], true
	}
	if base != nil {
		e.base = base.Meta("taken_at")
	}
	return e, nil
}

// None is an explainer with nothing to draw on (package verification alone).
func None() *Explainer {
	return &Explainer{owner: map[string]string{}, names: map[uint32]string{}}
}

// Sources says what the explainer could draw on, for the coverage report.
func (e *Explainer) Sources() []string {
	var out []string
	out = append(out, fmt.Sprintf("package manager log: %d operations", len(e.pkgEvents)))
	if e.model != nil {
		out = append(out, e.model.Summary())
	} else {
		out = append(out, "sessions: not judged")
	}
	out = append(out, fmt.Sprintf("change notes: %d", len(e.notes)))
	if e.base != "" {
		out = append(out, "baseline taken "+e.base)
	} else {
		out = append(out, "no baseline")
	}
	return out
}

// verdict is what explains (or ties) one finding.
type verdict struct {
	why      string
	explains bool                  // why clears the finding
	hostile  *sessions.Attribution // the change is tied to a hostile session
	session  *sessions.Attribution // the session named in why
}

// Apply marks the findings that something explains, ties those a hostile session made to it
// (raising them to high at least), and notes on the rest the session nothing vouches for.
func (e *Explainer) Apply(fs []finding.Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Explained {
			continue
		}
		v := e.explain(f)
		if v.session != nil {
			f.Session = sessions.Ref(v.session.Session, v.session.How)
		}
		if v.hostile != nil && !v.explains {
			s := v.hostile.Session
			f.Session = sessions.Ref(s, v.hostile.How)
			line := fmt.Sprintf("made during %s, which is hostile: %s", s.Label(), strings.Join(s.Reasons, "; "))
			if v.hostile.Command != nil {
				line = fmt.Sprintf("%s ran `sudo %s` at %s (%s line %d) in %s, which is hostile: %s", s.User, finding.Clip(v.hostile.Command.Command, 120),
					stamp(v.hostile.Command.Time), v.hostile.Command.File, v.hostile.Command.Line, s.Label(), strings.Join(s.Reasons, "; "))
			}
			f.Evidence = append(f.Evidence, finding.Clip(line, 400))
			if f.Severity < finding.High {
				f.Severity = finding.High
			}
			f.Explanation = "the intruder's work: " + finding.Clip(line, 300)
			continue
		}
		if v.why == "" {
			continue
		}
		if !v.explains {
			f.Explanation = v.why
			continue
		}
		if f.Strong {
			f.Explanation = "not enough to clear it (a strong sign of compromise whoever did it): " + v.why
			continue
		}
		f.Explained, f.Explanation = true, v.why
	}
}

func (e *Explainer) explain(f *finding.Finding) verdict {
	if f.PID != 0 && f.Path == "" {
		return verdict{}
	}
	if e.base != "" && !f.New && f.Rule != "baseline.change" && !strings.HasPrefix(f.Rule, "live.") && !strings.HasPrefix(f.Rule, "session.") {
		return verdict{why: "present in the baseline taken " + e.base + ": not new", explains: true}
	}
	t, err := time.Parse(time.RFC3339, f.Time)
	if err != nil {
		t = time.Time{}
	}
	if strings.HasPrefix(f.Rule, "session.") {
		return verdict{} // findings about sessions are judged by the sessions model itself
	}
	var att sessions.Attributions
	if e.model != nil && !t.IsZero() {
		att = e.model.Attribute(e.change(f, t))
	}
	if why := e.byNote(f, t); why != "" {
		return verdict{why: why, explains: true, hostile: att.Hostile}
	}
	if t.IsZero() {
		return verdict{}
	}
	// A sudo command of a trusted session that names the change is the most specific account.
	if a := att.Trusted; a != nil && a.How == sessions.ByCommand {
		return verdict{why: sessionWhy(a), explains: true, session: a}
	}
	if f.Rule != "integrity.modified-binary" && f.Rule != "integrity.modified-file" && f.Rule != "integrity.digest-list-rewritten" {
		if why := e.byPackage(f, t); why != "" {
			return verdict{why: why, explains: true}
		}
	}
	if a := att.Hostile; a != nil && a.How != sessions.ByPresent {
		return verdict{hostile: a}
	}
	if a := att.Trusted; a != nil {
		return verdict{why: sessionWhy(a), explains: true, session: a}
	}
	if a := att.Hostile; a != nil {
		return verdict{hostile: a}
	}
	if a := att.Unknown; a != nil {
		s := a.Session
		fix := "nowwhat trust add --address " + s.SourceIP + " --who NAME"
		if s.SourceIP == "" {
			fix = "a change note (nowwhat note)"
		}
		return verdict{why: fmt.Sprintf("made during %s that nothing vouches for (%s); if it is yours: %s", s.Label(), first(s.Reasons), fix), session: a}
	}
	return verdict{}
}

// change describes a finding as a change for the sessions model.
func (e *Explainer) change(f *finding.Finding, t time.Time) sessions.Change {
	c := sessions.Change{Time: t, Path: f.Path}
	if accountRule(f.Rule) {
		c.Account = f.User
	}
	if f.Path != "" && e.files != nil {
		if fi, ok := e.files(f.Path); ok {
			c.Owner = e.names[fi.UID]
		}
	}
	return c
}

func sessionWhy(a *sessions.Attribution) string {
	s := a.Session
	trust := first(s.Reasons)
	switch a.How {
	case sessions.ByCommand:
		return fmt.Sprintf("%s ran `sudo %s` at %s (%s line %d) in %s (trusted: %s)", s.User, finding.Clip(a.Command.Command, 120),
			stamp(a.Command.Time), a.Command.File, a.Command.Line, s.Label(), trust)
	case sessions.ByRoot:
		return fmt.Sprintf("during %s, which had root then (trusted: %s; %s line %d)", s.Label(), trust, s.File, s.Line)
	case sessions.BySudo:
		return fmt.Sprintf("written moments after %s ran `sudo %s` at %s (%s line %d) in %s (trusted: %s)", s.User, finding.Clip(a.Command.Command, 120),
			stamp(a.Command.Time), a.Command.File, a.Command.Line, s.Label(), trust)
	}
	return fmt.Sprintf("%s's own file, changed during %s (trusted: %s; %s line %d)", s.User, s.Label(), trust, s.File, s.Line)
}

// byPackage finds a package operation around t that wrote the path: on the package that owns
// it; for a file no package lists, one whose package owns the link's target (unit enablement,
// alternatives) or the folder of a compiled Python file, or a file its maintainer scripts are
// known to create. A package operation a hostile session ran explains nothing.
func (e *Explainer) byPackage(f *finding.Finding, t time.Time) string {
	if f.Path == "" {
		return ""
	}
	pkg := e.owner[f.Path]
	var best *snapshot.Event
	how := ""
	for i := range e.pkgEvents {
		ev := &e.pkgEvents[i]
		et := time.Unix(0, ev.Time)
		if d := et.Sub(t); d < -packageWindow || d > packageWindow {
			continue
		}
		if e.model != nil && e.model.PackageOpHostile(et) != nil {
			continue
		}
		var h string
		switch {
		case pkg != "":
			if ev.Target != pkg {
				continue
			}
			h = "owned"
		default:
			h = e.wroteUnowned(f.Path, ev.Target)
			if h == "" {
				continue
			}
		}
		if best == nil || absDur(et.Sub(t)) < absDur(time.Unix(0, best.Time).Sub(t)) {
			best, how = ev, h
		}
	}
	if best == nil {
		return ""
	}
	when := stamp(time.Unix(0, best.Time))
	if how == "owned" {
		return fmt.Sprintf("package manager: %s %s at %s (%s line %d)", strings.TrimPrefix(best.Kind, "package-"), best.Subject, when, best.File, best.Line)
	}
	return fmt.Sprintf("written by the package manager (%s) during %s %s at %s (%s line %d)", how, strings.TrimPrefix(best.Kind, "package-"), best.Subject, when, best.File, best.Line)
}

// maintainerOutputs are files that packages' maintainer scripts and triggers create (so no
// package lists them), by package; "*" for any package's triggers.
var maintainerOutputs = map[string][]string{
	"*":                 {catalog.Path("log.dpkg"), catalog.Path("log.apt"), "/var/log/apt/*", "/var/log/alternatives.log", "/etc/ld.so.cache", "/etc/alternatives/*", "/usr/share/mime/*", "/usr/share/info/dir", "/usr/lib/*/gdk-pixbuf-*/*/loaders.cache", "/etc/shells"},
	"openssh-server":    {"/etc/ssh/ssh_host_*", catalog.Path("sshd.config")},
	"openssh-client":    {"/etc/ssh/ssh_config"},
	"systemd":           {"/etc/machine-id", "/var/lib/dbus/machine-id"},
	"dbus":              {"/var/lib/dbus/machine-id"},
	"ca-certificates":   {"/etc/ssl/certs/*"},
	"tzdata":            {"/etc/localtime", "/etc/timezone"},
	"grub-common":       {"/etc/default/grub", "/boot/grub/*"},
	"grub-pc":           {"/etc/default/grub", "/boot/grub/*"},
	"initramfs-tools":   {"/boot/initrd.img-*"},
	"locales":           {"/etc/locale.gen", "/etc/default/locale", "/usr/lib/locale/locale-archive"},
	"ssl-cert":          {"/etc/ssl/certs/ssl-cert-snakeoil.pem", "/etc/ssl/private/ssl-cert-snakeoil.key"},
	"nginx-common":      {"/etc/nginx/sites-enabled/default"},
	"debianutils":       {"/etc/shells"},
	"man-db":            {"/var/cache/man/*"},
	"fontconfig":        {"/var/cache/fontconfig/*"},
	"systemd-timesyncd": {"/etc/systemd/timesyncd.conf"},
}

// wroteUnowned says how a package operation on pkg wrote a path no package lists, or "".
func (e *Explainer) wroteUnowned(p, pkg string) string {
	if e.files != nil {
		if fi, ok := e.files(p); ok && fi.Type == "symlink" && fi.Link != "" {
			target := fi.Link
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(p), target)
			}
			if e.owner[target] != "" {
				return "a link to " + target + " of package " + e.owner[target]
			}
			// phpenmod links conf.d to the package's mods-available (managed by ucf, so unlisted).
			if ok, _ := path.Match("/etc/php/*/*/conf.d/*.ini", p); ok && strings.HasPrefix(pkg, "php") {
				if ok, _ := path.Match("/etc/php/*/mods-available/*.ini", target); ok {
					return "a module enabled by " + pkg + " (" + target + ")"
				}
			}
			// A chain through /etc/alternatives ends at a packaged file too.
			if strings.HasPrefix(target, "/etc/alternatives/") {
				if alt, ok := e.files(target); ok && alt.Type == "symlink" && e.owner[alt.Link] != "" {
					return "an alternative for " + alt.Link
				}
			}
		}
	}
	if dir := path.Dir(p); path.Base(dir) == "__pycache__" && strings.HasSuffix(p, ".pyc") {
		src := path.Join(path.Dir(dir), strings.SplitN(path.Base(p), ".", 2)[0]+".py")
		if e.owner[src] == pkg {
			return "compiled from " + src
		}
	}
	for _, k := range []string{pkg, "*"} {
		for _, pat := range maintainerOutputs[k] {
			if ok, _ := path.Match(pat, p); ok || strings.HasSuffix(pat, "/*") && strings.HasPrefix(p, strings.TrimSuffix(pat, "*")) {
				who := "maintainer script of " + pkg
				if k == "*" {
					who = "package trigger"
				}
				return who
			}
		}
	}
	return ""
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func accountRule(r string) bool { return strings.HasPrefix(r, "accounts.") || r == "baseline.change" }

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

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
