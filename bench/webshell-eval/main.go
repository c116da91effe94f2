// Command webshell-eval measures internal/detect/webshell on real data, in one run:
//
//   - recall on the real web shells of shared/testdata/webshells (read from the archive in
//     memory, never written out), per language, on the held-out half and on the tuning half of
//     the fixed split by family (internal/detect/webshell/wseval/split.tsv);
//   - false alarms on real web applications and admin tools from Debian's archive (WordPress,
//     MediaWiki, Roundcube, DokuWiki, Laravel, phpMyAdmin, Adminer, Tomcat's examples), fetched
//     with apt-get download into a cache folder and installed twice: unpacked where the package
//     puts them (the package database knows every file), and copied into a web root keeping
//     the archive's times (nothing knows them);
//   - speed: the scan of that web root (walk, read, judge) against grep -rlE with a handful of
//     common web-shell patterns on the same tree, and the same patterns' recall and false
//     alarms for comparison.
//
// Usage:
//
//	go run ./bench/webshell-eval [-testdata DIR] [-misses] [-benign-alarms] [-tools] [-peer] [-v]
//	go run ./bench/webshell-eval -write-split internal/detect/webshell/wseval/split.tsv
//
// -misses lists the web shells not caught in the tuning half only: the held-out half's misses
// stay unseen unless -heldout-misses is given (do not tune on them).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/detect/webshell"
	"github.com/nowwhat/nowwhat/internal/detect/webshell/wseval"
)

// grepPatterns are what an admin greps a web root for (a handful of the usual web-shell
// patterns): code and command execution, decoders, request arrays.
var grepPatterns = `eval\(|assert\(|base64_decode\(|gzinflate\(|str_rot13\(|system\(|shell_exec\(|passthru\(|proc_open\(|popen\(|Runtime\.getRuntime|ProcessBuilder|\$_(GET|POST|REQUEST|COOKIE)\[`

