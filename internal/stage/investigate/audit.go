package investigate

import (
	"fmt"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/source/auditlog"
)

// auditLog reads the audit daemon's log where there is one: logins, account changes, sudo
// commands, programs run under audit rules, module loads, and changes to auditing itself.
func (v *investigation) auditLog() {
	files, err := auditlog.Files(v.fs)
	if err != nil {
		v.problem(catalog.Dir("log.audit.dir"), err)
	}
	if len(files) == 0 {
		return
	}
	n, rows := 0, 0
	auditlog.ReadFiles(v.fs, files, v.problem, func(p string, r auditlog.Record) bool {
		n++
		v.sawRun(r, p)
		e, ok := auditRow(r)
		if !ok || rows >= 20000 {
			return true
		}
		rows++
		e.Path = p
		v.timeline = append(v.timeline, e)
		if auditlog.Tampering(r) {
			v.findings = append(v.findings, rules.Finding("tamper.audit", finding.Finding{Severity: finding.Medium, Path: p, Time: r.Time.Format("2006-01-02T15:04:05Z07:00"),
				Attack: []string{"T1562.012"}, Evidence: []string{fmt.Sprintf("%s line %d: type=%s %s", p, r.Line, r.Type, e.Detail)},
				Title: "auditing was weakened or stopped at " + stamp(r.Time)}))
		}
		return true
	})
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("audit log: %d records", n))
}

// run is the earliest audit record of a program running.
type run struct {
	time       time.Time
	file, line string
	auid       string
}

// maxRuns bounds the programs remembered from the audit log.
const maxRuns = 100000

// sawRun remembers the first time the audit log shows each program running: the exe= of any
// record (the program that made the audited call) and the program an EXECVE started.
func (v *investigation) sawRun(r auditlog.Record, file string) {
	if r.Time.IsZero() {
		return
	}
	for _, exe := range []string{r.Get("exe"), execTarget(r)} {
		if !strings.HasPrefix(exe, "/") {
			continue
		}
		if v.runs == nil {
			v.runs = map[string]run{}
		}
		old, seen := v.runs[exe]
		if seen && !r.Time.Before(old.time) || !seen && len(v.runs) >= maxRuns {
			continue
		}
		v.runs[exe] = run{time: r.Time, file: file, line: fmt.Sprintf("line %d: type=%s exe=%s auid=%s", r.Line, r.Type, exe, r.Get("auid")), auid: r.Get("auid")}
	}
}

// execTarget is the program an EXECVE record started, when it was given by its full path.
func execTarget(r auditlog.Record) string {
	if r.Type != "EXECVE" {
		return ""
	}
	return r.Get("a0")
}

// firstRuns names, for each program check found malicious, the first time the audit log shows it
// running: when the intruder was already in, so the way in comes before it.
func (v *investigation) firstRuns() {
	if len(v.runs) == 0 {
		return
	}
	done := map[string]bool{}
	for _, f := range v.chk.Findings {
		bad := !f.Explained && (f.Severity >= finding.High || f.Strong)
		r, ok := v.runs[f.Path]
		if !bad || !ok || done[f.Path] {
			continue
		}
		done[f.Path] = true
		user := ""
		if r.auid != "" && r.auid != "4294967295" && r.auid != "unset" {
			user = "auid " + r.auid
		}
		v.findings = append(v.findings, rules.Finding("implant.first-run", finding.Finding{Severity: finding.High, Path: f.Path, User: user,
			Time: r.time.UTC().Format(time.RFC3339), Attack: append([]string{"T1204.002"}, f.Attack...),
			Evidence: []string{r.file + " " + r.line, "nowwhat check: " + f.Title + " (" + f.Rule + ")"},
			Title:    fmt.Sprintf("%s, which check found (%s), first ran at %s", f.Path, f.Rule, stamp(r.time)),
			Action:   "Look at the logins and web requests in the minutes before " + stamp(r.time) + "; the audit log's auid names the login session that ran it."}))
		v.timeline = append(v.timeline, Event{Time: r.time, Source: "audit", Event: "implant-first-run", Path: f.Path, User: user,
			Detail: "first run of " + f.Path + " (" + f.Rule + ")", Malicious: true, weight: 9})
	}
}

// auditRow turns a record of interest into a timeline row.
func auditRow(r auditlog.Record) (Event, bool) {
	s, ok := auditlog.Summarize(r)
	return Event{Time: r.Time, Source: "audit", Event: s.Kind, User: s.User, IP: s.Addr, Detail: s.Detail, weight: s.Weight}, ok
}
