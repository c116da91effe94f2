package packages

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func run(t *testing.T, r *fixture.Root) *probe.Recorder {
	t.Helper()
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	rec := &probe.Recorder{}
	env := &probe.Env{FS: fs, Sink: rec}
	if err := (Collector{}).Collect(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	return rec
}

// baseCounts are the packages and package files of the plain Debian fixture.
func baseCounts(t *testing.T) (pkgs, files int) {
	rec := run(t, fixture.Debian(t))
	return len(probe.Of[snapshot.Package](rec)), len(probe.Of[snapshot.PackageFile](rec))
}

func TestCollectDpkg(t *testing.T) {
	basePkgs, baseFiles := baseCounts(t)
	r := fixture.Debian(t)
	// A Multi-Arch: same library, a removed package with its conffiles left, a package without
	// md5sums, an obsolete and a new conffile, and a malformed md5sums line.
	r.Append("/var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9+deb12u4\n"+
		"Description: GNU C Library\n\n"+
		"Package: telnetd\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.17-44\n"+
		"Conffiles:\n /etc/inetd.d/telnet "+md5hex("telnet")+"\n /etc/old.conf "+md5hex("old")+" obsolete\n\n"+
		"Package: meta\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n"+
		"Conffiles:\n /etc/meta.conf newconffile\n\n")
	r.File("/var/lib/dpkg/info/libc6:amd64.md5sums", md5hex("libc")+"  usr/lib/x86_64-linux-gnu/libc.so.6\n", 0o644)
	r.Append("/var/lib/dpkg/info/passwd.md5sums", "not a line\n")
	rec := run(t, r)

	pkgs := map[string]snapshot.Package{}
	for _, p := range probe.Of[snapshot.Package](rec) {
		pkgs[p.Name] = p
	}
	wantPkgs := []snapshot.Package{
		{Manager: "dpkg", Name: "coreutils", Arch: "amd64", Version: "9.1-1", Status: "installed"},
		{Manager: "dpkg", Name: "openssh-server", Arch: "amd64", Version: "1:9.2p1-2+deb12u3", Status: "installed"},
		{Manager: "dpkg", Name: "libc6", Arch: "amd64", Version: "2.36-9+deb12u4", Status: "installed"},
		{Manager: "dpkg", Name: "telnetd", Arch: "amd64", Version: "0.17-44", Status: "config-files"},
		{Manager: "dpkg", Name: "meta", Arch: "all", Version: "1", Status: "installed"},
	}
	for _, w := range wantPkgs {
		if pkgs[w.Name] != w {
			t.Errorf("package %s: got %+v, want %+v", w.Name, pkgs[w.Name], w)
		}
	}
	if len(pkgs) != basePkgs+3 {
		t.Errorf("%d packages, want %d: %v", len(pkgs), basePkgs+3, pkgs)
	}

	files := map[string]snapshot.PackageFile{}
	for _, f := range probe.Of[snapshot.PackageFile](rec) {
		if _, dup := files[f.Path]; dup {
			t.Errorf("duplicate %s", f.Path)
		}
		files[f.Path] = f
	}
	wantFiles := []snapshot.PackageFile{
		{Path: "/usr/bin/ls", Manager: "dpkg", Package: "coreutils", Alg: "md5", Digest: md5hex("\x7fELF fake ls binary\n")},
		{Path: "/usr/sbin/sshd", Manager: "dpkg", Package: "openssh-server", Alg: "md5", Digest: md5hex("\x7fELF fake sshd binary\n")},
		{Path: "/etc/ssh/moduli", Manager: "dpkg", Package: "openssh-server", Alg: "md5", Digest: md5hex("# moduli\n"), Conffile: true},
		{Path: "/usr/bin/passwd", Manager: "dpkg", Package: "passwd", Alg: "md5", Digest: md5hex("\x7fELF fake passwd\n")},
		{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Manager: "dpkg", Package: "libc6", Alg: "md5", Digest: md5hex("libc")},
		{Path: "/etc/inetd.d/telnet", Manager: "dpkg", Package: "telnetd", Alg: "md5", Digest: md5hex("telnet"), Conffile: true},
		{Path: "/etc/old.conf", Manager: "dpkg", Package: "telnetd", Conffile: true},
		{Path: "/etc/meta.conf", Manager: "dpkg", Package: "meta", Conffile: true},
	}
	for _, w := range wantFiles {
		if files[w.Path] != w {
			t.Errorf("file %s: got %+v, want %+v", w.Path, files[w.Path], w)
		}
	}
	// The fixture's files, plus libc + 2 telnetd + meta.
	if len(files) != baseFiles+4 {
		t.Errorf("%d package files, want %d", len(files), baseFiles+4)
	}
	if len(rec.Problems) != 1 || rec.Problems[0].Path != "/var/lib/dpkg/info/passwd.md5sums" || !strings.Contains(rec.Problems[0].Error, "malformed") {
		t.Errorf("problems: %+v", rec.Problems)
	}
}

func TestCollectNoDatabases(t *testing.T) {
	r := fixture.New(t).File("/etc/hostname", "x\n", 0o644)
	rec := run(t, r)
	if len(rec.Records) != 0 || len(rec.Problems) != 0 {
		t.Fatalf("records %v problems %v", rec.Records, rec.Problems)
	}
}

func TestCollectUnreadable(t *testing.T) {
	// A FIFO where an md5sums file should be is never opened, and is reported; so is an
	// unreadable one (when not running as root).
	r := fixture.Debian(t).Remove("/var/lib/dpkg/info/passwd.md5sums")
	if err := syscall.Mkfifo(r.Path("/var/lib/dpkg/info/passwd.md5sums"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"/var/lib/dpkg/info/passwd.md5sums"}
	if os.Geteuid() != 0 {
		r.Chmod("/var/lib/dpkg/info/coreutils.md5sums", 0)
		want = append(want, "/var/lib/dpkg/info/coreutils.md5sums")
	}
	rec := run(t, r)
	for _, w := range want {
		found := false
		for _, p := range rec.Problems {
			found = found || p.Path == w
		}
		if !found {
			t.Errorf("no problem for %s: %+v", w, rec.Problems)
		}
	}
	if basePkgs, _ := baseCounts(t); len(probe.Of[snapshot.Package](rec)) != basePkgs {
		t.Errorf("%d packages, want %d", len(probe.Of[snapshot.Package](rec)), basePkgs)
	}
}

func TestCollectTooManyBadLines(t *testing.T) {
	_, baseFiles := baseCounts(t)
	r := fixture.Debian(t)
	r.Append("/var/lib/dpkg/info/coreutils.md5sums", strings.Repeat("junk\n", 20))
	rec := run(t, r)
	if len(rec.Problems) != maxBadLines+1 {
		t.Fatalf("%d problems, want %d: %+v", len(rec.Problems), maxBadLines+1, rec.Problems)
	}
	if !strings.Contains(rec.Problems[maxBadLines].Error, "15 more") {
		t.Errorf("last problem: %+v", rec.Problems[maxBadLines])
	}
	if n := len(probe.Of[snapshot.PackageFile](rec)); n != baseFiles {
		t.Errorf("%d package files, want %d", n, baseFiles)
	}
}

func TestCollectCancelled(t *testing.T) {
	fs, err := hostfs.Open(fixture.Debian(t).Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = (Collector{}).Collect(ctx, &probe.Env{FS: fs, Sink: &probe.Recorder{}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}
