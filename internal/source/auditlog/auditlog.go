// Package auditlog reads the Linux audit daemon's log (/var/log/audit/audit.log and its
// rotations): the records that tell who logged in, who ran what through sudo, which accounts
// were added or changed, and which programs ran under audit rules. Records are
// "type=T msg=audit(EPOCH.MS:SERIAL): key=value ..." lines; values may be quoted or hex-encoded
// (untrusted strings such as command lines are written as hex).
package auditlog

import (
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/textline"
)

// Record is one line of the audit log.
type Record struct {
	Type   string
	Time   time.Time // UTC
	Serial int64
	Fields map[string]string // values unquoted and hex-decoded; the inner msg='...' of user records is merged in
	Line   int
}

// Get returns a field ("" when absent).
func (r Record) Get(k string) string { return r.Fields[k] }

// MaxLine bounds one record (EXECVE records of long command lines are the longest).
const MaxLine = 64 << 10

// Parse reads audit records and calls fn for each, in file order. Lines that are not audit
// records are skipped.
func Parse(r io.Reader, fn func(Record) bool) error {
	return textline.Each(r, MaxLine, func(n int, line []byte, long bool) bool {
		rec, ok := ParseLine(string(line))
		if !ok {
			return true
		}
		rec.Line = n
		return fn(rec)
	})
}

// ParseLine reads one audit record.
func ParseLine(s string) (Record, bool) {
	// A log forwarded through syslog carries a prefix: find the record itself.
	i := strings.Index(s, "type=")
	if i < 0 {
		return Record{}, false
	}
	s = s[i:]
	fields := splitFields(s)
	rec := Record{Fields: map[string]string{}}
	for _, kv := range fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch {
		case k == "type" && rec.Type == "":
			rec.Type = v
			continue
		case k == "msg" && strings.HasPrefix(v, "audit("):
			t, serial, ok := parseStamp(v)
			if !ok {
				return Record{}, false
			}
			rec.Time, rec.Serial = t, serial
			continue
		case k == "msg" && len(v) >= 2 && v[0] == '\'':
			// user-space records nest their own fields in msg='...'
			inner := strings.TrimSuffix(v[1:], "'")
			for _, kv2 := range splitFields(inner) {
				if k2, v2, ok := strings.Cut(kv2, "="); ok {
					rec.Fields[k2] = value(k2, v2)
				}
			}
			continue
		}
		rec.Fields[k] = value(k, v)
	}
	if rec.Type == "" || rec.Time.IsZero() {
		return Record{}, false
	}
	return rec, true
}

// parseStamp reads "audit(1700000000.123:456):".
func parseStamp(v string) (time.Time, int64, bool) {
	v = strings.TrimPrefix(v, "audit(")
	end := strings.IndexByte(v, ')')
	if end < 0 {
		return time.Time{}, 0, false
	}
	v = v[:end]
	ts, ser, ok := strings.Cut(v, ":")
	if !ok {
		return time.Time{}, 0, false
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 || s > 1<<40 {
		return time.Time{}, 0, false
	}
	ms, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	serial, err := strconv.ParseInt(ser, 10, 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	return time.Unix(s, ms*int64(time.Millisecond)).UTC(), serial, true
}

// splitFields splits on spaces outside quotes (single or double).
func splitFields(s string) []string {
	var out []string
	start, quote := -1, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
			if start < 0 {
				start = i
			}
		case c == ' ' || c == '\t':
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// hexFields hold strings that auditd writes quoted, or in hex (unquoted) when they contain
// spaces or odd bytes.
var hexFields = map[string]bool{"cmd": true, "proctitle": true, "exe": true, "comm": true, "name": true, "acct": true}

// argField reports an EXECVE argument field (a0, a1, ...), also written quoted or in hex.
func argField(k string) bool {
	if len(k) < 2 || k[0] != 'a' {
		return false
	}
	for _, c := range k[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// value unquotes a field, and decodes hex-encoded untrusted strings.
func value(k, v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	if (hexFields[k] || argField(k)) && len(v)%2 == 0 && len(v) >= 2 && isHex(v) {
		if b, err := hex.DecodeString(v); err == nil {
			return strings.ReplaceAll(string(b), "\x00", " ")
		}
	}
	return v
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
