package sshd

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Directive
		bad  []string
	}{
		{"case and equals", "permitrootlogin yes\nPORT=2222\nPasswordAuthentication = no\n\tX11FORWARDING\tyes # on\n",
			[]Directive{{Key: "PermitRootLogin", Args: []string{"yes"}, Line: 1}, {Key: "Port", Args: []string{"2222"}, Line: 2},
				{Key: "PasswordAuthentication", Args: []string{"no"}, Line: 3}, {Key: "X11Forwarding", Args: []string{"yes"}, Line: 4}}, nil},
		{"quotes", `AuthorizedKeysFile ".ssh/my keys" '/etc/ssh/keys/%u' a\"b` + "\n",
			[]Directive{{Key: "AuthorizedKeysFile", Args: []string{".ssh/my keys", "/etc/ssh/keys/%u", `a"b`}, Line: 1}}, nil},
		{"comments", "# comment\n   # indented\n\nUsePAM yes #trailing\nBanner /etc/issue#notcomment\n",
			[]Directive{{Key: "UsePAM", Args: []string{"yes"}, Line: 4}, {Key: "Banner", Args: []string{"/etc/issue#notcomment"}, Line: 5}}, nil},
		{"aliases", "ChallengeResponseAuthentication no\nPubkeyAcceptedKeyTypes +ssh-rsa\n",
			[]Directive{{Key: "KbdInteractiveAuthentication", Args: []string{"no"}, Line: 1}, {Key: "PubkeyAcceptedAlgorithms", Args: []string{"+ssh-rsa"}, Line: 2}}, nil},
		{"match", "PermitRootLogin no\nMatch User bob,carol Address 10.0.0.0/8\n  ForceCommand /usr/bin/id\nMatch ALL\nPermitTTY no\n",
			[]Directive{{Key: "PermitRootLogin", Args: []string{"no"}, Line: 1},
				{Key: "Match", Args: []string{"User", "bob,carol", "Address", "10.0.0.0/8"}, Line: 2, Match: "User bob,carol Address 10.0.0.0/8"},
				{Key: "ForceCommand", Args: []string{"/usr/bin/id"}, Line: 3, Match: "User bob,carol Address 10.0.0.0/8"},
				{Key: "Match", Args: []string{"ALL"}, Line: 4, Match: "all"},
				{Key: "PermitTTY", Args: []string{"no"}, Line: 5, Match: "all"}}, nil},
		{"bad lines", "Bogus yes\nBanner \"unterminated\n=novalue\n",
			[]Directive{{Key: "Bogus", Args: []string{"yes"}, Line: 1, Unknown: true}},
			[]string{`line 1: unknown keyword "Bogus"`, "line 2: unterminated quote", "line 3: line starts with"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := ParseConfig([]byte(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("directives:\n got  %+v\n want %+v", got, tc.want)
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("line errors %v, want %v", bad, tc.bad)
			}
			for i := range bad {
				if !strings.Contains(bad[i].Error(), tc.bad[i]) {
					t.Errorf("line error %q, want %q", bad[i].Error(), tc.bad[i])
				}
			}
		})
	}
}

