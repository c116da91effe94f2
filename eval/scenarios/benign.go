package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Benign scenarios are the work of the server's own people and tools. None of them may ever be
// called compromised; ideally each is explained (by the package manager, an admin's session, a
// change note or log rotation) and the host called clean.

// liveSession is an SSH session of one of the root's people happening now: opened a few
// minutes ago, its sudo lines stamped at the moment the command runs (so the files it changes
// carry times inside it), closed when the work is done.
type liveSession struct {
	e    *Env
	book *logBook
	s    *session
}

func startSession(e *Env, user string, ago time.Duration) (*liveSession, error) {
	r := e.Root
	acct, err := r.Account(user)
	if err != nil {
		return nil, err
	}
	fp := ""
	if keys, err := r.ReadFile(acct.Home + "/.ssh/authorized_keys"); err == nil {
		fp, _ = keyFingerprint(keys)
	}
	from := aliceAddr
	if user == "deploy" {
		from = deployAddr
	}
	book := newLogBook(uint64(time.Now().UnixNano()))
	s := &session{User: user, UID: acct.UID, From: from, KeyFP: fp, Start: e.now().Add(-ago).Truncate(time.Second), LogindID: 200 + rand.IntN(100)}
	book.open(s)
	return &liveSession{e: e, book: book, s: s}, nil
}

// sudo logs a sudo command at this moment (run the command right after).
func (ls *liveSession) sudo(pwd, command string) {
	ls.book.sudo(ls.s, ls.e.now(), pwd, command)
}

// log adds another auth.log line now.
func (ls *liveSession) log(prog string, pid int, msg string) {
	ls.book.auth(ls.e.now(), prog, pid, msg)
}

// finish closes the session a moment after the last change, writes its log lines, wtmp and
// lastlog records, and waits until the close time has passed.
func (ls *liveSession) finish() error {
	end := ls.e.now().Truncate(time.Second).Add(2 * time.Second)
	ls.s.End = end
	ls.book.close(ls.s)
	if err := appendLogs(ls.e.Root, ls.book); err != nil {
		return err
	}
	if ls.e.Root.Exists("/var/log/wtmp") {
		if err := ls.e.Root.AppendFile("/var/log/wtmp", wtmpSession(ls.s)); err != nil {
			return err
		}
	}
	if d := time.Until(end); d > 0 && ls.e.Clock == nil {
		select {
		case <-time.After(d + 100*time.Millisecond):
		case <-ls.e.ctx().Done():
			return ls.e.ctx().Err()
		}
	}
	return nil
}

func (e *Env) ctx() context.Context {
	if e.Ctx != nil {
		return e.Ctx
	}
	return context.Background()
}

