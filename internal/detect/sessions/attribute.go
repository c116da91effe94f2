package sessions

import (
	"path"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Change is something that happened on the host at a known time: a file's status change, an
// account's change, a package operation.
type Change struct {
	Time    time.Time
	Path    string // the file, if any
	Owner   string // the account that owns the file ("" if unknown)
	Account string // the account the change is about, if any
}

// How a session could have made a change, strongest first.
const (
	ByCommand = "command" // a sudo command in it names the file or account
	ByRoot    = "root"    // it had root then (root login, su, a root shell through sudo)
	BySudo    = "sudo"    // a sudo command of it ran as root moments before (useradd writes the account files, ...)
	ByOwner   = "owner"   // the file is its account's own
	ByPresent = "present" // it was open then, without a way to make this change that the logs show
)

// Attribution is one session that could have made a change.
type Attribution struct {
	Session *Session
	How     string
	Command *Command // the sudo command naming the change (How == ByCommand)
}

// Attributions are the sessions open at a change, the best candidate of each judgement.
type Attributions struct {
	Trusted, Hostile, Unknown *Attribution
}

var howRank = map[string]int{ByCommand: 5, ByRoot: 4, BySudo: 3, ByOwner: 2, ByPresent: 1}

// SudoEffect is how long after a sudo command the files it writes are taken as its work (a
// command names what it is given, not every file it writes: useradd writes the account files
// and their backups, apt the logs, systemctl the enablement links).
const SudoEffect = 2 * time.Minute

// Attribute finds, for each judgement, the session that most plausibly made a change: open at
// its time and, best, with a sudo command naming it; else with root then; else owning the file.
// A session merely open at the time is kept only for hostile sessions (an intruder logged in
// while something changed is worth saying, never an explanation).
func (m *Model) Attribute(c Change) Attributions {
	var out Attributions
	base := path.Base(c.Path)
	for _, s := range m.Sessions {
		if !s.Covers(c.Time) {
			continue
		}
		a := Attribution{Session: s}
		var effect *Command
		for i := range s.Sudo {
			cmd := &s.Sudo[i]
			if cmd.Time.After(c.Time.Add(2*time.Minute)) || cmd.Time.Before(s.Start.Add(-Slack)) {
				continue
			}
			if c.Path != "" && Mentions(cmd.Command, c.Path, base) || c.Account != "" && Mentions(cmd.Command, c.Account, c.Account) {
				a.How, a.Command = ByCommand, cmd
			}
			if (cmd.RunAs == "" || cmd.RunAs == "root") && !cmd.Time.After(c.Time.Add(Slack)) && c.Time.Sub(cmd.Time) <= SudoEffect {
				effect = cmd
			}
		}
		if a.How == "" {
			switch {
			case s.RootAt(c.Time):
				a.How = ByRoot
			case effect != nil:
				a.How, a.Command = BySudo, effect
			case c.Owner != "" && c.Owner == s.User || c.Account != "" && c.Account == s.User:
				a.How = ByOwner
			case s.Judgement == Hostile:
				a.How = ByPresent
			default:
				continue
			}
		}
		slot := &out.Unknown
		switch s.Judgement {
		case Trusted:
			slot = &out.Trusted
		case Hostile:
			slot = &out.Hostile
		}
		if *slot == nil || howRank[a.How] > howRank[(*slot).How] || howRank[a.How] == howRank[(*slot).How] && s.Start.After((*slot).Session.Start) {
			x := a
			*slot = &x
		}
	}
	return out
}

// Mentions reports whether a command line names a path (whole, or by its file name as a word of
// three or more characters).
func Mentions(cmd, full, base string) bool {
	if full != "" && strings.Contains(cmd, full) {
		return true
	}
	if len(base) <= 2 || base == "/" || base == "." {
		return false
	}
	for _, w := range strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '/' || r == '\'' || r == '"' || r == '=' || r == ':' || r == ';' || r == '>' || r == '<' || r == '|' || r == '&'
	}) {
		if w == base {
			return true
		}
	}
	return false
}

// PackageOpHostile reports whether a package operation at t was the intruder's: a sudo command
// of a hostile session ran a package manager shortly before it, or a hostile session had root
// then and no trusted session did. It returns that session.
func (m *Model) PackageOpHostile(t time.Time) *Session {
	var rootHostile *Session
	trustedRoot := false
	for _, s := range m.Sessions {
		if !s.Covers(t) {
			continue
		}
		for _, c := range s.Sudo {
			if c.Time.After(t.Add(Slack)) || t.Sub(c.Time) > 30*time.Minute || !PackageCommand(c.Command) {
				continue
			}
			if s.Judgement == Hostile {
				return s
			}
			if s.Judgement == Trusted {
				trustedRoot = true
			}
		}
		if s.RootAt(t) {
			switch s.Judgement {
			case Hostile:
				if rootHostile == nil {
					rootHostile = s
				}
			case Trusted:
				trustedRoot = true
			}
		}
	}
	if trustedRoot {
		return nil
	}
	return rootHostile
}

// PackageCommand reports whether a command runs a package manager.
func PackageCommand(cmd string) bool {
	for _, w := range strings.Fields(cmd) {
		switch w[strings.LastIndexByte(w, '/')+1:] {
		case "apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "rpm", "snap", "pip", "pip3", "gdebi":
			return true
		}
	}
	return false
}

// interesting reports whether a changed file is worth listing among what a hostile session did
// (logs, caches and the package manager's own state change by themselves).
func interesting(p string) bool {
	if catalog.UnderKind(p, catalog.Log) || catalog.UnderKind(p, catalog.PackageDB) || catalog.Get("var.cache").Covers(p) {
		return false
	}
	for _, skip := range []string{"/proc/", "/sys/", "/run/", "/var/lib/apt/", "/var/lib/systemd/", "/var/lib/logrotate/",
		"/var/lib/ucf/", "/var/lib/sudo/", "/var/lib/php/sessions/", "/dev/"} {
		if strings.HasPrefix(p, skip) {
			return false
		}
	}
	return true
}

// CollectFiles lists, for each hostile session, the files whose status changed while it was open
// (in one pass over the snapshot's files), so "what it did" names them.
func (m *Model) CollectFiles(cur *snapshot.Reader) error {
	hs := m.Hostile()
	if len(hs) == 0 {
		return nil
	}
	lo, hi := hs[0].Start, hs[0].End
	for _, s := range hs {
		if s.Start.Before(lo) {
			lo = s.Start
		}
		if s.End.After(hi) {
			hi = s.End
		}
	}
	return snapshot.Each(cur, "type IN ('file', 'symlink') AND ctime BETWEEN ? AND ?", []any{lo.Add(-Slack).UnixNano(), hi.Add(Slack).UnixNano()},
		func(f snapshot.File) error {
			if !interesting(f.Path) {
				return nil
			}
			t := time.Unix(0, f.Ctime)
			for _, s := range hs {
				if s.Via != "ssh" && s.Via != "console" || !s.Covers(t) {
					continue
				}
				if len(s.Files) < maxFiles {
					s.Files = append(s.Files, f.Path)
				} else {
					s.MoreFiles++
				}
			}
			return nil
		})
}
