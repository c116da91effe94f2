package rotate

// Tests against real servers the tests start themselves: MariaDB and PostgreSQL on unix sockets
// in temporary folders, and OpenSSH's sshd on a loopback port. They need root and the Debian
// packages (mariadb-server, postgresql, openssh-server; .ci/run installs them) and skip without.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/detect/secrets/secretstest"
)

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func waitFor(t *testing.T, what string, ok func() bool, logFile string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logFile)
	t.Fatalf("%s did not start:\n%s", what, b)
}

func exists(p string) func() bool {
	return func() bool { _, err := os.Stat(p); return err == nil }
}

// startMariaDB runs the test's own mariadbd on a unix socket, without networking.
func startMariaDB(t *testing.T) string {
	needRoot(t)
	if _, err := os.Stat("/usr/sbin/mariadbd"); err != nil {
		t.Skip("mariadb-server is not installed")
	}
	dir, _ := os.MkdirTemp("", "nowwhat-mariadb-")
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "mysqld.sock")
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	logf := filepath.Join(dir, "err.log")
	cmd := exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--datadir="+data, "--socket="+sock, "--skip-networking",
		"--user=root", "--pid-file="+filepath.Join(dir, "pid"), "--log-error="+logf, "--innodb-buffer-pool-size=16M")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "mariadbd", exists(sock), logf)
	return sock
}

