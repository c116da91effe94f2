package vulns

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/packages"
)

// Installed is one installed thing that records can name.
type Installed struct {
	Kind     string   `json:"kind"`    // deb, wordpress, wordpress-plugin, composer, npm
	Name     string   `json:"name"`    // the package as installed (binary package, plugin slug, ...)
	Version  string   `json:"version"` // as installed
	Key      Key      `json:"key"`     // what records are looked up under (Debian: the source package)
	Compare  string   `json:"compare"` // the version compared with the records (Debian: the source version)
	Where    string   `json:"where"`   // the file it was read from
	Binaries []string `json:"binaries,omitempty"`
}

// Inventory is what is installed on a host, for matching.
type Inventory struct {
	// Release is the Debian (or Ubuntu) release the packages are matched in: "Debian:12".
	Release    string      `json:"release"`
	Packages   []Installed `json:"packages"`
	NotCovered []string    `json:"not_covered,omitempty"`
}

// Limits of the inventory's reads.
const (
	statusLimit  = 256 << 20
	lockLimit    = 64 << 20
	webDepth     = 6
	webEntries   = 200_000
	pluginHeader = 8 << 10
)

// DefaultWebRoots are where web sites usually live; configured document roots are added.
var DefaultWebRoots = []string{catalog.Dir("www"), "/srv/www", "/srv/http", catalog.Dir("nginx.html")}

// ReadInventory lists the installed Debian packages (matched by their source package in the
// host's release) and the web applications under webRoots.
func ReadInventory(ctx context.Context, fsys *hostfs.FS, webRoots []string) *Inventory {
	inv := &Inventory{}
	inv.Release = Release(fsys)
	inv.readDpkg(fsys)
	seen := map[string]bool{}
	cnt := 0
	for _, root := range webRoots {
		root = hostfs.Clean(root)
		if seen[root] {
			continue
		}
		seen[root] = true
		inv.walkWeb(ctx, fsys, root, 0, &cnt, seen)
	}
	sort.SliceStable(inv.Packages, func(i, j int) bool {
		a, b := inv.Packages[i], inv.Packages[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return inv
}

// Release reads the host's release from os-release as an OSV ecosystem ("Debian:12"), or ""
// when it is not a numbered Debian release (testing, sid, another system).
func Release(fsys *hostfs.FS) string {
	var data []byte
	var err error
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if data, err = fsys.ReadFile(p, 64<<10); err == nil {
			break
		}
	}
	if err != nil {
		return ""
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			kv[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	id, ver := kv["ID"], kv["VERSION_ID"]
	if id != "debian" || ver == "" {
		return ""
	}
	if major, _, _ := strings.Cut(ver, "."); major != "" {
		ver = major
	}
	return "Debian:" + ver
}

func (inv *Inventory) readDpkg(fsys *hostfs.FS) {
	f, err := fsys.Open(catalog.Path("dpkg.status"))
	if err != nil {
		if !hostfs.IsNotExist(err) {
			inv.NotCovered = append(inv.NotCovered, "Debian packages: "+err.Error())
		}
		return
	}
	defer f.Close()
	if inv.Release == "" {
		inv.NotCovered = append(inv.NotCovered, "Debian packages: the release could not be read from os-release (not a numbered Debian release), so no package was matched: without the release, matches are false alarms")
	}
	type src struct{ name, version string }
	idx := map[src]int{}
	bad := 0
	err = packages.ParseDpkgStatus(&limitedReader{f, statusLimit}, func(p packages.DpkgPackage) {
		if p.State() != "installed" && p.State() != "half-configured" && p.State() != "unpacked" {
			return
		}
		name, ver := p.SourceName()
		s := src{name, ver}
		if i, ok := idx[s]; ok {
			inv.Packages[i].Binaries = append(inv.Packages[i].Binaries, p.Name)
			return
		}
		if inv.Release == "" {
			return
		}
		idx[s] = len(inv.Packages)
		inv.Packages = append(inv.Packages, Installed{Kind: "deb", Name: p.Name, Version: p.Version, Key: Key{inv.Release, name},
			Compare: ver, Where: catalog.Path("dpkg.status"), Binaries: []string{p.Name}})
	}, func(packages.LineError) { bad++ })
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, "Debian packages: "+err.Error())
	}
	if bad > 0 {
		inv.NotCovered = append(inv.NotCovered, fmt.Sprintf("Debian packages: %d lines of /var/lib/dpkg/status could not be read", bad))
	}
}

type limitedReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("file larger than %d bytes: read only the beginning", statusLimit)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// walkWeb looks for web applications under dir, without following links, to a bounded depth.
func (inv *Inventory) walkWeb(ctx context.Context, fsys *hostfs.FS, dir string, depth int, cnt *int, seen map[string]bool) {
	if depth > webDepth || ctx.Err() != nil {
		return
	}
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		if depth == 0 && !hostfs.IsNotExist(err) {
			inv.NotCovered = append(inv.NotCovered, "web applications under "+dir+": "+err.Error())
		}
		return
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name] = true
	}
	if names["wp-includes"] {
		inv.wordpress(fsys, dir)
	}
	if names["composer.lock"] {
		inv.composer(fsys, path.Join(dir, "composer.lock"))
	}
	if names["package-lock.json"] {
		inv.npm(fsys, path.Join(dir, "package-lock.json"))
	}
	for _, e := range ents {
		*cnt++
		if *cnt > webEntries {
			inv.NotCovered = append(inv.NotCovered, fmt.Sprintf("web applications: more than %d entries under the web roots; the rest was not looked at", webEntries))
			return
		}
		if e.Type != "dir" || e.Name == "node_modules" || e.Name == "vendor" || e.Name == ".git" || e.Name == "wp-content" && names["wp-includes"] {
			continue
		}
		p := path.Join(dir, e.Name)
		if seen[p] {
			continue
		}
		seen[p] = true
		inv.walkWeb(ctx, fsys, p, depth+1, cnt, seen)
	}
}

