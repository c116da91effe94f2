package journal

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

// sampleEntries are entries with the shapes real journals hold: small shared fields, unique
// messages, a repeated field, binary and empty values, and payloads large enough to be
// compressed.
func sampleEntries() []journaltest.Entry {
	boot2 := [16]byte{0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	var out []journaltest.Entry
	for i := 0; i < 40; i++ {
		e := journaltest.Entry{
			Realtime:  1700000000000000 + uint64(i)*1500000,
			Monotonic: 5000000 + uint64(i)*1000,
			Fields: []string{
				fmt.Sprintf("MESSAGE=Accepted publickey for root from 203.0.113.%d port %d ssh2", i, 40000+i),
				"_HOSTNAME=web1",
				"_TRANSPORT=syslog",
				"SYSLOG_IDENTIFIER=sshd",
				fmt.Sprintf("_PID=%d", 1000+i%3),
				"PRIORITY=6",
			},
		}
		switch i % 10 {
		case 3:
			e.Fields = append(e.Fields, "TAG=one", "TAG=two") // a field given twice
		case 4:
			e.Fields = append(e.Fields, "BINARY=\x00\x01\xff\n=x", "EMPTY=")
		case 5:
			e.Fields = append(e.Fields, "COREDUMP="+strings.Repeat("stack frame 0x7f00 in libc.so.6\n", 60+i))
		case 6:
			e.Fields[0] = "MESSAGE=" + strings.Repeat("é long message ", 100) + fmt.Sprint(i)
		}
		if i >= 30 {
			e.BootID = boot2
			e.Monotonic = 100 + uint64(i)
		}
		out = append(out, e)
	}
	return out
}

// want turns what was written into what the reader should deliver.
func want(w journaltest.Options, in []journaltest.Entry) []Entry {
	var out []Entry
	boot := "b0071d00112243338444555566667777"
	for i, e := range in {
		x := Entry{
			Seqnum:    uint64(i + 1),
			Realtime:  time.UnixMicro(int64(e.Realtime)).UTC(),
			Monotonic: e.Monotonic,
			BootID:    boot,
			Fields:    map[string]string{},
		}
		if e.BootID != ([16]byte{}) {
			x.BootID = hex.EncodeToString(e.BootID[:])
		}
		for _, f := range e.Fields {
			name, value, _ := strings.Cut(f, "=")
			if _, ok := x.Fields[name]; ok {
				if x.Repeated == nil {
					x.Repeated = map[string][]string{}
				}
				x.Repeated[name] = append(x.Repeated[name], value)
				continue
			}
			x.Fields[name] = value
		}
		out = append(out, x)
	}
	return out
}

func readAll(t testing.TB, b []byte) (*File, []Entry, error) {
	t.Helper()
	f, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var got []Entry
	err = f.Entries(func(e Entry) error {
		got = append(got, e)
		return nil
	})
	return f, got, err
}

// compareEntries checks everything but Offset (which depends on the layout).
func compareEntries(t *testing.T, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		g := got[i]
		g.Offset = 0
		if !reflect.DeepEqual(g, want[i]) {
			t.Fatalf("entry %d:\n got  %+v\n want %+v", i, g, want[i])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		o    journaltest.Options
	}{
		{"regular", journaltest.Options{}},
		{"compact", journaltest.Options{Compact: true}},
		{"keyed", journaltest.Options{KeyedHash: true}},
		{"compact keyed zstd (journald 252 default)", journaltest.Options{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD}},
		{"xz", journaltest.Options{Compression: journaltest.XZ}},
		{"xz compact", journaltest.Options{Compression: journaltest.XZ, Compact: true}},
		{"lz4", journaltest.Options{Compression: journaltest.LZ4}},
		{"lz4 compact keyed", journaltest.Options{Compression: journaltest.LZ4, Compact: true, KeyedHash: true}},
		{"zstd", journaltest.Options{Compression: journaltest.ZSTD}},
		{"zstd everything compressed", journaltest.Options{Compression: journaltest.ZSTD, CompressThreshold: 8}},
		{"old header 208", journaltest.Options{HeaderSize: 208}},
		{"header 240", journaltest.Options{HeaderSize: 240, Compression: journaltest.XZ}},
		{"header 264 (systemd 252)", journaltest.Options{HeaderSize: 264, Compact: true}},
		{"archived", journaltest.Options{State: 2}},
		{"online", journaltest.Options{State: 1, Compact: true}},
		{"tiny hash tables", journaltest.Options{DataBuckets: 1, FieldBuckets: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleEntries()
			w := journaltest.New(tc.o)
			for _, e := range in {
				w.Add(e)
			}
			f, got, err := readAll(t, w.Bytes())
			if err != nil {
				t.Fatalf("Entries: %v", err)
			}
			compareEntries(t, got, want(tc.o, in))
			for i := 1; i < len(got); i++ {
				if got[i].Offset <= got[i-1].Offset {
					t.Fatalf("offsets not increasing: %d then %d", got[i-1].Offset, got[i].Offset)
				}
			}
			if got[3].Message() != got[3].Get("MESSAGE") || !strings.HasPrefix(got[3].Message(), "Accepted publickey") {
				t.Errorf("Message() = %q", got[3].Message())
			}
			if all := got[3].All("TAG"); !reflect.DeepEqual(all, []string{"one", "two"}) {
				t.Errorf("All(TAG) = %q", all)
			}
			h := f.Header()
			if h.Entries != 40 || h.HeadSeqnum != 1 || h.TailSeqnum != 40 {
				t.Errorf("header counts: %+v", h)
			}
			if !h.HeadRealtime.Equal(got[0].Realtime) || !h.TailRealtime.Equal(got[39].Realtime) {
				t.Errorf("header times %v %v", h.HeadRealtime, h.TailRealtime)
			}
			if h.State != State(tc.o.State) || h.Compact() != tc.o.Compact || h.KeyedHash() != tc.o.KeyedHash {
				t.Errorf("header state/flags: %v %v", h.State, h.Flags())
			}
			if h.Truncated() {
				t.Error("complete file reported truncated")
			}
			if tc.o.HeaderSize == 0 || tc.o.HeaderSize >= 240 {
				if h.EntryArrays == 0 || h.Data == 0 || h.Fields == 0 {
					t.Errorf("counters missing from a %d-byte header: %+v", h.HeaderSize, h)
				}
			} else if h.EntryArrays != 0 {
				t.Errorf("n_entry_arrays read from a %d-byte header", h.HeaderSize)
			}
		})
	}
}

func TestEntriesStopsOnCallbackError(t *testing.T) {
	w := journaltest.New(journaltest.Options{})
	for _, e := range sampleEntries() {
		w.Add(e)
	}
	b := w.Bytes()
	f, _ := Open(bytes.NewReader(b), int64(len(b)))
	stop := errors.New("enough")
	n := 0
	err := f.Entries(func(Entry) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Fatalf("err %v after %d entries, want the callback's error after 5", err, n)
	}
}

func TestUnlinkedEntries(t *testing.T) {
	tests := []struct {
		name       string
		state      uint8
		wantDamage bool
	}{
		{"online file: writer died before linking", 1, false},
		{"offline file: entry left out of the index", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := journaltest.New(journaltest.Options{State: tc.state, Compact: true})
			in := sampleEntries()[:10]
			for _, e := range in {
				w.Add(e)
			}
			w.Add(journaltest.Entry{Fields: []string{"MESSAGE=never linked", "_HOSTNAME=web1"}, Unlinked: true})
			_, got, err := readAll(t, w.Bytes())
			if len(got) != 11 {
				t.Fatalf("got %d entries, want 11", len(got))
			}
			last := got[10]
			if !last.Recovered || last.Message() != "never linked" || last.Seqnum != 11 {
				t.Errorf("last entry %+v, want the recovered unlinked one", last)
			}
			for _, e := range got[:10] {
				if e.Recovered {
					t.Errorf("indexed entry %d marked recovered", e.Seqnum)
				}
			}
			var d *DamageError
			if errors.As(err, &d) != tc.wantDamage {
				t.Fatalf("err = %v, want damage %v", err, tc.wantDamage)
			}
			if tc.wantDamage && !strings.Contains(err.Error(), "not in the entry index") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	good := journaltest.New(journaltest.Options{})
	good.Add(journaltest.Entry{Fields: []string{"MESSAGE=x"}})
	base := good.Bytes()
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), base...))
	}
	tests := []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"empty", nil, "", ErrNotJournal},
		{"not a journal", []byte("#!/bin/sh\necho hello\n"), "", ErrNotJournal},
		{"header cut", base[:100], "too short", nil},
		{"unknown incompatible flag", mod(func(b []byte) []byte { b[12] |= 0x40; return b }), "", ErrUnsupported},
		{"header size too small", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[88:], 100); return b }), "below the minimum", nil},
		{"header size unaligned", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[88:], 250); return b }), "multiple of 8", nil},
		{"header size past the end", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[88:], 1<<40); return b }), "beyond the end", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				t.Fatal("Open accepted it")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// layout is a small file with known object offsets, for targeted damage.
