package journal

// Cross-checks against systemd's own tools, on the test machine only (the product never runs
// them): files written by systemd-journal-remote (systemd's journal writer) are read back
// entry for entry, and files written by journaltest pass `journalctl --verify` and list the
// same entries through `journalctl -o export`. Each test skips when its tool is missing; on
// Debian they come with the packages systemd (journalctl) and systemd-journal-remote.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

func toolEnv() []string {
	return append(os.Environ(), "SYSTEMD_PAGER=cat", "SYSTEMD_COLORS=0", "SYSTEMD_LOG_LEVEL=warning")
}

// exportEntry is one entry of the Journal Export Format.
type exportEntry struct {
	realtime, monotonic uint64
	bootID              string
	fields              []string // NAME=value, "__" fields and _BOOT_ID left out
}

// writeExport serializes entries in the export format, binary-safe where a value needs it.
func writeExport(w io.Writer, entries []exportEntry) {
	bw := bufio.NewWriter(w)
	for _, e := range entries {
		fmt.Fprintf(bw, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n", e.realtime, e.monotonic, e.bootID)
		for _, f := range e.fields {
			name, value, _ := strings.Cut(f, "=")
			if strings.ContainsAny(value, "\n\x00") || !utf8.ValidString(value) {
				bw.WriteString(name + "\n")
				binary.Write(bw, binary.LittleEndian, uint64(len(value)))
				bw.WriteString(value + "\n")
				continue
			}
			bw.WriteString(f + "\n")
		}
		bw.WriteString("\n")
	}
	bw.Flush()
}

// readExport parses `journalctl -o export` output.
func readExport(t *testing.T, b []byte) []exportEntry {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(b))
	var out []exportEntry
	var cur *exportEntry
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, exportEntry{})
			cur = &out[len(out)-1]
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok { // binary field: size, data, newline
			var n uint64
			if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, n+1)
			if _, err := io.ReadFull(r, buf); err != nil {
				t.Fatal(err)
			}
			value = string(buf[:n])
		}
		switch {
		case name == "__REALTIME_TIMESTAMP":
			cur.realtime, _ = strconv.ParseUint(value, 10, 64)
		case name == "__MONOTONIC_TIMESTAMP":
			cur.monotonic, _ = strconv.ParseUint(value, 10, 64)
		case name == "_BOOT_ID":
			cur.bootID = value
		case strings.HasPrefix(name, "__"):
		default:
			cur.fields = append(cur.fields, name+"="+value)
		}
	}
	return out
}

// asExport turns an entry read by this package into the export view of it.
func asExport(e Entry) exportEntry {
	x := exportEntry{realtime: uint64(e.Realtime.UnixMicro()), monotonic: e.Monotonic, bootID: e.BootID}
	for name, v := range e.Fields {
		if name == "_BOOT_ID" {
			continue
		}
		x.fields = append(x.fields, name+"="+v)
		for _, r := range e.Repeated[name] {
			x.fields = append(x.fields, name+"="+r)
		}
	}
	return x
}

func sameExport(t *testing.T, i int, got, want exportEntry) {
	t.Helper()
	sort.Strings(got.fields)
	sort.Strings(want.fields)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("entry %d:\n got  %q\n want %q", i, fmt.Sprint(got), fmt.Sprint(want))
	}
}

func TestJournalctlAcceptsWriterFiles(t *testing.T) {
	journalctl, err := exec.LookPath("journalctl")
	if err != nil {
		t.Skip("journalctl not installed (Debian package systemd)")
	}
	for _, o := range []journaltest.Options{
		{},
		{Compact: true},
		{KeyedHash: true, Compression: journaltest.XZ},
		{Compact: true, Compression: journaltest.LZ4},
		{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD},
		{HeaderSize: 264, State: 2, DataBuckets: 7, FieldBuckets: 3},
	} {
		name := fmt.Sprintf("compact=%v keyed=%v compression=%q header=%d", o.Compact, o.KeyedHash, o.Compression, o.HeaderSize)
		t.Run(name, func(t *testing.T) {
			w := journaltest.New(o)
			for _, e := range sampleEntries() {
				w.Add(e)
			}
			path := filepath.Join(t.TempDir(), "system.journal")
			if err := w.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(journalctl, "--verify", "--file", path)
			cmd.Env = toolEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("journalctl --verify: %v\n%s", err, out)
			}
			cmd = exec.Command(journalctl, "--file", path, "-o", "export", "--no-pager")
			cmd.Env = toolEnv()
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("journalctl -o export: %v", err)
			}
			theirs := readExport(t, out)
			_, ours, err := readAll(t, w.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(theirs) != len(ours) {
				t.Fatalf("journalctl lists %d entries, we read %d", len(theirs), len(ours))
			}
			for i := range ours {
				sameExport(t, i, asExport(ours[i]), theirs[i])
			}
		})
	}
}

