// Command weblog times internal/weblog's access log parser and attack classifier against grep on
// the same data, in the same run:
//
//	go run ./bench/weblog [-min-lines N] FILE...
//
// The files (plain or gzip) are concatenated, decompressed, into one temporary file, repeated
// until it holds at least -min-lines lines (1,000,000 by default), so the timings are long
// enough to mean something and every tool reads the same bytes from the page cache. Then:
//
//   - weblog parse: every line parsed into a Request (one goroutine, GOMAXPROCS 1);
//   - weblog parse+classify: the same, and every request classified (all rules);
//   - grep -c -E -i with a handful of the same patterns, one run each, and all of them in one
//     run: grep only counts matching lines, it parses nothing and decodes nothing.
//
// It prints lines/s, the hits per category and rule, and the time ratios.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/source/weblog"
)

// greps are patterns close to some of the rules (grep sees the raw, encoded line).
var greps = []struct{ name, re string }{
	{"union select", `union.{0,20}select`},
	{"traversal", `\.\./|\.\.%2f|%2e%2e`},
	{"nimda/codered", `cmd\.exe|root\.exe|default\.ida`},
	{"log4shell", `\$\{jndi:`},
	{"scanner UA", `nikto|sqlmap|nmap|masscan|zgrab|nuclei`},
}

func main() {
	minLines := flag.Int("min-lines", 1_000_000, "repeat the input until it has at least this many lines")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: weblog [-min-lines N] FILE...")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1)
	if err := run(flag.Args(), *minLines); err != nil {
		fmt.Fprintln(os.Stderr, "weblog:", err)
		os.Exit(1)
	}
}

func run(files []string, minLines int) error {
	data, err := load(files)
	if err != nil {
		return err
	}
	lines := strings.Count(string(data), "\n")
	if lines == 0 {
		return fmt.Errorf("no lines in %v", files)
	}
	reps := max(1, (minLines+lines-1)/lines)
	tmp, err := os.CreateTemp("", "weblog-bench-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	for range reps {
		w.Write(data)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	tmp.Close()
	total := lines * reps
	name := files[0]
	if len(files) > 1 {
		name = fmt.Sprintf("%s and %d more files", files[0], len(files)-1)
	}
	fmt.Printf("input: %s: %d lines x %d = %d lines, %.1f MB; GOMAXPROCS=1, %d CPUs, load %s\n",
		name, lines, reps, total, float64(len(data)*reps)/1e6, runtime.NumCPU(), loadavg())
	warm(tmp.Name())

	// Parse only.
	parseSecs, parsed, err := timeWeblog(tmp.Name(), false, nil)
	if err != nil {
		return err
	}
	// Parse and classify.
	byCat, byRule := map[string]int{}, map[string]int{}
	flagged := 0
	count := func(hits []weblog.Hit) {
		if len(hits) > 0 {
			flagged++
		}
		cats := map[string]bool{}
		for _, h := range hits {
			byRule[h.Rule]++
			if !cats[h.Category] {
				cats[h.Category] = true
				byCat[h.Category]++
			}
		}
	}
	fullSecs, _, err := timeWeblog(tmp.Name(), true, count)
	if err != nil {
		return err
	}

	fmt.Printf("\n%-38s %9s %14s %10s\n", "tool", "seconds", "lines/s", "matches")
	fmt.Printf("%-38s %9.3f %14.0f %10d\n", "weblog parse", parseSecs, float64(total)/parseSecs, parsed)
	fmt.Printf("%-38s %9.3f %14.0f %10d\n", "weblog parse+classify (all rules)", fullSecs, float64(total)/fullSecs, flagged)
	var all []string
	var grepSum float64
	for _, g := range greps {
		secs, n, err := timeGrep(g.re, tmp.Name())
		if err != nil {
			return err
		}
		grepSum += secs
		all = append(all, g.re)
		fmt.Printf("%-38s %9.3f %14.0f %10d\n", "grep -c -E -i '"+g.name+"'", secs, float64(total)/secs, n)
	}
	allSecs, allN, err := timeGrep(strings.Join(all, "|"), tmp.Name())
	if err != nil {
		return err
	}
	fmt.Printf("%-38s %9.3f %14.0f %10d\n", fmt.Sprintf("grep -c -E -i (the %d at once)", len(greps)), allSecs, float64(total)/allSecs, allN)
	fmt.Printf("\nratios: weblog parse+classify / grep of %d patterns at once: %.1fx the time; / the %d greps run one by one: %.1fx\n",
		len(greps), fullSecs/allSecs, len(greps), fullSecs/grepSum)
	fmt.Printf("weblog: %.0f lines/s parse+classify on one core (target 300,000): %s\n", float64(total)/fullSecs,
		map[bool]string{true: "met", false: "NOT met"}[float64(total)/fullSecs >= 300000])
	fmt.Printf("peak RSS %s\n", peakRSS())

	fmt.Printf("\nrequests flagged: %d of %d (%.1f%%); per category (requests):\n", flagged, total, 100*float64(flagged)/float64(total))
	for _, k := range slices.Sorted(maps.Keys(byCat)) {
		fmt.Printf("  %-16s %9d\n", k, byCat[k])
	}
	fmt.Println("per rule (hits):")
	for _, k := range slices.Sorted(maps.Keys(byRule)) {
		fmt.Printf("  %-32s %9d\n", k, byRule[k])
	}
	return nil
}

// load reads and decompresses the inputs, each ending with a newline.
func load(files []string) ([]byte, error) {
	var out []byte
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		var r io.Reader = bufio.NewReader(f)
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(r)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			r = zr
		}
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		out = append(out, b...)
	}
	return out, nil
}

func warm(name string) {
	if f, err := os.Open(name); err == nil {
		io.Copy(io.Discard, f)
		f.Close()
	}
}

func timeWeblog(name string, classify bool, count func([]weblog.Hit)) (float64, int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	runtime.GC()
	var c weblog.Classifier
	n := 0
	rd := &weblog.Reader{}
	start := time.Now()
	err = rd.StreamAccess(context.Background(), f, name, func(r weblog.Request) bool {
		n++
		if classify {
			count(c.Classify(&r))
		}
		return true
	})
	return time.Since(start).Seconds(), n, err
}

func timeGrep(re, name string) (float64, int, error) {
	start := time.Now()
	out, err := exec.Command("grep", "-c", "-E", "-i", "-a", re, name).Output()
	secs := time.Since(start).Seconds()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			return 0, 0, fmt.Errorf("grep %q: %w", re, err)
		}
	}
	n := 0
	fmt.Sscan(string(out), &n)
	return secs, n, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
