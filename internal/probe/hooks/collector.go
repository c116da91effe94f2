package hooks

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Collector emits a snapshot.Hook for every loader, login, package-manager, device and shell
// start-up hook. Kinds and values:
//
//	preload  each library of /etc/ld.so.preload
//	ldconf   each library folder of /etc/ld.so.conf and the files it includes
//	pam      each rule of /etc/pam.d/* and /etc/pam.conf: "type control module args", "@include file"
//	apt      each command APT runs from /etc/apt/apt.conf(.d): Pre-Invoke, Post-Invoke, ...
//	dpkg     each pre-invoke/post-invoke command of /etc/dpkg/dpkg.cfg(.d)
//	udev     each RUN, PROGRAM and IMPORT{program} value of the udev rules in force
//	motd     each script of /etc/update-motd.d (the path)
//	profile  each command line of the shell start-up files, system-wide and of every account
//
// Values that look like they assign a secret are redacted.
var Collector probe.Collector = hooksCollector{}

type hooksCollector struct{}

func (hooksCollector) Name() string { return "hooks" }

const maxConf = 1 << 20

type run struct {
	c    hooksCollector
	env  *probe.Env
	seen map[[3]string]bool
}

func (r *run) put(kind, p, value string, line int) {
	k := [3]string{kind, p, value}
	if r.seen[k] {
		return // the same value twice in one file: the first line is kept (key of the record)
	}
	r.seen[k] = true
	r.env.Sink.Put(snapshot.Hook{Kind: kind, Path: p, Value: value, Line: line})
}

func (r *run) problem(p string, err error) { r.env.Problem(r.c, p, err) }

// read reads a file; missing files, and things that are not regular files, are not problems.
func (r *run) read(p string) []byte {
	data, err := r.env.FS.ReadFile(p, maxConf)
	if err != nil {
		if hostfs.IsNotExist(err) || errors.Is(err, hostfs.ErrNotRegular) {
			return nil
		}
		r.problem(p, err)
	}
	return data
}

// files lists the non-hidden entries of a folder that are files or links, sorted.
func (r *run) files(dir string) []string {
	ents, err := r.env.FS.ReadDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			r.problem(dir, err)
		}
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name, ".") || e.Type == "dir" {
			continue
		}
		out = append(out, path.Join(dir, e.Name))
	}
	return out
}

// places lists the files of the catalog locations recorded as rec, in the catalog's order: each
// file, the files of each folder, then each account's own (home-relative ones), home by home.
// keep, when set, filters the names found in folders.
func (r *run) places(rec string, keep func(name string) bool) []string {
	var out []string
	var inHomes []*catalog.Location
	for _, l := range catalog.Recorded(rec) {
		switch {
		case l.Has(catalog.Live) && !r.env.Live:
		case l.InHomes():
			inHomes = append(inHomes, l)
		case l.IsFolder():
			for _, p := range r.files(l.Dir()) {
				if keep == nil || keep(path.Base(p)) {
					out = append(out, p)
				}
			}
		default:
			out = append(out, l.Path)
		}
	}
	for _, a := range r.env.Homes() {
		for _, l := range inHomes {
			out = append(out, l.InHome(a.Home))
		}
	}
	return out
}

func (c hooksCollector) Collect(ctx context.Context, env *probe.Env) error {
	r := &run{c: c, env: env, seen: map[[3]string]bool{}}
	steps := []func(){r.preload, r.ldconf, r.pam, r.apt, r.dpkg, r.udev, r.motd, r.profile}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("hooks: %w", err)
		}
		step()
	}
	return nil
}

func (r *run) preload() {
	p := catalog.Path("ld.preload")
	for _, it := range ParsePreload(r.read(p)) {
		r.put("preload", p, it.Value, it.Line)
	}
}

// maxIncludeDepth bounds nested includes of ld.so.conf.
const maxIncludeDepth = 8

func (r *run) ldconf() {
	seen := map[string]bool{}
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, e := range ParseLdConf(r.read(p)) {
			if !e.Include {
				r.put("ldconf", p, e.Value, e.Line)
				continue
			}
			if depth >= maxIncludeDepth {
				r.problem(p, fmt.Errorf("include %s: %w", e.Value, errTooDeep))
				continue
			}
			pattern := e.Value
			if !path.IsAbs(pattern) {
				pattern = path.Join(path.Dir(p), pattern)
			}
			for _, f := range glob(r.env.FS, pattern) {
				walk(f, depth+1)
			}
		}
	}
	walk(catalog.Path("ld.conf"), 0)
}

var errTooDeep = errors.New("includes nested too deep, not followed")

// maxGlob bounds how many paths one pattern may give.
const maxGlob = 10000

