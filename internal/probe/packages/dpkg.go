package packages

import (
	"bytes"
	"encoding/hex"
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"io"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// DpkgPackage is one stanza of dpkg's status file (/var/lib/dpkg/status), reduced to the
// fields nowwhat uses.
type DpkgPackage struct {
	Name      string
	Arch      string // Architecture: amd64, all, ... ("" in very old databases)
	Version   string // as written, with epoch ("1:9.2p1-2+deb12u3")
	Status    string // the whole Status field: "install ok installed"
	MultiArch string // Multi-Arch: same, foreign, allowed, no ("" when absent)
	// Source is the source package it was built from ("" when it has the package's own name),
	// and SourceVersion the source's version when it differs from Version (a binNMU).
	Source, SourceVersion string
	Conffiles             []Conffile
	Line                  int // line where the stanza starts
}

// State is the last word of the Status field: installed, config-files, half-configured,
// half-installed, unpacked, triggers-awaited, triggers-pending, not-installed.
func (p DpkgPackage) State() string {
	f := strings.Fields(p.Status)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// SourceName is the source package the package was built from, and its version.
func (p DpkgPackage) SourceName() (name, version string) {
	name, version = p.Source, p.SourceVersion
	if name == "" {
		name = p.Name
	}
	if version == "" {
		version = p.Version
	}
	return name, version
}

// InfoName is the base name dpkg gives the package's files under /var/lib/dpkg/info:
// "NAME:ARCH" for Multi-Arch: same packages, "NAME" otherwise.
func (p DpkgPackage) InfoName() string {
	if p.MultiArch == "same" && p.Arch != "" {
		return p.Name + ":" + p.Arch
	}
	return p.Name
}

// Conffile is one entry of a stanza's Conffiles field.
type Conffile struct {
	Path            string // absolute, cleaned
	Digest          string // lowercase hex MD5 of the file as shipped; "" for new or malformed entries
	Obsolete        bool   // the package no longer ships it
	New             bool   // "newconffile": unpacked but not yet configured, no digest recorded
	RemoveOnUpgrade bool
}

// maxStatusLine bounds one line of the status file.
const maxStatusLine = 64 << 10

// maxConffiles bounds the Conffiles entries kept for one stanza.
const maxConffiles = 1 << 16

// ParseDpkgStatus reads dpkg's status file stanza by stanza and calls fn for each stanza that
// names a package. Lines it cannot understand go to bad (which may be nil) and are skipped.
// Only the fields nowwhat uses are kept, so memory stays bounded by one stanza.
func ParseDpkgStatus(r io.Reader, fn func(DpkgPackage), bad func(LineError)) error {
	if bad == nil {
		bad = func(LineError) {}
	}
	var (
		cur     DpkgPackage
		inStz   bool
		field   string // field the current continuation lines belong to
		confCut bool
	)
	flush := func() {
		if inStz {
			if cur.Name != "" {
				fn(cur)
			} else {
				bad(LineError{Line: cur.Line, Reason: "stanza without Package field"})
			}
		}
		cur, inStz, field, confCut = DpkgPackage{}, false, "", false
	}
	err := textline.Each(r, maxStatusLine, func(n int, line []byte, long bool) bool {
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			return true
		}
		if long {
			bad(lineError(n, line, "line too long"))
			return true
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !inStz || field == "" {
				bad(lineError(n, line, "continuation line outside a field"))
				return true
			}
			if field == "conffiles" {
				c, ok := parseConffile(line)
				if !ok {
					bad(lineError(n, line, "malformed Conffiles entry"))
					return true
				}
				if len(cur.Conffiles) >= maxConffiles {
					if !confCut {
						bad(lineError(n, line, "too many Conffiles entries, rest skipped"))
						confCut = true
					}
					return true
				}
				cur.Conffiles = append(cur.Conffiles, c)
			}
			return true
		}
		if line[0] == '#' {
			return true
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			bad(lineError(n, line, "not a Field: value line"))
			field = ""
			return true
		}
		if !inStz {
			inStz = true
			cur.Line = n
		}
		field = strings.ToLower(string(name))
		v := string(bytes.TrimSpace(value))
		switch field {
		case "package":
			cur.Name = v
		case "architecture":
			cur.Arch = v
		case "version":
			cur.Version = v
		case "status":
			cur.Status = v
		case "multi-arch":
			cur.MultiArch = v
		case "source":
			name, ver, _ := strings.Cut(v, " ")
			cur.Source = name
			cur.SourceVersion = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(ver), "("), ")")
		}
		return true
	})
	flush()
	return err
}

