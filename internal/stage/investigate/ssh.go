package investigate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
)

// Bounds of the SSH analysis: memory stays flat however long the guessing went on.
const (
	maxSources   = 200000           // distinct sources tracked (a flood of addresses cannot exhaust memory)
	burstWindow  = time.Hour        // failures are put on the timeline as rows per source and hour
	maxLogins    = 100000           // accepted logins kept for the story
	maxUserNames = 64               // account names remembered per source (the count goes on)
	maxRaw       = 300              // bytes of a log line kept as evidence
	typoWindow   = 10 * time.Minute // failures this close before a success from a known place are typos
)

// source is what one address did over SSH, in bounded memory.
type source struct {
	ip          string
	failed      int // failed passwords and keys, "message repeated" counted
	invalid     int // attempts on accounts that do not exist
	users       map[string]int
	moreUsers   bool // more names than maxUserNames were tried
	first, last time.Time
	accepted    int
	burstStart  time.Time
	burstCount  int
	burstUsers  map[string]bool
}

// sshState gathers the SSH story from authentication events; the judgement of each login is
// the sessions model's (package detect/sessions), made once the logs are read.
type sshState struct {
	sources   map[string]*source
	order     []string
	dropped   int
	logins    []authlog.Event        // accepted logins, in time order (at most maxLogins)
	more      int                    // accepted logins beyond maxLogins
	seen      map[string]bool        // account and address pairs that logged in before (user\x00ip)
	userHours map[string]map[int]int // login hours per user
	events    []Event                // timeline rows
	bursts    int                    // failed-login rows so far
	findings  []finding.Finding
}

func newSSH() *sshState {
	return &sshState{sources: map[string]*source{}, seen: map[string]bool{}, userHours: map[string]map[int]int{}}
}

func (s *sshState) src(ip string) *source {
	if ip == "" {
		ip = "(unknown)"
	}
	x := s.sources[ip]
	if x == nil {
		if len(s.sources) >= maxSources {
			s.dropped++
			return nil
		}
		x = &source{ip: ip, users: map[string]int{}, burstUsers: map[string]bool{}}
		s.sources[ip] = x
		s.order = append(s.order, ip)
	}
	return x
}

// add takes one authentication event, in time order.
func (s *sshState) add(ev authlog.Event) {
	switch ev.Kind {
	case authlog.KindSSHFailed, authlog.KindSSHInvalidUser:
		x := s.src(ev.SourceIP)
		if x == nil {
			return
		}
		n := ev.Count
		if n < 1 {
			n = 1
		}
		if ev.Kind == authlog.KindSSHInvalidUser {
			x.invalid += n
		} else {
			x.failed += n
		}
		if _, ok := x.users[ev.User]; ok || len(x.users) < maxUserNames {
			x.users[strings.Clone(ev.User)] += n
		} else {
			x.moreUsers = true
		}
		if x.first.IsZero() || ev.Time.Before(x.first) {
			x.first = ev.Time
		}
		if ev.Time.After(x.last) {
			x.last = ev.Time
		}
		// Bursts: one timeline row per source and hour.
		if x.burstCount > 0 && ev.Time.Sub(x.burstStart) > burstWindow {
			s.flushBurst(x)
		}
		if x.burstCount == 0 {
			x.burstStart = ev.Time
		}
		x.burstCount += n
		if len(x.burstUsers) < 20 {
			x.burstUsers[strings.Clone(ev.User)] = true
		}
	case authlog.KindSSHAccepted:
		if x := s.src(ev.SourceIP); x != nil {
			x.accepted++
			if x.burstCount > 0 {
				s.flushBurst(x)
			}
		}
		if len(s.logins) >= maxLogins {
			s.more++
			return
		}
		ev = cloneAccepted(ev)
		s.logins = append(s.logins, ev)
	}
}

// cloneAccepted keeps what the story needs of an accepted login, detached from the line buffer.
func cloneAccepted(ev authlog.Event) authlog.Event {
	raw := ev.Raw
	if len(raw) > maxRaw {
		raw = raw[:maxRaw] + "…"
	}
	return authlog.Event{Time: ev.Time, Host: strings.Clone(ev.Host), Kind: ev.Kind, User: strings.Clone(ev.User),
		SourceIP: strings.Clone(ev.SourceIP), Port: ev.Port, Method: strings.Clone(ev.Method), KeyType: strings.Clone(ev.KeyType),
		Key: strings.Clone(ev.Key), Raw: strings.Clone(raw), File: ev.File, Line: ev.Line}
}

// maxBurstRows bounds the failed-login rows on the timeline (each source's totals stay exact in
// its finding), so memory does not grow with a year of guessing.
const maxBurstRows = 20000

