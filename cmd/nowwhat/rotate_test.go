package main

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/detect/secrets/secretstest"
)

// TestRotateEndToEnd runs inventory, apply, status, verify and waive on a fixture root with one
// credential of every kind planted, then greps every byte of every output and of every file in
// the case folder for each planted secret and each new password: none may appear.
func TestRotateEndToEnd(t *testing.T) {
	r := fixture.New(t)
	planted := secretstest.Plant(r)
	caseDir := filepath.Join(t.TempDir(), "case")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "id.key")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	before := map[string]string{}
	for _, p := range []string{"/etc/shadow", "/etc/ssh/ssh_host_ed25519_key", "/var/www/blog/wp-config.php", "/var/www/shop/.env", "/home/alice/.ssh/authorized_keys"} {
		before[p] = r.Read(p)
	}

	var outputs []string
	step := func(wantCode int, args ...string) result {
		t.Helper()
		res := run(t, nil, append([]string{"--case", caseDir}, args...)...)
		outputs = append(outputs, res.stdout, res.stderr)
		if res.code != wantCode {
			t.Fatalf("%v: exit %d, want %d\n%s\n%s", args, res.code, wantCode, res.stdout, res.stderr)
		}
		return res
	}
	inv := step(0, "rotate", "--root", r.Dir)
	for _, want := range []string{"password (1)", "ssh-authorized-key (1)", "ssh-host-key (1)", "db-password (1)", "WARNING: no containment is in force", "history-secret (1)"} {
		if !strings.Contains(inv.stdout, want) {
			t.Errorf("inventory lacks %q:\n%s", want, inv.stdout)
		}
	}
	js := step(0, "rotate", "--root", r.Dir, "--format", "json")
	var res struct {
		Items []struct{ ID, Kind, State, Fingerprint string }
	}
	if err := json.Unmarshal([]byte(js.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Items) < 25 {
		t.Fatalf("%d items", len(res.Items))
	}
	if r := step(1, "rotate", "--root", r.Dir, "--apply"); !strings.Contains(r.stderr, "--recipient") {
		t.Errorf("apply without a recipient: %s", r.stderr)
	}
	step(0, "rotate", "--root", r.Dir, "--apply", "--recipient", id.Recipient().String(), "--keep", "SHA256:none-of-these")
	after := map[string]string{}
	for p := range before {
		after[p] = r.Read(p)
		if after[p] == before[p] {
			t.Errorf("%s unchanged by rotate --apply", p)
		}
	}
	if strings.Contains(after["/var/www/shop/.env"], "APP_PREVIOUS_KEYS=base64") || !strings.Contains(after["/var/www/shop/.env"], "APP_PREVIOUS_KEYS=\n") {
		t.Errorf("APP_PREVIOUS_KEYS not emptied:\n%s", after["/var/www/shop/.env"])
	}
	if strings.Contains(after["/home/alice/.ssh/authorized_keys"], "ssh-ed25519") {
		t.Error("the unknown key is still authorized")
	}
	st := step(1, "rotate", "status")
	if !strings.Contains(st.stdout, "guided") {
		t.Errorf("status:\n%s", st.stdout)
	}
	v := step(1, "rotate", "verify", "--root", r.Dir, "--identity", idFile)
	if !strings.Contains(v.stdout, "fingerprint changed") {
		t.Errorf("verify shows no evidence:\n%s", v.stdout)
	}
	var first string
	for _, it := range res.Items {
		if it.Kind == "tls-key" {
			first = it.ID
		}
	}
	step(0, "rotate", "waive", first, "snake-oil key served nowhere")
	if st := step(1, "rotate", "status"); !strings.Contains(st.stdout, "waived: snake-oil key served nowhere") {
		t.Errorf("waiver not shown:\n%s", st.stdout)
	}
	step(1, "rotate", "waive", "no-such-id", "x")

	// The new passwords, for the grep too.
	var secretsToFind []string
	for _, p := range planted {
		for _, l := range strings.Split(p.Secret, "\n") {
			if len(l) >= 12 && !strings.HasPrefix(l, "-----") {
				secretsToFind = append(secretsToFind, l)
			}
		}
	}
	sealed, _ := filepath.Glob(filepath.Join(caseDir, "rotate", "new-secrets-*.age"))
	if len(sealed) != 1 {
		t.Fatalf("sealed new secrets: %v", sealed)
	}
	f, _ := os.Open(sealed[0])
	dec, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	buf := new(strings.Builder)
	buf.Write(data)
	f.Close()
	if !strings.HasPrefix(buf.String(), "account alice: ") {
		t.Fatalf("new secrets file: %d bytes, not the expected form", buf.Len())
	}
	secretsToFind = append(secretsToFind, strings.TrimSpace(strings.TrimPrefix(strings.SplitN(buf.String(), "\n", 2)[0], "account alice: ")))

	var blobs []string
	blobs = append(blobs, outputs...)
	filepath.WalkDir(caseDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			blobs = append(blobs, string(b))
		}
		return nil
	})
	for _, s := range secretsToFind {
		for _, b := range blobs {
			if strings.Contains(b, s) {
				t.Errorf("a secret (%d chars, %q...) appears in an output or a case file", len(s), s[:6])
				break
			}
		}
	}
	t.Logf("grepped %d outputs and case files for %d secrets", len(blobs), len(secretsToFind))
}
