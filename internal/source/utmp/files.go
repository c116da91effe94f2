package utmp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

// Kinds of login record files.
const (
	KindWtmp    = "wtmp"    // logins, logouts, boots (append-only, in time order)
	KindBtmp    = "btmp"    // failed logins (append-only, in time order)
	KindUtmp    = "utmp"    // who is logged in now (slots reused, no order)
	KindLastlog = "lastlog" // last login per uid
	// Successors that keep records in SQLite (Debian 13 and later): listed so a caller can say
	// they were not read.
	KindWtmpDB   = "wtmpdb"
	KindLastlog2 = "lastlog2"
)

// File is one login record file on the host.
type File struct {
	Path      string // host path
	Kind      string
	Rotation  int  // 0 current, 1 for .1, ...
	Supported bool // false for the SQLite successors, which this package does not read
	Size      int64
	Mtime     time.Time
}

// Files lists the login record files of the host, each kind oldest first: /var/log/wtmp and
// its rotations, /var/log/btmp and its rotations, /run/utmp (or /var/run/utmp),
// /var/log/lastlog, and the SQLite successors /var/lib/wtmpdb/wtmp.db and
// /var/lib/lastlog/lastlog2.db.
func Files(fs *hostfs.FS) []File {
	files, _ := ListFiles(fs)
	return files
}

// ListFiles is Files that also tells why /var/log could not be listed (a host without
// /var/log gives no error).
func ListFiles(fs *hostfs.FS) ([]File, error) {
	var out []File
	var listErr error
	logs, err := logfile.Families(fs, catalog.Dir("logs"), KindWtmp, KindBtmp)
	if err != nil {
		listErr = fmt.Errorf("list login records: %w", err)
	}
	for _, f := range logs {
		out = append(out, File{Path: f.Path, Kind: f.Name(), Rotation: f.Rotation, Supported: true})
	}
	utmp := catalog.Path("log.utmp")
	if !fs.Exists(utmp) {
		utmp = catalog.Path("log.utmp.old")
	}
	for _, f := range []File{
		{Path: utmp, Kind: KindUtmp, Supported: true},
		{Path: catalog.Path("log.lastlog"), Kind: KindLastlog, Supported: true},
		{Path: catalog.Path("log.wtmpdb"), Kind: KindWtmpDB},
		{Path: catalog.Path("log.lastlog2"), Kind: KindLastlog2},
	} {
		if fs.Exists(f.Path) {
			out = append(out, f)
		}
	}
	for i := range out {
		if st, err := fs.Stat(out[i].Path); err == nil {
			out[i].Size, out[i].Mtime = st.Size, st.Mtime
		}
	}
	return out, listErr
}

// ReadFile streams the records of a wtmp, btmp or utmp file (compressed rotations too) to
// fn and returns its anomalies. The time-order check is off for utmp.
func ReadFile(fs *hostfs.FS, name string, fn func(Record) bool) ([]Anomaly, error) {
	src, err := logfile.Open(fs, name, 0)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	unordered := strings.HasSuffix(name, "utmp")
	an, err := Read(src, unordered, fn)
	if err != nil {
		return an, fmt.Errorf("read %s: %w", hostfs.Clean(name), err)
	}
	return an, nil
}

// ReadLastlog streams the non-empty entries of a lastlog file to fn, skipping the holes of the
// sparse file.
func ReadLastlog(fs *hostfs.FS, name string, fn func(LastLogin) bool) error {
	f, err := fs.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := hostfs.Fstat(f)
	if err != nil {
		return err
	}
	err = readLastlogFile(f, st.Size, fn)
	if errors.Is(err, errStop) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", hostfs.Clean(name), err)
	}
	return nil
}
