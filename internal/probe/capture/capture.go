// Package capture takes a snapshot of a host: it runs every collector (accounts first, since the
// others need the homes; then the rest side by side with the file walk) against one confined
// root and streams their records into a snapshot writer, with the facts about the snapshot
// itself (host identity, time, tool, coverage) in its meta table.
package capture

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/base/version"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/filescan"
)

// Options tune a capture.
type Options struct {
	Rules       []filescan.Rule // file scope; nil: filescan.DefaultScope plus every account's home
	Exclude     []string        // host paths left out (the output file, the case folder)
	MaxHashSize int64
	NoHash      bool
	Reuse       *snapshot.Reader // former snapshot whose hashes may be reused (--reuse)
	// FingerprintKey keys fingerprints of secrets; nil derives a per-host key from the machine id.
	FingerprintKey []byte
	Stats          *filescan.Stats
	Log            *slog.Logger
	// Collectors overrides the registry (tests).
	Collectors []probe.Collector
	// PackagesOnly records only what package verification needs (the package database and the
	// MD5 of every file a package recorded a digest for), as debsums does.
	PackagesOnly bool
}

// Summary says what a capture covered.
type Summary struct {
	Files    int64
	Hashed   int64
	Bytes    int64
	Reused   int64
	Problems int64
	Duration time.Duration
	Live     bool
	Root     bool // ran with root privileges
}

// Take captures the host under fsys into w. The caller closes w.
func Take(ctx context.Context, fsys *hostfs.FS, w *snapshot.Writer, opt Options) (Summary, error) {
	start := time.Now()
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Stats == nil {
		opt.Stats = &filescan.Stats{}
	}
	live := fsys.IsLive() || fsys.Exists("/proc/1/stat") || hasProcEntries(fsys)
	sum := Summary{Live: live, Root: os.Geteuid() == 0}
	info := HostInfo(fsys)
	for k, v := range info {
		w.SetMeta(k, v)
	}
	w.SetMeta("taken_at", start.UTC().Format(time.RFC3339Nano))
	w.SetMeta("tool", "nowwhat")
	w.SetMeta("tool_version", version.String())
	w.SetMeta("tool_sha256", version.Digest())
	w.SetMeta("root", fsys.Dir())
	w.SetMeta("live", strconv.FormatBool(live))
	w.SetMeta("privileged", strconv.FormatBool(sum.Root))
	w.SetMeta("reuse", strconv.FormatBool(opt.Reuse != nil))
	w.SetMeta("hashing", map[bool]string{true: "off", false: "sha256"}[opt.NoHash])
	if fsys.IsLive() {
		recordSelf(fsys, w)
	}

	key := opt.FingerprintKey
	if key == nil {
		k := sha256.Sum256([]byte("nowwhat fingerprint key\x00" + info["host.machine_id"] + "\x00" + info["host.hostname"]))
		key = k[:]
		w.SetMeta("fingerprint_key", "derived from the machine id")
	} else {
		w.SetMeta("fingerprint_key", "given by the operator")
	}
	env := &probe.Env{FS: fsys, Sink: w, Live: live, FingerprintKey: key, Log: opt.Log}

	cols := opt.Collectors
	if cols == nil {
		cols = Registry()
	}
	if opt.PackagesOnly {
		var only []probe.Collector
		for _, c := range cols {
			if c.Name() == "packages" {
				only = append(only, c)
			}
		}
		cols = only
	}
	// accounts first (the others need the homes), then packages (the file walk needs to know
	// which files have an MD5 digest to check), then the rest beside the file walk.
	var first, rest []probe.Collector
	for _, name := range []string{"accounts", "packages"} {
		for _, c := range cols {
			if c.Name() == name {
				first = append(first, c)
			}
		}
	}
	for _, c := range cols {
		if c.Name() != "accounts" && c.Name() != "packages" {
			rest = append(rest, c)
		}
	}
	var ran []string
	md5s := &md5Paths{Sink: w, paths: map[string]bool{}}
	if opt.PackagesOnly {
		// Package verification: hash each file as soon as the database names it.
		return takePackages(ctx, fsys, w, env, first, md5s, opt, sum, start)
	}
	for _, c := range first {
		e := *env
		e.Sink = md5s
		if err := c.Collect(ctx, &e); err != nil {
			w.Problem(c.Name(), "", err)
		}
		env.Accounts = e.Accounts
		ran = append(ran, c.Name())
	}

	rules := opt.Rules
	if rules == nil {
		rules = filescan.DefaultScope()
		var homes []string
		for _, a := range env.Accounts {
			homes = append(homes, a.Home)
		}
		rules = filescan.AddHomes(rules, homes)
	}
	var scope []string
	for _, r := range filescan.Normalize(append([]filescan.Rule(nil), rules...)) {
		scope = append(scope, r.Path)
	}
	w.SetMeta("scope", strings.Join(scope, " "))

	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range rest {
		wg.Add(1)
		go func(c probe.Collector) {
			defer wg.Done()
			if err := c.Collect(ctx, env); err != nil {
				w.Problem(c.Name(), "", err)
			}
			mu.Lock()
			ran = append(ran, c.Name())
			mu.Unlock()
		}(c)
	}
	fopt := filescan.Options{Rules: rules, Exclude: opt.Exclude, MaxHashSize: opt.MaxHashSize, NoHash: opt.NoHash,
		Content: KeepContent, Stats: opt.Stats, Inspect: Inspect, Inspector: inspector(w)}
	if len(md5s.paths) > 0 {
		fopt.MD5 = func(p string) bool { return md5s.paths[p] }
	}
	if opt.Reuse != nil {
		prev, err := loadReuse(opt.Reuse)
		if err != nil {
			return sum, err
		}
		fopt.Reuse = func(p string) (filescan.Previous, bool) {
			v, ok := prev[p]
			return v, ok
		}
	}
	err := filescan.Scan(ctx, fsys, w, fopt)
	wg.Wait()
	ran = append(ran, "files")
	w.SetMeta("collectors", strings.Join(sortStrings(ran), " "))
	sum.Files = opt.Stats.Files.Load()
	sum.Hashed = opt.Stats.Hashed.Load()
	sum.Bytes = opt.Stats.Bytes.Load()
	sum.Reused = opt.Stats.Reused.Load()
	sum.Problems = opt.Stats.Problems.Load()
	sum.Duration = time.Since(start)
	w.SetMeta("duration_s", fmt.Sprintf("%.3f", sum.Duration.Seconds()))
	w.SetMeta("bytes_hashed", strconv.FormatInt(sum.Bytes, 10))
	if !sum.Root {
		w.Problem("capture", "", fmt.Errorf("not running as root: shadow, other users' homes and some system files could not be read; run with sudo for full coverage"))
	}
	return sum, err
}

