package sshd

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
)

// MainConfig is where sshd reads its configuration; relative Include paths are relative to
// ConfigDir.
var (
	MainConfig = catalog.Path("sshd.config")
	ConfigDir  = catalog.Dir("ssh.etc")
)

const (
	configLimit    = 4 << 20 // per file
	maxIncludeDeep = 16      // sshd's own limit (SERVCONF_MAX_DEPTH)
	maxConfigFiles = 256
)

// Config is the configuration sshd reads: every directive of the main file and the files it
// includes, in the order sshd reads them.
type Config struct {
	Found      bool        // the main file exists
	Files      []string    // files read, in order
	Directives []Directive // Include directives are kept, followed by what they included
}

// Problem is something LoadConfig could not read or would make sshd fail.
type Problem struct {
	Path string
	Err  error
}

type configLoader struct {
	ctx      context.Context
	fs       *hostfs.FS
	cfg      *Config
	problems []Problem
}

// LoadConfig reads the sshd configuration at name (normally MainConfig) and what it includes.
// A missing main file gives an empty Config (Found false) and no problem.
func LoadConfig(ctx context.Context, fsys *hostfs.FS, name string) (*Config, []Problem) {
	l := &configLoader{ctx: ctx, fs: fsys, cfg: &Config{}}
	data, err := fsys.ReadFile(name, configLimit)
	switch {
	case err != nil && hostfs.IsNotExist(err):
		return l.cfg, nil
	case err != nil && errors.Is(err, hostfs.ErrTooLarge):
		l.problem(name, fmt.Errorf("read only the first %d bytes: %w", configLimit, err))
	case err != nil:
		l.problem(name, fmt.Errorf("read sshd config: %w", err))
		return l.cfg, l.problems
	}
	l.cfg.Found = true
	l.parse(hostfs.Clean(name), data, "", 0, []string{hostfs.Clean(name)})
	return l.cfg, l.problems
}

func (l *configLoader) problem(p string, err error) { l.problems = append(l.problems, Problem{p, err}) }

// parse adds the directives of one file. match is the Match criteria in force where the file
// was included: a Match inside the file applies to the end of the file only.
func (l *configLoader) parse(name string, data []byte, match string, depth int, stack []string) {
	l.cfg.Files = append(l.cfg.Files, name)
	dirs, bad := ParseConfig(data)
	for _, b := range bad {
		l.problem(name, b)
	}
	for _, d := range dirs {
		if l.ctx.Err() != nil {
			return
		}
		d.File = name
		switch {
		case match != "" && d.Match != "":
			d.Match = match + " > " + d.Match
		case match != "":
			d.Match = match
		}
		l.cfg.Directives = append(l.cfg.Directives, d)
		if d.Key == "Include" {
			l.include(name, d, depth, stack)
		}
	}
}

