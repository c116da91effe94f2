// Package probe defines the seam between the host and the snapshot: a Collector reads one
// kind of host state (accounts, SSH keys, jobs, services, ...) through a confined file system
// and puts typed records into a snapshot sink. Collectors never run the host's programs and never
// modify the host; what they cannot read they report as a problem and go on.
package probe

import (
	"context"
	"log/slog"
	"sync"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Collector reads one kind of host state.
type Collector interface {
	// Name is a short stable name ("accounts", "ssh", ...), used in problems and progress.
	Name() string
	// Collect reads the state under env.FS and puts records into env.Sink. An error means the
	// collector could not run at all; partial failures go to env.Sink.Problem.
	Collect(ctx context.Context, env *Env) error
}

// Account is what other collectors need to know of an account: where its home is and
// whether it can log in. The accounts collector fills Env.Accounts before the others run.
type Account struct {
	Name  string
	UID   int64
	GID   int64
	Home  string
	Shell string
}

// Env is what every collector gets.
type Env struct {
	FS   *hostfs.FS
	Sink snapshot.Sink
	// Live is true when /proc under the root describes running processes (the live host, or a
	// fixture that holds a proc folder).
	Live bool
	// Accounts from /etc/passwd, filled before collectors other than accounts run.
	Accounts []Account
	// FingerprintKey keys the fingerprints of password hashes and other secrets, so a change
	// shows without the secret being stored.
	FingerprintKey []byte
	Log            *slog.Logger
}

// Problem records something that could not be read.
func (e *Env) Problem(c Collector, path string, err error) {
	if err == nil {
		return
	}
	e.Sink.Problem(c.Name(), path, err)
}

// Homes lists the distinct home directories of accounts, skipping "/" and empty ones.
func (e *Env) Homes() []Account {
	seen := map[string]bool{}
	var out []Account
	for _, a := range e.Accounts {
		h := hostfs.Clean(a.Home)
		if a.Home == "" || h == "/" || seen[h] {
			continue
		}
		seen[h] = true
		a.Home = h
		out = append(out, a)
	}
	return out
}

// Recorder is a snapshot.Sink that keeps records in memory, for tests of collectors.
type Recorder struct {
	mu       sync.Mutex
	Records  []any
	Problems []snapshot.Problem
}

// Put keeps a record. Safe for concurrent use.
func (r *Recorder) Put(rec any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := rec.(snapshot.Problem); ok {
		r.Problems = append(r.Problems, p)
		return
	}
	r.Records = append(r.Records, rec)
}

// Problem keeps a problem.
func (r *Recorder) Problem(collector, path string, err error) {
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.Problems = append(r.Problems, snapshot.Problem{Collector: collector, Path: path, Error: err.Error()})
	}
}

// Of returns the kept records of type T.
func Of[T any](r *Recorder) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []T
	for _, rec := range r.Records {
		switch v := rec.(type) {
		case T:
			out = append(out, v)
		case *T:
			out = append(out, *v)
		}
	}
	return out
}
