// Package packages reads what the package managers recorded about the host: the installed
// packages and, for each file they shipped, its recorded digest (dpkg's status file and
// info/*.md5sums, rpm's database), so the check step can tell a packaged binary that was
// altered from one the package manager put there. It also parses the package managers' logs
// (dpkg.log, apt's history.log) into typed events that later steps use to explain changes.
//
// Nothing here runs dpkg or rpm: the databases are read as files.
package packages

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Collector records installed packages (snapshot.Package) and the files they shipped with
// their recorded digests (snapshot.PackageFile), for dpkg and rpm.
//
// dpkg: Package{Manager "dpkg", Name, Arch, Version as written (with epoch), Status: the last
// word of the Status field (installed, config-files, half-configured, ...)} for every stanza;
// PackageFile{Manager "dpkg", Package: the name without arch, Alg "md5", Digest lowercase hex}
// for every md5sums line, and with Conffile true for every Conffiles entry (obsolete and
// newconffile entries are recorded with Alg and Digest empty).
//
// rpm: Package{Manager "rpm", Version EPOCH:VERSION-RELEASE (no epoch when 0), Status
// "installed"}; PackageFile for every regular file, Alg from the package's digest algorithm
// (md5, sha1, sha256, ...), Conffile for %config files; ghost files without digest.
type Collector struct{}

// Name implements probe.Collector.
func (Collector) Name() string { return "packages" }

// Limits on what is read, so a hostile database cannot exhaust memory or time.
const (
	maxStatusBytes = 512 << 20
	maxSumsBytes   = 64 << 20
	// maxBadLines bounds the malformed-line problems reported per file.
	maxBadLines = 5
)

// Collect implements probe.Collector.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	c.collectDpkg(ctx, env)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.collectRPM(ctx, env)
	return ctx.Err()
}

var (
	dpkgStatus = catalog.Path("dpkg.status")
	dpkgInfo   = catalog.Dir("dpkg.info")
)

// badLines reports the first few malformed lines of one file as problems and counts the rest.
type badLines struct {
	c     Collector
	env   *probe.Env
	path  string
	count int
}

func (b *badLines) add(e LineError) {
	b.count++
	if b.count <= maxBadLines {
		b.env.Problem(b.c, b.path, e)
	}
}

func (b *badLines) done() {
	if b.count > maxBadLines {
		b.env.Problem(b.c, b.path, fmt.Errorf("%d more malformed lines not reported", b.count-maxBadLines))
	}
}

func (c Collector) collectDpkg(ctx context.Context, env *probe.Env) {
	f, err := env.FS.Open(dpkgStatus)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, dpkgStatus, err)
		}
		return
	}
	defer f.Close()
	// One listing of info/ tells which md5sums files exist, instead of trying two names a package.
	info := map[string]bool{}
	if ents, err := env.FS.ReadDir(dpkgInfo); err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, dpkgInfo, err)
		}
	} else {
		for _, e := range ents {
			info[e.Name] = true
		}
	}
	bad := &badLines{c: c, env: env, path: dpkgStatus}
	lr := &io.LimitedReader{R: f, N: maxStatusBytes + 1}
	canon := MergedUsr(env.FS)
	err = ParseDpkgStatus(lr, func(p DpkgPackage) {
		if ctx.Err() != nil {
			return
		}
		c.emitDpkg(env, p, info, canon)
	}, bad.add)
	bad.done()
	if err != nil {
		env.Problem(c, dpkgStatus, err)
	}
	if lr.N <= 0 {
		env.Problem(c, dpkgStatus, fmt.Errorf("read only the first %d bytes: %w", int64(maxStatusBytes), hostfs.ErrTooLarge))
	}
	c.collectDiversions(env, canon)
}

// MergedUsr returns a function that maps paths under the top-level folders that are links into
// /usr on this host (/bin -> usr/bin on merged-/usr systems) to where the files really are,
// so a package's "/bin/ls" is matched with the recorded "/usr/bin/ls".
func MergedUsr(fs *hostfs.FS) func(string) string {
	alias := map[string]string{}
	for _, d := range catalog.Dirs("bin", "sbin", "lib", "lib32", "lib64", "libx32") {
		st, err := fs.Lstat(d)
		if err != nil || !st.IsSymlink() {
			continue
		}
		t, err := fs.Readlink(d)
		if err != nil {
			continue
		}
		if !strings.HasPrefix(t, "/") {
			t = "/" + t
		}
		t = hostfs.Clean(t)
		if strings.HasPrefix(t, catalog.Path("usr")) {
			alias[d] = t
		}
	}
	return func(p string) string {
		if len(alias) == 0 || len(p) < 4 {
			return p
		}
		i := strings.IndexByte(p[1:], '/')
		top := p
		if i >= 0 {
			top = p[:i+1]
		}
		if to, ok := alias[top]; ok {
			return to + p[len(top):]
		}
		return p
	}
}

