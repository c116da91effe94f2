package finding

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name string
		fs   []Finding
		cov  Coverage
		want Verdict
	}{
		{"nothing", nil, Coverage{}, Clean},
		{"low only", []Finding{{Severity: Low}}, Coverage{}, Clean},
		{"medium", []Finding{{Severity: Medium}}, Coverage{}, Suspicious},
		{"explained high", []Finding{{Severity: High, Explained: true}}, Coverage{}, Clean},
		{"explained critical", []Finding{{Severity: Critical, Explained: true}}, Coverage{}, Clean},
		{"unexplained critical", []Finding{{Severity: Critical}}, Coverage{}, Compromised},
		{"strong even if explained", []Finding{{Severity: High, Strong: true, Explained: true}}, Coverage{}, Compromised},
		{"quiet but blind", nil, Coverage{Insufficient: true}, Incomplete},
		{"suspicious beats blind", []Finding{{Severity: High}}, Coverage{Insufficient: true}, Suspicious},
	}
	for _, tc := range tests {
		if got := Decide(tc.fs, tc.cov); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	codes := map[Verdict]int{Clean: 0, Suspicious: 1, Compromised: 2, Incomplete: 3}
	for v, c := range codes {
		if v.ExitCode() != c {
			t.Errorf("%s exit %d, want %d", v, v.ExitCode(), c)
		}
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{Info, Low, Medium, High, Critical} {
		b, _ := s.MarshalText()
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round trip: %v %v", s, back, err)
		}
	}
	var s Severity
	if err := s.UnmarshalText([]byte("urgent")); err == nil {
		t.Error("unknown severity accepted")
	}
}

func TestSortAndDedupe(t *testing.T) {
	fs := []Finding{{Rule: "a", Severity: Low}, {Rule: "b", Severity: Critical, Explained: true}, {Rule: "c", Severity: Medium},
		{Rule: "d", Severity: Low, Strong: true}, {Rule: "c", Severity: Medium}}
	fs = Dedupe(fs)
	Sort(fs)
	var order string
	for _, f := range fs {
		order += f.Rule
	}
	if order != "dcab" {
		t.Fatalf("order %s, want dcab", order)
	}
}

// TestJSONKeepsNamesExactly: a path that is not UTF-8 survives JSON byte for byte (escaped for
// the eye, exact in path_b64); a valid one is written as it is, with no extra field.
func TestJSONKeepsNamesExactly(t *testing.T) {
	for _, p := range []string{"/tmp/kworker\xff\xfe", "/tmp/\x1b[2Jclean", "/etc/passwd", "/tmp/日本"} {
		in := Finding{Rule: "r", Path: p, User: "u\xc0", Evidence: []string{}, Attack: []string{}}
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(data) {
			t.Errorf("%q: JSON not UTF-8", p)
		}
		if utf8.ValidString(p) == strings.Contains(string(data), "path_b64") {
			t.Errorf("%q: path_b64 present %v: %s", p, !utf8.ValidString(p), data)
		}
		var out Finding
		if err := json.Unmarshal(data, &out); err != nil || out.Path != p || out.User != in.User {
			t.Errorf("%q: read back %q %q %v", p, out.Path, out.User, err)
		}
	}
}
