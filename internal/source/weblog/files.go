package weblog

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// LogFile is one web server log on the host, current or rotated.
type LogFile struct {
	Path        string    // host path ("/var/log/nginx/access.log.2.gz")
	Kind        string    // KindAccess, KindError or KindFPM
	Server      string    // ServerNginx, ServerApache or ServerFPM
	Family      string    // host path of the current file; its rotations share it
	Rotation    int       // 0 for the current file; 1, 2, ... older and older
	Compression string    // "", "gzip", "bzip2", "xz" or "zstd"
	Size        int64     // of what Path leads to
	Mtime       time.Time // UTC, of what Path leads to
}

// String names the file for messages.
func (f LogFile) String() string {
	if f.Compression != "" {
		return fmt.Sprintf("%s (%s)", f.Path, f.Compression)
	}
	return f.Path
}

// logDirs are the folders where distributions put web server logs.
var logDirs = [...]struct{ dir, server string }{
	{catalog.Dir("log.nginx"), ServerNginx},
	{catalog.Dir("log.apache2"), ServerApache},
	{catalog.Dir("log.httpd"), ServerApache},
	{catalog.Dir("log.php-fpm"), ServerFPM},
}

// Files lists the web server logs of the host, each log's rotations oldest first:
// /var/log/nginx, /var/log/apache2 and /var/log/httpd (names holding "access" or "error"),
// /var/log/php-fpm and /var/log/php*-fpm.log. Compressed rotations (.gz, .bz2, .xz, .zst) are
// listed; files that turn out unreadable are reported when read.
func Files(fs *hostfs.FS) []LogFile {
	var out []LogFile
	for _, d := range logDirs {
		out = append(out, FilesIn(fs, d.dir, d.server)...)
	}
	var fpm []LogFile
	for _, f := range list(fs, catalog.Dir("logs"), ServerFPM) {
		base := path.Base(f.Family)
		if strings.HasPrefix(base, "php") && strings.HasSuffix(base, "-fpm.log") {
			f.Kind = KindFPM
			fpm = append(fpm, f)
		}
	}
	return append(out, order(fpm)...)
}

// FilesIn lists the logs in one folder (a custom log folder, an evidence copy) written by
// server, rotations oldest first. A file's kind comes from its name: "access" or "error"
// (PHP-FPM's folder: every log but the slow log is of kind fpm). Other files are left out.
func FilesIn(fs *hostfs.FS, dir, server string) []LogFile {
	var out []LogFile
	for _, f := range list(fs, dir, server) {
		base := strings.ToLower(path.Base(f.Family))
		switch {
		case strings.Contains(base, "request_log") || strings.Contains(base, "modsec") ||
			strings.Contains(base, "suexec") || strings.Contains(base, "rewrite") || strings.Contains(base, "slow"):
			continue
		case server == ServerFPM:
			f.Kind = KindFPM
		case strings.Contains(base, "access"):
			f.Kind = KindAccess
		case strings.Contains(base, "error"):
			f.Kind = KindError
		default:
			continue
		}
		out = append(out, f)
	}
	return order(out)
}

var compressions = [...]struct{ ext, name string }{
	{".gz", "gzip"}, {".bz2", "bzip2"}, {".xz", "xz"}, {".zst", "zstd"},
}

// list reads a folder's regular files (and links) with their rotation parts.
func list(fs *hostfs.FS, dir, server string) []LogFile {
	ents, err := fs.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []LogFile
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		st, err := fs.Stat(p)
		if err == nil && st.IsDir() {
			continue
		}
		base, rot, dated, comp := rotation(e.Name)
		f := LogFile{Path: p, Server: server, Family: path.Join(dir, base), Rotation: rot, Compression: comp}
		if dated != "" {
			f.Rotation = -1 // numbered by order
		}
		if err == nil {
			f.Size, f.Mtime = st.Size, st.Mtime
		}
		out = append(out, f)
	}
	return out
}

// rotation splits a log file name into the current file's name and its rotation:
// "access.log.3.gz" is rotation 3 of "access.log", "access_log-20240107" a dated rotation of
// "access_log".
func rotation(name string) (base string, n int, dated, comp string) {
	base = name
	for _, c := range compressions {
		if b, ok := strings.CutSuffix(base, c.ext); ok {
			base, comp = b, c.name
			break
		}
	}
	if dot := strings.LastIndexByte(base, '.'); dot > 0 {
		if n := num0(base[dot+1:]); n > 0 && n < 100000 {
			return base[:dot], n, "", comp
		}
	}
	if dash := strings.LastIndexByte(base, '-'); dash > 0 {
		d := base[dash+1:]
		if len(d) >= 8 && len(d) <= 10 && num(d) >= 0 {
			return base[:dash], 0, d, comp
		}
	}
	return base, 0, "", comp
}

func num0(s string) int {
	if len(s) == 0 || len(s) > 6 {
		return -1
	}
	return num(s)
}

// order sorts logs by family, then oldest first: dated rotations by date, numbered ones from the
// highest number down, the current file last; dated rotations get numbers like numbered ones.
func order(fs []LogFile) []LogFile {
	rank := func(f LogFile) int {
		switch {
		case f.Rotation < 0:
			return 0 // dated
		case f.Rotation > 0:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(fs, func(a, b LogFile) int {
		if c := cmp.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		ra, rb := rank(a), rank(b)
		if ra != rb {
			if ra == 0 || rb == 0 {
				// Dated and numbered rotations mixed: by modification time.
				if c := a.Mtime.Compare(b.Mtime); c != 0 && ra != 2 && rb != 2 {
					return c
				}
			}
			return cmp.Compare(ra, rb)
		}
		switch ra {
		case 0:
			return cmp.Compare(a.Path, b.Path)
		case 1:
			return cmp.Compare(b.Rotation, a.Rotation)
		}
		return cmp.Compare(a.Compression, b.Compression)
	})
	// Number dated rotations by age within their family.
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].Family == fs[i].Family {
			j++
		}
		newest := j // one past the newest rotation
		if rank(fs[j-1]) == 2 {
			newest = j - 1
		}
		for k := i; k < newest; k++ {
			if fs[k].Rotation < 0 {
				fs[k].Rotation = newest - k
			}
		}
		i = j
	}
	return fs
}
