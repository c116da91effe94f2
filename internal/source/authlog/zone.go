package authlog

import (
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// HostLocation is the time zone the host's syslog writes traditional stamps in: the zone
// data of /etc/localtime under the root (followed inside the root), named after
// /etc/timezone or the link target. A host without it writes UTC.
func HostLocation(fs *hostfs.FS) *time.Location {
	data, err := fs.ReadFile("/etc/localtime", 1<<20)
	if err != nil || len(data) == 0 {
		return time.UTC
	}
	name := ""
	if b, err := fs.ReadFile("/etc/timezone", 4096); err == nil {
		name = strings.TrimSpace(string(b))
	}
	if name == "" {
		if t, err := fs.Readlink("/etc/localtime"); err == nil {
			if _, after, ok := strings.Cut(t, "zoneinfo/"); ok {
				name = after
			}
		}
	}
	if name == "" {
		name = "Local"
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return time.UTC
	}
	return loc
}
