package wseval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Package is one Debian package of the benign set, pinned to the version measured.
type Package struct{ Name, Version string }

// BenignPackages are the real web applications and admin tools the false alarms are measured
// on: Debian 12's WordPress, MediaWiki, Roundcube (core and plugins), DokuWiki, the Laravel
// framework, phpMyAdmin, Adminer and Tomcat's example JSPs. A security update may replace a
// pinned version in the archive: Fetch then takes the current one and says so.
var BenignPackages = []Package{
	{"adminer", "4.8.1-1"},
	{"dokuwiki", "0.0.20220731.a-2"},
	{"mediawiki", "1:1.39.17-1+deb12u2"},
	{"php-laravel-framework", "8.83.26+dfsg-2"},
	{"phpmyadmin", "4:5.2.1+dfsg-1+deb12u1"},
	{"roundcube-core", "1.6.5+dfsg-1+deb12u14"},
	{"roundcube-plugins", "1.6.5+dfsg-1+deb12u14"},
	{"tomcat10-examples", "10.1.60-1~deb12u1"},
	{"wordpress", "6.1.9+dfsg1-0+deb12u1"},
	// admin tools and applications in PHP
	{"cacti", "1.2.24+ds1-1+deb12u5"},
	{"gosa", "2.8~git20230203.10abe45+dfsg-1+deb12u2"},
	{"icingaweb2", "2.11.4-2+deb12u1"},
	{"php-horde", "5.2.23+debian0-6"},
	{"php-horde-imp", "6.2.27-3"},
	{"postfixadmin", "3.3.13-1+deb12u1"},
	{"tt-rss", "21~git20210204.b4cbc79+dfsg-1.2"},
	// CGI scripts in Perl
	{"awstats", "7.8-3+deb12u2"},
	{"dwww", "1.15"},
	{"gitweb", "1:2.39.5-0+deb12u3"},
	{"munin", "2.0.73-1"},
	{"smokeping", "2.7.3-4.1"},
	// Tomcat's own admin pages (JSP)
	{"tomcat10-admin", "10.1.60-1~deb12u1"},
}

// ToolPackages are the benign packages that are admin tools: their files that read as alarms
// by their code alone are recognized as known releases (internal/detect/webshell/known.tsv,
// written by `go run ./bench/webshell-eval -write-known FILE`).
var ToolPackages = map[string]bool{"adminer": true, "phpmyadmin": true, "php-horde": true}

// DebVersion returns the version in a .deb file name (name_version_arch.deb).
func DebVersion(deb string) string {
	f := strings.Split(strings.TrimSuffix(deb, ".deb"), "_")
	if len(f) < 3 {
		return ""
	}
	return strings.ReplaceAll(f[1], "%3a", ":")
}

// Fetched is a package unpacked in the cache.
type Fetched struct {
	Package
	Deb  string // the .deb file name actually fetched (its version may be newer than pinned)
	Root string // where dpkg-deb -x unpacked it
}

// Installed says how a benign file sits on disk: what a host would tell about it.
type Installed struct {
	Package string // the Debian package that ships it
	Mode    string // ModePackage or ModeWebRoot
	Path    string // the file on disk
	AppRoot string // the package's tree, or its copy in the web root
	ModTime time.Time
	Change  time.Time // ctime
	UID     uint32
	// Digest is the SHA-256 the package's own file list gives for this path: what the host's
	// package database knows (ModePackage only; "" in the web root, where no package owns it).
	Digest string
}

// Installation modes of the benign set.
const (
	ModePackage = "package" // unpacked where the package puts it, known to the package database
	ModeWebRoot = "webroot" // the package's tree copied into a web root, archive times kept, no package owning it
)

