// Package loophole names the hole an intruder came through: it joins investigate's way in (the
// vector and its evidence), the host's configuration (sshd's effective settings, the web
// servers' handling of PHP in upload folders, what listens where) and the known vulnerabilities
// of what is installed (OSV data, offline), and says which hole was used, with its confidence,
// its evidence, and the hardening changes that close it.
package loophole

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/detect/vulns"
	"github.com/nowwhat/nowwhat/internal/probe/accounts"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

// Options say where to look.
type Options struct {
	Root   string // "/" or a mounted root
	OSVDir string // OSV data (ECOSYSTEM/all.zip); "" leaves known vulnerabilities not covered
	// Investigation is investigate's result (from the case, or just run).
	Investigation *investigate.Report
	// WebRoots are searched for web applications (vulns.DefaultWebRoots and the configured
	// document roots when empty).
	WebRoots []string
	Now      time.Time
}

// Hole is a way in: what it is, whether the intrusion used it, and what closes it.
type Hole struct {
	ID         string   `json:"id"` // ssh-password-login, web-upload-php, vulnerable-package, exposed-service
	Title      string   `json:"title"`
	Subject    string   `json:"subject"`    // the account, the folder, the package
	Used       bool     `json:"used"`       // the way in investigate found went through it
	Confidence string   `json:"confidence"` // high, medium, low
	Evidence   []string `json:"evidence"`
	Why        string   `json:"why"`
	// Fixes are the hardening changes (nowwhat harden ids) that close the hole.
	Fixes []string `json:"fixes"`
	CVEs  []string `json:"cves,omitempty"`
}

// Report is loophole's result.
type Report struct {
	Root       string            `json:"root"`
	Entry      investigate.Entry `json:"entry"`
	Holes      []Hole            `json:"holes"`
	Exposure   []Listener        `json:"exposure"`
	Vulns      *vulns.Result     `json:"vulnerabilities,omitempty"`
	OSV        *OSVData          `json:"osv_data,omitempty"`
	NotCovered []string          `json:"not_covered"`
	Time       time.Time         `json:"time"`
}

// OSVData says what data the vulnerabilities were matched against.
type OSVData struct {
	Dir     string   `json:"dir"`
	Files   []string `json:"files"`
	Records int      `json:"records"`
	Newest  string   `json:"newest_record"`
	Skipped int      `json:"skipped"`
}

// Used returns the holes the intrusion went through.
func (r *Report) Used() []Hole {
	var out []Hole
	for _, h := range r.Holes {
		if h.Used {
			out = append(out, h)
		}
	}
	return out
}

// Run names the holes.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Root == "" {
		opt.Root = "/"
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	fsys, err := hostfs.Open(opt.Root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	rep := &Report{Root: opt.Root, Holes: []Hole{}, Exposure: []Listener{}, NotCovered: []string{}, Time: opt.Now.UTC()}
	inv := opt.Investigation
	if inv == nil {
		rep.NotCovered = append(rep.NotCovered, "the way in: no investigation given (run nowwhat investigate first, with the same --case)")
		inv = &investigate.Report{Entry: investigate.Entry{Vector: "unknown", Confidence: "none"}}
	}
	rep.Entry = inv.Entry
	cfg, probs := sshd.LoadConfig(ctx, fsys, sshd.MainConfig)
	for _, p := range probs {
		rep.NotCovered = append(rep.NotCovered, fmt.Sprintf("sshd configuration %s: %v", p.Path, p.Err))
	}
	var eprobs []string
	rep.Exposure, eprobs = exposure(ctx, fsys, cfg)
	rep.NotCovered = append(rep.NotCovered, eprobs...)

	l := &looker{ctx: ctx, fs: fsys, opt: opt, rep: rep, inv: inv, ssh: cfg}
	l.sshHole()
	l.webHole()
	l.vulnerable()
	l.exposedServices()
	sort.SliceStable(rep.Holes, func(i, j int) bool { return rep.Holes[i].Used && !rep.Holes[j].Used })
	return rep, nil
}

type looker struct {
	ctx context.Context
	fs  *hostfs.FS
	opt Options
	rep *Report
	inv *investigate.Report
	ssh *sshd.Config
}

func (l *looker) get(key string) string {
	args, _ := l.ssh.Get(key)
	return strings.Join(args, " ")
}

func (l *looker) src(key string) string {
	k, _ := sshd.Canonical(key)
	for _, d := range l.ssh.Directives {
		if d.Match == "" && d.Key == k {
			return fmt.Sprintf("%s:%d", d.File, d.Line)
		}
	}
	return "sshd's default"
}

