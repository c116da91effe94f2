// Package logfile is how every text log of the host is found and opened: a log's current file
// and its rotations (numbered, auth.log.2.gz, or dated, secure-20240107), in order, oldest
// first; decompression of gzip, bzip2, xz and zstd, told by the file's first bytes, with a cap
// on what is read; and the year of traditional syslog stamps, which have none (year.go).
//
// The readers of foreign formats (authlog, weblog, auditlog, utmp, the package logs) parse what
// this package opens; the places come from the catalog.
package logfile

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// File is one file of a log, current or rotated.
type File struct {
	Path        string    // host path ("/var/log/auth.log.2.gz")
	Family      string    // host path of the log's current file ("/var/log/auth.log")
	Rotation    int       // 0 for the current file; 1, 2, ... older and older (dated ones numbered by age)
	Dated       string    // the date part of a dated rotation ("20240107"), else ""
	Compression string    // "", "gzip", "bzip2", "xz", "zstd", or "lz4" (which cannot be read here)
	Type        string    // what is at Path (hostfs type names): "file", "symlink", ...
	Target      string    // link target when Type is "symlink"
	Size        int64     // of what Path leads to
	Mtime       time.Time // UTC, of what Path leads to
}

// Name is the family's file name ("auth.log").
func (f File) Name() string { return path.Base(f.Family) }

// String names the file for messages.
func (f File) String() string {
	if f.Compression != "" {
		return fmt.Sprintf("%s (%s)", f.Path, f.Compression)
	}
	return f.Path
}

var compressions = [...]struct{ ext, name string }{
	{".gz", "gzip"}, {".bz2", "bzip2"}, {".xz", "xz"}, {".zst", "zstd"}, {".lz4", "lz4"},
}

// Split reads a log file name: the current file's name, the rotation number (0 for none), the
// date part of a dated rotation, and the compression its extension says. "access.log.3.gz" is
// rotation 3 of "access.log", "secure-20240107" a dated rotation of "secure".
func Split(name string) (base string, n int, dated, comp string) {
	base = name
	for _, c := range compressions {
		if b, ok := strings.CutSuffix(base, c.ext); ok && b != "" {
			base, comp = b, c.name
			break
		}
	}
	if dot := strings.LastIndexByte(base, '.'); dot > 0 {
		if n := number(base[dot+1:]); n > 0 {
			return base[:dot], n, "", comp
		}
	}
	// The date may hold dashes itself (access_log-2024-01-07): try each dash from the right.
	for dash := strings.LastIndexByte(base, '-'); dash > 0 && len(base)-dash-1 <= 10; dash = strings.LastIndexByte(base[:dash], '-') {
		if d := base[dash+1:]; isDate(d) {
			return base[:dash], 0, d, comp
		}
	}
	return base, 0, "", comp
}

