package rotate

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

func init() {
	contain.RegisterUndo("rotate-password", undoPassword)
	contain.RegisterUndo("rotate-host-keys", undoFromBackup)
	contain.RegisterUndo("rotate-app-secret", undoFromBackup)
	contain.RegisterUndo("rotate-db-password", undoFromBackup)
}

// passwordAction sets a new password (hash written to shadow) or expires the current one.
type passwordAction struct {
	User     string
	Expire   bool
	password string // the new password, in memory only
	Items    []string
}

type passwordUndo struct {
	Items      []string `json:"items"`
	User       string   `json:"user"`
	Expire     bool     `json:"expire"`
	LastChange string   `json:"last_change"` // the shadow field before (not secret)
}

func (a *passwordAction) Kind() string   { return "rotate-password" }
func (a *passwordAction) Target() string { return a.User }

func (a *passwordAction) Prepare(env *contain.Env) (*contain.Plan, error) {
	if env.Live {
		if err := contain.NeedRoot("changing passwords"); err != nil {
			return nil, err
		}
	}
	data, err := env.FS.ReadFile(catalog.Path("shadow"), 64<<20)
	if err != nil {
		return nil, fmt.Errorf("%w (reading /etc/shadow needs root)", err)
	}
	var f []string
	for _, l := range strings.Split(string(data), "\n") {
		if x := strings.Split(l, ":"); len(x) >= 3 && x[0] == a.User {
			f = x
			break
		}
	}
	if f == nil {
		return nil, fmt.Errorf("no line for %s in /etc/shadow", a.User)
	}
	p := &contain.Plan{Undo: passwordUndo{Items: a.Items, User: a.User, Expire: a.Expire, LastChange: f[2]}}
	if a.Expire {
		if f[2] == "0" {
			p.Noop = "the password of " + a.User + " is already expired"
		}
		p.What = []string{"expire the password of " + a.User + ": a new one must be chosen at the next login (shadow last change = 0)"}
		p.UndoHow = "put back the last-change day (" + f[2] + ")"
		p.Warn = []string{"until " + a.User + " logs in, the leaked password still opens the account wherever PAM does not force the change (su, some FTP and mail servers): prefer --passwords new for accounts that log in rarely"}
		return p, nil
	}
	p.What = []string{"a new random password for " + a.User + " (the hash in /etc/shadow; the password only in the encrypted file for you)"}
	p.UndoHow = "none: the old password was leaked; the new one is in the encrypted file"
	return p, nil
}

func (a *passwordAction) Apply(env *contain.Env, p *contain.Plan) error {
	day := strconv.FormatInt(time.Now().Unix()/86400, 10)
	return contain.EditAccount(env, catalog.Path("shadow"), a.User, func(f []string) ([]string, error) {
		if len(f) < 3 {
			return nil, errors.New("short line")
		}
		if a.Expire {
			f[2] = "0"
			return f, nil
		}
		lock := ""
		if strings.HasPrefix(f[1], "!") && len(f[1]) > 1 {
			lock = "!" // a locked account stays locked, with a new hash behind the lock
		}
		f[1] = lock + hashPassword(a.password)
		f[2] = day
		return f, nil
	})
}

func undoPassword(env *contain.Env, raw json.RawMessage) error {
	var u passwordUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if !u.Expire {
		return errors.New("a new password is not undone: the old one was leaked (the new one is in the case's encrypted file)")
	}
	return contain.EditAccount(env, catalog.Path("shadow"), u.User, func(f []string) ([]string, error) {
		if len(f) < 3 {
			return nil, errors.New("short line")
		}
		f[2] = u.LastChange
		return f, nil
	})
}

// pruneKey removes one unknown key from one authorized_keys file, through contain's revoke-key
// (so contain's undo puts the line back).
type pruneKey struct {
	contain.RevokeKey
	Items []string
}

type pruneUndo struct {
	contain.KeyUndo
	Items []string `json:"items"`
}

func (a *pruneKey) Prepare(env *contain.Env) (*contain.Plan, error) {
	p, err := a.RevokeKey.Prepare(env)
	if err != nil {
		return nil, err
	}
	p.Undo = pruneUndo{KeyUndo: p.Undo.(contain.KeyUndo), Items: a.Items}
	return p, nil
}

func (a *pruneKey) Apply(env *contain.Env, p *contain.Plan) error {
	inner := *p
	inner.Undo = p.Undo.(pruneUndo).KeyUndo
	return a.RevokeKey.Apply(env, &inner)
}

// backupUndo is the undo record of a change whose previous content holds secrets: that content
// is kept only encrypted to the operator's recipient, so undo is by hand, with their identity.
type backupUndo struct {
	Items   []string `json:"items"`
	Files   []string `json:"files"`
	Backups []string `json:"backups"` // encrypted copies of the files as they were, in the case
}

