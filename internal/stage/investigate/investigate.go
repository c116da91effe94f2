// Package investigate answers "how did they get in, and what did they do?": it reads every log
// the host kept (authentication logs or the journal, login records, package logs, web server
// logs), adds check's findings and the file changes of the snapshot, builds one timeline, and
// names the most likely way in (password guessing that succeeded, a web shell or an exploited
// web application, a valid account used from a new place) with its evidence and confidence.
package investigate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/probe/hostlogs"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
	"github.com/nowwhat/nowwhat/internal/source/utmp"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

// Options say what to investigate.
type Options struct {
	Check        check.Options // the root (or snapshot), baseline, notes
	Since, Until time.Time     // keep timeline rows in this window (zero: no bound)
	// MaxTimeline bounds the rows kept (0: 20,000); the rows nearest the incident are kept.
	MaxTimeline int
}

// Event is one row of the timeline.
type Event struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"` // auth, journal, wtmp, web, dpkg, apt, check, file, history
	Host   string    `json:"host,omitempty"`
	Event  string    `json:"event"`
	Detail string    `json:"detail"`
	IP     string    `json:"source_ip,omitempty"`
	User   string    `json:"user,omitempty"`
	Path   string    `json:"path,omitempty"`
	// Malicious marks a row that belongs to the intrusion (an unexplained finding, the entry).
	Malicious bool `json:"malicious,omitempty"`
	weight    int
}

// Entry is the most likely way in.
type Entry struct {
	Vector     string    `json:"vector"`     // ssh-bruteforce, ssh-valid-account, web-shell-upload, web-exploit, unknown
	Confidence string    `json:"confidence"` // high, medium, low, none
	SourceIPs  []string  `json:"source_ips"`
	Users      []string  `json:"users"`
	Time       time.Time `json:"time"`
	Summary    string    `json:"summary"`
	Evidence   []string  `json:"evidence"`
}

// IOCs are what others can look for elsewhere.
type IOCs struct {
	IPs    []string `json:"ips"`
	Paths  []string `json:"paths"`
	Hashes []string `json:"hashes"`
	Keys   []string `json:"keys"`
}

// Report is the investigation.
type Report struct {
	Entry     Entry             `json:"entry"`
	Narrative []string          `json:"narrative"`
	First     time.Time         `json:"first_malicious,omitempty"`
	Last      time.Time         `json:"last_malicious,omitempty"`
	Verdict   finding.Verdict   `json:"verdict"`
	Findings  []finding.Finding `json:"findings"`
	Timeline  []Event           `json:"timeline"`
	IOCs      IOCs              `json:"iocs"`
	Sources   []string          `json:"sources"`
	Problems  []string          `json:"not_covered"`
	Dropped   int               `json:"timeline_rows_left_out,omitempty"`
	// Sessions are the hostile login sessions, with their reasons and what they did.
	Sessions []*sessions.Session `json:"sessions,omitempty"`
}

