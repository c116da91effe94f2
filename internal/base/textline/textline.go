// Package textline reads the line-oriented text formats of a host (status files, digest lists,
// /proc tables, crontabs, unit files, ...) with bounded memory, and keeps track of the lines a
// parser had to skip, so every parser reports malformed input the same way.
package textline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Each calls fn with every line of r without its line ending ("\n" or "\r\n"), numbered
// from 1. A line longer than max bytes is cut at max and flagged long; the rest of it is read
// and dropped, so memory stays bounded whatever the input. fn returns false to stop early.
func Each(r io.Reader, max int, fn func(n int, line []byte, long bool) bool) error {
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

// Skipped lists the lines of a file that were not understood (and were skipped): the first 20
// line numbers and the count.
type Skipped struct {
	Lines []int // at most 20
	Count int
}

func (e *Skipped) Error() string {
	nums := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		nums[i] = strconv.Itoa(l)
	}
	more := ""
	if e.Count > len(e.Lines) {
		more = fmt.Sprintf(" and %d more", e.Count-len(e.Lines))
	}
	return fmt.Sprintf("malformed lines skipped: %s%s", strings.Join(nums, ", "), more)
}

// Add notes a skipped line.
func (e *Skipped) Add(n int) {
	e.Count++
	if len(e.Lines) < 20 {
		e.Lines = append(e.Lines, n)
	}
}

// Err returns e as an error, or nil when no line was skipped.
func (e *Skipped) Err() error {
	if e.Count == 0 {
		return nil
	}
	return e
}
