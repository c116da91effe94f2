// Package deb reads Debian binary packages (.deb) in pure Go, never with the host's dpkg: the ar
// archive, its control part (control, md5sums) and one file of its data part, whatever the
// compression (gzip, xz, zstd or none). Every read is capped: a .deb handed to it may be hostile.
package deb

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Limits of what is read from a package.
const (
	MaxMember  = 2 << 30   // one member of the ar archive
	MaxFile    = 512 << 20 // one file taken out of the data part
	MaxControl = 64 << 20  // a file of the control part
	maxEntries = 1 << 20   // tar entries walked
)

// Member is one member of the ar archive.
type Member struct {
	Name   string
	Offset int64
	Size   int64
}

// Package is an opened .deb.
type Package struct {
	r       io.ReaderAt
	size    int64
	Members []Member
}

// ErrFormat marks input that is not a well-formed .deb.
var ErrFormat = errors.New("not a Debian package")

func formatErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
}

// Open reads the ar archive's table of members.
func Open(r io.ReaderAt, size int64) (*Package, error) {
	magic := make([]byte, 8)
	if _, err := r.ReadAt(magic, 0); err != nil || string(magic) != "!<arch>\n" {
		return nil, formatErr("no ar archive header")
	}
	p := &Package{r: r, size: size}
	off := int64(8)
	for off < size {
		if size-off < 60 {
			return nil, formatErr("truncated ar member header at %d", off)
		}
		h := make([]byte, 60)
		if _, err := r.ReadAt(h, off); err != nil {
			return nil, formatErr("ar member header at %d: %v", off, err)
		}
		if h[58] != '`' || h[59] != '\n' {
			return nil, formatErr("bad ar member header at %d", off)
		}
		name := strings.TrimRight(string(h[0:16]), " ")
		name = strings.TrimSuffix(name, "/") // GNU ar style
		n, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
		if err != nil || n < 0 || n > MaxMember || n > size-off-60 {
			return nil, formatErr("bad size of ar member %q", name)
		}
		p.Members = append(p.Members, Member{Name: name, Offset: off + 60, Size: n})
		off += 60 + n + n%2
		if len(p.Members) > 64 {
			return nil, formatErr("too many ar members")
		}
	}
	if len(p.Members) == 0 || p.Members[0].Name != "debian-binary" {
		return nil, formatErr("first member is not debian-binary")
	}
	v := make([]byte, min(p.Members[0].Size, 16))
	p.r.ReadAt(v, p.Members[0].Offset)
	if !bytes.HasPrefix(v, []byte("2.")) {
		return nil, formatErr("format version %q is not 2.x", strings.TrimSpace(string(v)))
	}
	return p, nil
}

// member finds the member whose name starts with prefix ("control.tar", "data.tar").
func (p *Package) member(prefix string) (Member, error) {
	for _, m := range p.Members {
		if m.Name == prefix || strings.HasPrefix(m.Name, prefix+".") {
			return m, nil
		}
	}
	return Member{}, formatErr("no %s member", prefix)
}

// decompress opens a member with the decompressor its name says.
func (p *Package) decompress(m Member) (io.Reader, func(), error) {
	sr := io.NewSectionReader(p.r, m.Offset, m.Size)
	switch path.Ext(m.Name) {
	case ".tar":
		return sr, func() {}, nil
	case ".gz":
		z, err := gzip.NewReader(sr)
		if err != nil {
			return nil, nil, formatErr("%s: %v", m.Name, err)
		}
		return z, func() { z.Close() }, nil
	case ".xz":
		z, err := xz.NewReader(bufio.NewReader(sr))
		if err != nil {
			return nil, nil, formatErr("%s: %v", m.Name, err)
		}
		return z, func() {}, nil
	case ".zst":
		z, err := zstd.NewReader(sr, zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, formatErr("%s: %v", m.Name, err)
		}
		return z, z.Close, nil
	}
	return nil, nil, formatErr("%s: compression not supported (gzip, xz, zstd or none)", m.Name)
}

// File is one file taken out of a package.
type File struct {
	Path  string // as on the host: /usr/bin/ps
	Data  []byte
	Mode  int64 // permission bits with setuid, setgid and sticky, as in the tar header
	UID   int
	GID   int
	Uname string
	Gname string
	Mtime time.Time
	Link  string // for a symbolic link: its target (Data is empty)
	MD5   string // hex digest of Data
}

