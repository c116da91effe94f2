// Package sqlitefile opens an SQLite database read-only through an open file descriptor, never
// by path: SQLite resolves symbolic links in paths, which must not happen for files read from a
// suspect host, and a database checked (or copied into private memory) must be the one read.
// Snapshots are read this way, and so are the SQLite databases hosts keep (dnf's history).
package sqlitefile

import (
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
	"modernc.org/sqlite/vfs"
)

// Open returns a read-only database reading f, and what to close after the database.
func Open(f *os.File) (*sql.DB, io.Closer, error) {
	vname, vf, err := vfs.New(oneFile{f: f})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	// temp_store=memory: sorting never needs a temporary file (the private VFS has none).
	db, err := sql.Open("sqlite", "file:db?mode=ro&immutable=1&vfs="+vname+"&_pragma=temp_store(2)")
	if err != nil {
		vf.Close()
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, vf, nil
}

// oneFile is an fs.FS serving one open file, whatever name SQLite asks for.
type oneFile struct{ f *os.File }

func (o oneFile) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, "-journal") || strings.HasSuffix(name, "-wal") {
		return nil, fs.ErrNotExist
	}
	return &fdReader{f: o.f}, nil
}

// fdReader reads the shared file at its own offset.
type fdReader struct {
	f   *os.File
	off int64
}

func (r *fdReader) Read(p []byte) (int, error) {
	n, err := r.f.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *fdReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		r.off = off
	case io.SeekCurrent:
		r.off += off
	default:
		st, err := r.f.Stat()
		if err != nil {
			return 0, err
		}
		r.off = st.Size() + off
	}
	return r.off, nil
}

func (r *fdReader) Stat() (fs.FileInfo, error) { return r.f.Stat() }
func (r *fdReader) Close() error               { return nil }