func (s *sshState) flushBurst(x *source) {
	if s.bursts >= maxBurstRows {
		x.burstCount = 0
		clear(x.burstUsers)
		return
	}
	s.bursts++
	var users []string
	for u := range x.burstUsers {
		users = append(users, u)
	}
	sort.Strings(users)
	s.events = append(s.events, Event{Time: x.burstStart, Source: "auth", Event: "ssh-failed-burst", IP: x.ip,
		Detail: fmt.Sprintf("%d failed SSH logins from %s for %s", x.burstCount, x.ip, strings.Join(users, ",")), weight: 1})
	x.burstCount = 0
	clear(x.burstUsers)
}

// judge puts every accepted login on the timeline with the model's judgement of its session,
// and raises the login findings: the entries (a login after guessing, per address; stolen
// credentials), and for sessions nothing vouches for, root logins, new addresses and unusual
// hours. A trusted session raises nothing.
func (s *sshState) judge(m *sessions.Model) {
	type entryGroup struct {
		sess  []*sessions.Session
		login []authlog.Event
	}
	groups := map[string]*entryGroup{}
	var order []string
	for _, ev := range s.logins {
		sess := m.ByLine(ev.File, ev.Line)
		judgement := sessions.Unknown
		if sess != nil {
			judgement = sess.Judgement
		}
		key := ev.User + "\x00" + ev.SourceIP
		newAddr := !s.seen[key] && len(s.seen) > 0
		s.seen[key] = true
		hours := s.userHours[ev.User]
		if hours == nil {
			hours = map[int]int{}
			s.userHours[ev.User] = hours
		}
		usual, total := 0, 0
		for h, c := range hours {
			total += c
			if abs(h-ev.Time.Hour()) <= 1 || abs(h-ev.Time.Hour()) >= 23 {
				usual += c
			}
		}
		hours[ev.Time.Hour()]++
		detail := fmt.Sprintf("%s logged in over SSH from %s with %s", ev.User, ev.SourceIP, ev.Method)
		if ev.Key != "" {
			detail += " key " + ev.Key
		}
		row := Event{Time: ev.Time, Source: "auth", Host: ev.Host, Event: "ssh-accepted", Detail: detail, IP: ev.SourceIP, User: ev.User, weight: 2}
		evidence := []string{fmt.Sprintf("%s line %d: %s", ev.File, ev.Line, ev.Raw)}
		switch {
		case judgement == sessions.Hostile && sess.Attack && !sess.BurstStart.IsZero():
			row.Event, row.weight, row.Malicious = "ssh-bruteforce-success", 10, true
		case judgement == sessions.Hostile:
			row.Event, row.weight, row.Malicious = "ssh-hostile-login", 8, true
		case judgement == sessions.Trusted:
			row.Detail += " (trusted: " + sess.Reasons[0] + ")"
		}
		if judgement == sessions.Hostile {
			k := ev.SourceIP + "\x00" + map[bool]string{true: "brute", false: "stolen"}[sess.Attack && !sess.BurstStart.IsZero()]
			g := groups[k]
			if g == nil {
				g = &entryGroup{}
				groups[k] = g
				order = append(order, k)
			}
			g.sess, g.login = append(g.sess, sess), append(g.login, ev)
		}
		if judgement != sessions.Trusted {
			if ev.User == "root" {
				s.findings = append(s.findings, rules.Finding("login.root", finding.Finding{Severity: finding.Low, User: "root", SourceIP: ev.SourceIP,
					Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078.003"}, Evidence: evidence,
					Title: fmt.Sprintf("root logged in directly over SSH from %s", ev.SourceIP)}))
			}
			if newAddr && row.Event == "ssh-accepted" {
				row.Event = "ssh-accepted-new-address"
				s.findings = append(s.findings, rules.Finding("login.new-address", finding.Finding{Severity: finding.Low, User: ev.User, SourceIP: ev.SourceIP,
					Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078"}, Evidence: evidence,
					Title: fmt.Sprintf("%s logged in from %s, an address not seen for that account before in these logs", ev.User, ev.SourceIP)}))
			}
			if total >= sessions.HabitLogins && usual == 0 && judgement == sessions.Unknown {
				s.findings = append(s.findings, rules.Finding("login.unusual-hour", finding.Finding{Severity: finding.Low, User: ev.User, SourceIP: ev.SourceIP,
					Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078"}, Evidence: evidence,
					Title: fmt.Sprintf("%s logged in at %02d:%02d UTC, an hour they never logged in at before (%d earlier logins)", ev.User, ev.Time.UTC().Hour(), ev.Time.UTC().Minute(), total)}))
			}
		}
		s.events = append(s.events, row)
	}
	for _, k := range order {
		g := groups[k]
		s0, e0, eN := g.sess[0], g.login[0], g.login[len(g.login)-1]
		users := map[string]bool{}
		var ulist []string
		for _, e := range g.login {
			if !users[e.User] {
				users[e.User] = true
				ulist = append(ulist, e.User)
			}
		}
		count := ""
		if len(g.login) > 1 {
			count = fmt.Sprintf(" (%d logins, %s to %s)", len(g.login), stamp(e0.Time), stamp(eN.Time))
		}
		ev := []string{fmt.Sprintf("%s line %d: %s", e0.File, e0.Line, e0.Raw)}
		for _, r := range s0.Reasons {
			ev = append(ev, "why: "+r)
		}
		if strings.HasSuffix(k, "brute") {
			x := s.sources[e0.SourceIP]
			title := fmt.Sprintf("%s logged in as %s after guessing passwords%s", e0.SourceIP, strings.Join(ulist, ","), count)
			if x != nil {
				title = fmt.Sprintf("%s logged in as %s after %d failed attempts from the same address%s", e0.SourceIP, strings.Join(ulist, ","), x.failed+x.invalid, count)
			}
			s.findings = append(s.findings, rules.Finding("entry.ssh-bruteforce", finding.Finding{Severity: finding.Critical, Strong: true,
				Title: title, User: e0.User, SourceIP: e0.SourceIP, Time: e0.Time.UTC().Format(time.RFC3339), Attack: []string{"T1110.001", "T1110.003", "T1078"},
				Evidence: ev, Session: sessions.Ref(s0, "")}))
			continue
		}
		s.findings = append(s.findings, rules.Finding("entry.ssh-stolen-credentials", finding.Finding{Severity: finding.High,
			Title: fmt.Sprintf("%s logged in as %s in a way that looks like stolen credentials: %s%s", e0.SourceIP, strings.Join(ulist, ","), first(s0.Reasons), count),
			User:  e0.User, SourceIP: e0.SourceIP, Time: e0.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078", "T1552.004"},
			Evidence: ev, Session: sessions.Ref(s0, "")}))
	}
}

