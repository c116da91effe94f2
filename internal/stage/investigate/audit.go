package investigate

import (
	"fmt"
	"path"
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
	var files []string
	dir := catalog.Dir("log.audit.dir")
	names := v.fs.ReadDirNames(dir)
	// audit.log.N are older the higher N is; audit.log is the newest.
	for i := 99; i >= 1; i-- {
		for _, n := range names {
			if n == fmt.Sprintf("audit.log.%d", i) {
				files = append(files, path.Join(dir, n))
			}
		}
	}
	for _, n := range names {
		if n == "audit.log" {
			files = append(files, catalog.Path("log.audit"))
		}
	}
	if len(files) == 0 {
		return
	}
	n, rows := 0, 0
	for _, p := range files {
		f, err := v.fs.Open(p)
		if err != nil {
			v.problem(p, err)
			continue
		}
		err = auditlog.Parse(f, func(r auditlog.Record) bool {
			n++
			v.sawRun(r, p)
			e, ok := auditRow(r)
			if !ok || rows >= 20000 {
				return true
			}
			rows++
			e.Path = p
			v.timeline = append(v.timeline, e)
			if r.Type == "CONFIG_CHANGE" && (strings.Contains(r.Get("op"), "remove") || r.Get("enabled") == "0") || r.Type == "DAEMON_END" {
				v.findings = append(v.findings, rules.Finding("tamper.audit", finding.Finding{Severity: finding.Medium, Path: p, Time: r.Time.Format("2006-01-02T15:04:05Z07:00"),
					Attack: []string{"T1562.012"}, Evidence: []string{fmt.Sprintf("%s line %d: type=%s %s", p, r.Line, r.Type, e.Detail)},
					Title: "auditing was weakened or stopped at " + stamp(r.Time)}))
			}
			return true
		})
		f.Close()
		if err != nil {
			v.problem(p, err)
		}
	}
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
	res := r.Get("res")
	if res == "" {
		res = r.Get("success")
	}
	user := r.Get("acct")
	if user == "" {
		user = r.Get("auid")
	}
	e := Event{Time: r.Time, Source: "audit", Event: strings.ToLower(r.Type), User: user, IP: strings.Trim(r.Get("addr"), "?"), weight: 1}
	switch r.Type {
	case "USER_LOGIN":
		e.Detail = fmt.Sprintf("login of %s from %s via %s: %s", user, orDash(e.IP), r.Get("exe"), res)
		if res != "success" {
			return e, false // failures are in the authentication logs, counted there
		}
	case "ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_MGMT", "USER_CHAUTHTOK", "GRP_MGMT", "ROLE_ASSIGN":
		e.Detail = fmt.Sprintf("%s %s (by auid %s, %s): %s", strings.ToLower(r.Type), r.Get("op"), r.Get("auid"), r.Get("exe"), res)
		e.weight = 3
	case "USER_CMD":
		e.Detail = fmt.Sprintf("auid %s ran %s in %s: %s", r.Get("auid"), r.Get("cmd"), r.Get("cwd"), res)
		e.weight = 2
	case "EXECVE":
		var args []string
		for i := 0; i < 32; i++ {
			a, ok := r.Fields[fmt.Sprintf("a%d", i)]
			if !ok {
				break
			}
			args = append(args, a)
		}
		e.Detail = "ran: " + finding.Clip(strings.Join(args, " "), 300)
	case "KERN_MODULE":
		e.Detail = "kernel module loaded: " + r.Get("name")
		e.weight = 4
	case "CONFIG_CHANGE", "DAEMON_END", "DAEMON_START", "DAEMON_ABORT":
		e.Detail = fmt.Sprintf("%s %s %s (auid %s)", strings.ToLower(r.Type), r.Get("op"), r.Get("key"), r.Get("auid"))
		e.weight = 3
	case "ANOM_PROMISCUOUS", "ANOM_ABEND", "ANOM_LINK", "ANOM_EXEC":
		e.Detail = fmt.Sprintf("%s: %s %s", strings.ToLower(r.Type), r.Get("comm"), r.Get("exe"))
		e.weight = 3
	case "SERVICE_START":
		e.Detail = "service started: " + r.Get("unit")
	default:
		return e, false
	}
	return e, true
}
