package sudoers

import (
	"reflect"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Defaults\tenv_reset\nDefaults\tsecure_path=\"/usr/local/sbin:/usr/bin\"\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
		"#includedir /etc/sudoers.d\n#include /etc/sudoers.local\n# comment\n",
		"User_Alias ADMINS = alice, bob : OPS = carol\nCmnd_Alias SHELLS = /bin/sh, \\\n  /bin/bash\nADMINS ALL = (ALL) NOPASSWD: SHELLS\n",
		"alice , bob web1, web2 = (www-data) NOPASSWD:SETENV: /usr/bin/systemctl restart nginx, PASSWD: /bin/kill, (root) /usr/bin/vim /etc/hosts\n",
		"bob ALL = ALL, !/usr/bin/su : db1 = (:adm) CWD=/tmp sha256:abcd /usr/bin/tail -f /var/log/x\n",
		"#1000 ALL=(#0) /bin/echo a\\,b # note\nDefaults:alice !authenticate\nDefaults!/usr/bin/less noexec\n",
		"Host_Alias LOCAL = ::1, 127.0.0.1\nx ALL=(\n\"unterminated\n\\",
	} {
		f.Add([]byte(s))
	}
	kinds := map[string]bool{KindGrant: true, KindDefaults: true, KindAlias: true, KindInclude: true, KindUnparsed: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, bad := Parse(data)
		lines := strings.Count(string(data), "\n") + 1
		nUnparsed := 0
		for _, r := range rules {
			if !kinds[r.Kind] || r.Line < 1 || r.Line > lines || r.Text == "" {
				t.Fatalf("bad rule %+v", r)
			}
			if n := normalize(r.Text); n != r.Text {
				t.Fatalf("text not normalized: %q -> %q", r.Text, n)
			}
			if r.Kind == KindUnparsed {
				nUnparsed++
			}
			// What the snapshot stores must parse back to the same rule.
			again := ParseLine(r.Text)
			again.Line = r.Line
			if !reflect.DeepEqual(again, r) {
				t.Fatalf("re-parse differs:\n%+v\n%+v", r, again)
			}
			for _, p := range r.Privileges {
				for _, c := range p.Cmnds {
					if c.Command == "" {
						t.Fatalf("empty command in %+v", r)
					}
					GivesShell(c.Command)
				}
			}
		}
		if nUnparsed != len(bad) {
			t.Fatalf("%d unparsed rules, %d line errors", nUnparsed, len(bad))
		}
		for _, g := range NewPolicy(rules).Grants() {
			g.FullRoot()
		}
	})
}
