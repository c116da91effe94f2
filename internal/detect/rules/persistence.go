package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe/sudoers"
)

var (
	_ = find(Finder{Name: "preload", Rules: []*Rule{rulePreload}, Find: (*Index).preload})
	_ = find(Finder{Name: "jobs", Rules: []*Rule{ruleCron}, Find: (*Index).jobs})
	_ = find(Finder{Name: "services", Rules: []*Rule{ruleSystemd, ruleInit}, Find: (*Index).services})
	_ = find(Finder{Name: "startup-files", Rules: []*Rule{ruleStartup, rulePAM}, Find: (*Index).persistenceFiles})
	_ = find(Finder{Name: "hooks", Rules: []*Rule{ruleStartup, rulePAM}, Find: (*Index).hooks})
	_ = find(Finder{Name: "modules", Rules: []*Rule{ruleKernelModule}, Find: (*Index).modules})
	_ = find(Finder{Name: "sudo", Rules: []*Rule{ruleSudo}, Find: (*Index).sudo})
	_ = find(Finder{Name: "ssh-keys", Rules: []*Rule{ruleSSHKey}, Find: (*Index).sshKeys})
	_ = find(Finder{Name: "sshd-config", Rules: []*Rule{ruleSSHConfig}, Find: (*Index).sshConfig})
)

var (
	rulePreload = rule(Rule{ID: "persistence.ld-preload", Severity: finding.Critical,
		Title:  "a library is preloaded into every program (/etc/ld.so.preload)",
		Attack: []string{"T1574.006"},
		Why:    "Every program started on the host loads the libraries listed in /etc/ld.so.preload. This is how user-space rootkits (Azazel, Jynx, Vlany, libprocesshider) hide files, processes and connections from the host's own tools.",
		Action: "Keep a copy of the library as evidence, then empty /etc/ld.so.preload and remove the library (from a rescue system if the host's tools are hidden from). Assume everything the host showed you was filtered."})
	ruleCron = rule(Rule{ID: "persistence.cron", Severity: finding.Medium,
		Title:  "scheduled job that no package installed",
		Attack: []string{"T1053.003"},
		Why:    "Cron, anacron and at run commands on a schedule, as the account that owns them: the most common way intruders make sure their access survives a reboot or a cleanup.",
		Action: "Check that someone on your team set it up. If not, keep a copy and remove it (crontab -r -u USER, or the file under /etc/cron*)."})
	ruleSystemd = rule(Rule{ID: "persistence.systemd", Severity: finding.Medium,
		Title:  "service or timer that no package installed",
		Attack: []string{"T1543.002", "T1053.006"},
		Why:    "A systemd unit starts a program at boot, on a timer or when a user logs in. Units no package installed were written by hand.",
		Action: "Check that someone on your team wrote it. If not, stop and disable it (nowwhat contain service NAME), keep a copy, then remove it."})
	ruleInit = rule(Rule{ID: "persistence.init", Severity: finding.Medium,
		Title:  "boot script that no package installed",
		Attack: []string{"T1037.004"},
		Why:    "SysV init scripts and /etc/rc.local run as root at every boot.",
		Action: "Check that someone on your team wrote it; if not, keep a copy and remove it."})
	ruleStartup = rule(Rule{ID: "persistence.startup-file", Severity: finding.Medium,
		Title:  "start-up or hook file that no package installed",
		Attack: []string{"T1546.004", "T1037"},
		Why:    "Files in these folders run code at login, at boot, when a package is installed, when a device appears or when a module loads.",
		Action: "Check that someone on your team put it there; if not, keep a copy and remove it."})
	rulePAM = rule(Rule{ID: "persistence.pam", Severity: finding.High,
		Title:  "PAM runs a program or a module no package installed",
		Attack: []string{"T1556.003"},
		Why:    "PAM sees every password typed at login, ssh and sudo. A foreign module or a pam_exec line can log passwords or let anyone in with a magic password.",
		Action: "Keep a copy, restore the PAM configuration and modules from the packages (libpam-modules, libpam-runtime), and change every password used on this host."})
	ruleKernelModule = rule(Rule{ID: "persistence.kernel-module", Severity: finding.High,
		Title:  "kernel module outside the distribution's",
		Attack: []string{"T1547.006", "T1014"},
		Why:    "A kernel module runs with full control of the machine; kernel rootkits (Diamorphine, Reptile, Suterusu) are modules that hide themselves and others.",
		Action: "Find which software needs it. If none, keep the file, remove its autoload entry and reinstall from trusted media: a kernel rootkit cannot be cleaned from inside."})
	ruleSudo = rule(Rule{ID: "persistence.sudoers", Severity: finding.High,
		Title:  "sudo gives root to an account beyond the usual administrators",
		Attack: []string{"T1548.003"},
		Why:    "A sudo rule that lets an account run any command, or one that can start a shell, as root is a back door to full control, worse without a password.",
		Action: "Check that the grant is intended; if not, remove the rule (visudo -f FILE) and find out how it got there."})
	ruleSSHKey = rule(Rule{ID: "persistence.ssh-key", Severity: finding.Medium,
		Title:  "SSH key that opens an unusual door",
		Attack: []string{"T1098.004"},
		Why:    "An authorized key lets its holder log in without a password, whatever password changes you make. Keys for service accounts, keys with forced commands and keys in files outside home folders are how intruders keep access.",
		Action: "Check with the key's owner; remove keys nobody can account for (nowwhat contain revoke-key FINGERPRINT)."})
	ruleSSHConfig = rule(Rule{ID: "persistence.sshd-config", Severity: finding.Medium,
		Title:  "SSH server setting that weakens access control",
		Attack: []string{"T1098.004", "T1556"},
		Why:    "sshd settings decide who may log in and with what: keys read from unusual places, keys fetched by a command, empty passwords.",
		Action: "Restore the setting and reload sshd (keep a session open while you test a new login)."})
)

