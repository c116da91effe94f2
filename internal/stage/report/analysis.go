package report

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
)

// techniques gathers the ATT&CK techniques of the intruder's findings.
func (b *builder) techniques() {
	by := map[string]*Technique{}
	for _, f := range b.r.Findings {
		if !f.hostile() && !strings.HasPrefix(f.Rule, "entry.") {
			continue
		}
		for _, id := range f.Attack {
			t := by[id]
			if t == nil {
				name, tactic := attackName(id)
				t = &Technique{ID: id, Name: name, Tactic: tactic, Findings: []string{}}
				by[id] = t
			}
			t.Findings = append(t.Findings, f.ID)
		}
	}
	for _, t := range by {
		b.r.Techniques = append(b.r.Techniques, *t)
	}
	sort.Slice(b.r.Techniques, func(i, j int) bool {
		a, c := b.r.Techniques[i], b.r.Techniques[j]
		if tacticOrder(a.Tactic) != tacticOrder(c.Tactic) {
			return tacticOrder(a.Tactic) < tacticOrder(c.Tactic)
		}
		return a.ID < c.ID
	})
}

var (
	urlRe     = regexp.MustCompile(`(?i)\b(?:https?|ftp)://([a-z0-9.\-\[\]:]+?)(?::[0-9]{1,5})?(/[^\s'"<>` + "`" + `|;)]*)?(?:[\s'"<>;|)` + "`" + `]|$)`)
	devTCPRe  = regexp.MustCompile(`/dev/(?:tcp|udp)/([A-Za-z0-9.\-:]+)/[0-9]{1,5}`)
	domainRe  = regexp.MustCompile(`^(?i)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	hexRe     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	sha256Pfx = "sha256 "
)

// indicators gathers what other teams can look for: the intruder's addresses, the domains and
// URLs in their commands, the files they left with their hashes, and the SSH keys they used.
func (b *builder) indicators() {
	idx := map[string]int{}
	add := func(typ, value, context string, at time.Time, attack []string, refs ...Ref) {
		value = strings.TrimSpace(value)
		if value == "" || len(value) > 2048 {
			return
		}
		k := typ + "\x00" + value
		if i, ok := idx[k]; ok {
			in := &b.r.Indicators[i]
			if !at.IsZero() && (in.First.IsZero() || at.Before(in.First)) {
				in.First = at
			}
			if at.After(in.Last) {
				in.Last = at
			}
			in.Attack = uniq(append(in.Attack, attack...))
			for _, r := range refs {
				if !containsRef(in.Refs, r) {
					in.Refs = append(in.Refs, r)
				}
			}
			return
		}
		idx[k] = len(b.r.Indicators)
		b.r.Indicators = append(b.r.Indicators, Indicator{Type: typ, Value: value, Context: context, First: at, Last: at, Attack: uniq(attack), Refs: append([]Ref{}, refs...)})
	}
	addIP := func(s, context string, at time.Time, attack []string, refs ...Ref) bool {
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return false
		}
		a = a.Unmap()
		typ := "ipv4"
		if a.Is6() {
			typ = "ipv6"
		}
		add(typ, a.String(), context, at, attack, refs...)
		return true
	}
	addHost := func(h, context string, at time.Time, attack []string, refs ...Ref) {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if addIP(h, context, at, attack, refs...) {
			return
		}
		if domainRe.MatchString(h) {
			add("domain", h, context, at, attack, refs...)
		}
	}
	for _, ip := range b.r.Entry.Addresses {
		addIP(ip, "address the intruder came from (the way in: "+b.r.Entry.Vector+")", b.r.Entry.Time, []string{}, b.r.Entry.Refs...)
	}
	for _, f := range b.r.Findings {
		if !f.hostile() && !strings.HasPrefix(f.Rule, "entry.") {
			continue
		}
		ref := Ref{Finding: f.ID}
		if f.Address != "" {
			addIP(f.Address, "address in "+f.Rule+": "+f.Title, f.Time, f.Attack, ref)
		}
		if f.Path != "" && f.hostile() {
			add("path", f.Path, "file the intruder left or changed ("+f.Rule+")", f.Time, f.Attack, ref)
		}
		for _, e := range f.Evidence {
			if h, ok := strings.CutPrefix(e, sha256Pfx); ok && len(h) == 64 && hexRe.MatchString(h) {
				add("sha256", strings.ToLower(h), "SHA-256 of "+firstNonEmpty(f.Path, f.Subject)+" ("+f.Rule+")", f.Time, f.Attack, ref)
			}
			for _, m := range urlRe.FindAllStringSubmatch(e, 8) {
				u := strings.TrimRight(strings.TrimSpace(m[0]), `'"<>;|)`+"`")
				add("url", u, "URL in "+f.Rule+": "+f.Title, f.Time, f.Attack, ref)
				addHost(m[1], "host of a URL in "+f.Rule, f.Time, f.Attack, ref)
			}
			for _, m := range devTCPRe.FindAllStringSubmatch(e, 8) {
				addHost(m[1], "reverse shell destination in "+f.Rule, f.Time, f.Attack, ref)
			}
		}
	}
	if io := b.invIOCs; io != nil {
		src := Ref{File: b.invSrc}
		for _, ip := range io.IPs {
			addIP(ip, "address investigate tied to the intrusion", time.Time{}, nil, src)
		}
		for _, p := range io.Paths {
			add("path", p, "file investigate tied to the intrusion", time.Time{}, nil, src)
		}
		for _, h := range io.Hashes {
			h = strings.ToLower(strings.TrimSpace(h))
			switch {
			case len(h) == 64 && hexRe.MatchString(h):
				add("sha256", h, "SHA-256 of a file the intruder left", time.Time{}, nil, src)
			case len(h) == 32 && hexRe.MatchString(h):
				add("md5", h, "MD5 of a file the intruder left", time.Time{}, nil, src)
			}
		}
		for _, k := range io.Keys {
			add("ssh-key", k, "fingerprint of an SSH key the intruder logged in with", time.Time{}, []string{"T1098.004", "T1078"}, src)
		}
	}
	for i := range b.r.Indicators {
		in := &b.r.Indicators[i]
		if in.Attack == nil {
			in.Attack = []string{}
		}
	}
	sort.SliceStable(b.r.Indicators, func(i, j int) bool {
		a, c := b.r.Indicators[i], b.r.Indicators[j]
		if a.Type != c.Type {
			return indicatorOrder(a.Type) < indicatorOrder(c.Type)
		}
		return a.Value < c.Value
	})
}