// passwordLogin tells whether sshd accepts passwords (PasswordAuthentication, or keyboard-
// interactive through PAM), for everyone or in a Match block.
func (l *looker) passwordLogin() (bool, []string) {
	var ev []string
	on := false
	pa := l.get("PasswordAuthentication")
	ev = append(ev, fmt.Sprintf("PasswordAuthentication %s (%s)", pa, l.src("PasswordAuthentication")))
	if pa == "yes" {
		on = true
	}
	kbd, pam := l.get("KbdInteractiveAuthentication"), l.get("UsePAM")
	if kbd == "yes" && pam == "yes" {
		on = true
		ev = append(ev, fmt.Sprintf("KbdInteractiveAuthentication yes (%s) with UsePAM yes: PAM asks for the password", l.src("KbdInteractiveAuthentication")))
	}
	for m, v := range l.ssh.MatchValues("PasswordAuthentication") {
		if len(v) > 0 && v[0] == "yes" {
			on = true
			ev = append(ev, fmt.Sprintf("Match %s: PasswordAuthentication yes", m))
		}
	}
	return on, ev
}

// rateLimit looks for something that slows password guessing in front of sshd.
func (l *looker) rateLimit() []string {
	var found []string
	for _, f := range append([]string{"/etc/fail2ban/jail.local", "/etc/fail2ban/jail.conf"}, sshd.Glob(l.fs, "/etc/fail2ban/jail.d/*")...) {
		data, err := l.fs.ReadFile(f, 1<<20)
		if err != nil {
			continue
		}
		s := strings.ToLower(string(data))
		if i := strings.Index(s, "[sshd]"); i >= 0 {
			sect := strings.ReplaceAll(s[i:min(len(s), i+400)], " ", "")
			if j := strings.Index(sect[1:], "\n["); j >= 0 {
				sect = sect[:j+1]
			}
			if strings.Contains(sect, "enabled=true") {
				found = append(found, f+": fail2ban's sshd jail is enabled")
			}
		}
	}
	if l.fs.Exists("/etc/sshguard/sshguard.conf") {
		found = append(found, "sshguard is installed")
	}
	for _, f := range append([]string{"/etc/nftables.conf"}, sshd.Glob(l.fs, "/etc/nftables.d/*")...) {
		data, err := l.fs.ReadFile(f, 1<<20)
		if err == nil && strings.Contains(string(data), "limit rate") && (strings.Contains(string(data), "22") || strings.Contains(string(data), "ssh")) {
			found = append(found, f+": an nftables rate limit mentions SSH")
		}
	}
	if data, err := l.fs.ReadFile("/etc/nftables.d/nowwhat-ssh-rate.nft", 1<<20); err == nil && len(data) > 0 {
		found = append(found, "nowwhat harden ssh-rate-limit")
	}
	return found
}

