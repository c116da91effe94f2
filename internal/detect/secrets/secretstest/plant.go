// Package secretstest plants one credential of every kind in a fixture root, for the tests of
// the inventory, of rotate and of the command line, and for measuring recall per kind.
package secretstest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// Planted is one credential written into the fixture.
type Planted struct {
	Kind   string
	Path   string
	Line   int
	Secret string // the value as written: no output may ever contain it
}

const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// Value is a random secret with a recognisable prefix, unique in any output.
func Value(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return "Pl4nt" + string(b)
}

// SSHKey makes an ed25519 key: its OpenSSH private PEM and authorized_keys line.
func SSHKey(comment string) (priv string, pub string, signer ssh.Signer) {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	blk, _ := ssh.MarshalPrivateKey(k, comment)
	s, _ := ssh.NewSignerFromKey(k)
	return string(pem.EncodeToMemory(blk)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment, s
}

func ecPEM() string {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// lineOf is the 1-based line of the first line containing s.
func lineOf(text, s string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// Plant writes accounts (root, alice, www-data) and one credential of every kind into r.
func Plant(r *fixture.Root) []Planted {
	var out []Planted
	add := func(kind, path, content, secret string, mode uint32) {
		r.File(path, content, fileMode(mode))
		out = append(out, Planted{Kind: kind, Path: path, Line: lineOf(content, firstLine(secret)), Secret: secret})
	}
	hash := "$6$" + Value(11) + "$" + Value(60)
	r.File("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n", 0o644)
	r.File("/etc/shadow", "root:*:19700:0:99999:7:::\nalice:"+hash+":19700:0:99999:7:::\nwww-data:*:19700:0:99999:7:::\n", 0o640)
	out = append(out, Planted{Kind: "password", Path: "/etc/shadow", Line: 2, Secret: hash})
	r.File("/etc/group", "root:x:0:\nalice:x:1000:\nwww-data:x:33:\n", 0o644)
	r.MkdirAll("/root", 0o700).MkdirAll("/home/alice/.ssh", 0o700).MkdirAll("/var/www", 0o755)
	r.File("/etc/ssh/sshd_config", "PermitRootLogin prohibit-password\nAuthorizedKeysFile .ssh/authorized_keys\n", 0o644)

	_, pub, _ := SSHKey("alice@laptop")
	r.File("/home/alice/.ssh/authorized_keys", pub+"\n", 0o600)
	out = append(out, Planted{Kind: "ssh-authorized-key", Path: "/home/alice/.ssh/authorized_keys", Line: 1})

	priv, _, _ := SSHKey("alice@server")
	add("ssh-private-key", "/home/alice/.ssh/id_ed25519", priv, priv, 0o600)
	hk, _, _ := SSHKey("root@web1")
	add("ssh-host-key", "/etc/ssh/ssh_host_ed25519_key", hk, hk, 0o600)
	tls := ecPEM()
	add("tls-key", "/etc/ssl/private/web.key", tls, tls, 0o600)
	acme := `{"e": "AQAB", "kty": "RSA", "n": "x", "d": "` + Value(40) + `"}`
	add("acme-account", "/etc/letsencrypt/accounts/acme-v02.api.letsencrypt.org/directory/0123abcd/private_key.json", acme, acme, 0o400)

	dbpw := Value(20)
	salt := Value(64)
	wp := "<?php\n/** The name of the database for WordPress */\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', '" + dbpw + "' );\ndefine( 'DB_HOST', 'localhost' );\n" +
		"define( 'AUTH_KEY', '" + salt + "' );\ndefine( 'SECURE_AUTH_KEY', 'put your unique phrase here' );\n$table_prefix = 'wp_';\n"
	add("db-password", "/var/www/blog/wp-config.php", wp, dbpw, 0o640)
	out = append(out, Planted{Kind: "app-secret", Path: "/var/www/blog/wp-config.php", Line: lineOf(wp, salt), Secret: salt})

	appKey := "base64:" + base64.StdEncoding.EncodeToString([]byte(Value(27)))
	prev := "base64:" + base64.StdEncoding.EncodeToString([]byte(Value(27)))
	env := "APP_NAME=Shop\nAPP_ENV=production\nAPP_KEY=" + appKey + "\nAPP_PREVIOUS_KEYS=" + prev + "\nDB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_PASSWORD=\n"
	add("app-secret", "/var/www/shop/.env", env, appKey, 0o640)
	out = append(out, Planted{Kind: "app-secret", Path: "/var/www/shop/.env", Line: lineOf(env, prev), Secret: prev})
	dj := Value(50)
	add("app-secret", "/srv/portal/portal/settings.py", "DEBUG = False\nSECRET_KEY = '"+dj+"'\nALLOWED_HOSTS = ['portal.example']\n", dj, 0o640)

	rp := Value(24)
	add("redis-password", "/etc/redis/redis.conf", "bind 127.0.0.1\nport 6379\nrequirepass "+rp+"\n", rp, 0o640)
	aws := Value(40)
	add("cloud-key", "/root/.aws/credentials", "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "+aws+"\n", aws, 0o600)
	gt := "ghp_" + Value(31)
	add("token", "/home/alice/.git-credentials", "https://alice:"+gt+"@github.com\n", gt, 0o600)
	dock := base64.StdEncoding.EncodeToString([]byte("alice:" + Value(20)))
	add("token", "/root/.docker/config.json", `{"auths": {"registry.example.com": {"auth": "`+dock+`"}}}`, dock, 0o600)
	kube := Value(40)
	add("token", "/root/.kube/config", "apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: "+kube+"\n", kube, 0o600)
	nrc := Value(20)
	add("token", "/home/alice/.netrc", "machine ftp.example.com login alice password "+nrc+"\n", nrc, 0o600)
	npm := "npm_" + Value(36)
	add("token", "/home/alice/.npmrc", "//registry.npmjs.org/:_authToken="+npm+"\n", npm, 0o600)
	vt := "hvs." + Value(24)
	add("token", "/root/.vault-token", vt, vt, 0o600)
	rest := Value(24)
	add("backup-passphrase", "/etc/restic/env", "RESTIC_REPOSITORY=sftp:backup@nas:/srv/restic\nRESTIC_PASSWORD="+rest+"\n", rest, 0o600)
	sasl := Value(20)
	add("mail-relay", "/etc/postfix/sasl_passwd", "[smtp.relay.example]:587 web1@example.com:"+sasl+"\n", sasl, 0o600)
	dkim := ecPEM()
	add("dkim-key", "/etc/dkimkeys/mail.private", dkim, dkim, 0o600)
	wg := base64.StdEncoding.EncodeToString([]byte(Value(27)))
	add("vpn-key", "/etc/wireguard/wg0.conf", "[Interface]\nAddress = 10.8.0.1/24\nPrivateKey = "+wg+"\nListenPort = 51820\n", wg, 0o600)
	kt := "\x05\x02\x00\x00\x00\x40" + Value(30)
	add("keytab", "/etc/krb5.keytab", kt, kt, 0o600)
	sd := Value(30)
	add("systemd-credential", "/etc/systemd/system/worker.service", "[Service]\nExecStart=/usr/local/bin/worker\nEnvironment=\"LOG_LEVEL=info\" \"API_TOKEN="+sd+"\"\n", sd, 0o644)
	cr := Value(16)
	add("cron-secret", "/etc/cron.d/dbbackup", "30 2 * * * root mysqldump -u backup -p'"+cr+"' --all-databases > /var/backups/all.sql\n", cr, 0o644)
	hi := Value(16)
	add("history-secret", "/root/.bash_history", "ls\ncd /var/www\nsshpass -p '"+hi+"' ssh deploy@10.0.0.5\nexit\n", hi, 0o600)
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func fileMode(m uint32) os.FileMode { return os.FileMode(m) }

var _ = fmt.Sprint
