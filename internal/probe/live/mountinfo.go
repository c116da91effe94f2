package live

import (
	"errors"
	"strings"
)

// MountEntry is one line of /proc/PID/mountinfo.
type MountEntry struct {
	Root         string // the part of the file system mounted (bind mounts)
	Target       string // mount point, unescaped
	Options      string // per-mount options: rw,nosuid,nodev,noexec,relatime
	FSType       string
	Source       string // device or "none", unescaped
	SuperOptions string // file-system options
}

var errMountinfo = errors.New("malformed mountinfo line")

// ParseMountinfo reads one line of mountinfo (proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Optional fields run up to the lone "-"; spaces, tabs, newlines and backslashes in paths are
// written as octal escapes (\040 ...) and are unescaped.
func ParseMountinfo(line string) (MountEntry, error) {
	f := strings.Fields(line)
	if len(f) < 7 {
		return MountEntry{}, errMountinfo
	}
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+3 {
		return MountEntry{}, errMountinfo
	}
	m := MountEntry{
		Root:    Unescape(f[3]),
		Target:  Unescape(f[4]),
		Options: f[5],
		FSType:  Unescape(f[sep+1]),
		Source:  Unescape(f[sep+2]),
	}
	if len(f) > sep+3 {
		m.SuperOptions = f[sep+3]
	}
	if !strings.HasPrefix(m.Target, "/") {
		return MountEntry{}, errMountinfo
	}
	return m, nil
}

// AllOptions joins per-mount and file-system options the way findmnt's OPTIONS column does,
// without repeats and without the file system's own rw/ro (the mount's decides).
func (m MountEntry) AllOptions() string {
	seen := map[string]bool{}
	var out []string
	add := func(s string, super bool) {
		for _, o := range strings.Split(s, ",") {
			if o == "" || seen[o] || (super && (o == "rw" || o == "ro")) {
				continue
			}
			seen[o] = true
			out = append(out, o)
		}
	}
	add(m.Options, false)
	add(m.SuperOptions, true)
	return strings.Join(out, ",")
}

// Unescape undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134
// backslash) in mountinfo paths. A backslash not followed by three octal digits stays.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && '0' <= s[i+1] && s[i+1] <= '3' && isOct(s[i+2]) && isOct(s[i+3]) {
			v := (s[i+1]-'0')*64 + (s[i+2]-'0')*8 + (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOct(c byte) bool { return '0' <= c && c <= '7' }
