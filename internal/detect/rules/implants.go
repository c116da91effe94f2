package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/webshell"
)

var (
	_ = find(Finder{Name: "setuid", Rules: []*Rule{ruleSetuid}, EachFile: (*Index).setuid})
	_ = find(Finder{Name: "capabilities", Rules: []*Rule{ruleCaps}, EachFile: (*Index).capabilities})
	_ = find(Finder{Name: "implants", Rules: []*Rule{ruleTmpExec, ruleMasquerade, ruleHidden}, EachFile: (*Index).implantFile, Find: (*Index).implants})
	_ = find(Finder{Name: "indicators", Rules: []*Rule{ruleWebshell, ruleIndicator, ruleTamperPattern}, Find: (*Index).indicators})
)

var (
	ruleSetuid = rule(Rule{ID: "privilege.setuid", Severity: finding.High,
		Title:  "setuid or setgid program that no package installed",
		Attack: []string{"T1548.001"},
		Why:    "A setuid-root program runs as root whoever starts it. A copy of a shell or an interpreter with that bit is a root back door for any local account or web application.",
		Action: "Keep a copy, then remove the bit (chmod u-s,g-s FILE) or the file; look for how it was made (root was needed)."})
	ruleCaps = rule(Rule{ID: "privilege.capability", Severity: finding.High,
		Title:  "file capabilities that no package set",
		Attack: []string{"T1548"},
		Why:    "File capabilities give parts of root's power to a program. cap_setuid or cap_sys_admin on an interpreter is as good as setuid root.",
		Action: "Remove them (setcap -r FILE) unless you know which software needs them."})
	ruleTmpExec = rule(Rule{ID: "implant.tmp-executable", Severity: finding.High,
		Title:  "program in a temporary folder",
		Attack: []string{"T1036", "T1105"},
		Why:    "Anyone can write to /tmp, /var/tmp and /dev/shm, and /dev/shm lives only in memory: intruders drop and run their tools there.",
		Action: "Keep a copy (nowwhat collect), check running processes for it, then remove it."})
	ruleHidden = rule(Rule{ID: "implant.hidden-executable", Severity: finding.High,
		Title:  "program in a hidden folder of the system",
		Attack: []string{"T1564.001"},
		Why:    "Folder names starting with a dot do not show in a plain ls. Programs hidden in such folders under /usr, /etc, /var or /lib are a common place for implants.",
		Action: "Keep a copy and find what starts it (cron, services, start-up files); remove both."})
	ruleMasquerade = rule(Rule{ID: "implant.masquerade", Severity: finding.High,
		Title:  "program named like a kernel thread or a system service, in the wrong place",
		Attack: []string{"T1036.004", "T1036.005"},
		Why:    "Naming a tool [kworker/0:0], kthreadd, sshd or systemd makes it blend into a process list.",
		Action: "Keep a copy, check for a process running it, and remove it."})
	ruleWebshell = rule(Rule{ID: "implant.webshell", Severity: finding.Critical,
		Title:  "web shell in the web content",
		Attack: []string{"T1505.003"},
		Why:    "A web shell is a page that runs the visitor's commands on the server: the intruder's door through the web site.",
		Action: "Take the site offline behind a maintenance page (nowwhat contain service), keep a copy, remove the file, and find the upload hole in the web logs (nowwhat investigate)."})
	ruleIndicator = rule(Rule{ID: "implant.pattern", Severity: finding.High,
		Title:  "attack pattern in a script or configuration file",
		Attack: []string{"T1059.004"},
		Why:    "Reverse shells, download-and-run commands, miner settings and log or history tampering written into files are what intruders leave behind.",
		Action: "Keep a copy, find what runs it (cron, services, start-up files), and remove it."})
)

// kthreadNames are names of kernel threads and daemons that tools disguise themselves as.
var kthreadNames = []string{"[kworker", "kworker", "kthreadd", "ksoftirqd", "kswapd", "[migration", "watchdogd", "kdevtmpfs", "[khugepaged", "kblockd"}

