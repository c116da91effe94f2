package authlog

import (
	"net/netip"
	"strings"
)

// Every field set here is a substring of the line (so an event costs one allocation).

// setAddr puts an address token in SourceIP, or in SourceHost when it is a name.
func setAddr(ev *Event, tok string) {
	if tok == "" {
		return
	}
	if isIPv4(tok) {
		ev.SourceIP = tok
		return
	}
	if _, err := netip.ParseAddr(tok); err == nil {
		ev.SourceIP = tok
		return
	}
	if t := strings.TrimRight(tok, ":,;"); t != tok && t != "" {
		if _, err := netip.ParseAddr(t); err == nil {
			ev.SourceIP = t
			return
		}
	}
	if t := strings.TrimSuffix(strings.TrimPrefix(tok, "["), "]"); t != tok {
		if _, err := netip.ParseAddr(t); err == nil {
			ev.SourceIP = t
			return
		}
	}
	ev.SourceHost = tok
}

// isIPv4 reports whether s is a dotted-quad IPv4 address as netip.ParseAddr reads them (no
// leading zeros), without its cost.
func isIPv4(s string) bool {
	parts, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if digits == 0 || parts == 3 {
				return false
			}
			parts++
			val, digits = 0, 0
		default:
			return false
		}
	}
	return parts == 3 && digits > 0
}

// addrPort reads "ADDR[ port P]" and returns what follows.
func addrPort(ev *Event, s string) string {
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		i = len(s)
	}
	setAddr(ev, s[:i])
	rest := s[i:]
	if r, ok := strings.CutPrefix(rest, " port "); ok {
		p, r2 := leadingInt(r)
		if p >= 0 && p <= 65535 {
			ev.Port = p
		}
		return r2
	}
	return rest
}

// userAddrPort reads "[authenticating user |invalid user |user ]USER ADDR port P" or
// "ADDR[ port P]" (the user name may hold spaces: the address and port are read from the right).
func userAddrPort(ev *Event, s string) {
	who := ""
	for _, pfx := range [...]string{"authenticating user ", "invalid user ", "user "} {
		if r, ok := strings.CutPrefix(s, pfx); ok {
			who = pfx
			s = r
			break
		}
	}
	if who == "" {
		addrPort(ev, s)
		return
	}
	if who == "invalid user " {
		ev.Invalid = true
	}
	if i := strings.LastIndex(s, " port "); i >= 0 {
		if p, rest := leadingInt(s[i+6:]); p >= 0 && p <= 65535 && (rest == "" || rest[0] == ':' || rest[0] == ' ') {
			ev.Port = p
			s = s[:i]
		}
	}
	if j := strings.LastIndexByte(s, ' '); j >= 0 {
		ev.User = s[:j]
		setAddr(ev, s[j+1:])
	} else {
		ev.User = s
	}
}

// forFrom reads "[invalid user ]USER from ADDR port P ssh2[: TYPE FINGERPRINT ...]".
func forFrom(ev *Event, s string) bool {
	i := strings.LastIndex(s, " from ")
	if i < 0 {
		return false
	}
	user := s[:i]
	if u, ok := strings.CutPrefix(user, "invalid user "); ok {
		ev.Invalid = true
		user = u
	} else if user == "invalid user" { // empty name: "for invalid user  from"
		ev.Invalid = true
		user = ""
	}
	ev.User = user
	rest := addrPort(ev, s[i+6:])
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, " ssh2"), " ssh1")
	if k, ok := strings.CutPrefix(rest, ": "); ok {
		typ, fp, _ := strings.Cut(k, " ")
		fp, more, _ := strings.Cut(fp, " ")
		ev.KeyType = typ
		ev.Key = fp
		ev.Detail = more
	}
	return true
}

// methodName turns sshd's method ("keyboard-interactive/pam") into its plain name.
func methodName(m string) string {
	if i := strings.IndexByte(m, '/'); i >= 0 {
		return m[:i]
	}
	return m
}

// quoted returns the text between the first pair of single quotes in s and what follows.
func quoted(s string) (string, string, bool) {
	i := strings.IndexByte(s, '\'')
	if i < 0 {
		return "", s, false
	}
	j := strings.IndexByte(s[i+1:], '\'')
	if j < 0 {
		return "", s, false
	}
	return s[i+1 : i+1+j], s[i+2+j:], true
}

