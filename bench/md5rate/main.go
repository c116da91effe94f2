// Command md5rate measures one core's MD5 throughput with Go's standard library: the limit of
// package verification (dpkg records MD5 digests), which bench/packages.sh compares against.
package main

import (
	"crypto/md5"
	"fmt"
	"time"
)

func main() {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	h := md5.New()
	for i := 0; i < 32; i++ {
		h.Write(buf)
	}
	const n = 1024
	start := time.Now()
	for i := 0; i < n; i++ {
		h.Write(buf)
	}
	h.Sum(nil)
	fmt.Printf("%.0f\n", float64(n<<20)/time.Since(start).Seconds())
}
