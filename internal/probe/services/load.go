package services

import (
	"errors"
	"path"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// UnitDir is one folder of a unit search path.
type UnitDir struct {
	Path      string
	Generator bool // /run/systemd/generator*: units written at boot by generators
	Home      bool // below a user's home (~/.config/systemd/user, ...)
}

// SystemDirs is the search path of system units, highest precedence first. Folders under /run
// only describe the running system, so they are left out when live is false.
func SystemDirs(live bool) []UnitDir {
	var d []UnitDir
	for _, l := range catalog.Recorded("services:systemd") {
		if l.Has(catalog.Live) && !live {
			continue
		}
		d = append(d, UnitDir{Path: l.Dir(), Generator: l.Has(catalog.Generated)})
	}
	return d
}

// UserDirs is the search path of user units, highest precedence first. With home == "" it is
// the path shared by all users; with a home folder, that user's own folders are added where
// systemd --user puts them.
func UserDirs(home string, live bool) []UnitDir {
	var d []UnitDir
	for _, l := range catalog.Recorded("services:systemd-user") {
		switch {
		case l.Has(catalog.Live) && !live:
		case l.InHomes():
			if home != "" {
				d = append(d, UnitDir{Path: l.InHome(home), Home: true})
			}
		default:
			d = append(d, UnitDir{Path: l.Dir()})
		}
	}
	return d
}

// Kinds are the unit types collected.
var Kinds = []string{".service", ".socket", ".timer", ".path"}

func unitKind(name string) string {
	for _, k := range Kinds {
		if strings.HasSuffix(name, k) && len(name) > len(k) {
			return k
		}
	}
	return ""
}

// isUnitName reports whether name looks like any systemd unit (for alias links).
func isUnitName(name string) bool {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return false
	}
	switch name[i:] {
	case ".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount", ".swap",
		".slice", ".scope", ".device":
		return true
	}
	return false
}

// Resolved is one unit as systemd would load it.
type Resolved struct {
	Name    string
	Kind    string // .service, .socket, .timer, .path
	Path    string // file that defines it, as on the host; for a mask or alias, the link itself
	Dir     UnitDir
	Unit    Unit     // with drop-ins merged
	DropIns []string // drop-in files applied, in order
	State   string   // enabled, disabled, masked, static, linked, alias, generated, bad
	AliasOf string   // for an alias: the unit it names
	Target  string   // for a link: where it points (resolved, as on the host)
	Wants   []string // units whose .wants/.requires folders link to it (targets)
	// Home is true when a user's home folder contributes to the unit (definition, drop-in or
	// enabling link).
	Home bool
}

// WantedBy is what pulls the unit in: the units whose .wants/.requires folders link to it, or,
// when none does, what its [Install] section says.
func (r *Resolved) WantedBy() string {
	if len(r.Wants) > 0 {
		return strings.Join(r.Wants, " ")
	}
	var w []string
	for _, k := range []string{"WantedBy", "RequiredBy", "UpheldBy"} {
		for _, v := range r.Unit.All("Install", k) {
			w = append(w, strings.Fields(v)...)
		}
	}
	return strings.Join(w, " ")
}

// Set is the units found on one search path.
type Set struct {
	Units  []*Resolved // sorted by name
	byName map[string]*Resolved
}

// Lookup finds a unit by name.
func (s *Set) Lookup(name string) *Resolved { return s.byName[name] }

// maxUnitFile bounds the size of a unit file read.
const maxUnitFile = 1 << 20

type unitEntry struct {
	dir  UnitDir
	name string
}

type dropEntry struct {
	path string
	home bool
}

