package utmp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
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
	ents, err := fs.ReadDir(catalog.Dir("logs"))
	if err != nil && !hostfs.IsNotExist(err) {
		listErr = fmt.Errorf("list login records: %w", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	for _, kind := range []string{KindWtmp, KindBtmp} {
		var fam []File
		for _, n := range names {
			rest, ok := strings.CutPrefix(n, kind)
			if !ok {
				continue
			}
			rest = strings.TrimSuffix(rest, ".gz")
			rot := 0
			switch {
			case rest == "":
			case rest[0] == '.' && isNum(rest[1:]):
				rot = atoi(rest[1:])
			case rest[0] == '-' && isNum(strings.ReplaceAll(rest[1:], "-", "")):
				rot = -1 // dated: placed by name below
			default:
				continue
			}
			fam = append(fam, File{Path: path.Join(catalog.Dir("logs"), n), Kind: kind, Rotation: rot, Supported: true})
		}
		sort.SliceStable(fam, func(i, j int) bool {
			a, b := fam[i], fam[j]
			if (a.Rotation == 0) != (b.Rotation == 0) {
				return b.Rotation == 0
			}
			if a.Rotation == -1 && b.Rotation == -1 {
				return a.Path < b.Path
			}
			if (a.Rotation == -1) != (b.Rotation == -1) {
				return a.Rotation == -1
			}
			return a.Rotation > b.Rotation
		})
		current := 0
		if n := len(fam); n > 0 && fam[n-1].Rotation == 0 {
			current = 1
		}
		for i := range fam {
			if fam[i].Rotation == -1 {
				fam[i].Rotation = len(fam) - i - current
			}
		}
		out = append(out, fam...)
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

func isNum(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// ReadFile streams the records of a wtmp, btmp or utmp file (gzip-compressed rotations too) to
// fn and returns its anomalies. The time-order check is off for utmp.
func ReadFile(fs *hostfs.FS, name string, fn func(Record) bool) ([]Anomaly, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", hostfs.Clean(name), err)
		}
		src = zr
	}
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
