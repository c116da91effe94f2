// Package filescan records the files of a host that matter: type, mode, owner, size, times,
// inode, link target, file capabilities and the SHA-256 of every regular file, walking in
// parallel and hashing on every core, reading each file once.
//
// The walk goes down by single names with O_NOFOLLOW from directories it has opened itself, so
// it never follows a link; FIFOs, sockets and devices are recorded and never opened; a file
// that changes while it is read is marked; unreadable entries are recorded with the reason and
// the walk goes on. Memory stays flat: records stream to the snapshot as they are made.
package filescan

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Previous is what a former snapshot recorded about a file, for --reuse.
type Previous struct {
	Size                int64
	Mtime, Ctime, Inode int64
	SHA256, MD5, Caps   string
}

// Options tune a scan.
type Options struct {
	Rules       []Rule
	Exclude     []string // host paths left out entirely (the snapshot being written, the case folder)
	MaxHashSize int64    // regular files larger than this are recorded but not hashed (0: no limit)
	NoHash      bool     // record metadata only
	// MD5Only hashes only the files MD5 selects, with MD5 alone (package verification, the
	// way debsums does it); other files are recorded without a hash.
	MD5Only bool
	// Expected, when set with MD5Only, gives the digest a package recorded for a path; files
	// that match it are counted but not recorded (only what differs is worth a record).
	Expected func(path string) string
	Workers  int // hashing goroutines (0: one per core)
	// Reuse, when set, gives the former record of a path; a file whose size, mtime, ctime and
	// inode are unchanged keeps its former hash without being read.
	Reuse func(path string) (Previous, bool)
	// MD5, when set, says whether a file also needs its MD5 (the digest dpkg records), computed
	// in the same read as its SHA-256.
	MD5 func(path string) bool
	// Inspect, when set, says whether a file's content (up to MaxInspect bytes) is handed to
	// Inspector, in the same read as its hash.
	Inspect   func(path string, size int64) bool
	Inspector func(path string, data []byte)
	// Content, when set, says whether to keep the text of a (small) file for diffs.
	Content func(path string, size int64) bool
	Stats   *Stats
}

// Stats are live counters of a scan, for progress display.
type Stats struct {
	Files      atomic.Int64 // entries recorded
	Hashed     atomic.Int64 // files hashed
	Bytes      atomic.Int64 // bytes hashed
	Seen       atomic.Int64 // bytes of regular files found so far
	Reused     atomic.Int64 // hashes taken from --reuse
	Problems   atomic.Int64
	WalkDone   atomic.Bool
	HashFailed atomic.Int64
}

// MaxPath bounds the paths the walk goes down (PATH_MAX: programs that open files by path
// cannot reach deeper ones either); folders below are reported as not covered.
const MaxPath = 4096

// ErrTooDeep marks the problem recorded where the walk stopped going down.
var ErrTooDeep = errors.New("folder too deep to walk")

// MaxContent is the largest file whose text is kept for diffs.
const MaxContent = 64 << 10

// MaxInspect is the largest file whose content is inspected for attack patterns.
const MaxInspect = 2 << 20

type hashJob struct {
	f   *os.File
	rec snapshot.File
	st  hostfs.Stat
}

type scanner struct {
	fs      *hostfs.FS
	sink    snapshot.Sink
	opt     Options
	stats   *Stats
	exclude map[string]bool
	globs   []string
	big     chan<- hashJob // package verification: big files, hashed in SIMD lanes
	jobs    chan hashJob
	queue   []queued
	qmu     sync.Mutex
	qcond   *sync.Cond
	busy    int
	ctx     context.Context
}

type queued struct {
	dir   *hostfs.Dir
	dev   uint64 // device of dir: a subdirectory on another is a mount point
	rule  *Rule
	depth int // depth below the rule's top (top = 0)
	limit int // maximum depth, -1 none
}

// maxQueued bounds how many opened directories wait in the queue (each holds a descriptor);
// beyond it a worker walks the subdirectory itself, depth first.
const maxQueued = 256

