package debrepo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/source/deb"
)

// pinned are the fingerprints of the Debian archive keys built into nowwhat, as Debian
// publishes them (ftp-master's key list; debian-archive-keyring 2023.3+deb12u2).
var pinned = []string{
	"04B54C3CDCA79751B16BC6B5225629DF75B188BD", // trixie security automatic
	"05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0", // bookworm security automatic
	"1F89983E0081FDE018F3CC9673A4F27B8DD47936", // bullseye automatic
	"41587F7DB8C774BCCF131416762F67A0B2C39DE4", // trixie stable release
	"4D64FEC119C2029067D6E791F8D2585B8783D481", // bookworm stable release
	"5E04A1E3223A19A20706E20F9904613D4CCE68C6", // trixie automatic
	"A4285295FC7B1A81600062A9605C66F00D6C9793", // bullseye stable release
	"AC530D520F2F3269F5E98313A48449044AAD5C5D", // bullseye security automatic
	"B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8", // bookworm automatic
}

// TestEmbeddedKeys: the keys built in are exactly the pinned ones; when apt can download
// Debian's debian-archive-keyring package here, the embedded files are byte for byte the
// package's (read with this project's own .deb reader).
func TestEmbeddedKeys(t *testing.T) {
	k, err := DebianKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Fingerprints(); !slices.Equal(got, pinned) {
		t.Fatalf("embedded keys %v, pinned %v", got, pinned)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get to download debian-archive-keyring")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	cmd := exec.Command("apt-get", "download", "debian-archive-keyring")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("apt-get download debian-archive-keyring: %v: %s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("downloaded %v", debs)
	}
	data, _ := os.ReadFile(debs[0])
	p, err := deb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := keyFiles.ReadDir("keys")
	for _, e := range ents {
		f, ok, err := p.Extract("/etc/apt/trusted.gpg.d/" + e.Name())
		if err != nil || !ok {
			t.Errorf("%s: not in %s (%v): refresh the keys from the package", e.Name(), filepath.Base(debs[0]), err)
			continue
		}
		want, _ := keyFiles.ReadFile("keys/" + e.Name())
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s's: refresh keys/ from the package (and the pinned list)", e.Name(), filepath.Base(debs[0]))
		}
	}
}

