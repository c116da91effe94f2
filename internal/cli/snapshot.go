package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/progress"
	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe/capture"
	"github.com/nowwhat/nowwhat/internal/probe/filescan"
)

// snapFlags are the flags shared by snapshot, baseline, and diff against the live root.
type snapFlags struct {
	root        string
	include     []string
	exclude     []string
	maxHashSize string
	noHash      bool
	reuse       string
	fpKeyFile   string
	force       bool // -o may replace an existing file
}

func (f *snapFlags) add(cmd *cobra.Command, withReuse bool) {
	cmd.Flags().StringVar(&f.root, "root", "/", "root of the host to examine: / for this host, or a mounted disk image")
	cmd.Flags().StringArrayVar(&f.include, "include", nil, "record only these paths (repeatable; replaces the default file scope)")
	cmd.Flags().StringArrayVar(&f.exclude, "exclude", nil, "leave these paths out (repeatable)")
	cmd.Flags().StringVar(&f.maxHashSize, "max-hash-size", "2G", "record but do not hash regular files larger than this (0: no limit)")
	cmd.Flags().BoolVar(&f.noHash, "no-hash", false, "record file metadata only, without SHA-256 (fast inventory; weak evidence)")
	cmd.Flags().StringVar(&f.fpKeyFile, "fingerprint-key", "", "file holding a secret that keys the fingerprints of password hashes (default: derived from the machine id)")
	if withReuse {
		cmd.Flags().StringVar(&f.reuse, "reuse", "", "former snapshot of this host: keep the hash of files whose size, times and inode are unchanged (faster; a root attacker can forge those, so full hashing stays the default)")
	}
}

type statsCounters struct{ s *filescan.Stats }

func (c statsCounters) Progress() (int64, int64, int64, bool) {
	return c.s.Files.Load(), c.s.Bytes.Load(), c.s.Seen.Load(), c.s.WalkDone.Load()
}

// hostPathOf gives the host path of a local file if it lies inside the examined root.
func hostPathOf(root, local string) (string, bool) {
	abs, err := filepath.Abs(local)
	if err != nil {
		return "", false
	}
	r, _ := filepath.Abs(root)
	if r == "/" {
		return abs, true
	}
	if abs == r || strings.HasPrefix(abs, r+"/") {
		return hostfs.Clean(strings.TrimPrefix(abs, r)), true
	}
	return "", false
}

// meter shows progress of a file walk on the terminal, unless quiet or piped.
func (g *globals) meter(label string, s *filescan.Stats) *progress.Meter {
	return progress.Start(g.stderr, progress.Enabled(os.Stderr, g.quiet) && g.stderr == os.Stderr, label, statsCounters{s})
}

// take captures the root into w, showing progress; it returns the summary.
func (g *globals) take(ctx context.Context, f *snapFlags, fsys *hostfs.FS, w *snapshot.Writer, extraExclude ...string) (capture.Summary, error) {
	opt := capture.Options{Exclude: append(append([]string(nil), f.exclude...), extraExclude...), NoHash: f.noHash, Stats: &filescan.Stats{}}
	var err error
	if opt.MaxHashSize, err = parseSize(f.maxHashSize); err != nil {
		return capture.Summary{}, err
	}
	if len(f.include) > 0 {
		for _, p := range f.include {
			opt.Rules = append(opt.Rules, filescan.Rule{Path: p, Hash: true})
		}
	}
	if f.fpKeyFile != "" {
		k, err := localfile.ReadFile(f.fpKeyFile, "a file holding the fingerprint secret", 64<<10)
		if err != nil {
			return capture.Summary{}, fmt.Errorf("read --fingerprint-key: %w", err)
		}
		opt.FingerprintKey = k
	}
	if g.caseDir != "" {
		if hp, ok := hostPathOf(fsys.Dir(), g.caseDir); ok {
			opt.Exclude = append(opt.Exclude, hp)
		}
	}
	if f.reuse != "" {
		prev, err := snapshot.Open(f.reuse)
		if err != nil {
			return capture.Summary{}, fmt.Errorf("--reuse: %w", err)
		}
		defer prev.Close()
		opt.Reuse = prev
	}
	if fsys.IsLive() && os.Geteuid() != 0 {
		g.info("warning: not running as root: shadow, other users' files and parts of /proc cannot be read; the snapshot will say what it missed. Use sudo for full coverage.")
	}
	m := g.meter("snapshot", opt.Stats)
	sum, err := capture.Take(ctx, fsys, w, opt)
	m.Stop()
	return sum, err
}

