package harden

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

// The SSH rate limit: an nftables table of its own (family inet, so IPv4 and IPv6), with a
// meter per source address on new connections to sshd's ports.
const (
	RateTable = "nowwhat_ssh_rate"
	// RateFile holds the same rules in nft's language, for a boot-time load.
	RateFile = "/etc/nftables.d/nowwhat-ssh-rate.nft"
)

// Rate is the limit: per source address, PerMinute new connections a minute after a first
// Burst. Tests lower it.
type Rate struct {
	PerMinute uint64
	Burst     uint32
}

// DefaultRate lets people and scripts through (20 connections at once, then one every 6
// seconds) and slows a guesser to 10 connections, 30 tries, a minute (with ssh-limits).
var DefaultRate = Rate{PerMinute: 10, Burst: 20}

// FirewallUndo-relevant names of the table's parts.
const (
	rateChain = "input"
	meter4    = "meter4"
	meter6    = "meter6"
)

func nftConn(netns int) (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if netns > 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

func hasTable(c *nftables.Conn, name string) (bool, error) {
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("nftables: list tables: %w (needs root, and a kernel with nf_tables)", err)
	}
	for _, t := range ts {
		if t.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// FirewallInForce reads through netlink whether the rate limit's table is in the running
// firewall (in the namespace netns, or this process's when 0).
func FirewallInForce(netns int) (bool, error) {
	c, err := nftConn(netns)
	if err != nil {
		return false, err
	}
	return hasTable(c, RateTable)
}

func deleteTable(netns int, name string) error {
	c, err := nftConn(netns)
	if err != nil {
		return err
	}
	ok, err := hasTable(c, name)
	if err != nil || !ok {
		return err // already gone
	}
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: name})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table inet %s: %w", name, err)
	}
	return nil
}

// rateSpec is what the rules are made of: sshd's ports, the operator's exempt address.
type rateSpec struct {
	Ports    []int
	Operator netip.Addr // zero: none
	Rate     Rate
}

func (c Change) rate() Rate {
	if c.Def.ID == "ssh-rate-limit" && c.RateOverride.PerMinute > 0 {
		return c.RateOverride
	}
	return DefaultRate
}

// prepareFirewall plans the rate limit: on the running system only, never without the
// operator's address when they are on SSH.
func (c Change) prepareFirewall(env *contain.Env) (*contain.Plan, error) {
	if !env.Live && c.NetNS == 0 {
		return nil, fmt.Errorf("%s acts on the running system's firewall, and %s is a mounted root: run nowwhat harden on the host itself", c.Def.ID, env.Root)
	}
	op := env.Operator
	spec := rateSpec{Rate: c.rate()}
	if op.SSH {
		if op.Problem != "" || !op.Client.IsValid() {
			return nil, refusef("you are logged in over SSH but your connection could not be identified (%s): the rate limit could not exempt your address. Run harden from a console, or from a session whose connection shows in SSH_CONNECTION", op.Problem)
		}
		spec.Operator = op.Client.Addr().Unmap()
	}
	cfg, _ := sshd.LoadConfig(context.Background(), env.FS, sshd.MainConfig)
	spec.Ports = loophole.SSHDPorts(cfg)
	if op.SSH && !containsPort(spec.Ports, int(op.Server.Port())) {
		spec.Ports = append(spec.Ports, int(op.Server.Port()))
		sort.Ints(spec.Ports)
	}
	nc, err := nftConn(c.NetNS)
	if err != nil {
		return nil, err
	}
	if ok, err := hasTable(nc, RateTable); err != nil {
		return nil, err
	} else if ok {
		return &contain.Plan{Noop: c.Def.ID + " is in place already (nftables table inet " + RateTable + ")"}, nil
	}
	file := FileChange{Path: RateFile, Content: fmt.Sprintf(header, c.Def.ID) + spec.nft()}
	fb, _, err := before(env.FS, file)
	if err != nil {
		return nil, err
	}
	p := &contain.Plan{}
	p.What = append(p.What, fmt.Sprintf("add the nftables table inet %s (through netlink): a new connection to sshd's port %s from an address that opened more than %d in the last minute (after a first %d) is dropped; connections already open are never touched",
		RateTable, joinPorts(spec.Ports), spec.Rate.PerMinute, spec.Rate.Burst))
	if spec.Operator.IsValid() {
		p.What = append(p.What, fmt.Sprintf("  your address %s is exempt (your SSH session %s -> %s)", spec.Operator, op.Client, op.Server))
	} else {
		p.What = append(p.What, "  (no SSH session of yours found: you are on a console, none to exempt)")
	}
	p.What = append(p.What, "write "+RateFile+" (the same rules in nft's language, for boot):")
	p.What = append(p.What, diffLines(fb, file.Content)...)
	p.Warn = append(p.Warn, "the rules last until a reboot; to load them at boot, add include \""+RateFile+"\" to /etc/nftables.conf and enable nftables.service")
	c.rollbackPlan(p)
	p.Undo = Undo{ID: c.Def.ID, Files: []FileBefore{fb}, Table: RateTable, NetNS: c.NetNS > 0, write: []FileChange{file}, spec: spec}
	p.UndoHow = "delete the nftables table inet " + RateTable + " and put back " + RateFile + " as it was"
	return p, nil
}

