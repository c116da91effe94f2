package sshd

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

const keysLimit = 4 << 20 // per authorized_keys file

// CAUser is the SSHKey.User of keys from TrustedUserCAKeys: they let in any account whose
// name is a principal of a certificate they signed.
const CAUser = "*"

// Collector reads the effective sshd configuration (snapshot.SSHOption) and every key sshd
// would accept (snapshot.SSHKey) for every account in env.Accounts, whatever its shell.
type Collector struct{}

// Name is "ssh".
func (Collector) Name() string { return "ssh" }

// Collect reads sshd's configuration and the authorized keys files it names.
func (c Collector) Collect(ctx context.Context, env *probe.Env) error {
	cfg, problems := LoadConfig(ctx, env.FS, MainConfig)
	for _, p := range problems {
		env.Problem(c, p.Path, p.Err)
	}
	for _, o := range cfg.Options() {
		env.Sink.Put(o)
	}

	kr := &keyReader{c: c, env: env, cache: map[string][]AuthorizedKey{}}
	patterns := KeyFilePatterns(cfg)
	reported := map[string]bool{}
	accts := env.Accounts
	if len(accts) == 0 {
		// No passwd to go by: root's keys are the ones that matter most.
		accts = []probe.Account{{Name: "root", Home: catalog.Dir("home.root"), Shell: "/bin/sh"}}
	}
	for _, a := range accts {
		if err := ctx.Err(); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, p := range patterns {
			file, err := ExpandKeyFile(p, a, accts)
			if err != nil {
				if !reported[p] {
					reported[p] = true
					env.Problem(c, MainConfig, fmt.Errorf("AuthorizedKeysFile %q (for %s and maybe others): %w", p, a.Name, err))
				}
				continue
			}
			if seen[file] {
				continue
			}
			seen[file] = true
			for _, k := range kr.read(file) {
				env.Sink.Put(keyRecord(a.Name, file, k))
			}
		}
	}
	for _, file := range caFiles(cfg) {
		for _, k := range kr.read(file) {
			rec := keyRecord(CAUser, file, k)
			rec.Options = strings.TrimSuffix("cert-authority,"+rec.Options, ",")
			env.Sink.Put(rec)
		}
	}
	return ctx.Err()
}

func keyRecord(user, file string, k AuthorizedKey) snapshot.SSHKey {
	return snapshot.SSHKey{User: user, File: file, Fingerprint: k.Fingerprint, Type: k.Type,
		Comment: k.Comment, Options: k.OptionsText(), Line: k.Line}
}

// keyReader reads each keys file once, however many accounts point at it.
type keyReader struct {
	c     Collector
	env   *probe.Env
	cache map[string][]AuthorizedKey
}

func (r *keyReader) read(file string) []AuthorizedKey {
	if keys, ok := r.cache[file]; ok {
		return keys
	}
	r.cache[file] = nil
	data, err := r.env.FS.ReadFile(file, keysLimit)
	if err != nil {
		switch {
		case errors.Is(err, hostfs.ErrTooLarge):
			r.env.Problem(r.c, file, fmt.Errorf("read only the first %d bytes: %w", keysLimit, err))
		case hostfs.IsNotExist(err):
			return nil
		default:
			r.env.Problem(r.c, file, fmt.Errorf("read authorized keys: %w", err))
			return nil
		}
	}
	keys, bad := ParseAuthorizedKeys(data)
	for _, b := range bad {
		r.env.Problem(r.c, file, b)
	}
	r.cache[file] = keys
	return keys
}

// KeyFilePatterns lists the AuthorizedKeysFile patterns to look at: the effective global
// value, every value set inside a Match block (sshd uses them for the users they match; all
// accounts are checked), and the two default files even when the configuration names others
// (a key left there is dormant, not gone). "none" is dropped; duplicates removed.
func KeyFilePatterns(cfg *Config) []string {
	var out []string
	seen := map[string]bool{}
	add := func(args []string) {
		for _, a := range args {
			if strings.EqualFold(a, "none") || seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, a)
		}
	}
	if args, ok := cfg.Get("AuthorizedKeysFile"); ok {
		add(args)
	}
	mv := cfg.MatchValues("AuthorizedKeysFile")
	crit := make([]string, 0, len(mv))
	for m := range mv {
		crit = append(crit, m)
	}
	sort.Strings(crit)
	for _, m := range crit {
		add(mv[m])
	}
	add(strings.Fields(Defaults["AuthorizedKeysFile"]))
	return out
}

// caFiles lists the TrustedUserCAKeys files, global and per Match block.
func caFiles(cfg *Config) []string {
	var out []string
	seen := map[string]bool{}
	add := func(args []string) {
		if len(args) == 0 || strings.EqualFold(args[0], "none") {
			return
		}
		p := hostfs.Clean(args[0])
		if strings.HasPrefix(args[0], "~") {
			p = hostfs.Clean(catalog.Dir("home.root") + strings.TrimPrefix(args[0], "~"))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if args, ok := cfg.Get("TrustedUserCAKeys"); ok {
		add(args)
	}
	mv := cfg.MatchValues("TrustedUserCAKeys")
	crit := make([]string, 0, len(mv))
	for m := range mv {
		crit = append(crit, m)
	}
	sort.Strings(crit)
	for _, m := range crit {
		add(mv[m])
	}
	return out
}

// ExpandKeyFile turns an AuthorizedKeysFile pattern into the host path sshd reads for an
// account: %h is the home, %u the name, %U the uid, %% a percent sign; a leading "~" is the
// home of the account sshd runs as (root, uid 0) and "~name" that of name, as sshd expands
// them when it reads its configuration; a relative result is relative to the home.
func ExpandKeyFile(pattern string, a probe.Account, accounts []probe.Account) (string, error) {
	if strings.HasPrefix(pattern, "~") {
		name, rest, _ := strings.Cut(pattern[1:], "/")
		home, ok := homeOf(name, accounts)
		if !ok {
			return "", fmt.Errorf("no account %q for \"~\"", name)
		}
		pattern = path.Join(home, rest)
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(pattern) {
			return "", errors.New("\"%\" at the end (sshd refuses the login)")
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(a.Home)
		case 'u':
			b.WriteString(a.Name)
		case 'U':
			b.WriteString(strconv.FormatInt(a.UID, 10))
		default:
			return "", fmt.Errorf("unknown token %%%c (sshd refuses the login)", pattern[i])
		}
	}
	p := b.String()
	if !strings.HasPrefix(p, "/") {
		p = a.Home + "/" + p
	}
	return hostfs.Clean(p), nil
}

// homeOf finds the home of an account by name, or of the first uid 0 account for "".
func homeOf(name string, accounts []probe.Account) (string, bool) {
	for _, a := range accounts {
		if name == "" && a.UID == 0 || name != "" && a.Name == name {
			return a.Home, true
		}
	}
	if name == "" {
		return catalog.Dir("home.root"), true
	}
	return "", false
}
