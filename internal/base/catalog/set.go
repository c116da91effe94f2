package catalog

import (
	"path"
	"strings"
)

// Set answers quickly whether a host path is covered by one of some locations: the file walk
// asks it for every file, so it does not try each location in turn.
type Set struct {
	files   map[string]bool // literal files
	folders map[string]bool // literal folders, without the trailing slash
	globs   []*Location     // absolute patterns with globs
	inHome  map[string][]*Location
	homeDir []*Location // home-relative locations whose last part is a glob
	any     []*Location // name at any depth
	locs    []*Location
}

// NewSet makes a set of locations.
func NewSet(locs []*Location) *Set {
	s := &Set{files: map[string]bool{}, folders: map[string]bool{}, inHome: map[string][]*Location{}, locs: locs}
	for _, l := range locs {
		switch {
		case l.InHomes():
			last := path.Base(l.Rel())
			if strings.ContainsAny(last, "*?[") {
				s.homeDir = append(s.homeDir, l)
			} else {
				s.inHome[last] = append(s.inHome[last], l)
			}
		case l.Anywhere():
			s.any = append(s.any, l)
		case !l.Literal():
			s.globs = append(s.globs, l)
		case l.IsFolder():
			s.folders[l.Dir()] = true
		default:
			s.files[l.Path] = true
		}
	}
	return s
}

// Where is the set of the locations having every bit of u.
func Where(u Use) *Set { return NewSet(With(u)) }

// Locations lists the set's locations.
func (s *Set) Locations() []*Location { return s.locs }

// Covers reports whether host path p is one of the set's locations or lies below one.
func (s *Set) Covers(p string) bool {
	if s.files[p] {
		return true
	}
	for a := p; ; a = path.Dir(a) {
		if s.folders[a] {
			return true
		}
		if seg := path.Base(a); len(s.inHome[seg]) > 0 {
			for _, l := range s.inHome[seg] {
				if l.Covers(p) {
					return true
				}
			}
		}
		if a == "/" || a == "." || a == "" {
			break
		}
	}
	for _, l := range s.globs {
		if l.Covers(p) {
			return true
		}
	}
	for _, l := range s.homeDir {
		if l.Covers(p) {
			return true
		}
	}
	for _, l := range s.any {
		if l.Covers(p) {
			return true
		}
	}
	return false
}
