package utmp

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// ent describes a struct utmp to build.
type ent struct {
	typ        int16
	pid        int32
	line, id   string
	user, host string
	addr       string
	sec, usec  uint32
	session    int32
	exit       [2]int16
}

// bytes lays the record out as glibc on x86_64 does.
func (e ent) bytes() []byte {
	b := make([]byte, RecordSize)
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(e.typ))
	le.PutUint32(b[4:], uint32(e.pid))
	copy(b[8:40], e.line)
	copy(b[40:44], e.id)
	copy(b[44:76], e.user)
	copy(b[76:332], e.host)
	le.PutUint16(b[332:], uint16(e.exit[0]))
	le.PutUint16(b[334:], uint16(e.exit[1]))
	le.PutUint32(b[336:], uint32(e.session))
	le.PutUint32(b[340:], e.sec)
	le.PutUint32(b[344:], e.usec)
	if e.addr != "" {
		a := netip.MustParseAddr(e.addr)
		if a.Is4() {
			v4 := a.As4()
			copy(b[348:352], v4[:])
		} else {
			v6 := a.As16()
			copy(b[348:364], v6[:])
		}
	}
	return b
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

const t0 = 1764158645 // 2025-11-26T12:04:05Z

func collect(t *testing.T, data []byte, unordered bool) ([]Record, []Anomaly) {
	t.Helper()
	var recs []Record
	an, err := Read(bytes.NewReader(data), unordered, func(r Record) bool { recs = append(recs, r); return true })
	if err != nil {
		t.Fatal(err)
	}
	return recs, an
}

