package authlog

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// LogFile is one authentication log on the host, current or rotated.
type LogFile struct {
	Path        string    // host path ("/var/log/auth.log.2.gz")
	Family      string    // "auth.log" or "secure"
	Rotation    int       // 0 for the current file; 1, 2, ... older and older
	Compression string    // "", "gzip", "bzip2", or one that cannot be read here: "xz", "zstd"
	Type        string    // what is at Path (hostfs type names): "file", "symlink", ...
	Target      string    // link target when Type is "symlink"
	Size        int64     // of what Path leads to
	Mtime       time.Time // UTC, of what Path leads to
}

// LogDir is where Files looks.
var LogDir = catalog.Dir("logs")

var families = [...]string{"auth.log", "secure"}

var compressions = [...]struct{ ext, name string }{
	{".gz", "gzip"}, {".bz2", "bzip2"}, {".xz", "xz"}, {".zst", "zstd"}, {".lz4", "lz4"},
}

// rotation reads a name of a family: "auth.log", "auth.log.3", "auth.log.3.gz",
// "secure-20240107", "secure-20240107.gz". ok is false for other names ("auth.log.bak").
// Dated names give their date part, which sorts them.
func rotation(name, family string) (num int, dated string, comp string, ok bool) {
	rest, ok := strings.CutPrefix(name, family)
	if !ok {
		return 0, "", "", false
	}
	for _, c := range compressions {
		if r, ok := strings.CutSuffix(rest, c.ext); ok {
			rest, comp = r, c.name
			break
		}
	}
	switch {
	case rest == "":
		return 0, "", comp, comp == ""
	case rest[0] == '.':
		n := atoi(rest[1:])
		if n <= 0 {
			return 0, "", "", false
		}
		return n, "", comp, true
	case rest[0] == '-':
		d := rest[1:]
		if len(d) < 8 {
			return 0, "", "", false
		}
		for i := 0; i < len(d); i++ {
			if !isDigit(d[i]) && d[i] != '-' && d[i] != '_' {
				return 0, "", "", false
			}
		}
		return 0, d, comp, true
	}
	return 0, "", "", false
}

// Files lists the authentication logs under /var/log, oldest first: for each family
// (auth.log, then secure) the dated rotations by date, then the numbered ones from the highest
// number down, then the current file. Entries that cannot be read are listed all the same (a
// log replaced by a link to /dev/null is a finding): reading them reports why.
func Files(fs *hostfs.FS) []LogFile {
	files, _ := ListFiles(fs)
	return files
}

// ListFiles is Files that also tells why /var/log could not be listed (a host without
// /var/log gives no files and no error).
func ListFiles(fs *hostfs.FS) ([]LogFile, error) {
	return listFamilies(fs, families[:])
}

// FamilyFiles lists other syslog files the same way (for example "kern.log", "syslog",
// "messages"), oldest first.
func FamilyFiles(fs *hostfs.FS, fams ...string) []LogFile {
	files, _ := listFamilies(fs, fams)
	return files
}

func listFamilies(fs *hostfs.FS, families []string) ([]LogFile, error) {
	ents, err := fs.ReadDir(LogDir)
	if err != nil {
		if hostfs.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list authentication logs: %w", err)
	}
	var out []LogFile
	for _, fam := range families {
		type cand struct {
			f     LogFile
			dated string
		}
		var cs []cand
		for _, e := range ents {
			num, dated, comp, ok := rotation(e.Name, fam)
			if !ok {
				continue
			}
			p := path.Join(LogDir, e.Name)
			f := LogFile{Path: p, Family: fam, Rotation: num, Compression: comp}
			if lst, err := fs.Lstat(p); err == nil {
				f.Type = lst.Type()
				if lst.IsSymlink() {
					f.Target, _ = fs.Readlink(p)
				}
				if lst.IsDir() {
					continue
				}
			}
			if st, err := fs.Stat(p); err == nil {
				f.Size, f.Mtime = st.Size, st.Mtime
			}
			cs = append(cs, cand{f, dated})
		}
		sort.SliceStable(cs, func(i, j int) bool {
			a, b := cs[i], cs[j]
			ca, cb := a.f.Rotation == 0 && a.dated == "", b.f.Rotation == 0 && b.dated == ""
			if ca != cb {
				return cb // the current file last
			}
			if (a.dated != "") != (b.dated != "") {
				// Mixed schemes: by modification time.
				return a.f.Mtime.Before(b.f.Mtime)
			}
			if a.dated != "" {
				return a.dated < b.dated
			}
			return a.f.Rotation > b.f.Rotation
		})
		// Number dated rotations by age, like numbered ones.
		hasCurrent := 0
		if n := len(cs); n > 0 && cs[n-1].dated == "" && cs[n-1].f.Rotation == 0 {
			hasCurrent = 1
		}
		for i := range cs {
			if cs[i].dated != "" {
				cs[i].f.Rotation = len(cs) - i - hasCurrent
			}
			out = append(out, cs[i].f)
		}
	}
	return out, nil
}

// String names the file for messages.
func (f LogFile) String() string {
	if f.Compression != "" {
		return fmt.Sprintf("%s (%s)", f.Path, f.Compression)
	}
	return f.Path
}
