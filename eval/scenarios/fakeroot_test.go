package main

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"testing"
)

// tinyELF is a complete x86-64 program (exit(0)) with a tag after its code, so each fake
// binary differs.
func tinyELF(tag string, typ uint16) []byte {
	const base = 0x400000
	code := []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05} // mov eax,60; xor edi,edi; syscall
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(b[16:], typ) // ET_EXEC (2) or ET_DYN (3)
	binary.LittleEndian.PutUint16(b[18:], 62)
	binary.LittleEndian.PutUint32(b[20:], 1)
	binary.LittleEndian.PutUint64(b[24:], base+120) // entry
	binary.LittleEndian.PutUint64(b[32:], 64)       // phoff
	binary.LittleEndian.PutUint16(b[52:], 64)
	binary.LittleEndian.PutUint16(b[54:], 56)
	binary.LittleEndian.PutUint16(b[56:], 1)
	ph := b[64:]
	binary.LittleEndian.PutUint32(ph[0:], 1) // PT_LOAD
	binary.LittleEndian.PutUint32(ph[4:], 5) // R+X
	binary.LittleEndian.PutUint64(ph[16:], base)
	binary.LittleEndian.PutUint64(ph[24:], base)
	b = append(b, code...)
	b = append(b, []byte("\x00"+tag+"\x00")...)
	for len(b) < 300 { // trojan() wants a body to patch
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint64(ph[32:], uint64(len(b)))
	binary.LittleEndian.PutUint64(ph[40:], uint64(len(b)))
	return b
}

