package collect

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// maxBodyfileEntries bounds the bodyfile (about 150 bytes a line).
const maxBodyfileEntries = 20_000_000

// bodyfile writes a bodyfile of the whole file system (The Sleuth Kit's format 3, which mactime
// and Plaso read): MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime, times in seconds
// and 0 where unknown, the MD5 column 0 (the snapshot holds the SHA-256 of the files that
// matter). It is built in anonymous memory, never on the suspect disk, and walks only ordinary
// file systems, never /proc or /sys.
func (c *collection) bodyfile(ctx context.Context) {
	fd, err := unix.MemfdCreate("nowwhat-bodyfile", unix.MFD_CLOEXEC)
	if err != nil {
		c.w.Problem("timeline", "", fmt.Errorf("bodyfile: %w", err))
		return
	}
	mem := os.NewFile(uintptr(fd), "memfd:bodyfile")
	defer mem.Close()
	bw := bufio.NewWriterSize(mem, 1<<20)
	d, err := c.fs.OpenDir("/")
	if err != nil {
		c.w.Problem("timeline", "/", err)
		return
	}
	b := &bodyWalk{out: bw}
	if st, err := c.fs.Lstat("/"); err == nil {
		b.line("/", st, "")
	}
	c.walk(ctx, d, 0, func(d *hostfs.Dir, name, p string, st hostfs.Stat) bool {
		link := ""
		if st.IsSymlink() {
			link, _ = d.Readlink(name)
		}
		b.line(p, st, link)
		return b.n < maxBodyfileEntries
	}, func(string, error) { b.failed++ })
	d.Close()
	if err := bw.Flush(); err != nil {
		c.w.Problem("timeline", "", fmt.Errorf("bodyfile: %w", err))
		return
	}
	if b.n >= maxBodyfileEntries {
		c.w.Gap("/", fmt.Sprintf("the bodyfile stopped at %d entries (nowwhat's limit); later entries of the file system are not in it", b.n))
	}
	if _, err := mem.Seek(0, 0); err != nil {
		c.w.Problem("timeline", "", err)
		return
	}
	st, err := hostfs.Fstat(mem)
	if err != nil {
		c.w.Problem("timeline", "", err)
		return
	}
	c.w.AddFile("timeline", "", "timeline/bodyfile.txt", mem, st, fmt.Sprintf("%d entries; mactime -b timeline/bodyfile.txt", b.n))
	c.w.Logf("bodyfile: %d entries, %d entries or folders not read", b.n, b.failed)
}

type bodyWalk struct {
	out    *bufio.Writer
	n      int
	failed int
}

// line writes one entry. A "|" in a name is written as "\|", the way TSK tools escape it.
func (b *bodyWalk) line(p string, st hostfs.Stat, link string) {
	name := strings.ReplaceAll(p, "|", `\|`)
	name = strings.ReplaceAll(name, "\n", `\n`)
	if link != "" {
		name += " -> " + strings.ReplaceAll(strings.ReplaceAll(link, "|", `\|`), "\n", `\n`)
	}
	fmt.Fprintf(b.out, "0|%s|%d|%s|%d|%d|%d|%d|%d|%d|%d\n", name, st.Inode, ModeString(st.Raw), st.UID, st.GID, st.Size,
		secs(st.Atime.Unix(), st.Atime.IsZero()), secs(st.Mtime.Unix(), st.Mtime.IsZero()), secs(st.Ctime.Unix(), st.Ctime.IsZero()),
		secs(st.Btime.Unix(), st.Btime.IsZero()))
	b.n++
}

func secs(s int64, zero bool) int64 {
	if zero {
		return 0
	}
	return s
}

// ModeString renders st_mode as TSK writes it in a bodyfile: the type from the directory entry
// and from the inode, then the permissions ("r/rrwxr-xr-x", "d/drwxr-xr-x", "l/lrwxrwxrwx").
func ModeString(raw uint32) string {
	t := "-"
	switch raw & unix.S_IFMT {
	case unix.S_IFREG:
		t = "r"
	case unix.S_IFDIR:
		t = "d"
	case unix.S_IFLNK:
		t = "l"
	case unix.S_IFCHR:
		t = "c"
	case unix.S_IFBLK:
		t = "b"
	case unix.S_IFIFO:
		t = "p"
	case unix.S_IFSOCK:
		t = "s"
	}
	var p [9]byte
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if raw&(1<<uint(8-i)) != 0 {
			p[i] = rwx[i]
		} else {
			p[i] = '-'
		}
	}
	special := func(bit uint32, i int, set, unsetExec byte) {
		if raw&bit != 0 {
			if p[i] == 'x' {
				p[i] = set
			} else {
				p[i] = unsetExec
			}
		}
	}
	special(unix.S_ISUID, 2, 's', 'S')
	special(unix.S_ISGID, 5, 's', 'S')
	special(unix.S_ISVTX, 8, 't', 'T')
	return t + "/" + t + string(p[:])
}
