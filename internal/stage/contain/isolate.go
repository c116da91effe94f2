package contain

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TableName is the nftables table (family inet) that holds the isolation.
const TableName = "nowwhat_isolate"

// DefaultRollback is how long an isolation stays without `nowwhat contain confirm`.
const DefaultRollback = 5 * time.Minute

// Isolate cuts the host off the network with nftables, through netlink (never the host's nft
// binary): everything in and out is dropped, and routed traffic too, except loopback, the
// operator's own SSH connection (and new SSH connections from the operator's address, should
// it drop), the allowed addresses, IPv6 neighbour discovery, and DNS when asked.
type Isolate struct {
	Allow    []netip.Prefix
	DNS      bool
	Rollback time.Duration // 0: no automatic rollback
	NetNS    int           // a network namespace's fd to act in (tests); 0: this process's
}

// IsolateUndo is what undoing an isolation needs.
type IsolateUndo struct {
	Table string `json:"table"`
	NetNS bool   `json:"netns,omitempty"` // applied in another namespace (tests)
}

func init() { undoers["isolate"] = undoIsolate }

func (i Isolate) Kind() string   { return "isolate" }
func (i Isolate) Target() string { return "network" }

func (i Isolate) conn() (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if i.NetNS > 0 {
		opts = append(opts, nftables.WithNetNSFd(i.NetNS))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

func tableExists(c *nftables.Conn) (bool, error) {
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("nftables: list tables: %w (needs root, and a kernel with nf_tables)", err)
	}
	for _, t := range ts {
		if t.Name == TableName {
			return true, nil
		}
	}
	return false, nil
}

func (i Isolate) Prepare(env *Env) (*Plan, error) {
	if !env.Live && i.NetNS == 0 {
		return nil, errors.New("isolation acts on the running system's network: this is a mounted root (--root)")
	}
	if err := NeedRoot("cutting the network"); err != nil {
		return nil, err
	}
	op := env.Operator
	if op.SSH && op.Problem != "" && !i.allows(op.Client.Addr()) {
		return nil, refuse("you are logged in over SSH but your connection could not be identified (%s): isolating would cut you off. Give your address with --allow", op.Problem)
	}
	c, err := i.conn()
	if err != nil {
		return nil, err
	}
	if ok, err := tableExists(c); err != nil {
		return nil, err
	} else if ok {
		return &Plan{Noop: "the host is already isolated (nftables table inet " + TableName + "); nowwhat contain status tells since when"}, nil
	}
	p := &Plan{Undo: IsolateUndo{Table: TableName, NetNS: i.NetNS > 0}}
	p.What = append(p.What, "add the nftables table inet "+TableName+": drop everything coming in, going out and passing through, except:")
	p.What = append(p.What, "  loopback, and IPv6 neighbour discovery")
	if op.SSH && op.Problem == "" {
		p.What = append(p.What, fmt.Sprintf("  your SSH connection %s <-> %s, and new SSH connections from %s to port %d", op.Client, op.Server, op.Client.Addr(), op.Server.Port()))
	} else {
		p.What = append(p.What, "  (no SSH session of yours found: you are on a console, or give --allow)")
	}
	for _, a := range i.Allow {
		p.What = append(p.What, "  everything to and from "+a.String())
	}
	if i.DNS {
		p.What = append(p.What, "  DNS queries (port 53) and their answers")
	}
	p.UndoHow = "delete the table inet " + TableName
	if i.Rollback > 0 {
		p.Expires = time.Now().Add(i.Rollback)
		p.What = append(p.What, fmt.Sprintf("roll it back by itself at %s (in %s) unless you run: nowwhat contain confirm",
			p.Expires.UTC().Format("15:04:05 UTC"), i.Rollback))
	} else {
		p.Warn = append(p.Warn, "--no-rollback: a mistake in the allowed addresses is not undone by itself; keep a console at hand")
	}
	return p, nil
}

func (i Isolate) allows(a netip.Addr) bool {
	for _, p := range i.Allow {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (i Isolate) Apply(env *Env, p *Plan) error {
	c, err := i.conn()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: TableName})
	drop := nftables.ChainPolicyDrop
	prio := nftables.ChainPriorityRef(-150) // before the usual filter tables; a drop here is final anyway
	in := c.AddChain(&nftables.Chain{Name: "input", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookInput, Priority: prio, Policy: &drop})
	out := c.AddChain(&nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookOutput, Priority: prio, Policy: &drop})
	c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookForward, Priority: prio, Policy: &drop})
	rule := func(ch *nftables.Chain, exprs ...[]expr.Any) {
		var all []expr.Any
		for _, e := range exprs {
			all = append(all, e...)
		}
		all = append(all, &expr.Verdict{Kind: expr.VerdictAccept})
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: all})
	}
	rule(in, ifname(expr.MetaKeyIIFNAME, "lo"))
	rule(out, ifname(expr.MetaKeyOIFNAME, "lo"))
	for _, typ := range []byte{133, 134, 135, 136} { // router and neighbour solicitation and advertisement
		rule(in, icmpv6(typ))
		rule(out, icmpv6(typ))
	}
	if op := env.Operator; op.SSH && op.Problem == "" {
		cl, sv := op.Client, op.Server
		rule(in, addrMatch(true, netip.PrefixFrom(cl.Addr(), cl.Addr().BitLen())), tcpPort(false, cl.Port()), addrMatch(false, netip.PrefixFrom(sv.Addr(), sv.Addr().BitLen())), tcpPort(true, sv.Port()))
		rule(out, addrMatch(true, netip.PrefixFrom(sv.Addr(), sv.Addr().BitLen())), tcpPort(false, sv.Port()), addrMatch(false, netip.PrefixFrom(cl.Addr(), cl.Addr().BitLen())), tcpPort(true, cl.Port()))
		// A new SSH connection from the operator's address, should this one drop.
		rule(in, addrMatch(true, netip.PrefixFrom(cl.Addr(), cl.Addr().BitLen())), tcpPort(true, sv.Port()))
		rule(out, addrMatch(false, netip.PrefixFrom(cl.Addr(), cl.Addr().BitLen())), tcpPort(false, sv.Port()))
	}
	for _, a := range i.Allow {
		rule(in, addrMatch(true, a))
		rule(out, addrMatch(false, a))
	}
	if i.DNS {
		for _, proto := range []byte{unix.IPPROTO_UDP, unix.IPPROTO_TCP} {
			rule(out, l4(proto), port(53, true))
			rule(in, ctEstablished(), l4(proto), port(53, false))
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: add the isolation: %w (nothing was changed)", err)
	}
	if ok, err := tableExists(c); err != nil || !ok {
		return fmt.Errorf("nftables: the isolation table is not there after adding it (%v)", err)
	}
	return nil
}