// reach skips a test when Debian's mirror cannot be reached (it is, here and in CI).
func reach(t *testing.T) *Resolver {
	t.Helper()
	k, err := DebianKeyring()
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(os.TempDir(), "nowwhat-debrepo-test-cache") // checked again before each use
	r := &Resolver{Keyring: k, Get: HTTP{}, Cache: cache, Sources: []Source{{URI: "http://deb.debian.org/debian", Suite: "bookworm", Components: []string{"main"}}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.Get.Get(ctx, "http://deb.debian.org/debian/dists/bookworm/InRelease", 1<<20); err != nil {
		t.Skipf("Debian's mirror is not reachable: %v", err)
	}
	return r
}

// TestRealDebianChain fetches procps (/usr/bin/ps) and libproc2-0 (the library under
// /usr/lib/x86_64-linux-gnu) from Debian's archive through the whole chain: the InRelease's
// signature against the built-in keys, the Packages index's SHA-256, the .deb's SHA-256; then
// the file taken out of the package matches the package's md5sums.
func TestRealDebianChain(t *testing.T) {
	r := reach(t)
	ctx := context.Background()
	for _, c := range []struct{ pkg, file string }{{"procps", "/usr/bin/ps"}, {"libproc2-0", "/usr/lib/x86_64-linux-gnu/libproc2.so.0.0.1"}} {
		rel := r.releasesToTry(ctx, new([]string))
		if len(rel) == 0 {
			t.Fatal("no verified InRelease")
		}
		idx, err := r.index(ctx, rel[0].src, rel[0].rel, "main/binary-amd64/Packages.xz")
		if err != nil {
			t.Fatal(err)
		}
		z, _ := decompressIndex("Packages.xz", idx)
		e, err := FindPackage(z, c.pkg, "", "amd64")
		if err != nil || e == nil {
			t.Fatalf("%s not in bookworm: %v", c.pkg, err)
		}
		data, proof, err := r.Fetch(ctx, c.pkg, e.Version, "amd64")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(pinned, proof.Signer) {
			t.Errorf("signed by %s", proof.Signer)
		}
		p, err := deb.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		// bookworm ships them in /bin and /lib: on its merged-/usr hosts the same files.
		f, ok, err := p.Extract(c.file)
		if err == nil && !ok {
			c.file = strings.TrimPrefix(c.file, "/usr")
			f, ok, err = p.Extract(c.file)
		}
		if err != nil || !ok {
			t.Fatalf("%s: %s: %v %v", proof.Deb, c.file, ok, err)
		}
		sums, _, _ := p.Control("md5sums")
		if want := deb.Sums(sums)[c.file]; want == "" || want != f.MD5 {
			t.Fatalf("%s: md5 %s, md5sums says %q", c.file, f.MD5, want)
		}
		t.Logf("%s %s: %s from %s, %d bytes, signed by %s", c.pkg, e.Version, c.file, proof.From, len(f.Data), proof.Signer)
	}
}

// TestRealInReleaseTampered: one changed byte in Debian's signed text, or a key that is not
// Debian's, and the InRelease is refused.
func TestRealInReleaseTampered(t *testing.T) {
	r := reach(t)
	data, err := r.Get.Get(context.Background(), "http://deb.debian.org/debian/dists/bookworm/InRelease", 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyInRelease(data, r.Keyring, time.Now()); err != nil {
		t.Fatalf("the real InRelease does not verify: %v", err)
	}
	bad := bytes.Replace(data, []byte("Codename: bookworm"), []byte("Codename: bookwore"), 1)
	if bytes.Equal(bad, data) {
		t.Fatal("the test changed nothing")
	}
	if _, err := VerifyInRelease(bad, r.Keyring, time.Now()); !errors.Is(err, ErrSignature) {
		t.Fatalf("a changed InRelease: %v", err)
	}
	// Text added outside the signed block is never read.
	extra := append([]byte("SHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/binary-amd64/Packages.xz\n"), data...)
	rel, err := VerifyInRelease(extra, r.Keyring, time.Now())
	if err != nil || strings.HasPrefix(rel.SHA256["main/binary-amd64/Packages.xz"].SHA256, "0000") {
		t.Fatalf("unsigned text was read: %v", err)
	}
	other, err := LoadKeyring(writeTemp(t, otherKey))
	if err == nil {
		if _, err := VerifyInRelease(data, other, time.Now()); !errors.Is(err, ErrSignature) {
			t.Fatalf("verified with another key: %v", err)
		}
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "k.asc")
	os.WriteFile(p, []byte(s), 0o644)
	return p
}

// otherKey is any OpenPGP key that is not Debian's: the bookworm stable key file with its
// armor kept but read as one key only is not possible, so a key made for tests is used.
var otherKey = ""

func init() {
	otherKey = testKey()
}

func TestParseSources(t *testing.T) {
	one := ParseSourcesList([]byte("# comment\ndeb http://deb.debian.org/debian bookworm main contrib\ndeb-src http://x y z\ndeb [arch=amd64 signed-by=/k.gpg] http://security.debian.org/debian-security bookworm-security main\ndeb cdrom:[x]/ bookworm main\n"))
	if len(one) != 3 || one[1].URI != "http://security.debian.org/debian-security" || one[1].Suite != "bookworm-security" || one[0].Components[1] != "contrib" {
		t.Fatalf("%+v", one)
	}
	two := ParseDeb822Sources([]byte("Types: deb deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://x\nSuites: y\nComponents: main\n"))
	if len(two) != 2 || two[1].Suite != "bookworm-updates" {
		t.Fatalf("%+v", two)
	}
}
