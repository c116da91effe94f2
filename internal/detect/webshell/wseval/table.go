package wseval

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Verdict is what a classifier said about one file.
type Verdict struct {
	Webshell   bool // the strong verdict
	Suspicious bool // the weaker one (not set when Webshell is)
	Language   string
}

// Row counts one language group.
type Row struct {
	Group      string
	Files      int
	Webshell   int // files with the strong verdict
	Suspicious int // files with the weaker verdict only
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
	Shells, Benign  []Row
	Bytes           int64
	Elapsed         time.Duration
	BenignAlarmList []string // benign files with any alarm, "path: verdict"
}

// ShellGroup names the row a web-shell sample is counted in: its manifest class, except that
// files renamed to .txt count under the language their content shows ("txt:php").
func ShellGroup(class, detected string) string {
	if strings.HasSuffix(class, "(txt)") {
		return "txt:" + detected
	}
	return class
}

// Evaluate runs scan over both sets.
func Evaluate(shells, benign []Sample, scan func(name string, content []byte) Verdict) Report {
	var rep Report
	start := time.Now()
	rows := map[string]*Row{}
	for _, s := range shells {
		v := scan(s.Path, s.Content)
		rep.Bytes += int64(len(s.Content))
		g := ShellGroup(s.Class, v.Language)
		r := rows[g]
		if r == nil {
			r = &Row{Group: g}
			rows[g] = r
		}
		r.Files++
		switch {
		case v.Webshell:
			r.Webshell++
		case v.Suspicious:
			r.Suspicious++
			r.Misses = append(r.Misses, s.Path+" (suspicious)")
		default:
			r.Misses = append(r.Misses, s.Path)
		}
	}
	rep.Shells = sortRows(rows)
	rows = map[string]*Row{}
	for _, s := range benign {
		v := scan(s.Path, s.Content)
		rep.Bytes += int64(len(s.Content))
		r := rows[s.Class]
		if r == nil {
			r = &Row{Group: s.Class}
			rows[s.Class] = r
		}
		r.Files++
		switch {
		case v.Webshell:
			r.Webshell++
			rep.BenignAlarmList = append(rep.BenignAlarmList, s.Path+": webshell")
		case v.Suspicious:
			r.Suspicious++
			rep.BenignAlarmList = append(rep.BenignAlarmList, s.Path+": suspicious")
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
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// Total sums rows.
func Total(rows []Row) Row {
	t := Row{Group: "all"}
	for _, r := range rows {
		t.Files += r.Files
		t.Webshell += r.Webshell
		t.Suspicious += r.Suspicious
	}
	return t
}

// Print writes the per-language tables.
func (rep Report) Print(w io.Writer) {
	fmt.Fprintf(w, "web shells (recall: webshell verdict; with suspicious)\n")
	fmt.Fprintf(w, "  %-14s %6s %9s %8s %8s %8s\n", "group", "files", "webshell", "recall", "+susp", "recall")
	for _, r := range append(rep.Shells, Total(rep.Shells)) {
		fmt.Fprintf(w, "  %-14s %6d %9d %7.1f%% %8d %7.1f%%\n", r.Group, r.Files, r.Webshell, Rate(r.Webshell, r.Files), r.Alarms(), Rate(r.Alarms(), r.Files))
	}
	fmt.Fprintf(w, "benign files (false alarms: webshell verdict; with suspicious)\n")
	fmt.Fprintf(w, "  %-14s %6s %9s %8s %8s %8s\n", "group", "files", "webshell", "rate", "+susp", "rate")
	for _, r := range append(rep.Benign, Total(rep.Benign)) {
		fmt.Fprintf(w, "  %-14s %6d %9d %7.2f%% %8d %7.2f%%\n", r.Group, r.Files, r.Webshell, Rate(r.Webshell, r.Files), r.Alarms(), Rate(r.Alarms(), r.Files))
	}
	if rep.Elapsed > 0 {
		fmt.Fprintf(w, "scanned %.1f MB in %v: %.1f MB/s\n", float64(rep.Bytes)/1e6, rep.Elapsed.Round(time.Millisecond), float64(rep.Bytes)/1e6/rep.Elapsed.Seconds())
	}
}
