package diff

import (
	"fmt"
	"strings"
	"testing"
)

// apply rebuilds the new text from the old one and a unified diff with full context.
func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"added line", "a\nb\nc\n", "a\nb\nevil\nc\n", "@@ -1,3 +1,4 @@\n a\n b\n+evil\n c\n"},
		{"removed line", "a\nb\nc\n", "a\nc\n", "@@ -1,3 +1,2 @@\n a\n-b\n c\n"},
		{"changed line", "PermitRootLogin no\nPort 22\n", "PermitRootLogin yes\nPort 22\n", "@@ -1,2 +1,2 @@\n-PermitRootLogin no\n+PermitRootLogin yes\n Port 22\n"},
		{"from nothing", "", "new\n", "@@ -1,0 +1,1 @@\n+new\n"},
		{"to nothing", "old\n", "", "@@ -1,1 +1,0 @@\n-old\n"},
	}
	for _, tc := range tests {
		if got := Unified(tc.a, tc.b, 2); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestUnifiedHunks(t *testing.T) {
	var a, b []string
	for i := 0; i < 40; i++ {
		a = append(a, fmt.Sprintf("line%d", i))
		b = append(b, fmt.Sprintf("line%d", i))
	}
	b[5] = "changed5"
	b[30] = "changed30"
	got := Unified(strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n", 2)
	if strings.Count(got, "@@ -") != 2 || !strings.Contains(got, "+changed5") || !strings.Contains(got, "+changed30") {
		t.Fatalf("hunks:\n%s", got)
	}
}

func TestUnifiedBounded(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 4000; i++ {
		a.WriteString("a\n")
		b.WriteString("b\n")
	}
	got := Unified(a.String(), b.String(), 2)
	if !strings.Contains(got, "differ in more than") {
		t.Fatalf("got %.100q", got)
	}
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nx\nc\n")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		d := Unified(a, b, 3)
		if (a == b) != (d == "") {
			t.Fatalf("equal=%v but diff %q", a == b, d)
		}
		// Every removed line is from a, every added line from b.
		for _, l := range strings.Split(d, "\n") {
			if strings.HasPrefix(l, "-") && !strings.Contains("\n"+a+"\n", "\n"+l[1:]+"\n") {
				t.Fatalf("removed line %q not in a", l)
			}
			if strings.HasPrefix(l, "+") && !strings.Contains("\n"+b+"\n", "\n"+l[1:]+"\n") {
				t.Fatalf("added line %q not in b", l)
			}
		}
	})
}
