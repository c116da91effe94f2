package hostfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// layout builds a small root with links that try to leave it.
func layout(t *testing.T) (string, string) {
	t.Helper()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/bash\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte("ID=debian\n"), 0o644))
	must(os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")))
	must(os.Symlink("/usr/lib/os-release", filepath.Join(root, "etc/abs-release")))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "etc/escape-abs")))
	must(os.Symlink("../../../../../../../../"+outside+"/secret", filepath.Join(root, "etc/escape-rel")))
	must(os.Symlink("/", filepath.Join(root, "etc/toroot")))
	must(os.Symlink("loop2", filepath.Join(root, "etc/loop1")))
	must(os.Symlink("loop1", filepath.Join(root, "etc/loop2")))
	must(syscall.Mkfifo(filepath.Join(root, "etc/fifo"), 0o644))
	return root, outside
}

func TestConfinedReads(t *testing.T) {
	root, _ := layout(t)
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	tests := []struct {
		name    string
		path    string
		want    string
		wantErr func(error) bool
	}{
		{"plain", "/etc/passwd", "root:x:0:0::/root:/bin/bash\n", nil},
		{"relative link", "/etc/os-release", "ID=debian\n", nil},
		{"absolute link resolved in root", "/etc/abs-release", "ID=debian\n", nil},
		{"absolute link out of root", "/etc/escape-abs", "", IsNotExist},
		{"dotdot link out of root", "/etc/escape-rel", "", IsNotExist},
		{"dotdot in the path", "/../../etc/passwd", "root:x:0:0::/root:/bin/bash\n", nil},
		{"link to / stays in root", "/etc/toroot/etc/passwd", "root:x:0:0::/root:/bin/bash\n", nil},
		{"loop", "/etc/loop1", "", func(err error) bool { return errors.Is(err, syscall.ELOOP) }},
		{"fifo never opened", "/etc/fifo", "", func(err error) bool { return errors.Is(err, ErrNotRegular) }},
		{"directory", "/etc", "", func(err error) bool { return errors.Is(err, ErrNotRegular) }},
		{"missing", "/etc/nothing", "", IsNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				data, err = f.ReadFile(tc.path, 0)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("read hung")
			}
			if tc.wantErr != nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("ReadFile(%s) = %q, %v; want a matching error", tc.path, data, err)
				}
				return
			}
			if err != nil || string(data) != tc.want {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tc.path, data, err, tc.want)
			}
		})
	}
}

func TestLstatAndWalkNeverFollow(t *testing.T) {
	root, _ := layout(t)
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Lstat("/etc/escape-abs")
	if err != nil || !st.IsSymlink() {
		t.Fatalf("Lstat link: %v %v", st.Type(), err)
	}
	target, err := f.Readlink("/etc/escape-abs")
	if err != nil || target == "" {
		t.Fatalf("Readlink: %q %v", target, err)
	}
	d, err := f.OpenDir("/etc")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Sub("toroot"); err == nil {
		t.Fatal("Sub followed a link")
	}
	if _, err := d.OpenFile("os-release"); err == nil {
		t.Fatal("OpenFile followed a link")
	}
	if _, err := d.OpenFile("fifo"); err == nil {
		t.Fatal("OpenFile opened a FIFO")
	}
	ents, err := d.Entries()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, e := range ents {
		types[e.Name] = e.Type
	}
	if types["fifo"] != "fifo" || types["passwd"] != "file" || types["toroot"] != "symlink" {
		t.Fatalf("entry types: %v", types)
	}
	file, err := d.OpenFile("passwd")
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
}

func TestReadFileLimit(t *testing.T) {
	root, _ := layout(t)
	f, _ := Open(root)
	defer f.Close()
	data, err := f.ReadFile("/etc/passwd", 4)
	if !errors.Is(err, ErrTooLarge) || string(data) != "root" {
		t.Fatalf("got %q %v", data, err)
	}
}

func TestOpenBadRoot(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing root accepted")
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if _, err := Open(file); err == nil {
		t.Fatal("file as root accepted")
	}
}

func TestRel(t *testing.T) {
	for in, want := range map[string]string{"/": ".", "": ".", "/etc/passwd": "etc/passwd", "../../x": "x", "/a/../../b": "b"} {
		if got := Rel(in); got != want {
			t.Errorf("Rel(%q) = %q, want %q", in, got, want)
		}
	}
}
