package utmp

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// LastlogSize is the size of struct lastlog (32-bit time, line[32], host[256]).
const LastlogSize = 292

// LastLogin is one account's entry in lastlog.
type LastLogin struct {
	UID  uint32 // the record's index
	Time time.Time
	Line string
	Host string
}

// MaxLastlogData bounds the bytes of lastlog data read (holes are skipped, not counted).
const MaxLastlogData = 1 << 30

func decodeLastlog(b []byte, uid uint32) (LastLogin, bool) {
	if allZero(b) {
		return LastLogin{}, false
	}
	ll := LastLogin{UID: uid, Line: cstr(b[4:36]), Host: cstr(b[36:LastlogSize])}
	if sec := int64(binary.LittleEndian.Uint32(b)); sec != 0 {
		ll.Time = time.Unix(sec, 0).UTC()
	}
	return ll, true
}

// ParseLastlog streams the non-empty entries of a lastlog read from r to fn (until fn returns
// false). It reads every byte: for a sparse file on disk use ReadLastlog, which skips holes.
func ParseLastlog(r io.Reader, fn func(LastLogin) bool) error {
	var buf [LastlogSize]byte
	for uid := uint64(0); uid <= 1<<32-1; uid++ {
		n, err := io.ReadFull(r, buf[:])
		if err == io.EOF {
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			clear(buf[n:])
			if ll, ok := decodeLastlog(buf[:], uint32(uid)); ok {
				fn(ll)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("lastlog: read entry %d: %w", uid, err)
		}
		if ll, ok := decodeLastlog(buf[:], uint32(uid)); ok && !fn(ll) {
			return nil
		}
	}
	return nil
}

// readLastlogFile reads a lastlog file region by region, skipping holes with SEEK_DATA and
// SEEK_HOLE (lastlog of a system with a uid like 4294967294 is a 1.2 TB sparse file). Where
// the file system cannot tell holes, it reads sequentially.
func readLastlogFile(f *os.File, size int64, fn func(LastLogin) bool) error {
	fd := int(f.Fd())
	var buf [LastlogSize]byte
	var read int64
	off := int64(0)
	for off < size {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			return nil // only a hole is left
		}
		if err != nil {
			// No hole support: read what is left in order.
			return readLastlogRange(f, off, size, &read, fn, buf[:])
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil || hole > size {
			hole = size
		}
		start := data - data%LastlogSize
		if start < off {
			start = off
		}
		end := hole
		if r := end % LastlogSize; r != 0 && end < size {
			end += LastlogSize - r
		}
		if err := readLastlogRange(f, start, end, &read, fn, buf[:]); err != nil {
			return err
		}
		if end <= off {
			end = off + LastlogSize
		}
		off = end
	}
	return nil
}

var errStop = fmt.Errorf("stop")

func readLastlogRange(f *os.File, start, end int64, read *int64, fn func(LastLogin) bool, buf []byte) error {
	for off := start; off < end; off += LastlogSize {
		if *read >= MaxLastlogData {
			return fmt.Errorf("lastlog: more than %d bytes of entries, the rest was not read", MaxLastlogData)
		}
		n, err := f.ReadAt(buf, off)
		*read += int64(n)
		if n == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("lastlog: read at %d: %w", off, err)
		}
		clear(buf[n:])
		uid := off / LastlogSize
		if uid > 1<<32-1 {
			return nil
		}
		if ll, ok := decodeLastlog(buf, uint32(uid)); ok && !fn(ll) {
			return errStop
		}
		if err == io.EOF {
			return nil
		}
	}
	return nil
}