func TestReadRecords(t *testing.T) {
	zero := make([]byte, 2*RecordSize)
	data := join(
		ent{typ: BootTime, line: "~", id: "~~", user: "reboot", host: "6.12.48+deb13-amd64", sec: t0}.bytes(),
		ent{typ: RunLevel, pid: 53, line: "~", id: "~~", user: "runlevel", host: "6.12.48+deb13-amd64", sec: t0 + 5}.bytes(),
		ent{typ: LoginProcess, pid: 700, line: "tty1", id: "tty1", user: "LOGIN", sec: t0 + 6}.bytes(),
		ent{typ: UserProcess, pid: 1234, line: "pts/0", id: "ts/0", user: "alice", host: "203.0.113.7", addr: "203.0.113.7", sec: t0 + 60, usec: 250000, session: 1234}.bytes(),
		ent{typ: UserProcess, pid: 1300, line: "pts/1", id: "ts/1", user: "bob", host: "2001:db8::7", addr: "2001:db8::7", sec: t0 + 120}.bytes(),
		ent{typ: DeadProcess, pid: 1234, line: "pts/0", id: "ts/0", sec: t0 + 600, exit: [2]int16{0, 0}}.bytes(),
		zero, // a log cleaner blanked two records
		ent{typ: UserProcess, pid: 1400, line: "pts/2", user: strings.Repeat("u", 32), host: "h", sec: t0 + 30}.bytes(), // out of order; user field full (no NUL)
		ent{typ: 42, sec: t0 + 700}.bytes(),
		[]byte("tail"),
	)
	recs, an := collect(t, data, false)
	type brief struct {
		off                      int64
		typ, line, user, host, a string
		pid                      int32
		tm                       time.Time
	}
	var got []brief
	for _, r := range recs {
		got = append(got, brief{r.Offset, r.Type, r.Line, r.User, r.Host, r.Addr, r.PID, r.Time})
	}
	at := func(s int64, us int64) time.Time { return time.Unix(s, us*1000).UTC() }
	want := []brief{
		{0, "BOOT_TIME", "~", "reboot", "6.12.48+deb13-amd64", "", 0, at(t0, 0)},
		{384, "RUN_LVL", "~", "runlevel", "6.12.48+deb13-amd64", "", 53, at(t0+5, 0)},
		{768, "LOGIN_PROCESS", "tty1", "LOGIN", "", "", 700, at(t0+6, 0)},
		{1152, "USER_PROCESS", "pts/0", "alice", "203.0.113.7", "203.0.113.7", 1234, at(t0+60, 250000)},
		{1536, "USER_PROCESS", "pts/1", "bob", "2001:db8::7", "2001:db8::7", 1300, at(t0+120, 0)},
		{1920, "DEAD_PROCESS", "pts/0", "", "", "", 1234, at(t0+600, 0)},
		{3072, "USER_PROCESS", "pts/2", strings.Repeat("u", 32), "h", "", 1400, at(t0+30, 0)},
		{3456, "UNKNOWN(42)", "", "", "", "", 0, at(t0+700, 0)},
	}
	if !slices.Equal(got, want) {
		t.Errorf("records:\n got  %+v\n want %+v", got, want)
	}
	if recs[3].Session != 1234 || recs[3].ID != "ts/0" {
		t.Errorf("session %d id %q", recs[3].Session, recs[3].ID)
	}
	var kinds []string
	for _, a := range an {
		kinds = append(kinds, a.Kind+"@"+itoa(a.Offset))
	}
	wantKinds := []string{"zeroed@2304", "time-order@3072", "bad-type@3456", "partial@3840"}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("anomalies %v, want %v (%+v)", kinds, wantKinds, an)
	}
	if !strings.Contains(an[0].Detail, "2 all-zero") || !strings.Contains(an[3].Detail, "4 bytes") {
		t.Errorf("details: %+v", an)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestReadAnomalyRules(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		unordered bool
		want      []string
	}{
		{"clean", join(ent{typ: BootTime, sec: t0}.bytes(), ent{typ: UserProcess, user: "a", sec: t0 + 1}.bytes()), false, nil},
		{"empty file", nil, false, nil},
		{"clock set back", join(
			ent{typ: UserProcess, user: "a", sec: t0 + 100}.bytes(),
			ent{typ: OldTime, line: "|", sec: t0 + 101}.bytes(),
			ent{typ: NewTime, line: "{", sec: t0 - 3600}.bytes(),
			ent{typ: UserProcess, user: "b", sec: t0 - 3500}.bytes()), false, nil},
		{"utmp has no order", join(ent{typ: UserProcess, user: "a", sec: t0 + 100}.bytes(), ent{typ: UserProcess, user: "b", sec: t0}.bytes()), true, nil},
		{"zeros at the end", join(ent{typ: BootTime, sec: t0}.bytes(), make([]byte, RecordSize)), false, []string{AnomalyZeroed}},
		{"only zeros", make([]byte, 3*RecordSize), false, []string{AnomalyZeroed}},
		{"zeros then partial", join(ent{typ: BootTime, sec: t0}.bytes(), make([]byte, RecordSize+10)), false, []string{AnomalyZeroed, AnomalyPartial}},
	}
	for _, tt := range tests {
		_, an := collect(t, tt.data, tt.unordered)
		var got []string
		for _, a := range an {
			got = append(got, a.Kind)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: anomalies %+v, want %v", tt.name, an, tt.want)
		}
	}
}

func TestAnomaliesBounded(t *testing.T) {
	var parts [][]byte
	for i := 0; i < 3*maxAnomalies; i++ {
		parts = append(parts, ent{typ: 99, sec: t0}.bytes())
	}
	_, an := collect(t, join(parts...), false)
	if len(an) != maxAnomalies+1 || an[len(an)-1].Kind != "more" {
		t.Errorf("%d anomalies, last %+v", len(an), an[len(an)-1])
	}
}

func TestStopEarly(t *testing.T) {
	data := join(ent{typ: BootTime, sec: t0}.bytes(), ent{typ: BootTime, sec: t0 + 1}.bytes())
	n := 0
	if _, err := Read(bytes.NewReader(data), false, func(Record) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("n %d err %v", n, err)
	}
}

func lastlogEntry(sec uint32, line, host string) []byte {
	b := make([]byte, LastlogSize)
	binary.LittleEndian.PutUint32(b, sec)
	copy(b[4:36], line)
	copy(b[36:], host)
	return b
}