func main() {
	testdata := flag.String("testdata", "", "shared/testdata folder (found from the working folder when empty)")
	misses := flag.Bool("misses", false, "list the web shells of the tuning half not caught")
	heldoutMisses := flag.Bool("heldout-misses", false, "also list the held-out half's misses (do not tune on them)")
	alarms := flag.Bool("benign-alarms", true, "list the benign files with an alarm")
	tools := flag.Bool("tools", false, "list the benign files named as admin tools")
	peer := flag.Bool("peer", false, "also run clamscan, when installed, over the same files")
	verbose := flag.Bool("v", false, "print the score and reasons of every web shell of the tuning half (of the held-out half too with -heldout-misses) and of every benign file with an alarm")
	writeSplit := flag.String("write-split", "", "write the corpus's split by family to this file and stop")
	quick := flag.Bool("quick", false, "only the web-root install, no speed runs")
	tuningOnly := flag.Bool("tuning-only", false, "leave the held-out half out entirely (neither scanned nor counted): for work on the detector")
	writeKnown := flag.String("write-known", "", "write the admin tools' release digests (known.tsv) to this file and stop")
	flag.Parse()
	if *testdata == "" {
		wd, _ := os.Getwd()
		*testdata = wseval.FindTestdata(wd)
	}
	if *testdata == "" {
		fmt.Fprintln(os.Stderr, "webshell-eval: no shared/testdata found; pass -testdata")
		os.Exit(2)
	}
	if *writeSplit != "" {
		samples, err := wseval.ReadShellArchive(*testdata)
		if err != nil {
			fatal(err)
		}
		f, err := os.Create(*writeSplit)
		if err != nil {
			fatal(err)
		}
		if err := wseval.WriteSplit(f, samples); err != nil {
			fatal(err)
		}
		if err := f.Close(); err != nil {
			fatal(err)
		}
		return
	}
	shells, err := wseval.LoadShells(*testdata)
	if err != nil {
		fatal(err)
	}
	if *tuningOnly {
		kept := shells[:0]
		for _, s := range shells {
			if s.Half == wseval.Tuning {
				kept = append(kept, s)
			}
		}
		shells = kept
	}
	cache := wseval.CacheDir()
	fetched, notes, err := wseval.Fetch(context.Background(), wseval.BenignPackages, cache)
	for _, n := range notes {
		fmt.Println("note:", n)
	}
	if err != nil {
		fatal(err)
	}
	webroot := filepath.Join(cache, "webroot")
	if err := wseval.InstallWebRoot(fetched, webroot); err != nil {
		fatal(err)
	}
	var debs []string
	for _, f := range fetched {
		debs = append(debs, f.Deb)
	}
	fmt.Printf("benign packages: %s\n", strings.Join(debs, " "))
	if *writeKnown != "" {
		if err := writeKnownFile(*writeKnown, fetched, webroot); err != nil {
			fatal(err)
		}
		return
	}
	fmt.Printf("machine: %d cores (GOMAXPROCS %d), shared with other jobs\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))

	classify := func(s wseval.Sample) wseval.Verdict {
		r := webshell.Scan(s.Path, s.Content)
		show := s.Half == wseval.Tuning || s.Half == wseval.HeldOut && *heldoutMisses || s.Half == "" && r.Verdict != webshell.VerdictClean && r.Verdict != webshell.VerdictKnown
		if *verbose && show {
			fmt.Printf("%-9s %4d %-6s %s\n", r.Verdict, r.Score, r.Language, s.Path)
			for _, x := range r.Reasons {
				fmt.Printf("      %3d %-28s %s\n", x.Weight, x.Rule, x.Evidence)
			}
		}
		return wseval.Verdict{Webshell: r.Verdict == webshell.VerdictWebshell, Suspicious: r.Verdict == webshell.VerdictSuspicious, Tool: r.Tool, Language: r.Language}
	}
	modes := []string{wseval.ModeWebRoot, wseval.ModePackage}
	if *quick {
		modes = modes[:1]
	}
	for _, mode := range modes {
		benign, err := wseval.LoadBenign(fetched, mode, webroot)
		if err != nil {
			fatal(err)
		}
		var rep wseval.Report
		if mode == wseval.ModeWebRoot {
			rep = wseval.Evaluate(shells, benign, classify)
		} else {
			rep = wseval.Evaluate(nil, benign, classify)
		}
		title := "copied into a web root (archive times kept, no package knows them), code alone"
		if mode == wseval.ModePackage {
			title = "unpacked where the package puts them, code alone"
		}
		rep.Print(os.Stdout, title)
		if mode == wseval.ModeWebRoot && (*misses || *heldoutMisses) {
			fmt.Println("web shells not caught:")
			for _, r := range rep.Shells {
				if strings.HasPrefix(r.Group, wseval.HeldOut+"/") && !*heldoutMisses {
					if len(r.Misses) > 0 {
						fmt.Printf("  [%s] %d not listed (held out)\n", r.Group, len(r.Misses))
					}
					continue
				}
				for _, m := range r.Misses {
					fmt.Printf("  [%s] %s\n", r.Group, m)
				}
			}
		}
		if *alarms && len(rep.BenignAlarms) > 0 {
			fmt.Println("benign files with an alarm:")
			for _, a := range rep.BenignAlarms {
				fmt.Println("  " + a)
			}
		}
		if *tools && len(rep.BenignTools) > 0 {
			fmt.Println("benign files named as known tools or releases (information):")
			for _, a := range rep.BenignTools {
				fmt.Println("  " + a)
			}
		}
		// the same, weighed with what the host knows (webshell.Judge)
		cx := wseval.EvaluateContext(shells, benign, mode)
		fmt.Printf("with the host's context (webshell.Judge: package digests, times, owner; web shells as planted by the web server's account three days after the deployment):\n")
		if mode == wseval.ModeWebRoot {
			h, t := wseval.Find(cx.Shells, wseval.HeldOut+"/all"), wseval.Find(cx.Shells, wseval.Tuning+"/all")
			fmt.Printf("  recall held-out %.1f%% (%d/%d), tuning %.1f%% (%d/%d)\n", wseval.Rate(h.Alarms(), h.Files), h.Alarms(), h.Files, wseval.Rate(t.Alarms(), t.Files), t.Alarms(), t.Files)
		}
		a := wseval.Find(cx.Benign, "all")
		fmt.Printf("  benign code files with an alarm %d/%d (%.2f%%), named as known %d\n\n", a.Alarms(), a.Files, wseval.Rate(a.Alarms(), a.Files), a.Tools)
		if mode == wseval.ModeWebRoot && !*quick {
			grepQuality(shells, benign)
		}
	}
	if *quick {
		return
	}
	speed(webroot)
	if *peer {
		runClam(shells)
	}
}

// grepQuality applies the grep patterns (Go's regexp; the same matches as grep -E here) to the
// same samples: what a grep sweep would flag.
func grepQuality(shells, benign []wseval.Sample) {
	re := regexp.MustCompile(grepPatterns)
	hit := func(ss []wseval.Sample, half string) (int, int) {
		n, d := 0, 0
		for _, s := range ss {
			if half != "" && s.Half != half {
				continue
			}
			d++
			if re.Match(s.Content) {
				n++
			}
		}
		return n, d
	}
	n, d := hit(shells, wseval.HeldOut)
	fmt.Printf("peer grep -lE '%s':\n  held-out web shells matched %d/%d (%.1f%%)", grepPatterns, n, d, wseval.Rate(n, d))
	code := benign[:0:0]
	for _, s := range benign {
		if webshell.DetectLanguage(s.Path, s.Content) != webshell.LangUnknown {
			code = append(code, s)
		}
	}
	n, d = hit(code, "")
	fmt.Printf(", benign code files matched %d/%d (%.2f%%)\n\n", n, d, wseval.Rate(n, d))
}

// speed times the scan of the web root against grep -rlE over the same tree, the page cache
// warmed by a first pass.
func speed(root string) {
	var files, bytesN int64
	scan := func() (time.Duration, int) {
		files, bytesN = 0, 0
		alarms := 0
		start := time.Now()
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			files++
			bytesN += int64(len(b))
			if r := webshell.Scan(p, b); r.Verdict != webshell.VerdictClean {
				alarms++
			}
			return nil
		})
		return time.Since(start), alarms
	}
	scan() // warm the cache
	ours, _ := scan()
	ours2, _ := scan()
	ours = min(ours, ours2)
	fmt.Printf("speed on the web root (%d files, %.1f MB), best of two runs, page cache warm, one goroutine:\n", files, float64(bytesN)/1e6)
	fmt.Printf("  nowwhat webshell scan: %6.2f s  %7.0f files/s  %6.1f MB/s\n", ours.Seconds(), float64(files)/ours.Seconds(), float64(bytesN)/1e6/ours.Seconds())
	if _, err := exec.LookPath("grep"); err != nil {
		fmt.Println("  grep not found: no comparison")
		return
	}
	var best time.Duration
	for i := 0; i < 2; i++ {
		start := time.Now()
		cmd := exec.Command("grep", "-rlE", grepPatterns, root)
		var out bytes.Buffer
		cmd.Stdout = &out
		_ = cmd.Run() // exit status 1 means no match
		el := time.Since(start)
		if best == 0 || el < best {
			best = el
		}
	}
	fmt.Printf("  grep -rlE (%d patterns): %6.2f s  %7.0f files/s  %6.1f MB/s\n", strings.Count(grepPatterns, "|")+1, best.Seconds(), float64(files)/best.Seconds(), float64(bytesN)/1e6/best.Seconds())
	fmt.Printf("  nowwhat takes %.1fx grep's time\n", ours.Seconds()/best.Seconds())
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "webshell-eval:", err)
	os.Exit(1)
}

