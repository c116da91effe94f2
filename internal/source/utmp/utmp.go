// Package utmp reads the binary login records of glibc systems: wtmp (every login, logout,
// boot and shutdown), btmp (failed logins), utmp (who is logged in now), all arrays of
// struct utmp, and lastlog (each account's last login, a sparse array indexed by uid). The
// layout is the one of x86_64 and arm64 glibc (384-byte utmp records, 292-byte lastlog
// records, 32-bit times).
//
// Reading streams with bounded memory. Besides the records, the reader notes signs that a
// file was edited by hand (log cleaners blank or cut records): all-zero records, records out
// of time order, a size that is not a whole number of records, unknown record types.
package utmp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// RecordSize is the size of struct utmp on x86_64 and arm64 glibc.
const RecordSize = 384

// Record types (ut_type).
const (
	Empty        = 0
	RunLevel     = 1
	BootTime     = 2
	NewTime      = 3
	OldTime      = 4
	InitProcess  = 5
	LoginProcess = 6
	UserProcess  = 7
	DeadProcess  = 8
	Accounting   = 9
)

var typeNames = [...]string{"EMPTY", "RUN_LVL", "BOOT_TIME", "NEW_TIME", "OLD_TIME", "INIT_PROCESS",
	"LOGIN_PROCESS", "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING"}

// TypeName names a ut_type as utmp.h does ("USER_PROCESS"); unknown codes give "UNKNOWN(n)".
func TypeName(code int16) string {
	if code >= 0 && int(code) < len(typeNames) {
		return typeNames[code]
	}
	return fmt.Sprintf("UNKNOWN(%d)", code)
}

// Record is one struct utmp.
type Record struct {
	Offset          int64  // byte offset of the record in the file
	Type            string // BOOT_TIME, USER_PROCESS, DEAD_PROCESS, LOGIN_PROCESS, RUN_LVL, ...
	TypeCode        int16
	PID             int32
	Line            string // tty without /dev/ ("pts/0", "tty1", "~" for boot and run-level records)
	ID              string // inittab id or the tty's suffix
	User            string // login name (for BOOT_TIME and RUN_LVL: "reboot", "shutdown", "runlevel")
	Host            string // remote host, or the kernel version for BOOT_TIME
	Addr            string // remote address from ut_addr_v6, "" when not set
	ExitTermination int16
	ExitStatus      int16
	Session         int32
	Time            time.Time // UTC
}

// Kinds of anomalies.
const (
	AnomalyZeroed    = "zeroed"     // all-zero records (Detail says how many, and whether at the end)
	AnomalyTimeOrder = "time-order" // a record older than one before it (wtmp and btmp only)
	AnomalyPartial   = "partial"    // a tail shorter than a record: the size is not a multiple of 384
	AnomalyBadType   = "bad-type"   // a ut_type no glibc writes
)

// Anomaly is a sign of a damaged or edited file.
type Anomaly struct {
	Offset int64
	Kind   string
	Detail string
}

// maxAnomalies bounds the anomalies kept for one file; more are counted in a last one.
const maxAnomalies = 1000

// Reader streams the records of a utmp-format file.
type Reader struct {
	// Unordered turns off the time-order check (utmp reuses slots, so it has no order).
	Unordered bool

	r         *bufio.Reader
	off       int64
	buf       [RecordSize]byte
	anomalies []Anomaly
	dropped   int
	zeroStart int64 // offset of the current run of zero records, -1 if none
	zeroCount int
	maxTime   time.Time
	maxOff    int64
	prevType  int16
	done      bool
	err       error
}

// NewReader reads records from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), zeroStart: -1}
}

// ErrRecord is wrapped by errors of reading records.
var ErrRecord = errors.New("utmp")

// Next gives the next record that is not all zeros. At the end it gives io.EOF; a read error
// is given wrapped.
func (r *Reader) Next() (Record, error) {
	for !r.done {
		n, err := io.ReadFull(r.r, r.buf[:])
		if err == io.EOF {
			r.finish()
			break
		}
		if err == io.ErrUnexpectedEOF {
			r.flushZeros(true)
			r.add(Anomaly{Offset: r.off, Kind: AnomalyPartial,
				Detail: fmt.Sprintf("%d bytes after the last whole record: the size is not a multiple of %d", n, RecordSize)})
			r.off += int64(n)
			r.finish()
			break
		}
		if err != nil {
			r.done = true
			r.err = fmt.Errorf("%w: read at offset %d: %w", ErrRecord, r.off, err)
			return Record{}, r.err
		}
		off := r.off
		r.off += RecordSize
		if allZero(r.buf[:]) {
			if r.zeroStart < 0 {
				r.zeroStart = off
			}
			r.zeroCount++
			continue
		}
		r.flushZeros(false)
		rec := decode(r.buf[:], off)
		r.check(rec)
		return rec, nil
	}
	if r.err != nil {
		return Record{}, r.err
	}
	return Record{}, io.EOF
}

