package auditlog

import (
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name, line string
		typ        string
		fields     map[string]string
		ok         bool
	}{
		{"login", `type=USER_LOGIN msg=audit(1764000000.123:456): pid=1 uid=0 auid=1000 ses=3 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.5 terminal=ssh res=success'`,
			"USER_LOGIN", map[string]string{"acct": "root", "addr": "203.0.113.5", "res": "success", "exe": "/usr/sbin/sshd", "auid": "1000"}, true},
		{"sudo command in hex", `type=USER_CMD msg=audit(1764000001.000:457): pid=2 uid=1000 auid=1000 ses=3 msg='cwd="/home/alice" cmd=6361742F6574632F736861646F77 exe="/usr/bin/sudo" terminal=pts/0 res=success'`,
			"USER_CMD", map[string]string{"cmd": "cat/etc/shadow", "cwd": "/home/alice"}, true},
		{"execve", `type=EXECVE msg=audit(1764000002.5:458): argc=3 a0="curl" a1=2D73 a2="http://x/y"`,
			"EXECVE", map[string]string{"a0": "curl", "a1": "-s", "a2": "http://x/y", "argc": "3"}, true},
		{"through syslog", `Nov 26 13:00:00 web1 audispd: type=ADD_USER msg=audit(1764000003.0:459): pid=3 uid=0 auid=1000 msg='op=adding user id=1002 exe="/usr/sbin/useradd" res=success'`,
			"ADD_USER", map[string]string{"op": "adding", "id": "1002"}, true},
		{"not audit", "hello world", "", nil, false},
		{"bad stamp", "type=X msg=audit(abc:1): x=1", "", nil, false},
	}
	for _, tc := range tests {
		r, ok := ParseLine(tc.line)
		if ok != tc.ok {
			t.Errorf("%s: ok=%v", tc.name, ok)
			continue
		}
		if !ok {
			continue
		}
		if r.Type != tc.typ {
			t.Errorf("%s: type %s", tc.name, r.Type)
		}
		for k, v := range tc.fields {
			if r.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q (%v)", tc.name, k, r.Get(k), v, r.Fields)
			}
		}
	}
	r, _ := ParseLine(tests[0].line)
	if !r.Time.Equal(time.Unix(1764000000, 123e6)) || r.Serial != 456 {
		t.Errorf("time %v serial %d", r.Time, r.Serial)
	}
}

func TestParse(t *testing.T) {
	in := "type=DAEMON_START msg=audit(1764000000.0:1): op=start ver=3.0.9\njunk\n" +
		"type=CONFIG_CHANGE msg=audit(1764000010.0:2): auid=0 ses=1 op=remove_rule key=\"ssh\" list=4 res=1\n"
	var got []string
	if err := Parse(strings.NewReader(in), func(r Record) bool { got = append(got, r.Type); return true }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "DAEMON_START,CONFIG_CHANGE" {
		t.Fatal(got)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(`type=USER_LOGIN msg=audit(1764000000.123:456): pid=1 uid=0 msg='op=login acct="root" addr=1.2.3.4 res=success'`)
	f.Add(`type=EXECVE msg=audit(1.5:1): argc=2 a0="ls" a1=2D6C`)
	f.Add(`type=X msg=audit(`)
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := ParseLine(s)
		if ok && (r.Type == "" || r.Time.IsZero()) {
			t.Fatalf("accepted a record without type or time: %+v", r)
		}
	})
}
