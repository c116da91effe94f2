// Package hostfs is the one way nowwhat reads a host's files: confined, read-only access to the
// tree under a root directory ("/" for the live host, a mount point for a disk image, a folder
// for a test fixture).
//
// Every path given to this package is a path as on the host ("/etc/passwd"), whatever the root.
// Symbolic links are resolved the way the host itself would see them (an absolute link target
// starts again at the root, ".." never climbs above it), by the kernel's openat2(RESOLVE_IN_ROOT)
// where available, so no link can lead a read out of the root. Where openat2 is missing (kernels
// older than 5.6) os.Root is used instead, which refuses links with absolute targets.
//
// FIFOs, sockets and devices are never opened: reads of them fail with ErrNotRegular. Files are
// opened with O_NONBLOCK (so a FIFO swapped in at the last moment cannot hang a read) and, where
// permitted, O_NOATIME (so reading leaves the access time as it was).
package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is returned when a read would open something other than a regular file.
var ErrNotRegular = errors.New("not a regular file (FIFOs, sockets and devices are never opened)")

// ErrTooLarge is returned by ReadFile when the file is larger than the limit asked for.
var ErrTooLarge = errors.New("file larger than the read limit")

// FS is read-only, confined access to the tree under one root directory.
type FS struct {
	dir     string
	rootFD  int      // O_PATH descriptor of the root
	root    *os.Root // fallback when openat2 is unavailable
	openat2 atomic.Bool
	noatime atomic.Bool
}

// Open gives confined access to the tree under dir. dir "/" means the live host.
func Open(dir string) (*FS, error) {
	if dir == "" {
		dir = "/"
	}
	abs := dir
	if !path.IsAbs(abs) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("open root %s: %w", dir, err)
		}
		abs = path.Join(wd, dir)
	}
	abs = path.Clean(abs)
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w (give --root a folder holding the host's file system)", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open root %s: not a directory (give --root a folder holding the host's file system)", dir)
	}
	fd, err := unix.Open(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	f := &FS{dir: abs, rootFD: fd, root: r}
	f.openat2.Store(true)
	f.noatime.Store(true)
	return f, nil
}

// Close releases the root.
func (f *FS) Close() error {
	unix.Close(f.rootFD)
	return f.root.Close()
}

// Dir is the root directory on the machine running nowwhat.
func (f *FS) Dir() string { return f.dir }

// IsLive reports whether the root is the running system's own "/" (so /proc describes the host).
func (f *FS) IsLive() bool { return f.dir == "/" }

// Rel turns a host path ("/etc/passwd") into the root-relative form used for openat ("etc/passwd").
// The result never starts with "/" or "..": "." names the root itself.
func Rel(name string) string {
	c := path.Clean("/" + name)
	if c == "/" {
		return "."
	}
	return c[1:]
}

// Clean turns any path into the canonical host form: absolute, cleaned, never above "/".
func Clean(name string) string { return path.Clean("/" + name) }

// Local returns where a host path lives on the machine running nowwhat (for messages only;
// never open it: use the methods of FS).
func (f *FS) Local(name string) string {
	if f.dir == "/" {
		return Clean(name)
	}
	return path.Join(f.dir, Clean(name))
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: Clean(name), Err: err}
}

// openIn opens name under the root following links inside the root, with the given flags.
func (f *FS) openIn(name string, flags int) (int, error) {
	rel := Rel(name)
	if f.openat2.Load() {
		how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
		for {
			fd, err := unix.Openat2(f.rootFD, rel, &how)
			if err == unix.EINTR || err == unix.EAGAIN {
				continue
			}
			if err == unix.ENOSYS {
				f.openat2.Store(false)
				break
			}
			return fd, err
		}
	}
	// Fallback: os.Root (refuses absolute link targets, never escapes).
	if flags&unix.O_PATH != 0 {
		flags = flags&^unix.O_PATH | unix.O_RDONLY
	}
	file, err := f.root.OpenFile(rel, flags&^unix.O_CLOEXEC, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return -1, pe.Err
		}
		return -1, err
	}
	fd, err := unix.Dup(int(file.Fd()))
	file.Close()
	return fd, err
}

// openReg opens a regular file for reading, following in-root links.
func (f *FS) openReg(name string) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY
	if f.noatime.Load() {
		fd, err := f.openIn(name, flags|unix.O_NOATIME)
		if err == unix.EPERM {
			// O_NOATIME needs ownership or CAP_FOWNER; read without it.
			fd, err = f.openIn(name, flags)
		}
		if err != nil {
			return nil, pathErr("open", name, err)
		}
		return checkReg(fd, name)
	}
	fd, err := f.openIn(name, flags)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return checkReg(fd, name)
}

