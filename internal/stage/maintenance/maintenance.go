// Package maintenance is the page visitors see while a compromised site is offline: an HTTP(S)
// server that answers every request with 503 Service Unavailable, a Retry-After header and a
// small self-contained page (no server details, no external resources, nothing from the request
// echoed back), plus a health endpoint for load balancers.
package maintenance

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default texts. The honest one says there is a security incident without saying more than a
// visitor needs.
const (
	DefaultMessage = "This site is down for planned maintenance. We will be back shortly: please try again later."
	HonestMessage  = "We have taken this site offline while we deal with a security incident. We will be back as soon as it is safe: please try again later."
	// DefaultHealthPath answers 200 for load balancers and monitoring.
	DefaultHealthPath = "/nowwhat-health"
)

// Config describes the page and how it is served.
type Config struct {
	Title      string        // the page's heading ("Back soon" when empty)
	Message    string        // the text shown (DefaultMessage when empty)
	RetryAfter time.Duration // sent as Retry-After, in seconds (1 hour when zero)
	HealthPath string        // DefaultHealthPath when empty; "-" turns it off
	Log        *slog.Logger  // one line per request when set
}

func (c Config) withDefaults() Config {
	if c.Title == "" {
		c.Title = "Back soon"
	}
	if c.Message == "" {
		c.Message = DefaultMessage
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = time.Hour
	}
	if c.HealthPath == "" {
		c.HealthPath = DefaultHealthPath
	}
	return c
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<style>
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f6f7f9;color:#1d2330}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center}
main{max-width:34rem;margin:2rem;padding:2.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{margin:0 0 1rem;font-size:1.6rem}
p{margin:0;line-height:1.55;font-size:1.05rem}
@media (prefers-color-scheme:dark){html{background:#15181e;color:#e6e8ec}main{background:#1f232b;box-shadow:none}}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</main>
</body>
</html>
`))

// Handler answers every request with the maintenance page, and the health path with 200.
func Handler(cfg Config) (http.Handler, error) {
	cfg = cfg.withDefaults()
	var body bytes.Buffer
	if err := page.Execute(&body, cfg); err != nil {
		return nil, fmt.Errorf("maintenance page: %w", err)
	}
	html := body.Bytes()
	retry := strconv.Itoa(int(cfg.RetryAfter.Round(time.Second).Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		status := http.StatusServiceUnavailable
		if cfg.HealthPath != "-" && r.URL.Path == cfg.HealthPath {
			status = http.StatusOK
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Content-Length", "3")
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				io.WriteString(w, "ok\n")
			}
		} else {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
			h.Set("Retry-After", retry)
			h.Set("Content-Length", strconv.Itoa(len(html)))
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				w.Write(html)
			}
		}
		if cfg.Log != nil {
			cfg.Log.Info("request", "client", r.RemoteAddr, "method", clip(r.Method, 16), "path", clip(r.URL.RequestURI(), 256),
				"host", clip(r.Host, 128), "agent", clip(r.UserAgent(), 200), "status", status)
		}
	}), nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Listener is one address to serve on, with TLS or without.
type Listener struct {
	Addr string
	TLS  *tls.Config // nil: plain HTTP
}

// Server serves the page on several listeners until its context ends.
type Server struct {
	handler http.Handler
	servers []*http.Server
	lns     []net.Listener
}

// Listen opens every address first, so a port that cannot be taken is an error before anything
// is served (binding a port below 1024 needs root or CAP_NET_BIND_SERVICE).
func Listen(cfg Config, listeners []Listener) (*Server, error) {
	h, err := Handler(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{handler: h}
	for _, l := range listeners {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			s.Close()
			if errors.Is(err, syscall.EACCES) {
				return nil, fmt.Errorf("listen on %s: %w (ports below 1024 need root: run it with sudo)", l.Addr, err)
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("listen on %s: %w (the service still holds the port: stop it first, nowwhat contain service NAME --apply)", l.Addr, err)
			}
			return nil, fmt.Errorf("listen on %s: %w", l.Addr, err)
		}
		if l.TLS != nil {
			ln = tls.NewListener(ln, l.TLS)
		}
		s.lns = append(s.lns, ln)
		s.servers = append(s.servers, &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10,
			DisableGeneralOptionsHandler: true, ErrorLog: log.New(io.Discard, "", 0)})
	}
	return s, nil
}

// Addrs are the addresses actually listened on (a port 0 becomes the port chosen).
func (s *Server) Addrs() []string {
	var out []string
	for _, ln := range s.lns {
		out = append(out, ln.Addr().String())
	}
	return out
}

// Serve serves until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(s.servers))
	for i, srv := range s.servers {
		wg.Add(1)
		go func(srv *http.Server, ln net.Listener) {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}(srv, s.lns[i])
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		srv.Shutdown(sctx)
	}
	wg.Wait()
	return err
}

// Close releases the listeners of a server that was never served.
func (s *Server) Close() {
	for _, ln := range s.lns {
		ln.Close()
	}
}

// ParseListen turns "8080" into loopback "127.0.0.1:8080" (servers bind to loopback unless told
// otherwise); ":80" and "0.0.0.0:80" are explicit and kept.
func ParseListen(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("empty address")
	}
	if !strings.Contains(addr, ":") {
		if p, err := strconv.Atoi(addr); err != nil || p < 0 || p > 65535 {
			return "", fmt.Errorf("%q: give a port (8080), or an address and port (:80, 192.0.2.10:443, [::]:80)", addr)
		}
		return "127.0.0.1:" + addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q: %w", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("%q: bad port", addr)
	}
	return net.JoinHostPort(host, port), nil
}
