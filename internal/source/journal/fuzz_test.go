package journal

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

// FuzzEntries mutates real-format journal files (each layout and compression) and checks that
// reading never panics, always ends, and delivers entries only forward, inside the file.
// Run it with a short -fuzzminimizetime (say 5s): minimizing each new input otherwise takes
// most of a short run.
func FuzzEntries(f *testing.F) {
	for i, o := range []journaltest.Options{
		{},
		{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD},
		{Compression: journaltest.XZ},
		{Compression: journaltest.LZ4, Compact: true},
		{HeaderSize: 208, State: 1},
	} {
		o.DataBuckets, o.FieldBuckets, o.CompressThreshold = 3, 2, 48
		w := journaltest.New(o)
		for j := 0; j < 6; j++ {
			w.Add(journaltest.Entry{Fields: []string{
				fmt.Sprintf("MESSAGE=Failed password for invalid user admin from 198.51.100.%d port 22 ssh2 %s", j, strings.Repeat("#", 10*j)),
				"_COMM=sshd", fmt.Sprintf("_PID=%d", 100+j%2),
			}, Unlinked: i == 4 && j == 5})
		}
		f.Add(w.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Go's fuzzing has no hang detection: a read that does not end within 10 s crashes
		// the worker, which records the input.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("reading a %d-byte file did not end within 10s", len(data)))
			}
		}()
		jf, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		h := jf.Header()
		last, n := int64(-1), 0
		err = jf.Entries(func(e Entry) error {
			if e.Offset <= last || e.Offset < int64(h.HeaderSize) || e.Offset >= int64(len(data)) {
				t.Fatalf("entry at %d after %d (file of %d bytes, header %d)", e.Offset, last, len(data), h.HeaderSize)
			}
			last = e.Offset
			n++
			if e.Fields == nil {
				t.Fatal("nil Fields")
			}
			return nil
		})
		if n > len(data)/64 {
			t.Fatalf("%d entries from %d bytes", n, len(data))
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
