package services

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Collector emits a snapshot.Service for every systemd unit (.service, .socket, .timer, .path)
// of the system and user search paths, every SysV init script and /etc/rc.local.
var Collector probe.Collector = servicesCollector{}

type servicesCollector struct{}

func (servicesCollector) Name() string { return "services" }

// ScopeSet is the units of one scope: "system", "user" (units for every user) or "user:NAME".
type ScopeSet struct {
	Scope   string
	Account string // for user:NAME
	Set     *Set   // every unit of the scope's search path, for lookups
	// Units are the units that belong to the scope: all of them for system and user; for
	// user:NAME only those the user's home defines, overrides or enables.
	Units []*Resolved
}

// LoadScopes resolves the units of the system, of all users and of each account's home.
func LoadScopes(env *probe.Env, problem func(path string, err error)) []ScopeSet {
	sys := Load(env.FS, SystemDirs(env.Live), problem)
	out := []ScopeSet{{Scope: "system", Set: sys, Units: sys.Units}}
	glob := Load(env.FS, UserDirs("", env.Live), problem)
	out = append(out, ScopeSet{Scope: "user", Set: glob, Units: glob.Units})
	for _, a := range env.Homes() {
		has := false
		for _, d := range UserDirs(a.Home, env.Live) {
			if d.Home && env.FS.Exists(d.Path) {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		s := Load(env.FS, UserDirs(a.Home, env.Live), problem)
		ss := ScopeSet{Scope: "user:" + a.Name, Account: a.Name, Set: s}
		for _, r := range s.Units {
			if r.Home {
				ss.Units = append(ss.Units, r)
			}
		}
		out = append(out, ss)
	}
	return out
}

// Section is the unit file section holding the settings of a unit kind ("Service" for
// ".service").
func Section(kind string) string {
	k := strings.TrimPrefix(kind, ".")
	if k == "" {
		return ""
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

// RunAs is the account the commands of a unit run as: User= of a service or socket, else root
// for system units and the account itself for a user's units ("" for units of all users, and
// for timers and paths, which run nothing themselves).
func RunAs(r *Resolved, scope ScopeSet) string {
	if r.Kind != ".service" && r.Kind != ".socket" {
		return ""
	}
	switch {
	case scope.Account != "":
		return scope.Account
	case scope.Scope == "user":
		return ""
	}
	if u := r.Unit.Get(Section(r.Kind), "User"); u != "" {
		return u
	}
	return "root"
}

func (c servicesCollector) Collect(ctx context.Context, env *probe.Env) error {
	problem := func(p string, err error) { env.Problem(c, p, err) }
	for _, sc := range LoadScopes(env, problem) {
		for _, r := range sc.Units {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("services: %w", err)
			}
			rec := snapshot.Service{
				Scope:    sc.Scope,
				Name:     r.Name,
				Kind:     "systemd",
				Path:     r.Path,
				State:    r.State,
				WantedBy: r.WantedBy(),
			}
			if r.State != "masked" {
				rec.Summary = r.Unit.Get("Unit", "Description")
				if r.Kind == ".service" || r.Kind == ".socket" {
					rec.ExecStart = ExecLine(r.Unit, Section(r.Kind))
				}
				if rec.ExecStart != "" {
					rec.RunAs = RunAs(r, sc)
				}
			}
			env.Sink.Put(rec)
		}
	}
	c.sysv(env)
	c.rcLocal(env)
	return nil
}

var rcLink = regexp.MustCompile(`^S[0-9]{2}(.+)$`)

// sysv emits the init scripts of /etc/init.d (and RHEL's /etc/rc.d/init.d), enabled when a
// start link in a boot runlevel folder names them; start links to scripts elsewhere are
// emitted too.
func (c servicesCollector) sysv(env *probe.Env) {
	fsys := env.FS
	type script struct{ name, path string }
	var scripts []script
	known := map[string]bool{}
	for _, dir := range uniqueDirs(fsys, catalog.RecordedDirs("services:sysv", env.Live)) {
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				env.Problem(c, dir, err)
			}
			continue
		}
		for _, e := range ents {
			if e.Type == "dir" || strings.HasPrefix(e.Name, ".") || e.Name == "README" || known[e.Name] {
				continue
			}
			known[e.Name] = true
			scripts = append(scripts, script{e.Name, path.Join(dir, e.Name)})
		}
	}
	enabled := map[string][]string{} // script name -> runlevels
	var strays []script
	strayed := map[string]bool{}
	var rcDirs []string
	for _, lvl := range []string{"S", "2", "3", "4", "5"} {
		for _, d := range catalog.RecordedDirs("services:sysv-links", env.Live) {
			rcDirs = append(rcDirs, strings.Replace(d, "?", lvl, 1)) // /etc/rc?.d: one folder per runlevel
		}
	}
	for _, dir := range uniqueDirs(fsys, rcDirs) {
		lvl := strings.TrimSuffix(strings.TrimPrefix(path.Base(dir), "rc"), ".d")
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				env.Problem(c, dir, err)
			}
			continue
		}
		for _, e := range ents {
			m := rcLink.FindStringSubmatch(e.Name)
			if m == nil {
				continue
			}
			name := m[1]
			link := path.Join(dir, e.Name)
			target := link
			if t, err := fsys.Readlink(link); err == nil {
				if !path.IsAbs(t) {
					t = path.Join(dir, t)
				}
				target = hostfs.Clean(t)
				name = path.Base(target)
			}
			enabled[name] = append(enabled[name], lvl)
			if !known[name] && !strayed[name] {
				strayed[name] = true
				strays = append(strays, script{name, target})
			}
		}
	}
	for _, s := range append(scripts, strays...) {
		st := "disabled"
		if len(enabled[s.name]) > 0 {
			st = "enabled"
		}
		env.Sink.Put(snapshot.Service{
			Scope:     "system",
			Name:      s.name,
			Kind:      "sysv",
			Path:      s.path,
			State:     st,
			ExecStart: s.path,
			WantedBy:  runlevels(enabled[s.name]),
			RunAs:     "root",
			Summary:   initSummary(fsys, s.path),
		})
	}
}

