package schedule

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/services"
)

// Collector emits a snapshot.Job for every scheduled job: Kind "cron" (crontabs), "anacron",
// "at", "cron-script" (executables in /etc/cron.{hourly,daily,weekly,monthly}) and "timer"
// (systemd timers, with the command of the unit they start).
var Collector probe.Collector = jobsCollector{}

type jobsCollector struct{}

func (jobsCollector) Name() string { return "jobs" }

// maxTab bounds the size of a crontab, anacrontab or at job read.
const maxTab = 1 << 20

func (c jobsCollector) Collect(ctx context.Context, env *probe.Env) error {
	// Jobs are keyed by kind, source, user, schedule and command: a line repeated in one file
	// is kept once, with its first line number.
	own := *env
	own.Sink = &dedupe{Sink: env.Sink, seen: map[snapshot.Job]bool{}}
	steps := []func(*probe.Env){c.systemCrontabs, c.userCrontabs, c.anacron, c.atJobs, c.cronScripts, c.timers}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
		step(&own)
	}
	return nil
}

type dedupe struct {
	snapshot.Sink
	seen map[snapshot.Job]bool
}

func (d *dedupe) Put(rec any) {
	if j, ok := rec.(snapshot.Job); ok {
		k := j
		k.Line = 0
		if d.seen[k] {
			return
		}
		d.seen[k] = true
	}
	d.Sink.Put(rec)
}

// read reads a file, reporting what could not be read; missing files are not a problem.
func (c jobsCollector) read(env *probe.Env, p string) []byte {
	data, err := env.FS.ReadFile(p, maxTab)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, p, err)
		}
	}
	return data
}

