// Package hostlogs records what a host's logs say about who changed it and when: package
// operations (dpkg.log, apt's history.log), logins and sessions, sudo and su, and account
// changes (auth.log or secure, or the systemd journal where no text log is kept). These events
// let the check step tell a package upgrade or an administrator's work from an intruder's, and
// they are the first rows of the investigation's timeline.
//
// Failed login attempts are not stored one by one (a brute force writes millions): the
// investigation step reads them from the logs themselves.
package hostlogs

import (
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/packages"
	"github.com/nowwhat/nowwhat/internal/source/auditlog"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
	"github.com/nowwhat/nowwhat/internal/source/journal"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

// Collector records log events and sessions (snapshot.Event, snapshot.Session).
type Collector struct{}

// Name implements probe.Collector.
func (Collector) Name() string { return "logs" }

// MaxEvents bounds the events kept from one source, so a log flooded on purpose cannot exhaust
// memory or the snapshot; what is dropped is reported as a problem.
const MaxEvents = 200000

// keptKinds are the authentication events worth keeping.
var keptKinds = map[string]bool{
	authlog.KindSSHAccepted: true, authlog.KindSSHSessionOpen: true, authlog.KindSSHSessionClose: true,
	authlog.KindSSHDisconnect: true, authlog.KindSudoCommand: true, authlog.KindSuSessionOpen: true,
	authlog.KindSuSessionClose: true, authlog.KindSuSuccess: true, authlog.KindSessionOpen: true,
	authlog.KindSessionClose: true, authlog.KindUserAdd: true, authlog.KindUserDel: true,
	authlog.KindUserMod: true, authlog.KindGroupAdd: true, authlog.KindGroupMod: true,
	authlog.KindGroupDel: true, authlog.KindPasswdChange: true, authlog.KindNewSession: true,
	authlog.KindSessionRemoved: true, authlog.KindPkexecCommand: true,
}

// Collect implements probe.Collector.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	loc := authlog.HostLocation(env.FS)
	c.dpkg(env, loc)
	c.apt(env, loc)
	c.dnf(env)
	c.audit(env)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var kept []authlog.Event
	problem := func(path string, err error) { env.Problem(c, path, err) }
	events, source := AuthEvents(ctx, env.FS, problem)
	guess := &authlog.Guessing{Emit: func(b authlog.Burst) {
		env.Sink.Put(snapshot.Burst{SourceIP: b.SourceIP, Start: nanos(b.Start), End: nanos(b.End), Attempts: b.Attempts,
			Invalid: b.Invalid, Accounts: b.Accounts, Capped: b.AccountsCapped, Top: strings.Join(b.Top, ","), Spray: b.Spray,
			File: b.File, Line: b.Line})
	}}
	kept = c.keep(env, source, withGuessing(events, guess), kept)
	guess.Flush()
	if guess.Dropped > 0 {
		env.Problem(c, "", fmt.Errorf("%d guessing bursts over the limit of %d were not kept", guess.Dropped, authlog.MaxBursts))
	}
	sessions := authlog.Sessions(slices.Values(kept))
	for _, s := range sessions {
		env.Sink.Put(snapshot.Session{User: s.User, Via: s.Via, Target: s.TargetUser, SourceIP: s.SourceIP, Method: s.Method, Key: s.Key,
			Start: nanos(s.Start), End: nanos(s.End), Sudo: len(s.Commands), File: s.File, Line: s.Line})
	}
	if ctx.Err() == nil {
		c.loginRecords(env, sessions, guess.Seen() > 0)
	}
	return ctx.Err()
}