// CacheDir is where the fetched packages and the web root are kept between runs
// ($NOWWHAT_BENIGN_CACHE, or a folder under the temporary folder).
func CacheDir() string {
	if d := os.Getenv("NOWWHAT_BENIGN_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "nowwhat-webshell-eval")
}

// Fetch makes sure each package is unpacked under cache/<name>_<version>/root, downloading it
// with apt-get download (Debian's signed archive checks the file) and unpacking it with
// dpkg-deb -x when missing. When the pinned version is gone from the archive it takes the
// current one and says so in notes. Any failure is an error: the benign side is never
// silently left out.
func Fetch(ctx context.Context, pkgs []Package, cache string) (out []Fetched, notes []string, err error) {
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, nil, fmt.Errorf("%s is needed to fetch the benign packages (Debian's archive): %w", tool, err)
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, nil, fmt.Errorf("make cache folder: %w", err)
	}
	for _, p := range pkgs {
		dir := filepath.Join(cache, p.Name+"_"+safeVersion(p.Version))
		f := Fetched{Package: p, Root: filepath.Join(dir, "root")}
		if b, err := os.ReadFile(filepath.Join(dir, ".done")); err == nil {
			f.Deb = strings.TrimSpace(string(b))
			if !strings.Contains(f.Deb, "_"+safeVersion(p.Version)+"_") {
				notes = append(notes, fmt.Sprintf("%s %s is gone from the archive; %s was used", p.Name, p.Version, f.Deb))
			}
			out = append(out, f)
			continue
		}
		deb, note, err := download(ctx, p, cache)
		if err != nil {
			return out, notes, err
		}
		if note != "" {
			notes = append(notes, note)
		}
		tmp, err := os.MkdirTemp(cache, "x-")
		if err != nil {
			return out, notes, fmt.Errorf("make unpack folder: %w", err)
		}
		if err := run(ctx, tmp, "dpkg-deb", "-x", deb, filepath.Join(tmp, "root")); err != nil {
			os.RemoveAll(tmp)
			return out, notes, fmt.Errorf("dpkg-deb -x %s: %w", filepath.Base(deb), err)
		}
		os.RemoveAll(dir)
		if err := os.Chmod(tmp, 0o755); err != nil {
			os.RemoveAll(tmp)
			return out, notes, fmt.Errorf("keep unpacked %s: %w", p.Name, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.RemoveAll(tmp)
			return out, notes, fmt.Errorf("keep unpacked %s: %w", p.Name, err)
		}
		f.Deb = filepath.Base(deb)
		os.Remove(deb)
		if err := os.WriteFile(filepath.Join(dir, ".done"), []byte(f.Deb+"\n"), 0o644); err != nil {
			return out, notes, fmt.Errorf("mark cache: %w", err)
		}
		out = append(out, f)
	}
	return out, notes, nil
}

// download fetches one .deb into cache and returns its path.
func download(ctx context.Context, p Package, cache string) (deb, note string, err error) {
	dl, err := os.MkdirTemp(cache, "dl-")
	if err != nil {
		return "", "", fmt.Errorf("make download folder: %w", err)
	}
	defer os.RemoveAll(dl)
	if err := run(ctx, dl, "apt-get", "download", "-q", p.Name+"="+p.Version); err != nil {
		if err2 := run(ctx, dl, "apt-get", "download", "-q", p.Name); err2 != nil {
			return "", "", fmt.Errorf("apt-get download %s (run apt-get update first; Debian's mirror must be reachable): %w", p.Name, err)
		}
		note = fmt.Sprintf("%s %s is gone from the archive; the current version was used", p.Name, p.Version)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, p.Name+"_*.deb"))
	if len(debs) == 0 {
		return "", "", fmt.Errorf("apt-get download %s: no .deb", p.Name)
	}
	keep := filepath.Join(cache, filepath.Base(debs[0]))
	if err := os.Rename(debs[0], keep); err != nil {
		return "", "", fmt.Errorf("keep %s: %w", filepath.Base(debs[0]), err)
	}
	return keep, note, nil
}

func safeVersion(v string) string { return strings.ReplaceAll(v, ":", "%3a") }

