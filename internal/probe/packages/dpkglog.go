package packages

import (
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"io"
	"strings"
	"time"
)

// Event is one line of dpkg's log (/var/log/dpkg.log).
//
//	2024-03-01 10:23:46 install openssh-server:amd64 <none> 1:9.2p1-2+deb12u2
//	2024-03-01 10:23:46 status half-installed openssh-server:amd64 1:9.2p1-2+deb12u2
//	2024-03-01 10:23:47 conffile /etc/ssh/sshd_config keep
//	2024-03-01 10:23:45 startup archives unpack
type Event struct {
	// Time as written in the log: the host's local wall clock. ParseDpkgLog reads it as UTC;
	// ParseDpkgLogIn reads it in the host's zone.
	Time time.Time
	Line int
	// Action: install, upgrade, remove, purge, configure, trigproc, status, conffile, startup.
	Action  string
	Package string // without architecture
	Arch    string // "" in logs older than multiarch
	// OldVersion and NewVersion: "" where the log says <none>. For status lines NewVersion is
	// the package's version.
	OldVersion string
	NewVersion string
	// Status is the state a status line reports (installed, half-configured, unpacked,
	// config-files, not-installed, ...).
	Status string
	// Path is the file of a conffile line.
	Path string
	// Detail: the decision of a conffile line (install, keep); what started for a startup line
	// ("archives unpack", "packages configure").
	Detail string
}

// maxLogLine bounds one line of a package manager log.
const maxLogLine = 64 << 10

const dpkgTimeLayout = "2006-01-02 15:04:05"

// ParseDpkgLog reads dpkg.log and calls fn for every line it understands, in order; other
// lines are skipped. Times are read as UTC (see ParseDpkgLogIn).
func ParseDpkgLog(r io.Reader, fn func(Event)) error {
	return ParseDpkgLogIn(r, time.UTC, fn)
}

// ParseDpkgLogIn is ParseDpkgLog with the host's time zone, in which dpkg wrote the times.
func ParseDpkgLogIn(r io.Reader, loc *time.Location, fn func(Event)) error {
	if loc == nil {
		loc = time.UTC
	}
	return textline.Each(r, maxLogLine, func(n int, line []byte, long bool) bool {
		if long {
			return true
		}
		if ev, ok := parseDpkgLogLine(string(line), loc); ok {
			ev.Line = n
			fn(ev)
		}
		return true
	})
}

func parseDpkgLogLine(s string, loc *time.Location) (Event, bool) {
	if len(s) < len(dpkgTimeLayout)+2 || s[len(dpkgTimeLayout)] != ' ' {
		return Event{}, false
	}
	t, err := time.ParseInLocation(dpkgTimeLayout, s[:len(dpkgTimeLayout)], loc)
	if err != nil {
		return Event{}, false
	}
	f := strings.Fields(s[len(dpkgTimeLayout)+1:])
	if len(f) == 0 {
		return Event{}, false
	}
	ev := Event{Time: t, Action: f[0]}
	switch f[0] {
	case "install", "upgrade", "remove", "purge", "configure", "trigproc":
		if len(f) != 4 {
			return Event{}, false
		}
		ev.Package, ev.Arch = splitArch(f[1])
		ev.OldVersion, ev.NewVersion = noneEmpty(f[2]), noneEmpty(f[3])
	case "status":
		if len(f) != 4 {
			return Event{}, false
		}
		ev.Status = f[1]
		ev.Package, ev.Arch = splitArch(f[2])
		ev.NewVersion = noneEmpty(f[3])
	case "conffile":
		// The path may hold spaces; the decision is the last word.
		rest := strings.TrimSpace(s[len(dpkgTimeLayout)+1+len("conffile"):])
		i := strings.LastIndexByte(rest, ' ')
		if i <= 0 {
			return Event{}, false
		}
		ev.Path, ev.Detail = strings.TrimSpace(rest[:i]), rest[i+1:]
		if !strings.HasPrefix(ev.Path, "/") {
			return Event{}, false
		}
	case "startup":
		if len(f) < 2 {
			return Event{}, false
		}
		ev.Detail = strings.Join(f[1:], " ")
	default:
		return Event{}, false
	}
	if ev.Action != "conffile" && ev.Action != "startup" && ev.Package == "" {
		return Event{}, false
	}
	return ev, true
}

// splitArch splits "name:arch" (arch may be absent). A name or arch with characters no package
// name holds gives "".
func splitArch(s string) (name, arch string) {
	name, arch, _ = strings.Cut(s, ":")
	if !validName(name) || (arch != "" && !validName(arch)) {
		return "", ""
	}
	return name, arch
}

// validName reports whether s could be a package or architecture name: letters, digits and
// "+-._" (Debian policy allows fewer; being lenient keeps odd local packages).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func noneEmpty(v string) string {
	if v == "<none>" {
		return ""
	}
	return v
}
