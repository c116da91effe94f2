package clean

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/source/deb"
	"github.com/nowwhat/nowwhat/internal/source/debrepo"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// resolver fetches and opens verified packages, once each per run.
type resolver struct {
	r    *debrepo.Resolver
	err  error
	open map[string]*opened
}

type opened struct {
	pkg   *deb.Package
	proof *debrepo.Proof
	sums  map[string]string
	err   error
}

func (pl *planner) debResolver() (*resolver, error) {
	if pl.resolver != nil {
		return pl.resolver, pl.resolver.err
	}
	rs := &resolver{open: map[string]*opened{}}
	pl.resolver = rs
	var k *debrepo.Keyring
	var err error
	if pl.opt.Keyring != "" {
		k, err = debrepo.LoadKeyring(pl.opt.Keyring)
	} else {
		k, err = debrepo.DebianKeyring()
	}
	if err != nil {
		rs.err = err
		return rs, err
	}
	r := &debrepo.Resolver{Keyring: k, Dir: pl.opt.PackagesFrom, Now: pl.opt.Now}
	if pl.opt.CaseDir != "" {
		r.Cache = path.Join(pl.opt.CaseDir, "packages")
	}
	if !pl.opt.Offline {
		r.Get = debrepo.HTTP{}
		if g, ok := pl.opt.Getter.(debrepo.Getter); ok {
			r.Get = g
		}
		r.Sources = pl.hostSources()
	}
	rs.r = r
	return rs, nil
}

// hostSources reads the host's APT sources (which mirror to ask; what it serves is trusted
// only through the signature).
func (pl *planner) hostSources() []debrepo.Source {
	var out []debrepo.Source
	if data, err := pl.env.FS.ReadFile(catalog.Path("apt.sources"), 1<<20); err == nil {
		out = append(out, debrepo.ParseSourcesList(data)...)
	}
	d := catalog.Dir("apt.sources.d")
	for _, n := range pl.env.FS.ReadDirNames(d) {
		data, err := pl.env.FS.ReadFile(path.Join(d, n), 1<<20)
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".list"):
			out = append(out, debrepo.ParseSourcesList(data)...)
		case strings.HasSuffix(n, ".sources"):
			out = append(out, debrepo.ParseDeb822Sources(data)...)
		}
	}
	return out
}

// nativeArch is the host's dpkg architecture (from the architecture of dpkg itself).
func (pl *planner) nativeArch() string {
	for _, n := range []string{"dpkg", "libc6", "base-files"} {
		if p, ok := pl.pkgs[n]; ok && p.Arch != "" && p.Arch != "all" {
			return p.Arch
		}
	}
	return "amd64"
}

func (rs *resolver) get(ctx context.Context, name, version, arch string) *opened {
	key := name + "_" + version + "_" + arch
	if o, ok := rs.open[key]; ok {
		return o
	}
	o := &opened{}
	rs.open[key] = o
	data, proof, err := rs.r.Fetch(ctx, name, version, arch)
	if err != nil {
		o.err = err
		return o
	}
	p, err := deb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		o.err = fmt.Errorf("%s: %w", proof.Deb, err)
		return o
	}
	ctl, _, err := p.Control("control")
	if err != nil {
		o.err = err
		return o
	}
	if deb.Field(ctl, "Package") != name || deb.Field(ctl, "Version") != version {
		o.err = fmt.Errorf("%s says it is %s %s, not %s %s", proof.Deb, deb.Field(ctl, "Package"), deb.Field(ctl, "Version"), name, version)
		return o
	}
	md5s, ok, err := p.Control("md5sums")
	if err != nil {
		o.err = err
		return o
	}
	if ok {
		o.sums = deb.Sums(md5s)
	}
	o.pkg, o.proof = p, proof
	return o
}

