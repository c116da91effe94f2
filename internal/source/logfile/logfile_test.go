package logfile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// bz2Hello is "hello log\n" compressed by bzip2 (the standard library has no bzip2 writer).
const bz2Hello = "\x42\x5a\x68\x39\x31\x41\x59\x26\x53\x59\x16\x9a\x19\xe7\x00\x00\x02\x51\x00\x00\x10\x40\x00\x02\xc4\xa0\x00\x22\x1a\x63\x50\x86\x01\x95\x3a\x0b\x3c\x5d\xc9\x14\xe1\x42\x40\x5a\x68\x67\x9c"

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		name, base  string
		n           int
		dated, comp string
	}{
		{"auth.log", "auth.log", 0, "", ""},
		{"auth.log.1", "auth.log", 1, "", ""},
		{"auth.log.2.gz", "auth.log", 2, "", "gzip"},
		{"secure-20240107", "secure", 0, "20240107", ""},
		{"secure-20240107.xz", "secure", 0, "20240107", "xz"},
		{"access_log-2024-01-07.zst", "access_log", 0, "2024-01-07", "zstd"},
		{"auth.log.bak", "auth.log.bak", 0, "", ""},
		{"error.log.1234567", "error.log.1234567", 0, "", ""}, // too long for a rotation number
		{"php8.2-fpm.log", "php8.2-fpm.log", 0, "", ""},
		{"kern.log.gz", "kern.log", 0, "", "gzip"},
		{".gz", ".gz", 0, "", ""},
		{"x-2024", "x-2024", 0, "", ""},
	} {
		base, n, dated, comp := Split(c.name)
		if base != c.base || n != c.n || dated != c.dated || comp != c.comp {
			t.Errorf("Split(%q) = %q %d %q %q, want %q %d %q %q", c.name, base, n, dated, comp, c.base, c.n, c.dated, c.comp)
		}
	}
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func xzs(t *testing.T, s string) string {
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func zst(t *testing.T, s string) string {
	e, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(e.EncodeAll([]byte(s), nil))
}

// TestListAndOpen lists numbered and dated rotations in order (oldest first, the current file
// last) and reads each compression through the same call.
func TestListAndOpen(t *testing.T) {
	r := fixture.New(t)
	r.File("/var/log/auth.log", "current\n", 0o640)
	r.File("/var/log/auth.log.1", "one\n", 0o640)
	r.File("/var/log/auth.log.2.gz", gz("two\n"), 0o640)
	r.File("/var/log/auth.log.3.xz", xzs(t, "three\n"), 0o640)
	r.File("/var/log/auth.log.4.zst", zst(t, "four\n"), 0o640)
	r.File("/var/log/auth.log.10.bz2", bz2Hello, 0o640)
	r.File("/var/log/auth.log.bak", "not a rotation\n", 0o640)
	r.File("/var/log/secure-20240107", "jan 7\n", 0o600)
	r.File("/var/log/secure-20231231.gz", gz("dec 31\n"), 0o600)
	r.File("/var/log/secure", "now\n", 0o600)
	r.MkdirAll("/var/log/auth.log.5", 0o755) // a folder is no log
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	files, err := Families(fs, "/var/log", "auth.log", "secure")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rc, err := Open(fs, f.Path, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got = append(got, strings.TrimSpace(string(data))+"@"+strconv.Itoa(f.Rotation))
	}
	want := "hello log@10 four@4 three@3 two@2 one@1 current@0 dec 31@2 jan 7@1 now@0"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if none, err := Family(fs, "/var/log/nowhere/x.log"); err != nil || len(none) != 0 {
		t.Errorf("a missing folder: %v %v", none, err)
	}
}

// TestOpenCaps: what is read stops at the cap with ErrLimit (a decompression bomb is cut off at
// the cap, not after it has filled memory); a file of exactly the cap is read whole.
func TestOpenCaps(t *testing.T) {
	r := fixture.New(t)
	r.File("/var/log/bomb.gz", gz(strings.Repeat("A", 1<<20)), 0o644)
	r.File("/var/log/exact", "12345", 0o644)
	r.File("/var/log/x.lz4", "\x04\x22\x4d\x18rest", 0o644)
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	rc, err := Open(fs, "/var/log/bomb.gz", 1000)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if len(data) != 1000 || !errors.Is(err, ErrLimit) {
		t.Errorf("capped read: %d bytes, %v", len(data), err)
	}
	rc, _ = Open(fs, "/var/log/exact", 5)
	data, err = io.ReadAll(rc)
	rc.Close()
	if string(data) != "12345" || err != nil {
		t.Errorf("exact cap: %q %v", data, err)
	}
	if _, err := Open(fs, "/var/log/x.lz4", 0); err == nil || !strings.Contains(err.Error(), "lz4") {
		t.Errorf("lz4: %v", err)
	}
}

// TestOrderMixed: dated and numbered rotations of one log (a change of logrotate's dateext) are
// ordered by modification time; dated ones get numbers by age.
func TestOrderMixed(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fs := Order([]File{
		{Path: "/l/x", Family: "/l/x", Mtime: t0.Add(5 * time.Hour)},
		{Path: "/l/x.1", Family: "/l/x", Rotation: 1, Mtime: t0.Add(4 * time.Hour)},
		{Path: "/l/x-20251230", Family: "/l/x", Dated: "20251230", Mtime: t0.Add(time.Hour)},
		{Path: "/l/x.2.gz", Family: "/l/x", Rotation: 2, Compression: "gzip", Mtime: t0.Add(2 * time.Hour)},
	})
	var got []string
	for _, f := range fs {
		got = append(got, f.Path+"@"+strconv.Itoa(f.Rotation))
	}
	if want := "/l/x-20251230@3 /l/x.2.gz@2 /l/x.1@1 /l/x@0"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"auth.log", "auth.log.2.gz", "secure-20240107.xz", ".gz", "-", "a.0", "x-9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base, n, dated, comp := Split(name)
		if n < 0 || n > 999999 || (n > 0 && dated != "") || len(base) > len(name) {
			t.Fatalf("Split(%q) = %q %d %q %q", name, base, n, dated, comp)
		}
		if base == "" && name != "" {
			t.Fatalf("Split(%q) lost the name", name)
		}
	})
}