func indicatorOrder(t string) int {
	for i, x := range []string{"ipv4", "ipv6", "domain", "url", "sha256", "md5", "path", "ssh-key"} {
		if x == t {
			return i
		}
	}
	return 99
}

func containsRef(rs []Ref, r Ref) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// systemPrefixes are where only root can write on a Debian or Red Hat system.
var systemPrefixes = append(catalog.Paths("etc", "usr", "bin", "sbin"), catalog.Dir("lib"), catalog.Path("boot"), catalog.Path("home.root"),
	catalog.Path("cron.spool.debian")+"root", catalog.Path("cron.spool.rhel")+"root")

// affected lists the systems, accounts and data the intrusion reached.
func (b *builder) affected() {
	r := b.r
	a := &r.Affected
	if r.Host.Name != "" || r.Host.Root != "" {
		what := firstNonEmpty(r.Host.Name, "the examined system")
		if r.Host.OS != "" {
			what += " (" + r.Host.OS + ")"
		}
		if r.Host.Root != "" && r.Host.Root != "/" {
			what += ", examined as a mounted disk at " + r.Host.Root
		}
		a.Systems = append(a.Systems, say([]Ref{r.Verdict.LastRef}, "%s", what))
	}
	var rootRefs []Ref
	accounts := map[string][]Ref{}
	var order []string
	addAccount := func(name string, ref Ref) {
		name = strings.TrimSpace(name)
		if name == "" {
			return
		}
		if _, ok := accounts[name]; !ok {
			order = append(order, name)
		}
		if !containsRef(accounts[name], ref) {
			accounts[name] = append(accounts[name], ref)
		}
	}
	for _, u := range r.Entry.Accounts {
		for _, ref := range r.Entry.Refs {
			addAccount(u, ref)
		}
	}
	for _, f := range r.Findings {
		if !f.hostile() {
			continue
		}
		if f.User != "" {
			addAccount(f.User, Ref{Finding: f.ID})
		}
		if f.User == "root" || strings.HasPrefix(f.Rule, "integrity.modified") || strings.Contains(f.Rule, "uid0") || strings.Contains(f.Rule, "ld-preload") ||
			strings.HasPrefix(f.Rule, "kmod.") || strings.Contains(f.Rule, "rootkit") {
			rootRefs = append(rootRefs, Ref{Finding: f.ID})
			continue
		}
		for _, p := range systemPrefixes {
			if strings.HasPrefix(f.Path, p) {
				rootRefs = append(rootRefs, Ref{Finding: f.ID})
				break
			}
		}
	}
	if contains(r.Entry.Accounts, "root") {
		rootRefs = append(rootRefs, r.Entry.Refs...)
	}
	for _, act := range r.Actions {
		if act.Step != "contain" {
			continue
		}
		for _, kind := range []string{"lock-user ", "revoke-key "} {
			if t, ok := strings.CutPrefix(act.What, kind); ok {
				name, _, _ := strings.Cut(t, ":")
				name, _, _ = strings.Cut(name, " ")
				addAccount(name, act.Refs[0])
			}
		}
	}
	for _, u := range order {
		a.Accounts = append(a.Accounts, say(accounts[u], "%s", u))
	}
	if len(rootRefs) > 0 {
		a.RootObtained = true
		a.Data = append(a.Data, say(rootRefs[:min(len(rootRefs), 5)],
			"The intruder acted as root (they changed what only root can change), so every file and database on the host was readable to them: web sites, databases, mail, backups, keys and passwords."))
	}
	var web []Ref
	var webPaths []string
	for _, f := range r.Findings {
		if f.hostile() && (strings.HasPrefix(f.Path, catalog.Path("www")) || strings.HasPrefix(f.Path, catalog.Path("srv"))) {
			web = append(web, Ref{Finding: f.ID})
			webPaths = append(webPaths, f.Path)
		}
	}
	if len(web) > 0 {
		a.Data = append(a.Data, say(web, "The intruder worked inside the web root (%s): the web application's files, its configuration with the database password, and so its database, were within their reach.",
			strings.Join(uniq(webPaths), ", ")))
	}
	if !a.RootObtained && len(order) > 0 {
		var refs []Ref
		for _, u := range order {
			for _, ref := range accounts[u] {
				if !containsRef(refs, ref) && len(refs) < 5 {
					refs = append(refs, ref)
				}
			}
		}
		a.Data = append(a.Data, say(refs, "In the intruder's sessions (accounts %s) every file those accounts could read was within reach: their own files, and whatever else is readable by them.",
			strings.Join(order, ", ")))
	}
	if b.dbCreds.Text != "" && (a.RootObtained || len(web) > 0) {
		a.Data = append(a.Data, b.dbCreds)
	}
	r.NotCovered = append(r.NotCovered, say(nil,
		"Which files under the web roots and which databases were readable in the intruder's sessions is not listed file by file: the case holds no file list with owners and permissions. The evidence archive's snapshot has it (nowwhat check --evidence ARCHIVE)."))
	if len(a.Accounts) == 0 && r.Entry.Known {
		a.Accounts = append(a.Accounts, say([]Ref{{File: b.invSrc}}, "No account is tied to the intrusion by the evidence in the case."))
	}
}

