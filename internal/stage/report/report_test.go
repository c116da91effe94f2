package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func build(t *testing.T, c *casedir.Case, now time.Time) *Report {
	t.Helper()
	r, err := Build(c, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -run %s -update if the change is intended)", name, i+1, gl[i], wl[i], t.Name())
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d (-update if intended)", name, len(gl), len(wl))
	}
}

// TestGolden: the Markdown and JSON forms of a case with known times are exactly the golden
// files (the case folder's path is not in them: the report names the folder only).
func TestGolden(t *testing.T) {
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(26*time.Hour))
	var md, js bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), c.Dir) || strings.Contains(js.String(), c.Dir) {
		t.Error("the report names the case folder's local path")
	}
	golden(t, "report.md", md.Bytes())
	golden(t, "report.json", js.Bytes())
}

func TestFullCase(t *testing.T) {
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(26*time.Hour))
	if r.Verdict.Last != "compromised" || r.Host.Name != "web1" {
		t.Errorf("verdict %q host %q", r.Verdict.Last, r.Host.Name)
	}
	if !r.Custody.Journal.Intact || r.Custody.Journal.Entries != 6 {
		t.Errorf("journal %+v", r.Custody.Journal)
	}
	if r.Entry.Vector != "ssh-bruteforce" || strings.Join(r.Entry.Addresses, ",") != "203.0.113.66" {
		t.Errorf("entry %+v", r.Entry)
	}
	// The timeline starts with the intruder and is in order.
	if len(r.Timeline) == 0 || r.Timeline[0].Phase != PhaseHostile {
		t.Fatalf("timeline %+v", r.Timeline)
	}
	for i := 1; i < len(r.Timeline); i++ {
		if r.Timeline[i].Time.Before(r.Timeline[i-1].Time) {
			t.Errorf("timeline out of order at %d", i)
		}
	}
	// The two failed guesses fold into one row; alice's own login is not the intruder's.
	for _, e := range r.Timeline {
		if strings.Contains(e.What, "alice") && e.Phase == PhaseHostile {
			t.Errorf("the operator's login is on the intrusion's timeline: %+v", e)
		}
		if len(e.Refs) == 0 {
			t.Errorf("timeline row without evidence: %+v", e)
		}
	}
	// Every statement links to evidence.
	for _, s := range append(append([]Statement{}, r.Summary...), r.Affected.Data...) {
		if len(s.Refs) == 0 {
			t.Errorf("statement without evidence: %q", s.Text)
		}
	}
	// ATT&CK techniques with names and the findings that show them.
	techs := map[string]Technique{}
	for _, tq := range r.Techniques {
		techs[tq.ID] = tq
	}
	if tq, ok := techs["T1505.003"]; !ok || tq.Name != "Server Software Component: Web Shell" || tq.Tactic != "persistence" || len(tq.Findings) == 0 {
		t.Errorf("web shell technique %+v", tq)
	}
	if _, ok := techs["T1110.001"]; !ok {
		t.Errorf("techniques %v", techs)
	}
	// Indicators: the address, the reverse shell's destination (the same), the domain and URL of
	// the download, the hash, the files, the key.
	got := map[string]bool{}
	for _, in := range r.Indicators {
		got[in.Type+" "+in.Value] = true
		if len(in.Refs) == 0 {
			t.Errorf("indicator without evidence: %+v", in)
		}
	}
	for _, want := range []string{"ipv4 203.0.113.66", "domain evil.example.net", "url http://evil.example.net/x.sh", "sha256 ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
		"path /var/spool/cron/crontabs/deploy", "ssh-key SHA256:Xk2nq6mYbQ0Cw3Jk8l1c3o5bYt0mVhQk7vUo4hJmPzI"} {
		if !got[want] {
			t.Errorf("indicator %q missing: %v", want, got)
		}
	}
	if got["ipv4 192.0.2.10"] {
		t.Error("the operator's address is an indicator")
	}
	// Custody: the archive with its sidecar, the results against the journal.
	if len(r.Custody.Archives) != 1 || !strings.HasPrefix(r.Custody.Archives[0].Sidecar, "matches") || !r.Custody.Archives[0].Encrypted || r.Custody.Archives[0].By != "alice (via sudo)" {
		t.Errorf("archives %+v", r.Custody.Archives)
	}
	for _, f := range r.Custody.Results {
		if !strings.HasPrefix(f.Check, "matches journal.jsonl line") {
			t.Errorf("result %+v", f)
		}
	}
	// Actions with time and operator.
	steps := map[string]int{}
	for _, a := range r.Actions {
		steps[a.Step]++
		if a.Operator == "" || a.Time.IsZero() || len(a.Refs) == 0 {
			t.Errorf("action lacks time, operator or evidence: %+v", a)
		}
	}
	if steps["contain"] != 1 || steps["collect"] != 1 || steps["clean"] != 1 || steps["rotate"] != 1 {
		t.Errorf("actions by step %v", steps)
	}
	if r.State != "cleaned and still contained, not yet verified for return to service" {
		t.Errorf("state %q", r.State)
	}
	// Missing steps are said, not invented.
	missing := map[string]bool{}
	for _, s := range r.Steps {
		if s.Missing != "" {
			missing[s.Name] = true
		}
	}
	for _, m := range []string{"loophole", "harden", "verify"} {
		if !missing[m] {
			t.Errorf("%s not reported missing: %+v", m, r.Steps)
		}
	}
	// Rotate's credentials, with their state, and the database password as data at risk.
	var rot *Step
	for i := range r.Steps {
		if r.Steps[i].Name == "rotate" {
			rot = &r.Steps[i]
		}
	}
	if rot == nil || rot.Section == nil || len(rot.Section.Items) != 3 || !strings.Contains(rot.Section.Items[1].Text, "DB_PASSWORD (/var/www/html/wp-config.php:23, owner www-data) [applied]") {
		t.Errorf("rotate section %+v", rot)
	}
	dbData := false
	for _, d := range r.Affected.Data {
		dbData = dbData || strings.Contains(d.Text, "Database passwords were stored on the host (wordpress)")
	}
	if !dbData {
		t.Errorf("database credentials not among the data at risk: %+v", r.Affected.Data)
	}
	if !strings.Contains(fmt.Sprint(r.NotCovered), "1 of 3 credentials are not yet proven rotated") {
		t.Errorf("unproven rotation not said: %v", r.NotCovered)
	}
	if missing["clean"] || missing["contain"] || missing["collect"] || missing["rotate"] {
		t.Errorf("a step that ran reported missing: %v", missing)
	}
	if len(r.Lessons) < 8 || len(r.CSF) != 8 {
		t.Errorf("%d lessons, %d CSF outcomes", len(r.Lessons), len(r.CSF))
	}
}

