package investigate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
)

// Thresholds of the SSH analysis.
const (
	bruteMin    = 10               // failed attempts from one source that make a brute force
	sprayUsers  = 5                // distinct accounts tried from one source that make a spray
	typoMax     = 3                // failures before a success that are an operator's typos
	typoWindow  = 10 * time.Minute // ... when they come this close to the success
	maxSources  = 200000           // distinct sources tracked (a flood of addresses cannot exhaust memory)
	burstWindow = time.Hour        // failures are reported as bursts per source and hour
)

// source is what one address did over SSH.
type source struct {
	ip           string
	failed       int // failed passwords and keys, "message repeated" counted
	invalid      int // attempts on accounts that do not exist
	users        map[string]int
	first, last  time.Time
	accepted     []authlog.Event
	failBefore   map[string]int // failures per account before each accepted login (filled on accept)
	lastFailUser map[string]time.Time
	burstStart   time.Time
	burstCount   int
	burstUsers   map[string]bool
}

// sshState gathers the SSH story from authentication events.
type sshState struct {
	sources   map[string]*source
	order     []string
	dropped   int
	logins    []authlog.Event        // every accepted login, in time order
	seen      map[string]bool        // addresses that logged in before (user\x00ip)
	userHours map[string]map[int]int // login hours per user
	failUser  map[string][]time.Time // failure times per targeted account (bounded)
	events    []Event                // timeline rows
	bursts    int                    // failed-login rows so far
	findings  []finding.Finding
}

func newSSH() *sshState {
	return &sshState{sources: map[string]*source{}, seen: map[string]bool{}, userHours: map[string]map[int]int{}, failUser: map[string][]time.Time{}}
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
		x = &source{ip: ip, users: map[string]int{}, failBefore: map[string]int{}, lastFailUser: map[string]time.Time{}, burstUsers: map[string]bool{}}
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
		x.users[ev.User] += n
		x.lastFailUser[ev.User] = ev.Time
		if x.first.IsZero() || ev.Time.Before(x.first) {
			x.first = ev.Time
		}
		if ev.Time.After(x.last) {
			x.last = ev.Time
		}
		if ft := s.failUser[ev.User]; len(ft) < 1000 {
			s.failUser[ev.User] = append(ft, ev.Time)
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
			x.burstUsers[ev.User] = true
		}
	case authlog.KindSSHAccepted:
		x := s.src(ev.SourceIP)
		if x != nil {
			for u, c := range x.users {
				x.failBefore[u] = c
			}
			x.accepted = append(x.accepted, ev)
			if x.burstCount > 0 {
				s.flushBurst(x)
			}
		}
		s.logins = append(s.logins, ev)
		s.accepted(ev, x)
	}
}

// maxBurstRows bounds the failed-login rows on the timeline (each source's totals stay exact in
// its brute-force finding), so memory does not grow with a year of guessing.
const maxBurstRows = 20000

