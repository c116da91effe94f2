package rules

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
)

// The changes since the baseline come last: they are reported only where no other rule did.
var _ = find(Finder{Name: "baseline", Rules: []*Rule{ruleChange, ruleDigestRewritten}, Find: (*Index).baselineChanges, Late: true})

var ruleChange = rule(Rule{ID: "baseline.change", Severity: finding.Medium,
	Title:  "security-relevant change since the baseline",
	Attack: []string{},
	Why:    "Compared with the trusted baseline, this part of the host changed. Changes that a package upgrade, an administrator's session or a change note account for are marked as explained; the rest needs a look.",
	Action: "Confirm with your team that the change is theirs; if nobody made it, treat it as the intruder's."})

// changeSeverity rates a change since the baseline by kind (and file area).
func changeSeverity(c diff.Change) (finding.Severity, []string) {
	switch c.Kind {
	case "account":
		if c.Change == "modified" && len(c.Fields) == 1 && (c.Fields[0] == "hash_fp" || c.Fields[0] == "last_change") {
			return finding.Low, []string{"T1098"}
		}
		return finding.Medium, []string{"T1136.001", "T1098"}
	case "group":
		for _, g := range []string{"group sudo ", "group wheel ", "group admin ", "group root ", "group adm ", "group docker ", "group lxd ", "group disk ", "group shadow "} {
			if strings.HasPrefix(c.Subject, g) {
				return finding.High, []string{"T1098"}
			}
		}
		return finding.Low, []string{"T1098"}
	case "sudoers":
		return finding.Medium, []string{"T1548.003"}
	case "ssh_key":
		if c.Change == "removed" {
			return finding.Low, []string{"T1098.004"}
		}
		return finding.High, []string{"T1098.004"}
	case "ssh_option":
		return finding.Medium, []string{"T1556"}
	case "hook":
		return finding.Medium, []string{"T1546", "T1574.006"}
	case "kernel_module":
		return finding.Medium, []string{"T1547.006"}
	case "service":
		return finding.Medium, []string{"T1543.002"}
	case "job":
		return finding.Medium, []string{"T1053"}
	case "package_digest":
		return finding.High, []string{"T1070", "T1554"}
	case "listener":
		if c.Change == "removed" {
			return finding.Info, nil
		}
		return finding.Medium, []string{"T1571"}
	case "file":
		if c.Change == "removed" {
			return finding.Low, nil
		}
		switch c.Area {
		case "boot and kernel", "loader and PAM", "system programs", "accounts and access":
			return finding.Medium, []string{"T1554"}
		case "services and schedules", "shell start-up":
			return finding.Medium, []string{"T1543", "T1546.004"}
		case "logs":
			return finding.High, []string{"T1070.002"}
		case "web content", "temporary and shared memory":
			return finding.Low, nil
		}
		return finding.Info, nil
	}
	return finding.Info, nil
}

