package harden

import (
	"context"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/hostlogs"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// Login is the operator's own SSH login as the host's logs recorded it: the accept line of the
// connection contain's operator detection found (their address and port).
type Login struct {
	User    string `json:"user"`
	Method  string `json:"method"`        // publickey, password, keyboard-interactive, ...
	Key     string `json:"key,omitempty"` // the key's fingerprint, for publickey
	KeyType string `json:"key_type,omitempty"`
	Where   string `json:"where"` // FILE:LINE of the accept line
}

// loginSearch bounds how long the logs are searched for the operator's login.
const loginSearch = 30 * time.Second

// FindLogin looks for the accept line of the operator's SSH connection in the host's
// authentication logs (auth.log and its rotations, else the journal). nil: not found.
func FindLogin(ctx context.Context, fsys *hostfs.FS, op contain.Operator) *Login {
	if !op.SSH || op.Problem != "" || !op.Client.IsValid() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, loginSearch)
	defer cancel()
	addr, port := op.Client.Addr().Unmap(), int(op.Client.Port())
	events, _ := hostlogs.AuthEvents(ctx, fsys, func(string, error) {})
	var found *Login
	for ev := range events {
		if ev.Kind != authlog.KindSSHAccepted || ev.Port != port {
			continue
		}
		if a, err := netip.ParseAddr(ev.SourceIP); err != nil || a.Unmap() != addr {
			continue
		}
		found = &Login{User: ev.User, Method: ev.Method, Key: ev.Key, KeyType: ev.KeyType, Where: ev.File + ":" + strconv.Itoa(ev.Line)}
	}
	return found
}

// account is what sshd knows of a user: home and groups.
type account struct {
	name, home string
	groups     []string
}

func lookupAccount(fsys *hostfs.FS, name string) (account, bool) {
	a := account{name: name}
	gid := ""
	found := false
	if data, err := fsys.ReadFile(catalog.Path("passwd"), 16<<20); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Split(l, ":")
			if len(f) >= 7 && f[0] == name {
				a.home, gid, found = f[5], f[3], true
				break
			}
		}
	}
	if data, err := fsys.ReadFile(catalog.Path("group"), 16<<20); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Split(l, ":")
			if len(f) < 4 {
				continue
			}
			member := f[2] == gid && gid != ""
			for _, m := range strings.Split(f[3], ",") {
				member = member || m == name
			}
			if member {
				a.groups = append(a.groups, f[0])
			}
		}
	}
	return a, found
}

// keyFiles are the authorized_keys files sshd reads for the account on this connection.
func keyFiles(eff *sshd.Effective, a account) []string {
	var out []string
	for _, f := range eff.Get("AuthorizedKeysFile") {
		if f == "none" {
			continue
		}
		f = strings.NewReplacer("%%", "%", "%u", a.name, "%h", a.home, "%U", "").Replace(f)
		if !strings.HasPrefix(f, "/") {
			f = path.Join(a.home, f)
		}
		out = append(out, f)
	}
	return out
}

// accepted tells whether an authorized_keys line lets a key in from addr: a usable line
// whose from= option, if any, matches the address.
func accepted(k sshd.AuthorizedKey, addr netip.Addr) bool {
	if k.Marker != "" || k.OptionError != "" {
		return false
	}
	opts, err := sshd.ParseKeyOptions(k.Options)
	if err != nil {
		return false
	}
	for _, o := range opts {
		if o.Name == "from" && sshd.MatchAddrList(addr, o.Value) != 1 {
			return false
		}
	}
	return true
}

