// Command webshell-eval measures internal/detect/webshell on real data: recall per language on the
// web-shell samples of shared/testdata/webshells (read from the archive in memory, never
// written out), false alarms per language on the benign WordPress and Tomcat example files of
// shared/testdata/benign-web (fetched as Debian packages into a cache folder), and the scan
// throughput. With -peer it also runs ClamAV's clamscan over the same files, when it is
// installed and has signatures, for comparison.
//
//	go run ./bench/webshell-eval [-testdata DIR] [-misses] [-benign-alarms] [-peer] [-v]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/detect/webshell"
	"github.com/nowwhat/nowwhat/internal/detect/webshell/wseval"
)

func main() {
	testdata := flag.String("testdata", "", "shared/testdata folder (found from the working folder when empty)")
	misses := flag.Bool("misses", false, "list the web shells not detected")
	alarms := flag.Bool("benign-alarms", true, "list the benign files with an alarm")
	peer := flag.Bool("peer", false, "also run clamscan, when installed, over the same files")
	verbose := flag.Bool("v", false, "print every file's score and reasons")
	flag.Parse()
	if *testdata == "" {
		wd, _ := os.Getwd()
		*testdata = wseval.FindTestdata(wd)
	}
	if *testdata == "" {
		fmt.Fprintln(os.Stderr, "webshell-eval: no shared/testdata found; pass -testdata")
		os.Exit(2)
	}
	shells, err := wseval.LoadShells(*testdata)
	if err != nil {
		fatal(err)
	}
	pkgs, err := wseval.BenignPackages(*testdata)
	if err != nil {
		fatal(err)
	}
	notes, err := wseval.FetchBenign(context.Background(), pkgs, wseval.CacheDir())
	for _, n := range notes {
		fmt.Println("note:", n)
	}
	var benign []wseval.Sample
	if err != nil {
		fmt.Println("benign set not available:", err)
	} else {
		var missing int
		benign, missing, err = wseval.LoadBenign(*testdata, wseval.CacheDir(), pkgs)
		if err != nil {
			fatal(err)
		}
		if missing > 0 {
			fmt.Printf("note: %d benign manifest files missing from the packages\n", missing)
		}
	}
	scan := func(name string, content []byte) wseval.Verdict {
		r := webshell.Scan(name, content)
		if *verbose {
			fmt.Printf("%-9s %4d %-6s %s\n", r.Verdict, r.Score, r.Language, name)
			for _, x := range r.Reasons {
				fmt.Printf("      %3d %-28s %s\n", x.Weight, x.Rule, x.Evidence)
			}
		}
		return wseval.Verdict{Webshell: r.Verdict == webshell.VerdictWebshell, Suspicious: r.Verdict == webshell.VerdictSuspicious, Language: r.Language}
	}
	rep := wseval.Evaluate(shells, benign, scan)
	// throughput: scan everything again, quietly, a few times
	*verbose = false
	var total int64
	start := time.Now()
	for round := 0; round < 3; round++ {
		for _, set := range [][]wseval.Sample{shells, benign} {
			for _, s := range set {
				webshell.Scan(s.Path, s.Content)
				total += int64(len(s.Content))
			}
		}
	}
	rep.Bytes, rep.Elapsed = total, time.Since(start)
	rep.Print(os.Stdout)
	if *misses {
		fmt.Println("web shells not detected:")
		for _, r := range rep.Shells {
			for _, m := range r.Misses {
				fmt.Printf("  [%s] %s\n", r.Group, m)
			}
		}
	}
	if *alarms && len(rep.BenignAlarmList) > 0 {
		fmt.Println("benign files with an alarm:")
		for _, a := range rep.BenignAlarmList {
			fmt.Println("  " + a)
		}
	}
	if *peer {
		runClam(shells, benign)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "webshell-eval:", err)
	os.Exit(1)
}

// runClam writes the samples to a private temporary folder outside any web root, runs
// clamscan over it and removes it again.
func runClam(shells, benign []wseval.Sample) {
	bin, err := exec.LookPath("clamscan")
	if err != nil {
		fmt.Println("peer: clamscan is not installed (apt-get install clamav); skipped")
		return
	}
	dbs, _ := filepath.Glob("/var/lib/clamav/*.c[lv]d")
	if len(dbs) == 0 {
		fmt.Println("peer: clamscan has no signature database (freshclam needs network access beyond Debian's packages); skipped")
		return
	}
	dir, err := os.MkdirTemp("", "ws-eval-clam-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	write := func(set string, ss []wseval.Sample) map[string]string {
		m := map[string]string{}
		for i, s := range ss {
			p := filepath.Join(dir, set, fmt.Sprintf("%04d%s", i, filepath.Ext(s.Path)))
			_ = os.MkdirAll(filepath.Dir(p), 0o700)
			if err := os.WriteFile(p, s.Content, 0o600); err != nil {
				fatal(err)
			}
			m[p] = s.Class
		}
		return m
	}
	sm, bm := write("shells", shells), write("benign", benign)
	start := time.Now()
	out, _ := exec.Command(bin, "-r", "--infected", "--no-summary", dir).Output()
	el := time.Since(start)
	hits := map[string]bool{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		if p, _, ok := strings.Cut(string(line), ": "); ok && strings.HasSuffix(string(line), "FOUND") {
			hits[p] = true
		}
	}
	count := func(m map[string]string) (int, int) {
		n := 0
		for p := range m {
			if hits[p] {
				n++
			}
		}
		return n, len(m)
	}
	d, n := count(sm)
	fmt.Printf("peer clamscan: web shells detected %d/%d (%.1f%%)", d, n, wseval.Rate(d, n))
	d, n = count(bm)
	fmt.Printf(", benign alarms %d/%d (%.2f%%), %v\n", d, n, wseval.Rate(d, n), el.Round(time.Millisecond))
}
