package weblog

import (
	"testing"
	"time"
)

func TestParseAccess(t *testing.T) {
	ts := time.Date(2026, 11, 26, 12, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		line string
		ok   bool
		want Request
	}{
		{"common",
			`192.0.2.7 - - [26/Nov/2026:13:04:05 +0100] "GET /index.html HTTP/1.1" 200 2326`, true,
			Request{Time: ts, Client: "192.0.2.7", Method: "GET", Target: "/index.html", Path: "/index.html", Proto: "HTTP/1.1", Status: 200, Bytes: 2326}},
		{"combined",
			`203.0.113.9 - alice [26/Nov/2026:12:04:05 +0000] "POST /wp-login.php?redirect_to=%2Fwp-admin%2F HTTP/1.1" 302 0 "https://example.org/wp-login.php" "Mozilla/5.0 (X11; Linux x86_64)"`, true,
			Request{Time: ts, Client: "203.0.113.9", User: "alice", Method: "POST", Target: "/wp-login.php?redirect_to=%2Fwp-admin%2F",
				Path: "/wp-login.php", Query: "redirect_to=%2Fwp-admin%2F", Proto: "HTTP/1.1", Status: 302, Referer: "https://example.org/wp-login.php", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}},
		{"apache vhost_combined",
			`www.example.org:443 198.51.100.4 - - [26/Nov/2026:07:04:05 -0500] "GET /a%20b/c.php HTTP/2.0" 404 196 "-" "curl/8.5.0"`, true,
			Request{Time: ts, VHost: "www.example.org", Client: "198.51.100.4", Method: "GET", Target: "/a%20b/c.php", Path: "/a b/c.php", Proto: "HTTP/2.0", Status: 404, Bytes: 196, UserAgent: "curl/8.5.0"}},
		{"nginx with $host first",
			`shop.example.net 2001:db8::17 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 612 "-" "Wget/1.21"`, true,
			Request{Time: ts, VHost: "shop.example.net", Client: "2001:db8::17", Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", Status: 200, Bytes: 612, UserAgent: "Wget/1.21"}},
		{"IPv6 client, dash size, extra fields",
			`2001:db8::1 - - [26/Nov/2026:12:04:05 +0000] "HEAD / HTTP/1.1" 304 - "-" "Go-http-client/1.1" "10.0.0.1" 0.002`, true,
			Request{Time: ts, Client: "2001:db8::1", Method: "HEAD", Target: "/", Path: "/", Proto: "HTTP/1.1", Status: 304, UserAgent: "Go-http-client/1.1"}},
		{"escaped quotes (Apache)",
			`192.0.2.1 - - [26/Nov/2026:12:04:05 +0000] "GET /?q=\"><script> HTTP/1.1" 200 5 "-" "Mozilla \"quoted\" agent"`, true,
			Request{Time: ts, Client: "192.0.2.1", Method: "GET", Target: `/?q="><script>`, Path: "/", Query: `q="><script>`, Proto: "HTTP/1.1", Status: 200, Bytes: 5, UserAgent: `Mozilla "quoted" agent`}},
		{"nginx \\x22 escapes",
			`192.0.2.1 - - [26/Nov/2026:12:04:05 +0000] "GET /?a=\x22b HTTP/1.1" 400 0 "-" "x\x22y"`, true,
			Request{Time: ts, Client: "192.0.2.1", Method: "GET", Target: `/?a="b`, Path: "/", Query: `a="b`, Proto: "HTTP/1.1", Status: 400, UserAgent: `x"y`}},
		{"unescaped quote in request (Apache 1.3)",
			`68.49.152.86 - - [26/Nov/2026:12:04:05 +0000] "GET" /cgi-bin/cart.pl?db=' HTTP/1.0" 404 287 "-" "Mozilla/4.75 (Nikto/1.32 )"`, true,
			Request{Time: ts, Client: "68.49.152.86", Target: `GET" /cgi-bin/cart.pl?db='`, Proto: "HTTP/1.0", Status: 404, Bytes: 287, UserAgent: "Mozilla/4.75 (Nikto/1.32 )"}},
		{"missing protocol (HTTP/0.9)",
			`210.99.153.6 - - [26/Nov/2026:12:04:05 +0000] "GET /scripts/nsiislog.dll" 404 - "-" "-"`, true,
			Request{Time: ts, Client: "210.99.153.6", Method: "GET", Target: "/scripts/nsiislog.dll", Path: "/scripts/nsiislog.dll", Status: 404}},
		{"request line dash (timeout)",
			`63.126.133.19 - - [26/Nov/2026:12:04:05 +0000] "-" 408 - "-" "-"`, true,
			Request{Time: ts, Client: "63.126.133.19", Status: 408}},
		{"empty request line",
			`211.196.223.10 - - [26/Nov/2026:12:04:05 +0000] "" 501 - "-" "-"`, true,
			Request{Time: ts, Client: "211.196.223.10", Status: 501}},
		{"TLS handshake on the HTTP port",
			`192.0.2.5 - - [26/Nov/2026:12:04:05 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 0 "-" "-"`, true,
			Request{Time: ts, Client: "192.0.2.5", Target: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", Status: 400}},
		{"absolute URI (proxy)",
			`192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "GET http://www.yahoo.com/x?y=1 HTTP/1.0" 200 2890 "-" "-"`, true,
			Request{Time: ts, Client: "192.0.2.8", Method: "GET", Target: "http://www.yahoo.com/x?y=1", Path: "/x", Query: "y=1", Proto: "HTTP/1.0", Status: 200, Bytes: 2890}},
		{"CONNECT",
			`192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "CONNECT 1.2.3.4:25 HTTP/1.0" 405 301 "-" "-"`, true,
			Request{Time: ts, Client: "192.0.2.8", Method: "CONNECT", Target: "1.2.3.4:25", Proto: "HTTP/1.0", Status: 405, Bytes: 301}},
		{"target with spaces",
			`192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "GET /site/' UNION SELECT 1 --/.html HTTP/1.0" 404 278 "-" "-"`, true,
			Request{Time: ts, Client: "192.0.2.8", Method: "GET", Target: "/site/' UNION SELECT 1 --/.html", Path: "/site/' UNION SELECT 1 --/.html", Proto: "HTTP/1.0", Status: 404, Bytes: 278}},
		{"ISO 8601 time (nginx $time_iso8601)",
			`192.0.2.8 - - [2026-11-26T13:04:05+01:00] "GET / HTTP/1.1" 200 1 "-" "-"`, true,
			Request{Time: ts, Client: "192.0.2.8", Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", Status: 200, Bytes: 1}},
		{"user name with a space",
			`192.0.2.8 - John Smith [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`, true,
			Request{Time: ts, Client: "192.0.2.8", User: "John Smith", Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", Status: 200, Bytes: 1}},
		{"syslog line", `Nov 26 13:04:05 web1 sshd[1]: Accepted password for root from 1.2.3.4 port 22 ssh2`, false, Request{}},
		{"bad month", `192.0.2.8 - - [26/Foo/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`, false, Request{}},
		{"no status", `192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1"`, false, Request{}},
		{"unclosed request", `192.0.2.8 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1`, false, Request{}},
		{"too few fields", `192.0.2.8 [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`, false, Request{}},
		{"empty", ``, false, Request{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseAccess(tt.line)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Four fields before the time, the second not "-": a virtual host first.
func TestParseAccessVhostHeuristic(t *testing.T) {
	r, ok := ParseAccess(`[::1]:8080 ::1 - bob [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`)
	if !ok || r.VHost != "::1" || r.Client != "::1" || r.User != "bob" {
		t.Errorf("got %+v %v", r, ok)
	}
}

func TestParseAccessTimeCache(t *testing.T) {
	var p accessParser
	var a, b Request
	if !p.parse(`1.2.3.4 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`, &a) ||
		!p.parse(`1.2.3.5 - - [26/Nov/2026:12:04:05 +0000] "GET /x HTTP/1.1" 200 1`, &b) {
		t.Fatal("not parsed")
	}
	if !a.Time.Equal(b.Time) || b.Client != "1.2.3.5" || b.Path != "/x" {
		t.Errorf("a %+v b %+v", a, b)
	}
}

func TestUnescapeLog(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `plain`},
		{`a\"b`, `a"b`},
		{`a\\b`, `a\b`},
		{`\x16\x03`, "\x16\x03"},
		{`\n\t\r\b\v`, "\n\t\r\b\v"},
		{`\xZZ`, `\xZZ`},
		{`end\`, `end\`},
		{`\q`, `\q`},
	}
	for _, tt := range tests {
		if got := unescapeLog(tt.in); got != tt.want {
			t.Errorf("unescapeLog(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
