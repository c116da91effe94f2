package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// The eval root pretends to be a small web server installed a month before the build: the
// times debootstrap left are moved back by installAge, two people work on it (alice, the admin
// in the sudo group, and deploy, who publishes the web site), and the logs hold that month:
// their SSH sessions with the sudo commands they ran, cron, internet scanners, web traffic, all
// rotated the way Debian's logrotate does it. File times agree with the sessions that made them.

// kernelRelease is the kernel the root pretends to have booted (no kernel is installed).
const kernelRelease = "6.1.0-28-amd64"

// Client addresses (documentation ranges).
const (
	aliceAddr  = "198.51.100.23"
	deployAddr = "192.0.2.80"
)

type customizer struct {
	ctx       context.Context
	r         Root
	built     time.Time // when debootstrap ran (now)
	debootEnd time.Time // when it was done (files born later are the customisation's)
	install   time.Time // the pretended install time
	end       time.Time // the history stops here
	book      *logBook
	wtmp      []wtmpEvent
	btmp      []wtmpEvent
	logind    int
	times     map[string]time.Time // host path -> mtime to set at the end
	born      map[string]time.Time // host path -> birth time in the story, when not its mtime
	lastLog   map[int]wtmpEvent    // uid -> last login
}

type wtmpEvent struct {
	t   time.Time
	rec []byte
}

func customize(ctx context.Context, r Root, built, debootEnd, install time.Time) (*customizer, error) {
	if err := shiftTimes(r.Dir, built.Add(-2*time.Minute), installAge); err != nil {
		return nil, err
	}
	if err := shiftLogStamps(r, installAge); err != nil {
		return nil, err
	}
	c := &customizer{ctx: ctx, r: r, built: built, debootEnd: debootEnd, install: install, end: built.Add(-time.Hour),
		book: newLogBook(uint64(built.Unix())), logind: 1, times: map[string]time.Time{}, born: map[string]time.Time{}, lastLog: map[int]wtmpEvent{}}
	for _, step := range []struct {
		name string
		f    func() error
	}{{"identity", c.identity}, {"accounts", c.accounts}, {"web site", c.site}, {"history", c.history}, {"logs", c.logs}} {
		if err := step.f(); err != nil {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return c, c.settle()
}

// shiftTimes moves back by age the times of everything under dir modified at or after cutoff.
func shiftTimes(dir string, cutoff time.Time, age time.Duration) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("shift times: %w", err)
		}
		mt := time.Unix(st.Mtim.Unix())
		if mt.Before(cutoff) {
			return nil
		}
		t := mt.Add(-age)
		ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("shift times %s: %w", p, err)
		}
		return nil
	})
}

var (
	dpkgStamp = regexp.MustCompile(`(?m)^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})`)
	altStamp  = regexp.MustCompile(`(?m)^(update-alternatives )(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})`)
)