// runClam writes the web shells to a private temporary folder outside any web root, runs
// clamscan over it and removes it again.
func runClam(shells []wseval.Sample) {
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
	half := map[string]string{}
	for i, s := range shells {
		p := filepath.Join(dir, fmt.Sprintf("%04d.sample", i))
		if err := os.WriteFile(p, s.Content, 0o600); err != nil {
			fatal(err)
		}
		half[p] = s.Half
	}
	out, _ := exec.Command(bin, "-r", "--infected", "--no-summary", dir).Output()
	hits := 0
	for _, line := range bytes.Split(out, []byte("\n")) {
		if p, _, ok := strings.Cut(string(line), ": "); ok && strings.HasSuffix(string(line), "FOUND") && half[p] == wseval.HeldOut {
			hits++
		}
	}
	n := 0
	for _, h := range half {
		if h == wseval.HeldOut {
			n++
		}
	}
	fmt.Printf("peer clamscan: held-out web shells detected %d/%d (%.1f%%)\n", hits, n, wseval.Rate(hits, n))
}

// writeKnownFile writes the digests of the admin tools' files that read as alarms by their code
// alone (webshell.ScanCode): the releases webshell.Scan names as tools.
func writeKnownFile(path string, fetched []wseval.Fetched, webroot string) error {
	benign, err := wseval.LoadBenign(fetched, wseval.ModePackage, webroot)
	if err != nil {
		return err
	}
	version := map[string]string{}
	for _, f := range fetched {
		version[f.Name] = wseval.DebVersion(f.Deb)
	}
	var b strings.Builder
	b.WriteString("# Files of admin tools' releases that read as alarms by their code alone, by SHA-256: webshell.Scan\n")
	b.WriteString("# names them as the tool (information). Written by `go run ./bench/webshell-eval -write-known FILE`\n")
	b.WriteString("# from Debian's packages (wseval.ToolPackages); TestEvaluation checks it against them.\n")
	b.WriteString("# sha256\tapplication\tversion\tpath\n")
	seen := map[string]bool{}
	for _, s := range benign {
		if !wseval.ToolPackages[s.Class] || seen[s.SHA256] {
			continue
		}
		if r := webshell.ScanCode(s.Path, s.Content); r.Verdict == webshell.VerdictClean {
			continue
		}
		seen[s.SHA256] = true
		rel := s.Path[strings.IndexByte(s.Path, '/')+1:]
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", s.SHA256, s.Class, version[s.Class], rel)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