// field returns the value of "key=" up to the next comma or space.
func field(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	v := s[i+len(key):]
	if j := strings.IndexAny(v, ", "); j >= 0 {
		v = v[:j]
	}
	return v
}

var badProtocol = [...]string{
	"Did not receive identification string from ",
	"Bad protocol version identification ",
	"banner exchange: ",
	"kex_exchange_identification: ",
	"Protocol major versions differ",
	"Unable to negotiate with ",
	"ssh_dispatch_run_fatal: ",
	"Invalid SSH identification string",
	"kex_protocol_error: ",
	"Bad packet length",
	"Corrupted MAC on input",
}

func sshd(ev *Event, m string) {
	preauth := false
	if t, ok := strings.CutSuffix(m, " [preauth]"); ok {
		m, preauth = t, true
	}
	fatal := false
	if t, ok := strings.CutPrefix(m, "error: "); ok {
		m = t
	} else if t, ok := strings.CutPrefix(m, "fatal: "); ok {
		m, fatal = t, true
	}
	closeKind := KindSSHDisconnect
	if preauth {
		closeKind = KindSSHPreauthClose
	}
	switch {
	case strings.HasPrefix(m, "Accepted key "):
		// Accepted key ED25519 SHA256:... found at /home/alice/.ssh/authorized_keys:1
		r := m[len("Accepted key "):]
		typ, r, _ := strings.Cut(r, " ")
		fp, r, _ := strings.Cut(r, " ")
		ev.KeyType, ev.Key = typ, fp
		ev.Detail = strings.TrimPrefix(r, "found at ")
		ev.Kind = KindSSHKeyFound
	case strings.HasPrefix(m, "Accepted "), strings.HasPrefix(m, "Failed "):
		kind, r := KindSSHFailed, m[len("Failed "):]
		if m[0] == 'A' {
			kind, r = KindSSHAccepted, m[len("Accepted "):]
		}
		method, r, ok := strings.Cut(r, " for ")
		if ok && forFrom(ev, r) {
			ev.Method = methodName(method)
			ev.Kind = kind
		}
	case strings.HasPrefix(m, "Invalid user "):
		r := m[len("Invalid user "):]
		if i := strings.LastIndex(r, " from "); i >= 0 {
			ev.User = r[:i]
			addrPort(ev, r[i+6:])
		} else if r2, ok := strings.CutPrefix(r, "from "); ok { // "Invalid user  from ADDR"
			addrPort(ev, r2)
		} else {
			ev.User = r
		}
		ev.Invalid = true
		ev.Kind = KindSSHInvalidUser
	case strings.HasPrefix(m, "input_userauth_request: invalid user "):
		ev.User = m[len("input_userauth_request: invalid user "):]
		ev.Invalid = true
		ev.Kind = KindSSHInvalidUserReq
	case strings.HasPrefix(m, "Connection closed by "), strings.HasPrefix(m, "Connection reset by "):
		_, r, _ := strings.Cut(m, " by ")
		userAddrPort(ev, r)
		ev.Kind = closeKind
	case strings.HasPrefix(m, "Disconnected from "):
		userAddrPort(ev, m[len("Disconnected from "):])
		ev.Kind = closeKind
	case strings.HasPrefix(m, "Received disconnect from "):
		r := m[len("Received disconnect from "):]
		var after string
		if i := strings.Index(r, " port "); i >= 0 {
			setAddr(ev, r[:i])
			p, a := leadingInt(r[i+6:])
			if p >= 0 && p <= 65535 {
				ev.Port = p
			}
			after = a
		} else if i := strings.Index(r, ": "); i >= 0 {
			setAddr(ev, r[:i])
			after = r[i+1:]
		} else {
			setAddr(ev, r)
		}
		after = strings.TrimLeft(after, ": ")
		_, after = leadingInt(after) // reason code
		ev.Detail = strings.TrimSpace(strings.TrimPrefix(after, ":"))
		ev.Kind = closeKind
	case strings.HasPrefix(m, "maximum authentication attempts exceeded for "):
		forFrom(ev, m[len("maximum authentication attempts exceeded for "):])
		ev.Kind = KindSSHMaxAuth
	case strings.HasPrefix(m, "Disconnecting"):
		r := m[len("Disconnecting"):]
		if strings.Contains(r, "Too many authentication failures") {
			if u, ok := strings.CutPrefix(r, ": Too many authentication failures for "); ok {
				ev.User = u
			} else if who, _, ok := strings.Cut(r, ": Too many"); ok && strings.HasPrefix(who, " ") {
				userAddrPort(ev, who[1:])
			}
			ev.Kind = KindSSHMaxAuth
		} else if preauth {
			ev.Detail = strings.TrimPrefix(r, ": ")
			ev.Kind = KindSSHPreauthClose
		}
	case strings.HasPrefix(m, "PAM "):
		r := m[len("PAM "):]
		if n, tail := leadingInt(r); n >= 0 && strings.HasPrefix(tail, " more authentication failure") {
			ev.Count *= max(n, 1)
			ev.Service = "sshd"
			if _, kv, ok := strings.Cut(tail, "; "); ok {
				pamKV(ev, kv)
			}
			ev.Kind = KindPAMAuthFailure
		} else if svc, ok := strings.CutPrefix(r, "service("); ok {
			if s, tail, ok := strings.Cut(svc, ")"); ok && strings.Contains(tail, "ignoring max retries") {
				ev.Service = s
				_, ev.Detail, _ = strings.Cut(tail, "; ")
				ev.Kind = KindPAMMaxRetries
			}
		}
	case strings.HasPrefix(m, "reverse mapping checking getaddrinfo for "):
		r := m[len("reverse mapping checking getaddrinfo for "):]
		name, r, _ := strings.Cut(r, " ")
		ev.SourceHost = name
		if a, _, ok := strings.Cut(strings.TrimPrefix(r, "["), "]"); ok {
			setAddr(ev, a)
		}
		ev.Kind = KindSSHReverseMapping
	case strings.HasPrefix(m, "Address ") && strings.Contains(m, "POSSIBLE BREAK-IN"):
		r := m[len("Address "):]
		a, r, _ := strings.Cut(r, " ")
		setAddr(ev, a)
		if n, ok := strings.CutPrefix(r, "maps to "); ok {
			ev.SourceHost, _, _ = strings.Cut(n, ",")
		}
		ev.Kind = KindSSHReverseMapping
	case strings.HasPrefix(m, "Timeout before authentication for "):
		addrPort(ev, m[len("Timeout before authentication for "):])
		ev.Kind = KindSSHPreauthClose
	case strings.HasPrefix(m, "User ") && strings.Contains(m, " not allowed because "):
		r := m[len("User "):]
		who, why, _ := strings.Cut(r, " not allowed because ")
		if i := strings.LastIndex(who, " from "); i >= 0 {
			ev.User = who[:i]
			setAddr(ev, who[i+6:])
		} else {
			ev.User = who
		}
		ev.Detail = why
		ev.Kind = KindSSHUserDenied
	case strings.HasPrefix(m, "ROOT LOGIN REFUSED FROM "):
		ev.User = "root"
		addrPort(ev, m[len("ROOT LOGIN REFUSED FROM "):])
		ev.Kind = KindSSHUserDenied
	case strings.HasPrefix(m, "Connection from "):
		addrPort(ev, m[len("Connection from "):])
		ev.Kind = KindSSHConnect
	case strings.HasPrefix(m, "Starting session: "):
		r := m[len("Starting session: "):]
		if i := strings.LastIndex(r, " from "); i >= 0 {
			addrPort(ev, r[i+6:])
			r = r[:i]
		}
		if i := strings.LastIndex(r, " for "); i >= 0 {
			ev.User = r[i+5:]
			r = r[:i]
		}
		if t, ok := strings.CutPrefix(r, "shell on "); ok {
			ev.TTY = t
		} else if t, ok := strings.CutPrefix(r, "command on "); ok {
			ev.TTY = t
		}
		ev.Detail = r
		ev.Kind = KindSSHSessionStart
	default:
		for _, p := range badProtocol {
			if strings.HasPrefix(m, p) {
				for _, mark := range [...]string{" from ", "Connection from ", " with ", " for "} {
					if i := strings.Index(m, mark); i >= 0 {
						addrPort(ev, m[i+len(mark):])
						break
					}
				}
				ev.Detail = m
				ev.Kind = KindSSHBadProtocol
				return
			}
		}
		if fatal && preauth {
			// fatal: Write failed: Connection reset by peer [preauth]
			ev.Detail = m
			ev.Kind = KindSSHPreauthClose
		}
	}
}