// shiftLogStamps moves back the time stamps written in dpkg.log and alternatives.log.
func shiftLogStamps(r Root, age time.Duration) error {
	const layout = "2006-01-02 15:04:05"
	shift := func(s string) string {
		t, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil {
			return s
		}
		return t.Add(-age).Format(layout)
	}
	for _, f := range []struct {
		path string
		re   *regexp.Regexp
	}{{"/var/log/dpkg.log", dpkgStamp}, {"/var/log/alternatives.log", altStamp}} {
		data, err := r.ReadFile(f.path)
		if err != nil {
			continue
		}
		fi, err := r.Lstat(f.path)
		if err != nil {
			return err
		}
		out := f.re.ReplaceAllStringFunc(string(data), func(m string) string {
			if strings.HasPrefix(m, "update-alternatives ") {
				return "update-alternatives " + shift(strings.TrimPrefix(m, "update-alternatives "))
			}
			return shift(m)
		})
		if err := r.Rewrite(f.path, []byte(out)); err != nil {
			return err
		}
		if err := r.Touch(f.path, fi.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func (c *customizer) at(p string, t time.Time) { c.times[p] = t }

func (c *customizer) identity() error {
	t := c.install.Add(3 * time.Minute)
	if err := c.r.WriteFile("/etc/hostname", []byte(hostName+"\n"), 0o644); err != nil {
		return err
	}
	hosts := "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostName + ".example.org\t" + hostName + "\n\n" +
		"# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
	if err := c.r.WriteFile("/etc/hosts", []byte(hosts), 0o644); err != nil {
		return err
	}
	c.at("/etc/hostname", t)
	c.at("/etc/hosts", t)
	// Debian's default time zone of a debootstrap root is UTC; make it explicit, the logs are
	// written in it.
	if err := c.r.WriteFile("/etc/timezone", []byte("Etc/UTC\n"), 0o644); err != nil {
		return err
	}
	c.at("/etc/timezone", t)
	if !c.r.Exists("/etc/localtime") {
		if err := c.r.Symlink("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime"); err != nil {
			return err
		}
		c.at("/etc/localtime", t)
	}
	boot := c.install.Add(5 * time.Minute)
	c.wtmp = append(c.wtmp, wtmpEvent{boot, wtmpRecord(utBootTime, 0, "~", "~~", "reboot", kernelRelease, boot, "")})
	kpid := 0
	for i, msg := range []string{
		"Linux version " + kernelRelease + " (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
		"Command line: BOOT_IMAGE=/boot/vmlinuz-" + kernelRelease + " root=UUID=4f1c2a9e-1c1b-4b1e-9d55-2f7f1f0e6a10 ro quiet",
		"EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
	} {
		line := fmt.Sprintf("[    %d.%06d] %s", i, 123456*(i+1)%1000000, msg)
		c.book.line("/var/log/kern.log", boot, "kernel", kpid, line)
		c.book.line("/var/log/syslog", boot, "kernel", kpid, line)
	}
	for _, msg := range []string{"Started ssh.service - OpenBSD Secure Shell server.", "Started nginx.service - A high performance web server and a reverse proxy server.", "Started php8.2-fpm.service - The PHP 8.2 FastCGI Process Manager.", "Reached target multi-user.target - Multi-User System."} {
		c.book.syslog(boot.Add(4*time.Second), "systemd", 1, msg)
	}
	return nil
}

// newKey returns an authorized_keys line for a fresh ed25519 key (the private half is dropped:
// these are the admins' client keys, never on the server).
func newKey(comment string) (string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))) + " " + comment, nil
}

func randomPassword() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hostRun runs a program of this machine (never of the root) with ctx.
func hostRun(ctx context.Context, stdin string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *customizer) newSession(user string, uid int, from, keyFP string, start, end time.Time) *session {
	c.logind++
	s := &session{User: user, UID: uid, From: from, KeyFP: keyFP, Start: start, End: end, LogindID: c.logind}
	c.book.open(s)
	return s
}

func (c *customizer) closeSession(s *session) {
	c.book.close(s)
	rec := wtmpSession(s)
	c.wtmp = append(c.wtmp, wtmpEvent{s.Start, rec[:384]})
	if len(rec) > 384 {
		c.wtmp = append(c.wtmp, wtmpEvent{s.End, rec[384:]})
	}
	c.lastLog[s.UID] = wtmpEvent{s.Start, lastlogRecord(s.Start, s.TTY, s.From)}
}

