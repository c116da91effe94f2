package packages

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDpkgLog(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(dpkgTimeLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		line string
		want *Event
	}{
		{"2024-03-01 10:23:46 install openssh-server:amd64 <none> 1:9.2p1-2+deb12u2",
			&Event{Time: at("2024-03-01 10:23:46"), Action: "install", Package: "openssh-server", Arch: "amd64", NewVersion: "1:9.2p1-2+deb12u2"}},
		{"2024-03-01 10:23:47 upgrade libc6:i386 2.36-9 2.36-9+deb12u4",
			&Event{Time: at("2024-03-01 10:23:47"), Action: "upgrade", Package: "libc6", Arch: "i386", OldVersion: "2.36-9", NewVersion: "2.36-9+deb12u4"}},
		{"2024-03-01 10:23:48 remove nginx:amd64 1.22.1-9 <none>",
			&Event{Time: at("2024-03-01 10:23:48"), Action: "remove", Package: "nginx", Arch: "amd64", OldVersion: "1.22.1-9"}},
		{"2024-03-01 10:23:48 purge nginx:amd64 1.22.1-9 <none>",
			&Event{Time: at("2024-03-01 10:23:48"), Action: "purge", Package: "nginx", Arch: "amd64", OldVersion: "1.22.1-9"}},
		{"2024-03-01 10:23:49 configure nginx:amd64 1.22.1-9 <none>",
			&Event{Time: at("2024-03-01 10:23:49"), Action: "configure", Package: "nginx", Arch: "amd64", OldVersion: "1.22.1-9"}},
		{"2024-03-01 10:23:49 status half-configured nginx:amd64 1.22.1-9",
			&Event{Time: at("2024-03-01 10:23:49"), Action: "status", Status: "half-configured", Package: "nginx", Arch: "amd64", NewVersion: "1.22.1-9"}},
		{"2011-01-01 00:00:00 status installed bash 4.1-3",
			&Event{Time: at("2011-01-01 00:00:00"), Action: "status", Status: "installed", Package: "bash", NewVersion: "4.1-3"}},
		{"2024-03-01 10:23:47 conffile /etc/ssh/sshd config keep",
			&Event{Time: at("2024-03-01 10:23:47"), Action: "conffile", Path: "/etc/ssh/sshd config", Detail: "keep"}},
		{"2024-03-01 10:23:45 startup archives unpack",
			&Event{Time: at("2024-03-01 10:23:45"), Action: "startup", Detail: "archives unpack"}},
		{"2024-03-01 10:23:45 install onlytwo 1.0", nil},
		{"2024-03-01 10:23:45 frobnicate a b c", nil},
		{"2024-13-01 10:23:45 install a:amd64 <none> 1", nil},
		{"garbage", nil},
		{"", nil},
		{"2024-03-01 10:23:45 conffile relative keep", nil},
	}
	for _, tt := range tests {
		var got []Event
		if err := ParseDpkgLog(strings.NewReader(tt.line+"\n"), func(e Event) { got = append(got, e) }); err != nil {
			t.Fatal(err)
		}
		if tt.want == nil {
			if len(got) != 0 {
				t.Errorf("%q: got %+v, want nothing", tt.line, got)
			}
			continue
		}
		tt.want.Line = 1
		if len(got) != 1 || !reflect.DeepEqual(got[0], *tt.want) {
			t.Errorf("%q:\n got  %+v\n want %+v", tt.line, got, *tt.want)
		}
	}
}

func TestParseDpkgLogInZone(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	var got []Event
	if err := ParseDpkgLogIn(strings.NewReader("2024-03-01 10:00:00 startup packages configure\n"), loc, func(e Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Time.UTC().Hour() != 9 {
		t.Fatalf("got %+v", got)
	}
}

func TestParseAptHistory(t *testing.T) {
	in := `
Start-Date: 2024-03-01  10:23:40
Commandline: apt-get install -y nginx
Requested-By: alice (1000)
Install: nginx:amd64 (1.22.1-9), nginx-common:amd64 (1.22.1-9, automatic), libfoo (2.0)
Upgrade: libc6:amd64 (2.36-9, 2.36-9+deb12u4), bad entry without parens
End-Date: 2024-03-01  10:23:50

Start-Date: 2024-03-02  01:00:00
Commandline: /usr/bin/unattended-upgrade
Remove: telnet:amd64 (0.17-44)
Purge: rsh-server:amd64 (0.17-25)
Downgrade: curl:amd64 (7.88.1-10+deb12u5, 7.88.1-10)
Error: Sub-process /usr/bin/dpkg returned an error code (1)
Start-Date: 2024-03-03  02:00:00
Commandline: apt install vim
Reinstall: vim:amd64 (2:9.0.1378-2)
End-Date: bogus
`
	var got []AptRun
	if err := ParseAptHistory(strings.NewReader(in), func(r AptRun) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m, s int) time.Time { return time.Date(2024, 3, d, h, m, s, 0, time.UTC) }
	want := []AptRun{
		{Start: day(1, 10, 23, 40), End: day(1, 10, 23, 50), Commandline: "apt-get install -y nginx", RequestedBy: "alice", RequestedByUID: 1000, Line: 2,
			Install: []AptChange{{Package: "nginx", Arch: "amd64", Version: "1.22.1-9"}, {Package: "nginx-common", Arch: "amd64", Version: "1.22.1-9", Automatic: true}, {Package: "libfoo", Version: "2.0"}},
			Upgrade: []AptChange{{Package: "libc6", Arch: "amd64", OldVersion: "2.36-9", Version: "2.36-9+deb12u4"}}},
		{Start: day(2, 1, 0, 0), Commandline: "/usr/bin/unattended-upgrade", RequestedByUID: -1, Line: 9,
			Remove:    []AptChange{{Package: "telnet", Arch: "amd64", Version: "0.17-44"}},
			Purge:     []AptChange{{Package: "rsh-server", Arch: "amd64", Version: "0.17-25"}},
			Downgrade: []AptChange{{Package: "curl", Arch: "amd64", OldVersion: "7.88.1-10+deb12u5", Version: "7.88.1-10"}},
			Error:     "Sub-process /usr/bin/dpkg returned an error code (1)"},
		{Start: day(3, 2, 0, 0), Commandline: "apt install vim", RequestedByUID: -1, Line: 15,
			Reinstall: []AptChange{{Package: "vim", Arch: "amd64", Version: "2:9.0.1378-2"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}
