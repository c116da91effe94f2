package main

// check and collect on a booted Debian with systemd (internal/base/bootlab), with the built
// binary inside, as a new user runs it.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/nowwhat/nowwhat/internal/base/bootlab"
)

type checkJSON struct {
	Verdict  string `json:"verdict"`
	Summary  string `json:"summary"`
	Findings []struct {
		Rule        string   `json:"rule"`
		Severity    string   `json:"severity"`
		Title       string   `json:"title"`
		Path        string   `json:"path"`
		PID         int64    `json:"pid"`
		Evidence    []string `json:"evidence"`
		Strong      bool     `json:"strong"`
		Explained   bool     `json:"explained"`
		Explanation string   `json:"explanation"`
	} `json:"findings"`
	Coverage struct {
		NotCovered []string `json:"not_covered"`
	} `json:"coverage"`
}

func runCheck(t *testing.T, h *bootlab.Host, args ...string) checkJSON {
	t.Helper()
	r := h.Exec(t, args...)
	var rep checkJSON
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("check: %v\n%s", err, r)
	}
	return rep
}

// sourceTree puts a nowwhat source checkout inside, as a user who built it there has one: its
// go.mod, git hooks and CI script (programs and scripts nowwhat must not report).
func sourceTree(t *testing.T, h *bootlab.Host, dir string) {
	t.Helper()
	h.CopyIn(t, []byte("module github.com/nowwhat/nowwhat\n\ngo 1.26.0\n"), dir+"/go.mod", 0o644)
	h.CopyIn(t, []byte("#!/bin/sh\n# An example hook script to verify what is about to be committed.\nexec git diff-index --check --cached HEAD --\n"), dir+"/.git/hooks/pre-commit.sample", 0o755)
	h.CopyIn(t, []byte("#!/bin/sh\nexec git update-server-info\n"), dir+"/.git/hooks/post-update.sample", 0o755)
	h.CopyIn(t, []byte("#!/usr/bin/env bash\nset -euo pipefail\ncurl -fsSL https://example.org/install.sh | bash\ngo test ./...\n"), dir+"/.ci/run", 0o755)
	h.CopyIn(t, []byte("package main\n\nfunc main() {}\n"), dir+"/cmd/nowwhat/main.go", 0o644)
	h.CopyInFile(t, binary, dir+"/nowwhat", 0o755)
}

// TestLiveCheckClean: check on the freshly booted container, run from a temporary folder and
// from a source checkout, says it is not compromised, has no unexplained high finding, and
// never reports nowwhat itself: its process, its program, its source tree or its case folder.
func TestLiveCheckClean(t *testing.T) {
	h := bootlab.Boot(t, bootlab.Build(t))
	h.CopyInFile(t, binary, "/tmp/x/nowwhat", 0o755)
	sourceTree(t, h, "/root/src/nowwhat")
	for _, run := range [][]string{
		{"/tmp/x/nowwhat", "--case", "/root/case", "check", "--format", "json"},
		{"/root/src/nowwhat/nowwhat", "--case", "/var/tmp/case2", "check", "--format", "json"},
	} {
		rep := runCheck(t, h, run...)
		// The image builder's policy-rc.d: recognized by its content and age, info with why.
		policy := false
		for _, f := range rep.Findings {
			if f.Path == "/usr/sbin/policy-rc.d" {
				policy = true
				if f.Severity != "info" || !strings.Contains(strings.Join(f.Evidence, "\n"), "system image") {
					t.Errorf("%s: policy-rc.d: %s %s %q", run[0], f.Severity, f.Rule, f.Evidence)
				}
			}
		}
		if !policy {
			t.Errorf("%s: the image's policy-rc.d is not reported at all (want info with its reason)", run[0])
		}
		if rep.Verdict == "compromised" {
			t.Errorf("%s: a clean booted Debian is called compromised: %s", run[0], rep.Summary)
		}
		for _, f := range rep.Findings {
			all := strings.Join(append([]string{f.Path, f.Title}, f.Evidence...), "\n")
			for _, own := range []string{"/tmp/x/nowwhat", "/root/src/nowwhat", "/root/case", "/var/tmp/case2"} {
				if strings.Contains(all, own) {
					t.Errorf("%s reports itself (%s): %s %s: %s", run[0], own, f.Severity, f.Rule, f.Title)
				}
			}
			if !f.Explained && (f.Severity == "high" || f.Severity == "critical") {
				t.Errorf("%s: unexplained %s on a clean booted Debian: %s %s\n  %s", run[0], f.Severity, f.Rule, f.Title, strings.Join(f.Evidence, "\n  "))
			}
			t.Logf("%s: %s %s explained=%v %s", run[0], f.Severity, f.Rule, f.Explained, f.Title)
		}
		t.Logf("%s: %s; not covered: %q", run[0], rep.Summary, rep.Coverage.NotCovered)
	}
}

