// Package catalog is the one list of the places on a Linux host where persistence, credentials,
// logs and configuration live, declared as data (in the spirit of Velociraptor's artifacts and
// osquery's table specs). Each location gives its path or pattern, its kind, the MITRE ATT&CK
// techniques an intruder uses it for, what nowwhat does with it (record, walk, keep, inspect,
// collect, group in diffs, clean, rotate), and, where clean may remove something, at what unit a
// removal is made and how it is undone.
//
// Probes read the places the catalog names, the rules judge them, diff groups changes by them,
// collect copies them, clean removes what the attacker left there and rotate replaces the secrets
// they hold. A location is written here once: a test fails when one of these paths appears as a
// literal anywhere else in the code.
//
// Paths are host paths (inside --root). A pattern is one of:
//
//	/etc/crontab             one file
//	/etc/cron.d/             a folder: the folder and everything below it
//	/etc/cron*/              segments may hold globs (path.Match): /etc/crontab, /etc/cron.d/x, ...
//	~/.ssh/authorized_keys   relative to each home folder (see IsHome)
//	**/authorized_keys*      a name at any depth
package catalog

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

// Kind says what a location holds.
type Kind string

// Kinds of locations.
const (
	Persistence Kind = "persistence" // makes code run again: schedules, services, start-up and hook files
	Credential  Kind = "credential"  // holds a secret or what grants access: hashes, keys, tokens, passwords
	Log         Kind = "log"         // a record of what happened
	Config      Kind = "config"      // configuration that decides who gets in and what runs
	Program     Kind = "program"     // where the system's programs live
	Library     Kind = "library"     // where the system's libraries live
	Kernel      Kind = "kernel"      // the kernel, its modules and its boot
	Temp        Kind = "temp"        // writable by everyone: where intruders stage their tools
	Web         Kind = "web"         // web content a server may run
	Home        Kind = "home"        // account homes
	PackageDB   Kind = "package-db"  // what the package managers recorded
)

// Use is what nowwhat does with a location (a set of bits).
type Use uint32

// Uses of a location.
const (
	// Record: a probe parses it into snapshot records (Location.Record names which).
	Record Use = 1 << iota
	// Walk: the file walk records every file below it, hashed (unless NoHash).
	Walk
	// NoHash: walked without hashing (logs grow; their hash says nothing).
	NoHash
	// Keep: its text is kept whole in the snapshot, so diffs show the lines (never a secret:
	// kept texts are redacted, and credential locations are never kept).
	Keep
	// Inspect: its content is scanned for attack patterns.
	Inspect
	// Collect: copied into the evidence archive (quick profile and up).
	Collect
	// CollectFull: copied into the evidence archive in the full profile only.
	CollectFull
	// Clean: clean may remove what an intruder left here; Location.Undo says how it comes back.
	Clean
	// Rotate: holds a secret that rotate must replace (Location.Secret says which).
	Rotate
	// Unowned: a file here that no package installed is reported (persistence.startup-file).
	Unowned
	// OnlyHooks: with Unowned, only files holding hooks count (most files here only set
	// options).
	OnlyHooks
	// Runs: what is written here runs again by itself (at boot, at login, on a schedule, on an
	// event): a download-and-run line here is how miners and botnets come back.
	Runs
	// Backdate: a file here whose modification time was set back is reported (tamper.file-time).
	Backdate
	// Watch: a log whose emptying is reported (tamper.log-emptied).
	Watch
	// Exec: a system program folder: a changed or unowned program here is the worst kind.
	Exec
	// System: the system's own folders (not homes, not temporary ones).
	System
	// Homes: account homes live here (the home-relative locations apply below it).
	Homes
	// Served: web content a server may run lives here (web shells are looked for).
	Served
	// Live: only present on a running host (/run): read on a live host only.
	Live
	// Generated: written at boot by generators, not by people.
	Generated
)

// Unit is what one removal by clean takes away and puts back as a whole.
type Unit string