type layout struct {
	b       []byte
	entries []int64 // ENTRY objects
	data    map[string]int64
}

func buildLayout(t *testing.T, o journaltest.Options) layout {
	t.Helper()
	w := journaltest.New(o)
	var l layout
	for i := 0; i < 12; i++ {
		fields := []string{fmt.Sprintf("MESSAGE=m%d", i), "_HOSTNAME=h"}
		if i == 5 {
			fields = append(fields, "BIG="+strings.Repeat("x", 2000))
		}
		l.entries = append(l.entries, w.Add(journaltest.Entry{Fields: fields}))
	}
	l.b = w.Bytes()
	f, _ := Open(bytes.NewReader(l.b), int64(len(l.b)))
	l.data = map[string]int64{}
	p := int64(f.h.HeaderSize)
	for p < int64(len(l.b)) {
		typ, size, err := f.object(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if typ == ObjectData {
			fl, err := f.data(p)
			if err != nil {
				t.Fatal(err)
			}
			l.data[fl.name+"="+fl.value] = p
		}
		p += int64(align8(uint64(size)))
	}
	return l
}

func TestDamage(t *testing.T) {
	put64 := func(b []byte, off int64, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
	big := "BIG=" + strings.Repeat("x", 2000)
	tests := []struct {
		name     string
		o        journaltest.Options
		damage   func(l layout, b []byte) []byte
		entries  int    // delivered
		messages string // their MESSAGE fields, joined
		says     string // the damage report mentions
	}{
		{
			name:    "entry object type overwritten",
			damage:  func(l layout, b []byte) []byte { b[l.entries[3]] = ObjectField; return b },
			entries: 11, says: "found a FIELD object, expected a ENTRY object",
		},
		{
			name:    "entry size absurd",
			damage:  func(l layout, b []byte) []byte { put64(b, l.entries[4]+8, 1<<62); return b },
			entries: 11, says: "runs past the end of the file",
		},
		{
			name: "data object of one field garbled",
			damage: func(l layout, b []byte) []byte {
				b[l.data["MESSAGE=m2"]] = 0x7f
				return b
			},
			entries: 12, says: "data object at offset",
		},
		{
			name:    "truncated in the middle",
			damage:  func(l layout, b []byte) []byte { return b[:l.entries[7]+20] },
			entries: 7, says: "beyond the end of the file",
		},
		{
			name:    "truncated right after an entry",
			damage:  func(l layout, b []byte) []byte { return b[:l.entries[7]] },
			entries: 7, says: "header counts 12 entries, 7 could be read",
		},
		{
			name: "entry array chain points back to itself",
			damage: func(l layout, b []byte) []byte {
				f, _ := Open(bytes.NewReader(b), int64(len(b)))
				first := int64(f.h.EntryArrayOffset)
				put64(b, first+16, uint64(first))
				return b
			},
			// The first array holds 4 entries; the walk of objects after the 4th finds the rest.
			entries: 12, says: "cycle",
		},
		{
			name: "entry array item points backwards",
			damage: func(l layout, b []byte) []byte {
				f, _ := Open(bytes.NewReader(b), int64(len(b)))
				first := int64(f.h.EntryArrayOffset)
				put64(b, first+24+2*8, uint64(l.entries[0]))
				return b
			},
			entries: 12, says: "does not lie after the previous entry",
		},
		{
			name: "header entry array offset unaligned",
			damage: func(l layout, b []byte) []byte {
				f, _ := Open(bytes.NewReader(b), int64(len(b)))
				put64(b, 176, f.h.EntryArrayOffset+3)
				return b
			},
			entries: 12, says: "not aligned",
		},
		{
			name:   "compressed payload corrupted",
			o:      journaltest.Options{Compression: journaltest.ZSTD, Compact: true},
			damage: func(l layout, b []byte) []byte { copy(b[l.data[big]+72+10:], "garbage!"); return b },
			// the entry is still delivered, without its BIG field
			entries: 12, says: "zstd",
		},
		{
			name: "two compression flags",
			o:    journaltest.Options{Compression: journaltest.LZ4},
			damage: func(l layout, b []byte) []byte {
				b[l.data[big]+1] |= ObjectCompressedXZ
				return b
			},
			entries: 12, says: "more than one compression flag",
		},
		{
			name: "lz4 size prefix lies",
			o:    journaltest.Options{Compression: journaltest.LZ4},
			damage: func(l layout, b []byte) []byte {
				put64(b, l.data[big]+64, 1<<40)
				return b
			},
			entries: 12, says: "payload larger than",
		},
		{
			name: "payload without '='",
			damage: func(l layout, b []byte) []byte {
				p := l.data["MESSAGE=m9"] + 64
				copy(b[p:], "MESSAGE_m9")
				return b
			},
			entries: 12, says: "not NAME=value",
		},
		{
			name: "entry item to the header",
			o:    journaltest.Options{Compact: true},
			damage: func(l layout, b []byte) []byte {
				binary.LittleEndian.PutUint32(b[l.entries[6]+64:], 8)
				return b
			},
			entries: 12, says: "inside the file header",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := buildLayout(t, tc.o)
			b := tc.damage(l, append([]byte(nil), l.b...))
			_, got, err := readAll(t, b)
			if len(got) != tc.entries {
				var msgs []string
				for _, e := range got {
					msgs = append(msgs, e.Message())
				}
				t.Errorf("got %d entries %q, want %d", len(got), msgs, tc.entries)
			}
			var d *DamageError
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a DamageError", err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want it to say %q", err, tc.says)
			}
			var c *CorruptError
			if !errors.As(err, &c) || c.Object == "" {
				t.Errorf("no CorruptError inside %v", err)
			}
			seen := map[uint64]bool{}
			for _, e := range got {
				if seen[e.Seqnum] {
					t.Errorf("entry %d delivered twice", e.Seqnum)
				}
				seen[e.Seqnum] = true
			}
		})
	}
}