// planPackage restores a changed packaged file from the verified Debian package.
func (pl *planner) planPackage(ctx context.Context, p string, owner snapshot.PackageFile, fs []finding.Finding) {
	pkgName := owner.Package
	if i := strings.IndexByte(pkgName, ':'); i >= 0 {
		pkgName = pkgName[:i]
	}
	pk, ok := pl.pkgs[pkgName]
	if !ok {
		pl.manual(p, fs, "dpkg lists "+p+" as "+owner.Package+"'s, but the package is not installed", "")
		return
	}
	if pl.cur.Meta("host.os_id") != "" && !strings.Contains(pl.cur.Meta("host.os_id")+pl.cur.Meta("host.os_like"), "debian") {
		pl.manual(p, fs, "only Debian's archive keys are built in: give --keyring with your distribution's archive keys", "")
		return
	}
	arch := pk.Arch
	if arch == "" || arch == "all" {
		arch = pl.nativeArch()
	}
	rs, err := pl.debResolver()
	if err != nil {
		pl.manual(p, fs, "cannot verify packages: "+err.Error(), "")
		return
	}
	o := rs.get(ctx, pkgName, pk.Version, arch)
	if o.err != nil {
		s := &Step{Kind: StepPackage, Path: p, State: StateRefused, Change: []string{"nothing is written"},
			Reason: fmt.Sprintf("no verified copy of %s %s: %v. On a clean machine: apt-get download %s=%s, copy the .deb with the suite's InRelease and Packages files (from /var/lib/apt/lists) into a folder, and give it as --packages-from DIR",
				pkgName, pk.Version, o.err, pkgName, pk.Version)}
		pl.addStep(p, fs, s)
		return
	}
	var f *deb.File
	found := false
	for _, a := range aliases(owner.Path) {
		if f, found, err = o.pkg.Extract(a); err != nil || found {
			owner.Path = a
			break
		}
	}
	if err != nil || !found {
		why := "the package has no such file"
		if err != nil {
			why = err.Error()
		}
		pl.addStep(p, fs, &Step{Kind: StepPackage, Path: p, State: StateRefused, Reason: fmt.Sprintf("%s %s: %s", o.proof.Deb, owner.Path, why), Change: []string{"nothing is written"}})
		return
	}
	if f.Link != "" {
		pl.manual(p, fs, fmt.Sprintf("in the package %s is a link to %s: put the link back by hand (ln -sf %s %s)", owner.Path, f.Link, f.Link, p), "")
		return
	}
	want := o.sums[owner.Path]
	check := func(data []byte) error {
		if want == "" {
			return fmt.Errorf("%s: the package's md5sums has no line for %s: not restored", o.proof.Deb, owner.Path)
		}
		if f.MD5 != want {
			return fmt.Errorf("%s: %s in the package has MD5 %s, the package's md5sums says %s: not restored", o.proof.Deb, owner.Path, f.MD5, want)
		}
		return nil
	}
	mode, uid, gid := uint32(f.Mode), pl.hostID(catalog.Path("passwd"), f.Uname, f.UID), pl.hostID(catalog.Path("group"), f.Gname, f.GID)
	if so, ok := pl.statOverride(owner.Path); ok {
		mode, uid, gid = so.mode, so.uid, so.gid
	}
	src := fmt.Sprintf("from %s (SHA-256 %s, listed in %s of %s, whose InRelease is signed by %s, verified with %s); MD5 %s as the package's own md5sums says",
		o.proof.Deb, o.proof.SHA256, o.proof.Index, o.proof.Suite, o.proof.Signer, o.proof.Keyring, f.MD5)
	pl.addStep(p, fs, &Step{Kind: StepPackage, Path: p, Proof: o.proof,
		Kept: "the changed file, byte for byte, in the case's quarantine with its owner, mode and times",
		Undo: "the changed file comes back from the quarantine", Then: thenOf(p),
		action: Replace{Path: p, Data: f.Data, Mode: mode, UID: uid, GID: gid, Mtime: f.Mtime, Source: src, Case: pl.opt.CaseDir, Check: check}})
}