// accounts creates alice (the admin) at the console as root, then alice creates deploy with
// sudo; both get SSH keys.
func (c *customizer) accounts() error {
	r, ctx := c.r, c.ctx
	// Root at the console, right after the install.
	t := c.install.Add(20 * time.Minute)
	pid := c.book.nextPID()
	c.book.auth(t, "login", pid, "pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)")
	c.book.auth(t, "systemd-logind", 402, "New session 1 of user root.")
	tAlice := t.Add(time.Minute)
	if err := hostRun(ctx, "", "useradd", "-R", r.Dir, "-m", "-s", "/bin/bash", "-c", "Alice Admin", "-G", "sudo,adm", "alice"); err != nil {
		return err
	}
	if err := hostRun(ctx, "alice:"+randomPassword()+"\n", "chpasswd", "-R", r.Dir, "-c", "YESCRYPT"); err != nil {
		return err
	}
	alice, err := r.Account("alice")
	if err != nil {
		return err
	}
	upid := c.book.nextPID()
	c.book.auth(tAlice, "useradd", upid, fmt.Sprintf("new group: name=alice, GID=%d", alice.GID))
	c.book.auth(tAlice, "useradd", upid, fmt.Sprintf("new user: name=alice, UID=%d, GID=%d, home=/home/alice, shell=/bin/bash, from=/dev/tty1", alice.UID, alice.GID))
	for _, g := range []string{"adm", "sudo"} {
		c.book.auth(tAlice, "useradd", upid, fmt.Sprintf("add 'alice' to group '%s'", g))
	}
	for _, g := range []string{"adm", "sudo"} {
		c.book.auth(tAlice, "useradd", upid, fmt.Sprintf("add 'alice' to shadow group '%s'", g))
	}
	c.book.auth(tAlice.Add(40*time.Second), "passwd", c.book.nextPID(), "pam_unix(passwd:chauthtok): password changed for alice")
	tOut := t.Add(6 * time.Minute)
	c.book.auth(tOut, "login", pid, "pam_unix(login:session): session closed for user root")
	c.book.auth(tOut, "systemd-logind", 402, "Session 1 logged out. Waiting for processes to exit.")
	c.book.auth(tOut, "systemd-logind", 402, "Removed session 1.")
	c.wtmp = append(c.wtmp, wtmpEvent{t, wtmpRecord(utUserProcess, int32(pid), "tty1", "tty1", "root", "", t, "")},
		wtmpEvent{tOut, wtmpRecord(utDeadProcess, int32(pid), "tty1", "tty1", "", "", tOut, "")})
	// rsyslog keeps the logs: journald only in memory (a common choice on small servers, and
	// why /var/log/journal stays empty).
	if err := r.WriteFile("/etc/systemd/journald.conf.d/volatile.conf", []byte("[Journal]\nStorage=volatile\n"), 0o644); err != nil {
		return err
	}
	c.at("/etc/systemd/journald.conf.d/volatile.conf", tAlice.Add(3*time.Minute))
	c.at("/etc/systemd/journald.conf.d", tAlice.Add(3*time.Minute))
	if err := r.WriteFile("/root/.bash_history", []byte("apt-get update\nuseradd -m -s /bin/bash -c 'Alice Admin' -G sudo,adm alice\npasswd alice\nmkdir /etc/systemd/journald.conf.d\nprintf '[Journal]\\nStorage=volatile\\n' > /etc/systemd/journald.conf.d/volatile.conf\nexit\n"), 0o600); err != nil {
		return err
	}
	c.at("/root/.bash_history", tOut)
	c.at("/home/alice", tAlice)
	if err := c.bornUnder("/home/alice", tAlice); err != nil {
		return err
	}

	// alice's first login (password), copies her key in, creates deploy.
	s := c.newSession("alice", alice.UID, aliceAddr, "", c.install.Add(40*time.Minute), c.install.Add(58*time.Minute))
	aliceKey, err := newKey("alice@laptop")
	if err != nil {
		return err
	}
	if err := c.writeOwned("/home/alice/.ssh/authorized_keys", aliceKey+"\n", 0o600, "alice", "alice"); err != nil {
		return err
	}
	if err := r.Chmod("/home/alice/.ssh", 0o700); err != nil {
		return err
	}
	c.at("/home/alice/.ssh", s.Start.Add(50*time.Second))
	c.at("/home/alice/.ssh/authorized_keys", s.Start.Add(51*time.Second))
	tDeploy := s.Start.Add(5 * time.Minute)
	c.book.sudo(s, tDeploy, "/home/alice", "/usr/sbin/useradd -m -s /bin/bash -G www-data deploy")
	if err := hostRun(ctx, "", "useradd", "-R", r.Dir, "-m", "-s", "/bin/bash", "-G", "www-data", "deploy"); err != nil {
		return err
	}
	deploy, err := r.Account("deploy")
	if err != nil {
		return err
	}
	upid = c.book.nextPID()
	c.book.auth(tDeploy, "useradd", upid, fmt.Sprintf("new group: name=deploy, GID=%d", deploy.GID))
	c.book.auth(tDeploy, "useradd", upid, fmt.Sprintf("new user: name=deploy, UID=%d, GID=%d, home=/home/deploy, shell=/bin/bash, from=/dev/pts/0", deploy.UID, deploy.GID))
	c.book.auth(tDeploy, "useradd", upid, "add 'deploy' to group 'www-data'")
	c.book.auth(tDeploy, "useradd", upid, "add 'deploy' to shadow group 'www-data'")
	for _, p := range []string{"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-", "/etc/subuid", "/etc/subgid", "/etc/subuid-", "/etc/subgid-"} {
		if r.Exists(p) {
			c.at(p, tDeploy)
		}
	}
	c.at("/home/deploy", tDeploy)
	if err := c.bornUnder("/home/deploy", tDeploy); err != nil {
		return err
	}
	tKey := tDeploy.Add(time.Minute)
	c.book.sudo(s, tKey, "/home/alice", "/usr/bin/install -d -m 700 -o deploy -g deploy /home/deploy/.ssh")
	c.book.sudo(s, tKey.Add(30*time.Second), "/home/alice", "/usr/bin/tee /home/deploy/.ssh/authorized_keys")
	c.book.sudo(s, tKey.Add(50*time.Second), "/home/alice", "/usr/bin/chown deploy:deploy /home/deploy/.ssh/authorized_keys")
	deployKey, err := newKey("deploy@ci.example.org")
	if err != nil {
		return err
	}
	if err := c.writeOwned("/home/deploy/.ssh/authorized_keys", deployKey+"\n", 0o644, "deploy", "deploy"); err != nil {
		return err
	}
	if err := r.Chmod("/home/deploy/.ssh", 0o700); err != nil {
		return err
	}
	c.at("/home/deploy/.ssh", tKey)
	c.at("/home/deploy/.ssh/authorized_keys", tKey.Add(50*time.Second))
	c.closeSession(s)
	// The install, chpasswd and useradd stamped the build day as the day of each account's last
	// password change; in the story that day is the install day.
	built := strconv.FormatInt(c.built.Unix()/86400, 10)
	day := strconv.FormatInt(c.install.Unix()/86400, 10)
	for _, p := range []string{"/etc/shadow", "/etc/shadow-"} {
		if !r.Exists(p) {
			continue
		}
		err := r.EditLines(p, func(l string) []string {
			f := strings.Split(l, ":")
			if len(f) == 9 && f[2] == built {
				f[2] = day
				return []string{strings.Join(f, ":")}
			}
			return []string{l}
		})
		if err != nil && !errors.Is(err, errNoLineMatched) {
			return err
		}
	}
	return nil
}