// files lists the regular files (or links to them) of a folder, skipping hidden ones.
func (c jobsCollector) files(env *probe.Env, dir string) []string {
	ents, err := env.FS.ReadDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, dir, err)
		}
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name, ".") || e.Type == "dir" {
			continue
		}
		p := path.Join(dir, e.Name)
		if e.Type != "file" {
			st, err := env.FS.Stat(p)
			if err != nil || !st.IsRegular() {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func (c jobsCollector) crontab(env *probe.Env, p string, system bool, user string) {
	data := c.read(env, p)
	if data == nil {
		return
	}
	entries, err := ParseCrontab(data, system)
	if err != nil {
		env.Problem(c, p, err)
	}
	for _, e := range entries {
		u := e.User
		if !system {
			u = user
		}
		env.Sink.Put(snapshot.Job{Kind: "cron", Source: p, User: u, Schedule: e.Schedule, Command: e.Command, Line: e.Line})
	}
}

func (c jobsCollector) systemCrontabs(env *probe.Env) {
	for _, l := range catalog.Recorded("jobs:cron") {
		if !l.IsFolder() {
			c.crontab(env, l.Path, true, "")
			continue
		}
		for _, p := range c.files(env, l.Dir()) {
			c.crontab(env, p, true, "")
		}
	}
}

// userCrontabs reads the spool: /var/spool/cron/crontabs (Debian), /var/spool/cron/tabs (SUSE)
// and the files directly in /var/spool/cron (RHEL), each named after its user.
func (c jobsCollector) userCrontabs(env *probe.Env) {
	for _, dir := range catalog.RecordedDirs("jobs:user-cron", env.Live) {
		for _, p := range c.files(env, dir) {
			c.crontab(env, p, false, path.Base(p))
		}
	}
}

func (c jobsCollector) anacron(env *probe.Env) {
	p := catalog.Path("cron.anacrontab")
	data := c.read(env, p)
	if data == nil {
		return
	}
	entries, err := ParseAnacrontab(data)
	if err != nil {
		env.Problem(c, p, err)
	}
	for _, e := range entries {
		env.Sink.Put(snapshot.Job{Kind: "anacron", Source: p, User: "root", Schedule: e.Schedule(), Command: e.Command, Line: e.Line})
	}
}

// atJobs reads the at spool (/var/spool/cron/atjobs on Debian, /var/spool/at on RHEL). The user
// is the owner of the job file; the schedule is the run time at wrote into its name.
func (c jobsCollector) atJobs(env *probe.Env) {
	names := map[int64]string{}
	for _, a := range env.Accounts {
		if _, ok := names[a.UID]; !ok {
			names[a.UID] = a.Name
		}
	}
	for _, dir := range catalog.RecordedDirs("jobs:at", env.Live) {
		for _, p := range c.files(env, dir) {
			st, err := env.FS.Stat(p)
			if err != nil {
				env.Problem(c, p, err)
				continue
			}
			data := c.read(env, p)
			if data == nil {
				continue
			}
			user, ok := names[int64(st.UID)]
			if !ok {
				user = strconv.FormatUint(uint64(st.UID), 10)
			}
			sched := ""
			if t, _, ok := AtTime(path.Base(p)); ok {
				sched = "at " + t.Format("2006-01-02 15:04 UTC")
			}
			env.Sink.Put(snapshot.Job{Kind: "at", Source: p, User: user, Schedule: sched, Command: ParseAtJob(data)})
		}
	}
}

// debianRunParts matches the names Debian's run-parts runs.
var debianRunParts = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// rhelSkipped are the suffixes the run-parts of RHEL and its kin skips.
var rhelSkipped = []string{"~", ",", ".rpmsave", ".rpmorig", ".rpmnew", ".swp", ".cfsaved"}

// RunPartsName reports whether run-parts runs a file of this name: Debian's run-parts only runs
// names of letters, digits, _ and -; the one of RHEL skips only backups and package leftovers.
func RunPartsName(name string, debian bool) bool {
	if debian {
		return debianRunParts.MatchString(name)
	}
	if name == "" || strings.HasPrefix(name, ".") {
		return false
	}
	for _, s := range rhelSkipped {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// isDebian tells whether the host is of the Debian family (whose run-parts is stricter).
func isDebian(fsys *hostfs.FS) bool {
	if fsys.Exists("/etc/debian_version") {
		return true
	}
	data, _ := fsys.ReadFile("/etc/os-release", 64<<10)
	if data == nil {
		data, _ = fsys.ReadFile("/usr/lib/os-release", 64<<10)
	}
	for _, l := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok || (k != "ID" && k != "ID_LIKE") {
			continue
		}
		for _, id := range strings.Fields(strings.Trim(v, `"'`)) {
			if id == "debian" || id == "ubuntu" {
				return true
			}
		}
	}
	return false
}

func (c jobsCollector) cronScripts(env *probe.Env) {
	debian := isDebian(env.FS)
	for _, dir := range catalog.RecordedDirs("jobs:cron-script", env.Live) {
		period := strings.TrimPrefix(path.Base(dir), "cron.") // /etc/cron.daily: daily
		for _, p := range c.files(env, dir) {
			if !RunPartsName(path.Base(p), debian) {
				continue
			}
			st, err := env.FS.Stat(p)
			if err != nil || st.Perm()&0o111 == 0 {
				continue
			}
			env.Sink.Put(snapshot.Job{Kind: "cron-script", Source: p, User: "root", Schedule: period, Command: p})
		}
	}
}

// timerKeys are the [Timer] settings that say when a timer elapses.
var timerKeys = []string{"OnCalendar", "OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec"}

// TimerSchedule is when a timer elapses: its On...= settings as "Key=value", joined by " ; ".
func TimerSchedule(u services.Unit) string {
	var parts []string
	for _, k := range timerKeys {
		for _, v := range u.All("Timer", k) {
			parts = append(parts, k+"="+collapse(v))
		}
	}
	return strings.Join(parts, " ; ")
}

// timers emits the systemd timers of the system, of all users and of each user's home. The
// command is that of the unit the timer starts (Unit= or the service of the same name); the
// user is that unit's User= (root by default) for system timers, the account for a user's own
// timers, and empty for timers of every user.
func (c jobsCollector) timers(env *probe.Env) {
	problem := func(p string, err error) { env.Problem(c, p, err) }
	for _, sc := range services.LoadScopes(env, problem) {
		for _, r := range sc.Units {
			if r.Kind != ".timer" || r.State == "masked" || r.State == "bad" {
				continue
			}
			target := r.Unit.Get("Timer", "Unit")
			if target == "" {
				target = strings.TrimSuffix(r.Name, ".timer") + ".service"
			}
			job := snapshot.Job{Kind: "timer", Source: r.Path, Schedule: TimerSchedule(r.Unit)}
			svc := sc.Set.Lookup(target)
			if svc != nil && svc.State != "masked" {
				job.Command = services.ExecLine(svc.Unit, services.Section(svc.Kind))
				job.User = services.RunAs(svc, sc)
			} else {
				switch {
				case sc.Account != "":
					job.User = sc.Account
				case sc.Scope == "system":
					job.User = "root"
				}
			}
			env.Sink.Put(job)
		}
	}
}
