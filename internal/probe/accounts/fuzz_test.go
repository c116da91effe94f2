package accounts

import (
	"strings"
	"testing"
)

func FuzzParsePasswd(f *testing.F) {
	for _, s := range []string{
		"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
		"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n",
		"evil::0:0::/root:\n",
		"+::::::\n-bob\n+@admins:::::\n",
		"x:x: 1:+2:a:b:c:d:e\n# comment\n\n   lead:x:3:3::/:/bin/sh\r\n",
		"bad:x:-1:0::/:/bin/sh\nhuge:x:99999999999999999999:0::/:\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, bad := ParsePasswd(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range entries {
			if e.Name == "" || e.Line < 1 || e.Line > lines || e.UID < 0 || e.GID < 0 {
				t.Fatalf("bad entry %+v", e)
			}
			LoginShell(e.Shell)
			Classify(e.Password)
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines || b.Reason == "" {
				t.Fatalf("bad line error %+v", b)
			}
		}
	})
}

func FuzzParseShadow(f *testing.F) {
	for _, s := range []string{
		"root:$y$j9T$salt$hash:19700:0:99999:7:::\n",
		"daemon:*:19700:0:99999:7:::\nsshd:!:19700::::::\n",
		"locked:!$6$salt$hash:19000:0:99999:7::20000:\n",
		"empty::1\nshort\n:nofield\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, bad := ParseShadow(data)
		for _, e := range entries {
			if e.Name == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			state, alg := Classify(e.Hash)
			switch state {
			case StateSet, StateLocked:
				if alg == "" {
					t.Fatalf("%q: state %s without algorithm", e.Hash, state)
				}
			case StateEmpty, StateDisabled:
				if alg != "" {
					t.Fatalf("%q: state %s with algorithm %s", e.Hash, state, alg)
				}
			default:
				t.Fatalf("%q: unexpected state %q", e.Hash, state)
			}
			if fp := Fingerprint([]byte("k"), e.Hash); len(fp) != 16 {
				t.Fatalf("fingerprint %q", fp)
			}
		}
		for _, b := range bad {
			if strings.Contains(b.Error(), "$") && !strings.Contains(b.Name, "$") {
				t.Fatalf("line error quotes the line: %q", b.Error())
			}
		}
	})
}

func FuzzParseGroup(f *testing.F) {
	for _, s := range []string{
		"root:x:0:\nsudo:x:27:alice,bob\n",
		"adm:x:4:syslog,\n+:::\nbad:x:q:\n",
		"g::1:a,,b, c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _ := ParseGroup(data)
		for _, e := range entries {
			if e.Name == "" || e.GID < 0 {
				t.Fatalf("bad entry %+v", e)
			}
			for _, m := range e.MemberList() {
				if m == "" || strings.Contains(m, ",") {
					t.Fatalf("bad member %q", m)
				}
			}
		}
	})
}