func open(t *testing.T, r *fixture.Root) *hostfs.FS {
	t.Helper()
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// accounts is what the accounts collector puts in env.Accounts for fixture.Debian, plus
// extras.
func accounts(extra ...probe.Account) []probe.Account {
	return append([]probe.Account{
		{Name: "root", UID: 0, GID: 0, Home: "/root", Shell: "/bin/bash"},
		{Name: "daemon", UID: 1, GID: 1, Home: "/usr/sbin", Shell: "/usr/sbin/nologin"},
		{Name: "www-data", UID: 33, GID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin"},
		{Name: "sshd", UID: 100, GID: 100, Home: "/run/sshd", Shell: "/usr/sbin/nologin"},
		{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice", Shell: "/bin/bash"},
	}, extra...)
}

func collect(t *testing.T, r *fixture.Root) *probe.Recorder {
	t.Helper()
	rec := &probe.Recorder{}
	env := &probe.Env{FS: open(t, r), Sink: rec, Accounts: accounts()}
	if err := (Collector{}).Collect(context.Background(), env); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return rec
}

func options(rec *probe.Recorder) map[string]snapshot.SSHOption {
	out := map[string]snapshot.SSHOption{}
	for _, o := range probe.Of[snapshot.SSHOption](rec) {
		if _, dup := out[o.Key]; dup {
			panic("duplicate option key " + o.Key)
		}
		out[o.Key] = o
	}
	return out
}

func hasProblem(rec *probe.Recorder, path, substr string) bool {
	for _, p := range rec.Problems {
		if p.Path == path && strings.Contains(p.Error, substr) {
			return true
		}
	}
	return false
}

func TestCollectorDebian(t *testing.T) {
	rec := collect(t, fixture.Debian(t))
	opts := options(rec)
	tests := []struct {
		key, value, file string
		line             int
	}{
		{"Include", "/etc/ssh/sshd_config.d/*.conf", MainConfig, 1},
		{"KbdInteractiveAuthentication", "no", MainConfig, 2},
		{"UsePAM", "yes", MainConfig, 3},
		{"X11Forwarding", "yes", MainConfig, 4},
		{"AcceptEnv", "LANG LC_*", MainConfig, 6},
		{"Subsystem sftp", "/usr/lib/openssh/sftp-server", MainConfig, 7},
		{"PasswordAuthentication", "yes", "", 0},
		{"PermitRootLogin", "prohibit-password", "", 0},
		{"AuthorizedKeysFile", ".ssh/authorized_keys .ssh/authorized_keys2", "", 0},
		{"Port", "22", "", 0},
		{"PermitEmptyPasswords", "no", "", 0},
	}
	for _, tc := range tests {
		o, ok := opts[tc.key]
		if !ok || o.Value != tc.value || o.File != tc.file || o.Line != tc.line {
			t.Errorf("%s = %+v (present %v), want %q from %q:%d", tc.key, o, ok, tc.value, tc.file, tc.line)
		}
	}
	keys := probe.Of[snapshot.SSHKey](rec)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(aliceKey))
	if err != nil {
		t.Fatal(err)
	}
	want := []snapshot.SSHKey{{User: "alice", File: "/home/alice/.ssh/authorized_keys", Fingerprint: ssh.FingerprintSHA256(pub),
		Type: "ssh-ed25519", Comment: "alice@laptop", Line: 1}}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys:\n got  %+v\n want %+v", keys, want)
	}
	if keys[0].Fingerprint != aliceFP {
		t.Errorf("fingerprint %s, ssh-keygen printed %s", keys[0].Fingerprint, aliceFP)
	}
	if len(rec.Problems) != 0 {
		t.Errorf("problems: %+v", rec.Problems)
	}
}

func TestCollectorIncludeMatchAndUnusualPlaces(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ssh/sshd_config.d/10-local.conf", strings.Join([]string{
		"PermitRootLogin yes",
		"AuthorizedKeysFile /etc/ssh/keys/%u .ssh/authorized_keys",
		"AllowUsers alice",
		"Match User alice",
		"  ForceCommand /usr/bin/rsync --server",
		"  AuthorizedKeysFile /srv/keys/%U/%u.pub",
		"  PasswordAuthentication no",
	}, "\n")+"\n", 0o644)
	r.File("/etc/ssh/sshd_config.d/20-more.conf", "PermitRootLogin no\nAllowUsers root\nTrustedUserCAKeys /etc/ssh/ca.pub\n", 0o644)
	r.File("/etc/ssh/sshd_config.d/.hidden.conf", "PermitEmptyPasswords yes\n", 0o644)
	r.File("/etc/ssh/sshd_config.d/notconf", "PermitEmptyPasswords yes\n", 0o644)
	r.Append("/etc/ssh/sshd_config", "Match Address 192.0.2.0/24\n\tPermitRootLogin yes\n\tAuthorizedKeysFile none\n")
	r.File("/etc/ssh/keys/root", "# dropped by attacker\ncommand=\"/bin/bash -i\",from=\"203.0.113.7\" "+rsaKey+"\nthis line is not a key\n", 0o600)
	r.File("/srv/keys/1000/alice.pub", ecdsaKey+"\n", 0o600)
	r.File("/usr/sbin/.ssh/authorized_keys2", dsaKey+"\n", 0o600) // daemon: nologin, still read
	r.File("/etc/ssh/ca.pub", caKey+"\n", 0o644)
	rec := collect(t, r)
	opts := options(rec)

	const local = "/etc/ssh/sshd_config.d/10-local.conf"
	tests := []struct {
		key, value, file string
		line             int
	}{
		{"PermitRootLogin", "yes", local, 1},
		{"AuthorizedKeysFile", "/etc/ssh/keys/%u .ssh/authorized_keys", local, 2},
		{"AllowUsers", "alice root", local, 3},
		{"Match User alice: ForceCommand", "/usr/bin/rsync --server", local, 5},
		{"Match User alice: AuthorizedKeysFile", "/srv/keys/%U/%u.pub", local, 6},
		{"Match User alice: PasswordAuthentication", "no", local, 7},
		{"PasswordAuthentication", "yes", "", 0},
		{"TrustedUserCAKeys", "/etc/ssh/ca.pub", "/etc/ssh/sshd_config.d/20-more.conf", 3},
		{"KbdInteractiveAuthentication", "no", MainConfig, 2}, // the Match of 10-local.conf ended with its file
		{"Match Address 192.0.2.0/24: PermitRootLogin", "yes", MainConfig, 9},
		{"PermitEmptyPasswords", "no", "", 0}, // hidden and non-.conf files are not included
	}
	for _, tc := range tests {
		o, ok := opts[tc.key]
		if !ok || o.Value != tc.value || o.File != tc.file || o.Line != tc.line {
			t.Errorf("%s = %+v (present %v), want %q from %q:%d", tc.key, o, ok, tc.value, tc.file, tc.line)
		}
	}

	type k struct{ user, file, fp, options string }
	var got []k
	for _, key := range probe.Of[snapshot.SSHKey](rec) {
		got = append(got, k{key.User, key.File, key.Fingerprint, key.Options})
	}
	want := []k{
		{"root", "/etc/ssh/keys/root", rsaFP, `command="/bin/bash -i",from="203.0.113.7"`},
		{"daemon", "/usr/sbin/.ssh/authorized_keys2", dsaFP, ""},
		{"alice", "/home/alice/.ssh/authorized_keys", aliceFP, ""},
		{"alice", "/srv/keys/1000/alice.pub", ecdsaFP, ""},
		{CAUser, "/etc/ssh/ca.pub", caFP, "cert-authority"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys:\n got  %+v\n want %+v", got, want)
	}
	for _, key := range probe.Of[snapshot.SSHKey](rec) {
		if key.File == "/etc/ssh/keys/root" && key.Line != 2 {
			t.Errorf("root key line %d, want 2", key.Line)
		}
	}
	if !hasProblem(rec, "/etc/ssh/keys/root", "line 3: no public key") {
		t.Errorf("malformed key line not reported: %+v", rec.Problems)
	}
}

