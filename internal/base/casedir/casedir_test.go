package casedir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJournalChain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case")
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("case folder mode %v", st.Mode().Perm())
	}
	for _, cmd := range []string{"snapshot", "diff", "note"} {
		if err := c.Append(Entry{Command: cmd, Args: []string{"-o", "x"}, Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	st, _ = os.Stat(filepath.Join(dir, JournalName))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v", st.Mode().Perm())
	}
	es, err := c.Entries()
	if err != nil || len(es) != 3 || es[0].Prev != "" || es[1].Prev == "" || es[2].Operator == "" || es[2].Time.Location().String() != "UTC" {
		t.Fatalf("entries %+v %v", es, err)
	}
	// Tampering with an earlier line breaks the chain.
	data, _ := os.ReadFile(filepath.Join(dir, JournalName))
	os.WriteFile(filepath.Join(dir, JournalName), []byte(strings.Replace(string(data), `"diff"`, `"dif2"`, 1)), 0o600)
	if _, err := c.Entries(); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("tampered journal: %v", err)
	}
}

func TestMountOf(t *testing.T) {
	mi := `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
30 22 0:25 / /media/usb\040stick rw shared:2 - vfat /dev/sdb1 rw
31 22 0:26 / /srv/share rw shared:3 - nfs4 server:/x rw
`
	tests := []struct{ path, point, fstype string }{
		{"/root/case", "/", "ext4"},
		{"/media/usb stick/case", "/media/usb stick", "vfat"},
		{"/srv/share/c", "/srv/share", "nfs4"},
		{"/srv/shared", "/", "ext4"},
	}
	for _, tc := range tests {
		p, f := mountOf(mi, tc.path)
		if p != tc.point || f != tc.fstype {
			t.Errorf("mountOf(%s) = %s %s, want %s %s", tc.path, p, f, tc.point, tc.fstype)
		}
	}
}

func TestPlacement(t *testing.T) {
	root := t.TempDir()
	if w := Placement(filepath.Join(root, "case"), root); !strings.Contains(w, "inside the examined root") {
		t.Errorf("case inside image root: %q", w)
	}
	if w := Placement(t.TempDir(), root); w != "" {
		t.Errorf("case outside image root warned: %q", w)
	}
	local := t.TempDir()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip("no /proc/self/mountinfo")
	}
	point, fstype := mountOf(string(mi), local)
	if remoteFS[fstype] || hasMountPrefix(point, "/media", "/mnt", "/run/media") {
		t.Skipf("temporary folder is on %s at %s: not the host's own disk", fstype, point)
	}
	if w := Placement(local, "/"); !strings.Contains(w, "own disk") {
		t.Errorf("case folder on the live host's disk not warned: %q", w)
	}
}