var serviceNames = map[string]bool{"sshd": true, "systemd": true, "cron": true, "crond": true, "rsyslogd": true, "syslogd": true,
	"dbus-daemon": true, "init": true, "bash": true, "sh": true, "nginx": true, "apache2": true, "httpd": true, "php-fpm": true,
	"mysqld": true, "systemd-journald": true, "agetty": true, "atd": true, "polkitd": true, "udevd": true, "systemd-udevd": true}

func masquerades(base string) bool {
	b := strings.ToLower(base)
	for _, k := range kthreadNames {
		if strings.HasPrefix(b, k) {
			return true
		}
	}
	return strings.HasPrefix(b, "[") && strings.HasSuffix(b, "]")
}

// setuid judges a setuid or setgid file (setuid 04000 = 2048, setgid 02000 = 1024).
func (s *Index) setuid(fp *snapshot.File, o *Out) {
	if fp.Type != "file" || fp.Mode&3072 == 0 {
		return
	}
	f := *fp
	shells := s.shellHashes()
	{
		owned, changed := s.ownedOK(f.Path)
		if owned && !changed {
			return
		}
		if owned && changed {
			return // reported by integrity as a modified binary
		}
		ev := fileEvidence(f)
		sev := finding.High
		strong := false
		if name, ok := shells[f.SHA256]; ok && f.SHA256 != "" {
			ev = append(ev, "identical to "+name)
			sev, strong = finding.Critical, f.UID == 0 && f.Mode&0o4000 != 0
		}
		if inTmp(f.Path) || hiddenDir(f.Path) || homesAndWeb.Covers(f.Path) {
			sev = finding.Critical
		}
		bits := "setuid"
		if f.Mode&0o4000 == 0 {
			bits = "setgid"
		}
		o.add(ruleSetuid, finding.Finding{Path: f.Path, Evidence: ev, Severity: sev, Strong: strong, Time: changeTime(f), New: s.fileNew(f.Path),
			Title: fmt.Sprintf("%s %s (owner uid %d) was not installed by a package", bits, f.Path, f.UID)})
	}
}

// shellHashes maps the SHA-256 of the host's shells and interpreters to their path, to spot
// copies of them.
func (s *Index) shellHashes() map[string]string {
	return once(s, "shell-hashes", s.loadShellHashes)
}

func (s *Index) loadShellHashes() map[string]string {
	out := map[string]string{}
	for _, p := range []string{"/usr/bin/bash", "/usr/bin/dash", "/usr/bin/sh", "/usr/bin/zsh", "/usr/bin/python3", "/usr/bin/perl",
		"/usr/bin/find", "/usr/bin/vim.basic", "/usr/bin/busybox", "/usr/bin/env", "/bin/bash", "/bin/sh", "/bin/dash"} {
		f := s.file(p)
		if f.Type == "symlink" {
			target := f.Link
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(p), target)
			}
			f = s.file(target)
		}
		if f.SHA256 != "" {
			out[f.SHA256] = p
		}
	}
	return out
}

var dangerousCaps = []string{"cap_setuid", "cap_setgid", "cap_sys_admin", "cap_dac_override", "cap_dac_read_search", "cap_sys_ptrace", "cap_sys_module", "cap_chown", "cap_fowner"}

// capabilities judges a file with file capabilities.
func (s *Index) capabilities(fp *snapshot.File, o *Out) {
	if fp.Caps == "" {
		return
	}
	f := *fp
	interp := s.shellHashes()
	{
		owned, changed := s.ownedOK(f.Path)
		danger := false
		for _, c := range dangerousCaps {
			if strings.Contains(f.Caps, c) {
				danger = true
			}
		}
		if owned && !changed && !danger {
			return // ping's cap_net_raw and the like, set by the package's scripts
		}
		ev := append([]string{"capabilities " + f.Caps}, fileEvidence(f)...)
		sev := finding.Medium
		strong := false
		if danger {
			sev = finding.High
		}
		if name, ok := interp[f.SHA256]; ok && danger {
			ev = append(ev, "identical to "+name)
			sev, strong = finding.Critical, true
		}
		if owned && !changed {
			sev = finding.Medium
			ev = append(ev, "belongs to package "+s.owner[f.Path])
		}
		o.add(ruleCaps, finding.Finding{Path: f.Path, Evidence: ev, Severity: sev, Strong: strong, Time: changeTime(f), New: s.fileNew(f.Path),
			Title: fmt.Sprintf("%s has capabilities %s", f.Path, f.Caps)})
	}
}

