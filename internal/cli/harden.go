package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/harden"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

func init() { registerStep("harden", hardenCmd) }

func (g *globals) hardenEnv(root string) (*contain.Env, error) {
	dir := g.caseDir
	if dir == "" {
		if root != "/" && root != "" {
			return nil, errors.New("give a case folder (--case DIR) to keep the hardening journal of a mounted root")
		}
		dir = defaultStateDir
	}
	j, err := harden.OpenJournal(dir)
	if err != nil {
		return nil, err
	}
	env, err := contain.NewEnv(root, j)
	if err != nil {
		return nil, err
	}
	env.Out = g.stderr
	return env, nil
}

func hardenCmd(g *globals) *cobra.Command {
	var root string
	var apply, noRollback bool
	var only []string
	var rollback time.Duration
	cmd := &cobra.Command{
		Use:   "harden [--root DIR] [--apply] [--only ID...]",
		Short: "Step 6: close the hole and harden, with rollback",
		Long: `harden proposes a short set of changes: first those that close the holes nowwhat loophole named
(read from the case), then general ones. Each comes with its id, why, the exact change, how it
is checked and how it is undone. Nothing changes without --apply.

Applied changes are journaled in the case's hardening.jsonl (intent before, outcome after) and
undone with nowwhat harden undo. Changes to sshd and the firewall roll back by themselves after
--rollback-after unless you run nowwhat harden confirm after checking that a new login works.
Before passwords are turned off, your own login is looked up in the host's logs (by your SSH
connection's address and port): a password login, or a key sshd would no longer take from your
address, is refused with the reason. The SSH rate limit (nftables, through netlink) exempts your
address, and is refused when you are on SSH but your address cannot be told. Web server and
PHP-FPM changes name the reload that applies them; harden does not run it.

Changes: ssh-no-password, ssh-limits, ssh-rate-limit, php-uploads-noexec (nginx and Apache),
php-disable-functions (PHP-FPM pools), unattended-upgrades, sysctl-baseline, auditd-rules,
log-retention. harden status says which holes are closed (what verify reads).`,
		Example: `  sudo nowwhat --case /cases/web1 harden                 # the plan
  sudo nowwhat --case /cases/web1 harden --only ssh-no-password --apply
  sudo nowwhat --case /cases/web1 harden --only ssh-rate-limit --apply --rollback-after 10m
  sudo nowwhat --case /cases/web1 harden confirm
  sudo nowwhat --case /cases/web1 harden status
  sudo nowwhat --case /cases/web1 harden undo --apply`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			j, err := g.openJournal(cmd, root)
			if err != nil {
				return err
			}
			var lr *loophole.Report
			if j.c != nil {
				var r loophole.Report
				if _, err := j.c.LatestResult("loophole", &r); err == nil {
					lr = &r
				}
			}
			if lr == nil {
				g.info("no loophole result in the case: general changes only (nowwhat --case DIR loophole names the hole first)")
			}
			defs := harden.Plan(lr)
			if len(only) > 0 {
				var sel []*harden.Def
				for _, id := range only {
					for _, x := range strings.Split(id, ",") {
						d := harden.Lookup(strings.TrimSpace(x))
						if d == nil {
							if strings.Contains(x, ":") {
								fmt.Fprintf(g.stdout, "%s: not a change harden makes; do it by hand (see nowwhat loophole)\n", x)
								continue
							}
							return fmt.Errorf("--only %s: no such change (ids: %s)", x, ids())
						}
						sel = append(sel, d)
					}
				}
				defs = sel
			} else if env.Root != "/" {
				// The firewall change acts on the running system: on a mounted root it is left
				// out of the plan (asked for by name, it is refused with the reason).
				var kept []*harden.Def
				for _, d := range defs {
					if d.Firewall {
						fmt.Fprintf(g.stdout, "LEFT OUT: %s: it changes the running firewall, and %s is a mounted root (run harden on the host itself)\n\n", d.ID, textsafe.Escape(env.Root))
						continue
					}
					kept = append(kept, d)
				}
				defs = kept
			}
			var errs []error
			applied := 0
			for _, d := range defs {
				ch := harden.Change{Def: d, Rollback: rollback, Folders: harden.UploadFolders(lr)}
				if noRollback {
					ch.Rollback = 0
				}
				out, err := contain.Run(env, ch, apply)
				if err != nil {
					fmt.Fprintf(g.stdout, "REFUSED/FAILED: %s: %v\n\n", d.ID, err)
					errs = append(errs, err)
					continue
				}
				g.printHarden(d, out, apply)
				if out.Applied {
					applied++
					if !out.Plan.Expires.IsZero() {
						if err := g.startHardenWatch(out.ID, root); err != nil {
							errs = append(errs, err)
						}
					}
				}
			}
			if !apply {
				fmt.Fprintln(g.stdout, "to do it: add --apply (and --only ID to pick)")
			}
			j.save("harden", map[string]any{"applied": applied, "journal": env.Journal.Path})
			return j.done("", fmt.Sprintf("%d changes applied", applied), errors.Join(errs...))
		},
	}
	cmd.PersistentFlags().StringVar(&root, "root", "/", "root of the host: / for this host, or a mounted disk")
	cmd.PersistentFlags().BoolVar(&apply, "apply", false, "carry the plan out (without it nothing changes)")
	cmd.Flags().StringArrayVar(&only, "only", nil, "only these change ids (repeatable or comma separated)")
	cmd.Flags().DurationVar(&rollback, "rollback-after", harden.DefaultRollback, "sshd and firewall changes roll back after this long unless confirmed")
	cmd.Flags().BoolVar(&noRollback, "no-rollback", false, "no automatic rollback of sshd and firewall changes")

	confirm := &cobra.Command{Use: "confirm", Short: "Keep the sshd changes: cancel their automatic rollback", Args: cobra.NoArgs,
		Example: "  sudo nowwhat harden confirm",
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			n, err := contain.Confirm(env.Journal)
			if err == nil {
				fmt.Fprintf(g.stdout, "confirmed %d changes: they stay until nowwhat harden undo --apply\n", n)
			}
			return err
		}}
	var all bool
	undo := &cobra.Command{Use: "undo [--apply] [--all]", Short: "Put back the last hardening change (or all)", Args: cobra.NoArgs,
		Example: "  sudo nowwhat harden undo --all --apply",
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			in, err := contain.InForce(env.Journal)
			if err != nil {
				return err
			}
			if !all && len(in) > 1 {
				in = in[:1]
			}
			for _, e := range in {
				if !apply {
					fmt.Fprintf(g.stdout, "PLAN: undo %s %s: %s\n", e.Kind, e.Target, e.UndoHow)
					continue
				}
				if err := contain.Undo(env, e, ""); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "UNDONE: %s %s\n", e.Kind, e.Target)
			}
			if len(in) == 0 {
				fmt.Fprintln(g.stdout, "nothing to undo")
			}
			return nil
		}}
	undo.Flags().BoolVar(&all, "all", false, "every change in force, newest first")
	status := &cobra.Command{Use: "status", Short: "Which changes are in force, and which holes are closed", Args: cobra.NoArgs,
		Example: "  sudo nowwhat --case /cases/web1 harden status",
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			in, err := contain.InForce(env.Journal)
			if err != nil {
				return err
			}
			for _, e := range in {
				state := e.Phase
				if e.Expires != "" && e.Phase != contain.PhaseConfirmed {
					state += ", rolls back at " + e.Expires + " unless confirmed"
				}
				fmt.Fprintf(g.stdout, "IN FORCE: %s %s (%s)\n", e.Kind, e.Target, state)
			}
			if g.caseDir != "" {
				j, err := g.openJournal(cmd, root)
				if err == nil && j.c != nil {
					var r loophole.Report
					if _, err := j.c.LatestResult("loophole", &r); err == nil {
						st, err := harden.CheckHoles(&r, env.Journal, env.FS, 0)
						if err != nil {
							return err
						}
						for _, s := range st {
							fmt.Fprintln(g.stdout, holeLine(s))
						}
					}
				}
			}
			if len(in) == 0 {
				fmt.Fprintln(g.stdout, "no hardening change in force ("+env.Journal.Path+")")
			}
			return nil
		}}
	var reason string
	waive := &cobra.Command{Use: "waive HOLE --reason TEXT", Short: "Record that a hole stays open on purpose", Args: cobra.ExactArgs(1),
		Example: `  nowwhat --case /cases/web1 harden waive "exposed-service redis" --reason "private network only"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason: say why the hole stays open")
			}
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			return harden.Waive(env.Journal, args[0], reason)
		}}
	waive.Flags().StringVar(&reason, "reason", "", "why the hole stays open")
	var watchID string
	watch := &cobra.Command{Use: "rollback-watch --id ID", Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.hardenEnv(root)
			if err != nil {
				return err
			}
			defer env.Close()
			return contain.Watch(env, watchID, time.Second)
		}}
	watch.Flags().StringVar(&watchID, "id", "", "the change's id in the journal")
	cmd.AddCommand(confirm, undo, status, waive, watch)
	return cmd
}

func ids() string {
	var out []string
	for _, d := range harden.Catalog {
		out = append(out, d.ID)
	}
	return strings.Join(out, ", ")
}

func (g *globals) printHarden(d *harden.Def, out *contain.Outcome, apply bool) {
	w := g.stdout
	p := out.Plan
	if p.Noop != "" {
		fmt.Fprintf(w, "OK: %s: %s\n\n", d.ID, p.Noop)
		return
	}
	verb := "PLAN"
	if out.Applied {
		verb = "DONE"
	}
	fmt.Fprintf(w, "%s: [%s] %s\n  why: %s\n", verb, d.ID, d.Title, d.Why)
	if d.Ref != "" {
		fmt.Fprintf(w, "  maps to: %s\n", d.Ref)
	}
	for _, s := range p.What {
		fmt.Fprintf(w, "  %s\n", s)
	}
	fmt.Fprintf(w, "  checked: %s\n  undo: %s\n", d.Check, p.UndoHow)
	for _, s := range p.Warn {
		fmt.Fprintf(w, "  note: %s\n", s)
	}
	fmt.Fprintln(w)
}

// startHardenWatch starts the detached process that rolls a change back at its time.
func (g *globals) startHardenWatch(id, root string) error {
	pid, err := g.startDetached([]string{"harden", "rollback-watch", "--id", id, "--root", root, "--quiet"})
	if err != nil {
		return fmt.Errorf("start the rollback timer: %w (undo by hand: nowwhat harden undo --apply)", err)
	}
	fmt.Fprintf(g.stdout, "  rollback timer running (pid %d): unless you run nowwhat harden confirm, the change is put back\n\n", pid)
	return nil
}

// holeLine says in one line whether a hole is closed, and what closes it if not.
func holeLine(s harden.HoleState) string {
	name := textsafe.Escape(s.Hole)
	if s.Used {
		name += " (the way in)"
	}
	switch {
	case s.Closed:
		return "HOLE " + name + ": CLOSED by " + textsafe.Escape(s.By)
	case len(s.Problems) > 0:
		return "HOLE " + name + ": OPEN: " + s.Fix + " is journaled but not on the host: " + textsafe.Escape(strings.Join(s.Problems, "; "))
	case harden.Manual(s.Fix):
		return "HOLE " + name + ": OPEN: done by hand (" + s.Fix + "); nowwhat loophole no longer naming it shows it done, or record why it stays: nowwhat harden waive"
	case s.Fix != "":
		return "HOLE " + name + ": OPEN: close it with nowwhat harden --only " + s.Fix + " --apply (and harden confirm)"
	}
	return "HOLE " + name + ": OPEN"
}
