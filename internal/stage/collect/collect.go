package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/base/version"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

// Profiles say how much to collect.
const (
	ProfileQuick = "quick" // volatile state, snapshot and findings, logs, configuration, flagged files, bodyfile
	ProfileFull  = "full"  // and the places intruders work in: temporary folders, web roots, homes, /opt, /usr/local, spools
)

// DefaultLimits are the caps of each profile.
func DefaultLimits(profile string) Limits {
	if profile == ProfileFull {
		return Limits{MaxFileSize: 2 << 30, MaxTotal: 0}
	}
	return Limits{MaxFileSize: 256 << 20, MaxTotal: 8 << 30}
}

// Options say what to collect.
type Options struct {
	Root     string // "/" for this host
	Profile  string // quick or full
	Limits   Limits
	HostKeys bool     // the private SSH host keys too
	Exclude  []string // host paths left out (the archive itself, the case folder)
	// Check configures the check whose snapshot and findings go into the archive (root and
	// capture options are set from the fields above).
	Check      check.Options
	Command    []string // the command line, for the custody record
	Recipients []string // age recipients, for the custody record
	// Step, when set, is told each step as it starts (progress display).
	Step func(name string)
	// Stats, when set, counts items and bytes as they are written.
	Stats *Stats
}

// Collect writes an evidence archive of the host under opt.Root to out, encrypted to recipients
// when there are any, most volatile first (RFC 3227): live state, the snapshot and check's
// findings, logs, configuration and persistence, the files check flagged, and a bodyfile of the
// whole file system.
func Collect(ctx context.Context, out io.Writer, recipients []age.Recipient, opt Options) (*Result, error) {
	if opt.Root == "" {
		opt.Root = "/"
	}
	if opt.Profile == "" {
		opt.Profile = ProfileQuick
	}
	if opt.Profile != ProfileQuick && opt.Profile != ProfileFull {
		return nil, fmt.Errorf("profile %q: use quick or full", opt.Profile)
	}
	fsys, err := hostfs.Open(opt.Root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	w, err := NewWriter(out, recipients, opt.Limits, opt.Stats)
	if err != nil {
		return nil, err
	}
	w.ctx = ctx
	c := &collection{w: w, fs: fsys, opt: opt, exclude: map[string]bool{}}
	for _, p := range opt.Exclude {
		c.exclude[hostfs.Clean(p)] = true
	}
	started := time.Now().UTC()
	host := capture.HostInfo(fsys)
	w.Logf("collection started: root %s, profile %s, tool %s (%s)", fsys.Dir(), opt.Profile, version.String(), version.Digest())
	if os.Geteuid() != 0 {
		w.Logf("not running as root: files only root can read are missing (each is listed)")
	}
	steps := []struct {
		name string
		fn   func(context.Context)
	}{
		{"live state", c.live},
		{"snapshot and check", c.snapshot},
		{"suspicious processes", c.flaggedProcesses},
		{"logs", c.logs},
		{"configuration", c.config},
		{"flagged files", c.flaggedFiles},
		{"work places", c.workPlaces},
		{"bodyfile", c.bodyfile},
	}
	interrupted := ""
	var notAttempted []string
	for i, s := range steps {
		if ctx.Err() != nil {
			for _, rest := range steps[i:] {
				notAttempted = append(notAttempted, rest.name)
			}
			if interrupted == "" {
				interrupted = fmt.Sprintf("before step %q at %s: %v", s.name, time.Now().UTC().Format(time.RFC3339), context.Cause(ctx))
			}
			w.Logf("interrupted before %s: %v", s.name, context.Cause(ctx))
			break
		}
		if err := w.Err(); err != nil {
			return nil, err
		}
		if opt.Step != nil {
			opt.Step(s.name)
		}
		t := time.Now()
		n := len(w.items)
		s.fn(ctx)
		w.Logf("step %s: %d items in %s", s.name, len(w.items)-n, time.Since(t).Round(time.Millisecond))
		if ctx.Err() != nil && interrupted == "" {
			interrupted = fmt.Sprintf("during step %q at %s (that step is partial): %v", s.name, time.Now().UTC().Format(time.RFC3339), context.Cause(ctx))
		}
	}
	if c.cur != nil {
		c.cur.Close()
	}
	if interrupted != "" {
		w.Skip("collect", "", "the collection was interrupted "+interrupted)
	}
	m := &Manifest{Host: host, CollectedAt: started.Format(time.RFC3339Nano), ToolVersion: version.String(), Profile: opt.Profile,
		Encrypted: len(recipients) > 0, Interrupted: interrupted, NotAttempted: notAttempted}
	return w.Finish(m, custody(opt, host, fsys, started))
}

// custody fills the chain-of-custody record from the process's own identity and environment.
func custody(opt Options, host map[string]string, fsys *hostfs.FS, started time.Time) *Custody {
	c := &Custody{UID: os.Getuid(), Command: opt.Command, Host: host, Root: fsys.Dir(), Live: fsys.IsLive(),
		StartedAt: started.Format(time.RFC3339Nano), ToolVersion: version.String(), ToolSHA256: version.Digest(), Recipients: opt.Recipients,
		SudoUser: os.Getenv("SUDO_USER"), From: "console"}
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		c.Operator = u.Username
	} else {
		c.Operator = "uid " + strconv.Itoa(os.Getuid())
	}
	if sc := strings.Fields(os.Getenv("SSH_CONNECTION")); len(sc) >= 1 {
		c.From = "ssh from " + sc[0]
	}
	return c
}

