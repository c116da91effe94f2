package investigate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/source/weblog"
)

// Bounds of the web analysis: clients and rows kept, so a flood of requests cannot exhaust
// memory (totals stay exact in the findings).
const (
	maxWebClients = 100000
	maxWebRows    = 20000
)

// webClient is what one client did to the web sites.
type webClient struct {
	ip      string
	hits    map[string]*webHits // by category
	success []weblog.Request    // exploit requests the server answered with success
}

type webHits struct {
	count    int
	sev      string
	rules    map[string]bool
	first    time.Time
	last     time.Time
	examples []string
	attack   []string
}

// webState holds what the web server logs say.
type webState struct {
	clients  map[string]*webClient
	order    []string
	dropped  int
	requests int
	rows     int
	tracker  weblog.Tracker
}

// exploitCategories are attacks whose success gives code execution or data.
var exploitCategories = map[string]bool{weblog.CatSQLi: true, weblog.CatCmdInjection: true, weblog.CatLFI: true, weblog.CatRFI: true,
	weblog.CatLog4Shell: true, weblog.CatShellshock: true, weblog.CatPHPInjection: true, weblog.CatCVEProbe: true, weblog.CatTraversal: true}

// webLogs reads the web servers' access and error logs: attacks, requests to the web shells
// check found, uploads followed by requests to the uploaded file, scanners.
func (v *investigation) webLogs(ctx context.Context) {
	files := weblog.Files(v.fs)
	if len(files) == 0 {
		return
	}
	w := &webState{clients: map[string]*webClient{}}
	v.web = w
	rd := &weblog.Reader{FS: v.fs, Problem: v.problem}
	var cl weblog.Classifier
	for r := range rd.Requests(ctx, files) {
		w.requests++
		w.tracker.Add(r)
		hits := cl.Classify(&r)
		if len(hits) == 0 {
			continue
		}
		c := w.client(r.Client)
		if c == nil {
			continue
		}
		for _, h := range hits {
			x := c.hits[h.Category]
			if x == nil {
				x = &webHits{rules: map[string]bool{}, first: r.Time, attack: h.Attack}
				c.hits[h.Category] = x
			}
			x.count++
			x.last = r.Time
			x.rules[h.Rule] = true
			if weblog.SeverityRank(h.Severity) > weblog.SeverityRank(x.sev) {
				x.sev = h.Severity
			}
			if len(x.examples) < 3 {
				x.examples = append(x.examples, fmt.Sprintf("%s line %d: %s", r.File, r.Line, h.Evidence))
			}
		}
		top := hits[0]
		if exploitCategories[top.Category] && r.Status >= 200 && r.Status < 300 && weblog.SeverityRank(top.Severity) >= weblog.SeverityRank("high") && len(c.success) < 20 {
			c.success = append(c.success, r)
		}
		if weblog.SeverityRank(top.Severity) >= weblog.SeverityRank("medium") && w.rows < maxWebRows {
			w.rows++
			v.timeline = append(v.timeline, Event{Time: r.Time, Source: "web", Host: r.VHost, Event: top.Rule, IP: r.Client,
				Detail: fmt.Sprintf("%s %s %s -> %d (%s)", r.Client, r.Method, finding.Clip(r.Target, 160), r.Status, top.Category), weight: 2})
		}
	}
	st := rd.Stats()
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("web access logs: %d files, %d requests (%d lines not understood)", st.Files, w.requests, st.Unparsed))
	v.webFindings()
	v.webShellAccess()
	v.webErrors(ctx, rd, files)
}

func (w *webState) client(ip string) *webClient {
	c := w.clients[ip]
	if c == nil {
		if len(w.clients) >= maxWebClients {
			w.dropped++
			return nil
		}
		c = &webClient{ip: ip, hits: map[string]*webHits{}}
		w.clients[ip] = c
		w.order = append(w.order, ip)
	}
	return c
}

