package localfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "snap")
	if err := os.WriteFile(reg, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	linkReg := filepath.Join(dir, "alias")
	if err := os.Symlink(reg, linkReg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/dev/zero", "character device"},
		{fifo, "FIFO"},
		{link, "symbolic link"},
		{linkReg, "points to " + reg},
		{dir, "folder"},
	} {
		done := make(chan error, 1)
		go func() {
			f, _, err := Open(tc.path, "a snapshot file")
			if f != nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%s) = %v, want an error naming the file and %q", tc.path, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%s): error is not one line: %q", tc.path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) hangs", tc.path)
		}
	}
	f, st, err := Open(reg, "")
	if err != nil {
		t.Fatalf("regular file refused: %v", err)
	}
	defer f.Close()
	if st.Size() != 5 {
		t.Errorf("size %d", st.Size())
	}
	buf := make([]byte, 5)
	if _, err := f.Read(buf); err != nil || string(buf) != "hello" {
		t.Errorf("read %q %v", buf, err)
	}
}

func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	os.WriteFile(p, []byte("0123456789"), 0o600)
	if data, err := ReadFile(p, "", 10); err != nil || string(data) != "0123456789" {
		t.Errorf("at the cap: %q %v", data, err)
	}
	if _, err := ReadFile(p, "a public key", 9); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
		t.Errorf("over the cap: %v", err)
	}
	if _, err := ReadFile("/dev/zero", "a public key", 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Errorf("/dev/zero read: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), "", 10); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
