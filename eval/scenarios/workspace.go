package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Copy modes of the clean root for a scenario.
const (
	copyAuto    = "auto"    // image when there is one and loop devices work, else overlay, else cp
	copyImage   = "image"   // a copy of the ext4 image (story birth and change times), loop-mounted
	copyOverlay = "overlay" // an overlay mount: the cached root is the read-only lower layer
	copyCP      = "cp"      // cp -a --reflink=auto
)

// workspace is one scenario's folder: the root copy, the baseline, the case folder.
type workspace struct {
	dir     string // the scenario's temp folder
	root    string // the root copy (dir/root)
	mode    string // how the copy was made
	mounted bool
}

// newWorkspace makes a fresh copy of base under parent. An overlay mount costs nothing and keeps
// the times (ctime too) of everything the scenario does not touch; cp -a is the fallback.
func newWorkspace(ctx context.Context, parent, name, base, mode string, logw io.Writer) (*workspace, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, name+"-")
	if err != nil {
		return nil, err
	}
	w := &workspace{dir: dir, root: filepath.Join(dir, "root")}
	if mode == copyImage || mode == copyAuto && imageUsable(base) {
		err := w.mountImage(ctx, imageOf(base))
		if err == nil {
			return w, nil
		}
		w.close(false)
		return nil, err
	}
	if mode == copyAuto || mode == copyOverlay {
		err := w.mountOverlay(base)
		if err == nil {
			return w, nil
		}
		if mode == copyOverlay {
			w.close(false)
			return nil, err
		}
		fmt.Fprintf(logw, "note: overlay mount failed (%v); copying the root with cp -a instead\n", err)
		overlayBroken.Store(true)
	}
	if err := os.RemoveAll(w.root); err != nil {
		w.close(false)
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", base, w.root)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.close(false)
		return nil, fmt.Errorf("cp -a %s: %w: %s", base, err, strings.TrimSpace(string(out)))
	}
	w.mode = copyCP
	return w, nil
}

// imageUsable says whether the cached root has an image this machine can mount.
func imageUsable(base string) bool {
	if !loopWorks() {
		return false
	}
	_, err := os.Stat(imageOf(base))
	return err == nil
}

// mountImage copies the root's image (sparse) and loop-mounts the copy read-write.
func (w *workspace) mountImage(ctx context.Context, img string) error {
	cp := filepath.Join(w.dir, "root.img")
	if out, err := exec.CommandContext(ctx, "cp", "--sparse=always", img, cp).CombinedOutput(); err != nil {
		return fmt.Errorf("copy the root image: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "mount", "-o", "loop", cp, w.root).CombinedOutput(); err != nil {
		return fmt.Errorf("mount the root image: %w: %s", err, strings.TrimSpace(string(out)))
	}
	w.mode = copyImage
	w.mounted = true
	return nil
}

// overlayBroken remembers that overlay failed once, so auto mode stops trying.
var overlayBroken atomic.Bool

func (w *workspace) mountOverlay(base string) error {
	if overlayBroken.Load() {
		return fmt.Errorf("overlay unavailable")
	}
	if strings.ContainsAny(base+w.dir, ",:\\") {
		return fmt.Errorf("paths with , : or \\ cannot be overlay options")
	}
	upper, work := filepath.Join(w.dir, "upper"), filepath.Join(w.dir, "overlay-work")
	for _, d := range []string{upper, work, w.root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := "lowerdir=" + base + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", w.root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	w.mode = copyOverlay
	w.mounted = true
	return nil
}

// close unmounts and removes the workspace unless keep.
func (w *workspace) close(keep bool) error {
	if w == nil || keep {
		return nil
	}
	if w.mounted {
		if err := unix.Unmount(w.root, 0); err != nil {
			if err := unix.Unmount(w.root, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", w.root, err)
			}
		}
		w.mounted = false
	}
	return removeTree(w.dir)
}

// keepHint tells how to look at and remove a kept workspace.
func (w *workspace) keepHint() string {
	if w.mounted {
		return fmt.Sprintf("kept %s (%s mounted at %s; remove with: umount %s && rm -rf %s)", w.dir, w.mode, w.root, w.root, w.dir)
	}
	return fmt.Sprintf("kept %s (remove with: rm -rf %s)", w.dir, w.dir)
}