var (
	wpVersionRe     = regexp.MustCompile(`\$wp_version\s*=\s*['"]([^'"]{1,40})['"]`)
	pluginVersionRe = regexp.MustCompile(`(?m)^[ \t/*#@]*Version:\s*([0-9][^\s*]{0,40})`)
	stableTagRe     = regexp.MustCompile(`(?mi)^\s*Stable tag:\s*([0-9][^\s]{0,40})`)
)

// WordPress core is published on Packagist as these packages; plugins as wpackagist-plugin/SLUG
// (the names composer-managed sites use). OSV data covers few of them: an unmatched plugin is
// listed, not judged safe.
var wordpressCore = []string{"roots/wordpress", "johnpbloch/wordpress-core"}

func (inv *Inventory) wordpress(fsys *hostfs.FS, dir string) {
	vp := path.Join(dir, "wp-includes/version.php")
	data, err := fsys.ReadFile(vp, 256<<10)
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, "WordPress at "+dir+": "+err.Error())
		return
	}
	m := wpVersionRe.FindSubmatch(data)
	if m == nil {
		inv.NotCovered = append(inv.NotCovered, "WordPress at "+dir+": no $wp_version in wp-includes/version.php")
		return
	}
	ver := string(m[1])
	for _, name := range wordpressCore {
		inv.Packages = append(inv.Packages, Installed{Kind: "wordpress", Name: "wordpress", Version: ver, Key: Key{"Packagist", name}, Compare: ver, Where: vp})
	}
	pdir := path.Join(dir, "wp-content/plugins")
	for _, slug := range fsys.ReadDirNames(pdir) {
		if len(inv.Packages) > 100_000 {
			return
		}
		pd := path.Join(pdir, slug)
		if st, err := fsys.Lstat(pd); err != nil || !st.Mode.IsDir() {
			continue
		}
		ver, where := pluginVersion(fsys, pd, slug)
		if ver == "" {
			inv.NotCovered = append(inv.NotCovered, "WordPress plugin "+slug+": no version found")
			continue
		}
		inv.Packages = append(inv.Packages, Installed{Kind: "wordpress-plugin", Name: slug, Version: ver, Key: Key{"Packagist", "wpackagist-plugin/" + slug}, Compare: ver, Where: where})
	}
}

