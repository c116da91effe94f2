package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// TextOptions tune the report for people.
type TextOptions struct {
	Limit     int  // changes shown per group (0: 40); the rest are counted
	TextDiffs bool // show line diffs of changed configuration files
	Header    []string
}

var titles = func() map[string]string {
	m := map[string]string{}
	for _, k := range kinds {
		m[k.name] = k.title
	}
	return m
}()

type group struct {
	title   string
	changes []Change
}

func (r *Result) groups() []group {
	var out []group
	idx := map[string]int{}
	for _, c := range r.Changes {
		title := titles[c.Kind]
		if c.Kind == "file" {
			title = "Files: " + c.Area
		}
		i, ok := idx[title]
		if !ok {
			i = len(out)
			idx[title] = i
			out = append(out, group{title: title})
		}
		out[i].changes = append(out[i].changes, c)
	}
	return out
}

var marks = map[string]string{"added": "+", "removed": "-", "modified": "~"}

// WriteText writes the changes for people: grouped by kind of state (files by area of the
// system), most security-relevant first, with counts per group. Names, values and file lines
// from the hosts are escaped (textsafe): none can act on the reader's terminal.
func (r *Result) WriteText(w io.Writer, opt TextOptions) error {
	e := textsafe.Escape
	if opt.Limit <= 0 {
		opt.Limit = 40
	}
	var b strings.Builder
	for _, h := range opt.Header {
		b.WriteString(e(h) + "\n")
	}
	if len(r.Changes) == 0 {
		b.WriteString("\nNo changes.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, g := range r.groups() {
		n := map[string]int{}
		for _, c := range g.changes {
			n[c.Change]++
		}
		fmt.Fprintf(&b, "\n%s (%d: %s)\n", e(g.title), len(g.changes), countText(n))
		for i, c := range g.changes {
			if i == opt.Limit {
				fmt.Fprintf(&b, "  ... and %d more (see --format json, or --all)\n", len(g.changes)-opt.Limit)
				break
			}
			fmt.Fprintf(&b, "  %s %s\n", marks[c.Change], e(c.Subject))
			if c.Change == "modified" {
				for _, f := range c.Fields {
					fmt.Fprintf(&b, "      %s: %s -> %s\n", e(f), e(show(f, c.Before[f])), e(show(f, c.After[f])))
				}
			}
			if c.Explanation != "" {
				fmt.Fprintf(&b, "      explained: %s\n", e(c.Explanation))
			}
			if opt.TextDiffs && c.TextDiff != "" {
				for _, l := range strings.Split(strings.TrimSuffix(c.TextDiff, "\n"), "\n") {
					b.WriteString("      | " + e(l) + "\n")
				}
			}
		}
	}
	total := map[string]int{}
	for _, c := range r.Changes {
		total[c.Change]++
	}
	fmt.Fprintf(&b, "\n%d changes: %s\n", len(r.Changes), countText(total))
	_, err := io.WriteString(w, b.String())
	return err
}

func countText(n map[string]int) string {
	var parts []string
	for _, k := range []string{"added", "removed", "modified"} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func show(field, v string) string {
	switch {
	case v == "":
		return "(none)"
	case field == "mode":
		var m int64
		fmt.Sscan(v, &m)
		return fmt.Sprintf("%04o", m)
	case field == "sha256" && len(v) > 16:
		return v[:16] + "…"
	}
	return v
}

// JSON is the machine-readable form of a comparison.
type JSON struct {
	Baseline map[string]string         `json:"baseline"`
	Current  map[string]string         `json:"current"`
	Verified bool                      `json:"verified"`
	Warnings []string                  `json:"warnings,omitempty"`
	Counts   map[string]map[string]int `json:"counts"`
	Changes  []Change                  `json:"changes"`
}

// WriteJSON writes the changes as JSON: {"changes":[{"kind","change","subject","path","before","after"}...]}
// with the facts of both snapshots, whether the baseline's signature was verified, and counts.
func (r *Result) WriteJSON(w io.Writer, baseline, current map[string]string, verified bool, warnings []string) error {
	out := JSON{Baseline: baseline, Current: current, Verified: verified, Warnings: warnings, Counts: r.Counts(), Changes: r.Changes}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Kinds lists the kinds that have changes, in report order.
func (r *Result) Kinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Changes {
		if !seen[c.Kind] {
			seen[c.Kind] = true
			out = append(out, c.Kind)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return rankOf(out[i]) < rankOf(out[j]) })
	return out
}

func rankOf(name string) int {
	for _, k := range kinds {
		if k.name == name {
			return k.rank
		}
	}
	return 1000
}