// Units of removal.
const (
	UnitLine   Unit = "line"   // one line of a file: the file stays, the line goes, and comes back at its place
	UnitFile   Unit = "file"   // the whole file (a drop-in, a script): moved to quarantine, moved back
	UnitUnit   Unit = "unit"   // a systemd unit with its enablement links (.wants, .requires, aliases)
	UnitBit    Unit = "bit"    // a file's mode bits or capabilities: the bits are cleared, and set again
	UnitModule Unit = "module" // a kernel module's autoload entry and its file
)

// Undo says how a removal at a location is made and undone.
type Undo struct {
	Unit Unit
	// How tells a person how the removal is undone.
	How string
	// Then is what must run for a removal or its undo to take effect ("" when nothing must).
	Then string
}

// Location is one place on the host.
type Location struct {
	ID     string // stable, dotted: "cron.d", "ssh.authorized-keys"
	Path   string // path or pattern (see the package comment)
	Kind   Kind
	What   string   // for people: what lives there
	Attack []string // MITRE ATT&CK techniques intruders use it for
	Use    Use
	// Record names the snapshot records a probe makes of it: "table" or "table:kind"
	// (hooks:pam, jobs:cron, services:systemd, kernel_modules:autoload, ...).
	Record string
	// Area is the part of the system diff groups its changes under ("" when it has no say of
	// its own: a broader location decides).
	Area string
	// Undo, for a location clean works on.
	Undo *Undo
	// Secret, for a credential: what secret it holds and how it is replaced.
	Secret string
	// Cred says how the credential inventory reads it (nil: it does not).
	Cred *Cred
}

// Has reports whether a location has every bit of u.
func (l *Location) Has(u Use) bool { return l.Use&u == u }

// Dir is the path without its trailing slash (the folder itself for a folder location).
func (l *Location) Dir() string {
	if l.Path == "/" {
		return l.Path
	}
	return strings.TrimSuffix(l.Path, "/")
}

// IsFolder reports whether the location is a folder (covers what is below it).
func (l *Location) IsFolder() bool { return strings.HasSuffix(l.Path, "/") }

// InHomes reports whether the location is relative to each home folder.
func (l *Location) InHomes() bool { return strings.HasPrefix(l.Path, "~/") }

// Anywhere reports whether the location is a name at any depth.
func (l *Location) Anywhere() bool { return strings.HasPrefix(l.Path, "**/") }

// Rel is the home-relative (or any-depth) part of such a location, without a trailing slash.
func (l *Location) Rel() string {
	p := strings.TrimPrefix(strings.TrimPrefix(l.Path, "~/"), "**/")
	return strings.TrimSuffix(p, "/")
}

// Prefix is the literal part of an absolute path before its first glob character: what a
// SQL LIKE 'prefix%' or a strings.HasPrefix selects. For a folder it ends with "/".
func (l *Location) Prefix() string {
	p := l.Path
	if i := strings.IndexAny(p, "*?["); i >= 0 {
		return p[:i]
	}
	return p
}

// Literal reports whether the path holds no glob and is absolute (a single file or folder).
func (l *Location) Literal() bool {
	return strings.HasPrefix(l.Path, "/") && !strings.ContainsAny(l.Path, "*?[")
}

// Covers reports whether host path p is this location or lies below it.
func (l *Location) Covers(p string) bool {
	switch {
	case l.InHomes():
		return coversInHome(l, p)
	case l.Anywhere():
		segs := split(l.Rel())
		ps := split(p)
		for i := range ps {
			if matchSegs(segs, ps[i:], l.IsFolder()) {
				return true
			}
		}
		return false
	}
	if l.Literal() {
		if l.IsFolder() {
			return strings.HasPrefix(p, l.Path) || p+"/" == l.Path
		}
		return p == l.Path
	}
	return matchSegs(split(l.Path), split(p), l.IsFolder())
}