// pamLine reads "pam_MODULE(SERVICE:TYPE): MESSAGE". It reports whether the line had that form.
func pamLine(ev *Event, cls progClass, m string) bool {
	open := strings.IndexByte(m, '(')
	if open < 0 {
		return false
	}
	end := strings.Index(m[open:], "): ")
	if end < 0 {
		return false
	}
	svc, typ, _ := strings.Cut(m[open+1:open+end], ":")
	ev.Service = svc
	pamMessage(ev, cls, typ, m[open+end+3:])
	return true
}

// pamMessage reads the message of a PAM module (after "pam_unix(svc:type): " or an old-style
// "prog(pam_unix)[pid]: " tag). ev.Service must be set.
func pamMessage(ev *Event, cls progClass, typ, m string) {
	switch {
	case strings.HasPrefix(m, "authentication failure; "):
		pamKV(ev, m[len("authentication failure; "):])
		ev.Kind = KindPAMAuthFailure
	case strings.HasPrefix(m, "check pass; user unknown"):
		ev.Kind = KindPAMUserUnknown
	case strings.HasPrefix(m, "session opened for user "):
		user, by, _ := strings.Cut(m[len("session opened for user "):], " by ")
		user, by = uidless(user), uidless(by)
		switch {
		case ev.Service == "sshd":
			ev.User, ev.By = user, by
			ev.Kind = KindSSHSessionOpen
		case ev.Service == "su" || ev.Service == "su-l":
			ev.User, ev.TargetUser, ev.By = by, user, by
			ev.Kind = KindSuSessionOpen
		case ev.Service == "cron" || ev.Service == "crond" || cls == progCron:
			ev.User, ev.By = user, by
			ev.Kind = KindCronSession
		default:
			ev.User, ev.By = user, by
			ev.Kind = KindSessionOpen
		}
	case strings.HasPrefix(m, "session closed for user "):
		user := uidless(strings.TrimSpace(m[len("session closed for user "):]))
		switch {
		case ev.Service == "sshd":
			ev.User = user
			ev.Kind = KindSSHSessionClose
		case ev.Service == "su" || ev.Service == "su-l":
			ev.TargetUser = user
			ev.Kind = KindSuSessionClose
		default:
			ev.User = user
			ev.Kind = KindSessionClose
		}
	case strings.HasPrefix(m, "password changed for "):
		ev.User = strings.TrimSpace(m[len("password changed for "):])
		ev.Kind = KindPasswdChange
	}
}

