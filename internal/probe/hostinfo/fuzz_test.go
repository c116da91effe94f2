package hostinfo

import (
	"strings"
	"testing"
)

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"))
	f.Add([]byte("# c\nA='x y'\nB=\"a\\\"b\\$c\"\nC=bare\\ word\nD=\"unclosed\nE='also\nexport F=1\r\n"))
	f.Add([]byte("NAME=Fedora\nVERSION=\"40 (Server Edition)\"\nID=fedora\nID_LIKE=\"rhel centos\"\n=\n\\\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := ParseOSRelease(data)
		for k, v := range m {
			if !validKey(k) {
				t.Fatalf("key %q", k)
			}
			if strings.Contains(v, "\n") || len(v) > len(data) {
				t.Fatalf("value %q", v)
			}
			if c := clip(v); len(c) > maxValue || strings.ContainsAny(c, "\x00\x1b\r") {
				t.Fatalf("clip %q", c)
			}
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("6.1.0-18-amd64", "6.1.0-21-amd64")
	f.Add("007", "7")
	f.Add("", "1")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareVersions(a, b), CompareVersions(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: %q %q: %d %d", a, b, ab, ba)
		}
		if CompareVersions(a, a) != 0 {
			t.Fatalf("%q != itself", a)
		}
	})
}
