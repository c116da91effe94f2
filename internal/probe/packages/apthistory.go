package packages

import (
	"bytes"
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"io"
	"strconv"
	"strings"
	"time"
)

// AptRun is one stanza of apt's history (/var/log/apt/history.log): one apt or apt-get run.
//
//	Start-Date: 2024-03-01  10:23:40
//	Commandline: apt-get install -y nginx
//	Requested-By: alice (1000)
//	Install: nginx:amd64 (1.22.1-9), nginx-common:amd64 (1.22.1-9, automatic)
//	Upgrade: libc6:amd64 (2.36-9, 2.36-9+deb12u4)
//	End-Date: 2024-03-01  10:23:50
type AptRun struct {
	// Start and End as written: the host's local wall clock (see ParseAptHistoryIn); zero when
	// missing or unreadable.
	Start, End  time.Time
	Commandline string
	// RequestedBy is the user who ran apt through sudo ("" when run as root directly);
	// RequestedByUID is their uid, -1 when not given.
	RequestedBy    string
	RequestedByUID int64
	Install        []AptChange
	Reinstall      []AptChange
	Upgrade        []AptChange
	Downgrade      []AptChange
	Remove         []AptChange
	Purge          []AptChange
	Error          string
	Line           int // line where the stanza starts
}

// AptChange is one package in an Install/Upgrade/Remove/... list.
type AptChange struct {
	Package    string
	Arch       string
	OldVersion string // Upgrade and Downgrade: the version before
	Version    string // the version installed (Install, Upgrade, Downgrade) or removed (Remove, Purge)
	Automatic  bool   // installed as a dependency
}

// maxHistoryLine bounds one line of history.log (an Upgrade line of a full upgrade is long).
const maxHistoryLine = 4 << 20

// maxChanges bounds the entries kept of one list.
const maxChanges = 1 << 16

const aptTimeLayout = "2006-01-02 15:04:05"

// ParseAptHistory reads apt's history.log and calls fn for each stanza, in order. Lines it
// cannot understand are skipped. Times are read as UTC (see ParseAptHistoryIn).
func ParseAptHistory(r io.Reader, fn func(AptRun)) error {
	return ParseAptHistoryIn(r, time.UTC, fn)
}

// ParseAptHistoryIn is ParseAptHistory with the host's time zone, in which apt wrote the times.
func ParseAptHistoryIn(r io.Reader, loc *time.Location, fn func(AptRun)) error {
	if loc == nil {
		loc = time.UTC
	}
	var cur AptRun
	in := false
	reset := func() { cur, in = AptRun{RequestedByUID: -1}, false }
	reset()
	flush := func() {
		if in {
			fn(cur)
		}
		reset()
	}
	err := textline.Each(r, maxHistoryLine, func(n int, line []byte, long bool) bool {
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			return true
		}
		if long {
			return true
		}
		key, value, ok := strings.Cut(string(line), ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return true
		}
		value = strings.TrimSpace(value)
		if key == "Start-Date" && in {
			// A run that crashed leaves no End-Date and no blank line.
			flush()
		}
		if !in {
			in, cur.Line = true, n
		}
		switch key {
		case "Start-Date":
			cur.Start = parseAptTime(value, loc)
		case "End-Date":
			cur.End = parseAptTime(value, loc)
		case "Commandline":
			cur.Commandline = value
		case "Requested-By":
			cur.RequestedBy, cur.RequestedByUID = parseRequestedBy(value)
		case "Error":
			cur.Error = value
		case "Install":
			cur.Install = parseChanges(value, false)
		case "Reinstall":
			cur.Reinstall = parseChanges(value, false)
		case "Upgrade":
			cur.Upgrade = parseChanges(value, true)
		case "Downgrade":
			cur.Downgrade = parseChanges(value, true)
		case "Remove":
			cur.Remove = parseChanges(value, false)
		case "Purge":
			cur.Purge = parseChanges(value, false)
		}
		return true
	})
	flush()
	return err
}

func parseAptTime(v string, loc *time.Location) time.Time {
	t, err := time.ParseInLocation(aptTimeLayout, strings.Join(strings.Fields(v), " "), loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseRequestedBy reads "alice (1000)".
func parseRequestedBy(v string) (string, int64) {
	name, rest, ok := strings.Cut(v, " (")
	if !ok {
		return strings.TrimSpace(v), -1
	}
	uid, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), ")"), 10, 64)
	if err != nil || uid < 0 {
		uid = -1
	}
	return strings.TrimSpace(name), uid
}

// parseChanges reads "a:amd64 (1.0), b:amd64 (1.0, automatic)" or, with pairs,
// "c:amd64 (1.0, 1.1)". Entries it cannot read are skipped.
func parseChanges(v string, pairs bool) []AptChange {
	var out []AptChange
	for len(v) > 0 && len(out) < maxChanges {
		v = strings.TrimLeft(v, " ,")
		open := strings.IndexByte(v, '(')
		if open < 0 {
			break
		}
		close := strings.IndexByte(v[open:], ')')
		if close < 0 {
			break
		}
		close += open
		name := strings.TrimSpace(v[:open])
		inner := v[open+1 : close]
		v = v[close+1:]
		var c AptChange
		if c.Package, c.Arch = splitArch(name); c.Package == "" {
			continue
		}
		parts := strings.Split(inner, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if len(parts) > 0 && parts[len(parts)-1] == "automatic" {
			c.Automatic = true
			parts = parts[:len(parts)-1]
		}
		switch {
		case pairs && len(parts) == 2:
			c.OldVersion, c.Version = parts[0], parts[1]
		case len(parts) >= 1:
			c.Version = parts[0]
		}
		out = append(out, c)
	}
	return out
}