func (l *looker) sshHole() {
	e := l.rep.Entry
	used := e.Vector == "ssh-bruteforce" || e.Vector == "ssh-valid-account"
	on, ev := l.passwordLogin()
	root := l.get("PermitRootLogin")
	ev = append(ev, fmt.Sprintf("PermitRootLogin %s (%s)", root, l.src("PermitRootLogin")))
	ev = append(ev, fmt.Sprintf("MaxAuthTries %s (%s), LoginGraceTime %s", l.get("MaxAuthTries"), l.src("MaxAuthTries"), orDefault(l.get("LoginGraceTime"), "120")))
	limits := l.rateLimit()
	if len(limits) == 0 {
		ev = append(ev, "nothing slows password guessing in front of sshd (no fail2ban sshd jail, no sshguard, no nftables rate limit on SSH)")
	} else {
		ev = append(ev, limits...)
	}
	if !on && !used {
		return
	}
	users := e.Users
	if len(users) == 0 {
		users = []string{"(any account with a password)"}
	}
	h := Hole{ID: "ssh-password-login", Subject: strings.Join(users, ","), Used: used && (on || e.Vector == "ssh-bruteforce"),
		Fixes: []string{"ssh-no-password", "ssh-limits", "ssh-rate-limit"}}
	switch {
	case e.Vector == "ssh-bruteforce":
		h.Title = "password login over SSH, and the password of " + strings.Join(users, ", ") + " was guessed"
		h.Why = "sshd accepts passwords from anywhere, so an Internet-wide guessing run found a weak one; the same guessing will find it again, or the next one"
		h.Confidence = e.Confidence
		if !on {
			h.Confidence = "medium"
			ev = append(ev, "sshd no longer accepts passwords in the configuration on disk: changed after the break-in, or sshd was not restarted")
		}
	case e.Vector == "ssh-valid-account":
		h.Title = "a valid account used over SSH from a new place (stolen password or key)"
		h.Why = "someone had the account's password or key; with passwords allowed, a leaked password is enough"
		h.Confidence = lower(e.Confidence)
	default:
		h.Title = "password login over SSH is open (not the way in this time)"
		h.Why = "passwords can be guessed or leaked; keys cannot be guessed"
		h.Confidence = "low"
	}
	if e.Summary != "" && used {
		ev = append([]string{"investigate: " + e.Summary}, ev...)
	}
	ev = append(ev, e.Evidence...)
	for _, u := range e.Users {
		ev = append(ev, l.account(u)...)
	}
	h.Evidence = ev
	l.rep.Holes = append(l.rep.Holes, h)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func lower(c string) string {
	switch c {
	case "high":
		return "medium"
	case "medium", "low":
		return "low"
	}
	return "low"
}

// account says what matters of a guessed account: its password's state and age, and whether
// it has keys (no hash is read into the report).
func (l *looker) account(user string) []string {
	shadow := catalog.Path("shadow")
	data, err := l.fs.ReadFile(shadow, 16<<20)
	if err != nil {
		return []string{"account " + user + ": " + shadow + " not readable (" + err.Error() + ")"}
	}
	ents, _ := accounts.ParseShadow(data)
	var out []string
	for _, s := range ents {
		if s.Name != user {
			continue
		}
		state, alg := accounts.Classify(s.Hash)
		line := fmt.Sprintf("account %s: password %s", user, state)
		if alg != "" {
			line += " (" + alg + ")"
		}
		if s.LastChange > 0 {
			changed := time.Unix(s.LastChange*86400, 0).UTC()
			line += fmt.Sprintf(", last changed %s (%d days before now)", changed.Format("2006-01-02"), int(l.opt.Now.Sub(changed).Hours()/24))
		}
		if s.Max < 0 || s.Max >= 99999 {
			line += ", never expires"
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = append(out, "account "+user+": not in /etc/shadow now (removed since?)")
	}
	return out
}

// webHole: the web shell's folder, and whether the web server runs PHP there.
func (l *looker) webHole() {
	e := l.rep.Entry
	used := e.Vector == "web-shell-upload" || e.Vector == "web-exploit"
	var shells []string
	for _, f := range l.inv.Findings {
		if f.Path != "" && (f.Rule == "web.upload-then-access" || f.Rule == "web.webshell-first-access" ||
			strings.Contains(f.Rule, "webshell") && f.Severity >= finding.High) && !f.Explained {
			shells = append(shells, f.Path)
		}
	}
	if len(shells) == 0 {
		return
	}
	nginx, _ := LoadNginx(l.fs)
	seen := map[string]bool{}
	for _, p := range shells {
		folder := path.Dir(p)
		if seen[folder] {
			continue
		}
		seen[folder] = true
		for _, res := range []*PHPExec{NginxPHP(nginx, folder), ApachePHP(l.fs, folder)} {
			if res == nil {
				continue
			}
			h := Hole{ID: "web-upload-php", Subject: uploadRoot(folder), Used: used && res.Executes,
				Fixes: []string{"php-uploads-noexec"}, Confidence: "low"}
			ev := []string{"web shell: " + p}
			if used && e.Summary != "" {
				ev = append(ev, "investigate: "+e.Summary)
			}
			ev = append(ev, res.Evidence...)
			if res.Executes {
				h.Title = fmt.Sprintf("%s runs PHP files put in the upload folder %s", res.Server, h.Subject)
				h.Why = "a file uploaded as an image or attachment becomes a program the web server runs: a web shell"
				if used {
					h.Confidence = e.Confidence
				} else {
					h.Confidence = "medium"
				}
				h.Fixes = append(h.Fixes, "php-disable-functions")
			} else {
				h.Title = fmt.Sprintf("%s does not run PHP in %s (the web shell came another way)", res.Server, folder)
				h.Why = "the folder does not execute PHP, so the upload folder is not the hole"
				h.Used = false
			}
			h.Evidence = ev
			l.rep.Holes = append(l.rep.Holes, h)
		}
	}
}

// uploadRoot shortens a dated upload folder to the folder uploads go into
// (.../wp-content/uploads/2026/11 -> .../wp-content/uploads).
func uploadRoot(folder string) string {
	parts := strings.Split(folder, "/")
	for i, p := range parts {
		if p == "uploads" || p == "upload" || p == "files" || p == "media" {
			return strings.Join(parts[:i+1], "/")
		}
	}
	return folder
}

// serviceOf maps source packages to the service they provide.
var serviceOf = map[string]string{"openssh": "sshd", "nginx": "nginx", "apache2": "apache", "mariadb": "mysql", "mysql-8.0": "mysql",
	"redis": "redis", "php8.2": "php-fpm", "php8.1": "php-fpm", "php7.4": "php-fpm", "php8.4": "php-fpm", "openssl": "", "glibc": ""}

func (l *looker) vulnerable() {
	if l.opt.OSVDir == "" {
		l.rep.NotCovered = append(l.rep.NotCovered, "known vulnerabilities: no OSV data given (--osv DIR; get it with nowwhat loophole update)")
		return
	}
	roots := l.opt.WebRoots
	if len(roots) == 0 {
		roots = append([]string{}, vulns.DefaultWebRoots...)
		nginx, _ := LoadNginx(l.fs)
		each(nginx, "root", func(b *Block) {
			if len(b.Args) > 0 {
				roots = append(roots, b.Args[0])
			}
		})
	}
	inv := vulns.ReadInventory(l.ctx, l.fs, roots)
	db, err := vulns.Load(l.opt.OSVDir, inv.Wanted())
	if err != nil {
		l.rep.NotCovered = append(l.rep.NotCovered, "known vulnerabilities: "+err.Error())
		return
	}
	l.rep.OSV = &OSVData{Dir: db.Dir, Files: db.Files, Records: db.Records, Newest: db.Newest, Skipped: len(db.Skipped)}
	res := vulns.MatchAll(db, inv)
	l.rep.Vulns = res
	l.rep.NotCovered = append(l.rep.NotCovered, res.NotCovered...)
	listening := map[string][]Listener{}
	for _, x := range l.rep.Exposure {
		listening[x.Service] = append(listening[x.Service], x)
	}
	for _, m := range res.Matches {
		svc := serviceOf[m.Package.Key.Name]
		exposed := false
		for _, x := range listening[svc] {
			exposed = exposed || x.Public
		}
		if svc == "" || !exposed {
			continue
		}
		fix := "upgrade " + m.Package.Key.Name + " (apt-get update && apt-get upgrade)"
		if m.Fixed != "" {
			fix = fmt.Sprintf("upgrade %s to %s or later", m.Package.Key.Name, m.Fixed)
		}
		h := Hole{ID: "vulnerable-service", Subject: m.Package.Key.Name, CVEs: m.CVEs, Fixes: []string{"upgrade:" + m.Package.Key.Name, "unattended-upgrades"},
			Title:      fmt.Sprintf("%s %s listens on the network with a known flaw: %s (%s)", svc, m.Package.Compare, strings.Join(m.CVEs, ", "), m.ID),
			Why:        "a flaw with a published fix in a service anyone can reach is how servers are taken over without any password; " + fix,
			Confidence: "medium",
			Evidence: []string{fmt.Sprintf("%s: installed %s (source %s %s), %s says fixed in %s", m.Package.Where, strings.Join(m.Package.Binaries, ","), m.Package.Key.Name, m.Package.Compare, m.ID, orDefault(m.Fixed, "no fixed version yet")),
				m.Summary}}
		for _, x := range listening[svc] {
			if x.Public {
				h.Evidence = append(h.Evidence, fmt.Sprintf("%s listens on %s port %d (%s)", svc, x.Address, x.Port, x.Source))
			}
		}
		if svc == "sshd" && (l.rep.Entry.Vector == "unknown" || l.rep.Entry.Vector == "ssh-valid-account") && l.inv.Verdict == finding.Compromised {
			h.Used, h.Confidence = true, "low"
			h.Evidence = append(h.Evidence, "the logs name no other way in on a compromised host: a pre-authentication flaw in sshd leaves no login line")
		}
		l.rep.Holes = append(l.rep.Holes, h)
	}
}

// exposedServices: databases and caches that answer the whole network, and mark what the
// entry used.
func (l *looker) exposedServices() {
	for i := range l.rep.Exposure {
		x := &l.rep.Exposure[i]
		switch {
		case x.Service == "sshd" && strings.HasPrefix(l.rep.Entry.Vector, "ssh"):
			x.Used = true
		case (x.Service == "nginx" || x.Service == "apache") && strings.HasPrefix(l.rep.Entry.Vector, "web"):
			x.Used = true
		}
		if !x.Public || x.Service != "redis" && x.Service != "mysql" && x.Service != "php-fpm" {
			continue
		}
		why := "a database or cache that answers every address is attacked directly; it should listen on 127.0.0.1 or a private network only"
		if x.Note != "" {
			why = x.Note
		}
		l.rep.Holes = append(l.rep.Holes, Hole{ID: "exposed-service", Subject: x.Service, Title: fmt.Sprintf("%s listens on %s port %d, reachable from other hosts", x.Service, x.Address, x.Port),
			Why: why, Confidence: "low", Evidence: []string{x.Source}, Fixes: []string{"bind-local:" + x.Service}})
	}
}
