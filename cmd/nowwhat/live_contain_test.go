package main

// Containment on a booted Debian with systemd (internal/base/bootlab): the built binary runs
// inside the container, over a real SSH login where an administrator would use one, and the
// effects are measured from outside, as a visitor or an intruder on the internet sees them.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/bootlab"
)

// nowwhatIn is where the binary is put inside the lab.
const nowwhatIn = "/usr/local/sbin/nowwhat"

// bootWithBinary boots a fresh lab with the built binary inside.
func bootWithBinary(t *testing.T) *bootlab.Host {
	t.Helper()
	h := bootlab.Boot(t, bootlab.Build(t))
	h.CopyInFile(t, binary, nowwhatIn, 0o755)
	return h
}

type page struct {
	code       int
	retryAfter string
	body       string
}

// httpGet asks the container's port for / from a peer, as a browser would.
func httpGet(h *bootlab.Host, from string, port int) (page, error) {
	c, err := h.Dial(from, port, time.Second)
	if err != nil {
		return page{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{resp.StatusCode, resp.Header.Get("Retry-After"), string(body)}, nil
}

// waitPage polls until the page is what want says, or the deadline passes.
func waitPage(h *bootlab.Host, from string, port int, within time.Duration, want func(page, error) bool) (page, error, bool) {
	deadline := time.Now().Add(within)
	for {
		p, err := httpGet(h, from, port)
		if want(p, err) {
			return p, err, true
		}
		if time.Now().After(deadline) {
			return p, err, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isNginx(p page, err error) bool {
	return err == nil && p.code == 200 && strings.Contains(p.body, "Welcome to nginx")
}

func isMaintenance(p page, err error) bool {
	return err == nil && p.code == 503 && p.retryAfter != "" && !strings.Contains(p.body, "nginx")
}

// sshRun runs one command in a new session of an SSH login.
func sshRun(c *ssh.Client, command string) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(command)
	return string(out), err
}

// unitFiles lists the unit files and links systemd reads for nginx, with their content digests.
func unitFiles(t *testing.T, h *bootlab.Host) string {
	t.Helper()
	// Folders' times change with the links made and removed in them: only their modes count.
	r := h.Exec(t, "sh", "-c", `find /etc/systemd/system /lib/systemd/system/nginx.service /lib/systemd/system/webproxy.* \( -type d -printf '%p %y %m %U:%G\n' \) -o -printf '%p %y %l %m %U:%G %T@\n' 2>/dev/null | sort; find /etc/systemd/system /lib/systemd/system/nginx.service /lib/systemd/system/webproxy.* -type f -exec sha256sum {} + 2>/dev/null | sort`)
	if r.Code != 0 {
		t.Fatalf("list unit files: %s", r)
	}
	return r.Stdout
}

func systemctl(t *testing.T, h *bootlab.Host, args ...string) string {
	t.Helper()
	return strings.TrimSpace(h.Exec(t, append([]string{"systemctl"}, args...)...).Stdout)
}

// TestLiveContainServiceWithMaintenance: over an SSH login, contain service nginx --apply
// --maintenance stops and masks nginx, and the maintenance page answers on nginx's port with
// 503 and Retry-After within 5 s, from a transient unit that outlives the SSH session. Undo
// brings nginx back serving its page, with its unit files as they were and the page's unit
// gone. A socket-activated service has its socket stopped and masked too.
func TestLiveContainServiceWithMaintenance(t *testing.T) {
	h := bootWithBinary(t)
	// A socket-activated service: systemd listens on 8080 and starts a proxy to nginx.
	h.CopyIn(t, []byte("[Unit]\nDescription=web proxy socket\n[Socket]\nListenStream=8080\n[Install]\nWantedBy=sockets.target\n"), "/lib/systemd/system/webproxy.socket", 0o644)
	h.CopyIn(t, []byte("[Unit]\nDescription=web proxy\n[Service]\nExecStart=/lib/systemd/systemd-socket-proxyd 127.0.0.1:80\n"), "/lib/systemd/system/webproxy.service", 0o644)
	if r := h.Exec(t, "sh", "-c", "systemctl daemon-reload && systemctl enable --now webproxy.socket"); r.Code != 0 {
		t.Fatalf("webproxy: %s", r)
	}
	admin, partner := h.Peers()[2], h.Peers()[0]
	if p, err, ok := waitPage(h, partner, 80, 5*time.Second, isNginx); !ok {
		t.Fatalf("nginx does not serve before: %+v %v", p, err)
	}
	if p, err, ok := waitPage(h, partner, 8080, 5*time.Second, isNginx); !ok {
		t.Fatalf("the socket-activated proxy does not serve before: %+v %v", p, err)
	}
	before := unitFiles(t, h)
	key := h.AuthorizeKey(t, "root")

	// The administrator logs in, contains nginx with the page, and logs out.
	c, err := h.SSHClient(admin, "root", key)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := sshRun(c, nowwhatIn+" --case /root/case contain service nginx --apply --maintenance")
	if err != nil || !strings.Contains(out, "DONE: service nginx.service") || !strings.Contains(out, "DONE: maintenance") {
		t.Fatalf("contain service nginx --apply --maintenance: %v\n%s", err, out)
	}
	took := time.Since(start)
	c.Close()
	p, err, ok := waitPage(h, partner, 80, 5*time.Second-time.Since(start), isMaintenance)
	if !ok {
		t.Fatalf("no maintenance page within 5 s of the command: %+v %v\n%s", p, err, out)
	}
	t.Logf("maintenance page on :80 %s after the command started (the command took %s); Retry-After: %s", time.Since(start).Round(10*time.Millisecond), took.Round(10*time.Millisecond), p.retryAfter)
	if n, err := strconv.Atoi(p.retryAfter); err != nil || n <= 0 {
		t.Errorf("Retry-After %q", p.retryAfter)
	}
	if got := systemctl(t, h, "is-enabled", "nginx"); got != "masked" {
		t.Errorf("systemctl is-enabled nginx: %q, want masked", got)
	}
	if got := systemctl(t, h, "is-active", "nginx"); got != "inactive" {
		t.Errorf("systemctl is-active nginx: %q", got)
	}
	if got := systemctl(t, h, "show", "-p", "Transient", "--value", "nowwhat-maintenance-nginx.service"); got != "yes" {
		t.Errorf("the page's unit is not a transient unit: %q", got)
	}
	// The SSH session has ended (and its scope with it): the page still answers, and no
	// nginx process is left.
	time.Sleep(1500 * time.Millisecond)
	if p, err := httpGet(h, partner, 80); !isMaintenance(p, err) {
		t.Errorf("the maintenance page did not outlive the SSH session: %+v %v", p, err)
	}
	if r := h.Exec(t, "pgrep", "-x", "nginx"); r.Code == 0 {
		t.Errorf("nginx processes remain: %s", r.Stdout)
	}
	if r := h.Exec(t, nowwhatIn, "--case", "/root/case", "contain", "status"); !strings.Contains(r.Stdout, "IN FORCE: service nginx.service") || !strings.Contains(r.Stdout, "IN FORCE: maintenance") {
		t.Errorf("status: %s", r)
	}

	// Undo: one plain undo reverses the page and the service together.
	c, err = h.SSHClient(admin, "root", key)
	if err != nil {
		t.Fatal(err)
	}
	out, err = sshRun(c, nowwhatIn+" --case /root/case contain undo --apply")
	c.Close()
	if err != nil || !strings.Contains(out, "UNDONE: maintenance") || !strings.Contains(out, "UNDONE: service nginx.service") {
		t.Fatalf("undo --apply: %v\n%s", err, out)
	}
	if p, err, ok := waitPage(h, partner, 80, 10*time.Second, isNginx); !ok {
		t.Fatalf("nginx does not serve after undo: %+v %v", p, err)
	}
	if got := systemctl(t, h, "is-enabled", "nginx"); got != "enabled" {
		t.Errorf("after undo, systemctl is-enabled nginx: %q", got)
	}
	if got := systemctl(t, h, "show", "-p", "LoadState", "--value", "nowwhat-maintenance-nginx.service"); got != "not-found" {
		t.Errorf("the maintenance unit is still there after undo: %q", got)
	}
	if after := unitFiles(t, h); after != before {
		t.Errorf("unit files differ after undo:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The socket-activated service: its socket is stopped and masked too, and undo restores it.
	r := h.Exec(t, nowwhatIn, "--case", "/root/case", "contain", "service", "webproxy", "--apply")
	if r.Code != 0 || !strings.Contains(r.Stdout, "webproxy.socket") {
		t.Fatalf("contain service webproxy: %s", r)
	}
	if got := systemctl(t, h, "is-enabled", "webproxy.socket"); got != "masked" {
		t.Errorf("webproxy.socket is %q, want masked", got)
	}
	if got := systemctl(t, h, "is-active", "webproxy.socket"); got != "inactive" {
		t.Errorf("webproxy.socket is %q, want inactive", got)
	}
	if c, err := h.Dial(partner, 8080, time.Second); err == nil {
		c.Close()
		t.Error("port 8080 still accepts connections with its socket contained")
	}
	if r := h.Exec(t, nowwhatIn, "--case", "/root/case", "contain", "undo", "--apply"); r.Code != 0 {
		t.Fatalf("undo webproxy: %s", r)
	}
	if p, err, ok := waitPage(h, partner, 8080, 5*time.Second, isNginx); !ok {
		t.Errorf("the socket-activated service does not serve after undo: %+v %v", p, err)
	}
	if after := unitFiles(t, h); after != before {
		t.Errorf("unit files differ after the second undo:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestLiveKillAndSuspend: suspend freezes a real process inside (state T) and undo resumes it;
// kill ends it.
func TestLiveKillAndSuspend(t *testing.T) {
	h := bootWithBinary(t)
	if r := h.Exec(t, "systemd-run", "--unit=intruder", "/bin/sleep", "100000"); r.Code != 0 {
		t.Fatalf("systemd-run: %s", r)
	}
	pid := systemctl(t, h, "show", "-p", "MainPID", "--value", "intruder")
	if pid == "" || pid == "0" {
		t.Fatalf("no process: %q", pid)
	}
	state := func() string {
		data, err := h.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return "gone"
		}
		s := string(data)
		return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
	}
	nw := func(args ...string) bootlab.Result {
		return h.Exec(t, append([]string{nowwhatIn, "--case", "/root/case", "contain"}, args...)...)
	}
	if r := nw("suspend", pid); r.Code != 0 || !strings.Contains(r.Stdout, "PLAN") || state() != "S" {
		t.Fatalf("the plan: %s (state %s)", r, state())
	}
	if r := nw("suspend", pid, "--apply"); r.Code != 0 || state() != "T" {
		t.Fatalf("suspend --apply: %s (state %s)", r, state())
	}
	if r := nw("undo", "--apply"); r.Code != 0 || state() != "S" {
		t.Fatalf("undo: %s (state %s)", r, state())
	}
	if r := nw("kill", "1"); r.Code != 2 || !strings.Contains(r.Stderr, "PID 1") {
		t.Errorf("kill 1: %s", r)
	}
	if r := nw("kill", pid, "--apply"); r.Code != 0 {
		t.Fatalf("kill --apply: %s", r)
	}
	deadline := time.Now().Add(5 * time.Second)
	for state() != "gone" && state() != "Z" {
		if time.Now().After(deadline) {
			t.Fatalf("the killed process still runs (state %s)", state())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLiveIsolate: isolation inside the container's network namespace, applied over SSH: the
// administrator's session goes on, the allowed peer still reaches nginx, another peer is cut,
// and the unconfirmed isolation rolls itself back.
func TestLiveIsolate(t *testing.T) {
	h := bootWithBinary(t)
	allowed, other, admin := h.Peers()[0], h.Peers()[1], h.Peers()[2]
	key := h.AuthorizeKey(t, "root")
	c, err := h.SSHClient(admin, "root", key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := sshRun(c, nowwhatIn+" --case /root/case contain isolate --allow "+allowed+" --rollback-after 12s --apply")
	if err != nil || !strings.Contains(out, "your SSH connection") || !strings.Contains(out, "rollback timer running") {
		t.Fatalf("isolate: %v\n%s", err, out)
	}
	if p, err := httpGet(h, allowed, 80); !isNginx(p, err) {
		t.Errorf("the allowed peer is cut: %+v %v", p, err)
	}
	if _, err := httpGet(h, other, 80); err == nil {
		t.Error("another peer still reaches nginx")
	}
	if c, err := h.Dial(other, 22, time.Second); err == nil {
		c.Close()
		t.Error("another peer still reaches sshd")
	}
	// The administrator's session goes on.
	if out, err := sshRun(c, nowwhatIn+" --case /root/case contain status"); err != nil || !strings.Contains(out, "IN FORCE: isolate") {
		t.Errorf("the admin's session after isolation: %v %s", err, out)
	}
	// Unconfirmed: it rolls back by itself.
	deadline := time.Now().Add(25 * time.Second)
	for {
		if p, err := httpGet(h, other, 80); isNginx(p, err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the isolation did not roll back")
		}
		time.Sleep(300 * time.Millisecond)
	}
	if j := h.CopyOut(t, "/root/case/containment.jsonl"); !bytes.Contains(j, []byte(`"phase":"rolled-back"`)) {
		t.Errorf("journal: %s", j)
	}
}

// TestLiveLockUserAndRevokeKey: after lock-user and after revoke-key a real SSH login with the
// account's key fails; after undo it succeeds again.
func TestLiveLockUserAndRevokeKey(t *testing.T) {
	h := bootWithBinary(t)
	if r := h.Exec(t, "useradd", "-m", "-s", "/bin/bash", "deploy"); r.Code != 0 {
		t.Fatalf("useradd: %s", r)
	}
	key := h.AuthorizeKey(t, "deploy")
	login := func() error {
		out, err := h.SSH("deploy", key, "id -un")
		if err == nil && out != "deploy\n" {
			return fmt.Errorf("logged in, but the command printed %q", out)
		}
		return err
	}
	if err := login(); err != nil {
		t.Fatalf("login before: %v", err)
	}
	nw := func(args ...string) bootlab.Result {
		return h.Exec(t, append([]string{nowwhatIn, "--case", "/root/case", "contain"}, args...)...)
	}
	shadow := string(h.CopyOut(t, "/etc/shadow"))
	if r := nw("lock-user", "deploy", "--apply"); r.Code != 0 {
		t.Fatalf("lock-user: %s", r)
	}
	if err := login(); err == nil {
		t.Error("a locked account still logs in")
	} else {
		t.Logf("login of the locked account: %v", err)
	}
	if r := nw("undo", "--apply"); r.Code != 0 {
		t.Fatalf("undo lock: %s", r)
	}
	if err := login(); err != nil {
		t.Errorf("login after undoing the lock: %v", err)
	}
	if got := string(h.CopyOut(t, "/etc/shadow")); got != shadow {
		t.Errorf("/etc/shadow differs after undo")
	}
	fp := ssh.FingerprintSHA256(key.PublicKey())
	if r := nw("revoke-key", fp, "--apply"); r.Code != 0 {
		t.Fatalf("revoke-key: %s", r)
	}
	if err := login(); !bootlab.LoginRefused(err) {
		t.Errorf("a revoked key still logs in: %v", err)
	}
	if r := nw("undo", "--apply"); r.Code != 0 {
		t.Fatalf("undo revoke: %s", r)
	}
	if err := login(); err != nil {
		t.Errorf("login after undoing the revocation: %v", err)
	}
}

// TestLiveCrashMidContainment: the binary killed with SIGKILL between the journaled intent and
// the journaled outcome (before the change, and after it) leaves a journal that status reports
// as interrupted and that undo reverses: nginx serves again.
func TestLiveCrashMidContainment(t *testing.T) {
	h := bootWithBinary(t)
	partner := h.Peers()[0]
	before := unitFiles(t, h)
	for _, point := range []string{"applied", "intent"} {
		r := h.ExecEnv(t, []string{"NOWWHAT_TEST_CRASH=" + point}, nowwhatIn, "--case", "/root/case-"+point, "contain", "service", "nginx", "--apply")
		if r.Code != 137 && r.Code != -1 {
			t.Fatalf("%s: the binary was not killed: %s", point, r)
		}
		j := string(h.CopyOut(t, "/root/case-"+point+"/containment.jsonl"))
		if !strings.Contains(j, `"phase":"intent"`) || strings.Contains(j, `"phase":"applied"`) {
			t.Fatalf("%s: journal %s", point, j)
		}
		if point == "applied" {
			if got := systemctl(t, h, "is-enabled", "nginx"); got != "masked" {
				t.Errorf("killed after the change, nginx is %q", got)
			}
		}
		st := h.Exec(t, nowwhatIn, "--case", "/root/case-"+point, "contain", "status")
		if !strings.Contains(st.Stdout, "interrupted while being applied") {
			t.Errorf("%s: status: %s", point, st)
		}
		if r := h.Exec(t, nowwhatIn, "--case", "/root/case-"+point, "contain", "undo", "--apply"); r.Code != 0 || !strings.Contains(r.Stdout, "UNDONE") {
			t.Fatalf("%s: undo: %s", point, r)
		}
		if p, err, ok := waitPage(h, partner, 80, 10*time.Second, isNginx); !ok {
			t.Errorf("%s: nginx does not serve after undo: %+v %v", point, p, err)
		}
		if got := systemctl(t, h, "is-enabled", "nginx"); got != "enabled" {
			t.Errorf("%s: after undo nginx is %q", point, got)
		}
		if after := unitFiles(t, h); after != before {
			t.Errorf("%s: unit files differ after undo:\n%s\n%s", point, before, after)
		}
	}
}
