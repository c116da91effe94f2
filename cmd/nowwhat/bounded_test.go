package main

// Bounded reads and prompt stops: the bars of issue 19 for inputs that are not what they claim
// (a device, a FIFO, a link to /dev/zero given as a snapshot or inside an archive), for -o onto
// an existing baseline, and for SIGINT and SIGTERM.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/collect"
)

// runFor runs the binary and fails the test if it is still running after limit.
func runFor(t *testing.T, limit time.Duration, stdin *os.File, env []string, args ...string) (result, time.Duration) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Env = append(append(os.Environ(), "NOWWHAT_CASE="), env...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("nowwhat %s still running after %s: %s", strings.Join(args, " "), limit, errb.String())
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, time.Since(start)
}

// TestSnapshotInputsThatAreNotFiles: check --snapshot on /dev/zero, a FIFO and a link to
// /dev/zero each ends within 10 s, non-zero, with an error naming what was given.
func TestSnapshotInputsThatAreNotFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "web1.snap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero.snap")
	os.Symlink("/dev/zero", link)
	for _, tc := range []struct {
		target string
		args   []string
	}{
		{"/dev/zero", []string{"check", "--snapshot", "/dev/zero"}},
		{fifo, []string{"check", "--snapshot", fifo}},
		{link, []string{"check", "--snapshot", link}},
		{"/dev/zero", []string{"diff", "--unsigned-ok", "/dev/zero"}},
		{fifo, []string{"diff", "--unsigned-ok", fifo, link}},
		{fifo, []string{"check", "--baseline", fifo, "--unsigned-ok", "--root", t.TempDir()}},
		{"/dev/zero", []string{"snapshot", "--root", dir, "--reuse", "/dev/zero", "-o", "-"}},
		{"/dev/zero", []string{"seal", "--key", "/dev/zero", link}},
		{"/dev/zero", []string{"diff", "--pubkey", "/dev/zero", link}},
	} {
		args, target := tc.args, tc.target
		r, took := runFor(t, 10*time.Second, nil, nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, target) {
			t.Errorf("nowwhat %s: exit %d in %s, stderr %q: want an error naming %s", strings.Join(args, " "), r.code, took, r.stderr, target)
		}
		if lines := strings.Count(strings.TrimSpace(r.stderr), "\n"); lines > 1 {
			t.Errorf("nowwhat %s: the error takes %d lines: %q", strings.Join(args, " "), lines+1, r.stderr)
		}
	}
}

// TestSnapshotFromEndlessStdin: a snapshot streamed on standard input is read up to the size
// its header gives; /dev/zero on standard input is refused at once.
func TestSnapshotFromEndlessStdin(t *testing.T) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	r, _ := runFor(t, 10*time.Second, zero, nil, "check", "--snapshot", "-")
	if r.code == 0 || !strings.Contains(r.stderr, "standard input") {
		t.Errorf("check --snapshot - < /dev/zero: %+v", r)
	}
}

