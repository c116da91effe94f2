package harden

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// Kind is the journal kind of a hardening change.
const Kind = "harden"

// JournalName is the hardening journal's file in the case (or state) folder.
const JournalName = "hardening.jsonl"

// DefaultRollback is how long an sshd change stays without nowwhat harden confirm.
const DefaultRollback = 5 * time.Minute

// OpenJournal opens the hardening journal in dir (created 0700).
func OpenJournal(dir string) (*contain.Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hardening journal: %w", err)
	}
	return &contain.Journal{Path: path.Join(dir, JournalName)}, nil
}

// Change is a hardening change to plan or apply: contain.Action.
type Change struct {
	Def      *Def
	Rollback time.Duration // sshd changes: revert unless confirmed (0: no automatic rollback)
	// SSHDPidFile is where sshd's pid is read to reload it on a live host ("" = /run/sshd.pid).
	SSHDPidFile string
	// Live forces the live-host behaviour (reloading sshd, /proc/sys) on a root other than "/"
	// (tests run a real sshd on a fixture root).
	Live bool
}

// Undo is what undoing a change needs: each file as it was.
type Undo struct {
	ID      string            `json:"id"`
	Files   []FileBefore      `json:"files"`
	SSHDPid string            `json:"sshd_pid_file,omitempty"`
	Sysctl  map[string]string `json:"sysctl,omitempty"` // the live values before
}

// FileBefore is a file as it was before the change.
type FileBefore struct {
	Path    string `json:"path"`
	Existed bool   `json:"existed"`
	Data    string `json:"data,omitempty"` // base64
	Mode    uint32 `json:"mode,omitempty"`
}

func init() { contain.RegisterUndo(Kind, undo) }

func (c Change) Kind() string   { return Kind }
func (c Change) Target() string { return c.Def.ID }

func (c Change) live(env *contain.Env) bool { return env.Live || c.Live }

// content is the exact text written to a file of the change.
func (c Change) content(f FileChange) string {
	body := f.Content
	if len(c.Def.Sysctl) > 0 {
		keys := make([]string, 0, len(c.Def.Sysctl))
		for k := range c.Def.Sysctl {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %s\n", k, c.Def.Sysctl[k])
		}
		body = b.String()
	}
	return fmt.Sprintf(header, c.Def.ID) + body
}

// InContainer tells whether the root is a container's (systemd's and Docker's markers).
func InContainer(fsys *hostfs.FS) bool {
	if fsys.Exists("/.dockerenv") || fsys.Exists("/run/.containerenv") {
		return true
	}
	data, err := fsys.ReadFile("/run/systemd/container", 4096)
	return err == nil && len(strings.TrimSpace(string(data))) > 0
}

