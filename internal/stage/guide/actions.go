package guide

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// Action is one thing a step screen offers: a command of nowwhat, run as shown.
type Action struct {
	Label string
	// Args is what runs first (after "nowwhat"): the whole step when it changes nothing, or the
	// dry run (the plan) of a change.
	Args []string
	// Apply makes the change the dry run planned; nil when the action changes nothing on the
	// host. It runs only after an explicit yes on the screen that shows the plan.
	Apply []string
	Why   string
	// Decide records a decision in the journal instead of running a command.
	Decide string
	// Ask are questions whose answers complete Args (trust, note); Fill builds the arguments.
	Ask  []Question
	Fill func(answers []string) []string
	// Blocked says why the action cannot run now ("" when it can).
	Blocked string
}

// Question is one answer an action needs before it runs.
type Question struct {
	Prompt  string
	Default string
}

func (c *Config) base(cmd ...string) []string {
	out := []string{"--case", c.Case}
	return append(out, cmd...)
}

func (c *Config) rootArgs() []string {
	if c.Live() {
		return nil
	}
	return []string{"--root", c.Root}
}

func (c *Config) baselineArgs() []string {
	if c.Baseline == "" {
		return nil
	}
	if c.Pubkey == "" {
		return []string{"--baseline", c.Baseline, "--unsigned-ok"}
	}
	return []string{"--baseline", c.Baseline, "--pubkey", c.Pubkey}
}

func with(args []string, more ...string) []string {
	return append(slices.Clone(args), more...)
}

// Actions lists what a step's screen offers, the first being the default.
func Actions(cfg *Config, st *State, id string) []Action {
	root := cfg.rootArgs()
	switch id {
	case StepCheck:
		return []Action{{Label: "Run the check (changes nothing)", Args: with(cfg.base("check"), append(root, cfg.baselineArgs()...)...)}}
	case StepContain:
		return containActions(cfg, st)
	case StepCollect:
		out := evidenceName(cfg)
		args := with(cfg.base("collect"), root...)
		args = append(args, "-o", out)
		why := "written to the case folder"
		if cfg.Recipient != "" {
			args = append(args, "--recipient", cfg.Recipient)
			why += ", encrypted to " + cfg.Recipient
		} else {
			why += "; not encrypted (it holds /etc/shadow and keys): start the guide with --recipient age1... to encrypt it"
		}
		return []Action{{Label: "Collect the evidence into the case folder (changes nothing on the host)", Args: args, Why: why}}
	case StepDiff:
		if cfg.Baseline == "" {
			return []Action{{Label: "Compare with a baseline", Blocked: "no baseline: start the guide with --baseline FILE --pubkey PREFIX.pub"}}
		}
		args := with(cfg.base("diff"), root...)
		if cfg.Pubkey != "" {
			args = append(args, "--pubkey", cfg.Pubkey)
		} else {
			args = append(args, "--unsigned-ok")
		}
		return []Action{{Label: "Show what changed since the baseline (changes nothing)", Args: append(args, cfg.Baseline)}}
	case StepInvestigate:
		return []Action{{Label: "Investigate (changes nothing)", Args: with(cfg.base("investigate"), root...)}}
	case StepLoophole:
		return []Action{{Label: "Name the hole (changes nothing)", Args: with(cfg.base("loophole"), root...)}}
	case StepDecide:
		return []Action{
			{Label: "Rebuild from a clean image (recommended when root was taken)", Decide: "rebuild",
				Why: "install a fresh server, restore data (not programs or configuration) from before the first sign of the intruder, rotate every credential from a clean machine; this host stays contained until it is wiped"},
			{Label: "Clean this host in place (I accept the risk)", Decide: "clean",
				Why: "a rootkit or a back door nowwhat does not know can survive a cleanup; verify and watch the host closely afterwards"},
		}
	case StepClean:
		return []Action{{Label: "Plan the cleanup, then decide", Args: with(cfg.base("clean"), root...), Apply: with(cfg.base("clean"), append(root, "--apply")...)}}
	case StepRotate:
		plan := with(cfg.base("rotate"), append(root, cfg.baselineArgs()...)...)
		a := Action{Label: "Plan the rotation, then decide", Args: plan}
		if cfg.Recipient != "" {
			a.Apply = with(plan, "--apply", "--recipient", cfg.Recipient)
		} else {
			a.Why = "to rotate from here, start the guide with --recipient age1... (your key): new secrets are written only encrypted to it"
		}
		out := []Action{a}
		if st.Rotated {
			out = append(out,
				Action{Label: "What is rotated and what waits (rotate status)", Args: cfg.base("rotate", "status")},
				Action{Label: "Prove the old credentials dead (rotate verify)", Args: with(cfg.base("rotate", "verify"), root...)})
		}
		return out
	case StepHarden:
		out := []Action{{Label: "Plan the hardening, then decide", Args: with(cfg.base("harden"), root...), Apply: with(cfg.base("harden"), append(root, "--apply")...)}}
		for _, e := range st.Waiting() {
			if e.Kind != "isolate" {
				out = append([]Action{{Label: "Keep the sshd change: a new login works (harden confirm)", Args: cfg.base("harden", "confirm"), Why: "it rolls back by itself at " + e.Expires}}, out...)
				break
			}
		}
		if len(st.Hardened) > 0 {
			out = append(out, Action{Label: "Undo the last hardening change", Args: with(cfg.base("harden", "undo"), root...), Apply: with(cfg.base("harden", "undo"), append(root, "--apply")...)},
				Action{Label: "Which holes are closed (harden status)", Args: with(cfg.base("harden", "status"), root...)})
		}
		return out
	case StepVerify:
		return []Action{{Label: "Run the gate (changes nothing)", Args: with(cfg.base("verify"), root...)}}
	case StepLift:
		a := Action{Label: "Lift all containment, newest first", Args: with(cfg.base("contain", "undo", "--all"), root...), Apply: with(cfg.base("contain", "undo", "--all"), append(root, "--apply")...)}
		if !st.VerifyPassed() {
			if cfg.built("verify") {
				a.Why = "verify has not passed: lifting now puts a host that may still be compromised back online"
			} else {
				a.Why = "verify (the gate) is not built yet in this nowwhat: check again, rotate and close the hole first"
			}
		}
		return []Action{a}
	case StepReport:
		return []Action{{Label: "Write the report into the case folder (changes nothing on the host)", Args: cfg.base("report")}}
	}
	return nil
}

