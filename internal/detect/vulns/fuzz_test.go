package vulns

import (
	"encoding/json"
	"testing"
)

// FuzzCompareDeb: the order is a total order on what parses (reflexive, antisymmetric), and
// never panics on anything.
func FuzzCompareDeb(f *testing.F) {
	for _, s := range [][2]string{{"1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u10"}, {"1.0~rc1", "1.0"}, {"2.36-9+deb12u3", "2.36-9+deb12u3+b1"},
		{"0", "00"}, {"1.0-", "-1"}, {":1", "1:"}, {"1.0-1~", "1.0-1"}, {"a", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareDeb(a, b), CompareDeb(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: %q %q: %d %d", a, b, ab, ba)
		}
		if CompareDeb(a, a) != 0 {
			t.Fatalf("not reflexive: %q", a)
		}
		if _, err := ParseDebVersion(a); err == nil {
			if _, err := ParseDebVersion(b); err != nil && ab != -1 {
				t.Fatalf("a valid version %q does not sort before an invalid one %q", a, b)
			}
		}
	})
}

// FuzzRecord: any record is read and evaluated without a panic or a hang.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-1"}]}],"versions":["0.9-1"]}]}`), "0.9-1")
	f.Add([]byte(`{"id":"G","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.2.0"},{"limit":"*"}]}]}]}`), "1.1.0")
	f.Fuzz(func(t *testing.T, data []byte, version string) {
		var r Record
		if json.Unmarshal(data, &r) != nil {
			return
		}
		r.CVEs()
		r.SeverityWord()
		for i := range r.Affected {
			if c := comparatorFor(r.Affected[i].Package.Ecosystem); c != nil {
				r.Affected[i].affects(version, c)
			}
		}
	})
}

// FuzzLockfiles: composer.lock and package-lock.json readers never panic.
func FuzzLockfiles(f *testing.F) {
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"v1.0.0"}]}`))
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}`))
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseComposerLock(data)
		ParsePackageLock(data)
	})
}
