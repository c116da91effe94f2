package harden

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// realSSHD starts Debian's sshd on loopback with a configuration that includes the fixture
// root's sshd_config.d, so what harden writes there is what this real sshd reads.
func realSSHD(t *testing.T, r *fixture.Root, pub ssh.PublicKey) (addr, pidFile string) {
	t.Helper()
	bin := "/usr/sbin/sshd"
	if _, err := os.Stat(bin); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and Debian's openssh-server")
	}
	os.MkdirAll("/run/sshd", 0o755)
	dir := t.TempDir()
	_, hk, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(hk, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "host_key"), pem.EncodeToMemory(blk), 0o600)
	os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(pub), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pidFile = filepath.Join(dir, "sshd.pid")
	conf := fmt.Sprintf("Include %s/*.conf\nPort %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nPidFile %s\nAuthorizedKeysFile %s/authorized_keys\n"+
		"StrictModes no\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nPermitRootLogin yes\n",
		r.Path("/etc/ssh/sshd_config.d"), port, dir, pidFile, dir)
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600)
	cmd := exec.Command(bin, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); t.Logf("sshd log:\n%s", log.String()) })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(pidFile); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr, pidFile
}

// passwordOffered tries a (wrong) password login: it reports whether sshd asked for the
// password at all.
func passwordOffered(t *testing.T, addr string) bool {
	asked, ok := offered(t, addr)
	for i := 0; !ok && i < 50; i++ { // sshd re-executes itself on SIGHUP: the port is closed a moment
		time.Sleep(100 * time.Millisecond)
		asked, ok = offered(t, addr)
	}
	if !ok {
		t.Fatal("sshd does not answer")
	}
	return asked
}

// offered tries once; ok is false when the connection did not reach authentication.
func offered(t *testing.T, addr string) (asked, ok bool) {
	_, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Timeout: 5 * time.Second, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Auth: []ssh.AuthMethod{ssh.PasswordCallback(func() (string, error) { asked = true; return "wrong-password", nil })}})
	if err == nil {
		t.Fatal("a wrong password logged in")
	}
	return asked, strings.Contains(err.Error(), "unable to authenticate")
}

func keyLogin(addr string, signer ssh.Signer) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = keyLoginOnce(addr, signer); err == nil || !strings.Contains(err.Error(), "refused") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func keyLoginOnce(addr string, signer ssh.Signer) error {
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Timeout: 5 * time.Second, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}})
	if err == nil {
		c.Close()
	}
	return err
}

// eventually waits for sshd to have re-read its configuration after a SIGHUP.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	for i := 0; i < 60; i++ {
		if fn() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(what)
}

// TestRealSSHD: harden's sshd drop-in, applied on a fixture root that a real sshd reads:
// password logins are refused, the key still logs in, and an unconfirmed change rolls back by
// itself while a confirmed one stays.
func TestRealSSHD(t *testing.T) {
	r := fixture.Debian(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(key)
	addr, pidFile := realSSHD(t, r, signer.PublicKey())
	if !passwordOffered(t, addr) {
		t.Fatal("before harden, sshd does not even ask for passwords: the test proves nothing")
	}
	j, _ := OpenJournal(t.TempDir())
	env, err := contain.NewEnv(r.Dir, j)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ch := Change{Def: Lookup("ssh-no-password"), Rollback: 2 * time.Second, SSHDPidFile: pidFile, Live: true}
	out, err := contain.Run(env, ch, true)
	if err != nil || !out.Applied {
		t.Fatalf("apply: %v %+v", err, out)
	}
	eventually(t, "after harden, sshd still asks for passwords", func() bool { return !passwordOffered(t, addr) })
	if err := keyLogin(addr, signer); err != nil {
		t.Fatalf("the key no longer logs in: %v", err)
	}
	if p := Check(env.FS, ch.Def); len(p) != 0 {
		t.Errorf("check: %v", p)
	}
	// Not confirmed: the watcher puts it back at its time.
	if err := contain.Watch(env, out.ID, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the unconfirmed change did not roll back", func() bool { return passwordOffered(t, addr) })
	if r.Path("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf") != "" {
		if _, err := os.Stat(r.Path("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf")); !errors.Is(err, os.ErrNotExist) {
			t.Error("the drop-in is still there after the rollback")
		}
	}
	// Applied again and confirmed: the watcher leaves it.
	out, err = contain.Run(env, ch, true)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := contain.Confirm(j); err != nil || n != 1 {
		t.Fatalf("confirm: %d %v", n, err)
	}
	if err := contain.Watch(env, out.ID, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the confirmed change is gone", func() bool { return !passwordOffered(t, addr) })
	if err := keyLogin(addr, signer); err != nil {
		t.Fatalf("key: %v", err)
	}
}
