package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// treeDigest is every file, link and folder under dir with its mode and content (or target):
// it tells whether a command changed anything in a root.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, dir)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case d.IsDir():
			out[rel] = "dir " + info.Mode().String()
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:8])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func digestDiff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k+": "+v+" -> "+b[k])
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+": new "+v)
		}
	}
	sort.Strings(out)
	return out
}

// breachedWordPress is fixture.Breached (a password guessed over SSH, a web shell in the
// uploads) served by nginx with PHP-FPM, sshd taking passwords as cloud images set it, and an
// openssh older than the regreSSHion fix.
func breachedWordPress(t *testing.T) *fixture.Root {
	r := fixture.Breached(t)
	r.File("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n", 0o644)
	r.Source("openssh-server", "1:9.2p1-2+deb12u2", "openssh")
	r.File("/etc/nginx/nginx.conf", "events {}\nhttp {\n\tinclude /etc/nginx/sites-enabled/*;\n}\n", 0o644)
	r.File("/etc/nginx/sites-available/default", "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n\tindex index.php;\n\tlocation / {\n\t\ttry_files $uri $uri/ /index.php?$args;\n\t}\n\tlocation ~ \\.php$ {\n\t\tinclude snippets/fastcgi-php.conf;\n\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;\n\t}\n}\n", 0o644)
	r.Symlink("/etc/nginx/sites-available/default", "/etc/nginx/sites-enabled/default")
	r.File("/etc/php/8.2/fpm/pool.d/www.conf", "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = dynamic\n", 0o644)
	r.File("/var/www/html/index.php", "<?php require 'wp-blog-header.php';\n", 0o644)
	return r
}

type holesJSON struct {
	Holes []struct {
		ID, Subject string
		Used        bool
		Fixes       []string
		CVEs        []string
	} `json:"holes"`
}

