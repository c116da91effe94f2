// Package hostinfo reads who a host is: its name, machine id, operating system, kernel, boot
// and time zone, from files under the host root (and /proc when the root has one), so a
// snapshot and a report can say which machine they describe. Nothing is run on the host.
package hostinfo

import (
	"bytes"
	"errors"
	"path"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// Info is the identity of a host. Fields that could not be read are "".
type Info struct {
	Hostname     string // /etc/hostname, else /etc/sysconfig/network, else the kernel's
	MachineID    string // /etc/machine-id, else /var/lib/dbus/machine-id
	OSPrettyName string // os-release PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)")
	OSID         string // os-release ID ("debian")
	OSVersionID  string // os-release VERSION_ID ("12")
	Kernel       string // running kernel when /proc has it, else the newest installed one
	BootID       string // /proc/sys/kernel/random/boot_id: changes at every boot
	Timezone     string // /etc/timezone, else the zone /etc/localtime links to ("Europe/Berlin")
}

// Meta gives the info as snapshot meta entries (host.hostname, host.machine_id, host.os,
// host.os_id, host.os_version, host.kernel, host.boot_id, host.timezone); every key is present.
func (i Info) Meta() map[string]string {
	return map[string]string{
		"host.hostname":   i.Hostname,
		"host.machine_id": i.MachineID,
		"host.os":         i.OSPrettyName,
		"host.os_id":      i.OSID,
		"host.os_version": i.OSVersionID,
		"host.kernel":     i.Kernel,
		"host.boot_id":    i.BootID,
		"host.timezone":   i.Timezone,
	}
}

// smallFile bounds the identity files read.
const smallFile = 64 << 10

// maxValue bounds one identity value.
const maxValue = 256

// Read gathers the host's identity under fs. /proc files are used when the root has them (the
// live host, or a fixture with a proc folder); a dead disk image falls back to what its files
// say.
func Read(fs *hostfs.FS) Info {
	var i Info
	i.Hostname = firstOf(
		func() string { return firstLine(read(fs, "/etc/hostname")) },
		func() string { return ParseOSRelease(read(fs, "/etc/sysconfig/network"))["HOSTNAME"] },
		func() string { return firstLine(read(fs, "/proc/sys/kernel/hostname")) },
	)
	i.MachineID = firstOf(
		func() string { return firstLine(read(fs, "/etc/machine-id")) },
		func() string { return firstLine(read(fs, "/var/lib/dbus/machine-id")) },
	)
	osr := ParseOSRelease(read(fs, "/etc/os-release"))
	if len(osr) == 0 {
		osr = ParseOSRelease(read(fs, "/usr/lib/os-release"))
	}
	i.OSPrettyName = clip(osr["PRETTY_NAME"])
	if i.OSPrettyName == "" {
		i.OSPrettyName = clip(strings.TrimSpace(osr["NAME"] + " " + osr["VERSION"]))
	}
	i.OSID = clip(osr["ID"])
	i.OSVersionID = clip(osr["VERSION_ID"])
	i.Kernel = firstOf(
		func() string { return firstLine(read(fs, "/proc/sys/kernel/osrelease")) },
		func() string { return newestKernel(fs) },
	)
	i.BootID = firstLine(read(fs, "/proc/sys/kernel/random/boot_id"))
	i.Timezone = firstOf(
		func() string { return firstLine(read(fs, "/etc/timezone")) },
		func() string { return zoneOfLink(fs) },
	)
	return i
}

func read(fs *hostfs.FS, name string) []byte {
	data, err := fs.ReadFile(name, smallFile)
	if err != nil && !errors.Is(err, hostfs.ErrTooLarge) {
		return nil
	}
	return data
}

func firstOf(fns ...func() string) string {
	for _, fn := range fns {
		if v := clip(fn()); v != "" {
			return v
		}
	}
	return ""
}

// firstLine is the first line that is neither empty nor a comment, trimmed.
func firstLine(data []byte) string {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return string(line)
		}
	}
	return ""
}

// clip cuts a value to maxValue bytes and drops control characters, so a hostile file cannot
// put a megabyte or terminal escapes into every report header.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > maxValue {
		s = s[:maxValue]
	}
	return strings.ToValidUTF8(s, "")
}

// newestKernel is the highest version among /lib/modules/* and /boot/vmlinuz-*.
func newestKernel(fs *hostfs.FS) string {
	var vs []string
	for _, dir := range catalog.Dirs("modules.lib", "modules.usr") {
		vs = append(vs, fs.ReadDirNames(dir)...)
	}
	for _, n := range fs.ReadDirNames(catalog.Dir("boot")) {
		if v, ok := strings.CutPrefix(n, "vmlinuz-"); ok && v != "" {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	sort.Slice(vs, func(i, j int) bool { return CompareVersions(vs[i], vs[j]) < 0 })
	return vs[len(vs)-1]
}

// CompareVersions orders kernel version strings naturally: runs of digits compare as numbers
// ("6.1.0-18" < "6.1.0-21" < "6.10.0"), other runs as text.
func CompareVersions(a, b string) int {
	for a != "" && b != "" {
		ra, resta := run(a)
		rb, restb := run(b)
		if c := compareRun(ra, rb); c != 0 {
			return c
		}
		a, b = resta, restb
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// run splits off the leading run of digits or of non-digits.
func run(s string) (string, string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

func compareRun(a, b string) int {
	if isDigit(a[0]) && isDigit(b[0]) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

// zoneOfLink names the zone /etc/localtime links to (".../zoneinfo/Europe/Berlin").
func zoneOfLink(fs *hostfs.FS) string {
	target, err := fs.Readlink("/etc/localtime")
	if err != nil {
		return ""
	}
	if _, zone, ok := strings.Cut(target, "zoneinfo/"); ok {
		return path.Clean(zone)
	}
	return ""
}
