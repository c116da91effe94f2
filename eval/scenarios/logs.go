package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Log lines the way Debian 12's rsyslog writes them: traditional stamps ("Nov  6 13:04:05"),
// local time of the host (the eval root runs on UTC), host name, program[pid].

const hostName = "web1"

// syslogStamp is rsyslog's RSYSLOG_TraditionalFileFormat stamp.
func syslogStamp(t time.Time) string { return t.UTC().Format("Jan _2 15:04:05") }

// logEntry is one line of a log file.
type logEntry struct {
	t    time.Time
	seq  int
	text string // with its newline
}

// logBook collects lines for the log files of a root; each file's lines come out in time order
// (lines of the same second keep the order they were added in).
type logBook struct {
	files map[string][]logEntry // host path -> lines
	seq   int
	rnd   *rand.Rand
	pid   int
}

func newLogBook(seed uint64) *logBook {
	return &logBook{files: map[string][]logEntry{}, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), pid: 1000}
}

// nextPID returns a plausible, growing process id.
func (b *logBook) nextPID() int {
	b.pid += 1 + b.rnd.IntN(400)
	if b.pid > 4000000 {
		b.pid = 1000
	}
	return b.pid
}

// raw adds a line as written (without newline) at time t.
func (b *logBook) raw(file string, t time.Time, text string) {
	b.seq++
	b.files[file] = append(b.files[file], logEntry{t: t, seq: b.seq, text: text + "\n"})
}

// line adds "STAMP web1 PROG[PID]: MSG" (or "PROG: MSG" when pid is 0) to file.
func (b *logBook) line(file string, t time.Time, prog string, pid int, msg string) {
	if pid > 0 {
		b.raw(file, t, fmt.Sprintf("%s %s %s[%d]: %s", syslogStamp(t), hostName, prog, pid, msg))
	} else {
		b.raw(file, t, fmt.Sprintf("%s %s %s: %s", syslogStamp(t), hostName, prog, msg))
	}
}

// sorted returns the lines of file in time order.
func (b *logBook) sorted(file string) []logEntry {
	es := slices.Clone(b.files[file])
	slices.SortStableFunc(es, func(x, y logEntry) int {
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		return x.seq - y.seq
	})
	return es
}