func (l *configLoader) include(from string, d Directive, depth int, stack []string) {
	if depth+1 >= maxIncludeDeep {
		l.problem(from, fmt.Errorf("line %d: Include nested deeper than %d files (sshd refuses to start)", d.Line, maxIncludeDeep))
		return
	}
	for _, arg := range d.Args {
		p := arg
		switch {
		case strings.HasPrefix(p, "~"):
			// sshd expands "~" for the user it runs as: root.
			p = catalog.Dir("home.root") + strings.TrimPrefix(p, "~")
		case !path.IsAbs(p):
			p = ConfigDir + "/" + p
		}
		for _, f := range Glob(l.fs, p) {
			if len(l.cfg.Files) >= maxConfigFiles {
				l.problem(f, fmt.Errorf("more than %d sshd config files; not read", maxConfigFiles))
				return
			}
			if contains(stack, f) {
				l.problem(from, fmt.Errorf("line %d: Include loop through %s (sshd refuses to start)", d.Line, f))
				continue
			}
			data, err := l.fs.ReadFile(f, configLimit)
			if err != nil {
				if errors.Is(err, hostfs.ErrTooLarge) {
					l.problem(f, fmt.Errorf("read only the first %d bytes: %w", configLimit, err))
				} else {
					l.problem(f, fmt.Errorf("read included sshd config: %w", err))
					continue
				}
			}
			l.parse(f, data, d.Match, depth+1, append(stack[:len(stack):len(stack)], f))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Glob expands a host path pattern the way glob(3) does for sshd's Include: "*", "?" and
// "[...]" in any component, names starting with "." only matched by a pattern starting with
// ".", results sorted. A pattern without wildcards gives the path if it exists.
func Glob(fsys *hostfs.FS, pattern string) []string {
	pattern = hostfs.Clean(pattern)
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	cur := []string{"/"}
	for _, part := range parts {
		var next []string
		for _, dir := range cur {
			if !strings.ContainsAny(part, "*?[\\") {
				p := path.Join(dir, part)
				if fsys.Exists(p) {
					next = append(next, p)
				}
				continue
			}
			for _, name := range fsys.ReadDirNames(dir) {
				if strings.HasPrefix(name, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, err := path.Match(part, name); err == nil && ok {
					next = append(next, path.Join(dir, name))
				}
			}
		}
		cur = next
		if len(cur) == 0 || len(cur) > 10000 {
			return nil
		}
	}
	sort.Strings(cur)
	return cur
}

// Options whose values accumulate over several lines instead of the first one winning.
var accumulating = map[string]bool{
	"AcceptEnv": true, "AllowGroups": true, "AllowUsers": true, "DenyGroups": true, "DenyUsers": true,
	"HostKey": true, "HostCertificate": true, "ListenAddress": true, "Port": true, "Include": true,
}

// Defaults are the values sshd uses for options that matter to an investigation when the
// configuration does not set them (OpenSSH 9.x; UsePAM is "no" in OpenSSH itself, though
// distributions turn it on in their shipped sshd_config). "none" means unset.
var Defaults = map[string]string{
	"AllowAgentForwarding":            "yes",
	"AllowGroups":                     "none",
	"AllowStreamLocalForwarding":      "yes",
	"AllowTcpForwarding":              "yes",
	"AllowUsers":                      "none",
	"AuthenticationMethods":           "any",
	"AuthorizedKeysCommand":           "none",
	"AuthorizedKeysCommandUser":       "none",
	"AuthorizedKeysFile":              ".ssh/authorized_keys .ssh/authorized_keys2",
	"AuthorizedPrincipalsCommand":     "none",
	"AuthorizedPrincipalsCommandUser": "none",
	"AuthorizedPrincipalsFile":        "none",
	"Banner":                          "none",
	"ChrootDirectory":                 "none",
	"DenyGroups":                      "none",
	"DenyUsers":                       "none",
	"DisableForwarding":               "no",
	"ExposeAuthInfo":                  "no",
	"ForceCommand":                    "none",
	"GatewayPorts":                    "no",
	"GSSAPIAuthentication":            "no",
	"HostbasedAuthentication":         "no",
	"IgnoreRhosts":                    "yes",
	"KbdInteractiveAuthentication":    "yes",
	"KerberosAuthentication":          "no",
	"ListenAddress":                   "any",
	"LogLevel":                        "INFO",
	"MaxAuthTries":                    "6",
	"PasswordAuthentication":          "yes",
	"PermitEmptyPasswords":            "no",
	"PermitListen":                    "any",
	"PermitOpen":                      "any",
	"PermitRootLogin":                 "prohibit-password",
	"PermitTTY":                       "yes",
	"PermitTunnel":                    "no",
	"PermitUserEnvironment":           "no",
	"PermitUserRC":                    "yes",
	"Port":                            "22",
	"PubkeyAuthentication":            "yes",
	"RevokedKeys":                     "none",
	"StrictModes":                     "yes",
	"SyslogFacility":                  "AUTH",
	"TrustedUserCAKeys":               "none",
	"UseDNS":                          "no",
	"UsePAM":                          "no",
	"X11Forwarding":                   "no",
}

// optionKey is the record key of a directive: its keyword, "Subsystem NAME" for a subsystem,
// prefixed with "Match CRITERIA: " inside a Match block.
func optionKey(d Directive) (key string, args []string) {
	key, args = d.Key, d.Args
	if d.Key == "Subsystem" && len(args) > 0 {
		key, args = "Subsystem "+args[0], args[1:]
	}
	if d.Match != "" {
		key = "Match " + d.Match + ": " + key
	}
	return key, args
}

// Options returns the effective options: for each keyword outside Match blocks the first
// value (all values joined for keywords that accumulate, such as AllowUsers or Port), the same
// for each Match block under "Match CRITERIA: Keyword", and the Defaults of keywords the
// configuration leaves unset (File "" and Line 0). Match lines themselves are not options.
// Sorted by key. A Config whose main file is missing gives no options.
func (c *Config) Options() []snapshot.SSHOption {
	if !c.Found {
		return nil
	}
	idx := map[string]int{}
	var out []snapshot.SSHOption
	for _, d := range c.Directives {
		if d.Key == "Match" {
			continue
		}
		key, args := optionKey(d)
		if i, ok := idx[key]; ok {
			if accumulating[d.Key] && len(args) > 0 {
				out[i].Value += " " + joinArgs(args)
			}
			continue
		}
		idx[key] = len(out)
		out = append(out, snapshot.SSHOption{Key: key, Value: joinArgs(args), File: d.File, Line: d.Line})
	}
	for k, v := range Defaults {
		if _, ok := idx[k]; !ok {
			out = append(out, snapshot.SSHOption{Key: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Get returns the effective global value of a keyword (outside Match blocks) as its
// arguments, falling back to Defaults; ok is false when neither sets it.
func (c *Config) Get(keyword string) (args []string, ok bool) {
	keyword, _ = Canonical(keyword)
	for _, d := range c.Directives {
		if d.Match == "" && d.Key == keyword {
			return d.Args, true
		}
	}
	if v, ok := Defaults[keyword]; ok {
		return strings.Fields(v), true
	}
	return nil, false
}

// MatchValues returns the first value of a keyword in each Match block that sets it, keyed by
// the block's criteria.
func (c *Config) MatchValues(keyword string) map[string][]string {
	keyword, _ = Canonical(keyword)
	out := map[string][]string{}
	for _, d := range c.Directives {
		if d.Match == "" || d.Key != keyword {
			continue
		}
		if _, ok := out[d.Match]; !ok {
			out[d.Match] = d.Args
		}
	}
	return out
}