// personalData judges whether personal data was within the intruder's reach.
func (b *builder) personalData() {
	r := b.r
	pd := &r.PersonalData
	hostile := 0
	for _, f := range r.Findings {
		if f.hostile() {
			hostile++
		}
	}
	switch {
	case r.Affected.RootObtained || len(r.Affected.Data) > 0 && hostile > 0 && hasWeb(r):
		pd.Status = "at-risk"
		for _, d := range r.Affected.Data {
			pd.Reasons = append(pd.Reasons, d)
		}
	case r.Verdict.Last == "compromised" || r.Verdict.First == "compromised" || hostile > 0:
		pd.Status = "possible"
		pd.Reasons = append(pd.Reasons, say([]Ref{r.Verdict.LastRef}, "The server was compromised; what the intruder could read depends on the accounts they used."))
	default:
		pd.Status = "not-indicated"
		pd.Reasons = append(pd.Reasons, say([]Ref{r.Verdict.LastRef}, "Nothing in the case shows an intruder at work."))
	}
	if pd.Reasons == nil {
		pd.Reasons = []Statement{}
	}
	pd.Holds = "unknown: the operator must say whether this server holds personal data (customers, users, employees), of whom and how many"
}

func hasWeb(r *Report) bool {
	for _, d := range r.Affected.Data {
		if strings.Contains(d.Text, "web root") {
			return true
		}
	}
	return false
}