// collection is one run of Collect.
type collection struct {
	w        *Writer
	fs       *hostfs.FS
	opt      Options
	exclude  map[string]bool
	cur      *snapshot.Reader  // the snapshot taken (for accounts and homes)
	findings []finding.Finding // check's, and investigate's when it ran
	exes     map[int]bool      // processes whose program was copied
}

func (c *collection) excluded(p string) bool {
	for q := p; ; q = path.Dir(q) {
		if c.exclude[q] {
			return true
		}
		if q == "/" || q == "." {
			return false
		}
	}
}

// snapshot takes the foundation's snapshot of the host, judges it as check does, and puts both
// into the archive.
func (c *collection) snapshot(ctx context.Context) {
	sw, err := snapshot.CreateMemory()
	if err != nil {
		c.w.Problem("snapshot", "", fmt.Errorf("snapshot: %w", err))
		return
	}
	copt := c.opt.Check.Capture
	copt.Exclude = append(append([]string{}, copt.Exclude...), c.opt.Exclude...)
	if _, err := capture.Take(ctx, c.fs, sw, copt); err != nil {
		sw.Abort()
		c.w.Problem("snapshot", "", fmt.Errorf("snapshot: %w", err))
		return
	}
	if err := sw.Close(); err != nil {
		c.w.Problem("snapshot", "", fmt.Errorf("snapshot: %w", err))
		return
	}
	debug.FreeOSMemory() // the scan's garbage, before the snapshot is copied out
	data, err := sw.Bytes()
	if err != nil {
		c.w.Problem("snapshot", "", err)
		return
	}
	c.w.AddBytes("snapshot", "snapshot/host.snap", "", data)
	data = nil
	debug.FreeOSMemory() // the serialized copy is gone: give it back before check adds its own
	cur, err := sw.Reader("host " + c.fs.Dir())
	if err != nil {
		c.w.Problem("snapshot", "", err)
		return
	}
	c.cur = cur
	rep, err := check.Judge(ctx, cur, c.opt.Check)
	if err != nil {
		c.w.Problem("snapshot", "", fmt.Errorf("check: %w", err))
		return
	}
	var js, txt bytes.Buffer
	if err := rep.WriteJSON(&js); err == nil {
		c.w.AddBytes("snapshot", "snapshot/check.json", "", js.Bytes())
	}
	if err := rep.WriteText(&txt, check.TextOptions{All: true}); err == nil {
		c.w.AddBytes("snapshot", "snapshot/check.txt", "", txt.Bytes())
	}
	c.w.Logf("check: verdict %s, %d findings", rep.Verdict, len(rep.Findings))
	c.findings = rep.Findings
	// The investigation of the logs, on the same snapshot: its timeline goes in, and the files
	// it flags (an uploaded script that was then requested) join check's.
	inv, err := investigate.Analyze(ctx, c.fs, cur, rep, investigate.Options{Check: c.opt.Check})
	if err != nil {
		c.w.Problem("snapshot", "", fmt.Errorf("investigate: %w", err))
		return
	}
	js.Reset()
	txt.Reset()
	var csv bytes.Buffer
	if err := inv.WriteJSON(&js); err == nil {
		c.w.AddBytes("snapshot", "snapshot/investigate.json", "", js.Bytes())
	}
	if err := inv.WriteText(&txt, investigate.TextOptions{}); err == nil {
		c.w.AddBytes("snapshot", "snapshot/investigate.txt", "", txt.Bytes())
	}
	if err := inv.WriteCSV(&csv); err == nil {
		c.w.AddBytes("snapshot", "snapshot/timeline.csv", "", csv.Bytes())
	}
	c.findings = inv.Findings
	c.w.Logf("investigate: way in %s (%s confidence), %d findings, %d timeline rows", inv.Entry.Vector, inv.Entry.Confidence, len(inv.Findings), len(inv.Timeline))
}

