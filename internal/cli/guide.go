package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/guide"
)

func init() { registerStep("guide", guideCmd) }

// guideFlags are the guide's options (bare nowwhat takes --plain and --root too).
type guideFlags struct {
	plain, accessible      bool
	root, baseline, pubkey string
	recipient              string
}

func (f *guideFlags) add(cmd *cobra.Command, all bool) {
	cmd.Flags().BoolVar(&f.plain, "plain", false, "print where the case stands and the next command, as text, and exit (the default without a terminal)")
	cmd.Flags().StringVar(&f.root, "root", "/", "root of the host: / for this host, or a mounted disk")
	if !all {
		return
	}
	cmd.Flags().BoolVar(&f.accessible, "accessible", os.Getenv("ACCESSIBLE") != "", "line-by-line questions for screen readers instead of the full screen (env ACCESSIBLE)")
	cmd.Flags().StringVar(&f.baseline, "baseline", "", "the host's sealed baseline snapshot, for check, diff and rotate")
	cmd.Flags().StringVar(&f.pubkey, "pubkey", "", "the public key that sealed the baseline (PREFIX.pub)")
	cmd.Flags().StringVar(&f.recipient, "recipient", "", "your age public key (age1...): evidence and new secrets are encrypted to it")
}

func guideCmd(g *globals) *cobra.Command {
	f := &guideFlags{}
	cmd := &cobra.Command{
		Use:   "guide [--root DIR] [--plain] [--baseline FILE --pubkey PREFIX.pub] [--recipient age1...]",
		Short: "Walk through every step with a case journal: what each is for, the exact command, nothing changed without your yes",
		Long: `guide takes you through the response one step at a time, in the order of the questions people
ask in the first hour: is someone still in, is it really an attack, how did they get in, is it
gone, what do I tell my provider and my customers.

Each step is a screen: what it is for, what nowwhat will do, the exact command that does the
same (every screen has a flag twin), and what changes on the host. The default action never
changes the host; a change needs your explicit yes on a screen that shows the plan, after its
dry run. Everything is journaled in the case folder, so you can quit (q) at any time and
nowwhat resumes where the journal says.

Bare nowwhat on a terminal opens the guide. Without a terminal, or with --plain, it prints
where the case stands and the next command, and exits 0.`,
		Example: `  sudo nowwhat                                     # on a terminal: the guide
  sudo nowwhat --case /media/usb/case-web1 guide
  nowwhat --case /cases/web1 guide --root /mnt/web1 --recipient age1...
  sudo nowwhat --case /media/usb/case-web1 --plain # where the case stands, the next command`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runGuide(f)
		},
	}
	f.add(cmd, true)
	return cmd
}

// guideConfig builds the guide's configuration from the flags.
func (g *globals) guideConfig(f *guideFlags) (*guide.Config, error) {
	cfg := &guide.Config{Root: f.root, Baseline: f.baseline, Pubkey: f.pubkey, Recipient: f.recipient,
		IsRoot: guide.IsRoot(), SSH: os.Getenv("SSH_CONNECTION"),
		Built: func(name string) bool { _, ok := stepCommands[name]; return ok },
		Propose: func(rep *check.Report) []guide.Proposal {
			var out []guide.Proposal
			pc := ProposalContext{Live: f.root == "/", Self: os.Getpid()}
			if pc.Live {
				pc.Session = contain.FindOperator().Ancestors
			}
			for _, p := range ContainmentProposal(rep, pc) {
				out = append(out, guide.Proposal{Args: p.Args, Why: p.Why})
			}
			return out
		}}
	for _, p := range []*string{&cfg.Root, &cfg.Baseline, &cfg.Pubkey} {
		if *p != "" && *p != "/" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return nil, err
			}
			*p = abs
		}
	}
	if g.caseDir != "" {
		abs, err := filepath.Abs(g.caseDir)
		if err != nil {
			return nil, err
		}
		cfg.Case = abs
	}
	return cfg, nil
}

func (g *globals) runGuide(f *guideFlags) error {
	cfg, err := g.guideConfig(f)
	if err != nil {
		return err
	}
	tty := g.stdout == os.Stdout && term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))
	if f.plain || !tty {
		return guide.Plain(g.stdout, cfg, guide.Load(cfg.Case))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("the guide runs nowwhat's own commands and cannot find this program: %w (run the commands by hand: nowwhat --plain)", err)
	}
	runner := &guide.ExecRunner{Exe: exe, Config: cfg}
	if f.accessible {
		return guide.Accessible(cfg, runner, os.Stdin, g.stdout)
	}
	m := guide.New(cfg, runner)
	if _, err := tea.NewProgram(m).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("the guide's screen failed: %w (nowwhat --plain gives the same as text)", err)
	}
	if j := m.Job(); j != nil {
		fmt.Fprintf(g.stdout, "The command goes on (pid %d) and journals its result; its output: %s\n", j.PID(), textsafe.Escape(j.Output()))
	}
	if cfg.Case != "" {
		fmt.Fprintf(g.stdout, "Everything is in the case folder %s. To come back: nowwhat --case %s\n", textsafe.Escape(cfg.Case), textsafe.Escape(cfg.Case))
	}
	return nil
}
