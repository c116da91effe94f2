package authlog

import (
	"net/netip"
	"sort"
	"time"
)

// Guessing thresholds: what makes failed logins a guessing burst rather than someone's typos.
const (
	// BurstGap closes a burst: failures from one source further apart than this are two bursts.
	BurstGap = 30 * time.Minute
	// BurstMin failed attempts in one burst make it password guessing.
	BurstMin = 10
	// SprayAccounts distinct accounts tried in one burst make it password spraying, whatever the
	// count (5 accounts with 2 tries each is a spray, not five typos).
	SprayAccounts = 5
	// topAccounts is how many account names a burst remembers (space-saving heavy hitters: the
	// most tried names are exact when they stand out, approximate otherwise).
	topAccounts = 16
	// maxOpenSources bounds the sources with a burst in progress; beyond it the oldest are
	// closed early (an attack from a million addresses still ends in bounded memory).
	maxOpenSources = 100000
	// MaxBursts bounds the guessing bursts kept; later ones are counted in Dropped.
	MaxBursts = 100000
)

// Burst is a run of failed logins from one source address, with no gap longer than BurstGap.
// Only runs that look like guessing (BurstMin attempts or SprayAccounts accounts) are reported.
type Burst struct {
	SourceIP string
	Start    time.Time
	End      time.Time
	// Attempts counts failed logins ("message repeated N times" included); Invalid counts those
	// on accounts that do not exist.
	Attempts int
	Invalid  int
	// Accounts is the number of distinct account names tried, exact up to AccountsCap, and a
	// lower bound beyond it (AccountsCapped).
	Accounts       int
	AccountsCapped bool
	// Top are the most tried account names, most first (at most 16).
	Top []string
	// Spray says many accounts were tried rather than one account many times.
	Spray bool
	File  string // where the burst starts
	Line  int
}

// AccountsCap bounds the distinct account names counted per burst.
const AccountsCap = 4096

// Guessing cuts failed SSH logins into bursts per source address, in bounded memory: per source
// in progress it keeps counts, a capped set of names and a fixed-size top list. Feed it events in
// time order with Add; call Flush at the end. Bursts that look like guessing go to Emit.
type Guessing struct {
	Emit    func(Burst)
	open    map[string]*openBurst
	seen    int
	Dropped int // guessing bursts not emitted because MaxBursts was reached
	emitted int
	last    time.Time
	sweepAt time.Time
}

type openBurst struct {
	Burst
	failedInvalid int // "Failed ... for invalid user" lines (the matching "Invalid user" lines are not counted twice)
	invalidLines  int
	names         map[string]struct{}
	top           []nameCount
}

type nameCount struct {
	name  string
	count int
}

// Add takes one event; only failed SSH logins and invalid-user probes count.
func (g *Guessing) Add(ev Event) {
	if ev.Kind != KindSSHFailed && ev.Kind != KindSSHInvalidUser || ev.Time.IsZero() {
		return
	}
	if g.open == nil {
		g.open = map[string]*openBurst{}
	}
	g.seen++
	if ev.Time.After(g.last) {
		g.last = ev.Time
	}
	if g.last.After(g.sweepAt) {
		g.sweep(g.last)
		g.sweepAt = g.last.Add(BurstGap)
	}
	ip := ev.SourceIP
	if ip == "" {
		ip = "(unknown)"
	}
	b := g.open[ip]
	if b != nil && ev.Time.Sub(b.End) > BurstGap {
		g.close(ip, b)
		b = nil
	}
	if b == nil {
		if len(g.open) >= maxOpenSources {
			g.sweep(g.last)
			if len(g.open) >= maxOpenSources {
				g.closeOldest()
			}
		}
		b = &openBurst{Burst: Burst{SourceIP: ip, Start: ev.Time, End: ev.Time, File: ev.File, Line: ev.Line}, names: map[string]struct{}{}}
		g.open[ip] = b
	}
	n := ev.Count
	if n < 1 {
		n = 1
	}
	if ev.Time.After(b.End) {
		b.End = ev.Time
	}
	if ev.Kind == KindSSHInvalidUser {
		b.invalidLines += n
	} else {
		b.Attempts += n
		if ev.Invalid {
			b.failedInvalid += n
		}
	}
	if _, ok := b.names[ev.User]; !ok {
		if len(b.names) < AccountsCap {
			b.names[ev.User] = struct{}{}
		} else {
			b.AccountsCapped = true
		}
	}
	b.count(ev.User, n)
}