func TestCollectorIncludeLoopAndErrors(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ssh/sshd_config.d/loop.conf", "Include sshd_config.d/loop.conf\nPort 2222\n", 0o644)
	r.MkdirAll("/etc/ssh/sshd_config.d/dir.conf", 0o755)
	r.File("/home/alice/.ssh/authorized_keys2", "", 0o600)
	r.Remove("/home/alice/.ssh/authorized_keys").MkdirAll("/home/alice/.ssh/authorized_keys", 0o700)
	rec := collect(t, r)
	if !hasProblem(rec, "/etc/ssh/sshd_config.d/loop.conf", "Include loop") {
		t.Errorf("loop not reported: %+v", rec.Problems)
	}
	if !hasProblem(rec, "/etc/ssh/sshd_config.d/dir.conf", "not a regular file") {
		t.Errorf("unreadable include not reported: %+v", rec.Problems)
	}
	if !hasProblem(rec, "/home/alice/.ssh/authorized_keys", "read authorized keys") {
		t.Errorf("unreadable keys file not reported: %+v", rec.Problems)
	}
	if o := options(rec)["Port"]; o.Value != "2222" {
		t.Errorf("Port = %+v", o)
	}
}

func TestCollectorBadKeyFileToken(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ssh/sshd_config.d/x.conf", "AuthorizedKeysFile /etc/keys/%z %h/.ssh/authorized_keys\n", 0o644)
	rec := collect(t, r)
	n := 0
	for _, p := range rec.Problems {
		if strings.Contains(p.Error, "unknown token %z") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bad token reported %d times, want once: %+v", n, rec.Problems)
	}
	if len(probe.Of[snapshot.SSHKey](rec)) != 1 {
		t.Errorf("alice's key not found through %%h")
	}
}

