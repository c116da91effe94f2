package packages

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
	"testing"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// rpmTag is one entry of an rpm header, for building test databases.
type rpmTag struct {
	tag   int32
	typ   uint32
	count uint32
	data  []byte
}

func rpmString(tag int32, s string) rpmTag { return rpmTag{tag, 6, 1, []byte(s + "\x00")} }

func rpmStrings(tag int32, ss ...string) rpmTag {
	return rpmTag{tag, 8, uint32(len(ss)), []byte(strings.Join(ss, "\x00") + "\x00")}
}

func rpmInt32s(tag int32, vs ...int32) rpmTag {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return rpmTag{tag, 4, uint32(len(vs)), b}
}

func rpmInt16s(tag int32, vs ...uint16) rpmTag {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint16(b[2*i:], v)
	}
	return rpmTag{tag, 3, uint32(len(vs)), b}
}

// rpmHeader lays out a v4 header blob the way rpm stores it in its database: index count, data
// length, an immutable-region entry, the tag entries, then the data with the region trailer.
func rpmHeader(tags []rpmTag) []byte {
	sort.Slice(tags, func(i, j int) bool { return tags[i].tag < tags[j].tag })
	align := map[uint32]int{3: 2, 4: 4}
	var data []byte
	offsets := make([]int32, len(tags))
	for i, t := range tags {
		if a := align[t.typ]; a > 1 {
			for len(data)%a != 0 {
				data = append(data, 0)
			}
		}
		offsets[i] = int32(len(data))
		data = append(data, t.data...)
	}
	il := int32(len(tags) + 1)
	entry := func(tag int32, typ uint32, off int32, count uint32) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b[0:], uint32(tag))
		binary.BigEndian.PutUint32(b[4:], typ)
		binary.BigEndian.PutUint32(b[8:], uint32(off))
		binary.BigEndian.PutUint32(b[12:], count)
		return b
	}
	regionOff := int32(len(data))
	data = append(data, entry(63, 7, -il*16, 16)...)
	out := binary.BigEndian.AppendUint32(nil, uint32(il))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, entry(63, 7, regionOff, 16)...)
	for i, t := range tags {
		out = append(out, entry(t.tag, t.typ, offsets[i], t.count)...)
	}
	return append(out, data...)
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// writeRPMDB writes an rpmdb.sqlite holding the given header blobs.
func writeRPMDB(t *testing.T, path string, blobs ...[]byte) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if _, err := db.Exec("INSERT INTO Packages (blob) VALUES (?)", b); err != nil {
			t.Fatal(err)
		}
	}
}

func bashHeader() []byte {
	return rpmHeader([]rpmTag{
		rpmString(1000, "bash"), rpmString(1001, "5.1.8"), rpmString(1002, "6.el9"), rpmString(1022, "x86_64"),
		rpmInt32s(5011, 8), // sha256
		rpmStrings(1118, "/usr/bin/", "/etc/skel/", "/usr/share/doc/", "/var/log/"),
		rpmInt32s(1116, 0, 0, 1, 2, 3),
		rpmStrings(1117, "bash", "sh", ".bashrc", "bash", "bash.log"),
		rpmInt16s(1030, 0o100755, 0o120777, 0o100644, 0o040755, 0o100644),
		rpmStrings(1035, sha256hex("bash binary"), "", strings.ToUpper(sha256hex("bashrc")), "", ""),
		rpmInt32s(1037, 0, 0, 1|16, 0, 64), // -, -, config(noreplace), -, ghost
	})
}

func opensslHeader() []byte {
	return rpmHeader([]rpmTag{
		rpmString(1000, "openssl"), rpmString(1001, "3.0.7"), rpmString(1002, "27.el9"), rpmInt32s(1003, 1),
		rpmString(1022, "x86_64"),
		rpmStrings(1118, "/usr/bin/"), rpmInt32s(1116, 0), rpmStrings(1117, "openssl"),
		rpmInt16s(1030, 0o100755), rpmStrings(1035, md5hex("openssl")), rpmInt32s(1037, 0),
	})
}