// bornUnder records that everything now under host folder p was made at t.
func (c *customizer) bornUnder(p string, t time.Time) error {
	rp, err := c.r.Real(p)
	if err != nil {
		return err
	}
	return filepath.WalkDir(rp, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rp, q)
		hp := p
		if rel != "." {
			hp = p + "/" + filepath.ToSlash(rel)
		}
		c.born[hp] = t
		return nil
	})
}

// writeOwned writes a file and gives it (and its folder) to user:group.
func (c *customizer) writeOwned(p, content string, mode os.FileMode, user, group string) error {
	if err := c.r.WriteFile(p, []byte(content), mode); err != nil {
		return err
	}
	if err := c.r.Chown(filepath.Dir(p), user, group); err != nil {
		return err
	}
	return c.r.Chown(p, user, group)
}

// day returns 00:00 UTC of the n-th day after the install.
func (c *customizer) day(n int) time.Time {
	return c.install.UTC().Truncate(24 * time.Hour).Add(time.Duration(n) * 24 * time.Hour)
}

// site: on day 1 alice points nginx at PHP and hands the web root to deploy, who publishes the
// site an hour later.
func (c *customizer) site() error {
	r := c.r
	alice, err := r.Account("alice")
	if err != nil {
		return err
	}
	deploy, err := r.Account("deploy")
	if err != nil {
		return err
	}
	aliceFP, err := c.fingerprint("/home/alice/.ssh/authorized_keys")
	if err != nil {
		return err
	}
	deployFP, err := c.fingerprint("/home/deploy/.ssh/authorized_keys")
	if err != nil {
		return err
	}
	d1 := c.day(1)
	s := c.newSession("alice", alice.UID, aliceAddr, aliceFP, d1.Add(9*time.Hour+10*time.Minute), d1.Add(9*time.Hour+35*time.Minute))
	c.book.sudo(s, s.Start.Add(4*time.Minute), "/home/alice", "sudoedit /etc/nginx/sites-available/default")
	if err := r.Rewrite("/etc/nginx/sites-available/default", []byte(nginxSite)); err != nil {
		return err
	}
	c.at("/etc/nginx/sites-available/default", s.Start.Add(6*time.Minute))
	c.book.sudo(s, s.Start.Add(7*time.Minute), "/home/alice", "/usr/sbin/nginx -t")
	c.book.sudo(s, s.Start.Add(8*time.Minute), "/home/alice", "/usr/bin/chown -R deploy:www-data /var/www/html")
	c.book.sudo(s, s.Start.Add(9*time.Minute), "/home/alice", "/usr/bin/systemctl reload nginx")
	c.closeSession(s)

	ds := c.newSession("deploy", deploy.UID, deployAddr, deployFP, d1.Add(10*time.Hour+30*time.Minute), d1.Add(10*time.Hour+42*time.Minute))
	if err := r.Remove("/var/www/html/index.nginx-debian.html"); err != nil {
		return err
	}
	names := make([]string, 0, len(siteFiles))
	for p := range siteFiles {
		names = append(names, p)
	}
	sort.Strings(names)
	for i, p := range names {
		if err := r.WriteFile(p, []byte(siteFiles[p]), 0o644); err != nil {
			return err
		}
		if err := r.Chown(p, "deploy", "www-data"); err != nil {
			return err
		}
		c.at(p, ds.Start.Add(5*time.Minute+time.Duration(i)*time.Second))
		c.born[p] = c.times[p]
	}
	for _, d := range []string{"/var/www/html", "/var/www/html/inc", "/var/www/html/assets"} {
		if err := r.Chown(d, "deploy", "www-data"); err != nil {
			return err
		}
		c.at(d, ds.Start.Add(5*time.Minute+10*time.Second))
	}
	c.closeSession(ds)
	if err := c.writeOwned("/home/deploy/.bash_history", "cd /var/www/html\nls -la\nrm index.nginx-debian.html\nexit\ncd /var/www/html\nls -la assets\nexit\n", 0o600, "deploy", "deploy"); err != nil {
		return err
	}
	// A later deploy (day 19) changes the front page and the script.
	d19 := c.day(19)
	if d19.Add(11 * time.Hour).Before(c.end) {
		ds2 := c.newSession("deploy", deploy.UID, deployAddr, deployFP, d19.Add(10*time.Hour+5*time.Minute), d19.Add(10*time.Hour+9*time.Minute))
		for _, p := range []string{"/var/www/html/index.php", "/var/www/html/assets/app.js"} {
			c.at(p, ds2.Start.Add(2*time.Minute))
		}
		c.closeSession(ds2)
		c.at("/home/deploy/.bash_history", ds2.End)
	} else {
		c.at("/home/deploy/.bash_history", ds.End)
	}
	return nil
}