func (s *sshState) flushBurst(x *source) {
	if s.bursts >= maxBurstRows {
		x.burstCount = 0
		x.burstUsers = map[string]bool{}
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
	x.burstUsers = map[string]bool{}
}

// accepted judges one successful login.
func (s *sshState) accepted(ev authlog.Event, x *source) {
	key := ev.User + "\x00" + ev.SourceIP
	newAddr := !s.seen[key] && len(s.logins) > 1
	s.seen[key] = true
	hours := s.userHours[ev.User]
	if hours == nil {
		hours = map[int]int{}
		s.userHours[ev.User] = hours
	}
	usual := 0
	total := 0
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

	// A success after a brute force from the same source, or on an account under attack.
	if x != nil {
		failed := x.failed + x.invalid
		recent := !x.lastFailUser[ev.User].IsZero() && ev.Time.Sub(x.lastFailUser[ev.User]) <= typoWindow
		typos := failed <= typoMax && recent
		if failed >= bruteMin || (failed > typoMax && len(x.users) >= 2) {
			row.Event, row.weight = "ssh-bruteforce-success", 10
			s.findings = append(s.findings, finding.Finding{Rule: "entry.ssh-bruteforce", Severity: finding.Critical, Strong: true,
				Title: fmt.Sprintf("%s logged in as %s after %d failed attempts from the same address", ev.SourceIP, ev.User, failed),
				User:  ev.User, SourceIP: ev.SourceIP, Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1110.001", "T1110.003", "T1078"},
				Evidence: append(evidence, fmt.Sprintf("%d failed passwords and %d attempts on unknown accounts from %s between %s and %s, on %d accounts", x.failed, x.invalid, ev.SourceIP, stamp(x.first), stamp(x.last), len(x.users))),
				Why:      "Password guessing that ends in a login is the most common way into a server: the guessed password is now the intruder's.",
				Action:   "Lock the account, kill its sessions, block the address; change the password everywhere it was used, turn off password logins for SSH (keys only), and look at everything the account did after " + stamp(ev.Time) + "."})
		} else if failed > 0 && !typos {
			row.Event, row.weight = "ssh-success-after-failures", 5
		}
	}
	// The account was being guessed from elsewhere just before.
	if row.Event == "ssh-accepted" && ev.Method == "password" {
		n := 0
		for _, t := range s.failUser[ev.User] {
			if ev.Time.Sub(t) >= 0 && ev.Time.Sub(t) <= 24*time.Hour {
				n++
			}
		}
		if n >= bruteMin {
			row.Event, row.weight = "ssh-success-on-attacked-account", 6
			s.findings = append(s.findings, finding.Finding{Rule: "entry.ssh-attacked-account", Severity: finding.High,
				Title: fmt.Sprintf("%s logged in with a password from %s after %d failed attempts on that account from other addresses in 24 hours", ev.User, ev.SourceIP, n),
				User:  ev.User, SourceIP: ev.SourceIP, Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1110.003", "T1078"}, Evidence: evidence,
				Why:    "A distributed password guessing against an account, then a password login to it: the password may have been guessed.",
				Action: "Confirm with the account's owner that this login was theirs; if not, lock it and change the password."})
		}
	}
	if ev.User == "root" {
		s.findings = append(s.findings, finding.Finding{Rule: "login.root", Severity: finding.Low, User: "root", SourceIP: ev.SourceIP,
			Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078.003"}, Evidence: evidence,
			Title:  fmt.Sprintf("root logged in directly over SSH from %s", ev.SourceIP),
			Why:    "Direct root logins leave no trace of who the person was; they are also what intruders with a stolen key or password do.",
			Action: "Check who it was; prefer personal accounts with sudo (PermitRootLogin no)."})
	}
	if newAddr && row.Event == "ssh-accepted" {
		row.Event = "ssh-accepted-new-address"
		s.findings = append(s.findings, finding.Finding{Rule: "login.new-address", Severity: finding.Low, User: ev.User, SourceIP: ev.SourceIP,
			Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078"}, Evidence: evidence,
			Title:  fmt.Sprintf("%s logged in from %s, an address not seen for that account before in these logs", ev.User, ev.SourceIP),
			Why:    "A valid login from an address never used before can be a stolen password or key.",
			Action: "Confirm with the account's owner."})
	}
	if total >= 5 && usual == 0 {
		s.findings = append(s.findings, finding.Finding{Rule: "login.unusual-hour", Severity: finding.Low, User: ev.User, SourceIP: ev.SourceIP,
			Time: ev.Time.UTC().Format(time.RFC3339), Attack: []string{"T1078"}, Evidence: evidence,
			Title:  fmt.Sprintf("%s logged in at %02d:%02d UTC, an hour they never logged in at before (%d earlier logins)", ev.User, ev.Time.UTC().Hour(), ev.Time.UTC().Minute(), total),
			Why:    "Logins outside an account's habits can be someone else using it.",
			Action: "Confirm with the account's owner."})
	}
	s.events = append(s.events, row)
}

// finish reports the brute forces and sprays that did not end in a login.
func (s *sshState) finish() {
	for _, ip := range s.order {
		x := s.sources[ip]
		if x.burstCount > 0 {
			s.flushBurst(x)
		}
		failed := x.failed + x.invalid
		if failed < bruteMin {
			continue
		}
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
			users = append(users[:8], fmt.Sprintf("... %d more", len(x.users)-8))
		}
		kind, title := "ssh.bruteforce", fmt.Sprintf("password guessing from %s: %d failed attempts", ip, failed)
		attack := []string{"T1110.001"}
		if len(x.users) >= sprayUsers {
			kind, title = "ssh.spray", fmt.Sprintf("password spraying from %s: %d failed attempts on %d accounts", ip, failed, len(x.users))
			attack = []string{"T1110.003"}
		}
		outcome := "no login from this address followed"
		sev := finding.Info
		if len(x.accepted) > 0 {
			outcome = fmt.Sprintf("%d logins from this address (see the entry findings)", len(x.accepted))
			sev = finding.Medium
		}
		s.findings = append(s.findings, finding.Finding{Rule: kind, Severity: sev, SourceIP: ip, Time: x.first.UTC().Format(time.RFC3339),
			Title: title, Attack: attack,
			Evidence: []string{fmt.Sprintf("%d failed passwords, %d attempts on unknown accounts, %s to %s", x.failed, x.invalid, stamp(x.first), stamp(x.last)),
				"accounts tried: " + strings.Join(users, ", "), outcome},
			Why:    "Automated password guessing hits every server on the Internet; it matters when one succeeds.",
			Action: "Use SSH keys only (PasswordAuthentication no), and a tool like fail2ban; block the address if it persists."})
	}
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
