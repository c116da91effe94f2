// Package authlog reads the authentication logs that syslog writes on Linux hosts
// (/var/log/auth.log* on Debian and Ubuntu, /var/log/secure* on RHEL and its kin), current and
// rotated, plain or compressed, and turns the lines that matter for an incident (SSH logins and
// failures, sudo and su, PAM sessions, account and password changes, systemd-logind sessions,
// cron sessions) into typed events, and events into login sessions with the sudo commands run
// in them.
//
// Reading streams: memory stays flat however long the logs are. Lines are scanned by hand
// (no regular expressions), lines of programs of no interest are dropped before any string is
// built, and an event costs one allocation (its Raw line; the other string fields are slices of
// it). Traditional syslog time stamps ("Nov 26 13:04:05") carry no year: it is inferred from the
// file's modification time and the rotation order (see Files and Reader). RFC 3339 stamps
// ("2026-11-26T13:04:05.123456+01:00") are read as written. Every time given out is UTC.
package authlog

import "time"

// Kinds of events. The strings are stable: analyzers and reports match on them.
const (
	// sshd
	KindSSHAccepted       = "ssh-accepted"             // Accepted METHOD for USER from IP port P
	KindSSHFailed         = "ssh-failed"               // Failed METHOD for [invalid user] USER from IP port P (Count for "message repeated")
	KindSSHInvalidUser    = "ssh-invalid-user"         // Invalid user USER from IP [port P]
	KindSSHInvalidUserReq = "ssh-invalid-user-request" // input_userauth_request: invalid user USER [preauth] (follows ssh-invalid-user)
	KindSSHDisconnect     = "ssh-disconnect"           // an authenticated connection ended (Disconnected from user X, disconnected by user)
	KindSSHSessionOpen    = "ssh-session-open"         // pam_unix(sshd:session): session opened for user X
	KindSSHSessionClose   = "ssh-session-close"        // pam_unix(sshd:session): session closed for user X
	KindSSHSessionStart   = "ssh-session-start"        // Starting session: shell on TTY for USER from IP (LogLevel VERBOSE)
	KindSSHMaxAuth        = "ssh-max-auth"             // maximum authentication attempts exceeded, Too many authentication failures
	KindSSHPreauthClose   = "ssh-preauth-close"        // a connection that never logged in ended ([preauth] close, disconnect, reset, timeout)
	KindSSHBadProtocol    = "ssh-bad-protocol"         // scanners: no identification string, bad banner, no matching algorithms
	KindSSHReverseMapping = "ssh-reverse-mapping"      // reverse mapping checking getaddrinfo ... POSSIBLE BREAK-IN ATTEMPT
	KindSSHUserDenied     = "ssh-user-denied"          // User X from IP not allowed because ..., ROOT LOGIN REFUSED
	KindSSHConnect        = "ssh-connect"              // Connection from IP port P on IP port 22 (LogLevel VERBOSE)
	KindSSHKeyFound       = "ssh-key-found"            // Accepted key TYPE SHA256:... found at FILE:LINE (LogLevel VERBOSE)
	KindPAMAuthFailure    = "pam-auth-failure"         // pam_unix(SERVICE:auth): authentication failure; PAM N more authentication failures
	KindPAMUserUnknown    = "pam-user-unknown"         // pam_unix(SERVICE:auth): check pass; user unknown
	KindPAMMaxRetries     = "pam-max-retries"          // PAM service(sshd) ignoring max retries; N > M
	KindSudoCommand       = "sudo-command"             // USER : TTY=.. ; PWD=.. ; USER=.. ; COMMAND=..
	KindSudoAuthFailure   = "sudo-auth-failure"        // USER : N incorrect password attempts ; ..., a password is required
	KindSudoNotInSudoers  = "sudo-not-in-sudoers"      // USER : user NOT in sudoers ; ...
	KindSudoNotAllowed    = "sudo-not-allowed"         // USER : command not allowed ; ...
	KindSuSessionOpen     = "su-session-open"          // pam_unix(su:session): session opened for user TARGET by USER
	KindSuSessionClose    = "su-session-close"         // pam_unix(su:session): session closed for user TARGET
	KindSuSuccess         = "su-success"               // (to TARGET) USER on TTY; Successful su for TARGET by USER
	KindSuFailed          = "su-failed"                // FAILED SU (to TARGET) USER on TTY; FAILED su for TARGET by USER
	KindSessionOpen       = "session-open"             // pam_unix(SERVICE:session): session opened for user X by Y (other services)
	KindSessionClose      = "session-close"            // pam_unix(SERVICE:session): session closed for user X (other services)
	KindLoginFailed       = "login-failed"             // login: FAILED LOGIN (N) on TTY FOR USER
	KindUserAdd           = "useradd"                  // new user: name=X, UID=...
	KindUserDel           = "userdel"                  // delete user 'X'
	KindUserMod           = "usermod"                  // account changes: group membership, shell, home, lock, expiry, name
	KindGroupAdd          = "groupadd"                 // new group: name=X, GID=...
	KindGroupMod          = "groupmod"                 // group changed
	KindGroupDel          = "groupdel"                 // group 'X' removed
	KindPasswdChange      = "passwd-change"            // password changed for X
	KindNewSession        = "new-session"              // systemd-logind: New session N of user X.
	KindSessionRemoved    = "session-removed"          // systemd-logind: Removed session N.
	KindCronSession       = "cron-session"             // pam_unix(cron:session): session opened for user X
	KindCronCommand       = "cron-command"             // CRON: (USER) CMD (COMMAND)
	KindPkexecCommand     = "pkexec-command"           // pkexec: USER: Executing command [USER=..] [TTY=..] [CWD=..] [COMMAND=..]
	KindOther             = "other"                    // a line of a program of interest that no rule above matched
)

// Event is one line of an authentication log.
//
// Conventions: User is the account that acted or was acted upon (for ssh the login name, for
// sudo and su the invoking user, for useradd/usermod/userdel/passwd the account changed).
// TargetUser is who sudo ran as (USER=) or su switched to. SourceIP is set only when the log
// names an address (IPv4 or IPv6); a host name in its place goes to SourceHost.
type Event struct {
	Time    time.Time // UTC; zero if the line had no readable time stamp
	Host    string    // host name field of the syslog line
	Program string    // syslog tag without PID, as written (sshd, sshd-session, sudo, su, CRON, ...)
	PID     int
	Kind    string // one of the Kind constants
	Service string // PAM service of pam_unix lines (sshd, su, sudo, login, cron, systemd-user, ...)

	User       string
	TargetUser string
	By         string // "by Y" of a PAM session line, the administrator of a gpasswd change
	SourceIP   string
	SourceHost string // rhost= or reverse-mapped name that is not an address
	Port       int
	Method     string // password, publickey, keyboard-interactive, none, hostbased, gssapi-with-mic
	Invalid    bool   // the user does not exist ("invalid user")
	KeyType    string // ED25519, RSA, ECDSA, ED25519-CERT, ...
	Key        string // fingerprint of the key of a publickey accept ("SHA256:...")
	Command    string // sudo COMMAND=, cron CMD, pkexec COMMAND=
	TTY        string
	PWD        string
	Session    string // systemd-logind session id
	Group      string // group of account and group changes
	Detail     string // the rest of a message worth keeping (useradd fields, disconnect reason, ...)
	Count      int    // how many times it happened: "message repeated N times", "PAM N more", "N incorrect password attempts"; else 1

	Raw  string // the line as written, trimmed to 1 KiB
	File string // host path of the log file
	Line int    // line number in the (decompressed) file, from 1
}

// maxRaw bounds Event.Raw.
const maxRaw = 1024