func containActions(cfg *Config, st *State) []Action {
	root := cfg.rootArgs()
	var out []Action
	for _, e := range st.Waiting() {
		if e.Kind == "isolate" {
			out = append(out, Action{Label: "Keep the isolation: you can still log in (contain confirm)", Args: cfg.base("contain", "confirm"),
				Why: "it rolls back by itself at " + e.Expires + " unless confirmed"})
		}
	}
	if st.Check != nil && cfg.Propose != nil {
		for _, p := range cfg.Propose(st.Check) {
			args := slices.Clone(p.Args)
			if len(args) < 2 || args[0] != "contain" {
				continue
			}
			switch args[1] {
			case "isolate":
				if !cfg.Live() {
					continue // a mounted disk has no network to cut
				}
				if i := slices.Index(args, "YOUR_ADDRESS"); i > 0 {
					if a := cfg.ClientAddress(); a != "" {
						args[i] = a
					} else {
						args = slices.Delete(args, i-1, i+1)
					}
				}
			case "kill", "suspend":
				if !cfg.Live() {
					continue
				}
			}
			plan := with(cfg.base(args...), root...)
			a := Action{Label: textsafe.Escape(strings.Join(args[1:], " ")), Args: plan, Apply: with(plan, "--apply"), Why: textsafe.Escape(p.Why)}
			if args[1] == "service" && cfg.Live() {
				// visitors get the maintenance page on the ports the service listened on
				a.Apply = append(a.Apply, "--maintenance")
				a.Why += "; an \"offline for maintenance\" page takes its place"
			}
			out = append(out, a)
		}
	}
	if len(st.InForce) > 0 {
		out = append(out,
			Action{Label: "Undo the last containment action", Args: with(cfg.base("contain", "undo"), root...), Apply: with(cfg.base("contain", "undo"), append(root, "--apply")...)},
			Action{Label: "What containment is in force (contain status)", Args: with(cfg.base("contain", "status"), root...)})
	}
	if len(out) == 0 {
		out = append(out, Action{Label: "What containment is in force (contain status)", Args: with(cfg.base("contain", "status"), root...),
			Why: "nothing in check's findings calls for a containment action"})
	}
	return out
}

// evidenceName is the next free evidence archive name in the case.
func evidenceName(cfg *Config) string {
	ext := ".tar.zst"
	if cfg.Recipient != "" {
		ext += ".age"
	}
	for i := 1; ; i++ {
		name := "evidence" + ext
		if i > 1 {
			name = fmt.Sprintf("evidence-%d%s", i, ext)
		}
		p := filepath.Join(cfg.Case, name)
		if _, err := os.Lstat(p); os.IsNotExist(err) || i > 999 {
			return p
		}
	}
}

// TrustAction vouches for a colleague's address (nowwhat trust add): the first address of a
// login nothing vouches for is offered.
func TrustAction(cfg *Config, st *State) Action {
	addr := ""
	if st.Check != nil {
		for _, s := range st.Check.Sessions {
			if s != nil && s.Judgement == sessions.Unknown && s.SourceIP != "" {
				addr = s.SourceIP
				break
			}
		}
	}
	return Action{Label: "Vouch for a colleague's address or key (trust add)", Decide: "",
		Ask: []Question{{Prompt: "Address (or network) your colleague logs in from", Default: addr}, {Prompt: "Who is it", Default: ""}},
		Fill: func(a []string) []string {
			args := cfg.base("trust", "add")
			if strings.HasPrefix(a[0], "SHA256:") {
				args = append(args, "--key", a[0])
			} else {
				args = append(args, "--address", a[0])
			}
			return append(args, "--who", a[1])
		},
		Why: "check then treats that colleague's work as theirs, not the intruder's; run check again afterwards"}
}

// NoteAction records a planned change (nowwhat note).
func NoteAction(cfg *Config) Action {
	return Action{Label: "Note a planned change (note)", Ask: []Question{{Prompt: "What was changed, by whom (mention paths)"}},
		Fill: func(a []string) []string { return cfg.base("note", a[0]) },
		Why:  "check explains a change a note mentions instead of calling it suspicious"}
}

// CommandLine is the exact command for people: "nowwhat" and the arguments, quoted for a shell
// and escaped for a terminal.
func CommandLine(args []string) string {
	var b strings.Builder
	b.WriteString("nowwhat")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(textsafe.Escape(shellQuote(a)))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+,%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
