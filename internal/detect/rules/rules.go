// Package rules holds nowwhat's detection rules: each reads a snapshot of a host (and, when
// there is one, the baseline and the changes since) and reports findings with their evidence.
// Every rule has a stable id, a severity, the MITRE ATT&CK techniques it covers, why it matters
// and what to do; the catalog (Catalog) lists them for documentation and tests.
//
// Rules only read the snapshot, so a snapshot taken on the suspect host can be judged on a
// clean machine. Deciding whether a finding is explained (package manager, an administrator's
// session, a change note, the baseline) is the job of package explain.
package rules

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
)

var ruleNested = rule(Rule{ID: "info.nested-root", Severity: finding.Info,
	Title:  "another system's files inside this one (chroot, container image, unpacked root)",
	Attack: []string{},
	Why:    "A folder holding a whole system (its own /usr, /etc and package database) belongs to a chroot, a container or an image. Its files are not this host's, so they are not judged as if they were.",
	Action: "Check it on its own: nowwhat check --root FOLDER."})

// findNested finds folders that hold another system: a dpkg status file or os-release not at
// the host's own place.
func (s *Index) findNested() error {
	status := catalog.Path("dpkg.status")
	q := "SELECT path FROM files WHERE type = 'file' AND (path LIKE '%" + status + "' OR path LIKE '%/usr/lib/os-release') AND path NOT IN ('" + status + "', '/usr/lib/os-release')"
	rows, err := s.Cur.DB().Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		root := strings.TrimSuffix(strings.TrimSuffix(p, status), "/usr/lib/os-release")
		if root != "" && !seen[root] {
			seen[root] = true
			s.nested = append(s.nested, root)
		}
	}
	return rows.Err()
}

// inNested reports the nested root a path lies in.
func (s *Index) inNested(p string) string {
	for _, r := range s.nested {
		if strings.HasPrefix(p, r+"/") {
			return r
		}
	}
	return ""
}

func (s *Index) reportNested(o *Out) {
	for _, r := range s.nested {
		o.found = append(o.found, finding.Finding{Rule: ruleNested.ID, Severity: finding.Info, Path: r, Title: "another system's root at " + r,
			Evidence: []string{fmt.Sprintf("%d findings about files below it were left out", o.skipped[r])}, Attack: []string{}, Why: ruleNested.Why,
			Action: "Check it on its own: nowwhat check --root " + r})
	}
}

