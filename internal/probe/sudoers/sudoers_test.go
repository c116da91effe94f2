package sudoers

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func TestSplitLogical(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []logical
	}{
		{"comment and blank", "# comment\n\n   \nroot ALL=(ALL) ALL # trailing\n", []logical{{line: 4, text: "root ALL=(ALL) ALL"}}},
		{"continuation", "Cmnd_Alias X = /bin/a, \\\n    /bin/b,\\\n\t/bin/c\nroot ALL=X\n",
			[]logical{{line: 1, text: "Cmnd_Alias X = /bin/a, /bin/b, /bin/c"}, {line: 4, text: "root ALL=X"}}},
		{"continuation with blanks after backslash", "a ALL=\\  \n ALL\n", []logical{{line: 1, text: "a ALL= ALL"}}},
		{"uid is not a comment", "#1000 ALL=(#0) ALL\n%#27 ALL=(ALL) ALL\n", []logical{{line: 1, text: "#1000 ALL=(#0) ALL"}, {line: 2, text: "%#27 ALL=(ALL) ALL"}}},
		{"old includes are not comments", "#includedir /etc/sudoers.d\n#include /etc/sudoers.local\n# include nothing\n",
			[]logical{{line: 1, text: "#includedir /etc/sudoers.d", include: true}, {line: 2, text: "#include /etc/sudoers.local", include: true}}},
		{"comment ends a continuation", "a ALL=ALL # note \\\nb ALL=ALL\n", []logical{{line: 1, text: "a ALL=ALL"}, {line: 2, text: "b ALL=ALL"}}},
		{"escaped hash and quoted hash", "Defaults passprompt=\"pw # here\"\na ALL=/bin/echo \\#x\n",
			[]logical{{line: 1, text: "Defaults passprompt=\"pw # here\""}, {line: 2, text: "a ALL=/bin/echo \\#x"}}},
		{"quoted white space kept", "Defaults\tsecure_path=\"/a  b\"\n", []logical{{line: 1, text: "Defaults secure_path=\"/a  b\""}}},
		{"escaped backslash is not a continuation", "a ALL=/bin/x \\\\\nb ALL=ALL\n", []logical{{line: 1, text: "a ALL=/bin/x \\\\"}, {line: 2, text: "b ALL=ALL"}}},
		{"continuation at end of file", "a ALL=\\", []logical{{line: 1, text: "a ALL="}}},
		{"crlf", "root ALL=ALL\r\n", []logical{{line: 1, text: "root ALL=ALL"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitLogical([]byte(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		text string
		want Rule
	}{
		{"@includedir /etc/sudoers.d", Rule{Kind: KindInclude, Include: "/etc/sudoers.d", IncludeDir: true}},
		{"#include sudoers.local", Rule{Kind: KindInclude, Include: "sudoers.local"}},
		{`@include "/etc/sudo rules/x"`, Rule{Kind: KindInclude, Include: "/etc/sudo rules/x"}},
		{"@include", Rule{Kind: KindUnparsed, Error: "include without a path"}},
		{"Defaults env_reset", Rule{Kind: KindDefaults, Settings: []string{"env_reset"}}},
		{"Defaults:alice, %ops !authenticate, env_keep+=\"A,B\"", Rule{Kind: KindDefaults, Binding: ":alice,%ops", Settings: []string{"!authenticate", "env_keep+=\"A,B\""}}},
		{"Defaults!/usr/bin/less noexec", Rule{Kind: KindDefaults, Binding: "!/usr/bin/less", Settings: []string{"noexec"}}},
		{"Defaults>root !set_logname", Rule{Kind: KindDefaults, Binding: ">root", Settings: []string{"!set_logname"}}},
		{"User_Alias ADMINS = alice, bob : OPS = carol", Rule{Kind: KindAlias, AliasType: "User_Alias",
			Aliases: []Alias{{"ADMINS", []string{"alice", "bob"}}, {"OPS", []string{"carol"}}}}},
		{"Cmnd_Alias SHELLS = /bin/sh, ! /bin/bash, /usr/bin/find \\: x", Rule{Kind: KindAlias, AliasType: "Cmnd_Alias",
			Aliases: []Alias{{"SHELLS", []string{"/bin/sh", "!/bin/bash", "/usr/bin/find \\: x"}}}}},
		{"Host_Alias LOCAL = ::1, 127.0.0.1", Rule{Kind: KindAlias, AliasType: "Host_Alias",
			Aliases: []Alias{{"LOCAL", []string{"::1", "127.0.0.1"}}}}},
		{"Cmd_Alias X = /bin/ls", Rule{Kind: KindAlias, AliasType: "Cmnd_Alias", Aliases: []Alias{{"X", []string{"/bin/ls"}}}}},
		{"User_Alias bad = x", Rule{Kind: KindUnparsed, AliasType: "User_Alias", Error: "bad alias name"}},
		{"root ALL=(ALL:ALL) ALL", Rule{Kind: KindGrant, Users: []string{"root"}, Privileges: []Privilege{{
			Hosts: []string{"ALL"}, Cmnds: []Cmnd{{RunasGiven: true, RunasUsers: []string{"ALL"}, RunasGroups: []string{"ALL"}, Command: "ALL"}}}}}},
		{"%sudo ALL=(ALL) NOPASSWD: ALL", Rule{Kind: KindGrant, Users: []string{"%sudo"}, Privileges: []Privilege{{
			Hosts: []string{"ALL"}, Cmnds: []Cmnd{{RunasGiven: true, RunasUsers: []string{"ALL"}, Tags: []string{"NOPASSWD"}, Command: "ALL"}}}}}},
		{"alice , bob web1, web2 = (www-data) NOPASSWD:SETENV: /usr/bin/systemctl restart nginx, PASSWD: /bin/kill, (root) /usr/bin/vim /etc/hosts",
			Rule{Kind: KindGrant, Users: []string{"alice", "bob"}, Privileges: []Privilege{{Hosts: []string{"web1", "web2"}, Cmnds: []Cmnd{
				{RunasGiven: true, RunasUsers: []string{"www-data"}, Tags: []string{"NOPASSWD", "SETENV"}, Command: "/usr/bin/systemctl restart nginx"},
				{RunasGiven: true, RunasUsers: []string{"www-data"}, Tags: []string{"SETENV", "PASSWD"}, Command: "/bin/kill"},
				{RunasGiven: true, RunasUsers: []string{"root"}, Tags: []string{"SETENV", "PASSWD"}, Command: "/usr/bin/vim /etc/hosts"},
			}}}}},
		{"bob ALL = ALL, !/usr/bin/su : db1 = (:adm) CWD=/tmp sha256:abcd /usr/bin/tail -f /var/log/x",
			Rule{Kind: KindGrant, Users: []string{"bob"}, Privileges: []Privilege{
				{Hosts: []string{"ALL"}, Cmnds: []Cmnd{{Command: "ALL"}, {Negated: true, Command: "/usr/bin/su"}}},
				{Hosts: []string{"db1"}, Cmnds: []Cmnd{{RunasGiven: true, RunasGroups: []string{"adm"}, Options: []string{"CWD=/tmp"}, Digest: "sha256:abcd", Command: "/usr/bin/tail -f /var/log/x"}}},
			}}},
		{"#1000 ALL=(#0) /bin/echo a\\,b", Rule{Kind: KindGrant, Users: []string{"#1000"}, Privileges: []Privilege{{Hosts: []string{"ALL"},
			Cmnds: []Cmnd{{RunasGiven: true, RunasUsers: []string{"#0"}, Command: "/bin/echo a\\,b"}}}}}},
		{"garbage line", Rule{Kind: KindUnparsed, Error: "not a Defaults, alias, include or user specification"}},
		{"alice=ALL", Rule{Kind: KindUnparsed, Error: "user specification without a user list and a host list"}},
		{"alice ALL=(ALL", Rule{Kind: KindUnparsed, Error: "unclosed \"(\" in run-as list"}},
		{"alice ALL=ALL : nohosts", Rule{Kind: KindUnparsed, Error: "\":\" not followed by \"Host_List = Cmnd_Spec_List\""}},
		{"alice ALL=", Rule{Kind: KindUnparsed, Error: "empty command"}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got := ParseLine(tc.text)
			tc.want.Text = normalize(tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPolicyGrants(t *testing.T) {
	src := `User_Alias ADMINS = alice, %wheel, !mallory
Runas_Alias ROOTISH = root, operator
Cmnd_Alias EDIT = /usr/bin/vim, /usr/bin/less /var/log/syslog
Cmnd_Alias SAFE = /usr/bin/uptime, !EDIT
ADMINS ALL = (ROOTISH) NOPASSWD: EDIT
bob ALL = (operator) /usr/bin/python3 /opt/tool.py
carol ALL = SAFE
deploy ALL = (ALL) NOPASSWD: ALL
web ALL = (www-data) /bin/bash
dave ALL = /usr/bin/*, /usr/local/bin/backup --now
`
	rules, bad := Parse([]byte(src))
	if len(bad) != 0 {
		t.Fatalf("parse errors: %v", bad)
	}
	p := NewPolicy(rules)
	type g struct {
		who, cmd                    string
		neg, nopw, asRoot, fullRoot bool
	}
	var got []g
	for _, gr := range p.Grants() {
		got = append(got, g{gr.Who(), gr.Command, gr.Negated, gr.NoPasswd(), gr.AsRoot(), gr.FullRoot()})
	}
	want := []g{
		{"alice,%wheel,!mallory", "/usr/bin/vim", false, true, true, true},
		{"alice,%wheel,!mallory", "/usr/bin/less /var/log/syslog", false, true, true, true},
		{"bob", "/usr/bin/python3 /opt/tool.py", false, false, false, false},
		{"carol", "/usr/bin/uptime", false, false, true, false},
		{"carol", "/usr/bin/vim", true, false, true, false},
		{"carol", "/usr/bin/less /var/log/syslog", true, false, true, false},
		{"deploy", "ALL", false, true, true, true},
		{"web", "/bin/bash", false, false, false, false},
		{"dave", "/usr/bin/*", false, false, true, true},
		{"dave", "/usr/local/bin/backup --now", false, false, true, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("grants:\n got  %+v\n want %+v", got, want)
	}
	if r := p.Expand("Runas_Alias", []string{"ROOTISH"}); !reflect.DeepEqual(r, []string{"root", "operator"}) {
		t.Errorf("Expand ROOTISH = %v", r)
	}
	// Self-referencing aliases terminate.
	loop := NewPolicy([]Rule{ParseLine("User_Alias A = B, x"), ParseLine("User_Alias B = A, y")})
	for _, r := range loop.Rules {
		if r.Kind != KindAlias {
			t.Fatalf("alias rule parsed as %s", r.Kind)
		}
	}
	if got := loop.Expand("User_Alias", []string{"A"}); len(got) == 0 || len(got) > 1<<maxAliasDepth {
		t.Errorf("alias loop expanded to %d items", len(got))
	}
}

func TestGivesShell(t *testing.T) {
	tests := []struct {
		cmd  string
		want bool
	}{
		{"ALL", true},
		{"/bin/bash", true},
		{"/usr/bin/vim /etc/hosts", true},
		{"/usr/bin/less /var/log/syslog", true},
		{"/usr/bin/find", true},
		{"/usr/bin/python3.11 /opt/x.py", true},
		{"/usr/bin/perl", true},
		{"/usr/bin/env", true},
		{"sudoedit /etc/motd", true},
		{"/usr/bin/tee /etc/x", true},
		{"/usr/sbin/*", true},
		{"/usr/bin/systemctl restart nginx", true},
		{"/usr/bin/uptime", false},
		{"/usr/sbin/service2", false},
		{"/usr/local/bin/backup --now", false},
		{"/usr/bin/apt-get update", true},
		{"/opt/bin\\ dir/tool", false},
	}
	for _, tc := range tests {
		if got := GivesShell(tc.cmd); got != tc.want {
			t.Errorf("GivesShell(%q) = %v, want %v", tc.cmd, got, tc.want)
		}
	}
}

func collect(t *testing.T, r *fixture.Root) *probe.Recorder {
	t.Helper()
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	rec := &probe.Recorder{}
	if err := (Collector{}).Collect(context.Background(), &probe.Env{FS: fsys, Sink: rec}); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return rec
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
	got := probe.Of[snapshot.SudoRule](rec)
	want := []snapshot.SudoRule{
		{File: "/etc/sudoers", Text: "Defaults env_reset", Kind: KindDefaults, Line: 1},
		{File: "/etc/sudoers", Text: `Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"`, Kind: KindDefaults, Line: 2},
		{File: "/etc/sudoers", Text: "root ALL=(ALL:ALL) ALL", Kind: KindGrant, Line: 3},
		{File: "/etc/sudoers", Text: "%sudo ALL=(ALL:ALL) ALL", Kind: KindGrant, Line: 4},
		{File: "/etc/sudoers", Text: "@includedir /etc/sudoers.d", Kind: KindInclude, Line: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules:\n got  %+v\n want %+v", got, want)
	}
	if len(rec.Problems) != 0 {
		t.Errorf("problems: %+v", rec.Problems)
	}
	var full []string
	for _, g := range FromRecords(got).Grants() {
		if g.FullRoot() {
			full = append(full, g.Who())
		}
	}
	if strings.Join(full, " ") != "root %sudo" {
		t.Errorf("full root grants for %v", full)
	}
}

func TestCollectorIncludes(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/sudoers.d/90-backdoor", "www-data ALL=(ALL) NOPASSWD: ALL\n", 0o440)
	r.File("/etc/sudoers.d/zz-disabled~", "nobody ALL=ALL\n", 0o440)
	r.File("/etc/sudoers.d/old.dpkg-dist", "nobody ALL=ALL\n", 0o440)
	r.File("/etc/sudoers.d/10-loop", "#include loop2.conf\nalice ALL=(root) /usr/bin/less\n", 0o440)
	r.File("/etc/sudoers.d/loop2.conf", "@include /etc/sudoers.d/10-loop\nbob ALL=/usr/bin/uptime\n", 0o440)
	r.File("/etc/sudoers.d/20-host", "@include /etc/sudoers.%h\nbadline here\n@include /etc/nonexistent\n", 0o440)
	r.File("/etc/sudoers.web1", "Defaults:deploy !authenticate\n", 0o440)
	r.MkdirAll("/etc/sudoers.d/subdir", 0o755)
	rec := collect(t, r)
	byFile := map[string][]string{}
	for _, s := range probe.Of[snapshot.SudoRule](rec) {
		byFile[s.File] = append(byFile[s.File], s.Kind+": "+s.Text)
	}
	want := map[string][]string{
		"/etc/sudoers.d/90-backdoor": {"grant: www-data ALL=(ALL) NOPASSWD: ALL"},
		"/etc/sudoers.d/10-loop":     {"include: #include loop2.conf", "grant: alice ALL=(root) /usr/bin/less"},
		"/etc/sudoers.d/loop2.conf":  {"include: @include /etc/sudoers.d/10-loop", "grant: bob ALL=/usr/bin/uptime"},
		"/etc/sudoers.d/20-host":     {"include: @include /etc/sudoers.%h", "unparsed: badline here", "include: @include /etc/nonexistent"},
		"/etc/sudoers.web1":          {"defaults: Defaults:deploy !authenticate"},
	}
	for f, w := range want {
		if !reflect.DeepEqual(byFile[f], w) {
			t.Errorf("%s: got %q, want %q", f, byFile[f], w)
		}
	}
	for _, f := range []string{"/etc/sudoers.d/zz-disabled~", "/etc/sudoers.d/old.dpkg-dist", "/etc/sudoers.d/README"} {
		if len(byFile[f]) != 0 {
			t.Errorf("%s: rules read from a file sudo skips or that holds only comments: %q", f, byFile[f])
		}
	}
	problems := []struct{ path, substr string }{
		{"/etc/sudoers.d/10-loop", "include loop"},
		{"/etc/sudoers.d/20-host", "line 2: not a Defaults"},
		{"/etc/nonexistent", "no such file"},
	}
	for _, p := range problems {
		if !hasProblem(rec, p.path, p.substr) {
			t.Errorf("no problem %q on %s: %+v", p.substr, p.path, rec.Problems)
		}
	}
	// The loop is read once: 10-loop from the includedir, loop2.conf from it, and 10-loop again is refused.
	n := 0
	for _, s := range probe.Of[snapshot.SudoRule](rec) {
		if s.Text == "alice ALL=(root) /usr/bin/less" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("looping file read %d times", n)
	}
	var nopw []string
	for _, g := range FromRecords(probe.Of[snapshot.SudoRule](rec)).Grants() {
		if g.NoPasswd() && g.FullRoot() {
			nopw = append(nopw, g.Who())
		}
	}
	if strings.Join(nopw, ",") != "www-data" {
		t.Errorf("passwordless root for %v, want www-data", nopw)
	}
}

func TestCollectorDepthLimit(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/sudoers", "@include /etc/s/1\n", 0o440)
	for i := 1; i <= maxDepth+2; i++ {
		r.File("/etc/s/"+strconv.Itoa(i), "@include "+strconv.Itoa(i+1)+"\n", 0o440)
	}
	rec := collect(t, r)
	if !hasProblem(rec, "/etc/s/"+strconv.Itoa(maxDepth), "nested deeper") {
		t.Errorf("no depth problem: %+v", rec.Problems)
	}
}

func TestCollectorNoSudo(t *testing.T) {
	rec := collect(t, fixture.New(t))
	if len(rec.Records) != 0 || len(rec.Problems) != 0 {
		t.Errorf("no sudoers: records %v problems %v", rec.Records, rec.Problems)
	}
}

func TestCollectorUnreadable(t *testing.T) {
	r := fixture.New(t).MkdirAll("/etc/sudoers", 0o755)
	rec := collect(t, r)
	if !hasProblem(rec, MainPath, "not a regular file") {
		t.Errorf("problems: %+v", rec.Problems)
	}
}
