package weblog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchLines are the Elastic sample's lines when present, else realistic synthetic ones.
func benchLines(b *testing.B) []string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "shared", "testdata", "web-logs", "elastic-apache", "apache_logs")
		if data, err := os.ReadFile(p); err == nil {
			return strings.Split(strings.TrimSpace(string(data)), "\n")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return accessSeeds
}

func BenchmarkParseAccess(b *testing.B) {
	lines := benchLines(b)
	var p accessParser
	var r Request
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.parse(lines[i%len(lines)], &r)
	}
}

func BenchmarkClassify(b *testing.B) {
	lines := benchLines(b)
	reqs := make([]Request, 0, len(lines))
	for _, l := range lines {
		if r, ok := ParseAccess(l); ok {
			reqs = append(reqs, r)
		}
	}
	var c Classifier
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(&reqs[i%len(reqs)])
	}
}
