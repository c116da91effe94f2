package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/collect"
)

// needTools skips when the everyday tools the archive must open with are missing (CI installs
// them: age, zstd, tar).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install age zstd tar)", tool)
		}
	}
}

// TestCollectOpensWithEverydayTools: an encrypted archive of a fixture root opens with
// age -d | zstd -d | tar -x, every extracted file has the digest the manifest gives, collect
// verify agrees, and a flipped byte makes verify fail and say so.
func TestCollectOpensWithEverydayTools(t *testing.T) {
	needTools(t, "age", "age-keygen", "zstd", "tar")
	work := t.TempDir()
	r := fixture.Debian(t)
	r.File("/var/log/auth.log", "Nov 26 10:00:00 web1 sshd[1]: Accepted password for root from 203.0.113.9 port 4000 ssh2\n", 0o640)
	r.File("/tmp/.x/kworkerd", "\x7fELF\x02\x01\x01\x00"+strings.Repeat("\x00", 120), 0o755)
	key := filepath.Join(work, "case.agekey")
	out, err := exec.Command("age-keygen", "-o", key).CombinedOutput()
	if err != nil {
		t.Fatalf("age-keygen: %v %s", err, out)
	}
	pub := regexp.MustCompile(`age1[0-9a-z]+`).FindString(string(out))
	archive := filepath.Join(work, "web1.tar.zst.age")

	res := run(t, nil, "collect", "--root", r.Dir, "-o", archive, "--recipient", pub)
	if res.code != 0 || !strings.Contains(res.stderr, "sha256 ") {
		t.Fatalf("collect: %+v", res)
	}
	sum := fileSHA(t, archive)
	side, err := os.ReadFile(archive + ".sha256")
	if err != nil || !strings.HasPrefix(string(side), sum+"  web1.tar.zst.age") || !strings.Contains(res.stderr, sum) {
		t.Fatalf("sidecar %q, printed %q, archive %s", side, res.stderr, sum)
	}
	if fi, _ := os.Stat(archive); fi.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v", fi.Mode())
	}
	// Open it with the everyday tools.
	x := filepath.Join(work, "x")
	os.Mkdir(x, 0o700)
	sh := exec.Command("sh", "-c", `age -d -i "$1" "$2" | zstd -d | tar -x -C "$3"`, "sh", key, archive, x)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("age | zstd | tar: %v %s", err, out)
	}
	var m collect.Manifest
	data, err := os.ReadFile(filepath.Join(x, "manifest.json"))
	if err != nil || json.Unmarshal(data, &m) != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	checked := 0
	for _, it := range m.Items {
		if it.How != collect.HowCopied && it.How != collect.HowGenerated && it.How != collect.HowTruncated {
			continue
		}
		if got := fileSHA(t, filepath.Join(x, it.ArchivePath)); got != it.SHA256 {
			t.Errorf("%s: extracted %s, manifest %s", it.ArchivePath, got, it.SHA256)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d items checked", checked)
	}
	for _, p := range []string{"files/etc/shadow", "files/var/log/auth.log", "files/tmp/.x/kworkerd", "snapshot/check.json", "custody.json", "collection.log"} {
		if _, err := os.Stat(filepath.Join(x, p)); err != nil {
			t.Errorf("%s not in the archive: %v", p, err)
		}
	}
	// verify agrees; without the identity it says what is missing.
	if v := run(t, nil, "collect", "verify", "--identity", key, archive); v.code != 0 || !strings.Contains(v.stdout, "verified") || !strings.Contains(v.stdout, "matches web1.tar.zst.age.sha256") {
		t.Fatalf("verify: %+v", v)
	}
	if v := run(t, nil, "collect", "verify", archive); v.code != 3 || !strings.Contains(v.stderr, "--identity") {
		t.Errorf("verify without identity: %+v", v)
	}
	// check and investigate read the archive on a "clean machine".
	if c := run(t, nil, "check", "--evidence", archive, "--identity", key, "--format", "json"); c.code != 2 || !strings.Contains(c.stdout, "/tmp/.x/kworkerd") {
		t.Errorf("check --evidence: code %d\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	if i := run(t, nil, "investigate", "--evidence", archive, "--identity", key, "--format", "json"); i.code != 2 || !strings.Contains(i.stdout, "203.0.113.9") {
		t.Errorf("investigate --evidence: code %d\n%s\n%s", i.code, i.stdout, i.stderr)
	}
	// One flipped byte: verify fails and says where.
	raw, _ := os.ReadFile(archive)
	raw[len(raw)/2] ^= 1
	bad := filepath.Join(work, "bad.tar.zst.age")
	os.WriteFile(bad, raw, 0o600)
	os.WriteFile(bad+".sha256", side, 0o600)
	if v := run(t, nil, "collect", "verify", "--identity", key, bad); v.code != 1 || !strings.Contains(v.stdout, "FAILED") {
		t.Errorf("flipped byte: %+v", v)
	}
	// An archive is never overwritten silently.
	if again := run(t, nil, "collect", "--root", r.Dir, "-o", archive, "--recipient", pub); again.code != 3 || !strings.Contains(again.stderr, "exists") {
		t.Errorf("overwrite: %+v", again)
	}
}

// TestCollectPlainToStdout: without recipients the stream is zstd-compressed tar on stdout,
// and the warning says it is not encrypted.
func TestCollectPlainToStdout(t *testing.T) {
	needTools(t, "zstd", "tar")
	work := t.TempDir()
	r := fixture.Debian(t)
	cmd := exec.Command(binary, "collect", "--root", r.Dir, "-o", "-", "--quiet")
	f, err := os.Create(filepath.Join(work, "a.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = f
	cmd.Env = append(os.Environ(), "NOWWHAT_CASE=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("collect -o -: %v %s", err, stderr.String())
	}
	f.Close()
	if !strings.Contains(stderr.String(), "sha256 ") || !strings.Contains(stderr.String(), "standard output") {
		t.Errorf("the digest of a streamed archive is not printed: %q", stderr.String())
	}
	list, err := exec.Command("sh", "-c", `zstd -dc "$1" | tar -t`, "sh", filepath.Join(work, "a.tar.zst")).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "manifest.json") || !strings.Contains(string(list), "files/etc/passwd") {
		t.Fatalf("zstd | tar -t: %v\n%s", err, list)
	}
	if v := run(t, nil, "collect", "verify", filepath.Join(work, "a.tar.zst")); v.code != 0 {
		t.Errorf("verify: %+v", v)
	}
	res := run(t, nil, "collect", "--root", r.Dir, "-o", filepath.Join(work, "b.tar.zst"))
	if res.code != 0 || !strings.Contains(res.stderr, "not encrypted") {
		t.Errorf("plain archive: %+v", res)
	}
	if bad := run(t, nil, "collect", "--root", r.Dir, "-o", filepath.Join(work, "c"), "--recipient", "AGE-SECRET-KEY-1QQQ"); bad.code != 3 || !strings.Contains(bad.stderr, "secret key") {
		t.Errorf("secret key as recipient: %+v", bad)
	}
	if bad := run(t, nil, "collect", "--root", filepath.Join(work, "missing"), "-o", filepath.Join(work, "d")); bad.code != 3 || !strings.Contains(bad.stderr, "--root") {
		t.Errorf("missing root: %+v", bad)
	}
	if _, err := os.Stat(filepath.Join(work, "d")); err == nil {
		t.Error("a failed collection left an empty archive behind")
	}
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}
