package weblog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/textline"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func xzs(t *testing.T, s string) string {
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func zst(t *testing.T, s string) string {
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func access(ts, client, target string, status int) string {
	return client + ` - - [` + ts + ` +0000] "GET ` + target + ` HTTP/1.1" ` + itoa(status) + ` 10 "-" "test"` + "\n"
}

func openFS(t *testing.T, r *fixture.Root) *hostfs.FS {
	t.Helper()
	fs, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

func TestFiles(t *testing.T) {
	r := fixture.New(t)
	r.File("/var/log/nginx/access.log", "", 0o640)
	r.File("/var/log/nginx/access.log.1", "", 0o640)
	r.File("/var/log/nginx/access.log.2.gz", gz(""), 0o640)
	r.File("/var/log/nginx/access.log.10.gz", gz(""), 0o640)
	r.File("/var/log/nginx/error.log", "", 0o640)
	r.File("/var/log/nginx/shop.example.access.log", "", 0o640)
	r.File("/var/log/nginx/README", "", 0o644)
	r.MkdirAll("/var/log/nginx/old-access", 0o755)
	r.File("/var/log/apache2/other_vhosts_access.log", "", 0o640)
	r.File("/var/log/apache2/error.log.1", "", 0o640)
	r.File("/var/log/apache2/modsec_audit.log", "", 0o640)
	r.File("/var/log/httpd/access_log", "", 0o640)
	r.File("/var/log/httpd/access_log-20260105", "", 0o640)
	r.File("/var/log/httpd/access_log-20251229.gz", gz(""), 0o640)
	r.File("/var/log/httpd/ssl_request_log", "", 0o640)
	r.File("/var/log/httpd/error_log", "", 0o640)
	r.File("/var/log/php8.2-fpm.log", "", 0o640)
	r.File("/var/log/php8.2-fpm.log.1", "", 0o640)
	r.File("/var/log/php-fpm/www-error.log", "", 0o640)
	r.File("/var/log/php-fpm/www-slow.log", "", 0o640)
	r.File("/var/log/syslog", "", 0o640)
	got := Files(openFS(t, r))
	var lines []string
	for _, f := range got {
		lines = append(lines, f.Path+" "+f.Kind+" "+f.Server+" "+itoa(f.Rotation)+" "+f.Compression)
	}
	want := []string{
		"/var/log/nginx/access.log.10.gz access nginx 10 gzip",
		"/var/log/nginx/access.log.2.gz access nginx 2 gzip",
		"/var/log/nginx/access.log.1 access nginx 1 ",
		"/var/log/nginx/access.log access nginx 0 ",
		"/var/log/nginx/error.log error nginx 0 ",
		"/var/log/nginx/shop.example.access.log access nginx 0 ",
		"/var/log/apache2/error.log.1 error apache 1 ",
		"/var/log/apache2/other_vhosts_access.log access apache 0 ",
		"/var/log/httpd/access_log-20251229.gz access apache 2 gzip",
		"/var/log/httpd/access_log-20260105 access apache 1 ",
		"/var/log/httpd/access_log access apache 0 ",
		"/var/log/httpd/error_log error apache 0 ",
		"/var/log/php-fpm/www-error.log fpm php-fpm 0 ",
		"/var/log/php8.2-fpm.log.1 fpm php-fpm 1 ",
		"/var/log/php8.2-fpm.log fpm php-fpm 0 ",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if fs := Files(openFS(t, fixture.New(t))); len(fs) != 0 {
		t.Errorf("empty host: %v", fs)
	}
}

func TestReaderRequests(t *testing.T) {
	r := fixture.New(t)
	// Two logs (a virtual host and the default), rotated and compressed: read merged by time.
	r.File("/var/log/nginx/access.log.2.gz", gz(access("26/Nov/2026:10:00:00", "192.0.2.1", "/a", 200)+
		access("26/Nov/2026:10:00:10", "192.0.2.1", "/b", 200)), 0o640)
	r.File("/var/log/nginx/access.log.1", access("26/Nov/2026:11:00:00", "192.0.2.1", "/c", 200)+
		"garbage line\n\n"+access("26/Nov/2026:11:00:30", "192.0.2.1", "/d", 200), 0o640)
	r.File("/var/log/nginx/access.log", access("26/Nov/2026:12:00:00", "192.0.2.1", "/e", 200), 0o640)
	r.File("/var/log/nginx/shop.access.log.1.xz", xzs(t, access("26/Nov/2026:10:00:05", "198.51.100.1", "/s1", 200)), 0o640)
	r.File("/var/log/nginx/shop.access.log", zst(t, access("26/Nov/2026:11:00:20", "198.51.100.1", "/s2", 200)), 0o640)
	r.File("/var/log/nginx/error.log", "2026/11/26 13:00:00 [error] 1#1: *1 x, client: 192.0.2.1, server: a, request: \"GET / HTTP/1.1\", host: \"a\"\n", 0o640)
	fs := openFS(t, r)
	var problems []string
	var skipped *textline.Skipped
	rd := &Reader{FS: fs, Problem: func(p string, err error) {
		problems = append(problems, p+": "+err.Error())
		errors.As(err, &skipped)
	}}
	var got []string
	for q := range rd.Requests(context.Background(), Files(fs)) {
		got = append(got, q.Path+"@"+q.File[len("/var/log/nginx/"):]+":"+itoa(q.Line))
	}
	want := "/a@access.log.2.gz:1 /s1@shop.access.log.1.xz:1 /b@access.log.2.gz:2 /c@access.log.1:1 /s2@shop.access.log:1 /d@access.log.1:4 /e@access.log:1"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	st := rd.Stats()
	if st.Files != 5 || st.Parsed != 7 || st.Unparsed != 1 || st.Lines != 9 {
		t.Errorf("stats %+v", st)
	}
	if len(problems) != 1 || skipped == nil || skipped.Count != 1 || skipped.Lines[0] != 2 {
		t.Errorf("problems %q", problems)
	}
	// Stopping early stops every log.
	n := 0
	for range rd.Requests(context.Background(), Files(fs)) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("stopped after %d", n)
	}
}

func TestReaderErrors(t *testing.T) {
	r := fixture.New(t)
	r.File("/var/log/nginx/error.log", "2026/11/26 13:00:00 [error] 1#1: *1 boom, client: 192.0.2.1, server: a, request: \"GET /x.php HTTP/1.1\", host: \"a\"\n", 0o640)
	r.File("/var/log/apache2/error.log", "[Thu Nov 26 12:30:00.000001 2026] [php:error] [pid 1:tid 2] [client 192.0.2.2:1234] PHP Parse error: x\n", 0o640)
	r.File("/var/log/php8.2-fpm.log", "[26-Nov-2026 12:45:00] WARNING: [pool www] child 12 said into stderr: \"x\"\nnot a line\n", 0o640)
	r.File("/var/log/nginx/access.log", access("26/Nov/2026:10:00:00", "192.0.2.1", "/a", 200), 0o640)
	fs := openFS(t, r)
	var problems int
	rd := &Reader{FS: fs, Location: time.FixedZone("CET", 3600), Problem: func(string, error) { problems++ }}
	var got []string
	for e := range rd.Errors(context.Background(), Files(fs)) {
		got = append(got, e.Time.Format("15:04")+" "+e.Server+" "+e.Client)
	}
	want := "11:30 apache 192.0.2.2 11:45 php-fpm  12:00 nginx 192.0.2.1"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %q\nwant %q", strings.Join(got, " "), want)
	}
	if problems != 1 {
		t.Errorf("%d problems, want 1 (the line not understood)", problems)
	}
}

func TestReaderProblems(t *testing.T) {
	r := fixture.New(t)
	r.File("/var/log/nginx/access.log.1.gz", "not gzip at all", 0o640)
	r.File("/var/log/nginx/access.log.2.gz", "\x1f\x8b\x08\x00broken", 0o640)
	r.Symlink("/dev/null", "/var/log/nginx/access.log")
	big := strings.Repeat(access("26/Nov/2026:10:00:00", "192.0.2.1", "/a", 200), 100)
	r.File("/var/log/apache2/access.log", big, 0o640)
	fs := openFS(t, r)
	var problems []string
	rd := &Reader{FS: fs, MaxBytes: 1000, Problem: func(p string, err error) { problems = append(problems, p+": "+err.Error()) }}
	n := 0
	for range rd.Requests(context.Background(), Files(fs)) {
		n++
	}
	if n == 0 || n >= 100 {
		t.Errorf("%d requests within the byte limit", n)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"access.log.2.gz", "/var/log/nginx/access.log: ", "read limit"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no problem about %q in\n%s", want, joined)
		}
	}
	// A cancelled context stops reading.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range rd.Requests(ctx, Files(fs)) {
		t.Fatal("request after cancel")
	}
}

func TestReaderLongLine(t *testing.T) {
	r := fixture.New(t)
	long := `192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET /` + strings.Repeat("A", MaxLine) + ` HTTP/1.1" 414 0 "-" "-"` + "\n"
	r.File("/var/log/nginx/access.log", long+access("26/Nov/2026:10:00:01", "192.0.2.1", "/ok", 200), 0o640)
	fs := openFS(t, r)
	rd := &Reader{FS: fs}
	var got []string
	for q := range rd.Requests(context.Background(), Files(fs)) {
		got = append(got, q.Path)
	}
	if len(got) != 1 || got[0] != "/ok" || rd.Stats().Long != 1 || rd.Stats().Unparsed != 1 {
		t.Errorf("got %v stats %+v", got, rd.Stats())
	}
}