// uidless turns "alice(uid=1000)" into "alice" and "(uid=0)" into "".
func uidless(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		return s[:i]
	}
	return s
}

// pamKV reads "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root".
func pamKV(ev *Event, s string) {
	logname, ruser := "", ""
	for s != "" {
		var f string
		f, s, _ = strings.Cut(s, " ")
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			continue
		}
		switch k {
		case "user":
			ev.User = v
		case "rhost":
			setAddr(ev, v)
		case "tty":
			ev.TTY = v
		case "ruser":
			ruser = v
		case "logname":
			logname = v
		}
	}
	if ruser != "" {
		ev.By = ruser
	} else {
		ev.By = logname
	}
}

// sudo reads "alice : [STATUS ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id".
func sudo(ev *Event, m string) {
	m = strings.TrimLeft(m, " ")
	user, rest, ok := strings.Cut(m, " : ")
	if !ok || user == "" || strings.IndexByte(user, ' ') >= 0 {
		return
	}
	kind := KindSudoCommand
	fields := 0
	for first := true; rest != ""; first = false {
		if c, ok := strings.CutPrefix(rest, "COMMAND="); ok {
			ev.Command = c
			fields++
			break
		}
		var f string
		f, rest, _ = strings.Cut(rest, " ; ")
		k, v, isKV := strings.Cut(f, "=")
		if isKV && strings.IndexByte(k, ' ') < 0 {
			fields++
			switch k {
			case "TTY":
				ev.TTY = v
			case "PWD":
				ev.PWD = v
			case "USER":
				ev.TargetUser = v
			case "GROUP":
				ev.Group = v
			}
			continue
		}
		if !first {
			continue
		}
		switch {
		case strings.HasPrefix(f, "user NOT in sudoers"), strings.HasPrefix(f, "user NOT authorized on host"):
			kind = KindSudoNotInSudoers
		case strings.HasPrefix(f, "command not allowed"):
			kind = KindSudoNotAllowed
		case strings.HasPrefix(f, "a password is required"):
			kind = KindSudoAuthFailure
		case strings.Contains(f, "incorrect password attempt"):
			if n, _ := leadingInt(f); n > 0 {
				ev.Count *= n
			}
			kind = KindSudoAuthFailure
		default:
			ev.Detail = f
			return // "unable to resolve host", "(command continued)": other
		}
		ev.Detail = f
	}
	if fields == 0 {
		return
	}
	ev.User = user
	ev.Kind = kind
}