func (c *customizer) fingerprint(p string) (string, error) {
	data, err := c.r.ReadFile(p)
	if err != nil {
		return "", err
	}
	return keyFingerprint(data)
}

// history: a month of ordinary life (alice's admin sessions, cron, scanners, daily jobs, web
// traffic).
func (c *customizer) history() error {
	r := c.r
	alice, err := r.Account("alice")
	if err != nil {
		return err
	}
	aliceFP, err := c.fingerprint("/home/alice/.ssh/authorized_keys")
	if err != nil {
		return err
	}
	rnd := c.book.rnd
	commands := []string{"/usr/bin/apt-get update", "/usr/bin/systemctl status nginx", "/usr/bin/tail -n 100 /var/log/nginx/error.log",
		"/usr/bin/journalctl -u php8.2-fpm --since today", "/usr/bin/df -h", "/usr/bin/systemctl restart php8.2-fpm"}
	var aliceHist strings.Builder
	aliceHist.WriteString("ssh-keygen -l -f ~/.ssh/authorized_keys\nsudo useradd -m -s /bin/bash -G www-data deploy\nsudo install -d -m 700 -o deploy -g deploy /home/deploy/.ssh\nsudo tee /home/deploy/.ssh/authorized_keys\nexit\nsudoedit /etc/nginx/sites-available/default\nsudo nginx -t\nsudo chown -R deploy:www-data /var/www/html\nsudo systemctl reload nginx\nexit\n")
	lastAlice := c.day(1).Add(9*time.Hour + 35*time.Minute)
	for d := 3; ; d += 3 {
		start := c.day(d).Add(9*time.Hour + time.Duration(rnd.IntN(50))*time.Minute)
		end := start.Add(time.Duration(8+rnd.IntN(25)) * time.Minute)
		if !end.Before(c.end) {
			break
		}
		s := c.newSession("alice", alice.UID, aliceAddr, aliceFP, start, end)
		for i, n := 0, 1+rnd.IntN(3); i < n; i++ {
			cmd := commands[rnd.IntN(len(commands))]
			c.book.sudo(s, start.Add(time.Duration(1+i*2)*time.Minute), "/home/alice", cmd)
			aliceHist.WriteString("sudo " + strings.TrimPrefix(strings.TrimPrefix(cmd, "/usr/bin/"), "/usr/sbin/") + "\n")
		}
		aliceHist.WriteString("exit\n")
		c.closeSession(s)
		lastAlice = end
	}
	if err := c.writeOwned("/home/alice/.bash_history", aliceHist.String(), 0o600, "alice", "alice"); err != nil {
		return err
	}
	c.at("/home/alice/.bash_history", lastAlice)

	// cron (hourly run-parts at :17, php session clean at :09 and :39, the daily crontab line),
	// daily systemd jobs, scanners, web traffic.
	scanners := []string{"203.0.113.45", "203.0.113.77", "198.51.100.201", "192.0.2.150"}
	probeUsers := [][]string{{"admin", "test", "root"}, {"oracle", "ubuntu", "postgres", "root"}, {"git", "root"}, {"user", "pi", "admin", "root", "support"}}
	for t := c.install.Truncate(time.Hour).Add(time.Hour); t.Before(c.end); t = t.Add(time.Hour) {
		c.book.cron(t.Add(9*time.Minute), "root", 0, "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi")
		c.book.cron(t.Add(17*time.Minute), "root", 0, "cd / && run-parts --report /etc/cron.hourly")
		c.book.cron(t.Add(39*time.Minute), "root", 0, "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi")
		switch t.Hour() {
		case 0:
			c.book.syslog(t, "systemd", 1, "Starting logrotate.service - Rotate log files...")
			c.book.syslog(t.Add(time.Second), "systemd", 1, "logrotate.service: Deactivated successfully.")
			c.book.syslog(t.Add(time.Second), "systemd", 1, "Finished logrotate.service - Rotate log files.")
		case 6:
			c.book.cron(t.Add(25*time.Minute), "root", 0, "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }")
			c.book.syslog(t.Add(31*time.Minute), "systemd", 1, "Starting apt-daily-upgrade.service - Daily apt upgrade and clean activities...")
			c.book.syslog(t.Add(31*time.Minute+2*time.Second), "systemd", 1, "apt-daily-upgrade.service: Deactivated successfully.")
			c.book.syslog(t.Add(31*time.Minute+2*time.Second), "systemd", 1, "Finished apt-daily-upgrade.service - Daily apt upgrade and clean activities.")
		}
		if rnd.IntN(8) == 0 {
			i := rnd.IntN(len(scanners))
			ft := t.Add(time.Duration(rnd.IntN(3600)) * time.Second)
			users := probeUsers[rnd.IntN(len(probeUsers))]
			c.book.probe(ft, scanners[i], users)
			for j, u := range users {
				bt := ft.Add(time.Duration(j*3) * time.Second)
				c.btmp = append(c.btmp, wtmpEvent{bt, wtmpRecord(6, int32(c.book.nextPID()), "ssh:notty", "", u, scanners[i], bt, scanners[i])})
			}
		}
		c.webTraffic(t)
	}
	return nil
}

