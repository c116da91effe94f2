package sessions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Rule ids raised from the model.
const (
	RuleHostile = "session.hostile" // a hostile login (per address and account)
	RulePackage = "session.package" // a package installed or removed by a hostile session
)

// Ref describes a session for a finding.
func Ref(s *Session, how string) *finding.SessionRef {
	return &finding.SessionRef{ID: s.ID, User: s.User, Via: s.Via, SourceIP: s.SourceIP, Key: s.Key,
		Start: s.Start.UTC().Format(time.RFC3339), Judgement: string(s.Judgement), Reasons: s.Reasons, How: how}
}

// Findings reports the hostile logins, one finding per address (or key) and account with the
// count of sessions, the first and last, what they ran and what changed while they were open.
func (m *Model) Findings() []finding.Finding {
	type group struct {
		ss []*Session
	}
	groups := map[string]*group{}
	var order []string
	for _, s := range m.Hostile() {
		if s.Via != "ssh" && s.Via != "console" {
			continue // su and sudo inherit their login's judgement: reported with it
		}
		k := s.SourceIP + "\x00" + s.User
		if s.SourceIP == "" {
			k = s.Key + "\x00" + s.User
		}
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		g.ss = append(g.ss, s)
	}
	var out []finding.Finding
	for _, k := range order {
		ss := groups[k].ss
		s0, last := ss[0], ss[len(ss)-1]
		attack := false
		for _, s := range ss {
			attack = attack || s.Attack
		}
		f := finding.Finding{Rule: RuleHostile, Severity: finding.High, User: s0.User, SourceIP: s0.SourceIP,
			Time: s0.Start.UTC().Format(time.RFC3339), Attack: []string{"T1078"}, Session: Ref(s0, "")}
		from := s0.SourceIP
		if from == "" {
			from = "the console"
		}
		how := ""
		if s0.Method != "" {
			how = " with " + s0.Method
		}
		short, _, _ := strings.Cut(first(s0.Reasons), " between ")
		f.Title = fmt.Sprintf("%s logged in from %s%s: %s", s0.User, from, how, short)
		if len(ss) > 1 {
			f.Title = fmt.Sprintf("%s logged in from %s%s %d times (%s to %s): %s", s0.User, from, how, len(ss), stamp(s0.Start), stamp(last.Start), short)
		}
		if attack {
			f.Severity, f.Strong = finding.Critical, true
			f.Attack = []string{"T1110.001", "T1110.003", "T1078"}
			f.Why = "A login that follows password guessing from the same place (or comes back from where an intruder was) is the intruder's: the account's password or key is theirs now, and everything done in that session is their work, whatever the account."
			f.Action = "Cut the address off and end its sessions (nowwhat contain isolate, lock-user), keep the evidence (nowwhat collect), then change the account's password and keys from a clean machine; treat everything changed since " + stamp(s0.Start) + " as the intruder's."
		} else {
			f.Why = "This login looks like stolen credentials (an unknown key, a new address for root or a service account, an hour the account never works) and nothing vouches for it: not a baseline taken before, not an operator."
			f.Action = "Ask the account's owner. If it was them: nowwhat trust add --address " + orDash(s0.SourceIP) + " --who NAME, and run check again. If not: treat it as a break-in."
		}
		for _, r := range s0.Reasons {
			f.Evidence = append(f.Evidence, "why: "+r)
		}
		for _, s := range ss {
			if len(f.Evidence) >= 12 {
				f.Evidence = append(f.Evidence, fmt.Sprintf("... %d sessions in all", len(ss)))
				break
			}
			end := "end not logged"
			if s.EndLogged {
				end = "until " + stamp(s.End)
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("session %s: %s, %s (%s line %d)", s.ID, stamp(s.Start), end, s.File, s.Line))
		}
		var cmds, files []string
		moreFiles := 0
		for _, s := range append(ss, m.children(ss)...) {
			for _, c := range s.Sudo {
				if len(cmds) < 10 {
					cmds = append(cmds, fmt.Sprintf("%s sudo %s (%s line %d)", stamp(c.Time), finding.Clip(c.Command, 120), c.File, c.Line))
				}
			}
			for _, p := range s.Files {
				if len(files) < 15 {
					files = append(files, p)
				} else {
					moreFiles++
				}
			}
			moreFiles += s.MoreFiles
		}
		for _, c := range cmds {
			f.Evidence = append(f.Evidence, "ran: "+c)
		}
		if len(files) > 0 {
			sort.Strings(files)
			line := "changed while it was open: " + strings.Join(files, " ")
			if moreFiles > 0 {
				line += fmt.Sprintf(" (and %d more)", moreFiles)
			}
			f.Evidence = append(f.Evidence, line) // not f.Path: the login is the subject, not any one file
		}
		out = append(out, f)
	}
	return out
}

// children are the su and sudo sessions started from these.
func (m *Model) children(ss []*Session) []*Session {
	in := map[*Session]bool{}
	for _, s := range ss {
		in[s] = true
	}
	var out []*Session
	for _, s := range m.Sessions {
		for p := s.parent; p != nil; p = p.parent {
			if in[p] {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// PackageFindings reports the package operations a hostile session made (the intruder's tools),
// naming the programs each installed.
func (m *Model) PackageFindings(cur *snapshot.Reader) ([]finding.Finding, error) {
	if len(m.Hostile()) == 0 {
		return nil, nil
	}
	evs, err := snapshot.All[snapshot.Event](cur, "source IN ('dpkg', 'dnf') AND kind IN ('package-install', 'package-upgrade', 'package-remove', 'package-purge')")
	if err != nil {
		return nil, err
	}
	var out []finding.Finding
	for _, ev := range evs {
		t := time.Unix(0, ev.Time).UTC()
		s := m.PackageOpHostile(t)
		if s == nil {
			continue
		}
		f := finding.Finding{Rule: RulePackage, Severity: finding.High, User: s.User, SourceIP: s.SourceIP, Time: t.Format(time.RFC3339),
			Attack: []string{"T1072", "T1105"}, Session: Ref(s, ByRoot),
			Title:    fmt.Sprintf("package %s (%s) during %s, which is hostile", ev.Target, strings.TrimPrefix(ev.Kind, "package-"), s.Label()),
			Evidence: []string{fmt.Sprintf("%s line %d: %s %s", ev.File, ev.Line, ev.Kind, ev.Subject), "session: " + s.Why()},
			Why:      "A package installed by an intruder is one of their tools (a scanner, a proxy, a compiler, a miner's dependency), or a way to replace a trusted program with the package manager's blessing.",
			Action:   "Remove the package after the evidence is kept, and look at what its programs were used for (shell histories, the audit log)."}
		var like []string
		args := []any{ev.Target}
		for _, l := range catalog.OfKind(catalog.Program) {
			if l.IsFolder() && !l.InHomes() && !l.Anywhere() {
				like = append(like, "path LIKE ?")
				args = append(args, l.Path+"%")
			}
		}
		var progs []snapshot.PackageFile
		if len(like) > 0 {
			progs, _ = snapshot.All[snapshot.PackageFile](cur, "package = ? AND ("+strings.Join(like, " OR ")+")", args...)
		}
		for i, p := range progs {
			if i == 0 {
				f.Path = p.Path
			}
			if i >= 8 {
				f.Evidence = append(f.Evidence, fmt.Sprintf("... %d programs in all", len(progs)))
				break
			}
			f.Evidence = append(f.Evidence, "installs "+p.Path)
		}
		out = append(out, f)
	}
	return out, nil
}
