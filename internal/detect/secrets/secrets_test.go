package secrets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/detect/secrets/secretstest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func scan(t *testing.T, dir string, opt secrets.Options) *secrets.Inventory {
	t.Helper()
	fsys, err := hostfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if opt.Key == nil {
		opt.Key = testKey
	}
	inv, err := secrets.Scan(context.Background(), fsys, opt)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestRecallPerKind plants one credential of every kind (several for tokens) and requires each
// to be found, with its kind, file and line; it logs the recall per kind.
func TestRecallPerKind(t *testing.T) {
	r := fixture.New(t)
	planted := secretstest.Plant(r)
	inv := scan(t, r.Dir, secrets.Options{})
	found := map[string][2]int{}
	for _, p := range planted {
		ok := false
		for _, it := range inv.Items {
			if it.Kind == p.Kind && it.Path == p.Path && (p.Line == 0 || it.Line == 0 || it.Line == p.Line) {
				ok = true
			}
		}
		c := found[p.Kind]
		c[1]++
		if ok {
			c[0]++
		} else {
			t.Errorf("planted %s in %s line %d: not found", p.Kind, p.Path, p.Line)
		}
		found[p.Kind] = c
	}
	var kinds []string
	for k := range found {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("recall %-20s %d/%d", k, found[k][0], found[k][1])
	}
	if len(kinds) < 19 {
		t.Errorf("only %d kinds planted", len(kinds))
	}
	for _, it := range inv.Items {
		if it.Fingerprint == "" || it.ID == "" || it.Method == "" || it.How == "" {
			t.Errorf("incomplete item %+v", it)
		}
	}
}

// TestNoSecretInOutput: the inventory's JSON and its printed form hold none of the planted
// values, and %+v of an item prints none either.
func TestNoSecretInOutput(t *testing.T) {
	r := fixture.New(t)
	planted := secretstest.Plant(r)
	inv := scan(t, r.Dir, secrets.Options{})
	js, _ := json.Marshal(inv)
	text := fmt.Sprintf("%+v %v %#v", inv, inv.Items, inv.Items)
	for _, p := range planted {
		if p.Secret == "" {
			continue
		}
		for _, part := range secretParts(p.Secret) {
			if strings.Contains(string(js), part) || strings.Contains(text, part) {
				t.Errorf("planted %s secret from %s appears in output", p.Kind, p.Path)
			}
		}
	}
	// the values are held for rotation
	held := 0
	for i := range inv.Items {
		if inv.Items[i].HasSecret() {
			held++
		}
	}
	if held == 0 {
		t.Fatal("no secret held in memory for rotation")
	}
}

// secretParts splits a multi-line secret (a PEM key) into its distinctive lines.
func secretParts(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func TestFingerprintStableAndKeyed(t *testing.T) {
	r := fixture.New(t)
	secretstest.Plant(r)
	a := scan(t, r.Dir, secrets.Options{})
	b := scan(t, r.Dir, secrets.Options{})
	c := scan(t, r.Dir, secrets.Options{Key: []byte("another key, at least 16 bytes")})
	if len(a.Items) != len(b.Items) || len(a.Items) != len(c.Items) {
		t.Fatalf("items %d %d %d", len(a.Items), len(b.Items), len(c.Items))
	}
	for i := range a.Items {
		if a.Items[i].ID != b.Items[i].ID || a.Items[i].Fingerprint != b.Items[i].Fingerprint {
			t.Errorf("unstable item %s", a.Items[i].ID)
		}
		if a.Items[i].Fingerprint == c.Items[i].Fingerprint {
			t.Errorf("fingerprint of %s does not depend on the key", a.Items[i].ID)
		}
	}
	// a changed secret keeps its ID and changes its fingerprint
	r.File("/etc/redis/redis.conf", "requirepass "+secretstest.Value(24)+"\n", 0o640)
	d := scan(t, r.Dir, secrets.Options{})
	for _, x := range a.Items {
		if x.Kind != secrets.KindRedis {
			continue
		}
		y, ok := d.ByID(x.ID)
		if !ok {
			t.Fatalf("redis item %s lost its ID", x.ID)
		}
		if y.Fingerprint == x.Fingerprint {
			t.Error("fingerprint unchanged after the password changed")
		}
	}
}

func TestPlaceholdersAndReferencesAreNotSecrets(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	r.MkdirAll("/root", 0o700)
	r.File("/var/www/a/wp-config.php", "<?php\ndefine( 'DB_PASSWORD', 'password_here' );\ndefine( 'AUTH_KEY', 'put your unique phrase here' );\ndefine('DB_USER', getenv('DB_USER'));\n", 0o644)
	r.File("/var/www/b/.env", "DB_PASSWORD=${DB_PASS}\nAPP_KEY=\nSTRIPE_SECRET=changeme\nSESSION_LIFETIME=120\nPASSWORD_TIMEOUT=10800\n", 0o644)
	r.File("/var/www/c/settings.py", "SECRET_KEY = os.environ['SECRET_KEY']\nPASSWORD_HASHERS = []\n", 0o644)
	r.File("/etc/systemd/system/x.service", "[Service]\nEnvironment=TOKEN_FILE=/run/secrets/token KEY_ID=abc\n", 0o644)
	inv := scan(t, r.Dir, secrets.Options{})
	for _, it := range inv.Items {
		t.Errorf("false positive: %s %s %s", it.Kind, it.Where(), it.Name)
	}
}

func TestParsersDoNotPanic(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n\x00garbage\n", 0o644)
	r.MkdirAll("/root/.ssh", 0o700)
	r.File("/root/.pgpass", "localhost:5432:*:app:\\\nx", 0o600)
	r.File("/root/.netrc", "machine", 0o600)
	r.File("/root/.docker/config.json", "{not json", 0o600)
	r.File("/root/.ssh/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\ntruncated", 0o600)
	r.File("/etc/openvpn/a.conf", "<key>\nunterminated", 0o600)
	r.Symlink("/etc/shadow", "/root/.my.cnf")
	scan(t, r.Dir, secrets.Options{})
}