// takePackages records the package database and verifies every file it lists with a digest,
// hashing while the database is still being read (nowwhat check --packages).
func takePackages(ctx context.Context, fsys *hostfs.FS, w *snapshot.Writer, env *probe.Env, cols []probe.Collector,
	md5s *md5Paths, opt Options, sum Summary, start time.Time) (Summary, error) {
	// Little is kept in memory here: trade a little more of it for less collector work.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	paths := make(chan string, 1024)
	var mu sync.Mutex
	md5s.stream, md5s.mu = paths, &mu
	go func() {
		defer close(paths)
		for _, c := range cols {
			if c.Name() != "packages" {
				continue
			}
			e := *env
			e.Sink = md5s
			if err := c.Collect(ctx, &e); err != nil {
				w.Problem(c.Name(), "", err)
			}
		}
	}()
	fopt := filescan.Options{MD5Only: true, Stats: opt.Stats, MaxHashSize: opt.MaxHashSize,
		MD5: func(p string) bool { return true },
		Expected: func(p string) string {
			mu.Lock()
			defer mu.Unlock()
			return md5s.digest[p]
		}}
	err := filescan.HashList(ctx, fsys, w, paths, fopt)
	w.SetMeta("collectors", "files packages")
	w.SetMeta("scope", "files recorded by the package managers")
	sum.Files, sum.Hashed, sum.Bytes = opt.Stats.Files.Load(), opt.Stats.Hashed.Load(), opt.Stats.Bytes.Load()
	sum.Problems = opt.Stats.Problems.Load()
	sum.Duration = time.Since(start)
	w.SetMeta("duration_s", fmt.Sprintf("%.3f", sum.Duration.Seconds()))
	return sum, err
}

// md5Paths passes records on and notes the paths whose package records an MD5 digest.
type md5Paths struct {
	snapshot.Sink
	paths  map[string]bool
	stream chan<- string     // when set, each new path is sent here too (package verification)
	digest map[string]string // package verification: the digest recorded for each path
	mu     *sync.Mutex       // guards digest while verification reads it
}

func (m *md5Paths) Put(rec any) {
	pf, ok := rec.(snapshot.PackageFile)
	if ok && m.stream != nil && pf.Alg == "" {
		return // package verification needs no ownership-only records
	}
	if ok && pf.Alg == "md5" && pf.Digest != "" && !m.paths[pf.Path] {
		m.paths[pf.Path] = true
		if m.stream != nil {
			m.mu.Lock()
			if m.digest == nil {
				m.digest = map[string]string{}
			}
			m.digest[pf.Path] = pf.Digest
			m.mu.Unlock()
			m.stream <- pf.Path
		}
	}
	m.Sink.Put(rec)
}

func hasProcEntries(fsys *hostfs.FS) bool {
	for _, n := range fsys.ReadDirNames("/proc") {
		if _, err := strconv.Atoi(n); err == nil {
			return true
		}
	}
	return false
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// loadReuse reads path, size, times, inode and hash of every hashed file of a former snapshot.
func loadReuse(r *snapshot.Reader) (map[string]filescan.Previous, error) {
	out := map[string]filescan.Previous{}
	err := snapshot.Each(r, "sha256 != ''", nil, func(f snapshot.File) error {
		out[f.Path] = filescan.Previous{Size: f.Size, Mtime: f.Mtime, Ctime: f.Ctime, Inode: int64(f.Inode), SHA256: f.SHA256, MD5: f.MD5, Caps: f.Caps}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read --reuse snapshot: %w", err)
	}
	return out, nil
}

// kept are the places whose (small, text) files are kept whole for diffs.
var kept = catalog.Where(catalog.Keep)

// KeepContent says whether a file's text is kept for diffs: small configuration that decides what
// runs, who gets in and with which rights (the catalog's Keep locations). Secrets are never kept:
// shadow files, private keys and certificate keys are excluded outright, and kept texts are
// redacted (filescan.Redact).
func KeepContent(p string, size int64) bool {
	if catalog.LooksSecret(p) {
		return false
	}
	return kept.Covers(p) || size <= maxProgramText && programs.Covers(p)
}

// programs are the system's program folders. Their small text files (scripts; compiled programs
// are never kept, text only) are kept too, so that check can tell what a script no package
// installed does (an image builder's do-nothing policy-rc.d is not a dropper), and diff shows
// the lines of a changed one.
var programs = catalog.Where(catalog.Exec)

const maxProgramText = 4 << 10