// PersonalData says whether personal data was within the intruder's reach.
type PersonalData struct {
	Status  string      `json:"status"` // at-risk, possible, not-indicated
	Reasons []Statement `json:"reasons"`
	Holds   string      `json:"holds"` // what the server holds: always for the operator to say
}

// state names the current state in a few words.
func (b *builder) state() {
	r := b.r
	hit := r.Verdict.First == "compromised" || r.Verdict.First == "suspicious" || r.Verdict.Last == "compromised" || r.Verdict.Last == "suspicious" || r.Clock != nil
	cleaned := false
	for _, s := range r.Steps {
		if s.Name == "clean" && s.Ran {
			cleaned = true
		}
	}
	switch {
	case r.Verdict.Last == "" && !r.Entry.Known:
		r.State = "unknown (no check in the case)"
	case !hit && r.Verdict.Last == "clean":
		r.State = "no compromise found"
	case b.verified:
		r.State = "back in service (verify passed " + stamp(b.verifiedAt) + ")"
	case cleaned && b.contains > 0:
		r.State = "cleaned and still contained, not yet verified for return to service"
	case cleaned:
		r.State = "cleaned, not yet verified for return to service"
	case b.contains > 0:
		r.State = "contained, not yet cleaned"
	default:
		r.State = "compromised, no containment in force"
	}
}

var vectorWords = map[string]string{
	"ssh-bruteforce":    "by guessing an SSH password",
	"ssh-valid-account": "by logging in over SSH with a valid account's password or key (stolen, leaked or reused)",
	"web-shell-upload":  "by putting a web shell (a remote-control script) on the web site and using it",
	"web-exploit":       "through a flaw in the web application",
	"valid-account":     "with a valid account",
}

