package contain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
)

// LockUser locks an account: its password (a "!" before the hash, as usermod -L does), its
// expiry (the account expired on 2 January 1970, which also stops SSH key logins through PAM)
// and its shell (nologin). Nothing secret is kept: undo removes the "!" it added and puts back
// the expiry and the shell.
type LockUser struct {
	Name string
}

// LockUndo is what undoing a lock needs: never the password hash.
type LockUndo struct {
	Name        string `json:"name"`
	AddedBang   bool   `json:"added_bang"`
	Expire      string `json:"expire"` // the shadow expiry field before
	SetExpire   bool   `json:"set_expire"`
	Shell       string `json:"shell"` // the login shell before
	SetShell    bool   `json:"set_shell"`
	NologinPath string `json:"nologin"`
}

func init() { undoers["lock-user"] = undoLock }

func (l LockUser) Kind() string   { return "lock-user" }
func (l LockUser) Target() string { return l.Name }

// lockedExpire is the shadow expiry field of a locked account: day 1 after the epoch.
const lockedExpire = "1"

func nologin(env *Env) string {
	for _, p := range []string{"/usr/sbin/nologin", "/sbin/nologin"} {
		if st, err := env.FS.Stat(p); err == nil && st.IsRegular() {
			return p
		}
	}
	return "/bin/false"
}

// field returns the i-th colon field of the account's line in data, and whether the line exists.
func accountLine(data []byte, name string) ([]string, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 1 && f[0] == name {
			return f, true
		}
	}
	return nil, false
}

// The account files lock-user edits.
var passwdFile, shadowFile = catalog.Path("passwd"), catalog.Path("shadow")

func (l LockUser) Prepare(env *Env) (*Plan, error) {
	if l.Name == "" || strings.ContainsAny(l.Name, ":\n/") {
		return nil, fmt.Errorf("%q is not an account name", l.Name)
	}
	if env.Live {
		if err := NeedRoot("locking an account"); err != nil {
			return nil, err
		}
	}
	passwd, err := env.FS.ReadFile(passwdFile, 16<<20)
	if err != nil {
		return nil, err
	}
	pf, ok := accountLine(passwd, l.Name)
	if !ok || len(pf) < 7 {
		return nil, fmt.Errorf("no account %q in %s%s", l.Name, strings.TrimSuffix(env.Root, "/"), passwdFile)
	}
	if pf[2] == "0" && l.Name == "root" {
		return nil, refuse("root is not locked: sudo, su and root's cron jobs need it. Stop root logins over SSH instead (PermitRootLogin no) and revoke root's keys (nowwhat contain revoke-key)")
	}
	if env.Live && (l.Name == env.Operator.User || l.Name == os.Getenv("SUDO_USER")) {
		return nil, refuse("%s is your own account: locking it would lock you out. Lock it from another administrator's session", l.Name)
	}
	shadow, err := env.FS.ReadFile(shadowFile, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("%w (reading %s needs root)", err, shadowFile)
	}
	sf, ok := accountLine(shadow, l.Name)
	if !ok || len(sf) < 8 {
		return nil, fmt.Errorf("no line for %q in %s", l.Name, shadowFile)
	}
	u := LockUndo{Name: l.Name, Expire: sf[7], Shell: pf[6], NologinPath: nologin(env)}
	p := &Plan{}
	if !strings.HasPrefix(sf[1], "!") {
		u.AddedBang = true
		p.What = append(p.What, "lock the password of "+l.Name+" (a \"!\" before the hash in /etc/shadow)")
	}
	if sf[7] != lockedExpire {
		u.SetExpire = true
		p.What = append(p.What, "expire "+l.Name+" (shadow expiry 1970-01-02): no login at all, SSH keys included")
	}
	if pf[6] != u.NologinPath {
		u.SetShell = true
		p.What = append(p.What, fmt.Sprintf("set the shell of %s to %s (was %s)", l.Name, u.NologinPath, pf[6]))
	}
	p.Undo = u
	p.UndoHow = "unlock the password, put back the expiry (" + orEmpty(sf[7]) + ") and the shell (" + pf[6] + ")"
	p.Warn = append(p.Warn, "sessions of "+l.Name+" already running go on: stop their processes (nowwhat contain kill PID)")
	if len(p.What) == 0 {
		p.Noop = l.Name + " is already locked, expired and without a shell"
	}
	return p, nil
}