// clean turns a tar name (./usr/bin/ps) into a host path (/usr/bin/ps).
func clean(name string) string {
	return path.Clean("/" + strings.TrimPrefix(name, "./"))
}

// walk calls fn for each entry of a member's tar; fn returns true to stop.
func (p *Package) walk(prefix string, fn func(h *tar.Header, r io.Reader) (bool, error)) error {
	m, err := p.member(prefix)
	if err != nil {
		return err
	}
	z, done, err := p.decompress(m)
	if err != nil {
		return err
	}
	defer done()
	tr := tar.NewReader(z)
	for i := 0; ; i++ {
		if i > maxEntries {
			return formatErr("%s: too many entries", m.Name)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return formatErr("%s: %v", m.Name, err)
		}
		stop, err := fn(h, tr)
		if err != nil || stop {
			return err
		}
	}
}

// Control reads one file of the control part ("control", "md5sums", "conffiles"); ok is false
// when the package has none.
func (p *Package) Control(name string) (data []byte, ok bool, err error) {
	err = p.walk("control.tar", func(h *tar.Header, r io.Reader) (bool, error) {
		if clean(h.Name) != "/"+name || h.Typeflag != tar.TypeReg {
			return false, nil
		}
		b, rerr := io.ReadAll(io.LimitReader(r, MaxControl+1))
		if rerr != nil {
			return true, formatErr("control %s: %v", name, rerr)
		}
		if len(b) > MaxControl {
			return true, formatErr("control %s is larger than %d bytes", name, MaxControl)
		}
		data, ok = b, true
		return true, nil
	})
	return data, ok, err
}

// Extract takes one file out of the data part by its host path. A hard link is followed to the
// entry it names (read before it, as tar writes them). ok is false when the package has no such
// file.
func (p *Package) Extract(hostPath string) (f *File, ok bool, err error) {
	want := path.Clean(hostPath)
	var linkTo string
	find := func(target string) error {
		return p.walk("data.tar", func(h *tar.Header, r io.Reader) (bool, error) {
			name := clean(h.Name)
			if name != target {
				return false, nil
			}
			out := &File{Path: want, Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid, Uname: h.Uname, Gname: h.Gname, Mtime: h.ModTime}
			switch h.Typeflag {
			case tar.TypeReg:
				if h.Size > MaxFile {
					return true, fmt.Errorf("%s in the package is %d bytes: larger than %d, not restored", want, h.Size, MaxFile)
				}
				b, rerr := io.ReadAll(io.LimitReader(r, MaxFile+1))
				if rerr != nil {
					return true, formatErr("data %s: %v", name, rerr)
				}
				out.Data = b
				sum := md5.Sum(b)
				out.MD5 = hex.EncodeToString(sum[:])
			case tar.TypeSymlink:
				out.Link = h.Linkname
			case tar.TypeLink:
				linkTo = clean(h.Linkname)
				return true, nil
			default:
				return true, fmt.Errorf("%s in the package is not a file (tar type %q)", want, h.Typeflag)
			}
			f, ok = out, true
			return true, nil
		})
	}
	if err := find(want); err != nil {
		return nil, false, err
	}
	if linkTo != "" && !ok {
		if err := find(linkTo); err != nil {
			return nil, false, err
		}
		if f != nil {
			f.Path = want
		}
	}
	return f, ok, nil
}

// Files lists the host paths of the data part's regular files and links.
func (p *Package) Files() ([]string, error) {
	var out []string
	err := p.walk("data.tar", func(h *tar.Header, r io.Reader) (bool, error) {
		if h.Typeflag != tar.TypeDir {
			out = append(out, clean(h.Name))
		}
		return false, nil
	})
	return out, err
}

// Sums parses an md5sums file (as in a package's control part): host path -> hex MD5.
func Sums(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 32 {
			continue
		}
		out[clean(name)] = strings.ToLower(sum)
	}
	return out
}

// Field reads one field of a control file (Package, Version, Architecture).
func Field(control []byte, name string) string {
	for _, line := range strings.Split(string(control), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