var (
	webClients = []string{"93.184.216.34", "151.101.1.69", "185.199.108.153", "104.16.132.229", "2001:db8::51", "172.67.1.1"}
	webAgents  = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
	}
	webPages = []struct {
		path string
		size int
	}{{"/", 1180}, {"/about.html", 402}, {"/contact.php", 1320}, {"/assets/style.css", 227}, {"/assets/app.js", 398}, {"/favicon.ico", 153}}
)

// webTraffic adds a few requests of the hour to nginx's access log.
func (c *customizer) webTraffic(hour time.Time) {
	rnd := c.book.rnd
	for i, n := 0, rnd.IntN(4); i < n; i++ {
		t := hour.Add(time.Duration(rnd.IntN(3600)) * time.Second)
		pg := webPages[rnd.IntN(len(webPages))]
		status, size := 200, pg.size
		if pg.path == "/favicon.ico" {
			status, size = 404, 153
		}
		line := fmt.Sprintf(`%s - - [%s] "GET %s HTTP/1.1" %d %d "-" "%s"`, webClients[rnd.IntN(len(webClients))],
			t.UTC().Format("02/Jan/2006:15:04:05 -0700"), pg.path, status, size, webAgents[rnd.IntN(len(webAgents))])
		c.book.raw("/var/log/nginx/access.log", t, line)
	}
}

