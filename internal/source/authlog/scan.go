package authlog

import (
	"bytes"
	"io"
)

// scanner gives the lines of a stream without copying them. A line is valid until the next
// call. Lines longer than MaxLine are cut to MaxLine (the rest is skipped); a final line without
// a newline is given too; a trailing carriage return is dropped.
type scanner struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error
	skip       bool  // inside the tail of an overlong line
	n          int   // lines given
	long       int64 // lines cut
	bytes      int64 // bytes read
	limit      int64
}

func newScanner(r io.Reader, limit int64) *scanner {
	return &scanner{r: r, buf: make([]byte, bufSize), limit: limit}
}

func (s *scanner) next() ([]byte, bool) {
	empty := 0
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			line := s.buf[s.start : s.start+i]
			s.start += i + 1
			if s.skip {
				s.skip = false
				continue
			}
			s.n++
			if len(line) > MaxLine {
				s.long++
				return line[:MaxLine], true
			}
			return trimCR(line), true
		}
		if s.skip {
			s.start, s.end = 0, 0
		} else if s.end-s.start >= MaxLine {
			line := s.buf[s.start : s.start+MaxLine]
			s.start, s.end = 0, 0 // the rest has no newline: skip it
			s.skip = true
			s.n++
			s.long++
			return line, true
		}
		if s.err != nil {
			if s.start < s.end && !s.skip && s.err != ErrLimit {
				line := s.buf[s.start:s.end]
				s.start = s.end
				s.n++
				return trimCR(line), true
			}
			return nil, false
		}
		if s.start > 0 {
			copy(s.buf, s.buf[s.start:s.end])
			s.end -= s.start
			s.start = 0
		}
		want := len(s.buf) - s.end
		if left := s.limit - s.bytes; int64(want) > left {
			want = int(left)
		}
		if want <= 0 {
			s.err = ErrLimit
			continue
		}
		n, err := s.r.Read(s.buf[s.end : s.end+want])
		s.end += n
		s.bytes += int64(n)
		if err != nil {
			s.err = err
		}
		if n == 0 && err == nil {
			if empty++; empty > 100 {
				s.err = io.ErrNoProgress
			}
		}
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
