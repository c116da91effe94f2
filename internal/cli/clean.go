package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/clean"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

func init() { registerStep("clean", cleanCmd) }

func cleanCmd(g *globals) *cobra.Command {
	var root, format, fromFindings, restoreFrom, packagesFrom, keyring, noEvidence, inPlace string
	var apply, offline bool
	bf := &baselineFlags{}
	cmd := &cobra.Command{
		Use:   "clean [--root DIR] [--baseline FILE --pubkey P] [--from-findings FILE] [--apply]",
		Short: "Step 6: remove what the intruder left, restore what they changed (quarantined, undoable)",
		Long: `clean answers every finding of check (and investigate) with a step: the finding it answers,
the exact change, what is kept and how it is undone. Nothing changes without --apply.

Nothing is deleted. A removed file, link or folder goes to the case's quarantine (its bytes,
owner, mode, capabilities, times and SHA-256, 0600, never executable), and clean undo puts it
back byte for byte. Persistence is removed at its smallest unit, as the catalog of locations
says: a cron line, a unit with its enablement links, an authorized_keys line, a PAM or profile
line, a sudoers drop-in (the sudoers policy is parsed before and after), ld.so.preload, a
motd, APT or udev hook, a module autoload. A back-door account is locked and its shell taken
away, never deleted.

A changed packaged file is restored from the Debian package, fetched and verified in Go (the
suite's InRelease signed by Debian's archive keys, built into nowwhat or given with --keyring;
then the Packages index's SHA-256; then the .deb's; then the package's own md5sums), from the
mirrors of the host's APT sources or from --packages-from DIR. The host's dpkg and apt never run.
RPM-based hosts are not supported yet for this. A changed file no package owns (a site config,
sshd_config, application code) is restored from --restore-from DIR (a mounted restic or borg
snapshot, a disk snapshot, an rsync copy) only when the backup's bytes match the baseline's
digest; otherwise the step shows the change against the baseline and leaves it to you.

The order is enforced: clean refuses while a flagged process runs (contain suspend, then
collect), refuses to apply without a verified evidence archive in the case unless --no-evidence
"REASON", warns without containment, and where root was obtained or the way in is unknown opens
with a rebuild recommendation and needs --in-place "REASON".

Every applied step is journaled in the case's cleaning.jsonl (intent fsync'd before, outcome
after). Exit status: 0 planned or applied, 1 a step failed, 2 refused by a rule of order.`,
		Example: `  sudo nowwhat --case /cases/web1 clean --baseline web1.snap --pubkey admin.pub
  sudo nowwhat --case /cases/web1 clean --baseline web1.snap --pubkey admin.pub \
      --restore-from /mnt/backup-2026-11-20 --in-place "customer needs the box today" --apply
  nowwhat --case /cases/web1 clean --root /mnt/web1 --from-findings check.json --format json
  sudo nowwhat --case /cases/web1 clean status
  sudo nowwhat --case /cases/web1 clean undo --all --apply`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			j, err := g.openJournal(cmd, root)
			if err != nil {
				return err
			}
			copt := check.Options{UnsignedOK: bf.unsignedOK}
			if err := bf.apply(&copt); err != nil {
				return j.done("", "", err)
			}
			g.caseFacts(j, &copt)
			opt := clean.Options{Root: root, CaseDir: g.caseDir, Baselines: copt.Baselines, PubKey: copt.PubKey, UnsignedOK: copt.UnsignedOK,
				Notes: copt.Notes, Trust: copt.Trust, RestoreFrom: restoreFrom, PackagesFrom: packagesFrom, Keyring: keyring,
				Offline: offline, NoEvidence: noEvidence, InPlace: inPlace}
			if fromFindings != "" {
				fs, err := readFindings(fromFindings)
				if err != nil {
					return j.done("", "", err)
				}
				opt.Findings = fs
			}
			ctx, cancel := interruptible()
			defer cancel()
			done := func() {}
			if apply {
				done = criticalSection()
			}
			res, err := clean.Run(ctx, opt, apply)
			done()
			if res == nil {
				return j.done("", "", err)
			}
			if format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if werr := enc.Encode(res); werr != nil {
					return werr
				}
			} else {
				writeClean(g.stdout, res, g.caseDir)
			}
			j.save("clean", res)
			j.facts["steps"] = fmt.Sprint(len(res.Steps))
			j.facts["applied"] = fmt.Sprint(res.Applied)
			if res.InPlace != "" {
				j.facts["in_place"] = res.InPlace
			}
			if noEvidence != "" {
				j.facts["no_evidence"] = noEvidence
			}
			switch {
			case errors.Is(err, clean.ErrBlocked):
				return &ExitError{Code: 2, Err: j.done("refused", "a rule of order stops clean (see the gates)", errors.New("refused: see the gates above"))}
			case err != nil:
				return j.done("", "", err)
			case apply:
				return j.done("applied", fmt.Sprintf("%d steps applied, %d left to you", res.Applied, res.Manual), nil)
			}
			return j.done("planned", fmt.Sprintf("%d steps", len(res.Steps)), nil)
		},
	}
	cmd.PersistentFlags().StringVar(&root, "root", "/", "root of the host: / for this host, or a mounted disk")
	cmd.PersistentFlags().BoolVar(&apply, "apply", false, "carry the plan out (without it nothing changes)")
	bf.add(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringVar(&fromFindings, "from-findings", "", "answer the findings of this check JSON (nowwhat check --format json) instead of running check")
	cmd.Flags().StringVar(&restoreFrom, "restore-from", "", "a backup of the host (restic or borg mount, disk snapshot, rsync copy): changed files are restored from it when they match the baseline")
	cmd.Flags().StringVar(&packagesFrom, "packages-from", "", "a folder of .deb files (with the suites' InRelease and Packages files) filled on a clean machine")
	cmd.Flags().StringVar(&keyring, "keyring", "", "OpenPGP keyring (file or folder) of the archive keys, instead of Debian's built into nowwhat")
	cmd.Flags().BoolVar(&offline, "offline", false, "never fetch packages from the network (only --packages-from and the case's cache)")
	cmd.Flags().StringVar(&noEvidence, "no-evidence", "", "apply without a verified evidence archive in the case, for this reason (recorded)")
	cmd.Flags().StringVar(&inPlace, "in-place", "", "clean in place where a rebuild is recommended, for this reason (recorded for the report)")

	var all bool
	undo := &cobra.Command{
		Use:     "undo [--all] [--apply]",
		Short:   "Reverse the last clean run (or every applied step): quarantined files come back byte for byte",
		Example: "  sudo nowwhat --case /cases/web1 clean undo            # what would be undone\n  sudo nowwhat --case /cases/web1 clean undo --all --apply",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.cleanEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			in, err := contain.InForce(env.Journal)
			if err != nil {
				return err
			}
			if len(in) == 0 {
				fmt.Fprintln(g.stdout, "nothing to undo: no clean step in force ("+env.Journal.Path+")")
				return nil
			}
			if !all {
				in = contain.Latest(in)
			}
			j, err := g.openJournal(cmd, root)
			if err != nil {
				return err
			}
			var errs []error
			for _, e := range in {
				if !apply {
					fmt.Fprintf(g.stdout, "PLAN: undo %s %s (%s by %s): %s\n", e.Kind, textsafe.Escape(e.Target), e.Time, e.Operator, e.UndoHow)
					continue
				}
				if err := contain.Undo(env, e, ""); err != nil {
					errs = append(errs, err)
					fmt.Fprintf(g.stdout, "FAILED: undo %s %s: %v\n", e.Kind, textsafe.Escape(e.Target), err)
					continue
				}
				fmt.Fprintf(g.stdout, "UNDONE: %s %s\n", e.Kind, textsafe.Escape(e.Target))
			}
			if !apply {
				fmt.Fprintln(g.stdout, "  to do it: add --apply")
				return j.done("planned", "undo", nil)
			}
			return j.done("undone", fmt.Sprintf("%d steps", len(in)), errors.Join(errs...))
		},
	}
	undo.Flags().BoolVar(&all, "all", false, "every clean step in force, newest first")
	status := &cobra.Command{
		Use:     "status",
		Short:   "Which clean steps are in force, and what is left to do by hand",
		Example: "  sudo nowwhat --case /cases/web1 clean status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.cleanEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			es, bad, err := env.Journal.Entries()
			if err != nil {
				return err
			}
			for _, b := range bad {
				fmt.Fprintln(g.stderr, "warning: "+b)
			}
			n := 0
			for _, e := range es {
				if !e.InForce() {
					continue
				}
				n++
				state := e.Phase
				if e.Phase == contain.PhaseIntent {
					state = "interrupted while being applied: nowwhat clean undo puts back what it did"
				}
				fmt.Fprintf(g.stdout, "IN FORCE: %s %s (%s by %s, %s)\n", e.Kind, textsafe.Escape(e.Target), e.Time, e.Operator, state)
				for _, w := range e.What {
					fmt.Fprintf(g.stdout, "    %s\n", w)
				}
			}
			if n == 0 {
				fmt.Fprintln(g.stdout, "no clean step in force ("+env.Journal.Path+")")
			} else {
				fmt.Fprintf(g.stdout, "%d steps in force; nowwhat clean undo [--all] --apply reverses them (newest first)\n", n)
			}
			if j, err := g.openJournal(cmd, root); err == nil && j.c != nil {
				var r clean.Result
				if p, err := j.c.LatestResult("clean", &r); err == nil {
					m := 0
					for _, s := range r.Steps {
						if s.State == clean.StateManual || s.State == clean.StateRefused || s.State == clean.StateFailed {
							m++
							fmt.Fprintf(g.stdout, "LEFT TO DO (%s): step %d %s %s: %s\n", s.State, s.N, s.Kind, textsafe.Escape(s.Path+s.User), textsafe.Escape(s.Reason))
						}
					}
					if m > 0 {
						fmt.Fprintf(g.stdout, "%d steps of the last clean (%s) are left to you\n", m, p)
					}
				}
			}
			return nil
		},
	}
	cmd.AddCommand(undo, status)
	return cmd
}