func TestLastlog(t *testing.T) {
	r := fixture.New(t)
	r.MkdirAll("/var/log", 0o755)
	// Sparse: entries for uid 0, 1000 and 4,000,000 (a file of 1.1 GB, nearly all holes).
	f, err := os.Create(r.Path("/var/log/lastlog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		uid int64
		b   []byte
	}{
		{0, lastlogEntry(t0, "tty1", "")},
		{1000, lastlogEntry(t0+60, "pts/0", "203.0.113.7")},
		{4_000_000, lastlogEntry(t0+120, "pts/1", "198.51.100.9")},
	} {
		if _, err := f.WriteAt(e.b, e.uid*LastlogSize); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var got []LastLogin
	start := time.Now()
	if err := ReadLastlog(fs, "/var/log/lastlog", func(ll LastLogin) bool { got = append(got, ll); return true }); err != nil {
		t.Fatal(err)
	}
	want := []LastLogin{
		{0, time.Unix(t0, 0).UTC(), "tty1", ""},
		{1000, time.Unix(t0+60, 0).UTC(), "pts/0", "203.0.113.7"},
		{4_000_000, time.Unix(t0+120, 0).UTC(), "pts/1", "198.51.100.9"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	t.Logf("sparse lastlog read in %v", time.Since(start))

	// The same entries from a plain stream.
	var stream []byte
	stream = append(stream, lastlogEntry(t0, "tty1", "")...)
	stream = append(stream, make([]byte, LastlogSize)...)
	stream = append(stream, lastlogEntry(t0+60, "pts/0", "x")[:100]...) // cut short
	var got2 []LastLogin
	if err := ParseLastlog(bytes.NewReader(stream), func(ll LastLogin) bool { got2 = append(got2, ll); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got2) != 2 || got2[0].UID != 0 || got2[1].UID != 2 || got2[1].Line != "pts/0" {
		t.Errorf("stream: %+v", got2)
	}
}

func TestFilesAndReadFile(t *testing.T) {
	r := fixture.New(t)
	rec := ent{typ: UserProcess, pid: 1, line: "pts/0", user: "alice", sec: t0}.bytes()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(rec)
	w.Close()
	r.File("/var/log/wtmp", string(rec), 0o664)
	r.File("/var/log/wtmp.1", string(rec), 0o664)
	r.File("/var/log/wtmp.2.gz", gz.String(), 0o664)
	r.File("/var/log/btmp-20251101", string(rec), 0o600)
	r.File("/var/log/btmp", "", 0o600)
	r.File("/var/log/wtmp.bak", "", 0o600)
	r.File("/run/utmp", string(rec), 0o664)
	r.File("/var/log/lastlog", "", 0o664)
	r.File("/var/lib/wtmpdb/wtmp.db", "SQLite format 3\x00", 0o644)
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var got []string
	for _, f := range Files(fs) {
		got = append(got, f.Path+":"+f.Kind+":"+itoa(int64(f.Rotation)))
		if f.Supported != (f.Kind != KindWtmpDB) {
			t.Errorf("%s supported %v", f.Path, f.Supported)
		}
		if f.Kind == KindWtmpDB {
			continue
		}
		n := 0
		an, err := ReadFile(fs, f.Path, func(Record) bool { n++; return true })
		if f.Kind == KindLastlog {
			continue
		}
		if err != nil || len(an) != 0 || (f.Size > 0 && n != 1) {
			t.Errorf("%s: %d records, anomalies %v, err %v", f.Path, n, an, err)
		}
	}
	want := []string{"/var/log/wtmp.2.gz:wtmp:2", "/var/log/wtmp.1:wtmp:1", "/var/log/wtmp:wtmp:0",
		"/var/log/btmp-20251101:btmp:1", "/var/log/btmp:btmp:0", "/run/utmp:utmp:0", "/var/log/lastlog:lastlog:0",
		"/var/lib/wtmpdb/wtmp.db:wtmpdb:0"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v\nwant %v", got, want)
	}
	empty := fixture.New(t)
	empty.MkdirAll("/etc", 0o755)
	efs, err := hostfs.Open(empty.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer efs.Close()
	if f, err := ListFiles(efs); len(f) != 0 || err != nil {
		t.Errorf("empty root: %v, %v", f, err)
	}
	if _, err := ReadFile(fs, "/var/log/nope", func(Record) bool { return true }); !hostfs.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
