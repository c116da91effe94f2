package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

var (
	_ = find(Finder{Name: "integrity", Rules: []*Rule{ruleModifiedBinary, ruleModifiedFile}, Find: (*Index).integrity})
	_ = find(Finder{Name: "digest-lists", Rules: []*Rule{ruleDigestRewritten}, Find: (*Index).digestLists})
	_ = find(Finder{Name: "unowned-executables", Rules: []*Rule{ruleUnownedExec}, EachFile: (*Index).unownedExecutable})
)

var (
	ruleModifiedBinary = rule(Rule{ID: "integrity.modified-binary", Severity: finding.Critical,
		Title:  "system program or library differs from its package",
		Attack: []string{"T1554", "T1036.005"},
		Why:    "A packaged program, library or PAM module whose content no longer matches what its package installed has been replaced: the classic trojaned ps, ls, sshd or pam_unix.so.",
		Action: "Do not trust this host's own tools. Keep a copy as evidence (nowwhat collect), then reinstall the package from a trusted mirror, and treat every password typed on this host as stolen."})
	ruleModifiedFile = rule(Rule{ID: "integrity.modified-file", Severity: finding.Medium,
		Title:  "packaged file differs from its package",
		Attack: []string{"T1565.001"},
		Why:    "A file a package installed has other content than the package recorded. Some programs update themselves in place (npm, pip); anything else was changed by hand.",
		Action: "Compare it with the package's version (apt-get download PKG, then dpkg-deb -x) and reinstall the package if the change is not yours."})
	ruleDigestRewritten = rule(Rule{ID: "integrity.digest-list-rewritten", Severity: finding.High,
		Title:  "a package's recorded digests were rewritten after installation",
		Attack: []string{"T1070", "T1554"},
		Why:    "dpkg writes a package's .md5sums and .list together. A .md5sums changed later hides a replaced file from package verification (debsums, nowwhat).",
		Action: "Verify the package's files against a freshly downloaded copy of the package, not against the host's database; reinstall it."})
	ruleUnownedExec = rule(Rule{ID: "integrity.unowned-executable", Severity: finding.High,
		Title:  "executable in a system folder that no package installed",
		Attack: []string{"T1036.005", "T1543"},
		Why:    "Programs in /usr/bin, /usr/sbin, /bin and /sbin normally all come from packages. One that no package owns was put there by hand: by an administrator, or by an intruder hiding a tool among the system's own.",
		Action: "Find out who put it there and when (its times, the admins' sessions). If nobody did, keep a copy and remove it."})
)

// execDirs are where a modified or unowned executable is most dangerous.
var execDirs = catalog.Where(catalog.Exec)

var boot = catalog.Get("boot")

// critical reports whether a modified packaged file is a program, library, PAM or kernel module.
func criticalFile(f snapshot.File) bool {
	base := path.Base(f.Path)
	switch {
	case f.Format == "elf":
		return true
	case execDirs.Covers(f.Path) && f.Mode&0o111 != 0:
		return true
	case strings.HasSuffix(base, ".so") || strings.Contains(base, ".so."):
		return true
	case strings.HasSuffix(base, ".ko") || strings.HasSuffix(base, ".ko.xz") || strings.HasSuffix(base, ".ko.zst"):
		return true
	case boot.Covers(f.Path):
		return true
	}
	return false
}