// copyOfPackaged reports whether a file has the same content as a packaged file (a copy of a
// system program), and which.
func (s *Index) copyOfPackaged(sha string) string {
	if sha == "" {
		return ""
	}
	return once(s, "packaged-by-sha256", s.loadPackagedBySHA)[sha]
}

// loadPackagedBySHA maps the SHA-256 of every file a package recorded to its path (the first in
// the snapshot's order), in one pass instead of one query per file asked about.
func (s *Index) loadPackagedBySHA() map[string]string {
	out := map[string]string{}
	rows, err := s.Cur.DB().Query("SELECT f.sha256, f.path FROM files f JOIN package_files pf ON pf.path = f.path WHERE f.sha256 != '' ORDER BY f.rowid")
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var sha, p string
		if rows.Scan(&sha, &p) == nil {
			if _, ok := out[sha]; !ok {
				out[sha] = p
			}
		}
	}
	return out
}

// tmpFiles are the executables in temporary folders, gathered during the walk.
type tmpFiles struct{ files []snapshot.File }

// implantFile judges a program during the walk: names dressed as kernel threads or services,
// programs in hidden folders of the system; programs in temporary folders are gathered for
// implants.
func (s *Index) implantFile(fp *snapshot.File, o *Out) {
	if fp.Type != "file" || fp.Mode&73 == 0 && fp.Format != "elf" {
		return
	}
	f := *fp
	if inTmp(f.Path) {
		t := once(s, "tmp-executables", func() *tmpFiles { return &tmpFiles{} })
		t.files = append(t.files, f)
	}
	base := path.Base(f.Path)
	if masquerades(base) || (serviceNames[base] && (inTmp(f.Path) || hiddenDir(f.Path) || homesAndWeb.Covers(f.Path))) {
		o.add(ruleMasquerade, finding.Finding{Path: f.Path, Evidence: fileEvidence(f), Severity: finding.High, Strong: masquerades(base) && f.Format == "elf",
			Time: changeTime(f), New: s.fileNew(f.Path), Title: "program " + f.Path + " is named like " + map[bool]string{true: "a kernel thread", false: "a system service"}[masquerades(base)]})
		return
	}
	if hiddenDir(f.Path) && systemArea(f.Path) && !inTmp(f.Path) {
		if _, owned := s.owner[f.Path]; owned {
			return
		}
		if skipHidden(f.Path) {
			return
		}
		o.add(ruleHidden, finding.Finding{Path: f.Path, Evidence: fileEvidence(f), Severity: severityFor(f), Time: changeTime(f), New: s.fileNew(f.Path),
			Title: "program " + f.Path + " is in a hidden folder"})
	}
}

// implants reports the programs in temporary folders gathered during the walk.
func (s *Index) implants(o *Out) error {
	tmp := once(s, "tmp-executables", func() *tmpFiles { return &tmpFiles{} }).files
	// Many copies below one folder (an unpacked tree, a build) are one finding, not thousands.
	groups := map[string][]snapshot.File{}
	for _, f := range tmp {
		groups[tmpGroup(f.Path)] = append(groups[tmpGroup(f.Path)], f)
	}
	for dir, fs := range groups {
		if s.inNested(fs[0].Path) != "" {
			continue
		}
		if len(fs) > 20 {
			elf := 0
			for _, f := range fs {
				if f.Format == "elf" {
					elf++
				}
			}
			o.add(ruleTmpExec, finding.Finding{Path: dir, Severity: finding.Medium, Time: changeTime(fs[0]),
				Evidence: []string{fmt.Sprintf("%d executable files below %s (%d ELF programs), e.g. %s", len(fs), dir, elf, fs[0].Path)},
				Title:    fmt.Sprintf("%d programs below %s", len(fs), dir)})
			continue
		}
		for _, f := range fs {
			s.tmpExecutable(o, f)
		}
	}
	return nil
}

