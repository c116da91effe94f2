package bootlab

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
)

// account finds a user's uid, gid and home in the container's /etc/passwd.
func (h *Host) account(user string) (uid, gid int, home string, err error) {
	data, err := h.ReadFile(catalog.Path("passwd"))
	if err != nil {
		return 0, 0, "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 7 && f[0] == user {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			return uid, gid, f[5], nil
		}
	}
	return 0, 0, "", fmt.Errorf("no account %q in the container", user)
}

// AuthorizeKey makes a new ed25519 key and adds its public half to the user's
// ~/.ssh/authorized_keys inside (created 0600, the user's). It returns the key to log in with.
func (h *Host) AuthorizeKey(t testing.TB, user string) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	uid, gid, home, err := h.account(user)
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.fs()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := strings.TrimPrefix(filepath.Join(home, catalog.Get("ssh.home").Rel()), "/")
	if err := r.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := dir + "/authorized_keys"
	old, _ := r.ReadFile(file)
	line := bytes.TrimSpace(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	data := append(old, append(line, []byte(" bootlab-"+user+"\n")...)...)
	if err := r.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		if err := r.Lchown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return signer
}

// hostKey is the container's own ed25519 host key: the client checks the server is the lab.
func (h *Host) hostKey() (ssh.PublicKey, error) {
	data, err := h.ReadFile("/etc/ssh/ssh_host_ed25519_key.pub")
	if err != nil {
		return nil, err
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(data)
	return k, err
}

// SSHClient logs in to the container's sshd (port 22) from a peer address ("" for the first)
// as user with key, as a remote administrator (or an intruder) would.
func (h *Host) SSHClient(from, user string, key ssh.Signer) (*ssh.Client, error) {
	hk, err := h.hostKey()
	if err != nil {
		return nil, fmt.Errorf("the container's host key: %w", err)
	}
	conn, err := h.Dial(from, 22, 5*time.Second)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(hk), HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}, Timeout: 10 * time.Second}
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	c, chans, reqs, err := ssh.NewClientConn(conn, net.JoinHostPort(h.Addr(), "22"), cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// SSH logs in as user with key and runs a command; it returns what the command printed (stdout
// and stderr). The error is the login's (the server refused it) or the command's exit status.
func (h *Host) SSH(user string, key ssh.Signer, command string) (string, error) {
	c, err := h.SSHClient("", user, key)
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(command)
	return string(out), err
}

// LoginRefused reports whether an SSH error is the server refusing the login (as opposed to a
// network failure or a command that failed after logging in).
func LoginRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "unable to authenticate")
}