func TestCollectorNoSSH(t *testing.T) {
	r := fixture.New(t)
	r.File("/root/.ssh/authorized_keys", aliceKey+"\n", 0o600)
	rec := collect(t, r)
	if len(probe.Of[snapshot.SSHOption](rec)) != 0 || len(rec.Problems) != 0 {
		t.Errorf("no sshd_config: options %v problems %v", probe.Of[snapshot.SSHOption](rec), rec.Problems)
	}
	if keys := probe.Of[snapshot.SSHKey](rec); len(keys) != 1 || keys[0].User != "root" {
		t.Errorf("root's key not found without a config: %+v", keys)
	}
}

func TestCollectorNoAccounts(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/root/.ssh/authorized_keys", rsaKey+"\n", 0o600)
	rec := &probe.Recorder{}
	if err := (Collector{}).Collect(context.Background(), &probe.Env{FS: open(t, r), Sink: rec}); err != nil {
		t.Fatal(err)
	}
	if keys := probe.Of[snapshot.SSHKey](rec); len(keys) != 1 || keys[0].User != "root" || keys[0].Fingerprint != rsaFP {
		t.Errorf("without accounts, root's keys: %+v", keys)
	}
}

func TestExpandKeyFile(t *testing.T) {
	alice := probe.Account{Name: "alice", UID: 1000, Home: "/home/alice"}
	accts := accounts()
	tests := []struct {
		pattern, want, err string
	}{
		{".ssh/authorized_keys", "/home/alice/.ssh/authorized_keys", ""},
		{"%h/.ssh/authorized_keys", "/home/alice/.ssh/authorized_keys", ""},
		{"/etc/ssh/keys/%u", "/etc/ssh/keys/alice", ""},
		{"/var/keys/%U/%%u", "/var/keys/1000/%u", ""},
		{"~/.ssh/shared", "/root/.ssh/shared", ""},
		{"~www-data/keys", "/var/www/keys", ""},
		{"../../etc/x", "/etc/x", ""},
		{"~nobody/keys", "", "no account"},
		{"/k/%x", "", "unknown token %x"},
		{"/k/%", "", "at the end"},
	}
	for _, tc := range tests {
		got, err := ExpandKeyFile(tc.pattern, alice, accts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.pattern, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q = %q, %v; want %q", tc.pattern, got, err, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/ssh/d/b.conf", "", 0o644).File("/etc/ssh/d/a.conf", "", 0o644).File("/etc/ssh/d/.h.conf", "", 0o644).
		File("/etc/ssh/d/c.txt", "", 0o644).File("/etc/ssh/e/x/1.conf", "", 0o644)
	fsys := open(t, r)
	tests := []struct {
		pattern string
		want    []string
	}{
		{"/etc/ssh/d/*.conf", []string{"/etc/ssh/d/a.conf", "/etc/ssh/d/b.conf"}},
		{"/etc/ssh/d/.*.conf", []string{"/etc/ssh/d/.h.conf"}},
		{"/etc/ssh/*/*/?.conf", []string{"/etc/ssh/e/x/1.conf"}},
		{"/etc/ssh/d/c.txt", []string{"/etc/ssh/d/c.txt"}},
		{"/etc/ssh/missing/*", nil},
		{"/etc/ssh/d/[", nil},
	}
	for _, tc := range tests {
		if got := Glob(fsys, tc.pattern); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Glob(%q) = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}