func undoFromBackup(env *contain.Env, raw json.RawMessage) error {
	var u backupUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	var steps []string
	for i, f := range u.Files {
		if i < len(u.Backups) {
			steps = append(steps, fmt.Sprintf("age -d -i YOUR-IDENTITY %s > %s", u.Backups[i], f))
		}
	}
	return fmt.Errorf("the old content held the leaked secret, kept only encrypted to you; restore it by hand if you must: %s", strings.Join(steps, "; "))
}

// backup encrypts the current content of host files into the case before they change.
func backup(env *contain.Env, c *Case, recips []age.Recipient, id string, files []string) ([]string, error) {
	var out []string
	for i, f := range files {
		data, err := env.FS.ReadFile(f, 16<<20)
		if err != nil {
			return out, fmt.Errorf("keep a copy of %s: %w", f, err)
		}
		p, err := c.sealTo(fmt.Sprintf("backup-%s-%d-%s.age", id, i, path.Base(f)), data, recips)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// hostKeysAction makes new SSH host keys in Go, replacing the old ones.
type hostKeysAction struct {
	Files  []string // private key paths
	Items  []string
	c      *Case
	recips []age.Recipient
	id     string
	New    []string // "TYPE SHA256:..." of the new keys, after Apply
}

func (a *hostKeysAction) Kind() string   { return "rotate-host-keys" }
func (a *hostKeysAction) Target() string { return strings.Join(a.Files, ",") }

func hostKeyType(p string) string {
	b := path.Base(p)
	switch {
	case strings.Contains(b, "ed25519"):
		return "ed25519"
	case strings.Contains(b, "ecdsa"):
		return "ecdsa"
	case strings.Contains(b, "rsa"):
		return "rsa"
	case strings.Contains(b, "dsa"):
		return "dsa"
	}
	return "ed25519"
}

func (a *hostKeysAction) Prepare(env *contain.Env) (*contain.Plan, error) {
	if env.Live {
		if err := contain.NeedRoot("replacing host keys"); err != nil {
			return nil, err
		}
	}
	a.id = stamp(time.Now())
	p := &contain.Plan{}
	var files []string
	for _, f := range a.Files {
		if hostKeyType(f) == "dsa" {
			p.What = append(p.What, "remove the DSA host key "+f+" (obsolete; no new one is made)")
		} else {
			p.What = append(p.What, "a new "+hostKeyType(f)+" host key in "+f+" (and "+f+".pub)")
		}
		files = append(files, f)
		if _, err := env.FS.Lstat(f + ".pub"); err == nil {
			files = append(files, f+".pub")
		}
	}
	var backups []string
	for i, f := range files {
		backups = append(backups, a.c.path(fmt.Sprintf("backup-%s-%d-%s.age", a.id, i, path.Base(f))))
	}
	p.Undo = backupUndo{Items: a.Items, Files: files, Backups: backups}
	p.UndoHow = "the old keys are kept only encrypted to you (they were leaked: do not put them back)"
	p.Warn = []string{"users see a host key warning at their next connection: give them the new fingerprints (printed below) for known_hosts (ssh-keygen -R HOST, then check the fingerprint on first connection)",
		"sshd reads host keys for each new connection; an open session goes on"}
	return p, nil
}

func (a *hostKeysAction) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(backupUndo)
	if _, err := backup(env, a.c, a.recips, a.id, u.Files); err != nil {
		return err
	}
	host := "root@" + hostName(env)
	for _, f := range a.Files {
		st, err := env.FS.Lstat(f)
		if err != nil {
			return err
		}
		typ := hostKeyType(f)
		if typ == "dsa" {
			if err := env.W.Remove(strings.TrimPrefix(f, "/")); err != nil {
				return err
			}
			env.W.Remove(strings.TrimPrefix(f+".pub", "/"))
			continue
		}
		var key any
		switch typ {
		case "ed25519":
			_, key, err = ed25519.GenerateKey(rand.Reader)
		case "ecdsa":
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case "rsa":
			key, err = rsa.GenerateKey(rand.Reader, 3072)
		}
		if err != nil {
			return fmt.Errorf("make a %s key: %w", typ, err)
		}
		blk, err := ssh.MarshalPrivateKey(key, host)
		if err != nil {
			return err
		}
		signer, err := ssh.NewSignerFromKey(key)
		if err != nil {
			return err
		}
		pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + host + "\n"
		if err := contain.WriteFile(env, f, pem.EncodeToMemory(blk), 0o600, int(st.UID), int(st.GID)); err != nil {
			return err
		}
		if err := contain.WriteFile(env, f+".pub", []byte(pub), 0o644, int(st.UID), int(st.GID)); err != nil {
			return err
		}
		a.New = append(a.New, signer.PublicKey().Type()+" "+ssh.FingerprintSHA256(signer.PublicKey()))
	}
	return nil
}

func hostName(env *contain.Env) string {
	b, err := env.FS.ReadFile("/etc/hostname", 256)
	if err != nil {
		return "localhost"
	}
	h := strings.TrimSpace(string(b))
	if h == "" || strings.ContainsAny(h, " \t/") {
		return "localhost"
	}
	return h
}
