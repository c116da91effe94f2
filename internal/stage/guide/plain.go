package guide

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// NextCommandPrefix starts the line of the plain text that holds the next command.
const NextCommandPrefix = "Next command: "

// Plain writes where the case stands and the next command, as text (no terminal needed): the
// guide's face for pipes, scripts and screen readers.
func Plain(w io.Writer, cfg *Config, st *State) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	if cfg.Case == "" {
		suggest, lines := CaseAdvice(cfg.Root)
		p("nowwhat guide: no case folder yet.")
		p("Every step is journaled in a case folder; keep it off the suspect disk.")
		for _, l := range lines {
			p("  %s", l)
		}
		p("")
		p("%s%s", NextCommandPrefix, CommandLine(append([]string{"--case", suggest, "check"}, cfg.rootArgs()...)))
		p("  (then run nowwhat --case %s again to see the next step)", textsafe.Escape(shellQuote(suggest)))
		return nil
	}
	p("nowwhat guide: case %s", textsafe.Escape(cfg.Case))
	if cfg.Live() {
		p("  host: this running server (/)")
	} else {
		p("  host: the root at %s", textsafe.Escape(cfg.Root))
	}
	if n := len(st.Entries); n > 0 {
		last := st.Entries[n-1]
		p("  journal: %d entries, the last %s (%s) at %s", n, textsafe.Escape(last.Command), textsafe.Escape(last.Outcome), last.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	} else {
		p("  journal: empty (a new case)")
	}
	for _, l := range Warnings(cfg, st) {
		p("warning: %s", l)
	}
	for _, e := range st.Waiting() {
		p("WAITING: %s %s rolls back by itself at %s unless confirmed: %s", textsafe.Escape(e.Kind), textsafe.Escape(e.Target), textsafe.Escape(e.Expires), confirmLine(cfg, e.Kind))
	}
	if st.Check != nil {
		p("")
		writeVerdict(w, st, 12)
	}
	p("")
	p("WHERE THE CASE STANDS")
	for _, s := range Steps {
		status, detail := st.Status(cfg, s.ID)
		line := fmt.Sprintf("  %-16s %-12s %s", "["+status+"]", s.ID, s.Title)
		if detail != "" {
			line += ": " + detail
		}
		p("%s", line)
	}
	p("")
	next, why := st.Next(cfg)
	if next == StepDone {
		p("NEXT: nothing left to do: %s", why)
		return nil
	}
	s := StepByID(next)
	p("NEXT: %s (%s): %s", s.Title, s.Question, why)
	acts := Actions(cfg, st, next)
	if len(acts) == 0 {
		return nil
	}
	a := acts[0]
	switch {
	case a.Decide != "":
		p("  Decide, and record it in the journal:")
		for _, x := range acts {
			p("    %s: %s", x.Label, x.Why)
		}
		p("%s%s", NextCommandPrefix, "nowwhat --case "+textsafe.Escape(shellQuote(cfg.Case))+" guide   (on a terminal: the decision screen)")
	case a.Blocked != "":
		p("  %s", a.Blocked)
	default:
		p("%s%s", NextCommandPrefix, CommandLine(a.Args))
		if a.Apply != nil {
			p("  (a plan: nothing changes; after reading it, the change is: %s)", CommandLine(a.Apply))
		}
		if a.Why != "" {
			p("  %s", a.Why)
		}
		for _, x := range acts[1:] {
			p("  or: %s", CommandLine(x.Args))
		}
	}
	return nil
}

func confirmLine(cfg *Config, kind string) string {
	if kind == "isolate" {
		return CommandLine(cfg.base("contain", "confirm"))
	}
	return CommandLine(cfg.base("harden", "confirm"))
}

// Warnings are the branches that change what a step can show: the case folder's place, not
// root, no baseline, the case journal's problems.
func Warnings(cfg *Config, st *State) []string {
	var out []string
	if cfg.Case != "" {
		if w := casedir.Placement(cfg.Case, cfg.Root); w != "" {
			out = append(out, textsafe.Escape(w))
		}
	}
	if !cfg.IsRoot {
		out = append(out, NotRootText)
	}
	if cfg.Baseline == "" && st.Check == nil {
		out = append(out, NoBaselineText)
	}
	for _, pr := range st.Problems {
		out = append(out, textsafe.Escape(pr))
	}
	return out
}

// writeVerdict writes check's verdict, the findings nobody accounts for (at most max) and the
// hostile sessions.
func writeVerdict(w io.Writer, st *State, max int) {
	rep := st.Check
	fmt.Fprintf(w, "VERDICT: %s\n", strings.ToUpper(string(rep.Verdict)))
	fmt.Fprintf(w, "  %s\n", textsafe.Escape(rep.Summary))
	un := st.Unexplained()
	for i, f := range un {
		if i == max {
			fmt.Fprintf(w, "  ... and %d more (nowwhat --case %s check shows them all)\n", len(un)-max, textsafe.Escape(shellQuote(st.Case)))
			break
		}
		fmt.Fprintf(w, "  %-8s %s\n", strings.ToUpper(f.Severity.String()), FindingLine(f))
	}
	for _, s := range rep.Sessions {
		if s != nil && s.Judgement == sessions.Hostile {
			fmt.Fprintf(w, "  HOSTILE LOGIN: %s\n", SessionLine(s))
		}
	}
	if why := st.RootTaken(); len(why) > 0 {
		fmt.Fprintf(w, "  ROOT WAS TAKEN: %s\n", strings.Join(why, "; "))
	}
}

// FindingLine is a finding in one line: its title, and its path when the title lacks it.
func FindingLine(f finding.Finding) string {
	s := textsafe.Escape(f.Title)
	if f.Path != "" && !strings.Contains(f.Title, f.Path) {
		s += " (" + textsafe.Escape(f.Path) + ")"
	}
	return s
}

// SessionLine describes a login session in one line.
func SessionLine(s *sessions.Session) string {
	line := fmt.Sprintf("%s via %s", textsafe.Escape(s.User), textsafe.Escape(s.Via))
	if s.SourceIP != "" {
		line += " from " + textsafe.Escape(s.SourceIP)
	}
	if !s.Start.IsZero() {
		line += " at " + s.Start.UTC().Format("2006-01-02 15:04 UTC")
	}
	if len(s.Reasons) > 0 {
		line += ": " + textsafe.Escape(s.Reasons[0])
	}
	return line
}

// IsRoot reports whether this process runs as root.
func IsRoot() bool { return os.Geteuid() == 0 }