func (r *Reader) finish() {
	if !r.done {
		r.flushZeros(true)
		r.done = true
	}
}

// Anomalies gives the signs of damage seen so far (all of them once Next gave io.EOF).
func (r *Reader) Anomalies() []Anomaly {
	if r.dropped > 0 {
		return append(r.anomalies[:len(r.anomalies):len(r.anomalies)],
			Anomaly{Offset: r.off, Kind: "more", Detail: fmt.Sprintf("%d more anomalies not listed", r.dropped)})
	}
	return r.anomalies
}

// Offset is how many bytes have been read.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) add(a Anomaly) {
	if len(r.anomalies) >= maxAnomalies {
		r.dropped++
		return
	}
	r.anomalies = append(r.anomalies, a)
}

func (r *Reader) flushZeros(atEnd bool) {
	if r.zeroStart < 0 {
		return
	}
	where := "between records"
	if atEnd {
		where = "at the end of the file"
	}
	r.add(Anomaly{Offset: r.zeroStart, Kind: AnomalyZeroed,
		Detail: fmt.Sprintf("%d all-zero record(s) (%d bytes) %s", r.zeroCount, r.zeroCount*RecordSize, where)})
	r.zeroStart, r.zeroCount = -1, 0
}

func (r *Reader) check(rec Record) {
	if rec.TypeCode < Empty || rec.TypeCode > Accounting {
		r.add(Anomaly{Offset: rec.Offset, Kind: AnomalyBadType, Detail: fmt.Sprintf("record type %d", rec.TypeCode)})
	}
	if r.Unordered || rec.Time.IsZero() {
		return
	}
	// A clock change is logged as OLD_TIME then NEW_TIME: the step back there is expected.
	clock := rec.TypeCode == NewTime || rec.TypeCode == OldTime || r.prevType == OldTime || r.prevType == NewTime
	if !r.maxTime.IsZero() && rec.Time.Before(r.maxTime) && !clock {
		r.add(Anomaly{Offset: rec.Offset, Kind: AnomalyTimeOrder,
			Detail: fmt.Sprintf("%s record at %s is %s older than the record at offset %d (%s)", rec.Type,
				rec.Time.Format(time.RFC3339), r.maxTime.Sub(rec.Time), r.maxOff, r.maxTime.Format(time.RFC3339))})
	}
	if rec.Time.After(r.maxTime) || clock {
		r.maxTime, r.maxOff = rec.Time, rec.Offset
	}
	r.prevType = rec.TypeCode
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// cstr reads a NUL-terminated (or full) character field.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Field offsets of struct utmp (x86_64 glibc).
const (
	offType    = 0
	offPID     = 4
	offLine    = 8
	offID      = 40
	offUser    = 44
	offHost    = 76
	offExit    = 332
	offSession = 336
	offSec     = 340
	offUsec    = 344
	offAddr    = 348
)

func decode(b []byte, off int64) Record {
	le := binary.LittleEndian
	code := int16(le.Uint16(b[offType:]))
	rec := Record{
		Offset:          off,
		TypeCode:        code,
		Type:            TypeName(code),
		PID:             int32(le.Uint32(b[offPID:])),
		Line:            cstr(b[offLine:offID]),
		ID:              cstr(b[offID:offUser]),
		User:            cstr(b[offUser:offHost]),
		Host:            cstr(b[offHost:offExit]),
		ExitTermination: int16(le.Uint16(b[offExit:])),
		ExitStatus:      int16(le.Uint16(b[offExit+2:])),
		Session:         int32(le.Uint32(b[offSession:])),
		Addr:            addrOf(b[offAddr : offAddr+16]),
	}
	// 32-bit seconds, read unsigned so dates after 2038 keep working.
	sec := int64(le.Uint32(b[offSec:]))
	usec := int64(le.Uint32(b[offUsec:]))
	if sec != 0 || usec != 0 {
		if usec >= 1_000_000 || usec < 0 {
			usec = 0
		}
		rec.Time = time.Unix(sec, usec*1000).UTC()
	}
	return rec
}

// addrOf reads ut_addr_v6 (network byte order): an IPv4 address fills the first word only.
func addrOf(b []byte) string {
	if allZero(b) {
		return ""
	}
	if allZero(b[4:16]) {
		return netip.AddrFrom4([4]byte(b[:4])).String()
	}
	return netip.AddrFrom16([16]byte(b[:16])).String()
}

// Read streams the records of r to fn (until fn returns false) and returns the anomalies.
func Read(r io.Reader, unordered bool, fn func(Record) bool) ([]Anomaly, error) {
	rd := NewReader(r)
	rd.Unordered = unordered
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return rd.Anomalies(), nil
		}
		if err != nil {
			return rd.Anomalies(), err
		}
		if !fn(rec) {
			return rd.Anomalies(), nil
		}
	}
}
