package sudoers

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// MainPath is the sudoers file sudo reads first.
var MainPath = catalog.Path("sudoers")

const (
	readLimit = 4 << 20 // per file; a real sudoers is a few KiB
	maxDepth  = 16      // include nesting (sudo allows 128; nothing sane needs 16)
	maxFiles  = 1000    // files read in total
)

// Collector reads /etc/sudoers and everything it includes, putting one snapshot.SudoRule per
// logical line (include lines too, so a new include shows in a diff).
type Collector struct{}

// Name is "sudoers".
func (Collector) Name() string { return "sudoers" }

// Collect reads the sudo policy under env.FS. A host without /etc/sudoers (sudo not installed)
// gives no records and no problem.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	rules, problems := Load(ctx, env.FS)
	for _, p := range problems {
		env.Problem(c, p.Path, p.Err)
	}
	for _, r := range rules {
		env.Sink.Put(snapshot.SudoRule{File: r.File, Text: r.Text, Kind: r.Kind, Line: r.Line})
	}
	return ctx.Err()
}

// Problem is something Load could not read or parse.
type Problem struct {
	Path string
	Err  error
}

type loader struct {
	ctx      context.Context
	fs       *hostfs.FS
	host     string
	stack    []string
	files    int
	rules    []Rule
	problems []Problem
}

// Load reads /etc/sudoers and the files it includes, in the order sudo reads them, and
// returns their rules (File and Line set). Missing /etc/sudoers gives nothing.
func Load(ctx context.Context, fsys *hostfs.FS) ([]Rule, []Problem) {
	l := &loader{ctx: ctx, fs: fsys, host: shortHostname(fsys)}
	l.file(MainPath, true)
	return l.rules, l.problems
}

func (l *loader) problem(p string, err error) {
	l.problems = append(l.problems, Problem{Path: p, Err: err})
}

// file reads one sudoers file. top is true for /etc/sudoers, whose absence is not a problem.
func (l *loader) file(name string, top bool) {
	if l.ctx.Err() != nil {
		return
	}
	name = hostfs.Clean(name)
	for _, s := range l.stack {
		if s == name {
			l.problem(name, fmt.Errorf("include loop: %s includes %s, which is already being read; sudo refuses such a policy", l.stack[len(l.stack)-1], name))
			return
		}
	}
	if len(l.stack) >= maxDepth {
		l.problem(name, fmt.Errorf("includes nested deeper than %d files; not read", maxDepth))
		return
	}
	if l.files >= maxFiles {
		l.problem(name, fmt.Errorf("more than %d sudoers files; not read", maxFiles))
		return
	}
	l.files++
	data, err := l.fs.ReadFile(name, readLimit)
	if err != nil {
		if errors.Is(err, hostfs.ErrTooLarge) {
			l.problem(name, fmt.Errorf("read only the first %d bytes: %w", readLimit, err))
		} else {
			if !(top && hostfs.IsNotExist(err)) {
				l.problem(name, fmt.Errorf("read sudoers file: %w", err))
			}
			return
		}
	}
	rules, bad := Parse(data)
	for _, b := range bad {
		l.problem(name, b)
	}
	l.stack = append(l.stack, name)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	for _, r := range rules {
		r.File = name
		l.rules = append(l.rules, r)
		if r.Kind != KindInclude {
			continue
		}
		target := l.resolve(name, r.Include)
		if r.IncludeDir {
			l.dir(target)
		} else {
			l.file(target, false)
		}
	}
}

// resolve expands %h (the short host name) and %% in an include path and makes a relative
// path relative to the directory of the including file, as sudo 1.9 does.
func (l *loader) resolve(from, p string) string {
	if strings.Contains(p, "%") {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] == '%' && i+1 < len(p) {
				switch p[i+1] {
				case 'h':
					b.WriteString(l.host)
					i++
					continue
				case '%':
					b.WriteByte('%')
					i++
					continue
				}
			}
			b.WriteByte(p[i])
		}
		p = b.String()
	}
	if !path.IsAbs(p) {
		p = path.Join(path.Dir(from), p)
	}
	return hostfs.Clean(p)
}

// dir reads the files of an @includedir directory in sorted order, skipping names that end in
// "~" or contain "." (editor backups, package manager leftovers), as sudo does.
func (l *loader) dir(d string) {
	ents, err := l.fs.ReadDir(d)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			l.problem(d, fmt.Errorf("read sudoers directory: %w", err))
		}
		return
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name, "~") || strings.Contains(e.Name, ".") {
			continue
		}
		p := path.Join(d, e.Name)
		if st, err := l.fs.Stat(p); err == nil && !st.IsRegular() {
			continue
		}
		l.file(p, false)
	}
}

// shortHostname is the host name up to its first dot, from /etc/hostname ("" if unknown).
func shortHostname(fsys *hostfs.FS) string {
	data, err := fsys.ReadFile("/etc/hostname", 4096)
	if err != nil {
		return ""
	}
	h := strings.TrimSpace(string(data))
	h, _, _ = strings.Cut(h, "\n")
	h, _, _ = strings.Cut(h, ".")
	return strings.TrimSpace(h)
}