// flagged are the findings worth their evidence: everything above info.
func (c *collection) flagged() []finding.Finding {
	var out []finding.Finding
	for _, f := range c.findings {
		if f.Severity > finding.Info {
			out = append(out, f)
		}
	}
	return out
}

// flaggedFiles copies every file a finding names (implants, web shells, changed binaries) that
// an earlier step did not already copy.
func (c *collection) flaggedFiles(ctx context.Context) {
	seen := map[string]bool{}
	for _, f := range c.flagged() {
		if f.Path == "" || seen[f.Path] || c.w.Copied(f.Path) || c.excluded(f.Path) || ctx.Err() != nil {
			continue
		}
		seen[f.Path] = true
		st, err := c.fs.Lstat(f.Path)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				c.w.Problem("flagged", f.Path, err)
			}
			continue
		}
		if st.IsDir() {
			continue // a folder named by a finding (a nested root): its files are judged on their own
		}
		c.copyPath("flagged", f.Path, st, "flagged by nowwhat: "+f.Rule)
	}
}

// copyPath copies one host path already lstat'ed: a link as a link, a regular file's content;
// anything else is listed, never opened.
func (c *collection) copyPath(step, p string, st hostfs.Stat, note string) {
	switch {
	case st.IsSymlink():
		target, err := c.fs.Readlink(p)
		if err != nil {
			c.w.Problem(step, p, err)
			return
		}
		c.w.AddLink(step, p, target, st)
	case st.IsRegular():
		f, st2, err := c.fs.OpenStat(p)
		if err != nil {
			c.w.Problem(step, p, err)
			return
		}
		c.w.AddFile(step, p, HostArchivePath(p), f, st2, note)
		f.Close()
	case st.IsDir():
	default:
		c.w.Leave(step, p, st.Type()+": never opened")
	}
}

// hostKeyNote says why a private SSH host key is not in the archive.
const hostKeyNote = "private SSH host key: left out (--host-keys includes it)"

// copyFile copies one named host file if it exists.
func (c *collection) copyFile(step, p string) {
	if c.w.Copied(p) || c.excluded(p) {
		return
	}
	st, err := c.fs.Lstat(p)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			c.w.Problem(step, p, err)
		}
		return
	}
	c.copyPath(step, p, st, "")
}

// tree copies everything under a host folder, never following a link and never entering a
// kernel file system; keep (when not nil) chooses which files of a folder to copy.
func (c *collection) tree(ctx context.Context, step, dir string, keep func(p string, st hostfs.Stat) (bool, string)) {
	d, err := c.fs.OpenDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			c.w.Problem(step, dir, err)
		}
		return
	}
	c.walkDir(ctx, step, d, keep)
	d.Close()
}

func (c *collection) walkDir(ctx context.Context, step string, d *hostfs.Dir, keep func(string, hostfs.Stat) (bool, string)) {
	problem := func(p string, err error) { c.w.Problem(step, p, err) }
	c.walk(ctx, d, 0, func(d *hostfs.Dir, name, p string, st hostfs.Stat) bool {
		if c.w.Err() != nil {
			return false
		}
		if st.IsDir() || c.w.Copied(p) {
			return true
		}
		if keep != nil {
			if ok, why := keep(p, st); !ok {
				if why != "" {
					c.w.Leave(step, p, why)
				}
				return true
			}
		}
		switch {
		case st.IsSymlink():
			target, err := d.Readlink(name)
			if err != nil {
				problem(p, err)
				return true
			}
			c.w.AddLink(step, p, target, st)
		case st.IsRegular():
			f, err := d.OpenFile(name)
			if err != nil {
				problem(p, err)
				return true
			}
			if st2, err := hostfs.Fstat(f); err == nil {
				st = st2
			}
			c.w.AddFile(step, p, HostArchivePath(p), f, st, "")
			f.Close()
		default:
			c.w.Leave(step, p, st.Type()+": never opened")
		}
		return true
	}, problem)
}

// maxDepth bounds how deep a walk goes (a folder loop through bind mounts, a hostile tree).
const maxDepth = 256

