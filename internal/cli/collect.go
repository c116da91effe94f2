package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/progress"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/collect"
)

// Exit status of collect: the archive is complete, incomplete (items failed, truncated or
// skipped: the manifest and collection.log say which), or there is no usable archive.
const (
	collectComplete   = 0
	collectIncomplete = 1
	collectFailed     = 3
)

func collectCmd(g *globals) *cobra.Command {
	var root, out, profile, maxFile, maxTotal string
	var recipients, recipientFiles, exclude []string
	var hostKeys, force bool
	cmd := &cobra.Command{
		Use:   "collect [--root DIR] -o FILE|- [--recipient AGE_PUBLIC_KEY ...] [--max-file-size SIZE]",
		Short: "Step 3: keep the evidence in a sealed, encrypted archive before anything is cleaned",
		Long: `collect gathers the evidence in the order of volatility (RFC 3227) into one standard archive:
tar, compressed with zstd and, with --recipient, encrypted with age to public keys whose secret
keys stay off this host. Most volatile first:

  1 live state: every process (command line, environment, status, memory map, open files; the
    program itself when its file was deleted or check flags it), network tables, kernel
    modules, mounts, who is logged in
  2 a snapshot of the host and check's findings
  3 logs, current and rotated, the journal's files, wtmp/btmp/lastlog, every user's histories
  4 configuration and persistence: /etc (shadow included), cron and at spools, each account's
    start-up files and SSH material (private host keys only with --host-keys)
  5 every file check flagged (implants, web shells, changed binaries)
  6 a bodyfile of the whole file system (for mactime or Plaso)
  --profile full adds temporary folders, web roots, /srv, /opt, /usr/local, spools and homes.

At the top of the archive: manifest.json (every item with its host path, SHA-256, size, times,
mode, owner, and how it was taken), collection.log (what was tried and what failed) and
custody.json (who ran it, from where, when, on which host, with which binary). They are written
last, once every digest is known, so the archive can stream. The archive's own SHA-256 is
printed at the end and written beside it (FILE.sha256).

It never changes the host: files are read without updating their access times, links are never
followed out of the root, FIFOs and devices are never opened. Unreadable files, files that change
while read and size caps are recorded, and the collection goes on.

Exit status: 0 complete, 1 incomplete (see the manifest's errors), 3 no usable archive.
Open it with everyday tools: age -d -i KEY FILE | zstd -d | tar -x`,
		Example: `  # from your own machine: nothing is written on the suspect host
  ssh web1 sudo nowwhat collect -o - --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p > web1.tar.zst.age

  # a mounted image of a dead host
  nowwhat collect --root /mnt/web1 -o /cases/web1/collect.tar.zst.age --recipient age1...

  # check it later, and analyse it on a clean machine
  nowwhat collect verify --identity ~/.nowwhat/case.agekey web1.tar.zst.age
  nowwhat check --evidence web1.tar.zst.age --identity ~/.nowwhat/case.agekey`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, root)
			if err != nil {
				return &ExitError{Code: collectFailed, Err: err}
			}
			fail := func(err error) error { return &ExitError{Code: collectFailed, Err: j.done("", "", err)} }
			if out == "" {
				return fail(errors.New("say where the archive goes: -o FILE, or -o - to stream it (ssh host sudo nowwhat collect -o - ... > host.tar.zst.age)"))
			}
			recs, names, err := parseRecipients(recipients, recipientFiles)
			if err != nil {
				return fail(err)
			}
			if root == "/" && os.Geteuid() != 0 {
				g.info("warning: not running as root: shadow, other users' files and most of /proc cannot be read; each miss is in the manifest. Use sudo for a full collection.")
			}
			if len(recs) == 0 {
				g.info("warning: no --recipient: the archive is not encrypted, and it holds /etc/shadow, environments and keys. Give --recipient age1... (age-keygen makes one on your own machine).")
			}
			opt := collect.Options{Root: root, Profile: profile, HostKeys: hostKeys, Exclude: exclude, Command: os.Args, Recipients: names}
			opt.Limits = collect.DefaultLimits(profile)
			// As snapshot and check: a file over 2 GiB is recorded, not hashed (a sparse giant
			// would otherwise cost minutes of reading zeros).
			opt.Check.Capture.MaxHashSize = 2 << 30
			if maxFile != "" {
				if opt.Limits.MaxFileSize, err = parseSize(maxFile); err != nil {
					return fail(fmt.Errorf("--max-file-size: %w", err))
				}
			}
			if maxTotal != "" {
				if opt.Limits.MaxTotal, err = parseSize(maxTotal); err != nil {
					return fail(fmt.Errorf("--max-total: %w", err))
				}
			}
			if g.caseDir != "" {
				if hp, ok := hostPathOf(root, g.caseDir); ok {
					opt.Exclude = append(opt.Exclude, hp)
				}
			}
			var dst io.Writer
			var file *os.File
			if out == "-" {
				if f, ok := g.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return fail(errors.New("-o - writes a binary archive to standard output, which is a terminal: redirect it (> host.tar.zst.age) or give -o FILE"))
				}
				dst = g.stdout
			} else {
				if hp, ok := hostPathOf(root, out); ok {
					opt.Exclude = append(opt.Exclude, hp) // never collect the archive itself
				}
				if w := casedir.PlacementOf("the archive "+out, filepath.Dir(out), root); w != "" {
					g.info("warning: %s", w)
				}
				flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				if _, err := os.Stat(root); err != nil {
					return fail(fmt.Errorf("--root %s: %w (give a folder holding the host's file system)", root, err))
				}
				file, err = os.OpenFile(out, flags, 0o600)
				if err != nil {
					if errors.Is(err, os.ErrExist) {
						err = fmt.Errorf("%s exists: an archive is never overwritten silently (choose another name, or --force)", out)
					}
					return fail(err)
				}
				defer file.Close()
				dst = file
			}
			ctx, cancel := interruptible()
			defer cancel()
			go func() {
				<-ctx.Done()
				finishing() // after a signal: time to write the manifest that says so
			}()
			start := time.Now()
			res, err := g.collectWithProgress(ctx, dst, recs, opt)
			if err == nil && file != nil {
				if err = file.Sync(); err == nil {
					err = file.Close()
				}
			}
			if err != nil {
				if file != nil {
					file.Close()
					if fi, serr := os.Stat(out); serr == nil && fi.Size() == 0 {
						os.Remove(out) // nothing was written: leave no empty archive behind
					}
				}
				return fail(err)
			}
			if file != nil {
				if err := os.WriteFile(out+".sha256", []byte(res.SHA256+"  "+filepath.Base(out)+"\n"), 0o600); err != nil {
					g.info("warning: could not write %s.sha256: %v", out, err)
				}
				j.output(out)
			}
			dest := out
			if out == "-" {
				dest = "standard output"
			}
			g.info("collected %d items (%s) in %s -> %s", res.Items, progress.Bytes(res.Size), time.Since(start).Round(100*time.Millisecond), dest)
			if m := res.Manifest; m != nil && m.Interrupted != "" {
				g.info("  INCOMPLETE: interrupted %s", textsafe.Escape(m.Interrupted))
				if len(m.NotAttempted) > 0 {
					g.info("  never attempted: %s", strings.Join(m.NotAttempted, ", "))
				}
			} else if res.Problems > 0 {
				g.info("  incomplete: %d items failed, were truncated or skipped; see collection.log and the errors in manifest.json", res.Problems)
			}
			if m := res.Manifest; m != nil {
				for _, gap := range m.NotCovered {
					g.info("  not covered: %s", textsafe.Escape(gap))
				}
			}
			fmt.Fprintf(g.stderr, "sha256 %s  %s\n", res.SHA256, dest)
			j.facts["sha256"] = res.SHA256
			j.facts["items"] = fmt.Sprint(res.Items)
			j.facts["problems"] = fmt.Sprint(res.Problems)
			outcome := "complete"
			if res.Problems > 0 {
				outcome = "incomplete"
			}
			if err := j.done(outcome, fmt.Sprintf("%d items, sha256 %s", res.Items, res.SHA256), nil); err != nil {
				return &ExitError{Code: collectFailed, Err: err}
			}
			if res.Problems > 0 {
				return &ExitError{Code: collectIncomplete}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "root", "/", "root of the host to collect: / for this host, or a mounted disk image")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the archive; - for standard output")
	cmd.Flags().StringArrayVarP(&recipients, "recipient", "r", nil, "encrypt to this age public key (age1...) or SSH public key (repeatable)")
	cmd.Flags().StringArrayVarP(&recipientFiles, "recipients-file", "R", nil, "encrypt to the public keys in this file, one per line (repeatable)")
	cmd.Flags().StringVar(&profile, "profile", collect.ProfileQuick, "quick, or full (adds temporary folders, web roots, /srv, /opt, /usr/local, spools, homes)")
	cmd.Flags().StringVar(&maxFile, "max-file-size", "", "copy at most this much of one file, recording the truncation (default 256M quick, 2G full)")
	cmd.Flags().StringVar(&maxTotal, "max-total", "", "copy at most this much in all (default 8G quick, no limit full; 0: no limit)")
	cmd.Flags().BoolVar(&hostKeys, "host-keys", false, "include the private SSH host keys (/etc/ssh/ssh_host_*_key)")
	cmd.Flags().StringArrayVar(&exclude, "exclude", nil, "leave this host path out (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing output file")
	cmd.AddCommand(collectVerifyCmd(g))
	return cmd
}

