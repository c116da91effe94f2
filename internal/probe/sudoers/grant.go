package sudoers

import (
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Grant is one command a user specification allows, with aliases resolved: who may run
// Command, on which hosts, as whom, with which tags.
type Grant struct {
	File string
	Line int
	Text string // the rule it comes from

	Users       []string // "alice", "%sudo" (a group), "#0" (a uid), "ALL", "!bob"...
	Hosts       []string
	RunasGiven  bool
	RunasUsers  []string
	RunasGroups []string
	Tags        []string
	Options     []string
	Digest      string
	Negated     bool   // "!cmd": an exception that takes the command away again
	Command     string // one command with its arguments as written, or "ALL"
}

// NoPasswd reports whether the grant runs without asking for the user's password.
func (g Grant) NoPasswd() bool { return hasTag(g.Tags, "NOPASSWD") }

// AsRoot reports whether the command may run as root: no run-as list (root is the default),
// an empty one, or one that names ALL, root or #0.
func (g Grant) AsRoot() bool {
	if !g.RunasGiven || len(g.RunasUsers) == 0 && len(g.RunasGroups) == 0 {
		return true
	}
	for _, u := range g.RunasUsers {
		if u == "ALL" || u == "root" || u == "#0" {
			return true
		}
	}
	return false
}

// FullRoot reports whether the grant amounts to a root shell: it is not an exception, it runs
// as root, and its command is ALL or one that gives a shell (see GivesShell).
func (g Grant) FullRoot() bool { return !g.Negated && g.AsRoot() && GivesShell(g.Command) }

// Who is the user list joined with ",", for messages.
func (g Grant) Who() string { return strings.Join(g.Users, ",") }

// Policy is the rules of all sudoers files of a host, with aliases resolved across files.
type Policy struct {
	Rules   []Rule
	aliases map[string]map[string][]string // alias type -> name -> members
}

// NewPolicy indexes the aliases of rules (the first definition of a name wins).
func NewPolicy(rules []Rule) *Policy {
	p := &Policy{Rules: rules, aliases: map[string]map[string][]string{}}
	for _, r := range rules {
		if r.Kind != KindAlias {
			continue
		}
		m := p.aliases[r.AliasType]
		if m == nil {
			m = map[string][]string{}
			p.aliases[r.AliasType] = m
		}
		for _, a := range r.Aliases {
			if _, dup := m[a.Name]; !dup {
				m[a.Name] = a.Members
			}
		}
	}
	return p
}

// FromRecords re-parses the sudoers records of a snapshot into a Policy.
func FromRecords(recs []snapshot.SudoRule) *Policy {
	rules := make([]Rule, 0, len(recs))
	for _, rec := range recs {
		r := ParseLine(rec.Text)
		r.File, r.Line = rec.File, rec.Line
		rules = append(rules, r)
	}
	return NewPolicy(rules)
}

// maxAliasDepth bounds alias expansion (aliases may refer to aliases, or to themselves).
const maxAliasDepth = 16

// Expand resolves alias names of the given type ("User_Alias", "Runas_Alias", "Host_Alias",
// "Cmnd_Alias") in items, recursively; a negated alias ("!ADMINS") negates its members.
// Items that are not aliases are kept as written.
func (p *Policy) Expand(aliasType string, items []string) []string {
	var out []string
	p.expand(aliasType, items, false, 0, &out)
	return out
}

func (p *Policy) expand(typ string, items []string, neg bool, depth int, out *[]string) {
	for _, it := range items {
		n := neg
		for strings.HasPrefix(it, "!") {
			n = !n
			it = strings.TrimSpace(it[1:])
		}
		if members, ok := p.aliases[typ][it]; ok && isAliasName(it) && it != "ALL" && depth < maxAliasDepth {
			p.expand(typ, members, n, depth+1, out)
			continue
		}
		if n {
			it = "!" + it
		}
		*out = append(*out, it)
	}
}

// Grants flattens every grant rule into one Grant per command, aliases resolved.
func (p *Policy) Grants() []Grant {
	var out []Grant
	for _, r := range p.Rules {
		if r.Kind != KindGrant {
			continue
		}
		users := p.Expand("User_Alias", r.Users)
		for _, pr := range r.Privileges {
			hosts := p.Expand("Host_Alias", pr.Hosts)
			for _, c := range pr.Cmnds {
				g := Grant{
					File: r.File, Line: r.Line, Text: r.Text,
					Users: users, Hosts: hosts, RunasGiven: c.RunasGiven,
					RunasUsers: p.Expand("Runas_Alias", c.RunasUsers), RunasGroups: p.Expand("Runas_Alias", c.RunasGroups),
					Tags: c.Tags, Options: c.Options, Digest: c.Digest,
				}
				item := c.Command
				if c.Negated {
					item = "!" + item
				}
				for _, cmd := range p.Expand("Cmnd_Alias", []string{item}) {
					g.Negated = strings.HasPrefix(cmd, "!")
					g.Command = strings.TrimPrefix(cmd, "!")
					out = append(out, g)
				}
			}
		}
	}
	return out
}

// shellCommands are programs that give their user a shell, or the power to write any file,
// when run through sudo (GTFOBins-style). Not exhaustive: a finding built on it should say so.
var shellCommands = map[string]bool{
	// shells and privilege tools
	"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "csh": true,
	"tcsh": true, "fish": true, "ash": true, "busybox": true, "su": true, "sudo": true,
	"sudoedit": true, "doas": true, "login": true, "runuser": true, "setpriv": true, "capsh": true,
	// editors and pagers (they can run commands or edit /etc/sudoers)
	"vi": true, "vim": true, "nvim": true, "view": true, "vimdiff": true, "rvim": true, "ex": true,
	"ed": true, "nano": true, "pico": true, "emacs": true, "joe": true, "mg": true, "less": true,
	"more": true, "most": true, "pg": true, "man": true, "pager": true,
	// interpreters
	"awk": true, "gawk": true, "mawk": true, "nawk": true, "sed": true, "perl": true, "python": true,
	"ruby": true, "irb": true, "php": true, "lua": true, "node": true, "nodejs": true, "tclsh": true,
	"wish": true, "expect": true, "jrunscript": true, "rlwrap": true,
	// launchers
	"env": true, "find": true, "xargs": true, "nice": true, "ionice": true, "timeout": true,
	"time": true, "taskset": true, "stdbuf": true, "setsid": true, "chroot": true, "nohup": true,
	"strace": true, "ltrace": true, "gdb": true, "watch": true, "flock": true, "script": true,
	"screen": true, "tmux": true, "run-parts": true, "start-stop-daemon": true, "unshare": true,
	"nsenter": true, "systemd-run": true, "service": true, "systemctl": true, "journalctl": true,
	// tools with command hooks
	"tar": true, "zip": true, "rsync": true, "scp": true, "ssh": true, "git": true, "ftp": true,
	"make": true, "docker": true, "podman": true, "ctr": true, "kubectl": true, "lxc": true,
	"apt": true, "apt-get": true, "dpkg": true, "yum": true, "dnf": true, "rpm": true, "pip": true,
	"npm": true, "gem": true, "mount": true, "crontab": true, "openssl": true,
	// file writers (write /etc/sudoers, /etc/passwd, a root crontab...)
	"tee": true, "cp": true, "mv": true, "dd": true, "install": true, "chmod": true, "chown": true,
	"ln": true,
}

// GivesShell reports whether a sudoers command gives its user a root shell or the power to
// write any file: ALL, a wildcard in the program path, or a program known to run other programs
// (shells, editors, pagers, interpreters, find, env, ...). The arguments are not considered:
// most of these programs escape whatever arguments they are given.
func GivesShell(cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	if cmd == "ALL" {
		return true
	}
	prog := cmd
	if i := indexUnescapedSpace(cmd); i >= 0 {
		prog = cmd[:i]
	}
	prog = unescape(prog)
	if strings.ContainsAny(prog, "*?[") {
		return true
	}
	base := prog[strings.LastIndexByte(prog, '/')+1:]
	if shellCommands[base] {
		return true
	}
	// Versioned interpreters: python3, python3.11, perl5.36, ruby3.1, php8.2, lua5.4, pip3.
	trimmed := strings.TrimRight(base, "0123456789.")
	return trimmed != base && versioned[trimmed]
}

// versioned are the programs installed under versioned names.
var versioned = map[string]bool{"python": true, "perl": true, "ruby": true, "php": true, "lua": true,
	"pip": true, "node": true, "tclsh": true, "wish": true, "irb": true, "gawk": true}

func indexUnescapedSpace(s string) int {
	esc := false
	for i := 0; i < len(s); i++ {
		switch {
		case esc:
			esc = false
		case s[i] == '\\':
			esc = true
		case s[i] == ' ':
			return i
		}
	}
	return -1
}