// fakeRoot lays out, by code, the small part of a Debian 12 root the scenarios touch:
// merged /usr, accounts, PAM, sshd, cron and systemd folders, the web site, logs.
func fakeRoot(t testing.TB) Root {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the fake root and the scenarios set file owners: run as root (CI does)")
	}
	r := Root{Dir: t.TempDir()}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fake root: %v", err)
		}
	}
	for _, d := range []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu/security", "/usr/lib/udev", "/usr/share/misc", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
		"/etc/cron.d", "/etc/cron.hourly", "/etc/systemd/system/multi-user.target.wants", "/etc/systemd/system/timers.target.wants", "/etc/udev/rules.d",
		"/etc/modules-load.d", "/etc/apt/apt.conf.d", "/etc/profile.d", "/etc/update-motd.d", "/etc/sudoers.d", "/etc/init.d", "/etc/pam.d", "/etc/ssh", "/etc/nginx",
		"/var/lib/dpkg/info", "/var/lib/logrotate", "/var/log/nginx", "/var/log/apt", "/var/cache/apt/archives", "/var/spool/cron/crontabs", "/var/www/html/inc", "/var/www/html/assets"} {
		must(r.MkdirAll(d, 0o755))
	}
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		must(r.MkdirAll(d, 0o1777))
	}
	must(r.MkdirAll("/root", 0o700))
	for _, l := range [][2]string{{"usr/bin", "/bin"}, {"usr/sbin", "/sbin"}, {"usr/lib", "/lib"}} {
		must(r.Symlink(l[0], l[1]))
	}
	for _, p := range []string{"/usr/bin/sleep", "/usr/bin/true", "/usr/bin/cat", "/usr/bin/bash", "/usr/bin/perl", "/usr/bin/login", "/usr/sbin/sshd"} {
		must(r.WriteFile(p, tinyELF(p, 2), 0o755))
	}
	must(r.WriteFile("/usr/lib/x86_64-linux-gnu/security/pam_unix.so", tinyELF("pam_unix", 3), 0o644))
	must(r.WriteFile("/usr/lib/x86_64-linux-gnu/security/pam_permit.so", tinyELF("pam_permit", 3), 0o644))
	login, _ := r.ReadFile("/bin/login")
	sum := md5.Sum(login)
	must(r.WriteFile("/var/lib/dpkg/info/login.md5sums", []byte(hex.EncodeToString(sum[:])+"  bin/login\n0123456789abcdef0123456789abcdef  usr/bin/lastlog\n"), 0o644))
	must(r.WriteFile("/var/lib/dpkg/status", []byte("Package: login\nStatus: install ok installed\nVersion: 1:4.13+dfsg1-1+b1\n\nPackage: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n"), 0o644))
	must(r.WriteFile("/etc/os-release", []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"), 0o644))
	must(r.WriteFile("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"+
		"sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nalice:x:1000:1000:Alice Admin:/home/alice:/bin/bash\ndeploy:x:1001:1001::/home/deploy:/bin/bash\n"), 0o644))
	must(r.WriteFile("/etc/shadow", []byte("root:*:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\nwww-data:*:19700:0:99999:7:::\nsshd:!:19700::::::\nalice:"+intruderHash2+":19701:0:99999:7:::\ndeploy:!:19701:0:99999:7:::\n"), 0o640))
	must(r.WriteFile("/etc/group", []byte("root:x:0:\nadm:x:4:alice\nsudo:x:27:alice\nwww-data:x:33:deploy\nusers:x:100:\ncrontab:x:101:\nalice:x:1000:\ndeploy:x:1001:\n"), 0o644))
	must(r.WriteFile("/etc/gshadow", []byte("root:*::\nadm:*::alice\nsudo:*::alice\nwww-data:*::deploy\nusers:*::\ncrontab:*::\nalice:!::\ndeploy:!::\n"), 0o640))
	must(r.WriteFile("/etc/pam.d/common-auth", []byte("# here are the per-package modules (the \"Primary\" block)\nauth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n"), 0o644))
	must(r.WriteFile("/etc/ssh/sshd_config", []byte("Include /etc/ssh/sshd_config.d/*.conf\n#PubkeyAuthentication yes\n#AuthorizedKeysFile\t.ssh/authorized_keys .ssh/authorized_keys2\nKbdInteractiveAuthentication no\nUsePAM yes\n"), 0o644))
	must(r.WriteFile("/etc/nginx/nginx.conf", []byte("user www-data;\nworker_processes auto;\nevents {\n\tworker_connections 768;\n}\n"), 0o644))
	must(r.WriteFile("/etc/profile", []byte("if [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nfi\nexport PATH\n"), 0o644))
	must(r.WriteFile("/root/.bashrc", []byte("# ~/.bashrc: executed by bash(1) for non-login shells.\nexport LS_OPTIONS='--color=auto'\n"), 0o644))
	must(r.WriteFile("/root/.bash_history", []byte("apt-get update\nexit\n"), 0o600))
	for _, u := range []string{"alice", "deploy"} {
		key, err := newKey(u + "@laptop")
		must(err)
		must(r.MkdirAll("/home/"+u+"/.ssh", 0o700))
		must(r.WriteFile("/home/"+u+"/.ssh/authorized_keys", []byte(key+"\n"), 0o600))
		for _, p := range []string{"/home/" + u, "/home/" + u + "/.ssh", "/home/" + u + "/.ssh/authorized_keys"} {
			must(r.Chown(p, u, u))
		}
	}
	for p, c := range siteFiles {
		must(r.WriteFile(p, []byte(c), 0o644))
		must(r.Chown(p, "deploy", "www-data"))
	}
	must(r.WriteFile("/var/log/auth.log", []byte("Nov 20 09:10:01 web1 sshd[2314]: Accepted publickey for alice from 198.51.100.23 port 51234 ssh2: ED25519 SHA256:abc\n"), 0o640))
	must(r.WriteFile("/var/log/auth.log.1", []byte("Nov 12 09:10:01 web1 CRON[2314]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\nNov 12 09:10:01 web1 sshd[1]: x\n"), 0o640))
	must(r.WriteFile("/var/log/syslog", []byte("Nov 20 00:00:01 web1 systemd[1]: Starting logrotate.service - Rotate log files...\n"), 0o640))
	must(r.WriteFile("/var/log/nginx/access.log", []byte("93.184.216.34 - - [20/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1180 \"-\" \"curl/7.88.1\"\n"), 0o640))
	must(r.WriteFile("/var/log/wtmp", nil, 0o664))
	must(r.WriteFile("/var/log/apt/history.log", nil, 0o644))
	must(r.WriteFile("/var/lib/logrotate/status", []byte("logrotate state -- version 2\n\"/var/log/auth.log\" 2026-11-16-0:0:12\n"), 0o644))
	for _, p := range []string{"/var/log/auth.log", "/var/log/auth.log.1", "/var/log/syslog"} {
		must(r.Chown(p, "root", "adm"))
	}
	return r
}
