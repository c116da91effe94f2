package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/source/journal/journaltest"
)

// writeBenchFile writes a journald-like file (compact, keyed hash, zstd) of n entries with the
// fields journald records for a service's log line, and returns its path.
func writeBenchFile(b *testing.B, dir string, n int) string {
	b.Helper()
	w := journaltest.New(journaltest.Options{Compact: true, KeyedHash: true, Compression: journaltest.ZSTD, DataBuckets: 1 << 20})
	units := []string{"nginx.service", "sshd.service", "cron.service", "php-fpm.service"}
	for i := 0; i < n; i++ {
		u := i % len(units)
		fields := []string{
			"_BOOT_ID=6a2b0f6ad2f94d0a9c1be3a3c51e2b11",
			"_MACHINE_ID=3d1219c7c4c5404aaa1f6d2a48adfda4",
			"_HOSTNAME=web1",
			"_TRANSPORT=stdout",
			"PRIORITY=6",
			"SYSLOG_FACILITY=3",
			"_UID=33", "_GID=33",
			"_CAP_EFFECTIVE=0",
			"_SELINUX_CONTEXT=unconfined\n",
			fmt.Sprintf("_PID=%d", 1000+u),
			"_COMM=" + strings.TrimSuffix(units[u], ".service"),
			"_EXE=/usr/sbin/" + strings.TrimSuffix(units[u], ".service"),
			"_SYSTEMD_UNIT=" + units[u],
			"SYSLOG_IDENTIFIER=" + strings.TrimSuffix(units[u], ".service"),
			fmt.Sprintf("_STREAM_ID=%032x", u),
			fmt.Sprintf("MESSAGE=203.0.113.%d - - [01/Mar/2024:12:00:%02d +0000] \"GET /item/%d HTTP/1.1\" 200 5120", i%250, i%60, i),
		}
		if i%100 == 0 {
			fields = append(fields, "STACK="+strings.Repeat(fmt.Sprintf("frame %d\n", i), 80))
		}
		w.Add(journaltest.Entry{Fields: fields})
	}
	path := filepath.Join(dir, "system.journal")
	if err := w.WriteFile(path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkEntries reads a whole file from disk. JOURNAL_BENCH_ENTRIES sets its size
// (default 100000).
func BenchmarkEntries(b *testing.B) {
	n := 100000
	if s := os.Getenv("JOURNAL_BENCH_ENTRIES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := writeBenchFile(b, b.TempDir(), n)
	fh, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		f, err := Open(fh, st.Size())
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		if err := f.Entries(func(e Entry) error {
			if e.Message() == "" {
				b.Fatal("entry without message")
			}
			got++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("read %d entries, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "entries/s")
}