func (s *Index) load() error {
	r := s.Cur
	s.owner, s.digest, s.conf, s.divert = map[string]string{}, map[string]string{}, map[string]bool{}, map[string]bool{}
	err := snapshot.Each(r, "", nil, func(p snapshot.PackageFile) error {
		switch p.Alg {
		case "diverted":
			s.divert[p.Path] = true
			s.divert[p.Digest] = true
			if p.Package != "" {
				s.owner[p.Path] = p.Package
			}
			return nil
		}
		if _, ok := s.owner[p.Path]; !ok {
			s.owner[p.Path] = p.Package
		}
		if p.Conffile {
			s.conf[p.Path] = true
		} else if p.Alg == "md5" && p.Digest != "" {
			s.digest[p.Path] = p.Digest
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.users, err = snapshot.All[snapshot.User](r, ""); err != nil {
		return err
	}
	s.byUID = map[int64]string{}
	for _, u := range s.users {
		if _, ok := s.byUID[u.UID]; !ok {
			s.byUID[u.UID] = u.Name
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Meta("taken_at")); err == nil {
		s.taken = t
	}
	if err := s.findNested(); err != nil {
		return err
	}
	s.changed, s.added = map[string]diff.Change{}, map[string]bool{}
	for _, c := range s.Changes {
		key := c.Kind + "\x00" + c.Path
		if c.Path == "" {
			key = c.Kind + "\x00" + c.Subject
		}
		s.changed[key] = c
		if c.Kind == "file" && c.Change == "added" {
			s.added[c.Path] = true
		}
	}
	return nil
}

// hasBaseline reports whether changes since a baseline are known.
func (s *Index) hasBaseline() bool { return s.Base != nil }

// fileNew says whether a path is new or changed since the baseline (false without one).
func (s *Index) fileNew(p string) bool {
	if !s.hasBaseline() {
		return false
	}
	_, ok := s.changed["file\x00"+p]
	return ok
}

// file reads the record of one path ("" type when absent).
func (s *Index) file(p string) snapshot.File {
	fs, err := snapshot.All[snapshot.File](s.Cur, "path = ?", p)
	if err != nil || len(fs) == 0 {
		return snapshot.File{}
	}
	return fs[0]
}

// text returns the kept text of a file, if any.
func (s *Index) text(p string) string {
	var t string
	s.Cur.DB().QueryRow("SELECT text FROM contents WHERE path = ?", p).Scan(&t)
	return t
}

// fileEvidence describes a file record for a finding.
func fileEvidence(f snapshot.File) []string {
	ev := []string{fmt.Sprintf("%s %s, mode %04o, owner %d:%d, %d bytes", f.Type, f.Path, f.Mode, f.UID, f.GID, f.Size)}
	if f.SHA256 != "" {
		ev = append(ev, "sha256 "+f.SHA256)
	}
	ev = append(ev, "modified "+stamp(f.Mtime)+", changed "+stamp(f.Ctime))
	if f.Btime != 0 {
		ev[len(ev)-1] += ", born " + stamp(f.Btime)
	}
	if f.Link != "" {
		ev = append(ev, "link to "+f.Link)
	}
	return ev
}

// changeTime is the best time to attribute a file change to: its ctime (a status change time
// an unprivileged attacker cannot set back), else mtime.
func changeTime(f snapshot.File) string {
	if f.Ctime != 0 {
		return stampRFC(f.Ctime)
	}
	if f.Mtime != 0 {
		return stampRFC(f.Mtime)
	}
	return ""
}

func stamp(ns int64) string {
	if ns == 0 {
		return "unknown"
	}
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05 UTC")
}

func stampRFC(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// excerpt gives the first meaningful lines of a text.
func excerpt(text string, n int) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, finding.Clip(l, 200))
		if len(out) == n {
			break
		}
	}
	return out
}

// temporary are where intruders stage tools: writable by everyone, often memory-backed.
var temporary = catalog.NewSet(catalog.OfKind(catalog.Temp))

// sharedMemory are the temporary folders that live in memory only.
var sharedMemory = catalog.NewSet([]*catalog.Location{catalog.Get("dev.shm"), catalog.Get("run.shm"), catalog.Get("var.run.shm")})

// homesAndWeb are where accounts and web applications write: no place for a system program.
var homesAndWeb = catalog.NewSet([]*catalog.Location{catalog.Get("home.users"), catalog.Get("www")})

func inTmp(p string) bool { return temporary.Covers(p) && !isTempDir(p) }

// isTempDir reports whether p is a temporary folder itself.
func isTempDir(p string) bool {
	for _, l := range temporary.Locations() {
		if p == l.Dir() {
			return true
		}
	}
	return false
}

// likeAny is a SQL condition selecting the values of column col below one of some locations
// (their literal prefix).
func likeAny(col string, locs ...*catalog.Location) string {
	var or []string
	for _, l := range locs {
		or = append(or, col+" LIKE '"+strings.ReplaceAll(l.Prefix(), "'", "''")+"%'")
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// locs gets catalog locations by id.
func locs(ids ...string) []*catalog.Location {
	out := make([]*catalog.Location, len(ids))
	for i, id := range ids {
		out[i] = catalog.Get(id)
	}
	return out
}

// hiddenDir reports whether a path has a folder whose name starts with a dot (not the file
// itself).
func hiddenDir(p string) bool {
	dir := path.Dir(p)
	for _, c := range strings.Split(dir, "/") {
		if len(c) > 1 && c[0] == '.' && c != ".." {
			return true
		}
	}
	return false
}

// systemFolders are the system's own folders (not homes, not /tmp).
var systemFolders = catalog.Where(catalog.System)

// systemArea reports whether a path is in the system's own folders.
func systemArea(p string) bool { return systemFolders.Covers(p) }

// pointsOutside reports whether a command line runs something from a temporary or hidden place.
func pointsOutside(cmd string) (string, bool) {
	for _, tok := range strings.FieldsFunc(cmd, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ';' || r == '|' || r == '&' || r == '"' || r == '\'' || r == '(' || r == ')' || r == '='
	}) {
		if !strings.HasPrefix(tok, "/") {
			continue
		}
		if inTmp(tok+"/") || inTmp(tok) || hiddenDir(tok) || strings.HasPrefix(path.Base(tok), ".") && len(path.Base(tok)) > 1 {
			return tok, true
		}
	}
	return "", false
}