// TestRootObtained: a finding in a system path means root, and everything on the host is data
// at risk.
func TestRootObtained(t *testing.T) {
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(time.Hour))
	// The cron file of deploy is not a system path; the web shell neither: not root.
	if r.Affected.RootObtained {
		t.Errorf("root claimed without evidence: %+v", r.Affected.Data)
	}
	if r.PersonalData.Status != "at-risk" {
		t.Errorf("web root reached: personal data %q", r.PersonalData.Status)
	}
}

// TestMissingSteps: a case with only a check says that containment and evidence are missing and
// makes up neither.
func TestMissingSteps(t *testing.T) {
	c := syntheticCase(t, caseParts{check: true})
	r := build(t, c, T0.Add(time.Hour))
	if r.Custody.Containment != nil || len(r.Custody.Archives) != 0 {
		t.Errorf("custody invented: %+v", r.Custody)
	}
	for _, a := range r.Actions {
		t.Errorf("action invented: %+v", a)
	}
	var md bytes.Buffer
	r.WriteMarkdown(&md)
	for _, want := range []string{"No contain in this case", "No collect in this case", "No investigate in this case", "No evidence archive: collect never ran",
		"Not established: investigate never ran", "No containment, evidence collection or cleanup is recorded"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if r.Entry.Known || r.Entry.Vector != "unknown" {
		t.Errorf("entry invented: %+v", r.Entry)
	}
	// No collect but containment: the archive is missing, containment is there.
	c = syntheticCase(t, caseParts{check: true, contain: true})
	r = build(t, c, T0.Add(time.Hour))
	if r.Custody.Containment == nil || len(r.Custody.Archives) != 0 {
		t.Errorf("custody %+v", r.Custody)
	}
	if r.State != "contained, not yet cleaned" {
		t.Errorf("state %q", r.State)
	}
}

// TestClock: 72 hours from the first compromised verdict the journal recorded; before it, the
// time left; after it, the time since and the delay paragraph in the letter.
func TestClock(t *testing.T) {
	c := syntheticCase(t, fullCase)
	for _, tc := range []struct {
		now    time.Duration
		passed bool
		left   string
	}{
		{26 * time.Hour, false, "1 d 22 h 0 min left"},
		{71*time.Hour + 59*time.Minute, false, "1 min left"},
		{72 * time.Hour, false, "0 min left"},
		{75*time.Hour + 30*time.Minute, true, "passed 3 h 30 min ago"},
		{10 * 24 * time.Hour, true, "passed 7 d 0 h 0 min ago"},
	} {
		r := build(t, c, T0.Add(tc.now))
		if r.Clock == nil {
			t.Fatal("no clock")
		}
		if !r.Clock.Aware.Equal(T0) || !r.Clock.Deadline.Equal(T0.Add(72*time.Hour)) || r.Clock.Passed != tc.passed || r.Clock.Left != tc.left {
			t.Errorf("now +%v: %+v", tc.now, r.Clock)
		}
		var dpa string
		for _, l := range r.Letters() {
			if l.Name == "dpa" {
				dpa = l.Text
			}
		}
		if got := strings.Contains(dpa, "Reasons for the delay"); got != tc.passed {
			t.Errorf("now +%v: delay paragraph %v", tc.now, got)
		}
		if !strings.Contains(dpa, "2026-11-23 09:30:00 UTC") {
			t.Errorf("deadline not in the letter:\n%s", dpa)
		}
	}
	// A case whose first check was clean and a later one compromised starts the clock at the
	// later one; a case with no compromised verdict has no clock.
	c2, _ := casedir.Open(filepath.Join(t.TempDir(), "c2"))
	c2.Append(casedir.Entry{Time: T0, Command: "check", Args: []string{"check"}, Outcome: "clean", Facts: map[string]string{"verdict": "clean"}})
	if r := build(t, c2, T0.Add(time.Hour)); r.Clock != nil {
		t.Errorf("clock without a compromised verdict: %+v", r.Clock)
	}
	c2.Append(casedir.Entry{Time: T0.Add(5 * time.Hour), Command: "check", Args: []string{"check"}, Outcome: "compromised", Facts: map[string]string{"verdict": "compromised"}})
	c2.Append(casedir.Entry{Time: T0.Add(6 * time.Hour), Command: "check", Args: []string{"check"}, Outcome: "compromised", Facts: map[string]string{"verdict": "compromised"}})
	r := build(t, c2, T0.Add(6*time.Hour))
	if r.Clock == nil || !r.Clock.Aware.Equal(T0.Add(5*time.Hour)) || r.Clock.Ref.Line != 2 {
		t.Errorf("clock %+v", r.Clock)
	}
}

// TestBrokenChain: an edited journal line is reported, and the report still comes out.
func TestBrokenChain(t *testing.T) {
	c := syntheticCase(t, fullCase)
	p := filepath.Join(c.Dir, casedir.JournalName)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte(`"items":"1234"`), []byte(`"items":"1000"`), 1), 0o600)
	r := build(t, c, T0.Add(time.Hour))
	if r.Custody.Journal.Intact || !strings.Contains(r.Custody.Journal.Problem, "line 4") {
		t.Errorf("journal %+v", r.Custody.Journal)
	}
	var md bytes.Buffer
	r.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "hash chain **BROKEN**") {
		t.Error("the broken chain is not in the report's head")
	}
	// A changed result file no longer matches its journal entry.
	list, _ := c.Results("check")
	os.WriteFile(list[0], []byte(`{"verdict":"clean","findings":[]}`), 0o600)
	r = build(t, c, T0.Add(time.Hour))
	differs := false
	for _, f := range r.Custody.Results {
		if f.Step == "check" && strings.HasPrefix(f.Check, "DIFFERS") {
			differs = true
		}
	}
	if !differs {
		t.Errorf("changed result not flagged: %+v", r.Custody.Results)
	}
}

