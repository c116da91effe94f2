package hostlogs

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
	"github.com/nowwhat/nowwhat/internal/source/utmp"
)

// Login records (wtmp, btmp) are the second source of who logged in: an intruder who cleans
// auth.log often leaves them. Their logins become sessions (Via "ssh" from an address, else
// "console") unless the authentication log already has that login; btmp's failed logins feed
// the guessing bursts when the authentication log had no failures at all (otherwise they are the
// same attempts counted twice).

// loginRecords reads wtmp and btmp. authSessions are the sessions the authentication log gave;
// authFailures says whether it held failed logins.
func (c Collector) loginRecords(env *probe.Env, authSessions []authlog.Session, authFailures bool) {
	known := map[string]bool{}
	for _, s := range authSessions {
		known[recKey(s.User, s.SourceIP, s.Start)] = true
	}
	var guess *authlog.Guessing
	if !authFailures {
		guess = &authlog.Guessing{Emit: func(b authlog.Burst) {
			env.Sink.Put(snapshot.Burst{SourceIP: b.SourceIP, Start: nanos(b.Start), End: nanos(b.End), Attempts: b.Attempts,
				Invalid: b.Invalid, Accounts: b.Accounts, Capped: b.AccountsCapped, Top: strings.Join(b.Top, ","), Spray: b.Spray,
				File: b.File, Line: b.Line})
		}}
	}
	files := utmp.Files(env.FS)
	// oldest rotation first, so records come in time order
	sort.SliceStable(files, func(i, j int) bool { return files[i].Rotation > files[j].Rotation })
	n := 0
	for _, f := range files {
		if !f.Supported || f.Kind != utmp.KindWtmp && (f.Kind != utmp.KindBtmp || guess == nil) {
			continue
		}
		open := map[string]*snapshot.Session{} // tty -> login in progress
		idx := 0
		_, err := utmp.ReadFile(env.FS, f.Path, func(r utmp.Record) bool {
			idx++
			if n >= MaxEvents {
				return false
			}
			ip := recordAddr(r)
			switch {
			case f.Kind == utmp.KindBtmp:
				if r.User != "" && !r.Time.IsZero() {
					guess.Add(authlog.Event{Kind: authlog.KindSSHFailed, Time: r.Time, SourceIP: ip, User: r.User, Count: 1, File: f.Path, Line: idx})
				}
			case r.Type == "USER_PROCESS":
				via := authlog.ViaConsole
				if ip != "" {
					via = authlog.ViaSSH
				}
				s := &snapshot.Session{User: r.User, Via: via, SourceIP: ip, Method: "", Start: nanos(r.Time), File: f.Path, Line: idx}
				if prev := open[r.Line]; prev != nil {
					c.putRecord(env, prev, known, &n) // a login that never logged out (crash, or a cleaner)
				}
				open[r.Line] = s
			case r.Type == "DEAD_PROCESS":
				if s := open[r.Line]; s != nil {
					s.End = nanos(r.Time)
					c.putRecord(env, s, known, &n)
					delete(open, r.Line)
				}
			case r.Type == "BOOT_TIME":
				for tty, s := range open { // a reboot ends every login
					s.End = nanos(r.Time)
					c.putRecord(env, s, known, &n)
					delete(open, tty)
				}
			}
			return true
		})
		for _, s := range open {
			c.putRecord(env, s, known, &n)
		}
		if err != nil {
			env.Problem(c, f.Path, err)
		}
	}
	if guess != nil {
		guess.Flush()
	}
}

func (c Collector) putRecord(env *probe.Env, s *snapshot.Session, known map[string]bool, n *int) {
	if s.User == "" || s.Start == 0 {
		return
	}
	t := time.Unix(0, s.Start)
	for _, d := range []time.Duration{0, -10 * time.Second, 10 * time.Second} {
		if known[recKey(s.User, s.SourceIP, t.Add(d))] {
			return // the authentication log has this login, with more to say about it
		}
	}
	*n++
	env.Sink.Put(*s)
}

// recKey identifies a login across the two sources: the account, the address and the start to
// the ten seconds (sshd writes auth.log and wtmp a moment apart).
func recKey(user, ip string, t time.Time) string {
	return fmt.Sprintf("%s\x00%s\x00%d", user, ip, t.Unix()/10)
}

// recordAddr is the client's address of a login record: ut_addr_v6, else the host field when it
// holds an address.
func recordAddr(r utmp.Record) string {
	if r.Addr != "" && r.Addr != "0.0.0.0" && r.Addr != "::" {
		return r.Addr
	}
	if a, err := netip.ParseAddr(r.Host); err == nil {
		return a.Unmap().String()
	}
	return ""
}
