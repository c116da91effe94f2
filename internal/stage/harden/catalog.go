// Package harden closes the hole loophole named and hardens what the attack used: a short,
// curated set of changes, each with an id, why in plain words, the exact change, how it is
// checked and how it is undone. Changes run through containment's journal (intent fsync'd
// before, outcome after, undoable after a crash) in the case's hardening.jsonl; a change to sshd
// runs under containment's dead-man rollback (it reverts by itself unless confirmed), and is
// refused when the operator's own way in would stop working.
package harden

import "github.com/nowwhat/nowwhat/internal/base/hostfs"

// Def is one hardening change.
type Def struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Why   string `json:"why"`
	// Ref maps the change to the CIS Debian Linux benchmark and to Lynis tests, where one
	// covers the same ground (the wording here is nowwhat's own).
	Ref string `json:"ref,omitempty"`
	// Files is the exact change: whole files written (drop-ins), each put back as it was by undo.
	Files []FileChange `json:"files"`
	// Check says how the change is checked after it is made.
	Check string `json:"check"`
	// SSHD: the change touches sshd (dead-man rollback, operator's key checked, sshd reloaded).
	SSHD bool `json:"sshd,omitempty"`
	// Needs names the package the change needs to have effect.
	Needs string `json:"needs,omitempty"`
	// NotInContainers: left alone inside a container.
	NotInContainers bool `json:"not_in_containers,omitempty"`
	// Sysctl values set at once on a live host (and in the file for boot).
	Sysctl map[string]string `json:"sysctl,omitempty"`
	// NeedsKey: the change turns passwords off, so the operator must be logged in with a key
	// sshd keeps accepting (checked before anything is written).
	NeedsKey bool `json:"needs_key,omitempty"`
	// Firewall: the change adds nftables rules on the running system (dead-man rollback, the
	// operator's address exempt).
	Firewall bool `json:"firewall,omitempty"`
	// Reload names what makes the running service read the change; harden does not run it.
	Reload string `json:"reload,omitempty"`
	// Edit computes the files of a change that depends on the host (the nginx sites that run
	// PHP in an upload folder, the PHP-FPM pools): whole files, each put back by undo. notes
	// say what was left alone and why.
	Edit func(fsys *hostfs.FS, c Change) (files []FileChange, notes []string, err error) `json:"-"`
	// Verify tells what of an Edit change is not in force on the host (folders: the upload
	// folders loophole named, checked besides the usual ones).
	Verify func(fsys *hostfs.FS, folders []string) []string `json:"-"`
}

// FileChange is one file harden writes.
type FileChange struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

const header = "# Written by nowwhat harden (%s). Undo: nowwhat harden undo --apply, or delete this file.\n"

