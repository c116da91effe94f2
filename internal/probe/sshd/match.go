package sshd

import (
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// Conn is one connection as sshd's Match blocks see it.
type Conn struct {
	User      string
	Groups    []string // the account's groups (primary and supplementary)
	Addr      netip.Addr
	LocalAddr netip.Addr
	LocalPort int
}

// Effective is the configuration for one connection: the Match blocks whose criteria the
// connection meets override the global values (the first value among them wins, as in
// sshd), and Unknown lists the Match blocks that could not be judged (Host, RDomain, a bad
// pattern): their lines are left out.
type Effective struct {
	cfg     *Config
	active  map[string]bool
	Unknown []string
}

// For evaluates the configuration's Match blocks for a connection.
func (c *Config) For(conn Conn) *Effective {
	e := &Effective{cfg: c, active: map[string]bool{}}
	seen := map[string]bool{}
	for _, d := range c.Directives {
		if d.Match == "" || seen[d.Match] {
			continue
		}
		seen[d.Match] = true
		ok, known := MatchCriteria(d.Match, conn)
		e.active[d.Match] = ok
		if !known {
			e.Unknown = append(e.Unknown, d.Match)
		}
	}
	return e
}

// Get returns a keyword's value for the connection: the first value in an active Match
// block, else the global one (Config.Get, with sshd's defaults).
func (e *Effective) Get(keyword string) []string {
	keyword, _ = Canonical(keyword)
	for _, d := range e.cfg.Directives {
		if d.Match != "" && e.active[d.Match] && d.Key == keyword {
			return d.Args
		}
	}
	args, _ := e.cfg.Get(keyword)
	return args
}

// MatchCriteria tells whether a connection meets a Match line's criteria ("User alice
// Address 192.0.2.0/24"). known is false when a criterion cannot be judged without the live
// connection (Host needs DNS, RDomain the routing domain) or is malformed; ok is then false.
func MatchCriteria(criteria string, conn Conn) (ok, known bool) {
	f := strings.Fields(criteria)
	if len(f) == 1 && strings.EqualFold(f[0], "all") {
		return true, true
	}
	ok, known = true, true
	for i := 0; i < len(f); i++ {
		kw := strings.ToLower(f[i])
		if kw == "all" {
			continue
		}
		if i+1 >= len(f) {
			return false, false
		}
		arg := f[i+1]
		i++
		var m int
		switch kw {
		case "user":
			m = MatchList(conn.User, arg)
		case "group":
			for _, g := range conn.Groups {
				r := MatchList(g, arg)
				if r == -1 {
					m = -1
					break
				}
				if r == 1 {
					m = 1
				}
			}
		case "address":
			m = MatchAddrList(conn.Addr, arg)
		case "localaddress":
			m = MatchAddrList(conn.LocalAddr, arg)
		case "localport":
			m = MatchList(strconv.Itoa(conn.LocalPort), arg)
		default: // host, rdomain, and what this version does not know
			return false, false
		}
		if m == -2 {
			return false, false
		}
		if m != 1 {
			ok = false
		}
	}
	return ok, known
}

// MatchList matches a name against an sshd pattern list ("alice,bob,adm*,!mallory"): 1 when a
// positive pattern matches and no negated one does, -1 when a negated one matches, 0 when none.
func MatchList(s, list string) int {
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if p == "" {
			continue
		}
		if ok, _ := path.Match(p, s); ok {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

// MatchAddrList matches an address against an sshd address list (addresses, CIDR networks and
// wildcards, "!" negates): 1, -1 or 0 as MatchList, -2 when a network is malformed (sshd then
// refuses the line).
func MatchAddrList(a netip.Addr, list string) int {
	if !a.IsValid() {
		return 0
	}
	a = a.Unmap()
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if p == "" {
			continue
		}
		hit := false
		if strings.Contains(p, "/") {
			pr, err := netip.ParsePrefix(p)
			if err != nil {
				return -2
			}
			hit = pr.Masked().Contains(a)
		} else if ok, _ := path.Match(p, a.String()); ok {
			hit = true
		}
		if hit {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}