// paths lists the files that have lines, sorted.
func (b *logBook) paths() []string {
	out := make([]string, 0, len(b.files))
	for p := range b.files {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// render returns the lines of file in time order as one text.
func render(es []logEntry) []byte {
	var buf bytes.Buffer
	for _, e := range es {
		buf.WriteString(e.text)
	}
	return buf.Bytes()
}

func (b *logBook) auth(t time.Time, prog string, pid int, msg string) {
	b.line("/var/log/auth.log", t, prog, pid, msg)
}

func (b *logBook) syslog(t time.Time, prog string, pid int, msg string) {
	b.line("/var/log/syslog", t, prog, pid, msg)
}

// session is one SSH login of a user, with the sudo commands run in it.
type session struct {
	User     string
	UID      int
	From     string // client address
	Port     int
	KeyFP    string // "ED25519 SHA256:..." of the key used; empty: password
	Start    time.Time
	End      time.Time // zero: still open
	TTY      string    // "pts/0"
	LogindID int
	pid      int
}

// open writes the sshd and logind lines of a login.
func (b *logBook) open(s *session) {
	s.pid = b.nextPID()
	if s.Port == 0 {
		s.Port = 40000 + b.rnd.IntN(25000)
	}
	if s.TTY == "" {
		s.TTY = "pts/0"
	}
	how := "password"
	suffix := ""
	if s.KeyFP != "" {
		how = "publickey"
		suffix = ": " + s.KeyFP
	}
	b.auth(s.Start, "sshd", s.pid, fmt.Sprintf("Accepted %s for %s from %s port %d ssh2%s", how, s.User, s.From, s.Port, suffix))
	b.auth(s.Start, "sshd", s.pid, fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", s.User, s.UID))
	b.auth(s.Start, "systemd-logind", 402, fmt.Sprintf("New session %d of user %s.", s.LogindID, s.User))
}

// sudo writes the lines of one sudo command run in the session at t.
func (b *logBook) sudo(s *session, t time.Time, pwd, command string) {
	b.auth(t, "sudo", 0, fmt.Sprintf("   %s : TTY=%s ; PWD=%s ; USER=root ; COMMAND=%s", s.User, s.TTY, pwd, command))
	b.auth(t, "sudo", 0, fmt.Sprintf("pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)", s.User, s.UID))
	b.auth(t.Add(2*time.Second), "sudo", 0, "pam_unix(sudo:session): session closed for user root")
}

// close writes the lines of a logout at s.End.
func (b *logBook) close(s *session) {
	t := s.End
	b.auth(t, "sshd", s.pid, fmt.Sprintf("Received disconnect from %s port %d:11: disconnected by user", s.From, s.Port))
	b.auth(t, "sshd", s.pid, fmt.Sprintf("Disconnected from user %s %s port %d", s.User, s.From, s.Port))
	b.auth(t, "sshd", s.pid, fmt.Sprintf("pam_unix(sshd:session): session closed for user %s", s.User))
	b.auth(t, "systemd-logind", 402, fmt.Sprintf("Session %d logged out. Waiting for processes to exit.", s.LogindID))
	b.auth(t, "systemd-logind", 402, fmt.Sprintf("Removed session %d.", s.LogindID))
}

// cron writes one cron session (auth.log) and its command (syslog).
func (b *logBook) cron(t time.Time, user string, uid int, cmd string) {
	pid := b.nextPID()
	b.auth(t, "CRON", pid, fmt.Sprintf("pam_unix(cron:session): session opened for user %s(uid=%d) by (uid=0)", user, uid))
	b.syslog(t, "CRON", pid, fmt.Sprintf("(%s) CMD (%s)", user, cmd))
	b.line("/var/log/cron.log", t, "CRON", pid, fmt.Sprintf("(%s) CMD (%s)", user, cmd))
	b.auth(t.Add(time.Second), "CRON", pid, fmt.Sprintf("pam_unix(cron:session): session closed for user %s", user))
}

// probe writes an internet scanner's failed attempts.
func (b *logBook) probe(t time.Time, from string, users []string) {
	for i, u := range users {
		pid := b.nextPID()
		port := 30000 + b.rnd.IntN(30000)
		tt := t.Add(time.Duration(i*3) * time.Second)
		if u == "root" {
			b.auth(tt, "sshd", pid, fmt.Sprintf("Failed password for root from %s port %d ssh2", from, port))
			b.auth(tt.Add(2*time.Second), "sshd", pid, fmt.Sprintf("Connection closed by authenticating user root %s port %d [preauth]", from, port))
			continue
		}
		b.auth(tt, "sshd", pid, fmt.Sprintf("Invalid user %s from %s port %d", u, from, port))
		b.auth(tt.Add(2*time.Second), "sshd", pid, fmt.Sprintf("Connection closed by invalid user %s %s port %d [preauth]", u, from, port))
	}
}

// keyFingerprint returns "ED25519 SHA256:..." (as sshd logs it) of the first key in an
// authorized_keys text.
func keyFingerprint(authorizedKeys []byte) (string, error) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey(authorizedKeys)
	if err != nil {
		return "", fmt.Errorf("authorized_keys: %w", err)
	}
	typ := strings.ToUpper(strings.TrimPrefix(pk.Type(), "ssh-"))
	return typ + " " + ssh.FingerprintSHA256(pk), nil
}

// utmp record types (utmp.h).
const (
	utBootTime    = 2
	utUserProcess = 7
	utDeadProcess = 8
)

// wtmpRecord is one struct utmp of x86-64 glibc (384 bytes), as sshd and systemd write it to
// /var/log/wtmp.
func wtmpRecord(typ int16, pid int32, line, id, user, host string, t time.Time, addr string) []byte {
	rec := make([]byte, 384)
	binary.LittleEndian.PutUint16(rec[0:], uint16(typ))
	binary.LittleEndian.PutUint32(rec[4:], uint32(pid))
	copy(rec[8:8+32], line)
	copy(rec[40:40+4], id)
	copy(rec[44:44+32], user)
	copy(rec[76:76+256], host)
	// exit status (4 bytes) at 332, session at 336
	binary.LittleEndian.PutUint32(rec[340:], uint32(t.Unix()))
	binary.LittleEndian.PutUint32(rec[344:], uint32(t.Nanosecond()/1000))
	if a, err := netip.ParseAddr(addr); err == nil {
		if a.Is4() {
			b := a.As4()
			copy(rec[348:], b[:])
		} else {
			b := a.As16()
			copy(rec[348:], b[:])
		}
	}
	return rec
}

// wtmpSession returns the login and logout records of a session (logout only when it ended).
func wtmpSession(s *session) []byte {
	id := strings.TrimPrefix(s.TTY, "pts/")
	id = "ts/" + id
	var out []byte
	out = append(out, wtmpRecord(utUserProcess, int32(s.pid+2), s.TTY, id, s.User, s.From, s.Start, s.From)...)
	if !s.End.IsZero() {
		out = append(out, wtmpRecord(utDeadProcess, int32(s.pid+2), s.TTY, id, "", "", s.End, "")...)
	}
	return out
}

// lastlogRecord is one struct lastlog (292 bytes: time, line[32], host[256]).
func lastlogRecord(t time.Time, line, host string) []byte {
	rec := make([]byte, 292)
	binary.LittleEndian.PutUint32(rec[0:], uint32(t.Unix()))
	copy(rec[4:36], line)
	copy(rec[36:], host)
	return rec
}

// appendLogs appends the book's lines to the root's log files (a missing file is created
// root:adm 0640, the way rsyslog creates them on Debian).
func appendLogs(r Root, b *logBook) error {
	for _, p := range b.paths() {
		if !r.Exists(p) {
			if err := r.WriteFile(p, nil, 0o640); err != nil {
				return err
			}
			if err := r.Chown(p, "root", "adm"); err != nil {
				return err
			}
		}
		if err := r.AppendFile(p, render(b.sorted(p))); err != nil {
			return err
		}
	}
	return nil
}
