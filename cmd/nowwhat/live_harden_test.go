package main

// harden on a booted Debian 12 with systemd and its real sshd and nginx (internal/base/bootlab):
// the built binary runs inside over an administrator's SSH login; what it changes is measured
// from outside, with real password and key logins and real HTTP requests.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/bootlab"
)

// passwordLogin logs in to the lab's sshd from a peer with a password, as a person (or a
// guesser) would; nil when the login succeeded.
func passwordLogin(h *bootlab.Host, from, user, password string) error {
	conn, err := h.Dial(from, 22, 3*time.Second)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
	c, chans, reqs, err := ssh.NewClientConn(conn, net.JoinHostPort(h.Addr(), "22"), cfg)
	if err != nil {
		conn.Close()
		return err
	}
	ssh.NewClient(c, chans, reqs).Close()
	return nil
}

// passwordClient is a password login kept open, to run commands in.
func passwordClient(h *bootlab.Host, from, user, password string) (*ssh.Client, error) {
	conn, err := h.Dial(from, 22, 3*time.Second)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
	c, chans, reqs, err := ssh.NewClientConn(conn, net.JoinHostPort(h.Addr(), "22"), cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// until polls fn (sshd re-executes itself on a reload, so its port is closed a moment) until
// it is true or the time is up.
func until(within time.Duration, fn func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if fn() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func refused(err error) bool { return bootlab.LoginRefused(err) }

// TestLiveHardenSSH: after harden --only ssh-no-password --apply, run over a key login, a real
// password login from outside is refused and a key still logs in; confirmed it stays, undone
// the password works again; unconfirmed, the detached timer the command started puts it back
// by itself after the administrator logged out. An administrator logged in with a password is
// refused, with the log line that shows it.
func TestLiveHardenSSH(t *testing.T) {
	h := bootWithBinary(t)
	const alicePassword = "correct-horse-battery-7"
	if r := h.Exec(t, "sh", "-c", "useradd -m -s /bin/bash alice && echo 'alice:"+alicePassword+"' | chpasswd"); r.Code != 0 {
		t.Fatalf("useradd: %s", r)
	}
	admin, outsider := h.Peers()[2], h.Peers()[1]
	key := h.AuthorizeKey(t, "root")
	if !until(10*time.Second, func() bool { return passwordLogin(h, outsider, "alice", alicePassword) == nil }) {
		t.Fatalf("before harden, alice cannot log in with her password: the test proves nothing (%v)", passwordLogin(h, outsider, "alice", alicePassword))
	}
	if err := passwordLogin(h, outsider, "alice", "wrong"); !refused(err) {
		t.Fatalf("a wrong password is not refused: %v", err)
	}

	// An administrator logged in as root with a password: refused, nothing written.
	h.CopyIn(t, []byte("PermitRootLogin yes\n"), "/etc/ssh/sshd_config.d/01-test-root-password.conf", 0o644)
	if r := h.Exec(t, "sh", "-c", "echo 'root:"+alicePassword+"-root' | chpasswd && systemctl reload ssh"); r.Code != 0 {
		t.Fatalf("root password: %s", r)
	}
	var pc *ssh.Client
	if !until(10*time.Second, func() bool {
		var err error
		pc, err = passwordClient(h, admin, "root", alicePassword+"-root")
		return err == nil
	}) {
		t.Fatal("root cannot log in with a password for the refusal test")
	}
	out, err := sshRun(pc, nowwhatIn+" --case /root/case harden --only ssh-no-password --apply")
	pc.Close()
	if err == nil || !strings.Contains(out, "you logged in with password (/var/log/auth.log:") {
		t.Fatalf("a password-logged-in operator was not refused: %v\n%s", err, out)
	}
	if _, err := h.ReadFile("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf"); err == nil {
		t.Fatal("the refused change was written")
	}
	h.Exec(t, "sh", "-c", "rm /etc/ssh/sshd_config.d/01-test-root-password.conf && passwd -l root && systemctl reload ssh")

	// The administrator logs in with a key and applies it.
	var c *ssh.Client
	if !until(10*time.Second, func() bool { c, err = h.SSHClient(admin, "root", key); return err == nil }) {
		t.Fatal(err)
	}
	out, err = sshRun(c, nowwhatIn+" --case /root/case harden --only ssh-no-password --apply --rollback-after 10m")
	if err != nil || !strings.Contains(out, "DONE: [ssh-no-password]") || !strings.Contains(out, "rollback timer running") {
		t.Fatalf("harden --apply: %v\n%s", err, out)
	}
	t.Logf("harden --apply over a key login:\n%s", out)
	if strings.Contains(out, "is not in the host's logs") {
		t.Error("the administrator's key login was not found in auth.log")
	}
	if !until(15*time.Second, func() bool { return refused(passwordLogin(h, outsider, "alice", alicePassword)) }) {
		t.Fatalf("after harden, alice's password still logs in: %v", passwordLogin(h, outsider, "alice", alicePassword))
	}
	if _, err := h.SSH("root", key, "true"); err != nil {
		t.Fatalf("the key no longer logs in: %v", err)
	}
	if out, err := sshRun(c, nowwhatIn+" --case /root/case harden confirm"); err != nil || !strings.Contains(out, "confirmed 1 changes") {
		t.Fatalf("confirm: %v %s", err, out)
	}
	if out, err := sshRun(c, nowwhatIn+" --case /root/case harden undo --apply"); err != nil || !strings.Contains(out, "UNDONE: harden ssh-no-password") {
		t.Fatalf("undo: %v %s", err, out)
	}
	if !until(15*time.Second, func() bool { return passwordLogin(h, outsider, "alice", alicePassword) == nil }) {
		t.Fatal("after undo, alice's password does not log in")
	}

	// Unconfirmed: the administrator logs out, the timer puts it back.
	out, err = sshRun(c, nowwhatIn+" --case /root/case harden --only ssh-no-password --apply --rollback-after 12s")
	c.Close()
	if err != nil || !strings.Contains(out, "rollback timer running") {
		t.Fatalf("harden --apply: %v\n%s", err, out)
	}
	start := time.Now()
	if !until(10*time.Second, func() bool { return refused(passwordLogin(h, outsider, "alice", alicePassword)) }) {
		t.Fatal("the second apply did not turn passwords off")
	}
	if !until(40*time.Second, func() bool { return passwordLogin(h, outsider, "alice", alicePassword) == nil }) {
		t.Fatal("the unconfirmed change did not roll back by itself")
	}
	t.Logf("passwords back %s after the second apply (rollback after 12s)", time.Since(start).Round(time.Second))
	if j, _ := h.ReadFile("/root/case/hardening.jsonl"); !strings.Contains(string(j), `"phase":"rolled-back"`) {
		t.Errorf("journal:\n%s", j)
	}
	if _, err := h.ReadFile("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf"); err == nil {
		t.Error("the drop-in is still there after the rollback")
	}
}

// status asks nginx for a path from a peer and returns the HTTP status.
func status(h *bootlab.Host, from, path string) int {
	c, err := h.Dial(from, 80, time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLiveHardenNginxUploads: on the lab's real nginx with a WordPress-like site that passes
// .php files to PHP-FPM (no PHP-FPM runs: nginx answers 502 when it passes a request on), a
// PHP file in the upload folder is passed on before harden (502) and refused after it and the
// reload it names (403); other PHP is still passed on, pictures are still served, and nginx -t
// accepts the edited site.
func TestLiveHardenNginxUploads(t *testing.T) {
	h := bootWithBinary(t)
	site := "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n\tindex index.php;\n\tlocation / {\n\t\ttry_files $uri $uri/ /index.php?$args;\n\t}\n\tlocation ~ \\.php$ {\n\t\tinclude fastcgi_params;\n\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;\n\t}\n}\n"
	h.CopyIn(t, []byte(site), "/etc/nginx/sites-available/default", 0o644)
	h.CopyIn(t, []byte("<?php system($_GET['c']);\n"), "/var/www/html/wp-content/uploads/2026/11/thumb.php", 0o644)
	h.CopyIn(t, []byte("\xff\xd8\xff\xe0 picture"), "/var/www/html/wp-content/uploads/2026/11/cat.jpg", 0o644)
	h.CopyIn(t, []byte("<?php echo 'blog';\n"), "/var/www/html/index.php", 0o644)
	if r := h.Exec(t, "sh", "-c", "nginx -t && systemctl reload nginx"); r.Code != 0 {
		t.Fatalf("nginx: %s", r)
	}
	peer := h.Peers()[0]
	shell := "/wp-content/uploads/2026/11/thumb.php"
	if !until(5*time.Second, func() bool { return status(h, peer, shell) == 502 }) {
		t.Fatalf("before harden nginx does not pass the upload's PHP on: %d", status(h, peer, shell))
	}
	r := h.Exec(t, nowwhatIn, "--case", "/root/case", "harden", "--only", "php-uploads-noexec", "--apply")
	if r.Code != 0 || !strings.Contains(r.Stdout, "nginx -t && systemctl reload nginx") {
		t.Fatalf("harden: %s", r)
	}
	t.Logf("harden --only php-uploads-noexec --apply:\n%s", r.Stdout)
	if r := h.Exec(t, "sh", "-c", "nginx -t && systemctl reload nginx"); r.Code != 0 {
		t.Fatalf("nginx refuses the edited site: %s", r)
	}
	if !until(5*time.Second, func() bool { return status(h, peer, shell) == 403 }) {
		t.Errorf("after harden and the reload, the upload's PHP gets %d, want 403", status(h, peer, shell))
	}
	if got := status(h, peer, shell+"/x"); got != 403 && got != 404 {
		t.Errorf("PATH_INFO trick: %d", got)
	}
	if got := status(h, peer, "/index.php"); got != 502 {
		t.Errorf("the site's own PHP is no longer passed on: %d", got)
	}
	if got := status(h, peer, "/wp-content/uploads/2026/11/cat.jpg"); got != 200 {
		t.Errorf("pictures in the uploads: %d", got)
	}
	if r := h.Exec(t, "cat", "/etc/nginx/sites-enabled/default"); !strings.Contains(r.Stdout, "nowwhat harden (php-uploads-noexec)") {
		t.Errorf("the enabled site does not show the change: %s", r)
	}
	if r := h.Exec(t, "test", "-L", "/etc/nginx/sites-enabled/default"); r.Code != 0 {
		t.Error("sites-enabled/default is no longer a link")
	}
	if r := h.Exec(t, nowwhatIn, "--case", "/root/case", "harden", "undo", "--apply"); r.Code != 0 {
		t.Fatalf("undo: %s", r)
	}
	if got, _ := h.ReadFile("/etc/nginx/sites-available/default"); string(got) != site {
		t.Errorf("undo left:\n%s", got)
	}
}
