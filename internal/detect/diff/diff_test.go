package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

func snap(t *testing.T, recs ...any) *snapshot.Reader {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.snap")
	w, err := snapshot.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		w.Put(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := snapshot.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func base() []any {
	return []any{
		snapshot.User{Name: "root", UID: 0, Shell: "/bin/bash", Password: "set", HashFP: "aa"},
		snapshot.User{Name: "alice", UID: 1000, Shell: "/bin/bash", Password: "set", HashFP: "bb"},
		snapshot.User{Name: "daemon", UID: 1, Shell: "/usr/sbin/nologin", Password: "disabled"},
		snapshot.SSHKey{User: "alice", File: "/home/alice/.ssh/authorized_keys", Fingerprint: "SHA256:a", Type: "ssh-ed25519"},
		snapshot.File{Path: "/usr/bin/ls", Type: "file", Mode: 0o755, SHA256: "11", Size: 10},
		snapshot.File{Path: "/usr/bin/passwd", Type: "file", Mode: 0o4755, SHA256: "22", Size: 10},
		snapshot.File{Path: "/etc/ssh/sshd_config", Type: "file", Mode: 0o644, SHA256: "33", Size: 10},
		snapshot.Content{Path: "/etc/ssh/sshd_config", Text: "PermitRootLogin no\nPort 22\n"},
		snapshot.File{Path: "/var/log/auth.log", Type: "file", Mode: 0o640, Size: 5000, Mtime: 1},
		snapshot.File{Path: "/var/log/syslog", Type: "file", Mode: 0o640, Size: 5000, Mtime: 1},
		snapshot.File{Path: "/etc", Type: "dir", Mode: 0o755, Size: 4096, Mtime: 1},
		snapshot.File{Path: "/usr/bin/curl", Type: "file", Mode: 0o755, SHA256: "44", Size: 10},
		snapshot.Package{Manager: "dpkg", Name: "curl", Arch: "amd64", Version: "7.88.1-10", Status: "installed"},
		snapshot.PackageFile{Path: "/usr/bin/curl", Manager: "dpkg", Package: "curl", Alg: "md5", Digest: "c1"},
		snapshot.Package{Manager: "dpkg", Name: "coreutils", Arch: "amd64", Version: "9.1-1", Status: "installed"},
		snapshot.PackageFile{Path: "/usr/bin/ls", Manager: "dpkg", Package: "coreutils", Alg: "md5", Digest: "d1"},
		snapshot.Socket{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 22, State: "LISTEN", Process: "sshd"},
		snapshot.Socket{Proto: "tcp", LocalAddr: "10.0.0.1", LocalPort: 22, RemoteAddr: "10.0.0.9", RemotePort: 5000, State: "ESTABLISHED"},
	}
}

func TestCompare(t *testing.T) {
	a := snap(t, base()...)
	next := []any{
		snapshot.User{Name: "root", UID: 0, Shell: "/bin/bash", Password: "set", HashFP: "aa"},
		snapshot.User{Name: "alice", UID: 1000, Shell: "/bin/bash", Password: "set", HashFP: "b2"}, // password changed
		snapshot.User{Name: "daemon", UID: 1, Shell: "/bin/bash", Password: "disabled"},            // shell given
		snapshot.User{Name: "toor", UID: 0, Shell: "/bin/bash", Password: "set", HashFP: "cc"},     // new uid 0
		snapshot.SSHKey{User: "alice", File: "/home/alice/.ssh/authorized_keys", Fingerprint: "SHA256:a", Type: "ssh-ed25519"},
		snapshot.SSHKey{User: "root", File: "/root/.ssh/authorized_keys", Fingerprint: "SHA256:evil", Type: "ssh-rsa", Comment: "x@kali"},
		snapshot.File{Path: "/usr/bin/ls", Type: "file", Mode: 0o755, SHA256: "99", Size: 12},                // trojaned
		snapshot.File{Path: "/usr/bin/passwd", Type: "file", Mode: 0o4755, SHA256: "22", Size: 10, Mtime: 5}, // times only
		snapshot.File{Path: "/etc/ssh/sshd_config", Type: "file", Mode: 0o644, SHA256: "34", Size: 11},
		snapshot.Content{Path: "/etc/ssh/sshd_config", Text: "PermitRootLogin yes\nPort 22\n"},
		snapshot.File{Path: "/var/log/auth.log", Type: "file", Mode: 0o640, Size: 0, Mtime: 9},  // truncated
		snapshot.File{Path: "/var/log/syslog", Type: "file", Mode: 0o640, Size: 9000, Mtime: 9}, // grew: normal
		snapshot.File{Path: "/etc", Type: "dir", Mode: 0o755, Size: 8192, Mtime: 9},             // dir times: normal
		snapshot.File{Path: "/dev/shm/.x", Type: "file", Mode: 0o755, SHA256: "55", Size: 10},
		snapshot.File{Path: "/usr/bin/curl", Type: "file", Mode: 0o755, SHA256: "45", Size: 10},
		snapshot.Package{Manager: "dpkg", Name: "curl", Arch: "amd64", Version: "7.88.1-10+deb12u5", Status: "installed"},
		snapshot.PackageFile{Path: "/usr/bin/curl", Manager: "dpkg", Package: "curl", Alg: "md5", Digest: "c2"},
		snapshot.Package{Manager: "dpkg", Name: "coreutils", Arch: "amd64", Version: "9.1-1", Status: "installed"},
		snapshot.PackageFile{Path: "/usr/bin/ls", Manager: "dpkg", Package: "coreutils", Alg: "md5", Digest: "d9"}, // list rewritten
		snapshot.Socket{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 22, State: "LISTEN", Process: "sshd"},
		snapshot.Socket{Proto: "tcp", LocalAddr: "0.0.0.0", LocalPort: 4444, State: "LISTEN", Process: "x"},
		snapshot.Socket{Proto: "tcp", LocalAddr: "10.0.0.1", LocalPort: 22, RemoteAddr: "10.0.0.7", RemotePort: 6000, State: "ESTABLISHED"},
	}
	b := snap(t, next...)
	res, err := Compare(context.Background(), a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	find := func(kind, change, contains string) *Change {
		for _, c := range res.Changes {
			match := strings.Contains(c.Subject, contains)
			if kind == "file" {
				match = c.Path == contains
			}
			if c.Kind == kind && c.Change == change && match {
				return &c
			}
		}
		return nil
	}
	tests := []struct {
		kind, change, subject string
		want                  bool
		check                 func(c *Change) bool
	}{
		{"account", "added", "user toor", true, nil},
		{"account", "modified", "user alice", true, func(c *Change) bool { return strings.Join(c.Fields, ",") == "hash_fp" }},
		{"account", "modified", "user daemon", true, func(c *Change) bool { return c.After["shell"] == "/bin/bash" }},
		{"account", "modified", "user root", false, nil},
		{"ssh_key", "added", "SHA256:evil", true, func(c *Change) bool { return c.Path == "/root/.ssh/authorized_keys" }},
		{"file", "modified", "/usr/bin/ls", true, func(c *Change) bool { return c.Area == "system programs" && c.Explanation == "" }},
		{"file", "modified", "/usr/bin/passwd", false, nil},
		{"file", "modified", "/etc/ssh/sshd_config", true, func(c *Change) bool { return strings.Contains(c.TextDiff, "+PermitRootLogin yes") }},
		{"file", "modified", "/var/log/auth.log", true, func(c *Change) bool { return c.Fields[0] == "size" }},
		{"file", "modified", "/var/log/syslog", false, nil},
		{"file", "modified", "/etc", false, nil},
		{"file", "added", "/dev/shm/.x", true, func(c *Change) bool { return c.Area == "temporary and shared memory" }},
		{"file", "modified", "/usr/bin/curl", true, func(c *Change) bool {
			return strings.Contains(c.Explanation, "upgraded from 7.88.1-10 to 7.88.1-10+deb12u5")
		}},
		{"package", "modified", "curl", true, nil},
		{"package_digest", "modified", "/usr/bin/curl", false, nil},
		{"package_digest", "modified", "/usr/bin/ls", true, nil},
		{"listener", "added", "port 4444", true, nil},
		{"listener", "added", "10.0.0.1", false, nil},
	}
	for _, tc := range tests {
		c := find(tc.kind, tc.change, tc.subject)
		if (c != nil) != tc.want {
			t.Errorf("%s %s %q: present=%v, want %v", tc.kind, tc.change, tc.subject, c != nil, tc.want)
			continue
		}
		if c != nil && tc.check != nil && !tc.check(c) {
			t.Errorf("%s %s %q: unexpected %+v", tc.kind, tc.change, tc.subject, *c)
		}
	}
	// Ordering: accounts before keys before files before packages.
	order := res.Kinds()
	if strings.Join(order, ",") != "account,ssh_key,file,package,package_digest,listener" {
		t.Errorf("kind order %v", order)
	}
	var text bytes.Buffer
	res.WriteText(&text, TextOptions{TextDiffs: true})
	for _, want := range []string{"Accounts (3: 1 added, 2 modified)", "+ user toor", "Files: system programs", "| +PermitRootLogin yes", "explained: package curl was upgraded"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js, nil, nil, true, nil); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Changes []map[string]any `json:"changes"`
	}
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil || len(parsed.Changes) != len(res.Changes) {
		t.Fatalf("json: %v", err)
	}
	for _, c := range parsed.Changes {
		for _, f := range []string{"kind", "change", "subject"} {
			if _, ok := c[f]; !ok {
				t.Fatalf("json change lacks %s: %v", f, c)
			}
		}
	}
}

func TestCompareIdentical(t *testing.T) {
	a := snap(t, base()...)
	b := snap(t, base()...)
	res, err := Compare(context.Background(), a, b, Options{})
	if err != nil || len(res.Changes) != 0 {
		t.Fatalf("identical snapshots: %+v %v", res.Changes, err)
	}
	var text bytes.Buffer
	res.WriteText(&text, TextOptions{})
	if !strings.Contains(text.String(), "No changes") {
		t.Fatal(text.String())
	}
}

func TestAreaOf(t *testing.T) {
	for p, want := range map[string]string{
		"/boot/vmlinuz": "boot and kernel", "/etc/ld.so.preload": "loader and PAM", "/usr/sbin/sshd": "system programs",
		"/home/bob/.ssh/authorized_keys": "homes", "/opt/app/x": "other files", "/etc/passwd": "accounts and access",
		"/var/www/html/x.php": "web content", "/etc/hostname": "configuration",
	} {
		if got, _ := AreaOf(p); got != want {
			t.Errorf("AreaOf(%s) = %s, want %s", p, got, want)
		}
	}
}