// withGuessing passes every event on, after feeding failed logins to the burst tracker; a
// successful login closes the burst of its address, so the burst that led to it is complete.
func withGuessing(events iter.Seq[authlog.Event], g *authlog.Guessing) iter.Seq[authlog.Event] {
	return func(yield func(authlog.Event) bool) {
		for ev := range events {
			switch ev.Kind {
			case authlog.KindSSHFailed, authlog.KindSSHInvalidUser:
				g.Add(ev)
			case authlog.KindSSHAccepted:
				g.SourceClosed(ev.SourceIP)
			}
			if !yield(ev) {
				return
			}
		}
	}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// keep stores the events of interest and returns them (for sessions).
func (c Collector) keep(env *probe.Env, source string, events iter.Seq[authlog.Event], kept []authlog.Event) []authlog.Event {
	dropped := 0
	for ev := range events {
		if !keptKinds[ev.Kind] {
			continue
		}
		if len(kept) >= MaxEvents {
			dropped++
			continue
		}
		// Events hold slices of their line: copy what is kept so the line buffers can go.
		ev = cloneEvent(ev)
		kept = append(kept, ev)
		env.Sink.Put(snapshot.Event{Time: nanos(ev.Time), Source: source, Kind: ev.Kind, User: ev.User,
			Target: ev.TargetUser, SourceIP: ev.SourceIP, Subject: subject(ev), File: ev.File, Line: ev.Line})
	}
	if dropped > 0 {
		env.Problem(c, "", fmt.Errorf("%d %s events over the limit of %d were not kept", dropped, source, MaxEvents))
	}
	return kept
}

func cloneEvent(ev authlog.Event) authlog.Event {
	for _, p := range []*string{&ev.Host, &ev.Program, &ev.Service, &ev.User, &ev.TargetUser, &ev.By, &ev.SourceIP,
		&ev.SourceHost, &ev.Method, &ev.KeyType, &ev.Key, &ev.Command, &ev.TTY, &ev.PWD, &ev.Session, &ev.Group,
		&ev.Detail, &ev.File} {
		*p = strings.Clone(*p)
	}
	ev.Raw = ""
	return ev
}

func subject(ev authlog.Event) string {
	switch ev.Kind {
	case authlog.KindSudoCommand, authlog.KindPkexecCommand:
		return ev.Command
	case authlog.KindSSHAccepted:
		s := ev.Method
		if ev.Key != "" {
			s += " " + ev.KeyType + " " + ev.Key
		}
		return s
	case authlog.KindUserAdd, authlog.KindUserMod, authlog.KindUserDel, authlog.KindGroupAdd, authlog.KindGroupMod, authlog.KindGroupDel:
		if ev.Group != "" {
			return strings.TrimSpace(ev.Group + " " + ev.Detail)
		}
		return ev.Detail
	}
	return ev.Service
}

// audit keeps the audit log's records of interest (logins, account changes, commands run
// through sudo, programs run, module loads, changes to auditing) as events of source "audit",
// kind "audit-" and the record type in lower case, so the check can explain with them and a
// snapshot taken on the host keeps them.
func (c Collector) audit(env *probe.Env) {
	files, err := auditlog.Files(env.FS)
	if err != nil {
		env.Problem(c, catalog.Dir("log.audit.dir"), err)
	}
	n, dropped := 0, 0
	auditlog.ReadFiles(env.FS, files, func(p string, err error) { env.Problem(c, p, err) }, func(p string, r auditlog.Record) bool {
		s, ok := auditlog.Summarize(r)
		if !ok {
			return true
		}
		if n >= MaxEvents {
			dropped++
			return true
		}
		n++
		env.Sink.Put(snapshot.Event{Time: nanos(r.Time), Source: "audit", Kind: "audit-" + s.Kind, User: s.User,
			SourceIP: s.Addr, Subject: s.Detail, File: p, Line: r.Line})
		return true
	})
	if dropped > 0 {
		env.Problem(c, "", fmt.Errorf("%d audit events over the limit of %d were not kept", dropped, MaxEvents))
	}
}

// maxPackageLog bounds what is read of one package log, after decompression.
const maxPackageLog = 1 << 30

// logFiles lists a log and its rotations (NAME, NAME.1, NAME.2.gz, NAME-20240107.xz, ...),
// oldest first.
func logFiles(fs *hostfs.FS, name string) []string {
	files, _ := logfile.Family(fs, name)
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// openLog opens one of them, decompressed and capped.
func openLog(fs *hostfs.FS, p string) (io.ReadCloser, error) {
	return logfile.Open(fs, p, maxPackageLog)
}

func (c Collector) dpkg(env *probe.Env, loc *time.Location) {
	n := 0
	for _, p := range logFiles(env.FS, catalog.Path("log.dpkg")) {
		rc, err := openLog(env.FS, p)
		if err != nil {
			env.Problem(c, p, err)
			continue
		}
		err = packages.ParseDpkgLogIn(rc, loc, func(ev packages.Event) {
			switch ev.Action {
			case "install", "upgrade", "remove", "purge":
			default:
				return
			}
			if n >= MaxEvents {
				return
			}
			n++
			subj := ev.Package + " " + strings.TrimSpace(ev.OldVersion+" -> "+ev.NewVersion)
			env.Sink.Put(snapshot.Event{Time: nanos(ev.Time), Source: "dpkg", Kind: "package-" + ev.Action,
				Target: ev.Package, Subject: subj, File: p, Line: ev.Line})
		})
		rc.Close()
		if err != nil {
			env.Problem(c, p, err)
		}
	}
}

func (c Collector) apt(env *probe.Env, loc *time.Location) {
	for _, p := range logFiles(env.FS, catalog.Path("log.apt")) {
		rc, err := openLog(env.FS, p)
		if err != nil {
			env.Problem(c, p, err)
			continue
		}
		err = packages.ParseAptHistoryIn(rc, loc, func(run packages.AptRun) {
			end := ""
			if !run.End.IsZero() {
				end = " (until " + run.End.UTC().Format(time.RFC3339) + ")"
			}
			env.Sink.Put(snapshot.Event{Time: nanos(run.Start), Source: "apt", Kind: "apt", User: run.RequestedBy,
				Subject: run.Commandline + end, File: p, Line: run.Line})
		})
		rc.Close()
		if err != nil {
			env.Problem(c, p, err)
		}
	}
}

// AuthEvents streams the host's authentication events: from auth.log or secure (current and
// rotated) when the host keeps them, else from the systemd journal. It says which source it used
// ("auth" or "journal").
func AuthEvents(ctx context.Context, fs *hostfs.FS, problem func(path string, err error)) (iter.Seq[authlog.Event], string) {
	loc := authlog.HostLocation(fs)
	files := authlog.Files(fs)
	for _, f := range files {
		if st, err := fs.Stat(f.Path); err == nil && st.Size > 0 {
			r := &authlog.Reader{FS: fs, Location: loc, Problem: problem}
			return r.Events(ctx, files), "auth"
		}
	}
	return journalEvents(ctx, fs, problem, loc), "journal"
}

// journalPrograms are the syslog identifiers whose journal entries carry authentication events.
var journalPrograms = map[string]bool{"sshd": true, "sshd-session": true, "sudo": true, "su": true, "useradd": true,
	"usermod": true, "userdel": true, "groupadd": true, "groupmod": true, "groupdel": true, "passwd": true,
	"chpasswd": true, "systemd-logind": true, "login": true, "pkexec": true, "gpasswd": true, "chage": true}

// journalEvents turns the journal's authentication entries into syslog lines with full time
// stamps and parses them with the same classifier as auth.log.
func journalEvents(ctx context.Context, fs *hostfs.FS, problem func(string, error), loc *time.Location) iter.Seq[authlog.Event] {
	return func(yield func(authlog.Event) bool) {
		r := &authlog.Reader{FS: fs, Location: loc}
		for _, p := range journal.Files(fs) {
			if ctx.Err() != nil {
				return
			}
			jf, err := journal.OpenPath(fs, p)
			if err != nil {
				problem(p, err)
				continue
			}
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() {
				err := jf.Entries(func(e journal.Entry) error {
					id := e.Get("SYSLOG_IDENTIFIER")
					if !journalPrograms[id] {
						return nil
					}
					host := e.Get("_HOSTNAME")
					if host == "" {
						host = "localhost"
					}
					msg := strings.ReplaceAll(e.Message(), "\n", " ")
					_, err := fmt.Fprintf(pw, "%s %s %s[%s]: %s\n", e.Realtime.Format(time.RFC3339Nano), host, id, e.Get("_PID"), msg)
					return err
				})
				pw.CloseWithError(err)
				done <- err
			}()
			stop := false
			serr := r.Stream(ctx, pr, p, time.Now().Year(), func(ev authlog.Event) bool {
				if !yield(ev) {
					stop = true
					return false
				}
				return true
			})
			pr.Close()
			jerr := <-done
			jf.Close()
			if serr != nil && !stop {
				problem(p, serr)
			}
			if jerr != nil && jerr != io.ErrClosedPipe {
				problem(p, jerr)
			}
			if stop {
				return
			}
		}
	}
}
