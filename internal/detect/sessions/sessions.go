// Package sessions is nowwhat's one model of who was on the host: every login session rebuilt
// from the logs (SSH, console, su, sudo; from auth.log, secure or the journal, as the snapshot
// recorded them), with who, how (address, method, key), when (and whether its end was logged),
// and what it did (sudo commands, root shells, files changed while it was open), and a judgement
// of each with its reasons in words:
//
//   - hostile: it followed a password-guessing burst from the same address or its /24, it used
//     an address or key an earlier hostile session used, investigate tied its address to an
//     exploit, or it was unfamiliar in a way that stolen credentials are (a key the baseline did
//     not have, a password login into root or a service account from an address never seen, a
//     new address at an hour the account never logged in) and nothing vouches for it;
//   - trusted: a baseline taken before the incident saw its address or key log in, or an
//     operator vouched for it (`nowwhat trust add`), and nothing marks it hostile;
//   - unknown: everything else.
//
// Being logged in as an administrator proves nothing: intruders log in too. check uses the model
// to let only trusted sessions explain a change and to tie changes to hostile ones; investigate
// uses it to name the way in. Memory is bounded: commands and files kept per session are capped.
package sessions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
)

// Judgement is what a session is taken to be.
type Judgement string

// Judgements.
const (
	Trusted Judgement = "trusted"
	Hostile Judgement = "hostile"
	Unknown Judgement = "unknown"
)

// Tunables of the judgement.
const (
	// AfterBurst is how long after a guessing burst from the same address a login is still taken
	// as its outcome; AfterBurstNet the same for a neighbour in its /24.
	AfterBurst    = 7 * 24 * time.Hour
	AfterBurstNet = 24 * time.Hour
	// QuietEnd is how long a session whose end was not logged is taken to last after its last
	// logged activity (its start or a sudo command), at most MaxOpen in all.
	QuietEnd = 2 * time.Hour
	MaxOpen  = 12 * time.Hour
	// Slack around a session's window for file times (sshd logs the end a moment after).
	Slack = time.Minute
	// HabitLogins is how many earlier logins an account needs before an hour can be unusual.
	HabitLogins = 5
	// maxCommands and maxFiles bound what is kept per session.
	maxCommands = 500
	maxFiles    = 200
)

// Command is one sudo command run in a session.
type Command struct {
	Time    time.Time `json:"time"`
	Command string    `json:"command"`
	RunAs   string    `json:"run_as,omitempty"`
	File    string    `json:"file,omitempty"`
	Line    int       `json:"line,omitempty"`
}

// Session is one login session and its judgement.
type Session struct {
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Via       string    `json:"via"` // ssh, console, su, sudo
	Target    string    `json:"target,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	Method    string    `json:"method,omitempty"`
	Key       string    `json:"key,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	EndLogged bool      `json:"end_logged"`
	File      string    `json:"file,omitempty"`
	Line      int       `json:"line,omitempty"`
	Judgement Judgement `json:"judgement"`
	Reasons   []string  `json:"reasons"`
	// Attack marks a hostile judgement that rests on a fact of attack (guessing before it, an
	// exploit, the same address or key as another hostile session), not on unfamiliarity alone.
	Attack bool `json:"attack,omitempty"`
	// Root is when the session had root from (a root login, su to root, a root shell through
	// sudo); zero if it never did.
	Root     time.Time `json:"root_from,omitempty"`
	Sudo     []Command `json:"sudo,omitempty"`
	MoreSudo int       `json:"sudo_left_out,omitempty"`
	// Files changed while a hostile session was open (status change time in its window), in
	// places an intruder works; at most 200.
	Files     []string `json:"files_changed,omitempty"`
	MoreFiles int      `json:"files_left_out,omitempty"`
	// BurstStart is the start of the guessing burst that made it hostile (zero if none).
	BurstStart time.Time `json:"burst_start,omitempty"`
	parent     *Session
}