// TestEveryWordDamaged overwrites each 8-byte word of a small file in turn with hostile values
// and checks that reading neither panics nor hangs, and that offsets only move forward.
func TestEveryWordDamaged(t *testing.T) {
	for _, o := range []journaltest.Options{
		{DataBuckets: 3, FieldBuckets: 3},
		{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD, DataBuckets: 3, FieldBuckets: 3, CompressThreshold: 64},
		{Compression: journaltest.XZ, DataBuckets: 3, FieldBuckets: 3, CompressThreshold: 64},
		{Compression: journaltest.LZ4, DataBuckets: 3, FieldBuckets: 3, CompressThreshold: 64},
	} {
		w := journaltest.New(o)
		for i := 0; i < 10; i++ {
			w.Add(journaltest.Entry{Fields: []string{fmt.Sprintf("MESSAGE=message %d %s", i, strings.Repeat("z", 30*i)), "_PID=1"}})
		}
		base := w.Bytes()
		values := func(off int) []uint64 {
			return []uint64{0, 1 << 63, ^uint64(0), uint64(off), uint64(off + 8), uint64(off - 16), 0x10, uint64(len(base))}
		}
		runs := 0
		start := time.Now()
		for off := 0; off+8 <= len(base); off += 8 {
			for _, v := range values(off) {
				b := append([]byte(nil), base...)
				binary.LittleEndian.PutUint64(b[off:], v)
				f, err := Open(bytes.NewReader(b), int64(len(b)))
				if err != nil {
					continue
				}
				last := int64(-1)
				n := 0
				err = f.Entries(func(e Entry) error {
					if e.Offset <= last {
						t.Fatalf("word %d = %#x: offset %d after %d", off, v, e.Offset, last)
					}
					last = e.Offset
					n++
					return nil
				})
				if n > len(b)/64 {
					t.Fatalf("word %d = %#x: %d entries from %d bytes", off, v, n, len(b))
				}
				_ = err
				runs++
			}
		}
		if time.Since(start) > 60*time.Second {
			t.Errorf("%d damaged files took %v", runs, time.Since(start))
		}
	}
}

