package contain

import (
	"encoding/json"
	"net/netip"
	"os"
	"time"

	"github.com/google/nftables/expr"
)

// RegisterUndo lets another step keep its actions in a journal of this kind and undo them with
// Undo (rotate does, in its own journal).
func RegisterUndo(kind string, fn func(env *Env, undo json.RawMessage) error) { undoers[kind] = fn }

// WriteFile replaces a host file atomically (temporary file, fsync, rename, folder fsync) with
// the given owner and mode, confined to the root.
func WriteFile(env *Env, hostPath string, data []byte, mode os.FileMode, uid, gid int) error {
	return writeExact(env, hostPath, data, mode, uid, gid, time.Time{})
}

// EditAccount rewrites one account's line of a colon-separated account file (/etc/shadow,
// /etc/passwd) while holding /etc/.pwd.lock as the shadow tools do.
func EditAccount(env *Env, file, name string, fn func(fields []string) ([]string, error)) error {
	unlock, err := lockPasswd(env)
	if err != nil {
		return err
	}
	defer unlock()
	return editAccountFile(env, file, name, fn)
}

// NFTAddr matches a packet's source (src) or destination address against a prefix, for other
// steps' nftables rules (harden's SSH rate limit).
func NFTAddr(src bool, p netip.Prefix) []expr.Any { return addrMatch(src, p) }

// NFTDport matches a TCP destination port.
func NFTDport(p uint16) []expr.Any { return tcpPort(true, p) }

// NFTIfname matches the input interface name.
func NFTIfname(name string) []expr.Any { return ifname(expr.MetaKeyIIFNAME, name) }

// NFTFamily matches IPv4 or IPv6 packets in an inet table.
func NFTFamily(v6 bool) []expr.Any { return nfproto(v6) }
