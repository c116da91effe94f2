package authlog

import (
	"iter"
	"sort"
	"time"
)

// Ways a session came about (Session.Via).
const (
	ViaSSH     = "ssh"
	ViaSu      = "su"
	ViaSudo    = "sudo" // sudo commands run outside any login session seen in the logs
	ViaConsole = "console"
	ViaCron    = "cron"
)

// SudoCommand is one command run through sudo.
type SudoCommand struct {
	Time    time.Time
	Command string
	RunAs   string // sudo USER=
	PWD     string
	TTY     string
	File    string // where it was logged
	Line    int
}

// Session is a stretch of time an account was logged in, with the sudo commands of that account
// while it was.
type Session struct {
	Via        string // ssh, su, sudo, console, cron
	User       string // who logged in; for su and sudo: who ran it
	TargetUser string // su: the account switched to; sudo: who the first command ran as
	SourceIP   string
	Port       int
	Method     string // ssh authentication method
	Key        string // fingerprint of the ssh key used
	Host       string
	PID        int
	TTY        string
	Start      time.Time
	End        time.Time // zero if still open, or its end was not logged
	Commands   []SudoCommand
	File       string // where it started
	Line       int
}

// Covers reports whether the session was open at t (an open end counts as open).
func (s Session) Covers(t time.Time) bool {
	return !t.Before(s.Start) && (s.End.IsZero() || !t.After(s.End))
}

// consoleServices are PAM services of local logins.
var consoleServices = map[string]bool{
	"login": true, "remote": true, "gdm": true, "gdm-password": true, "gdm-autologin": true,
	"gdm-fingerprint": true, "lightdm": true, "lightdm-autologin": true, "sddm": true,
	"sddm-autologin": true, "xdm": true, "kdm": true,
}

type sessKey struct {
	host string
	pid  int
}

// Sessions pairs the events of a log (in time order, as Reader.Events gives them) into
// sessions, sorted by start:
//   - ssh: from "Accepted ..." (or the sshd PAM session opening when the accept line is gone)
//     to the PAM session close or disconnect of the same sshd process;
//   - console: PAM sessions of login and display managers; su: PAM sessions of su; cron: PAM
//     sessions of cron;
//   - each sudo command goes to the session of its user open at that time (ssh or console
//     login, or a su to that user; the latest started wins, cron sessions only when there is no
//     other). A command with no such session makes a session of its own (Via "sudo").
//
// A session whose process id is reused before its end was logged is closed with no end.
func Sessions(events iter.Seq[Event]) []Session {
	var all []*Session
	open := map[sessKey]*Session{}
	byUser := map[string][]*Session{} // sessions sudo commands may go to, by user
	closed := map[*Session]bool{}

	end := func(k sessKey, s *Session, t time.Time) {
		if s.End.IsZero() || s.Via == ViaSudo {
			s.End = t
		}
		delete(open, k)
		closed[s] = true
	}
	start := func(k sessKey, s *Session, sudoTarget string) {
		if old := open[k]; old != nil {
			delete(open, k)
			closed[old] = true
		}
		open[k] = s
		all = append(all, s)
		if sudoTarget != "" {
			list := byUser[sudoTarget]
			// Drop closed sessions now and then so the lists stay short.
			if len(list) >= 8 {
				kept := list[:0]
				for _, x := range list {
					if !closed[x] {
						kept = append(kept, x)
					} else {
						delete(closed, x)
					}
				}
				for i := len(kept); i < len(list); i++ {
					list[i] = nil
				}
				list = kept
			}
			byUser[sudoTarget] = append(list, s)
		}
	}
	find := func(user, host string, t time.Time) *Session {
		var best, cron *Session
		for _, s := range byUser[user] {
			if closed[s] || s.Host != host || s.Start.After(t) {
				continue
			}
			if s.Via == ViaCron {
				if cron == nil || !s.Start.Before(cron.Start) {
					cron = s
				}
				continue
			}
			if best == nil || !s.Start.Before(best.Start) {
				best = s
			}
		}
		if best == nil {
			return cron
		}
		return best
	}

	for ev := range events {
		k := sessKey{ev.Host, ev.PID}
		switch ev.Kind {
		case KindSSHAccepted:
			start(k, &Session{Via: ViaSSH, User: ev.User, SourceIP: ev.SourceIP, Port: ev.Port,
				Method: ev.Method, Key: ev.Key, Host: ev.Host, PID: ev.PID, Start: ev.Time,
				File: ev.File, Line: ev.Line}, ev.User)
		case KindSSHSessionOpen:
			if s := open[k]; s != nil && s.Via == ViaSSH {
				if s.User == "" {
					s.User = ev.User
				}
				continue
			}
			start(k, &Session{Via: ViaSSH, User: ev.User, Host: ev.Host, PID: ev.PID,
				Start: ev.Time, File: ev.File, Line: ev.Line}, ev.User)
		case KindSSHSessionStart:
			if s := open[k]; s != nil && s.Via == ViaSSH && s.TTY == "" {
				s.TTY = ev.TTY
			}
		case KindSSHSessionClose, KindSSHDisconnect:
			if s := open[k]; s != nil && s.Via == ViaSSH {
				end(k, s, ev.Time)
			}
		case KindSessionOpen:
			if consoleServices[ev.Service] {
				start(k, &Session{Via: ViaConsole, User: ev.User, Host: ev.Host, PID: ev.PID,
					Start: ev.Time, File: ev.File, Line: ev.Line}, ev.User)
			}
		case KindCronSession:
			start(k, &Session{Via: ViaCron, User: ev.User, Host: ev.Host, PID: ev.PID,
				Start: ev.Time, File: ev.File, Line: ev.Line}, ev.User)
		case KindSuSessionOpen:
			start(k, &Session{Via: ViaSu, User: ev.User, TargetUser: ev.TargetUser, Host: ev.Host,
				PID: ev.PID, TTY: ev.TTY, Start: ev.Time, File: ev.File, Line: ev.Line}, ev.TargetUser)
		case KindSessionClose, KindSuSessionClose:
			if s := open[k]; s != nil && s.Via != ViaSSH {
				end(k, s, ev.Time)
			}
		case KindSudoCommand:
			cmd := SudoCommand{Time: ev.Time, Command: ev.Command, RunAs: ev.TargetUser, PWD: ev.PWD,
				TTY: ev.TTY, File: ev.File, Line: ev.Line}
			if s := find(ev.User, ev.Host, ev.Time); s != nil {
				s.Commands = append(s.Commands, cmd)
				continue
			}
			start(k, &Session{Via: ViaSudo, User: ev.User, TargetUser: ev.TargetUser, Host: ev.Host,
				PID: ev.PID, TTY: ev.TTY, Start: ev.Time, End: ev.Time, Commands: []SudoCommand{cmd},
				File: ev.File, Line: ev.Line}, "")
		}
	}
	out := make([]Session, len(all))
	for i, s := range all {
		out[i] = *s
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}