func orEmpty(s string) string {
	if s == "" {
		return "never"
	}
	return s
}

func (l LockUser) Apply(env *Env, p *Plan) error {
	return setAccount(env, p.Undo.(LockUndo), true)
}

func undoLock(env *Env, raw json.RawMessage) error {
	var u LockUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	return setAccount(env, u, false)
}

// setAccount locks (or unlocks) an account in shadow and passwd, holding /etc/.pwd.lock as
// the shadow tools do, and rewriting each file atomically with its owner and mode.
func setAccount(env *Env, u LockUndo, lock bool) error {
	unlock, err := lockPasswd(env)
	if err != nil {
		return err
	}
	defer unlock()
	if u.AddedBang || u.SetExpire {
		err := editAccountFile(env, shadowFile, u.Name, func(f []string) ([]string, error) {
			if len(f) < 8 {
				return nil, errors.New("short line")
			}
			if u.AddedBang {
				if lock && !strings.HasPrefix(f[1], "!") {
					f[1] = "!" + f[1]
				} else if !lock && strings.HasPrefix(f[1], "!") {
					f[1] = f[1][1:]
				}
			}
			if u.SetExpire {
				if lock {
					f[7] = lockedExpire
				} else if f[7] == lockedExpire {
					f[7] = u.Expire
				}
			}
			return f, nil
		})
		if err != nil {
			return err
		}
	}
	if u.SetShell {
		err := editAccountFile(env, passwdFile, u.Name, func(f []string) ([]string, error) {
			if len(f) < 7 {
				return nil, errors.New("short line")
			}
			if lock {
				f[6] = u.NologinPath
			} else if f[6] == u.NologinPath {
				f[6] = u.Shell
			}
			return f, nil
		})
		if err != nil {
			if lock && (u.AddedBang || u.SetExpire) {
				u2 := u
				u2.SetShell = false
				setAccountNoLock(env, u2)
			}
			return err
		}
	}
	return nil
}

// setAccountNoLock reverses the shadow part of a lock while the lock file is already held.
func setAccountNoLock(env *Env, u LockUndo) {
	editAccountFile(env, shadowFile, u.Name, func(f []string) ([]string, error) {
		if u.AddedBang && strings.HasPrefix(f[1], "!") {
			f[1] = f[1][1:]
		}
		if u.SetExpire && f[7] == lockedExpire {
			f[7] = u.Expire
		}
		return f, nil
	})
}

// editAccountFile rewrites the line of one account in a colon-separated file.
func editAccountFile(env *Env, file, name string, fn func([]string) ([]string, error)) error {
	st, err := env.FS.Lstat(file)
	if err != nil {
		return err
	}
	if !st.IsRegular() {
		return fmt.Errorf("%s is a %s, not a file: not changed", file, st.Type())
	}
	data, err := env.FS.ReadFile(file, 16<<20)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, line := range lines {
		f := strings.Split(line, ":")
		if len(f) > 1 && f[0] == name {
			nf, err := fn(f)
			if err != nil {
				return fmt.Errorf("%s, line of %s: %w", file, name, err)
			}
			lines[i] = strings.Join(nf, ":")
			found = true
			break
		}
	}
	if !found {
		return fmt.Errorf("no line for %s in %s", name, file)
	}
	return writeExact(env, file, []byte(strings.Join(lines, "\n")), st.Mode.Perm(), int(st.UID), int(st.GID), time.Time{})
}

// lockPasswd takes /etc/.pwd.lock as lckpwdf(3) does, waiting up to 15 seconds.
func lockPasswd(env *Env) (func(), error) {
	f, err := env.W.OpenFile(rel("/etc/.pwd.lock"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the account files: %w", err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock the account files: %w (another program is editing them: try again)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() {
		lk.Type = unix.F_UNLCK
		unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
		f.Close()
	}, nil
}