// Catalog is every change harden knows, the ones tied to holes first.
var Catalog = []Def{
	{ID: "ssh-no-password", Title: "sshd: no password logins; root only with a key",
		Why:  "guessed and leaked passwords are the most common way into servers; keys cannot be guessed",
		Ref:  "CIS Debian 12 5.1.x (sshd PasswordAuthentication, PermitRootLogin, PermitEmptyPasswords); Lynis SSH-7408",
		SSHD: true, NeedsKey: true,
		Files: []FileChange{{Path: "/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf", Content: "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitEmptyPasswords no\nPermitRootLogin prohibit-password\n"}},
		Check: "sshd's effective configuration (the main file and its Include files, first value wins) has PasswordAuthentication no, KbdInteractiveAuthentication no, PermitRootLogin prohibit-password"},
	{ID: "ssh-limits", Title: "sshd: fewer tries per connection, shorter login window",
		Why:   "a guesser gets 3 tries per connection instead of 6, and half-open logins are dropped after 30 seconds",
		Ref:   "CIS Debian 12 5.1.x (MaxAuthTries, LoginGraceTime, MaxStartups); Lynis SSH-7408",
		SSHD:  true,
		Files: []FileChange{{Path: "/etc/ssh/sshd_config.d/00-nowwhat-limits.conf", Content: "MaxAuthTries 3\nLoginGraceTime 30\nMaxStartups 10:30:60\n"}},
		Check: "sshd's effective configuration has MaxAuthTries 3, LoginGraceTime 30, MaxStartups 10:30:60"},
	{ID: "ssh-rate-limit", Title: "firewall: slow down password guessing on sshd's ports",
		Why:      "a guesser opens connection after connection; more than 10 new connections a minute from one address (after a first burst of 20) are dropped, so a guessing run crawls while people and scripts are not bothered",
		Ref:      "CIS Debian 12 4.x (nftables) covers the firewall, not this limit; Lynis FIRE-4513 (firewall active)",
		Firewall: true,
		Files:    []FileChange{{Path: RateFile}},
		Check:    "nftables has the table inet " + RateTable + " (read back through netlink), and the file for boot is in place"},
	{ID: "php-uploads-noexec", Title: "web servers: no PHP in upload folders",
		Why:    "an uploaded file must never become a program the web server runs",
		Ref:    "no CIS or Lynis test covers it (OWASP: unrestricted file upload)",
		Edit:   uploadsEdit,
		Verify: uploadsVerify,
		Reload: "nginx -t && systemctl reload nginx; apache2ctl configtest && systemctl reload apache2",
		Check:  "loophole's own reading of the effective nginx configuration (nginx's location choice) and of Apache's finds no upload folder where a .php file is passed to PHP"},
	{ID: "php-disable-functions", Title: "PHP-FPM pools: no running of programs from PHP",
		Why:    "a web shell's first move is to run commands (system, exec, proc_open); PHP code serving web pages has no need to, while cron jobs and admin scripts keep them (they run the PHP command line, not the pools)",
		Ref:    "CIS Debian 12 has no PHP section; Lynis PHP-2320 (dangerous PHP functions)",
		Edit:   poolsEdit,
		Verify: poolsVerify,
		Reload: "systemctl reload phpX.Y-fpm (each version named in the plan)",
		Check:  "every PHP-FPM pool file has php_admin_value[disable_functions] with exec, passthru, shell_exec, system, proc_open, popen and pcntl_exec"},
	{ID: "unattended-upgrades", Title: "security updates installed every day by themselves",
		Why:   "most break-ins use flaws fixed months before; a server that updates itself closes them in a day",
		Ref:   "CIS Debian 12 1.9 (updates); Lynis PKGS-7392",
		Files: []FileChange{{Path: "/etc/apt/apt.conf.d/20auto-upgrades", Content: "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n"}},
		Check: "the apt configuration turns the daily update and unattended upgrade on, and the unattended-upgrades package is installed", Needs: "unattended-upgrades"},
	{ID: "sysctl-baseline", Title: "kernel settings that make common attacks harder",
		Why:             "hides kernel addresses and logs from users, refuses redirected and source-routed packets, restricts ptrace; IP forwarding is left as it is",
		Ref:             "CIS Debian 12 3.3.x (network parameters), 1.5.x (kernel); Lynis KRNL-6000",
		NotInContainers: true,
		Sysctl: map[string]string{"kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1", "kernel.yama.ptrace_scope": "1", "fs.protected_symlinks": "1",
			"fs.protected_hardlinks": "1", "fs.suid_dumpable": "0", "net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
			"net.ipv4.conf.all.accept_source_route": "0", "net.ipv4.tcp_syncookies": "1", "net.ipv6.conf.all.accept_redirects": "0"},
		Files: []FileChange{{Path: "/etc/sysctl.d/90-nowwhat.conf"}},
		Check: "the file is in place and, on a live host, /proc/sys shows each value"},
	{ID: "auditd-rules", Title: "audit rules that make the next investigation easy",
		Why:   "records who changes accounts, sudo, sshd and cron, and every program the web server's account runs",
		Ref:   "CIS Debian 12 6.3.x (auditd rules); Lynis ACCT-9630",
		Needs: "auditd",
		Files: []FileChange{{Path: "/etc/audit/rules.d/90-nowwhat.rules", Content: "-w /etc/passwd -p wa -k identity\n-w /etc/shadow -p wa -k identity\n-w /etc/group -p wa -k identity\n" +
			"-w /etc/sudoers -p wa -k privilege\n-w /etc/sudoers.d/ -p wa -k privilege\n-w /etc/ssh/sshd_config -p wa -k sshd\n-w /etc/ssh/sshd_config.d/ -p wa -k sshd\n" +
			"-w /etc/crontab -p wa -k cron\n-w /etc/cron.d/ -p wa -k cron\n-w /var/spool/cron/ -p wa -k cron\n-w /etc/systemd/system/ -p wa -k systemd\n" +
			"-a always,exit -F arch=b64 -S execve -F uid=33 -k web-exec\n-a always,exit -F arch=b64 -S init_module,finit_module -k modules\n"}},
		Check: "the rules file is in place and auditd is installed (augenrules --load or a reboot loads it)"},
	{ID: "log-retention", Title: "keep the system journal on disk for six months",
		Why:   "attacks are found weeks later; the logs of their start must still be there",
		Ref:   "CIS Debian 12 6.2.x (journald persistent storage); Lynis LOGG-2190",
		Files: []FileChange{{Path: "/etc/systemd/journald.conf.d/90-nowwhat.conf", Content: "[Journal]\nStorage=persistent\nSystemMaxUse=2G\nMaxRetentionSec=0\nMaxFileSec=1month\n"}},
		Check: "the journald drop-in is in place (takes effect when journald restarts)"},
}

// Lookup finds a change by id.
func Lookup(id string) *Def {
	for i := range Catalog {
		if Catalog[i].ID == id {
			return &Catalog[i]
		}
	}
	return nil
}
