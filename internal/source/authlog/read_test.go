package authlog

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func openRoot(t *testing.T, r *fixture.Root) *hostfs.FS {
	t.Helper()
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

type problem struct{ path, err string }

func readAll(t *testing.T, fs *hostfs.FS, loc *time.Location) ([]Event, []problem) {
	t.Helper()
	var probs []problem
	rd := &Reader{FS: fs, Location: loc, Problem: func(p string, err error) { probs = append(probs, problem{p, err.Error()}) }}
	return slices.Collect(rd.Events(context.Background(), Files(fs))), probs
}

// sshLine is an accepted login at a traditional stamp, with the stamp as user name so a test
// can tell the lines apart.
func sshLine(st string) string {
	return st + " h sshd[1]: Accepted password for u from 192.0.2.1 port 22 ssh2\n"
}

func times(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Time.Format(time.RFC3339Nano))
	}
	return out
}

func TestFilesOrder(t *testing.T) {
	r := fixture.New(t)
	for _, name := range []string{"auth.log", "auth.log.1", "auth.log.2.gz", "auth.log.10.gz", "auth.log.bak",
		"auth.log.0x", "secure", "secure-20240108", "secure-20240101.gz", "syslog", "authlog"} {
		r.File("/var/log/"+name, "", 0o640)
	}
	r.MkdirAll("/var/log/auth.log.3", 0o755)
	fs := openRoot(t, r)
	var got []string
	for _, f := range Files(fs) {
		got = append(got, fmt.Sprintf("%s:%d:%s", f.Path, f.Rotation, f.Compression))
	}
	want := []string{
		"/var/log/auth.log.10.gz:10:gzip", "/var/log/auth.log.2.gz:2:gzip", "/var/log/auth.log.1:1:",
		"/var/log/auth.log:0:", "/var/log/secure-20240101.gz:2:gzip", "/var/log/secure-20240108:1:",
		"/var/log/secure:0:",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestFilesMissingAndLinked(t *testing.T) {
	r := fixture.New(t)
	r.MkdirAll("/etc", 0o755)
	fs := openRoot(t, r)
	if f, err := ListFiles(fs); len(f) != 0 || err != nil {
		t.Errorf("no /var/log: got %v, %v", f, err)
	}
	r.Symlink("/dev/null", "/var/log/auth.log")
	files := Files(fs)
	if len(files) != 1 || files[0].Type != "symlink" || files[0].Target != "/dev/null" {
		t.Fatalf("got %+v", files)
	}
	evs, probs := readAll(t, fs, nil)
	if len(evs) != 0 || len(probs) != 1 || probs[0].path != "/var/log/auth.log" {
		t.Errorf("events %v, problems %v", evs, probs)
	}
}

func TestRotationAndYears(t *testing.T) {
	// The files' modification times were lost (all set to a copy in June 2027): the year comes
	// from the rotation order: each file ends before the next newer one starts.
	r := fixture.New(t)
	copied := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	r.File("/var/log/auth.log.2.gz", gz(t, sshLine("Nov  1 10:00:00")+sshLine("Dec 19 10:00:00")), 0o640).Chtimes("/var/log/auth.log.2.gz", copied)
	r.File("/var/log/auth.log.1", sshLine("Dec 20 10:00:00")+sshLine("Dec 31 23:59:59"), 0o640).Chtimes("/var/log/auth.log.1", copied)
	r.File("/var/log/auth.log", sshLine("Jan  1 00:00:01")+sshLine("Jan  5 08:00:00"), 0o640).Chtimes("/var/log/auth.log", copied)
	evs, probs := readAll(t, openRoot(t, r), nil)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	want := []string{"2026-11-01T10:00:00Z", "2026-12-19T10:00:00Z", "2026-12-20T10:00:00Z", "2026-12-31T23:59:59Z",
		"2027-01-01T00:00:01Z", "2027-01-05T08:00:00Z"}
	if got := times(evs); !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if evs[0].File != "/var/log/auth.log.2.gz" || evs[0].Line != 1 || evs[5].File != "/var/log/auth.log" || evs[5].Line != 2 {
		t.Errorf("file/line: %s:%d, %s:%d", evs[0].File, evs[0].Line, evs[5].File, evs[5].Line)
	}
}

func TestYearsInOneFile(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	tests := []struct {
		name  string
		lines []string
		mtime time.Time
		loc   *time.Location
		want  []string
	}{
		{"new year", []string{"Dec 31 23:59:58", "Jan  1 00:00:01", "Jan  2 10:00:00"},
			time.Date(2026, 1, 2, 10, 0, 1, 0, time.UTC), nil,
			[]string{"2025-12-31T23:59:58Z", "2026-01-01T00:00:01Z", "2026-01-02T10:00:00Z"}},
		{"late line across the new year", []string{"Jan  1 00:00:05", "Dec 31 23:59:58", "Jan  1 00:00:07"},
			time.Date(2026, 1, 1, 0, 0, 7, 0, time.UTC), nil,
			[]string{"2026-01-01T00:00:05Z", "2025-12-31T23:59:58Z", "2026-01-01T00:00:07Z"}},
		{"late line within the day", []string{"Mar  5 10:00:00", "Mar  5 09:00:00", "Mar  5 11:00:00"},
			time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC), nil,
			[]string{"2026-03-05T10:00:00Z", "2026-03-05T09:00:00Z", "2026-03-05T11:00:00Z"}},
		{"two years in one file", []string{"Jan 10 00:00:00", "Jul 10 00:00:00", "Jan 10 00:00:00", "Jul 10 00:00:00", "Jan 10 00:00:00"},
			time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil,
			[]string{"2024-01-10T00:00:00Z", "2024-07-10T00:00:00Z", "2025-01-10T00:00:00Z", "2025-07-10T00:00:00Z", "2026-01-10T00:00:00Z"}},
		{"last line later than mtime in the year: previous year", []string{"Nov 30 10:00:00", "Dec  1 10:00:00"},
			time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), nil,
			[]string{"2025-11-30T10:00:00Z", "2025-12-01T10:00:00Z"}},
		{"mtime a little before the last line (zone)", []string{"Jan  1 05:00:00"},
			time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), nil,
			[]string{"2026-01-01T05:00:00Z"}},
		{"leap day", []string{"Feb 29 12:00:00"},
			time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), nil,
			[]string{"2024-02-29T12:00:00Z"}},
		{"host zone", []string{"Jul  1 12:00:00", "Dec  1 12:00:00"},
			time.Date(2026, 12, 1, 12, 0, 0, 0, berlin), berlin,
			[]string{"2026-07-01T10:00:00Z", "2026-12-01T11:00:00Z"}},
		{"RFC 3339 after traditional (upgrade)", []string{"Nov 25 10:00:00", "2026-11-26T13:04:05.5+01:00", "Nov 27 09:00:00"},
			time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil,
			[]string{"2026-11-25T10:00:00Z", "2026-11-26T12:04:05.5Z", "2026-11-27T09:00:00Z"}},
		{"traditional after RFC 3339 only", []string{"2026-12-31T23:00:00Z", "Jan  1 01:00:00"},
			time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil,
			[]string{"2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			for _, l := range tt.lines {
				b.WriteString(sshLine(l))
			}
			r := fixture.New(t)
			r.File("/var/log/auth.log", b.String(), 0o640).Chtimes("/var/log/auth.log", tt.mtime)
			evs, probs := readAll(t, openRoot(t, r), tt.loc)
			if len(probs) != 0 {
				t.Fatal(probs)
			}
			if got := times(evs); !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestYearCursor(t *testing.T) {
	st := func(mon, day, h int) int64 { return stamp{Mon: mon, Day: day, Hour: h}.Pos() }
	tests := []struct {
		name  string
		stamp []int64
		want  []int
	}{
		{"forward", []int64{st(1, 1, 0), st(6, 1, 0), st(12, 31, 23)}, []int{0, 0, 0}},
		{"wrap", []int64{st(12, 31, 23), st(1, 1, 0), st(12, 20, 0), st(1, 1, 1)}, []int{0, 1, 1, 2}},
		{"late by hours", []int64{st(3, 5, 10), st(3, 5, 2), st(3, 5, 11)}, []int{0, 0, 0}},
		{"late across new year", []int64{st(1, 1, 1), st(12, 31, 22), st(1, 1, 2)}, []int{0, -1, 0}},
		{"big gap backwards is a new year", []int64{st(7, 1, 0), st(3, 1, 0)}, []int{0, 1}},
		{"three days back is a new year", []int64{st(7, 4, 0), st(7, 1, 0)}, []int{0, 1}},
	}
	for _, tt := range tests {
		var c yearCursor
		var got []int
		for _, p := range tt.stamp {
			got = append(got, c.Observe(p))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCompressedAndBroken(t *testing.T) {
	var bz bytes.Buffer // bzip2 has no writer in the standard library: check only the error path
	bz.WriteString("BZh9garbage")
	r := fixture.New(t)
	mt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.File("/var/log/auth.log.4.gz", "\x1f\x8bnot really gzip", 0o640).Chtimes("/var/log/auth.log.4.gz", mt)
	r.File("/var/log/auth.log.3.bz2", bz.String(), 0o640).Chtimes("/var/log/auth.log.3.bz2", mt)
	r.File("/var/log/auth.log.2.xz", "\xfd7zXZ\x00rest", 0o640).Chtimes("/var/log/auth.log.2.xz", mt)
	// A plain file named .gz is read as plain text.
	r.File("/var/log/auth.log.1.gz", sshLine("Dec 30 10:00:00"), 0o640).Chtimes("/var/log/auth.log.1.gz", mt)
	r.File("/var/log/auth.log", gz(t, sshLine("Dec 31 10:00:00")), 0o640).Chtimes("/var/log/auth.log", mt)
	evs, probs := readAll(t, openRoot(t, r), nil)
	if got := times(evs); !slices.Equal(got, []string{"2025-12-30T10:00:00Z", "2025-12-31T10:00:00Z"}) {
		t.Errorf("events %v", got)
	}
	bad := map[string]bool{}
	for _, p := range probs {
		bad[p.path] = true
	}
	for _, p := range []string{"/var/log/auth.log.4.gz", "/var/log/auth.log.3.bz2", "/var/log/auth.log.2.xz"} {
		if !bad[p] {
			t.Errorf("no problem for %s (problems %v)", p, probs)
		}
	}
	_ = bzip2.StructuralError("") // the package reads bzip2 through compress/bzip2
}

func TestLongLinesAndLimit(t *testing.T) {
	long := "Nov 26 13:04:05 h sshd[1]: Invalid user " + strings.Repeat("x", MaxLine*2) + " from 10.0.0.1\n"
	content := long + sshLine("Nov 26 13:04:06") + "Nov 26 13:04:07 h sshd[1]: no newline at the end"
	rd := &Reader{}
	var evs []Event
	err := rd.Stream(context.Background(), strings.NewReader(content), "/var/log/auth.log", 2026, func(ev Event) bool {
		evs = append(evs, ev)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	st := rd.Stats()
	if len(evs) != 3 || st.Long != 1 || st.Lines != 3 || evs[1].Line != 2 || evs[1].Kind != KindSSHAccepted || evs[2].Kind != KindOther {
		t.Fatalf("events %d, stats %+v", len(evs), st)
	}
	if evs[0].Kind != KindSSHInvalidUser || len(evs[0].Raw) != maxRaw {
		t.Errorf("long line: kind %q, raw %d bytes", evs[0].Kind, len(evs[0].Raw))
	}

	// A read limit stops the file and says so.
	rd = &Reader{MaxBytes: 100}
	n := 0
	err = rd.Stream(context.Background(), strings.NewReader(strings.Repeat(sshLine("Nov 26 13:04:06"), 10)), "f", 2026, func(Event) bool { n++; return true })
	if !errors.Is(err, ErrLimit) || n != 1 {
		t.Errorf("limit: err %v, %d events", err, n)
	}

	// yield returning false stops the stream.
	rd = &Reader{}
	n = 0
	err = rd.Stream(context.Background(), strings.NewReader(strings.Repeat(sshLine("Nov 26 13:04:06"), 10)), "f", 2026, func(Event) bool { n++; return n < 3 })
	if err != nil || n != 3 {
		t.Errorf("stop: err %v, %d events", err, n)
	}
}

func TestHostLocation(t *testing.T) {
	data, err := hostZoneData("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	r := fixture.New(t)
	r.File("/usr/share/zoneinfo/Europe/Berlin", string(data), 0o644)
	r.Symlink("/usr/share/zoneinfo/Europe/Berlin", "/etc/localtime")
	fs := openRoot(t, r)
	loc := HostLocation(fs)
	if loc.String() != "Europe/Berlin" {
		t.Errorf("zone %q", loc)
	}
	if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, loc).Zone(); off != 7200 {
		t.Errorf("July offset %d", off)
	}
	r2 := fixture.New(t)
	r2.MkdirAll("/etc", 0o755)
	if loc := HostLocation(openRoot(t, r2)); loc != time.UTC {
		t.Errorf("no localtime: %v", loc)
	}
}

// hostZoneData reads zone data of the machine running the tests.
func hostZoneData(name string) ([]byte, error) {
	return os.ReadFile("/usr/share/zoneinfo/" + name)
}

// TestXzAndZstdRotations: rotations logrotate compressed with xz or zstd are read like gzip ones
// (they used to be refused).
func TestXzAndZstdRotations(t *testing.T) {
	var xzb bytes.Buffer
	xw, err := xz.NewWriter(&xzb)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write([]byte(sshLine("Dec 29 10:00:00")))
	xw.Close()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := fixture.New(t)
	mt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.File("/var/log/auth.log.2.xz", xzb.String(), 0o640).Chtimes("/var/log/auth.log.2.xz", mt)
	r.File("/var/log/auth.log.1.zst", string(enc.EncodeAll([]byte(sshLine("Dec 30 10:00:00")), nil)), 0o640).Chtimes("/var/log/auth.log.1.zst", mt)
	r.File("/var/log/auth.log", sshLine("Dec 31 10:00:00"), 0o640).Chtimes("/var/log/auth.log", mt)
	evs, probs := readAll(t, openRoot(t, r), nil)
	if got := times(evs); !slices.Equal(got, []string{"2025-12-29T10:00:00Z", "2025-12-30T10:00:00Z", "2025-12-31T10:00:00Z"}) || len(probs) > 0 {
		t.Errorf("events %v, problems %v", got, probs)
	}
}