// startPostgres runs the test's own PostgreSQL (as the postgres account) on a unix socket,
// with password (scram) authentication for everyone but the superuser.
func startPostgres(t *testing.T) (string, string) {
	needRoot(t)
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	pg, err := user.Lookup("postgres")
	if len(bins) == 0 || err != nil {
		t.Skip("postgresql is not installed")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, _ := os.MkdirTemp("", "nowwhat-pg-")
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.Chown(dir, uid, gid)
	data := filepath.Join(dir, "data")
	as := func(c *exec.Cmd) *exec.Cmd {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		c.Dir = dir
		return c
	}
	if out, err := as(exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres")).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte("local all postgres trust\nlocal all all scram-sha-256\n"), 0o600)
	os.Chown(filepath.Join(data, "pg_hba.conf"), uid, gid)
	port := strconv.Itoa(20000 + os.Getpid()%20000)
	logf := filepath.Join(dir, "log")
	cmd := as(exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", port, "-c", "listen_addresses=", "-c", "shared_buffers=16MB"))
	lf, _ := os.Create(logf)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait(); lf.Close() })
	waitFor(t, "postgres", exists(filepath.Join(dir, ".s.PGSQL."+port)), logf)
	return dir, port
}

func testCase(t *testing.T) (*Case, *age.X25519Identity) {
	c, err := OpenCase(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	return c, id
}

func baseRoot(t *testing.T) *fixture.Root {
	r := fixture.New(t)
	r.File("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n", 0o644)
	r.File("/etc/shadow", "root:*:19700:0:99999:7:::\nwww-data:*:19700:0:99999:7:::\n", 0o640)
	r.MkdirAll("/root", 0o700).MkdirAll("/var/www", 0o755)
	return r
}

var wpPassword = regexp.MustCompile(`define\( 'DB_PASSWORD', '([^']*)' \)`)

// TestDBPasswordsRotatedOnRealServers: the old password fails after rotate, the app's config
// holds the new one (which logs in), and a client file holding the same password follows.
func TestDBPasswordsRotatedOnRealServers(t *testing.T) {
	ctx := context.Background()
	t.Run("mariadb", func(t *testing.T) {
		sock := startMariaDB(t)
		admin := dbTarget{Engine: "mysql", User: "root", Net: "unix", Addr: sock}
		closeFn, exec, err := login(ctx, admin, "")
		if err != nil {
			t.Fatal(err)
		}
		old := secretstest.Value(16)
		for _, s := range []string{"CREATE DATABASE wordpress", "CREATE USER 'wp'@'localhost' IDENTIFIED BY '" + old + "'", "GRANT ALL ON wordpress.* TO 'wp'@'localhost'"} {
			if err := exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		closeFn()
		r := baseRoot(t)
		r.File("/var/www/blog/wp-config.php", "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', '"+old+"' );\ndefine( 'DB_HOST', 'localhost' );\n", 0o640)
		r.File("/root/.my.cnf", "[client]\nuser = wp\npassword = "+old+"\n", 0o600)
		checkDBRotation(t, r, DBAccess{MySQLSocket: sock}, dbTarget{Engine: "mysql", User: "wp", Net: "unix", Addr: sock}, old)
		if strings.Contains(r.Read("/root/.my.cnf"), old) {
			t.Error("~/.my.cnf still holds the old password")
		}
	})
	t.Run("postgresql", func(t *testing.T) {
		dir, port := startPostgres(t)
		admin := dbTarget{Engine: "postgresql", User: "postgres", Net: "unix", Addr: dir, Port: port, Database: "postgres"}
		var closeFn func()
		var exec func(context.Context, string) error
		var err error
		for i := 0; i < 100; i++ { // the socket appears before the server accepts logins
			if closeFn, exec, err = login(ctx, admin, ""); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		old := secretstest.Value(16)
		if err := exec(ctx, "CREATE ROLE app LOGIN PASSWORD '"+old+"'"); err != nil {
			t.Fatal(err)
		}
		closeFn()
		r := baseRoot(t)
		r.File("/var/www/app/.env", "APP_NAME=app\nDB_CONNECTION=pgsql\nDB_HOST=127.0.0.1\nDB_DATABASE=postgres\nDB_USERNAME=app\nDB_PASSWORD="+old+"\n", 0o640)
		checkDBRotation(t, r, DBAccess{PGSocketDir: dir, PGPort: port}, dbTarget{Engine: "postgresql", User: "app", Net: "unix", Addr: dir, Port: port, Database: "postgres"}, old)
	})
}

func checkDBRotation(t *testing.T, r *fixture.Root, acc DBAccess, tg dbTarget, old string) {
	ctx := context.Background()
	if c, _, err := login(ctx, tg, old); err != nil {
		t.Fatalf("the old password should log in before rotation: %v", err)
	} else {
		c()
	}
	c, id := testCase(t)
	opt := Options{Root: r.Dir, Case: c, Recipient: id.Recipient().String(), DB: acc, Only: []string{secrets.KindDB}, NoRules: true}
	res, err := Rotate(ctx, opt, true)
	if err != nil {
		t.Fatal(err)
	}
	var ev []string
	for _, a := range res.Actions {
		if a.Kind == "rotate-db-password" {
			ev = append(ev, a.Evidence...)
		}
	}
	if !strings.Contains(strings.Join(ev, "\n"), "the old password is refused") {
		t.Errorf("no proof at apply time: %v", ev)
	}
	if _, _, err := login(ctx, tg, old); !errors.Is(err, errAuth) {
		t.Fatalf("the old password must be refused after rotation, got %v", err)
	}
	var cfg, nw string
	for _, p := range []string{"/var/www/blog/wp-config.php", "/var/www/app/.env"} {
		if _, err := os.Stat(r.Path(p)); err == nil {
			cfg = r.Read(p)
		}
	}
	if m := wpPassword.FindStringSubmatch(cfg); m != nil {
		nw = m[1]
	} else if m := regexp.MustCompile(`DB_PASSWORD=(\S+)`).FindStringSubmatch(cfg); m != nil {
		nw = m[1]
	}
	if nw == "" || nw == old {
		t.Fatalf("the config does not hold a new password:\n%s", cfg)
	}
	if c, _, err := login(ctx, tg, nw); err != nil {
		t.Fatalf("the config's new password does not log in: %v", err)
	} else {
		c()
	}
	v, err := Verify(ctx, opt, []age.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range v.Items {
		if it.Kind == secrets.KindDB {
			n++
			if it.State != StateRotated || !strings.Contains(strings.Join(it.Evidence, "\n"), "old password is refused") {
				t.Errorf("verify: %s %s %v", it.ID, it.State, it.Evidence)
			}
		}
	}
	if n == 0 {
		t.Fatal("verify lists no database item")
	}
	// Without the identity the old password is not tried, and verify says so.
	v, _ = Verify(ctx, opt, nil)
	for _, it := range v.Items {
		if it.Kind == secrets.KindDB && strings.Contains(strings.Join(it.Evidence, "\n"), "is refused") {
			t.Errorf("verify without identity claims a refusal: %v", it.Evidence)
		}
	}
}

// startSSHD runs the test's own sshd on a loopback port, reading the fixture's host key and
// root's authorized_keys file.
func startSSHD(t *testing.T, r *fixture.Root) (string, func()) {
	needRoot(t)
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		t.Skip("openssh-server is not installed")
	}
	os.MkdirAll("/run/sshd", 0o755)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cfg := filepath.Join(dir, "sshd_config")
	os.WriteFile(cfg, []byte(fmt.Sprintf("Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPidFile %s\n",
		port, r.Path("/etc/ssh/ssh_host_ed25519_key"), r.Path("/root/.ssh/authorized_keys"), filepath.Join(dir, "pid"))), 0o600)
	var cmd *exec.Cmd
	logf := filepath.Join(dir, "log")
	start := func() {
		cmd = exec.Command("/usr/sbin/sshd", "-D", "-f", cfg, "-E", logf)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "sshd", func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		}, logf)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	start()
	t.Cleanup(stop)
	return addr, func() { stop(); start() }
}

func logsIn(addr string, s ssh.Signer) error {
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(s)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err == nil {
		c.Close()
	}
	return err
}

// TestSSHKeysAndHostKeysWithRealSSHD: the unknown key is pruned and refused by a real sshd while
// the known key still logs in; the host key changes and sshd no longer offers the old one.
func TestSSHKeysAndHostKeysWithRealSSHD(t *testing.T) {
	r := baseRoot(t)
	_, knownPub, known := secretstest.SSHKey("admin@laptop")
	_, unknownPub, unknown := secretstest.SSHKey("intruder")
	hostPriv, _, hostSigner := secretstest.SSHKey("root@web1")
	r.File("/etc/ssh/ssh_host_ed25519_key", hostPriv, 0o600)
	r.File("/etc/ssh/sshd_config", "PermitRootLogin prohibit-password\n", 0o644)
	r.File("/root/.ssh/authorized_keys", knownPub+"\n"+unknownPub+"\n", 0o600)
	addr, restart := startSSHD(t, r)
	for name, s := range map[string]ssh.Signer{"known": known, "unknown": unknown} {
		if err := logsIn(addr, s); err != nil {
			t.Fatalf("before rotation the %s key should log in: %v", name, err)
		}
	}
	oldHost := ssh.FingerprintSHA256(hostSigner.PublicKey())
	if offered, err := HostKeys(addr); err != nil || !offersFP(offered, oldHost) {
		t.Fatalf("sshd offers %v (%v), want %s", offered, err, oldHost)
	}

	c, id := testCase(t)
	opt := Options{Root: r.Dir, Case: c, Recipient: id.Recipient().String(), Keep: []string{ssh.FingerprintSHA256(known.PublicKey())},
		Only: []string{secrets.KindAuthorized, secrets.KindHostKey}, NoRules: true, SSHAddr: addr}
	res, err := Rotate(context.Background(), opt, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.HostKeys) != 1 {
		t.Fatalf("new host keys: %v", res.HostKeys)
	}
	restart() // sshd loads host keys when it starts
	if err := logsIn(addr, unknown); err == nil {
		t.Error("the unknown key still logs in")
	}
	if ok, err := SSHAccepts(addr, "root", unknown.PublicKey()); err != nil || ok {
		t.Errorf("sshd still accepts the unknown key (%v, %v)", ok, err)
	}
	if ok, err := SSHAccepts(addr, "root", known.PublicKey()); err != nil || !ok {
		t.Errorf("the probe says the known key is refused (%v, %v)", ok, err)
	}
	if err := logsIn(addr, known); err != nil {
		t.Errorf("the known key no longer logs in: %v", err)
	}
	offered, err := HostKeys(addr)
	if err != nil || offersFP(offered, oldHost) || !offersFP(offered, strings.Fields(res.HostKeys[0])[1]) {
		t.Errorf("sshd offers %v (%v); old %s, new %s", offered, err, oldHost, res.HostKeys[0])
	}
	v, err := Verify(context.Background(), opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, it := range v.Items {
		ev := strings.Join(it.Evidence, "\n")
		switch {
		case it.Kind == secrets.KindAuthorized && it.Known == "operator":
			seen["kept"] = it.State == StateKept
		case it.Kind == secrets.KindAuthorized:
			seen["pruned"] = it.State == StateGone && strings.Contains(ev, "refuses the removed key")
		case it.Kind == secrets.KindHostKey:
			seen["host"] = it.State == StateRotated && strings.Contains(ev, "no longer offers the old host key")
		}
	}
	for _, k := range []string{"kept", "pruned", "host"} {
		if !seen[k] {
			t.Errorf("verify: %s not shown with its evidence", k)
			for _, it := range v.Items {
				t.Logf("%s %s %s %v", it.ID, it.Kind, it.State, it.Evidence)
			}
		}
	}
}

// TestShadowNewAndExpire: on a fixture root, --passwords new changes the hash (which the new
// password, from the sealed file, matches) and expire sets the last change to 0.
func TestShadowNewAndExpire(t *testing.T) {
	for _, mode := range []string{"new", "expire"} {
		t.Run(mode, func(t *testing.T) {
			r := baseRoot(t)
			old := "$6$abcdefgh$" + secretstest.Value(70)
			r.File("/etc/shadow", "root:*:19700:0:99999:7:::\nwww-data:*:19700:0:99999:7:::\nbob:"+old+":19000:0:99999:7:::\n", 0o640)
			r.Append("/etc/passwd", "bob:x:1001:1001::/home/bob:/bin/bash\n")
			c, id := testCase(t)
			opt := Options{Root: r.Dir, Case: c, Recipient: id.Recipient().String(), Passwords: mode, Only: []string{secrets.KindPassword}, NoRules: true}
			if _, err := Rotate(context.Background(), opt, true); err != nil {
				t.Fatal(err)
			}
			line := strings.Split(r.Read("/etc/shadow"), "\n")[2]
			f := strings.Split(line, ":")
			switch mode {
			case "new":
				if f[1] == old || !strings.HasPrefix(f[1], "$6$") {
					t.Fatalf("hash not replaced: %s", f[1][:3])
				}
				sealed := c.sealed("new-secrets-*.age")
				data, err := c.open(sealed[0], []age.Identity{id})
				if err != nil {
					t.Fatal(err)
				}
				pw := strings.TrimSpace(strings.TrimPrefix(string(data), "account bob: "))
				parts := strings.Split(f[1], "$") // $6$rounds=N$salt$hash
				rounds, _ := strconv.Atoi(strings.TrimPrefix(parts[2], "rounds="))
				if sha512Crypt(pw, parts[3], rounds) != f[1] {
					t.Error("the new hash does not match the sealed password")
				}
			case "expire":
				if f[1] != old || f[2] != "0" {
					t.Fatalf("expire: hash kept %v, last change %q", f[1] == old, f[2])
				}
			}
			v, err := Verify(context.Background(), opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range v.Items {
				if it.Kind == secrets.KindPassword && it.State != StateRotated {
					t.Errorf("verify: %s %s %v", it.ID, it.State, it.Evidence)
				}
			}
			pend, err := Pending(c.Dir)
			if err == nil {
				t.Errorf("Pending before any saved result should fail, got %d items", len(pend))
			}
		})
	}
}