// TestOutputNeverOverwritten: snapshot -o and baseline -o onto an existing file are refused and
// leave it byte for byte as it was; --force replaces it.
func TestOutputNeverOverwritten(t *testing.T) {
	work := t.TempDir()
	host := fixture.Debian(t)
	key := filepath.Join(work, "admin")
	if r := run(t, nil, "keygen", "--no-password", key); r.code != 0 {
		t.Fatalf("keygen: %+v", r)
	}
	base := filepath.Join(work, "base.snap")
	if r := run(t, nil, "baseline", "--root", host.Dir, "--key", key+".key", "-o", base); r.code != 0 {
		t.Fatalf("baseline: %+v", r)
	}
	before, _ := os.ReadFile(base)
	sigBefore, _ := os.ReadFile(base + ".minisig")
	for _, args := range [][]string{
		{"baseline", "--root", host.Dir, "--key", key + ".key", "-o", base},
		{"snapshot", "--root", host.Dir, "-o", base},
	} {
		r := run(t, nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "exists") || !strings.Contains(r.stderr, "--force") {
			t.Errorf("%s onto an existing baseline: %+v", args[0], r)
		}
		after, _ := os.ReadFile(base)
		sigAfter, _ := os.ReadFile(base + ".minisig")
		if !bytes.Equal(before, after) || !bytes.Equal(sigBefore, sigAfter) {
			t.Fatalf("%s changed the existing baseline or its signature", args[0])
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(work, ".base.snap.tmp-*")); len(ents) > 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	if r := run(t, nil, "snapshot", "--root", host.Dir, "-o", base, "--force"); r.code != 0 {
		t.Errorf("--force: %+v", r)
	}
}

// TestStopsOnSignal: SIGTERM and SIGINT end a command within a second, whatever it is doing
// (here: blocked reading standard input, and walking a big tree), with the shell's status for a
// death by that signal, leaving no temporary snapshot behind.
func TestStopsOnSignal(t *testing.T) {
	host := fixture.Debian(t)
	// Sparse files cost no disk, and take seconds to hash: work to interrupt.
	for i := range 12 {
		p := host.Path(filepath.Join("/usr/share/big", "part"+string(rune('a'+i))))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(1900 << 20)
		f.Close()
	}
	out := t.TempDir()
	for _, tc := range []struct {
		sig   syscall.Signal
		code  int
		stdin bool
		args  []string
	}{
		{syscall.SIGTERM, 143, true, []string{"check", "--snapshot", "-"}},
		{syscall.SIGINT, 130, true, []string{"check", "--snapshot", "-"}},
		{syscall.SIGTERM, 143, false, []string{"snapshot", "--root", host.Dir, "-o", filepath.Join(out, "s.snap")}},
		{syscall.SIGINT, 130, false, []string{"check", "--root", host.Dir}},
	} {
		cmd := exec.Command(binary, tc.args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		cmd.Env = append(os.Environ(), "NOWWHAT_CASE=")
		var pw *os.File
		if tc.stdin {
			pr, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdin, pw = pr, w
			defer pr.Close()
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(tc.sig)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running 5 s after %v", tc.args, tc.sig)
		}
		took := time.Since(sent)
		if pw != nil {
			pw.Close()
		}
		// A second of grace, plus the scheduling of a shared machine.
		if took > 1500*time.Millisecond {
			t.Errorf("%v: stopped %s after %v, want within a second", tc.args, took, tc.sig)
		}
		if code := cmd.ProcessState.ExitCode(); code != tc.code && cmd.ProcessState.Success() {
			t.Errorf("%v after %v: exit %d, want %d (%s)", tc.args, tc.sig, code, tc.code, errb.String())
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(out, ".s.snap.tmp-*")); len(ents) > 0 {
		t.Errorf("temporary snapshot left behind: %v", ents)
	}
}

// craftedArchive writes a consistent evidence archive (manifest and custody agree) whose
// snapshot/host.snap is a link to target, as an attacker who controls the collected host (or
// the archive) could make it.
func craftedArchive(t *testing.T, path, target string) {
	t.Helper()
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "snapshot/", Mode: 0o700, Format: tar.FormatPAX})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "snapshot/host.snap", Linkname: target, Mode: 0o777, Format: tar.FormatPAX})
	m := collect.Manifest{Format: collect.FormatID, Complete: true, NotCovered: []string{}, Items: []collect.Item{
		{ArchivePath: "snapshot/host.snap", Step: "snapshot", How: collect.HowLink, Link: target},
	}}
	mj, _ := json.Marshal(m)
	lg := []byte("collection finished\n")
	ms, ls := sha256.Sum256(mj), sha256.Sum256(lg)
	cj, _ := json.Marshal(collect.Custody{ManifestSHA256: hex.EncodeToString(ms[:]), LogSHA256: hex.EncodeToString(ls[:])})
	for _, rec := range []struct {
		name string
		data []byte
	}{{collect.ManifestName, mj}, {collect.LogName, lg}, {collect.CustodyName, cj}} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rec.name, Size: int64(len(rec.data)), Mode: 0o600, Format: tar.FormatPAX})
		tw.Write(rec.data)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestArchiveLinkToDevice: an archive whose snapshot is a link to /dev/zero verifies (it is
// what it says), but check and investigate refuse to read the link, within 10 s.
func TestArchiveLinkToDevice(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "crafted.tar.zst")
	craftedArchive(t, archive, "/dev/zero")
	if r, _ := runFor(t, 10*time.Second, nil, nil, "collect", "verify", archive); r.code == 1 || r.code == 3 {
		t.Errorf("verify of a consistent crafted archive: %+v", r)
	}
	for _, cmd := range []string{"check", "investigate"} {
		r, _ := runFor(t, 10*time.Second, nil, []string{"TMPDIR=" + dir}, cmd, "--evidence", archive)
		if r.code == 0 || !strings.Contains(r.stderr, "snapshot") {
			t.Errorf("%s --evidence with a snapshot linking to /dev/zero: %+v", cmd, r)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, "nowwhat-evidence-*")); len(ents) > 0 {
		t.Errorf("extracted evidence left behind: %v", ents)
	}
}

// TestCollectKilledMidRun: a collection stopped by SIGTERM still ends its archive with a final
// manifest that says it was interrupted, where, and what was never attempted; verify says so
// (exit 2: intact but incomplete). Opening the archive for analysis and stopping that half-way
// leaves no decrypted file behind.
func TestCollectKilledMidRun(t *testing.T) {
	needTools(t, "age-keygen")
	work := t.TempDir()
	host := fixture.Debian(t)
	for i := range 8 {
		p := host.Path("/var/log/app" + string(rune('a'+i)) + ".log")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("Nov 26 10:00:00 web1 app: started\n")
		f.Truncate(200 << 20)
		f.Close()
	}
	key := filepath.Join(work, "case.agekey")
	out, err := exec.Command("age-keygen", "-o", key).CombinedOutput()
	if err != nil {
		t.Fatalf("age-keygen: %v %s", err, out)
	}
	pub := strings.Fields(string(out[bytes.Index(out, []byte("age1")):]))[0]
	archive := filepath.Join(work, "web1.tar.zst.age")
	cmd := exec.Command(binary, "collect", "--root", host.Dir, "-o", archive, "--recipient", string(pub))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.Env = append(os.Environ(), "NOWWHAT_CASE=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if cmd.ProcessState.ExitCode() != 143 {
		t.Errorf("collect after SIGTERM: exit %d (%s)", cmd.ProcessState.ExitCode(), errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("collect does not say it was interrupted: %s", errb.String())
	}
	v := run(t, nil, "collect", "verify", "--identity", key, archive)
	if v.code != 2 || !strings.Contains(v.stdout, "INCOMPLETE, interrupted") || !strings.Contains(v.stdout, "SIGTERM") {
		t.Errorf("verify of an interrupted collection: %+v", v)
	}

	// The analysis of the archive, stopped while it extracts: its temporary folder goes.
	tmp := t.TempDir()
	an := exec.Command(binary, "investigate", "--evidence", archive, "--identity", key)
	an.Env = append(os.Environ(), "NOWWHAT_CASE=", "TMPDIR="+tmp)
	if err := an.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	an.Process.Signal(syscall.SIGINT)
	an.Wait()
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("decrypted evidence left behind after SIGINT: %v", ents)
	}
}
