package kmod

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// Collector emits a snapshot.Module for every loaded module (State "loaded", live hosts only),
// every module configured to load at boot (State "autoload") and every modprobe.d install or
// remove directive (State "install-hook" / "remove-hook", the command in Detail).
var Collector probe.Collector = modulesCollector{}

type modulesCollector struct{}

func (modulesCollector) Name() string { return "modules" }

const maxConf = 1 << 20

// confDirs lists folders of *.conf files of systemd-style configuration (modules-load.d,
// modprobe.d), highest precedence first; /run is left out unless live.
func confDirs(rec string, live bool) []string {
	var d []string
	for _, l := range catalog.Recorded(rec) {
		if l.IsFolder() && (live || !l.Has(catalog.Live)) {
			d = append(d, l.Dir())
		}
	}
	return d
}

// mainFile is the single file of a kind of module configuration (/etc/modules, modprobe.conf).
func mainFile(rec string) string {
	for _, l := range catalog.Recorded(rec) {
		if !l.IsFolder() {
			return l.Path
		}
	}
	panic("kmod: the catalog has no single file recorded as " + rec)
}

type sink struct {
	c    modulesCollector
	env  *probe.Env
	seen map[[2]string]bool
}

func (s *sink) put(m snapshot.Module) {
	k := [2]string{m.Name, m.State}
	if s.seen[k] {
		return // the first source of a name and state is the one kept (key of the record)
	}
	s.seen[k] = true
	s.env.Sink.Put(m)
}

func (c modulesCollector) Collect(ctx context.Context, env *probe.Env) error {
	s := &sink{c: c, env: env, seen: map[[2]string]bool{}}
	if env.Live {
		c.loaded(env, s)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("modules: %w", err)
	}
	c.autoload(env, s)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("modules: %w", err)
	}
	c.hooks(env, s)
	return nil
}

func (c modulesCollector) read(env *probe.Env, p string) []byte {
	data, err := env.FS.ReadFile(p, maxConf)
	if err != nil && !hostfs.IsNotExist(err) {
		env.Problem(c, p, err)
	}
	return data
}

func (c modulesCollector) loaded(env *probe.Env, s *sink) {
	const p = "/proc/modules"
	data, err := env.FS.ReadFile(p, 16<<20)
	if err != nil {
		// A kernel without module support has no /proc/modules; anything else is a gap.
		if !hostfs.IsNotExist(err) {
			env.Problem(c, p, err)
		}
		if data == nil {
			return
		}
	}
	mods, err := ParseProcModules(data)
	if err != nil {
		env.Problem(c, p, err)
	}
	for _, m := range mods {
		s.put(snapshot.Module{Name: m.Name, State: "loaded", Source: p, Size: m.Size, Taint: m.Taint})
	}
}

// confFiles lists the *.conf files of a systemd-style configuration folder set: one file per
// name, from the folder of highest precedence, sorted by name; files masked by a link to
// /dev/null are left out.
func (c modulesCollector) confFiles(env *probe.Env, dirs []string) []string {
	type devIno [2]uint64
	seenDir := map[devIno]bool{}
	chosen := map[string]string{}
	for _, d := range dirs {
		st, err := env.FS.Stat(d)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				env.Problem(c, d, err)
			}
			continue
		}
		if !st.IsDir() || seenDir[devIno{st.Dev, st.Inode}] {
			continue
		}
		seenDir[devIno{st.Dev, st.Inode}] = true
		ents, err := env.FS.ReadDir(d)
		if err != nil {
			env.Problem(c, d, err)
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name, ".conf") || e.Type == "dir" {
				continue
			}
			if _, ok := chosen[e.Name]; !ok {
				chosen[e.Name] = path.Join(d, e.Name)
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		p := chosen[n]
		if t, err := env.FS.Readlink(p); err == nil && hostfs.Clean(t) == "/dev/null" {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (c modulesCollector) autoload(env *probe.Env, s *sink) {
	files := append([]string{mainFile("kernel_modules:autoload")}, c.confFiles(env, confDirs("kernel_modules:autoload", env.Live))...)
	for i, p := range files {
		data := c.read(env, p)
		for _, e := range ParseModuleList(data, i == 0) {
			s.put(snapshot.Module{Name: e.Name, State: "autoload", Source: p, Detail: e.Args})
		}
	}
}

func (c modulesCollector) hooks(env *probe.Env, s *sink) {
	files := append([]string{mainFile("kernel_modules:hook")}, c.confFiles(env, confDirs("kernel_modules:hook", env.Live))...)
	for _, p := range files {
		data := c.read(env, p)
		if data == nil {
			continue
		}
		dirs, err := ParseModprobeConf(data)
		if err != nil {
			env.Problem(c, p, err)
		}
		for _, d := range dirs {
			switch d.Cmd {
			case "install", "remove":
				s.put(snapshot.Module{Name: d.Module, State: d.Cmd + "-hook", Source: p, Detail: d.Args})
			}
		}
	}
}