func (c Collector) emitDpkg(env *probe.Env, p DpkgPackage, info map[string]bool, canon func(string) string) {
	state := p.State()
	env.Sink.Put(snapshot.Package{Manager: "dpkg", Name: p.Name, Arch: p.Arch, Version: p.Version, Status: state})
	for _, cf := range p.Conffiles {
		pf := snapshot.PackageFile{Path: canon(cf.Path), Manager: "dpkg", Package: p.Name, Conffile: true}
		if cf.Digest != "" && !cf.Obsolete {
			pf.Alg, pf.Digest = "md5", cf.Digest
		}
		env.Sink.Put(pf)
	}
	if state == "not-installed" {
		return
	}
	// Multi-Arch: same packages keep NAME:ARCH.md5sums; others NAME.md5sums (older dpkg and
	// converted databases may use either, so both are tried).
	summed := map[string]bool{}
	for _, cf := range p.Conffiles {
		summed[canon(cf.Path)] = true
	}
	for _, n := range infoNames(p, ".md5sums") {
		if info[n] {
			c.readSums(env, p, hostfs.Join(dpkgInfo, n), summed, canon)
			break
		}
	}
	// No md5sums file: many packages ship none (meta packages, or built without one).
	// The .list file still says which paths the package owns.
	for _, n := range infoNames(p, ".list") {
		if info[n] {
			c.readList(env, p, hostfs.Join(dpkgInfo, n), summed, canon)
			break
		}
	}
}

// infoNames gives the names under info/ a package's control file may have: Multi-Arch: same
// packages use NAME:ARCH.suffix, others NAME.suffix (older dpkg and converted databases may use
// either, so both are tried).
func infoNames(p DpkgPackage, suffix string) []string {
	names := []string{p.Name + suffix}
	if p.Arch != "" {
		names = append(names, p.Name+":"+p.Arch+suffix)
	}
	if p.MultiArch == "same" {
		names[0], names[1] = names[1], names[0]
	}
	return names
}

// readList records the paths of a package's .list that its md5sums did not cover (directories,
// symlinks, files without a digest) as owned, with no digest (Alg "").
func (c Collector) readList(env *probe.Env, p DpkgPackage, path string, summed map[string]bool, canon func(string) string) {
	f, err := env.FS.Open(path)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, path, err)
		}
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxSumsBytes))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	// .list is in archive order: a directory comes right before its contents, so a line that
	// the next one extends ("/usr/bin" then "/usr/bin/ls") is a directory and is not recorded
	// (directories are shared by many packages and prove nothing).
	pending := ""
	flush := func(next string) {
		if pending != "" && !strings.HasPrefix(next, pending+"/") && !summed[pending] {
			env.Sink.Put(snapshot.PackageFile{Path: pending, Manager: "dpkg", Package: p.Name})
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line == "/." || line[0] != '/' {
			continue
		}
		pth := canon(hostfs.Clean(line))
		flush(pth)
		pending = pth
	}
	flush("")
	if err := sc.Err(); err != nil {
		env.Problem(c, path, err)
	}
}

var dpkgDiversions = catalog.Path("dpkg.diversions")

// collectDiversions records dpkg-divert entries: the file at FROM now comes from the diverting
// package, and the original moved to TO. They are PackageFile records with Alg "diverted",
// Digest holding TO and Package the diverting package ("" for a local diversion).
func (c Collector) collectDiversions(env *probe.Env, canon func(string) string) {
	data, err := env.FS.ReadFile(dpkgDiversions, maxSumsBytes)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, dpkgDiversions, err)
		}
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i+2 < len(lines); i += 3 {
		from, to, pkg := canon(hostfs.Clean(lines[i])), canon(hostfs.Clean(lines[i+1])), strings.TrimSpace(lines[i+2])
		if pkg == ":" {
			pkg = ""
		}
		env.Sink.Put(snapshot.PackageFile{Path: from, Manager: "dpkg", Package: pkg, Alg: "diverted", Digest: to})
	}
	if len(lines)%3 != 0 && len(strings.TrimSpace(string(data))) > 0 {
		env.Problem(c, dpkgDiversions, fmt.Errorf("%d lines is not a multiple of 3: the last diversion is incomplete", len(lines)))
	}
}

func (c Collector) readSums(env *probe.Env, p DpkgPackage, path string, summed map[string]bool, canon func(string) string) {
	f, err := env.FS.Open(path)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			env.Problem(c, path, err)
		}
		return
	}
	defer f.Close()
	bad := &badLines{c: c, env: env, path: path}
	lr := &io.LimitedReader{R: f, N: maxSumsBytes + 1}
	err = ParseMD5Sums(lr, func(s Sum) {
		pth := canon(s.Path)
		summed[pth] = true
		env.Sink.Put(snapshot.PackageFile{Path: pth, Manager: "dpkg", Package: p.Name, Alg: "md5", Digest: s.Digest})
	}, bad.add)
	bad.done()
	if err != nil {
		env.Problem(c, path, err)
	}
	if lr.N <= 0 {
		env.Problem(c, path, fmt.Errorf("read only the first %d bytes: %w", int64(maxSumsBytes), hostfs.ErrTooLarge))
	}
}

var _ probe.Collector = Collector{}
