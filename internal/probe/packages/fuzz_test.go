package packages

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

func isLowerHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func FuzzDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:9.2p1-2+deb12u3\n" +
		"Conffiles:\n /etc/ssh/moduli 5f0d2ad5b4b6e3f7b4b1c8a4a1f2e3d4\n /etc/x 0123456789abcdef0123456789abcdef obsolete\n" +
		"Description: x\n long\n .\n\n"))
	f.Add([]byte("Package: libc6\nStatus: install ok installed\nMulti-Arch: same\nArchitecture: i386\nVersion: 2.36-9\n"))
	f.Add([]byte("Package: a\r\nConffiles:\r\n /etc/new newconffile\r\n /etc/r 0123456789abcdef0123456789abcdef remove-on-upgrade\r\n"))
	f.Add([]byte(" \n:\nPackage:\nConffiles:\n  \n\x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		err := ParseDpkgStatus(bytes.NewReader(data), func(p DpkgPackage) {
			if p.Name == "" || p.Line < 1 || p.Line <= last {
				t.Fatalf("bad stanza %+v after line %d", p, last)
			}
			last = p.Line
			for _, c := range p.Conffiles {
				if c.Path != hostfs.Clean(c.Path) || strings.ContainsAny(c.Path, "\n") {
					t.Fatalf("conffile path %q", c.Path)
				}
				if c.Digest != "" && !isLowerHex32(c.Digest) {
					t.Fatalf("conffile digest %q", c.Digest)
				}
				if c.New && c.Digest != "" {
					t.Fatalf("new conffile with digest %+v", c)
				}
			}
			_ = p.State()
		}, func(e LineError) {
			if e.Line < 1 || len(e.Text) > 200 {
				t.Fatalf("bad line error %+v", e)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzMD5Sums(f *testing.F) {
	f.Add([]byte("d41d8cd98f00b204e9800998ecf8427e  usr/bin/ls\n0123456789ABCDEF0123456789abcdef  usr/share/doc/a b\n"))
	f.Add([]byte("\\d41d8cd98f00b204e9800998ecf8427e  usr/a\\nb\\\\c\nd41d8cd98f00b204e9800998ecf8427e */x\r\n"))
	f.Add([]byte("d41d8cd98f00b204e9800998ecf8427e  ../../../etc/shadow\nshort\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ParseMD5Sums(bytes.NewReader(data), func(s Sum) {
			if s.Path != hostfs.Clean(s.Path) || !strings.HasPrefix(s.Path, "/") {
				t.Fatalf("path %q", s.Path)
			}
			if !isLowerHex32(s.Digest) {
				t.Fatalf("digest %q", s.Digest)
			}
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDpkgLog(f *testing.F) {
	f.Add([]byte("2024-03-01 10:23:46 install openssh-server:amd64 <none> 1:9.2p1-2+deb12u2\n" +
		"2024-03-01 10:23:46 status half-installed openssh-server:amd64 1:9.2p1-2+deb12u2\n" +
		"2024-03-01 10:23:47 upgrade libc6:amd64 2.36-9 2.36-9+deb12u4\n" +
		"2024-03-01 10:23:47 conffile /etc/ssh/sshd_config keep\n" +
		"2024-03-01 10:23:45 startup archives unpack\n" +
		"2024-03-01 10:23:48 remove nginx:amd64 1.22.1-9 <none>\n"))
	f.Add([]byte("2024-03-01 10:23:4 install a b c\n2024-02-30 10:23:46 purge x:y 1 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		known := map[string]bool{"install": true, "upgrade": true, "remove": true, "purge": true, "configure": true,
			"trigproc": true, "status": true, "conffile": true, "startup": true}
		err := ParseDpkgLog(bytes.NewReader(data), func(e Event) {
			if !known[e.Action] || e.Line <= last {
				t.Fatalf("event %+v after line %d", e, last)
			}
			last = e.Line
			if e.Action != "conffile" && e.Action != "startup" && (e.Package == "" || strings.Contains(e.Package, ":")) {
				t.Fatalf("package %q", e.Package)
			}
			if e.Action == "conffile" && !strings.HasPrefix(e.Path, "/") {
				t.Fatalf("conffile path %q", e.Path)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzAptHistory(f *testing.F) {
	f.Add([]byte("Start-Date: 2024-03-01  10:23:40\nCommandline: apt-get install -y nginx\nRequested-By: alice (1000)\n" +
		"Install: nginx:amd64 (1.22.1-9), nginx-common:amd64 (1.22.1-9, automatic)\n" +
		"Upgrade: libc6:amd64 (2.36-9, 2.36-9+deb12u4)\nEnd-Date: 2024-03-01  10:23:50\n\n" +
		"Start-Date: 2024-03-02  01:00:00\nRemove: telnet:amd64 (0.17-44)\nError: x\n"))
	f.Add([]byte("Install: (((, ), a (\nRequested-By: (x)\nStart-Date: \nUpgrade: a (1, 2, 3, automatic)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		err := ParseAptHistory(bytes.NewReader(data), func(r AptRun) {
			if r.Line <= last {
				t.Fatalf("run at line %d after %d", r.Line, last)
			}
			last = r.Line
			if r.RequestedByUID < -1 {
				t.Fatalf("uid %d", r.RequestedByUID)
			}
			for _, list := range [][]AptChange{r.Install, r.Reinstall, r.Upgrade, r.Downgrade, r.Remove, r.Purge} {
				if len(list) > maxChanges {
					t.Fatalf("%d changes", len(list))
				}
				for _, c := range list {
					if c.Package == "" || strings.ContainsAny(c.Package, " ,():") {
						t.Fatalf("change %+v", c)
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