func run(ctx context.Context, dir, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// webExt are the files a web-content scan looks at in a web root (the executable extensions,
// text, images that polyglots hide in, and files without an extension).
var webExt = map[string]bool{".php": true, ".phtml": true, ".php3": true, ".php4": true, ".php5": true, ".php7": true,
	".phar": true, ".pht": true, ".inc": true, ".jsp": true, ".jspx": true, ".jspf": true, ".asp": true, ".aspx": true,
	".ashx": true, ".asmx": true, ".cer": true, ".cgi": true, ".pl": true, ".py": true, ".rb": true, ".cfm": true,
	".cfml": true, ".shtml": true, ".txt": true, ".gif": true, ".jpg": true, ".jpeg": true, ".png": true, ".ico": true, "": true}

// WebFile reports whether a file of this name is looked at in a web root.
func WebFile(name string) bool { return webExt[strings.ToLower(path.Ext(name))] }

// InstallWebRoot copies every package's tree into webroot/<name>/ the way an admin deploys a
// release archive (cp -a, tar x, rsync -a): the files keep the archive's modification times,
// their change times are today. Links and special files are left out. A web root already
// complete for the same packages is kept.
func InstallWebRoot(fetched []Fetched, webroot string) error {
	var stamp strings.Builder
	for _, f := range fetched {
		stamp.WriteString(f.Deb + "\n")
	}
	if b, err := os.ReadFile(webroot + ".done"); err == nil && string(b) == stamp.String() {
		return nil
	}
	if err := os.RemoveAll(webroot); err != nil {
		return fmt.Errorf("clear web root: %w", err)
	}
	for _, f := range fetched {
		dst := filepath.Join(webroot, f.Name)
		err := filepath.WalkDir(f.Root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(f.Root, p)
			to := filepath.Join(dst, rel)
			switch {
			case d.IsDir():
				return os.MkdirAll(to, 0o755)
			case !d.Type().IsRegular() || !WebFile(d.Name()):
				return nil
			}
			return copyKeepTimes(p, to)
		})
		if err != nil {
			return fmt.Errorf("copy %s into the web root: %w", f.Name, err)
		}
		// folders last, so copying files into them does not change their times
		err = filepath.WalkDir(f.Root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(f.Root, p)
			return os.Chtimes(filepath.Join(dst, rel), st.ModTime(), st.ModTime())
		})
		if err != nil {
			return fmt.Errorf("keep folder times of %s: %w", f.Name, err)
		}
	}
	return os.WriteFile(webroot+".done", []byte(stamp.String()), 0o644)
}

func copyKeepTimes(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(to, st.ModTime(), st.ModTime())
}

// LoadBenign reads the web files of the fetched packages as installed in one mode: under each
// package's unpacked tree (ModePackage, with the package's digest of each file) or under its
// copy in webroot (ModeWebRoot). Class is the package name.
func LoadBenign(fetched []Fetched, mode, webroot string) ([]Sample, error) {
	var out []Sample
	for _, f := range fetched {
		root := f.Root
		if mode == ModeWebRoot {
			root = filepath.Join(webroot, f.Name)
		}
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() || !WebFile(d.Name()) {
				return nil
			}
			b, err := readLimited(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			digest := hex.EncodeToString(sum[:])
			inst := &Installed{Package: f.Name, Mode: mode, Path: p, AppRoot: root}
			if mode == ModePackage {
				inst.Digest = digest // dpkg-deb -x wrote exactly the package's file
			}
			if fi, err := os.Lstat(p); err == nil {
				inst.ModTime = fi.ModTime()
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					inst.Change = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
					inst.UID = st.Uid
				}
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, Sample{Path: f.Name + "/" + filepath.ToSlash(rel), Class: f.Name, SHA256: digest, Content: b, Installed: inst})
			n++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s (%s): %w", f.Name, mode, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("%s (%s): no web files under %s", f.Name, mode, root)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Host is what a host would tell about a file besides its bytes (see webshell.Context).
type Host struct {
	Package                  string // the package that knows this very content ("" when none)
	ModTime, ChangeTime      time.Time
	AppChangeTime            time.Time // the change time of the application's files
	Owner, AppOwner, WebUser uint32
	HasOwner                 bool
}

// webUID is the web server's account on Debian (www-data).
const webUID = 33

// HostOf returns what the host knows of a benign file as installed: in the package's tree the
// package knows it; in the web root nothing does, and its application's change time is the
// copy's (the median of the package's copied files).
func HostOf(s Sample, appChange map[string]time.Time) Host {
	in := s.Installed
	if in == nil {
		return Host{}
	}
	h := Host{ModTime: in.ModTime, ChangeTime: in.Change, AppChangeTime: appChange[in.Package], Owner: in.UID, AppOwner: 0, WebUser: webUID, HasOwner: true}
	if in.Mode == ModePackage && in.Digest != "" {
		h.Package = in.Package
	}
	return h
}

// AppChangeTimes returns each package's median change time over its files.
func AppChangeTimes(benign []Sample) map[string]time.Time {
	by := map[string][]time.Time{}
	for _, s := range benign {
		if s.Installed != nil {
			by[s.Installed.Package] = append(by[s.Installed.Package], s.Installed.Change)
		}
	}
	out := map[string]time.Time{}
	for p, ts := range by {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		out[p] = ts[len(ts)/2]
	}
	return out
}

// Planted is what the host tells about a web shell planted in a web root: written by the web
// server's account (an upload through the application) three days after the application was
// deployed, keeping no package's digest.
func Planted(deployed time.Time) Host {
	return Host{ModTime: deployed.Add(72 * time.Hour), ChangeTime: deployed.Add(72 * time.Hour), AppChangeTime: deployed, Owner: webUID, AppOwner: 0, WebUser: webUID, HasOwner: true}
}
