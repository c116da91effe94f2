// Package cli is nowwhat's command line: one cobra command per step of the response, each a thin
// layer that parses flags, calls the packages that do the work, writes the case journal and sets
// the exit status.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/base/version"
)

// ExitError carries an exit status other than 1 (diff's 1 = changes found, check's 0-3, ...).
type ExitError struct {
	Code int
	Err  error // nil: nothing to print
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// globals are the flags every command shares.
type globals struct {
	caseDir string
	quiet   bool
	stdout  io.Writer
	stderr  io.Writer
	stdin   *os.File
}

const overview = `Server compromised. Now what?

nowwhat walks you through the response, one step at a time:

  0 prepare      nowwhat keygen, baseline   record the host's state, sealed with a key kept off the host
  1 is it hacked nowwhat check, note        a verdict backed by evidence; notes of planned changes
  2 contain      nowwhat contain            take only the affected part offline (and: maintenance)
  3 preserve     nowwhat collect            an encrypted evidence archive
  4 assess       nowwhat diff               what changed since the trusted baseline
  5 find how     nowwhat investigate        timeline and the way in
  6 clean        nowwhat clean              remove, rotate every credential, fix, harden
  7 back online  nowwhat verify             the gate before lifting containment
  8 report       nowwhat report             report, IOCs, notification letters

Typed alone, nowwhat opens the guide (nowwhat guide): every step explained, nothing changed
without your yes, resumable from the case journal. Without a terminal, or with --plain, it
prints where the case stands and the next command.

Nothing here runs the host's own programs or changes the host unless you say --apply.
Keep a case folder (--case DIR or NOWWHAT_CASE) off the suspect disk: every step is journaled there.`

// New builds the command tree.
func New(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr, stdin: os.Stdin}
	bare := &guideFlags{} // nowwhat with no command opens the guide
	root := &cobra.Command{
		Use:           "nowwhat",
		Short:         "Server compromised. Now what? A guided incident response for Linux servers",
		Long:          overview,
		SilenceUsage:  true,
		SilenceErrors: true,
		Example: `  # On your own machine, once: a key that stays off the servers
  nowwhat keygen ~/.nowwhat/admin

  # Before anything happens: a sealed baseline of each server, kept on your machine
  ssh web1 sudo nowwhat snapshot -o - > web1.snap && nowwhat seal --key ~/.nowwhat/admin.key web1.snap

  # The bad day: what changed since the baseline?
  sudo nowwhat diff --pubkey admin.pub web1.snap`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runGuide(bare)
		},
	}
	bare.add(root, false)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.caseDir, "case", os.Getenv("NOWWHAT_CASE"), "case folder that keeps the journal and outputs of this incident (env NOWWHAT_CASE)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "no progress display and no informational messages")
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (for developers)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.AddGroup(&cobra.Group{ID: "steps", Title: "Response steps:"}, &cobra.Group{ID: "keys", Title: "Keys and baselines:"})

	cobra.EnableCommandSorting = false
	for _, s := range steps {
		if mk, ok := stepCommands[s.name]; ok {
			root.AddCommand(mk(g))
		} else {
			root.AddCommand(unbuiltCmd(s))
		}
	}
	root.AddCommand(keygenCmd(g), snapshotCmd(g), sealCmd(g), versionCmd(g))
	for _, mk := range otherCommands {
		root.AddCommand(mk(g))
	}
	return root
}

// stepCommands are the built commands of the response's steps, by name; each command's file
// registers itself (registerStep in an init function), so adding a step touches only its file
// and the steps list below.
var stepCommands = map[string]func(*globals) *cobra.Command{
	"baseline": baselineCmd, "diff": diffCmd, "check": checkCmd, "note": noteCmd,
	"investigate": investigateCmd, "collect": collectCmd, "maintenance": maintenanceCmd, "contain": containCmd,
}

// otherCommands are commands outside the steps (trust, and the like), in registration order.
var otherCommands []func(*globals) *cobra.Command

