package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/testdata"

	"golang.org/x/sys/unix"
)

// treeState records every entry of a folder (type, mode, owner, size, content digest, link
// target, file capability), so a test can tell what a scenario changed.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("%o %d:%d %d", st.Mode, st.Uid, st.Gid, st.Size)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(data)
			desc += " " + hex.EncodeToString(h[:8])
			if n, err := unix.Getxattr(p, "security.capability", make([]byte, 64)); err == nil {
				desc += fmt.Sprintf(" cap%d", n)
			}
		}
		rel, _ := filepath.Rel(dir, p)
		out["/"+rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func changedPaths(before, after map[string]string) []string {
	var out []string
	for p, a := range after {
		if before[p] != a {
			out = append(out, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// runsOnFakeRoot says whether a scenario can run on the code-built root.
func runsOnFakeRoot(s *Scenario) bool {
	for _, n := range s.Needs {
		if n == "real-root" || n == "note" || strings.HasPrefix(n, "deb:") {
			return false
		}
		if n == "useradd" {
			if _, err := os.Stat("/usr/sbin/useradd"); err != nil {
				return false
			}
		}
	}
	return true
}

// TestScenariosApplyOnFakeRoot applies every scenario that needs no real Debian root to a fresh
// code-built root and checks that its intended change is on disk and that it changed something.
func TestScenariosApplyOnFakeRoot(t *testing.T) {
	fixed := time.Date(2026, 11, 26, 13, 4, 5, 0, time.UTC)
	ran := 0
	for _, s := range allScenarios() {
		t.Run(s.Name, func(t *testing.T) {
			if !runsOnFakeRoot(s) {
				t.Skipf("needs %v: covered by TestScenariosApplyOnCachedRoot", s.Needs)
			}
			r := fakeRoot(t)
			before := treeState(t, r.Dir)
			e := &Env{Ctx: context.Background(), Root: r, Clock: func() time.Time { return fixed }, Case: t.TempDir()}
			if err := s.Apply(e); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if err := verify(r, s.Changes); err != nil {
				t.Fatalf("change not on disk: %v", err)
			}
			changed := changedPaths(before, treeState(t, r.Dir))
			if s.Name == "benign-clean-root" {
				if len(changed) != 0 {
					t.Fatalf("the clean root changed: %v", changed)
				}
				return
			}
			if len(changed) == 0 {
				t.Fatal("nothing changed on disk")
			}
			// What the expectation names must be among the changes (a path, or the account
			// files for a user).
			if len(s.Expect.Paths) > 0 {
				hit := false
				for _, c := range changed {
					for _, p := range s.Expect.Paths {
						if pathMatches(c, p) {
							hit = true
						}
					}
				}
				if !hit {
					t.Fatalf("none of the expected paths %v changed; changed: %v", s.Expect.Paths, changed)
				}
			}
			ran++
		})
	}
	if os.Geteuid() == 0 && ran < 40 {
		t.Fatalf("only %d scenarios ran on the fake root", ran)
	}
}

// TestScenariosApplyOnCachedRoot does the same on the real debootstrapped root when it is
// cached on this machine (go run ./eval/scenarios -build-only makes it), through an overlay so
// the cache stays clean.
func TestScenariosApplyOnCachedRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (overlay mount, chroot, chown)")
	}
	cache := defaultCache()
	if _, err := readMarker(cache, defaultSpec()); err != nil {
		t.Skipf("no cached root (%v); build it with: go run ./eval/scenarios -build-only", err)
	}
	debs := map[string]string{}
	for _, p := range debsNeeded(allScenarios()) {
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(cache), "debs", p+"_*.deb")); len(m) > 0 {
			debs[p] = m[len(m)-1]
		}
	}
	work := t.TempDir()
	for _, s := range allScenarios() {
		t.Run(s.Name, func(t *testing.T) {
			for _, n := range s.Needs {
				if p, ok := strings.CutPrefix(n, "deb:"); ok && debs[p] == "" {
					t.Skipf("no cached .deb of %s", p)
				}
				if n == "note" {
					t.Skip("needs nowwhat note: covered by the suite itself")
				}
			}
			ws, err := newWorkspace(context.Background(), work, s.Name, cache, copyAuto, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := ws.close(false); err != nil {
					t.Error(err)
				}
			}()
			e := &Env{Ctx: context.Background(), Root: Root{Dir: ws.root}, Debs: debs, Case: t.TempDir(),
				Clock: func() time.Time { return time.Now() }}
			if err := s.Apply(e); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if err := verify(e.Root, s.Changes); err != nil {
				t.Fatalf("change not on disk: %v", err)
			}
		})
	}
	if _, err := readMarker(cache, defaultSpec()); err != nil {
		t.Fatalf("the cached root was damaged: %v", err)
	}
}

func TestExpectationsWellFormed(t *testing.T) {
	all := allScenarios()
	names := map[string]bool{}
	cats := map[string]int{}
	for _, s := range all {
		if names[s.Name] {
			t.Errorf("duplicate scenario %s", s.Name)
		}
		names[s.Name] = true
		cats[s.Category]++
		if s.Apply == nil || s.Description == "" {
			t.Errorf("%s: no Apply or description", s.Name)
		}
		switch s.Kind {
		case Attack:
			if s.Expect.Verdict != VerdictSuspicious && s.Expect.Verdict != VerdictCompromised {
				t.Errorf("%s: attack expects verdict %q", s.Name, s.Expect.Verdict)
			}
			if len(s.Expect.Paths)+len(s.Expect.Users)+len(s.Expect.Evidence) == 0 {
				t.Errorf("%s: attack names no path, user or evidence", s.Name)
			}
			if len(s.Techniques) == 0 {
				t.Errorf("%s: no ATT&CK technique", s.Name)
			}
			if len(s.Changes) == 0 {
				t.Errorf("%s: no change to verify", s.Name)
			}
		case Benign:
			if s.Expect.Verdict != VerdictClean {
				t.Errorf("%s: benign work should ideally be clean, expects %q", s.Name, s.Expect.Verdict)
			}
			if s.Name != "benign-clean-root" && len(s.Changes) == 0 {
				t.Errorf("%s: no change to verify", s.Name)
			}
		default:
			t.Errorf("%s: kind %q", s.Name, s.Kind)
		}
	}
	for _, c := range []string{CatPackage, CatPersistence, CatAccounts, CatPrivilege, CatImplants, CatTampering, CatBenign} {
		if cats[c] == 0 {
			t.Errorf("no scenario of category %s", c)
		}
	}
	for _, n := range []string{"benign-clean-root", "benign-dpkg-install", "benign-useradd-sudo", "benign-config-edit", "benign-log-rotation", "benign-web-deploy", "benign-planned-change-note", "benign-apt-upgrade"} {
		if !names[n] {
			t.Errorf("the issue's benign scenario %s is missing", n)
		}
	}
}

func TestRootStaysInside(t *testing.T) {
	dir := t.TempDir()
	r := Root{Dir: dir}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.MkdirAll("/usr/lib", 0o755))
	must(r.Symlink("usr/lib", "/lib"))
	must(r.Symlink("/etc/passwd", "/abs"))     // absolute: inside the root
	must(r.Symlink("../../../../../x", "/up")) // climbs: clamped at the root
	must(r.Symlink("loop2", "/loop1"))
	must(r.Symlink("loop1", "/loop2"))
	tests := []struct {
		in, want string
		nofollow bool
		err      bool
	}{
		{in: "/lib/security/pam_unix.so", want: "/usr/lib/security/pam_unix.so"},
		{in: "/abs", want: "/etc/passwd"},
		{in: "/abs", want: "/abs", nofollow: true},
		{in: "/up/y", want: "/x/y"},
		{in: "/../../etc/shadow", want: "/etc/shadow"},
		{in: "/a/./b/../c", want: "/a/c"},
		{in: "/loop1", err: true},
		{in: "relative", err: true},
	}
	for _, tc := range tests {
		var got string
		var err error
		if tc.nofollow {
			got, err = r.RealNoFollow(tc.in)
		} else {
			got, err = r.Real(tc.in)
		}
		if tc.err {
			if err == nil {
				t.Errorf("%s: no error (got %s)", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if want := filepath.Join(dir, tc.want); got != want {
			t.Errorf("%s -> %s, want %s", tc.in, got, want)
		}
	}
	if err := (Root{}).WriteFile("/x", nil, 0o644); err == nil {
		t.Error("a Root without folder wrote a file")
	}
}

func FuzzRootReal(f *testing.F) {
	dir := f.TempDir()
	r := Root{Dir: dir}
	r.MkdirAll("/usr/lib", 0o755)
	r.Symlink("usr/lib", "/lib")
	r.Symlink("/", "/rootlink")
	r.Symlink("../..", "/usr/lib/up")
	for _, s := range []string{"/lib/x", "/rootlink/../..", "/usr/lib/up/up/../etc", "/../..", "//a//b/", "/lib/../../.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := r.Real(p)
		if err != nil {
			return
		}
		if got != dir && !strings.HasPrefix(got, dir+string(filepath.Separator)) {
			t.Fatalf("%q resolved outside the root: %s", p, got)
		}
	})
}

func TestPathMatches(t *testing.T) {
	tests := []struct {
		got, want string
		ok        bool
	}{
		{"/usr/sbin/sshd", "/usr/sbin/sshd", true},
		{"/sbin/sshd", "/usr/sbin/sshd", true},
		{"/usr/bin/login", "/bin/login", true},
		{"/lib/x86_64-linux-gnu/security/pam_unix.so", "/lib/x86_64-linux-gnu/security/pam_unix.so", true},
		{"/usr/lib/x86_64-linux-gnu/security/pam_unix.so", "/lib/x86_64-linux-gnu/security/pam_unix.so", true},
		{"/var/tmp/.xm/xmrig", "/var/tmp/.xm/", true},
		{"/var/tmp/.xm", "/var/tmp/.xm/", true},
		{"/var/tmp/.xmr", "/var/tmp/.xm/", false},
		{"/libexec/x", "/lib/", false},
		{"", "/etc/passwd", false},
		{"/etc/passwd", "", false},
	}
	for _, tc := range tests {
		if got := pathMatches(tc.got, tc.want); got != tc.ok {
			t.Errorf("pathMatches(%q, %q) = %v", tc.got, tc.want, got)
		}
	}
}

func finding(rule, sev, path, user string, explained bool, evidence ...string) Finding {
	f := Finding{Rule: rule, Severity: sev, Title: rule, Path: path, User: user, Explained: explained}
	for _, e := range evidence {
		b, _ := json.Marshal(e)
		f.Evidence = append(f.Evidence, b)
	}
	return f
}

func TestJudge(t *testing.T) {
	attack := &Scenario{Name: "a", Kind: Attack, Expect: Expect{Verdict: VerdictCompromised, Paths: []string{"/usr/sbin/sshd"}, Users: []string{"sysadm"}, Evidence: []string{"backup@nas"}}}
	weak := &Scenario{Name: "w", Kind: Attack, Expect: Expect{Verdict: VerdictSuspicious, Paths: []string{"/etc/rc.local"}}}
	benign := &Scenario{Name: "b", Kind: Benign, Expect: Expect{Verdict: VerdictClean}}
	tests := []struct {
		name                        string
		s                           *Scenario
		doc                         CheckOutput
		caught, detected, ok, clean bool
		matchedRule                 string
	}{
		{name: "caught by path", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("pkg.modified", "critical", "/sbin/sshd", "", false)}}, caught: true, detected: true, matchedRule: "pkg.modified"},
		{name: "caught by user", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("acct.uid0", "critical", "/etc/passwd", "sysadm", false)}}, caught: true, detected: true, matchedRule: "acct.uid0"},
		{name: "caught by evidence", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("ssh.key", "high", "/home/alice/.ssh/authorized_keys", "", false, "key comment backup@nas")}}, caught: true, detected: true, matchedRule: "ssh.key"},
		{name: "a user elsewhere is not the account", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("persistence.cron", "high", "/etc/cron.d/x", "sysadm", false)}}},
		{name: "explained does not count", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("pkg.modified", "critical", "/usr/sbin/sshd", "", true)}}},
		{name: "verdict too weak", s: attack, doc: CheckOutput{Verdict: "suspicious", Findings: []Finding{finding("pkg.modified", "medium", "/usr/sbin/sshd", "", false)}}, detected: true, matchedRule: "pkg.modified"},
		{name: "other finding only", s: attack, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("x", "high", "/tmp/other", "", false)}}},
		{name: "suspicious enough", s: weak, doc: CheckOutput{Verdict: "compromised", Findings: []Finding{finding("persist.rc", "high", "/etc/rc.local", "", false)}}, caught: true, detected: true, matchedRule: "persist.rc"},
		{name: "incomplete catches nothing", s: weak, doc: CheckOutput{Verdict: "incomplete", Findings: []Finding{finding("persist.rc", "high", "/etc/rc.local", "", false)}}, matchedRule: "persist.rc"},
		{name: "benign clean", s: benign, doc: CheckOutput{Verdict: "clean"}, ok: true, clean: true},
		{name: "benign suspicious is ok", s: benign, doc: CheckOutput{Verdict: "suspicious", Findings: []Finding{finding("x", "low", "/etc/x", "", false)}}, ok: true},
		{name: "benign compromised is a false alarm", s: benign, doc: CheckOutput{Verdict: "compromised"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := &CheckRun{}
			judge(tc.s, run, &tc.doc)
			if run.Caught != tc.caught || run.Detected != tc.detected || run.OK != tc.ok || run.Clean != tc.clean {
				t.Fatalf("caught %v detected %v ok %v clean %v; want %v %v %v %v", run.Caught, run.Detected, run.OK, run.Clean, tc.caught, tc.detected, tc.ok, tc.clean)
			}
			got := ""
			if run.Matched != nil {
				got = run.Matched.Rule
			}
			if got != tc.matchedRule {
				t.Fatalf("matched %q, want %q", got, tc.matchedRule)
			}
		})
	}
	run := &CheckRun{}
	judge(attack, run, nil)
	if run.Caught || run.Verdict != "" {
		t.Fatal("a missing document caught something")
	}
}

