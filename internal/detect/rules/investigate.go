package rules

import (
	"slices"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/source/weblog"
)

// The rules investigate raises from the logs and the timeline (package investigate finds them;
// their descriptions live here, with check's, in the one catalog).
var (
	_ = investigate(Rule{ID: "entry.ssh-bruteforce", Severity: finding.Critical,
		Title:  "a login followed password guessing from the same address",
		Attack: []string{"T1110.001", "T1110.003", "T1078"},
		Why:    "Password guessing that ends in a login is the most common way into a server: the guessed password is now the intruder's.",
		Action: "Lock the account, kill its sessions, block the address; change the password everywhere it was used, turn off password logins for SSH (keys only), and look at everything the account did after the login."})
	_ = investigate(Rule{ID: "entry.ssh-stolen-credentials", Severity: finding.High,
		Title:  "a login that looks like stolen credentials",
		Attack: []string{"T1078", "T1552.004"},
		Why:    "A valid password or key used from where, when or with what its owner never does is how stolen credentials show; nothing vouches for this login.",
		Action: "Ask the account's owner. If it was not them: lock the account, replace its keys and password from a clean machine, and treat everything it did as the intruder's. If it was: nowwhat trust add --address ADDRESS --who NAME."})
	_ = investigate(Rule{ID: "ssh.bruteforce", Severity: finding.Info,
		Title:  "password guessing from one address",
		Attack: []string{"T1110.001"},
		Why:    "Automated password guessing hits every server on the Internet; it matters when one succeeds.",
		Action: "Use SSH keys only (PasswordAuthentication no), and a tool like fail2ban; block the address if it persists."})
	_ = investigate(Rule{ID: "ssh.spray", Severity: finding.Info,
		Title:  "password spraying from one address across accounts",
		Attack: []string{"T1110.003"},
		Why:    "Automated password guessing hits every server on the Internet; it matters when one succeeds.",
		Action: "Use SSH keys only (PasswordAuthentication no), and a tool like fail2ban; block the address if it persists."})
	_ = investigate(Rule{ID: "login.root", Severity: finding.Low,
		Title:  "root logged in directly over SSH",
		Attack: []string{"T1078.003"},
		Why:    "Direct root logins leave no trace of who the person was; they are also what intruders with a stolen key or password do.",
		Action: "Check who it was; prefer personal accounts with sudo (PermitRootLogin no)."})
	_ = investigate(Rule{ID: "login.new-address", Severity: finding.Low,
		Title:  "a login from an address the account never used",
		Attack: []string{"T1078"},
		Why:    "A valid login from an address never used before can be a stolen password or key.",
		Action: "Confirm with the account's owner."})
	_ = investigate(Rule{ID: "login.unusual-hour", Severity: finding.Low,
		Title:  "a login at an hour the account never used",
		Attack: []string{"T1078"},
		Why:    "Logins outside an account's habits can be someone else using it.",
		Action: "Confirm with the account's owner."})
	_ = investigate(Rule{ID: "privilege.sudo-shell", Severity: finding.Low,
		Title:  "a root shell opened with sudo",
		Attack: []string{"T1548.003"},
		Why:    "A root shell through sudo leaves no record of the commands typed in it.",
		Action: "Check that it was this person, and what the shell history of root shows for that time."})
	_ = investigate(Rule{ID: "package.outside-session", Severity: finding.Low,
		Title:  "a package installed while no administrator was logged in",
		Attack: []string{"T1072"},
		Why:    "Automatic updates install packages on their own; an install at a time nobody was logged in, outside the update schedule, is worth a look.",
		Action: "Check it against unattended-upgrades' log and your team."})
	_ = investigate(Rule{ID: "kernel.module-loaded", Severity: finding.Medium,
		Title:  "the kernel loaded an out-of-tree or unsigned module",
		Attack: []string{"T1547.006", "T1014"},
		Why:    "Kernel rootkits are modules; the kernel notes when a module not signed by the distribution is loaded. Drivers built on the host (DKMS) do the same.",
		Action: "Match the time with a driver install you know of; if none, treat the kernel as compromised and rebuild from trusted media."})
	_ = investigate(Rule{ID: "tamper.audit", Severity: finding.Medium,
		Title:  "auditing was weakened or stopped",
		Attack: []string{"T1562.012"},
		Why:    "Intruders remove audit rules or stop auditd so their actions are not recorded.",
		Action: "Check who did it (auid), and restore the audit rules."})
	_ = investigate(Rule{ID: "tamper.log-gap", Severity: finding.Medium,
		Title:  "a busy log falls silent for a long time",
		Attack: []string{"T1070.002"},
		Why:    "Deleting the lines of a break-in leaves a hole in an otherwise busy log (so does a stopped logger or a powered-off host).",
		Action: "Compare with the journal, wtmp and a central log server for that period; check whether the host was down."})
	_ = investigate(Rule{ID: "tamper.login-records", Severity: finding.High,
		Title:  "login records look edited",
		Attack: []string{"T1070.002"},
		Why:    "Login records with zeroed entries or entries out of time order are what log cleaners (utmpdump, wtmpclean, zap) leave.",
		Action: "Rely on the other logs (journal, auth.log, a central log server) for the hidden period."})
	_ = investigate(Rule{ID: "tamper.lastlog-wtmp", Severity: finding.High,
		Title:  "a login is in lastlog but missing from wtmp",
		Attack: []string{"T1070.002"},
		Why:    "login and sshd write both records at once. A last login that wtmp does not hold, in a period wtmp covers, is what a wtmp cleaner leaves behind: it missed lastlog.",
		Action: "Treat the login as the attacker's until shown otherwise; look for it in auth.log and the journal, and for what the account did then."})
	_ = investigate(Rule{ID: "implant.first-run", Severity: finding.High,
		Title:  "the first run of a program check found malicious",
		Attack: []string{"T1204.002"},
		Why:    "The first run of an implant is when the intruder was already on the host: the way in is just before it.",
		Action: "Look at the logins and web requests in the minutes before it; the audit log's auid names the login session that ran it."})
	_ = investigate(Rule{ID: "web.exploit-success", Severity: finding.High,
		Title:  "an attack request the web server answered with success",
		Attack: []string{"T1190"},
		Why:    "A request carrying an exploit that the server answered with success may have run the attacker's code or leaked data.",
		Action: "Check the application at that time (its logs, files written then); update or take it offline."})
	_ = investigate(Rule{ID: "web.upload-then-access", Severity: finding.High,
		Title:  "an upload followed by the first request to a new script",
		Attack: []string{"T1505.003", "T1190"},
		Why:    "Uploading a script through a form and then calling it is how most web shells are planted.",
		Action: "Look at that script on disk (nowwhat check flags web shells); remove it and close the upload hole."})
	_ = investigate(Rule{ID: "web.webshell-first-access", Severity: finding.Critical,
		Title:  "the first request to a web shell",
		Attack: []string{"T1505.003"},
		Why:    "The first request to a web shell is when, and from where, the intruder started using it.",
		Action: "Block the address; look at everything that address requested, and at what happened on the host right after."})
)