// minerSource is a stand-in coin miner: it listens for its controller, deletes its own file
// and waits, as intruders' tools do.
const minerSource = `package main

import (
	"net"
	"os"
	"time"
)

func main() {
	l, err := net.Listen("tcp", ":3333")
	if err != nil {
		os.Exit(1)
	}
	defer l.Close()
	os.Remove(os.Args[0])
	time.Sleep(time.Hour)
}
`

// buildMiner compiles the stand-in miner (a static ELF that no package owns).
func buildMiner(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(minerSource), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module miner\n\ngo 1.22\n"), 0o600)
	cmd := exec.Command("go", "build", "-o", "kdevtmpfsi", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in miner: %v %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kdevtmpfsi"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLiveMinerCaughtAndCollected: a miner started from /dev/shm, deleted and listening is
// caught by check (deleted program, temporary folder, its port) and the host is called
// compromised; collect keeps the program, read back through /proc/PID/exe, byte for byte.
func TestLiveMinerCaughtAndCollected(t *testing.T) {
	miner := buildMiner(t)
	h := bootWithBinary(t)
	h.CopyIn(t, miner, "/dev/shm/.x/kdevtmpfsi", 0o755)
	h.Start(t, "/dev/shm/.x/kdevtmpfsi")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := h.Dial("", 3333, time.Second)
		if err == nil {
			c.Close()
			if _, err := h.ReadFile("/dev/shm/.x/kdevtmpfsi"); os.IsNotExist(err) {
				break // listening, and its file deleted
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in miner did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}

	rep := runCheck(t, h, nowwhatIn, "--case", "/root/case", "check", "--format", "json")
	if rep.Verdict != "compromised" {
		t.Errorf("verdict %s, want compromised: %s", rep.Verdict, rep.Summary)
	}
	var pid int64
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		if strings.Contains(f.Path, "/dev/shm/.x/kdevtmpfsi") || strings.Contains(f.Title, "kdevtmpfsi") {
			rules[f.Rule] = true
			if f.Rule == "live.deleted-binary" {
				pid = f.PID
				if f.Severity != "critical" || !f.Strong || f.Explained {
					t.Errorf("deleted miner: %s strong=%v explained=%v", f.Severity, f.Strong, f.Explained)
				}
			}
			if f.Rule == "live.network" && !strings.Contains(f.Title, ":3333") {
				t.Errorf("the miner's port: %s", f.Title)
			}
		}
	}
	if pid == 0 || !rules["live.network"] {
		t.Fatalf("the miner is not caught (rules %v):\n%s", rules, rep.Summary)
	}

	// collect keeps the deleted program, byte for byte.
	r := h.Exec(t, nowwhatIn, "--case", "/root/case", "collect", "-o", "/root/evidence.tar.zst")
	if r.Code != 0 {
		t.Fatalf("collect: %s", r)
	}
	got := archiveFile(t, h.CopyOut(t, "/root/evidence.tar.zst"), fmt.Sprintf("live/proc/%d/exe", pid))
	if !bytes.Equal(got, miner) {
		t.Errorf("collected program: %d bytes, sha256 %x; the miner: %d bytes, sha256 %x", len(got), sha256.Sum256(got), len(miner), sha256.Sum256(miner))
	}
}

// archiveFile reads one member of a zstd-compressed tar archive.
func archiveFile(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var names []string
	for {
		hd, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the archive (%v); it has %d members, e.g. %q", name, err, len(names), names[:min(len(names), 20)])
		}
		if strings.TrimPrefix(hd.Name, "./") == name || strings.HasSuffix(hd.Name, "/"+name) {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		names = append(names, hd.Name)
	}
}