// coversInHome reports whether p is the location relative to some home folder.
func coversInHome(l *Location, p string) bool {
	segs := split(l.Rel())
	ps := split(p)
	for i := 1; i+len(segs) <= len(ps); i++ {
		if matchSegs(segs, ps[i:], l.IsFolder()) && IsHome("/"+strings.Join(ps[:i], "/")) {
			return true
		}
	}
	return false
}

func split(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matchSegs matches path segments against pattern segments: all of them for a file, the
// leading ones for a folder.
func matchSegs(pat, ps []string, folder bool) bool {
	if len(ps) < len(pat) || !folder && len(ps) != len(pat) {
		return false
	}
	for i, s := range pat {
		if ok, _ := path.Match(s, ps[i]); !ok {
			return false
		}
	}
	return true
}

// InHome gives the path of a home-relative location in one home folder.
func (l *Location) InHome(home string) string {
	return path.Join(home, l.Rel())
}

var byID = map[string]*Location{}

func init() {
	locations = append(locations, credentialLocations...)
	for i := range locations {
		l := &locations[i]
		if _, dup := byID[l.ID]; dup {
			panic("catalog: two locations with id " + l.ID)
		}
		byID[l.ID] = l
	}
}

// All lists every location in declaration order (which is the precedence order where it
// matters: systemd unit folders, PAM folders).
func All() []*Location {
	out := make([]*Location, len(locations))
	for i := range locations {
		out[i] = &locations[i]
	}
	return out
}

// Get returns a location by id. It panics on an unknown id: ids are constants of the code, and
// a typo must fail every test of the package that holds it (use it in package-level vars).
func Get(id string) *Location {
	l, ok := byID[id]
	if !ok {
		panic(fmt.Sprintf("catalog: no location %q", id))
	}
	return l
}

// Path is Get(id).Path.
func Path(id string) string { return Get(id).Path }

// Dir is Get(id).Dir().
func Dir(id string) string { return Get(id).Dir() }

// Paths lists the paths of some locations, in the order given.
func Paths(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Get(id).Path
	}
	return out
}

// Dirs lists the Dir of some locations, in the order given.
func Dirs(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Get(id).Dir()
	}
	return out
}

// With lists the locations having every bit of u, in declaration order.
func With(u Use) []*Location {
	var out []*Location
	for i := range locations {
		if locations[i].Has(u) {
			out = append(out, &locations[i])
		}
	}
	return out
}

// OfKind lists the locations of a kind, in declaration order.
func OfKind(k Kind) []*Location {
	var out []*Location
	for i := range locations {
		if locations[i].Kind == k {
			out = append(out, &locations[i])
		}
	}
	return out
}

// Recorded lists the locations whose records are rec ("hooks:pam", or a table name, which
// selects every kind of it), in declaration order.
func Recorded(rec string) []*Location {
	var out []*Location
	for i := range locations {
		l := &locations[i]
		if l.Record == rec || !strings.Contains(rec, ":") && strings.HasPrefix(l.Record, rec+":") {
			out = append(out, l)
		}
	}
	return out
}

// RecordedDirs lists the Dir of the locations recorded as rec; live says whether locations
// present only on a running host are included.
func RecordedDirs(rec string, live bool) []string {
	var out []string
	for _, l := range Recorded(rec) {
		if l.Has(Live) && !live {
			continue
		}
		out = append(out, l.Dir())
	}
	return out
}