// ownedOK reports whether a file is installed by a package and, where a digest is known,
// unchanged (conffiles included).
func (s *Index) ownedOK(p string) (owned, changed bool) {
	if _, ok := s.owner[p]; !ok {
		return false, false
	}
	want := s.digest[p]
	if want == "" && s.conf[p] {
		var d string
		s.Cur.DB().QueryRow("SELECT digest FROM package_files WHERE path = ? AND conffile AND digest != '' LIMIT 1", p).Scan(&d)
		want = d
	}
	if want == "" {
		return true, false
	}
	f := s.file(p)
	if f.MD5 == "" {
		return true, false
	}
	return true, f.MD5 != want
}

func (s *Index) preload(o *Out) error {
	hooks, err := snapshot.All[snapshot.Hook](s.Cur, "kind = 'preload'")
	if err != nil {
		return err
	}
	for _, h := range hooks {
		lib := h.Value
		owned, changed := s.ownedOK(lib)
		f := s.file(lib)
		ev := []string{fmt.Sprintf("%s line %d: %s", h.Path, h.Line, lib)}
		if f.Type != "" {
			ev = append(ev, fileEvidence(f)...)
		} else {
			ev = append(ev, "the library is not at that path (or was hidden from the walk)")
		}
		strong := !owned || changed || inTmp(lib) || hiddenDir(lib)
		sev := finding.Critical
		if !strong {
			sev = finding.High
			ev = append(ev, "the library belongs to package "+s.owner[lib]+" and matches it")
		}
		pf := s.file(h.Path)
		o.add(rulePreload, finding.Finding{Path: h.Path, Evidence: ev, Severity: sev, Strong: strong, Time: changeTime(pf), New: s.fileNew(h.Path),
			Title: "every program on the host preloads " + lib})
	}
	return nil
}