func (g *globals) summary(sum capture.Summary, w *snapshot.Writer, dest string) {
	g.info("snapshot: %s files, %s hashed in %s (%s/s) -> %s", progress.Count(sum.Files), progress.Bytes(sum.Bytes),
		sum.Duration.Round(100*time.Millisecond), progress.Bytes(int64(float64(sum.Bytes)/max(sum.Duration.Seconds(), 0.001))), dest)
	if sum.Reused > 0 {
		g.info("  %s hashes reused from --reuse (files with unchanged size, times and inode)", progress.Count(sum.Reused))
	}
	if n := w.Count("problems"); n > 0 {
		where := "sqlite3 " + dest + " 'SELECT * FROM problems'"
		if dest == "standard output" {
			where = "the problems table of the snapshot"
		}
		g.info("  %d things could not be read (not covered); see %s", n, where)
	}
}

func snapshotCmd(g *globals) *cobra.Command {
	f := &snapFlags{}
	var out string
	cmd := &cobra.Command{
		Use:   "snapshot [--root DIR] -o FILE|-",
		Short: "Record the host's state in one file (files, accounts, keys, jobs, services, packages, processes)",
		Long: `snapshot records everything later steps need to judge this host, by reading files and /proc
directly (never by running the host's programs), into one SQLite file you can query with sqlite3.
It changes nothing on the host. With -o - it streams to standard output and writes nothing on the
host's disks, so you can keep it on your own machine. Seal it there to make it a baseline.`,
		Example: `  # from your own machine: nothing is left on the server
  ssh web1 sudo nowwhat snapshot -o - > web1.snap

  # a mounted disk image of a dead host
  nowwhat snapshot --root /mnt/web1 -o web1-disk.snap

  # query it
  sqlite3 web1.snap "SELECT path, mode FROM files WHERE mode & 2048"   # setuid files`,
		GroupID: "keys",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runSnapshot(cmd, f, out, "", "")
		},
	}
	f.add(cmd, true)
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the snapshot; - for standard output")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing -o file")
	return cmd
}

