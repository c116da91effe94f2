package casedir

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestResults(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if _, err := c.LatestResult("check", &got); !errors.Is(err, ErrNoResult) {
		t.Fatalf("empty case: %v, want ErrNoResult", err)
	}
	for i := 1; i <= 3; i++ {
		out, err := c.SaveResult("check", map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(out.Path)
		if err != nil || st.Mode().Perm() != 0o600 || out.SHA256 == "" {
			t.Fatalf("saved %+v: %v %v", out, st, err)
		}
	}
	if _, err := c.SaveResult("check-extra", map[string]int{"n": 99}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LatestResult("check", &got); err != nil || got["n"] != 3 {
		t.Fatalf("latest = %v, %v; want n=3", got, err)
	}
	if list, _ := c.Results("check"); len(list) != 3 {
		t.Fatalf("results of check: %v (check-extra must not count)", list)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := c.SaveResult(bad, 1); err == nil {
			t.Errorf("SaveResult(%q) accepted", bad)
		}
	}
}

func TestReadResultRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "r.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	var v any
	if err := ReadResult(fifo, &v); err == nil {
		t.Fatal("a FIFO was read as a result")
	}
	link := filepath.Join(dir, "l.json")
	os.Symlink("/dev/zero", link)
	if err := ReadResult(link, &v); err == nil {
		t.Fatal("a link to /dev/zero was followed")
	}
}
