package investigate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// candidate is a possible way in.
type candidate struct {
	vector     string
	confidence int // 3 high, 2 medium, 1 low
	time       time.Time
	ips, users []string
	summary    string
	evidence   []string
}

// entry names the most likely way in: the strongest candidate before the first malicious
// event (or the earliest strong one when nothing else is dated).
func (v *investigation) entry() {
	// The intrusion's span: unexplained high or strong findings with a time.
	var first, last time.Time
	spanning := append([]finding.Finding{}, v.chk.Findings...)
	for _, f := range v.findings {
		if f.Rule == "implant.first-run" {
			spanning = append(spanning, f) // an implant's first run is the intruder at work
		}
	}
	for _, f := range spanning {
		if f.Explained || f.Severity < finding.High && !f.Strong {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.Time)
		if err != nil {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	var cands []candidate
	for _, f := range v.findings {
		t, _ := time.Parse(time.RFC3339, f.Time)
		switch f.Rule {
		case "entry.ssh-bruteforce":
			cands = append(cands, candidate{vector: "ssh-bruteforce", confidence: 3, time: t, ips: []string{f.SourceIP}, users: []string{f.User},
				summary: f.Title, evidence: f.Evidence})
		case "entry.ssh-stolen-credentials":
			cands = append(cands, candidate{vector: "ssh-valid-account", confidence: 2, time: t, ips: []string{f.SourceIP}, users: []string{f.User},
				summary: f.Title, evidence: f.Evidence})
		case "web.upload-then-access", "web.webshell-first-access":
			cands = append(cands, candidate{vector: "web-shell-upload", confidence: 3, time: t, ips: []string{f.SourceIP},
				summary: f.Title, evidence: f.Evidence})
		case "web.exploit-success":
			cands = append(cands, candidate{vector: "web-exploit", confidence: 2, time: t, ips: []string{f.SourceIP},
				summary: f.Title, evidence: f.Evidence})
		case "tamper.lastlog-wtmp":
			vector := "valid-account"
			if f.SourceIP != "" {
				vector = "ssh-valid-account"
			}
			cands = append(cands, candidate{vector: vector, confidence: 2, time: t, ips: []string{f.SourceIP}, users: []string{f.User},
				summary: f.Title + " (someone hid this login)", evidence: f.Evidence})
		case "login.new-address":
			cands = append(cands, candidate{vector: "ssh-valid-account", confidence: 1, time: t, ips: []string{f.SourceIP}, users: []string{f.User},
				summary: f.Title + " (a stolen password or key?)", evidence: f.Evidence})
		}
	}
	// A login just before the first malicious change is a candidate even from a known address
	// (stolen credentials look like normal logins), unless something vouches for it: a trusted
	// operator's session is never named as the way in.
	if !first.IsZero() {
		for _, e := range v.ssh.logins {
			if e.Time.After(first) || first.Sub(e.Time) > 24*time.Hour {
				continue
			}
			if s := v.model.ByLine(e.File, e.Line); s != nil && s.Judgement == sessions.Trusted {
				continue
			}
			cands = append(cands, candidate{vector: "ssh-valid-account", confidence: 1, time: e.Time, ips: []string{e.SourceIP}, users: []string{e.User},
				summary:  fmt.Sprintf("%s logged in from %s at %s, %s before the first malicious change", e.User, e.SourceIP, stamp(e.Time), first.Sub(e.Time).Round(time.Minute)),
				evidence: []string{fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Raw)}})
		}
	}
	// Prefer candidates before the first malicious event, then confidence, then the earliest
	// (the first hostile login or exploit is the way in; what follows is the intruder coming back).
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		ab, bb := !first.IsZero() && !a.time.After(first.Add(time.Minute)), !first.IsZero() && !b.time.After(first.Add(time.Minute))
		if ab != bb {
			return ab
		}
		if a.confidence != b.confidence {
			return a.confidence > b.confidence
		}
		return a.time.Before(b.time)
	})
	e := Entry{Vector: "unknown", Confidence: "none", SourceIPs: []string{}, Users: []string{}, Evidence: []string{}}
	if len(cands) > 0 {
		c := cands[0]
		e = Entry{Vector: c.vector, Confidence: map[int]string{3: "high", 2: "medium", 1: "low"}[c.confidence], Time: c.time,
			SourceIPs: dedupe(c.ips), Users: dedupe(c.users), Summary: c.summary, Evidence: c.evidence}
		if !first.IsZero() && c.time.After(first.Add(time.Minute)) && e.Confidence != "low" {
			e.Confidence = "low"
			e.Summary += " (but it comes after the first malicious change)"
		}
		for _, x := range cands[1:] {
			if x.vector == c.vector && x.confidence == c.confidence {
				e.SourceIPs = dedupe(append(e.SourceIPs, x.ips...))
				e.Users = dedupe(append(e.Users, x.users...))
			}
		}
		v.timeline = append(v.timeline, Event{Time: c.time, Source: "investigate", Event: "entry-point", Detail: c.summary,
			IP: strings.Join(c.ips, ","), User: strings.Join(c.users, ","), Malicious: true, weight: 20})
		if first.IsZero() || c.time.Before(first) {
			first = c.time
		}
	} else if !first.IsZero() {
		e.Summary = "no way in found in the logs that are left (they may have been cleaned, or the way in left no log)"
	}
	v.rep.Entry = e
	v.rep.First, v.rep.Last = first, last
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// iocs gathers the addresses, paths, file hashes and keys worth looking for elsewhere.
func (v *investigation) iocs() {
	ips, paths, hashes, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ip := range v.rep.Entry.SourceIPs {
		ips[ip] = true
	}
	for _, f := range v.findings {
		if f.SourceIP != "" && (f.Severity >= finding.High || f.Strong) {
			ips[f.SourceIP] = true
		}
	}
	for _, f := range v.chk.Findings {
		if f.Explained || f.Severity < finding.High && !f.Strong || f.Path == "" {
			continue
		}
		paths[f.Path] = true
		for _, e := range f.Evidence {
			if strings.HasPrefix(e, "sha256 ") {
				hashes[strings.TrimPrefix(e, "sha256 ")] = true
			}
		}
		if strings.HasPrefix(f.Rule, "persistence.ssh-key") {
			for _, w := range strings.Fields(f.Title) {
				if strings.HasPrefix(w, "SHA256:") {
					keys[w] = true
				}
			}
		}
	}
	// Keys the intruder logged in with.
	for _, e := range v.ssh.logins {
		if e.Key != "" && ips[e.SourceIP] {
			keys[e.Key] = true
		}
	}
	// Hashes of flagged files straight from the snapshot, where the finding did not quote one.
	for p := range paths {
		if fs, err := snapshot.All[snapshot.File](v.cur, "path = ? AND sha256 != ''", p); err == nil && len(fs) == 1 {
			hashes[fs[0].SHA256] = true
		}
	}
	v.rep.IOCs = IOCs{IPs: sorted(ips), Paths: sorted(paths), Hashes: sorted(hashes), Keys: sorted(keys)}
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// narrative tells the story in a few sentences a non-expert can follow.
func (v *investigation) narrative() {
	r := v.rep
	var n []string
	switch r.Entry.Vector {
	case "ssh-bruteforce":
		n = append(n, fmt.Sprintf("Way in (%s confidence): password guessing over SSH. %s.", r.Entry.Confidence, r.Entry.Summary))
	case "web-shell-upload":
		n = append(n, fmt.Sprintf("Way in (%s confidence): a web shell put on the web site and then used. %s.", r.Entry.Confidence, r.Entry.Summary))
	case "web-exploit":
		n = append(n, fmt.Sprintf("Way in (%s confidence): an attack on the web application that the server answered as a success. %s.", r.Entry.Confidence, r.Entry.Summary))
	case "ssh-valid-account":
		n = append(n, fmt.Sprintf("Way in (%s confidence): a valid account used over SSH, so a stolen password or key is likely. %s.", r.Entry.Confidence, r.Entry.Summary))
	case "valid-account":
		n = append(n, fmt.Sprintf("Way in (%s confidence): a valid account, at the console or from a host name the logs keep no address for. %s.", r.Entry.Confidence, r.Entry.Summary))
	default:
		if r.First.IsZero() {
			n = append(n, "No sign of an intrusion in the logs and files examined.")
		} else {
			n = append(n, "The way in could not be found: "+r.Entry.Summary+".")
		}
	}
	if len(r.Entry.SourceIPs) > 0 {
		n = append(n, "Attacker addresses: "+strings.Join(r.Entry.SourceIPs, ", ")+".")
	}
	if len(r.Entry.Users) > 0 {
		n = append(n, "Accounts used: "+strings.Join(r.Entry.Users, ", ")+".")
	}
	if !r.First.IsZero() {
		n = append(n, fmt.Sprintf("First sign of the intruder: %s; last: %s.", stamp(r.First), stamp(r.Last)))
	}
	// What was done after, by kind of finding.
	kinds := map[string]int{}
	for _, f := range v.chk.Findings {
		if f.Explained || f.Severity < finding.High && !f.Strong {
			continue
		}
		k := strings.SplitN(f.Rule, ".", 2)[0]
		kinds[k]++
	}
	var after []string
	for _, k := range []string{"persistence", "accounts", "privilege", "implant", "integrity", "tamper", "live"} {
		if kinds[k] > 0 {
			after = append(after, fmt.Sprintf("%s (%d)", afterWords[k], kinds[k]))
		}
	}
	if len(after) > 0 {
		n = append(n, "What was done after: "+strings.Join(after, "; ")+". Details below and in nowwhat check.")
	}
	brute := 0
	for _, f := range v.findings {
		if f.Rule == "ssh.bruteforce" || f.Rule == "ssh.spray" {
			brute++
		}
	}
	if brute > 0 && r.Entry.Vector != "ssh-bruteforce" {
		n = append(n, fmt.Sprintf("%d addresses tried to guess SSH passwords without getting in (background noise of the Internet, unless one of them appears above).", brute))
	}
	r.Narrative = n
}

var afterWords = map[string]string{"persistence": "ways to come back were installed", "accounts": "accounts were added or changed",
	"privilege": "root access was prepared", "implant": "tools were dropped", "integrity": "system programs were replaced",
	"tamper": "traces were erased", "live": "programs are running hidden or from odd places"}
