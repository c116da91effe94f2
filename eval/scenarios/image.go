package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The cached root is also kept as an ext4 image, because a folder on the build machine cannot
// carry the times the story needs: birth and change times are set by the kernel clock when the
// files are written (the build day), while the root pretends to have been installed a month
// earlier. In an image, debugfs sets them: birth time when the file was made in the story,
// change time when it last changed (for package files, the install). Each scenario then works
// on its own copy of the image, loop-mounted, where changes happen in place as on a real disk
// (same inode, birth time kept), which an overlay's copy-up or a cp -a would not preserve.

// imageOf is where the image of a cached root folder is kept.
func imageOf(dir string) string { return dir + ".img" }

// fileTimes are the times a file should carry in the image.
type fileTimes struct{ btime, ctime time.Time }

// storyTimes works out birth and change times for a path of the built folder: files debootstrap
// made were born at the install (their real birth time moved back by installAge); files the
// customisation made were born when the story says (born, else their modification time); the
// change time is the later of birth and modification (a package file's change time is its
// install, its modification time the package build).
func storyTimes(rel string, mtime, realBirth time.Time, c *customizer) fileTimes {
	deboot := !realBirth.IsZero() && !realBirth.After(c.debootEnd)
	var b time.Time
	switch {
	case !c.born[rel].IsZero():
		b = c.born[rel]
	case deboot:
		b = realBirth.Add(-installAge)
	case mtime.Before(c.install):
		// Copied with its old modification time kept (skeleton files): made by the story's
		// set-up, right after the install.
		b = c.install.Add(45 * time.Minute)
	default:
		b = mtime
	}
	ct := b
	if mtime.After(ct) {
		ct = mtime
	}
	return fileTimes{btime: b, ctime: ct}
}

// statxBirth returns the birth time of a path (zero when the file system does not keep one).
func statxBirth(p string) (time.Time, time.Time, error) {
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BTIME|unix.STATX_MTIME, &sx); err != nil {
		return time.Time{}, time.Time{}, err
	}
	m := time.Unix(sx.Mtime.Sec, int64(sx.Mtime.Nsec))
	if sx.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, m, nil
	}
	return time.Unix(sx.Btime.Sec, int64(sx.Btime.Nsec)), m, nil
}

// makeImage writes an ext4 image of the built folder src at img and gives every inode its story
// times with debugfs.
func makeImage(ctx context.Context, src, img string, c *customizer) error {
	for _, p := range []string{"mkfs.ext4", "debugfs", "mount", "umount"} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s is missing (Debian packages e2fsprogs, mount): %w", p, err)
		}
	}
	var used int64
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				used += fi.Size()
			}
		}
		return nil
	})
	size := used*3/2 + 768<<20
	os.Remove(img)
	if out, err := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", hostName, "-d", src, img, fmt.Sprintf("%dk", size>>10)).CombinedOutput(); err != nil {
		return fmt.Errorf("mkfs.ext4 -d: %w: %s", err, strings.TrimSpace(string(out)))
	}
	mnt, err := os.MkdirTemp(filepath.Dir(img), "image-mount-")
	if err != nil {
		return err
	}
	defer os.Remove(mnt)
	if out, err := exec.CommandContext(ctx, "mount", "-o", "loop,ro", img, mnt).CombinedOutput(); err != nil {
		return fmt.Errorf("mount the image: %w: %s", err, strings.TrimSpace(string(out)))
	}
	cmds := filepath.Join(filepath.Dir(img), "image-times.debugfs")
	f, err := os.Create(cmds)
	if err != nil {
		exec.Command("umount", mnt).Run()
		return err
	}
	defer os.Remove(cmds)
	w := bufio.NewWriter(f)
	seen := map[uint64]bool{}
	walkErr := filepath.WalkDir(mnt, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if seen[st.Ino] {
			return nil // a hard link: one inode, one set of times
		}
		seen[st.Ino] = true
		rel, _ := filepath.Rel(mnt, p)
		hostPath := "/" + filepath.ToSlash(rel)
		if rel == "." {
			hostPath = "/"
		}
		var t fileTimes
		birth, mtime, err := statxBirth(filepath.Join(src, rel))
		if err != nil {
			// lost+found: made by mkfs, part of the install.
			t = fileTimes{btime: c.install, ctime: c.install}
		} else {
			t = storyTimes(hostPath, mtime, birth, c)
		}
		fmt.Fprintf(w, "sif <%d> crtime @%d\nsif <%d> ctime @%d\n", st.Ino, t.btime.Unix(), st.Ino, t.ctime.Unix())
		if err != nil {
			fmt.Fprintf(w, "sif <%d> mtime @%d\n", st.Ino, c.install.Unix())
		}
		return nil
	})
	if err := w.Flush(); err != nil && walkErr == nil {
		walkErr = err
	}
	f.Close()
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		return fmt.Errorf("unmount the image: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if walkErr != nil {
		return fmt.Errorf("walk the image: %w", walkErr)
	}
	out, err := exec.CommandContext(ctx, "debugfs", "-w", "-f", cmds, img).CombinedOutput()
	if err != nil {
		return fmt.Errorf("debugfs: %w: %s", err, tail(out, 400))
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "rror") || strings.Contains(l, "not found") {
			return errors.New("debugfs: " + l)
		}
	}
	return nil
}

// loopWorks says whether this machine can loop-mount an image (root, loop devices).
func loopWorks() bool {
	if os.Geteuid() != 0 {
		return false
	}
	_, err := os.Stat("/dev/loop-control")
	return err == nil
}