// walk visits every entry below d (folders before what they hold), never following a link and
// never entering a kernel file system. visit returns false to stop the whole walk; problem
// hears what could not be read. It reports whether the walk ran to the end.
func (c *collection) walk(ctx context.Context, d *hostfs.Dir, depth int, visit func(d *hostfs.Dir, name, p string, st hostfs.Stat) bool, problem func(p string, err error)) bool {
	if ctx.Err() != nil || d.PseudoFS() != "" {
		return ctx.Err() == nil
	}
	if depth > maxDepth {
		// Said, never silent: what lies deeper is where an intruder would hide.
		c.w.Gap(d.Path, fmt.Sprintf("folders more than %d levels deep were not collected (nowwhat's depth limit); what lies below %s is not in the archive", maxDepth, d.Path))
		return true
	}
	ents, err := d.Entries()
	if err != nil {
		problem(d.Path, err)
	}
	for _, e := range ents {
		if ctx.Err() != nil {
			return false
		}
		p := path.Join(d.Path, e.Name)
		if c.excluded(p) {
			continue
		}
		st, err := d.Lstat(e.Name)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				problem(p, err)
			}
			continue
		}
		if !visit(d, e.Name, p, st) {
			return false
		}
		if st.IsDir() {
			sub, err := d.Sub(e.Name)
			if err != nil {
				problem(p, err)
				continue
			}
			ok := c.walk(ctx, sub, depth+1, visit, problem)
			sub.Close()
			if !ok {
				return false
			}
		}
	}
	return true
}

// homes are the accounts' home folders (from the snapshot, else root's and those of /home).
func (c *collection) homes() []string {
	set := map[string]bool{catalog.Dir("home.root"): true}
	if c.cur != nil {
		if users, err := snapshot.All[snapshot.User](c.cur, ""); err == nil {
			for _, u := range users {
				h := hostfs.Clean(u.Home)
				if h != "/" && h != "/nonexistent" && !strings.HasPrefix(h, "/proc") && !strings.HasPrefix(h, "/sys") && !strings.HasPrefix(h, "/dev") {
					set[h] = true
				}
			}
		}
	}
	users := catalog.Dir("home.users")
	for _, n := range c.fs.ReadDirNames(users) {
		set[path.Join(users, n)] = true
	}
	var out []string
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// collected lists the catalog's locations copied in the quick profile: logs (kind log) or
// configuration (the rest), each place on the host, then the home-relative ones.
func collected(logs bool) (places, inHomes []*catalog.Location) {
	for _, l := range catalog.With(catalog.Collect) {
		if (l.Kind == catalog.Log) != logs {
			continue
		}
		if l.InHomes() {
			inHomes = append(inHomes, l)
		} else {
			places = append(places, l)
		}
	}
	return places, inHomes
}

// copyPlaces copies some catalog locations into a section: folders whole, files alone.
func (c *collection) copyPlaces(ctx context.Context, section string, places []*catalog.Location, keep func(string, hostfs.Stat) (bool, string)) {
	for _, l := range places {
		if l.IsFolder() {
			c.tree(ctx, section, l.Dir(), keep)
		} else {
			c.copyFile(section, l.Path)
		}
	}
}

// logs copies the logs (current and rotated, the journal's files, web server logs under
// /var/log), the login records, and every account's histories.
func (c *collection) logs(ctx context.Context) {
	places, inHomes := collected(true)
	c.copyPlaces(ctx, "logs", places, nil)
	for _, h := range c.homes() {
		for _, l := range inHomes {
			c.copyFile("logs", l.InHome(h))
		}
	}
}

// config copies configuration and persistence: /etc (shadow included: the archive is meant to
// be encrypted), cron and at spools, the package database's status, and each account's start-up
// files and SSH material. Private SSH host keys stay out unless asked.
func (c *collection) config(ctx context.Context) {
	hostKeys := catalog.Get("ssh.host-keys")
	places, inHomes := collected(false)
	c.copyPlaces(ctx, "config", places, func(p string, st hostfs.Stat) (bool, string) {
		if !c.opt.HostKeys && hostKeys.Covers(p) {
			return false, hostKeyNote
		}
		return true, ""
	})
	for _, h := range c.homes() {
		// Start-up files: every dotfile at the top of the home.
		for _, n := range c.fs.ReadDirNames(h) {
			if strings.HasPrefix(n, ".") {
				if st, err := c.fs.Lstat(path.Join(h, n)); err == nil && !st.IsDir() {
					c.copyPath("config", path.Join(h, n), st, "")
				}
			}
		}
		for _, l := range inHomes {
			c.tree(ctx, "config", l.InHome(h), nil)
		}
	}
}

// workPlaces copies, in the full profile, the places intruders work in.
func (c *collection) workPlaces(ctx context.Context) {
	if c.opt.Profile != ProfileFull {
		return
	}
	var dirs []string
	for _, l := range catalog.With(catalog.CollectFull) {
		dirs = append(dirs, l.Dir())
	}
	dirs = append(dirs, c.homes()...)
	for _, d := range dirs {
		c.tree(ctx, "work", d, nil)
	}
}