// Prepare says what the change would write, or that it is in place already, or why it is
// refused. It changes nothing.
func (c Change) Prepare(env *contain.Env) (*contain.Plan, error) {
	d := c.Def
	if d.NotInContainers && InContainer(env.FS) {
		return &contain.Plan{Noop: "inside a container: " + d.ID + " is left alone (the host's kernel settings are the host's to set)"}, nil
	}
	if c.live(env) {
		if err := contain.NeedRoot("hardening"); err != nil {
			return nil, err
		}
	}
	p := &contain.Plan{}
	u := Undo{ID: d.ID}
	same := true
	for _, f := range d.Files {
		want := c.content(f)
		old, err := env.FS.ReadFile(f.Path, 1<<20)
		fb := FileBefore{Path: f.Path}
		switch {
		case err == nil:
			fb.Existed, fb.Data = true, base64.StdEncoding.EncodeToString(old)
			if st, err := env.FS.Stat(f.Path); err == nil {
				fb.Mode = uint32(st.Mode.Perm())
			}
			if string(old) != want {
				same = false
				p.What = append(p.What, "replace "+f.Path+" (kept in the journal for undo) with:")
			}
		case hostfs.IsNotExist(err):
			same = false
			p.What = append(p.What, "write "+f.Path+":")
		default:
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		if !same {
			for _, l := range strings.Split(strings.TrimRight(want, "\n"), "\n") {
				p.What = append(p.What, "  "+l)
			}
		}
		u.Files = append(u.Files, fb)
	}
	if d.Needs != "" && !installed(env.FS, d.Needs) {
		p.Warn = append(p.Warn, "the package "+d.Needs+" is not installed: the file has no effect until it is (apt-get install "+d.Needs+")")
	}
	if c.live(env) && len(d.Sysctl) > 0 {
		u.Sysctl = map[string]string{}
		for k, v := range d.Sysctl {
			cur, err := env.FS.ReadFile("/proc/sys/"+strings.ReplaceAll(k, ".", "/"), 256)
			if err != nil {
				continue
			}
			u.Sysctl[k] = strings.TrimSpace(string(cur))
			if u.Sysctl[k] != v {
				same = false
				p.What = append(p.What, fmt.Sprintf("set %s = %s now (was %s)", k, v, u.Sysctl[k]))
			}
		}
	}
	if same {
		return &contain.Plan{Noop: d.ID + " is in place already"}, nil
	}
	if d.SSHD {
		if err := c.sshdSafe(env); err != nil {
			return nil, err
		}
		if c.live(env) {
			u.SSHDPid = c.pidFile()
			p.What = append(p.What, "reload sshd (SIGHUP to the pid in "+u.SSHDPid+"): open sessions stay")
		}
		if c.Rollback > 0 {
			p.Expires = time.Now().Add(c.Rollback)
			p.What = append(p.What, fmt.Sprintf("roll it back by itself at %s (in %s) unless you run: nowwhat harden confirm (after checking a new login works)",
				p.Expires.UTC().Format("15:04:05 UTC"), c.Rollback))
		} else {
			p.Warn = append(p.Warn, "--no-rollback: a mistake is not undone by itself; keep a console at hand")
		}
	}
	p.Undo = u
	p.UndoHow = "put back " + strings.Join(paths(d.Files), ", ") + " as they were"
	if len(d.Sysctl) > 0 && c.live(env) {
		p.UndoHow += ", and the kernel settings' former values"
	}
	if d.SSHD && c.live(env) {
		p.UndoHow += ", and reload sshd"
	}
	return p, nil
}

func paths(fs []FileChange) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func (c Change) pidFile() string {
	if c.SSHDPidFile != "" {
		return c.SSHDPidFile
	}
	return "/run/sshd.pid"
}

// installed reads whether a package is installed from dpkg's status file.
func installed(fsys *hostfs.FS, name string) bool {
	data, err := fsys.ReadFile(catalog.Path("dpkg.status"), 256<<20)
	if err != nil {
		return false
	}
	for _, st := range strings.Split(string(data), "\n\n") {
		if strings.HasPrefix(st, "Package: "+name+"\n") && strings.Contains(st, "Status: install ok installed") {
			return true
		}
	}
	return false
}

// sshdSafe refuses an sshd change that would lock the operator out: logged in over SSH, the
// operator must have a key sshd accepts for their account.
func (c Change) sshdSafe(env *contain.Env) error {
	op := env.Operator
	if !env.Live || !op.SSH {
		return nil
	}
	if op.User == "" {
		return refusef("you are logged in over SSH but your account could not be told (no SUDO_USER or USER): passwords would be turned off without knowing your key works")
	}
	keys := accountKeys(env.FS, op.User)
	if keys == 0 {
		return refusef("you (%s) are logged in over SSH and have no key in the authorized_keys files sshd reads for you: with passwords off you could not log in again. Add your key (ssh-copy-id) and try again", op.User)
	}
	return nil
}

func refusef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", contain.ErrRefused, fmt.Sprintf(format, a...))
}

// accountKeys counts the keys in the authorized_keys files sshd reads for a user.
func accountKeys(fsys *hostfs.FS, user string) int {
	home := ""
	if data, err := fsys.ReadFile(catalog.Path("passwd"), 16<<20); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Split(l, ":")
			if len(f) >= 7 && f[0] == user {
				home = f[5]
			}
		}
	}
	cfg, _ := sshd.LoadConfig(context.Background(), fsys, sshd.MainConfig)
	files, _ := cfg.Get("AuthorizedKeysFile")
	n := 0
	for _, f := range files {
		f = strings.ReplaceAll(strings.ReplaceAll(f, "%u", user), "%h", home)
		if !strings.HasPrefix(f, "/") {
			f = path.Join(home, f)
		}
		data, err := fsys.ReadFile(f, 4<<20)
		if err != nil {
			continue
		}
		ks, _ := sshd.ParseAuthorizedKeys(data)
		n += len(ks)
	}
	return n
}

