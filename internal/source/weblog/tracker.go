package weblog

import (
	"path"
	"strings"
	"time"
)

// FindingUploadThenAccess is the kind of finding for an upload followed by the first request to
// a script in an upload folder.
const FindingUploadThenAccess = "upload-then-access"

// Finding is something a Tracker concluded from a sequence of requests.
type Finding struct {
	Kind     string    // FindingUploadThenAccess
	Time     time.Time // of the request to the uploaded file
	Client   string    // who made that request
	Path     string    // the path requested
	Evidence []string  // the upload, the request, why the path counts as new
}

const (
	// DefaultMaxPaths bounds the distinct paths a Tracker remembers (about 300 bytes each).
	DefaultMaxPaths = 200000
	// DefaultWindow is how long after an upload a first request to a script counts.
	DefaultWindow = 24 * time.Hour
	// DefaultMaxFindings bounds the findings a Tracker keeps.
	DefaultMaxFindings = 10000

	maxUploads   = 256  // recent uploads remembered
	maxInterned  = 4096 // distinct user agents shared between paths
	maxKeyLen    = 1024 // longer paths are remembered cut
	maxTargetLen = 512  // the first request's target is kept cut to this
)

// Tracker consumes requests in time order (Reader.Requests gives them so) and tells:
//
//   - an upload followed by the first request to a new script in an upload folder: a POST or
//     PUT answered 2xx to an upload-like endpoint (a path holding "upload", any script handler
//     since a multipart body cannot be seen in the log, any PUT), then within Window, by the same
//     client or another, the first GET or POST of a path never fetched before that ends in an
//     executable web extension (.php, .phtml, .jsp, .asp, .aspx, ...) under an upload-like folder
//     (uploads, images, files, media, tmp, cache, ...), not answered 4xx;
//   - the first request of each path (FirstAccess), for web shells found on disk.
//
// Memory is bounded: at most MaxPaths distinct paths are remembered (200,000 by default, about
// 60 MB at worst). Once full, new paths are not remembered (Full reports it) and a request to an
// unremembered path can no longer be told new for certain: such findings say so.
type Tracker struct {
	MaxPaths    int           // 0: DefaultMaxPaths
	Window      time.Duration // 0: DefaultWindow
	MaxFindings int           // 0: DefaultMaxFindings

	paths     map[string]firstSeen
	uploads   []upload
	findings  []Finding
	intern    map[string]string
	untracked int64
	dropped   int64
}

// firstSeen is the compact copy of a path's first request.
type firstSeen struct {
	t                                       time.Time
	client, vhost, method, target, ua, file string
	status, line                            int
	fetched                                 bool // by GET, POST or HEAD
}

type upload struct {
	t                   time.Time
	client, method, req string
	status              int
	file                string
	line                int
}

func (t *Tracker) maxPaths() int {
	if t.MaxPaths > 0 {
		return t.MaxPaths
	}
	return DefaultMaxPaths
}

func (t *Tracker) window() time.Duration {
	if t.Window > 0 {
		return t.Window
	}
	return DefaultWindow
}

// Add consumes the next request.
func (t *Tracker) Add(r Request) {
	if r.Method == "" || r.Path == "" {
		return
	}
	if t.paths == nil {
		t.paths = map[string]firstSeen{}
		t.intern = map[string]string{}
	}
	key := pathKey(r.Path)
	fetch := r.Method == "GET" || r.Method == "POST" || r.Method == "HEAD"
	f, seen := t.paths[key]
	certain := true
	switch {
	case !seen && len(t.paths) < t.maxPaths():
		c := t.compact(r)
		c.fetched = fetch
		t.paths[strings.Clone(key)] = c
	case !seen:
		t.untracked++
		certain = false
	case fetch && !f.fetched:
		// Put there (PUT, MOVE) but never fetched yet: this is the first fetch.
		f.fetched = true
		t.paths[key] = f
		seen = false
	}
	if !seen && r.Method != "HEAD" && fetch && !(r.Status >= 400 && r.Status < 500) {
		t.checkAccess(r, key, certain)
	}
	if (r.Method == "POST" || r.Method == "PUT") && r.Status >= 200 && r.Status < 300 && uploadLike(r) {
		t.addUpload(r)
	}
}

// uploadLike: an endpoint that can take a file.
func uploadLike(r Request) bool {
	if r.Method == "PUT" {
		return true
	}
	lp := strings.ToLower(r.Path)
	return strings.Contains(lp, "upload") || execExt([]byte(lp)) != ""
}

func (t *Tracker) addUpload(r Request) {
	req := printable(r.Method+" "+r.Target, 200)
	if n := len(t.uploads); n > 0 && t.uploads[n-1].client == r.Client && t.uploads[n-1].req == req {
		t.uploads[n-1].t, t.uploads[n-1].file, t.uploads[n-1].line = r.Time, t.str(r.File), r.Line
		return
	}
	if len(t.uploads) == maxUploads {
		copy(t.uploads, t.uploads[1:])
		t.uploads = t.uploads[:maxUploads-1]
	}
	t.uploads = append(t.uploads, upload{t: r.Time, client: strings.Clone(r.Client), method: t.str(r.Method),
		req: req, status: r.Status, file: t.str(r.File), line: r.Line})
}