// runSnapshot takes a snapshot to out; with keyPath it also seals it (baseline).
func (g *globals) runSnapshot(cmd *cobra.Command, f *snapFlags, out, keyPath, passwordFile string) error {
	j, err := g.openJournal(cmd, f.root)
	if err != nil {
		return err
	}
	if out == "" {
		if j.c == nil {
			return j.done("", "", errors.New("say where the snapshot goes: -o FILE, or -o - for standard output (or give --case DIR)"))
		}
		host, _ := os.Hostname()
		if f.root != "/" {
			host = filepath.Base(filepath.Clean(f.root))
		}
		out, err = j.c.Path("snapshots/" + host + "-" + time.Now().UTC().Format("20060102T150405Z") + ".snap")
		if err != nil {
			return j.done("", "", err)
		}
	}
	if out != "-" && !f.force {
		// Before any password is asked or any file read: never replace what is there.
		if _, err := os.Lstat(out); err == nil {
			return j.done("", "", fmt.Errorf("%s exists and is never overwritten silently (it may be the only trusted baseline you have): choose another name, or add --force", out))
		}
	}
	var key *sealKey
	if keyPath != "" {
		if out == "-" {
			return j.done("", "", errors.New("a baseline needs -o FILE: its signature is written beside it as FILE.minisig"))
		}
		pw, err := loadKey(g, keyPath, passwordFile)
		if err != nil {
			return j.done("", "", err)
		}
		k, err := seal.LoadSecretKey(keyPath, pw)
		if err != nil {
			return j.done("", "", err)
		}
		key = &sealKey{k}
		if f.root == "/" {
			g.info("warning: sealing on the host being examined: if it is already compromised, so is this baseline. Prefer snapshot -o - and seal on your own machine.")
		}
	}
	fsys, err := hostfs.Open(f.root)
	if err != nil {
		return j.done("", "", err)
	}
	defer fsys.Close()
	var w *snapshot.Writer
	var exclude []string
	if out == "-" {
		w, err = snapshot.CreateMemory()
	} else {
		if hp, ok := hostPathOf(fsys.Dir(), out); ok {
			exclude = append(exclude, hp, filepath.Dir(hp)+"/."+filepath.Base(hp)+".tmp-*")
			exclude = append(exclude, hp+seal.SigSuffix)
		}
		if f.force {
			w, err = snapshot.Create(out)
		} else {
			w, err = snapshot.CreateNew(out)
		}
		if errors.Is(err, snapshot.ErrExists) {
			err = fmt.Errorf("%s exists and is never overwritten silently (it may be the only trusted baseline you have): choose another name, or add --force", out)
		}
	}
	if err != nil {
		return j.done("", "", err)
	}
	if tp := w.TempPath(); tp != "" {
		release := onInterrupt(func() { os.Remove(tp) })
		defer release()
	}
	ctx, cancel := interruptible()
	defer cancel()
	sum, err := g.take(ctx, f, fsys, w, exclude...)
	if err != nil {
		w.Abort()
		if ctx.Err() != nil {
			err = errors.New("interrupted: no snapshot was written")
		}
		return j.done("", "", err)
	}
	if err := w.Close(); err != nil {
		return j.done("", "", err)
	}
	dest := out
	if out == "-" {
		if _, err := w.WriteTo(g.stdout); err != nil {
			return j.done("", "", fmt.Errorf("write snapshot to standard output: %w", err))
		}
		dest = "standard output"
	}
	g.summary(sum, w, dest)
	j.facts["files"] = fmt.Sprint(sum.Files)
	j.facts["bytes_hashed"] = fmt.Sprint(sum.Bytes)
	j.facts["problems"] = fmt.Sprint(w.Count("problems"))
	j.output(out)
	if key != nil {
		r, err := snapshot.Open(out)
		if err != nil {
			return j.done("", "", err)
		}
		trusted := trustedComment(r)
		r.Close()
		sig, err := seal.Sign(out, key.k, trusted)
		if err != nil {
			return j.done("", "", err)
		}
		g.info("sealed -> %s; copy both files off this host", sig)
		j.output(sig)
	}
	if out != "-" {
		g.info("next: keep it off this host; compare later with: nowwhat diff --pubkey PREFIX.pub %s", out)
	}
	return j.done("", "", nil)
}

func baselineCmd(g *globals) *cobra.Command {
	f := &snapFlags{}
	var out, keyPath, passwordFile string
	cmd := &cobra.Command{
		Use:   "baseline [--root DIR] --key PREFIX.key -o FILE",
		Short: "Step 0: snapshot and seal in one go (a trusted record of the healthy host)",
		Long: `baseline takes a snapshot and signs it (FILE and FILE.minisig). Take one while the host is
healthy, after each planned change, and keep them off the host. The safer way, with the secret
key never on the server: 'ssh HOST sudo nowwhat snapshot -o - > FILE' then 'nowwhat seal'.`,
		Example: `  # a mounted image of a server, examined on your own machine
  nowwhat baseline --root /mnt/web1 --key ~/.nowwhat/admin.key -o web1-baseline.snap

  # on the server itself, to a USB stick
  sudo nowwhat baseline --key /media/usb/admin.key -o /media/usb/web1-$(date +%F).snap`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return errors.New("--key PREFIX.key is required (made by `nowwhat keygen`); to record without sealing use `nowwhat snapshot`")
			}
			if out == "" {
				return errors.New("-o FILE is required: the baseline and its signature FILE.minisig are written there")
			}
			return g.runSnapshot(cmd, f, out, keyPath, passwordFile)
		},
	}
	f.add(cmd, true)
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the baseline (FILE and FILE.minisig)")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing -o file (and its signature)")
	cmd.Flags().StringVar(&keyPath, "key", "", "secret key file (PREFIX.key)")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the key's password from this file instead of asking")
	return cmd
}
