package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// builderVersion changes whenever the root's make-up (packages or customisation) changes, so a
// cache built by an older harness is rebuilt instead of silently reused.
const builderVersion = 5

// rootSpec says what the cached root is made of.
type rootSpec struct {
	Builder  int      `json:"builder"`
	Suite    string   `json:"suite"`
	Variant  string   `json:"variant"`
	Mirror   string   `json:"mirror"`
	Packages []string `json:"packages"`
}

// rootMarker is written beside the cached root once it is complete (DIR.ready).
type rootMarker struct {
	rootSpec
	Built        time.Time `json:"built"`        // when debootstrap ran
	InstallTime  time.Time `json:"install_time"` // when the root pretends to have been installed
	BuildSeconds float64   `json:"build_seconds"`
	Image        bool      `json:"image"` // DIR.img holds the root as an ext4 image with story times
}

// rootPackages: a small Debian 12 web server (variant minbase plus these).
var rootPackages = []string{
	"systemd", "systemd-sysv", "udev", "kmod",
	"openssh-server", "sudo", "cron", "rsyslog", "logrotate",
	"nginx-light", "php8.2-fpm",
}

func defaultSpec() rootSpec {
	return rootSpec{Builder: builderVersion, Suite: "bookworm", Variant: "minbase",
		Mirror: "http://deb.debian.org/debian", Packages: rootPackages}
}

// installAge is how long before the build the root pretends to have been installed: the
// debootstrap times are moved back by it, and a month of log history fills the gap.
const installAge = 30 * 24 * time.Hour

// defaultCache is where the root is kept (NOWWHAT_EVAL_CACHE overrides).
func defaultCache() string {
	if d := os.Getenv("NOWWHAT_EVAL_CACHE"); d != "" {
		return d
	}
	return "/var/tmp/nowwhat-eval/bookworm-root"
}

