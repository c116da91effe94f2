package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// TestLiveDeletedProgram: on a live host, a running program whose file was deleted is recovered
// through /proc/PID/exe, byte for byte, with its command line and open files.
func TestLiveDeletedProgram(t *testing.T) {
	src, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip("no /bin/sleep to run")
	}
	bin := filepath.Join(t.TempDir(), "kworkerd")
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "37")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run a copied program here: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(100 * time.Millisecond)
	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid

	fsys, err := hostfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nil, Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &collection{w: w, fs: fsys, exclude: map[string]bool{}}
	c.live(context.Background())
	res, err := w.Finish(&Manifest{}, &Custody{})
	if err != nil {
		t.Fatal(err)
	}
	files := readTar(t, buf.Bytes())
	arch := fmt.Sprintf("live/proc/%d/", pid)
	if got := string(files[arch+"cmdline"]); got != bin+"\x0037\x00" {
		t.Errorf("cmdline %q", got)
	}
	want := sha256.Sum256(src)
	found := false
	for _, it := range res.Manifest.Items {
		if it.ArchivePath == arch+"exe" {
			found = true
			if it.SHA256 != hex.EncodeToString(want[:]) || !strings.Contains(it.Note, "deleted") {
				t.Errorf("recovered program: %+v", it)
			}
		}
	}
	if !found {
		t.Errorf("the deleted program of %d was not recovered", pid)
	}
	if !strings.Contains(string(files["live/processes.tsv"]), fmt.Sprintf("%d\t", pid)) {
		t.Error("processes.tsv lacks the process")
	}
	if !strings.Contains(string(files[arch+"links.txt"]), "(deleted)") {
		t.Errorf("links.txt: %q", files[arch+"links.txt"])
	}
	for _, name := range []string{"live/proc/modules", "live/proc/1/net/tcp", "live/proc/uptime"} {
		if _, ok := files[name]; !ok && fileExists("/proc/"+strings.TrimPrefix(name, "live/proc/")) {
			t.Errorf("%s missing", name)
		}
	}
	if rep, err := Verify(&buf, nil); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestZombieIsExplained: a zombie process (exited, not yet collected by its parent) has no
// environment or namespaces left; that is noted with the reason, and the collection is not
// made incomplete by it.
func TestZombieIsExplained(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run /bin/true: %v", err)
	}
	pid := cmd.Process.Pid
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if zombie(st) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never became a zombie")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fsys, err := hostfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, nil, Limits{}, nil)
	c := &collection{w: w, fs: fsys, exclude: map[string]bool{}, exes: map[int]bool{}}
	var table bytes.Buffer
	c.process(pid, &table)
	res, err := w.Finish(&Manifest{}, &Custody{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Manifest.Complete {
		for _, it := range res.Manifest.Items {
			if it.Error != "" {
				t.Errorf("zombie counted as a problem: %s: %s", it.Path, it.Error)
			}
		}
	}
	noted := false
	for _, it := range res.Manifest.Items {
		if strings.Contains(it.Note, "zombie") {
			noted = true
		}
	}
	if !noted {
		t.Error("the zombie's missing files are not explained")
	}
}
