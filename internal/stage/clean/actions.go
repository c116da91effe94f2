package clean

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/sudoers"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// ---------------------------------------------------------------- accounts

// Account locks an account clean found as a back door: a "!" before its password (an empty
// password becomes "!"), its shell set to nologin, and with Expire its expiry set to 1970-01-02
// (no login at all, keys included). It is never deleted here; no hash is ever stored.
type Account struct {
	Name   string
	Expire bool
}

// AccountUndo is what undoing a lock needs.
type AccountUndo struct {
	Name      string `json:"name"`
	AddedBang bool   `json:"added_bang"`
	Expire    string `json:"expire"`
	SetExpire bool   `json:"set_expire"`
	Shell     string `json:"shell"`
	SetShell  bool   `json:"set_shell"`
	Nologin   string `json:"nologin"`
	// The account files' digests and times before, so undo gives them back exactly.
	Files       []FileTimes `json:"files"`
	Parent      Parent      `json:"parent"`
	LockExisted bool        `json:"lock_existed"`
}

// FileTimes is a file's digest (of the whole file: no hash of a password can be read from it)
// and times.
type FileTimes struct {
	Path   string    `json:"path"`
	SHA256 string    `json:"sha256"`
	Atime  time.Time `json:"atime"`
	Mtime  time.Time `json:"mtime"`
}

// pwdLock is the lock file the shadow tools (and contain.EditAccount) take.
const pwdLock = "/etc/.pwd.lock"

func fileTimes(env *contain.Env, p string) FileTimes {
	ft := FileTimes{Path: p}
	if st, err := env.FS.Lstat(p); err == nil {
		ft.Atime, ft.Mtime = st.Atime, st.Mtime
	}
	ft.SHA256, _ = hashHost(env, p)
	return ft
}

const KindAccount = "clean-account"

func init() { contain.RegisterUndo(KindAccount, undoAccount) }

func (a Account) Kind() string   { return KindAccount }
func (a Account) Target() string { return a.Name }

var passwdFile, shadowFile = catalog.Path("passwd"), catalog.Path("shadow")

func fieldsOf(data []byte, name string) []string {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 1 && f[0] == name {
			return f
		}
	}
	return nil
}

func nologinOf(env *contain.Env) string {
	for _, p := range []string{"/usr/sbin/nologin", "/sbin/nologin"} {
		if st, err := env.FS.Stat(p); err == nil && st.IsRegular() {
			return p
		}
	}
	return "/bin/false"
}

func (a Account) Prepare(env *contain.Env) (*contain.Plan, error) {
	if a.Name == "" || strings.ContainsAny(a.Name, ":\n/") {
		return nil, fmt.Errorf("%q is not an account name", a.Name)
	}
	passwd, err := env.FS.ReadFile(passwdFile, 16<<20)
	if err != nil {
		return nil, err
	}
	pf := fieldsOf(passwd, a.Name)
	if len(pf) < 7 {
		return nil, fmt.Errorf("no account %s in %s", a.Name, passwdFile)
	}
	shadow, err := env.FS.ReadFile(shadowFile, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("%w (reading %s needs root)", err, shadowFile)
	}
	sf := fieldsOf(shadow, a.Name)
	if len(sf) < 8 {
		return nil, fmt.Errorf("no line for %s in %s", a.Name, shadowFile)
	}
	u := AccountUndo{Name: a.Name, Expire: sf[7], Shell: pf[6], Nologin: nologinOf(env),
		Files: []FileTimes{fileTimes(env, passwdFile), fileTimes(env, shadowFile)}, LockExisted: env.FS.Exists(pwdLock)}
	if st, err := env.FS.Lstat(path.Dir(passwdFile)); err == nil {
		u.Parent = Parent{Path: path.Dir(passwdFile), Atime: st.Atime, Mtime: st.Mtime}
	}
	p := &contain.Plan{}
	if !strings.HasPrefix(sf[1], "!") {
		u.AddedBang = true
		if sf[1] == "" {
			p.What = append(p.What, "lock the empty password of "+a.Name+" (\"!\" in /etc/shadow: no login without a password any more)")
		} else {
			p.What = append(p.What, "lock the password of "+a.Name+" (a \"!\" before the hash in /etc/shadow)")
		}
	}
	root := pf[0] == "root"
	if a.Expire && !root && sf[7] != "1" {
		u.SetExpire = true
		p.What = append(p.What, "expire "+a.Name+" (shadow expiry 1970-01-02): no login at all, SSH keys included")
	}
	if !root && pf[6] != u.Nologin {
		u.SetShell = true
		p.What = append(p.What, fmt.Sprintf("set the shell of %s to %s (was %s)", a.Name, u.Nologin, pf[6]))
	}
	p.Undo = u
	p.UndoHow = "the \"!\" is taken off again, and the expiry and the shell put back (the account was never deleted)"
	if len(p.What) == 0 {
		p.Noop = a.Name + " is already locked"
	}
	return p, nil
}

func (a Account) Apply(env *contain.Env, p *contain.Plan) error {
	return setAccount(env, p.Undo.(AccountUndo), true)
}