// su reads the messages of util-linux and shadow su.
func su(ev *Event, m string) {
	failed := false
	if r, ok := strings.CutPrefix(m, "FAILED SU "); ok {
		m, failed = r, true
	}
	switch {
	case strings.HasPrefix(m, "(to "):
		// (to root) alice on pts/0
		target, r, ok := strings.Cut(m[len("(to "):], ") ")
		if !ok {
			return
		}
		user, tty, _ := strings.Cut(r, " on ")
		ev.TargetUser, ev.User, ev.TTY = target, user, tty
	case strings.HasPrefix(m, "Successful su for "), strings.HasPrefix(m, "FAILED su for "):
		failed = m[0] == 'F'
		_, r, _ := strings.Cut(m, " su for ")
		target, user, ok := strings.Cut(r, " by ")
		if !ok {
			return
		}
		ev.TargetUser, ev.User = target, user
	case strings.HasPrefix(m, "+ "), strings.HasPrefix(m, "- "):
		// + /dev/pts/0 alice:root
		failed = m[0] == '-'
		tty, pair, ok := strings.Cut(m[2:], " ")
		if !ok {
			return
		}
		user, target, ok := strings.Cut(pair, ":")
		if !ok {
			return
		}
		ev.TTY, ev.User, ev.TargetUser = tty, user, target
	default:
		return
	}
	if failed {
		ev.Kind = KindSuFailed
	} else {
		ev.Kind = KindSuSuccess
	}
}

// account reads the messages of shadow's account tools (useradd, usermod, userdel, groupadd,
// groupmod, groupdel, gpasswd, passwd, chage, chsh, chfn). Detail keeps the whole message.
func account(ev *Event, m string) {
	ev.Detail = m
	switch {
	case strings.HasPrefix(m, "new user: "):
		ev.User = field(m, "name=")
		ev.TTY = field(m, "from=")
		ev.Kind = KindUserAdd
	case strings.HasPrefix(m, "new group: "), strings.HasPrefix(m, "group added to "):
		ev.Group = field(m, "name=")
		ev.Kind = KindGroupAdd
	case strings.HasPrefix(m, "add '"), strings.HasPrefix(m, "delete '"):
		// add 'bob' to group 'sudo' / add 'bob' to shadow group 'sudo' / delete 'bob' from group 'x'
		user, r, _ := quoted(m)
		ev.User = user
		if i := strings.Index(r, "group "); i >= 0 {
			ev.Group, _, _ = quoted(r[i:])
		}
		ev.Kind = KindUserMod
	case strings.HasPrefix(m, "delete user '"):
		ev.User, _, _ = quoted(m)
		ev.Kind = KindUserDel
	case strings.HasPrefix(m, "removed group '"), strings.HasPrefix(m, "removed shadow group '"):
		ev.Group, _, _ = quoted(m)
		ev.Kind = KindGroupDel
	case strings.HasPrefix(m, "group '") && strings.Contains(m, "' removed"):
		ev.Group, _, _ = quoted(m)
		ev.Kind = KindGroupDel
	case strings.HasPrefix(m, "group changed in "):
		if _, r, ok := strings.Cut(m, "(group "); ok {
			ev.Group, _, _ = strings.Cut(r, "/")
		}
		ev.Kind = KindGroupMod
	case strings.HasPrefix(m, "change user "), strings.HasPrefix(m, "lock user '"),
		strings.HasPrefix(m, "unlock user '"), strings.HasPrefix(m, "changed user '"):
		ev.User, _, _ = quoted(m)
		ev.Kind = KindUserMod
	case strings.HasPrefix(m, "changed password expiry for "):
		ev.User = strings.TrimSpace(m[len("changed password expiry for "):])
		ev.Kind = KindUserMod
	case strings.HasPrefix(m, "user ") && (strings.Contains(m, " added by ") || strings.Contains(m, " removed by ")):
		// gpasswd: user bob added by root to group sudo
		r := m[len("user "):]
		user, r, _ := strings.Cut(r, " ")
		ev.User = user
		if _, r2, ok := strings.Cut(r, " by "); ok {
			by, r3, _ := strings.Cut(r2, " ")
			ev.By = by
			if _, g, ok := strings.Cut(r3, "group "); ok {
				ev.Group = g
			}
		}
		ev.Kind = KindUserMod
	case strings.HasPrefix(m, "members of group "):
		// gpasswd: members of group sudo set by root to alice,bob
		r := m[len("members of group "):]
		g, r, _ := strings.Cut(r, " ")
		ev.Group = g
		if b, ok := strings.CutPrefix(r, "set by "); ok {
			ev.By, _, _ = strings.Cut(b, " ")
		}
		ev.Kind = KindGroupMod
	case strings.HasPrefix(m, "password for '"):
		// passwd: password for 'bob' changed by 'root'
		user, r, _ := quoted(m)
		ev.User = user
		ev.By, _, _ = quoted(r)
		ev.Kind = KindPasswdChange
	case strings.HasPrefix(m, "password changed for "):
		ev.User = strings.TrimSpace(m[len("password changed for "):])
		ev.Kind = KindPasswdChange
	default:
		ev.Detail = ""
	}
}

