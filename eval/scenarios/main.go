// Command scenarios is the scenario evaluation suite of `nowwhat check`: it builds a real Debian
// 12 server root once (debootstrap, cached), and for each scenario takes a fresh copy, records a
// sealed baseline of the clean copy, applies one attack technique or one piece of ordinary
// admin work, and asks `nowwhat check` about the copy twice, without and with the baseline. It
// prints a table per scenario, a summary per category and the goals, writes the results
// as JSON, and exits non-zero when a goal is missed.
//
//	go run ./eval/scenarios                   # everything (as root; builds the root once)
//	go run ./eval/scenarios -only 'persist-*' # some scenarios (names or glob patterns)
//	go run ./eval/scenarios -list             # what there is
//	go run ./eval/scenarios -build-only       # only build the cached root and fetch the .debs
//
// Exit status: 0 every goal met, 1 a goal missed, 2 the suite could not run (no root, nowwhat
// check not built, bad flags).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	only      string
	list      bool
	markdown  bool
	keep      bool
	bin       string
	out       string
	cache     string
	work      string
	copyMode  string
	rebuild   bool
	buildOnly bool
	jobs      int
	timeout   time.Duration
	verbose   bool
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.only, "only", "", "run only these scenarios: names or glob patterns, comma-separated (e.g. 'persist-*,benign-clean-root')")
	fs.BoolVar(&o.list, "list", false, "list the scenarios and exit")
	fs.BoolVar(&o.markdown, "markdown", false, "print the scenario table of docs/evaluation.md and exit")
	fs.BoolVar(&o.keep, "keep", false, "keep each scenario's root copy, baseline and case folder")
	fs.StringVar(&o.bin, "bin", "", "nowwhat binary to test (default: build ./cmd/nowwhat with CGO_ENABLED=0)")
	fs.StringVar(&o.out, "out", "", "write the results as JSON here (default: a file in the temp folder)")
	fs.StringVar(&o.cache, "cache", defaultCache(), "the cached Debian root (env NOWWHAT_EVAL_CACHE)")
	fs.StringVar(&o.work, "work", "", "where the scenario copies go (default: beside the cache, so cp can reflink)")
	fs.StringVar(&o.copyMode, "copy", copyAuto, "how to copy the clean root: auto, image, overlay or cp")
	fs.BoolVar(&o.rebuild, "rebuild", false, "build the cached root again")
	fs.BoolVar(&o.buildOnly, "build-only", false, "only build the cached root and fetch the .debs, then exit")
	fs.IntVar(&o.jobs, "j", 1, "scenarios run at once (timings are only comparable with 1)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "time limit of each nowwhat run")
	fs.BoolVar(&o.verbose, "v", false, "list the findings of every miss and false alarm")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./eval/scenarios [-only NAMES] [-keep] [-bin PATH] [-out FILE] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scenarios: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if o.copyMode != copyAuto && o.copyMode != copyImage && o.copyMode != copyOverlay && o.copyMode != copyCP {
		fmt.Fprintf(stderr, "scenarios: -copy must be auto, image, overlay or cp\n")
		return 2
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	selected, err := selectScenarios(allScenarios(), o.only)
	if err != nil {
		fmt.Fprintln(stderr, "scenarios:", err)
		return 2
	}
	if o.markdown {
		printMarkdown(stdout, selected)
		return 0
	}
	if o.list {
		for _, s := range selected {
			fmt.Fprintf(stdout, "%-32s %-7s %-18s %s\n", s.Name, s.Kind, s.Category, s.Description)
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, selected, stdout, stderr); err != nil {
		var g goalsMissed
		if errors.As(err, &g) {
			return 1
		}
		fmt.Fprintln(stderr, "scenarios:", err)
		return 2
	}
	return 0
}

type goalsMissed struct{}

func (goalsMissed) Error() string { return "goals missed" }

// selectScenarios keeps the scenarios named by a comma-separated list of names or patterns.
func selectScenarios(all []*Scenario, only string) ([]*Scenario, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	var out []*Scenario
	seen := map[string]bool{}
	for _, pat := range strings.Split(only, ",") {
		pat = strings.TrimSpace(pat)
		if pat == "" {
			continue
		}
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("-only %q: %w", pat, err)
		}
		n := 0
		for _, s := range all {
			if ok, _ := path.Match(pat, s.Name); ok {
				n++
				if !seen[s.Name] {
					seen[s.Name] = true
					out = append(out, s)
				}
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("-only: no scenario matches %q (see -list)", pat)
		}
	}
	return out, nil
}

func run(ctx context.Context, o options, selected []*Scenario, stdout, stderr io.Writer) error {
	tmp, err := os.MkdirTemp("", "nowwhat-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rn := &runner{copyMode: o.copyMode, keep: o.keep, timeout: o.timeout, log: stderr}
	if !o.buildOnly {
		rn.bin = o.bin
		if rn.bin == "" {
			fmt.Fprintln(stderr, "building nowwhat (CGO_ENABLED=0) ...")
			if rn.bin, err = buildNowwhat(ctx, tmp); err != nil {
				return err
			}
		} else if rn.bin, err = filepath.Abs(rn.bin); err != nil {
			return err
		}
		if err := commandBuilt(ctx, rn.bin, "check"); err != nil {
			return fmt.Errorf("nowwhat check is not built yet (%v); the suite needs it", err)
		}
		rn.noteBuilt = commandBuilt(ctx, rn.bin, "note") == nil
		if !rn.noteBuilt {
			fmt.Fprintln(stderr, "note: `nowwhat note` is not built yet; the change-note scenario is skipped")
		}
	}

	t0 := time.Now()
	marker, err := ensureRoot(ctx, o.cache, o.rebuild, stderr)
	if err != nil {
		return err
	}
	rootTime := time.Since(t0)
	rn.base, err = filepath.Abs(o.cache)
	if err != nil {
		return err
	}
	debs := debsNeeded(selected)
	if o.buildOnly {
		debs = debsNeeded(allScenarios())
	}
	rn.debs, rn.debsErr = ensureDebs(ctx, filepath.Join(filepath.Dir(rn.base), "debs"), debs, stderr)
	if rn.debsErr != nil {
		fmt.Fprintf(stderr, "warning: %v (the package scenarios are skipped)\n", rn.debsErr)
	}
	if o.buildOnly {
		fmt.Fprintf(stdout, "root ready at %s (built %s, pretends installed %s, build took %.0fs)\n", rn.base, marker.Built.Format(time.RFC3339), marker.InstallTime.Format(time.RFC3339), marker.BuildSeconds)
		return nil
	}
	rn.workDir = o.work
	if rn.workDir == "" {
		rn.workDir = filepath.Join(filepath.Dir(rn.base), "work")
	}
	if o.copyMode == copyOverlay || o.copyMode == copyAuto {
		if err := os.MkdirAll(rn.workDir, 0o755); err != nil {
			return err
		}
	}
	prefix := filepath.Join(tmp, "eval")
	if _, _, exit, err := runTool(ctx, time.Minute, rn.bin, "--quiet", "keygen", "--no-password", prefix); err != nil || exit != 0 {
		return fmt.Errorf("nowwhat keygen --no-password: exit %d %v", exit, err)
	}
	rn.key, rn.pub = prefix+".key", prefix+".pub"
	version := "unknown"
	if out, _, _, err := runTool(ctx, time.Minute, rn.bin, "version"); err == nil {
		version = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}

	fmt.Fprintf(stderr, "running %d scenarios on copies of %s (%s)\n", len(selected), rn.base, version)
	started := time.Now()
	results := make([]*Result, len(selected))
	sem := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, s := range selected {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := rn.run(ctx, s)
			results[i] = r
			mu.Lock()
			progress(stderr, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	elapsed := time.Since(started)

	fmt.Fprintln(stdout)
	printTable(stdout, results)
	if o.verbose {
		printDetails(stdout, results)
	}
	sum := summarize(results)
	printSummary(stdout, sum)
	fmt.Fprintf(stdout, "\n%d scenarios in %s (root ready in %s, copies by %s)\n", len(results), elapsed.Round(time.Second), rootTime.Round(time.Second), copyModes(results))

	outPath := o.out
	if outPath == "" {
		// Not in the temporary folder: the results quote attack samples (a miner's pool URL,
		// reverse shells), which nowwhat check on this machine would rightly flag.
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		dir = filepath.Join(dir, "nowwhat-eval")
		os.MkdirAll(dir, 0o700)
		outPath = filepath.Join(dir, "results-"+started.UTC().Format("20060102T150405Z")+".json")
	}
	doc := struct {
		Started  time.Time  `json:"started"`
		Seconds  float64    `json:"seconds"`
		Nowwhat  string     `json:"nowwhat"`
		Root     rootMarker `json:"root"`
		Results  []*Result  `json:"results"`
		Summary  Summary    `json:"summary"`
		AllGoals bool       `json:"all_goals_met"`
	}{started.UTC(), elapsed.Seconds(), version, marker, results, sum, sum.AllMet()}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(outPath, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	fmt.Fprintf(stdout, "results: %s\n", outPath)
	if !sum.AllMet() {
		return goalsMissed{}
	}
	return nil
}

func progress(w io.Writer, r *Result) {
	switch {
	case r.Skipped != "":
		fmt.Fprintf(w, "  %-32s skipped: %s\n", r.Name, r.Skipped)
	case r.Error != "":
		fmt.Fprintf(w, "  %-32s ERROR: %s\n", r.Name, firstLine(r.Error))
	default:
		fmt.Fprintf(w, "  %-32s %-24s %s\n", r.Name, cell(r, r.NoBaseline), cell(r, r.WithBaseline))
	}
	if r.Kept != "" {
		fmt.Fprintf(w, "  %-32s %s\n", "", r.Kept)
	}
}

func copyModes(results []*Result) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range results {
		if r != nil && r.CopyMode != "" && !seen[r.CopyMode] {
			seen[r.CopyMode] = true
			out = append(out, r.CopyMode)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}

// moduleRoot finds the nowwhat module from the working folder upwards.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/nowwhat/nowwhat\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the nowwhat module: run from the repository or give -bin")
		}
		dir = parent
	}
}

// buildNowwhat builds ./cmd/nowwhat into dir.
func buildNowwhat(ctx context.Context, dir string) (string, error) {
	mod, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nowwhat")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/nowwhat")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/nowwhat: %w\n%s", err, out)
	}
	return bin, nil
}

// commandBuilt says whether a nowwhat subcommand exists and is built (steps not built yet
// answer --help with exit 3 and "not built yet").
func commandBuilt(ctx context.Context, bin, name string) error {
	out, stderr, exit, err := runTool(ctx, time.Minute, bin, name, "--help")
	if err != nil {
		return err
	}
	text := string(out) + string(stderr)
	if exit != 0 || strings.Contains(text, "not built yet") || strings.Contains(text, "unknown command") {
		return fmt.Errorf("`nowwhat %s --help` exits %d: %s", name, exit, firstLine(strings.TrimSpace(text)))
	}
	return nil
}

// debsNeeded lists the .deb packages the scenarios need ("deb:NAME" in Needs).
func debsNeeded(ss []*Scenario) []string {
	var out []string
	for _, s := range ss {
		for _, n := range s.Needs {
			if p, ok := strings.CutPrefix(n, "deb:"); ok && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
