package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Root is a folder that holds a Linux root file system (the copy a scenario works on). Its
// methods take paths as on the host ("/etc/passwd") and never leave the folder: symbolic links
// met on the way are followed inside it, absolute targets taken relative to it (the way a
// chroot would see them).
type Root struct {
	Dir string
}

const maxLinkHops = 40

// Real returns the path in the folder that host path p leads to, following links inside the
// root (the last one too). Missing components are kept as written, so the result can be
// created.
func (r Root) Real(p string) (string, error) { return r.resolve(p, true) }

// RealNoFollow is Real without following a link in the last component (for lchown, symlink,
// remove and times of the link itself).
func (r Root) RealNoFollow(p string) (string, error) { return r.resolve(p, false) }

func (r Root) resolve(p string, followLast bool) (string, error) {
	if r.Dir == "" {
		return "", errors.New("root folder not set")
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q: host paths are absolute", p)
	}
	done := "/"                                   // resolved prefix, as a host path
	rest := strings.Split(path.Clean(p), "/")[1:] // components still to walk
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		if len(rest) == 0 && !followLast {
			done = next
			break
		}
		real := filepath.Join(r.Dir, filepath.FromSlash(next))
		fi, err := os.Lstat(real)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			done = next
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("%s: %w", p, err)
			}
			if err != nil {
				// Nothing further exists: keep the rest as written.
				done = path.Join(append([]string{done}, rest...)...)
				rest = nil
			}
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(real)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(done, target)
		}
		rest = append(strings.Split(path.Clean(target), "/")[1:], rest...)
		done = "/"
	}
	return filepath.Join(r.Dir, filepath.FromSlash(done)), nil
}

// ReadFile reads a host path.
func (r Root) ReadFile(p string) ([]byte, error) {
	rp, err := r.Real(p)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(rp)
}

// Exists says whether something is at host path p (a dangling link counts).
func (r Root) Exists(p string) bool {
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return false
	}
	_, err = os.Lstat(rp)
	return err == nil
}

// Lstat stats host path p without following a last link.
func (r Root) Lstat(p string) (os.FileInfo, error) {
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return nil, err
	}
	return os.Lstat(rp)
}

// MkdirAll creates host directory p and its parents (parents 0755, p itself with mode).
func (r Root) MkdirAll(p string, mode os.FileMode) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(rp, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	return chmod(rp, mode)
}

// WriteFile writes data to host path p with mode (setuid bits included), creating parents.
// An existing file is replaced in place (same inode, like a shell redirection).
func (r Root) WriteFile(p string, data []byte, mode os.FileMode) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(rp), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.WriteFile(rp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return chmod(rp, mode)
}

// AppendFile appends data to host path p (created with mode 0644 when missing); owner and mode
// of an existing file stay.
func (r Root) AppendFile(p string, data []byte) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(rp), 0o755); err != nil {
		return fmt.Errorf("append %s: %w", p, err)
	}
	f, err := os.OpenFile(rp, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("append %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append %s: %w", p, err)
	}
	return nil
}

// AppendLine appends one line (a newline is added, and one before it when the file does not
// end with one).
func (r Root) AppendLine(p, line string) error {
	old, err := r.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := line + "\n"
	if len(old) > 0 && old[len(old)-1] != '\n' {
		s = "\n" + s
	}
	return r.AppendFile(p, []byte(s))
}

// Replace rewrites host path p with old replaced by new (once); it fails when old is absent.
// Mode and owner stay (the file is rewritten in place).
func (r Root) Replace(p, old, new string) error {
	data, err := r.ReadFile(p)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(old)) {
		return fmt.Errorf("%s: %q not found", p, old)
	}
	out := bytes.Replace(data, []byte(old), []byte(new), 1)
	return r.rewrite(p, out)
}

// rewrite replaces the content of an existing file in place.
func (r Root) rewrite(p string, data []byte) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(rp, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("rewrite %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rewrite %s: %w", p, err)
	}
	return nil
}

// Rewrite replaces the content of host path p in place (same inode, mode and owner).
func (r Root) Rewrite(p string, data []byte) error { return r.rewrite(p, data) }

// Truncate empties host path p in place (like `: > FILE`).
func (r Root) Truncate(p string) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	if err := os.Truncate(rp, 0); err != nil {
		return fmt.Errorf("truncate %s: %w", p, err)
	}
	return nil
}

// CopyFile copies host path src to host path dst (both inside the root) with mode.
func (r Root) CopyFile(src, dst string, mode os.FileMode) error {
	data, err := r.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return r.WriteFile(dst, data, mode)
}