// collectWithProgress runs the collection with a meter on the terminal.
func (g *globals) collectWithProgress(ctx context.Context, dst io.Writer, recs []age.Recipient, opt collect.Options) (*collect.Result, error) {
	stats := &collect.Stats{}
	opt.Stats = stats
	m := progress.Start(g.stderr, progress.Enabled(os.Stderr, g.quiet) && g.stderr == os.Stderr, "collect", collectCounters{stats})
	defer m.Stop()
	return collect.Collect(ctx, dst, recs, opt)
}

type collectCounters struct{ s *collect.Stats }

func (c collectCounters) Progress() (int64, int64, int64, bool) {
	return c.s.Items.Load(), c.s.Bytes.Load(), 0, false
}

// parseRecipients reads age (age1...) and SSH public keys given on the command line or in files.
func parseRecipients(keys, files []string) ([]age.Recipient, []string, error) {
	var recs []age.Recipient
	var names []string
	add := func(s, where string) error {
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "#") {
			return nil
		}
		var r age.Recipient
		var err error
		if strings.HasPrefix(s, "ssh-") {
			r, err = agessh.ParseRecipient(s)
		} else {
			var rs []age.Recipient
			rs, err = age.ParseRecipients(strings.NewReader(s))
			if err == nil && len(rs) == 1 {
				r = rs[0]
			} else if err == nil {
				err = errors.New("expected one key")
			}
		}
		if err != nil {
			if strings.HasPrefix(s, "AGE-SECRET-KEY-") {
				return fmt.Errorf("%s: that is a secret key; give its public key (age-keygen -y KEYFILE prints it), and keep the secret key off this host", where)
			}
			return fmt.Errorf("%s: %q is not an age public key (age1...) or SSH public key: %w", where, finding.Clip(s, 80), err)
		}
		recs = append(recs, r)
		names = append(names, finding.Clip(s, 80))
		return nil
	}
	for _, k := range keys {
		if err := add(k, "--recipient"); err != nil {
			return nil, nil, err
		}
	}
	for _, f := range files {
		data, err := localfile.ReadFile(f, "a file of age or SSH public keys, one a line", 1<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("--recipients-file: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if err := add(line, f); err != nil {
				return nil, nil, err
			}
		}
	}
	return recs, names, nil
}

