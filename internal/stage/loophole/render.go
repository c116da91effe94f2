package loophole

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: the hole used first, then the others, what listens,
// the known vulnerabilities, and what was not covered.
func (r *Report) WriteText(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	s := textsafe.Escape
	p("Way in (investigate): %s, %s confidence\n", r.Entry.Vector, r.Entry.Confidence)
	if len(r.Entry.SourceIPs) > 0 || len(r.Entry.Users) > 0 {
		p("  from %s, accounts %s\n", s(strings.Join(r.Entry.SourceIPs, ", ")), s(strings.Join(r.Entry.Users, ", ")))
	}
	used := r.Used()
	if len(used) == 0 {
		p("\nTHE HOLE: not named (the way in is unknown, or nothing in the configuration explains it)\n")
	}
	for i, h := range r.Holes {
		if i == len(used) && len(used) > 0 {
			p("\nOTHER HOLES (not the way in this time, close them too):\n")
		} else if i == 0 && len(used) == 0 && len(r.Holes) > 0 {
			p("\nHOLES (not tied to the way in):\n")
		}
		label := "  "
		if h.Used {
			label = "\nTHE HOLE: "
		}
		p("%s[%s] %s (%s confidence)\n", label, h.ID, s(h.Title), h.Confidence)
		p("    why: %s\n", s(h.Why))
		for _, e := range h.Evidence {
			if e != "" {
				p("    - %s\n", s(e))
			}
		}
		p("    closed by: nowwhat harden --only %s\n", strings.Join(h.Fixes, ","))
	}
	p("\nWHAT LISTENS (%d):\n", len(r.Exposure))
	for _, x := range r.Exposure {
		reach := "local only"
		if x.Public {
			reach = "reachable from the network"
		}
		used := ""
		if x.Used {
			used = "  <- the way in"
		}
		port := ""
		if x.Port > 0 {
			port = fmt.Sprintf(" port %d", x.Port)
		}
		p("  %-8s %s%s, %s (%s)%s\n", x.Service, s(x.Address), port, reach, s(x.Source), used)
	}
	if r.Vulns != nil {
		p("\nKNOWN VULNERABILITIES of installed packages (%d packages checked", r.Vulns.Checked)
		if r.OSV != nil {
			p(" against %d OSV records, newest %s", r.OSV.Records, orDefault(r.OSV.Newest, "?"))
		}
		p("): %d\n", len(r.Vulns.Matches))
		max := 40
		for i, m := range r.Vulns.Matches {
			if i == max {
				p("  ... and %d more (--format json lists them all)\n", len(r.Vulns.Matches)-max)
				break
			}
			p("  %s %s (%s): %s %s, fixed in %s\n", s(m.Package.Key.Name), s(m.Package.Compare), s(m.Ecosystem), s(m.ID), strings.Join(m.CVEs, ","), s(orDefault(m.Fixed, "no fix yet")))
		}
	}
	if len(r.NotCovered) > 0 {
		p("\nNOT COVERED:\n")
		for _, n := range r.NotCovered {
			p("  - %s\n", s(n))
		}
	}
	return nil
}
