package weblog

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

const (
	// MaxLine bounds one line: the rest of a longer line is dropped (and the line most likely
	// not understood, which is counted).
	MaxLine = 64 << 10
	// DefaultMaxBytes bounds what is read of one file (after decompression).
	DefaultMaxBytes = 16 << 30
)

// ErrLimit is reported when a file is longer than Reader.MaxBytes: the rest is not read.
var ErrLimit = logfile.ErrLimit

// Stats counts what a Reader went through.
type Stats struct {
	Files    int   // files opened
	Lines    int64 // lines read (empty ones included)
	Parsed   int64 // lines understood
	Unparsed int64 // non-empty lines not understood (reported to Problem per file)
	Long     int64 // lines longer than MaxLine (cut)
	Bytes    int64 // bytes read, after decompression
}

// Reader reads web server logs through a host root. Set FS to read files.
type Reader struct {
	FS *hostfs.FS
	// Location is the zone error logs were written in (authlog.HostLocation gives the host's);
	// nil means UTC. Access logs carry their own offset.
	Location *time.Location
	// MaxBytes bounds what is read of one file after decompression (0: DefaultMaxBytes).
	MaxBytes int64
	// Problem, if set, hears of files that could not be read (wholly or in part) and of
	// lines that were not understood (a *textline.Skipped error).
	Problem func(path string, err error)

	stats Stats
}

// Stats tells what the reader has gone through so far.
func (r *Reader) Stats() Stats { return r.stats }

func (r *Reader) problem(path string, err error) {
	if r.Problem != nil && err != nil {
		r.Problem(path, err)
	}
}

// Requests streams the requests of the access logs among files (as Files lists them: each
// log's rotations oldest first; other kinds are skipped), in time order across logs: the
// rotations of one log are read in turn, and several logs (virtual hosts, nginx and Apache) are
// merged by time. Within one file lines keep their order (servers log a request when it ends,
// so times there can step back by a request's duration).
func (r *Reader) Requests(ctx context.Context, files []LogFile) iter.Seq[Request] {
	var seqs []iter.Seq[Request]
	for _, g := range families(files) {
		if g[0].Kind != KindAccess {
			continue
		}
		seqs = append(seqs, func(yield func(Request) bool) {
			var p accessParser
			for _, f := range g {
				if !r.readFile(ctx, f, func(n int, line string) (bool, bool) {
					var req Request
					if !p.parse(line, &req) {
						return false, true
					}
					req.File, req.Line = f.Path, n
					return true, yield(req)
				}) {
					return
				}
			}
		})
	}
	return merge(seqs, func(q Request) time.Time { return q.Time })
}

// Errors streams the lines of the error logs among files (nginx, Apache, PHP-FPM and PHP), in
// time order across logs as Requests does. Continuation lines (the rest of a multi-line
// message) are counted as not understood.
func (r *Reader) Errors(ctx context.Context, files []LogFile) iter.Seq[ErrorEvent] {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	var seqs []iter.Seq[ErrorEvent]
	for _, g := range families(files) {
		if g[0].Kind != KindError && g[0].Kind != KindFPM {
			continue
		}
		seqs = append(seqs, func(yield func(ErrorEvent) bool) {
			for _, f := range g {
				if !r.readFile(ctx, f, func(n int, line string) (bool, bool) {
					ev, ok := ParseError(line, loc)
					if !ok {
						return false, true
					}
					ev.File, ev.Line = f.Path, n
					return true, yield(ev)
				}) {
					return
				}
			}
		})
	}
	return merge(seqs, func(e ErrorEvent) time.Time { return e.Time })
}

// StreamAccess reads one access log from src (already decompressed) and gives its requests to
// yield until it returns false. name is the host path put in Request.File. Lines not understood
// are counted and reported to Problem.
func (r *Reader) StreamAccess(ctx context.Context, src io.Reader, name string, yield func(Request) bool) error {
	var p accessParser
	_, err := r.readFrom(ctx, src, name, func(n int, line string) (bool, bool) {
		var req Request
		if !p.parse(line, &req) {
			return false, true
		}
		req.File, req.Line = name, n
		return true, yield(req)
	})
	return err
}