func containsPort(ps []int, p int) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func joinPorts(ps []int) string {
	var s []string
	for _, p := range ps {
		s = append(s, strconv.Itoa(p))
	}
	return strings.Join(s, ", ")
}

// applyFirewall adds the table through netlink, reads it back, and writes the boot file; a
// failure removes what was added.
func (c Change) applyFirewall(env *contain.Env, u Undo) error {
	nc, err := nftConn(c.NetNS)
	if err != nil {
		return err
	}
	u.spec.add(nc)
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("nftables: add the SSH rate limit: %w (nothing was changed)", err)
	}
	if ok, err := hasTable(nc, RateTable); err != nil || !ok {
		deleteTable(c.NetNS, RateTable)
		return fmt.Errorf("nftables: the table inet %s is not there after adding it (%v)", RateTable, err)
	}
	for _, f := range u.write {
		if err := mkdirs(env, "/etc/nftables.d"); err != nil {
			deleteTable(c.NetNS, RateTable)
			return err
		}
		if err := contain.WriteFile(env, f.Path, []byte(f.Content), 0o644, 0, 0); err != nil {
			deleteTable(c.NetNS, RateTable)
			restore(env, u)
			return fmt.Errorf("write %s: %w (the rules are removed again)", f.Path, err)
		}
	}
	return nil
}

// add queues the table, its two meters (IPv4, IPv6) and the input chain's rules.
func (s rateSpec) add(c *nftables.Conn) {
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: RateTable})
	m4 := &nftables.Set{Table: t, Name: meter4, KeyType: nftables.TypeIPAddr, Dynamic: true, HasTimeout: true, Timeout: time.Minute, Size: 65535}
	m6 := &nftables.Set{Table: t, Name: meter6, KeyType: nftables.TypeIP6Addr, Dynamic: true, HasTimeout: true, Timeout: time.Minute, Size: 65535}
	c.AddSet(m4, nil)
	c.AddSet(m6, nil)
	accept := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{Name: rateChain, Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	rule := func(exprs ...[]expr.Any) {
		var all []expr.Any
		for _, e := range exprs {
			all = append(all, e...)
		}
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: all})
	}
	verdict := func(k expr.VerdictKind) []expr.Any { return []expr.Any{&expr.Verdict{Kind: k}} }
	rule(contain.NFTIfname("lo"), verdict(expr.VerdictAccept))
	if s.Operator.IsValid() {
		rule(contain.NFTAddr(true, netip.PrefixFrom(s.Operator, s.Operator.BitLen())), verdict(expr.VerdictAccept))
	}
	for _, port := range s.Ports {
		for _, v6 := range []bool{false, true} {
			set, off, n := m4, uint32(12), uint32(4)
			if v6 {
				set, off, n = m6, 8, 16
			}
			meter := []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
				&expr.Dynset{SrcRegKey: 1, SetName: set.Name, SetID: set.ID, Operation: uint32(unix.NFT_DYNSET_OP_UPDATE),
					Exprs: []expr.Any{&expr.Limit{Type: expr.LimitTypePkts, Rate: s.Rate.PerMinute, Unit: expr.LimitTimeMinute, Burst: s.Rate.Burst, Over: true}}},
				&expr.Counter{},
			}
			rule(contain.NFTDport(uint16(port)), ctNew(), contain.NFTFamily(v6), meter, verdict(expr.VerdictDrop))
		}
	}
}

// ctNew matches the first packet of a connection (ct state new).
func ctNew() []expr.Any {
	mask := make([]byte, 4)
	binary.NativeEndian.PutUint32(mask, expr.CtStateBitNEW)
	return []expr.Any{&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)}}
}

// nft is the same ruleset in nft's language (nft -f loads it).
func (s rateSpec) nft() string {
	var b strings.Builder
	ports := joinPorts(s.Ports)
	fmt.Fprintf(&b, "table inet %s {\n", RateTable)
	fmt.Fprintf(&b, "\tset %s { type ipv4_addr; size 65535; flags dynamic,timeout; timeout 1m; }\n", meter4)
	fmt.Fprintf(&b, "\tset %s { type ipv6_addr; size 65535; flags dynamic,timeout; timeout 1m; }\n", meter6)
	fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tiifname \"lo\" accept\n", rateChain)
	if s.Operator.IsValid() {
		fam := "ip"
		if s.Operator.Is6() {
			fam = "ip6"
		}
		fmt.Fprintf(&b, "\t\t%s saddr %s accept comment \"the operator who ran nowwhat harden\"\n", fam, s.Operator)
	}
	for _, fam := range []struct{ set, match string }{{meter4, "ip saddr"}, {meter6, "ip6 saddr"}} {
		fmt.Fprintf(&b, "\t\ttcp dport { %s } ct state new update @%s { %s limit rate over %d/minute burst %d packets } counter drop\n",
			ports, fam.set, fam.match, s.Rate.PerMinute, s.Rate.Burst)
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}