// logind reads systemd-logind's "New session 5 of user alice." and "Removed session 5."
// (systemd 256 and later quote: "New session '5' of user 'alice' with class 'user' ...").
func logind(ev *Event, m string) {
	unq := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "'"), "'") }
	switch {
	case strings.HasPrefix(m, "New session "):
		id, r, ok := strings.Cut(m[len("New session "):], " of user ")
		if !ok {
			return
		}
		user, more, _ := strings.Cut(strings.TrimSuffix(r, "."), " ")
		ev.Session, ev.User = unq(id), unq(strings.TrimSuffix(user, "."))
		ev.Detail = more
		ev.Kind = KindNewSession
	case strings.HasPrefix(m, "Removed session "):
		ev.Session = unq(strings.TrimSuffix(m[len("Removed session "):], "."))
		ev.Kind = KindSessionRemoved
	}
}

// cron reads "(root) CMD (command)".
func cron(ev *Event, m string) {
	if !strings.HasPrefix(m, "(") {
		return
	}
	user, r, ok := strings.Cut(m[1:], ") ")
	if !ok {
		return
	}
	if c, ok := strings.CutPrefix(r, "CMD ("); ok {
		ev.User = user
		ev.Command = strings.TrimSuffix(c, ")")
		ev.Kind = KindCronCommand
	}
}

// login reads "FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure" and the older
// "FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure".
func login(ev *Event, m string) {
	r, ok := strings.CutPrefix(m, "FAILED LOGIN ")
	if !ok {
		return
	}
	n, r := leadingInt(strings.TrimPrefix(r, "("))
	if n > 0 {
		ev.Count *= n
	}
	r = strings.TrimPrefix(r, ")")
	where, who, _ := strings.Cut(r, " FOR ")
	where = strings.TrimSpace(where)
	where = strings.TrimPrefix(strings.TrimPrefix(where, "on "), "FROM ")
	ev.TTY = strings.Trim(where, "'")
	who, why, _ := strings.Cut(who, ", ")
	ev.User = strings.Trim(who, "'")
	ev.Detail = why
	ev.Kind = KindLoginFailed
}

// pkexec reads "alice: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/alice]
// [COMMAND=/usr/bin/bash]".
func pkexec(ev *Event, m string) {
	user, r, ok := strings.Cut(m, ": Executing command ")
	if !ok {
		return
	}
	ev.User = user
	for r != "" {
		if c, ok := strings.CutPrefix(r, "[COMMAND="); ok {
			ev.Command = strings.TrimSuffix(c, "]")
			break
		}
		var f string
		f, r, _ = strings.Cut(r, "] ")
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "["), "=")
		switch k {
		case "USER":
			ev.TargetUser = v
		case "TTY":
			ev.TTY = v
		case "CWD":
			ev.PWD = v
		}
	}
	ev.Kind = KindPkexecCommand
}