func TestHeaderStrings(t *testing.T) {
	h := Header{Incompatible: IncompatibleCompact | IncompatibleKeyedHash | IncompatibleCompressedZSTD, Compatible: CompatibleSealed}
	if got := strings.Join(h.Flags(), " "); got != "KEYED-HASH COMPRESSED-ZSTD COMPACT SEALED" {
		t.Errorf("Flags = %q", got)
	}
	for s, want := range map[State]string{0: "offline", 1: "online", 2: "archived", 9: "unknown(9)"} {
		if s.String() != want {
			t.Errorf("State(%d) = %q", s, s.String())
		}
	}
	if !(Header{HeaderSize: 272, ArenaSize: 1000, FileSize: 900}).Truncated() {
		t.Error("short file not truncated")
	}
	if (Header{HeaderSize: 272, ArenaSize: 1000, FileSize: 1272}).Truncated() {
		t.Error("whole file truncated")
	}
}

// TestFieldBudget: entries that all name one highly compressed object, whose entry count was
// set to 1 so it is not kept decoded, would expand it again for every entry; the walk's field
// budget stops that and says so, and the entries still come out.
func TestFieldBudget(t *testing.T) {
	defer func(b int64) { budgetBase = b }(budgetBase)
	budgetBase = 0
	w := journaltest.New(journaltest.Options{Compression: journaltest.ZSTD})
	bomb := "BOMB=" + strings.Repeat("a", 1<<20)
	for i := 0; i < 1000; i++ {
		w.Add(journaltest.Entry{Fields: []string{fmt.Sprintf("MESSAGE=%d", i), bomb}})
	}
	b := w.Bytes()
	f, _ := Open(bytes.NewReader(b), int64(len(b)))
	for p := int64(f.h.HeaderSize); p < int64(len(b)); {
		typ, size, err := f.objectAt(p)
		if err != nil {
			t.Fatal(err)
		}
		if typ == ObjectData && b[p+1] == ObjectCompressedZSTD {
			binary.LittleEndian.PutUint64(b[p+56:], 1) // n_entries
		}
		p += size
	}
	start := time.Now()
	_, got, err := readAll(t, b)
	if len(got) != 1000 {
		t.Fatalf("%d entries", len(got))
	}
	with := 0
	for _, e := range got {
		if e.Get("BOMB") != "" {
			with++
		}
	}
	if with == 0 || with > 100 {
		t.Errorf("%d entries expanded the bomb", with)
	}
	if err == nil || !strings.Contains(err.Error(), "64 times the file size") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
