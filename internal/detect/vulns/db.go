package vulns

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Limits on the data read: a record larger than this is skipped (and counted), and so is a
// zip with more members than maxMembers.
const (
	maxRecord  = 8 << 20
	maxMembers = 2_000_000
)

// Key names a package in an ecosystem, as records do: "Debian:12" and the source package name.
type Key struct {
	Ecosystem string
	Name      string
}

// DB holds the records that name the wanted packages.
type DB struct {
	Dir     string
	Files   []string // the data files read
	Records int      // records read in all
	Kept    int      // records kept (naming a wanted package)
	Skipped []string // records or files that could not be used, and why
	Newest  string   // the newest "modified" time seen: how fresh the data is
	// Ecosystems are the ecosystems the data holds (per their records), for coverage.
	Ecosystems map[string]bool
	byKey      map[Key][]*Record
}

// Load reads the OSV data under dir: per-ecosystem folders or files as osv.dev publishes them
// (Debian/all.zip, npm/all.zip, ...), other .zip files, and loose .json records. Only the
// records with an affected package for which want returns true are kept.
func Load(dir string, want func(Key) bool) (*DB, error) {
	db := &DB{Dir: dir, byKey: map[Key][]*Record{}, Ecosystems: map[string]bool{}}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("OSV data folder: %w (get it with: nowwhat loophole update --osv %s, on a machine with internet)", err, dir)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("OSV data folder %s is not a folder", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			db.Skipped = append(db.Skipped, err.Error())
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			if strings.Count(strings.TrimPrefix(p, dir), string(filepath.Separator)) > 3 {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, ".zip") {
			err = db.readZip(f, want)
		} else {
			err = db.readJSONFile(f, want)
		}
		if err != nil {
			db.Skipped = append(db.Skipped, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		db.Files = append(db.Files, f)
	}
	if len(db.Files) == 0 {
		return db, fmt.Errorf("no OSV data in %s (expected ECOSYSTEM/all.zip files; get them with: nowwhat loophole update --osv %s)", dir, dir)
	}
	return db, nil
}

func (db *DB) readZip(path string, want func(Key) bool) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	if len(zr.File) > maxMembers {
		return fmt.Errorf("%d members: more than %d, not read", len(zr.File), maxMembers)
	}
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		if zf.UncompressedSize64 > maxRecord {
			db.Skipped = append(db.Skipped, fmt.Sprintf("%s:%s: larger than %d bytes", path, zf.Name, maxRecord))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			db.Skipped = append(db.Skipped, fmt.Sprintf("%s:%s: %v", path, zf.Name, err))
			continue
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxRecord+1))
		rc.Close()
		if err == nil && len(data) > maxRecord {
			err = errors.New("record too large")
		}
		if err != nil {
			db.Skipped = append(db.Skipped, fmt.Sprintf("%s:%s: %v", path, zf.Name, err))
			continue
		}
		db.add(path+":"+zf.Name, data, want)
	}
	return nil
}

func (db *DB) readJSONFile(path string, want func(Key) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return err
	}
	if len(data) > maxRecord {
		return errors.New("record too large")
	}
	db.add(path, data, want)
	return nil
}

// add decodes one record and keeps it if it names a wanted package. Only the affected
// entries that name a wanted package are kept.
func (db *DB) add(where string, data []byte, want func(Key) bool) {
	// A cheap first pass: most records name packages that are not installed.
	var peek struct {
		Affected []struct {
			Package Package `json:"package"`
		} `json:"affected"`
		Modified  string `json:"modified"`
		Withdrawn string `json:"withdrawn"`
	}
	if err := json.Unmarshal(data, &peek); err != nil {
		db.Skipped = append(db.Skipped, fmt.Sprintf("%s: %v", where, err))
		return
	}
	db.Records++
	if peek.Modified > db.Newest {
		db.Newest = peek.Modified
	}
	keep := false
	for _, a := range peek.Affected {
		db.Ecosystems[a.Package.Ecosystem] = true
		if want == nil || want(Key{a.Package.Ecosystem, a.Package.Name}) {
			keep = true
		}
	}
	if !keep || peek.Withdrawn != "" {
		return
	}
	r := &Record{}
	if err := json.Unmarshal(data, r); err != nil {
		db.Skipped = append(db.Skipped, fmt.Sprintf("%s: %v", where, err))
		return
	}
	aff := r.Affected[:0]
	for _, a := range r.Affected {
		if want == nil || want(Key{a.Package.Ecosystem, a.Package.Name}) {
			aff = append(aff, a)
		}
	}
	r.Affected = aff
	r.Details = clip(r.Details, 600)
	db.Kept++
	seen := map[Key]bool{}
	for _, a := range r.Affected {
		k := Key{a.Package.Ecosystem, a.Package.Name}
		if !seen[k] {
			seen[k] = true
			db.byKey[k] = append(db.byKey[k], r)
		}
	}
}

// For returns the records naming a package.
func (db *DB) For(k Key) []*Record { return db.byKey[k] }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
