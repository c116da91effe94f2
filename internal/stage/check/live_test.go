package check

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/probe/filescan"
)

// TestMain lets the test binary double as a stand-in implant: started with
// NOWWHAT_TEST_IMPLANT=1 it listens on loopback and waits.
func TestMain(m *testing.M) {
	if os.Getenv("NOWWHAT_TEST_IMPLANT") == "1" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(1)
		}
		fmt.Println(l.Addr().String())
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLiveImplant: a program started from /dev/shm and then deleted, and the port it listens
// on, are flagged on the live host.
func TestLiveImplant(t *testing.T) {
	if testing.Short() {
		t.Skip("live host check skipped in -short mode")
	}
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("/dev/shm", "nwtest-")
	if err != nil {
		t.Skipf("no /dev/shm here: %v", err)
	}
	defer os.RemoveAll(dir)
	implant := filepath.Join(dir, "kworker")
	if err := os.WriteFile(implant, data, 0o755); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(implant, "-test.run=^$")
	cmd.Env = append(os.Environ(), "NOWWHAT_TEST_IMPLANT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run programs from /dev/shm here (noexec?): %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	addr := strings.TrimSpace(string(buf[:n]))
	if addr == "" {
		t.Fatal("the stand-in implant did not start listening")
	}
	os.Remove(implant) // run and delete, as intruders do

	opt := Options{Root: "/"}
	// Keep the file walk small: the live state is what is tested here.
	opt.Capture.Rules = []filescan.Rule{{Path: dir, Hash: true}}
	rep, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	pid := int64(cmd.Process.Pid)
	var deleted, network *finding.Finding
	for i, f := range rep.Findings {
		if f.PID != pid {
			continue
		}
		switch f.Rule {
		case "live.deleted-binary":
			deleted = &rep.Findings[i]
		case "live.network":
			network = &rep.Findings[i]
		}
	}
	if deleted == nil || !deleted.Strong || deleted.Severity != finding.Critical {
		t.Fatalf("deleted /dev/shm program (pid %d) not flagged as critical: %+v\n%s", pid, deleted, dump(rep))
	}
	if network == nil || !strings.Contains(network.Title, "listens on") {
		t.Fatalf("its listener %s not flagged: %+v", addr, network)
	}
	if rep.Verdict != finding.Compromised {
		t.Errorf("verdict %s, want compromised", rep.Verdict)
	}
}