// skipHidden are hidden folders that legitimately hold executables.
func skipHidden(p string) bool {
	for _, x := range []string{"/.git/hooks/", "/node_modules/.bin/", "/.venv/", "/.cache/", "/.build-id/", "/.npm/", "/.cargo/", "/.rustup/", "/.local/"} {
		if strings.Contains(p, x) {
			return true
		}
	}
	return false
}

func severityFor(f snapshot.File) finding.Severity {
	if f.Format == "elf" {
		return finding.Critical
	}
	return finding.High
}

// tmpGroup names the folder that a temporary file belongs to: the first level below the
// temporary folder.
func tmpGroup(p string) string {
	for _, l := range temporary.Locations() {
		if d := l.Path; strings.HasPrefix(p, d) {
			rest := strings.TrimPrefix(p, d)
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				return d + rest[:i]
			}
			return p
		}
	}
	return path.Dir(p)
}

func (s *Index) tmpExecutable(o *Out, f snapshot.File) {
	ev := fileEvidence(f)
	sev := finding.Medium
	switch {
	case f.Format == "elf" && sharedMemory.Covers(f.Path):
		sev = finding.Critical
	case f.Format == "elf", hiddenDir(f.Path) || strings.HasPrefix(path.Base(f.Path), "."):
		sev = finding.High
	}
	if c := s.copyOfPackaged(f.SHA256); c != "" {
		ev = append(ev, "a copy of "+c)
		if sev > finding.Medium {
			sev--
		}
	}
	if f.Format != "" {
		ev = append(ev, "format "+f.Format)
	}
	o.add(ruleTmpExec, finding.Finding{Path: f.Path, Evidence: ev, Severity: sev, Time: changeTime(f), New: s.fileNew(f.Path),
		Title: "program " + f.Path + " in a temporary folder"})
}