// Label is a short name for the session, for people.
func (s *Session) Label() string {
	from := ""
	switch {
	case s.SourceIP != "":
		from = " from " + s.SourceIP
	case s.Via == authlog.ViaConsole:
		from = " at the console"
	}
	via := s.Via
	if via == authlog.ViaSu {
		return fmt.Sprintf("%s's su to %s at %s", s.User, orRoot(s.Target), stamp(s.Start))
	}
	return fmt.Sprintf("%s's %s session%s at %s", s.User, via, from, stamp(s.Start))
}

// Why is the judgement with its first reason, for people.
func (s *Session) Why() string {
	if len(s.Reasons) == 0 {
		return string(s.Judgement)
	}
	return string(s.Judgement) + ": " + s.Reasons[0]
}

// RootAt reports whether the session had root at t.
func (s *Session) RootAt(t time.Time) bool { return !s.Root.IsZero() && !t.Before(s.Root.Add(-Slack)) }

// Covers reports whether t falls in the session's window.
func (s *Session) Covers(t time.Time) bool {
	return !t.Before(s.Start.Add(-Slack)) && !t.After(s.End.Add(Slack))
}

// Options give the model what vouches for sessions and what is known to be hostile.
type Options struct {
	// Base is a baseline taken before the incident: the addresses, keys and console logins its
	// logs saw (in sessions it does not itself judge hostile) vouch for sessions, and its
	// authorized keys are the known ones.
	Base *snapshot.Reader
	// Trust lists what operators vouched for (`nowwhat trust add`).
	Trust []casedir.Trust
	// HostileIPs are addresses investigate tied to an exploit or a web shell.
	HostileIPs map[string]string // address -> why
}

// Model is the sessions of a host, judged.
type Model struct {
	Sessions []*Session
	Bursts   []snapshot.Burst
	// FirstHostile is the earliest hostile event: the burst that led to a hostile login, or the
	// hostile login itself (zero if none).
	FirstHostile time.Time
	// HasBaseline says a baseline's logins were available to vouch for sessions.
	HasBaseline bool
	// Trusts are the operators' entries the model used.
	Trusts []casedir.Trust
	users  map[string]snapshot.User
	// what the judgement was made from, to judge again with more facts (Rejudge)
	raw    []snapshot.Session
	cmds   []snapshot.Event
	an     *anchors
	opt    Options
	byLine map[string]*Session
}

// Build judges the sessions of a snapshot.
func Build(cur *snapshot.Reader, opt Options) (*Model, error) {
	m := &Model{users: map[string]snapshot.User{}, Trusts: opt.Trust, HasBaseline: opt.Base != nil}
	users, err := snapshot.All[snapshot.User](cur, "")
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if _, dup := m.users[u.Name]; !dup {
			m.users[u.Name] = u
		}
	}
	if m.Bursts, err = snapshot.All[snapshot.Burst](cur, ""); err != nil {
		return nil, err
	}
	raw, err := snapshot.All[snapshot.Session](cur, "via != 'cron'")
	if err != nil {
		return nil, err
	}
	cmds, err := snapshot.All[snapshot.Event](cur, "kind IN ('sudo-command', 'pkexec-command')")
	if err != nil {
		return nil, err
	}
	an, err := anchorsOf(opt.Base)
	if err != nil {
		return nil, err
	}
	opt.Base = nil // not kept open: its anchors are
	m.raw, m.cmds, m.an, m.opt = raw, cmds, an, opt
	m.build(raw, cmds, an, opt)
	return m, nil
}

