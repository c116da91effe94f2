package hostfs

import (
	"io/fs"
	"os"
	"path"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Stat is what the file system records about one entry.
type Stat struct {
	Mode  fs.FileMode // type and permission bits, as io/fs spells them
	Raw   uint32      // st_mode as the kernel gives it
	UID   uint32
	GID   uint32
	Size  int64
	Inode uint64
	Dev   uint64
	Nlink uint32
	Atime time.Time
	Mtime time.Time
	Ctime time.Time
	Btime time.Time // zero where the file system does not record birth
}

// Type names the kind of entry: file, dir, symlink, fifo, socket, chardev, blockdev.
func (s Stat) Type() string { return TypeName(s.Raw) }

// TypeName names the kind of entry for a raw st_mode.
func TypeName(raw uint32) string {
	switch raw & unix.S_IFMT {
	case unix.S_IFREG:
		return "file"
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "chardev"
	case unix.S_IFBLK:
		return "blockdev"
	}
	return "unknown"
}

// IsRegular reports whether the entry is a regular file.
func (s Stat) IsRegular() bool { return s.Raw&unix.S_IFMT == unix.S_IFREG }

// IsDir reports whether the entry is a directory.
func (s Stat) IsDir() bool { return s.Raw&unix.S_IFMT == unix.S_IFDIR }

// IsSymlink reports whether the entry is a symbolic link.
func (s Stat) IsSymlink() bool { return s.Raw&unix.S_IFMT == unix.S_IFLNK }

// Perm is the permission part of st_mode including setuid, setgid and sticky (07777).
func (s Stat) Perm() uint32 { return s.Raw & 07777 }

func ts(t unix.StatxTimestamp) time.Time {
	if t.Sec == 0 && t.Nsec == 0 {
		return time.Time{}
	}
	return time.Unix(t.Sec, int64(t.Nsec)).UTC()
}

const statxMask = unix.STATX_TYPE | unix.STATX_MODE | unix.STATX_NLINK | unix.STATX_UID | unix.STATX_GID |
	unix.STATX_ATIME | unix.STATX_MTIME | unix.STATX_CTIME | unix.STATX_INO | unix.STATX_SIZE | unix.STATX_BTIME

func statx(dirfd int, base string, flags int) (Stat, error) {
	var sx unix.Statx_t
	for {
		err := unix.Statx(dirfd, base, flags|unix.AT_STATX_DONT_SYNC, statxMask, &sx)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Stat{}, err
		}
		break
	}
	raw := uint32(sx.Mode)
	st := Stat{
		Mode:  modeOf(raw),
		Raw:   raw,
		UID:   sx.Uid,
		GID:   sx.Gid,
		Size:  int64(sx.Size),
		Inode: sx.Ino,
		Dev:   unix.Mkdev(sx.Dev_major, sx.Dev_minor),
		Nlink: sx.Nlink,
		Atime: ts(sx.Atime),
		Mtime: ts(sx.Mtime),
		Ctime: ts(sx.Ctime),
	}
	if sx.Mask&unix.STATX_BTIME != 0 {
		st.Btime = ts(sx.Btime)
	}
	return st, nil
}

