package contain

import (
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

func env(t *testing.T, r *fixture.Root) *Env {
	t.Helper()
	j, err := OpenJournal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEnv(r.Dir, j)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// snapshotOf records what a set of paths look like: type, target or content, mode, mtime.
func snapshotOf(t *testing.T, r *fixture.Root, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		fi, err := os.Lstat(r.Path(p))
		if err != nil {
			out[p] = "absent"
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(r.Path(p))
			out[p] = "link " + target
			continue
		}
		out[p] = fi.Mode().String() + " " + fi.ModTime().UTC().Format(time.RFC3339Nano) + " " + r.Read(p)
	}
	return out
}

// TestServiceMaskAndUndo: on a root that is not running, a service and its socket are masked
// (an admin's own unit file kept aside), applying again changes nothing, and undo puts every
// file back exactly.
func TestServiceMaskAndUndo(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/lib/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n", 0o644)
	r.File("/lib/systemd/system/nginx.socket", "[Socket]\nListenStream=80\n", 0o644)
	r.File("/etc/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx -c /etc/nginx/custom.conf\n", 0o640)
	r.Chtimes("/etc/systemd/system/nginx.service", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	r.Symlink("/lib/systemd/system/nginx.service", "/etc/systemd/system/multi-user.target.wants/nginx.service")
	paths := []string{"/etc/systemd/system/nginx.service", "/etc/systemd/system/nginx.socket", "/etc/systemd/system/multi-user.target.wants/nginx.service"}
	before := snapshotOf(t, r, paths...)
	e := env(t, r)

	plan, err := Run(e, Service{Name: "nginx"}, false)
	if err != nil || plan.Applied || len(plan.Plan.What) != 2 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	if got := snapshotOf(t, r, paths...); !equal(got, before) {
		t.Fatalf("a plan changed the host: %v", got)
	}
	out, err := Run(e, Service{Name: "nginx"}, true)
	if err != nil || !out.Applied {
		t.Fatalf("apply: %v", err)
	}
	for _, p := range paths[:2] {
		if target, err := os.Readlink(r.Path(p)); err != nil || target != "/dev/null" {
			t.Errorf("%s not masked: %q %v", p, target, err)
		}
	}
	again, err := Run(e, Service{Name: "nginx"}, true)
	if err != nil || again.Applied || again.Plan.Noop == "" {
		t.Errorf("second apply changed something: %+v %v", again, err)
	}
	inForce, err := InForce(e.Journal)
	if err != nil || len(inForce) != 1 || inForce[0].Kind != "service" {
		t.Fatalf("in force: %+v %v", inForce, err)
	}
	if err := Undo(e, inForce[0], ""); err != nil {
		t.Fatal(err)
	}
	if got := snapshotOf(t, r, paths...); !equal(got, before) {
		t.Errorf("undo did not restore exactly:\n got  %v\n want %v", got, before)
	}
	if left, _ := InForce(e.Journal); len(left) != 0 {
		t.Errorf("still in force after undo: %+v", left)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestServiceRefusals(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/lib/systemd/system/ssh.service", "[Service]\n", 0o644)
	e := env(t, r)
	for _, c := range []struct {
		name    string
		refused bool
	}{{"ssh", true}, {"sshd.service", true}, {"dbus", true}, {"no-such-thing", false}, {"../../etc/passwd", false}} {
		_, err := Run(e, Service{Name: c.name}, true)
		if err == nil || errors.Is(err, ErrRefused) != c.refused {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if recs, _, _ := e.Journal.Records(); len(recs) != 0 {
		t.Errorf("refused plans were journaled: %+v", recs)
	}
}

// TestLockUserAndUndo: an account is locked three ways without the hash ever leaving shadow,
// and undo restores passwd and shadow byte for byte.
func TestLockUserAndUndo(t *testing.T) {
	r := fixture.Debian(t)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$deploysaltdeploysalt$0123456789abcdefghijklmnopqrstuvwxyzABCDE")
	r.File("/usr/sbin/nologin", "#!/bin/sh\n", 0o755)
	before := snapshotOf(t, r, "/etc/passwd", "/etc/shadow")
	e := env(t, r)
	out, err := Run(e, LockUser{Name: "deploy"}, true)
	if err != nil || !out.Applied {
		t.Fatal(err)
	}
	shadow, passwd := r.Read("/etc/shadow"), r.Read("/etc/passwd")
	if !strings.Contains(shadow, "deploy:!$y$j9T$deploysalt") || !strings.Contains(passwd, "deploy:x:1001:1001:deploy:/home/deploy:/usr/sbin/nologin") {
		t.Errorf("not locked:\n%s\n%s", shadow, passwd)
	}
	for _, line := range strings.Split(shadow, "\n") {
		if f := strings.Split(line, ":"); f[0] == "deploy" && f[7] != "1" {
			t.Errorf("not expired: %q", line)
		}
	}
	journal, _ := os.ReadFile(e.Journal.Path)
	if strings.Contains(string(journal), "deploysalt") {
		t.Error("the password hash is in the journal")
	}
	if fi, _ := os.Stat(e.Journal.Path); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v", fi.Mode())
	}
	if again, _ := Run(e, LockUser{Name: "deploy"}, true); again == nil || again.Plan.Noop == "" {
		t.Error("locking twice is not a no-op")
	}
	inForce, _ := InForce(e.Journal)
	if err := Undo(e, inForce[0], ""); err != nil {
		t.Fatal(err)
	}
	after := snapshotOf(t, r, "/etc/passwd", "/etc/shadow")
	for _, p := range []string{"/etc/passwd", "/etc/shadow"} {
		// the content and mode come back (the time is the undo's)
		if strings.SplitN(after[p], " ", 3)[2] != strings.SplitN(before[p], " ", 3)[2] || strings.SplitN(after[p], " ", 2)[0] != strings.SplitN(before[p], " ", 2)[0] {
			t.Errorf("%s after undo:\n%s\nwant\n%s", p, after[p], before[p])
		}
	}
	if _, err := Run(e, LockUser{Name: "root"}, true); !errors.Is(err, ErrRefused) {
		t.Errorf("locking root: %v", err)
	}
	if _, err := Run(e, LockUser{Name: "nobody-here"}, true); err == nil {
		t.Error("a missing account was locked")
	}
}

// TestRevokeKeyAndUndo: the key is removed from every file sshd reads (including one named in
// sshd_config), the others stay, and undo puts the lines back where they were.
func TestRevokeKeyAndUndo(t *testing.T) {
	r := fixture.Debian(t)
	bad := newKey(t) + " intruder"
	good := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx5fSmbvr8Bqw0bGxX5lOJ8cLJ5t4Gpv2kI1QZ0eI8R alice@laptop"
	r.File("/root/.ssh/authorized_keys", good+"\n"+bad+"\n", 0o600)
	r.File("/etc/ssh/sshd_config", "AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/keys/%u\n", 0o644)
	r.File("/etc/ssh/keys/root", "# managed\n"+bad+"\n", 0o644)
	before := snapshotOf(t, r, "/root/.ssh/authorized_keys", "/etc/ssh/keys/root")
	e := env(t, r)
	fp := fingerprintOf(t, bad)
	out, err := Run(e, RevokeKey{Fingerprint: fp}, true)
	if err != nil || !out.Applied || len(out.Plan.What) != 2 {
		t.Fatalf("revoke: %+v %v %q", out, err, out.Plan.What)
	}
	if got := r.Read("/root/.ssh/authorized_keys"); strings.Contains(got, "intruder") || !strings.Contains(got, "alice@laptop") {
		t.Errorf("authorized_keys: %q", got)
	}
	if got := r.Read("/etc/ssh/keys/root"); strings.Contains(got, "intruder") {
		t.Errorf("/etc/ssh/keys/root: %q", got)
	}
	inForce, _ := InForce(e.Journal)
	if err := Undo(e, inForce[0], ""); err != nil {
		t.Fatal(err)
	}
	after := snapshotOf(t, r, "/root/.ssh/authorized_keys", "/etc/ssh/keys/root")
	for p := range before {
		if strings.SplitN(after[p], " ", 3)[2] != strings.SplitN(before[p], " ", 3)[2] {
			t.Errorf("%s after undo: %q, want %q", p, after[p], before[p])
		}
	}
	if out, err := Run(e, RevokeKey{Fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, true); err != nil || out.Plan.Noop == "" {
		t.Errorf("an absent key: %+v %v", out, err)
	}
}

func fingerprintOf(t *testing.T, line string) string {
	t.Helper()
	f := strings.Fields(line)
	// ssh-keygen is not needed: x/crypto's fingerprint is the same.
	return sshFingerprint(t, f[0]+" "+f[1])
}

// TestSignals: suspend freezes a process and undo resumes it; kill stops it; PID 1, a kernel
// thread, this process and its parent are refused.
func TestSignals(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("signalling processes on the live host needs root (CI runs this as root)")
	}
	j, _ := OpenJournal(t.TempDir())
	e, err := NewEnv("/", j)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep")
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	if _, err := Run(e, Signal{PIDs: []int{pid}, Suspend: true}, true); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, 'T')
	inForce, _ := InForce(e.Journal)
	if err := Undo(e, inForce[0], ""); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, 'S')
	if _, err := Run(e, Signal{PIDs: []int{pid}}, true); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if cmd.ProcessState == nil || cmd.ProcessState.Success() {
		t.Error("the process was not killed")
	}
	for _, pid := range []int{1, 2, os.Getpid(), os.Getppid()} {
		e.Operator.Ancestors = append(e.Operator.Ancestors, os.Getppid())
		if _, err := Run(e, Signal{PIDs: []int{pid}}, true); !errors.Is(err, ErrRefused) {
			t.Errorf("pid %d: %v", pid, err)
		}
	}
}

func waitState(t *testing.T, pid int, want byte) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if st, err := procStat(pid); err == nil && st.State == string(want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, _ := procStat(pid)
	t.Fatalf("process %d in state %s, want %c", pid, st.State, want)
}

// TestJournalSurvivesCrash: an intent without an outcome (a crash mid-change) is in force, so
// undo looks at it.
func TestJournalSurvivesCrash(t *testing.T) {
	j, _ := OpenJournal(t.TempDir())
	j.Append(Record{ID: "a", Phase: PhaseIntent, Kind: "service", Target: "x.service"})
	j.Append(Record{ID: "b", Phase: PhaseIntent, Kind: "service", Target: "y.service"})
	j.Append(Record{ID: "b", Phase: PhaseApplied})
	j.Append(Record{ID: "c", Phase: PhaseIntent, Kind: "service", Target: "z.service"})
	j.Append(Record{ID: "c", Phase: PhaseFailed})
	os.WriteFile(j.Path, append(mustRead(t, j.Path), []byte("{broken\n")...), 0o600)
	es, bad, err := j.Entries()
	if err != nil || len(es) != 3 || len(bad) != 1 {
		t.Fatalf("%+v %v %v", es, bad, err)
	}
	in, _ := InForce(j)
	if len(in) != 2 || in[0].ID != "b" || in[1].ID != "a" {
		t.Errorf("in force: %+v", in)
	}
}

func mustRead(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sshFingerprint(t *testing.T, authorized string) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}

// newKey makes a fresh ed25519 public key in authorized_keys form.
func newKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func TestFindOperator(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "198.51.100.7 51234 203.0.113.5 22")
	op := FindOperator()
	if !op.SSH || op.Client.String() != "198.51.100.7:51234" || op.Server.String() != "203.0.113.5:22" || op.Source != "SSH_CONNECTION" {
		t.Errorf("from the environment: %+v", op)
	}
	if len(op.Ancestors) == 0 || op.Ancestors[0] != os.Getppid() {
		t.Errorf("ancestors %v, parent %d", op.Ancestors, os.Getppid())
	}
	t.Setenv("SSH_CONNECTION", "garbage")
	if op := FindOperator(); op.Source == "SSH_CONNECTION" {
		t.Errorf("a malformed SSH_CONNECTION was believed: %+v", op)
	}
}

// TestServiceOnBareRoot: masking on a root without /etc/systemd/system leaves no folder behind
// after undo.
func TestServiceOnBareRoot(t *testing.T) {
	r := fixture.New(t)
	r.File("/lib/systemd/system/app.service", "[Service]\n", 0o644)
	r.MkdirAll("/etc", 0o755)
	e := env(t, r)
	if _, err := Run(e, Service{Name: "app"}, true); err != nil {
		t.Fatal(err)
	}
	in, _ := InForce(e.Journal)
	if err := Undo(e, in[0], ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(r.Path("/etc/systemd")); err == nil {
		t.Error("undo left /etc/systemd behind")
	}
	if _, err := os.Lstat(r.Path("/etc")); err != nil {
		t.Error("undo removed /etc, which was there before")
	}
}

// TestLatestTakesItsGroup: a plain undo reverses the newest action and the actions its command
// made with it, and nothing older.
func TestLatestTakesItsGroup(t *testing.T) {
	e := func(id, group string) Entry { return Entry{Record: Record{ID: id, Group: group}} }
	tests := []struct {
		name string
		in   []Entry // newest first
		want string
	}{
		{"none", nil, ""},
		{"alone", []Entry{e("c", ""), e("b", ""), e("a", "")}, "c"},
		{"ungrouped newest leaves an older group", []Entry{e("c", ""), e("b", "g"), e("a", "g")}, "c"},
		{"group", []Entry{e("maint", "g"), e("svc", "g"), e("old", "")}, "maint,svc"},
		{"other group", []Entry{e("m2", "g2"), e("s2", "g2"), e("m1", "g1"), e("s1", "g1")}, "m2,s2"},
	}
	for _, tc := range tests {
		var ids []string
		for _, x := range Latest(tc.in) {
			ids = append(ids, x.ID)
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