// baselineChanges reports changes since the baseline that no other rule already reported.
func (s *Index) baselineChanges(o *Out) error {
	if !s.hasBaseline() {
		return nil
	}
	reported := map[string]bool{}
	for _, f := range o.Reported() {
		if f.Path != "" {
			reported[f.Path] = true
		}
		if f.User != "" {
			reported["user "+f.User] = true
		}
	}
	// A program and its recorded digest changed together, with no package upgrade: the digest
	// was rewritten to hide the replacement from package verification.
	digestChanged := map[string]bool{}
	for _, c := range s.Changes {
		if c.Kind == "package_digest" && c.Change == "modified" {
			digestChanged[c.Path] = true
		}
	}
	for _, c := range s.Changes {
		if c.Kind == "file" && c.Change == "modified" && digestChanged[c.Path] && c.Explanation == "" && !reported[c.Path+"\x00digest"] {
			reported[c.Path+"\x00digest"] = true
			o.add(ruleDigestRewritten, finding.Finding{Path: c.Path, Severity: finding.Critical, Strong: true, New: true,
				Time:     stampRFC(atoi64(c.After["ctime"])),
				Evidence: []string{"the file changed since the baseline (sha256 " + c.Before["sha256"] + " -> " + c.After["sha256"] + ")", "and so did its package's recorded digest, with no package upgrade in between"},
				Title:    c.Path + " was replaced and its package's digest rewritten to match"})
		}
	}
	// Lines of one file (hooks, jobs, sudo rules) are one finding per file and kind.
	lines := map[string][]diff.Change{}
	var lineOrder []string
	for _, c := range s.Changes {
		if (c.Kind == "hook" || c.Kind == "sudoers") && c.Path != "" {
			k := c.Kind + "\x00" + c.Change + "\x00" + c.Path
			if lines[k] == nil {
				lineOrder = append(lineOrder, k)
			}
			lines[k] = append(lines[k], c)
		}
	}
	for _, k := range lineOrder {
		cs := lines[k]
		c := cs[0]
		if reported[c.Path] {
			continue
		}
		sev, attack := changeSeverity(c)
		if sev < finding.Low {
			continue
		}
		ev := []string{}
		for i, x := range cs {
			if i == 8 {
				ev = append(ev, fmt.Sprintf("... and %d more", len(cs)-i))
				break
			}
			ev = append(ev, x.Change+": "+x.Subject)
		}
		f := s.file(c.Path)
		o.add(ruleChange, finding.Finding{Path: c.Path, Severity: sev, Attack: attack, Evidence: ev, New: true, Time: changeTime(f),
			Title: fmt.Sprintf("%d %s lines %s in %s since the baseline", len(cs), c.Kind, c.Change, c.Path)})
		reported[c.Path] = true
	}
	for _, c := range s.Changes {
		if c.Kind == "hook" || c.Kind == "sudoers" {
			continue
		}
		sev, attack := changeSeverity(c)
		if sev < finding.Low {
			continue
		}
		if c.Path != "" && reported[c.Path] {
			continue
		}
		if c.Kind == "account" && reported[strings.Fields(c.Subject + " x x")[0]+" "+strings.Fields(c.Subject + " x x")[1]] {
			continue
		}
		if c.Kind == "file" && c.Area == "logs" && c.Change == "modified" && !s.logShrinkUnexplained(c) {
			continue
		}
		ev := []string{c.Change + ": " + c.Subject}
		for _, fld := range c.Fields {
			ev = append(ev, fld+": "+c.Before[fld]+" -> "+c.After[fld])
		}
		if c.TextDiff != "" {
			for _, l := range strings.Split(strings.TrimSuffix(c.TextDiff, "\n"), "\n") {
				if len(ev) > 12 {
					break
				}
				ev = append(ev, l)
			}
		}
		f := finding.Finding{Path: c.Path, Severity: sev, Attack: attack, Evidence: ev, New: true,
			Title: c.Kind + " " + c.Change + " since the baseline: " + finding.Clip(c.Subject, 100)}
		if c.Explanation != "" {
			f.Explained, f.Explanation = true, c.Explanation
		}
		if c.Path != "" {
			f.Time = changeTime(s.file(c.Path))
		}
		switch c.Kind {
		case "account":
			f.User = subjectName(c.Subject, "user ")
			f.Time = changeTime(s.file(passwdPath))
			if len(c.Fields) == 1 && c.Fields[0] == "hash_fp" {
				f.Time = changeTime(s.file(shadowPath))
			}
		case "group":
			f.User = addedMembers(c)
			if f.User == "" {
				f.User = subjectName(c.Subject, "group ")
			}
			f.Time = changeTime(s.file(groupPath))
		}
		if c.Kind == "file" {
			if t := atoi64(c.After["ctime"]); t != 0 {
				f.Time = stampRFC(t)
			}
			if c.Change == "modified" && c.Area == "logs" {
				f.Title = c.Path + " shrank since the baseline"
			}
		}
		o.add(ruleChange, f)
	}
	return nil
}

// subjectName takes the name after a prefix in a change's subject ("user bob (uid ...)").
func subjectName(subject, prefix string) string {
	rest := strings.TrimPrefix(subject, prefix)
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// addedMembers lists the members a group change added.
func addedMembers(c diff.Change) string {
	before := map[string]bool{}
	for _, m := range strings.Split(c.Before["members"], ",") {
		before[m] = true
	}
	var added []string
	for _, m := range strings.Split(c.After["members"], ",") {
		if m != "" && !before[m] {
			added = append(added, m)
		}
	}
	return strings.Join(added, ",")
}

// logShrinkUnexplained reports whether a log that shrank was not simply rotated: rotation
// changes the other files of the same log (NAME.1, NAME.2.gz, ...) at the same time.
func (s *Index) logShrinkUnexplained(c diff.Change) bool {
	fam := logFamily(c.Path)
	for _, o := range s.Changes {
		if o.Kind == "file" && o.Path != c.Path && logFamily(o.Path) == fam {
			return false
		}
	}
	return true
}

// logFamily strips rotation suffixes: /var/log/auth.log.2.gz and /var/log/auth.log-20261101
// are both /var/log/auth.log.
func logFamily(p string) string {
	p = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(p, ".gz"), ".xz"), ".zst"), ".bz2")
	if i := strings.LastIndexByte(p, '.'); i > 0 && allDigits(p[i+1:]) {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '-'); i > 0 && len(p)-i-1 == 8 && allDigits(p[i+1:]) {
		p = p[:i]
	}
	return p
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func atoi64(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