func TestEmptyFolder(t *testing.T) {
	c, _ := casedir.Open(t.TempDir())
	if _, err := Build(c, Options{}); err == nil || !strings.Contains(err.Error(), "no case journal") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestEscaping: a hostile file name reaches neither Markdown nor HTML as markup or as a control
// character.
func TestEscaping(t *testing.T) {
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(time.Hour))
	var md, html bytes.Buffer
	r.WriteMarkdown(&md)
	r.WriteHTML(&html)
	for name, out := range map[string]string{"md": md.String(), "html": html.String()} {
		if strings.ContainsAny(out, "\x1b\u202e") {
			t.Errorf("%s: control character passed through", name)
		}
		if strings.Contains(out, "<script>") {
			t.Errorf("%s: the host's <script> passed through", name)
		}
	}
	if !strings.Contains(md.String(), `\\x1b\[31m\*up\*\_load\_&lt;script&gt;x&lt;/script&gt;\|\[a\](b)\\u202e.php`) {
		t.Errorf("markdown escaping of the hostile name:\n%s", grepLine(md.String(), "load"))
	}
	if strings.Contains(html.String(), "<script") {
		t.Error("html has a script element")
	}
	for _, l := range r.Letters() {
		if strings.ContainsAny(l.Text, "\x1b\u202e") {
			t.Errorf("letter %s: control character", l.Name)
		}
	}
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestMD(t *testing.T) {
	for in, want := range map[string]string{
		"plain words 2026-11-20 12:00": "plain words 2026-11-20 12:00",
		"*bold* _it_ `code` [l](u)":    `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \[l\](u)`,
		"# heading":                    `\# heading`,
		"- item":                       `\- item`,
		"1. list":                      `1\. list`,
		"a|b":                          `a\|b`,
		"<b>&":                         "&lt;b&gt;&",
		"&amp; &#39; &#x1b; AT&T":      `&amp;amp; &amp;\#39; &amp;\#x1b; AT&T`,
		"esc\x1b[0m":                   `esc\\x1b\[0m`,
		"line\nbreak":                  `line\\nbreak`,
		"bad\xffutf8":                  `bad\\xffutf8`,
		"rtl\u202eoverride":            `rtl\\u202eoverride`,
	} {
		if got := MD(in); got != want {
			t.Errorf("MD(%q) = %q, want %q", in, got, want)
		}
	}
}

var entityRe = regexp.MustCompile(`&[A-Za-z0-9#]+;`)

func FuzzMD(f *testing.F) {
	f.Add("&amp;&#x3c;script&#62;")
	f.Add("*x*\x1b[31m<b>|")
	f.Add("1. \u202e")
	f.Fuzz(func(t *testing.T, s string) {
		out := MD(s)
		rest := strings.NewReplacer("&lt;", " ", "&gt;", " ", "&amp;", " ").Replace(out)
		if strings.ContainsAny(out, "\x00\x1b\r\n<>\u202e") || entityRe.MatchString(rest) {
			t.Fatalf("MD(%q) = %q", s, out)
		}
	})
}

func TestLetters(t *testing.T) {
	c := syntheticCase(t, fullCase)
	r := build(t, c, T0.Add(time.Hour))
	ls := r.Letters()
	names := map[string]string{}
	for _, l := range ls {
		names[l.Name] = l.Text
		if strings.Count(l.Text, "nowwhat is not a lawyer") != 1 {
			t.Errorf("%s: the counsel note should be said once", l.Name)
		}
		if !strings.Contains(l.Text, "[FILL:") {
			t.Errorf("%s: nothing marked for the operator", l.Name)
		}
	}
	for _, n := range []string{"dpa", "people", "abuse", "management"} {
		if names[n] == "" {
			t.Errorf("letter %s missing", n)
		}
	}
	for _, want := range []string{"Article 33(3)(a)", "Article 33(3)(b)", "Article 33(3)(c)", "Article 33(3)(d)", "203.0.113.66", "web1"} {
		if !strings.Contains(names["dpa"], want) {
			t.Errorf("dpa letter lacks %q", want)
		}
	}
	if !strings.Contains(names["abuse"], "203.0.113.66") || !strings.Contains(names["abuse"], "Accepted password for deploy") {
		t.Errorf("abuse letter:\n%s", names["abuse"])
	}
	// No intrusion: no letter to the people.
	c2, _ := casedir.Open(filepath.Join(t.TempDir(), "c2"))
	c2.Append(casedir.Entry{Time: T0, Command: "check", Args: []string{"check"}, Outcome: "clean", Facts: map[string]string{"verdict": "clean"}})
	for _, l := range build(t, c2, T0).Letters() {
		if l.Name == "people" {
			t.Error("a letter to the people for a clean host")
		}
	}
}