// readMarker returns the marker of a complete cached root, or an error saying why it is not
// usable.
func readMarker(dir string, spec rootSpec) (rootMarker, error) {
	var m rootMarker
	data, err := os.ReadFile(dir + ".ready")
	if err != nil {
		return m, fmt.Errorf("no complete root at %s: %w", dir, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s.ready: %w", dir, err)
	}
	if m.Builder != spec.Builder || m.Suite != spec.Suite || m.Variant != spec.Variant || !slices.Equal(m.Packages, spec.Packages) {
		return m, fmt.Errorf("cached root at %s was built for another make-up (builder %d, %s %v)", dir, m.Builder, m.Suite, m.Packages)
	}
	if fi, err := os.Stat(filepath.Join(dir, "etc/os-release")); err != nil || fi.Size() == 0 {
		return m, fmt.Errorf("cached root at %s is incomplete", dir)
	}
	if m.Image {
		if _, err := os.Stat(imageOf(dir)); err != nil {
			return m, fmt.Errorf("cached root image: %w", err)
		}
	}
	return m, nil
}

// lockFile takes an exclusive lock on path (created), so two runs never build at once.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// ensureRoot returns the cached root, building it first when missing, stale or rebuild is set.
func ensureRoot(ctx context.Context, dir string, rebuild bool, logw io.Writer) (rootMarker, error) {
	spec := defaultSpec()
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return rootMarker{}, err
	}
	defer unlock()
	if !rebuild {
		m, err := readMarker(dir, spec)
		if err == nil {
			return m, nil
		}
		fmt.Fprintf(logw, "root: %v; building it (once, about 3 minutes)\n", err)
	}
	if os.Geteuid() != 0 {
		return rootMarker{}, errors.New("building the eval root needs root (debootstrap, useradd --root); run as root once, later runs reuse the cache")
	}
	if err := ensureTool(ctx, "debootstrap", "debootstrap", logw); err != nil {
		return rootMarker{}, err
	}
	for _, t := range [][2]string{{"useradd", "passwd"}, {"chpasswd", "passwd"}} {
		if err := ensureTool(ctx, t[0], t[1], logw); err != nil {
			return rootMarker{}, err
		}
	}
	os.Remove(dir + ".ready")
	build := dir + ".build"
	if err := removeTree(build); err != nil {
		return rootMarker{}, err
	}
	os.Remove(imageOf(build))
	start := time.Now()
	logPath := dir + ".debootstrap.log"
	logf, err := os.Create(logPath)
	if err != nil {
		return rootMarker{}, fmt.Errorf("debootstrap log: %w", err)
	}
	args := []string{"--variant=" + spec.Variant, "--include=" + strings.Join(spec.Packages, ","), spec.Suite, build, spec.Mirror}
	fmt.Fprintf(logw, "root: debootstrap %s (log %s)\n", strings.Join(args, " "), logPath)
	dctx, cancel := context.WithTimeout(ctx, 40*time.Minute)
	cmd := exec.CommandContext(dctx, "debootstrap", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	err = cmd.Run()
	cancel()
	logf.Close()
	// debootstrap may leave /proc and /sys mounted in the target.
	if uerr := unmountUnder(build); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil {
		return rootMarker{}, fmt.Errorf("debootstrap failed: %w; last lines of %s:\n%s", err, logPath, tailFile(logPath, 15))
	}
	debootEnd := time.Now()
	fmt.Fprintf(logw, "root: debootstrap done in %s; customising\n", time.Since(start).Round(time.Second))
	install := start.Add(-installAge).Truncate(time.Second)
	c, err := customize(ctx, Root{Dir: build}, start, debootEnd, install)
	if err != nil {
		return rootMarker{}, fmt.Errorf("customising the root: %w", err)
	}
	withImage := loopWorks()
	if withImage {
		fmt.Fprintln(logw, "root: ext4 image with the story's birth and change times")
		if err := makeImage(ctx, build, imageOf(build), c); err != nil {
			return rootMarker{}, fmt.Errorf("root image: %w", err)
		}
	} else {
		fmt.Fprintln(logw, "root: no loop devices here: no image; copies carry the build's birth and change times")
	}
	if err := removeTree(dir); err != nil {
		return rootMarker{}, err
	}
	os.Remove(imageOf(dir))
	if err := os.Rename(build, dir); err != nil {
		return rootMarker{}, fmt.Errorf("root: %w", err)
	}
	if withImage {
		if err := os.Rename(imageOf(build), imageOf(dir)); err != nil {
			return rootMarker{}, fmt.Errorf("root image: %w", err)
		}
	}
	m := rootMarker{rootSpec: spec, Built: start.UTC(), InstallTime: install.UTC(), BuildSeconds: time.Since(start).Seconds(), Image: withImage}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(dir+".ready", append(data, '\n'), 0o644); err != nil {
		return rootMarker{}, fmt.Errorf("root marker: %w", err)
	}
	fmt.Fprintf(logw, "root: ready at %s in %s\n", dir, time.Since(start).Round(time.Second))
	return m, nil
}

var aptUpdated bool

// ensureTool installs a Debian package when a host program the harness needs is missing.
func ensureTool(ctx context.Context, prog, pkg string, logw io.Writer) error {
	if _, err := exec.LookPath(prog); err == nil {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing: install the Debian package %s", prog, pkg)
	}
	fmt.Fprintf(logw, "host: installing %s (for %s)\n", pkg, prog)
	if !aptUpdated {
		if out, err := aptGet(ctx, "", "update", "-qq"); err != nil {
			return fmt.Errorf("apt-get update: %w\n%s", err, out)
		}
		aptUpdated = true
	}
	if out, err := aptGet(ctx, "", "install", "-y", "-qq", pkg); err != nil {
		return fmt.Errorf("apt-get install %s: %w\n%s", pkg, err, out)
	}
	return nil
}

func aptGet(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ensureDebs returns the .deb files of the named packages, downloading the missing ones with
// the host's apt into dir.
func ensureDebs(ctx context.Context, dir string, want []string, logw io.Writer) (map[string]string, error) {
	if len(want) == 0 {
		return map[string]string{}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := map[string]string{}
	var missing []string
	for _, p := range want {
		m, _ := filepath.Glob(filepath.Join(dir, p+"_*.deb"))
		if len(m) == 0 {
			missing = append(missing, p)
			continue
		}
		slices.Sort(m)
		out[p] = m[len(m)-1]
	}
	if len(missing) == 0 {
		return out, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return out, fmt.Errorf("cannot fetch %v: no apt-get on this machine", missing)
	}
	fmt.Fprintf(logw, "debs: apt-get download %s\n", strings.Join(missing, " "))
	args := append([]string{"download"}, missing...)
	if o, err := aptGet(ctx, dir, args...); err != nil {
		if !aptUpdated {
			aptGet(ctx, "", "update", "-qq")
			aptUpdated = true
			o, err = aptGet(ctx, dir, args...)
		}
		if err != nil {
			return out, fmt.Errorf("apt-get download: %w\n%s", err, o)
		}
	}
	for _, p := range missing {
		m, _ := filepath.Glob(filepath.Join(dir, p+"_*.deb"))
		if len(m) == 0 {
			return out, fmt.Errorf("apt-get download %s left no .deb in %s", p, dir)
		}
		out[p] = m[len(m)-1]
	}
	return out, nil
}

// mountsUnder lists mount points at or below dir (deepest first), from /proc/self/mountinfo.
func mountsUnder(dir string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("mount table: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == abs || strings.HasPrefix(mp, abs+"/") {
			out = append(out, mp)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out, sc.Err()
}

// unescapeMount undoes the octal escapes (\040) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' {
			n := int(s[i+1]-'0')*64 + int(s[i+2]-'0')*8 + int(s[i+3]-'0')
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder detaches every mount at or below dir.
func unmountUnder(dir string) error {
	mps, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("unmount %s: %w", mp, err)
		}
	}
	return nil
}

// removeTree removes a folder the harness made, after making sure nothing is mounted in it
// (a bind-mounted /proc or /dev in a root must never be walked by RemoveAll).
func removeTree(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if strings.Count(strings.Trim(abs, "/"), "/") < 1 {
		return fmt.Errorf("refusing to remove %s", abs)
	}
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unmountUnder(abs); err != nil {
		return err
	}
	if mps, err := mountsUnder(abs); err != nil || len(mps) > 0 {
		return fmt.Errorf("refusing to remove %s: still mounted there: %v %v", abs, mps, err)
	}
	// Immutable or append-only attributes a scenario may have set would stop RemoveAll.
	if err := os.RemoveAll(abs); err != nil {
		return fmt.Errorf("remove %s: %w", abs, err)
	}
	return nil
}

// tailFile returns the last n lines of a file (for error messages).
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