// chrootRun runs a program of the root inside it (dpkg for the package scenarios).
func chrootRun(e *Env, args ...string) error {
	if os.Geteuid() != 0 {
		return skipf("chroot needs root")
	}
	ctx, cancel := context.WithTimeout(e.ctx(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", append([]string{e.Root.Dir}, args...)...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8", "HOME=/root"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("chroot %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// debVersion reads name and version from a .deb file name (NAME_VERSION_ARCH.deb, with the
// epoch colon written %3a the way apt stores it).
func debVersion(file string) (name, version string, err error) {
	base := strings.TrimSuffix(filepath.Base(file), ".deb")
	f := strings.Split(base, "_")
	if len(f) != 3 {
		return "", "", fmt.Errorf("%s: not NAME_VERSION_ARCH.deb", file)
	}
	v, err := url.PathUnescape(f[1])
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", file, err)
	}
	return f[0], v, nil
}

// installedVersion reads a package's version from the root's dpkg status ("" when absent).
func installedVersion(r Root, pkg string) string {
	data, err := r.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		return ""
	}
	for _, para := range strings.Split(string(data), "\n\n") {
		if !strings.HasPrefix(para, "Package: "+pkg+"\n") {
			continue
		}
		for _, l := range strings.Split(para, "\n") {
			if v, ok := strings.CutPrefix(l, "Version: "); ok {
				return v
			}
		}
	}
	return ""
}

// dpkgInstall puts a .deb into the root's apt cache (where apt leaves it) and installs it with
// the root's own dpkg.
func dpkgInstall(e *Env, pkg string) (oldVersion, newVersion string, err error) {
	deb := e.Debs[pkg]
	if deb == "" {
		return "", "", skipf("no .deb of %s (apt-get download %s)", pkg, pkg)
	}
	_, newVersion, err = debVersion(deb)
	if err != nil {
		return "", "", err
	}
	oldVersion = installedVersion(e.Root, pkg)
	inRoot := "/var/cache/apt/archives/" + filepath.Base(deb)
	rp, err := e.Root.Real(inRoot)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Dir(rp), 0o755); err != nil {
		return "", "", err
	}
	if err := copyHostFile(deb, rp); err != nil {
		return "", "", err
	}
	return oldVersion, newVersion, chrootRun(e, "dpkg", "-i", inRoot)
}

// rotateNow plays one logrotate run on the root's syslog logs (weekly ones, rotate 4,
// delaycompress, notifempty) and nginx's, and records it in logrotate's state.
func rotateNow(e *Env) error {
	r := e.Root
	now := e.now()
	var rotated []string
	for _, fam := range []struct {
		logs []string
		keep int
	}{
		{[]string{"/var/log/syslog", "/var/log/mail.log", "/var/log/kern.log", "/var/log/auth.log", "/var/log/user.log", "/var/log/cron.log"}, 4},
		{[]string{"/var/log/nginx/access.log", "/var/log/nginx/error.log"}, 14},
	} {
		for _, p := range fam.logs {
			fi, err := r.Lstat(p)
			if err != nil || fi.Size() == 0 {
				continue // missingok, notifempty
			}
			if err := rotateOne(r, p, fam.keep, now); err != nil {
				return err
			}
			rotated = append(rotated, p)
		}
	}
	if len(rotated) == 0 {
		return errors.New("no log to rotate")
	}
	// logrotate's state file.
	st, err := r.ReadFile("/var/lib/logrotate/status")
	if err != nil {
		st = []byte("logrotate state -- version 2\n")
	}
	u := now.UTC()
	stamp := fmt.Sprintf("%d-%d-%d-%d:%d:%d", u.Year(), int(u.Month()), u.Day(), u.Hour(), u.Minute(), u.Second())
	lines := strings.Split(strings.TrimRight(string(st), "\n"), "\n")
	seen := map[string]bool{}
	for i, l := range lines {
		for _, p := range rotated {
			if strings.HasPrefix(l, "\""+p+"\" ") {
				lines[i] = "\"" + p + "\" " + stamp
				seen[p] = true
			}
		}
	}
	for _, p := range rotated {
		if !seen[p] {
			lines = append(lines, "\""+p+"\" "+stamp)
		}
	}
	if err := r.WriteFile("/var/lib/logrotate/status", []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	// rsyslog writes on in the new files; the timer's end lands in the new syslog.
	book := newLogBook(uint64(now.UnixNano()))
	book.syslog(now, "systemd", 1, "logrotate.service: Deactivated successfully.")
	book.syslog(now, "systemd", 1, "Finished logrotate.service - Rotate log files.")
	return appendLogs(r, book)
}

// rotateOne: FILE.N.gz -> FILE.N+1.gz, FILE.1 -> FILE.2.gz, FILE -> FILE.1, new empty FILE
// with the old owner and mode (logrotate's "create").
func rotateOne(r Root, p string, keep int, now time.Time) error {
	fi, err := r.Lstat(p)
	if err != nil {
		return err
	}
	if err := r.Remove(fmt.Sprintf("%s.%d.gz", p, keep)); err != nil {
		return err
	}
	for n := keep - 1; n >= 2; n-- {
		from := fmt.Sprintf("%s.%d.gz", p, n)
		if r.Exists(from) {
			if err := r.Rename(from, fmt.Sprintf("%s.%d.gz", p, n+1)); err != nil {
				return err
			}
		}
	}
	if one := p + ".1"; r.Exists(one) {
		data, err := r.ReadFile(one)
		if err != nil {
			return err
		}
		ofi, err := r.Lstat(one)
		if err != nil {
			return err
		}
		gz := p + ".2.gz"
		if err := r.WriteFile(gz, gzipBytes(data), ofi.Mode().Perm()); err != nil {
			return err
		}
		if err := chownLike(r, gz, ofi); err != nil {
			return err
		}
		if err := r.Touch(gz, ofi.ModTime()); err != nil {
			return err
		}
		if err := r.Remove(one); err != nil {
			return err
		}
	}
	if err := r.Rename(p, p+".1"); err != nil {
		return err
	}
	if err := r.WriteFile(p, nil, fi.Mode().Perm()); err != nil {
		return err
	}
	return chownLike(r, p, fi)
}

// benignScenarios: admin work, package work, the clean root.
func benignScenarios() []*Scenario {
	return []*Scenario{
		{
			Name: "benign-clean-root", Category: CatBenign, Kind: Benign,
			Description: "the root as built: a month of ordinary life, nothing done to it",
			Apply:       func(e *Env) error { return nil },
			Expect:      Expect{Verdict: VerdictClean},
		},
		{
			Name: "benign-dpkg-install", Category: CatBenign, Kind: Benign, Techniques: []string{"T1036.005"},
			Needs:       []string{"real-root", "deb:tree"},
			Description: "a real package (tree, from Debian's archive) installed with the root's own dpkg -i: new files in /usr/bin and /usr/share, explained by dpkg.log and the dpkg database",
			Apply: func(e *Env) error {
				_, v, err := dpkgInstall(e, "tree")
				if err == nil {
					e.note("installed tree %s", v)
				}
				return err
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/usr/bin/tree", Mode: 0o755}, {Path: "/var/log/dpkg.log", Contains: "install tree:"}},
		},
		{
			Name: "benign-apt-upgrade", Category: CatBenign, Kind: Benign, Techniques: []string{"T1554"},
			Needs:       []string{"real-root", "deb:tzdata"},
			Description: "alice upgrades tzdata with sudo apt-get in her SSH session (the newer .deb from bookworm-updates, installed by the root's dpkg; apt's history.log written as apt does)",
			Apply: func(e *Env) error {
				ls, err := startSession(e, "alice", 6*time.Minute)
				if err != nil {
					return err
				}
				start := e.now()
				ls.sudo("/home/alice", "/usr/bin/apt-get install --only-upgrade tzdata")
				old, nv, err := dpkgInstall(e, "tzdata")
				if err != nil {
					return err
				}
				if old == nv {
					e.note("tzdata %s reinstalled: the mirror has no newer version than the root", nv)
				} else {
					e.note("tzdata %s -> %s", old, nv)
				}
				acct, _ := e.Root.Account("alice")
				hist := fmt.Sprintf("\nStart-Date: %s\nCommandline: apt-get install --only-upgrade tzdata\nRequested-By: alice (%d)\nUpgrade: tzdata:all (%s, %s)\nEnd-Date: %s\n",
					start.UTC().Format("2006-01-02  15:04:05"), acct.UID, old, nv, e.now().UTC().Format("2006-01-02  15:04:05"))
				if err := e.Root.AppendFile("/var/log/apt/history.log", []byte(hist)); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/var/log/dpkg.log", Contains: " tzdata:all "}, {Path: "/var/log/apt/history.log", Contains: "Upgrade: tzdata:all"}},
		},
		{
			Name: "benign-useradd-sudo", Category: CatBenign, Kind: Benign, Techniques: []string{"T1136.001"},
			Needs:       []string{"useradd"},
			Description: "alice adds a colleague, bob, to the sudo group with sudo useradd and sets his password, in her SSH session (auth.log has the session, the sudo lines and useradd's own lines)",
			Apply: func(e *Env) error {
				r := e.Root
				ls, err := startSession(e, "alice", 8*time.Minute)
				if err != nil {
					return err
				}
				ls.sudo("/home/alice", "/usr/sbin/useradd -m -s /bin/bash -G sudo bob")
				if err := hostRun(e.ctx(), "", "useradd", "-R", r.Dir, "-m", "-s", "/bin/bash", "-G", "sudo", "bob"); err != nil {
					return err
				}
				bob, err := r.Account("bob")
				if err != nil {
					return err
				}
				pid := 30000 + rand.IntN(20000)
				ls.log("useradd", pid, fmt.Sprintf("new group: name=bob, GID=%d", bob.GID))
				ls.log("useradd", pid, fmt.Sprintf("new user: name=bob, UID=%d, GID=%d, home=/home/bob, shell=/bin/bash, from=/dev/pts/0", bob.UID, bob.GID))
				ls.log("useradd", pid, "add 'bob' to group 'sudo'")
				ls.log("useradd", pid, "add 'bob' to shadow group 'sudo'")
				ls.sudo("/home/alice", "/usr/bin/passwd bob")
				if err := hostRun(e.ctx(), "bob:"+randomPassword()+"\n", "chpasswd", "-R", r.Dir, "-c", "YESCRYPT"); err != nil {
					return err
				}
				ls.log("passwd", pid+7, "pam_unix(passwd:chauthtok): password changed for bob")
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/etc/passwd", Contains: "\nbob:x:"}, {Path: "/var/log/auth.log", Contains: "COMMAND=/usr/sbin/useradd -m -s /bin/bash -G sudo bob"}, {Path: "/home/bob", Owner: "bob"}},
		},
		{
			Name: "benign-config-edit", Category: CatBenign, Kind: Benign, Techniques: []string{"T1543.002"},
			Description: "alice raises nginx's worker_connections with sudoedit in her SSH session and reloads nginx",
			Apply: func(e *Env) error {
				ls, err := startSession(e, "alice", 5*time.Minute)
				if err != nil {
					return err
				}
				ls.sudo("/home/alice", "sudoedit /etc/nginx/nginx.conf")
				if err := e.Root.Replace("/etc/nginx/nginx.conf", "worker_connections 768;", "worker_connections 2048;"); err != nil {
					return err
				}
				ls.sudo("/home/alice", "/usr/bin/systemctl reload nginx")
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/etc/nginx/nginx.conf", Contains: "worker_connections 2048;"}},
		},
		{
			Name: "benign-log-rotation", Category: CatBenign, Kind: Benign, Techniques: []string{"T1070.002"},
			Description: "logrotate's weekly run: auth.log, syslog and cron.log moved to .1 (older ones compressed and shifted, the oldest dropped), new empty files, nginx's logs too, logrotate's state updated",
			Apply:       rotateNow,
			Expect:      Expect{Verdict: VerdictClean},
			Changes:     []Want{{Path: "/var/log/auth.log", Empty: true}, {Path: "/var/log/auth.log.1", Contains: " sshd["}, {Path: "/var/lib/logrotate/status", Contains: "\"/var/log/auth.log\" "}},
		},
		{
			Name: "benign-web-deploy", Category: CatBenign, Kind: Benign, Techniques: []string{"T1505.003"},
			Description: "deploy publishes a new page and script and changes the front page in its SSH session (files owned deploy:www-data)",
			Apply: func(e *Env) error {
				r := e.Root
				ls, err := startSession(e, "deploy", 4*time.Minute)
				if err != nil {
					return err
				}
				if err := r.Replace("/var/www/html/index.php", `<a href="/contact.php">Contact</a>`, `<a href="/contact.php">Contact</a> <a href="/menu.php">Menu</a>`); err != nil {
					return err
				}
				for p, content := range deployFiles {
					if err := r.WriteFile(p, []byte(content), 0o644); err != nil {
						return err
					}
					if err := r.Chown(p, "deploy", "www-data"); err != nil {
						return err
					}
				}
				return ls.finish()
			},
			Expect: Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/var/www/html/menu.php", Owner: "deploy", Contains: "menu_items"},
				{Path: "/var/www/html/index.php", Contains: "/menu.php"}},
		},
		{
			Name: "benign-planned-change-note", Category: CatBenign, Kind: Benign, Techniques: []string{"T1053.003"},
			Needs:       []string{"note"},
			Description: "a nightly database backup (a cron.d entry and a script in /usr/local/sbin) set up by root right after recording it with `nowwhat note`; both checks get the case folder",
			Apply: func(e *Env) error {
				if e.Bin == "" || e.Case == "" {
					return skipf("no nowwhat binary or case folder")
				}
				text := "planned: nightly database backup, /etc/cron.d/db-backup runs /usr/local/sbin/db-backup at 02:30"
				ctx, cancel := context.WithTimeout(e.ctx(), time.Minute)
				defer cancel()
				out, err := exec.CommandContext(ctx, e.Bin, "--case", e.Case, "--quiet", "note", text).CombinedOutput()
				if err != nil {
					if strings.Contains(string(out), "unknown command") || strings.Contains(string(out), "not built yet") {
						return skipf("nowwhat note is not built yet")
					}
					return fmt.Errorf("nowwhat note: %w: %s", err, strings.TrimSpace(string(out)))
				}
				e.CheckArgs = append(e.CheckArgs, "--case", e.Case)
				r := e.Root
				if err := writeScript(r, "/usr/local/sbin/db-backup", "set -e\nmysqldump --single-transaction bakery | gzip > /var/backups/bakery-$(date +%F).sql.gz\nfind /var/backups -name 'bakery-*.sql.gz' -mtime +14 -delete\n"); err != nil {
					return err
				}
				return r.WriteFile("/etc/cron.d/db-backup", []byte("# nightly database backup\n30 2 * * * root /usr/local/sbin/db-backup\n"), 0o644)
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/etc/cron.d/db-backup", Contains: "/usr/local/sbin/db-backup"}, {Path: "/usr/local/sbin/db-backup", Mode: 0o755}},
		},
		{
			Name: "benign-own-ssh-key", Category: CatBenign, Kind: Benign, Techniques: []string{"T1098.004"},
			Description: "alice adds the key of her new laptop to her own authorized_keys in her SSH session",
			Apply: func(e *Env) error {
				ls, err := startSession(e, "alice", 3*time.Minute)
				if err != nil {
					return err
				}
				key, err := newKey("alice@new-laptop")
				if err != nil {
					return err
				}
				if err := e.Root.AppendLine("/home/alice/.ssh/authorized_keys", key); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/home/alice/.ssh/authorized_keys", Contains: "alice@new-laptop"}},
		},
	}
}

var deployFiles = map[string]string{
	"/var/www/html/menu.php": `<?php
require __DIR__ . '/inc/functions.php';
$menu_items = [
    ['Sourdough loaf', 4.50],
    ['Baguette', 2.20],
    ['Croissant', 1.60],
    ['Apple pie (slice)', 3.10],
];
?><!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Menu - Example Bakery</title><link rel="stylesheet" href="/assets/style.css"></head>
<body>
<h1>Our menu</h1>
<table id="menu">
<?php foreach ($menu_items as [$name, $price]): ?>
  <tr><td><?= h($name) ?></td><td><?= number_format($price, 2) ?> EUR</td></tr>
<?php endforeach; ?>
</table>
<script src="/assets/menu.js"></script>
</body>
</html>
`,
	"/var/www/html/assets/menu.js": `// Highlight the row under the pointer.
document.querySelectorAll('#menu tr').forEach(function (row) {
  row.addEventListener('mouseenter', function () { row.style.background = '#fff3d6'; });
  row.addEventListener('mouseleave', function () { row.style.background = ''; });
});
`,
}
