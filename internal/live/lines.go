package live

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// eachLine calls fn with every line of r without its line ending ("\n" or "\r\n"), numbered
// from 1. A line longer than max bytes is cut at max and flagged long; the rest of it is read
// and dropped, so memory stays bounded whatever the input. fn returns false to stop early.
func eachLine(r io.Reader, max int, fn func(n int, line []byte, long bool) bool) error {
	if max <= 0 {
		max = 64 << 10
	}
	size := max
	if size > 64<<10 {
		size = 64 << 10
	}
	if size < 16 {
		size = 16
	}
	br := bufio.NewReaderSize(r, size)
	var buf []byte
	for n := 1; ; n++ {
		chunk, more, err := br.ReadLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read line %d: %w", n, err)
		}
		buf = buf[:0]
		long := false
		add := func(c []byte) {
			if room := max - len(buf); len(c) > room {
				c = c[:room]
				long = true
			}
			buf = append(buf, c...)
		}
		add(chunk)
		for more {
			chunk, more, err = br.ReadLine()
			if err != nil {
				break
			}
			add(chunk)
		}
		if !fn(n, buf, long) {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read line %d: %w", n, err)
		}
	}
}