func (s *Index) jobs(o *Out) error {
	jobs, err := snapshot.All[snapshot.Job](s.Cur, "")
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Kind == "timer" {
			continue // timers are units: see services
		}
		owned, changed := s.ownedOK(j.Source)
		if owned && !changed {
			continue
		}
		f := s.file(j.Source)
		ev := []string{fmt.Sprintf("%s line %d: %s %s", j.Source, j.Line, j.Schedule, finding.Clip(j.Command, 300))}
		ev = append(ev, fileEvidence(f)...)
		sev := finding.Medium
		title := fmt.Sprintf("%s job runs as %s: %s", j.Kind, orDash(j.User), finding.Clip(j.Command, 80))
		if changed {
			ev = append(ev, "the file belongs to package "+s.owner[j.Source]+" but was changed")
		}
		if where, ok := pointsOutside(j.Command); ok {
			sev = finding.High
			ev = append(ev, "it runs something from "+where+" (temporary or hidden place)")
		} else if c := s.packagedCopy(f); c != "" && !changed {
			sev = finding.Low
			ev = append(ev, "identical to "+c+": probably copied there by the package's scripts")
		}
		o.add(ruleCron, finding.Finding{Path: j.Source, User: j.User, Evidence: ev, Severity: sev, Time: changeTime(f), New: s.fileNew(j.Source), Title: title})
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// unitRule picks the rule for a service record.
func unitRule(v snapshot.Service) *Rule {
	if v.Kind != "systemd" {
		return ruleInit
	}
	return ruleSystemd
}

func (s *Index) services(o *Out) error {
	svcs, err := snapshot.All[snapshot.Service](s.Cur, "")
	if err != nil {
		return err
	}
	for _, v := range svcs {
		if v.State == "masked" || v.Path == "" || v.State == "alias" {
			continue
		}
		owned, changed := s.ownedOK(v.Path)
		if owned && !changed {
			continue
		}
		f := s.file(v.Path)
		if f.Type == "symlink" {
			continue // links made by systemctl enable: the unit they point to is judged itself
		}
		if f.Type == "" {
			o.add(unitRule(v), finding.Finding{Path: v.Path, Severity: finding.Low, Evidence: []string{fmt.Sprintf("%s (%s, %s) is enabled but %s is not there", v.Name, v.Scope, v.State, v.Path)},
				Title: fmt.Sprintf("%s %s is enabled but its unit file is missing", v.Kind, v.Name)})
			continue
		}
		ev := []string{fmt.Sprintf("%s (%s, %s): %s", v.Name, v.Scope, v.State, finding.Clip(v.ExecStart, 300))}
		ev = append(ev, fileEvidence(f)...)
		if t := s.text(v.Path); t != "" && v.Kind != "systemd" {
			ev = append(ev, excerpt(t, 5)...)
		}
		sev := finding.Medium
		r := unitRule(v)
		if v.Kind == "rc.local" && strings.TrimSpace(v.ExecStart) == "" {
			continue
		}
		if changed {
			ev = append(ev, "the file belongs to package "+s.owner[v.Path]+" but was changed")
		}
		if where, ok := pointsOutside(v.ExecStart); ok {
			sev = finding.High
			ev = append(ev, "it runs something from "+where+" (temporary or hidden place)")
		} else if c := s.packagedCopy(f); c != "" && !changed {
			sev = finding.Low
			ev = append(ev, "identical to "+c+": probably copied there by the package's scripts")
		}
		if v.State == "disabled" && sev == finding.Medium && v.Kind == "systemd" && !strings.HasSuffix(v.Name, ".timer") {
			sev = finding.Low
		}
		title := fmt.Sprintf("%s %s (%s) runs %s", v.Kind, v.Name, v.State, finding.Clip(v.ExecStart, 80))
		if strings.HasPrefix(v.Scope, "user") {
			title = fmt.Sprintf("per-user unit %s of %s (%s) runs %s", v.Name, strings.TrimPrefix(v.Scope, "user:"), v.State, finding.Clip(v.ExecStart, 80))
		}
		o.add(r, finding.Finding{Path: v.Path, User: v.RunAs, Evidence: ev, Severity: sev, Time: changeTime(f), New: s.fileNew(v.Path), Title: title})
	}
	return nil
}

// startupDirs are folders whose files run code (the catalog's Unowned locations); a file there
// that no package installed is worth a look. hookKind, when set, limits a folder to files that
// hold hooks of that kind (configuration folders where most files only set options).
var startupDirs = func() []struct{ id, dir, what, hookKind string } {
	var out []struct{ id, dir, what, hookKind string }
	for _, l := range catalog.With(catalog.Unowned) {
		kind := ""
		if l.Has(catalog.OnlyHooks) {
			kind = strings.TrimPrefix(l.Record, "hooks:")
		}
		out = append(out, struct{ id, dir, what, hookKind string }{l.ID, l.Path, l.What, kind})
	}
	return out
}()

// generated are files that package scripts write (not listed in any package), whose content
// other rules judge line by line (PAM lines: rule persistence.pam).
var generated = map[string]bool{"/etc/pam.d/common-auth": true, "/etc/pam.d/common-account": true,
	"/etc/pam.d/common-password": true, "/etc/pam.d/common-session": true, "/etc/pam.d/common-session-noninteractive": true}

// hookFiles lists the files that hold hooks of a kind.
func (s *Index) hookFiles(kind string) map[string]bool {
	out := map[string]bool{}
	hooks, _ := snapshot.All[snapshot.Hook](s.Cur, "kind = ?", kind)
	for _, h := range hooks {
		out[h.Path] = true
	}
	return out
}

// packagedCopy says whether a file has the same content as a file a package installed
// elsewhere (package scripts copy templates into /etc), and which.
func (s *Index) packagedCopy(f snapshot.File) string {
	c := s.copyOfPackaged(f.SHA256)
	if c == "" || c == f.Path {
		return ""
	}
	return c + " (package " + s.owner[c] + ")"
}

// leftovers are backup copies that package tools leave and nothing reads.
func leftover(p string) bool {
	for _, suf := range []string{".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-bak", ".ucf-dist", ".ucf-old", ".ucf-new", "~", ".bak", ".orig", ".save"} {
		if strings.HasSuffix(p, suf) {
			return true
		}
	}
	return strings.HasSuffix(path.Base(p), ".disabled") || path.Base(p) == "README"
}

func (s *Index) persistenceFiles(o *Out) error {
	for _, d := range startupDirs {
		files, err := snapshot.All[snapshot.File](s.Cur, "path LIKE ? AND type = 'file'", d.dir+"%")
		if err != nil {
			return err
		}
		var withHooks map[string]bool
		if d.hookKind != "" {
			withHooks = s.hookFiles(d.hookKind)
		}
		for _, f := range files {
			if leftover(f.Path) || generated[f.Path] || withHooks != nil && !withHooks[f.Path] {
				continue
			}
			owned, changed := s.ownedOK(f.Path)
			if owned && !changed {
				continue
			}
			ev := fileEvidence(f)
			ev = append(ev, excerpt(s.text(f.Path), 5)...)
			sev := finding.Medium
			title := d.what + " " + f.Path + " was not installed by a package"
			r := ruleStartup
			if changed {
				// An administrator editing a packaged configuration file is routine.
				sev = finding.Low
				title = d.what + " " + f.Path + " was changed from its package's version"
				ev = append(ev, "belongs to package "+s.owner[f.Path])
			}
			if d.id == "pam.d" {
				r = rulePAM
				if !changed {
					sev = finding.Medium
				}
			}
			if c := s.packagedCopy(f); c != "" && !changed {
				sev = finding.Low
				ev = append(ev, "identical to "+c+": probably copied there by the package's scripts")
			}
			o.add(r, finding.Finding{Path: f.Path, Evidence: ev, Severity: sev, Time: changeTime(f), New: s.fileNew(f.Path), Title: title})
		}
	}
	return nil
}

func (s *Index) hooks(o *Out) error {
	// Start-up and hook lines that run something from a temporary or hidden place.
	run, err := snapshot.All[snapshot.Hook](s.Cur, "kind IN ('profile', 'motd', 'apt', 'dpkg', 'udev')")
	if err != nil {
		return err
	}
	for _, h := range run {
		where, ok := pointsOutside(h.Value)
		if !ok {
			continue
		}
		if owned, changed := s.ownedOK(h.Path); owned && !changed {
			continue
		}
		f := s.file(h.Path)
		o.add(ruleStartup, finding.Finding{Path: h.Path, Severity: finding.High, User: homeUser(h.Path),
			Evidence: append([]string{fmt.Sprintf("%s line %d: %s", h.Path, h.Line, finding.Clip(h.Value, 300)), "it runs something from " + where + " (temporary or hidden place)"}, fileEvidence(f)...),
			Time:     changeTime(f), New: s.fileNew(h.Path), Title: fmt.Sprintf("%s %s runs %s", h.Kind, h.Path, where)})
	}
	hooks, err := snapshot.All[snapshot.Hook](s.Cur, "kind = 'pam'")
	if err != nil {
		return err
	}
	for _, h := range hooks {
		f := strings.Fields(h.Value)
		if len(f) < 3 {
			continue
		}
		mod := f[2]
		if strings.HasPrefix(h.Value, "@include") {
			continue
		}
		if strings.Contains(mod, "pam_exec") {
			sev, strong := finding.High, false
			ev := []string{fmt.Sprintf("%s line %d: %s", h.Path, h.Line, h.Value)}
			if strings.Contains(h.Value, "expose_authtok") {
				sev, strong = finding.Critical, true
				ev = append(ev, "expose_authtok hands every password typed to the program")
			}
			if where, ok := pointsOutside(h.Value); ok {
				sev, strong = finding.Critical, true
				ev = append(ev, "the program is in a temporary or hidden place: "+where)
			}
			o.add(rulePAM, finding.Finding{Path: h.Path, Severity: sev, Strong: strong, Evidence: ev,
				Time: changeTime(s.file(h.Path)), New: s.fileNew(h.Path), Title: "PAM runs a program (pam_exec) in " + h.Path})
			continue
		}
		if strings.HasPrefix(mod, "/") {
			if owned, changed := s.ownedOK(mod); !owned || changed {
				o.add(rulePAM, finding.Finding{Path: h.Path, Severity: finding.Critical, Strong: !owned && (inTmp(mod) || hiddenDir(mod)),
					Evidence: []string{fmt.Sprintf("%s line %d: %s", h.Path, h.Line, h.Value)}, Time: changeTime(s.file(h.Path)), New: s.fileNew(h.Path),
					Title: "PAM loads " + mod + ", which no package installed"})
			}
		}
	}
	// PAM module files no package installed, where the system's modules live.
	mods, err := snapshot.All[snapshot.File](s.Cur, "type = 'file' AND path LIKE '%/security/pam_%.so' AND "+likeAny("path", locs("usr.lib", "lib", "usr.lib64", "lib64")...))
	if err != nil {
		return err
	}
	for _, f := range mods {
		if _, ok := s.owner[f.Path]; ok {
			continue
		}
		o.add(rulePAM, finding.Finding{Path: f.Path, Severity: finding.Critical, Evidence: fileEvidence(f), Time: changeTime(f), New: s.fileNew(f.Path),
			Title: "PAM module " + f.Path + " was not installed by a package"})
	}
	return nil
}

func (s *Index) modules(o *Out) error {
	mods, err := snapshot.All[snapshot.Module](s.Cur, "")
	if err != nil {
		return err
	}
	for _, m := range mods {
		switch m.State {
		case "loaded":
			if strings.ContainsAny(m.Taint, "OE") {
				o.add(ruleKernelModule, finding.Finding{Severity: finding.Medium, Evidence: []string{fmt.Sprintf("loaded module %s, taint flags %s (O: built outside the kernel tree, E: unsigned)", m.Name, m.Taint)},
					Title: "loaded kernel module " + m.Name + " is not part of the kernel (" + m.Taint + ")"})
			}
		case "install-hook", "remove-hook":
			if owned, changed := s.ownedOK(m.Source); owned && !changed {
				continue
			}
			sev := finding.High
			if _, ok := pointsOutside(m.Detail); ok {
				sev = finding.Critical
			}
			o.add(ruleKernelModule, finding.Finding{Path: m.Source, Severity: sev, Evidence: []string{fmt.Sprintf("%s: %s %s %s", m.Source, strings.TrimSuffix(m.State, "-hook"), m.Name, m.Detail)},
				Time: changeTime(s.file(m.Source)), New: s.fileNew(m.Source), Attack: []string{"T1547.006", "T1546"},
				Title: "loading module " + m.Name + " runs a command: " + finding.Clip(m.Detail, 80)})
		}
	}
	// Module files no package installed.
	kos, err := snapshot.All[snapshot.File](s.Cur, "type = 'file' AND "+likeAny("path", locs("modules.usr", "modules.lib")...)+" AND (path LIKE '%.ko' OR path LIKE '%.ko.xz' OR path LIKE '%.ko.zst' OR path LIKE '%.ko.gz')")
	if err != nil {
		return err
	}
	for _, f := range kos {
		if _, ok := s.owner[f.Path]; ok || len(s.owner) == 0 {
			continue
		}
		if strings.Contains(f.Path, "/updates/dkms/") {
			continue // built on the host by DKMS for a packaged driver
		}
		o.add(ruleKernelModule, finding.Finding{Path: f.Path, Evidence: fileEvidence(f), Time: changeTime(f), New: s.fileNew(f.Path),
			Title: "kernel module file " + f.Path + " was not installed by a package"})
	}
	return nil
}

// usualAdmins are the accounts and groups Debian and RHEL give sudo rights to by default.
var usualAdmins = map[string]bool{"root": true, "%sudo": true, "%admin": true, "%wheel": true}

func (s *Index) sudo(o *Out) error {
	recs, err := snapshot.All[snapshot.SudoRule](s.Cur, "")
	if err != nil {
		return err
	}
	p := sudoers.FromRecords(recs)
	for _, g := range p.Grants() {
		if !g.AsRoot() || g.Negated || !g.FullRoot() {
			continue
		}
		unusual := false
		for _, u := range g.Users {
			if !usualAdmins[u] {
				unusual = true
			}
		}
		if !unusual {
			continue
		}
		sev := finding.Medium
		if g.NoPasswd() {
			sev = finding.High
		}
		owned, changed := s.ownedOK(g.File)
		if owned && !changed {
			sev = finding.Low
		}
		o.add(ruleSudo, finding.Finding{Path: g.File, User: g.Who(), Severity: sev,
			Evidence: []string{fmt.Sprintf("%s line %d: %s", g.File, g.Line, g.Text)}, Time: changeTime(s.file(g.File)), New: s.fileNew(g.File),
			Title: fmt.Sprintf("%s may run %s as root%s", g.Who(), g.Command, map[bool]string{true: " without a password", false: ""}[g.NoPasswd()])})
	}
	return nil
}

func (s *Index) sshKeys(o *Out) error {
	keys, err := snapshot.All[snapshot.SSHKey](s.Cur, "")
	if err != nil {
		return err
	}
	users := map[string]snapshot.User{}
	for _, u := range s.users {
		users[u.Name] = u
	}
	for _, k := range keys {
		u := users[k.User]
		var reasons []string
		sev := finding.Info
		if k.User == "*" {
			reasons = append(reasons, "trusted as a certificate authority for every account")
			sev = finding.Medium
		}
		if u.Name != "" && u.UID != 0 && u.UID < 1000 {
			reasons = append(reasons, fmt.Sprintf("%s is a system account (uid %d)", u.Name, u.UID))
			sev = max(sev, finding.High)
		}
		if u.Name != "" && !u.LoginShell {
			reasons = append(reasons, fmt.Sprintf("%s has no login shell (%s), yet a key lets someone in", u.Name, u.Shell))
			sev = max(sev, finding.Medium)
		}
		if u.Home != "" && !strings.HasPrefix(k.File, strings.TrimSuffix(u.Home, "/")+"/") && k.User != "*" {
			reasons = append(reasons, "the key file is outside "+k.User+"'s home ("+u.Home+")")
			sev = max(sev, finding.High)
		}
		if strings.Contains(k.Options, "command=") {
			reasons = append(reasons, "forced command: "+k.Options)
			sev = max(sev, finding.Medium)
		}
		if (u.UID == 0 || k.User == "root") && sev < finding.Medium {
			if kf := s.file(k.File); s.afterSetup(kf.Ctime) {
				reasons = append(reasons, "the key file changed "+stamp(kf.Ctime)+", after the host was set up ("+stamp(s.setupTime())+")")
				sev = finding.Medium
			}
		}
		isNew := s.keyNew(k)
		if isNew {
			reasons = append(reasons, "added since the baseline")
			sev = max(sev, finding.High)
		}
		f := s.file(k.File)
		ev := []string{fmt.Sprintf("%s line %d: %s %s %q", k.File, k.Line, k.Type, k.Fingerprint, k.Comment)}
		if k.Options != "" {
			ev = append(ev, "options: "+k.Options)
		}
		ev = append(ev, reasons...)
		title := fmt.Sprintf("SSH key %s (%s) lets someone log in as %s", k.Fingerprint, k.Comment, k.User)
		if sev == finding.Info {
			title = fmt.Sprintf("SSH key %s (%s) for %s", k.Fingerprint, k.Comment, k.User)
		}
		o.add(ruleSSHKey, finding.Finding{Path: k.File, User: k.User, Severity: sev, Evidence: ev, Time: changeTime(f), New: isNew, Title: title})
	}
	return nil
}

// keyNew says whether a key was added since the baseline.
func (s *Index) keyNew(k snapshot.SSHKey) bool {
	if !s.hasBaseline() {
		return false
	}
	for _, c := range s.Changes {
		if c.Kind == "ssh_key" && c.Change == "added" && c.Path == k.File && strings.Contains(c.Subject, k.Fingerprint) && strings.Contains(c.Subject, " for "+k.User+" ") {
			return true
		}
	}
	return false
}

func (s *Index) sshConfig(out *Out) error {
	opts, err := snapshot.All[snapshot.SSHOption](s.Cur, "")
	if err != nil {
		return err
	}
	for _, o := range opts {
		key := o.Key
		if i := strings.LastIndex(key, ": "); i >= 0 {
			key = key[i+2:]
		}
		var sev finding.Severity
		var why string
		switch key {
		case "PermitEmptyPasswords":
			if strings.EqualFold(o.Value, "yes") {
				sev, why = finding.High, "accounts without a password may log in"
			}
		case "AuthorizedKeysFile":
			for _, p := range strings.Fields(o.Value) {
				if strings.HasPrefix(p, "/") && !strings.Contains(p, "%h") && !strings.Contains(p, "%u") && !strings.Contains(p, "%U") {
					sev, why = finding.High, "every account's keys are read from "+p
				} else if strings.HasPrefix(p, "/") && !catalog.Get("ssh.etc").Covers(p) && !strings.HasPrefix(p, "%h") {
					sev, why = finding.Medium, "keys are read from "+p+", outside the home folders"
				}
			}
		case "AuthorizedKeysCommand", "AuthorizedPrincipalsCommand":
			if o.Value != "none" && o.Value != "" {
				sev, why = finding.Medium, "a program decides which keys are accepted: "+o.Value
			}
		case "PermitRootLogin":
			if strings.EqualFold(o.Value, "yes") && o.File != "" {
				sev, why = finding.Low, "root may log in with a password"
			}
		case "PermitUserEnvironment":
			if strings.EqualFold(o.Value, "yes") {
				sev, why = finding.Medium, "users' ~/.ssh/environment may set LD_PRELOAD for sshd's children"
			}
		}
		if sev == 0 {
			continue
		}
		src := o.File
		if src == "" {
			src = "sshd default"
		}
		out.add(ruleSSHConfig, finding.Finding{Path: o.File, Severity: sev, Evidence: []string{fmt.Sprintf("%s line %d: %s %s", src, o.Line, o.Key, o.Value)},
			Time: changeTime(s.file(o.File)), New: s.fileNew(o.File), Title: fmt.Sprintf("sshd %s %s: %s", o.Key, o.Value, why)})
	}
	return nil
}
