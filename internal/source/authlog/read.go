package authlog

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

const (
	// MaxLine bounds one line: the rest of a longer line is skipped (the event keeps its start).
	MaxLine = 64 << 10
	// DefaultMaxBytes bounds what is read of one file (after decompression).
	DefaultMaxBytes = 16 << 30
	bufSize         = 1 << 20
)

// ErrLimit is reported when a file is longer than Reader.MaxBytes: the rest is not read.
var ErrLimit = logfile.ErrLimit

// Stats counts what a Reader went through.
type Stats struct {
	Files    int   // files opened
	Lines    int64 // lines read
	Events   int64 // events given
	Unparsed int64 // lines without a syslog header (time stamp, host)
	Long     int64 // lines longer than MaxLine (cut)
	Bytes    int64 // bytes read, after decompression
}

// Reader reads authentication logs through a host root. The zero value reads UTC stamps with no
// file system; set FS to read Files.
type Reader struct {
	FS *hostfs.FS
	// Location is the zone the host wrote traditional stamps in (HostLocation gives it);
	// nil means UTC. RFC 3339 stamps carry their own offset.
	Location *time.Location
	// AllPrograms gives an "other" event for lines of every program, not only of programs
	// that matter for authentication.
	AllPrograms bool
	// MaxBytes bounds what is read of one file after decompression (0: DefaultMaxBytes).
	MaxBytes int64
	// Problem, if set, hears of files that could not be read (wholly or in part).
	Problem func(path string, err error)
	// Now is the end bound for files with no modification time (nil: time.Now).
	Now func() time.Time

	stats Stats
}

// Stats tells what the reader has gone through so far.
func (r *Reader) Stats() Stats { return r.stats }

func (r *Reader) loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

func (r *Reader) problem(path string, err error) {
	if r.Problem != nil && err != nil {
		r.Problem(path, err)
	}
}

func (r *Reader) maxBytes() int64 {
	if r.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return r.MaxBytes
}

// Events streams the events of files (as Files lists them, oldest first) in file order.
// Files that cannot be read are reported to Problem and skipped.
func (r *Reader) Events(ctx context.Context, files []LogFile) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		years := r.Years(ctx, files)
		for i, f := range files {
			if ctx.Err() != nil {
				return
			}
			rc, err := r.open(f)
			if err != nil {
				r.problem(f.Path, err)
				continue
			}
			r.stats.Files++
			p := newParser(f.Path, r.loc(), years[i], r.AllPrograms)
			ok, err := r.stream(ctx, rc, p, yield)
			rc.Close()
			if err != nil {
				r.problem(f.Path, err)
			}
			if !ok {
				return
			}
		}
	}
}

// Stream reads one log from src (already decompressed), whose first traditional stamp is of the
// given year, and gives its events to yield until yield returns false. name is the host path
// put in Event.File.
func (r *Reader) Stream(ctx context.Context, src io.Reader, name string, year int, yield func(Event) bool) error {
	p := newParser(name, r.loc(), year, r.AllPrograms)
	_, err := r.stream(ctx, io.NopCloser(src), p, yield)
	return err
}

func (r *Reader) stream(ctx context.Context, src io.Reader, p *parser, yield func(Event) bool) (bool, error) {
	sc := newScanner(src, r.maxBytes())
	var ev Event
	for {
		line, ok := sc.next()
		if !ok {
			break
		}
		r.stats.Lines++
		if sc.n&0xffff == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		if !p.parseLine(line, sc.n, &ev) {
			if !p.lastHeaderOK {
				r.stats.Unparsed++
			}
			continue
		}
		r.stats.Events++
		if !yield(ev) {
			r.stats.Long += sc.long
			r.stats.Bytes += sc.bytes
			return false, nil
		}
	}
	r.stats.Long += sc.long
	r.stats.Bytes += sc.bytes
	if sc.err != nil && sc.err != io.EOF {
		return true, sc.err
	}
	return true, nil
}

// open opens a log, decompressing what its first bytes say is compressed (gzip, bzip2, xz,
// zstd), capped at MaxBytes.
func (r *Reader) open(f LogFile) (io.ReadCloser, error) {
	return logfile.Open(r.FS, f.Path, r.maxBytes()+1) // the scanner reports the limit itself
}

// Years works out the year of the first traditional stamp of each file (0 where a file has
// none or cannot be read). It reads every file's stamps once (a cheap pass that parses nothing
// else), newest first, so each file's end bound is the earlier of its modification time and
// the first line of the next newer file of its family.
func (r *Reader) Years(ctx context.Context, files []LogFile) []int {
	years := make([]int, len(files))
	loc := r.loc()
	var next time.Time
	family := ""
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if f.Family != family {
			family, next = f.Family, time.Time{}
		}
		if ctx.Err() != nil {
			return years
		}
		bound := f.Mtime
		if bound.IsZero() {
			bound = r.now()
		}
		if !next.IsZero() && next.Before(bound) {
			bound = next
		}
		sp, err := r.prepass(ctx, f)
		if err != nil {
			continue // reported when the file is read
		}
		if !sp.rfcBound.IsZero() && sp.rfcBound.Before(bound) {
			bound = sp.rfcBound
		}
		if sp.hasTrad {
			years[i] = firstYear(sp.wraps, sp.endPos, bound.In(loc))
		}
		if first := sp.first(years[i], loc); !first.IsZero() {
			next = first
		}
	}
	return years
}

func (r *Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// span is what the pass over stamps learns of a file.
type span struct {
	hasTrad    bool
	wraps      int   // relative year of the cursor at the end
	endPos     int64 // position of the cursor at the end
	firstTrad  bool  // the first stamped line is traditional
	firstStamp stamp
	firstAbs   time.Time // the first stamped line's time when it is RFC 3339
	rfcBound   time.Time // the first RFC 3339 line after traditional ones
}

// first is the time of the file's first stamped line.
func (s span) first(year int, loc *time.Location) time.Time {
	if s.firstTrad {
		st := s.firstStamp
		return time.Date(clampYear(year), time.Month(st.Mon), st.Day, st.Hour, st.Min, st.Sec, 0, loc)
	}
	return s.firstAbs
}

// prepass reads the stamps of a file up to its first RFC 3339 stamp (later traditional lines
// are placed from that stamp on when the file is read).
func (r *Reader) prepass(ctx context.Context, f LogFile) (span, error) {
	var sp span
	rc, err := r.open(f)
	if err != nil {
		return sp, err
	}
	defer rc.Close()
	sc := newScanner(rc, r.maxBytes())
	var c yearCursor
	var st stamp
	seen := false
	for {
		line, ok := sc.next()
		if !ok {
			break
		}
		if sc.n&0xffff == 0 && ctx.Err() != nil {
			return sp, ctx.Err()
		}
		if len(line) > 0 && isDigit(line[0]) {
			if t, _, ok := parseRFC3339(line); ok {
				if sp.hasTrad {
					sp.rfcBound = t
				} else if !seen {
					sp.firstAbs = t
				}
				break
			}
			continue
		}
		if _, ok := parseTrad(line, &st); !ok {
			continue
		}
		if !seen {
			seen = true
			sp.firstTrad = true
			sp.firstStamp = st
		}
		sp.hasTrad = true
		c.Observe(st.Pos())
	}
	sp.wraps, sp.endPos = c.Year, c.Pos
	if sc.err != nil && sc.err != io.EOF && !errors.Is(sc.err, ErrLimit) {
		return sp, sc.err
	}
	return sp, nil
}
