package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// defaultStateDir keeps the containment journal when there is no case folder: on the host
// being contained (undo must find it after a reboot).
const defaultStateDir = "/var/lib/nowwhat"

// containFlags are shared by the contain subcommands.
type containFlags struct {
	root  string
	apply bool
	group string // set when one command makes several actions that undo reverses together
}

func (g *globals) containEnv(f *containFlags) (*contain.Env, error) {
	dir := g.caseDir
	if dir == "" {
		if f.root != "/" && f.root != "" {
			return nil, errors.New("give a case folder (--case DIR) to keep the containment journal of a mounted root")
		}
		dir = defaultStateDir
	}
	j, err := contain.OpenJournal(dir)
	if err != nil {
		return nil, err
	}
	env, err := contain.NewEnv(f.root, j)
	if err != nil {
		return nil, err
	}
	env.Out = g.stderr
	env.Group = f.group
	return env, nil
}

// runAction plans (and with --apply carries out) one action, printing the plan or the outcome.
func (g *globals) runAction(cmd *cobra.Command, f *containFlags, a contain.Action) error {
	env, err := g.containEnv(f)
	if err != nil {
		return err
	}
	defer env.Close()
	j, err := g.openJournal(cmd, f.root)
	if err != nil {
		return err
	}
	done := func() {}
	if f.apply {
		done = criticalSection() // a signal waits until the journal says what was done
	}
	out, err := contain.Run(env, a, f.apply)
	done()
	if err != nil {
		if errors.Is(err, contain.ErrRefused) {
			return &ExitError{Code: 2, Err: j.done("refused", err.Error(), err)}
		}
		return j.done("", "", err)
	}
	g.printPlan(env, a, out, f.apply)
	j.facts["action"] = a.Kind() + " " + a.Target()
	if out.Applied {
		j.facts["containment_id"] = out.ID
		return j.done("applied", strings.Join(out.Plan.What, "; "), nil)
	}
	return j.done("planned", strings.Join(out.Plan.What, "; "), nil)
}

func (g *globals) printPlan(env *contain.Env, a contain.Action, out *contain.Outcome, apply bool) {
	p := out.Plan
	w := g.stdout
	if p.Noop != "" {
		fmt.Fprintf(w, "NOTHING TO DO: %s\n", esc(p.Noop))
		return
	}
	if out.Applied {
		fmt.Fprintf(w, "DONE: %s %s\n", a.Kind(), esc(a.Target()))
	} else {
		fmt.Fprintf(w, "PLAN: %s %s (nothing is changed without --apply)\n", a.Kind(), esc(a.Target()))
	}
	for _, s := range p.What {
		if strings.HasPrefix(s, "  ") {
			fmt.Fprintf(w, "    %s\n", esc(strings.TrimSpace(s)))
		} else {
			fmt.Fprintf(w, "  - %s\n", esc(s))
		}
	}
	if env.Live && env.Operator.SSH {
		fmt.Fprintf(w, "  safety: %s\n", esc(env.Operator.Describe()))
	}
	for _, s := range p.Warn {
		fmt.Fprintf(w, "  note: %s\n", esc(s))
	}
	fmt.Fprintf(w, "  undo: %s\n", esc(p.UndoHow))
	if out.Applied {
		fmt.Fprintf(w, "  journal: %s (id %s); nowwhat contain undo --apply reverses it\n", env.Journal.Path, out.ID)
	} else if !apply {
		fmt.Fprintf(w, "  to do it: add --apply\n")
	}
}

