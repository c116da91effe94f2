package vulns

import (
	"sort"
	"strings"
)

// Match is one known vulnerability of an installed package.
type Match struct {
	Package   Installed `json:"package"`
	ID        string    `json:"id"`       // the record: DSA-5724-1, DEBIAN-CVE-2024-6387, GHSA-...
	CVEs      []string  `json:"cves"`     // the CVE ids it stands for
	Fixed     string    `json:"fixed"`    // the first version with the fix ("" when none is known)
	Severity  string    `json:"severity"` // the record's own word, when it has one
	Summary   string    `json:"summary"`
	Records   []string  `json:"records,omitempty"` // other records naming the same CVEs for this package
	Ecosystem string    `json:"ecosystem"`
}

// Result is the matching of an inventory against the data.
type Result struct {
	Matches    []Match  `json:"matches"`
	Checked    int      `json:"packages_checked"`
	NotCovered []string `json:"not_covered,omitempty"`
}

// Wanted tells Load which packages to keep records for.
func (inv *Inventory) Wanted() func(Key) bool {
	keys := map[Key]bool{}
	for _, p := range inv.Packages {
		keys[p.Key] = true
	}
	return func(k Key) bool { return keys[k] }
}

// MatchAll finds the records that affect each installed package at its version. Records that
// name the same CVE for the same package are folded into one match (a DSA and the DEBIAN-CVE
// record of the same flaw), the advisory first.
func MatchAll(db *DB, inv *Inventory) *Result {
	res := &Result{Matches: []Match{}, NotCovered: append([]string{}, inv.NotCovered...)}
	uncomparable := map[string]bool{}
	for _, p := range inv.Packages {
		res.Checked++
		cmp := comparatorFor(p.Key.Ecosystem)
		if cmp == nil {
			uncomparable[p.Key.Ecosystem] = true
			continue
		}
		byCVE := map[string]int{}
		var ms []Match
		for _, r := range db.For(p.Key) {
			hit, fixed, known := false, "", false
			for i := range r.Affected {
				a := &r.Affected[i]
				if a.Package.Ecosystem != p.Key.Ecosystem || a.Package.Name != p.Key.Name {
					continue
				}
				h, f, k := a.affects(p.Compare, cmp)
				known = known || k
				if h {
					hit = true
					if f != "" && (fixed == "" || cmp(f, fixed) > 0) {
						fixed = f
					}
				}
			}
			if !hit || !known {
				continue
			}
			m := Match{Package: p, ID: r.ID, CVEs: r.CVEs(), Fixed: fixed, Severity: r.SeverityWord(), Summary: summary(r), Ecosystem: p.Key.Ecosystem}
			merged := false
			for _, c := range m.CVEs {
				if i, ok := byCVE[c]; ok {
					ms[i] = fold(ms[i], m)
					merged = true
					break
				}
			}
			if merged {
				continue
			}
			for _, c := range m.CVEs {
				byCVE[c] = len(ms)
			}
			ms = append(ms, m)
		}
		res.Matches = append(res.Matches, ms...)
	}
	for e := range uncomparable {
		res.NotCovered = append(res.NotCovered, "packages of the ecosystem "+e+": their version order is not known to nowwhat, not matched")
	}
	if db != nil {
		for _, p := range inv.Packages {
			if !db.Ecosystems[p.Key.Ecosystem] && !uncomparable["data:"+p.Key.Ecosystem] {
				uncomparable["data:"+p.Key.Ecosystem] = true
				res.NotCovered = append(res.NotCovered, "packages of the ecosystem "+p.Key.Ecosystem+": the OSV data read has no record for that ecosystem (download it with nowwhat loophole update)")
			}
		}
	}
	sort.Strings(res.NotCovered)
	sort.SliceStable(res.Matches, func(i, j int) bool {
		a, b := res.Matches[i], res.Matches[j]
		if a.Package.Key != b.Package.Key {
			return a.Package.Key.Name < b.Package.Key.Name
		}
		return a.ID < b.ID
	})
	return res
}

// fold merges a second record of the same flaw into a match: an advisory (DSA, DLA, GHSA)
// names the match, the other ids are kept in Records, and the later fix wins.
func fold(a, b Match) Match {
	rank := func(id string) int {
		switch {
		case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"), strings.HasPrefix(id, "GHSA-"):
			return 0
		}
		return 1
	}
	if rank(b.ID) < rank(a.ID) {
		a, b = b, a
	}
	a.Records = append(a.Records, b.ID)
	a.Records = append(a.Records, b.Records...)
	for _, c := range b.CVEs {
		if !contains(a.CVEs, c) {
			a.CVEs = append(a.CVEs, c)
		}
	}
	cmp := comparatorFor(a.Ecosystem)
	if b.Fixed != "" && (a.Fixed == "" || cmp != nil && cmp(b.Fixed, a.Fixed) > 0) {
		a.Fixed = b.Fixed
	}
	if a.Severity == "" {
		a.Severity = b.Severity
	}
	if a.Summary == "" {
		a.Summary = b.Summary
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func summary(r *Record) string {
	if r.Summary != "" {
		return r.Summary
	}
	d := strings.TrimSpace(r.Details)
	if i := strings.IndexAny(d, "\n"); i > 0 {
		d = d[:i]
	}
	return clip(d, 200)
}
