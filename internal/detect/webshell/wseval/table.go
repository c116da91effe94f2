package wseval

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Verdict is what a classifier said about one file.
type Verdict struct {
	Webshell   bool   // the strong verdict
	Suspicious bool   // the weaker one (not set when Webshell is)
	Tool       string // a known admin tool in its released form, reported as information
	Language   string // the language the classifier read the file as ("unknown" when none)
}

// Alarm is either verdict that puts a finding of high or critical severity before the admin.
func (v Verdict) Alarm() bool { return v.Webshell || v.Suspicious }

// Row counts one group of files.
type Row struct {
	Group      string
	Files      int
	Webshell   int // files with the strong verdict
	Suspicious int // files with the weaker verdict only
	Tools      int // files named as a known admin tool (information, no alarm)
	Misses     []string
}

// Alarms is files with either verdict.
func (r Row) Alarms() int { return r.Webshell + r.Suspicious }

// Rate is part over files, in percent.
func Rate(part, files int) float64 {
	if files == 0 {
		return 0
	}
	return 100 * float64(part) / float64(files)
}

// Report is an evaluation's result.
type Report struct {
	// Shells has one row per half and language ("heldout/php", "tuning/all", ...).
	Shells []Row
	// Benign has one row per package, and one per language ("lang:php"), for code files:
	// files the classifier read as a language. Other files (images, text) are in NotCode.
	Benign  []Row
	NotCode int
	// BenignAlarms and BenignTools list the benign files with an alarm and the admin tools
	// named ("path: verdict").
	BenignAlarms, BenignTools []string
	Bytes                     int64
	Files                     int
	Elapsed                   time.Duration
}

// Evaluate runs classify over both sets.
func Evaluate(shells, benign []Sample, classify func(Sample) Verdict) Report {
	var rep Report
	start := time.Now()
	rows := map[string]*Row{}
	row := func(g string) *Row {
		r := rows[g]
		if r == nil {
			r = &Row{Group: g}
			rows[g] = r
		}
		return r
	}
	for _, s := range shells {
		v := classify(s)
		rep.Bytes += int64(len(s.Content))
		rep.Files++
		lang := SampleLanguage(s.Class, v.Language)
		half := s.Half
		if half == "" {
			half = "unsplit"
		}
		for _, g := range []string{half + "/" + lang, half + "/all", "both/all"} {
			r := row(g)
			r.Files++
			switch {
			case v.Webshell:
				r.Webshell++
			case v.Suspicious:
				r.Suspicious++
			}
			if v.Tool != "" {
				r.Tools++
			}
		}
		if !v.Alarm() {
			what := s.Path
			if v.Tool != "" {
				what += " (named as tool " + v.Tool + ")"
			}
			r := row(half + "/" + lang)
			r.Misses = append(r.Misses, what)
		}
	}
	rep.Shells = sortRows(rows)
	rows = map[string]*Row{}
	for _, s := range benign {
		v := classify(s)
		rep.Bytes += int64(len(s.Content))
		rep.Files++
		if v.Language == "" || v.Language == "unknown" {
			rep.NotCode++
			continue
		}
		for _, g := range []string{s.Class, "lang:" + v.Language, "all"} {
			r := row(g)
			r.Files++
			switch {
			case v.Webshell:
				r.Webshell++
			case v.Suspicious:
				r.Suspicious++
			}
			if v.Tool != "" {
				r.Tools++
			}
		}
		switch {
		case v.Webshell:
			rep.BenignAlarms = append(rep.BenignAlarms, s.Path+": webshell")
		case v.Suspicious:
			rep.BenignAlarms = append(rep.BenignAlarms, s.Path+": suspicious")
		}
		if v.Tool != "" {
			rep.BenignTools = append(rep.BenignTools, s.Path+": "+v.Tool)
		}
	}
	rep.Benign = sortRows(rows)
	rep.Elapsed = time.Since(start)
	return rep
}

func sortRows(m map[string]*Row) []Row {
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return rowKey(out[i].Group) < rowKey(out[j].Group) })
	return out
}

// rowKey orders rows: held-out before tuning, "all" last in each half, languages before
// packages.
func rowKey(g string) string {
	k := g
	switch {
	case len(g) > 8 && g[:8] == "heldout/":
		k = "0" + g
	case len(g) > 7 && g[:7] == "tuning/":
		k = "1" + g
	case len(g) > 5 && g[:5] == "both/":
		k = "2" + g
	case len(g) > 5 && g[:5] == "lang:":
		k = "4" + g
	case g == "all":
		k = "5"
	default:
		k = "3" + g
	}
	if len(g) > 4 && g[len(g)-4:] == "/all" {
		k = k[:1] + g[:len(g)-4] + "/~"
	}
	return k
}

// Find returns the row of a group (zero when absent).
func Find(rows []Row, group string) Row {
	for _, r := range rows {
		if r.Group == group {
			return r
		}
	}
	return Row{Group: group}
}

// Print writes the tables.
func (rep Report) Print(w io.Writer, benignTitle string) {
	fmt.Fprintf(w, "web shells: recall = files with an alarm (webshell or suspicious verdict)\n")
	fmt.Fprintf(w, "  %-20s %6s %9s %11s %8s\n", "half/language", "files", "webshell", "suspicious", "recall")
	for _, r := range rep.Shells {
		fmt.Fprintf(w, "  %-20s %6d %9d %11d %7.1f%%\n", r.Group, r.Files, r.Webshell, r.Suspicious, Rate(r.Alarms(), r.Files))
	}
	if len(rep.Benign) > 0 {
		fmt.Fprintf(w, "benign code files, %s: false alarms = files with an alarm; admin tools named = information\n", benignTitle)
		fmt.Fprintf(w, "  %-22s %6s %9s %11s %8s %6s\n", "package/language", "files", "webshell", "suspicious", "alarms", "tools")
		for _, r := range rep.Benign {
			fmt.Fprintf(w, "  %-22s %6d %9d %11d %7.2f%% %6d\n", r.Group, r.Files, r.Webshell, r.Suspicious, Rate(r.Alarms(), r.Files), r.Tools)
		}
		fmt.Fprintf(w, "  (%d other files of the web roots, images and text that hold no code, were scanned too)\n", rep.NotCode)
	}
}