// sshdSafe refuses an sshd change that would lock the operator out of their next login. On
// SSH, the operator's own login is looked up in the logs: a password or keyboard-interactive
// login is refused for a change that turns those off, and a key login passes only while sshd
// still takes that key from their address (their authorized_keys, a from= option,
// PubkeyAuthentication and AuthenticationMethods for their connection's Match blocks). When
// the login is not in the logs, the account must at least have a key sshd reads. What could
// not be judged comes back as warnings.
func (c Change) sshdSafe(env *contain.Env) ([]string, error) {
	op := env.Operator
	if !op.SSH {
		return nil, nil
	}
	if !c.Def.NeedsKey {
		return []string{"if your ssh agent offers more than 3 keys, a new login may end in \"Too many authentication failures\": log in with IdentitiesOnly=yes and -i KEY"}, nil
	}
	login := FindLogin(context.Background(), env.FS, op)
	user := op.User
	if login != nil && login.User != "" {
		user = login.User
	}
	if user == "" {
		return nil, refusef("you are logged in over SSH but your account could not be told (no SUDO_USER or USER, no login line in the logs): passwords would be turned off without knowing your key works")
	}
	acct, ok := lookupAccount(env.FS, user)
	if !ok {
		return nil, refusef("you are logged in over SSH as %s, but %s has no such account: passwords would be turned off without knowing your key works", user, catalog.Path("passwd"))
	}
	cfg, _ := sshd.LoadConfig(context.Background(), env.FS, sshd.MainConfig)
	conn := sshd.Conn{User: user, Groups: acct.groups, Addr: op.Client.Addr(), LocalAddr: op.Server.Addr(), LocalPort: int(op.Server.Port())}
	eff := cfg.For(conn)
	var warn []string
	for _, m := range eff.Unknown {
		warn = append(warn, "sshd's \"Match "+m+"\" could not be judged for your connection (host names, routing domains): check a new login before harden confirm")
	}
	from := op.Client.Addr().String()
	if am := eff.Get("AuthenticationMethods"); len(am) > 0 && am[0] != "any" {
		needsPassword := true
		for _, list := range am {
			if !strings.Contains(list, "password") && !strings.Contains(list, "keyboard-interactive") {
				needsPassword = false
			}
		}
		if needsPassword {
			return nil, refusef("sshd asks for a password besides the key for your connection (AuthenticationMethods %s): with passwords off nobody could log in that way. Change AuthenticationMethods first", strings.Join(am, " "))
		}
	}
	if login == nil {
		n := 0
		for _, f := range keyFiles(eff, acct) {
			data, err := env.FS.ReadFile(f, 4<<20)
			if err != nil {
				continue
			}
			ks, _ := sshd.ParseAuthorizedKeys(data)
			for _, k := range ks {
				if accepted(k, op.Client.Addr()) {
					n++
				}
			}
		}
		if n == 0 {
			return nil, refusef("you (%s) are logged in over SSH from %s and have no key in the authorized_keys files sshd reads for you (%s): with passwords off you could not log in again. Add your key (ssh-copy-id), log in with it, and run harden again",
				user, from, strings.Join(keyFiles(eff, acct), ", "))
		}
		return append(warn, fmt.Sprintf("your own login (from %s) is not in the host's logs, so how you logged in is not known; %s has %d key(s) sshd takes from your address. Before harden confirm, check that a new login with your key works", op.Client, user, n)), nil
	}
	switch login.Method {
	case "publickey":
	case "":
		return append(warn, "your login line ("+login.Where+") does not say how you logged in: check that a new login with your key works before harden confirm"), nil
	default:
		return nil, refusef("you logged in with %s (%s): with passwords off, your next login would be refused. Log in with a key (ssh-copy-id first), and run harden from that session", login.Method, login.Where)
	}
	if v := eff.Get("PubkeyAuthentication"); len(v) > 0 && v[0] == "no" {
		return nil, refusef("sshd no longer takes keys for your connection (PubkeyAuthentication no) although you logged in with one (%s): with passwords off you could not log in again", login.Where)
	}
	if strings.HasSuffix(strings.ToUpper(login.KeyType), "-CERT") {
		return append(warn, "you logged in with a certificate ("+login.Where+"): sshd's TrustedUserCAKeys decides, which harden does not change"), nil
	}
	if len(eff.Get("AuthorizedKeysCommand")) > 0 && eff.Get("AuthorizedKeysCommand")[0] != "none" {
		return append(warn, "sshd also asks AuthorizedKeysCommand for keys: your key may come from there"), nil
	}
	for _, f := range keyFiles(eff, acct) {
		data, err := env.FS.ReadFile(f, 4<<20)
		if err != nil {
			continue
		}
		ks, _ := sshd.ParseAuthorizedKeys(data)
		for _, k := range ks {
			if k.Fingerprint == login.Key && accepted(k, op.Client.Addr()) {
				return append(warn, fmt.Sprintf("your own login (%s) used the key %s, which sshd keeps taking for %s from %s (%s line %d)", login.Where, login.Key, user, from, f, k.Line)), nil
			}
		}
	}
	return nil, refusef("the key you logged in with (%s, %s) is not in the authorized_keys files sshd reads for %s from %s now (%s): with passwords off your next login would be refused. Put the key back, log in with it, and run harden again",
		login.Key, login.Where, user, from, strings.Join(keyFiles(eff, acct), ", "))
}
