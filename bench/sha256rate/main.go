// Command sha256rate measures one core's SHA-256 throughput with Go's standard library, the
// hashing limit that bench/snapshot.sh compares nowwhat's snapshot against.
package main

import (
	"crypto/sha256"
	"fmt"
	"time"
)

func main() {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	h := sha256.New()
	// warm up
	for i := 0; i < 64; i++ {
		h.Write(buf)
	}
	const n = 2048 // 2 GiB
	start := time.Now()
	for i := 0; i < n; i++ {
		h.Write(buf)
	}
	h.Sum(nil)
	el := time.Since(start).Seconds()
	fmt.Printf("%.0f\n", float64(n<<20)/el)
}