// Scan walks the rules' trees and puts a snapshot.File for every entry into sink.
func Scan(ctx context.Context, fsys *hostfs.FS, sink snapshot.Sink, opt Options) error {
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.Stats == nil {
		opt.Stats = &Stats{}
	}
	s := &scanner{fs: fsys, sink: sink, opt: opt, stats: opt.Stats, exclude: map[string]bool{},
		jobs: make(chan hashJob, 64), ctx: ctx}
	s.qcond = sync.NewCond(&s.qmu)
	for _, e := range opt.Exclude {
		if strings.ContainsAny(e, "*?[") {
			s.globs = append(s.globs, hostfs.Clean(e))
			continue
		}
		s.exclude[hostfs.Clean(e)] = true
	}
	var hashers sync.WaitGroup
	for i := 0; i < opt.Workers; i++ {
		hashers.Add(1)
		go func() {
			defer hashers.Done()
			debug.SetPanicOnFault(true) // a mapped file truncated under us is an error, not a crash
			buf := make([]byte, 256<<10)
			for j := range s.jobs {
				s.hash(j, buf)
			}
		}()
	}
	rules := Normalize(append([]Rule(nil), opt.Rules...))
	for i := range rules {
		s.top(&rules[i])
	}
	walkers := opt.Workers
	if walkers < 2 {
		walkers = 2
	}
	var wg sync.WaitGroup
	for i := 0; i < walkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work()
		}()
	}
	wg.Wait()
	s.stats.WalkDone.Store(true)
	close(s.jobs)
	hashers.Wait()
	return ctx.Err()
}

// excluded reports whether a host path is left out (exactly, or by a glob pattern).
func (s *scanner) excluded(p string) bool {
	if s.exclude[p] {
		return true
	}
	for _, g := range s.globs {
		if ok, _ := path.Match(g, p); ok {
			return true
		}
	}
	return false
}

// top records the top of a rule and queues it.
func (s *scanner) top(r *Rule) {
	if s.excluded(r.Path) {
		return
	}
	st, err := s.fs.Lstat(r.Path)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			s.problem(r.Path, err)
		}
		return
	}
	rec := record(r.Path, st)
	if st.IsSymlink() {
		rec.Link, _ = s.fs.Readlink(r.Path)
		s.put(rec)
		return
	}
	if !st.IsDir() {
		if st.IsRegular() && r.Hash && !s.opt.NoHash {
			f, err := s.fs.Open(r.Path)
			if err != nil {
				rec.Note = "unreadable: " + errText(err)
				s.put(rec)
				return
			}
			s.stats.Seen.Add(st.Size)
			s.jobs <- hashJob{f: f, rec: rec, st: st}
			return
		}
		s.put(rec)
		return
	}
	s.put(rec)
	d, err := s.fs.OpenDir(r.Path)
	if err != nil {
		s.problem(r.Path, err)
		return
	}
	limit := -1
	if r.Home {
		limit = homeDepth
	}
	if fs := d.PseudoFS(); fs != "" {
		d.Close()
		return
	}
	s.push(queued{dir: d, dev: st.Dev, rule: r, depth: 0, limit: limit})
}

func (s *scanner) push(q queued) {
	s.qmu.Lock()
	s.queue = append(s.queue, q)
	s.qmu.Unlock()
	s.qcond.Signal()
}

// work takes directories from the queue until all are done.
func (s *scanner) work() {
	for {
		s.qmu.Lock()
		for len(s.queue) == 0 && s.busy > 0 {
			s.qcond.Wait()
		}
		if len(s.queue) == 0 {
			s.qmu.Unlock()
			s.qcond.Broadcast()
			return
		}
		q := s.queue[len(s.queue)-1]
		s.queue = s.queue[:len(s.queue)-1]
		s.busy++
		s.qmu.Unlock()

		s.walk(q)

		s.qmu.Lock()
		s.busy--
		if s.busy == 0 && len(s.queue) == 0 {
			s.qcond.Broadcast()
		}
		s.qmu.Unlock()
	}
}