// logFamily is how logrotate treats a log (Debian 12's /etc/logrotate.d files).
type logFamily struct {
	owner, group string
	mode         os.FileMode
	daily        bool
	keep         int
}

func familyOf(p string) logFamily {
	if strings.HasPrefix(p, "/var/log/nginx/") {
		return logFamily{"www-data", "adm", 0o640, true, 14}
	}
	return logFamily{"root", "adm", 0o640, false, 4}
}

// rotFile is one file of a rotated log: its lines and its modification time.
type rotFile struct {
	lines []logEntry
	mtime time.Time
	born  time.Time // when logrotate (or rsyslog) created it
}

// rotate plays logrotate (notifempty, delaycompress) over lines: the current file and the
// rotated ones, newest first.
func rotate(lines []logEntry, created time.Time, rotations []time.Time, keep int) (rotFile, []rotFile) {
	cur := rotFile{mtime: created, born: created}
	var old []rotFile
	i := 0
	for _, rt := range rotations {
		for i < len(lines) && lines[i].t.Before(rt) {
			cur.lines = append(cur.lines, lines[i])
			cur.mtime = lines[i].t
			i++
		}
		if len(cur.lines) == 0 {
			continue
		}
		old = append([]rotFile{cur}, old...)
		if len(old) > keep {
			old = old[:keep]
		}
		cur = rotFile{mtime: rt, born: rt}
	}
	for ; i < len(lines); i++ {
		cur.lines = append(cur.lines, lines[i])
		cur.mtime = lines[i].t
	}
	return cur, old
}

