package rules

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
)

var _ = find(Finder{Name: "accounts", Rules: []*Rule{ruleUID0, ruleEmptyPassword, ruleSystemShell, ruleNewAccount}, Find: (*Index).accounts})

var passwdPath, shadowPath, groupPath = catalog.Path("passwd"), catalog.Path("shadow"), catalog.Path("group")

var (
	ruleUID0 = rule(Rule{ID: "accounts.uid0", Severity: finding.Critical,
		Title:  "an account other than root has user id 0",
		Attack: []string{"T1136.001", "T1078.003"},
		Why:    "User id 0 is root, whatever the name. A second account with uid 0 is a hidden root login.",
		Action: "Lock it now (nowwhat contain lock-user NAME), keep a copy of passwd and shadow, then remove it."})
	ruleEmptyPassword = rule(Rule{ID: "accounts.empty-password", Severity: finding.Critical,
		Title:  "an account has an empty password",
		Attack: []string{"T1098", "T1078.003"},
		Why:    "An empty password field lets anyone log in as that account without a password wherever PAM allows it (nullok).",
		Action: "Lock the account (passwd -l NAME) or set a password, and find out when it was emptied."})
	ruleSystemShell = rule(Rule{ID: "accounts.system-login", Severity: finding.High,
		Title:  "a service account can log in",
		Attack: []string{"T1098", "T1078.003"},
		Why:    "Service accounts (www-data, daemon, nobody, ...) never need an interactive shell or a password. Giving them one turns a web-application hole into a login.",
		Action: "Set its shell back to /usr/sbin/nologin and lock its password (usermod -s /usr/sbin/nologin -L NAME)."})
)

// serviceAccounts never have a shell or password on a healthy Debian/RHEL system.
var serviceAccounts = map[string]bool{"daemon": true, "bin": true, "sys": true, "sync": false, "games": true, "man": true,
	"lp": true, "mail": true, "news": true, "uucp": true, "proxy": true, "www-data": true, "backup": true, "list": true,
	"irc": true, "gnats": true, "nobody": true, "_apt": true, "systemd-network": true, "systemd-resolve": true,
	"systemd-timesync": true, "messagebus": true, "sshd": true, "apache": true, "nginx": true, "ftp": true,
	"adm": true, "operator": true, "halt": false, "shutdown": false, "dbus": true, "polkitd": true, "tss": true,
	"systemd-coredump": true, "_chrony": true, "chrony": true, "ntp": true, "postfix": true, "Debian-exim": true}

func (s *Index) accounts(o *Out) error {
	for _, u := range s.users {
		ev := []string{fmt.Sprintf(passwdPath+" line %d: %s uid %d gid %d home %s shell %s", u.PasswdEntry, u.Name, u.UID, u.GID, u.Home, u.Shell),
			fmt.Sprintf("password %s%s", u.Password, algText(u.HashAlg))}
		newAcct := s.hasBaseline() && s.changedSubject("account", "user "+u.Name+" ")
		switch {
		case u.UID == 0 && u.Name != "root":
			o.add(ruleUID0, finding.Finding{Path: passwdPath, User: u.Name, Evidence: ev, New: newAcct, Time: s.passwdTime(),
				Title: fmt.Sprintf("account %s has user id 0 (root)", u.Name)})
		}
		if u.Password == "empty" {
			// Anyone may log in as an account with a login shell and no password: a back door,
			// whoever set it.
			o.add(ruleEmptyPassword, finding.Finding{Path: shadowPath, User: u.Name, Evidence: ev, New: newAcct, Time: s.shadowTime(),
				Strong: u.LoginShell, Title: fmt.Sprintf("account %s has an empty password", u.Name)})
		}
		if serviceAccounts[u.Name] && u.UID != 0 {
			var what []string
			if u.LoginShell {
				what = append(what, "a login shell ("+u.Shell+")")
			}
			if u.Password == "set" || u.Password == "empty" {
				what = append(what, "a password")
			}
			if len(what) > 0 {
				t := s.passwdTime()
				if !u.LoginShell {
					t = s.shadowTime()
				}
				o.add(ruleSystemShell, finding.Finding{Path: passwdPath, User: u.Name, Evidence: ev, New: newAcct, Time: t,
					Title: fmt.Sprintf("service account %s has %s", u.Name, strings.Join(what, " and "))})
			}
		} else if u.UID >= 1000 && u.UID < 60000 && u.LoginShell && !s.hasBaseline() {
			// Without a baseline, an account whose home appeared well after the host was set up
			// is a new account.
			if h := s.file(u.Home); h.Type == "dir" && s.afterSetup(max(h.Btime, h.Ctime*boolInt(h.Btime == 0))) {
				o.add(ruleNewAccount, finding.Finding{Path: passwdPath, User: u.Name, Evidence: append(ev, "home folder created "+stamp(max(h.Btime, h.Ctime*boolInt(h.Btime == 0)))+", after the host was set up ("+stamp(s.setupTime())+")"),
					Time: stampRFC(max(h.Btime, h.Ctime*boolInt(h.Btime == 0))), Title: fmt.Sprintf("account %s was added after the host was set up", u.Name)})
			}
		} else if u.UID > 0 && u.UID < 1000 && u.Password == "set" && u.LoginShell {
			// Other system accounts (postgres, git, ...) may have a shell for su; a password too is unusual.
			o.add(ruleSystemShell, finding.Finding{Path: shadowPath, User: u.Name, Severity: finding.Medium, Evidence: ev, New: newAcct, Time: s.shadowTime(),
				Title: fmt.Sprintf("system account %s (uid %d) has a password and a login shell", u.Name, u.UID)})
		}
	}
	return nil
}

func algText(a string) string {
	if a == "" {
		return ""
	}
	return " (" + a + ")"
}

// passwdTime is when the account list last changed.
func (s *Index) passwdTime() string {
	return changeTime(s.file(passwdPath))
}

// shadowTime is when the password file last changed.
func (s *Index) shadowTime() string {
	return changeTime(s.file(shadowPath))
}

// setupTime is when the host was set up: the birth (or change) time of /etc/machine-id,
// written at first boot. Zero when unknown.
func (s *Index) setupTime() int64 {
	f := s.file("/etc/machine-id")
	t := int64(0)
	for _, v := range []int64{f.Btime, f.Mtime, f.Ctime} {
		if v != 0 && (t == 0 || v < t) {
			t = v
		}
	}
	return t
}

// afterSetup reports whether a time (unix ns) is well after the host was set up.
func (s *Index) afterSetup(ns int64) bool {
	st := s.setupTime()
	return st != 0 && ns != 0 && ns > st+int64(24*3600*1e9)
}

// changedSubject reports whether a change of the kind with a subject starting with prefix exists.
func (s *Index) changedSubject(kind, prefix string) bool {
	for _, c := range s.Changes {
		if c.Kind == kind && (c.Change == "added" || c.Change == "modified") && strings.HasPrefix(c.Subject, prefix) {
			return true
		}
	}
	return false
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

var ruleNewAccount = rule(Rule{ID: "accounts.new", Severity: finding.Medium,
	Title:  "an account was added after the host was set up",
	Attack: []string{"T1136.001"},
	Why:    "Intruders add an account of their own to come back. An account added by your team is explained by their session or a change note.",
	Action: "Check who added it; if nobody did, lock it (nowwhat contain lock-user NAME) and look at its logins."})
