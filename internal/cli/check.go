package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/progress"
	"github.com/nowwhat/nowwhat/internal/probe/filescan"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

func checkCmd(g *globals) *cobra.Command {
	f := &snapFlags{}
	var format, snap string
	var all, packagesOnly bool
	bf := &baselineFlags{}
	var evidenceFile, identity string
	cmd := &cobra.Command{
		Use:   "check [--root DIR] [--baseline FILE --pubkey PREFIX.pub] [--format text|json]",
		Short: "Step 1: is this server really compromised? A verdict backed by evidence",
		Long: `check looks for what intruders leave: modified system programs, persistence (cron, systemd,
rc.local, profiles, motd, APT and udev hooks, kernel modules, ld.so.preload, PAM, sudo, SSH keys),
extra root accounts, setuid and capability back doors, implants in temporary and hidden folders,
web shells, reverse shells, miners, emptied logs and histories, and on a live host hidden and
disguised processes. Each finding says what explains it, if anything: a package operation
(dpkg.log, apt history), an administrator's session or sudo command (auth.log, the journal), a
change note (nowwhat note), or the baseline.

With --baseline it also reports every security-relevant change since that trusted snapshot.
--snapshot FILE judges a snapshot taken earlier (for example on the host, with snapshot -o -),
on a clean machine.

Exit status follows the monitoring-plugin convention (Nagios, Icinga, Sensu):
0 clean, 1 suspicious, 2 compromised, 3 unknown (could not run, or could not cover enough).`,
		Example: `  sudo nowwhat check
  sudo nowwhat check --baseline web1-baseline.snap --pubkey admin.pub
  nowwhat check --root /mnt/web1-disk --format json | jq '.findings[] | select(.explained | not)'
  ssh web1 sudo nowwhat snapshot -o - > web1.snap && nowwhat check --snapshot web1.snap
  sudo nowwhat check --packages     # only package verification, like debsums -s
  nowwhat check --evidence web1.tar.zst.age --identity case.agekey   # on a clean machine`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &ExitError{Code: 3, Err: fmt.Errorf("--format %q: use text or json", format)}
			}
			target := f.root
			if snap != "" || evidenceFile != "" {
				target = ""
			}
			j, err := g.openJournal(cmd, target)
			if err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			fail := func(err error) error { return &ExitError{Code: 3, Err: j.done("", "", err)} }
			if evidenceFile != "" {
				if snap != "" {
					return fail(errors.New("give --snapshot or --evidence, not both"))
				}
				dir, cleanup, err := g.openEvidence(evidenceFile, identity, "snapshot/")
				if err != nil {
					return fail(err)
				}
				defer cleanup()
				snap = filepath.Join(dir, "snapshot", "host.snap")
			}
			opt := check.Options{Root: f.root, Snapshot: snap, UnsignedOK: bf.unsignedOK, PackagesOnly: packagesOnly}
			if err := bf.apply(&opt); err != nil {
				return fail(err)
			}
			g.caseFacts(j, &opt)
			stats := &filescan.Stats{}
			opt.Capture.Stats = stats
			if opt.Capture.MaxHashSize, err = parseSize(f.maxHashSize); err != nil {
				return fail(err)
			}
			if g.caseDir != "" {
				if hp, ok := hostPathOf(f.root, g.caseDir); ok {
					opt.Capture.Exclude = append(opt.Capture.Exclude, hp)
				}
			}
			opt.Capture.Exclude = append(opt.Capture.Exclude, f.exclude...)
			ctx, cancel := interruptible()
			defer cancel()
			var m *progress.Meter
			if snap == "" {
				m = g.meter("check", stats)
			}
			rep, err := check.Run(ctx, opt)
			if m != nil {
				m.Stop()
			}
			if err != nil {
				return fail(err)
			}
			if format == "json" {
				err = rep.WriteJSON(g.stdout)
			} else {
				err = rep.WriteText(g.stdout, check.TextOptions{All: all})
			}
			if err != nil {
				return fail(err)
			}
			j.save("check", rep)
			j.facts["verdict"] = string(rep.Verdict)
			j.facts["findings"] = fmt.Sprint(len(rep.Findings))
			if err := j.done(string(rep.Verdict), rep.Summary, nil); err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			if code := rep.Verdict.ExitCode(); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	f.add(cmd, false)
	bf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringVar(&snap, "snapshot", "", "judge this snapshot file instead of taking one of --root")
	addEvidenceFlags(cmd, &evidenceFile, &identity)
	cmd.Flags().BoolVar(&all, "all", false, "list every explained and informational finding")
	cmd.Flags().BoolVar(&packagesOnly, "packages", false, "only verify installed packages' files against their recorded digests (like debsums, much faster)")
	return cmd
}

func noteCmd(g *globals) *cobra.Command {
	var paths []string
	cmd := &cobra.Command{
		Use:   "note TEXT",
		Short: "Record a planned change in the case, so check can tell it from an intruder's",
		Long: `note records who plans what (UTC time, operator, text, optional paths) in the case folder.
check then explains a matching change (a path or file, service or account name mentioned in the
text, within two days) by the note instead of calling it suspicious. Needs --case or NOWWHAT_CASE.`,
		Example: `  nowwhat --case /media/usb/case note "alice adds the backup cron job /etc/cron.d/backup"
  nowwhat note --path /etc/nginx/ "new TLS certificate and nginx reload"`,
		GroupID: "steps",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, "")
			if err != nil {
				return err
			}
			if j.c == nil {
				return errors.New("a note goes into a case folder: give --case DIR or set NOWWHAT_CASE")
			}
			n := casedir.Note{Text: args[0], Paths: paths}
			if err := j.c.AddNote(n); err != nil {
				return j.done("", "", err)
			}
			fmt.Fprintf(g.stdout, "noted in %s: %s\n", j.c.Dir, args[0])
			j.facts["note"] = args[0]
			return j.done("note", args[0], nil)
		},
	}
	cmd.Flags().StringArrayVar(&paths, "path", nil, "a path the change touches (repeatable; a folder covers what is below it)")
	return cmd
}
