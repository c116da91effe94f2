package utmp

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzRead: any bytes read without panic; every whole record is either given or counted as
// zeroed; a ragged tail is always reported.
func FuzzRead(f *testing.F) {
	f.Add(join(ent{typ: BootTime, user: "reboot", sec: t0}.bytes(), ent{typ: UserProcess, user: "alice", addr: "2001:db8::1", sec: t0 + 1}.bytes()), false)
	f.Add(join(ent{typ: UserProcess, sec: t0 + 9}.bytes(), make([]byte, RecordSize), ent{typ: 77, sec: t0}.bytes(), []byte("x")), false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, data []byte, unordered bool) {
		var recs []Record
		an, err := Read(bytes.NewReader(data), unordered, func(r Record) bool { recs = append(recs, r); return true })
		if err != nil {
			t.Fatal(err)
		}
		zeroed := 0
		partial := false
		for _, a := range an {
			switch a.Kind {
			case AnomalyZeroed:
				zeroed++
			case AnomalyPartial:
				partial = true
				if a.Offset != int64(len(data)/RecordSize*RecordSize) {
					t.Fatalf("partial at %d, size %d", a.Offset, len(data))
				}
			}
		}
		if partial != (len(data)%RecordSize != 0) {
			t.Fatalf("partial %v for size %d", partial, len(data))
		}
		if len(recs) > len(data)/RecordSize {
			t.Fatalf("%d records from %d bytes", len(recs), len(data))
		}
		if len(recs) < len(data)/RecordSize && zeroed == 0 {
			t.Fatalf("%d records from %d bytes and no zeroed anomaly", len(recs), len(data))
		}
		last := int64(-1)
		for _, r := range recs {
			if r.Offset%RecordSize != 0 || r.Offset <= last || r.Type == "" {
				t.Fatalf("record %+v after offset %d", r, last)
			}
			last = r.Offset
			if r.Addr != "" {
				if _, err := netip.ParseAddr(r.Addr); err != nil {
					t.Fatalf("addr %q", r.Addr)
				}
			}
			if len(r.User) > 32 || len(r.Line) > 32 || len(r.Host) > 256 || len(r.ID) > 4 {
				t.Fatalf("field too long: %+v", r)
			}
		}
	})
}

// FuzzLastlog: entries come in uid order, one per 292 bytes at most.
func FuzzLastlog(f *testing.F) {
	f.Add(join(lastlogEntry(t0, "tty1", ""), make([]byte, LastlogSize), lastlogEntry(t0+1, "pts/0", "h")[:50]))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []LastLogin
		if err := ParseLastlog(bytes.NewReader(data), func(ll LastLogin) bool { got = append(got, ll); return true }); err != nil {
			t.Fatal(err)
		}
		if len(got) > (len(data)+LastlogSize-1)/LastlogSize {
			t.Fatalf("%d entries from %d bytes", len(got), len(data))
		}
		for i := 1; i < len(got); i++ {
			if got[i].UID <= got[i-1].UID {
				t.Fatalf("uid %d after %d", got[i].UID, got[i-1].UID)
			}
		}
	})
}