// count keeps the most tried names with the space-saving algorithm: a name not in a full list
// replaces the least counted one and inherits its count.
func (b *openBurst) count(name string, n int) {
	for i := range b.top {
		if b.top[i].name == name {
			b.top[i].count += n
			return
		}
	}
	if len(b.top) < topAccounts {
		b.top = append(b.top, nameCount{name, n})
		return
	}
	min := 0
	for i := range b.top {
		if b.top[i].count < b.top[min].count {
			min = i
		}
	}
	b.top[min] = nameCount{name, b.top[min].count + n}
}

// Seen counts the failed logins given to Add.
func (g *Guessing) Seen() int { return g.seen }

// SourceClosed ends the burst in progress from ip (a successful login from it ends the run of
// failures that led to it), so the burst is complete when the login is judged.
func (g *Guessing) SourceClosed(ip string) {
	if b := g.open[ip]; b != nil {
		g.close(ip, b)
	}
}

// Open returns the burst in progress from ip as it stands (zero Burst and false if none, or if
// it does not look like guessing yet).
func (g *Guessing) Open(ip string) (Burst, bool) {
	b := g.open[ip]
	if b == nil {
		return Burst{}, false
	}
	out := b.finish()
	return out, out.guessing()
}

// Flush closes every burst in progress.
func (g *Guessing) Flush() {
	ips := make([]string, 0, len(g.open))
	for ip := range g.open {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		g.close(ip, g.open[ip])
	}
}

func (g *Guessing) sweep(now time.Time) {
	for ip, b := range g.open {
		if now.Sub(b.End) > BurstGap {
			g.close(ip, b)
		}
	}
}

func (g *Guessing) closeOldest() {
	var oldIP string
	var old *openBurst
	for ip, b := range g.open {
		if old == nil || b.End.Before(old.End) {
			oldIP, old = ip, b
		}
	}
	if old != nil {
		g.close(oldIP, old)
	}
}

func (g *Guessing) close(ip string, b *openBurst) {
	delete(g.open, ip)
	out := b.finish()
	if !out.guessing() || g.Emit == nil {
		return
	}
	if g.emitted >= MaxBursts {
		g.Dropped++
		return
	}
	g.emitted++
	g.Emit(out)
}

func (b *openBurst) finish() Burst {
	out := b.Burst
	extra := b.invalidLines - b.failedInvalid
	if extra < 0 {
		extra = 0
	}
	out.Attempts += extra
	out.Invalid = b.failedInvalid + extra
	out.Accounts = len(b.names)
	top := append([]nameCount(nil), b.top...)
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].count != top[j].count {
			return top[i].count > top[j].count
		}
		return top[i].name < top[j].name
	})
	out.Top = make([]string, 0, len(top))
	for _, t := range top {
		out.Top = append(out.Top, t.name)
	}
	out.Spray = out.Accounts >= SprayAccounts
	return out
}

func (b Burst) guessing() bool {
	return b.Attempts >= BurstMin || b.Accounts >= SprayAccounts && b.Attempts >= SprayAccounts
}

// Prefix24 returns the /24 (IPv4) or /64 (IPv6) network of an address, "" if it is not one:
// guessing from one address and a login from its neighbour are the same actor more often than
// not (cloud ranges, botnets behind one provider).
func Prefix24(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 64
	if a.Is4() || a.Is4In6() {
		a = a.Unmap()
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