// number reads a rotation number: 1 to 6 digits.
func number(s string) int {
	if len(s) == 0 || len(s) > 6 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// isDate reports whether s looks like the date of a dated rotation: 8 to 10 digits, dashes or
// underscores, starting with a digit (20240107, 2024-01-07, 2024010712).
func isDate(s string) bool {
	if len(s) < 8 || len(s) > 10 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

// List lists the logs in a folder whose current file's name keep accepts (nil: every file),
// each log's files oldest first, the logs by name. A folder that does not exist gives nothing
// and no error. Entries that cannot be read are listed all the same (a log replaced by a link
// to /dev/null is a finding): opening them says why.
func List(fs *hostfs.FS, dir string, keep func(name string) bool) ([]File, error) {
	ents, err := fs.ReadDir(dir)
	if err != nil {
		if hostfs.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list logs in %s: %w", dir, err)
	}
	var out []File
	for _, e := range ents {
		base, n, dated, comp := Split(e.Name)
		if keep != nil && !keep(base) {
			continue
		}
		p := path.Join(dir, e.Name)
		f := File{Path: p, Family: path.Join(dir, base), Rotation: n, Dated: dated, Compression: comp}
		if lst, err := fs.Lstat(p); err == nil {
			if lst.IsDir() {
				continue
			}
			f.Type = lst.Type()
			if lst.IsSymlink() {
				f.Target, _ = fs.Readlink(p)
			}
		}
		if st, err := fs.Stat(p); err == nil {
			if st.IsDir() {
				continue
			}
			f.Size, f.Mtime = st.Size, st.Mtime.UTC()
		}
		out = append(out, f)
	}
	return Order(out), nil
}

// Families lists the named logs of a folder ("auth.log", "secure"), in the order named, each
// oldest first.
func Families(fs *hostfs.FS, dir string, names ...string) ([]File, error) {
	all, err := List(fs, dir, func(n string) bool { return slices.Contains(names, n) })
	if err != nil {
		return nil, err
	}
	var out []File
	for _, n := range names {
		for _, f := range all {
			if f.Name() == n {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// Family lists one log (its current file's host path) and its rotations, oldest first.
func Family(fs *hostfs.FS, current string) ([]File, error) {
	return Families(fs, path.Dir(current), path.Base(current))
}

// rank orders the kinds of file of one log: dated rotations, numbered ones, a compressed file
// with no rotation part, the current file.
func rank(f File) int {
	switch {
	case f.Dated != "":
		return 0
	case f.Rotation > 0:
		return 1
	case f.Compression != "":
		return 2
	}
	return 3
}

// Order sorts files by log, then oldest first: dated rotations by date, numbered ones from the
// highest number down, the current file last (where dated and numbered rotations are mixed, by
// modification time); dated rotations are then numbered by age like numbered ones.
func Order(fs []File) []File {
	slices.SortStableFunc(fs, func(a, b File) int {
		if c := cmp.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		ra, rb := rank(a), rank(b)
		if ra != rb {
			if (ra == 0) != (rb == 0) && ra < 3 && rb < 3 {
				if c := a.Mtime.Compare(b.Mtime); c != 0 {
					return c // mixed schemes: by modification time
				}
			}
			return cmp.Compare(ra, rb)
		}
		switch ra {
		case 0:
			return cmp.Compare(a.Dated, b.Dated)
		case 1:
			return cmp.Compare(b.Rotation, a.Rotation)
		}
		return cmp.Compare(a.Path, b.Path)
	})
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].Family == fs[i].Family {
			j++
		}
		newest := j // one past the newest rotation
		if rank(fs[j-1]) == 3 {
			newest = j - 1
		}
		for k := i; k < newest; k++ {
			if fs[k].Rotation == 0 {
				fs[k].Rotation = newest - k
			}
		}
		i = j
	}
	return fs
}

// ErrLimit is reported when a log is longer than the cap given to Open: the rest is not read.
var ErrLimit = errors.New("log longer than the read limit, the rest was not read")

// DefaultMax bounds what is read of one log after decompression when Open is given no cap.
const DefaultMax = 16 << 30

// zstdMemory bounds what a zstd stream's window may take.
const zstdMemory = 256 << 20

// Open opens a log file through the host's root, decompressing what its first bytes say is
// gzip, bzip2, xz or zstd (whatever its name), and reading at most max bytes of the result
// (0: DefaultMax): a read past it returns ErrLimit. lz4 cannot be read here: Open says so.
func Open(fs *hostfs.FS, p string, max int64) (io.ReadCloser, error) {
	if fs == nil {
		return nil, fmt.Errorf("read %s: no file system", p)
	}
	file, err := fs.Open(p)
	if err != nil {
		return nil, err
	}
	rc, err := Decompress(file, p)
	if err != nil {
		file.Close()
		return nil, err
	}
	if max <= 0 {
		max = DefaultMax
	}
	return &limited{r: rc, left: max, close: rc.Close}, nil
}

// Decompress reads src as what its first bytes say (gzip, bzip2, xz, zstd, or plain text);
// name is for messages. Closing the result closes src.
func Decompress(src io.ReadCloser, name string) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(src, 256<<10)
	magic, _ := br.Peek(6)
	var r io.Reader = br
	closer := src.Close
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		r = zr
	case bytes.HasPrefix(magic, []byte("BZh")):
		r = bzip2.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		r = xr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(zstdMemory))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		r = zr
		closer = func() error { zr.Close(); return src.Close() }
	case bytes.HasPrefix(magic, []byte{0x04, 0x22, 0x4d, 0x18}):
		return nil, fmt.Errorf("read %s: lz4 compression cannot be read (decompress it with lz4 -d and read the copy)", name)
	}
	return readCloser{r, closer}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (c readCloser) Close() error { return c.close() }

// limited reads at most left bytes, then returns ErrLimit.
type limited struct {
	r     io.Reader
	left  int64
	close func() error
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One more byte tells a log of exactly the cap from a longer one.
		var b [1]byte
		if n, _ := l.r.Read(b[:]); n > 0 {
			return 0, ErrLimit
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limited) Close() error { return l.close() }
