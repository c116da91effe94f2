package textline

import (
	"strings"
	"testing"
)

func TestEach(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     []string
		long     []bool
	}{
		{"plain", "a\nb\n", 0, []string{"a", "b"}, []bool{false, false}},
		{"no final newline", "a\nb", 0, []string{"a", "b"}, []bool{false, false}},
		{"crlf", "a\r\nb\r\n", 0, []string{"a", "b"}, []bool{false, false}},
		{"empty lines", "\n\nx\n", 0, []string{"", "", "x"}, []bool{false, false, false}},
		{"cut", strings.Repeat("x", 100) + "\nend\n", 16, []string{strings.Repeat("x", 16), "end"}, []bool{true, false}},
	}
	for _, tc := range tests {
		var got []string
		var long []bool
		err := Each(strings.NewReader(tc.in), tc.max, func(n int, line []byte, l bool) bool {
			if n != len(got)+1 {
				t.Errorf("%s: line number %d", tc.name, n)
			}
			got = append(got, string(line))
			long = append(long, l)
			return true
		})
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
		for i := range long {
			if i < len(tc.long) && long[i] != tc.long[i] {
				t.Errorf("%s: line %d long=%v", tc.name, i+1, long[i])
			}
		}
	}
}

func TestSkipped(t *testing.T) {
	var s Skipped
	if s.Err() != nil {
		t.Fatal("no skipped line gives an error")
	}
	for i := 1; i <= 25; i++ {
		s.Add(i)
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "and 5 more") || len(s.Lines) != 20 {
		t.Fatalf("%v %d", err, len(s.Lines))
	}
}

func FuzzEach(f *testing.F) {
	f.Add("a\nb\r\n\nccc", 4)
	f.Add(strings.Repeat("x", 70000)+"\n", 0)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max > 1<<16 || max < 0 {
			return
		}
		lines := 0
		Each(strings.NewReader(in), max, func(n int, line []byte, long bool) bool {
			lines++
			limit := max
			if limit <= 0 {
				limit = 64 << 10
			}
			if len(line) > limit {
				t.Fatalf("line of %d bytes over the limit %d", len(line), limit)
			}
			return true
		})
		if lines > strings.Count(in, "\n")+1 {
			t.Fatalf("%d lines from %d newlines", lines, strings.Count(in, "\n"))
		}
	})
}
