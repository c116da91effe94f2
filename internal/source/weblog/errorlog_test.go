package weblog

import (
	"testing"
	"time"
)

func TestParseError(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		line string
		loc  *time.Location
		ok   bool
		want ErrorEvent
	}{
		{"nginx with request",
			`2026/11/26 13:04:05 [error] 1234#1234: *5 open() "/var/www/html/x.php" failed (2: No such file or directory), client: 203.0.113.9, server: example.org, request: "GET /x.php HTTP/1.1", host: "example.org"`,
			nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 0, time.UTC), Server: ServerNginx, Level: "error", Client: "203.0.113.9",
				Message: `open() "/var/www/html/x.php" failed (2: No such file or directory)`, Request: "GET /x.php HTTP/1.1", Host: "example.org"}},
		{"nginx local time, upstream and referrer",
			`2026/11/26 13:04:05 [crit] 99#99: *7 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 2001:db8::7, server: _, request: "POST /wp-login.php HTTP/2.0", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "a.example", referrer: "https://a.example/"`,
			berlin, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 12, 4, 5, 0, time.UTC), Server: ServerNginx, Level: "crit", Client: "2001:db8::7",
				Message: `connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream`,
				Request: "POST /wp-login.php HTTP/2.0", Host: "a.example"}},
		{"nginx without client",
			`2026/11/26 13:04:05 [notice] 1#1: signal process started`, nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 0, time.UTC), Server: ServerNginx, Level: "notice", Message: "signal process started"}},
		{"apache 2.2",
			`[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test`,
			nil, true,
			ErrorEvent{Time: time.Date(2000, 10, 11, 14, 32, 52, 0, time.UTC), Server: ServerApache, Level: "error", Client: "127.0.0.1",
				Message: "client denied by server configuration: /export/home/live/ap/htdocs/test"}},
		{"apache 2.4",
			`[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.4:5678] AH00037: Symbolic link not allowed or link target not accessible: /usr/local/apache2/htdocs/x`,
			nil, true,
			ErrorEvent{Time: time.Date(2000, 10, 11, 14, 32, 52, 123456000, time.UTC), Server: ServerApache, Level: "error", Client: "192.0.2.4",
				Message: "AH00037: Symbolic link not allowed or link target not accessible: /usr/local/apache2/htdocs/x"}},
		{"apache 2.4 IPv6 client, referer, php message",
			`[Thu Nov 26 13:04:05.000001 2026] [proxy_fcgi:error] [pid 1:tid 2] [client 2001:db8::5:41234] AH01071: Got error 'PHP message: PHP Warning:  Undefined variable $x in /var/www/a.php on line 3', referer: https://a.example/`,
			nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 1000, time.UTC), Server: ServerApache, Level: "error", Client: "2001:db8::5",
				Message: "AH01071: Got error 'PHP message: PHP Warning:  Undefined variable $x in /var/www/a.php on line 3', referer: https://a.example/"}},
		{"apache 2.4 without client, message starting with a bracket",
			`[Thu Nov 26 13:04:05.5 2026] [mpm_event:notice] [pid 10:tid 11] [AH00489] Apache/2.4.62 configured`,
			nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 500000000, time.UTC), Server: ServerApache, Level: "notice",
				Message: "[AH00489] Apache/2.4.62 configured"}},
		{"php-fpm",
			`[26-Nov-2026 13:04:05] WARNING: [pool www] child 12 said into stderr: "NOTICE: PHP message: PHP Warning:  system() has been disabled"`,
			nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 0, time.UTC), Server: ServerFPM, Level: "warning",
				Message: `[pool www] child 12 said into stderr: "NOTICE: PHP message: PHP Warning:  system() has been disabled"`}},
		{"php-fpm fraction",
			`[26-Nov-2026 13:04:05.250000] NOTICE: fpm is running, pid 1`, nil, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 250000000, time.UTC), Server: ServerFPM, Level: "notice", Message: "fpm is running, pid 1"}},
		{"php error_log with UTC zone",
			`[26-Nov-2026 13:04:05 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function x() in /var/www/b.php:2`,
			berlin, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 13, 4, 5, 0, time.UTC), Server: ServerFPM, Level: "fatal error",
				Message: "Uncaught Error: Call to undefined function x() in /var/www/b.php:2"}},
		{"php stack trace line",
			`[26-Nov-2026 13:04:05 Europe/Berlin] PHP   1. {main}() /var/www/b.php:0`, berlin, true,
			ErrorEvent{Time: time.Date(2026, 11, 26, 12, 4, 5, 0, time.UTC), Server: ServerFPM,
				Message: "PHP   1. {main}() /var/www/b.php:0"}},
		{"continuation", `Stack trace:`, nil, false, ErrorEvent{}},
		{"bad nginx date", `2026/13/26 13:04:05 [error] 1#1: x`, nil, false, ErrorEvent{}},
		{"bad apache date", `[Wed Foo 11 14:32:52 2000] [error] x`, nil, false, ErrorEvent{}},
		{"apache without level", `[Wed Oct 11 14:32:52 2000] message`, nil, false, ErrorEvent{}},
		{"access line", `1.2.3.4 - - [26/Nov/2026:12:04:05 +0000] "GET / HTTP/1.1" 200 1`, nil, false, ErrorEvent{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseError(tt.line, tt.loc)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if ok && got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
