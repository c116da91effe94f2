package packages

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver go-rpmdb opens rpmdb.sqlite with

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// rpmDBs are where rpm keeps its database, in the order tried: the first one found is read.
// Fedora keeps it under /usr/lib/sysimage/rpm with /var/lib/rpm a link to it; RHEL under
// /var/lib/rpm. rpmdb.sqlite (rpm >= 4.16), Packages.db (NDB, SUSE), Packages (Berkeley DB).
var rpmDBs = func() []string {
	var out []string
	for _, dir := range catalog.RecordedDirs("packages:rpm", false) {
		for _, name := range []string{"rpmdb.sqlite", "Packages.db", "Packages"} {
			out = append(out, dir+"/"+name)
		}
	}
	return out
}()

// errLinkedRPMDB is reported when the only rpm database found is reached through a link.
var errLinkedRPMDB = errors.New("rpm database reached through a symbolic link: not read (the reader opens by path and could be led out of the root)")

// findRPMDB returns the host path of the first rpm database that is a regular file reached
// without any symbolic link (go-rpmdb opens by path on the machine running nowwhat, outside
// hostfs, so a link could lead it out of the root). found is false when there is none.
func findRPMDB(fs *hostfs.FS) (db string, found bool, err error) {
	var linked string
	for _, p := range rpmDBs {
		ok, viaLink, lerr := plainPath(fs, p)
		if lerr != nil {
			if err == nil {
				err = lerr
			}
			continue
		}
		if ok {
			return p, true, nil
		}
		if viaLink && linked == "" {
			linked = p
		}
	}
	if err == nil && linked != "" {
		err = fmt.Errorf("%s: %w", linked, errLinkedRPMDB)
	}
	return "", false, err
}

// plainPath reports whether p is a regular file and no component of it is a symbolic link.
// viaLink is true when p is not plain but something exists there through a link.
func plainPath(fs *hostfs.FS, p string) (ok, viaLink bool, err error) {
	c := hostfs.Clean(p)
	for i := 1; i <= len(c); i++ {
		if i < len(c) && c[i] != '/' {
			continue
		}
		st, lerr := fs.Lstat(c[:i])
		if lerr != nil {
			if hostfs.IsNotExist(lerr) {
				return false, false, nil
			}
			return false, false, lerr
		}
		if st.IsSymlink() {
			if st2, serr := fs.Stat(c); serr == nil && st2.IsRegular() {
				return false, true, nil
			}
			return false, false, nil
		}
		if i == len(c) {
			return st.IsRegular(), false, nil
		}
	}
	return false, false, nil
}

// collectRPM reads the rpm database, if the host has one.
func (c Collector) collectRPM(ctx context.Context, env *probe.Env) {
	db, found, err := findRPMDB(env.FS)
	if err != nil {
		env.Problem(c, catalog.Dir("rpm"), err)
	}
	if !found {
		return
	}
	// The database file was checked just above to be a regular file reached without links.
	h, err := rpmdb.Open(env.FS.Local(db))
	if err != nil {
		env.Problem(c, db, fmt.Errorf("open rpm database: %w", err))
		return
	}
	defer h.Close()
	pkgs, err := h.ListPackages()
	if err != nil {
		env.Problem(c, db, fmt.Errorf("read rpm database: %w", err))
		return
	}
	canon := MergedUsr(env.FS)
	for _, p := range pkgs {
		if ctx.Err() != nil {
			return
		}
		emitRPM(env, c, db, p, canon)
	}
}

// rpmVersion is EPOCH:VERSION-RELEASE, without the epoch when it is 0 or absent.
func rpmVersion(p *rpmdb.PackageInfo) string {
	v := p.Version
	if p.Release != "" {
		v += "-" + p.Release
	}
	if p.EpochNum() != 0 {
		v = strconv.Itoa(p.EpochNum()) + ":" + v
	}
	return v
}

// rpmAlg names the package's file digest algorithm; rpm's default is MD5.
func rpmAlg(a rpmdb.DigestAlgorithm) string {
	switch a {
	case 0:
		return "md5"
	case rpmdb.PGPHASHALGO_MD5, rpmdb.PGPHASHALGO_SHA1, rpmdb.PGPHASHALGO_SHA256, rpmdb.PGPHASHALGO_SHA384,
		rpmdb.PGPHASHALGO_SHA512, rpmdb.PGPHASHALGO_SHA224, rpmdb.PGPHASHALGO_RIPEMD160:
		return a.String()
	}
	return "alg" + strconv.Itoa(int(a))
}

const (
	sIFMT  = 0o170000
	sIFREG = 0o100000
)

func emitRPM(env *probe.Env, c Collector, db string, p *rpmdb.PackageInfo, canon func(string) string) {
	env.Sink.Put(snapshot.Package{Manager: "rpm", Name: p.Name, Arch: p.Arch, Version: rpmVersion(p), Status: "installed"})
	files, err := p.InstalledFiles()
	if err != nil {
		env.Problem(c, db, fmt.Errorf("files of %s: %w", p.Name, err))
		return
	}
	alg := rpmAlg(p.DigestAlgorithm)
	for _, f := range files {
		known := len(p.FileModes) > 0
		if known && uint32(f.Mode)&sIFMT != sIFREG {
			continue
		}
		if !known && f.Digest == "" {
			continue
		}
		pf := snapshot.PackageFile{
			Path:     canon(hostfs.Clean(f.Path)),
			Manager:  "rpm",
			Package:  p.Name,
			Conffile: int32(f.Flags)&rpmdb.RPMFILE_CONFIG != 0,
		}
		if f.Digest != "" && int32(f.Flags)&rpmdb.RPMFILE_GHOST == 0 {
			pf.Alg, pf.Digest = alg, strings.ToLower(f.Digest)
		}
		env.Sink.Put(pf)
	}
}
