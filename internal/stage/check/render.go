package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// TextOptions tune the report for people.
type TextOptions struct {
	All      bool // list explained and info findings in full
	Evidence int  // evidence lines per finding (default 4)
}

// writeSessions lists the logins that matter: the hostile ones, and those nothing vouches for
// (with the command that vouches for them if they are a colleague's).
func writeSessions(b *strings.Builder, ss []*sessions.Session) {
	var hostile, unknown []*sessions.Session
	for _, s := range ss {
		switch s.Judgement {
		case sessions.Hostile:
			hostile = append(hostile, s)
		case sessions.Unknown:
			unknown = append(unknown, s)
		}
	}
	if len(hostile)+len(unknown) == 0 {
		return
	}
	b.WriteString("\nWHO WAS LOGGED IN\n")
	for i, s := range hostile {
		if i == 8 {
			fmt.Fprintf(b, "  ... and %d more hostile sessions (--format json)\n", len(hostile)-i)
			break
		}
		fmt.Fprintf(b, "  X %s: hostile: %s\n", textsafe.Escape(s.Label()), textsafe.Escape(strings.Join(s.Reasons, "; ")))
	}
	addrs := map[string]int{}
	var order []string
	for _, s := range unknown {
		if s.SourceIP == "" {
			continue
		}
		if addrs[s.SourceIP] == 0 {
			order = append(order, s.SourceIP)
		}
		addrs[s.SourceIP]++
	}
	for i, ip := range order {
		if i == 8 {
			fmt.Fprintf(b, "  ... and %d more addresses nothing vouches for (--format json)\n", len(order)-i)
			break
		}
		ip = textsafe.Escape(ip)
		fmt.Fprintf(b, "  ? %d sessions from %s that nothing vouches for; if it is a colleague's: nowwhat trust add --address %s --who NAME\n", addrs[ip], ip, ip)
	}
}

// WriteText writes the report for people: the verdict first, then unexplained findings by
// severity with why they matter and what to do, then what explains the rest, then what was not
// covered and the next step. Every string that may hold a name from the host is escaped
// (textsafe.Escape): no byte of it can act on the reader's terminal or forge a line.
func (r *Report) WriteText(w io.Writer, opt TextOptions) error {
	e := textsafe.Escape
	if opt.Evidence <= 0 {
		opt.Evidence = 4
	}
	var b strings.Builder
	fmt.Fprintf(&b, "VERDICT: %s\n", e(r.Summary))
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", e(warn))
	}
	if r.Baseline != nil && r.Baseline.Used != "" {
		fmt.Fprintf(&b, "baseline: %s, taken %s: %s\n", e(r.Baseline.Used), e(r.Baseline.TakenAt), e(r.Baseline.Reason))
	}
	var open, explained, info []finding.Finding
	for _, f := range r.Findings {
		switch {
		case f.Explained:
			explained = append(explained, f)
		case f.Severity <= finding.Low && !f.Strong:
			info = append(info, f)
		default:
			open = append(open, f)
		}
	}
	whyShown := map[string]bool{}
	sev := finding.Severity(-1)
	for _, f := range open {
		if f.Severity != sev {
			sev = f.Severity
			n := 0
			for _, g := range open {
				if g.Severity == sev {
					n++
				}
			}
			fmt.Fprintf(&b, "\n%s (%d)\n", strings.ToUpper(sev.String()), n)
		}
		mark := "!"
		if f.Strong {
			mark = "X"
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, e(f.Title))
		fmt.Fprintf(&b, "      rule %s", e(f.Rule))
		if len(f.Attack) > 0 {
			fmt.Fprintf(&b, ", ATT&CK %s", e(strings.Join(f.Attack, " ")))
		}
		b.WriteString("\n")
		if f.Time != "" {
			fmt.Fprintf(&b, "      when: %s\n", e(f.Time))
		}
		for i, ev := range f.Evidence {
			if i == opt.Evidence {
				fmt.Fprintf(&b, "      ... %d more lines of evidence (--format json)\n", len(f.Evidence)-i)
				break
			}
			fmt.Fprintf(&b, "      evidence: %s\n", e(ev))
		}
		if f.Explanation != "" {
			fmt.Fprintf(&b, "      explanation: %s\n", e(f.Explanation))
		} else {
			b.WriteString("      explained by: nothing found (no package operation, administrator's session or change note)\n")
		}
		if !whyShown[f.Rule] {
			whyShown[f.Rule] = true
			fmt.Fprintf(&b, "      why it matters: %s\n", e(f.Why))
		}
		fmt.Fprintf(&b, "      what to do: %s\n", e(f.Action))
	}
	if len(explained) > 0 {
		fmt.Fprintf(&b, "\nEXPLAINED (%d): changes someone accounts for\n", len(explained))
		for i, f := range explained {
			if !opt.All && i == 15 {
				fmt.Fprintf(&b, "  ... and %d more (--all)\n", len(explained)-i)
				break
			}
			fmt.Fprintf(&b, "  - [%s] %s\n      %s\n", f.Severity, e(f.Title), e(f.Explanation))
		}
	}
	if len(info) > 0 {
		fmt.Fprintf(&b, "\nFOR INFORMATION (%d)\n", len(info))
		for i, f := range info {
			if !opt.All && i == 10 {
				fmt.Fprintf(&b, "  ... and %d more (--all)\n", len(info)-i)
				break
			}
			fmt.Fprintf(&b, "  - [%s] %s\n", f.Severity, e(f.Title))
		}
	}
	writeSessions(&b, r.Sessions)
	b.WriteString("\nNOT COVERED\n")
	if len(r.Coverage.NotCovered) == 0 {
		b.WriteString("  nothing: every collector ran and everything in scope was read\n")
	}
	for _, n := range r.Coverage.NotCovered {
		fmt.Fprintf(&b, "  - %s\n", e(n))
	}
	b.WriteString("\nNEXT\n")
	for i, n := range r.Next {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, e(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