// Rejudge judges the same sessions again, knowing more addresses to be hostile (investigate
// finds the exploits), and lists the files hostile sessions changed from cur.
func (m *Model) Rejudge(cur *snapshot.Reader, hostileIPs map[string]string) (*Model, error) {
	opt := m.opt
	opt.HostileIPs = map[string]string{}
	for k, v := range m.opt.HostileIPs {
		opt.HostileIPs[k] = v
	}
	for k, v := range hostileIPs {
		if _, ok := opt.HostileIPs[k]; !ok {
			opt.HostileIPs[k] = v
		}
	}
	n := &Model{users: m.users, Bursts: m.Bursts, Trusts: m.Trusts, HasBaseline: m.HasBaseline, raw: m.raw, cmds: m.cmds, an: m.an, opt: opt}
	n.build(m.raw, m.cmds, m.an, opt)
	if cur != nil {
		if err := n.CollectFiles(cur); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// ByLine finds the session that starts at a log line (file and line of its first event).
func (m *Model) ByLine(file string, line int) *Session {
	if m.byLine == nil {
		m.byLine = make(map[string]*Session, len(m.Sessions))
		for _, s := range m.Sessions {
			m.byLine[fmt.Sprintf("%s:%d", s.File, s.Line)] = s
		}
	}
	return m.byLine[fmt.Sprintf("%s:%d", file, line)]
}

// anchors are what a baseline saw before the incident.
type anchors struct {
	addrs   map[string]int  // address -> logins
	keys    map[string]int  // key fingerprint -> logins
	console map[string]bool // accounts that logged in at the console
	known   map[string]bool // authorized keys of the baseline (fingerprints)
	logins  []snapshot.Session
}

func anchorsOf(base *snapshot.Reader) (*anchors, error) {
	an := &anchors{addrs: map[string]int{}, keys: map[string]int{}, console: map[string]bool{}, known: map[string]bool{}}
	if base == nil {
		return an, nil
	}
	keys, err := snapshot.All[snapshot.SSHKey](base, "")
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		an.known[k.Fingerprint] = true
	}
	// The baseline's own sessions, judged by its own guessing bursts: a login the baseline's logs
	// show following guessing vouches for nothing.
	bm, err := Build(base, Options{})
	if err != nil {
		return nil, err
	}
	for _, s := range bm.Sessions {
		if s.Judgement == Hostile && s.Attack {
			continue
		}
		switch s.Via {
		case authlog.ViaSSH:
			if s.SourceIP != "" {
				an.addrs[s.SourceIP]++
			}
			if s.Key != "" {
				an.keys[s.Key]++
			}
		case authlog.ViaConsole:
			an.console[s.User] = true
		}
		an.logins = append(an.logins, snapshot.Session{User: s.User, Via: s.Via, SourceIP: s.SourceIP, Start: s.Start.UnixNano()})
	}
	return an, nil
}

// history is what the logs showed of each account before the session being judged.
type history struct {
	seenAddr map[string]bool            // any account logged in from it
	userAddr map[string]map[string]bool // per account (capped)
	hours    map[string]*[24]int        // login hours per account (UTC)
	logins   map[string]int
	any      int
}

func (h *history) add(user, ip string, t time.Time) {
	h.any++
	if ip != "" {
		h.seenAddr[ip] = true
		ua := h.userAddr[user]
		if ua == nil {
			ua = map[string]bool{}
			h.userAddr[user] = ua
		}
		if len(ua) < 1024 {
			ua[ip] = true
		}
	}
	hr := h.hours[user]
	if hr == nil {
		hr = &[24]int{}
		h.hours[user] = hr
	}
	hr[t.UTC().Hour()]++
	h.logins[user]++
}

// usualHour reports whether an account logged in within an hour of t before.
func (h *history) usualHour(user string, t time.Time) bool {
	hr := h.hours[user]
	if hr == nil {
		return false
	}
	x := t.UTC().Hour()
	return hr[x] > 0 || hr[(x+1)%24] > 0 || hr[(x+23)%24] > 0
}

func (m *Model) build(raw []snapshot.Session, cmds []snapshot.Event, an *anchors, opt Options) {
	sort.SliceStable(raw, func(i, j int) bool { return raw[i].Start < raw[j].Start })
	bursts := m.burstIndex()
	h := &history{seenAddr: map[string]bool{}, userAddr: map[string]map[string]bool{}, hours: map[string]*[24]int{}, logins: map[string]int{}}
	for _, s := range an.logins {
		h.add(s.User, s.SourceIP, time.Unix(0, s.Start))
	}
	taintIP := map[string]*Session{}
	taintKey := map[string]*Session{}
	var open []*Session // login sessions (ssh, console) for su and sudo to hang on
	for i, r := range raw {
		s := &Session{ID: fmt.Sprintf("S%d", i+1), User: r.User, Via: r.Via, Target: r.Target, SourceIP: r.SourceIP, Method: r.Method,
			Key: r.Key, Start: time.Unix(0, r.Start).UTC(), File: r.File, Line: r.Line, EndLogged: r.End != 0}
		if r.End != 0 {
			s.End = time.Unix(0, r.End).UTC()
		}
		if u, ok := m.users[s.User]; ok && u.UID == 0 || s.User == "root" {
			s.Root = s.Start
		}
		switch s.Via {
		case authlog.ViaSSH:
			m.judgeSSH(s, bursts, an, h, taintIP, taintKey, opt)
			h.add(s.User, s.SourceIP, s.Start)
			if s.Judgement == Hostile {
				if s.SourceIP != "" && taintIP[s.SourceIP] == nil {
					taintIP[s.SourceIP] = s
				}
				if s.Key != "" && taintKey[s.Key] == nil {
					taintKey[s.Key] = s
				}
			}
			open = append(open, s)
		case authlog.ViaConsole:
			m.judgeConsole(s, an, h)
			h.add(s.User, "", s.Start)
			open = append(open, s)
		default: // su, sudo: the session of whoever ran it decides
			if s.Via == authlog.ViaSu && (s.Target == "" || s.Target == "root") {
				s.Root = s.Start
			}
			p := enclosing(open, s.User, s.Start)
			s.parent = p
			if p == nil {
				s.Judgement = Unknown
				s.Reasons = []string{fmt.Sprintf("%s ran %s outside any login session the logs show (a cron job, a service, or a login whose lines are gone)", s.User, s.Via)}
			} else {
				s.Judgement, s.Attack = p.Judgement, p.Attack
				s.Reasons = append([]string{fmt.Sprintf("run from %s (%s)", p.Label(), p.Judgement)}, p.Reasons...)
				s.SourceIP, s.Key = p.SourceIP, p.Key
				if s.Via == authlog.ViaSu && !s.Root.IsZero() && (p.Root.IsZero() || p.Root.After(s.Start)) {
					p.Root = s.Start
				}
			}
		}
		m.Sessions = append(m.Sessions, s)
	}
	m.assignCommands(cmds)
	for _, s := range m.Sessions {
		if !s.EndLogged {
			last := s.Start
			for _, c := range s.Sudo {
				if c.Time.After(last) {
					last = c.Time
				}
			}
			end := last.Add(QuietEnd)
			if end.Sub(s.Start) > MaxOpen {
				end = s.Start.Add(MaxOpen)
			}
			s.End = end
		}
		if s.Judgement == Hostile {
			first := s.Start
			if !s.BurstStart.IsZero() && s.BurstStart.Before(first) {
				first = s.BurstStart
			}
			if m.FirstHostile.IsZero() || first.Before(m.FirstHostile) {
				m.FirstHostile = first
			}
		}
	}
}

// burstIndex groups the guessing bursts by address and by /24.
type burstIdx struct {
	byIP, byNet map[string][]snapshot.Burst
}

func (m *Model) burstIndex() burstIdx {
	ix := burstIdx{byIP: map[string][]snapshot.Burst{}, byNet: map[string][]snapshot.Burst{}}
	for _, b := range m.Bursts {
		ix.byIP[b.SourceIP] = append(ix.byIP[b.SourceIP], b)
		if n := authlog.Prefix24(b.SourceIP); n != "" {
			ix.byNet[n] = append(ix.byNet[n], b)
		}
	}
	return ix
}

// before finds the latest burst that ended before t and within d of it.
func before(bs []snapshot.Burst, t time.Time, d time.Duration, skipIP string) *snapshot.Burst {
	var best *snapshot.Burst
	for i := range bs {
		b := &bs[i]
		if b.SourceIP == skipIP {
			continue
		}
		end := time.Unix(0, b.End)
		if end.After(t.Add(Slack)) || t.Sub(end) > d {
			continue
		}
		if best == nil || b.End > best.End {
			best = b
		}
	}
	return best
}

func burstWords(b *snapshot.Burst) string {
	accts := fmt.Sprintf("%d accounts", b.Accounts)
	if b.Capped {
		accts = fmt.Sprintf("more than %d accounts", b.Accounts)
	}
	if b.Accounts == 1 {
		accts = "1 account"
	}
	top := b.Top
	if len(top) > 60 {
		top = top[:60] + "…"
	}
	kind := "failed logins"
	if b.Spray {
		kind = "failed logins (spraying)"
	}
	return fmt.Sprintf("%d %s from %s between %s and %s on %s (%s) (%s line %d)", b.Attempts, kind, b.SourceIP,
		stamp(time.Unix(0, b.Start)), stamp(time.Unix(0, b.End)), accts, top, b.File, b.Line)
}

func (m *Model) judgeSSH(s *Session, ix burstIdx, an *anchors, h *history, taintIP, taintKey map[string]*Session, opt Options) {
	var attack, unfamiliar, vouched []string
	addrAnchor := s.SourceIP != "" && an.addrs[s.SourceIP] > 0
	// Facts of attack.
	if b := before(ix.byIP[s.SourceIP], s.Start, AfterBurst, ""); b != nil {
		attack = append(attack, "it followed "+burstWords(b))
		s.BurstStart = time.Unix(0, b.Start).UTC()
	} else if n := authlog.Prefix24(s.SourceIP); n != "" && !h.seenAddr[s.SourceIP] && !addrAnchor && passwordish(s.Method) {
		// A neighbour counts only for a password login from an address never seen logging in:
		// guessing yields passwords, and an admin's provider network holds other customers,
		// some of them infected and guessing.
		if b := before(ix.byNet[n], s.Start, AfterBurstNet, s.SourceIP); b != nil {
			attack = append(attack, fmt.Sprintf("it came from %s's network %s, which made %s", b.SourceIP, n, burstWords(b)))
			s.BurstStart = time.Unix(0, b.Start).UTC()
		}
	}
	if why, ok := opt.HostileIPs[s.SourceIP]; ok && s.SourceIP != "" {
		attack = append(attack, fmt.Sprintf("its address %s %s", s.SourceIP, why))
	}
	if p := taintIP[s.SourceIP]; p != nil && s.SourceIP != "" {
		attack = append(attack, fmt.Sprintf("the same address as %s (hostile: %s)", p.Label(), first(p.Reasons)))
	} else if p := taintKey[s.Key]; p != nil && s.Key != "" {
		attack = append(attack, fmt.Sprintf("the same key %s as %s (hostile: %s)", s.Key, p.Label(), first(p.Reasons)))
	}
	// Unfamiliarity: what stolen credentials look like.
	operator := trustFor(opt.Trust, s.SourceIP, s.Key)
	if an.known != nil && len(an.known) > 0 && s.Key != "" && !an.known[s.Key] && an.keys[s.Key] == 0 && !addrAnchor && operator == nil {
		unfamiliar = append(unfamiliar, fmt.Sprintf("it logged in with key %s, which the baseline did not have", s.Key))
	}
	newAddr := s.SourceIP != "" && !h.seenAddr[s.SourceIP] && !addrAnchor
	if newAddr && h.any > 0 && operator == nil && s.Method == "password" && m.serviceOrRoot(s.User) {
		unfamiliar = append(unfamiliar, fmt.Sprintf("a password login into %s from %s, an address never seen logging in before", s.User, s.SourceIP))
	}
	if s.Method == "password" && !addrAnchor && operator == nil {
		if n, addrs := guessedAccount(m.Bursts, s.User, s.Start, s.SourceIP); n >= authlog.BurstMin {
			unfamiliar = append(unfamiliar, fmt.Sprintf("a password login into %s, an account that %d addresses tried to guess %d times in the 24 hours before", s.User, addrs, n))
		}
	}
	if newAddr && operator == nil && h.logins[s.User] >= HabitLogins && !h.usualHour(s.User, s.Start) {
		unfamiliar = append(unfamiliar, fmt.Sprintf("%s logged in from %s, an address never seen before, at %02d:%02d UTC, an hour they never logged in at in %d earlier logins",
			s.User, s.SourceIP, s.Start.UTC().Hour(), s.Start.UTC().Minute(), h.logins[s.User]))
	}
	// What vouches for it.
	if operator != nil {
		vouched = append(vouched, fmt.Sprintf("%s vouched for %s with nowwhat trust (%s, %s)", operator.Operator, trustWhat(*operator), operator.Who, operator.Added.Format("2006-01-02")))
	}
	if addrAnchor {
		vouched = append(vouched, fmt.Sprintf("the baseline's logs show %s logging in %d times before the incident", s.SourceIP, an.addrs[s.SourceIP]))
	}
	if s.Key != "" && an.keys[s.Key] > 0 {
		vouched = append(vouched, fmt.Sprintf("the baseline's logs show key %s in use %d times before the incident", s.Key, an.keys[s.Key]))
	}
	switch {
	case len(attack) > 0:
		s.Judgement, s.Attack, s.Reasons = Hostile, true, append(attack, unfamiliar...)
		if len(vouched) > 0 {
			s.Reasons = append(s.Reasons, "despite: "+strings.Join(vouched, "; "))
		}
	case len(unfamiliar) > 0:
		s.Judgement, s.Reasons = Hostile, unfamiliar
	case len(vouched) > 0:
		s.Judgement, s.Reasons = Trusted, vouched
	default:
		s.Judgement = Unknown
		why := fmt.Sprintf("nothing vouches for %s", orDash(s.SourceIP))
		if m.HasBaseline {
			why += ": the baseline's logs never saw it log in, and no nowwhat trust entry names it"
		} else {
			why += ": there is no baseline to compare with, and no nowwhat trust entry names it"
		}
		s.Reasons = []string{why}
	}
}

// guessedAccount counts the guessing attempts, from addresses other than skip, in the 24 hours
// before t by bursts whose most tried accounts include user.
func guessedAccount(bs []snapshot.Burst, user string, t time.Time, skip string) (attempts, addrs int) {
	seen := map[string]bool{}
	for _, b := range bs {
		end := time.Unix(0, b.End)
		if b.SourceIP == skip || end.After(t) || t.Sub(end) > 24*time.Hour {
			continue
		}
		for _, u := range strings.Split(b.Top, ",") {
			if u == user {
				attempts += b.Attempts
				if !seen[b.SourceIP] {
					seen[b.SourceIP] = true
					addrs++
				}
				break
			}
		}
	}
	return attempts, addrs
}

func (m *Model) judgeConsole(s *Session, an *anchors, h *history) {
	if an.console[s.User] {
		s.Judgement, s.Reasons = Trusted, []string{fmt.Sprintf("the baseline's logs show %s logging in at the console before the incident", s.User)}
		return
	}
	s.Judgement, s.Reasons = Unknown, []string{"a console login (or a provider's web console) that no baseline vouches for"}
}

// passwordish reports whether an SSH method is one password guessing can defeat.
func passwordish(method string) bool {
	return method == "password" || method == "keyboard-interactive" || method == ""
}

// serviceOrRoot: root, or an account in the system range (services do not log in with a
// password).
func (m *Model) serviceOrRoot(user string) bool {
	if user == "root" {
		return true
	}
	u, ok := m.users[user]
	return ok && (u.UID == 0 || u.UID > 0 && u.UID < 1000 || u.UID == 65534)
}

func trustFor(ts []casedir.Trust, ip, key string) *casedir.Trust {
	for i := range ts {
		if ts[i].Matches(ip, key) {
			return &ts[i]
		}
	}
	return nil
}

func trustWhat(t casedir.Trust) string {
	switch {
	case t.Address != "" && t.Key != "":
		return t.Key + " from " + t.Address
	case t.Address != "":
		return t.Address
	}
	return t.Key
}

// enclosing finds the latest login session of user open at t.
func enclosing(open []*Session, user string, t time.Time) *Session {
	for i := len(open) - 1; i >= 0; i-- {
		s := open[i]
		if s.User != user || s.Start.After(t.Add(Slack)) {
			continue
		}
		if s.EndLogged && t.After(s.End.Add(Slack)) || !s.EndLogged && t.Sub(s.Start) > MaxOpen {
			continue
		}
		return s
	}
	return nil
}

// assignCommands hangs each sudo command on the session of its user open at that time (a su
// session to that user first, then a login session); a root shell started through sudo gives
// the session root from then on.
func (m *Model) assignCommands(cmds []snapshot.Event) {
	byUser := map[string][]*Session{}
	for _, s := range m.Sessions {
		u := s.User
		if s.Via == authlog.ViaSu {
			u = orRoot(s.Target)
		}
		byUser[u] = append(byUser[u], s)
	}
	for _, ev := range cmds {
		t := time.Unix(0, ev.Time).UTC()
		var best *Session
		for _, s := range byUser[ev.User] {
			if s.Start.After(t.Add(Slack)) {
				continue
			}
			if s.EndLogged && t.After(s.End.Add(Slack)) || !s.EndLogged && t.Sub(s.Start) > MaxOpen {
				continue
			}
			if best == nil || s.Start.After(best.Start) {
				best = s
			}
		}
		if best == nil {
			continue
		}
		c := Command{Time: t, Command: ev.Subject, RunAs: ev.Target, File: ev.File, Line: ev.Line}
		if len(best.Sudo) < maxCommands {
			best.Sudo = append(best.Sudo, c)
		} else {
			best.MoreSudo++
		}
		if (c.RunAs == "" || c.RunAs == "root") && RootShell(c.Command) && (best.Root.IsZero() || t.Before(best.Root)) {
			best.Root = t
		}
		for p := best.parent; p != nil; p = p.parent {
			if (c.RunAs == "" || c.RunAs == "root") && RootShell(c.Command) && (p.Root.IsZero() || t.Before(p.Root)) {
				p.Root = t
			}
		}
	}
}

// RootShell reports whether a command run through sudo opens a shell (sudo -i, sudo su,
// sudo bash, ...), after which nothing of what is done is logged command by command.
func RootShell(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	base := f[0][strings.LastIndexByte(f[0], '/')+1:]
	switch base {
	case "bash", "sh", "dash", "zsh", "ksh", "fish", "tcsh", "csh", "su", "busybox":
		return true
	case "sudo":
		return len(f) > 1 && (f[1] == "-i" || f[1] == "-s" || f[1] == "su")
	}
	return false
}

// Hostile lists the hostile sessions, oldest first.
func (m *Model) Hostile() []*Session {
	var out []*Session
	for _, s := range m.Sessions {
		if s.Judgement == Hostile {
			out = append(out, s)
		}
	}
	return out
}

// Counts tells how many sessions got each judgement.
func (m *Model) Counts() map[Judgement]int {
	out := map[Judgement]int{}
	for _, s := range m.Sessions {
		out[s.Judgement]++
	}
	return out
}

// Summary says in one line what the model saw, for the coverage report.
func (m *Model) Summary() string {
	c := m.Counts()
	src := "no baseline"
	if m.HasBaseline {
		src = "the baseline's logins"
	}
	return fmt.Sprintf("sessions: %d trusted, %d hostile, %d unknown (vouched for by %s and %d nowwhat trust entries); %d guessing bursts",
		c[Trusted], c[Hostile], c[Unknown], src, len(m.Trusts), len(m.Bursts))
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
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

func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