// TestLoopholeAndHardenEndToEnd runs the binary as an administrator would on a mounted root:
// loophole names the guessed password and the upload folder that runs PHP, and CVE-2024-6387
// of the old openssh; harden's plan changes nothing; --apply writes the changes that close
// the holes; status tells the sshd change waits for confirmation, confirm closes the hole,
// undo --all puts every file back as it was; and an unconfirmed sshd change is put back by
// the detached rollback timer the command starts.
func TestLoopholeAndHardenEndToEnd(t *testing.T) {
	r := breachedWordPress(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	in := func(args ...string) []string { return append([]string{"--case", caseDir}, args...) }
	osv, _ := filepath.Abs("../../internal/detect/vulns/testdata/osv")

	res := run(t, nil, in("loophole", "--root", r.Dir, "--osv", osv, "--format", "json")...)
	if res.code != 0 {
		t.Fatalf("loophole: %+v", res)
	}
	var rep holesJSON
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("loophole json: %v\n%s", err, res.stdout)
	}
	found := map[string]bool{}
	for _, h := range rep.Holes {
		found[h.ID+" "+h.Subject] = h.Used
		if h.ID == "vulnerable-service" && strings.Contains(strings.Join(h.CVEs, ","), "CVE-2024-6387") {
			found["CVE-2024-6387"] = true
		}
	}
	if _, web := found["web-upload-php /var/www/html/wp-content/uploads"]; !found["ssh-password-login deploy"] || !web {
		t.Fatalf("holes (name: used): %v\n%s", found, res.stdout)
	}
	if _, ok := found["CVE-2024-6387"]; !ok {
		t.Errorf("regreSSHion not named: %v", found)
	}
	text := run(t, nil, in("loophole", "--root", r.Dir, "--osv", osv)...)
	if !strings.Contains(text.stdout, "THE HOLE: [ssh-password-login]") || !strings.Contains(text.stdout, "closed by: nowwhat harden --only ssh-no-password,ssh-limits,ssh-rate-limit") {
		t.Errorf("loophole text:\n%s", text.stdout)
	}

	before := treeDigest(t, r.Dir)
	plan := run(t, nil, in("harden", "--root", r.Dir)...)
	if plan.code != 0 || !strings.Contains(plan.stdout, "PLAN: [ssh-no-password]") || !strings.Contains(plan.stdout, "to do it: add --apply") {
		t.Fatalf("plan: %+v", plan)
	}
	if i, k := strings.Index(plan.stdout, "[ssh-no-password]"), strings.Index(plan.stdout, "[php-uploads-noexec]"); i < 0 || k < 0 || i > k || k > strings.Index(plan.stdout, "[unattended-upgrades]") {
		t.Errorf("the changes that close the holes come first:\n%s", plan.stdout)
	}
	if !strings.Contains(plan.stdout, "LEFT OUT: ssh-rate-limit") || !strings.Contains(plan.stdout, "mounted root") {
		t.Errorf("the firewall change on a mounted root:\n%s", plan.stdout)
	}
	if d := digestDiff(before, treeDigest(t, r.Dir)); len(d) > 0 {
		t.Fatalf("the plan changed the root: %v", d)
	}

	apply := run(t, nil, in("harden", "--root", r.Dir, "--only", "ssh-no-password,php-uploads-noexec,php-disable-functions", "--apply", "--rollback-after", "1h")...)
	if apply.code != 0 || strings.Count(apply.stdout, "DONE: ") != 3 || !strings.Contains(apply.stdout, "rollback timer running") {
		t.Fatalf("apply: %+v", apply)
	}
	if !strings.Contains(r.Read("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf"), "PasswordAuthentication no") ||
		!strings.Contains(r.Read("/etc/nginx/sites-available/default"), `location ~* ^/wp-content/uploads/`) ||
		!strings.Contains(r.Read("/etc/php/8.2/fpm/pool.d/www.conf"), "php_admin_value[disable_functions]") {
		t.Fatal("the files were not written")
	}
	if !strings.Contains(apply.stdout, "nginx -t && systemctl reload nginx") || !strings.Contains(apply.stdout, "systemctl reload php8.2-fpm") {
		t.Errorf("the reloads are not named:\n%s", apply.stdout)
	}
	st := run(t, nil, in("harden", "status", "--root", r.Dir)...)
	if !strings.Contains(st.stdout, "IN FORCE: harden ssh-no-password (applied, rolls back at") ||
		!strings.Contains(st.stdout, "HOLE ssh-password-login deploy (the way in): OPEN") ||
		!strings.Contains(st.stdout, "HOLE web-upload-php /var/www/html/wp-content/uploads: CLOSED by php-uploads-noexec") {
		t.Errorf("status before confirm:\n%s", st.stdout)
	}
	if c := run(t, nil, in("harden", "confirm", "--root", r.Dir)...); !strings.Contains(c.stdout, "confirmed 1 changes") {
		t.Errorf("confirm: %+v", c)
	}
	st = run(t, nil, in("harden", "status", "--root", r.Dir)...)
	if !strings.Contains(st.stdout, "HOLE ssh-password-login deploy (the way in): CLOSED by ssh-no-password") ||
		!strings.Contains(st.stdout, "HOLE vulnerable-service openssh: OPEN: done by hand (upgrade:openssh)") {
		t.Errorf("status after confirm:\n%s", st.stdout)
	}

	undoPlan := run(t, nil, in("harden", "undo", "--all", "--root", r.Dir)...)
	if strings.Count(undoPlan.stdout, "PLAN: undo harden") != 3 {
		t.Errorf("undo plan: %+v", undoPlan)
	}
	if undo := run(t, nil, in("harden", "undo", "--all", "--apply", "--root", r.Dir)...); undo.code != 0 || strings.Count(undo.stdout, "UNDONE: ") != 3 {
		t.Fatalf("undo: %+v", undo)
	}
	if d := digestDiff(before, treeDigest(t, r.Dir)); len(d) > 0 {
		t.Errorf("undo --all left the root changed: %v", d)
	}

	// Unconfirmed: the detached timer started by the command puts it back by itself.
	apply = run(t, nil, in("harden", "--root", r.Dir, "--only", "ssh-no-password", "--apply", "--rollback-after", "2s")...)
	if apply.code != 0 || !strings.Contains(apply.stdout, "rollback timer running") {
		t.Fatalf("apply: %+v", apply)
	}
	dropIn := r.Path("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(dropIn); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unconfirmed change was not rolled back by the timer")
		}
		time.Sleep(200 * time.Millisecond)
	}
	journal, _ := os.ReadFile(filepath.Join(caseDir, "hardening.jsonl"))
	if !strings.Contains(string(journal), `"phase":"rolled-back"`) {
		t.Errorf("journal:\n%s", journal)
	}
	if bad := run(t, nil, in("harden", "--root", r.Dir, "--only", "no-such-change")...); bad.code == 0 || !strings.Contains(bad.stderr, "no such change") {
		t.Errorf("unknown id: %+v", bad)
	}
	if fw := run(t, nil, in("harden", "--root", r.Dir, "--only", "ssh-rate-limit", "--apply")...); fw.code == 0 || !strings.Contains(fw.stdout, "is a mounted root") {
		t.Errorf("the firewall change asked for on a mounted root: %+v", fw)
	}
}

func TestLoopholeHardenHelp(t *testing.T) {
	for _, c := range []string{"loophole", "loophole update", "harden", "harden confirm", "harden undo", "harden status", "harden waive"} {
		r := run(t, nil, append(strings.Fields(c), "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s --help lacks examples: %+v", c, r)
		}
	}
}