// integrity compares every file that has a recorded MD5 with its package's digest.
func (s *Index) integrity(o *Out) error {
	type mod struct {
		f   snapshot.File
		pkg string
	}
	var mods []mod
	err := snapshot.Each(s.Cur, "md5 != '' AND type = 'file'", nil, func(f snapshot.File) error {
		want, ok := s.digest[f.Path]
		if !ok || want == f.MD5 || s.divert[f.Path] || s.conf[f.Path] {
			return nil
		}
		mods = append(mods, mod{f, s.owner[f.Path]})
		return nil
	})
	if err != nil {
		return err
	}
	// Many modified data files of one package (a program that updates itself in place, such as
	// npm or the cloud SDKs) are one finding, not hundreds.
	perPkg := map[string][]mod{}
	for _, m := range mods {
		if !criticalFile(m.f) {
			perPkg[m.pkg] = append(perPkg[m.pkg], m)
		}
	}
	grouped := map[string]bool{}
	for pkg, ms := range perPkg {
		if len(ms) <= 10 {
			continue
		}
		grouped[pkg] = true
		ev := []string{fmt.Sprintf("%d files of package %s differ from what it recorded", len(ms), pkg)}
		for i, m := range ms {
			if i == 8 {
				break
			}
			ev = append(ev, m.f.Path)
		}
		o.add(ruleModifiedFile, finding.Finding{Path: commonDir(ms[0].f.Path, ms[len(ms)-1].f.Path), Evidence: ev, Time: changeTime(ms[0].f),
			Title: fmt.Sprintf("%d files of package %s differ from the package (updated in place?)", len(ms), pkg)})
	}
	for _, m := range mods {
		f := m.f
		if grouped[m.pkg] && !criticalFile(f) {
			continue
		}
		ev := append([]string{fmt.Sprintf("package %s recorded md5 %s; the file's md5 is %s", m.pkg, s.digest[f.Path], f.MD5)}, fileEvidence(f)...)
		if f.Note != "" {
			ev = append(ev, "note: "+f.Note)
		}
		if criticalFile(f) {
			o.add(ruleModifiedBinary, finding.Finding{Path: f.Path, Evidence: ev, Strong: true, Time: changeTime(f), New: s.fileNew(f.Path),
				Title: fmt.Sprintf("%s differs from package %s", f.Path, m.pkg)})
			continue
		}
		o.add(ruleModifiedFile, finding.Finding{Path: f.Path, Evidence: ev, Time: changeTime(f), New: s.fileNew(f.Path),
			Title: fmt.Sprintf("%s differs from package %s", f.Path, m.pkg)})
	}
	return nil
}

// commonDir is the longest common folder of two paths.
func commonDir(a, b string) string {
	as, bs := strings.Split(path.Dir(a), "/"), strings.Split(path.Dir(b), "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	if n <= 1 {
		return "/"
	}
	return strings.Join(as[:n], "/")
}

// digestLists flags .md5sums files changed after their package's .list: written later than
// installation.
func (s *Index) digestLists(o *Out) error {
	times := map[string][2]int64{} // package -> ctime of .list, .md5sums
	info := catalog.Get("dpkg.info")
	err := snapshot.Each(s.Cur, likeAny("path", info)+" AND type = 'file' AND (path LIKE '%.md5sums' OR path LIKE '%.list')", nil, func(f snapshot.File) error {
		base := path.Base(f.Path)
		name := strings.TrimSuffix(strings.TrimSuffix(base, ".md5sums"), ".list")
		t := times[name]
		if strings.HasSuffix(base, ".list") {
			t[0] = f.Ctime
		} else {
			t[1] = f.Ctime
		}
		times[name] = t
		return nil
	})
	if err != nil {
		return err
	}
	const slack = int64(10 * 60 * 1e9) // dpkg writes both within one run
	for name, t := range times {
		if t[0] == 0 || t[1] == 0 || t[1]-t[0] <= slack {
			continue
		}
		p := info.Dir() + "/" + name + ".md5sums"
		f := s.file(p)
		ev := append([]string{fmt.Sprintf("%s.md5sums changed %s, but %s.list (written at installation) %s", name, stamp(t[1]), name, stamp(t[0]))}, fileEvidence(f)...)
		o.add(ruleDigestRewritten, finding.Finding{Path: p, Evidence: ev, Time: changeTime(f), New: s.fileNew(p),
			Title: fmt.Sprintf("digest list of package %s rewritten after installation", strings.SplitN(name, ":", 2)[0])})
	}
	return nil
}

// systemBins are the system's program folders, where every program comes from a package.
var systemBins = catalog.NewSet(locs("usr.bin", "usr.sbin", "bin", "sbin"))

// unownedExecutable flags an executable in the system's program folders that no package owns.
func (s *Index) unownedExecutable(fp *snapshot.File, o *Out) {
	if len(s.owner) == 0 || fp.Type != "file" || fp.Mode&73 == 0 || !systemBins.Covers(fp.Path) {
		return // no package database: nothing to judge ownership by
	}
	f := *fp
	if _, ok := s.owner[f.Path]; ok || s.divert[f.Path] || strings.Count(f.Path, "/") > 3 {
		return
	}
	ev := fileEvidence(f)
	if f.Format != "" {
		ev = append(ev, "format "+f.Format)
	}
	sev, why := unownedSeverity(s.Cur, f)
	ev = append(ev, why...)
	o.add(ruleUnownedExec, finding.Finding{Path: f.Path, Evidence: ev, Severity: sev, Time: changeTime(f), New: s.fileNew(f.Path),
		Title: f.Path + " is in a system folder but no package installed it"})
}