func TestParseCheck(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		exit     int
		verdict  string
		problems []string // substrings, in order
		path     string   // first finding's path after parsing
	}{
		{name: "good", out: `{"verdict":"suspicious","findings":[{"rule":"r","severity":"high","title":"t","path":"/etc/x","pid":12,"evidence":["a",{"k":1}],"explained":false}],"coverage":{"files":true}}`, exit: 1, verdict: "suspicious", path: "/etc/x"},
		{name: "exit mismatch", out: `{"verdict":"compromised","findings":[]}`, exit: 1, verdict: "compromised", problems: []string{"exit status 1 (want 2)"}},
		{name: "unknown verdict", out: `{"verdict":"hacked"}`, exit: 2, verdict: "hacked", problems: []string{`unknown verdict "hacked"`}},
		{name: "root prefix", out: `{"verdict":"clean","findings":[{"rule":"r","severity":"info","title":"t","path":"/tmp/w/root/etc/x"}]}`, exit: 0, verdict: "clean", path: "/etc/x", problems: []string{"carry the --root folder"}},
		{name: "noise first", out: "progress 50%\n" + `{"verdict":"clean"}`, exit: 0, verdict: "clean", problems: []string{"text before the JSON"}},
		{name: "bad severity and rule", out: `{"verdict":"clean","findings":[{"severity":"urgent","title":"t"}]}`, exit: 0, verdict: "clean", problems: []string{"no rule id", `unknown severity "urgent"`}},
		{name: "not json", out: "check is not built yet", exit: 3, problems: []string{"no JSON document"}},
		{name: "empty", out: "", exit: 3, problems: []string{"no JSON document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, problems := parseCheck([]byte(tc.out), tc.exit, "/tmp/w/root")
			if len(problems) != len(tc.problems) {
				t.Fatalf("problems %q, want %d like %q", problems, len(tc.problems), tc.problems)
			}
			for i, p := range tc.problems {
				if !strings.Contains(problems[i], p) {
					t.Fatalf("problem %q does not say %q", problems[i], p)
				}
			}
			if tc.verdict == "" {
				if doc != nil {
					t.Fatalf("a document from %q", tc.out)
				}
				return
			}
			if doc.Verdict != tc.verdict {
				t.Fatalf("verdict %q", doc.Verdict)
			}
			if tc.path != "" && doc.Findings[0].Path != tc.path {
				t.Fatalf("path %q", doc.Findings[0].Path)
			}
		})
	}
}

