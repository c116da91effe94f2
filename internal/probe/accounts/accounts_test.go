package accounts

import (
	"context"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

var testKey = []byte("test fingerprint key")

func collect(t *testing.T, r *fixture.Root) (*probe.Env, *probe.Recorder) {
	t.Helper()
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	rec := &probe.Recorder{}
	env := &probe.Env{FS: fsys, Sink: rec, FingerprintKey: testKey}
	if err := (Collector{}).Collect(context.Background(), env); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return env, rec
}

func usersByName(rec *probe.Recorder) map[string]snapshot.User {
	out := map[string]snapshot.User{}
	for _, u := range probe.Of[snapshot.User](rec) {
		out[u.Name] = u
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

const (
	rootHash  = "$y$j9T$rootsaltrootsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDE"
	sha512    = "$6$saltsalt$Wl8q5fDqm8R3qk1K4aHjLJ2b8bFzXcQe0fU3qAQ8O0m2p1H2hQeR9p8cS7QyVJc0nZpXh8Hc3M0bq2xXg7KzU."
	desHash   = "abJnggxhB/yWI"
	bcrypt2b  = "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
	gostHash  = "$gy$j9T$salt$hashhashhashhash"
	unknownID = "$9$weird$scheme"
)

func TestCollectorDebian(t *testing.T) {
	r := fixture.Debian(t)
	env, rec := collect(t, r)
	users := usersByName(rec)
	tests := []struct {
		name, password, alg string
		uid                 int64
		login, fp           bool
	}{
		{"root", StateSet, "yescrypt", 0, true, true},
		{"daemon", StateDisabled, "", 1, false, false},
		{"www-data", StateDisabled, "", 33, false, false},
		{"sshd", StateDisabled, "", 100, false, false},
		{"alice", StateSet, "yescrypt", 1000, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok := users[tc.name]
			if !ok {
				t.Fatalf("no record for %s", tc.name)
			}
			if u.Password != tc.password || u.HashAlg != tc.alg || u.UID != tc.uid || u.LoginShell != tc.login {
				t.Errorf("got password=%q alg=%q uid=%d login=%v, want %q %q %d %v", u.Password, u.HashAlg, u.UID, u.LoginShell, tc.password, tc.alg, tc.uid, tc.login)
			}
			if (u.HashFP != "") != tc.fp {
				t.Errorf("HashFP = %q, want present=%v", u.HashFP, tc.fp)
			}
			if !u.ShadowLine || u.LastChange != 19700 || u.Expire != -1 {
				t.Errorf("shadow join: in=%v last=%d expire=%d", u.ShadowLine, u.LastChange, u.Expire)
			}
			if strings.Contains(u.HashFP, "$") || len(u.HashFP) != 0 && len(u.HashFP) != 16 {
				t.Errorf("HashFP %q is not a 16 hex fingerprint", u.HashFP)
			}
		})
	}
	if users["root"].HashFP != Fingerprint(testKey, rootHash) {
		t.Errorf("root fingerprint %q, want HMAC of the shadow field", users["root"].HashFP)
	}
	if users["root"].HashFP == users["alice"].HashFP {
		t.Error("different hashes gave the same fingerprint")
	}
	var names []string
	for _, a := range env.Accounts {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "root,daemon,www-data,sshd,alice" {
		t.Errorf("env.Accounts = %s, want passwd order", got)
	}
	if env.Accounts[4].Home != "/home/alice" || env.Accounts[4].Shell != "/bin/bash" || env.Accounts[4].UID != 1000 {
		t.Errorf("alice account = %+v", env.Accounts[4])
	}
	groups := map[string]snapshot.Group{}
	for _, g := range probe.Of[snapshot.Group](rec) {
		groups[g.Name] = g
	}
	if g := groups["sudo"]; g.GID != 27 || g.Members != "alice" {
		t.Errorf("sudo group = %+v", g)
	}
	if len(groups) != 6 {
		t.Errorf("got %d groups, want 6", len(groups))
	}
	if len(rec.Problems) != 0 {
		t.Errorf("unexpected problems: %+v", rec.Problems)
	}
}

func TestCollectorPasswordStates(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/passwd", strings.Join([]string{
		"root:x:0:0:root:/root:/bin/bash",
		"locked:x:1001:1001::/home/locked:/bin/bash",
		"lockedstar:x:1002:1002::/home/ls:/bin/bash",
		"bang2:x:1003:1003::/home/b:/bin/sh",
		"emptypw:x:1004:1004::/home/e:",
		"noshadow:x:1005:1005::/home/n:/bin/bash",
		"inpasswd:" + desHash + ":1006:1006::/home/i:/bin/bash",
		"emptypasswd::1007:1007::/home/ep:/bin/bash",
		"toor:x:0:0:backdoor:/root:/bin/bash",
		"root:x:0:0:second root:/root:/bin/sh",
		"+@netgroup::::::",
		"-baduser",
		"broken:x:notanumber:0::/:/bin/sh",
		"short:x:1",
		"# a comment",
		"",
		"   spaced:x: 1010:1010::/home/s:/usr/sbin/nologin",
		"bcrypt:x:1011:1011::/home/bc:/bin/false",
		"gost:x:1012:1012::/home/g:/bin/bash",
		"weird:x:1013:1013::/home/w:/bin/bash",
		"bangstar:x:1014:1014::/home/bs:/bin/bash",
		"xshadow:x:1015:1015::/home/xs:/bin/bash",
		"shadowed:" + desHash + ":1016:1016::/home/sd:/bin/bash",
		"",
	}, "\n"), 0o644)
	r.File("/etc/shadow", strings.Join([]string{
		"root:" + rootHash + ":19700:0:99999:7:::",
		"locked:!" + sha512 + ":19000:0:99999:7::20000:",
		"lockedstar:*" + desHash + ":19001::::::",
		"bang2:!!:19002:0:99999:7:::",
		"emptypw::19003:0:99999:7:::",
		"toor:" + sha512 + ":19800:0:99999:7:::",
		"spaced:*:19004:0:99999:7:::",
		"bcrypt:" + bcrypt2b + ":19005",
		"gost:" + gostHash + ":",
		"weird:" + unknownID,
		"bangstar:!*:19006:0:99999:7:::",
		"xshadow:x:19007:0:99999:7:::",
		"shadowed:!:19008:0:99999:7:::",
		"root:$6$second$line:1:0:99999:7:::",
		"garbage",
		"",
	}, "\n"), 0o640)
	r.File("/etc/group", "root:x:0:\nadm:x:4:alice,bob\nbadgid:x:zz:\n+:::\nadm:x:99:\n", 0o644)
	env, rec := collect(t, r)
	users := usersByName(rec)

	tests := []struct {
		name, password, alg string
		fpOf                string // the field the fingerprint must be of ("" : no fingerprint)
		uid                 int64
		inShadow, login     bool
		lastChange, expire  int64
	}{
		{"root", StateSet, "yescrypt", rootHash, 0, true, true, 19700, -1},
		{"locked", StateLocked, "sha512crypt", "!" + sha512, 1001, true, true, 19000, 20000},
		{"lockedstar", StateLocked, "des", "*" + desHash, 1002, true, true, 19001, -1},
		{"bang2", StateDisabled, "", "", 1003, true, true, 19002, -1},
		{"emptypw", StateEmpty, "", "", 1004, true, true, 19003, -1},
		{"noshadow", StateMissing, "", "", 1005, false, true, -1, -1},
		{"inpasswd", StateSet, "des", desHash, 1006, false, true, -1, -1},
		{"emptypasswd", StateEmpty, "", "", 1007, false, true, -1, -1},
		{"toor", StateSet, "sha512crypt", sha512, 0, true, true, 19800, -1},
		{"spaced", StateDisabled, "", "", 1010, true, false, 19004, -1},
		{"bcrypt", StateSet, "bcrypt", bcrypt2b, 1011, true, false, 19005, -1},
		{"gost", StateSet, "gost-yescrypt", gostHash, 1012, true, true, -1, -1},
		{"weird", StateSet, "unknown", unknownID, 1013, true, true, -1, -1},
		{"bangstar", StateDisabled, "", "", 1014, true, true, 19006, -1},
		{"xshadow", StateDisabled, "", "", 1015, true, true, 19007, -1},
		{"shadowed", StateSet, "des", desHash, 1016, true, true, 19008, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok := users[tc.name]
			if !ok {
				t.Fatalf("no record for %s", tc.name)
			}
			if u.Password != tc.password || u.HashAlg != tc.alg {
				t.Errorf("password=%q alg=%q, want %q %q", u.Password, u.HashAlg, tc.password, tc.alg)
			}
			wantFP := ""
			if tc.fpOf != "" {
				wantFP = Fingerprint(testKey, tc.fpOf)
			}
			if u.HashFP != wantFP {
				t.Errorf("HashFP=%q, want %q", u.HashFP, wantFP)
			}
			if u.UID != tc.uid || u.ShadowLine != tc.inShadow || u.LoginShell != tc.login {
				t.Errorf("uid=%d inShadow=%v login=%v, want %d %v %v", u.UID, u.ShadowLine, u.LoginShell, tc.uid, tc.inShadow, tc.login)
			}
			if u.LastChange != tc.lastChange || u.Expire != tc.expire {
				t.Errorf("lastChange=%d expire=%d, want %d %d", u.LastChange, u.Expire, tc.lastChange, tc.expire)
			}
		})
	}
	if u := users["root"]; u.Gecos != "root" || u.PasswdEntry != 1 {
		t.Errorf("duplicate root: kept %+v, want the first line", u)
	}
	if len(users) != len(tests) {
		t.Errorf("got %d users, want %d", len(users), len(tests))
	}
	var uid0 []string
	for _, u := range probe.Of[snapshot.User](rec) {
		if u.UID == 0 {
			uid0 = append(uid0, u.Name)
		}
	}
	if strings.Join(uid0, ",") != "root,toor" {
		t.Errorf("uid 0 accounts = %v, want root and toor both recorded", uid0)
	}
	if len(env.Accounts) != len(tests) || env.Accounts[0].Name != "root" || env.Accounts[0].Shell != "/bin/bash" {
		t.Errorf("env.Accounts: %d entries, first %+v", len(env.Accounts), env.Accounts[0])
	}

	problems := []struct{ path, substr string }{
		{PasswdPath, "duplicate account root"},
		{PasswdPath, "line 11 (+@netgroup): NIS compat entry"},
		{PasswdPath, "line 12 (-baduser): NIS compat entry"},
		{PasswdPath, "line 13 (broken): malformed passwd line: uid or gid"},
		{PasswdPath, "line 14 (short): malformed passwd line"},
		{ShadowPath, "line 14: duplicate entry for root"},
		{ShadowPath, "line 15 (garbage): malformed shadow line"},
		{GroupPath, "line 3 (badgid): malformed group line"},
		{GroupPath, "NIS compat entry"},
		{GroupPath, "duplicate group adm"},
	}
	for _, p := range problems {
		if !hasProblem(rec, p.path, p.substr) {
			t.Errorf("no problem %q on %s; got %+v", p.substr, p.path, rec.Problems)
		}
	}
	for _, p := range rec.Problems {
		if strings.Contains(p.Error, "$") {
			t.Errorf("problem text may quote a hash: %q", p.Error)
		}
	}
	for _, u := range probe.Of[snapshot.User](rec) {
		if strings.Contains(u.HashFP, "$") || strings.Contains(u.HashAlg, "$") {
			t.Errorf("%s: hash material stored: %+v", u.Name, u)
		}
	}
	groups := probe.Of[snapshot.Group](rec)
	if len(groups) != 2 || groups[1].Name != "adm" || groups[1].GID != 4 || groups[1].Members != "alice,bob" {
		t.Errorf("groups = %+v", groups)
	}
}

