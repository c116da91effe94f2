package authlog

import (
	"strings"
	"testing"
	"time"
)

// parseOne parses one line as the first line of a file whose first year is year.
func parseOne(t *testing.T, line string, year int) (Event, bool) {
	t.Helper()
	p := newParser("/var/log/auth.log", time.UTC, year, false)
	var ev Event
	ok := p.parseLine([]byte(line), 7, &ev)
	return ev, ok
}

func TestParseLine(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	tests := []struct {
		line string
		want Event // Raw, File and Line are checked apart; Detail only when set here
	}{
		{"Nov 26 13:04:05 web1 sshd[1234]: Accepted publickey for alice from 203.0.113.7 port 50122 ssh2: ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sshd", PID: 1234, Kind: KindSSHAccepted, User: "alice", SourceIP: "203.0.113.7", Port: 50122, Method: "publickey", KeyType: "ED25519", Key: "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU", Count: 1}},
		{"2026-11-26T13:04:05.123456+01:00 web1 sshd-session[99]: Accepted password for bob from 2001:db8::7 port 22 ssh2",
			Event{Time: at("2026-11-26T12:04:05.123456Z"), Host: "web1", Program: "sshd-session", PID: 99, Kind: KindSSHAccepted, User: "bob", SourceIP: "2001:db8::7", Port: 22, Method: "password", Count: 1}},
		{"Nov  2 01:02:03 h sshd[5]: Accepted keyboard-interactive/pam for carol from 198.51.100.1 port 4000 ssh2",
			Event{Time: at("2025-11-02T01:02:03Z"), Host: "h", Program: "sshd", PID: 5, Kind: KindSSHAccepted, User: "carol", SourceIP: "198.51.100.1", Port: 4000, Method: "keyboard-interactive", Count: 1}},
		{"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
			Event{Time: at("2025-12-10T06:55:48Z"), Host: "LabSZ", Program: "sshd", PID: 24200, Kind: KindSSHFailed, User: "webmaster", Invalid: true, SourceIP: "173.234.31.186", Port: 38926, Method: "password", Count: 1}},
		{"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 173.234.31.186 port 38926 ssh2",
			Event{Time: at("2025-12-10T06:55:48Z"), Host: "LabSZ", Program: "sshd", PID: 24200, Kind: KindSSHFailed, User: "root", SourceIP: "173.234.31.186", Port: 38926, Method: "password", Count: 1}},
		{"Dec 10 06:55:48 h sshd[1]: Failed password for invalid user  from 10.0.0.1 port 1 ssh2",
			Event{Time: at("2025-12-10T06:55:48Z"), Host: "h", Program: "sshd", PID: 1, Kind: KindSSHFailed, Invalid: true, SourceIP: "10.0.0.1", Port: 1, Method: "password", Count: 1}},
		{"Dec 10 06:55:48 h sshd[1]: Failed password for x from 1.2.3.4 port 9 from 10.0.0.1 port 2 ssh2",
			Event{Time: at("2025-12-10T06:55:48Z"), Host: "h", Program: "sshd", PID: 1, Kind: KindSSHFailed, User: "x from 1.2.3.4 port 9", SourceIP: "10.0.0.1", Port: 2, Method: "password", Count: 1}},
		{"Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
			Event{Time: at("2025-12-10T07:13:56Z"), Host: "LabSZ", Program: "sshd", PID: 24227, Kind: KindSSHFailed, User: "root", SourceIP: "5.36.59.76", Port: 42393, Method: "password", Count: 5}},
		{"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
			Event{Time: at("2025-12-10T06:55:46Z"), Host: "LabSZ", Program: "sshd", PID: 24200, Kind: KindSSHInvalidUser, User: "webmaster", Invalid: true, SourceIP: "173.234.31.186", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Invalid user admin from 2001:db8::1 port 51234",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHInvalidUser, User: "admin", Invalid: true, SourceIP: "2001:db8::1", Port: 51234, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Connection closed by authenticating user root 192.0.2.9 port 41000 [preauth]",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHPreauthClose, User: "root", SourceIP: "192.0.2.9", Port: 41000, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Connection closed by invalid user oracle 192.0.2.9 port 41000 [preauth]",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHPreauthClose, User: "oracle", Invalid: true, SourceIP: "192.0.2.9", Port: 41000, Count: 1}},
		{"Dec 10 07:02:47 LabSZ sshd[24203]: Connection closed by 212.47.254.145 [preauth]",
			Event{Time: at("2025-12-10T07:02:47Z"), Host: "LabSZ", Program: "sshd", PID: 24203, Kind: KindSSHPreauthClose, SourceIP: "212.47.254.145", Count: 1}},
		{"Mar  1 10:05:00 h sshd[8]: Disconnected from user alice 203.0.113.7 port 50122",
			Event{Time: at("2025-03-01T10:05:00Z"), Host: "h", Program: "sshd", PID: 8, Kind: KindSSHDisconnect, User: "alice", SourceIP: "203.0.113.7", Port: 50122, Count: 1}},
		{"Mar  1 10:05:00 h sshd[8]: Received disconnect from 203.0.113.7 port 50122:11: disconnected by user",
			Event{Time: at("2025-03-01T10:05:00Z"), Host: "h", Program: "sshd", PID: 8, Kind: KindSSHDisconnect, SourceIP: "203.0.113.7", Port: 50122, Detail: "disconnected by user", Count: 1}},
		{"Dec 10 07:07:45 LabSZ sshd[24206]: Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]",
			Event{Time: at("2025-12-10T07:07:45Z"), Host: "LabSZ", Program: "sshd", PID: 24206, Kind: KindSSHPreauthClose, SourceIP: "52.80.34.196", Detail: "Bye Bye", Count: 1}},
		{"Mar  1 10:05:00 h sshd[8]: Received disconnect from 2001:db8::5 port 22:11: Bye Bye [preauth]",
			Event{Time: at("2025-03-01T10:05:00Z"), Host: "h", Program: "sshd", PID: 8, Kind: KindSSHPreauthClose, SourceIP: "2001:db8::5", Port: 22, Detail: "Bye Bye", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: error: maximum authentication attempts exceeded for root from 192.0.2.9 port 41000 ssh2 [preauth]",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHMaxAuth, User: "root", SourceIP: "192.0.2.9", Port: 41000, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Disconnecting: Too many authentication failures for admin [preauth]",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHMaxAuth, User: "admin", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Disconnecting authenticating user root 192.0.2.9 port 41000: Too many authentication failures [preauth]",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHMaxAuth, User: "root", SourceIP: "192.0.2.9", Port: 41000, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.9  user=root",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindPAMAuthFailure, Service: "sshd", User: "root", SourceIP: "192.0.2.9", TTY: "ssh", Count: 2}},
		{"Mar  1 10:00:00 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindPAMAuthFailure, Service: "sshd", SourceHost: "ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn", TTY: "ssh", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: PAM service(sshd) ignoring max retries; 6 > 3",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindPAMMaxRetries, Service: "sshd", Detail: "6 > 3", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHSessionOpen, Service: "sshd", User: "alice", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: pam_unix(sshd:session): session closed for user alice",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHSessionClose, Service: "sshd", User: "alice", Count: 1}},
		{"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
			Event{Time: at("2025-12-10T06:55:46Z"), Host: "LabSZ", Program: "sshd", PID: 24200, Kind: KindSSHReverseMapping, SourceIP: "173.234.31.186", SourceHost: "ns.marryaldkfaczcz.com", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Did not receive identification string from 198.51.100.3 port 50000",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHBadProtocol, SourceIP: "198.51.100.3", Port: 50000, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Bad protocol version identification 'GET / HTTP/1.1' from 198.51.100.3 port 50000",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHBadProtocol, SourceIP: "198.51.100.3", Port: 50000, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: User root from 198.51.100.3 not allowed because not listed in AllowUsers",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHUserDenied, User: "root", SourceIP: "198.51.100.3", Detail: "not listed in AllowUsers", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Starting session: shell on pts/2 for alice from 203.0.113.7 port 50122 id 0",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHSessionStart, User: "alice", TTY: "pts/2", SourceIP: "203.0.113.7", Port: 50122, Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Accepted key ED25519 SHA256:abc found at /root/.ssh/authorized_keys:3",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindSSHKeyFound, KeyType: "ED25519", Key: "SHA256:abc", Detail: "/root/.ssh/authorized_keys:3", Count: 1}},
		{"Mar  1 10:00:00 h sshd[7]: Server listening on 0.0.0.0 port 22.",
			Event{Time: at("2025-03-01T10:00:00Z"), Host: "h", Program: "sshd", PID: 7, Kind: KindOther, Count: 1}},
		// sudo
		{"Nov 26 13:04:05 web1 sudo[2211]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt install nginx",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindSudoCommand, User: "alice", TTY: "pts/0", PWD: "/home/alice", TargetUser: "root", Command: "/usr/bin/apt install nginx", Count: 1}},
		{"Nov 26 13:04:05 web1 sudo[2211]: alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh -c 'a ; b'",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindSudoAuthFailure, User: "alice", TTY: "pts/0", PWD: "/home/alice", TargetUser: "root", Command: "/bin/sh -c 'a ; b'", Count: 3}},
		{"Nov 26 13:04:05 web1 sudo[2211]: mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindSudoNotInSudoers, User: "mallory", TTY: "pts/1", PWD: "/tmp", TargetUser: "root", Command: "/bin/bash", Count: 1}},
		{"Nov 26 13:04:05 web1 sudo[2211]: bob : command not allowed ; PWD=/ ; USER=root ; COMMAND=/bin/su",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindSudoNotAllowed, User: "bob", PWD: "/", TargetUser: "root", Command: "/bin/su", Count: 1}},
		{"Nov 26 13:04:05 web1 sudo[2211]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindSessionOpen, Service: "sudo", User: "root", By: "alice", Count: 1}},
		{"Nov 26 13:04:05 web1 sudo[2211]: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "sudo", PID: 2211, Kind: KindPAMAuthFailure, Service: "sudo", User: "alice", By: "alice", TTY: "/dev/pts/0", Count: 1}},
		// su
		{"Nov 26 13:04:05 web1 su[300]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "su", PID: 300, Kind: KindSuSessionOpen, Service: "su-l", User: "alice", TargetUser: "root", By: "alice", Count: 1}},
		{"Nov 26 13:04:05 web1 su[300]: (to root) alice on pts/0",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "su", PID: 300, Kind: KindSuSuccess, User: "alice", TargetUser: "root", TTY: "pts/0", Count: 1}},
		{"Nov 26 13:04:05 web1 su[300]: FAILED SU (to root) alice on pts/0",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "su", PID: 300, Kind: KindSuFailed, User: "alice", TargetUser: "root", TTY: "pts/0", Count: 1}},
		{"Nov 26 13:04:05 web1 su[300]: - /dev/pts/0 alice:root",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "su", PID: 300, Kind: KindSuFailed, User: "alice", TargetUser: "root", TTY: "/dev/pts/0", Count: 1}},
		// accounts
		{"Nov 26 13:04:05 web1 useradd[400]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "useradd", PID: 400, Kind: KindUserAdd, User: "backup2", TTY: "/dev/pts/0", Count: 1}},
		{"Nov 26 13:04:05 web1 useradd[400]: new group: name=backup2, GID=1001",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "useradd", PID: 400, Kind: KindGroupAdd, Group: "backup2", Count: 1}},
		{"Nov 26 13:04:05 web1 usermod[401]: add 'backup2' to shadow group 'sudo'",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "usermod", PID: 401, Kind: KindUserMod, User: "backup2", Group: "sudo", Count: 1}},
		{"Nov 26 13:04:05 web1 usermod[401]: change user 'bob' shell from '/usr/sbin/nologin' to '/bin/bash'",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "usermod", PID: 401, Kind: KindUserMod, User: "bob", Count: 1}},
		{"Nov 26 13:04:05 web1 userdel[402]: delete user 'bob'",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "userdel", PID: 402, Kind: KindUserDel, User: "bob", Count: 1}},
		{"Nov 26 13:04:05 web1 userdel[402]: removed group 'bob' owned by 'bob'",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "userdel", PID: 402, Kind: KindGroupDel, Group: "bob", Count: 1}},
		{"Nov 26 13:04:05 web1 groupadd[403]: group added to /etc/group: name=devs, GID=1002",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "groupadd", PID: 403, Kind: KindGroupAdd, Group: "devs", Count: 1}},
		{"Nov 26 13:04:05 web1 groupmod[404]: group changed in /etc/group (group devs/1002, new name: ops)",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "groupmod", PID: 404, Kind: KindGroupMod, Group: "devs", Count: 1}},
		{"Nov 26 13:04:05 web1 gpasswd[405]: user bob added by root to group sudo",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "gpasswd", PID: 405, Kind: KindUserMod, User: "bob", By: "root", Group: "sudo", Count: 1}},
		{"Nov 26 13:04:05 web1 passwd[406]: pam_unix(passwd:chauthtok): password changed for root",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "passwd", PID: 406, Kind: KindPasswdChange, Service: "passwd", User: "root", Count: 1}},
		{"Nov 26 13:04:05 web1 chpasswd[407]: pam_unix(chpasswd:chauthtok): password changed for bob",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "chpasswd", PID: 407, Kind: KindPasswdChange, Service: "chpasswd", User: "bob", Count: 1}},
		{"Nov 26 13:04:05 web1 chage[408]: changed password expiry for bob",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "chage", PID: 408, Kind: KindUserMod, User: "bob", Count: 1}},
		// logind, cron, login, pkexec, other services
		{"Nov 26 13:04:05 web1 systemd-logind[500]: New session 42 of user alice.",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "systemd-logind", PID: 500, Kind: KindNewSession, Session: "42", User: "alice", Count: 1}},
		{"2026-11-26T13:04:05.000001+00:00 web1 systemd-logind[500]: New session 'c3' of user 'alice' with class 'user' and type 'tty'.",
			Event{Time: at("2026-11-26T13:04:05.000001Z"), Host: "web1", Program: "systemd-logind", PID: 500, Kind: KindNewSession, Session: "c3", User: "alice", Count: 1}},
		{"Nov 26 13:04:05 web1 systemd-logind[500]: Removed session 42.",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "systemd-logind", PID: 500, Kind: KindSessionRemoved, Session: "42", Count: 1}},
		{"Nov 26 13:17:01 web1 CRON[600]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
			Event{Time: at("2025-11-26T13:17:01Z"), Host: "web1", Program: "CRON", PID: 600, Kind: KindCronSession, Service: "cron", User: "root", Count: 1}},
		{"Nov 26 13:17:01 web1 CRON[600]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)",
			Event{Time: at("2025-11-26T13:17:01Z"), Host: "web1", Program: "CRON", PID: 600, Kind: KindCronCommand, User: "root", Command: "cd / && run-parts --report /etc/cron.hourly", Count: 1}},
		{"Nov 26 13:04:05 web1 login[700]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "login", PID: 700, Kind: KindLoginFailed, User: "root", TTY: "/dev/tty1", Count: 1}},
		{"Nov 26 13:04:05 web1 login[700]: pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "login", PID: 700, Kind: KindSessionOpen, Service: "login", User: "root", By: "LOGIN", Count: 1}},
		{"Nov 26 13:04:05 web1 pkexec[800]: alice: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/bash -i]",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "pkexec", PID: 800, Kind: KindPkexecCommand, User: "alice", TargetUser: "root", TTY: "/dev/pts/0", PWD: "/home/alice", Command: "/usr/bin/bash -i", Count: 1}},
		{"Nov 26 13:04:05 web1 (systemd)[900]: pam_unix(systemd-user:session): session opened for user alice(uid=1000) by alice(uid=0)",
			Event{Time: at("2025-11-26T13:04:05Z"), Host: "web1", Program: "(systemd)", PID: 900, Kind: KindSessionOpen, Service: "systemd-user", User: "alice", By: "alice", Count: 1}},
		{"Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
			Event{Time: at("2025-06-15T04:06:18Z"), Host: "combo", Program: "su(pam_unix)", PID: 21416, Kind: KindSuSessionOpen, Service: "su", TargetUser: "cyrus", Count: 1}},
		{"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
			Event{Time: at("2025-06-14T15:16:01Z"), Host: "combo", Program: "sshd(pam_unix)", PID: 19939, Kind: KindPAMAuthFailure, Service: "sshd", SourceIP: "218.188.2.4", TTY: "NODEVssh", Count: 1}},
	}
	for _, tt := range tests {
		got, ok := parseOne(t, tt.line, 2025)
		if !ok {
			t.Errorf("%q: no event", tt.line)
			continue
		}
		if got.Raw != tt.line || got.File != "/var/log/auth.log" || got.Line != 7 {
			t.Errorf("%q: Raw %q File %q Line %d", tt.line, got.Raw, got.File, got.Line)
		}
		if tt.want.Detail == "" {
			got.Detail = ""
		}
		got.Raw, got.File, got.Line = "", "", 0
		if got != tt.want {
			t.Errorf("%q:\n got  %+v\n want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseLineSkips(t *testing.T) {
	tests := []string{
		"",
		"garbage",
		"Nov 26 13:04:05",
		"Foo 26 13:04:05 h sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
		"Nov 32 13:04:05 h sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
		"Nov 26 25:04:05 h sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
		"2026-02-30T13:04:05Z h sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
		"2026-11-26T13:04:05 h sshd[1]: no zone",
		"Nov 26 13:04:05 h kernel: [1.0] usb 1-1: new device", // program of no interest
		"Nov 26 13:04:05 h -- MARK --",
	}
	for _, line := range tests {
		if ev, ok := parseOne(t, line, 2025); ok {
			t.Errorf("%q: unexpected event %+v", line, ev)
		}
	}
}

func TestRawTrimmed(t *testing.T) {
	line := "Nov 26 13:04:05 h sshd[1]: Invalid user " + strings.Repeat("é", 1000) + " from 10.1.2.3 port 7"
	ev, ok := parseOne(t, line, 2025)
	if !ok || ev.Kind != KindSSHInvalidUser || ev.SourceIP != "10.1.2.3" || ev.Port != 7 {
		t.Fatalf("got %+v", ev)
	}
	if len(ev.Raw) > maxRaw || !strings.HasPrefix(line, ev.Raw) || len(ev.Raw) < maxRaw-3 {
		t.Errorf("Raw is %d bytes", len(ev.Raw))
	}
	if !strings.HasSuffix(ev.Raw, "é") {
		t.Errorf("Raw cut inside a character")
	}
	if len(ev.User) != 2000 {
		t.Errorf("User is %d bytes, want the whole name", len(ev.User))
	}
}

func TestAllPrograms(t *testing.T) {
	p := newParser("f", time.UTC, 2025, true)
	var ev Event
	if !p.parseLine([]byte("Nov 26 13:04:05 h kernel: [1.0] usb 1-1: new device"), 1, &ev) || ev.Kind != KindOther || ev.Program != "kernel" {
		t.Errorf("got %+v", ev)
	}
}