// parseConffile reads " /etc/ssh/moduli 5f0d... [obsolete] [remove-on-upgrade]". The path may
// hold spaces, so the line is read from the right.
func parseConffile(line []byte) (Conffile, bool) {
	s := strings.TrimSpace(string(line))
	var c Conffile
	for {
		if t, ok := strings.CutSuffix(s, " obsolete"); ok {
			c.Obsolete, s = true, strings.TrimRight(t, " ")
			continue
		}
		if t, ok := strings.CutSuffix(s, " remove-on-upgrade"); ok {
			c.RemoveOnUpgrade, s = true, strings.TrimRight(t, " ")
			continue
		}
		break
	}
	i := strings.LastIndexByte(s, ' ')
	if i <= 0 {
		return Conffile{}, false
	}
	p, sum := strings.TrimRight(s[:i], " "), s[i+1:]
	if !strings.HasPrefix(p, "/") {
		return Conffile{}, false
	}
	c.Path = hostfs.Clean(p)
	switch {
	case sum == "newconffile":
		c.New = true
	case isMD5(sum):
		c.Digest = strings.ToLower(sum)
	default:
		return Conffile{}, false
	}
	return c, true
}

func isMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Sum is one line of a dpkg md5sums file.
type Sum struct {
	Path   string // absolute, cleaned: "/usr/bin/ls"
	Digest string // lowercase hex
}

// maxSumLine bounds one line of an md5sums file (paths are at most 4096 bytes on Linux).
const maxSumLine = 16 << 10

// ParseMD5Sums reads a /var/lib/dpkg/info/PKG.md5sums file ("md5  relative/path" lines, as
// md5sum(1) writes them) and calls fn for each entry. Malformed lines go to bad (which may be
// nil) and are skipped. Lines in md5sum's escaped form ("\\" prefix) are unescaped.
func ParseMD5Sums(r io.Reader, fn func(Sum), bad func(LineError)) error {
	if bad == nil {
		bad = func(LineError) {}
	}
	return textline.Each(r, maxSumLine, func(n int, line []byte, long bool) bool {
		if len(bytes.TrimSpace(line)) == 0 {
			return true
		}
		if long {
			bad(lineError(n, line, "line too long"))
			return true
		}
		s, ok := parseSumLine(line)
		if !ok {
			bad(lineError(n, line, "malformed md5sums line"))
			return true
		}
		fn(s)
		return true
	})
}

func parseSumLine(line []byte) (Sum, bool) {
	escaped := false
	if line[0] == '\\' {
		escaped, line = true, line[1:]
	}
	if len(line) < 35 || !isMD5(string(line[:32])) || line[32] != ' ' || (line[33] != ' ' && line[33] != '*') {
		return Sum{}, false
	}
	p := string(line[34:])
	if escaped {
		var ok bool
		if p, ok = unescapeSum(p); !ok {
			return Sum{}, false
		}
	}
	if strings.TrimSpace(p) == "" || strings.IndexByte(p, 0) >= 0 {
		return Sum{}, false
	}
	return Sum{Path: hostfs.Clean(p), Digest: strings.ToLower(string(line[:32]))}, true
}

// unescapeSum undoes md5sum's escaping of "\\" and "\n" (and "\r") in file names.
func unescapeSum(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", false
		}
	}
	return b.String(), true
}