func undoAccount(env *contain.Env, raw json.RawMessage) error {
	var u AccountUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if err := setAccount(env, u, false); err != nil {
		return err
	}
	same := true
	for _, f := range u.Files {
		if sum, err := hashHost(env, f.Path); err == nil && sum == f.SHA256 {
			setTimes(env, f.Path, f.Atime, f.Mtime)
		} else {
			same = false
		}
	}
	if !u.LockExisted && u.Parent.Path != "" {
		env.W.Remove(rel(pwdLock))
	}
	if same && u.Parent.Path != "" {
		restoreParents(env, []Parent{u.Parent})
	}
	return nil
}

func setAccount(env *contain.Env, u AccountUndo, lock bool) error {
	if u.AddedBang || u.SetExpire {
		err := contain.EditAccount(env, shadowFile, u.Name, func(f []string) ([]string, error) {
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
					f[7] = "1"
				} else if f[7] == "1" {
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
		err := contain.EditAccount(env, passwdFile, u.Name, func(f []string) ([]string, error) {
			if len(f) < 7 {
				return nil, errors.New("short line")
			}
			if lock {
				f[6] = u.Nologin
			} else if f[6] == u.Nologin {
				f[6] = u.Shell
			}
			return f, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------- replacing a file

// Replace puts a verified copy in place of a changed file: the copy from the Debian package, or
// from the operator's backup matching the baseline. The changed file goes to the quarantine
// first, so undo puts it back exactly.
type Replace struct {
	Path   string
	Data   []byte
	Mode   uint32
	UID    int
	GID    int
	Mtime  time.Time
	Source string // where the copy comes from and how it was proven, for people
	Case   string
	Check  func(data []byte) error // an extra check before writing (md5sums)
}

// ReplaceUndo is the quarantined changed file.
type ReplaceUndo struct {
	Quarantine QuarantineUndo `json:"quarantine"`
	Written    string         `json:"sha256_written"`
}

const kindReplace = "clean-replace"

func init() { contain.RegisterUndo(kindReplace, undoReplace) }

func (r Replace) Kind() string   { return kindReplace }
func (r Replace) Target() string { return r.Path }

func (r Replace) Prepare(env *contain.Env) (*contain.Plan, error) {
	if r.Check != nil {
		if err := r.Check(r.Data); err != nil {
			return nil, err
		}
	}
	q := Quarantine{Paths: []string{r.Path}, Case: r.Case}
	qp, err := q.Prepare(env)
	if err != nil {
		return nil, err
	}
	u := ReplaceUndo{Quarantine: qp.Undo.(QuarantineUndo), Written: sum(r.Data)}
	p := &contain.Plan{Undo: u}
	cur := ""
	for _, it := range u.Quarantine.Items {
		if it.Path == r.Path {
			cur = it.SHA256
		}
	}
	if cur == u.Written {
		p.Noop = r.Path + " already holds the verified copy"
		return p, nil
	}
	p.What = append(p.What, fmt.Sprintf("keep the changed %s in the quarantine (sha256 %s)", r.Path, cur))
	p.What = append(p.What, fmt.Sprintf("write the verified copy in its place (sha256 %s, mode %04o, owner %d:%d): %s", u.Written, r.Mode, r.UID, r.GID, r.Source))
	p.UndoHow = "the changed file comes back from the quarantine, byte for byte with its owner, mode and times"
	return p, nil
}

func (r Replace) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(ReplaceUndo)
	if err := keepCopies(env, &u.Quarantine); err != nil {
		return err
	}
	it := Item{Path: r.Path, Mode: r.Mode, UID: uint32(r.UID), GID: uint32(r.GID), Atime: r.Mtime, Mtime: r.Mtime}
	if err := writeFile(env, it, r.Data); err != nil {
		return err
	}
	if got, err := hashHost(env, r.Path); err != nil || got != u.Written {
		return fmt.Errorf("%s: the written copy reads back as %s, not %s", r.Path, got, u.Written)
	}
	return nil
}

func undoReplace(env *contain.Env, raw json.RawMessage) error {
	var u ReplaceUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	var errs []error
	for _, it := range u.Quarantine.Items {
		if it.Type != "file" {
			continue
		}
		cur, err := hashHost(env, it.Path)
		if err == nil && cur == it.SHA256 {
			setMeta(env, it) // never replaced (an interrupted apply)
			continue
		}
		if err == nil && cur != u.Written {
			errs = append(errs, fmt.Errorf("%s changed after clean wrote it: not replaced; the quarantined file is %s", it.Path, it.Kept))
			continue
		}
		data, rerr := os.ReadFile(u.Quarantine.Case + "/" + it.Kept)
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		if sum(data) != it.SHA256 {
			errs = append(errs, fmt.Errorf("the quarantined copy of %s was changed: not put back", it.Path))
			continue
		}
		if err := writeFile(env, it, data); err != nil {
			errs = append(errs, err)
		}
	}
	restoreParents(env, u.Quarantine.Parents)
	return errors.Join(errs...)
}

// ---------------------------------------------------------------- mode bits and capabilities

// ClearBits takes setuid and setgid bits and file capabilities off a file that was in the
// baseline without them.
type ClearBits struct {
	Path string
	Mode uint32 // the mode to set (the baseline's)
}

// BitsUndo is the mode and capabilities before.
type BitsUndo struct {
	Path string `json:"path"`
	Mode uint32 `json:"mode"`
	Caps string `json:"caps,omitempty"` // base64 security.capability
}

const kindBits = "clean-bits"

func init() { contain.RegisterUndo(kindBits, undoBits) }

func (c ClearBits) Kind() string   { return kindBits }
func (c ClearBits) Target() string { return c.Path }

func (c ClearBits) Prepare(env *contain.Env) (*contain.Plan, error) {
	st, err := env.FS.Lstat(c.Path)
	if err != nil {
		return nil, err
	}
	if !st.IsRegular() {
		return nil, fmt.Errorf("%s is not a file", c.Path)
	}
	f, err := env.FS.Open(c.Path)
	if err != nil {
		return nil, err
	}
	x := readXattrs(int(f.Fd()))
	f.Close()
	u := BitsUndo{Path: c.Path, Mode: st.Raw & 0o7777, Caps: x["security.capability"]}
	p := &contain.Plan{Undo: u, UndoHow: "the mode bits and capabilities are set again"}
	if u.Mode != c.Mode {
		p.What = append(p.What, fmt.Sprintf("set the mode of %s to %04o (was %04o)", c.Path, c.Mode, u.Mode))
	}
	if u.Caps != "" {
		p.What = append(p.What, "remove the file capabilities of "+c.Path)
	}
	if len(p.What) == 0 {
		p.Noop = c.Path + " has no extra bits"
	}
	return p, nil
}

func (c ClearBits) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(BitsUndo)
	if u.Caps != "" {
		f, err := env.W.Open(rel(c.Path))
		if err != nil {
			return err
		}
		err = unix.Fremovexattr(int(f.Fd()), "security.capability")
		f.Close()
		if err != nil {
			return fmt.Errorf("remove the capabilities of %s: %w", c.Path, err)
		}
	}
	return env.W.Chmod(rel(c.Path), fileMode(c.Mode))
}

func undoBits(env *contain.Env, raw json.RawMessage) error {
	var u BitsUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if err := env.W.Chmod(rel(u.Path), fileMode(u.Mode)); err != nil {
		return err
	}
	if u.Caps != "" {
		b, err := base64.StdEncoding.DecodeString(u.Caps)
		if err != nil {
			return err
		}
		f, err := env.W.Open(rel(u.Path))
		if err != nil {
			return err
		}
		defer f.Close()
		return unix.Fsetxattr(int(f.Fd()), "security.capability", b, 0)
	}
	return nil
}

// ---------------------------------------------------------------- what happened

// Acknowledge records that the operator has seen a finding about the past (a log of logins, a
// brute force, an emptied log): nothing on the host can be removed for it. verify counts it
// answered while the record is in force.
type Acknowledge struct {
	Key   string // the finding's key (rule, subject)
	Title string
}

const KindAck = "clean-acknowledge"

func init() {
	contain.RegisterUndo(KindAck, func(*contain.Env, json.RawMessage) error { return nil })
}

func (a Acknowledge) Kind() string   { return KindAck }
func (a Acknowledge) Target() string { return a.Key }

func (a Acknowledge) Prepare(env *contain.Env) (*contain.Plan, error) {
	return &contain.Plan{What: []string{"record that this is what happened (the report tells it); nothing on the host changes"},
		UndoHow: "the record is withdrawn", Undo: map[string]string{"key": a.Key, "title": a.Title}}, nil
}

func (a Acknowledge) Apply(*contain.Env, *contain.Plan) error { return nil }

// ---------------------------------------------------------------- sudoers

func isSudoers(p string) bool {
	return catalog.Get("sudoers").Covers(p) || catalog.Get("sudoers.d").Covers(p)
}

// sudoProblems counts the lines of one sudoers file the parser cannot read.
func sudoProblems(data []byte) int {
	_, bad := sudoers.Parse(data)
	return len(bad)
}

// hostSudoProblems reads the whole policy as sudo would and counts what it cannot read.
func hostSudoProblems(env *contain.Env) int {
	_, probs := sudoers.Load(context.Background(), env.FS)
	n := 0
	for _, p := range probs {
		if !hostfs.IsNotExist(p.Err) {
			n++
		}
	}
	return n
}

// AccountLocked reports whether an account is locked as clean locks it: a "!" before its
// password and a shell that gives no login.
func AccountLocked(root, name string) bool {
	fsys, err := hostfs.Open(root)
	if err != nil {
		return false
	}
	defer fsys.Close()
	passwd, err := fsys.ReadFile(passwdFile, 16<<20)
	if err != nil {
		return false
	}
	shadow, err := fsys.ReadFile(shadowFile, 16<<20)
	if err != nil {
		return false
	}
	pf, sf := fieldsOf(passwd, name), fieldsOf(shadow, name)
	if len(pf) < 7 || len(sf) < 2 {
		return false
	}
	shell := path.Base(pf[6])
	return strings.HasPrefix(sf[1], "!") && (shell == "nologin" || shell == "false")
}