func (t *Tracker) checkAccess(r Request, key string, certain bool) {
	lp := []byte(strings.ToLower(key))
	if execExt(lp) == "" || !inUploadDir(lp) {
		return
	}
	// Forget uploads older than the window.
	from := r.Time.Add(-t.window())
	k := 0
	for k < len(t.uploads) && t.uploads[k].t.Before(from) {
		k++
	}
	if k > 0 {
		t.uploads = append(t.uploads[:0], t.uploads[k:]...)
	}
	// The best upload before the request: an upload endpoint by the same client, then any
	// upload endpoint, then the same client, then the latest.
	best, bestScore := -1, -1
	for i := len(t.uploads) - 1; i >= 0; i-- {
		u := t.uploads[i]
		if u.t.After(r.Time) {
			continue
		}
		score := 0
		if strings.Contains(strings.ToLower(u.req), "upload") {
			score += 2
		}
		if u.client == r.Client {
			score++
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return
	}
	if len(t.findings) >= t.maxFindings() {
		t.dropped++
		return
	}
	u := t.uploads[best]
	ev := []string{
		"upload: " + u.req + " -> " + itoa(u.status) + " from " + u.client + " at " + u.t.Format(time.RFC3339) +
			" (" + u.file + ":" + itoa(u.line) + ")",
		"then: " + printable(r.Method+" "+r.Target, 200) + " -> " + itoa(r.Status) + " from " + r.Client + " at " +
			r.Time.Format(time.RFC3339) + " (" + r.File + ":" + itoa(r.Line) + "), " + r.Time.Sub(u.t).String() + " later",
	}
	if certain {
		ev = append(ev, "the path was never fetched (GET, POST, HEAD) before in the logs read")
	} else {
		ev = append(ev, "path table full: whether the path was fetched before is not certain")
	}
	t.findings = append(t.findings, Finding{Kind: FindingUploadThenAccess, Time: r.Time,
		Client: strings.Clone(r.Client), Path: strings.Clone(key), Evidence: ev})
}

func (t *Tracker) maxFindings() int {
	if t.MaxFindings > 0 {
		return t.MaxFindings
	}
	return DefaultMaxFindings
}

// Findings gives what the tracker concluded so far, in time order.
func (t *Tracker) Findings() []Finding { return t.findings }

// Dropped counts findings left out once MaxFindings was reached.
func (t *Tracker) Dropped() int64 { return t.dropped }

// Paths counts the distinct paths remembered.
func (t *Tracker) Paths() int { return len(t.paths) }

// Full reports whether the path table reached MaxPaths; Untracked counts the requests to
// paths that could not be remembered since.
func (t *Tracker) Full() bool { return t.untracked > 0 }

// Untracked counts requests to new paths that found the path table full.
func (t *Tracker) Untracked() int64 { return t.untracked }

// FirstAccess gives the first request seen for a URL path (decoded, as Request.Path), with
// Time, Client, VHost, Method, Target (cut to 512 bytes), Path, Status, UserAgent, File and Line.
func (t *Tracker) FirstAccess(urlPath string) (Request, bool) {
	f, ok := t.paths[pathKey(urlPath)]
	if !ok {
		return Request{}, false
	}
	return Request{Time: f.t, Client: f.client, VHost: f.vhost, Method: f.method, Target: f.target,
		Path: pathKey(urlPath), Status: f.status, UserAgent: f.ua, File: f.file, Line: f.line}, true
}

// FirstAccessFile gives the first request of the URL path that serves a file on the host
// ("/var/www/html/uploads/x.php"): the longest tail of the host path ("/uploads/x.php" under a
// document root /var/www/html) that was requested. Virtual hosts are not told apart.
func (t *Tracker) FirstAccessFile(hostPath string) (Request, bool) {
	hostPath = path.Clean("/" + hostPath)
	for i := 0; i < len(hostPath); i++ {
		if hostPath[i] != '/' {
			continue
		}
		if r, ok := t.FirstAccess(hostPath[i:]); ok {
			return r, true
		}
	}
	return Request{}, false
}

func (t *Tracker) compact(r Request) firstSeen {
	target := r.Target
	if len(target) > maxTargetLen {
		target = target[:maxTargetLen]
	}
	return firstSeen{t: r.Time, client: strings.Clone(r.Client), vhost: t.str(r.VHost), method: t.str(r.Method),
		target: strings.Clone(target), ua: t.str(r.UserAgent), file: t.str(r.File), status: r.Status, line: r.Line}
}

// str shares repeated strings (methods, files, user agents) between remembered requests.
func (t *Tracker) str(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	if v, ok := t.intern[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if len(t.intern) < maxInterned {
		t.intern[v] = v
	}
	return v
}

// pathKey is the form paths are remembered in: cleaned of "//" and "/./", cut to maxKeyLen.
func pathKey(p string) string {
	if strings.Contains(p, "//") || strings.Contains(p, "/.") {
		trail := strings.HasSuffix(p, "/")
		p = path.Clean("/" + p)
		if trail && p != "/" {
			p += "/"
		}
	}
	if len(p) > maxKeyLen {
		p = p[:maxKeyLen]
	}
	return p
}
