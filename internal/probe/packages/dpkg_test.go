package packages

import (
	"crypto/md5"
	"encoding/hex"
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"reflect"
	"strings"
	"testing"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestParseDpkgStatus(t *testing.T) {
	const moduli = "5f0d2ad5b4b6e3f7b4b1c8a4a1f2e3d4"
	tests := []struct {
		name string
		in   string
		want []DpkgPackage
		bad  int
	}{
		{
			name: "source package, with and without its own version (binNMU)",
			in: "Package: openssh-server\nStatus: install ok installed\nSource: openssh\nVersion: 1:9.2p1-2+deb12u3\n\n" +
				"Package: libfoo1\nStatus: install ok installed\nSource: foo (1.0-1)\nVersion: 1.0-1+b2\n",
			want: []DpkgPackage{
				{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Status: "install ok installed", Source: "openssh", Line: 1},
				{Name: "libfoo1", Version: "1.0-1+b2", Status: "install ok installed", Source: "foo", SourceVersion: "1.0-1", Line: 6},
			},
		},
		{
			name: "two stanzas with description and conffiles",
			in: "Package: openssh-server\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n" +
				"Multi-Arch: foreign\nVersion: 1:9.2p1-2+deb12u3\nConffiles:\n /etc/ssh/moduli " + moduli + "\n" +
				" /etc/old/thing 0123456789ABCDEF0123456789abcdef obsolete\n /etc/new conf newconffile\n" +
				" /etc/gone 0123456789abcdef0123456789abcdef remove-on-upgrade\n" +
				"Description: secure shell (SSH) server\n long text\n .\n more\n\n" +
				"Package: libc6\nStatus: deinstall ok config-files\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\n",
			want: []DpkgPackage{
				{Name: "openssh-server", Arch: "amd64", Version: "1:9.2p1-2+deb12u3", Status: "install ok installed", MultiArch: "foreign", Line: 1,
					Conffiles: []Conffile{
						{Path: "/etc/ssh/moduli", Digest: moduli},
						{Path: "/etc/old/thing", Digest: "0123456789abcdef0123456789abcdef", Obsolete: true},
						{Path: "/etc/new conf", New: true},
						{Path: "/etc/gone", Digest: "0123456789abcdef0123456789abcdef", RemoveOnUpgrade: true},
					}},
				{Name: "libc6", Arch: "i386", Version: "2.36-9", Status: "deinstall ok config-files", MultiArch: "same", Line: 17},
			},
		},
		{
			name: "crlf, several blank lines, no final newline",
			in:   "\n\nPackage: a\r\nStatus: install ok half-configured\r\nVersion: 1\r\n\r\n\r\nPackage: b\nVersion: 2",
			want: []DpkgPackage{
				{Name: "a", Version: "1", Status: "install ok half-configured", Line: 3},
				{Name: "b", Version: "2", Line: 8},
			},
		},
		{
			name: "malformed lines skipped",
			in: " stray continuation\nPackage: a\nno colon here\nConffiles:\n /etc/x nothex\n relative 0123456789abcdef0123456789abcdef\n" +
				"Version: 1\n\nVersion: 2\n",
			want: []DpkgPackage{{Name: "a", Version: "1", Line: 2}},
			bad:  5, // stray continuation, no colon, two bad conffiles, stanza without Package
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []DpkgPackage
			var bad []LineError
			err := ParseDpkgStatus(strings.NewReader(tt.in), func(p DpkgPackage) { got = append(got, p) }, func(e LineError) { bad = append(bad, e) })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if len(bad) != tt.bad {
				t.Errorf("bad lines %d, want %d: %v", len(bad), tt.bad, bad)
			}
		})
	}
}

func TestDpkgPackageState(t *testing.T) {
	tests := []struct{ status, state string }{
		{"install ok installed", "installed"},
		{"deinstall ok config-files", "config-files"},
		{"install reinstreq half-configured", "half-configured"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := (DpkgPackage{Status: tt.status}).State(); got != tt.state {
			t.Errorf("State(%q) = %q, want %q", tt.status, got, tt.state)
		}
	}
	if got := (DpkgPackage{Name: "libc6", Arch: "amd64", MultiArch: "same"}).InfoName(); got != "libc6:amd64" {
		t.Errorf("InfoName = %q", got)
	}
	if got := (DpkgPackage{Name: "bash", Arch: "amd64", MultiArch: "foreign"}).InfoName(); got != "bash" {
		t.Errorf("InfoName = %q", got)
	}
}

func TestParseMD5Sums(t *testing.T) {
	ls := md5hex("ls")
	tests := []struct {
		name string
		in   string
		want []Sum
		bad  int
	}{
		{"plain", ls + "  usr/bin/ls\n" + strings.ToUpper(ls) + "  usr/share/doc/x/file with spaces.txt\n",
			[]Sum{{"/usr/bin/ls", ls}, {"/usr/share/doc/x/file with spaces.txt", ls}}, 0},
		{"binary marker and absolute path", ls + " */usr/bin/ls\n", []Sum{{"/usr/bin/ls", ls}}, 0},
		{"escaped name", `\` + ls + `  usr/share/a\nb\\c` + "\n", []Sum{{"/usr/share/a\nb\\c", ls}}, 0},
		{"dot-dot cannot climb", ls + "  ../../etc/shadow\n", []Sum{{"/etc/shadow", ls}}, 0},
		{"malformed", "xyz  usr/bin/ls\n" + ls + " usr/bin/ls\n" + ls + "  \n" + ls[:31] + "g  a\n\n" + ls + "  ok\n",
			[]Sum{{"/ok", ls}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Sum
			bad := 0
			if err := ParseMD5Sums(strings.NewReader(tt.in), func(s Sum) { got = append(got, s) }, func(LineError) { bad++ }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if bad != tt.bad {
				t.Errorf("bad %d, want %d", bad, tt.bad)
			}
		})
	}
}

func TestEachLineLong(t *testing.T) {
	in := strings.Repeat("a", 100) + "\nshort\n" + strings.Repeat("b", 50)
	type line struct {
		n    int
		text string
		long bool
	}
	var got []line
	if err := textline.Each(strings.NewReader(in), 20, func(n int, l []byte, long bool) bool {
		got = append(got, line{n, string(l), long})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := []line{{1, strings.Repeat("a", 20), true}, {2, "short", false}, {3, strings.Repeat("b", 20), true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
