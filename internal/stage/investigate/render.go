package investigate

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// WriteJSON writes the investigation as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteCSV writes the timeline as CSV: time, source, host, event, detail (and the address, user
// and path columns that help filtering).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "source", "host", "event", "detail", "source_ip", "user", "path", "malicious"})
	for _, e := range r.Timeline {
		cw.Write([]string{e.Time.UTC().Format(time.RFC3339Nano), e.Source, e.Host, e.Event, e.Detail, e.IP, e.User, e.Path,
			map[bool]string{true: "yes", false: ""}[e.Malicious]})
	}
	cw.Flush()
	return cw.Error()
}

// TextOptions tune the report for people.
type TextOptions struct {
	Rows int // timeline rows shown (0: 60 around the incident)
}

// WriteText writes the story first, then the entry point's evidence, the findings of the
// investigation, and the timeline around the incident.
func (r *Report) WriteText(w io.Writer, opt TextOptions) error {
	if opt.Rows <= 0 {
		opt.Rows = 60
	}
	var b strings.Builder
	e := textsafe.Escape // every host-derived string, so no name acts on the terminal
	b.WriteString("WHAT HAPPENED\n")
	for _, n := range r.Narrative {
		b.WriteString("  " + e(n) + "\n")
	}
	if r.Entry.Vector != "unknown" {
		fmt.Fprintf(&b, "\nWAY IN: %s (confidence %s) at %s\n", e(r.Entry.Vector), e(r.Entry.Confidence), stamp(r.Entry.Time))
		for _, ev := range r.Entry.Evidence {
			b.WriteString("  evidence: " + e(finding.Clip(ev, 300)) + "\n")
		}
	}
	var own []finding.Finding
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "entry.") || strings.HasPrefix(f.Rule, "ssh.") || strings.HasPrefix(f.Rule, "login.") ||
			strings.HasPrefix(f.Rule, "web.") || strings.HasPrefix(f.Rule, "tamper.login") || strings.HasPrefix(f.Rule, "privilege.sudo") ||
			strings.HasPrefix(f.Rule, "package.") {
			own = append(own, f)
		}
	}
	if len(own) > 0 {
		fmt.Fprintf(&b, "\nFROM THE LOGS (%d)\n", len(own))
		for i, f := range own {
			if i == 40 {
				fmt.Fprintf(&b, "  ... and %d more (--format json)\n", len(own)-i)
				break
			}
			fmt.Fprintf(&b, "  [%s] %s\n", f.Severity, e(f.Title))
			for j, ev := range f.Evidence {
				if j == 2 {
					break
				}
				b.WriteString("      " + e(finding.Clip(ev, 240)) + "\n")
			}
		}
	}
	if len(r.IOCs.IPs)+len(r.IOCs.Paths)+len(r.IOCs.Hashes)+len(r.IOCs.Keys) > 0 {
		b.WriteString("\nINDICATORS (to look for on other hosts)\n")
		for _, x := range []struct {
			name string
			vals []string
		}{{"addresses", r.IOCs.IPs}, {"paths", r.IOCs.Paths}, {"sha256", r.IOCs.Hashes}, {"ssh keys", r.IOCs.Keys}} {
			if len(x.vals) > 0 {
				fmt.Fprintf(&b, "  %-9s %s\n", x.name+":", e(strings.Join(x.vals, " ")))
			}
		}
	}
	rows := r.around(opt.Rows)
	fmt.Fprintf(&b, "\nTIMELINE (%d of %d rows; all with --format csv)\n", len(rows), len(r.Timeline))
	for _, ev := range rows {
		mark := " "
		if ev.Malicious {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %s  %-8s %-22s %s\n", mark, ev.Time.UTC().Format("2006-01-02 15:04:05"), e(ev.Source), e(ev.Event), e(finding.Clip(ev.Detail, 160)))
	}
	if len(r.Problems) > 0 {
		b.WriteString("\nNOT COVERED\n")
		for _, p := range r.Problems {
			b.WriteString("  - " + e(finding.Clip(p, 200)) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// around picks the timeline rows around the incident: from a little before the way in to the
// last malicious event, the heaviest first when there are too many.
func (r *Report) around(n int) []Event {
	if len(r.Timeline) <= n {
		return r.Timeline
	}
	lo, hi := r.First, r.Last
	if lo.IsZero() {
		return r.Timeline[len(r.Timeline)-n:]
	}
	lo = lo.Add(-time.Hour)
	if hi.Before(lo) {
		hi = lo.Add(2 * time.Hour)
	}
	hi = hi.Add(time.Hour)
	var in []Event
	for _, e := range r.Timeline {
		if !e.Time.Before(lo) && !e.Time.After(hi) {
			in = append(in, e)
		}
	}
	if len(in) <= n {
		return in
	}
	// Too many: keep malicious and heavy rows, then the rest in order.
	var out []Event
	for _, e := range in {
		if e.Malicious || e.weight >= 3 {
			out = append(out, e)
		}
	}
	if len(out) > n {
		return out[:n]
	}
	return out
}