func modeOf(raw uint32) fs.FileMode {
	m := fs.FileMode(raw & 0777)
	switch raw & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	if raw&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if raw&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if raw&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// DirEntry is one name in a directory with the type the directory reports for it
// (the type may be empty on file systems that do not report it; Lstat then tells).
type DirEntry struct {
	Name string
	Type string
}

// Dir is an open directory under the root. Everything below it is reached by single names
// with O_NOFOLLOW, so a walk through Dir never follows a link anywhere.
type Dir struct {
	fd   int
	Path string // host path of the directory
}

// OpenDir opens the directory at host path name, following in-root links to it.
func (f *FS) OpenDir(name string) (*Dir, error) {
	fd, err := f.openIn(name, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, pathErr("opendir", name, err)
	}
	return &Dir{fd: fd, Path: Clean(name)}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return unix.Close(d.fd) }

// Entries lists the directory, sorted by name, without "." and "..".
func (d *Dir) Entries() ([]DirEntry, error) {
	// Duplicate the descriptor so os.File can own (and close) its copy.
	nfd, err := unix.Dup(d.fd)
	if err != nil {
		return nil, pathErr("readdir", d.Path, err)
	}
	f := os.NewFile(uintptr(nfd), d.Path)
	defer f.Close()
	if _, err := unix.Seek(nfd, 0, 0); err != nil {
		return nil, pathErr("readdir", d.Path, err)
	}
	ents, err := f.ReadDir(-1)
	out := make([]DirEntry, 0, len(ents))
	for _, e := range ents {
		t := ""
		switch e.Type() {
		case 0:
			t = "file"
		case fs.ModeDir:
			t = "dir"
		case fs.ModeSymlink:
			t = "symlink"
		case fs.ModeNamedPipe:
			t = "fifo"
		case fs.ModeSocket:
			t = "socket"
		case fs.ModeDevice | fs.ModeCharDevice:
			t = "chardev"
		case fs.ModeDevice:
			t = "blockdev"
		}
		out = append(out, DirEntry{Name: e.Name(), Type: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if err != nil {
		return out, pathErr("readdir", d.Path, err)
	}
	return out, nil
}

// Lstat describes the entry called base in this directory without following links.
func (d *Dir) Lstat(base string) (Stat, error) {
	st, err := statx(d.fd, base, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return Stat{}, pathErr("lstat", path.Join(d.Path, base), err)
	}
	return st, nil
}

// Readlink reads the link called base in this directory.
func (d *Dir) Readlink(base string) (string, error) {
	return readlinkat(d.fd, base, path.Join(d.Path, base))
}

// Sub opens the subdirectory called base; a link there is refused (ELOOP/ENOTDIR).
func (d *Dir) Sub(base string) (*Dir, error) {
	p := path.Join(d.Path, base)
	fd, err := openatRetry(d.fd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
	if err != nil {
		return nil, pathErr("opendir", p, err)
	}
	return &Dir{fd: fd, Path: p}, nil
}

// OpenFile opens the regular file called base for reading. Links, FIFOs, sockets and devices
// are refused; the access time is left alone where the kernel permits.
func (d *Dir) OpenFile(base string) (*os.File, error) {
	p := path.Join(d.Path, base)
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, err := openatRetry(d.fd, base, flags|unix.O_NOATIME)
	if err == unix.EPERM {
		fd, err = openatRetry(d.fd, base, flags)
	}
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	return checkReg(fd, p)
}

func openatRetry(dirfd int, base string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, base, flags, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// pseudoFS are kernel and virtual file systems whose "files" are not the host's data: walking
// them is endless or has side effects (reading /proc/kmsg blocks, /proc/kcore is huge, autofs
// triggers mounts). FUSE is among them: a user-space file system can block a read forever or
// answer differently each time, so one mounted inside the tree is recorded, not walked.
var pseudoFS = map[int64]string{
	unix.PROC_SUPER_MAGIC: "proc", unix.SYSFS_MAGIC: "sysfs", unix.CGROUP_SUPER_MAGIC: "cgroup",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2", unix.DEBUGFS_MAGIC: "debugfs", unix.TRACEFS_MAGIC: "tracefs",
	unix.SECURITYFS_MAGIC: "securityfs", unix.PSTOREFS_MAGIC: "pstore", unix.BPF_FS_MAGIC: "bpf",
	0x62656570: "configfs", 0x65735543: "fusectl", 0x19800202: "mqueue",
	unix.BINFMTFS_MAGIC: "binfmt_misc", unix.NSFS_MAGIC: "nsfs", unix.EFIVARFS_MAGIC: "efivarfs",
	unix.SELINUX_MAGIC: "selinuxfs", unix.AUTOFS_SUPER_MAGIC: "autofs", unix.DEVPTS_SUPER_MAGIC: "devpts",
	unix.HUGETLBFS_MAGIC: "hugetlbfs", unix.FUSE_SUPER_MAGIC: "fuse",
}

// PseudoFS names the kernel or virtual file system the directory is on ("proc", "sysfs",
// "autofs", ...), or "" for an ordinary one.
func (d *Dir) PseudoFS() string {
	var st unix.Statfs_t
	if err := unix.Fstatfs(d.fd, &st); err != nil {
		return ""
	}
	return pseudoFS[int64(st.Type)]
}

// Fstat describes an open file (to notice a file that changed while it was read).
func Fstat(f *os.File) (Stat, error) {
	st, err := statx(int(f.Fd()), "", unix.AT_EMPTY_PATH)
	if err != nil {
		return Stat{}, pathErr("fstat", f.Name(), err)
	}
	return st, nil
}

// Getxattr reads an extended attribute of an open file; a missing attribute gives nil, nil.
func Getxattr(f *os.File, attr string) ([]byte, error) {
	buf := make([]byte, 64)
	for {
		n, err := unix.Fgetxattr(int(f.Fd()), attr, buf)
		switch err {
		case nil:
			return buf[:n], nil
		case unix.ENODATA, unix.ENOTSUP:
			return nil, nil
		case unix.ERANGE:
			if len(buf) >= 1<<16 {
				return nil, err
			}
			buf = make([]byte, len(buf)*8)
			continue
		case unix.EINTR:
			continue
		}
		return nil, err
	}
}
