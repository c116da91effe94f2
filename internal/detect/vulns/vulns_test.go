package vulns

import (
	"archive/zip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// OSVZip writes the records of testdata/osv/ECO into dir/ECO/all.zip, as osv.dev lays it out.
func osvDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ecos, err := os.ReadDir("testdata/osv")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ecos {
		if !e.IsDir() {
			continue
		}
		os.MkdirAll(filepath.Join(dir, e.Name()), 0o755)
		f, err := os.Create(filepath.Join(dir, e.Name(), "all.zip"))
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		recs, _ := filepath.Glob(filepath.Join("testdata/osv", e.Name(), "*.json"))
		for _, r := range recs {
			data, err := os.ReadFile(r)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := zw.Create(filepath.Base(r))
			w.Write(data)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

func scan(t *testing.T, r *fixture.Root, osv string) *Result {
	t.Helper()
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	inv := ReadInventory(context.Background(), fsys, DefaultWebRoots)
	db, err := Load(osv, inv.Wanted())
	if err != nil {
		t.Fatal(err)
	}
	return MatchAll(db, inv)
}

func ids(res *Result) map[string]Match {
	out := map[string]Match{}
	for _, m := range res.Matches {
		for _, c := range m.CVEs {
			out[c] = m
		}
	}
	return out
}

// TestRegreSSHion: an openssh below the bookworm fix in the dpkg status is named with
// CVE-2024-6387, through its source package, and the DSA and the DEBIAN-CVE record fold into one.
func TestRegreSSHion(t *testing.T) {
	osv := osvDir(t)
	r := fixture.Debian(t)
	r.Source("openssh-server", "1:9.2p1-2+deb12u2", "openssh")
	r.Source("openssh-client", "1:9.2p1-2+deb12u2", "openssh")
	res := scan(t, r, osv)
	m, ok := ids(res)["CVE-2024-6387"]
	if !ok {
		t.Fatalf("CVE-2024-6387 not named: %+v", res)
	}
	if m.ID != "DSA-5724-1" || m.Fixed != "1:9.2p1-2+deb12u3" || m.Package.Key != (Key{"Debian:12", "openssh"}) {
		t.Errorf("match %+v", m)
	}
	if len(m.Records) != 1 || m.Records[0] != "DEBIAN-CVE-2024-6387" {
		t.Errorf("the two records of the flaw are not folded: %v", m.Records)
	}
	if strings.Join(m.Package.Binaries, ",") != "openssh-client,openssh-server" {
		t.Errorf("binaries %v", m.Package.Binaries)
	}
	n := 0
	for _, x := range res.Matches {
		if contains(x.CVEs, "CVE-2024-6387") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("CVE-2024-6387 reported %d times", n)
	}
	// At the fixed version, nothing.
	r.Source("openssh-server", "1:9.2p1-2+deb12u3", "openssh")
	r.Source("openssh-client", "1:9.2p1-2+deb12u3", "openssh")
	if _, ok := ids(scan(t, r, osv))["CVE-2024-6387"]; ok {
		t.Error("the fixed version is reported vulnerable")
	}
}

// TestReleaseScoped: bullseye's openssh (8.4p1) is older than bookworm's fix but bullseye was
// never affected; matching without the release would report it (osv.dev's known false
// positive). Without a readable release nothing is matched, and that is said.
func TestReleaseScoped(t *testing.T) {
	osv := osvDir(t)
	r := fixture.Debian(t)
	r.File("/usr/lib/os-release", "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n", 0o644)
	r.Source("openssh-server", "1:8.4p1-5+deb11u3", "openssh")
	res := scan(t, r, osv)
	if _, ok := ids(res)["CVE-2024-6387"]; ok {
		t.Fatalf("bullseye's openssh reported with bookworm's record: %+v", res.Matches)
	}
	r.Source("libc6", "2.31-13+deb11u6", "glibc")
	if _, ok := ids(scan(t, r, osv))["CVE-2023-4911"]; !ok {
		t.Error("bullseye's own glibc record not applied")
	}
	r.File("/usr/lib/os-release", "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n", 0o644)
	res = scan(t, r, osv)
	if len(res.Matches) != 0 || !strings.Contains(strings.Join(res.NotCovered, " "), "release could not be read") {
		t.Errorf("no release: matches %v, not covered %v", res.Matches, res.NotCovered)
	}
}

// TestTrackerView: three DSAs, each checked at versions around the fix as the Debian Security
// Tracker states them for bookworm (fixed from the listed version on). The versions are where
// a shortcut goes wrong: "+deb12u10" after "+deb12u3" (numbers, not text), "~deb12u2" before
// the plain upload (tilde), epochs, and binNMUs (+b1) matched through their source version.
func TestTrackerView(t *testing.T) {
	osv := osvDir(t)
	tests := []struct {
		bin, src, version, source, cve string
		vulnerable                     bool
	}{
		{"openssh-server", "openssh", "1:9.2p1-2+deb12u2", "", "CVE-2024-6387", true},
		{"openssh-server", "openssh", "1:9.2p1-2+deb12u3", "", "CVE-2024-6387", false},
		{"openssh-server", "openssh", "1:9.2p1-2+deb12u10", "", "CVE-2024-6387", false},
		{"openssh-server", "openssh", "1:9.2p1-2", "", "CVE-2024-6387", true},
		{"openssh-server", "openssh", "9.9p1-1", "", "CVE-2024-6387", true}, // no epoch: older than any 1:
		{"libc6", "glibc", "2.36-9+deb12u2", "", "CVE-2023-4911", true},
		{"libc6", "glibc", "2.36-9+deb12u3", "", "CVE-2023-4911", false},
		{"libc6", "glibc", "2.36-9+deb12u14", "", "CVE-2023-4911", false},
		{"libc6", "glibc", "2.36-9+deb12u2+b1", "2.36-9+deb12u2", "CVE-2023-4911", true},
		{"libssl3", "openssl", "3.0.11-1~deb12u1", "", "CVE-2023-5363", true},
		{"libssl3", "openssl", "3.0.11-1~deb12u2", "", "CVE-2023-5363", false},
		{"libssl3", "openssl", "3.0.11-1", "", "CVE-2023-5363", false},
		{"libssl3", "openssl", "3.0.9-1", "", "CVE-2023-5363", true},
		{"libssl3", "openssl", "3.0.19-1~deb12u2", "", "CVE-2023-5363", false},
	}
	for _, tc := range tests {
		r := fixture.Debian(t)
		src := tc.src
		if tc.source != "" {
			src += " (" + tc.source + ")"
		}
		r.Source(tc.bin, tc.version, src)
		_, got := ids(scan(t, r, osv))[tc.cve]
		if got != tc.vulnerable {
			t.Errorf("%s %s: vulnerable to %s = %v, the tracker says %v", tc.bin, tc.version, tc.cve, got, tc.vulnerable)
		}
	}
}

// TestThisHost: the real package list of the machine the tests run on, against the records:
// a Debian 12 host with current security updates has none of the three fixed flaws.
func TestThisHost(t *testing.T) {
	fsys, err := hostfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if Release(fsys) != "Debian:12" {
		t.Skip("not a Debian 12 host")
	}
	inv := ReadInventory(context.Background(), fsys, nil)
	if len(inv.Packages) < 50 {
		t.Fatalf("only %d packages read from this host's dpkg status", len(inv.Packages))
	}
	db, err := Load(osvDir(t), inv.Wanted())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range MatchAll(db, inv).Matches {
		// Report rather than fail for a host behind on updates: the versions are printed.
		t.Logf("this host: %s %s (source %s %s) affected by %s, fixed in %s", m.Package.Name, m.Package.Version, m.Package.Key.Name, m.Package.Compare, m.ID, m.Fixed)
	}
}

func TestWebInventory(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/var/www/html/wp-includes/version.php", "<?php\n$wp_version = '6.4.2';\n", 0o644)
	r.File("/var/www/html/wp-content/plugins/contact-form-7/wp-contact-form-7.php", "<?php\n/*\n * Plugin Name: Contact Form 7\n * Version: 5.8.3\n */\n", 0o644)
	r.File("/var/www/html/wp-content/plugins/akismet/readme.txt", "=== Akismet ===\nStable tag: 5.3\n", 0o644)
	r.File("/var/www/app/composer.lock", `{"packages":[{"name":"guzzlehttp/guzzle","version":"7.4.4"}],"packages-dev":[{"name":"phpunit/phpunit","version":"v9.5.0"}]}`, 0o644)
	r.File("/var/www/app/package-lock.json", `{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/lodash":{"version":"4.17.20"},"node_modules/a/node_modules/@scope/b":{"version":"1.0.0"}}}`, 0o644)
	fsys, _ := hostfs.Open(r.Dir)
	defer fsys.Close()
	inv := ReadInventory(context.Background(), fsys, DefaultWebRoots)
	got := map[string]string{}
	for _, p := range inv.Packages {
		if p.Kind != "deb" {
			got[p.Kind+" "+p.Key.Name] = p.Version
		}
	}
	want := map[string]string{
		"wordpress roots/wordpress": "6.4.2", "wordpress johnpbloch/wordpress-core": "6.4.2",
		"wordpress-plugin wpackagist-plugin/contact-form-7": "5.8.3", "wordpress-plugin wpackagist-plugin/akismet": "5.3",
		"composer guzzlehttp/guzzle": "7.4.4", "composer phpunit/phpunit": "9.5.0",
		"npm lodash": "4.17.20", "npm @scope/b": "1.0.0",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// TestCompareDebWithDpkg checks the order against dpkg itself, where dpkg is installed.
func TestCompareDebWithDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("no dpkg here")
	}
	vs := []string{"1.0", "1.0-1", "1.0-1+b1", "1.0~rc1", "1.0~~", "1.0~", "1.0+dfsg", "1.0.1", "1:0.9", "0:1.0", "1.0a", "1.0-1~deb12u1",
		"1.0-1+deb12u10", "1.0-1+deb12u3", "2.36-9+deb12u14", "2.36-9+deb12u3", "1.00", "1.0-0", "10", "9", "1.0-a", "1.0-1.1", "3.0.11-1~deb12u2",
		"3.0.11-1", "1:9.2p1-2+deb12u3", "1:9.2p1-2", "9.2p1-2", "2:1.0", "1.0+", "1.0.", "1.0-1a", "1.0-1A", "1.0-1.", "0", "00"}
	for i, a := range vs {
		for _, b := range vs[i+1:] {
			got := CompareDeb(a, b)
			rel := map[int]string{-1: "lt", 0: "eq", 1: "gt"}[got]
			if err := exec.Command(dpkg, "--compare-versions", a, rel, b).Run(); err != nil {
				t.Errorf("CompareDeb(%q, %q) = %d; dpkg disagrees", a, b, got)
			}
		}
	}
}

func TestInRange(t *testing.T) {
	tests := []struct {
		events []Event
		v      string
		want   bool
	}{
		{[]Event{{Introduced: "0"}, {Fixed: "2.0"}}, "1.5", true},
		{[]Event{{Introduced: "0"}, {Fixed: "2.0"}}, "2.0", false},
		{[]Event{{Introduced: "1.0"}, {Fixed: "2.0"}}, "0.9", false},
		{[]Event{{Introduced: "1.0"}, {LastAffected: "1.5"}}, "1.5", true},
		{[]Event{{Introduced: "1.0"}, {LastAffected: "1.5"}}, "1.6", false},
		{[]Event{{Introduced: "1.0"}, {Fixed: "1.2"}, {Introduced: "2.0"}, {Fixed: "2.2"}}, "1.5", false},
		{[]Event{{Introduced: "1.0"}, {Fixed: "1.2"}, {Introduced: "2.0"}, {Fixed: "2.2"}}, "2.1", true},
		{[]Event{{Fixed: "2.2"}, {Introduced: "2.0"}}, "2.1", true}, // events in any order
		{[]Event{{Introduced: "0"}}, "99", true},
	}
	for _, tc := range tests {
		if got, _ := inRange(tc.events, tc.v, CompareSemver); got != tc.want {
			t.Errorf("%v %s: %v", tc.events, tc.v, got)
		}
	}
}

func TestLoadProblems(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), nil); err == nil || !strings.Contains(err.Error(), "loophole update") {
		t.Errorf("missing folder: %v", err)
	}
	dir := t.TempDir()
	if _, err := Load(dir, nil); err == nil {
		t.Error("an empty folder is accepted")
	}
	os.WriteFile(filepath.Join(dir, "bad.zip"), []byte("not a zip"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"id":"X-1","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "w.json"), []byte(`{"id":"X-2","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"}}]}`), 0o644)
	db, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Skipped) != 1 || len(db.For(Key{"npm", "lodash"})) != 1 {
		t.Errorf("skipped %v, records %v", db.Skipped, db.For(Key{"npm", "lodash"}))
	}
}
