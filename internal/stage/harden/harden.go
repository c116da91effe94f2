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
	// NetNS is a network namespace's fd for the firewall change (tests); 0: this process's.
	NetNS int
	// Folders are the upload folders loophole named (php-uploads-noexec closes them besides
	// the usual ones).
	Folders []string
	// RateOverride replaces DefaultRate for ssh-rate-limit (tests).
	RateOverride Rate
}

// Undo is what undoing a change needs: each file as it was.
type Undo struct {
	ID      string            `json:"id"`
	Files   []FileBefore      `json:"files"`
	SSHDPid string            `json:"sshd_pid_file,omitempty"`
	Sysctl  map[string]string `json:"sysctl,omitempty"`    // the live values before
	Table   string            `json:"nft_table,omitempty"` // the nftables table the change added
	NetNS   bool              `json:"netns,omitempty"`     // added in another network namespace (tests)

	write []FileChange // what Apply writes (the journal keeps the plan's text instead)
	spec  rateSpec     // the firewall rules Apply adds
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

// files are the exact files the change writes, with their whole new content.
func (c Change) files(fsys *hostfs.FS) ([]FileChange, []string, error) {
	if c.Def.Edit != nil {
		return c.Def.Edit(fsys, c)
	}
	var out []FileChange
	for _, f := range c.Def.Files {
		out = append(out, FileChange{Path: f.Path, Content: c.content(f)})
	}
	return out, nil, nil
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
	if d.Firewall {
		return c.prepareFirewall(env)
	}
	files, notes, err := c.files(env.FS)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if len(notes) == 0 {
			notes = []string{"nothing to change on this host"}
		}
		return &contain.Plan{Noop: d.ID + ": " + strings.Join(notes, "; ")}, nil
	}
	p := &contain.Plan{Warn: notes}
	u := Undo{ID: d.ID, write: files}
	same := true
	for _, f := range files {
		fb, changed, err := before(env.FS, f)
		if err != nil {
			return nil, err
		}
		if changed {
			same = false
			verb := "write " + f.Path + ":"
			if fb.Existed {
				verb = "replace " + f.Path + " (kept in the journal for undo) with:"
			}
			p.What = append(p.What, verb)
			p.What = append(p.What, diffLines(fb, f.Content)...)
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
		warn, err := c.sshdSafe(env)
		if err != nil {
			return nil, err
		}
		p.Warn = append(p.Warn, warn...)
		if c.live(env) {
			u.SSHDPid = c.pidFile()
			p.What = append(p.What, "reload sshd (SIGHUP to the pid in "+u.SSHDPid+"): open sessions stay")
		}
		c.rollbackPlan(p)
	}
	if d.Reload != "" {
		p.What = append(p.What, "then reload the service yourself (harden does not): "+reloadFor(d, files))
	}
	p.Undo = u
	p.UndoHow = "put back " + strings.Join(pathsOf(files), ", ") + " as they were"
	if len(d.Sysctl) > 0 && c.live(env) {
		p.UndoHow += ", and the kernel settings' former values"
	}
	if d.SSHD && c.live(env) {
		p.UndoHow += ", and reload sshd"
	}
	return p, nil
}

// rollbackPlan sets the dead-man rollback of an sshd or firewall change.
func (c Change) rollbackPlan(p *contain.Plan) {
	if c.Rollback > 0 {
		p.Expires = time.Now().Add(c.Rollback)
		p.What = append(p.What, fmt.Sprintf("roll it back by itself at %s (in %s) unless you run: nowwhat harden confirm (after checking a new login works)",
			p.Expires.UTC().Format("15:04:05 UTC"), c.Rollback))
	} else {
		p.Warn = append(p.Warn, "--no-rollback: a mistake is not undone by itself; keep a console at hand")
	}
}

// before reads a file as it is now, for undo, and tells whether the change alters it.
func before(fsys *hostfs.FS, f FileChange) (FileBefore, bool, error) {
	fb := FileBefore{Path: f.Path}
	old, err := fsys.ReadFile(f.Path, 1<<20)
	switch {
	case err == nil:
		fb.Existed, fb.Data = true, base64.StdEncoding.EncodeToString(old)
		if st, err := fsys.Stat(f.Path); err == nil {
			fb.Mode = st.Perm()
		}
		return fb, string(old) != f.Content, nil
	case hostfs.IsNotExist(err):
		return fb, true, nil
	default:
		return fb, false, fmt.Errorf("%s: %w", f.Path, err)
	}
}

// diffLines shows a new file whole, or, for an edit of an existing one, the lines it adds
// and removes.
func diffLines(fb FileBefore, want string) []string {
	var out []string
	if !fb.Existed {
		for _, l := range strings.Split(strings.TrimRight(want, "\n"), "\n") {
			out = append(out, "  "+l)
		}
		return out
	}
	old, _ := base64.StdEncoding.DecodeString(fb.Data)
	was := map[string]int{}
	for _, l := range strings.Split(string(old), "\n") {
		was[l]++
	}
	now := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		now[l]++
	}
	for _, l := range strings.Split(string(old), "\n") {
		if now[l] == 0 && strings.TrimSpace(l) != "" {
			out = append(out, "  - "+l)
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if was[l] == 0 {
			out = append(out, "  + "+l)
		} else {
			was[l]--
		}
	}
	return out
}

func pathsOf(fs []FileChange) []string {
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

func refusef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", contain.ErrRefused, fmt.Sprintf(format, a...))
}

// Apply writes the files, sets the kernel values, reloads sshd, and checks the result; on a
// failure it puts back what it changed.
func (c Change) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(Undo)
	if c.Def.Firewall {
		return c.applyFirewall(env, u)
	}
	for _, f := range u.write {
		if err := mkdirs(env, path.Dir(f.Path)); err != nil {
			restore(env, u)
			return err
		}
		mode := os.FileMode(0o644)
		for _, fb := range u.Files {
			if fb.Path == f.Path && fb.Existed && fb.Mode != 0 {
				mode = os.FileMode(fb.Mode)
			}
		}
		if err := contain.WriteFile(env, f.Path, []byte(f.Content), mode, 0, 0); err != nil {
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
	if problems := CheckFolders(env.FS, c.Def, c.Folders); len(problems) > 0 {
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
	if u.Table != "" {
		if err := deleteTable(env.NetNS, u.Table); err != nil {
			return fmt.Errorf("the file is put back, but the nftables table %s was not removed: %w (remove it: nft delete table inet %s)", u.Table, err, u.Table)
		}
	}
	if u.SSHDPid != "" {
		if err := hupSSHD(env, u.SSHDPid); err != nil {
			return fmt.Errorf("files put back, but sshd was not reloaded: %w (reload it: systemctl reload ssh)", err)
		}
	}
	return nil
}

// Check tells what of a change is not in force on the root (no problems: it is). For the
// firewall change it checks the file for boot; FirewallInForce reads the running rules.
func Check(fsys *hostfs.FS, d *Def) []string { return CheckFolders(fsys, d, nil) }

// CheckFolders is Check, with the upload folders loophole named checked too.
func CheckFolders(fsys *hostfs.FS, d *Def, folders []string) []string {
	if d.Verify != nil {
		return d.Verify(fsys, folders)
	}
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
					src := "sshd's default: no file sets it"
					for _, dd := range cfg.Directives {
						if dd.Match == "" && strings.EqualFold(dd.Key, k) {
							src = fmt.Sprintf("set at %s:%d, read before the drop-in", dd.File, dd.Line)
							break
						}
					}
					problems = append(problems, fmt.Sprintf("sshd's effective %s is %q (%s)", k, strings.Join(got, " "), src))
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