// registerStep adds the command of a step named in steps.
func registerStep(name string, mk func(*globals) *cobra.Command) { stepCommands[name] = mk }

// registerCommand adds a command that is not a step of its own.
func registerCommand(mk func(*globals) *cobra.Command) { otherCommands = append(otherCommands, mk) }

// stopProfile ends a --cpuprofile run, whatever the command's outcome.
var stopProfile func()

// Main runs nowwhat with args and returns the exit status.
func Main(args []string) int {
	handleSignals()
	root := New(os.Stdout, os.Stderr)
	root.SetArgs(args)
	err := root.Execute()
	if stopProfile != nil {
		stopProfile()
	}
	if sig, ok := interrupted(); ok {
		// Stopped by a signal: whatever the command made of it, the run did not finish.
		if err != nil {
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Err != nil {
				fmt.Fprintln(os.Stderr, "nowwhat: "+textsafe.Lines(err.Error()))
			}
		}
		return exitCodeOf(sig)
	}
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(os.Stderr, "nowwhat: "+textsafe.Lines(ee.Err.Error()))
		}
		return ee.Code
	}
	msg := err.Error()
	fmt.Fprintln(os.Stderr, "nowwhat: "+textsafe.Lines(msg))
	if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") || strings.Contains(msg, "arg(s)") {
		fmt.Fprintln(os.Stderr, "Run 'nowwhat --help' for the steps and 'nowwhat COMMAND --help' for examples.")
	}
	return 1
}

func versionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print nowwhat's version",
		Example: "  nowwhat version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(g.stdout, "nowwhat %s\n", version.String())
			if g.quiet {
				return nil
			}
			b := version.BuildInfo()
			switch {
			case b.Revision == "":
				fmt.Fprintln(g.stdout, "commit unknown: this binary was built without version control information (go build -buildvcs=false, or outside a git checkout); release binaries carry it")
			case b.Modified:
				fmt.Fprintf(g.stdout, "commit %s (%s), MODIFIED: built from a tree with uncommitted changes, so no commit describes it\n", b.Revision, b.Time)
			default:
				fmt.Fprintf(g.stdout, "commit %s (%s), tree clean\n", b.Revision, b.Time)
			}
			if b.GoVersion != "" {
				fmt.Fprintf(g.stdout, "built with %s for %s, CGO_ENABLED=%s, trimpath %v\n", b.GoVersion, b.Platform, b.CGO, b.Trimpath)
			}
			if d := version.Digest(); d != "" {
				fmt.Fprintf(g.stdout, "binary sha256 %s (compare with the release's SHA256SUMS)\n", d)
			}
			return nil
		},
	}
}

type step struct {
	name, short, example string
}

// steps lists the response in order; those without a command yet say so.
var steps = []step{
	{name: "baseline"},
	{name: "check"},
	{name: "note"},
	{"contain", "Step 2: take only the affected part offline (not built yet)", "  sudo nowwhat contain service nginx"},
	{"maintenance", "Step 2: serve an 'offline for maintenance' page (not built yet)", "  sudo nowwhat maintenance --listen :80"},
	{"collect", "Step 3: keep the evidence in an encrypted archive (not built yet)", "  sudo nowwhat collect -o - --recipient age1... > web1.tar.zst.age"},
	{name: "diff"},
	{name: "investigate"},
	{"loophole", "Step 6: name the hole they came through (not built yet)", "  sudo nowwhat loophole"},
	{name: "clean"},
	{name: "rotate"},
	{"harden", "Step 6: close the hole and harden, with rollback (not built yet)", "  sudo nowwhat harden"},
	{name: "verify"},
	{name: "report"},
	{name: "guide"},
}

func unbuiltCmd(s step) *cobra.Command {
	return &cobra.Command{
		Use:                s.name,
		Short:              s.short,
		Example:            s.example,
		GroupID:            "steps",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &ExitError{Code: 3, Err: fmt.Errorf("%s is not built yet in nowwhat %s. Meanwhile: `nowwhat diff` shows what changed since a baseline", s.name, version.String())}
		},
	}
}