// webFindings reports each client's attacks per kind, the ones the server answered with
// success, and uploads followed by requests to the uploaded file.
func (v *investigation) webFindings() {
	w := v.web
	for _, ip := range w.order {
		c := w.clients[ip]
		cats := make([]string, 0, len(c.hits))
		for k := range c.hits {
			cats = append(cats, k)
		}
		sort.Strings(cats)
		for _, cat := range cats {
			x := c.hits[cat]
			sev := webSeverity(x.sev)
			if cat == weblog.CatScanner || cat == "login-attempt" || cat == weblog.CatAdminProbe || cat == weblog.CatProxyAbuse {
				sev = finding.Info // report, don't alarm: every server on the Internet sees these
			} else if sev > finding.Low {
				sev = finding.Low // attempts; success is judged separately below
			}
			var ids []string
			for r := range x.rules {
				ids = append(ids, r)
			}
			sort.Strings(ids)
			v.findings = append(v.findings, rules.Finding("web."+cat, finding.Finding{Severity: sev, SourceIP: ip, Time: x.first.UTC().Format(time.RFC3339),
				Attack: x.attack, Title: fmt.Sprintf("%d %s requests from %s (%s to %s)", x.count, cat, ip, stamp(x.first), stamp(x.last)),
				Evidence: append(append([]string{}, x.examples...), "rules: "+strings.Join(ids, ", "))}))
		}
		for _, r := range c.success {
			v.findings = append(v.findings, rules.Finding("web.exploit-success", finding.Finding{Severity: finding.High, SourceIP: ip, Time: r.Time.UTC().Format(time.RFC3339),
				Attack: []string{"T1190"}, Title: fmt.Sprintf("%s %s %s was answered %d: an attack the application may have let through", ip, r.Method, finding.Clip(r.Target, 100), r.Status),
				Evidence: []string{fmt.Sprintf("%s line %d: %s %s %s %d", r.File, r.Line, r.Client, r.Method, r.Target, r.Status)}}))
		}
	}
	for _, f := range w.tracker.Findings() {
		v.findings = append(v.findings, rules.Finding("web.upload-then-access", finding.Finding{Severity: finding.High, SourceIP: f.Client, Path: f.Path,
			Time: f.Time.UTC().Format(time.RFC3339), Attack: []string{"T1505.003", "T1190"}, Evidence: f.Evidence,
			Title: fmt.Sprintf("an upload was followed by the first request to a new script %s from %s", f.Path, f.Client)}))
		v.timeline = append(v.timeline, Event{Time: f.Time, Source: "web", Event: "upload-then-access", IP: f.Client, Path: f.Path,
			Detail: fmt.Sprintf("%s called the newly uploaded %s", f.Client, f.Path), weight: 8})
	}
}

func webSeverity(s string) finding.Severity {
	var v finding.Severity
	if err := v.UnmarshalText([]byte(s)); err != nil {
		return finding.Low
	}
	return v
}

// webShellAccess finds, for each web shell check found on disk, the first request to it in the
// access logs: the moment the intruder used it, and from where.
func (v *investigation) webShellAccess() {
	for _, f := range v.chk.Findings {
		if f.Rule != "implant.webshell" || f.Path == "" {
			continue
		}
		r, ok := v.web.tracker.FirstAccessFile(f.Path)
		if !ok {
			continue
		}
		v.findings = append(v.findings, rules.Finding("web.webshell-first-access", finding.Finding{Severity: finding.Critical, Strong: f.Strong, Path: f.Path,
			SourceIP: r.Client, Time: r.Time.UTC().Format(time.RFC3339), Attack: []string{"T1505.003"},
			Evidence: []string{fmt.Sprintf("%s line %d: %s %s %s %d %q", r.File, r.Line, r.Client, r.Method, r.Target, r.Status, r.UserAgent)},
			Title:    fmt.Sprintf("the web shell %s was first requested by %s at %s", f.Path, r.Client, stamp(r.Time))}))
		v.timeline = append(v.timeline, Event{Time: r.Time, Source: "web", Event: "webshell-first-access", IP: r.Client, Path: f.Path,
			Detail: fmt.Sprintf("%s %s %s -> %d: first request to the web shell", r.Client, r.Method, r.Target, r.Status), Malicious: true, weight: 10})
	}
}

// webErrors puts the error logs' serious lines on the timeline.
func (v *investigation) webErrors(ctx context.Context, rd *weblog.Reader, files []weblog.LogFile) {
	n := 0
	for e := range rd.Errors(ctx, files) {
		lvl := strings.ToLower(e.Level)
		if lvl != "error" && lvl != "crit" && lvl != "alert" && lvl != "emerg" && !strings.Contains(lvl, "fatal") {
			continue
		}
		if n++; n > 5000 {
			continue
		}
		v.timeline = append(v.timeline, Event{Time: e.Time, Source: "web-error", Host: e.Host, Event: "error", IP: e.Client,
			Detail: finding.Clip(e.Message, 200), weight: 0})
	}
}