func journalRemote() string {
	for _, p := range []string{"/usr/lib/systemd/systemd-journal-remote", "/lib/systemd/systemd-journal-remote"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// countCompressed counts DATA objects by compression flag, walking every object of a file.
func countCompressed(t *testing.T, b []byte) map[uint8]int {
	t.Helper()
	f, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint8]int{}
	for p := int64(f.h.HeaderSize); p+ObjectHeaderSize <= int64(len(b)); {
		typ, size, err := f.objectAt(p)
		if err != nil {
			break
		}
		if typ == ObjectData {
			out[b[p+1]]++
		}
		p += size
	}
	return out
}

func TestReadsJournalRemoteFiles(t *testing.T) {
	remote := journalRemote()
	if remote == "" {
		t.Skip("systemd-journal-remote not installed (Debian package systemd-journal-remote)")
	}
	boots := []string{"6a2b0f6ad2f94d0a9c1be3a3c51e2b11", "0f0e0d0c0b0a09080706050403020100"}
	var in []exportEntry
	for i := 0; i < 300; i++ {
		boot := boots[i*len(boots)/300]
		e := exportEntry{
			realtime:  1709294400000000 + uint64(i)*250000,
			monotonic: 9000000 + uint64(i)*250000,
			bootID:    boot,
			fields: []string{
				"_BOOT_ID=" + boot,
				"_MACHINE_ID=3d1219c7c4c5404aaa1f6d2a48adfda4",
				"_HOSTNAME=web1",
				"_TRANSPORT=journal",
				fmt.Sprintf("_PID=%d", 4000+i%7),
				"_SYSTEMD_UNIT=nginx.service",
				fmt.Sprintf("MESSAGE=GET /index.php?id=%d HTTP/1.1 200", i),
				"PRIORITY=6",
			},
		}
		switch i % 25 {
		case 1: // large enough for journald's 512-byte compression threshold
			e.fields = append(e.fields, "STACK="+strings.Repeat(fmt.Sprintf("#%d at 0x7f3a: in handler()\n", i), 40))
		case 2:
			e.fields = append(e.fields, "BLOB=\x00\x01\x02\xfe\xff\nbinary")
		case 3:
			e.fields = append(e.fields, "CODE_FILE=a.c", "CODE_FILE=b.c")
		}
		in = append(in, e)
	}
	var stream bytes.Buffer
	writeExport(&stream, in)

	for _, v := range []struct{ compact, keyed string }{{"0", "0"}, {"1", "0"}, {"0", "1"}, {"1", "1"}} {
		t.Run("compact="+v.compact+" keyed="+v.keyed, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "remote.journal")
			cmd := exec.Command(remote, "-o", path, "-")
			cmd.Stdin = bytes.NewReader(stream.Bytes())
			cmd.Env = append(toolEnv(), "SYSTEMD_JOURNAL_COMPACT="+v.compact, "SYSTEMD_JOURNAL_KEYED_HASH="+v.keyed)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, got, err := readAll(t, b)
			if err != nil {
				t.Fatalf("Entries: %v", err)
			}
			h := f.Header()
			if h.Compact() != (v.compact == "1") || h.KeyedHash() != (v.keyed == "1") {
				t.Errorf("header flags %v", h.Flags())
			}
			if len(got) != len(in) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(in))
			}
			for i, e := range got {
				if e.Seqnum != uint64(i+1) || e.Recovered {
					t.Fatalf("entry %d: seqnum %d recovered %v", i, e.Seqnum, e.Recovered)
				}
				x := asExport(e)
				x.fields = append(x.fields, "_BOOT_ID="+e.Fields["_BOOT_ID"])
				sameExport(t, i, x, in[i])
			}
			if h.Entries != uint64(len(in)) || !h.HeadRealtime.Equal(time.UnixMicro(int64(in[0].realtime)).UTC()) {
				t.Errorf("header: %d entries, head %v", h.Entries, h.HeadRealtime)
			}
			if h.TailBootID != boots[1] {
				t.Errorf("tail boot id %s", h.TailBootID)
			}
			// journald compresses large payloads: make sure compressed objects were read.
			counts := countCompressed(t, b)
			if h.Incompatible&(IncompatibleCompressedZSTD|IncompatibleCompressedXZ|IncompatibleCompressedLZ4) != 0 {
				if counts[ObjectCompressedZSTD]+counts[ObjectCompressedXZ]+counts[ObjectCompressedLZ4] == 0 {
					t.Errorf("no compressed DATA object in the file (%v)", counts)
				}
			}
			t.Logf("%v, DATA objects by compression flag: %v", h.Flags(), counts)

			// The same file cut in the middle of its objects, as a copy taken while journald
			// writes: the entries before the cut come out, in order, and the damage is told.
			cut := b[:got[150].Offset+30]
			_, part, err := readAll(t, cut)
			if _, ok := err.(*DamageError); !ok {
				t.Errorf("cut file: err = %v, want a DamageError", err)
			}
			if len(part) != 150 {
				t.Fatalf("cut file: %d entries", len(part))
			}
			for i, e := range part {
				if e.Seqnum != uint64(i+1) {
					t.Fatalf("cut file: entry %d has seqnum %d", i, e.Seqnum)
				}
			}
		})
	}
}