// loadIdentities reads age identities (AGE-SECRET-KEY-1... lines, as age-keygen writes) or an
// SSH private key.
func loadIdentities(file string) ([]age.Identity, error) {
	if file == "" {
		return nil, nil
	}
	data, err := localfile.ReadFile(file, "an age identity file or an SSH private key", 1<<20)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	if ids, err := age.ParseIdentities(bytes.NewReader(data)); err == nil {
		return ids, nil
	}
	id, err := agessh.ParseIdentity(data)
	if err != nil {
		return nil, fmt.Errorf("--identity %s: neither an age identity file nor an unencrypted SSH private key: %w", file, err)
	}
	return []age.Identity{id}, nil
}

func collectVerifyCmd(g *globals) *cobra.Command {
	var identity string
	cmd := &cobra.Command{
		Use:   "verify [--identity FILE] ARCHIVE",
		Short: "Check every item of an evidence archive against its manifest",
		Long: `verify reads the whole archive: it decrypts it (with --identity when it is encrypted), checks
the compression's checksums, the SHA-256 and size of every item against manifest.json, every
entry against the manifest, the manifest and the collection log against the custody record, and
the archive's own SHA-256 against ARCHIVE.sha256 when that file is there. One changed byte
anywhere makes it fail and say where.

Exit status: 0 verified and complete, 1 the archive does not verify, 2 it verifies but the
collection itself was incomplete (interrupted, limits reached, items that failed: it says
which), 3 it could not be read.`,
		Example: `  nowwhat collect verify --identity ~/.nowwhat/case.agekey web1.tar.zst.age
  nowwhat collect verify web1.tar.zst     # an archive made without --recipient`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := loadIdentities(identity)
			if err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			f, _, err := localfile.Open(args[0], "an evidence archive written by `nowwhat collect`")
			if err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			defer f.Close()
			h := sha256.New()
			rep, err := collect.Verify(io.TeeReader(f, h), ids)
			if err != nil {
				return &ExitError{Code: 3, Err: fmt.Errorf("%s: %w", args[0], err)}
			}
			io.Copy(h, f) // the digest covers the whole file, also what follows a damaged part
			sum := hex.EncodeToString(h.Sum(nil))
			problems := rep.Problems
			sidecar := "no " + filepath.Base(args[0]) + ".sha256 beside it to compare with"
			if data, err := localfile.ReadFile(args[0]+".sha256", "", 4<<10); err == nil {
				want := strings.Fields(string(data))
				if len(want) == 0 || want[0] != sum {
					problems = append(problems, fmt.Sprintf("the archive's SHA-256 is %s, %s.sha256 says %s: the archive file was changed", sum, args[0], strings.Join(want[:min(1, len(want))], "")))
				} else {
					sidecar = "matches " + filepath.Base(args[0]) + ".sha256"
				}
			}
			if len(problems) > 0 || rep.Manifest == nil {
				fmt.Fprintf(g.stdout, "FAILED: %s does not verify (%d problems)\n", args[0], len(problems))
				for _, p := range problems {
					fmt.Fprintln(g.stdout, "  "+esc(p))
				}
				return &ExitError{Code: 1}
			}
			m := rep.Manifest
			fmt.Fprintf(g.stdout, "verified: %s\n", args[0])
			fmt.Fprintf(g.stdout, "  %d items checked against manifest.json (%d entries), custody record consistent\n", rep.Checked, rep.Entries)
			fmt.Fprintf(g.stdout, "  sha256 %s (%s)\n", sum, sidecar)
			host := m.Host["host.hostname"]
			fmt.Fprintf(g.stdout, "  host %s, collected %s, nowwhat %s, profile %s, encrypted %v\n", esc(host), esc(m.CollectedAt), esc(m.ToolVersion), esc(m.Profile), rep.Encrypted)
			if rep.Custody != nil {
				fmt.Fprintf(g.stdout, "  collected by %s (%s)\n", esc(rep.Custody.Operator), esc(rep.Custody.From))
			}
			if m.Complete {
				fmt.Fprintln(g.stdout, "  complete: the final manifest says every item was taken")
				return nil
			}
			writeIncomplete(g.stdout, m)
			return &ExitError{Code: 2}
		},
	}
	cmd.Flags().StringVarP(&identity, "identity", "i", "", "age identity file (or SSH private key) that opens an encrypted archive")
	return cmd
}

