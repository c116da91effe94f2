package journal

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

func journalBytes(msgs ...string) string {
	w := journaltest.New(journaltest.Options{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD})
	for _, m := range msgs {
		w.Add(journaltest.Entry{Fields: []string{"MESSAGE=" + m, "_HOSTNAME=web1"}})
	}
	return string(w.Bytes())
}

func TestFilesAndOpenPath(t *testing.T) {
	const mid = "/var/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4"
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	r := fixture.New(t)
	files := []struct {
		path string
		age  time.Duration // before base
	}{
		{mid + "/system.journal", 0},
		{mid + "/system@5e1f11e1d05e4a779c21420f0d1dea01-0000000000000001-0006130c2a0d1e00.journal", 48 * time.Hour},
		{mid + "/system@5e1f11e1d05e4a779c21420f0d1dea01-0000000000000100-0006131c2a0d1e00.journal", 24 * time.Hour},
		{mid + "/user-1000.journal", time.Hour},
		{mid + "/system@0006131c2a0d1e00-1122334455667788.journal~", 30 * time.Hour},
		{"/var/log/journal/remote/remote-10.0.0.5.journal", 2 * time.Hour},
		{"/run/log/journal/3d1219c7c4c5404aaa1f6d2a48adfda4/system.journal", 10 * time.Minute},
	}
	for i, f := range files {
		r.File(f.path, journalBytes(fmt.Sprintf("from file %d", i)), 0o640)
		r.Chtimes(f.path, base.Add(-f.age))
	}
	r.File(mid+"/notes.txt", "not a journal", 0o644)
	r.Symlink("/etc/shadow", mid+"/evil.journal")
	r.File("/var/log/journal/a/b/too-deep.journal", journalBytes("deep"), 0o640)

	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()

	got, err := ListFiles(fsys)
	if err != nil {
		t.Fatalf("ListFiles: %v", err)
	}
	wantOrder := []string{files[1].path, files[4].path, files[2].path, files[5].path, files[3].path, files[6].path, files[0].path}
	if !reflect.DeepEqual(got, wantOrder) {
		t.Fatalf("ListFiles:\n got  %q\n want %q", got, wantOrder)
	}
	if plain := Files(fsys); !reflect.DeepEqual(plain, got) {
		t.Errorf("Files = %q", plain)
	}

	for i, f := range files {
		jf, err := OpenPath(fsys, f.path)
		if err != nil {
			t.Fatalf("OpenPath %s: %v", f.path, err)
		}
		var msgs []string
		if err := jf.Entries(func(e Entry) error { msgs = append(msgs, e.Message()); return nil }); err != nil {
			t.Errorf("%s: %v", f.path, err)
		}
		if len(msgs) != 1 || msgs[0] != fmt.Sprintf("from file %d", i) {
			t.Errorf("%s: messages %q", f.path, msgs)
		}
		if jf.Name != f.path || jf.Header().FileSize == 0 {
			t.Errorf("Name %q size %d", jf.Name, jf.Header().FileSize)
		}
		if err := jf.Close(); err != nil {
			t.Error(err)
		}
	}
	if _, err := OpenPath(fsys, mid+"/notes.txt"); err == nil {
		t.Error("OpenPath accepted a text file")
	}
	if _, err := OpenPath(fsys, "/var/log/journal/missing.journal"); !hostfs.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFilesNoJournal(t *testing.T) {
	r := fixture.New(t)
	r.MkdirAll("/etc", 0o755)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	got, err := ListFiles(fsys)
	if len(got) != 0 || err != nil {
		t.Errorf("ListFiles = %q, %v; want nothing and no error", got, err)
	}
}

func TestOpenPathDamagedNamesFile(t *testing.T) {
	r := fixture.New(t)
	b := []byte(journalBytes("one", "two", "three"))
	r.File("/var/log/journal/x/system.journal", string(b[:len(b)-40]), 0o640)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	jf, err := OpenPath(fsys, "/var/log/journal/x/system.journal")
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	if !jf.Header().Truncated() {
		t.Error("cut file not reported truncated")
	}
	n := 0
	err = jf.Entries(func(Entry) error { n++; return nil })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("/var/log/journal/x/system.journal")) {
		t.Errorf("err = %v, want damage naming the host path", err)
	}
	if n == 0 {
		t.Error("no entry read before the cut")
	}
}