func checkReg(fd int, name string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, pathErr("stat", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, pathErr("open", name, ErrNotRegular)
	}
	return os.NewFile(uintptr(fd), Clean(name)), nil
}

// OpenStat opens a regular file for reading and describes it, with one path resolution (links
// followed inside the root). Something other than a regular file gives ErrNotRegular (and is
// closed at once, never read).
func (f *FS) OpenStat(name string) (*os.File, Stat, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY
	fd, err := f.openIn(name, flags|unix.O_NOATIME)
	if err == unix.EPERM {
		fd, err = f.openIn(name, flags)
	}
	if err != nil {
		return nil, Stat{}, pathErr("open", name, err)
	}
	st, err := statx(fd, "", unix.AT_EMPTY_PATH)
	if err != nil {
		unix.Close(fd)
		return nil, Stat{}, pathErr("stat", name, err)
	}
	if !st.IsRegular() {
		unix.Close(fd)
		return nil, st, pathErr("open", name, ErrNotRegular)
	}
	return os.NewFile(uintptr(fd), Clean(name)), st, nil
}

// Open opens a regular file for reading. Links are followed inside the root only.
func (f *FS) Open(name string) (*os.File, error) { return f.openReg(name) }

// ReadFile reads a whole regular file of at most limit bytes (limit <= 0: 16 MiB).
// A larger file gives the first limit bytes and ErrTooLarge.
func (f *FS) ReadFile(name string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = 16 << 20
	}
	file, err := f.openReg(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return data, pathErr("read", name, err)
	}
	if int64(len(data)) > limit {
		return data[:limit], pathErr("read", name, ErrTooLarge)
	}
	return data, nil
}

// Exists reports whether something (of any type, links not followed) is at name.
func (f *FS) Exists(name string) bool {
	_, err := f.Lstat(name)
	return err == nil
}

// Lstat describes name itself, without following a link at its last component.
func (f *FS) Lstat(name string) (Stat, error) {
	c := Clean(name)
	if c == "/" {
		return f.statFD(f.rootFD, "", 0, c)
	}
	dir, base := path.Split(c)
	pfd, err := f.openIn(dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return Stat{}, pathErr("lstat", name, err)
	}
	defer unix.Close(pfd)
	return f.statFD(pfd, base, unix.AT_SYMLINK_NOFOLLOW, c)
}

// Stat describes name, following links inside the root.
func (f *FS) Stat(name string) (Stat, error) {
	fd, err := f.openIn(name, unix.O_PATH)
	if err != nil {
		return Stat{}, pathErr("stat", name, err)
	}
	defer unix.Close(fd)
	return f.statFD(fd, "", 0, name)
}

func (f *FS) statFD(dirfd int, base string, flags int, name string) (Stat, error) {
	if base == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	st, err := statx(dirfd, base, flags)
	if err != nil {
		return Stat{}, pathErr("stat", name, err)
	}
	return st, nil
}

// Readlink returns the target of the link at name, as written in the link.
func (f *FS) Readlink(name string) (string, error) {
	c := Clean(name)
	dir, base := path.Split(c)
	if base == "" {
		return "", pathErr("readlink", name, unix.EINVAL)
	}
	pfd, err := f.openIn(dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	defer unix.Close(pfd)
	return readlinkat(pfd, base, name)
}

func readlinkat(dirfd int, base, name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(dirfd, base, buf)
		if err != nil {
			return "", pathErr("readlink", name, err)
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		if len(buf) >= 1<<16 {
			return string(buf[:n]), nil
		}
		buf = make([]byte, len(buf)*4)
	}
}

// ReadDir lists the directory at name (following in-root links to it), sorted by name.
func (f *FS) ReadDir(name string) ([]DirEntry, error) {
	d, err := f.OpenDir(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Entries()
}

// ReadDirNames lists entry names only; missing directories give no names and no error.
func (f *FS) ReadDirNames(name string) []string {
	ents, err := f.ReadDir(name)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name)
	}
	return out
}

// IsNotExist reports whether err means the path is not there.
func IsNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR)
}

// IsPermission reports whether err means nowwhat lacked the privilege to read.
func IsPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

// Join joins host path elements and cleans the result.
func Join(elem ...string) string { return Clean(path.Join(elem...)) }

// HasPrefix reports whether host path p is dir or lies below it.
func HasPrefix(p, dir string) bool {
	if dir == "/" {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}
