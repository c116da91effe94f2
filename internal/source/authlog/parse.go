package authlog

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// progClass is what a syslog tag tells about the messages that follow it.
type progClass uint8

const (
	progNone    progClass = iota // of no interest unless the message is a PAM one
	progSSHD                     // sshd, sshd-session, sshd-auth
	progSudo                     // sudo
	progSu                       // su
	progAccount                  // useradd, usermod, userdel, groupadd, passwd, chage, gpasswd, ...
	progLogind                   // systemd-logind
	progCron                     // cron, CRON, crond, CROND
	progLogin                    // login
	progPkexec                   // pkexec
)

func classOf(p []byte) progClass {
	switch string(p) {
	case "sshd", "sshd-session", "sshd-auth":
		return progSSHD
	case "sudo":
		return progSudo
	case "su":
		return progSu
	case "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd",
		"passwd", "chpasswd", "chage", "chsh", "chfn", "newusers", "adduser", "deluser",
		"addgroup", "delgroup", "newgrp", "groupmems", "vipw", "vigr", "grpconv", "pwconv":
		return progAccount
	case "systemd-logind":
		return progLogind
	case "cron", "CRON", "crond", "CROND":
		return progCron
	case "login":
		return progLogin
	case "pkexec":
		return progPkexec
	}
	return progNone
}

// parser turns lines into events. One parser reads one file (its year cursor follows it).
type parser struct {
	loc    *time.Location
	all    bool // give an "other" event for lines of every program
	file   string
	year0  int // year of the first traditional stamp
	cursor yearCursor
	h      header

	hourKey  int64 // cache of the last wall-clock hour turned into an instant
	hourBase int64
	hourOK   bool

	intern map[string]string
	last   [2]string // the strings internStr gave last

	lastHeaderOK bool      // the last line had a syslog header
	lastRFC      time.Time // the last RFC 3339 stamp
	anchor       bool      // a traditional stamp after lastRFC must restart the cursor from it
}

func newParser(file string, loc *time.Location, year0 int, all bool) *parser {
	if loc == nil {
		loc = time.UTC
	}
	return &parser{loc: loc, all: all, file: file, year0: year0, cursor: yearCursor{Year: year0}, intern: map[string]string{}}
}

func (p *parser) internStr(b []byte) string {
	// Hosts and programs repeat from line to line: try the last two first.
	if string(b) == p.last[0] {
		return p.last[0]
	}
	if string(b) == p.last[1] {
		return p.last[1]
	}
	s := p.internMap(b)
	p.last[1], p.last[0] = p.last[0], s
	return s
}

func (p *parser) internMap(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < 4096 {
		p.intern[s] = s
	}
	return s
}

// tradTime turns a traditional stamp of the given year into UTC, through the log's zone.
func (p *parser) tradTime(year int, st stamp) time.Time {
	year = clampYear(year)
	key := ((int64(year)*13+int64(st.Mon))*32+int64(st.Day))*24 + int64(st.Hour)
	if !p.hourOK || key != p.hourKey {
		p.hourKey = key
		p.hourBase = time.Date(year, time.Month(st.Mon), st.Day, st.Hour, 0, 0, 0, p.loc).Unix()
		p.hourOK = true
	}
	return time.Unix(p.hourBase+int64(st.Min*60+st.Sec), 0).UTC()
}

// trimRaw cuts a line to maxRaw bytes without splitting a UTF-8 sequence.
func trimRaw(s string) string {
	if len(s) <= maxRaw {
		return s
	}
	i := maxRaw
	for k := 0; k < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); k++ {
		i--
	}
	return s[:i]
}

// parseLine reads one line into ev. It gives false for lines that make no event: no syslog
// header, or a program of no interest (unless the parser gives every line).
func (p *parser) parseLine(b []byte, n int, ev *Event) bool {
	h := &p.h
	ok := parseHeader(b, h)
	p.lastHeaderOK = ok
	year := 0
	if h.stampOK {
		if h.trad {
			if p.anchor {
				// Traditional stamps after RFC 3339 ones follow on from the last of those.
				lt := p.lastRFC.In(p.loc)
				p.cursor = yearCursor{Year: lt.Year(), Pos: stampOf(lt).Pos(), Started: true}
				p.anchor = false
			}
			year = p.cursor.Observe(h.st.Pos())
		} else {
			p.lastRFC, p.anchor = h.t, true
		}
	}
	if !ok {
		return false
	}
	prog := b[h.prog0:h.prog1]
	cls := classOf(prog)
	oldPAM := false
	if cls == progNone {
		// Old PAM style "sshd(pam_unix)[123]: authentication failure; ...".
		if base, ok := bytes.CutSuffix(prog, []byte("(pam_unix)")); ok && len(base) > 0 {
			oldPAM = true
			cls = classOf(base)
		} else if !p.all && !bytes.HasPrefix(b[h.msg:], []byte("pam_")) && !bytes.HasPrefix(b[h.msg:], []byte("message repeated ")) {
			return false
		}
	}
	s := string(b)
	*ev = Event{
		Host:    p.internStr(b[h.host0:h.host1]),
		Program: p.internStr(prog),
		PID:     h.pid,
		Count:   1,
		Raw:     trimRaw(s),
		File:    p.file,
		Line:    n,
	}
	if h.trad {
		ev.Time = p.tradTime(year, h.st)
	} else {
		ev.Time = h.t
	}
	m := s[h.msg:]
	if rest, ok := strings.CutPrefix(m, "message repeated "); ok {
		// rsyslog's "message repeated 5 times: [ Failed password for root from ... ssh2]"
		if num, tail, ok := strings.Cut(rest, " times: ["); ok {
			if c := atoi(num); c > 0 {
				ev.Count = c
				m = strings.TrimSpace(strings.TrimSuffix(tail, "]"))
			}
		}
	}
	if oldPAM {
		base := string(prog[:len(prog)-len("(pam_unix)")])
		ev.Service = p.internStr([]byte(base))
		pamMessage(ev, cls, "", m)
	} else {
		classify(ev, cls, m)
	}
	if ev.Kind == "" {
		ev.Kind = KindOther
	}
	return true
}

// classify reads a message by its program's class.
func classify(ev *Event, cls progClass, m string) {
	if strings.HasPrefix(m, "pam_") {
		if pamLine(ev, cls, m) {
			return
		}
	}
	switch cls {
	case progSSHD:
		sshd(ev, m)
	case progSudo:
		sudo(ev, m)
	case progSu:
		su(ev, m)
	case progAccount:
		account(ev, m)
	case progLogind:
		logind(ev, m)
	case progCron:
		cron(ev, m)
	case progLogin:
		login(ev, m)
	case progPkexec:
		pkexec(ev, m)
	}
}

// atoi reads a non-negative decimal number of up to 9 digits; anything else gives -1.
func atoi(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// leadingInt reads the decimal number at the start of s and what follows it.
func leadingInt(s string) (int, string) {
	i := 0
	for i < len(s) && i < 9 && isDigit(s[i]) {
		i++
	}
	if i == 0 {
		return -1, s
	}
	return atoi(s[:i]), s[i:]
}