// Apply writes the files, sets the kernel values, reloads sshd, and checks the result; on a
// failure it puts back what it changed.
func (c Change) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(Undo)
	for _, f := range c.Def.Files {
		if err := mkdirs(env, path.Dir(f.Path)); err != nil {
			restore(env, u)
			return err
		}
		if err := contain.WriteFile(env, f.Path, []byte(c.content(f)), 0o644, 0, 0); err != nil {
			restore(env, u)
			return fmt.Errorf("write %s: %w (what was written is put back)", f.Path, err)
		}
	}
	if c.live(env) {
		for k, v := range c.Def.Sysctl {
			if err := os.WriteFile(path.Join(env.Root, "/proc/sys/", strings.ReplaceAll(k, ".", "/")), []byte(v+"\n"), 0o644); err != nil && !os.IsNotExist(err) {
				fmt.Fprintf(env.Out, "note: %s could not be set now (%v); it is set at the next boot\n", k, err)
			}
		}
	}
	if problems := Check(env.FS, c.Def); len(problems) > 0 {
		restore(env, u)
		return fmt.Errorf("%s written but not in force: %s (put back as it was)", c.Def.ID, strings.Join(problems, "; "))
	}
	if c.Def.SSHD && c.live(env) {
		if err := hupSSHD(env, c.pidFile()); err != nil {
			restore(env, u)
			return fmt.Errorf("reload sshd: %w (the change is put back)", err)
		}
	}
	return nil
}

func mkdirs(env *contain.Env, dir string) error {
	rel := strings.TrimPrefix(hostfs.Clean(dir), "/")
	if rel == "" {
		return nil
	}
	if err := env.W.MkdirAll(rel, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// hupSSHD asks the listening sshd to read its configuration again (what systemctl reload ssh
// does); sessions that are open keep running.
func hupSSHD(env *contain.Env, pidFile string) error {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("%s: no pid", pidFile)
	}
	return syscall.Kill(pid, syscall.SIGHUP)
}

func restore(env *contain.Env, u Undo) error {
	var errs []error
	for _, f := range u.Files {
		if !f.Existed {
			if err := env.W.Remove(strings.TrimPrefix(hostfs.Clean(f.Path), "/")); err != nil && !os.IsNotExist(err) {
				errs = append(errs, err)
			}
			continue
		}
		data, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		mode := os.FileMode(f.Mode)
		if mode == 0 {
			mode = 0o644
		}
		if err := contain.WriteFile(env, f.Path, data, mode, 0, 0); err != nil {
			errs = append(errs, err)
		}
	}
	for k, v := range u.Sysctl {
		os.WriteFile(path.Join(env.Root, "/proc/sys/", strings.ReplaceAll(k, ".", "/")), []byte(v+"\n"), 0o644)
	}
	return errors.Join(errs...)
}

func undo(env *contain.Env, raw json.RawMessage) error {
	var u Undo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if err := restore(env, u); err != nil {
		return err
	}
	if u.SSHDPid != "" {
		if err := hupSSHD(env, u.SSHDPid); err != nil {
			return fmt.Errorf("files put back, but sshd was not reloaded: %w (reload it: systemctl reload ssh)", err)
		}
	}
	return nil
}

// Check tells what of a change is not in force on the root ("" problems: it is).
func Check(fsys *hostfs.FS, d *Def) []string {
	var problems []string
	if d.SSHD {
		cfg, probs := sshd.LoadConfig(context.Background(), fsys, sshd.MainConfig)
		for _, p := range probs {
			problems = append(problems, fmt.Sprintf("%s: %v", p.Path, p.Err))
		}
		for _, f := range d.Files {
			for _, l := range strings.Split(strings.TrimSpace(f.Content), "\n") {
				k, v, _ := strings.Cut(l, " ")
				got, _ := cfg.Get(k)
				if strings.Join(got, " ") != v {
					src := "default"
					for _, dd := range cfg.Directives {
						if dd.Match == "" && strings.EqualFold(dd.Key, k) {
							src = fmt.Sprintf("%s:%d", dd.File, dd.Line)
							break
						}
					}
					problems = append(problems, fmt.Sprintf("sshd's effective %s is %q (set at %s, read before the drop-in)", k, strings.Join(got, " "), src))
				}
			}
		}
		return problems
	}
	for _, f := range d.Files {
		if !fsys.Exists(f.Path) {
			problems = append(problems, f.Path+" is missing")
		}
	}
	return problems
}