// planDigestList restores dpkg's md5sums list of a package from the verified package's own.
func (pl *planner) planDigestList(ctx context.Context, p string, fs []finding.Finding) {
	base := path.Base(p)
	name := strings.TrimSuffix(base, ".md5sums")
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	pk, ok := pl.pkgs[name]
	if !ok || !strings.HasSuffix(base, ".md5sums") {
		pl.manual(p, fs, "not a package's md5sums list nowwhat knows", "")
		return
	}
	arch := pk.Arch
	if arch == "" || arch == "all" {
		arch = pl.nativeArch()
	}
	rs, err := pl.debResolver()
	if err != nil {
		pl.manual(p, fs, "cannot verify packages: "+err.Error(), "")
		return
	}
	o := rs.get(ctx, name, pk.Version, arch)
	if o.err != nil {
		pl.addStep(p, fs, &Step{Kind: StepPackage, Path: p, State: StateRefused, Reason: o.err.Error(), Change: []string{"nothing is written"}})
		return
	}
	data, found, err := o.pkg.Control("md5sums")
	if err != nil || !found {
		pl.manual(p, fs, "the package has no md5sums", "")
		return
	}
	st, err := pl.env.FS.Lstat(p)
	if err != nil {
		pl.manual(p, fs, err.Error(), "")
		return
	}
	pl.addStep(p, fs, &Step{Kind: StepPackage, Path: p, Proof: o.proof, Kept: "the rewritten list in the case's quarantine",
		Undo: "the rewritten list comes back from the quarantine",
		action: Replace{Path: p, Data: data, Mode: st.Raw & 0o7777, UID: int(st.UID), GID: int(st.GID), Mtime: st.Mtime, Case: pl.opt.CaseDir,
			Source: fmt.Sprintf("the md5sums of %s (SHA-256 %s, verified through %s)", o.proof.Deb, o.proof.SHA256, o.proof.Release)}})
}

// hostID maps a package's owner name to the host's id (as dpkg does), or keeps the number.
func (pl *planner) hostID(file, name string, id int) int {
	if name == "" || name == "root" {
		if name == "root" {
			return 0
		}
		return id
	}
	data, err := pl.env.FS.ReadFile(file, 16<<20)
	if err != nil {
		return id
	}
	if f := fieldsOf(data, name); len(f) > 2 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			return n
		}
	}
	return id
}

type override struct {
	uid, gid int
	mode     uint32
}

// statOverride reads dpkg-statoverride's record for a path.
func (pl *planner) statOverride(p string) (override, bool) {
	data, err := pl.env.FS.ReadFile(catalog.Path("dpkg.statoverride"), 4<<20)
	if err != nil {
		return override{}, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[3] != p {
			continue
		}
		m, err := strconv.ParseUint(f[2], 8, 32)
		if err != nil {
			return override{}, false
		}
		return override{uid: pl.ownerID(catalog.Path("passwd"), f[0]), gid: pl.ownerID(catalog.Path("group"), f[1]), mode: uint32(m)}, true
	}
	return override{}, false
}

func (pl *planner) ownerID(file, s string) int {
	if strings.HasPrefix(s, "#") {
		n, _ := strconv.Atoi(s[1:])
		return n
	}
	return pl.hostID(file, s, 0)
}

// describe fills each step's exact change from its action's own plan (nothing changes).
func (pl *planner) describe() {
	for i := range pl.res.Steps {
		s := &pl.res.Steps[i]
		if s.action == nil || s.State != StatePlanned {
			continue
		}
		p, err := s.action.Prepare(pl.env)
		if err != nil {
			s.State, s.Reason = StateRefused, err.Error()
			continue
		}
		if p.Noop != "" {
			s.State, s.Reason = StateNothing, p.Noop
			continue
		}
		s.Change = p.What
		if s.Undo == "" {
			s.Undo = p.UndoHow
		}
	}
}

var _ contain.Action = Replace{}
var _ = time.Now