// writeIncomplete says why an intact archive is not a complete collection: where it was
// interrupted and what it never attempted, the limits it reached, the items that failed.
func writeIncomplete(w io.Writer, m *collect.Manifest) {
	n := 0
	var first []string
	for _, it := range m.Items {
		if it.Error != "" {
			n++
			if len(first) < 5 {
				first = append(first, textsafe.Escape(orDash(it.Path))+": "+textsafe.Escape(it.Error))
			}
		}
	}
	if m.Interrupted != "" {
		fmt.Fprintf(w, "  INCOMPLETE, interrupted %s\n", textsafe.Escape(m.Interrupted))
		if len(m.NotAttempted) > 0 {
			fmt.Fprintf(w, "  never attempted: %s\n", textsafe.Escape(strings.Join(m.NotAttempted, ", ")))
		}
	} else {
		fmt.Fprintf(w, "  INCOMPLETE collection (as recorded when it was made): %d items with errors\n", n)
	}
	for _, gap := range m.NotCovered {
		fmt.Fprintf(w, "  not covered: %s\n", textsafe.Escape(gap))
	}
	for _, f := range first {
		fmt.Fprintf(w, "  e.g. %s\n", f)
	}
	if n > len(first) {
		fmt.Fprintf(w, "  ... %d more items with errors in manifest.json and collection.log\n", n-len(first))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// addEvidenceFlags adds --evidence and --identity to an analysis command.
func addEvidenceFlags(cmd *cobra.Command, archive, identity *string) {
	cmd.Flags().StringVar(archive, "evidence", "", "analyse an evidence archive made by nowwhat collect instead of a root (verified first)")
	cmd.Flags().StringVar(identity, "identity", "", "age identity file (or SSH private key) that opens an encrypted --evidence archive")
}

// openEvidence verifies an evidence archive while extracting it into a private temporary folder
// of this (the analyst's) machine; cleanup removes the folder.
func (g *globals) openEvidence(archive, identity string, only ...string) (string, func(), error) {
	ids, err := loadIdentities(identity)
	if err != nil {
		return "", nil, err
	}
	f, _, err := localfile.Open(archive, "an evidence archive written by `nowwhat collect`")
	if err != nil {
		return "", nil, fmt.Errorf("--evidence: %w", err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "nowwhat-evidence-")
	if err != nil {
		return "", nil, fmt.Errorf("--evidence: a folder to extract into: %w", err)
	}
	release := onInterrupt(func() { os.RemoveAll(dir) }) // decrypted evidence never outlives the run
	cleanup := func() { os.RemoveAll(dir); release() }
	rep, err := collect.Extract(f, ids, dir, collect.ExtractOptions{Only: only})
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("--evidence %s: %w", archive, err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "snapshot", "host.snap")); err != nil || !fi.Mode().IsRegular() {
		cleanup()
		return "", nil, fmt.Errorf("--evidence %s: the archive holds no snapshot (its collection.log says why)", archive)
	}
	host := ""
	if rep.Manifest != nil {
		host = rep.Manifest.Host["host.hostname"]
	}
	g.info("evidence: %s verified (%d items) and opened; host %s", archive, rep.Checked, host)
	return dir, cleanup, nil
}
