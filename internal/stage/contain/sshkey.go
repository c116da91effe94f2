package contain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/accounts"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
)

// RevokeKey removes an SSH public key from every authorized_keys file sshd would read for any
// account (AuthorizedKeysFile of sshd_config and its Match blocks, and the default files), and
// keeps the removed lines in the journal (public keys: nothing secret) for undo.
type RevokeKey struct {
	Fingerprint string // SHA256:... as ssh-keygen -l prints it (the "SHA256:" may be left out)
	File        string // only this authorized_keys file ("": every file sshd reads)
}

// KeyUndo lists the removed lines per file.
type KeyUndo struct {
	Files []KeyFileUndo `json:"files"`
}

// KeyFileUndo is one file's removed lines.
type KeyFileUndo struct {
	Path  string       `json:"path"`
	Lines []RemovedKey `json:"lines"`
}

// RemovedKey is one removed line and where it was (1-based).
type RemovedKey struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

func init() { undoers["revoke-key"] = undoRevoke }

func (r RevokeKey) Kind() string   { return "revoke-key" }
func (r RevokeKey) Target() string { return normFP(r.Fingerprint) }

func normFP(fp string) string {
	fp = strings.TrimSpace(fp)
	if !strings.HasPrefix(fp, "SHA256:") && !strings.HasPrefix(fp, "MD5:") {
		fp = "SHA256:" + fp
	}
	return strings.TrimRight(fp, "=")
}

// keyFiles lists every authorized_keys file sshd would read for any account.
func keyFiles(env *Env) ([]string, error) {
	data, err := env.FS.ReadFile(catalog.Path("passwd"), 16<<20)
	if err != nil {
		return nil, err
	}
	ents, _ := accounts.ParsePasswd(data)
	var accts []probe.Account
	for _, e := range ents {
		accts = append(accts, probe.Account{Name: e.Name, UID: e.UID, GID: e.GID, Home: e.Home, Shell: e.Shell})
	}
	cfg, _ := sshd.LoadConfig(context.Background(), env.FS, sshd.MainConfig)
	seen := map[string]bool{}
	var out []string
	for _, pat := range sshd.KeyFilePatterns(cfg) {
		for _, a := range accts {
			p, err := sshd.ExpandKeyFile(pat, a, accts)
			if err != nil || seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (r RevokeKey) Prepare(env *Env) (*Plan, error) {
	fp := normFP(r.Fingerprint)
	if len(fp) < 12 {
		return nil, fmt.Errorf("%q is not a key fingerprint: give it as ssh-keygen -lf FILE prints it (SHA256:...)", r.Fingerprint)
	}
	if env.Live {
		if err := NeedRoot("revoking a key"); err != nil {
			return nil, err
		}
	}
	if own := operatorKey(env); own != "" && strings.TrimRight(own, "=") == fp {
		return nil, refuse("%s is the key your own SSH session logged in with: revoking it would lock you out", fp)
	}
	files, err := keyFiles(env)
	if err != nil {
		return nil, err
	}
	undo := KeyUndo{}
	p := &Plan{}
	for _, f := range files {
		if r.File != "" && f != r.File {
			continue
		}
		st, err := env.FS.Lstat(f)
		if err != nil || !st.IsRegular() {
			continue
		}
		data, err := env.FS.ReadFile(f, 16<<20)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		keys, _ := sshd.ParseAuthorizedKeys(data)
		lines := strings.Split(string(data), "\n")
		fu := KeyFileUndo{Path: f}
		for _, k := range keys {
			if strings.TrimRight(k.Fingerprint, "=") != fp || k.Line < 1 || k.Line > len(lines) {
				continue
			}
			fu.Lines = append(fu.Lines, RemovedKey{Line: k.Line, Text: lines[k.Line-1]})
			p.What = append(p.What, fmt.Sprintf("remove the key from %s line %d (%s %s)", f, k.Line, k.Type, k.Comment))
		}
		if len(fu.Lines) > 0 {
			undo.Files = append(undo.Files, fu)
		}
	}
	if len(undo.Files) == 0 {
		p.Noop = "no authorized_keys file sshd reads holds " + fp
	}
	p.Undo = undo
	p.UndoHow = "put each removed line back where it was"
	p.Warn = append(p.Warn, "sessions already opened with this key go on: stop them (nowwhat contain kill PID)")
	return p, nil
}

func (r RevokeKey) Apply(env *Env, p *Plan) error {
	undo := p.Undo.(KeyUndo)
	for i, fu := range undo.Files {
		if err := removeLines(env, fu); err != nil {
			for _, done := range undo.Files[:i] {
				restoreLines(env, done)
			}
			return err
		}
	}
	return nil
}

func removeLines(env *Env, fu KeyFileUndo) error {
	st, err := env.FS.Lstat(fu.Path)
	if err != nil {
		return err
	}
	data, err := env.FS.ReadFile(fu.Path, 16<<20)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	drop := map[int]bool{}
	for _, l := range fu.Lines {
		if l.Line > len(lines) || lines[l.Line-1] != l.Text {
			return fmt.Errorf("%s changed since the plan (line %d): plan again", fu.Path, l.Line)
		}
		drop[l.Line-1] = true
	}
	var out []string
	for i, l := range lines {
		if !drop[i] {
			out = append(out, l)
		}
	}
	return writeExact(env, fu.Path, []byte(strings.Join(out, "\n")), st.Mode.Perm(), int(st.UID), int(st.GID), time.Time{})
}

func restoreLines(env *Env, fu KeyFileUndo) error {
	st, err := env.FS.Lstat(fu.Path)
	if err != nil {
		return err
	}
	data, err := env.FS.ReadFile(fu.Path, 16<<20)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	present := map[string]bool{}
	for _, l := range lines {
		present[l] = true
	}
	sorted := append([]RemovedKey(nil), fu.Lines...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	for _, l := range sorted {
		if present[l.Text] {
			continue // already back
		}
		i := min(max(l.Line-1, 0), len(lines))
		lines = append(lines[:i], append([]string{l.Text}, lines[i:]...)...)
	}
	return writeExact(env, fu.Path, []byte(strings.Join(lines, "\n")), st.Mode.Perm(), int(st.UID), int(st.GID), time.Time{})
}

func undoRevoke(env *Env, raw json.RawMessage) error {
	var undo KeyUndo
	if err := json.Unmarshal(raw, &undo); err != nil {
		return err
	}
	var errs []error
	for _, fu := range undo.Files {
		if err := restoreLines(env, fu); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// operatorKey finds the fingerprint of the key the operator's SSH session logged in with, from
// sshd's "Accepted publickey for USER from IP port PORT ssh2: TYPE SHA256:..." line.
func operatorKey(env *Env) string {
	op := env.Operator
	if !env.Live || !op.SSH || !op.Client.IsValid() {
		return ""
	}
	needle := fmt.Sprintf(" from %s port %d ", op.Client.Addr(), op.Client.Port())
	for _, log := range catalog.Paths("log.auth", "log.secure") {
		f, err := env.FS.Open(log)
		if err != nil {
			continue
		}
		st, _ := f.Stat()
		if st != nil && st.Size() > 8<<20 {
			f.Seek(st.Size()-8<<20, io.SeekStart)
		}
		data, _ := io.ReadAll(io.LimitReader(f, 8<<20))
		f.Close()
		lines := strings.Split(string(data), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			l := lines[i]
			if strings.Contains(l, "Accepted publickey for ") && strings.Contains(l, needle) {
				if j := strings.Index(l, "SHA256:"); j >= 0 {
					return strings.Fields(l[j:])[0]
				}
			}
		}
	}
	return ""
}