// Symlink makes host path p a symbolic link to target (anything at p is removed first).
func (r Root) Symlink(target, p string) error {
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(rp), 0o755); err != nil {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	if err := os.Remove(rp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	if err := os.Symlink(target, rp); err != nil {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	return nil
}

// Remove removes host path p (not what a link there points to); a missing path is no error.
func (r Root) Remove(p string) error {
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return err
	}
	if err := os.Remove(rp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// Rename moves host path from to host path to.
func (r Root) Rename(from, to string) error {
	a, err := r.RealNoFollow(from)
	if err != nil {
		return err
	}
	b, err := r.RealNoFollow(to)
	if err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	return nil
}

// Chmod sets the mode of host path p (setuid, setgid and sticky included).
func (r Root) Chmod(p string, mode os.FileMode) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	return chmod(rp, mode)
}

// chmod takes Unix-style modes (0o4755) and sets them with chmod(2), so the set-id bits stay
// even after a chown.
func chmod(real string, mode os.FileMode) error {
	m := uint32(mode & 0o7777)
	if mode&os.ModeSetuid != 0 {
		m |= 0o4000
	}
	if mode&os.ModeSetgid != 0 {
		m |= 0o2000
	}
	if mode&os.ModeSticky != 0 {
		m |= 0o1000
	}
	if err := unix.Chmod(real, m); err != nil {
		return fmt.Errorf("chmod %s: %w", real, err)
	}
	return nil
}

// Chown sets owner and group of host path p (not following a last link) by the names in the
// root's own /etc/passwd and /etc/group. Set-id bits are restored afterwards (chown clears
// them).
func (r Root) Chown(p, user, group string) error {
	uid, err := r.UID(user)
	if err != nil {
		return err
	}
	gid, err := r.GID(group)
	if err != nil {
		return err
	}
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(rp)
	if err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	if err := os.Lchown(rp, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		return chmod(rp, fi.Mode())
	}
	return nil
}

// Touch sets access and modification times of host path p (of a link itself, not its target).
func (r Root) Touch(p string, t time.Time) error {
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return err
	}
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, rp, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("touch %s: %w", p, err)
	}
	return nil
}

// SetXattr sets an extended attribute of host path p.
func (r Root) SetXattr(p, name string, value []byte) error {
	rp, err := r.Real(p)
	if err != nil {
		return err
	}
	if err := unix.Setxattr(rp, name, value, 0); err != nil {
		return fmt.Errorf("setxattr %s %s: %w", name, p, err)
	}
	return nil
}

// Account is one line of the root's /etc/passwd.
type Account struct {
	Name          string
	UID, GID      int
	Gecos         string
	Home, Shell   string
	Supplementary []string // filled by Accounts from /etc/group
}

// Accounts reads the root's /etc/passwd (malformed lines skipped).
func (r Root) Accounts() ([]Account, error) {
	data, err := r.ReadFile("/etc/passwd")
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) != 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Account{Name: f[0], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Shell: f[6]})
	}
	return out, nil
}

// Account returns the named account of the root.
func (r Root) Account(name string) (Account, error) {
	accts, err := r.Accounts()
	if err != nil {
		return Account{}, err
	}
	for _, a := range accts {
		if a.Name == name {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("no account %q in the root's /etc/passwd", name)
}

// UID returns the uid of a user name in the root (a number is taken as is).
func (r Root) UID(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	a, err := r.Account(name)
	if err != nil {
		return 0, err
	}
	return a.UID, nil
}

// GID returns the gid of a group name in the root's /etc/group (a number is taken as is).
func (r Root) GID(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	data, err := r.ReadFile("/etc/group")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 4 && f[0] == name {
			if g, err := strconv.Atoi(f[2]); err == nil {
				return g, nil
			}
		}
	}
	return 0, fmt.Errorf("no group %q in the root's /etc/group", name)
}

// NextUID returns the first free uid at or above from (the way useradd picks one).
func (r Root) NextUID(from int) (int, error) {
	accts, err := r.Accounts()
	if err != nil {
		return 0, err
	}
	used := map[int]bool{}
	for _, a := range accts {
		used[a.UID] = true
	}
	for used[from] {
		from++
	}
	return from, nil
}

// errNoLineMatched: EditLines changed nothing.
var errNoLineMatched = errors.New("no line matched")

// EditLines rewrites host path p line by line in place: edit gets each line (without its
// newline) and returns the lines to put instead (nil drops it). It fails when changed stays
// false, so a scenario never silently does nothing.
func (r Root) EditLines(p string, edit func(line string) []string) error {
	data, err := r.ReadFile(p)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	changed := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		repl := edit(line)
		if len(repl) != 1 || repl[0] != line {
			changed = true
		}
		for _, l := range repl {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if !changed {
		return fmt.Errorf("%s: %w", p, errNoLineMatched)
	}
	return r.rewrite(p, out.Bytes())
}

// copyTree copies a host file or folder (outside any root) into place; used for the .deb files.
func copyHostFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// chownLike gives host path p the owner and group recorded in fi (from Lstat of another file).
func chownLike(r Root, p string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	rp, err := r.RealNoFollow(p)
	if err != nil {
		return err
	}
	if err := os.Lchown(rp, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

// gzipBytes compresses data the way logrotate's gzip -9 does.
func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}
