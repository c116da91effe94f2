package weblog

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// webLogs finds shared/testdata/web-logs/<name> from the package folder up, or skips the test.
func webLogs(t *testing.T, name string) string {
	t.Helper()
	return testdata.Shared(t, "web-logs", name)
}

// corpus reads every request of the access logs in folder sub of a data set through hostfs.
type corpus struct {
	reqs     []Request
	stats    Stats
	problems []string
}

func readCorpus(t *testing.T, root, sub string) corpus {
	t.Helper()
	fs, err := hostfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	files := FilesIn(fs, sub, ServerApache)
	if len(files) == 0 {
		t.Fatalf("no logs in %s%s", root, sub)
	}
	var c corpus
	rd := &Reader{FS: fs, Problem: func(p string, err error) { c.problems = append(c.problems, p+": "+err.Error()) }}
	for r := range rd.Requests(context.Background(), files) {
		c.reqs = append(c.reqs, r)
	}
	c.stats = rd.Stats()
	return c
}

type tally struct {
	byCat, byRule, bySev map[string]int
	flagged, medium      int
	mediumHits           []string
}

func classifyAll(reqs []Request) tally {
	t := tally{byCat: map[string]int{}, byRule: map[string]int{}, bySev: map[string]int{}}
	var c Classifier
	for i := range reqs {
		hits := c.Classify(&reqs[i])
		if len(hits) == 0 {
			continue
		}
		t.flagged++
		cats := map[string]bool{}
		top := 0
		for _, h := range hits {
			t.byRule[h.Rule]++
			cats[h.Category] = true
			top = max(top, SeverityRank(h.Severity))
		}
		for cat := range cats {
			t.byCat[cat]++
		}
		t.bySev[sevNames[top]]++
		if top >= sevMedium {
			t.medium++
			t.mediumHits = append(t.mediumHits, fmt.Sprintf("%s:%d %s %s", filepath.Base(reqs[i].File), reqs[i].Line, hits[0].Rule, hits[0].Evidence))
		}
	}
	return t
}

func logCounts(t *testing.T, title string, m map[string]int) {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, " %s=%d", k, m[k])
	}
	t.Logf("%s:%s", title, b.String())
}

// TestHoneynet: the 2004 honeypot's Apache logs (worms, Nikto, proxy tests) parse fully and
// their exploit attempts are found.
func TestHoneynet(t *testing.T) {
	root := webLogs(t, "honeynet-redhat71-httpd")
	c := readCorpus(t, root, "/httpd")
	for _, p := range c.problems {
		t.Logf("problem: %s", p)
	}
	const lines = 38487
	t.Logf("files %d, lines %d, parsed %d, unparsed %d, long %d", c.stats.Files, c.stats.Lines, c.stats.Parsed, c.stats.Unparsed, c.stats.Long)
	if c.stats.Lines != lines || c.stats.Parsed != lines || len(c.reqs) != lines {
		t.Errorf("lines %d, parsed %d, requests %d; want all %d", c.stats.Lines, c.stats.Parsed, len(c.reqs), lines)
	}
	for i := 1; i < len(c.reqs); i++ {
		if c.reqs[i].Time.Before(c.reqs[i-1].Time.Add(-10 * 60e9)) {
			t.Errorf("out of order: %s:%d %v after %v", c.reqs[i].File, c.reqs[i].Line, c.reqs[i].Time, c.reqs[i-1].Time)
			break
		}
	}
	tl := classifyAll(c.reqs)
	logCounts(t, "requests per category", tl.byCat)
	logCounts(t, "hits per rule", tl.byRule)
	logCounts(t, "requests by top severity", tl.bySev)
	t.Logf("flagged %d of %d lines (%.1f%%), medium or above %d", tl.flagged, len(c.reqs), 100*float64(tl.flagged)/float64(len(c.reqs)), tl.medium)

	// Spot checks against what SOURCES.md says is in there: every request of these shapes is
	// flagged, with the category given.
	checks := []struct {
		name, contains, method, cat string
	}{
		{"Nimda cmd.exe", "cmd.exe", "", CatCVEProbe},
		{"Nimda root.exe", "root.exe", "", CatCVEProbe},
		{"Code Red", "default.ida", "", CatCVEProbe},
		{"traversal", "../", "", CatTraversal},
		{"/etc/passwd", "/etc/passwd", "", CatTraversal},
		{"WebDAV SEARCH", "", "SEARCH", CatCVEProbe},
		{"CONNECT", "", "CONNECT", CatProxyAbuse},
		{"proxy", "http://", "GET", CatProxyAbuse},
		{"<script", "<script", "", CatXSS},
		{"formmail", "formmail", "", CatCVEProbe},
		{"nsiislog", "nsiislog.dll", "", CatCVEProbe},
		{"Nikto", "", "", CatScanner},
	}
	var cl Classifier
	for _, ck := range checks {
		n, missed := 0, 0
		for i := range c.reqs {
			r := &c.reqs[i]
			if ck.method != "" && r.Method != ck.method {
				continue
			}
			if ck.contains != "" && !strings.Contains(strings.ToLower(r.Method+" "+r.Target), ck.contains) {
				continue
			}
			if ck.name == "Nikto" && !strings.Contains(r.UserAgent, "Nikto") {
				continue
			}
			if ck.name == "proxy" && !strings.HasPrefix(r.Target, "http://") {
				continue
			}
			n++
			found := false
			for _, h := range cl.Classify(r) {
				found = found || h.Category == ck.cat
			}
			if !found {
				if missed < 5 {
					t.Errorf("%s: not flagged %s: %s:%d %q", ck.name, ck.cat, r.File, r.Line, r.Method+" "+r.Target)
				}
				missed++
			}
		}
		t.Logf("spot check %-14s %5d requests, %d missed", ck.name, n, missed)
		if n == 0 {
			t.Errorf("%s: no such request in the data", ck.name)
		}
	}
}

// TestElasticBenign: a real, nearly all benign Apache log gives almost no alarms (medium or
// above on well under 1% of lines).
func TestElasticBenign(t *testing.T) {
	root := webLogs(t, "elastic-apache")
	fs, err := hostfs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	f, err := fs.Open("/apache_logs")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := &Reader{Problem: func(p string, err error) { t.Errorf("problem: %s: %v", p, err) }}
	var reqs []Request
	if err := rd.StreamAccess(context.Background(), f, "/apache_logs", func(r Request) bool {
		reqs = append(reqs, r)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	st := rd.Stats()
	t.Logf("lines %d, parsed %d, unparsed %d", st.Lines, st.Parsed, st.Unparsed)
	if len(reqs) != 10000 {
		t.Errorf("parsed %d requests, want 10000", len(reqs))
	}
	tl := classifyAll(reqs)
	logCounts(t, "requests per category", tl.byCat)
	logCounts(t, "hits per rule", tl.byRule)
	logCounts(t, "requests by top severity", tl.bySev)
	t.Logf("flagged %d of %d lines, medium or above %d (%.2f%%)", tl.flagged, len(reqs), tl.medium, 100*float64(tl.medium)/float64(len(reqs)))
	for _, h := range tl.mediumHits {
		t.Logf("medium+: %s", h)
	}
	if tl.medium*100 >= len(reqs) {
		t.Errorf("%d requests with medium or higher hits, want under 1%%", tl.medium)
	}
}