// cleanEnv opens the host root with the case's clean journal.
func (g *globals) cleanEnv(root string) (*contain.Env, error) {
	if g.caseDir == "" {
		return nil, errors.New("clean keeps its journal and quarantine in the case folder: give --case DIR")
	}
	env, err := contain.NewEnv(root, clean.Journal(g.caseDir))
	if err != nil {
		return nil, err
	}
	env.Out = g.stderr
	return env, nil
}

// readFindings reads the findings of a check's JSON (its report, or a bare list).
func readFindings(p string) ([]finding.Finding, error) {
	data, err := localfile.ReadFile(p, "the JSON of nowwhat check --format json", 256<<20)
	if err != nil {
		return nil, fmt.Errorf("--from-findings: %w", err)
	}
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err == nil && rep.Findings != nil {
		return rep.Findings, nil
	}
	var list []finding.Finding
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("--from-findings %s: neither a check report nor a list of findings: %w", p, err)
	}
	return list, nil
}

// writeClean prints a plan or what was applied of it.
func writeClean(w io.Writer, r *clean.Result, caseDir string) {
	head := "CLEAN PLAN (nothing is changed without --apply)"
	if r.Command == "apply" {
		head = "CLEAN APPLIED"
	}
	fmt.Fprintf(w, "%s for %s\n", head, r.Root)
	base := r.Baseline
	if base == "" {
		base = "none"
	}
	fmt.Fprintf(w, "check said: %s; baseline: %s\n", r.Verdict, base)
	for _, gt := range r.Gates {
		if gt.Name == "rebuild" {
			fmt.Fprintf(w, "\n%s\n", gt.Message)
		}
	}
	fmt.Fprintln(w, "\nRules of order:")
	for _, gt := range r.Gates {
		mark := "ok     "
		switch {
		case !gt.OK && gt.Blocks:
			mark = "BLOCKS "
		case !gt.OK:
			mark = "warning"
		}
		msg := gt.Message
		if gt.Name == "rebuild" {
			msg = "in place: " + orNone(r.InPlace)
		}
		fmt.Fprintf(w, "  [%s] %s: %s\n", mark, gt.Name, msg)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", textsafe.Escape(wn))
	}
	fmt.Fprintln(w)
	for _, s := range r.Steps {
		subj := s.Path
		if s.User != "" && s.Kind == clean.StepAccount {
			subj = "account " + s.User
		} else if subj == "" && s.User != "" {
			subj = "about " + s.User
		}
		fmt.Fprintf(w, "step %d [%s] %s %s\n", s.N, s.State, s.Kind, textsafe.Escape(subj))
		for _, a := range s.Answers {
			fmt.Fprintf(w, "  answers: %s\n", textsafe.Escape(a))
		}
		for _, c := range s.Change {
			fmt.Fprintf(w, "  change:  %s\n", textsafe.Escape(c))
		}
		if s.Kept != "" {
			fmt.Fprintf(w, "  kept:    %s\n", s.Kept)
		}
		if s.Undo != "" && s.State != clean.StateManual && s.State != clean.StateRefused {
			fmt.Fprintf(w, "  undo:    %s\n", s.Undo)
		}
		if s.Then != "" {
			fmt.Fprintf(w, "  then:    %s\n", s.Then)
		}
		if s.Reason != "" {
			fmt.Fprintf(w, "  why:     %s\n", textsafe.Escape(s.Reason))
		}
		if s.Diff != "" {
			for _, l := range strings.Split(strings.TrimRight(s.Diff, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	if len(r.Steps) == 0 {
		fmt.Fprintln(w, "Nothing to clean: no unexplained finding above low.")
	}
	fmt.Fprintln(w)
	cs := "--case DIR "
	if caseDir != "" {
		cs = "--case " + caseDir + " "
	}
	switch {
	case r.Command == "apply":
		fmt.Fprintf(w, "%d steps applied, %d failed, %d left to you; journal %s\n", r.Applied, r.Failed, r.Manual, r.Journal)
		fmt.Fprintf(w, "undo: nowwhat %sclean undo --apply (this run) or clean undo --all --apply; then: nowwhat %sverify\n", cs, cs)
	case r.Blocked:
		fmt.Fprintln(w, "--apply is refused until the rules of order marked BLOCKS hold.")
	default:
		fmt.Fprintln(w, "to do it: add --apply")
	}
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
