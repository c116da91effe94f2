package filescan

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"sync"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sys/cpu"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// HashList records and hashes the files at the host paths it receives, in parallel, without walking
// any folder: package verification, where the package database already lists every file.
// Links inside the root are followed (a package's /bin/ls is the host's /usr/bin/ls on a
// merged-/usr system); FIFOs, sockets and devices are recorded, never opened; missing files are
// recorded with a note.
func HashList(ctx context.Context, fsys *hostfs.FS, sink snapshot.Sink, paths <-chan string, opt Options) error {
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.Stats == nil {
		opt.Stats = &Stats{}
	}
	s := &scanner{fs: fsys, sink: sink, opt: opt, stats: opt.Stats, exclude: map[string]bool{}, jobs: make(chan hashJob, 64), ctx: ctx}
	// MD5 alone is the whole cost of package verification, and most of the bytes are in a few
	// hundred big files: those are hashed side by side in the SIMD lanes of the cores
	// (minio/md5-simd), which pays off only with many long streams in flight.
	var big chan hashJob
	var bigWorkers sync.WaitGroup
	if opt.MD5Only && cpu.X86.HasAVX2 {
		srv := md5simd.NewServer()
		defer srv.Close()
		big = make(chan hashJob, 64)
		for i := 0; i < 16; i++ {
			bigWorkers.Add(1)
			go func() {
				defer bigWorkers.Done()
				debug.SetPanicOnFault(true)
				buf := make([]byte, 256<<10)
				for j := range big {
					h := srv.NewHash()
					s.hashWith(j, buf, h)
					h.Close()
				}
			}()
		}
		s.big = big
	}
	var hashers sync.WaitGroup
	for i := 0; i < opt.Workers; i++ {
		hashers.Add(1)
		go func() {
			defer hashers.Done()
			debug.SetPanicOnFault(true)
			buf := make([]byte, 256<<10)
			for j := range s.jobs {
				s.hash(j, buf)
			}
		}()
	}
	// Openers: stat and open in parallel too (path resolution is a good part of the cost).
	next := make(chan string, 256)
	var openers sync.WaitGroup
	for i := 0; i < 2; i++ {
		openers.Add(1)
		go func() {
			defer openers.Done()
			for p := range next {
				s.listed(p)
			}
		}()
	}
	for p := range paths {
		if ctx.Err() != nil {
			continue // drain
		}
		next <- p
	}
	close(next)
	openers.Wait()
	s.stats.WalkDone.Store(true)
	close(s.jobs)
	if big != nil {
		close(big)
	}
	hashers.Wait()
	bigWorkers.Wait()
	return ctx.Err()
}

// bigFile is the size from which package verification hashes a file in the SIMD lanes.
const bigFile = 1 << 20

func (s *scanner) listed(p string) {
	if !s.opt.NoHash {
		// One resolution: open and describe together (most listed files are regular).
		f, st, err := s.fs.OpenStat(p)
		if err == nil {
			if s.opt.MD5Only && (s.opt.MD5 == nil || !s.opt.MD5(p)) {
				f.Close()
				s.put(record(p, st))
				return
			}
			s.stats.Seen.Add(st.Size)
			if s.big != nil && st.Size >= bigFile {
				s.big <- hashJob{f: f, rec: record(p, st), st: st}
				return
			}
			s.jobs <- hashJob{f: f, rec: record(p, st), st: st}
			return
		}
		if !errors.Is(err, hostfs.ErrNotRegular) {
			if hostfs.IsNotExist(err) {
				s.put(snapshot.File{Path: p, Note: "missing"})
				return
			}
			s.put(snapshot.File{Path: p, Note: "unreadable: " + errText(err)})
			s.problem(p, err)
			return
		}
	}
	st, err := s.fs.Stat(p)
	if err != nil {
		if hostfs.IsNotExist(err) {
			s.put(snapshot.File{Path: p, Note: "missing"})
			return
		}
		s.put(snapshot.File{Path: p, Note: "unreadable: " + errText(err)})
		s.problem(p, err)
		return
	}
	rec := record(p, st)
	if !st.IsRegular() || s.opt.NoHash || s.opt.MD5Only && (s.opt.MD5 == nil || !s.opt.MD5(p)) {
		s.put(rec)
		return
	}
	f, err := s.fs.Open(p)
	if err != nil {
		rec.Note = "unreadable: " + errText(err)
		s.put(rec)
		s.problem(p, err)
		return
	}
	s.stats.Seen.Add(st.Size)
	s.jobs <- hashJob{f: f, rec: rec, st: st}
}