// glob expands a pattern of host paths, each component matched with path.Match, sorted.
func glob(fsys *hostfs.FS, pattern string) []string {
	parts := strings.Split(strings.TrimPrefix(hostfs.Clean(pattern), "/"), "/")
	cur := []string{"/"}
	for _, part := range parts {
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(part, `*?[\`) {
				p := path.Join(dir, part)
				if fsys.Exists(p) {
					next = append(next, p)
				}
				continue
			}
			if _, err := path.Match(part, ""); err != nil {
				return nil
			}
			for _, name := range fsys.ReadDirNames(dir) {
				if strings.HasPrefix(name, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, _ := path.Match(part, name); ok {
					next = append(next, path.Join(dir, name))
				}
			}
		}
		if len(next) > maxGlob {
			next = next[:maxGlob]
		}
		cur = next
	}
	sort.Strings(cur)
	return cur
}

func (r *run) pam() {
	seen := map[string]bool{}
	for _, l := range catalog.Recorded("hooks:pam") {
		if !l.IsFolder() {
			continue
		}
		for _, p := range r.files(l.Dir()) {
			// A service file in /etc/pam.d hides the vendor one of the same name.
			if seen[path.Base(p)] {
				continue
			}
			seen[path.Base(p)] = true
			r.pamFile(p, false)
		}
	}
	for _, l := range catalog.Recorded("hooks:pam") {
		if !l.IsFolder() {
			r.pamFile(l.Path, true) // pam.conf: each line names its service
		}
	}
}

func (r *run) pamFile(p string, withService bool) {
	data := r.read(p)
	if data == nil {
		return
	}
	items, err := ParsePAM(data, withService)
	if err != nil {
		r.problem(p, err)
	}
	for _, it := range items {
		r.put("pam", p, Redact(it.Value), it.Line)
	}
}

// aptIgnored are the names APT skips in its .d folders (Dir::Ignore-Files-Silently).
func aptIgnored(name string) bool {
	for _, s := range []string{"~", ".disabled", ".bak", ".swp"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext := name[i+1:]
		if strings.HasPrefix(ext, "dpkg-") || strings.HasPrefix(ext, "ucf-") {
			return true
		}
	}
	return false
}

func (r *run) apt() {
	for _, p := range r.places("hooks:apt", func(name string) bool { return !aptIgnored(name) }) {
		data := r.read(p)
		if data == nil {
			continue
		}
		items, err := ParseAptConf(data)
		if err != nil {
			r.problem(p, err)
		}
		for _, it := range AptHooks(items) {
			r.put("apt", p, Redact(it.Value), it.Line)
		}
	}
}

func (r *run) dpkg() {
	for _, p := range r.places("hooks:dpkg", nil) {
		for _, it := range ParseDpkgCfg(r.read(p)) {
			r.put("dpkg", p, Redact(it.Value), it.Line)
		}
	}
}

// udevDirs are the folders of udev rules, highest precedence first.
func udevDirs(live bool) []string { return catalog.RecordedDirs("hooks:udev", live) }

func (r *run) udev() {
	seenDir := map[[2]uint64]bool{}
	chosen := map[string]string{}
	for _, d := range udevDirs(r.env.Live) {
		st, err := r.env.FS.Stat(d)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				r.problem(d, err)
			}
			continue
		}
		k := [2]uint64{st.Dev, st.Inode}
		if !st.IsDir() || seenDir[k] {
			continue // /lib/udev when /lib is a link to usr/lib
		}
		seenDir[k] = true
		for _, p := range r.files(d) {
			name := path.Base(p)
			if _, ok := chosen[name]; !ok && strings.HasSuffix(name, ".rules") {
				chosen[name] = p
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := chosen[n]
		data := r.read(p) // a link to /dev/null (a masked rules file) reads as nothing
		if data == nil {
			continue
		}
		pairs, err := ParseUdevRules(data)
		if err != nil {
			r.problem(p, err)
		}
		for _, u := range UdevPrograms(pairs) {
			r.put("udev", p, Redact(u.Value), u.Line)
		}
	}
}

func (r *run) motd() {
	for _, p := range r.places("hooks:motd", nil) {
		if st, err := r.env.FS.Stat(p); err == nil && st.IsRegular() {
			r.put("motd", p, p, 0)
		}
	}
}

func (r *run) profile() {
	files := r.places("hooks:profile", nil)
	done := map[string]bool{}
	for _, p := range files {
		if done[p] {
			continue
		}
		done[p] = true
		data := r.read(p)
		if data == nil {
			continue
		}
		items, more := ProfileLines(data)
		if more {
			r.problem(p, fmt.Errorf("only the first %d command lines kept: %w", MaxProfileLines, errTruncated))
		}
		for _, it := range items {
			r.put("profile", p, it.Value, it.Line)
		}
	}
}

var errTruncated = errors.New("file has more lines")