// Load resolves the units of the given search path. problem is told about what could not be
// read (missing folders are not a problem).
func Load(fsys *hostfs.FS, dirs []UnitDir, problem func(path string, err error)) *Set {
	type devIno struct{ dev, ino uint64 }
	seen := map[devIno]bool{}
	defs := map[string]unitEntry{}             // unit name -> highest precedence entry
	drops := map[string]map[string]dropEntry{} // drop-in key -> conf name -> file
	wants := map[string]map[string]bool{}      // unit name -> targets wanting it
	homeWants := map[string]bool{}
	for _, d := range dirs {
		st, err := fsys.Stat(d.Path)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				problem(d.Path, err)
			}
			continue
		}
		if !st.IsDir() {
			continue
		}
		k := devIno{st.Dev, st.Inode}
		if seen[k] {
			continue // /lib/systemd/system when /lib is a link to usr/lib
		}
		seen[k] = true
		ents, err := fsys.ReadDir(d.Path)
		if err != nil {
			problem(d.Path, err)
		}
		for _, e := range ents {
			p := path.Join(d.Path, e.Name)
			switch {
			case hasAnySuffix(e.Name, ".wants", ".requires", ".upholds"):
				target := e.Name[:strings.LastIndexByte(e.Name, '.')]
				for _, name := range linkedNames(fsys, p, problem) {
					if wants[name] == nil {
						wants[name] = map[string]bool{}
					}
					wants[name][target] = true
					if d.Home {
						homeWants[name] = true
					}
				}
			case strings.HasSuffix(e.Name, ".d") && len(e.Name) > 2:
				key := strings.TrimSuffix(e.Name, ".d")
				confs, err := fsys.ReadDir(p)
				if err != nil {
					if !hostfs.IsNotExist(err) {
						problem(p, err)
					}
					continue
				}
				for _, c := range confs {
					if !strings.HasSuffix(c.Name, ".conf") {
						continue
					}
					if drops[key] == nil {
						drops[key] = map[string]dropEntry{}
					}
					if _, ok := drops[key][c.Name]; !ok {
						drops[key][c.Name] = dropEntry{path: path.Join(p, c.Name), home: d.Home}
					}
				}
			case unitKind(e.Name) != "":
				if _, ok := defs[e.Name]; !ok {
					defs[e.Name] = unitEntry{dir: d, name: e.Name}
				}
			}
		}
	}
	set := &Set{byName: map[string]*Resolved{}}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	// Units pulled in by a .wants link but defined nowhere in the path: the link's target is
	// what would be found, so it is shown too (an attacker's link to a file outside the path).
	for n := range wants {
		if _, ok := defs[n]; !ok && unitKind(n) != "" && !strings.Contains(n, "@") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		r := &Resolved{Name: n, Kind: unitKind(n)}
		if def, ok := defs[n]; ok {
			r.Dir = def.dir
			r.Home = def.dir.Home
			resolveDef(fsys, r, path.Join(def.dir.Path, n), problem)
		} else {
			r.State = "bad"
			resolveWantsOnly(fsys, r, dirs, problem)
		}
		if r.State != "masked" {
			applyDropIns(fsys, r, drops, problem)
		}
		for t := range wants[n] {
			r.Wants = append(r.Wants, t)
		}
		if tmpl := templateOf(n); tmpl != "" {
			for t := range wants[tmpl] {
				r.Wants = append(r.Wants, t)
			}
		}
		for inst, ts := range wants {
			if templateOf(inst) == n && inst != n {
				for t := range ts {
					r.Wants = append(r.Wants, t)
				}
				if homeWants[inst] {
					r.Home = true
				}
			}
		}
		r.Wants = uniqSorted(r.Wants)
		if homeWants[n] {
			r.Home = true
		}
		r.State = state(r)
		set.Units = append(set.Units, r)
		set.byName[n] = r
	}
	return set
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) && len(s) > len(x) {
			return true
		}
	}
	return false
}

