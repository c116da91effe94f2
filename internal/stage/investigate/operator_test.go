package investigate

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/testdata"
)

// TestOperatorNeverAccused: a real log full of strangers' guessing (LogHub's OpenSSH sample),
// an operator who has logged in from one address for three weeks and mistyped 17 times over
// four days on ten accounts, and an intruder whose dense guessing ends in a root login. The
// intruder is the way in; the operator is not accused of anything. Then the same with the
// intruder being one of the log's real guessers.
func TestOperatorNeverAccused(t *testing.T) {
	data, err := os.ReadFile(testdata.Shared(t, "loghub", "OpenSSH", "OpenSSH_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	const operator = "192.0.2.10"
	year := time.Now().Year()
	stamp := func(t time.Time) string { return t.Format("Jan _2 15:04:05") }
	type line struct {
		t    time.Time
		text string
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		ts, err := time.Parse("Jan _2 15:04:05", l[:15])
		if err != nil {
			continue
		}
		lines = append(lines, line{ts.AddDate(year, 0, 0), l})
	}
	add := func(ts time.Time, msg string) { lines = append(lines, line{ts, stamp(ts) + " LabSZ " + msg}) }
	day := time.Date(year, 11, 19, 0, 0, 0, 0, time.UTC)
	pid := 30000
	for d := 0; d < 21; d++ { // three weeks of the operator's work, several logins a day
		for k := 0; k < 12; k++ {
			ts := day.AddDate(0, 0, d).Add(time.Duration(8*60+k*37) * time.Minute)
			pid++
			add(ts, fmt.Sprintf("sshd[%d]: Accepted publickey for fred from %s port %d ssh2: RSA SHA256:opKey1234567890abcdefghijklmnopqrstuvwxyz0123", pid, operator, 50000+k))
			add(ts.Add(20*time.Minute), fmt.Sprintf("sshd[%d]: pam_unix(sshd:session): session closed for user fred", pid))
		}
	}
	for i := 0; i < 17; i++ { // typos: 17 over four days, ten account names, each an hour or more apart
		ts := day.AddDate(0, 0, 17+i/5).Add(time.Duration(9*60+(i%5)*75) * time.Minute).Add(-3 * time.Minute)
		pid++
		add(ts, fmt.Sprintf("sshd[%d]: Failed password for %s from %s port %d ssh2", pid, []string{"fred", "frde", "root", "admin", "deploy", "git", "ubuntu", "fred2", "www", "backup"}[i%10], operator, 51000+i))
	}
	intruderAt := time.Date(year, 12, 10, 9, 30, 0, 0, time.UTC)
	inject := func(ip string) {
		for i := 0; i < 30; i++ {
			pid++
			add(intruderAt.Add(time.Duration(i-40)*time.Second), fmt.Sprintf("sshd[%d]: Failed password for root from %s port %d ssh2", pid, ip, 40000+i))
		}
		pid++
		add(intruderAt, fmt.Sprintf("sshd[%d]: Accepted password for root from %s port 41000 ssh2", pid, ip))
		add(intruderAt, fmt.Sprintf("sshd[%d]: pam_unix(sshd:session): session opened for user root by (uid=0)", pid))
	}
	for _, intruder := range []string{"198.51.100.200", "183.62.140.253"} {
		t.Run(intruder, func(t *testing.T) {
			saved := lines
			lines = append([]line(nil), saved...)
			inject(intruder)
			all := lines
			lines = saved
			sort.SliceStable(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
			var b strings.Builder
			for _, l := range all {
				b.WriteString(l.text + "\n")
			}
			r := fixture.Debian(t)
			r.File("/etc/timezone", "Etc/UTC\n", 0o644)
			r.File("/var/log/auth.log", b.String(), 0o640)
			r.Chtimes("/var/log/auth.log", all[len(all)-1].t)
			rep := investigateRoot(t, r)
			if rep.Entry.Vector != "ssh-bruteforce" || len(rep.Entry.SourceIPs) == 0 || rep.Entry.SourceIPs[0] != intruder {
				t.Fatalf("entry %+v, want ssh-bruteforce from %s", rep.Entry, intruder)
			}
			for _, f := range rep.Findings {
				if f.SourceIP == operator && (f.Severity >= finding.Medium || strings.HasPrefix(f.Rule, "entry.")) {
					t.Errorf("the operator is accused: %s %s %s", f.Severity, f.Rule, f.Title)
				}
			}
			if rep.Verdict != finding.Compromised {
				t.Errorf("verdict %s with a root login after guessing", rep.Verdict)
			}
			n := 0
			for _, f := range rep.Findings {
				if f.Rule == "entry.ssh-bruteforce" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d entry.ssh-bruteforce findings, want one for the intruder's address", n)
			}
		})
	}
}
