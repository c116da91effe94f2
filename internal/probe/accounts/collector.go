package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Host paths of the account databases.
var (
	PasswdPath = catalog.Path("passwd")
	GroupPath  = catalog.Path("group")
	ShadowPath = catalog.Path("shadow")
)

// readLimit bounds every account file read (a real passwd of 100 000 accounts is ~10 MiB).
const readLimit = 64 << 20

// ErrShadowUnreadable is the cause reported when /etc/shadow exists but cannot be read.
var ErrShadowUnreadable = errors.New("shadow not readable (run as root to see password states)")

// Collector reads passwd, shadow and group, puts snapshot.User and snapshot.Group records, and
// fills env.Accounts for the collectors that run after it.
type Collector struct{}

// Name is "accounts".
func (Collector) Name() string { return "accounts" }

// Collect reads the account databases under env.FS.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	passwd, err := c.read(env, PasswdPath)
	if err != nil && passwd == nil {
		env.Problem(c, PasswdPath, err)
	}
	users, bad := ParsePasswd(passwd)
	c.lineProblems(env, PasswdPath, bad)

	shadowOK := true
	shadowData, err := c.read(env, ShadowPath)
	switch {
	case err != nil && hostfs.IsNotExist(err):
		// No shadow file at all: every "x" account shows as missing.
	case err != nil && shadowData == nil:
		shadowOK = false
		env.Problem(c, ShadowPath, fmt.Errorf("%w: %w", ErrShadowUnreadable, err))
	}
	shadowEntries, bad := ParseShadow(shadowData)
	c.lineProblems(env, ShadowPath, bad)
	shadow := map[string]ShadowEntry{}
	for _, s := range shadowEntries {
		if first, dup := shadow[s.Name]; dup {
			env.Problem(c, ShadowPath, fmt.Errorf("line %d: duplicate entry for %s (the first, line %d, is the one used)", s.Line, s.Name, first.Line))
			continue
		}
		shadow[s.Name] = s
	}

	seen := map[string]int{}
	env.Accounts = env.Accounts[:0]
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return err
		}
		if first, dup := seen[u.Name]; dup {
			env.Problem(c, PasswdPath, fmt.Errorf("line %d: duplicate account %s (uid %d); the first, line %d, is the one the system uses", u.Line, u.Name, u.UID, first))
			continue
		}
		seen[u.Name] = u.Line
		sh, inShadow := shadow[u.Name]
		env.Sink.Put(userRecord(env.FingerprintKey, u, sh, inShadow, shadowOK))
		env.Accounts = append(env.Accounts, probe.Account{Name: u.Name, UID: u.UID, GID: u.GID, Home: u.Home, Shell: u.Shell})
	}

	groupData, err := c.read(env, GroupPath)
	if err != nil && groupData == nil {
		env.Problem(c, GroupPath, err)
	}
	groups, bad := ParseGroup(groupData)
	c.lineProblems(env, GroupPath, bad)
	gseen := map[string]int{}
	for _, g := range groups {
		if first, dup := gseen[g.Name]; dup {
			env.Problem(c, GroupPath, fmt.Errorf("line %d: duplicate group %s (gid %d); the first, line %d, is the one the system uses", g.Line, g.Name, g.GID, first))
			continue
		}
		gseen[g.Name] = g.Line
		env.Sink.Put(snapshot.Group{Name: g.Name, GID: g.GID, Members: g.Members})
	}
	return nil
}

// read reads one account file. A file too large gives its first part and a reported problem.
func (c Collector) read(env *probe.Env, name string) ([]byte, error) {
	data, err := env.FS.ReadFile(name, readLimit)
	if err != nil && errors.Is(err, hostfs.ErrTooLarge) {
		env.Problem(c, name, fmt.Errorf("read only the first %d bytes: %w", readLimit, err))
		return data, nil
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (c Collector) lineProblems(env *probe.Env, name string, bad []LineError) {
	for _, b := range bad {
		env.Problem(c, name, b)
	}
}

// userRecord joins one passwd entry with its shadow line. As pam_unix does, the passwd
// password field is the password unless it is "x" (or "##name", the old adjunct form): a hash
// or an empty field in passwd wins over shadow.
func userRecord(key []byte, u PasswdEntry, sh ShadowEntry, inShadow, shadowOK bool) snapshot.User {
	rec := snapshot.User{
		Name: u.Name, UID: u.UID, GID: u.GID, Gecos: u.Gecos, Home: u.Home, Shell: u.Shell,
		LastChange: -1, Expire: -1, ShadowLine: inShadow, LoginShell: LoginShell(u.Shell), PasswdEntry: u.Line,
	}
	if inShadow {
		rec.LastChange, rec.Expire = sh.LastChange, sh.Expire
	}
	field := ""
	shadowed := u.Password == "x" || len(u.Password) > 2 && u.Password[:2] == "##"
	switch {
	case !shadowed:
		field = u.Password
	case inShadow:
		field = sh.Hash
	case !shadowOK:
		rec.Password = StateUnknown
		return rec
	default:
		rec.Password = StateMissing
		return rec
	}
	rec.Password, rec.HashAlg = Classify(field)
	if rec.HashAlg != "" {
		rec.HashFP = Fingerprint(key, field)
	}
	return rec
}