func (s *scanner) walk(q queued) {
	defer q.dir.Close()
	if s.ctx.Err() != nil {
		return
	}
	ents, err := q.dir.Entries()
	if err != nil {
		s.problem(q.dir.Path, err)
	}
	for _, e := range ents {
		p := q.dir.Path + "/" + e.Name
		if q.dir.Path == "/" {
			p = "/" + e.Name
		}
		if s.excluded(p) {
			continue
		}
		st, err := q.dir.Lstat(e.Name)
		if err != nil {
			if hostfs.IsNotExist(err) {
				continue // gone since the listing
			}
			s.put(snapshot.File{Path: p, Type: e.Type, Note: "unreadable: " + errText(err)})
			s.problem(p, err)
			continue
		}
		rec := record(p, st)
		switch {
		case st.IsSymlink():
			if l, err := q.dir.Readlink(e.Name); err == nil {
				rec.Link = l
			} else {
				rec.Note = "unreadable link: " + errText(err)
			}
			s.put(rec)
		case st.IsRegular():
			s.file(q, e.Name, rec, st)
		case st.IsDir():
			s.put(rec)
			depth := q.depth + 1
			if !s.descend(q, e.Name, depth) {
				continue
			}
			if len(p) > MaxPath {
				// Said, never silent: a tree this deep is made to hide something, and walking
				// it whole would cost memory that grows with the square of its depth.
				s.problem(p, fmt.Errorf("%w: the path is over %d bytes (%d folders deep); what lies below was not recorded", ErrTooDeep, MaxPath, strings.Count(p, "/")))
				continue
			}
			sub, err := q.dir.Sub(e.Name)
			if err != nil {
				if !hostfs.IsNotExist(err) {
					s.problem(p, err)
				}
				continue
			}
			if st.Dev != q.dev {
				// A mount point: never walk into proc, sysfs and their kind (a chroot's /proc
				// mounted inside the tree would make the walk endless).
				if fs := sub.PseudoFS(); fs != "" {
					sub.Close()
					continue
				}
			}
			limit := q.limit
			if q.rule.Home || q.rule.Homes {
				rel := relTo(p, q)
				if n, ok := shallow[rel]; ok && (limit < 0 || depth+n-1 < limit) {
					limit = depth + n - 1
				}
			}
			next := queued{dir: sub, dev: st.Dev, rule: q.rule, depth: depth, limit: limit}
			s.qmu.Lock()
			full := len(s.queue) >= maxQueued
			if !full {
				s.queue = append(s.queue, next)
			}
			s.qmu.Unlock()
			if full {
				s.walk(next)
			} else {
				s.qcond.Signal()
			}
		default:
			// FIFOs, sockets, devices: recorded, never opened.
			s.put(rec)
		}
	}
}

// relTo gives the path of p inside its home ("~/.cache" -> ".cache").
func relTo(p string, q queued) string {
	top := q.rule.Path
	if q.rule.Homes {
		// home is the first component below the top
		rest := strings.TrimPrefix(p, top+"/")
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i+1:]
		}
		return ""
	}
	return strings.TrimPrefix(p, top+"/")
}

// descend decides whether to walk into a subdirectory found at the given depth.
func (s *scanner) descend(q queued, name string, depth int) bool {
	r := q.rule
	switch {
	case r.Homes:
		// depth 1: a home folder itself; depth 2: entries at the top of a home.
		if depth == 1 {
			return true
		}
		if depth == 2 && !strings.HasPrefix(name, ".") {
			return false
		}
		return q.limit < 0 || depth <= q.limit+1
	case r.Home:
		if depth == 1 && !strings.HasPrefix(name, ".") {
			return false
		}
	}
	return q.limit < 0 || depth <= q.limit
}