func TestCollectRPM(t *testing.T) {
	tests := []struct {
		name  string
		dbDir string
		link  string // make /var/lib/rpm a link to this
	}{
		{"rhel layout", "/var/lib/rpm", ""},
		{"fedora layout", "/usr/lib/sysimage/rpm", "../../usr/lib/sysimage/rpm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture.New(t).MkdirAll(tt.dbDir, 0o755)
			if tt.link != "" {
				r.Symlink(tt.link, "/var/lib/rpm")
			}
			writeRPMDB(t, r.Path(tt.dbDir+"/rpmdb.sqlite"), bashHeader(), opensslHeader())
			rec := run(t, r)
			if len(rec.Problems) != 0 {
				t.Fatalf("problems: %+v", rec.Problems)
			}
			pkgs := probe.Of[snapshot.Package](rec)
			wantPkgs := []snapshot.Package{
				{Manager: "rpm", Name: "bash", Arch: "x86_64", Version: "5.1.8-6.el9", Status: "installed"},
				{Manager: "rpm", Name: "openssl", Arch: "x86_64", Version: "1:3.0.7-27.el9", Status: "installed"},
			}
			if len(pkgs) != 2 || pkgs[0] != wantPkgs[0] || pkgs[1] != wantPkgs[1] {
				t.Errorf("packages: %+v", pkgs)
			}
			files := probe.Of[snapshot.PackageFile](rec)
			wantFiles := []snapshot.PackageFile{
				{Path: "/usr/bin/bash", Manager: "rpm", Package: "bash", Alg: "sha256", Digest: sha256hex("bash binary")},
				{Path: "/etc/skel/.bashrc", Manager: "rpm", Package: "bash", Alg: "sha256", Digest: sha256hex("bashrc"), Conffile: true},
				{Path: "/var/log/bash.log", Manager: "rpm", Package: "bash"},
				{Path: "/usr/bin/openssl", Manager: "rpm", Package: "openssl", Alg: "md5", Digest: md5hex("openssl")},
			}
			if len(files) != len(wantFiles) {
				t.Fatalf("files: %+v", files)
			}
			for i := range wantFiles {
				if files[i] != wantFiles[i] {
					t.Errorf("file %d: got %+v, want %+v", i, files[i], wantFiles[i])
				}
			}
		})
	}
}

func TestCollectRPMProblems(t *testing.T) {
	tests := []struct {
		name  string
		build func(r *fixture.Root)
		want  string
	}{
		{"corrupt header", func(r *fixture.Root) {
			r.MkdirAll("/var/lib/rpm", 0o755)
			writeRPMDB(t, r.Path("/var/lib/rpm/rpmdb.sqlite"), []byte("\x00\x00\x00\x01garbage"))
		}, "read rpm database"},
		{"not a database", func(r *fixture.Root) {
			r.File("/var/lib/rpm/Packages", "this is not a Berkeley DB file at all, just text", 0o644)
		}, "open rpm database"},
		{"database behind an absolute link", func(r *fixture.Root) {
			r.MkdirAll("/srv/rpm", 0o755)
			writeRPMDB(t, r.Path("/srv/rpm/rpmdb.sqlite"), bashHeader())
			r.Symlink("/srv/rpm", "/var/lib/rpm")
		}, "symbolic link"},
		{"database file is a link", func(r *fixture.Root) {
			r.MkdirAll("/srv", 0o755)
			writeRPMDB(t, r.Path("/srv/rpmdb.sqlite"), bashHeader())
			r.Symlink("/srv/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite")
		}, "symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture.New(t)
			tt.build(r)
			rec := run(t, r)
			if len(probe.Of[snapshot.Package](rec)) != 0 {
				t.Errorf("records: %+v", rec.Records)
			}
			if len(rec.Problems) != 1 || !strings.Contains(rec.Problems[0].Error, tt.want) {
				t.Fatalf("problems: %+v, want one with %q", rec.Problems, tt.want)
			}
		})
	}
}

func TestRPMAlg(t *testing.T) {
	tests := []struct {
		in   int32
		want string
	}{{0, "md5"}, {1, "md5"}, {2, "sha1"}, {8, "sha256"}, {9, "sha384"}, {10, "sha512"}, {99, "alg99"}}
	for _, tt := range tests {
		if got := rpmAlg(rpmdb.DigestAlgorithm(tt.in)); got != tt.want {
			t.Errorf("rpmAlg(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
