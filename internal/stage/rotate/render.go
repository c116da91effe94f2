package rotate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nowwhat/nowwhat/internal/detect/secrets"
)

// safe makes a name from the host fit to print: control characters (ESC above all), DEL, C1
// controls and invalid UTF-8 become "?".
func safe(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteByte('?')
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// WriteJSON writes the result as JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// workstation are the steps on the operator's own machine, which nowwhat cannot take.
var workstation = []string{
	"ssh-keygen -R HOST on every machine that connects here, then check the new host key fingerprint (printed above) at the first connection",
	"if you or an admin logged in here with agent forwarding (ssh -A) or a ProxyJump through this host, treat the keys in that agent as exposed: make new ones and remove the old from every server and forge",
	"change, everywhere else, every password that was typed on this host (sudo, su, database clients) and that you reuse",
	"registrar and hosting panel: change the account passwords, turn on two-factor login, check the DNS records and the contact e-mail were not changed",
	"keep the encrypted new secrets (age -d -i YOUR-IDENTITY FILE) off this host; hand each user their new password over a separate channel",
}

// WriteText prints the inventory, the plan or the outcome, and the steps left to the operator.
func (r *Result) WriteText(w io.Writer, now time.Time) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Credentials on %s: %d (%s)\n", safe(r.Root), len(r.Items), summary(r.Counts))
	p("Rules: %s\n", r.Rules)
	p("Containment: %s\n", safe(r.Containment))
	if r.Baseline != "" {
		p("Baseline: %s (SSH keys it knew are kept)\n", safe(r.Baseline))
	}
	if r.Ephemeral {
		p("Note: no case folder, so fingerprints are keyed for this run only; give --case DIR to compare later runs.\n")
	}
	for _, s := range r.Warnings {
		p("WARNING: %s\n", safe(s))
	}
	for _, kind := range secrets.Kinds {
		var its []Item
		for _, it := range r.Items {
			if it.Kind == kind {
				its = append(its, it)
			}
		}
		if len(its) == 0 {
			continue
		}
		p("\n%s (%d)\n", kind, len(its))
		for _, it := range its {
			age := "age ?"
			if d := it.Age(now); d >= 0 {
				age = fmt.Sprintf("%dd", d)
			}
			whose := it.Owner
			if it.App != "" && it.App != whose {
				whose = strings.TrimPrefix(whose+" ", " ") + "(" + it.App + ")"
			}
			p("  %-17s %-8s %s  %s  %s  fp %s\n", it.ID, it.State, safe(it.Where()), safe(whose), age, orDash(it.Fingerprint))
			desc := it.Name
			if it.PublicKey != "" && !strings.Contains(desc, it.PublicKey) {
				desc += " " + it.PublicKey
			}
			if it.Known != "" {
				desc += " [" + it.Known + "]"
			}
			if it.DB != nil {
				desc += fmt.Sprintf(" [%s user %s", it.DB.Engine, it.DB.User)
				if it.DB.Database != "" {
					desc += ", database " + it.DB.Database
				}
				desc += "]"
			}
			if it.Note != "" {
				desc += ": " + it.Note
			}
			p("      %s\n", safe(desc))
			if !Done(it.State) && it.How != "" {
				p("      how: %s\n", safe(it.How))
			}
			for _, e := range it.Evidence {
				p("      evidence: %s\n", safe(e))
			}
			if it.Waiver != "" {
				p("      waived: %s\n", safe(it.Waiver))
			}
		}
	}
	if len(r.Actions) > 0 {
		if r.Command == "apply" {
			p("\nDONE (journal: the case's %s):\n", JournalName)
		} else {
			p("\nPLAN, in one go (nothing changes without --apply):\n")
		}
		for _, a := range r.Actions {
			mark := "-"
			if r.Command == "apply" {
				mark = "ok"
				if !a.Applied {
					mark = "NOT DONE"
				}
			}
			p("  %s %s %s\n", mark, a.Kind, safe(a.Target))
			for _, s := range a.What {
				p("      %s\n", safe(s))
			}
			if a.Error != "" {
				p("      error: %s\n", safe(a.Error))
			}
			for _, e := range a.Evidence {
				p("      evidence: %s\n", safe(e))
			}
			if a.UndoHow != "" {
				p("      undo: %s\n", safe(a.UndoHow))
			}
		}
	}
	if len(r.HostKeys) > 0 {
		p("\nNew host key fingerprints (give them to your users for known_hosts):\n")
		for _, k := range r.HostKeys {
			p("  %s\n", k)
		}
	}
	if len(r.Sealed) > 0 {
		p("\nEncrypted to your recipient (open with age -d -i YOUR-IDENTITY FILE, on your own machine):\n")
		for _, s := range r.Sealed {
			p("  %s\n", s)
		}
	}
	if r.Command != "verify" {
		p("\nOn your own workstation (nowwhat cannot do these):\n")
		for _, s := range workstation {
			p("  - %s\n", s)
		}
	}
	if len(r.NotCovered) > 0 {
		p("\nNot covered (could not be read):\n")
		for _, s := range r.NotCovered {
			p("  - %s\n", safe(s))
		}
	}
	switch r.Command {
	case "inventory", "plan":
		p("\nNext: cut the intruder off (nowwhat contain), then nowwhat rotate --apply --recipient age1...; afterwards nowwhat rotate verify.\n")
	case "apply":
		p("\nNext: nowwhat rotate verify (proves the old credentials dead); nowwhat rotate status shows what is left.\n")
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func summary(c map[string]int) string {
	var parts []string
	for _, s := range []string{StatePending, StateGuided, StateApplied, StateRotated, StateKept, StateGone, StateWaived, StateUnproven, StateFailed} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