// summary writes the summary in plain words.
func (b *builder) summary() {
	r := b.r
	host := firstNonEmpty(r.Host.Name, "The server")
	if r.Host.Name != "" {
		host = "The server " + r.Host.Name
	}
	switch {
	case r.Verdict.Last == "" && r.Verdict.First == "":
		r.Summary = append(r.Summary, say([]Ref{{File: "journal.jsonl"}}, "No check is recorded in this case, so there is no verdict on whether %s was broken into.", strings.ToLower(host[:1])+host[1:]))
	case r.Verdict.First == "compromised" || r.Verdict.Last == "compromised":
		ref := r.Verdict.LastRef
		if r.Clock != nil {
			ref = r.Clock.Ref
		}
		r.Summary = append(r.Summary, say([]Ref{ref}, "%s was broken into: nowwhat check found signs that mean compromise.", host))
	case r.Verdict.Last == "suspicious" || r.Verdict.First == "suspicious":
		r.Summary = append(r.Summary, say([]Ref{r.Verdict.LastRef}, "%s shows suspicious changes that no package update or administrator explains; a break-in is not proven.", host))
	default:
		r.Summary = append(r.Summary, say([]Ref{r.Verdict.LastRef}, "%s: check's verdict is %s.", host, r.Verdict.Last))
	}
	if first := b.firstHostile(); first != nil {
		r.Summary = append(r.Summary, say(first.Refs, "The first sign of the intruder is at %s.", stamp(first.Time)))
	}
	switch {
	case !r.Entry.Known:
		r.Summary = append(r.Summary, say(nil, "How they got in is not established: investigate never ran in this case."))
	case r.Entry.Vector == "unknown":
		r.Summary = append(r.Summary, say(r.Entry.Refs, "How they got in could not be found in what the logs kept."))
	default:
		s := fmt.Sprintf("They got in %s", firstNonEmpty(vectorWords[r.Entry.Vector], r.Entry.Vector))
		if len(r.Entry.Addresses) > 0 {
			s += " from " + strings.Join(r.Entry.Addresses, ", ")
		}
		if len(r.Entry.Accounts) > 0 {
			s += " as " + strings.Join(r.Entry.Accounts, ", ")
		}
		if !r.Entry.Time.IsZero() {
			s += " at " + stamp(r.Entry.Time)
		}
		s += fmt.Sprintf(" (%s confidence).", r.Entry.Confidence)
		r.Summary = append(r.Summary, say(r.Entry.Refs, "%s", s))
	}
	if r.Hole != nil && r.Hole.Summary != "" {
		r.Summary = append(r.Summary, say([]Ref{r.Hole.Source}, "The hole: %s", r.Hole.Summary))
	}
	hostile := 0
	var refs []Ref
	for _, f := range r.Findings {
		if f.hostile() {
			hostile++
			if len(refs) < 5 {
				refs = append(refs, Ref{Finding: f.ID})
			}
		}
	}
	if hostile > 0 {
		s := fmt.Sprintf("%d things the intruder left or changed were found", hostile)
		if len(r.Techniques) > 0 {
			s += fmt.Sprintf(", using %d ATT&CK techniques", len(r.Techniques))
		}
		r.Summary = append(r.Summary, say(refs, "%s.", s))
	}
	if r.Affected.RootObtained {
		r.Summary = append(r.Summary, say(r.Affected.Data[0].Refs, "They had root's rights: everything on the server must be treated as read and possibly changed."))
	} else if len(r.Affected.Accounts) > 0 && len(r.Entry.Accounts) > 0 {
		r.Summary = append(r.Summary, say(r.Entry.Refs, "Accounts used by the intruder: %s.", strings.Join(r.Entry.Accounts, ", ")))
	}
	counts := map[string]int{}
	for _, a := range r.Actions {
		counts[a.Step]++
	}
	var done []string
	for _, s := range []string{"contain", "collect", "clean", "rotate", "harden", "verify"} {
		if counts[s] > 0 {
			done = append(done, fmt.Sprintf("%s (%d)", s, counts[s]))
		}
	}
	if len(done) > 0 {
		r.Summary = append(r.Summary, say([]Ref{{File: "journal.jsonl"}}, "Done so far: %s.", strings.Join(done, ", ")))
	} else {
		r.Summary = append(r.Summary, say([]Ref{{File: "journal.jsonl"}}, "No containment, evidence collection or cleanup is recorded in this case."))
	}
	st := "Current state: " + r.State
	if r.Verdict.Last != "" && !r.Verdict.LastAt.IsZero() {
		st += fmt.Sprintf("; the last check (%s) said %s", stamp(r.Verdict.LastAt), r.Verdict.Last)
	}
	r.Summary = append(r.Summary, say([]Ref{r.Verdict.LastRef}, "%s.", st))
}

// firstHostile is the earliest hostile row of the timeline.
func (b *builder) firstHostile() *Event {
	for i := range b.r.Timeline {
		if b.r.Timeline[i].Phase == PhaseHostile {
			return &b.r.Timeline[i]
		}
	}
	return nil
}

// stamp writes a time for people, in UTC.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "(unknown time)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
