package snapshot

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, path string, n int) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMeta("hostname", "web1")
	for i := 0; i < n; i++ {
		w.Put(File{Path: fmt.Sprintf("/usr/bin/f%05d", i), Type: "file", Mode: 0o755, Size: int64(i), SHA256: "ab"})
	}
	w.Put(User{Name: "root", UID: 0, Shell: "/bin/bash", Password: "set", LoginShell: true})
	w.Put(&SSHKey{User: "root", File: "/root/.ssh/authorized_keys", Fingerprint: "SHA256:x", Options: `command="/bin/true"`})
	w.Problem("files", "/root", os.ErrPermission)
	w.Problem("files", "/ok", nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "host.snap")
	write(t, path, 1000)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Meta("hostname") != "web1" || r.Meta("count.files") != "1000" {
		t.Fatalf("meta: %v", r.MetaAll())
	}
	files, err := All[File](r, "size >= ?", 998)
	if err != nil || len(files) != 2 || files[0].Path != "/usr/bin/f00998" || files[1].Mode != 0o755 {
		t.Fatalf("files: %+v %v", files, err)
	}
	users, err := All[User](r, "")
	if err != nil || len(users) != 1 || !users[0].LoginShell || users[0].Shell != "/bin/bash" {
		t.Fatalf("users: %+v %v", users, err)
	}
	keys, _ := All[SSHKey](r, "")
	if len(keys) != 1 || keys[0].Options != `command="/bin/true"` {
		t.Fatalf("keys: %+v", keys)
	}
	probs, _ := All[Problem](r, "")
	if len(probs) != 1 || probs[0].Path != "/root" {
		t.Fatalf("problems: %+v", probs)
	}
	// Users may query the file with plain SQL.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM files WHERE mode & 2048 = 0").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("sql count: %d %v", n, err)
	}
}

func TestMemoryRoundTrip(t *testing.T) {
	w, err := CreateMemory()
	if err != nil {
		t.Fatal(err)
	}
	w.Put(Group{Name: "sudo", GID: 27, Members: "alice"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), sqliteMagic) {
		t.Fatal("not an SQLite stream")
	}
	r, err := w.Reader("memory")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gs, _ := All[Group](r, "")
	if len(gs) != 1 || gs[0].Members != "alice" {
		t.Fatalf("groups: %+v", gs)
	}
}

func TestOpenBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.snap")
	write(t, good, 3000)
	data, _ := os.ReadFile(good)

	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", "file:"+other)
	db.Exec("CREATE TABLE meta (key TEXT, value TEXT)")
	db.Exec("INSERT INTO meta VALUES ('format','something-else')")
	db.Close()

	cases := []struct {
		name    string
		content []byte
		path    string
		want    string
	}{
		{"empty", []byte{}, "", "not a nowwhat snapshot"},
		{"text", []byte("hello world, this is not a database at all\n"), "", "not a nowwhat snapshot"},
		{"truncated", data[:len(data)/2+100], "", "truncated"},
		{"truncated at a page", data[:len(data)/2/8192*8192], "", "truncated"},
		{"foreign sqlite", nil, other, "not a nowwhat snapshot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path
			if p == "" {
				p = filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
				os.WriteFile(p, tc.content, 0o600)
			}
			r, err := Open(p)
			if err == nil {
				r.Close()
				t.Fatal("bad snapshot accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestCreateFailsCleanly(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "missing", "x.snap")); err == nil {
		t.Fatal("create in a missing folder succeeded")
	}
}

// TestEachBatch reads every file in key order across batch edges, and lets the callback query
// the snapshot (which Each, holding the one connection, would deadlock on).
func TestEachBatch(t *testing.T) {
	w, err := CreateMemory()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 23 {
		p := fmt.Sprintf("/f/%03d", 22-i)
		w.Put(File{Path: p, Type: "file"})
		want = append(want, p)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := w.Reader("memory")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	slices.Sort(want)
	for _, n := range []int{1, 5, 23, 100} {
		var got []string
		err := EachBatch(r, n, func(f File) error {
			got = append(got, f.Path)
			same, err := All[File](r, "path = ?", f.Path) // a query inside the walk
			if err != nil || len(same) != 1 {
				return fmt.Errorf("lookup of %s inside the walk: %v %v", f.Path, same, err)
			}
			return nil
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("batches of %d: %v %v", n, got, err)
		}
	}
}

// TestOlderSnapshot: a snapshot written before a table or a column was added reads as having
// none of that table's records and zero in that column, so baselines stay usable.
func TestOlderSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.snap")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Put(Session{User: "alice", Via: "ssh", SourceIP: "192.0.2.10", Method: "publickey", Start: 100})
	w.Put(Burst{SourceIP: "203.0.113.7", Start: 50, Attempts: 60})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE login_bursts", "ALTER TABLE sessions DROP COLUMN method"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.HasTable("login_bursts") || !r.HasTable("sessions") {
		t.Errorf("HasTable: login_bursts %v, sessions %v", r.HasTable("login_bursts"), r.HasTable("sessions"))
	}
	bs, err := All[Burst](r, "")
	if err != nil || len(bs) != 0 {
		t.Errorf("bursts of an old snapshot: %v %v", bs, err)
	}
	ss, err := All[Session](r, "method = ''")
	if err != nil || len(ss) != 1 || ss[0].User != "alice" || ss[0].Method != "" || ss[0].SourceIP != "192.0.2.10" {
		t.Errorf("sessions of an old snapshot: %+v %v", ss, err)
	}
}