func (s *scanner) file(q queued, name string, rec snapshot.File, st hostfs.Stat) {
	if !q.rule.Hash || s.opt.NoHash || s.opt.MD5Only && (s.opt.MD5 == nil || !s.opt.MD5(rec.Path)) {
		s.put(rec)
		return
	}
	if s.opt.Reuse != nil {
		if prev, ok := s.opt.Reuse(rec.Path); ok && prev.SHA256 != "" && prev.Size == st.Size &&
			(prev.MD5 != "" || s.opt.MD5 == nil || !s.opt.MD5(rec.Path)) &&
			prev.Mtime == rec.Mtime && prev.Ctime == rec.Ctime && prev.Inode == int64(st.Inode) {
			rec.SHA256, rec.MD5, rec.Caps = prev.SHA256, prev.MD5, prev.Caps
			rec.Note = "hash reused"
			s.stats.Reused.Add(1)
			s.put(rec)
			return
		}
	}
	if s.opt.MaxHashSize > 0 && st.Size > s.opt.MaxHashSize {
		rec.Note = fmt.Sprintf("not hashed: %d bytes is over the --max-hash-size limit", st.Size)
		s.put(rec)
		return
	}
	f, err := q.dir.OpenFile(name)
	if err != nil {
		if hostfs.IsNotExist(err) {
			return
		}
		rec.Note = "unreadable: " + errText(err)
		s.put(rec)
		s.problem(rec.Path, err)
		return
	}
	s.stats.Seen.Add(st.Size)
	s.jobs <- hashJob{f: f, rec: rec, st: st}
}

func (s *scanner) hash(j hashJob, buf []byte) { s.hashWith(j, buf, nil) }

