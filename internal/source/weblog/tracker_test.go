package weblog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// at builds a request at t0 + d.
func at(d time.Duration, client, method, target string, status int) Request {
	r := req(method, target, status)
	r.Time, r.Client, r.File, r.Line = t0.Add(d), client, "/var/log/nginx/access.log", int(d/time.Second)+1
	return r
}

func TestTrackerUploadThenAccess(t *testing.T) {
	tests := []struct {
		name   string
		reqs   []Request
		want   int    // findings
		client string // of the first finding
		path   string
	}{
		{"upload then new script by another client", []Request{
			at(0, "192.0.2.1", "GET", "/wp-admin/", 200),
			at(time.Minute, "192.0.2.1", "POST", "/wp-admin/async-upload.php", 200),
			at(3*time.Minute, "203.0.113.9", "GET", "/wp-content/uploads/2026/11/x.php?c=id", 200),
		}, 1, "203.0.113.9", "/wp-content/uploads/2026/11/x.php"},
		{"upload via any php handler, POST to the new file", []Request{
			at(0, "198.51.100.2", "POST", "/contact.php", 200),
			at(time.Hour, "198.51.100.2", "POST", "/images/logo.phtml", 200),
		}, 1, "198.51.100.2", "/images/logo.phtml"},
		{"PUT then access", []Request{
			at(0, "198.51.100.2", "PUT", "/files/s.jsp", 201),
			at(time.Second, "198.51.100.2", "GET", "/files/s.jsp", 200),
		}, 1, "198.51.100.2", "/files/s.jsp"},
		{"path seen before the upload", []Request{
			at(0, "192.0.2.1", "GET", "/uploads/thumb.php", 200),
			at(time.Minute, "192.0.2.1", "POST", "/upload.php", 200),
			at(2*time.Minute, "192.0.2.9", "GET", "/uploads/thumb.php", 200),
		}, 0, "", ""},
		{"too late", []Request{
			at(0, "192.0.2.1", "POST", "/upload.php", 200),
			at(25*time.Hour, "192.0.2.9", "GET", "/uploads/x.php", 200),
		}, 0, "", ""},
		{"failed upload", []Request{
			at(0, "192.0.2.1", "POST", "/upload.php", 403),
			at(time.Minute, "192.0.2.9", "GET", "/uploads/x.php", 200),
		}, 0, "", ""},
		{"access answered 404", []Request{
			at(0, "192.0.2.1", "POST", "/upload.php", 200),
			at(time.Minute, "192.0.2.9", "GET", "/uploads/x.php", 404),
		}, 0, "", ""},
		{"not an upload folder", []Request{
			at(0, "192.0.2.1", "POST", "/upload.php", 200),
			at(time.Minute, "192.0.2.9", "GET", "/blog/new.php", 200),
		}, 0, "", ""},
		{"not a script", []Request{
			at(0, "192.0.2.1", "POST", "/upload.php", 200),
			at(time.Minute, "192.0.2.9", "GET", "/uploads/photo.jpg", 200),
		}, 0, "", ""},
		{"no upload", []Request{
			at(0, "192.0.2.1", "GET", "/upload.php", 200),
			at(time.Minute, "192.0.2.9", "GET", "/uploads/x.php", 200),
		}, 0, "", ""},
		{"upload is the request itself", []Request{
			at(0, "192.0.2.1", "POST", "/uploads/new.php", 200),
		}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr Tracker
			for _, r := range tt.reqs {
				tr.Add(r)
			}
			fs := tr.Findings()
			if len(fs) != tt.want {
				t.Fatalf("%d findings, want %d: %+v", len(fs), tt.want, fs)
			}
			if tt.want == 0 {
				return
			}
			f := fs[0]
			if f.Kind != FindingUploadThenAccess || f.Client != tt.client || f.Path != tt.path || len(f.Evidence) != 3 {
				t.Errorf("finding %+v", f)
			}
			if !strings.HasPrefix(f.Evidence[0], "upload: ") || !strings.Contains(f.Evidence[2], "never fetched") {
				t.Errorf("evidence %q", f.Evidence)
			}
		})
	}
}

func TestTrackerFirstAccess(t *testing.T) {
	var tr Tracker
	tr.Add(at(0, "192.0.2.1", "GET", "/index.php", 200))
	tr.Add(at(time.Minute, "203.0.113.7", "GET", "/wp-content/uploads/x.php?cmd=id", 200))
	tr.Add(at(2*time.Minute, "192.0.2.1", "GET", "/wp-content/uploads/x.php", 200))
	tr.Add(at(3*time.Minute, "192.0.2.1", "GET", "/a//b/./c.php", 200))
	r, ok := tr.FirstAccess("/wp-content/uploads/x.php")
	if !ok || r.Client != "203.0.113.7" || !r.Time.Equal(t0.Add(time.Minute)) || r.Target != "/wp-content/uploads/x.php?cmd=id" || r.Line != 61 {
		t.Errorf("FirstAccess = %+v, %v", r, ok)
	}
	if _, ok := tr.FirstAccess("/nowhere.php"); ok {
		t.Error("FirstAccess of a path never requested")
	}
	if r, ok := tr.FirstAccess("/a/b/c.php"); !ok || r.Client != "192.0.2.1" {
		t.Errorf("cleaned path: %+v %v", r, ok)
	}
	tests := []struct {
		host   string
		ok     bool
		client string
	}{
		{"/var/www/html/wp-content/uploads/x.php", true, "203.0.113.7"},
		{"/srv/site/index.php", true, "192.0.2.1"},
		{"/var/www/html/other.php", false, ""},
	}
	for _, tt := range tests {
		r, ok := tr.FirstAccessFile(tt.host)
		if ok != tt.ok || r.Client != tt.client {
			t.Errorf("FirstAccessFile(%q) = %+v, %v", tt.host, r, ok)
		}
	}
}

func TestTrackerBounded(t *testing.T) {
	tr := Tracker{MaxPaths: 100}
	tr.Add(at(0, "192.0.2.1", "POST", "/upload.php", 200))
	for i := 0; i < 1000; i++ {
		tr.Add(at(time.Duration(i)*time.Second, "192.0.2.1", "GET", fmt.Sprintf("/p/%d.html", i), 200))
	}
	if tr.Paths() != 100 || !tr.Full() || tr.Untracked() != 901 {
		t.Errorf("paths %d full %v untracked %d", tr.Paths(), tr.Full(), tr.Untracked())
	}
	// Once full, a request to a script in an upload folder after an upload is still reported,
	// with the doubt said.
	tr.Add(at(time.Hour, "203.0.113.1", "GET", "/uploads/s.php", 200))
	fs := tr.Findings()
	if len(fs) != 1 || !strings.Contains(fs[0].Evidence[2], "not certain") {
		t.Errorf("findings %+v", fs)
	}
	// Findings are bounded too.
	tr2 := Tracker{MaxFindings: 3}
	tr2.Add(at(0, "192.0.2.1", "POST", "/upload.php", 200))
	for i := 0; i < 10; i++ {
		tr2.Add(at(time.Second, "192.0.2.1", "GET", fmt.Sprintf("/uploads/%d.php", i), 200))
	}
	if len(tr2.Findings()) != 3 || tr2.Dropped() != 7 {
		t.Errorf("findings %d dropped %d", len(tr2.Findings()), tr2.Dropped())
	}
}
