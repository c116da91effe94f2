package journal

import (
	"errors"
	"fmt"
	"io"
)

const (
	windowSize = 128 << 10 // bytes read at once around a small object
	windows    = 8         // windows kept: 1 MiB in all
)

var errBeyondEOF = errors.New("beyond the end of the file")

// pager reads byte ranges of the file through a few cached windows, so walking entries (which
// sit close to their data objects) costs few system calls and memory stays bounded.
// A slice it returns is valid only until its next call.
type pager struct {
	r    io.ReaderAt
	size int64
	win  [windows]window
	tick uint64
	big  []byte // for ranges larger than half a window
}

type window struct {
	off  int64
	buf  []byte
	used uint64
}

func (p *pager) get(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > p.size || int64(n) > p.size-off {
		return nil, fmt.Errorf("%d bytes at offset %#x: %w (%d bytes)", n, off, errBeyondEOF, p.size)
	}
	end := off + int64(n)
	p.tick++
	for i := range p.win {
		w := &p.win[i]
		if w.buf != nil && off >= w.off && end <= w.off+int64(len(w.buf)) {
			w.used = p.tick
			return w.buf[off-w.off : end-w.off], nil
		}
	}
	if n > windowSize/2 {
		if cap(p.big) < n || cap(p.big) > 4*n+windowSize {
			p.big = make([]byte, n)
		}
		b := p.big[:n]
		if err := p.readAt(b, off); err != nil {
			return nil, err
		}
		return b, nil
	}
	// Replace the least recently used window by one starting at the 4 KiB boundary below off.
	lru := 0
	for i := range p.win {
		if p.win[i].used < p.win[lru].used {
			lru = i
		}
	}
	w := &p.win[lru]
	start := off &^ 4095
	length := int64(windowSize)
	if start+length > p.size {
		length = p.size - start
	}
	if cap(w.buf) < windowSize {
		w.buf = make([]byte, windowSize)
	}
	w.buf = w.buf[:length]
	if err := p.readAt(w.buf, start); err != nil {
		w.buf = w.buf[:0]
		w.used = 0
		return nil, err
	}
	w.off = start
	w.used = p.tick
	return w.buf[off-start : end-start], nil
}

func (p *pager) readAt(b []byte, off int64) error {
	n, err := p.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at offset %#x: %w", len(b), off, err)
}
