package authlog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkStream parses the LogHub OpenSSH sample (every line of interest) over and over.
func BenchmarkStream(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	lines := bytes.Count(data, []byte("\n"))
	for b.Loop() {
		rd := &Reader{}
		rd.Stream(context.Background(), bytes.NewReader(data), "f", 2015, func(Event) bool { return true })
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func benchData(b *testing.B) []byte {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "shared", "testdata", "loghub", "OpenSSH", "OpenSSH_2k.log")
		if data, err := os.ReadFile(p); err == nil {
			return bytes.Repeat(data, 50)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			b.Skip("no LogHub OpenSSH sample")
		}
		dir = parent
	}
}