func TestCollectorShadowUnreadable(t *testing.T) {
	r := fixture.Debian(t)
	// A directory where shadow should be cannot be read, whoever runs the test (root reads
	// a mode 000 file, so a permission test alone would not run as root).
	r.Remove("/etc/shadow").MkdirAll("/etc/shadow", 0o700)
	_, rec := collect(t, r)
	if !hasProblem(rec, ShadowPath, "shadow not readable (run as root to see password states)") {
		t.Errorf("no shadow problem: %+v", rec.Problems)
	}
	for _, u := range probe.Of[snapshot.User](rec) {
		if u.Password != StateUnknown || u.ShadowLine || u.HashFP != "" {
			t.Errorf("%s: %+v, want unknown password state", u.Name, u)
		}
	}
}

func TestCollectorNoShadowFile(t *testing.T) {
	r := fixture.Debian(t).Remove("/etc/shadow")
	_, rec := collect(t, r)
	if len(rec.Problems) != 0 {
		t.Errorf("a missing shadow file is not a problem: %+v", rec.Problems)
	}
	if u := usersByName(rec)["alice"]; u.Password != StateMissing {
		t.Errorf("alice = %+v, want missing", u)
	}
}

func TestCollectorNoPasswd(t *testing.T) {
	r := fixture.New(t)
	_, rec := collect(t, r)
	if !hasProblem(rec, PasswdPath, "no such file") {
		t.Errorf("missing passwd not reported: %+v", rec.Problems)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct{ field, state, alg string }{
		{"", StateEmpty, ""},
		{"*", StateDisabled, ""},
		{"!", StateDisabled, ""},
		{"!!", StateDisabled, ""},
		{"!*", StateDisabled, ""},
		{"*LK*", StateDisabled, ""},
		{"x", StateDisabled, ""},
		{"NP", StateDisabled, ""},
		{"$1$salt$hash", StateSet, "md5crypt"},
		{"$5$salt$hash", StateSet, "sha256crypt"},
		{sha512, StateSet, "sha512crypt"},
		{rootHash, StateSet, "yescrypt"},
		{gostHash, StateSet, "gost-yescrypt"},
		{"$7$CU..../....salt$hash", StateSet, "scrypt"},
		{"$2a$10$hash", StateSet, "bcrypt"},
		{"$2y$10$hash", StateSet, "bcrypt"},
		{"$sha1$19703$salt$hash", StateSet, "sha1crypt"},
		{desHash, StateSet, "des"},
		{"_J9..CCCCXBrJUJV154M", StateSet, "bsdicrypt"},
		{"!" + rootHash, StateLocked, "yescrypt"},
		{"!!" + sha512, StateLocked, "sha512crypt"},
		{"*" + desHash, StateLocked, "des"},
		{unknownID, StateSet, "unknown"},
		{"abJnggxhB/yW", StateDisabled, ""},  // 12 chars: not DES
		{"abJnggxhB/yW!", StateDisabled, ""}, // bad character
	}
	for _, tc := range tests {
		state, alg := Classify(tc.field)
		if state != tc.state || alg != tc.alg {
			t.Errorf("Classify(%q) = %q, %q; want %q, %q", tc.field, state, alg, tc.state, tc.alg)
		}
	}
}

func TestLoginShell(t *testing.T) {
	tests := []struct {
		shell string
		want  bool
	}{
		{"/bin/bash", true},
		{"/bin/sh", true},
		{"", true}, // login runs /bin/sh
		{"/usr/sbin/nologin", false},
		{"/sbin/nologin", false},
		{"/bin/false", false},
		{"/usr/bin/true", false},
		{"/bin/sync", false},
		{"/sbin/shutdown", false},
		{"/sbin/halt", false},
		{"/tmp/nologin.sh", true},
		{"/usr/bin/zsh", true},
	}
	for _, tc := range tests {
		if got := LoginShell(tc.shell); got != tc.want {
			t.Errorf("LoginShell(%q) = %v, want %v", tc.shell, got, tc.want)
		}
	}
}