// TestReadsKilledWriter kills systemd-journal-remote while its input is still open, leaving an
// online (never closed) file as a crashed journald would, and reads it: the entries come out
// from seqnum 1 without a gap, at least as many as journalctl lists.
func TestReadsKilledWriter(t *testing.T) {
	remote := journalRemote()
	if remote == "" {
		t.Skip("systemd-journal-remote not installed (Debian package systemd-journal-remote)")
	}
	var in []exportEntry
	for i := 0; i < 20000; i++ {
		in = append(in, exportEntry{
			realtime: 1709294400000000 + uint64(i)*1000, monotonic: 1000 + uint64(i)*1000,
			bootID: "6a2b0f6ad2f94d0a9c1be3a3c51e2b11",
			fields: []string{"_HOSTNAME=web1", fmt.Sprintf("MESSAGE=line %d %s", i, strings.Repeat("x", i%900))},
		})
	}
	var stream bytes.Buffer
	writeExport(&stream, in)
	path := filepath.Join(t.TempDir(), "crashed.journal")
	cmd := exec.Command(remote, "-o", path, "-")
	cmd.Env = toolEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Write(stream.Bytes())
	time.Sleep(300 * time.Millisecond) // stdin stays open: the writer never closes the file
	cmd.Process.Kill()
	cmd.Wait()
	stdin.Close()

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, got, err := readAll(t, b)
	if err != nil {
		t.Logf("damage reported: %v", err)
	}
	if f.Header().State != StateOnline {
		t.Errorf("state %v, want online", f.Header().State)
	}
	if len(got) == 0 {
		t.Fatal("no entry read")
	}
	for i, e := range got {
		if e.Seqnum != uint64(i+1) || e.Message() != strings.TrimPrefix(in[i].fields[1], "MESSAGE=") {
			t.Fatalf("entry %d: seqnum %d message %.40q", i, e.Seqnum, e.Message())
		}
	}
	if journalctl, err := exec.LookPath("journalctl"); err == nil {
		cmd := exec.Command(journalctl, "--file", path, "-o", "export", "--no-pager")
		cmd.Env = toolEnv()
		out, _ := cmd.Output()
		if theirs := readExport(t, out); len(theirs) > len(got) {
			t.Errorf("journalctl lists %d entries, we read %d", len(theirs), len(got))
		}
	}
	t.Logf("%d of %d entries were written before the kill", len(got), len(in))
}