// webAttemptTitles name each kind of web attack attempt (the web log classifier's categories).
var webAttemptTitles = map[string]string{
	weblog.CatSQLi: "SQL injection attempts", weblog.CatTraversal: "path traversal attempts",
	weblog.CatCmdInjection: "command injection attempts", weblog.CatLFI: "local file inclusion attempts",
	weblog.CatRFI: "remote file inclusion attempts", weblog.CatLog4Shell: "Log4Shell attempts",
	weblog.CatShellshock: "Shellshock attempts", weblog.CatCVEProbe: "probes for known vulnerable paths",
	weblog.CatWebshell: "requests to well-known web shell names", weblog.CatUpload: "upload requests to scripts",
	weblog.CatXSS: "cross-site scripting attempts", weblog.CatAdminProbe: "probes for admin panels and configuration files",
	weblog.CatProxyAbuse: "attempts to use the server as an open proxy", weblog.CatPHPInjection: "PHP code injection attempts",
	weblog.CatScanner: "known scanners", weblog.CatLogin: "repeated requests to login pages",
}

// webAttempts are the rules of web attack attempts from one client, one per kind (web.sqli,
// web.scanner, ...): attempts, at most low; whether one succeeded is web.exploit-success's.
var _ = func() bool {
	attack := map[string][]string{}
	for _, r := range weblog.Rules() {
		for _, a := range r.Attack {
			if !slices.Contains(attack[r.Category], a) {
				attack[r.Category] = append(attack[r.Category], a)
			}
		}
	}
	cats := make([]string, 0, len(webAttemptTitles))
	for c := range webAttemptTitles {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	for _, c := range cats {
		sev := finding.Low
		if c == weblog.CatScanner || c == weblog.CatLogin || c == weblog.CatAdminProbe || c == weblog.CatProxyAbuse {
			sev = finding.Info // every server on the Internet sees these
		}
		a := attack[c]
		slices.Sort(a)
		investigate(Rule{ID: "web." + c, Severity: sev, Title: webAttemptTitles[c] + " from one client", Attack: a,
			Why:    "Attacks and probes against web applications arrive all day; they matter when one succeeded.",
			Action: "Keep the web application and its plugins up to date; see whether any of these requests succeeded."})
	}
	return true
}()

// investigate registers the description of a rule investigate raises.
func investigate(r Rule) *Rule {
	r.Stage = StageInvestigate
	return rule(r)
}
