package filescan

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func scan(t *testing.T, r *fixture.Root, opt Options) (map[string]snapshot.File, *probe.Recorder) {
	t.Helper()
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	rec := &probe.Recorder{}
	if opt.Rules == nil {
		opt.Rules = DefaultScope()
	}
	if err := Scan(context.Background(), fsys, rec, opt); err != nil {
		t.Fatal(err)
	}
	out := map[string]snapshot.File{}
	for _, f := range probe.Of[snapshot.File](rec) {
		if _, dup := out[f.Path]; dup {
			t.Errorf("%s recorded twice", f.Path)
		}
		out[f.Path] = f
	}
	return out, rec
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestScanDebianRoot(t *testing.T) {
	r := fixture.Debian(t)
	outside := t.TempDir()
	os.WriteFile(outside+"/secret", []byte("outside"), 0o644)
	r.Symlink(outside, "/etc/escape")
	r.Symlink("/", "/usr/share/toroot")
	r.Symlink("loopb", "/tmp/loopa").Symlink("loopa", "/tmp/loopb")
	r.MkdirAll("/home/alice/Documents/deep", 0o755).File("/home/alice/Documents/deep/report.txt", "data", 0o644)
	r.File("/home/alice/.config/systemd/user/evil.service", "[Service]\nExecStart=/tmp/x\n", 0o644)
	r.File("/home/alice/notes.txt", "top-level file", 0o644)
	r.File("/var/log/syslog", "log line\n", 0o640)
	r.File("/dev/shm/.x/miner", "\x7fELFminer", 0o755)
	r.File("/etc/app.conf", "user=web\nexport DB_PASSWORD=hunter2\n", 0o644)
	if err := syscall.Mkfifo(r.Path("/tmp/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, rec := scan(t, r, Options{Content: func(p string, _ int64) bool { return strings.HasPrefix(p, "/etc/") }})

	tests := []struct {
		path  string
		check func(f snapshot.File, ok bool) string
	}{
		{"/usr/bin/ls", func(f snapshot.File, ok bool) string {
			if !ok || f.Type != "file" || f.SHA256 != sum("\x7fELF fake ls binary\n") || f.Mode != 0o755 {
				return "regular file with hash and mode"
			}
			return ""
		}},
		{"/usr/bin/passwd", func(f snapshot.File, ok bool) string {
			if f.Mode != 0o4755 {
				return "setuid bit kept"
			}
			return ""
		}},
		{"/bin", func(f snapshot.File, ok bool) string {
			if f.Type != "symlink" || f.Link != "usr/bin" {
				return "merged-usr link recorded, not followed"
			}
			return ""
		}},
		{"/etc/escape", func(f snapshot.File, ok bool) string {
			if f.Type != "symlink" || f.Link != outside {
				return "escaping link recorded as a link"
			}
			return ""
		}},
		{"/etc/escape/secret", func(f snapshot.File, ok bool) string {
			if ok {
				return "never followed out of the root"
			}
			return ""
		}},
		{"/usr/share/toroot/etc/passwd", func(f snapshot.File, ok bool) string {
			if ok {
				return "link to / not followed"
			}
			return ""
		}},
		{"/tmp/loopa", func(f snapshot.File, ok bool) string {
			if f.Type != "symlink" {
				return "loop recorded as link"
			}
			return ""
		}},
		{"/tmp/fifo", func(f snapshot.File, ok bool) string {
			if !ok || f.Type != "fifo" || f.SHA256 != "" {
				return "fifo recorded, not opened"
			}
			return ""
		}},
		{"/home/alice/.config/systemd/user/evil.service", func(f snapshot.File, ok bool) string {
			if !ok || f.SHA256 == "" {
				return "dot folders of homes walked and hashed"
			}
			return ""
		}},
		{"/home/alice/notes.txt", func(f snapshot.File, ok bool) string {
			if !ok {
				return "top-level entries of homes recorded"
			}
			return ""
		}},
		{"/home/alice/Documents/deep/report.txt", func(f snapshot.File, ok bool) string {
			if ok {
				return "user data folders not walked"
			}
			return ""
		}},
		{"/var/log/syslog", func(f snapshot.File, ok bool) string {
			if !ok || f.SHA256 != "" || f.Size != 9 {
				return "logs recorded unhashed"
			}
			return ""
		}},
		{"/dev/shm/.x/miner", func(f snapshot.File, ok bool) string {
			if !ok || f.SHA256 != sum("\x7fELFminer") {
				return "staging folders walked"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		f, ok := files[tc.path]
		if want := tc.check(f, ok); want != "" {
			t.Errorf("%s: want %s; got %+v (present %v)", tc.path, want, f, ok)
		}
	}
	var conf string
	for _, c := range probe.Of[snapshot.Content](rec) {
		if c.Path == "/etc/app.conf" {
			conf = c.Text
		}
	}
	if conf != "user=web\nexport DB_PASSWORD=[redacted]\n" {
		t.Errorf("kept content %q, want redacted text", conf)
	}
}

func TestScanExcludeAndLimits(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/big", strings.Repeat("x", 1000), 0o644)
	r.File("/etc/small", "x", 0o644)
	r.File("/etc/out.snap", "partial", 0o600)
	files, _ := scan(t, r, Options{Rules: []Rule{{Path: "/etc", Hash: true}}, MaxHashSize: 100, Exclude: []string{"/etc/out.snap"}})
	if f := files["/etc/big"]; f.SHA256 != "" || !strings.Contains(f.Note, "max-hash-size") {
		t.Errorf("big file: %+v", f)
	}
	if files["/etc/small"].SHA256 != sum("x") {
		t.Errorf("small file not hashed")
	}
	if _, ok := files["/etc/out.snap"]; ok {
		t.Errorf("excluded path recorded")
	}
}

func TestScanReuse(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/a", "aaa", 0o644)
	first, _ := scan(t, r, Options{Rules: []Rule{{Path: "/etc", Hash: true}}})
	prev := first["/etc/a"]
	reuse := func(p string) (Previous, bool) {
		if p != "/etc/a" {
			return Previous{}, false
		}
		return Previous{Size: prev.Size, Mtime: prev.Mtime, Ctime: prev.Ctime, Inode: int64(prev.Inode), SHA256: "feed"}, true
	}
	second, _ := scan(t, r, Options{Rules: []Rule{{Path: "/etc", Hash: true}}, Reuse: reuse})
	if second["/etc/a"].SHA256 != "feed" || second["/etc/a"].Note != "hash reused" {
		t.Errorf("unchanged file not reused: %+v", second["/etc/a"])
	}
	r.File("/etc/a", "bbb", 0o644)
	third, _ := scan(t, r, Options{Rules: []Rule{{Path: "/etc", Hash: true}}, Reuse: reuse})
	if third["/etc/a"].SHA256 != sum("bbb") {
		t.Errorf("changed file reused: %+v", third["/etc/a"])
	}
}

func TestScanManyDirsBoundedQueue(t *testing.T) {
	r := fixture.New(t)
	for i := 0; i < 600; i++ {
		r.File("/opt/d"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"/"+string(rune('a'+i/26))+"/f", "x", 0o644)
	}
	files, _ := scan(t, r, Options{Rules: []Rule{{Path: "/opt", Hash: true}}})
	n := 0
	for p, f := range files {
		if strings.HasSuffix(p, "/f") && f.SHA256 == sum("x") {
			n++
		}
	}
	if n == 0 || n > 600 {
		t.Fatalf("hashed %d files", n)
	}
}

func TestDecodeCaps(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		// v2, effective, cap_net_raw (bit 13) permitted
		{"ping", []byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "cap_net_raw=ep"},
		// v2, not effective, setuid+setgid permitted
		{"setid", []byte{0, 0, 0, 2, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "cap_setgid,cap_setuid=p"},
		// v3 with rootid 1000, cap_sys_admin (21)
		{"v3", []byte{1, 0, 0, 3, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0, 0}, "cap_sys_admin=ep [rootid=1000]"},
		{"short", []byte{1, 0, 0, 2, 0}, "unparsed:0100000200"},
		{"bad revision", []byte{1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0}, "unparsed:010000090000000000000000"},
	}
	for _, tc := range tests {
		if got := DecodeCaps(tc.in); got != tc.want {
			t.Errorf("%s: DecodeCaps = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzDecodeCaps(f *testing.F) {
	f.Add([]byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 3, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 3, 0, 0})
	f.Add([]byte{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := DecodeCaps(b)
		if len(b) > 0 && s == "" {
			t.Fatal("non-empty attribute decoded to nothing")
		}
	})
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"DB_PASSWORD=hunter2\n", "DB_PASSWORD=[redacted]\n"},
		{"export API_TOKEN='abc'\n", "export API_TOKEN=[redacted]\n"},
		{"  secret_key: abc\nname: x\n", "  secret_key:[redacted]\nname: x\n"},
		{"password\trequisite\tpam_pwquality.so retry=3\n", "password\trequisite\tpam_pwquality.so retry=3\n"},
		{"passwd:         files systemd\n", "passwd:         files systemd\n"},
		{"Defaults passwd_timeout=1\n", "Defaults passwd_timeout=1\n"},
		{"nothing here\n", "nothing here\n"},
	}
	for _, tc := range tests {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	got := Normalize([]Rule{{Path: "/usr/local", Hash: true}, {Path: "/usr", Hash: true}, {Path: "/var/log"}, {Path: "/usr/"}})
	if len(got) != 2 || got[0].Path != "/usr" || got[1].Path != "/var/log" {
		t.Fatalf("Normalize = %+v", got)
	}
	homes := AddHomes(DefaultScope(), []string{"/home/alice", "/var/lib/postgresql", "/root", "/", "/usr/sbin", "/dev", "/run/ircd"})
	var extra []string
	for _, r := range homes[len(DefaultScope()):] {
		extra = append(extra, r.Path)
	}
	if strings.Join(extra, ",") != "/var/lib/postgresql" {
		t.Fatalf("AddHomes added %v", extra)
	}
}

func TestHashMappedTruncated(t *testing.T) {
	debug.SetPanicOnFault(true)
	p := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("x"), 3*mmapMin)
	os.WriteFile(p, data, 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := hashMapped(f, int64(len(data)), h)
	if err != nil || n != int64(len(data)) || hex.EncodeToString(h.Sum(nil)) != sum(string(data)) {
		t.Fatalf("whole file: %d %v", n, err)
	}
	// The file is shorter than the size recorded at stat time (it shrank): pages past the end
	// fault, and that must come back as an error, not a crash.
	_, err = hashMapped(f, int64(len(data))+2*4096+mapWindow, sha256.New())
	if !errors.Is(err, errTruncated) {
		t.Fatalf("shrunk file: %v", err)
	}
}

// A file that grows while it is read is read up to its size at stat time and marked.
func TestScanGrowingFile(t *testing.T) {
	r := fixture.New(t)
	r.File("/tmp/grow", "start\n", 0o644)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(r.Path("/tmp/grow"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("x"), 1<<16)
		for {
			select {
			case <-stop:
				return
			default:
				f.Write(chunk)
			}
		}
	}()
	rec := &probe.Recorder{}
	opt := Options{Rules: []Rule{{Path: "/tmp", Hash: true}}, Inspect: func(string, int64) bool { return true },
		Inspector: func(p string, data []byte) {
			if len(data) > MaxInspect {
				t.Errorf("inspected %d bytes of %s, over the limit", len(data), p)
			}
		}}
	err = Scan(context.Background(), fsys, rec, opt)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range probe.Of[snapshot.File](rec) {
		if f.Path == "/tmp/grow" && f.SHA256 == "" {
			t.Errorf("growing file not hashed: %+v", f)
		}
	}
}

// TestScanSkipsMountedProc: a proc file system mounted inside the tree (a chroot's /proc) is
// not walked. Needs root to mount; skipped otherwise.
func TestScanSkipsMountedProc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting proc needs root")
	}
	r := fixture.New(t)
	r.MkdirAll("/var/tmp/chroot/proc", 0o755)
	if err := syscall.Mount("proc", r.Path("/var/tmp/chroot/proc"), "proc", 0, ""); err != nil {
		t.Skipf("cannot mount proc here: %v", err)
	}
	defer syscall.Unmount(r.Path("/var/tmp/chroot/proc"), syscall.MNT_DETACH)
	files, _ := scan(t, r, Options{Rules: []Rule{{Path: "/var/tmp", Hash: true}}})
	if _, ok := files["/var/tmp/chroot/proc"]; !ok {
		t.Error("the mount point itself is not recorded")
	}
	for p := range files {
		if strings.HasPrefix(p, "/var/tmp/chroot/proc/") {
			t.Fatalf("walked into a mounted proc: %s", p)
		}
	}
}

// TestHashListMD5: package verification hashes small and big files (SIMD lanes for the big
// ones where the CPU has them) to the same MD5 as crypto/md5, and records only what differs.
func TestHashListMD5(t *testing.T) {
	r := fixture.New(t)
	small := "small file\n"
	bigData := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	r.File("/usr/bin/small", small, 0o755)
	r.File("/usr/lib/big.so", string(bigData), 0o644)
	r.File("/usr/lib/big2.so", string(bigData[:2<<20]), 0o644)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	want := map[string]string{
		"/usr/bin/small":   fmt.Sprintf("%x", md5.Sum([]byte(small))),
		"/usr/lib/big.so":  fmt.Sprintf("%x", md5.Sum(bigData)),
		"/usr/lib/big2.so": fmt.Sprintf("%x", md5.Sum(bigData[:2<<20])),
	}
	expected := map[string]string{"/usr/bin/small": want["/usr/bin/small"], "/usr/lib/big.so": "00000000000000000000000000000000", "/usr/lib/big2.so": want["/usr/lib/big2.so"]}
	paths := make(chan string, 4)
	for _, p := range []string{"/usr/bin/small", "/usr/lib/big.so", "/usr/lib/big2.so", "/usr/lib/missing.so"} {
		paths <- p
	}
	close(paths)
	rec := &probe.Recorder{}
	err = HashList(context.Background(), fsys, rec, paths, Options{MD5Only: true, MD5: func(string) bool { return true },
		Expected: func(p string) string { return expected[p] }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]snapshot.File{}
	for _, f := range probe.Of[snapshot.File](rec) {
		got[f.Path] = f
	}
	if f, ok := got["/usr/lib/big.so"]; !ok || f.MD5 != want["/usr/lib/big.so"] || f.SHA256 != "" {
		t.Errorf("differing big file: %+v", f)
	}
	if _, ok := got["/usr/bin/small"]; ok {
		t.Error("a matching file was recorded")
	}
	if _, ok := got["/usr/lib/big2.so"]; ok {
		t.Error("a matching big file was recorded")
	}
	if f := got["/usr/lib/missing.so"]; f.Note != "missing" {
		t.Errorf("missing file: %+v", f)
	}
}

// TestScanTooDeep: a folder nested thousands deep is walked down to MaxPath bytes of path, the
// rest is a recorded problem (a coverage gap), and the records stay bounded.
func TestScanTooDeep(t *testing.T) {
	h := fixture.Hostile(t, fixture.HostileOptions{Depth: 5000, Wide: 10, Sparse: 1 << 20, Quiet: true})
	files, rec := scan(t, h.Root, Options{})
	var total, deepest int
	for p := range files {
		if strings.HasPrefix(p, "/tmp/deep") {
			total += len(p)
			deepest = max(deepest, len(p))
		}
	}
	if deepest == 0 || deepest > MaxPath+2 {
		t.Errorf("deepest path recorded: %d bytes (limit %d)", deepest, MaxPath)
	}
	if total > 8<<20 {
		t.Errorf("%d bytes of paths recorded for the deep folder", total)
	}
	found := false
	for _, p := range rec.Problems {
		if strings.HasPrefix(p.Path, "/tmp/deep") && strings.Contains(p.Error, "too deep") {
			found = true
		}
	}
	if !found {
		t.Error("the depth limit is not recorded as a problem")
	}
}