// finish reports the guessing per source: a brute force or a spray, with its outcome. Guessing
// that never got in is the Internet's background noise; sparse failures from a place that logs
// in every day are typos and are not reported at all.
func (s *sshState) finish(m *sessions.Model) {
	bursts := map[string]int{}
	spray := map[string]bool{}
	for _, b := range m.Bursts {
		bursts[b.SourceIP] += b.Attempts
		spray[b.SourceIP] = spray[b.SourceIP] || b.Spray
	}
	hostile := map[string]bool{}
	for _, h := range m.Hostile() {
		hostile[h.SourceIP] = true
	}
	for _, ip := range s.order {
		x := s.sources[ip]
		if x.burstCount > 0 {
			s.flushBurst(x)
		}
		if bursts[ip] == 0 {
			continue // no burst: typos, or guessing too slow to tell from them
		}
		failed := x.failed + x.invalid
		var users []string
		for u := range x.users {
			users = append(users, u)
		}
		sort.Slice(users, func(i, j int) bool {
			if a, b := x.users[users[i]], x.users[users[j]]; a != b {
				return a > b
			}
			return users[i] < users[j] // the same order every run
		})
		if len(users) > 8 {
			users = users[:8]
		}
		tried := strings.Join(users, ", ")
		if x.moreUsers || len(x.users) > 8 {
			tried += ", and more"
		}
		kind, title := "ssh.bruteforce", fmt.Sprintf("password guessing from %s: %d failed attempts", ip, failed)
		attack := []string{"T1110.001"}
		if spray[ip] {
			kind, title = "ssh.spray", fmt.Sprintf("password spraying from %s: %d failed attempts on many accounts", ip, failed)
			attack = []string{"T1110.003"}
		}
		outcome := "no login from this address followed"
		sev := finding.Info
		switch {
		case hostile[ip]:
			outcome = fmt.Sprintf("%d logins from this address (see the entry findings)", x.accepted)
			sev = finding.Medium
		case x.accepted > 0:
			outcome = fmt.Sprintf("%d logins from this address, none judged to follow the guessing", x.accepted)
		}
		s.findings = append(s.findings, rules.Finding(kind, finding.Finding{Severity: sev, SourceIP: ip, Time: x.first.UTC().Format(time.RFC3339),
			Title: title, Attack: attack,
			Evidence: []string{fmt.Sprintf("%d failed passwords, %d attempts on unknown accounts, %s to %s", x.failed, x.invalid, stamp(x.first), stamp(x.last)),
				"accounts tried: " + tried, outcome}}))
	}
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