// linkedNames lists the unit names a .wants/.requires folder pulls in: each entry's own name,
// and the name its link points at when that differs (an alias).
func linkedNames(fsys *hostfs.FS, dir string, problem func(string, error)) []string {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			problem(dir, err)
		}
		return nil
	}
	var out []string
	for _, e := range ents {
		if !isUnitName(e.Name) {
			continue
		}
		out = append(out, e.Name)
		if e.Type == "symlink" || e.Type == "" {
			if t, err := fsys.Readlink(path.Join(dir, e.Name)); err == nil {
				if b := path.Base(t); b != e.Name && isUnitName(b) {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// templateOf returns "foo@.service" for an instance "foo@bar.service", "" otherwise.
func templateOf(name string) string {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at || at+1 == dot {
		return ""
	}
	return name[:at+1] + name[dot:]
}

// resolveDef fills r from the entry at p: a file, or a link (mask, alias, linked unit).
func resolveDef(fsys *hostfs.FS, r *Resolved, p string, problem func(string, error)) {
	r.Path = p
	st, err := fsys.Lstat(p)
	if err != nil {
		problem(p, err)
		r.State = "bad"
		return
	}
	file := p
	if st.IsSymlink() {
		t, err := fsys.Readlink(p)
		if err != nil {
			problem(p, err)
			r.State = "bad"
			return
		}
		abs := t
		if !path.IsAbs(abs) {
			abs = path.Join(path.Dir(p), t)
		}
		abs = hostfs.Clean(abs)
		r.Target = abs
		if abs == "/dev/null" {
			r.State = "masked"
			return
		}
		if b := path.Base(abs); b != r.Name && isUnitName(b) {
			r.AliasOf = b
		} else {
			r.Path = abs // the file that defines it
		}
		file = abs
	}
	fst, err := fsys.Stat(file)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			problem(file, err)
		}
		r.State = "bad"
		return
	}
	if fst.IsRegular() && fst.Size == 0 {
		r.State = "masked"
		return
	}
	data, err := fsys.ReadFile(file, maxUnitFile)
	if err != nil && data == nil {
		problem(file, err)
		r.State = "bad"
		return
	}
	if err != nil {
		problem(file, err) // too large: the head is used
	}
	u, perr := ParseUnit(data)
	if perr != nil {
		problem(file, perr)
	}
	r.Unit = u
}

// resolveWantsOnly fills a unit known only from a .wants link: the first link's target.
func resolveWantsOnly(fsys *hostfs.FS, r *Resolved, dirs []UnitDir, problem func(string, error)) {
	for _, d := range dirs {
		ents, err := fsys.ReadDir(d.Path)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !hasAnySuffix(e.Name, ".wants", ".requires", ".upholds") {
				continue
			}
			link := path.Join(d.Path, e.Name, r.Name)
			t, err := fsys.Readlink(link)
			if err != nil {
				continue
			}
			if !path.IsAbs(t) {
				t = path.Join(path.Dir(link), t)
			}
			t = hostfs.Clean(t)
			r.Target = t
			r.Dir = d
			if d.Home {
				r.Home = true
			}
			data, err := fsys.ReadFile(t, maxUnitFile)
			if err != nil {
				r.Path = link
				if !hostfs.IsNotExist(err) {
					problem(t, err)
				}
				return
			}
			r.Path = t
			u, perr := ParseUnit(data)
			if perr != nil {
				problem(t, perr)
			}
			r.Unit = u
			return
		}
	}
}

// dropInKeys lists the drop-in folder names (without ".d") that apply to a unit, least
// specific first: the type ("service"), each dash prefix ("foo-.service"), the template,
// the unit itself.
func dropInKeys(name string) []string {
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return []string{name}
	}
	base, suffix := name[:dot], name[dot:]
	keys := []string{suffix[1:]}
	for i := 0; i < len(base); i++ {
		if base[i] == '-' && i > 0 {
			keys = append(keys, base[:i+1]+suffix)
		}
	}
	if t := templateOf(name); t != "" {
		keys = append(keys, t)
	}
	return append(keys, name)
}

func applyDropIns(fsys *hostfs.FS, r *Resolved, drops map[string]map[string]dropEntry, problem func(string, error)) {
	chosen := map[string]dropEntry{}
	for _, k := range dropInKeys(r.Name) {
		for conf, e := range drops[k] {
			chosen[conf] = e // more specific folders override a same-named file
		}
	}
	if r.AliasOf != "" {
		for conf, e := range drops[r.AliasOf] {
			if _, ok := chosen[conf]; !ok {
				chosen[conf] = e
			}
		}
	}
	confs := make([]string, 0, len(chosen))
	for c := range chosen {
		confs = append(confs, c)
	}
	sort.Strings(confs)
	for _, c := range confs {
		e := chosen[c]
		if lst, err := fsys.Lstat(e.path); err == nil && lst.IsSymlink() {
			if t, err := fsys.Readlink(e.path); err == nil && hostfs.Clean(t) == "/dev/null" {
				continue // a masked drop-in
			}
		}
		data, err := fsys.ReadFile(e.path, maxUnitFile)
		if err != nil && data == nil {
			if !hostfs.IsNotExist(err) && !errors.Is(err, hostfs.ErrNotRegular) {
				problem(e.path, err)
			}
			continue
		}
		if err != nil {
			problem(e.path, err)
		}
		u, perr := ParseUnit(data)
		if perr != nil {
			problem(e.path, perr)
		}
		r.Unit.Merge(u)
		r.DropIns = append(r.DropIns, e.path)
		if e.home {
			r.Home = true
		}
	}
}

func state(r *Resolved) string {
	switch {
	case r.State == "masked":
		return "masked"
	case r.AliasOf != "":
		return "alias"
	case r.Dir.Generator:
		return "generated"
	case len(r.Wants) > 0:
		return "enabled"
	case r.State == "bad":
		return "bad"
	case r.Target != "" && !inUnitDirs(r.Target):
		return "linked"
	case !r.Unit.HasInstall():
		return "static"
	}
	return "disabled"
}

// inUnitDirs reports whether p lies in a folder systemd searches for units (any of them).
func inUnitDirs(p string) bool {
	dir := path.Dir(p)
	for _, d := range SystemDirs(true) {
		if d.Path == dir {
			return true
		}
	}
	for _, d := range UserDirs("", true) {
		if d.Path == dir {
			return true
		}
	}
	for _, l := range catalog.Recorded("services:systemd-user") {
		if l.InHomes() && strings.HasSuffix(dir, "/"+l.Rel()) {
			return true
		}
	}
	return false
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