func undoIsolate(env *Env, raw json.RawMessage) error {
	var u IsolateUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	return Unisolate(env.NetNS)
}

// Watch waits until an isolation's rollback time and then undoes it, unless it was confirmed or
// undone meanwhile. It is what the detached watchdog runs, and it survives the operator's
// session: an isolation that cut the operator off undoes itself.
func Watch(env *Env, id string, poll time.Duration) error {
	if poll <= 0 {
		poll = time.Second
	}
	for {
		es, _, err := env.Journal.Entries()
		if err != nil {
			return err
		}
		var e *Entry
		for i := range es {
			if es[i].ID == id {
				e = &es[i]
			}
		}
		if e == nil {
			return fmt.Errorf("no action %s in %s", id, env.Journal.Path)
		}
		if e.Phase != PhaseApplied && e.Phase != PhaseIntent || e.Expires == "" {
			return nil // confirmed, undone or failed: nothing to roll back
		}
		at, err := time.Parse(time.RFC3339, e.Expires)
		if err != nil {
			return fmt.Errorf("%s: expiry %q: %w", id, e.Expires, err)
		}
		if !time.Now().Before(at) {
			return Undo(env, *e, PhaseRolledBack)
		}
		time.Sleep(min(poll, time.Until(at)))
	}
}

// Confirm keeps the actions in force that wait for confirmation (an isolation, a hardening of
// sshd or the firewall): their automatic rollback is cancelled.
func Confirm(j *Journal) (int, error) {
	in, err := InForce(j)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range in {
		if e.Expires == "" || e.Phase == PhaseConfirmed {
			continue
		}
		if err := j.Append(Record{ID: e.ID, Phase: PhaseConfirmed, Kind: e.Kind, Target: e.Target, Root: e.Root}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Unisolate deletes the isolation table (in the namespace netns, or this process's when 0).
func Unisolate(netns int) error {
	c, err := Isolate{NetNS: netns}.conn()
	if err != nil {
		return err
	}
	ok, err := tableExists(c)
	if err != nil || !ok {
		return err // already gone
	}
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: TableName})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: delete the isolation: %w", err)
	}
	return nil
}

// Isolated reports whether the isolation table is in place.
func Isolated(netns int) (bool, error) {
	c, err := Isolate{NetNS: netns}.conn()
	if err != nil {
		return false, err
	}
	return tableExists(c)
}

// ifname matches an interface name (meta iifname/oifname).
func ifname(key expr.MetaKey, name string) []expr.Any {
	b := make([]byte, 16)
	copy(b, name)
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b}}
}

// nfproto matches the address family of a packet in an inet table.
func nfproto(v6 bool) []expr.Any {
	p := byte(unix.NFPROTO_IPV4)
	if v6 {
		p = unix.NFPROTO_IPV6
	}
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}}}
}

// addrMatch matches the source (src) or destination address against a prefix.
func addrMatch(src bool, p netip.Prefix) []expr.Any {
	p = p.Masked()
	a := p.Addr().Unmap()
	v6 := a.Is6()
	var off, n uint32 = 16, 4 // IPv4 destination
	switch {
	case v6 && src:
		off, n = 8, 16
	case v6:
		off, n = 24, 16
	case src:
		off = 12
	}
	out := nfproto(v6)
	out = append(out, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n})
	bits := p.Bits()
	if a.Is4() && p.Addr().Is4In6() {
		bits -= 96
	}
	if bits < int(n*8) {
		mask := make([]byte, n)
		for i := 0; i < bits; i++ {
			mask[i/8] |= 0x80 >> (i % 8)
		}
		out = append(out, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)})
	}
	return append(out, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()})
}

func l4(proto byte) []expr.Any {
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}}}
}

// port matches the transport source or destination port (the l4 protocol matched before).
func port(p uint16, dst bool) []expr.Any {
	off := uint32(0)
	if dst {
		off = 2
	}
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, p)
	return []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 2}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b}}
}

// tcpPort matches a TCP destination (dst) or source port.
func tcpPort(dst bool, p uint16) []expr.Any {
	return append(l4(unix.IPPROTO_TCP), port(p, dst)...)
}

func icmpv6(typ byte) []expr.Any {
	out := append(nfproto(true), l4(unix.IPPROTO_ICMPV6)...)
	return append(out, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{typ}})
}

func ctEstablished() []expr.Any {
	mask := make([]byte, 4)
	binary.NativeEndian.PutUint32(mask, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED)
	return []expr.Any{&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)}}
}

// ParseAllow reads an --allow value: an address or a prefix.
func ParseAllow(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("--allow %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("--allow %q: give an address (192.0.2.10, 2001:db8::1) or a network (192.0.2.0/24)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
