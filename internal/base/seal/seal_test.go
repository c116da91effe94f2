package seal

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

func makeSnapshot(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "host.snap")
	w, err := snapshot.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMeta("host.hostname", "web1")
	w.Put(snapshot.User{Name: "root", Shell: "/bin/bash"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSealAndVerify(t *testing.T) {
	dir := t.TempDir()
	snap := makeSnapshot(t, dir)
	secret, public, err := GenerateKey(filepath.Join(dir, "admin"), "")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(secret); st.Mode().Perm() != 0o600 {
		t.Fatalf("secret key mode %v", st.Mode().Perm())
	}
	if _, _, err := GenerateKey(filepath.Join(dir, "admin"), ""); err == nil {
		t.Fatal("existing key overwritten")
	}
	key, err := LoadSecretKey(secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(snap, key, "nowwhat snapshot host=web1"); err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	r, v, err := Open(snap, &pub, false)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil || !strings.Contains(v.Trusted, "host=web1") {
		t.Fatalf("verified = %+v", v)
	}
	if r.Meta("host.hostname") != "web1" {
		t.Fatal("meta not readable after verification")
	}
	r.Close()

	// Standard minisign verifies it too, where installed.
	if mb, err := exec.LookPath("minisign"); err == nil {
		out, err := exec.Command(mb, "-Vm", snap, "-p", public).CombinedOutput()
		if err != nil {
			t.Fatalf("minisign -V: %v\n%s", err, out)
		}
	} else {
		t.Log("minisign not installed: compatibility with the standard tool not checked here (CI installs it)")
	}

	// Any flipped byte makes it fail, with an error that says "signature".
	data, _ := os.ReadFile(snap)
	for _, off := range []int{0, 100, len(data) / 2, len(data) - 1} {
		bad := append([]byte(nil), data...)
		bad[off] ^= 0x01
		os.WriteFile(snap, bad, 0o600)
		if r, _, err := Open(snap, &pub, false); err == nil || !strings.Contains(err.Error(), "signature") {
			if r != nil {
				r.Close()
			}
			t.Fatalf("flipped byte at %d: err = %v", off, err)
		}
	}
	os.WriteFile(snap, data, 0o600)

	// A signature file flipped.
	sig, _ := os.ReadFile(snap + SigSuffix)
	lines := strings.Split(string(sig), "\n")
	b := []byte(lines[1])
	b[10] ^= 0x02
	lines[1] = string(b)
	os.WriteFile(snap+SigSuffix, []byte(strings.Join(lines, "\n")), 0o644)
	if _, _, err := Open(snap, &pub, false); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("flipped signature: err = %v", err)
	}
	os.WriteFile(snap+SigSuffix, sig, 0o644)

	// Wrong key.
	_, otherPub, _ := GenerateKey(filepath.Join(dir, "other"), "")
	wrong, _ := LoadPublicKey(otherPub)
	if _, _, err := Open(snap, &wrong, false); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("wrong key: err = %v", err)
	}

	// Unsigned: refused unless told.
	os.Remove(snap + SigSuffix)
	if _, _, err := Open(snap, &pub, false); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: err = %v", err)
	}
	if _, _, err := Open(snap, nil, false); err == nil {
		t.Fatal("no key, no --unsigned-ok: accepted")
	}
	r, v, err = Open(snap, &pub, true)
	if err != nil || v != nil {
		t.Fatalf("unsigned-ok: %v %v", v, err)
	}
	r.Close()
}

func TestEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	secret, _, err := GenerateKey(filepath.Join(dir, "k"), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if enc, _ := KeyIsEncrypted(secret); !enc {
		t.Fatal("key not encrypted")
	}
	if _, err := LoadSecretKey(secret, "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := LoadSecretKey(secret, "correct horse"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPublicKeyForms(t *testing.T) {
	dir := t.TempDir()
	_, public, _ := GenerateKey(filepath.Join(dir, "k"), "")
	data, _ := os.ReadFile(public)
	ls := strings.Split(strings.TrimSpace(string(data)), "\n")
	raw := strings.TrimSpace(ls[len(ls)-1])
	for _, ref := range []string{public, filepath.Join(dir, "k"), raw} {
		if _, err := LoadPublicKey(ref); err != nil {
			t.Errorf("LoadPublicKey(%q): %v", ref, err)
		}
	}
	if _, err := LoadPublicKey(filepath.Join(dir, "missing.pub")); err == nil {
		t.Error("missing key accepted")
	}
}

// TestOpenIsBounded: a device, a FIFO, a link to a device and a stream longer than its header
// says are refused quickly, naming what was given; nothing is read past the header's size.
func TestOpenIsBounded(t *testing.T) {
	dir := t.TempDir()
	snap := makeSnapshot(t, dir)
	fifo := filepath.Join(dir, "fifo.snap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.snap")
	os.Symlink("/dev/zero", zero)
	os.Symlink("/dev/zero", snap+".minisig.link")
	for _, p := range []string{"/dev/zero", fifo, zero} {
		for _, unsigned := range []bool{true, false} {
			var pub *minisign.PublicKey
			if !unsigned {
				pub = &minisign.PublicKey{}
			}
			done := make(chan error, 1)
			go func() {
				r, _, err := Open(p, pub, unsigned)
				if r != nil {
					r.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), p) {
					t.Errorf("Open(%s) = %v, want an error naming it", p, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Open(%s) does not return", p)
			}
		}
	}
	// A signature that is a link to /dev/zero is refused, not read.
	key := &minisign.PublicKey{}
	os.Rename(snap+".minisig.link", snap+".minisig")
	if _, _, err := Open(snap, key, false); err == nil || !strings.Contains(err.Error(), "minisig") {
		t.Errorf("signature link to /dev/zero: %v", err)
	}

	// Standard input: the snapshot followed by endless bytes is refused (one byte past the
	// header's size is enough to tell); the snapshot alone is read.
	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		extra  func(w *os.File)
		wantOK bool
	}{
		{"exact", func(w *os.File) {}, true},
		{"endless", func(w *os.File) {
			zeros := make([]byte, 1<<16)
			for {
				if _, err := w.Write(zeros); err != nil {
					return
				}
			}
		}, false},
		{"short", nil, false},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if tc.extra == nil {
				w.Write(data[:len(data)/2])
			} else {
				w.Write(data)
				tc.extra(w)
			}
			w.Close()
		}()
		old := os.Stdin
		os.Stdin = r
		rd, _, err := Open("-", nil, true)
		os.Stdin = old
		r.Close()
		if tc.wantOK != (err == nil) {
			t.Errorf("stdin %s: %v", tc.name, err)
		}
		if rd != nil {
			if rd.Meta("host.hostname") != "web1" {
				t.Errorf("stdin %s: meta lost", tc.name)
			}
			rd.Close()
		}
	}
}
