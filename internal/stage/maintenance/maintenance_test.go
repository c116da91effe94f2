package maintenance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve starts a server on a loopback port and returns its base URL.
func serve(t *testing.T, cfg Config, tlsCfg *tls.Config) string {
	t.Helper()
	s, err := Listen(cfg, []Listener{{Addr: "127.0.0.1:0", TLS: tlsCfg}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	return scheme + "://" + s.Addrs()[0]
}

// TestEveryPath: every path and method gets the 503 page with Retry-After, nothing of the
// request is echoed, and the health path answers 200.
func TestEveryPath(t *testing.T) {
	base := serve(t, Config{Message: "Back <soon> & well", RetryAfter: 90 * time.Minute}, nil)
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		method, path string
	}{
		{"GET", "/"},
		{"GET", "/index.php"},
		{"GET", "/wp-content/uploads/shell.php?cmd=id"},
		{"GET", "/<script>alert(1)</script>"},
		{"GET", "/../../etc/passwd"},
		{"POST", "/wp-login.php"},
		{"PUT", "/upload"},
		{"DELETE", "/x"},
		{"OPTIONS", "*"},
		{"HEAD", "/"},
		{"GET", "/nowwhat-health/../"},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, base+"/", strings.NewReader("a=b"))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = c.path // sent as is, not cleaned by the client
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s: status %d", c.method, c.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Retry-After"); got != "5400" {
			t.Errorf("%s %s: Retry-After %q", c.method, c.path, got)
		}
		for h, want := range map[string]string{"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s %s: %s %q", c.method, c.path, h, got)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if resp.Header.Get("Server") != "" {
			t.Errorf("Server header %q", resp.Header.Get("Server"))
		}
		if c.method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD has a body")
			}
			continue
		}
		page := string(body)
		if !strings.Contains(page, "Back &lt;soon&gt; &amp; well") {
			t.Errorf("%s %s: the message is not on the page (escaped):\n%s", c.method, c.path, page)
		}
		for _, bad := range []string{"script>alert", "shell.php", "passwd", "http://", "https://", "src=", "Go-http", "nginx", "Apache"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s %s: page contains %q", c.method, c.path, bad)
			}
		}
	}
	resp, err := client.Get(base + DefaultHealthPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("health: %d %q", resp.StatusCode, body)
	}
}

func TestHonestAndDefaults(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "planned maintenance"},
		{Config{Message: HonestMessage}, "security incident"},
	} {
		base := serve(t, c.cfg, nil)
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), c.want) || resp.Header.Get("Retry-After") != "3600" {
			t.Errorf("want %q, Retry-After 3600: %q %s", c.want, resp.Header.Get("Retry-After"), body)
		}
	}
}

// TestTLS: with a certificate, the page is served over HTTPS.
func TestTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web1.example"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"web1.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	base := serve(t, Config{}, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(der)
	pool.AddCert(leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.TLS == nil {
		t.Errorf("https: %d tls %v", resp.StatusCode, resp.TLS != nil)
	}
}

func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Listen(Config{}, []Listener{{Addr: ln.Addr().String()}})
	if err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("taken port: %v", err)
	}
}

func TestParseListen(t *testing.T) {
	cases := []struct{ in, want string }{
		{"8080", "127.0.0.1:8080"},
		{":80", ":80"},
		{"0.0.0.0:443", "0.0.0.0:443"},
		{"[::]:80", "[::]:80"},
		{"192.0.2.1:8080", "192.0.2.1:8080"},
		{"abc", ""},
		{"99999", ""},
		{"1.2.3.4:99999", ""},
		{"", ""},
	}
	for _, c := range cases {
		got, err := ParseListen(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
}
