package snapshot

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds damaged snapshot files to Open: each must give an error or a readable snapshot,
// never a panic or a hang.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.snap")
	w, err := Create(p)
	if err != nil {
		f.Fatal(err)
	}
	w.Put(File{Path: "/etc/passwd", Type: "file", Mode: 0o644, SHA256: "ab"})
	w.Put(User{Name: "root", Shell: "/bin/bash"})
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	f.Add(good, 0, byte(0))
	f.Add(good, 100, byte(0xff))
	f.Add(good, len(good)/2, byte(1))
	f.Add(good, len(good)-1, byte(0x80))
	f.Add([]byte("SQLite format 3\x00"), 0, byte(0))
	f.Fuzz(func(t *testing.T, data []byte, off int, flip byte) {
		if len(data) > 1<<20 {
			return
		}
		b := append([]byte(nil), data...)
		if off >= 0 && off < len(b) {
			b[off] ^= flip
		}
		q := filepath.Join(t.TempDir(), "x.snap")
		if err := os.WriteFile(q, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(q)
		if err != nil {
			return
		}
		defer r.Close()
		All[File](r, "")
		All[User](r, "")
	})
}
