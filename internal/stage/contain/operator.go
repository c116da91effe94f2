package contain

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/probe/live"
)

// Operator is the person running nowwhat, as containment must protect them: their SSH
// connection (never cut), their session's processes (never killed) and their account.
type Operator struct {
	User      string
	SSH       bool           // logged in over SSH
	Client    netip.AddrPort // the operator's end of the SSH connection
	Server    netip.AddrPort // this host's end
	Source    string         // where the connection was found: SSH_CONNECTION, or the socket table
	Ancestors []int          // this process's ancestors: sudo, the shell, the SSH session
	Problem   string         // on SSH, but the connection could not be identified
}

// FindOperator identifies the operator's session from the environment and, as sudo drops
// SSH_CONNECTION, from the socket table of the sshd process this command runs under.
func FindOperator() Operator {
	op := Operator{User: os.Getenv("SUDO_USER")}
	if op.User == "" {
		op.User = os.Getenv("USER")
	}
	var sshd []int
	for pid := os.Getppid(); pid > 1 && len(op.Ancestors) < 64; {
		op.Ancestors = append(op.Ancestors, pid)
		st, err := procStat(pid)
		if err != nil {
			break
		}
		if strings.HasPrefix(st.Comm, "sshd") {
			sshd = append(sshd, pid)
		}
		if int(st.PPID) == pid {
			break
		}
		pid = int(st.PPID)
	}
	if f := strings.Fields(os.Getenv("SSH_CONNECTION")); len(f) == 4 {
		c, err1 := parseAddrPort(f[0], f[1])
		s, err2 := parseAddrPort(f[2], f[3])
		if err1 == nil && err2 == nil {
			op.SSH, op.Client, op.Server, op.Source = true, c, s, "SSH_CONNECTION"
			return op
		}
	}
	if len(sshd) == 0 {
		return op // a console, a serial line, or a job: no SSH session to keep
	}
	op.SSH = true
	for _, pid := range sshd {
		if c, s, ok := sshdConnection(pid); ok {
			op.Client, op.Server, op.Source = c, s, fmt.Sprintf("socket table (sshd pid %d)", pid)
			return op
		}
	}
	op.Problem = fmt.Sprintf("running under sshd (pid %d) but its connection is not in the socket table", sshd[0])
	return op
}

func parseAddrPort(a, p string) (netip.AddrPort, error) {
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// sshdConnection finds the established TCP connection an sshd process holds.
func sshdConnection(pid int) (client, server netip.AddrPort, ok bool) {
	inodes := socketInodes(pid)
	for _, table := range []string{"tcp", "tcp6"} {
		eachTCP(fmt.Sprintf("/proc/%d/net/%s", pid, table), func(e live.NetEntry) bool {
			if e.State != 1 || !inodes[e.Inode] {
				return true
			}
			client, server, ok = netip.AddrPortFrom(e.Remote.Unmap(), uint16(e.RemotePort)), netip.AddrPortFrom(e.Local.Unmap(), uint16(e.LocalPort)), true
			return false
		})
		if ok {
			return
		}
	}
	return
}

// socketInodes lists the inodes of the sockets a process holds open.
func socketInodes(pid int) map[uint64]bool {
	inodes := map[uint64]bool{}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return inodes
	}
	for _, e := range ents {
		t, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if n, ok := live.SocketInode(t); err == nil && ok {
			inodes[n] = true
		}
	}
	return inodes
}

// eachTCP hands every entry of a /proc/net/tcp table to fn, until fn returns false.
func eachTCP(path string, fn func(live.NetEntry) bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if e, err := live.ParseNetLine(sc.Text()); err == nil && !fn(e) {
			return
		}
	}
}

// Describe says in one line what is protected.
func (o Operator) Describe() string {
	switch {
	case o.SSH && o.Problem == "":
		return fmt.Sprintf("your SSH session from %s to %s (found in %s) is kept", o.Client, o.Server, o.Source)
	case o.SSH:
		return "you are logged in over SSH, but " + o.Problem
	default:
		return "no SSH session found (a console, or a job): none to keep"
	}
}
