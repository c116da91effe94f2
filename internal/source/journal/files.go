package journal

import (
	"errors"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// Dirs are where journald keeps its files: persistent, then volatile.
var Dirs = catalog.Dirs("log.journal", "log.journal.run")

// IsJournalName reports whether a file name is one journald writes: name.journal (active),
// name@….journal (archived) or name@….journal~ (set aside as corrupt or unclean).
func IsJournalName(name string) bool {
	return strings.HasSuffix(name, ".journal") || strings.HasSuffix(name, ".journal~")
}

// Files lists the journal files under Dirs (directly in them and one directory down: the
// machine-id folders, namespaces, remote/), oldest first. Directories that cannot be read are
// left out; ListFiles says which.
func Files(fsys *hostfs.FS) []string {
	out, _ := ListFiles(fsys)
	return out
}

// ListFiles is Files with the errors met: a missing directory is no error, an unreadable one is.
// Files are ordered by modification time (a file is last written when it is archived), then by
// path; symbolic links are not followed.
func ListFiles(fsys *hostfs.FS) ([]string, error) {
	type file struct {
		path  string
		mtime time.Time
	}
	var found []file
	var errs []error
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		d, err := fsys.OpenDir(dir)
		if err != nil {
			if !hostfs.IsNotExist(err) {
				errs = append(errs, err)
			}
			return
		}
		defer d.Close()
		ents, err := d.Entries()
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name)
			if e.Type == "" { // the file system does not report types
				if st, err := d.Lstat(e.Name); err == nil {
					e.Type = st.Type()
				}
			}
			switch {
			case e.Type == "dir" && depth == 0:
				walk(p, depth+1)
			case e.Type == "file" && IsJournalName(e.Name):
				st, err := d.Lstat(e.Name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if st.IsRegular() {
					found = append(found, file{p, st.Mtime})
				}
			}
		}
	}
	for _, dir := range Dirs {
		walk(dir, 0)
	}
	sort.SliceStable(found, func(i, j int) bool {
		if !found[i].mtime.Equal(found[j].mtime) {
			return found[i].mtime.Before(found[j].mtime)
		}
		return found[i].path < found[j].path
	})
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.path
	}
	return out, errors.Join(errs...)
}