// Covering lists the locations that cover host path p, most specific (longest prefix) first.
func Covering(p string) []*Location {
	var out []*Location
	for i := range locations {
		if locations[i].Covers(p) {
			out = append(out, &locations[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Prefix()) > len(out[j].Prefix()) })
	return out
}

// Under reports whether host path p is covered by a location having every bit of u.
func Under(p string, u Use) bool {
	for i := range locations {
		l := &locations[i]
		if l.Has(u) && l.Covers(p) {
			return true
		}
	}
	return false
}

// UnderKind reports whether host path p is covered by a location of kind k.
func UnderKind(p string, k Kind) bool {
	for i := range locations {
		l := &locations[i]
		if l.Kind == k && l.Covers(p) {
			return true
		}
	}
	return false
}

// UndoAt says how a removal at host path p is made and undone: the undo of the most specific
// location covering p that clean works on.
func UndoAt(p string) (*Location, Undo, bool) {
	for _, l := range Covering(p) {
		if l.Has(Clean) && l.Undo != nil {
			return l, *l.Undo, true
		}
	}
	return nil, Undo{}, false
}

// IsHome reports whether a folder is an account's home: root's home (a Home location that is
// one folder), a folder directly below a Home location marked Homes (/home/NAME), or any folder
// below the other locations marked Homes (service accounts' homes: /var/lib/postgresql,
// /var/www, /srv/ftp).
func IsHome(dir string) bool {
	if dir == "" || dir == "/" {
		return false
	}
	for i := range locations {
		l := &locations[i]
		switch {
		case l.Kind == Home && !l.Has(Homes):
			if dir == l.Dir() {
				return true
			}
		case l.Kind == Home:
			if path.Dir(dir) == l.Dir() {
				return true
			}
		case l.Has(Homes):
			if l.Covers(dir) {
				return true
			}
		}
	}
	return false
}

// Area is a part of the system that diff groups changes under.
type Area struct {
	Name string
	Rank int // lower is more sensitive
}

// Areas lists the parts of the system, most sensitive first.
var Areas = []Area{
	{"boot and kernel", 1}, {"loader and PAM", 2}, {"accounts and access", 3}, {"system programs", 4},
	{"services and schedules", 5}, {"shell start-up", 6}, {"libraries", 7}, {"temporary and shared memory", 8},
	{"web content", 9}, {"configuration", 10}, {"homes", 11}, {"package database", 12}, {"logs", 13},
}

// OtherArea is where files no location groups go.
var OtherArea = Area{"other files", 14}

func areaRank(name string) int {
	for _, a := range Areas {
		if a.Name == name {
			return a.Rank
		}
	}
	panic("catalog: unknown area " + name)
}

// AreaOf names the part of the system a host path belongs to: the most sensitive area among
// the locations that cover it. A name at any depth (**/.ssh/) decides only where no place does.
func AreaOf(p string) Area {
	areaOnce.Do(func() {
		by, weak := map[string][]*Location{}, map[string][]*Location{}
		for i := range locations {
			if l := &locations[i]; l.Area != "" {
				areaRank(l.Area)
				if l.Anywhere() {
					weak[l.Area] = append(weak[l.Area], l)
				} else {
					by[l.Area] = append(by[l.Area], l)
				}
			}
		}
		for _, a := range Areas {
			areaSets = append(areaSets, NewSet(by[a.Name]))
			weakSets = append(weakSets, NewSet(weak[a.Name]))
		}
	})
	for _, sets := range [][]*Set{areaSets, weakSets} {
		for i, s := range sets {
			if s.Covers(p) {
				return Areas[i]
			}
		}
	}
	return OtherArea
}

var (
	areaOnce sync.Once
	areaSets []*Set // by Areas' order
	weakSets []*Set // names at any depth, by Areas' order
)

// LooksSecret reports whether a file's name says it holds a secret (password hashes, private
// keys, keytabs, PKCS#12 bundles): such a file's text is never kept in a snapshot nor shown.
func LooksSecret(p string) bool {
	base := path.Base(p)
	return strings.Contains(base, "shadow") || strings.HasSuffix(base, ".key") || strings.HasSuffix(base, "_key") ||
		strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") || strings.HasSuffix(base, ".pem") ||
		strings.Contains(p, "/private/") || strings.HasSuffix(base, ".p12") || strings.HasSuffix(base, ".keytab")
}

// DroppedUndo is how clean takes away and puts back a file the intruder dropped where no
// location of the catalog says otherwise: the whole file (or folder) is moved to the case's
// quarantine and back.
func DroppedUndo() Undo { return *undoDropped }
