package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/verify"
)

func init() { registerStep("verify", verifyCmd) }

func verifyCmd(g *globals) *cobra.Command {
	var root, format string
	var lift, apply bool
	bf := &baselineFlags{}
	cmd := &cobra.Command{
		Use:   "verify [--root DIR] --baseline FILE --pubkey P [--lift --apply]",
		Short: "Step 7: the gate before going back online (exit 0 only when nothing stands in the way)",
		Long: `verify exits 0 only when all of these hold:

  - a fresh check against the sealed baseline finds nothing unexplained above low (past events
    clean recorded, and back-door accounts clean locked and keeps, aside);
  - every clean step was applied (none interrupted or failed);
  - no flagged process runs;
  - rotate reports every credential rotated or explicitly waived;
  - the hole loophole named is closed by a harden change in force, or waived.

Otherwise it exits 1 and lists, in plain words, what still stands between the host and going
back online, each with the command that resolves it. On success it prints the exact contain
undo commands that lift the containment; --lift --apply runs them.`,
		Example: `  sudo nowwhat --case /cases/web1 verify --baseline web1.snap --pubkey admin.pub
  sudo nowwhat --case /cases/web1 verify --baseline web1.snap --pubkey admin.pub --lift --apply`,
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
			copt := check.Options{Root: root, UnsignedOK: bf.unsignedOK}
			if err := bf.apply(&copt); err != nil {
				return j.done("", "", err)
			}
			g.caseFacts(j, &copt)
			ctx, cancel := interruptible()
			defer cancel()
			res, err := verify.Run(ctx, verify.Options{Check: copt, CaseDir: g.caseDir})
			if err != nil {
				return j.done("", "", err)
			}
			var lifted []string
			var liftErr error
			if res.Ready && lift && apply {
				lifted, liftErr = verify.Lift(g.caseDir, root)
			}
			if format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				enc.Encode(res)
			} else {
				for _, p := range res.Passed {
					fmt.Fprintf(g.stdout, "ok: %s\n", p)
				}
				for _, a := range res.Answered {
					fmt.Fprintf(g.stdout, "ok: %s\n", textsafe.Escape(a))
				}
				if !res.Ready {
					fmt.Fprintf(g.stdout, "\nNOT READY to go back online: %d things stand in the way (check said %s)\n", len(res.Blockers), res.Verdict)
					for i, b := range res.Blockers {
						fmt.Fprintf(g.stdout, "%2d. %s\n    do: %s\n", i+1, textsafe.Escape(b.What), b.Fix)
					}
				} else {
					fmt.Fprintln(g.stdout, "\nREADY to go back online.")
					switch {
					case len(res.Lift) == 0:
						fmt.Fprintln(g.stdout, "No containment is in force in this case: nothing to lift.")
					case lift && apply:
						for _, l := range lifted {
							fmt.Fprintf(g.stdout, "LIFTED: %s\n", textsafe.Escape(l))
						}
					default:
						fmt.Fprintln(g.stdout, "Lift the containment, newest first (or: verify --lift --apply):")
						for _, l := range res.Lift {
							fmt.Fprintf(g.stdout, "  %s\n", textsafe.Escape(l))
						}
					}
				}
			}
			j.save("verify", res)
			j.facts["ready"] = fmt.Sprint(res.Ready)
			if liftErr != nil {
				return j.done("", "", liftErr)
			}
			if !res.Ready {
				return &ExitError{Code: 1, Err: j.done("not-ready", fmt.Sprintf("%d blockers", len(res.Blockers)), nil)}
			}
			if lift && !apply {
				fmt.Fprintln(g.stdout, "--lift plans only: add --apply to lift the containment")
			}
			return j.done("ready", "", nil)
		},
	}
	cmd.Flags().StringVar(&root, "root", "/", "root of the host: / for this host, or a mounted disk")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().BoolVar(&lift, "lift", false, "when ready, lift the containment (contain undo of every action in force)")
	cmd.Flags().BoolVar(&apply, "apply", false, "with --lift: carry it out")
	bf.add(cmd)
	_ = errors.New
	return cmd
}
