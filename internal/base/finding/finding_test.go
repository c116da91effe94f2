package finding

import "testing"

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
