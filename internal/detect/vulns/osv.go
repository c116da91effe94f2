// Package vulns matches what is installed on a host against known vulnerabilities, offline, from
// the OSV data osv.dev publishes per ecosystem (ECOSYSTEM/all.zip). It reads the installed
// Debian packages (binary package to source package, from the dpkg status Source: field), and
// web applications (WordPress core and plugins, composer.lock, package-lock.json); it always
// matches Debian packages with the release (Debian:12), as osv.dev's own records are scoped, and
// orders versions the way dpkg does. Only the records that name an installed package are kept
// while a zip is read, so memory stays small whatever the size of the data.
package vulns

import (
	"encoding/json"
	"strings"
)

// Record is an OSV vulnerability record, reduced to the fields matching and reporting use.
type Record struct {
	ID        string     `json:"id"`
	Modified  string     `json:"modified,omitempty"`
	Published string     `json:"published,omitempty"`
	Withdrawn string     `json:"withdrawn,omitempty"`
	Aliases   []string   `json:"aliases,omitempty"`
	Upstream  []string   `json:"upstream,omitempty"`
	Related   []string   `json:"related,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Affected  []Affected `json:"affected"`
	// DatabaseSpecific may carry a severity word (GHSA: "HIGH"; Debian: "urgency").
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is one severity score (a CVSS vector).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one package a record affects, and which versions.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
	// EcosystemSpecific carries Debian's urgency, for instance.
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
}

// Package names a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a range of affected versions as a list of events.
type Range struct {
	Type   string  `json:"type"` // ECOSYSTEM, SEMVER, GIT
	Events []Event `json:"events"`
}

// Event is one bound of a range.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// CVEs are the CVE ids the record stands for (its id, aliases and upstream ids).
func (r *Record) CVEs() []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range append(append([]string{r.ID}, r.Aliases...), r.Upstream...) {
		if cve := cveOf(id); cve != "" && !seen[cve] {
			seen[cve] = true
			out = append(out, cve)
		}
	}
	return out
}

// cveOf returns the CVE id in an id such as "CVE-2024-6387" or "DEBIAN-CVE-2024-6387".
func cveOf(id string) string {
	if i := strings.Index(id, "CVE-"); i >= 0 {
		return id[i:]
	}
	return ""
}

// SeverityWord is the record's own severity word, when it has one (GHSA's database_specific
// severity, Debian's urgency), in lower case.
func (r *Record) SeverityWord() string {
	var ds struct {
		Severity string `json:"severity"`
		Urgency  string `json:"urgency"`
	}
	if len(r.DatabaseSpecific) > 0 && json.Unmarshal(r.DatabaseSpecific, &ds) == nil {
		if ds.Severity != "" {
			return strings.ToLower(ds.Severity)
		}
	}
	for _, a := range r.Affected {
		if len(a.EcosystemSpecific) > 0 && json.Unmarshal(a.EcosystemSpecific, &ds) == nil && ds.Urgency != "" {
			return strings.ToLower(ds.Urgency)
		}
	}
	return ""
}

// Comparator orders the versions of one ecosystem.
type Comparator func(a, b string) int

// comparatorFor gives the version order of an ecosystem ("Debian:12" uses Debian's), or nil
// when nowwhat does not know it (such ranges are not evaluated: "not covered").
func comparatorFor(ecosystem string) Comparator {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Debian", "Ubuntu":
		return CompareDeb
	case "npm":
		return CompareSemver
	case "Packagist":
		return ComparePackagist
	}
	return nil
}

// affects reports whether version falls in the affected entry: listed in its versions, or
// inside one of its ranges (ECOSYSTEM ranges with the ecosystem's order, SEMVER ranges with
// semantic versioning). known is false when no range could be evaluated and the version is not
// listed: the caller must not read that as "not affected".
func (a *Affected) affects(version string, cmp Comparator) (hit bool, fixed string, known bool) {
	for _, v := range a.Versions {
		if v == version {
			hit, known = true, true
		}
	}
	for _, r := range a.Ranges {
		var c Comparator
		switch r.Type {
		case "ECOSYSTEM":
			c = cmp
		case "SEMVER":
			c = CompareSemver
		}
		if c == nil {
			continue
		}
		known = true
		if in, fix := inRange(r.Events, version, c); in {
			hit = true
			if fix != "" && (fixed == "" || c(fix, fixed) > 0) {
				fixed = fix
			}
		} else if hit && fixed == "" {
			continue
		}
	}
	if len(a.Ranges) == 0 && len(a.Versions) == 0 {
		// An entry with neither: the whole package is affected (osv.dev writes this for
		// Debian packages with no fix yet).
		return true, "", true
	}
	return hit, fixed, known
}

// inRange evaluates a range's events the way the OSV schema describes: sorted by version
// ("0" before all), a version is affected after an introduced event it has reached, and no
// longer after a fixed event it has reached or a last_affected event it has passed. fixed is
// the version that ends the interval the version falls in, if any.
func inRange(events []Event, version string, c Comparator) (bool, string) {
	type ev struct {
		kind, v string
	}
	var es []ev
	for _, e := range events {
		switch {
		case e.Introduced != "":
			es = append(es, ev{"introduced", e.Introduced})
		case e.Fixed != "":
			es = append(es, ev{"fixed", e.Fixed})
		case e.LastAffected != "":
			es = append(es, ev{"last_affected", e.LastAffected})
		}
	}
	cmp := func(a, b string) int {
		switch {
		case a == "0" && b == "0":
			return 0
		case a == "0":
			return -1
		case b == "0":
			return 1
		}
		return c(a, b)
	}
	// Stable insertion sort: few events per range.
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && cmp(es[j-1].v, es[j].v) > 0; j-- {
			es[j-1], es[j] = es[j], es[j-1]
		}
	}
	affected := false
	for _, e := range es {
		d := cmp(version, e.v)
		switch e.kind {
		case "introduced":
			if d >= 0 {
				affected = true
			}
		case "fixed":
			if d >= 0 {
				affected = false
			}
		case "last_affected":
			if d > 0 {
				affected = false
			}
		}
	}
	if !affected {
		return false, ""
	}
	for _, e := range es {
		if e.kind == "fixed" && cmp(version, e.v) < 0 {
			return true, e.v
		}
	}
	return true, ""
}
