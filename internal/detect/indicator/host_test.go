package indicator

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// hostFiles lists this machine's ordinary shell content: cron, profile, init and shell start-up
// files, systemd ExecStart lines and the scripts (files starting with #!) of /usr/bin and
// /usr/sbin. Missing folders are skipped.
func hostFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	read := func(p string) []byte {
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil
		}
		b, _ := io.ReadAll(io.LimitReader(f, 2<<20))
		return b
	}
	add := func(p string) {
		if b := read(p); b != nil {
			out[p] = b
		}
	}
	for _, g := range []string{"/etc/cron.*/*", "/etc/crontab", "/etc/profile.d/*", "/etc/profile", "/etc/init.d/*", "/etc/bash.bashrc", "/etc/skel/.*", "/etc/rc.local", "/usr/bin/*.sh", "/etc/environment"} {
		ms, _ := filepath.Glob(g)
		for _, m := range ms {
			add(m)
		}
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin"} {
		ms, _ := filepath.Glob(dir + "/*")
		for _, m := range ms {
			b := read(m)
			if bytes.HasPrefix(b, []byte("#!")) {
				out[m] = b
			}
		}
	}
	units, _ := filepath.Glob("/usr/lib/systemd/system/*.service")
	for _, u := range units {
		b := read(u)
		var lines [][]byte
		for _, l := range bytes.Split(b, []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimSpace(l), []byte("Exec")) {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out[u+" (Exec lines)"] = bytes.Join(lines, []byte("\n"))
		}
	}
	return out
}

// TestHostContentNoHighAlarms scans the machine's own Debian content and fails on any high
// or critical match: those must stay free of false alarms.
func TestHostContentNoHighAlarms(t *testing.T) {
	files := hostFiles(t)
	if len(files) < 10 {
		t.Skipf("only %d host files found: not a Debian-like root", len(files))
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var bad, medium int
	var size int64
	start := time.Now()
	for _, n := range names {
		size += int64(len(files[n]))
		for _, m := range Scan(files[n]) {
			switch m.Severity {
			case High, Critical:
				bad++
				t.Errorf("%s:%d: %s (%s): %s", n, m.Line, m.Rule, m.Severity, m.Evidence)
			default:
				medium++
				t.Logf("%s:%d: %s (%s): %s", n, m.Line, m.Rule, m.Severity, m.Evidence)
			}
		}
	}
	el := time.Since(start)
	t.Logf("%d host files (%.1f MB) scanned in %v, %d high/critical, %d low/medium matches", len(files), float64(size)/1e6, el.Round(time.Millisecond), bad, medium)
}
