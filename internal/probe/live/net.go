package live

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// NetEntry is one line of /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}.
type NetEntry struct {
	Local, Remote         netip.Addr
	LocalPort, RemotePort int // for raw sockets the local "port" is the IP protocol number
	State                 int // kernel state number (TCP_ESTABLISHED = 1, ... TCP_LISTEN = 10)
	UID                   int64
	Inode                 uint64
}

var errNetLine = errors.New("malformed /proc/net line")

// ParseNetLine reads one entry line of /proc/net/tcp and its kin:
//
//	0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  116  0 29512 1 ...
//
// Addresses are the kernel's in-memory words printed as hex, so each 32-bit word is in the
// byte order of the machine that wrote it (the live host, the machine running nowwhat).
func ParseNetLine(line string) (NetEntry, error) {
	f := strings.Fields(line)
	if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
		return NetEntry{}, errNetLine
	}
	var e NetEntry
	var err error
	if e.Local, e.LocalPort, err = parseHexAddr(f[1]); err != nil {
		return NetEntry{}, err
	}
	if e.Remote, e.RemotePort, err = parseHexAddr(f[2]); err != nil {
		return NetEntry{}, err
	}
	if e.Local.Is4() != e.Remote.Is4() {
		return NetEntry{}, errNetLine
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return NetEntry{}, errNetLine
	}
	e.State = int(st)
	if e.UID, err = strconv.ParseInt(f[7], 10, 64); err != nil || e.UID < 0 {
		return NetEntry{}, errNetLine
	}
	if e.Inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
		return NetEntry{}, errNetLine
	}
	return e, nil
}

// parseHexAddr reads "0100007F:0CEA" (IPv4) or 32 hex digits and a port (IPv6).
func parseHexAddr(s string) (netip.Addr, int, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || (len(a) != 8 && len(a) != 32) || len(p) != 4 {
		return netip.Addr{}, 0, errNetLine
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.Addr{}, 0, errNetLine
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, errNetLine
	}
	// hex.DecodeString gives the digits in print order (big-endian words); the kernel printed
	// each word as a native u32, so turn each word back into memory order.
	var b [16]byte
	for i := 0; i+4 <= len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	if len(raw) == 4 {
		return netip.AddrFrom4([4]byte(b[:4])), int(port), nil
	}
	return netip.AddrFrom16(b), int(port), nil
}

// tcpStates names the kernel's TCP states (include/net/tcp_states.h).
var tcpStates = map[int]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
}

// StateName names a socket state for a protocol: TCP state names; for udp and raw sockets,
// unconnected (the kernel's TCP_CLOSE) is "UNCONN" and connected "ESTABLISHED".
func StateName(proto string, st int) string {
	if !strings.HasPrefix(proto, "tcp") && st == 7 {
		return "UNCONN"
	}
	if n, ok := tcpStates[st]; ok {
		return n
	}
	return "UNKNOWN(" + strconv.Itoa(st) + ")"
}

// UnixEntry is one line of /proc/net/unix.
type UnixEntry struct {
	Flags uint32 // __SO_ACCEPTCON (0x10000): listening
	Type  int    // 1 stream, 2 datagram, 5 seqpacket
	State int    // 1 unconnected, 2 connecting, 3 connected, 4 disconnecting
	Inode uint64
	Path  string // "" for unnamed sockets, "@name" for abstract ones
}

const soAcceptCon = 0x10000

// Listening reports whether the socket accepts connections (stream, seqpacket) or is a bound,
// unconnected datagram socket that receives from anyone.
func (u UnixEntry) Listening() bool {
	switch u.Type {
	case 1, 5:
		return u.Flags&soAcceptCon != 0
	case 2:
		return u.Path != "" && u.State == 1
	}
	return false
}

// ParseUnixLine reads one entry line of /proc/net/unix:
//
//	ffff8880062b1c00: 00000002 00000000 00010000 0001 01 21340 /run/systemd/private
//
// The path is everything after the inode (it may hold spaces).
func ParseUnixLine(line string) (UnixEntry, error) {
	var f [7]string
	rest := line
	for i := range f {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		f[i], rest = rest[:end], rest[end:]
		if f[i] == "" {
			return UnixEntry{}, errNetLine
		}
	}
	if !strings.HasSuffix(f[0], ":") {
		return UnixEntry{}, errNetLine
	}
	flags, err1 := strconv.ParseUint(f[3], 16, 32)
	typ, err2 := strconv.ParseUint(f[4], 16, 16)
	st, err3 := strconv.ParseUint(f[5], 16, 8)
	inode, err4 := strconv.ParseUint(f[6], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return UnixEntry{}, errNetLine
	}
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return UnixEntry{}, errNetLine
	}
	if len(rest) > 0 {
		rest = rest[1:]
	}
	return UnixEntry{Flags: uint32(flags), Type: int(typ), State: int(st), Inode: inode, Path: rest}, nil
}