// indicators turns attack patterns found in file contents into findings: one per file and kind
// of pattern, with the matching lines as evidence.
func (s *Index) indicators(o *Out) error {
	inds, err := snapshot.All[snapshot.Indicator](s.Cur, "")
	if err != nil {
		return err
	}
	type group struct {
		first snapshot.Indicator
		sev   finding.Severity
		lines []string
		rules map[string]bool
		att   map[string]bool
	}
	var order []string
	groups := map[string]*group{}
	for _, ind := range inds {
		if ind.Category == "webshell" {
			f := s.file(ind.Path)
			if f.Type == "" {
				f.Path = ind.Path
			}
			r := webshell.Judge(webshellVerdict(ind), s.webshellContext(f))
			sev, strong, title := finding.High, false, "web shell "+ind.Path
			switch r.Verdict {
			case webshell.VerdictWebshell:
				sev, strong = finding.Critical, true
			case webshell.VerdictKnown:
				sev, title = finding.Info, "known release or admin tool "+ind.Path
			case webshell.VerdictClean:
				continue
			}
			ev := []string{fmt.Sprintf("web shell score %d: %s", r.Score, ind.Evidence)}
			for _, x := range r.Reasons {
				ev = append(ev, x.Rule+": "+x.Evidence)
			}
			ev = append(ev, fileEvidence(f)...)
			o.add(ruleWebshell, finding.Finding{Path: ind.Path, Severity: sev, Strong: strong, Evidence: ev, Time: changeTime(f), New: s.fileNew(ind.Path),
				Title: title})
			continue
		}
		key := ind.Path + "\x00" + ind.Category
		g := groups[key]
		if g == nil {
			g = &group{first: ind, rules: map[string]bool{}, att: map[string]bool{}}
			groups[key] = g
			order = append(order, key)
		}
		if sv := parseSeverity(ind.Severity); sv > g.sev {
			g.sev = sv
		}
		if len(g.lines) < 6 {
			g.lines = append(g.lines, fmt.Sprintf("line %d: %s (%s)", ind.Line, ind.Evidence, ind.Rule))
		}
		g.rules[ind.Rule] = true
		for _, a := range strings.Split(ind.Attack, ",") {
			if a != "" {
				g.att[a] = true
			}
		}
	}
	for _, key := range order {
		g := groups[key]
		ind := g.first
		if owned, changed := s.ownedOK(ind.Path); owned && !changed {
			continue // the package's own script: the pattern is what it is meant to do
		}
		f := s.file(ind.Path)
		if f.Type == "" {
			f.Path = ind.Path
		}
		if c := s.copyOfPackaged(f.SHA256); c != "" {
			continue // an identical copy of a packaged file
		}
		sev := g.sev
		history := isHistory(ind.Path)
		if ind.Category == "download-exec" && persistencePlace(ind.Path) && sev < finding.Critical {
			// Fetching code from the network and running it, on a schedule or at every boot or
			// login: the way miners and botnets keep themselves alive.
			sev = finding.Critical
		}
		strong := sev == finding.Critical && (ind.Category == "reverse-shell" || ind.Category == "miner") && !history
		if history && sev > finding.Medium {
			// A history records what was typed: evidence of what someone did, judged by people.
			sev = finding.Medium
		}
		var attack []string
		for a := range g.att {
			attack = append(attack, a)
		}
		sort.Strings(attack)
		ev := append([]string{}, g.lines...)
		if n := len(g.rules); n > 1 || len(g.lines) > 1 {
			ev = append(ev, fmt.Sprintf("%d matching lines of %d kinds", len(g.lines), n))
		}
		title := fmt.Sprintf("%s in %s: %s", categoryTitle(ind.Category), ind.Path, finding.Clip(ind.Evidence, 80))
		if history {
			title = fmt.Sprintf("shell history %s shows %s: %s", ind.Path, categoryTitle(ind.Category), finding.Clip(ind.Evidence, 80))
		}
		r := ruleIndicator
		if ind.Category == "history-tamper" || ind.Category == "log-tamper" {
			r = ruleTamperPattern
		}
		o.add(r, finding.Finding{Path: ind.Path, Severity: sev, Strong: strong, Evidence: ev, Attack: attack, Time: changeTime(f), New: s.fileNew(ind.Path), Title: title})
	}
	return nil
}

// reruns are the places that make code run again: schedules, services, boot and login
// scripts, hooks.
var reruns = catalog.Where(catalog.Runs)

// startupNames are the names of the home start-up files that run again (.bashrc, .profile,
// ...): wherever they are (a skeleton copied into new homes, a home no account names), code in
// them is meant to run at a login.
var startupNames = func() map[string]bool {
	out := map[string]bool{}
	for _, l := range reruns.Locations() {
		if l.InHomes() && !strings.Contains(l.Rel(), "/") {
			out[l.Rel()] = true
		}
	}
	return out
}()

// persistencePlace reports whether a file is one of the places that make code run again.
func persistencePlace(p string) bool { return reruns.Covers(p) || startupNames[path.Base(p)] }

func isHistory(p string) bool {
	return strings.HasSuffix(p, "_history") || strings.HasSuffix(p, "/.history")
}

func categoryTitle(c string) string {
	switch c {
	case "reverse-shell":
		return "reverse shell"
	case "download-exec":
		return "download-and-run"
	case "miner":
		return "coin miner"
	case "history-tamper":
		return "shell history disabled"
	case "log-tamper":
		return "log tampering"
	case "obfuscation":
		return "obfuscated command"
	case "persistence-hint":
		return "persistence trick"
	}
	return c
}

func parseSeverity(s string) finding.Severity {
	var v finding.Severity
	if err := v.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
		return finding.Medium
	}
	return v
}
