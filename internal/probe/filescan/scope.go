package filescan

import (
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// Rule says how to record one part of the file system.
type Rule struct {
	Path string // host path of the top of this part
	// Hash: compute SHA-256 of regular files (logs, for instance, are recorded without).
	Hash bool
	// Home: the top is a home folder: every entry at its top is recorded, but only folders whose
	// name starts with a dot (.ssh, .config, ...) are walked, so user data is not swept up.
	Home bool
	// Homes: every folder directly below the top is a home folder (as /home).
	Homes bool
}

// homeDepth caps how deep a home's dot folders are walked; shallow lists some known caches.
const homeDepth = 8

var shallow = map[string]int{
	".cache": 2, ".npm": 1, ".m2": 1, ".gradle": 1, ".rustup": 1, ".cargo": 2, ".pyenv": 1,
	".nvm": 1, ".vscode-server": 1, ".local/share/containers": 1, ".local/share/Trash": 1,
}

// DefaultScope is where files matter for judging a host (the catalog's Walk locations): system
// binaries and libraries, /etc, /boot, admin and user homes (dot files and folders), cron
// spools, web roots, /opt, /srv, the package database, and the usual staging places of
// intruders; logs are recorded unhashed.
func DefaultScope() []Rule {
	var r []Rule
	for _, l := range catalog.With(catalog.Walk) {
		r = append(r, Rule{Path: l.Dir(), Hash: !l.Has(catalog.NoHash),
			Home: l.Kind == catalog.Home && !l.Has(catalog.Homes), Homes: l.Kind == catalog.Home && l.Has(catalog.Homes)})
	}
	return r
}

// AddHomes adds a home rule for each home folder that no rule covers yet (service accounts'
// homes such as /var/lib/postgresql hold SSH keys and shell files too).
func AddHomes(rules []Rule, homes []string) []Rule {
	for _, h := range homes {
		h = hostfs.Clean(h)
		if h == "/" || h == "/nonexistent" || covered(rules, h) || pseudo(h) {
			continue
		}
		rules = append(rules, Rule{Path: h, Hash: true, Home: true})
	}
	return rules
}

// pseudo reports whether p is in a kernel or runtime file system (some service accounts have
// /dev or /run/x as their home): those hold devices and sockets, not an account's files.
func pseudo(p string) bool {
	for _, d := range []string{"/dev", "/proc", "/sys", "/run"} {
		if hostfs.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// covered reports whether some rule already records p (as a full walk, or as a home).
func covered(rules []Rule, p string) bool {
	for _, r := range rules {
		if r.Path == p {
			return true
		}
		if !r.Home && !r.Homes && hostfs.HasPrefix(p, r.Path) {
			return true
		}
		if r.Homes && parent(p) == r.Path {
			return true
		}
	}
	return false
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// Normalize cleans paths, drops rules nested inside a full walk of another rule, and sorts.
func Normalize(rules []Rule) []Rule {
	for i := range rules {
		rules[i].Path = hostfs.Clean(rules[i].Path)
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Path < rules[j].Path })
	var out []Rule
	for _, r := range rules {
		nested := false
		for _, o := range out {
			if !o.Home && !o.Homes && hostfs.HasPrefix(r.Path, o.Path) && (o.Hash || !r.Hash) {
				nested = true
				break
			}
			if o.Path == r.Path {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, r)
		}
	}
	return out
}