// logs writes the log files, rotated, and wtmp, btmp, lastlog and logrotate's state.
func (c *customizer) logs() error {
	r := c.r
	// Weekly rotations (syslog family) at 00:00 UTC, the last one three days ago; daily ones for
	// nginx.
	last := c.built.Add(-72 * time.Hour).UTC().Truncate(24 * time.Hour)
	var weekly, daily []time.Time
	for t := last; !t.Before(c.install); t = t.Add(-7 * 24 * time.Hour) {
		weekly = append([]time.Time{t.Add(time.Duration(c.book.rnd.IntN(50)) * time.Second)}, weekly...)
	}
	for t := c.day(1); t.Before(c.end); t = t.Add(24 * time.Hour) {
		daily = append(daily, t)
	}
	state := map[string]time.Time{}
	for _, p := range c.book.paths() {
		fam := familyOf(p)
		rots := weekly
		if fam.daily {
			rots = daily
		}
		cur, old := rotate(c.book.sorted(p), c.install, rots, fam.keep)
		if len(rots) > 0 {
			state[p] = rots[len(rots)-1]
		}
		if err := c.writeLog(p, cur, fam, false); err != nil {
			return err
		}
		c.born[p] = cur.born
		for i, f := range old {
			name := fmt.Sprintf("%s.%d", p, i+1)
			if i > 0 {
				name += ".gz"
			} else {
				c.born[name] = f.born
			}
			if err := c.writeLog(name, f, fam, i > 0); err != nil {
				return err
			}
		}
	}
	for _, p := range []string{"/var/log/mail.log", "/var/log/user.log"} {
		state[p] = weekly[len(weekly)-1]
	}
	// wtmp, btmp, lastlog.
	for _, f := range []struct {
		path string
		evs  []wtmpEvent
	}{{"/var/log/wtmp", c.wtmp}, {"/var/log/btmp", c.btmp}} {
		sort.SliceStable(f.evs, func(i, j int) bool { return f.evs[i].t.Before(f.evs[j].t) })
		var buf bytes.Buffer
		var mt time.Time
		for _, e := range f.evs {
			buf.Write(e.rec)
			mt = e.t
		}
		if err := r.AppendFile(f.path, buf.Bytes()); err != nil {
			return err
		}
		if !mt.IsZero() {
			c.at(f.path, mt)
		}
	}
	if err := c.writeLastlog(); err != nil {
		return err
	}
	// logrotate's state (its own format: unpadded fields).
	var st strings.Builder
	st.WriteString("logrotate state -- version 2\n")
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lr := func(t time.Time) string {
		t = t.UTC()
		return fmt.Sprintf("%d-%d-%d-%d:%d:%d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	}
	for _, k := range keys {
		fmt.Fprintf(&st, "\"%s\" %s\n", k, lr(state[k]))
	}
	for _, k := range []string{"/var/log/alternatives.log", "/var/log/dpkg.log", "/var/log/apt/history.log", "/var/log/apt/term.log", "/var/log/btmp", "/var/log/wtmp", "/var/log/php8.2-fpm.log", "/var/log/nginx/error.log"} {
		if _, ok := state[k]; !ok {
			fmt.Fprintf(&st, "\"%s\" %s\n", k, lr(c.day(1)))
		}
	}
	if err := r.WriteFile("/var/lib/logrotate/status", []byte(st.String()), 0o644); err != nil {
		return err
	}
	c.at("/var/lib/logrotate/status", last.Add(time.Minute))
	c.at("/var/log", last)
	c.at("/var/log/nginx", daily[len(daily)-1])
	return nil
}

func (c *customizer) writeLog(p string, f rotFile, fam logFamily, compress bool) error {
	data := render(f.lines)
	if compress {
		data = gzipBytes(data)
	}
	if err := c.r.WriteFile(p, data, fam.mode); err != nil {
		return err
	}
	if err := c.r.Chown(p, fam.owner, fam.group); err != nil {
		return err
	}
	c.at(p, f.mtime)
	return nil
}

func (c *customizer) writeLastlog() error {
	rp, err := c.r.Real("/var/log/lastlog")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(rp, os.O_WRONLY|os.O_CREATE, 0o664)
	if err != nil {
		return err
	}
	var mt time.Time
	for uid, e := range c.lastLog {
		if _, err := f.WriteAt(e.rec, int64(uid)*292); err != nil {
			f.Close()
			return err
		}
		if e.t.After(mt) {
			mt = e.t
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !mt.IsZero() {
		c.at("/var/log/lastlog", mt)
	}
	return nil
}

// settle gives every file its recorded time, and everything else the customisation touched
// (folders, useradd's side files) the time of alice's first session.
func (c *customizer) settle() error {
	cutoff := c.built.Add(-2 * time.Minute)
	fallback := c.install.Add(45 * time.Minute)
	err := filepath.WalkDir(c.r.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if time.Unix(st.Mtim.Unix()).Before(cutoff) {
			return nil
		}
		t := fallback
		ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return fmt.Errorf("settle times: %w", err)
	}
	paths := make([]string, 0, len(c.times))
	for p := range c.times {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !c.r.Exists(p) {
			continue
		}
		if err := c.r.Touch(p, c.times[p]); err != nil {
			return err
		}
	}
	return nil
}
