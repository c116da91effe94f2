package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Goal is one quality bar of the issue and whether this run met it.
type Goal struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
	Ran  bool   `json:"ran"` // false: no scenario of this goal was measured
}

// CategorySummary counts one category.
type CategorySummary struct {
	Category        string `json:"category"`
	Measured        int    `json:"measured"`
	CaughtWith      int    `json:"caught_with_baseline"`
	CaughtWithout   int    `json:"caught_without_baseline"`
	DetectedWithout int    `json:"detected_without_baseline"`
	NotCompromised  int    `json:"not_compromised,omitempty"` // benign
	Clean           int    `json:"clean,omitempty"`           // benign, both checks clean
}

// Summary is the run's outcome.
type Summary struct {
	Attacks         int `json:"attacks_measured"`
	CaughtWith      int `json:"attacks_caught_with_baseline"`
	CaughtWithout   int `json:"attacks_caught_without_baseline"`
	DetectedWith    int `json:"attacks_detected_with_baseline"`
	DetectedWithout int `json:"attacks_detected_without_baseline"`
	Benign          int `json:"benign_measured"`
	BenignOK        int `json:"benign_never_compromised"`
	BenignClean     int `json:"benign_clean"`
	// BenignSound: clean with a baseline, and without one no unexplained high (without a baseline
	// or a trust entry nothing vouches for the people's logins, so their work stays unexplained,
	// which is honest, but must never look like an intrusion).
	BenignSound    int               `json:"benign_sound"`
	CleanRoot      string            `json:"clean_root"`
	Skipped        int               `json:"skipped"`
	Errors         int               `json:"errors"`
	ContractIssues int               `json:"contract_issues"`
	CheckMean      float64           `json:"check_seconds_mean"`
	CheckMax       float64           `json:"check_seconds_max"`
	Categories     []CategorySummary `json:"categories"`
	Goals          []Goal            `json:"goals"`
}