// readFile opens f and gives fn its lines (see readFrom). Problems are reported. It returns
// false when fn asked to stop or ctx ended.
func (r *Reader) readFile(ctx context.Context, f LogFile, fn func(n int, line string) (parsed, more bool)) bool {
	if ctx.Err() != nil {
		return false
	}
	rc, err := r.open(f)
	if err != nil {
		r.problem(f.Path, err)
		return ctx.Err() == nil
	}
	defer rc.Close()
	r.stats.Files++
	more, err := r.readFrom(ctx, rc, f.Path, fn)
	r.problem(f.Path, err)
	return more
}

// readFrom calls fn with every non-empty line of src (bounded by MaxLine and MaxBytes); fn says
// whether it understood the line and whether to go on. Lines not understood are reported to
// Problem as one *textline.Skipped. more is false when fn asked to stop or ctx ended.
func (r *Reader) readFrom(ctx context.Context, src io.Reader, name string, fn func(n int, line string) (parsed, more bool)) (more bool, err error) {
	limit := r.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	cr := &countReader{r: src, left: limit}
	stopped := false
	var skipped textline.Skipped
	err = textline.Each(cr, MaxLine, func(n int, line []byte, long bool) bool {
		r.stats.Lines++
		if long {
			r.stats.Long++
		}
		if n&0x3fff == 0 && ctx.Err() != nil {
			stopped = true
			return false
		}
		if len(line) == 0 {
			return true
		}
		parsed, more := fn(n, string(line))
		if parsed {
			r.stats.Parsed++
		} else {
			r.stats.Unparsed++
			skipped.Add(n)
		}
		if !more {
			stopped = true
		}
		return more
	})
	r.stats.Bytes += cr.n
	if err == nil && cr.hit {
		err = ErrLimit
	}
	if err != nil {
		err = fmt.Errorf("read %s: %w", name, err)
	}
	if serr := skipped.Err(); serr != nil {
		r.problem(name, fmt.Errorf("%s: %w", name, serr))
	}
	return !stopped && ctx.Err() == nil, err
}

// countReader counts bytes and stops at a limit.
type countReader struct {
	r    io.Reader
	n    int64
	left int64
	hit  bool
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			c.hit = true // more than the limit
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.left -= int64(n)
	return n, err
}

// open opens a log, decompressing what its first bytes say is compressed (gzip, bzip2, xz,
// zstd); readFrom applies MaxBytes.
func (r *Reader) open(f LogFile) (io.ReadCloser, error) {
	rc, err := logfile.Open(r.FS, f.Path, 0)
	if err != nil {
		return nil, fmt.Errorf("open web log: %w", err)
	}
	return rc, nil
}

// families groups files by Family, keeping their order.
func families(files []LogFile) [][]LogFile {
	var out [][]LogFile
	at := map[string]int{}
	for _, f := range files {
		fam := f.Family
		if fam == "" {
			fam = f.Path
		}
		i, ok := at[fam]
		if !ok {
			i = len(out)
			at[fam] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], f)
	}
	return out
}

// merge gives the items of several sequences, each roughly in time order, in time order: the
// earliest head first.
func merge[T any](seqs []iter.Seq[T], at func(T) time.Time) iter.Seq[T] {
	if len(seqs) == 1 {
		return seqs[0]
	}
	return func(yield func(T) bool) {
		h := &heads[T]{at: at}
		var stops []func()
		defer func() {
			for _, s := range stops {
				s()
			}
		}()
		for _, s := range seqs {
			next, stop := iter.Pull(s)
			stops = append(stops, stop)
			if v, ok := next(); ok {
				h.items = append(h.items, head[T]{v: v, next: next})
			}
		}
		heap.Init(h)
		for h.Len() > 0 {
			top := &h.items[0]
			if !yield(top.v) {
				return
			}
			if v, ok := top.next(); ok {
				top.v = v
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
		}
	}
}

type head[T any] struct {
	v    T
	next func() (T, bool)
}

type heads[T any] struct {
	items []head[T]
	at    func(T) time.Time
}

func (h *heads[T]) Len() int           { return len(h.items) }
func (h *heads[T]) Less(i, j int) bool { return h.at(h.items[i].v).Before(h.at(h.items[j].v)) }
func (h *heads[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *heads[T]) Push(x any)         { h.items = append(h.items, x.(head[T])) }
func (h *heads[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
