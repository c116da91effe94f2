package main

// Every command over the hostile root (fixture.Hostile), as a user runs it: under a memory
// limit and a timeout, each gives a result or a clear error, never a crash or a hang, and no
// escape byte from a hostile name reaches the text it prints.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/collect"
)

// Limits each command runs under. The address-space limit leaves room for Go's reservations;
// the resident-memory bound is what is checked.
const (
	hostileVirtual = 8 << 30 // ulimit -v
	hostileRSS     = 1 << 30 // peak resident memory allowed
	hostileTimeout = 4 * time.Minute
)

// limited runs the binary under ulimit -v and a timeout; it reports the peak resident memory.
func limited(t *testing.T, args ...string) (result, int64, time.Duration) {
	t.Helper()
	sh := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, hostileVirtual>>10)
	cmd := exec.Command("/bin/sh", append([]string{"-c", sh, binary}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "NOWWHAT_CASE=")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(hostileTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("nowwhat %s: still running after %s (hang): %s", strings.Join(args, " "), hostileTimeout, tail(errb.String()))
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, rss, time.Since(start)
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// TestHostileRoot runs every command over one hostile root.
func TestHostileRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a big hostile root")
	}
	// The full kit's million-entry folder takes minutes per command on a shared machine; the
	// test uses a smaller one (NOWWHAT_HOSTILE_FULL=1 runs the full sizes, see docs/hostile.md).
	opt := fixture.HostileOptions{Wide: 50000}
	if os.Getenv("NOWWHAT_HOSTILE_FULL") != "" {
		opt = fixture.HostileOptions{}
	}
	start := time.Now()
	h := fixture.Hostile(t, opt)
	t.Logf("hostile root built in %s (devices: %v)", time.Since(start).Round(time.Second), h.Devices)
	work := t.TempDir()
	key := filepath.Join(work, "admin")
	if r := run(t, nil, "keygen", "--no-password", key); r.code != 0 {
		t.Fatalf("keygen: %+v", r)
	}
	snap, base, archive := filepath.Join(work, "h.snap"), filepath.Join(work, "b.snap"), filepath.Join(work, "h.tar.zst")

	steps := []struct {
		args  []string
		codes []int // exit statuses that are a result (anything else must be a clear error)
		text  bool  // text for people: no ESC may reach it
		check func(t *testing.T, r result)
	}{
		{args: []string{"snapshot", "--root", h.Dir, "-o", snap}, codes: []int{0}},
		{args: []string{"baseline", "--root", h.Dir, "--key", key + ".key", "-o", base}, codes: []int{0}},
		{args: []string{"check", "--root", h.Dir}, codes: []int{1, 2, 3}, text: true, check: func(t *testing.T, r result) {
			for _, want := range []string{`\x1b[2J`, `kworker\xff\xfe\xc0`, `\u202e`} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("check does not show the hostile name as %s", want)
				}
			}
			if !strings.Contains(r.stdout, "too deep") {
				t.Error("check does not say that the deep folder was not walked to its bottom")
			}
		}},
		{args: []string{"check", "--root", h.Dir, "--format", "json"}, codes: []int{1, 2, 3}, check: func(t *testing.T, r result) {
			var rep struct {
				Findings []struct {
					Path    string `json:"path"`
					PathB64 string `json:"path_b64"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("check --format json: %v", err)
			}
			exact := map[string]bool{}
			for _, f := range rep.Findings {
				p := f.Path
				if f.PathB64 != "" {
					b, _ := base64.StdEncoding.DecodeString(f.PathB64)
					p = string(b)
				}
				exact[p] = true
			}
			for _, p := range []string{"/tmp/" + fixture.HostileNames.NotUTF8, "/tmp/" + fixture.HostileNames.Escape} {
				if !exact[p] {
					t.Errorf("JSON has no finding about %q byte for byte", p)
				}
			}
		}},
		{args: []string{"check", "--snapshot", snap}, codes: []int{1, 2, 3}, text: true},
		{args: []string{"investigate", "--root", h.Dir}, codes: []int{1, 2, 3}, text: true},
		{args: []string{"diff", "--pubkey", key + ".pub", "--root", h.Dir, base}, codes: []int{0, 1}, text: true},
		{args: []string{"collect", "--root", h.Dir, "-o", archive, "--max-file-size", "16M"}, codes: []int{0, 1}},
		{args: []string{"collect", "verify", archive}, codes: []int{0, 2}, text: true, check: func(t *testing.T, r result) {
			if !strings.Contains(r.stdout, "verified") {
				t.Errorf("the archive of the hostile root does not verify: %s", tail(r.stdout))
			}
			if !strings.Contains(r.stdout, "levels deep were not collected") {
				t.Errorf("verify does not name the depth limit as a gap: %s", tail(r.stdout))
			}
		}},
		{args: []string{"contain", "--from-findings", "--root", h.Dir}, codes: []int{0}, text: true, check: func(t *testing.T, r result) {
			if strings.Contains(r.stdout, "contain suspend") || strings.Contains(r.stdout, "contain kill") {
				t.Errorf("proposes to signal processes of this machine for a root that is not live: %s", r.stdout)
			}
		}},
		{args: []string{"--case", filepath.Join(work, "case"), "contain", "lock-user", "alice", "--root", h.Dir}, codes: []int{0}, text: true},
		{args: []string{"--case", filepath.Join(work, "case"), "contain", "service", "cron", "--root", h.Dir}, codes: []int{0}, text: true},
	}
	for _, s := range steps {
		name := strings.Join(s.args[:min(2, len(s.args))], " ")
		if s.args[0] == "--case" {
			name = strings.Join(s.args[2:4], " ")
		}
		r, rss, took := limited(t, s.args...)
		t.Logf("%-22s exit %d in %s, peak RSS %d MiB", name, r.code, took.Round(100*time.Millisecond), rss>>20)
		if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "fatal error") {
			t.Errorf("%s crashed: %s", name, tail(r.stderr))
			continue
		}
		ok := false
		for _, c := range s.codes {
			ok = ok || r.code == c
		}
		if !ok {
			// Not a result: it must be a clear error, one line, saying what.
			if r.code == 0 || !strings.HasPrefix(r.stderr, "nowwhat: ") && !strings.Contains(r.stderr, "\nnowwhat: ") {
				t.Errorf("%s: exit %d without a clear error: %s", name, r.code, tail(r.stderr))
			}
		}
		if rss > hostileRSS {
			t.Errorf("%s: peak resident memory %d MiB, over %d", name, rss>>20, hostileRSS>>20)
		}
		if s.text && (strings.ContainsRune(r.stdout, 0x1b) || strings.ContainsRune(r.stderr, 0x1b)) {
			t.Errorf("%s: an ESC byte reached the terminal", name)
		}
		if s.text && strings.Contains(r.stdout, "\nVERDICT: host looks CLEAN") {
			t.Errorf("%s: a file name forged a line of the report", name)
		}
		if s.check != nil {
			s.check(t, r)
		}
	}

	// The names come back byte for byte from the archive.
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := filepath.Join(work, "x")
	if _, err := collect.Extract(f, nil, dir, collect.ExtractOptions{Only: []string{"files/etc/cron.d/", "files/etc/passwd"}}); err != nil {
		t.Fatalf("extract: %v", err)
	}
	cron := "/etc/cron.d/" + fixture.HostileNames.Escape
	want, _ := os.ReadFile(h.Path("/etc/cron.d") + "/" + fixture.HostileNames.Escape)
	got, err := os.ReadFile(dir + "/files" + cron)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%q from the archive: %q %v", cron, got, err)
	}
}