// AllMet says whether every goal that ran was met and nothing failed to run.
func (s Summary) AllMet() bool {
	if s.Errors > 0 {
		return false
	}
	for _, g := range s.Goals {
		if g.Ran && !g.Met {
			return false
		}
	}
	return true
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

func summarize(results []*Result) Summary {
	var s Summary
	cats := map[string]*CategorySummary{}
	var order []string
	cat := func(name string) *CategorySummary {
		if c, ok := cats[name]; ok {
			return c
		}
		c := &CategorySummary{Category: name}
		cats[name] = c
		order = append(order, name)
		return c
	}
	var times []float64
	cleanRootRan := false
	cleanRootOK := false
	for _, r := range results {
		switch {
		case r.Skipped != "":
			s.Skipped++
			continue
		case r.Error != "":
			s.Errors++
			continue
		}
		for _, run := range []*CheckRun{r.NoBaseline, r.WithBaseline} {
			if run != nil {
				times = append(times, run.Seconds)
				if len(run.Problems) > 0 {
					s.ContractIssues++
				}
			}
		}
		if !r.measured() {
			s.Errors++
			continue
		}
		c := cat(r.Category)
		c.Measured++
		nb, wb := r.NoBaseline, r.WithBaseline
		switch r.Kind {
		case Attack:
			s.Attacks++
			if wb.Caught {
				s.CaughtWith++
				c.CaughtWith++
			}
			if nb.Caught {
				s.CaughtWithout++
				c.CaughtWithout++
			}
			if wb.Detected {
				s.DetectedWith++
			}
			if nb.Detected {
				s.DetectedWithout++
				c.DetectedWithout++
			}
		case Benign:
			s.Benign++
			if nb.OK && wb.OK {
				s.BenignOK++
				c.NotCompromised++
			}
			if nb.Clean && wb.Clean {
				s.BenignClean++
				c.Clean++
			}
			if wb.Clean && nb.NoHigh && nb.OK {
				s.BenignSound++
			}
			if r.Name == "benign-clean-root" {
				cleanRootRan = true
				cleanRootOK = wb.Clean && nb.NoHigh && nb.OK
				s.CleanRoot = fmt.Sprintf("without baseline %s, with baseline %s", nb.Verdict, wb.Verdict)
			}
		}
	}
	for _, name := range order {
		s.Categories = append(s.Categories, *cats[name])
	}
	if len(times) > 0 {
		sum := 0.0
		for _, t := range times {
			sum += t
		}
		s.CheckMean = sum / float64(len(times))
		s.CheckMax = slices.Max(times)
	}
	if s.CleanRoot == "" {
		s.CleanRoot = "not measured"
	}
	s.Goals = []Goal{
		{Name: "attacks caught with a baseline", Want: "all", Got: fmt.Sprintf("%d/%d (%s)", s.CaughtWith, s.Attacks, pct(s.CaughtWith, s.Attacks)),
			Met: s.Attacks > 0 && s.CaughtWith == s.Attacks, Ran: s.Attacks > 0},
		{Name: "attacks caught without a baseline", Want: ">= 90%", Got: fmt.Sprintf("%d/%d (%s)", s.CaughtWithout, s.Attacks, pct(s.CaughtWithout, s.Attacks)),
			Met: s.Attacks > 0 && s.CaughtWithout*10 >= s.Attacks*9, Ran: s.Attacks > 0},
		{Name: "benign work never called compromised", Want: "all", Got: fmt.Sprintf("%d/%d", s.BenignOK, s.Benign),
			Met: s.BenignOK == s.Benign, Ran: s.Benign > 0},
		{Name: "benign work clean with a baseline, no unexplained high without", Want: "all", Got: fmt.Sprintf("%d/%d", s.BenignSound, s.Benign),
			Met: s.BenignSound == s.Benign, Ran: s.Benign > 0},
		{Name: "clean root clean with a baseline, no high without", Want: "both", Got: s.CleanRoot, Met: cleanRootOK, Ran: cleanRootRan},
		{Name: "every selected scenario measured", Want: "no errors", Got: fmt.Sprintf("%d errors, %d skipped", s.Errors, s.Skipped), Met: s.Errors == 0, Ran: true},
	}
	return s
}

// cell renders one check run for the table.
func cell(r *Result, run *CheckRun) string {
	if run == nil {
		return "-"
	}
	if run.raw == nil {
		return fmt.Sprintf("ERROR exit %d", run.Exit)
	}
	mark := ""
	switch r.Kind {
	case Attack:
		switch {
		case run.Caught:
			mark = "ok"
		case run.Detected:
			mark = "WEAK" // named, but the verdict is below the expected one
		case run.Matched == nil && verdictRank(run.Verdict) > 0:
			mark = "MISS(other findings)"
		default:
			mark = "MISS"
		}
	case Benign:
		switch {
		case !run.OK:
			mark = "FALSE ALARM"
		case run.Clean:
			mark = "ok"
		default:
			mark = fmt.Sprintf("ok(%d unexplained)", run.Unexplained)
		}
	}
	if len(run.Problems) > 0 {
		mark += " !contract"
	}
	return fmt.Sprintf("%s %s %.1fs", run.Verdict, mark, run.Seconds)
}

// printTable writes the per-scenario table.
func printTable(w io.Writer, results []*Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tCATEGORY\tEXPECT\tWITHOUT BASELINE\tWITH BASELINE")
	for _, r := range results {
		exp := r.Expect.Verdict
		if r.Kind == Attack {
			exp = ">= " + exp
		} else {
			exp = "not compromised"
		}
		switch {
		case r.Skipped != "":
			fmt.Fprintf(tw, "%s\t%s\t%s\tskipped: %s\t\n", r.Name, r.Category, exp, r.Skipped)
		case r.Error != "":
			fmt.Fprintf(tw, "%s\t%s\t%s\tERROR: %s\t\n", r.Name, r.Category, exp, firstLine(r.Error))
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Category, exp, cell(r, r.NoBaseline), cell(r, r.WithBaseline))
		}
	}
	tw.Flush()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// printDetails lists, for every miss and false alarm, what check did say.
func printDetails(w io.Writer, results []*Result) {
	for _, r := range results {
		if !r.measured() {
			if r.Error != "" && strings.Contains(r.Error, "\n") {
				fmt.Fprintf(w, "\n%s: %s\n", r.Name, r.Error)
			}
			continue
		}
		for _, x := range []struct {
			label string
			run   *CheckRun
		}{{"without baseline", r.NoBaseline}, {"with baseline", r.WithBaseline}} {
			bad := (r.Kind == Attack && !x.run.Caught) || (r.Kind == Benign && !x.run.Clean)
			if !bad && len(x.run.Problems) == 0 {
				continue
			}
			fmt.Fprintf(w, "\n%s (%s): verdict %s, %d findings, %d unexplained\n", r.Name, x.label, x.run.Verdict, x.run.Findings, x.run.Unexplained)
			if r.Kind == Attack {
				fmt.Fprintf(w, "  wanted: verdict >= %s and an unexplained finding naming %s\n", r.Expect.Verdict, describeExpect(r.Expect))
			}
			for _, p := range x.run.Problems {
				fmt.Fprintf(w, "  contract: %s\n", p)
			}
			for _, f := range x.run.Top {
				loc := f.Path
				if f.User != "" {
					loc += " user=" + f.User
				}
				fmt.Fprintf(w, "  %-8s %s %s %s\n", f.Severity, f.Rule, strings.TrimSpace(loc), f.Title)
			}
		}
	}
}

func describeExpect(x Expect) string {
	var parts []string
	if len(x.Paths) > 0 {
		parts = append(parts, "path "+strings.Join(x.Paths, " | "))
	}
	if len(x.Users) > 0 {
		parts = append(parts, "user "+strings.Join(x.Users, " | "))
	}
	if len(x.Evidence) > 0 {
		parts = append(parts, "evidence with "+strings.Join(x.Evidence, " | "))
	}
	return strings.Join(parts, " or ")
}

// printSummary writes the totals, the per-category table and the goals.
func printSummary(w io.Writer, s Summary) {
	fmt.Fprintf(w, "\nAttacks caught with a baseline:    %d/%d (%s)   at any verdict: %d/%d\n", s.CaughtWith, s.Attacks, pct(s.CaughtWith, s.Attacks), s.DetectedWith, s.Attacks)
	fmt.Fprintf(w, "Attacks caught without a baseline: %d/%d (%s)   at any verdict: %d/%d\n", s.CaughtWithout, s.Attacks, pct(s.CaughtWithout, s.Attacks), s.DetectedWithout, s.Attacks)
	fmt.Fprintf(w, "Benign never called compromised:   %d/%d   called clean by both checks: %d/%d\n", s.BenignOK, s.Benign, s.BenignClean, s.Benign)
	fmt.Fprintf(w, "Clean root:                        %s\n", s.CleanRoot)
	fmt.Fprintf(w, "Time per check:                    mean %.1fs, max %.1fs\n", s.CheckMean, s.CheckMax)
	if s.Skipped+s.Errors+s.ContractIssues > 0 {
		fmt.Fprintf(w, "Skipped: %d   errors: %d   check runs breaking the JSON/exit contract: %d\n", s.Skipped, s.Errors, s.ContractIssues)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tMEASURED\tCAUGHT WITH BASELINE\tCAUGHT WITHOUT\tBENIGN NOT COMPROMISED\tBENIGN CLEAN")
	for _, c := range s.Categories {
		if c.Category == CatBenign {
			fmt.Fprintf(tw, "%s\t%d\t\t\t%d/%d\t%d/%d\n", c.Category, c.Measured, c.NotCompromised, c.Measured, c.Clean, c.Measured)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\t%d/%d (%s)\t\t\n", c.Category, c.Measured, c.CaughtWith, c.Measured, c.CaughtWithout, c.Measured, pct(c.CaughtWithout, c.Measured))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, g := range s.Goals {
		state := "MET"
		switch {
		case !g.Ran:
			state = "not run"
		case !g.Met:
			state = "MISSED"
		}
		fmt.Fprintf(w, "goal %-40s want %-20s got %-40s %s\n", g.Name+":", g.Want, g.Got, state)
	}
}

// printMarkdown writes the scenario table of docs/evaluation.md.
func printMarkdown(w io.Writer, ss []*Scenario) {
	fmt.Fprintln(w, "| scenario | category | ATT&CK | what it does | expected |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range ss {
		exp := "not compromised (ideally clean)"
		if s.Kind == Attack {
			exp = "at least " + s.Expect.Verdict + ", naming " + describeExpect(s.Expect)
		}
		desc := strings.ReplaceAll(s.Description, "|", "\\|")
		exp = strings.ReplaceAll(exp, "|", "or")
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", s.Name, s.Category, strings.Join(s.Techniques, ", "), desc, exp)
	}
}