func FuzzParseCheck(f *testing.F) {
	for _, s := range []string{`{"verdict":"clean","findings":[]}`, `{"verdict":"compromised","findings":[{"rule":"x","severity":"critical","path":"/r/etc","evidence":[1,"a",null]}]}`, `{"findings":null}`, `xx{"verdict":`, `{"verdict":"clean","findings":[{"pid":"12"}]}`} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, out []byte, exit int) {
		doc, problems := parseCheck(out, exit, "/r")
		if doc == nil && len(problems) == 0 {
			t.Fatal("no document and no problem")
		}
		if len(problems) > 9 {
			t.Fatalf("%d problems: the list is not bounded", len(problems))
		}
		if doc != nil {
			for _, s := range allScenarios()[:2] {
				judge(s, &CheckRun{}, doc)
			}
			for _, fd := range doc.Findings {
				fd.evidenceText()
			}
		}
	})
}

func TestSummarize(t *testing.T) {
	mk := func(name, kind, cat string, nb, wb CheckRun) *Result {
		nb.raw, wb.raw = &CheckOutput{}, &CheckOutput{}
		return &Result{Name: name, Kind: kind, Category: cat, NoBaseline: &nb, WithBaseline: &wb}
	}
	var results []*Result
	for i := 0; i < 10; i++ {
		nb := CheckRun{Caught: i != 0, Detected: true, Verdict: "compromised", Seconds: 1}
		results = append(results, mk(fmt.Sprintf("a%d", i), Attack, CatImplants, nb, CheckRun{Caught: true, Verdict: "compromised", Seconds: 3}))
	}
	results = append(results,
		mk("benign-clean-root", Benign, CatBenign, CheckRun{OK: true, Clean: true, NoHigh: true, Verdict: "clean"}, CheckRun{OK: true, Clean: true, NoHigh: true, Verdict: "clean"}),
		mk("benign-x", Benign, CatBenign, CheckRun{OK: true, NoHigh: true, Verdict: "suspicious"}, CheckRun{OK: true, Clean: true, NoHigh: true, Verdict: "clean"}),
		&Result{Name: "skipped", Kind: Benign, Category: CatBenign, Skipped: "nowwhat note is not built yet"},
	)
	s := summarize(results)
	if s.Attacks != 10 || s.CaughtWith != 10 || s.CaughtWithout != 9 || s.Benign != 2 || s.BenignOK != 2 || s.BenignClean != 1 || s.Skipped != 1 {
		t.Fatalf("counts %+v", s)
	}
	if !s.AllMet() {
		t.Fatalf("90%% without a baseline is the goal, met exactly: %+v", s.Goals)
	}
	if s.CheckMax != 3 || s.CheckMean != 40.0/24 {
		t.Fatalf("times mean %v max %v", s.CheckMean, s.CheckMax)
	}
	results[1].NoBaseline.Caught = false // 8/10 without
	if summarize(results).AllMet() {
		t.Fatal("80% without a baseline met the goal")
	}
	results[1].NoBaseline.Caught = true
	results[10].WithBaseline.Clean = false
	if summarize(results).AllMet() {
		t.Fatal("a clean root not called clean met the goal")
	}
	results[10].WithBaseline.Clean = true
	results[11].NoBaseline.NoHigh = false
	if summarize(results).AllMet() {
		t.Fatal("benign work with an unexplained high without a baseline met the goal")
	}
	results[11].NoBaseline.NoHigh = true
	results[11].WithBaseline.OK = false
	if summarize(results).AllMet() {
		t.Fatal("a benign scenario called compromised met the goal")
	}
	results[11].WithBaseline.OK = true
	results = append(results, &Result{Name: "broken", Kind: Attack, Error: "apply: boom"})
	if summarize(results).AllMet() {
		t.Fatal("a scenario that could not run met every goal")
	}
	var buf bytes.Buffer
	printTable(&buf, results)
	printSummary(&buf, summarize(results))
	printDetails(&buf, results)
	for _, want := range []string{"a0", "skipped: nowwhat note", "ERROR: apply: boom", "MISSED", "attacks caught without a baseline"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	all := allScenarios()
	got, err := selectScenarios(all, "persist-cron-*, benign-clean-root,persist-cron-user")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if want := []string{"persist-cron-system", "persist-cron-user", "benign-clean-root"}; !slices.Equal(names, want) {
		t.Fatalf("%v, want %v", names, want)
	}
	for _, bad := range []string{"no-such", "[", "persist-cron-system,nothing*"} {
		if _, err := selectScenarios(all, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if got, _ := selectScenarios(all, " "); len(got) != len(all) {
		t.Fatal("an empty -only did not select everything")
	}
}

func TestRotate(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	var lines []logEntry
	for _, d := range []int{1, 2, 9, 10, 24, 25} {
		lines = append(lines, logEntry{t: day(d).Add(time.Hour), text: fmt.Sprintf("d%d\n", d)})
	}
	rots := []time.Time{day(8), day(15), day(22), day(29)}
	cur, old := rotate(lines, day(1), rots, 4)
	if len(cur.lines) != 0 || !cur.mtime.Equal(day(29)) {
		t.Fatalf("current: %d lines, mtime %s", len(cur.lines), cur.mtime)
	}
	// Day 15 found nothing new (notifempty): three rotated files.
	if len(old) != 3 || string(render(old[0].lines)) != "d24\nd25\n" || string(render(old[2].lines)) != "d1\nd2\n" {
		t.Fatalf("rotated: %+v", old)
	}
	_, old = rotate(lines, day(1), rots, 2)
	if len(old) != 2 {
		t.Fatalf("keep 2 kept %d", len(old))
	}
}

func TestLogLines(t *testing.T) {
	b := newLogBook(1)
	s := &session{User: "alice", UID: 1000, From: aliceAddr, Port: 51234, KeyFP: "ED25519 SHA256:abc", Start: time.Date(2026, 11, 6, 9, 4, 5, 0, time.UTC), LogindID: 7}
	b.open(s)
	b.sudo(s, s.Start.Add(time.Minute), "/home/alice", "/usr/sbin/useradd -m bob")
	s.End = s.Start.Add(10 * time.Minute)
	b.close(s)
	text := string(render(b.sorted("/var/log/auth.log")))
	for _, want := range []string{
		"Nov  6 09:04:05 web1 sshd[",
		"]: Accepted publickey for alice from 198.51.100.23 port 51234 ssh2: ED25519 SHA256:abc\n",
		"Nov  6 09:05:05 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/useradd -m bob\n",
		"pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)\n",
		"Nov  6 09:14:05 web1 sshd[",
		"pam_unix(sshd:session): session closed for user alice\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("auth.log lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "Accepted"), strings.Index(text, "session closed for user alice"); i < 0 || j < i {
		t.Error("lines out of order")
	}
	if rec := wtmpSession(s); len(rec) != 2*384 || string(bytes.TrimRight(rec[44:76], "\x00")) != "alice" {
		t.Errorf("wtmp records: %d bytes", len(rec))
	}
	key, err := newKey("x@y")
	if err != nil {
		t.Fatal(err)
	}
	fp, err := keyFingerprint([]byte(key))
	if err != nil || !strings.HasPrefix(fp, "ED25519 SHA256:") {
		t.Fatalf("fingerprint %q %v", fp, err)
	}
	if _, err := keyFingerprint([]byte("garbage")); err == nil {
		t.Fatal("garbage has a fingerprint")
	}
}

func TestDebVersion(t *testing.T) {
	tests := []struct{ file, name, version string }{
		{"/x/tree_2.1.0-1_amd64.deb", "tree", "2.1.0-1"},
		{"openssh-server_1%3a9.2p1-2+deb12u3_amd64.deb", "openssh-server", "1:9.2p1-2+deb12u3"},
	}
	for _, tc := range tests {
		n, v, err := debVersion(tc.file)
		if err != nil || n != tc.name || v != tc.version {
			t.Errorf("%s: %q %q %v", tc.file, n, v, err)
		}
	}
	for _, bad := range []string{"tree.deb", "a_b.deb", "a_%zz_c.deb"} {
		if _, _, err := debVersion(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestTrojanAndHelpers(t *testing.T) {
	orig := tinyELF("x", 2)
	tr, err := trojan(orig, "tag")
	if err != nil || bytes.Equal(tr, orig) || !bytes.Contains(tr, []byte("tag")) || !isELF(tr) {
		t.Fatalf("trojan: %v", err)
	}
	if _, err := trojan([]byte("#!/bin/sh\n"), "t"); err == nil {
		t.Fatal("a script was trojaned as a program")
	}
	if c := capSetuidEP(); len(c) != 20 || c[3] != 2 || c[0] != 1 || c[4] != 0x80 {
		t.Fatalf("capability %x", c)
	}
	if m := kernelModule("m"); !isELF(m) || m[16] != 1 {
		t.Fatal("module is not an ELF relocatable")
	}
	if !strings.Contains(obfuscatedShell(), "str_rot13('onfr64_qrpbqr')") {
		t.Fatal("obfuscated shell")
	}
	if intruderKey == "" || !strings.HasPrefix(intruderKey, "ssh-ed25519 ") {
		t.Fatalf("intruder key %q", intruderKey)
	}
}

// TestMainFlags covers the command line without a root or a nowwhat check.
func TestMainFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := mainErr([]string{"-list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "persist-ld-preload") {
		t.Fatalf("-list: %d %s", code, errb.String())
	}
	for _, args := range [][]string{{"-nosuchflag"}, {"-only", "nothing"}, {"-copy", "rsync"}, {"extra"}} {
		if code := mainErr(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	// A nowwhat whose check is not built yet: a clear message, exit 2, before any root work.
	dir := t.TempDir()
	fake := filepath.Join(dir, "nowwhat")
	script := "#!/bin/sh\necho 'nowwhat: check is not built yet in nowwhat dev.' >&2\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := mainErr([]string{"-bin", fake, "-cache", filepath.Join(dir, "none")}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "nowwhat check is not built yet") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// TestRunnerEndToEnd runs the whole pipeline (copy, baseline, apply, both checks, report,
// results file, exit status) on the fake root, with a stand-in nowwhat that calls everything
// clean.
func TestRunnerEndToEnd(t *testing.T) {
	r := fakeRoot(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "root")
	if err := os.Rename(r.Dir, cache); err != nil {
		t.Skipf("cannot move the fake root: %v", err)
	}
	m := rootMarker{rootSpec: defaultSpec(), Built: time.Now()}
	data, _ := json.Marshal(m)
	if err := os.WriteFile(cache+".ready", data, 0o644); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "nowwhat")
	script := `#!/bin/sh
for a in "$@"; do last="$a"; done
case " $* " in
  *" keygen "*) touch "$last.key" "$last.pub" ;;
  *" baseline "*) while [ $# -gt 0 ]; do [ "$1" = -o ] && touch "$2" "$2.minisig"; shift; done ;;
  *" check --help "*|*" note --help "*) echo "usage: nowwhat check [--root DIR]" ;;
  *" check "*) echo '{"verdict":"clean","findings":[],"coverage":{}}' ;;
  *" version "*) echo "nowwhat test" ;;
esac
exit 0
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results.json")
	var stdout, stderr bytes.Buffer
	code := mainErr([]string{"-bin", fake, "-cache", cache, "-copy", "cp", "-out", out, "-only", "benign-clean-root,benign-config-edit,persist-rc-local"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d (want 1: the attack is missed)\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var doc struct {
		Results []*Result `json:"results"`
		Summary Summary   `json:"summary"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 3 || doc.Summary.Attacks != 1 || doc.Summary.CaughtWith != 0 || doc.Summary.BenignOK != 2 || doc.Summary.BenignClean != 2 {
		t.Fatalf("summary %+v\n%s", doc.Summary, stdout.String())
	}
	for _, res := range doc.Results {
		if res.Error != "" || res.WithBaseline == nil || !slices.Contains(res.WithBaseline.Args, "--baseline") {
			t.Fatalf("%s: %+v", res.Name, res)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "work"))
	if len(entries) != 0 {
		t.Fatalf("copies left behind: %v", entries)
	}
	if !strings.Contains(stdout.String(), "MISS") || !strings.Contains(stdout.String(), "clean root clean with a baseline") {
		t.Fatalf("report:\n%s", stdout.String())
	}
	if code := mainErr([]string{"-bin", fake, "-cache", cache, "-copy", "cp", "-out", out, "-only", "benign-clean-root"}, &stdout, &stderr); code != 0 {
		t.Fatalf("clean root alone: exit %d\n%s", code, stderr.String())
	}
}

// TestDocsTableInSync keeps the scenario table of docs/evaluation.md equal to the code
// (regenerate with: go run ./eval/scenarios -markdown).
func TestDocsTableInSync(t *testing.T) {
	doc, err := os.ReadFile(testdata.Repo(t, "docs/evaluation.md"))
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	printMarkdown(&table, allScenarios())
	if !bytes.Contains(doc, table.Bytes()) {
		t.Fatal("docs/evaluation.md's scenario table differs from the code: paste the output of `go run ./eval/scenarios -markdown`")
	}
}

func TestStoryTimes(t *testing.T) {
	built := time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	install := built.Add(-installAge)
	c := &customizer{built: built, debootEnd: built.Add(90 * time.Second), install: install,
		born: map[string]time.Time{"/var/log/kern.log": install.Add(6 * 24 * time.Hour)}}
	debBirth := built.Add(30 * time.Second) // made by debootstrap
	custBirth := built.Add(2 * time.Minute) // made by the customisation
	pkgBuild := time.Date(2025, 5, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, path   string
		mtime, birth time.Time
		btime, ctime time.Time
	}{
		{"package file", "/usr/sbin/sshd", pkgBuild, debBirth, install.Add(30 * time.Second), install.Add(30 * time.Second)},
		{"generated at install", "/etc/ssh/ssh_host_rsa_key", install.Add(30 * time.Second), debBirth, install.Add(30 * time.Second), install.Add(30 * time.Second)},
		{"conffile edited later", "/etc/nginx/sites-available/default", install.Add(24 * time.Hour), debBirth, install.Add(30 * time.Second), install.Add(24 * time.Hour)},
		{"made in the story", "/home/alice/.ssh/authorized_keys", install.Add(time.Hour), custBirth, install.Add(time.Hour), install.Add(time.Hour)},
		{"born recorded", "/var/log/kern.log", install.Add(6 * 24 * time.Hour), custBirth, install.Add(6 * 24 * time.Hour), install.Add(6 * 24 * time.Hour)},
		{"skeleton copy", "/home/bob/.bashrc", pkgBuild, custBirth, install.Add(45 * time.Minute), install.Add(45 * time.Minute)},
		{"no birth time", "/x", install.Add(time.Hour), time.Time{}, install.Add(time.Hour), install.Add(time.Hour)},
	}
	for _, tc := range tests {
		got := storyTimes(tc.path, tc.mtime, tc.birth, c)
		if !got.btime.Equal(tc.btime) || !got.ctime.Equal(tc.ctime) {
			t.Errorf("%s: birth %s change %s, want %s %s", tc.name, got.btime, got.ctime, tc.btime, tc.ctime)
		}
		if got.ctime.Before(got.btime) || got.ctime.Before(tc.mtime) && tc.mtime.After(install) {
			t.Errorf("%s: change time before birth or modification", tc.name)
		}
	}
}