func runlevels(l []string) string {
	l = uniqSorted(l)
	if len(l) == 0 {
		return ""
	}
	return "runlevel " + strings.Join(l, ",")
}

// initSummary reads the Short-Description of an LSB header, if any.
func initSummary(fsys *hostfs.FS, p string) string {
	data, _ := fsys.ReadFile(p, 64<<10)
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "# Short-Description:"); ok {
			return Truncate(strings.TrimSpace(v), 256)
		}
	}
	return ""
}

// rcLocal emits /etc/rc.local (or RHEL's /etc/rc.d/rc.local): enabled when executable, its
// commands joined with " ; ".
func (c servicesCollector) rcLocal(env *probe.Env) {
	seen := map[[2]uint64]bool{}
	for _, p := range catalog.RecordedDirs("services:rc.local", env.Live) {
		st, err := env.FS.Stat(p)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				env.Problem(c, p, err)
			}
			continue
		}
		if !st.IsRegular() || seen[[2]uint64{st.Dev, st.Inode}] {
			continue
		}
		seen[[2]uint64{st.Dev, st.Inode}] = true
		data, err := env.FS.ReadFile(p, 1<<20)
		if err != nil {
			env.Problem(c, p, err)
			if data == nil {
				continue
			}
		}
		state := "disabled"
		if st.Perm()&0o111 != 0 {
			state = "enabled"
		}
		env.Sink.Put(snapshot.Service{
			Scope:     "system",
			Name:      "rc.local",
			Kind:      "rc.local",
			Path:      p,
			State:     state,
			ExecStart: ScriptCommands(data, MaxExec),
			RunAs:     "root",
		})
	}
}

// ScriptCommands joins the non-comment, non-empty lines of a shell script with " ; ", cut to
// limit bytes.
func ScriptCommands(data []byte, limit int) string {
	var parts []string
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts = append(parts, l)
		n += len(l) + 3
		if n > limit {
			break
		}
	}
	return Truncate(strings.Join(parts, " ; "), limit)
}

// uniqueDirs keeps the folders that exist, dropping those that are the same folder as an
// earlier one (reached through a link).
func uniqueDirs(fsys *hostfs.FS, dirs []string) []string {
	seen := map[[2]uint64]bool{}
	var out []string
	for _, d := range dirs {
		st, err := fsys.Stat(d)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				out = append(out, d) // let the caller report it
			}
			continue
		}
		k := [2]uint64{st.Dev, st.Inode}
		if !st.IsDir() || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