// Run investigates.
func Run(ctx context.Context, opt Options) (*Report, error) {
	var rep *Report
	root := opt.Check.Root
	if root == "" {
		root = "/"
	}
	err := check.With(ctx, opt.Check, func(cur *snapshot.Reader, chk *check.Report) error {
		fsys, err := hostfs.Open(root)
		if err != nil {
			return err
		}
		defer fsys.Close()
		rep, err = Analyze(ctx, fsys, cur, chk, opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Analyze investigates a host whose snapshot was already taken and judged (collect does both,
// once, for its archive): the logs are read from fsys.
func Analyze(ctx context.Context, fsys *hostfs.FS, cur *snapshot.Reader, chk *check.Report, opt Options) (*Report, error) {
	rep := &Report{Findings: []finding.Finding{}, Timeline: []Event{}, Verdict: chk.Verdict}
	inv := &investigation{opt: opt, fs: fsys, cur: cur, chk: chk, rep: rep, ssh: newSSH()}
	if err := inv.run(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

type investigation struct {
	opt      Options
	fs       *hostfs.FS
	cur      *snapshot.Reader
	chk      *check.Report
	rep      *Report
	ssh      *sshState
	timeline []Event
	findings []finding.Finding
	web      *webState
	runs     map[string]run // first time the audit log shows each program running
	model    *sessions.Model
	nested   []string // other systems' roots inside this one, with a trailing slash
}

// inNested reports whether a path lies in another system's root inside this one (a chroot, a
// container image), which check found and left out.
func (v *investigation) inNested(p string) bool {
	if v.nested == nil {
		v.nested = []string{}
		for _, f := range v.chk.Findings {
			if f.Rule == "info.nested-root" {
				v.nested = append(v.nested, f.Path+"/")
			}
		}
	}
	for _, root := range v.nested {
		if strings.HasPrefix(p, root) {
			return true
		}
	}
	return false
}

func (v *investigation) problem(path string, err error) {
	if err != nil {
		v.rep.Problems = append(v.rep.Problems, strings.TrimSpace(path+" "+err.Error()))
	}
}

func (v *investigation) run(ctx context.Context) error {
	v.authentication(ctx)
	v.logins()
	v.packages()
	v.checkFindings()
	v.fileChanges()
	v.histories()
	v.kernelLog(ctx)
	v.auditLog()
	v.firstRuns()
	v.webLogs(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := v.judgeSessions(); err != nil {
		return err
	}
	v.ssh.judge(v.model)
	v.ssh.finish(v.model)
	v.timeline = append(v.timeline, v.ssh.events...)
	v.findings = append(v.findings, v.ssh.findings...)
	v.entry()
	v.iocs()
	v.finishTimeline()
	fs := append(v.findings, v.checkFindingsKept()...)
	finding.Sort(fs)
	v.rep.Findings = finding.Dedupe(fs)
	// One verdict from both: an entry found in the logs counts as much as a file check found.
	v.rep.Verdict = finding.Decide(v.rep.Findings, v.chk.Coverage)
	v.narrative()
	return nil
}

// judgeSessions judges the sessions again with what the web logs showed (the addresses of
// exploits and web shells are hostile), so the way in and the verdict rest on one model.
func (v *investigation) judgeSessions() error {
	base := v.chk.Model
	if base == nil {
		m, err := sessions.Build(v.cur, sessions.Options{Trust: v.opt.Check.Trust})
		if err != nil {
			return err
		}
		base = m
	}
	hostile := map[string]string{}
	for _, f := range v.findings {
		switch f.Rule {
		case "web.upload-then-access", "web.webshell-first-access", "web.exploit-success":
			if f.SourceIP != "" {
				if _, ok := hostile[f.SourceIP]; !ok {
					hostile[f.SourceIP] = "attacked the web site (" + f.Rule + ": " + finding.Clip(f.Title, 100) + ")"
				}
			}
		}
	}
	m, err := base.Rejudge(v.cur, hostile)
	if err != nil {
		return err
	}
	v.model = m
	v.rep.Sessions = nil
	for _, s := range m.Sessions {
		if s.Judgement == sessions.Hostile && len(v.rep.Sessions) < 200 {
			v.rep.Sessions = append(v.rep.Sessions, s)
		}
	}
	v.rep.Sources = append(v.rep.Sources, m.Summary())
	return nil
}

// checkFindingsKept are check's findings, with its session findings replaced by those of the
// model judged again here (the web logs can make more sessions hostile).
func (v *investigation) checkFindingsKept() []finding.Finding {
	var out []finding.Finding
	for _, f := range v.chk.Findings {
		if f.Rule == sessions.RuleHostile || f.Rule == sessions.RulePackage {
			continue
		}
		out = append(out, f)
	}
	entries := map[string]bool{}
	for _, f := range v.findings {
		if strings.HasPrefix(f.Rule, "entry.ssh-") {
			entries[f.SourceIP] = true
		}
	}
	for _, f := range v.model.Findings() {
		if !entries[f.SourceIP] { // the entry finding says it already
			out = append(out, f)
		}
	}
	if pf, err := v.model.PackageFindings(v.cur); err == nil {
		out = append(out, pf...)
	} else {
		v.problem("package operations of hostile sessions", err)
	}
	return out
}

// authentication reads the authentication log (or the journal) once: SSH, sudo, su, accounts.
func (v *investigation) authentication(ctx context.Context) {
	events, source := hostlogs.AuthEvents(ctx, v.fs, v.problem)
	n := 0
	var prev, first time.Time
	var gaps []gap
	for ev := range events {
		n++
		if !ev.Time.IsZero() {
			if !prev.IsZero() && ev.Time.Sub(prev) > 12*time.Hour {
				gaps = append(gaps, gap{from: prev, to: ev.Time, file: ev.File, line: ev.Line})
			}
			if first.IsZero() {
				first = ev.Time
			}
			prev = ev.Time
		}
		v.ssh.add(ev)
		switch ev.Kind {
		case authlog.KindSudoCommand:
			row := Event{Time: ev.Time, Source: source, Host: ev.Host, Event: "sudo", User: ev.User,
				Detail: fmt.Sprintf("%s ran as %s: %s", ev.User, orRoot(ev.TargetUser), ev.Command), weight: 2}
			if shellCommand(ev.Command) {
				row.Event, row.weight = "sudo-shell", 4
				v.findings = append(v.findings, rules.Finding("privilege.sudo-shell", finding.Finding{Severity: finding.Low, User: ev.User,
					Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1548.003"},
					Evidence: []string{fmt.Sprintf("%s line %d: %s", ev.File, ev.Line, ev.Raw)},
					Title:    fmt.Sprintf("%s opened a root shell with sudo: %s", ev.User, ev.Command)}))
			}
			v.timeline = append(v.timeline, row)
		case authlog.KindSuSuccess, authlog.KindSuSessionOpen:
			v.timeline = append(v.timeline, Event{Time: ev.Time, Source: source, Host: ev.Host, Event: "su", User: ev.User,
				Detail: fmt.Sprintf("%s became %s with su", orDash(ev.User), orRoot(ev.TargetUser)), weight: 2})
		case authlog.KindUserAdd, authlog.KindUserMod, authlog.KindUserDel, authlog.KindGroupAdd, authlog.KindGroupMod, authlog.KindPasswdChange:
			v.timeline = append(v.timeline, Event{Time: ev.Time, Source: source, Host: ev.Host, Event: ev.Kind, User: ev.User,
				Detail: strings.TrimSpace(fmt.Sprintf("%s %s %s %s", ev.Kind, ev.User, ev.Group, ev.Detail)), weight: 3})
		}
	}
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("%s: %d authentication events", map[string]string{"auth": "auth.log/secure", "journal": "systemd journal"}[source], n))
	v.logGaps(gaps, first, prev, n)
}

// gap is a silence in a log.
type gap struct {
	from, to time.Time
	file     string
	line     int
}

// logGaps reports silences in a busy authentication log: a server with logins, sudo and cron
// writes to it every day, so a day or more of nothing in the middle of weeks of activity is
// worth a look (lines deleted by hand leave exactly that).
func (v *investigation) logGaps(gaps []gap, first, last time.Time, n int) {
	span := last.Sub(first)
	if n < 500 || span < 7*24*time.Hour {
		return
	}
	avg := span / time.Duration(n)
	for _, g := range gaps {
		d := g.to.Sub(g.from)
		if d < 24*time.Hour || d < 50*avg {
			continue
		}
		v.findings = append(v.findings, rules.Finding("tamper.log-gap", finding.Finding{Severity: finding.Medium, Path: g.file, Time: g.from.UTC().Format(time.RFC3339),
			Attack: []string{"T1070.002"}, Evidence: []string{fmt.Sprintf("nothing logged from %s to %s (%s), in a log that averages an event every %s; resumes at %s line %d",
				stamp(g.from), stamp(g.to), d.Round(time.Minute), avg.Round(time.Second), g.file, g.line)},
			Title: fmt.Sprintf("the authentication log is silent for %s from %s", d.Round(time.Hour), stamp(g.from))}))
		v.timeline = append(v.timeline, Event{Time: g.from, Source: "investigate", Event: "log-gap", Path: g.file,
			Detail: fmt.Sprintf("authentication log silent for %s", d.Round(time.Minute)), weight: 5})
	}
}

func shellCommand(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	base := f[0][strings.LastIndexByte(f[0], '/')+1:]
	switch base {
	case "bash", "sh", "dash", "zsh", "ksh", "fish", "tcsh", "csh":
		return true
	case "su":
		return true
	}
	return len(f) > 1 && base == "sudo" && (f[1] == "-i" || f[1] == "-s")
}

func orRoot(s string) string {
	if s == "" {
		return "root"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logins reads wtmp and btmp: logins, reboots, and signs of editing; then lastlog, whose
// per-account last login must also be in wtmp when wtmp reaches back that far.
func (v *investigation) logins() {
	lastWtmp := map[string]time.Time{} // newest wtmp login per user
	var wtmpFrom time.Time             // oldest wtmp record read
	for _, f := range utmp.Files(v.fs) {
		if !f.Supported {
			v.problem(f.Path, fmt.Errorf("format not read (%s)", f.Kind))
			continue
		}
		if f.Kind == utmp.KindLastlog {
			continue
		}
		if f.Kind != utmp.KindWtmp && f.Kind != utmp.KindBtmp {
			continue
		}
		n := 0
		anomalies, err := utmp.ReadFile(v.fs, f.Path, func(r utmp.Record) bool {
			n++
			if f.Kind == utmp.KindWtmp && !r.Time.IsZero() && (wtmpFrom.IsZero() || r.Time.Before(wtmpFrom)) {
				wtmpFrom = r.Time
			}
			switch {
			case r.Type == "BOOT_TIME":
				v.timeline = append(v.timeline, Event{Time: r.Time, Source: "wtmp", Event: "boot", Detail: "system boot, kernel " + r.Host, weight: 1})
			case r.Type == "USER_PROCESS" && f.Kind == utmp.KindWtmp:
				if r.Time.After(lastWtmp[r.User]) {
					lastWtmp[r.User] = r.Time
				}
				v.timeline = append(v.timeline, Event{Time: r.Time, Source: "wtmp", Event: "login", User: r.User, IP: r.Addr,
					Detail: strings.TrimSpace(fmt.Sprintf("%s logged in on %s from %s", r.User, r.Line, r.Host)), weight: 1})
			}
			return true
		})
		if err != nil {
			v.problem(f.Path, err)
		}
		v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("%s: %d records", f.Path, n))
		for _, a := range anomalies {
			v.findings = append(v.findings, rules.Finding("tamper.login-records", finding.Finding{Severity: finding.High, Path: f.Path,
				Attack: []string{"T1070.002"}, Evidence: []string{fmt.Sprintf("%s at byte %d: %s", a.Kind, a.Offset, a.Detail)},
				Title: fmt.Sprintf("%s looks edited: %s", f.Path, a.Kind)}))
		}
	}
	v.lastlog(lastWtmp, wtmpFrom)
}

// lastlogSlack is how far lastlog's time (whole seconds, written by sshd or login a moment
// apart from wtmp) may differ from the matching wtmp record.
const lastlogSlack = time.Minute

// lastlog puts each account's last login on the timeline and flags a last login that wtmp
// should hold but does not: the trace of a login erased from wtmp by a log cleaner.
func (v *investigation) lastlog(lastWtmp map[string]time.Time, wtmpFrom time.Time) {
	path := catalog.Path("log.lastlog")
	names := map[uint32]string{}
	if users, err := snapshot.All[snapshot.User](v.cur, ""); err == nil {
		for _, u := range users {
			if _, dup := names[uint32(u.UID)]; !dup {
				names[uint32(u.UID)] = u.Name
			}
		}
	}
	n := 0
	err := utmp.ReadLastlog(v.fs, path, func(ll utmp.LastLogin) bool {
		if ll.Time.IsZero() {
			return true
		}
		n++
		user := names[ll.UID]
		if user == "" {
			user = fmt.Sprintf("uid %d", ll.UID)
		}
		from := orDash(ll.Host)
		v.timeline = append(v.timeline, Event{Time: ll.Time, Source: "lastlog", Event: "last-login", User: user, IP: ipOf(ll.Host),
			Detail: fmt.Sprintf("last login of %s on %s from %s", user, orDash(ll.Line), from), weight: 1})
		if wtmpFrom.IsZero() || ll.Time.Before(wtmpFrom.Add(lastlogSlack)) {
			return true // wtmp does not reach back that far (rotated away, or not kept)
		}
		if seen := lastWtmp[user]; !seen.IsZero() && !seen.Before(ll.Time.Add(-lastlogSlack)) {
			return true
		}
		ev := fmt.Sprintf("lastlog: %s last logged in %s on %s from %s", user, ll.Time.Format(time.RFC3339), orDash(ll.Line), from)
		newest := "no login of " + user + " at all"
		if seen := lastWtmp[user]; !seen.IsZero() {
			newest = "newest login of " + user + " at " + seen.Format(time.RFC3339)
		}
		v.findings = append(v.findings, rules.Finding("tamper.lastlog-wtmp", finding.Finding{Severity: finding.High, Path: catalog.Path("log.wtmp"),
			User: user, SourceIP: ipOf(ll.Host), Time: ll.Time.Format(time.RFC3339), Attack: []string{"T1070.002"},
			Evidence: []string{ev, fmt.Sprintf("wtmp (from %s): %s", wtmpFrom.Format(time.RFC3339), newest)},
			Title:    fmt.Sprintf("a login of %s is in lastlog but missing from wtmp", user)}))
		return true
	})
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			v.problem(path, err)
		}
		return
	}
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("%s: %d accounts with a last login", path, n))
}

// ipOf returns host when it is an IP address, "" otherwise.
func ipOf(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	return ""
}

// packages puts package operations on the timeline, and flags installs nobody's session explains.
func (v *investigation) packages() {
	evs, err := snapshot.All[snapshot.Event](v.cur, "source IN ('dpkg', 'apt', 'dnf')")
	if err != nil {
		v.problem("package events", err)
		return
	}
	ss, _ := snapshot.All[snapshot.Session](v.cur, "via != 'cron'")
	for _, e := range evs {
		t := time.Unix(0, e.Time).UTC()
		row := Event{Time: t, Source: e.Source, Event: e.Kind, Detail: e.Subject, User: e.User, weight: 1}
		if e.Kind == "package-install" && len(ss) > 0 && !inSession(ss, t) {
			row.weight = 3
			v.findings = append(v.findings, rules.Finding("package.outside-session", finding.Finding{Severity: finding.Low, Time: t.Format(time.RFC3339),
				Attack: []string{"T1072"}, Evidence: []string{fmt.Sprintf("%s line %d: %s %s", e.File, e.Line, e.Kind, e.Subject)},
				Title: "package installed while no administrator was logged in: " + e.Subject}))
		}
		v.timeline = append(v.timeline, row)
	}
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("package logs: %d operations", len(evs)))
}

func inSession(ss []snapshot.Session, t time.Time) bool {
	for _, s := range ss {
		start := time.Unix(0, s.Start)
		end := start.Add(12 * time.Hour)
		if s.End != 0 {
			end = time.Unix(0, s.End)
		}
		if !t.Before(start) && !t.After(end) {
			return true
		}
	}
	return false
}

// checkFindings places check's findings on the timeline; unexplained ones above low are the
// intrusion's.
func (v *investigation) checkFindings() {
	for _, f := range v.chk.Findings {
		t, err := time.Parse(time.RFC3339, f.Time)
		if err != nil || f.Severity < finding.Low {
			continue
		}
		bad := !f.Explained && (f.Severity >= finding.High || f.Strong)
		row := Event{Time: t, Source: "check", Event: f.Rule, Detail: f.Title, Path: f.Path, User: f.User, Malicious: bad, weight: 2}
		if bad {
			row.weight = 8
		}
		v.timeline = append(v.timeline, row)
	}
}

// fileChanges puts the changes of files in places intruders use on the timeline (by their status
// change time, which cannot be set back from user space).
func (v *investigation) fileChanges() {
	var or []string
	for _, id := range []string{"tmp", "var.tmp", "dev.shm", "cron.all", "cron.spool", "systemd.etc", "init.d", "profile.d",
		"ld.preload", "www", "usr.local.bin", "passwd", "shadow", "sudoers.all"} {
		l := catalog.Get(id)
		if l.IsFolder() {
			or = append(or, "path LIKE '"+l.Prefix()+"%'")
		} else {
			or = append(or, "path = '"+l.Path+"'")
		}
	}
	or = append(or, "path LIKE '%/.ssh/authorized_keys%'")
	where := "type = 'file' AND ctime > 0 AND (" + strings.Join(or, " OR ") + ")"
	n := 0
	err := snapshot.Each(v.cur, where, nil, func(f snapshot.File) error {
		if v.inNested(f.Path) {
			return nil
		}
		n++
		if n > 50000 {
			return nil
		}
		v.timeline = append(v.timeline, Event{Time: time.Unix(0, f.Ctime).UTC(), Source: "file", Event: "file-changed", Path: f.Path,
			Detail: fmt.Sprintf("%s changed (mode %04o, %d bytes)", f.Path, f.Mode, f.Size), weight: 0})
		return nil
	})
	if err != nil {
		v.problem("file times", err)
	}
}

// finishTimeline sorts, filters by --since/--until, and bounds the rows, keeping those nearest
// the intrusion and the heaviest.
func (v *investigation) finishTimeline() {
	rows := v.timeline[:0]
	for _, e := range v.timeline {
		if e.Time.IsZero() {
			continue
		}
		if !v.opt.Since.IsZero() && e.Time.Before(v.opt.Since) || !v.opt.Until.IsZero() && e.Time.After(v.opt.Until) {
			continue
		}
		rows = append(rows, e)
	}
	max := v.opt.MaxTimeline
	if max <= 0 {
		max = 20000
	}
	if len(rows) > max {
		// Keep the rows closest to the intrusion window, heavier first.
		lo, hi := v.rep.First, v.rep.Last
		dist := func(e Event) time.Duration {
			if lo.IsZero() {
				return 0
			}
			switch {
			case e.Time.Before(lo):
				return lo.Sub(e.Time)
			case e.Time.After(hi):
				return e.Time.Sub(hi)
			}
			return 0
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].weight != rows[j].weight {
				return rows[i].weight > rows[j].weight
			}
			return dist(rows[i]) < dist(rows[j])
		})
		v.rep.Dropped = len(rows) - max
		rows = rows[:max]
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Time.Before(rows[j].Time) })
	v.rep.Timeline = rows
}
