package main

// The guide as a person uses it: the real binary on a real terminal (tmux), keys sent, the
// screen read back; and the same walk in plain text, without a terminal.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
)

// planted are facts of fixture.Breached both faces of the guide must show after check.
var planted = []string{"COMPROMISED", "/var/www/html/wp-content/uploads/thumb.php", "/var/spool/cron/crontabs/deploy"}

// treeState fingerprints every file of a root (path, mode, size, content, modification time).
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		v := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:])
		}
		out[strings.TrimPrefix(p, root)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, when string, before, after map[string]string) {
	t.Helper()
	n := 0
	for p, v := range before {
		if after[p] != v && n < 5 {
			t.Errorf("%s: %s changed: %q -> %q", when, p, v, after[p])
			n++
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && n < 5 {
			t.Errorf("%s: %s appeared", when, p)
			n++
		}
	}
}

type tmux struct {
	t    *testing.T
	sock string
}

func newTmux(t *testing.T) *tmux {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux)")
	}
	x := &tmux{t: t, sock: "nowwhat-guide-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)}
	t.Cleanup(func() { exec.Command("tmux", "-L", x.sock, "kill-server").Run() })
	return x
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// start runs the guide in a new 80x24 session; the shell around it prints its exit status.
func (x *tmux) start(args ...string) {
	x.t.Helper()
	cmd := binary
	for _, a := range args {
		cmd += " '" + a + "'"
	}
	x.run("new-session", "-d", "-s", "g", "-x", "80", "-y", "24", "-e", "NOWWHAT_CASE=", "-e", "TERM=xterm",
		"sh -c \""+cmd+"; e=\\$?; echo; echo GUIDE-EXIT=\\$e; sleep 60\"")
}

func (x *tmux) screen() string { return x.run("capture-pane", "-p", "-t", "g") }

func (x *tmux) keys(keys ...string) { x.run(append([]string{"send-keys", "-t", "g"}, keys...)...) }

// wait waits for text on the screen (joined across wrapped lines) and returns the screen.
func (x *tmux) wait(text string) string {
	x.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := x.screen()
		if strings.Contains(strings.Join(strings.Fields(s), " "), text) || strings.Contains(strings.Join(strings.Fields(s), ""), strings.ReplaceAll(text, " ", "")) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("waited for %q; the screen:\n%s", text, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// guidePID is the guide's process (the child of the pane's shell).
func (x *tmux) guidePID() int {
	x.t.Helper()
	sh := strings.TrimSpace(x.run("display-message", "-p", "-t", "g", "#{pane_pid}"))
	data, err := os.ReadFile("/proc/" + sh + "/task/" + sh + "/children")
	if err != nil {
		x.t.Fatal(err)
	}
	for _, f := range strings.Fields(string(data)) {
		if comm, _ := os.ReadFile("/proc/" + f + "/comm"); strings.TrimSpace(string(comm)) == "nowwhat" {
			pid, _ := strconv.Atoi(f)
			return pid
		}
	}
	x.t.Fatalf("no guide process under the pane's shell %s", sh)
	return 0
}

func TestGuideOnTerminal(t *testing.T) {
	x := newTmux(t)
	host := fixture.Breached(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	before := treeState(t, host.Dir)
	shadow := host.Read("/etc/shadow")

	x.start("--case", caseDir, "--root", host.Dir)
	x.wait("The response, step by step")
	x.keys("Enter")
	x.wait("Run the check (changes nothing)")
	x.keys("Enter")
	s := x.wait("Verdict: COMPROMISED")
	for _, want := range planted {
		if !strings.Contains(s, want) {
			t.Errorf("verdict screen lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(s, "#   #") {
		t.Errorf("the verdict is not in large letters:\n%s", s)
	}
	sameTree(t, "after the defaults", before, treeState(t, host.Dir))

	// containment: the plan first, then the yes
	x.keys("Enter")
	x.wait("lock-user toor")
	x.keys("Enter")
	x.wait("Apply it?")
	sameTree(t, "after the plan", before, treeState(t, host.Dir))
	x.keys("y")
	x.wait("DONE: lock-user toor")
	if got := host.Read("/etc/shadow"); !strings.Contains(got, "toor:!") || got == shadow {
		t.Fatalf("yes did not lock toor:\n%s", got)
	}

	// on to the next step, then the guide is killed; a new one resumes there
	x.keys("Enter")
	x.wait("Collect evidence")
	pid := x.guidePID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	x.wait("GUIDE-EXIT=137")
	x.run("kill-session", "-t", "g")
	x.start("--case", caseDir, "--root", host.Dir)
	s = x.wait("Resumed")
	if !strings.Contains(s, "Collect evidence  (Keep the evidence)") {
		t.Fatalf("did not resume at the same step:\n%s", s)
	}

	// no panic on a 20x10 terminal, nor on a resize back
	x.run("resize-window", "-t", "g", "-x", "20", "-y", "10")
	time.Sleep(300 * time.Millisecond)
	small := x.screen()
	x.run("resize-window", "-t", "g", "-x", "80", "-y", "24")
	x.wait("Collect evidence  (Keep the evidence)")
	if strings.Contains(small, "panic") || strings.TrimSpace(small) == "" {
		t.Fatalf("20x10:\n%s", small)
	}
	for _, l := range strings.Split(strings.TrimRight(small, "\n"), "\n") {
		if len([]rune(l)) > 20 {
			t.Errorf("a line wider than 20 columns: %q", l)
		}
	}

	// undo reverses the containment: home, up to Contain, the undo action, its plan, yes
	x.keys("h")
	x.wait("The response, step by step")
	x.keys("Up", "Enter")
	x.wait("Undo the last containment action")
	x.keys("Down", "Enter")
	x.wait("Apply it?")
	if !strings.Contains(host.Read("/etc/shadow"), "toor:!") {
		t.Fatal("the undo plan changed something")
	}
	x.keys("y")
	x.wait("UNDONE: lock-user toor")
	if got := host.Read("/etc/shadow"); got != shadow {
		t.Errorf("undo did not restore shadow:\n%s\nwant\n%s", got, shadow)
	}
	x.keys("q")
	s = x.wait("GUIDE-EXIT=0")
	if strings.Contains(s, "panic") {
		t.Errorf("exit:\n%s", s)
	}
}

// The same walk without a terminal: follow the printed next command until it asks for a
// change; the text carries the same facts, and the root is untouched.
func TestGuidePlainWalk(t *testing.T) {
	host := fixture.Breached(t)
	caseDir := filepath.Join(t.TempDir(), "case")
	before := treeState(t, host.Dir)
	var out string
	prev := ""
	for i := 0; i < 6; i++ {
		r := run(t, nil, "--case", caseDir, "--root", host.Dir)
		if r.code != 0 {
			t.Fatalf("bare nowwhat without a terminal: exit %d: %s", r.code, r.stderr)
		}
		out = r.stdout
		next := ""
		for _, l := range strings.Split(out, "\n") {
			if c, ok := strings.CutPrefix(l, "Next command: "); ok {
				next = c
			}
		}
		if next == "" || next == prev {
			break
		}
		prev = next
		args := strings.Fields(next)
		if args[0] != "nowwhat" || strings.Contains(next, "--apply") {
			t.Fatalf("next command %q", next)
		}
		run(t, nil, args[1:]...)
	}
	for _, want := range append(planted, "VERDICT: COMPROMISED", "[done]           check", "Next command: nowwhat --case "+caseDir+" contain lock-user toor --root "+host.Dir) {
		if !strings.Contains(out, want) {
			t.Errorf("plain text lacks %q:\n%s", want, out)
		}
	}
	sameTree(t, "after the plain walk", before, treeState(t, host.Dir))
	r := run(t, nil, "--case", caseDir, "--root", host.Dir, "guide", "--plain")
	if r.code != 0 || r.stdout != out {
		t.Errorf("guide --plain differs from bare nowwhat without a terminal:\n%s", r.stdout)
	}
}