func containCmd(g *globals) *cobra.Command {
	f := &containFlags{}
	var fromFindings bool
	cmd := &cobra.Command{
		Use:   "contain SUBCOMMAND [--apply]",
		Short: "Step 2: stop the damage, keep the rest running, never lock yourself out",
		Long: `contain takes only the affected part offline: one service (stopped and masked), the network
(cut off except your own SSH session and the addresses you allow, rolling itself back unless
confirmed), malicious processes (killed, or suspended for memory forensics), an account
(locked) or an SSH key (revoked).

Every subcommand prints its plan and changes nothing until you add --apply. Each applied action
is written to the containment journal (the case folder's containment.jsonl, or
/var/lib/nowwhat without one) with fsync before the change: what, who, when and how to undo, so
nowwhat contain undo works after a crash or a reboot. Plans that would cut your own SSH session,
stop PID 1 or this program, or lock your own account are refused (exit status 2).

--from-findings runs check and proposes a plan from its findings for you to approve.`,
		Example: `  nowwhat contain --from-findings
  sudo nowwhat contain service nginx --apply
  sudo nowwhat contain isolate --allow 192.0.2.10 --apply     # rolls back in 5 minutes...
  sudo nowwhat contain confirm                                # ...unless confirmed
  sudo nowwhat contain suspend 4242 --apply
  sudo nowwhat contain status
  sudo nowwhat contain undo --apply`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !fromFindings {
				return cmd.Help()
			}
			return g.proposeFromFindings(f)
		},
	}
	cmd.PersistentFlags().StringVar(&f.root, "root", "/", "root of the host: / for this host, or a mounted disk (services, accounts and keys only)")
	cmd.PersistentFlags().BoolVar(&f.apply, "apply", false, "carry the plan out (without it nothing changes)")
	cmd.Flags().BoolVar(&fromFindings, "from-findings", false, "run check and propose a containment plan from its findings")

	service := &cobra.Command{
		Use:   "service NAME",
		Short: "Stop a service and mask it (and its socket) so nothing restarts it",
		Long: `service stops the unit over systemd's D-Bus API (never the host's systemctl) and masks it,
and its .socket when there is one, as systemctl mask does: a link to /dev/null in
/etc/systemd/system. A unit file an administrator put there is kept in the journal and put back
by undo. ssh, dbus, journald and logind are refused. On a mounted root (--root) the units are
masked on disk. --maintenance then serves the maintenance page on the ports the service listened on.`,
		Example: `  sudo nowwhat contain service nginx            # the plan
  sudo nowwhat contain service nginx --apply --maintenance
  nowwhat --case /cases/web1 contain service php8.2-fpm --root /mnt/web1 --apply`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			maint, _ := cmd.Flags().GetBool("maintenance")
			if maint && f.apply {
				return g.serviceWithMaintenance(cmd, f, args[0])
			}
			return g.runAction(cmd, f, contain.Service{Name: args[0]})
		},
	}
	service.Flags().Bool("maintenance", false, "after stopping it, serve the maintenance page on the ports it listened on")

	var allow []string
	var dns, noRollback bool
	var rollback time.Duration
	isolate := &cobra.Command{
		Use:   "isolate [--allow ADDR ...] [--apply] [--rollback-after DURATION | --no-rollback]",
		Short: "Cut the host off the network, except your SSH session and the addresses you allow",
		Long: `isolate adds an nftables table (inet nowwhat_isolate) through netlink, never the host's nft: it
drops everything in, out and routed, except loopback, IPv6 neighbour discovery, your own SSH
connection (found from SSH_CONNECTION or the socket table of the sshd you came through) and new
SSH connections from your address, the --allow addresses and networks, and DNS with --dns.

Unless --no-rollback, the isolation removes itself after --rollback-after (5 minutes) unless you
run nowwhat contain confirm: a mistake never locks you out for good.`,
		Example: `  sudo nowwhat contain isolate --allow 192.0.2.10 --allow 198.51.100.0/24
  sudo nowwhat contain isolate --allow 192.0.2.10 --dns --apply
  sudo nowwhat contain confirm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			iso := contain.Isolate{DNS: dns, Rollback: rollback}
			if noRollback {
				iso.Rollback = 0
			} else if rollback <= 0 {
				return errors.New("--rollback-after must be positive (or --no-rollback)")
			}
			for _, a := range allow {
				p, err := contain.ParseAllow(a)
				if err != nil {
					return err
				}
				iso.Allow = append(iso.Allow, p)
			}
			if err := g.runAction(cmd, f, iso); err != nil {
				return err
			}
			if f.apply && iso.Rollback > 0 {
				return g.startWatchdog()
			}
			return nil
		},
	}
	isolate.Flags().StringArrayVar(&allow, "allow", nil, "an address or network that stays reachable (repeatable)")
	isolate.Flags().BoolVar(&dns, "dns", false, "let DNS queries out (port 53)")
	isolate.Flags().DurationVar(&rollback, "rollback-after", contain.DefaultRollback, "remove the isolation after this long unless confirmed")
	isolate.Flags().BoolVar(&noRollback, "no-rollback", false, "keep the isolation until undone (no automatic rollback)")
	isolate.MarkFlagsMutuallyExclusive("rollback-after", "no-rollback")

	signalCmd := func(name, short string, suspend bool) *cobra.Command {
		return &cobra.Command{
			Use:     name + " PID ...",
			Short:   short,
			Example: fmt.Sprintf("  sudo nowwhat contain %s 4242 4243\n  sudo nowwhat contain %s 4242 --apply", name, name),
			Args:    cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var pids []int
				for _, a := range args {
					pid, err := strconv.Atoi(a)
					if err != nil {
						return fmt.Errorf("%q is not a process id", a)
					}
					pids = append(pids, pid)
				}
				return g.runAction(cmd, f, contain.Signal{PIDs: pids, Suspend: suspend})
			},
		}
	}
	lockUser := &cobra.Command{
		Use:     "lock-user NAME",
		Short:   "Lock an account: password, expiry and shell (no hash is stored)",
		Example: "  sudo nowwhat contain lock-user deploy --apply",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runAction(cmd, f, contain.LockUser{Name: args[0]})
		},
	}
	revokeKey := &cobra.Command{
		Use:     "revoke-key FINGERPRINT",
		Short:   "Remove an SSH public key from every authorized_keys file sshd reads",
		Example: "  sudo nowwhat contain revoke-key SHA256:DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU --apply",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runAction(cmd, f, contain.RevokeKey{Fingerprint: args[0]})
		},
	}
	var all bool
	undo := &cobra.Command{
		Use:     "undo [--apply] [--all]",
		Short:   "Reverse the last containment action (with what its command did alongside, such as a maintenance page), or all of them",
		Example: "  sudo nowwhat contain undo            # what would be undone\n  sudo nowwhat contain undo --all --apply",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.undo(cmd, f, all)
		},
	}
	undo.Flags().BoolVar(&all, "all", false, "every action in force, newest first")
	status := &cobra.Command{
		Use:     "status",
		Short:   "What containment is in force now",
		Example: "  sudo nowwhat contain status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.containStatus(f)
		},
	}
	confirm := &cobra.Command{
		Use:     "confirm",
		Short:   "Keep the isolation: cancel its automatic rollback",
		Example: "  sudo nowwhat contain confirm",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.containEnv(f)
			if err != nil {
				return err
			}
			defer env.Close()
			n, err := contain.Confirm(env.Journal)
			if err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(g.stdout, "no isolation waiting for confirmation")
				return nil
			}
			fmt.Fprintf(g.stdout, "confirmed: the isolation stays until nowwhat contain undo --apply\n")
			return nil
		},
	}
	var watchID string
	watch := &cobra.Command{
		Use:    "rollback-watch --id ID",
		Short:  "Internal: roll an isolation back at its time unless confirmed",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := g.containEnv(f)
			if err != nil {
				return err
			}
			defer env.Close()
			return contain.Watch(env, watchID, time.Second)
		},
	}
	watch.Flags().StringVar(&watchID, "id", "", "the isolation's id in the journal")
	cmd.AddCommand(service, isolate, signalCmd("kill", "Kill processes (SIGKILL), by PID", false),
		signalCmd("suspend", "Freeze processes (SIGSTOP) for memory forensics; undo resumes them", true),
		lockUser, revokeKey, undo, status, confirm, watch)
	return cmd
}

// startWatchdog starts a detached process that rolls the newest isolation back at its time.
func (g *globals) startWatchdog() error {
	env, err := g.containEnv(&containFlags{root: "/"})
	if err != nil {
		return err
	}
	defer env.Close()
	in, err := contain.InForce(env.Journal)
	if err != nil || len(in) == 0 || in[0].Kind != "isolate" {
		return err
	}
	pid, err := g.startDetached([]string{"contain", "rollback-watch", "--id", in[0].ID, "--quiet"})
	if err != nil {
		return fmt.Errorf("start the rollback timer: %w (undo by hand: nowwhat contain undo --apply)", err)
	}
	fmt.Fprintf(g.stdout, "  rollback timer running (pid %d): the isolation is removed at %s unless you run: nowwhat contain confirm\n",
		pid, in[0].Expires)
	return nil
}

func (g *globals) undo(cmd *cobra.Command, f *containFlags, all bool) error {
	env, err := g.containEnv(f)
	if err != nil {
		return err
	}
	defer env.Close()
	in, err := contain.InForce(env.Journal)
	if err != nil {
		return err
	}
	if len(in) == 0 {
		fmt.Fprintln(g.stdout, "nothing to undo: no containment in force ("+env.Journal.Path+")")
		return nil
	}
	if !all {
		in = contain.Latest(in)
	}
	j, err := g.openJournal(cmd, f.root)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range in {
		if !f.apply {
			fmt.Fprintf(g.stdout, "PLAN: undo %s %s (applied %s by %s): %s\n", esc(e.Kind), esc(e.Target), esc(e.Time), esc(e.Operator), esc(e.UndoHow))
			continue
		}
		if err := contain.Undo(env, e, ""); err != nil {
			errs = append(errs, err)
			fmt.Fprintf(g.stdout, "FAILED: undo %s %s: %s\n", esc(e.Kind), esc(e.Target), esc(err.Error()))
			continue
		}
		fmt.Fprintf(g.stdout, "UNDONE: %s %s (%s)\n", esc(e.Kind), esc(e.Target), esc(e.UndoHow))
	}
	if !f.apply {
		fmt.Fprintln(g.stdout, "  to do it: add --apply")
		return j.done("planned", "undo", nil)
	}
	return j.done("undone", fmt.Sprintf("%d actions", len(in)), errors.Join(errs...))
}

func (g *globals) containStatus(f *containFlags) error {
	env, err := g.containEnv(f)
	if err != nil {
		return err
	}
	defer env.Close()
	es, bad, err := env.Journal.Entries()
	if err != nil {
		return err
	}
	for _, b := range bad {
		fmt.Fprintln(g.stderr, "warning: "+esc(b))
	}
	in := 0
	for _, e := range es {
		if !e.InForce() {
			continue
		}
		in++
		state := e.Phase
		if e.Phase == contain.PhaseIntent {
			state = "interrupted while being applied: check it, then undo"
		}
		fmt.Fprintf(g.stdout, "IN FORCE: %s %s (%s by %s, %s)\n", esc(e.Kind), esc(e.Target), esc(e.Time), esc(e.Operator), esc(state))
		for _, w := range e.What {
			fmt.Fprintf(g.stdout, "    %s\n", esc(strings.TrimSpace(w)))
		}
		if e.Kind == "isolate" {
			if ok, err := contain.Isolated(0); err == nil && !ok {
				fmt.Fprintln(g.stdout, "    but the nftables table is gone (removed by hand, or a reboot)")
			}
			if e.Expires != "" && e.Phase != contain.PhaseConfirmed {
				fmt.Fprintf(g.stdout, "    rolls back by itself at %s unless confirmed (nowwhat contain confirm)\n", e.Expires)
			}
		}
	}
	if in == 0 {
		fmt.Fprintln(g.stdout, "no containment in force ("+env.Journal.Path+")")
	} else {
		fmt.Fprintf(g.stdout, "%d actions in force; nowwhat contain undo [--all] --apply reverses them (newest first)\n", in)
	}
	return nil
}

// proposeFromFindings runs check and turns its findings into contain commands to approve.
func (g *globals) proposeFromFindings(f *containFlags) error {
	ctx, cancel := interruptible()
	defer cancel()
	g.info("running check to see what needs containing...")
	opt := check.Options{Root: f.root}
	if g.caseDir != "" {
		// The case's notes explain planned changes: what they explain is not proposed.
		c, err := casedir.Open(g.caseDir)
		if err != nil {
			return err
		}
		if opt.Notes, err = c.Notes(); err != nil {
			g.info("warning: %v", err)
		}
	}
	rep, err := check.Run(ctx, opt)
	if err != nil {
		return err
	}
	pc := ProposalContext{Live: f.root == "/", Self: os.Getpid()}
	if pc.Live {
		pc.Session = contain.FindOperator().Ancestors
	}
	plan := ContainmentProposal(rep, pc)
	fmt.Fprintf(g.stdout, "check: %s\n\n", esc(rep.Summary))
	if len(plan) == 0 {
		fmt.Fprintln(g.stdout, "Nothing in check's findings calls for containment.")
		return nil
	}
	fmt.Fprintln(g.stdout, "PROPOSED CONTAINMENT (each line is a plan; add --apply to the ones you approve):")
	for _, p := range plan {
		fmt.Fprintf(g.stdout, "  %s\n      because: %s\n", esc(p.Command), esc(p.Why))
	}
	return nil
}

// Proposal is one proposed containment command.
type Proposal struct {
	Command string
	Why     string
	Args    []string // the command's arguments after "nowwhat" (the guide runs them)
}

// ProposalContext says which processes a proposal may name.
type ProposalContext struct {
	Live    bool  // the findings are about this running system (else no process is proposed)
	Self    int   // this nowwhat's PID: never proposed
	Session []int // the operator's session (shell, sudo, sshd): never proposed
}

// processRules are the rules whose subject is the suspicious process itself.
var processRules = map[string]bool{"live.deleted-binary": true, "live.tmp-process": true, "live.hidden-process": true,
	"live.kernel-thread-mimic": true, "live.network": true}

// ContainmentProposal maps unexplained findings to contain commands. A process is proposed only
// when a finding names it as the suspicious one, the findings are about this running system,
// and it is not nowwhat itself, the operator's session, init or a kernel thread.
func ContainmentProposal(rep *check.Report, pc ProposalContext) []Proposal {
	var out []Proposal
	seen := map[string]bool{}
	add := func(why string, args ...string) {
		cmd := "nowwhat " + strings.Join(args, " ")
		if !seen[cmd] {
			seen[cmd] = true
			out = append(out, Proposal{Command: cmd, Why: why, Args: args})
		}
	}
	for _, fd := range rep.Findings {
		if fd.Explained || fd.Severity < finding.Medium {
			continue
		}
		switch {
		case fd.PID > 0 && processRules[fd.Rule]:
			if pc.Live && fd.PID > 2 && int(fd.PID) != pc.Self && !slices.Contains(pc.Session, int(fd.PID)) {
				add(fd.Title, "contain", "suspend", strconv.FormatInt(fd.PID, 10))
			}
		case fd.Rule == "persistence.systemd" && fd.Path != "":
			add(fd.Title, "contain", "service", filepath.Base(fd.Path))
		case fd.Rule == "accounts.uid0" || fd.Rule == "accounts.empty-password" || fd.Rule == "accounts.system-login" || fd.Rule == "accounts.new":
			if fd.User != "" {
				add(fd.Title, "contain", "lock-user", fd.User)
			}
		case fd.Rule == "persistence.ssh-key":
			for _, e := range fd.Evidence {
				if i := strings.Index(e, "SHA256:"); i >= 0 {
					add(fd.Title, "contain", "revoke-key", strings.Fields(e[i:])[0])
				}
			}
		}
	}
	if rep.Verdict == finding.Compromised {
		add("the host is compromised: cut it off except for you (it rolls back in 5 minutes unless confirmed)", "contain", "isolate", "--allow", "YOUR_ADDRESS")
	}
	return out
}

// serviceWithMaintenance stops and masks a service, then serves the maintenance page on the
// ports it listened on, as a transient systemd unit running this binary.
func (g *globals) serviceWithMaintenance(cmd *cobra.Command, f *containFlags, name string) error {
	if f.root != "/" {
		return errors.New("--maintenance serves on this host: not with --root")
	}
	ports, err := contain.ListeningPorts(name)
	if err != nil {
		return err
	}
	// The service and its page are one containment: a plain undo reverses both.
	f.group = "service-with-maintenance-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := g.runAction(cmd, f, contain.Service{Name: name}); err != nil {
		return err
	}
	if len(ports) == 0 {
		fmt.Fprintln(g.stdout, "  the service listened on no TCP port: no maintenance page started")
		return nil
	}
	env, err := g.containEnv(f)
	if err != nil {
		return err
	}
	defer env.Close()
	out, err := contain.Run(env, contain.Maintenance{Service: name, Ports: ports}, true)
	if err != nil {
		return fmt.Errorf("the service is stopped, but the maintenance page did not start: %w (start it by hand: nowwhat maintenance --listen :PORT)", err)
	}
	g.printPlan(env, contain.Maintenance{Service: name, Ports: ports}, out, true)
	return nil
}

// esc shows a string from the host (a unit, an account, a key comment) safely: see textsafe.
func esc(s string) string { return textsafe.Escape(s) }

// startDetached starts this binary with args (and the case folder) in a session of its own,
// with no terminal, so it outlives the operator's login: the rollback timers of contain and
// harden. It returns the new process's pid.
func (g *globals) startDetached(args []string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	if g.caseDir != "" {
		args = append([]string{"--case", g.caseDir}, args...)
	}
	c := exec.Command(exe, args...)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		c.Stdin, c.Stdout, c.Stderr = devnull, devnull, devnull
		defer devnull.Close()
	}
	if err := c.Start(); err != nil {
		return 0, err
	}
	pid := c.Process.Pid
	c.Process.Release()
	return pid, nil
}
