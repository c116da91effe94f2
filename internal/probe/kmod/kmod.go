// Package kmod collects kernel modules: those loaded now (from /proc/modules of a live host),
// those configured to load at boot (/etc/modules, modules-load.d) and the modprobe.d install and
// remove directives, which make modprobe run a command instead of loading a module (a way to
// keep a foothold that runs as root whenever the module is asked for).
package kmod

import (
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LineError lists the lines of a file that were not understood (and were skipped).
type LineError = textline.Skipped

// Loaded is one line of /proc/modules.
type Loaded struct {
	Name  string
	Size  int64
	Refs  int64
	Deps  []string
	State string // Live, Loading, Unloading
	Taint string // flags in parentheses at the end ("OE"), "" when untainted
}

var taintField = regexp.MustCompile(`^\(([A-Z]+)\)$`)

// ParseProcModules parses /proc/modules:
// "name size refcount deps state address [(taint)]", deps being "-" or "a,b,".
func ParseProcModules(data []byte) ([]Loaded, error) {
	var out []Loaded
	var bad LineError
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			bad.Add(i + 1)
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			bad.Add(i + 1)
			continue
		}
		m := Loaded{Name: f[0], Size: size}
		if len(f) > 2 {
			m.Refs, _ = strconv.ParseInt(f[2], 10, 64)
		}
		if len(f) > 3 && f[3] != "-" {
			for _, d := range strings.Split(f[3], ",") {
				if d != "" {
					m.Deps = append(m.Deps, d)
				}
			}
		}
		if len(f) > 4 {
			m.State = f[4]
		}
		if t := taintField.FindStringSubmatch(f[len(f)-1]); t != nil && len(f) > 2 {
			m.Taint = t[1]
		}
		out = append(out, m)
	}
	return out, bad.Err()
}

// ListEntry is one module named in /etc/modules or a modules-load.d file.
type ListEntry struct {
	Line int
	Name string
	Args string // /etc/modules only: the parameters after the name
}

// ParseModuleList parses a list of modules to load at boot: one name per line, comments
// starting with # (and ; in modules-load.d). /etc/modules (withArgs) may give parameters after
// the name.
func ParseModuleList(data []byte, withArgs bool) []ListEntry {
	var out []ListEntry
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		f := strings.Fields(t)
		e := ListEntry{Line: i + 1, Name: f[0]}
		if withArgs && len(f) > 1 {
			e.Args = strings.Join(f[1:], " ")
		}
		out = append(out, e)
	}
	return out
}

// Directive is one command of a modprobe.d file.
type Directive struct {
	Line   int
	Cmd    string // alias, options, install, remove, blacklist, softdep, ...
	Module string
	Args   string // the rest, with single spaces (for install/remove: the shell command)
}

var modprobeCmds = map[string]bool{
	"alias": true, "options": true, "install": true, "remove": true, "blacklist": true,
	"softdep": true, "weakdep": true, "include": true, "config": true,
}

// ParseModprobeConf parses a modprobe.d file: directives one per line, lines continued with a
// trailing backslash, comments starting with #. Unknown directives are reported in the error
// (a *LineError) and skipped.
func ParseModprobeConf(data []byte) ([]Directive, error) {
	var out []Directive
	var bad LineError
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], " \t\r")
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimRight(lines[i], " \t\r")
		}
		line = strings.TrimSuffix(line, `\`)
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if !modprobeCmds[f[0]] || len(f) < 2 {
			bad.Add(start)
			continue
		}
		d := Directive{Line: start, Cmd: f[0], Module: f[1], Args: strings.Join(f[2:], " ")}
		if (d.Cmd == "install" || d.Cmd == "remove") && d.Args == "" {
			bad.Add(start)
			continue
		}
		d.Args = truncate(d.Args, maxDetail)
		out = append(out, d)
	}
	return out, bad.Err()
}

const maxDetail = 4096

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