// hashWith hashes a file; md5h, when set, is the MD5 to use (a SIMD lane).
func (s *scanner) hashWith(j hashJob, buf []byte, md5h hash.Hash) {
	defer j.f.Close()
	rec := j.rec
	// File capabilities only act on executables; skip the lookup for others (and in package
	// verification, which does not judge them).
	if j.st.Perm()&0o111 != 0 && !s.opt.MD5Only {
		if caps, err := hostfs.Getxattr(j.f, "security.capability"); err == nil && len(caps) > 0 {
			rec.Caps = DecodeCaps(caps)
		}
	}
	var h hash.Hash = sha256.New()
	if s.opt.MD5Only {
		h = nil
	}
	keep := s.opt.Content != nil && j.st.Size <= MaxContent && s.opt.Content(rec.Path, j.st.Size)
	inspect := s.opt.Inspector != nil && j.st.Size <= MaxInspect && s.opt.Inspect != nil && s.opt.Inspect(rec.Path, j.st.Size)
	var kept bytes.Buffer
	var m hash.Hash
	var ws []io.Writer
	if h != nil {
		ws = append(ws, h)
	}
	if s.opt.MD5 != nil && s.opt.MD5(rec.Path) {
		m = md5h
		if m == nil {
			m = md5.New()
		}
		ws = append(ws, m)
	}
	if keep || inspect {
		ws = append(ws, &kept)
	}
	var w io.Writer = io.Discard
	switch len(ws) {
	case 0:
	case 1:
		w = ws[0]
	default:
		w = io.MultiWriter(ws...)
	}
	// The format is read from the first bytes; package verification only needs it for the
	// files that differ (below).
	if !s.opt.MD5Only {
		rec.Format = sniff(j.f)
	}
	var n int64
	var err error
	if j.st.Size >= mmapMin && !keep && !inspect {
		n, err = hashMapped(j.f, j.st.Size, w)
	} else {
		// Read no more than the size seen at stat time: a file that keeps growing (a copy in
		// progress, a busy log) must not keep the hasher, or the kept content, growing with it.
		n, err = io.CopyBuffer(w, io.LimitReader(onlyReader{j.f}, j.st.Size), buf)
	}
	s.stats.Bytes.Add(n)
	if err != nil {
		rec.Note = "read failed: " + errText(err)
		s.stats.HashFailed.Add(1)
		s.problem(rec.Path, err)
		s.put(rec)
		return
	}
	if h != nil {
		rec.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	if m != nil {
		rec.MD5 = hex.EncodeToString(m.Sum(nil))
		if s.opt.Expected != nil && s.opt.Expected(rec.Path) == rec.MD5 {
			s.stats.Hashed.Add(1)
			s.stats.Files.Add(1)
			return
		}
		if s.opt.MD5Only {
			rec.Format = sniff(j.f)
		}
	}
	s.stats.Hashed.Add(1)
	if after, err := hostfs.Fstat(j.f); err == nil {
		if after.Size != j.st.Size || !after.Mtime.Equal(j.st.Mtime) || !after.Ctime.Equal(j.st.Ctime) || n != after.Size {
			rec.Note = "changed while hashed"
			rec.Size, rec.Mtime, rec.Ctime = after.Size, unixNano(after.Mtime), unixNano(after.Ctime)
		}
	}
	s.put(rec)
	if keep && kept.Len() == int(n) && !bytes.ContainsRune(kept.Bytes(), 0) {
		s.sink.Put(snapshot.Content{Path: rec.Path, Text: Redact(kept.String())})
	}
	if inspect {
		s.opt.Inspector(rec.Path, kept.Bytes())
	}
}

// sniff reads a file's first bytes and names its format.
func sniff(f *os.File) string {
	var head [4]byte
	if k, _ := f.ReadAt(head[:], 0); k >= 2 {
		return formatOf(head[:k])
	}
	return ""
}

// formatOf names a file's format from its first bytes: "elf" for executables and libraries,
// "script" for #! interpreter scripts.
func formatOf(head []byte) string {
	switch {
	case len(head) >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F':
		return "elf"
	case head[0] == '#' && head[1] == '!':
		return "script"
	}
	return ""
}

// mmapMin is the size from which a file is hashed through a read-only mapping of the page
// cache instead of read(2) copies: for big files this saves a copy of every byte.
const mmapMin = 256 << 10

// errTruncated means the file shrank while it was mapped and read.
var errTruncated = errors.New("file shrank while it was read")

// mapWindow is how much of a file is mapped at a time, so memory stays small for huge files.
const mapWindow = 8 << 20

// hashMapped feeds the first size bytes of f to w through read-only mappings of the page
// cache, one window at a time. A file truncated meanwhile raises SIGBUS on access; with
// SetPanicOnFault (set by the hashing goroutines) that is a recoverable panic, reported as
// errTruncated.
func hashMapped(f *os.File, size int64, w io.Writer) (n int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errTruncated
		}
	}()
	fd := int(f.Fd())
	for off := int64(0); off < size; off += mapWindow {
		length := min(size-off, mapWindow)
		data, err := unix.Mmap(fd, off, int(length), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			if _, serr := f.Seek(off, io.SeekStart); serr != nil {
				return n, err
			}
			m, cerr := io.Copy(w, io.LimitReader(onlyReader{f}, size-off))
			return n + m, cerr
		}
		func() {
			defer unix.Munmap(data)
			w.Write(data)
		}()
		n += length
	}
	return n, nil
}

// onlyReader hides os.File's WriterTo/ReaderFrom so CopyBuffer uses our buffer.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func (s *scanner) put(rec snapshot.File) {
	s.stats.Files.Add(1)
	s.sink.Put(rec)
}

func (s *scanner) problem(path string, err error) {
	s.stats.Problems.Add(1)
	s.sink.Problem("files", path, err)
}

func record(path string, st hostfs.Stat) snapshot.File {
	return snapshot.File{
		Path: path, Type: st.Type(), Mode: st.Perm(), UID: st.UID, GID: st.GID, Size: st.Size,
		Mtime: unixNano(st.Mtime), Ctime: unixNano(st.Ctime), Btime: unixNano(st.Btime),
		Inode: st.Inode, Dev: st.Dev, Nlink: st.Nlink,
	}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// errText is the cause of an error without the path (the record already has it).
func errText(err error) string {
	var pe *os.PathError
	if ok := asPathErr(err, &pe); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func asPathErr(err error, pe **os.PathError) bool {
	for err != nil {
		if p, ok := err.(*os.PathError); ok {
			*pe = p
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