// pluginVersion reads a plugin's version from its main file's header (the file named after
// the plugin first), else from readme.txt's Stable tag.
func pluginVersion(fsys *hostfs.FS, dir, slug string) (string, string) {
	cands := []string{slug + ".php"}
	for _, n := range fsys.ReadDirNames(dir) {
		if strings.HasSuffix(n, ".php") && n != slug+".php" && len(cands) < 20 {
			cands = append(cands, n)
		}
	}
	for _, n := range cands {
		p := path.Join(dir, n)
		data, err := fsys.ReadFile(p, pluginHeader)
		if err != nil && len(data) == 0 {
			continue
		}
		if !bytes.Contains(data, []byte("Plugin Name:")) {
			continue
		}
		if m := pluginVersionRe.FindSubmatch(data); m != nil {
			return string(m[1]), p
		}
	}
	p := path.Join(dir, "readme.txt")
	if data, _ := fsys.ReadFile(p, 64<<10); len(data) > 0 {
		if m := stableTagRe.FindSubmatch(data); m != nil {
			return string(m[1]), p
		}
	}
	return "", ""
}

func (inv *Inventory) composer(fsys *hostfs.FS, p string) {
	data, err := fsys.ReadFile(p, lockLimit)
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, p+": "+err.Error())
		return
	}
	pkgs, err := ParseComposerLock(data)
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, p+": "+err.Error())
		return
	}
	for _, x := range pkgs {
		inv.Packages = append(inv.Packages, Installed{Kind: "composer", Name: x[0], Version: x[1], Key: Key{"Packagist", x[0]}, Compare: x[1], Where: p})
	}
}

func (inv *Inventory) npm(fsys *hostfs.FS, p string) {
	data, err := fsys.ReadFile(p, lockLimit)
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, p+": "+err.Error())
		return
	}
	pkgs, err := ParsePackageLock(data)
	if err != nil {
		inv.NotCovered = append(inv.NotCovered, p+": "+err.Error())
		return
	}
	for _, x := range pkgs {
		inv.Packages = append(inv.Packages, Installed{Kind: "npm", Name: x[0], Version: x[1], Key: Key{"npm", x[0]}, Compare: x[1], Where: p})
	}
}

// ParseComposerLock lists the packages (name, version) of a composer.lock, development ones
// included.
func ParseComposerLock(data []byte) ([][2]string, error) {
	var lock struct {
		Packages []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"packages"`
		Dev []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("not a composer.lock: %w", err)
	}
	var out [][2]string
	for _, p := range append(lock.Packages, lock.Dev...) {
		if p.Name != "" && p.Version != "" {
			out = append(out, [2]string{p.Name, strings.TrimPrefix(p.Version, "v")})
		}
	}
	return out, nil
}

// ParsePackageLock lists the packages (name, version) of an npm package-lock.json, versions 1
// (nested dependencies) to 3 (the packages map), each name and version once.
func ParsePackageLock(data []byte) ([][2]string, error) {
	var lock struct {
		Packages map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Link    bool   `json:"link"`
		} `json:"packages"`
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("not a package-lock.json: %w", err)
	}
	seen := map[[2]string]bool{}
	var out [][2]string
	add := func(name, ver string) {
		k := [2]string{name, ver}
		if name != "" && ver != "" && !seen[k] && len(out) < 1_000_000 {
			seen[k] = true
			out = append(out, k)
		}
	}
	for p, v := range lock.Packages {
		if p == "" || v.Link {
			continue
		}
		name := v.Name
		if i := strings.LastIndex(p, "node_modules/"); i >= 0 {
			name = p[i+len("node_modules/"):]
		}
		add(name, v.Version)
	}
	if len(lock.Packages) == 0 {
		var walk func(deps map[string]json.RawMessage, depth int)
		walk = func(deps map[string]json.RawMessage, depth int) {
			if depth > 64 {
				return
			}
			for name, raw := range deps {
				var d struct {
					Version      string                     `json:"version"`
					Dependencies map[string]json.RawMessage `json:"dependencies"`
				}
				if json.Unmarshal(raw, &d) != nil {
					continue
				}
				add(name, d.Version)
				walk(d.Dependencies, depth+1)
			}
		}
		walk(lock.Dependencies, 0)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] || out[i][0] == out[j][0] && out[i][1] < out[j][1] })
	return out, nil
}
