package weblog

import (
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

// LogFile is one web server log on the host, current or rotated (its place, rotation and
// compression as package logfile finds them), with the server that writes it and its kind.
type LogFile struct {
	logfile.File
	Kind   string // KindAccess, KindError or KindFPM
	Server string // ServerNginx, ServerApache or ServerFPM
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

// list reads a folder's logs (regular files and links, with their rotations).
func list(fs *hostfs.FS, dir, server string) []LogFile {
	files, _ := logfile.List(fs, dir, nil)
	out := make([]LogFile, len(files))
	for i, f := range files {
		out[i] = LogFile{File: f, Server: server}
	}
	return out
}

// order sorts logs by family, oldest first (logfile.Order).
func order(fs []LogFile) []LogFile {
	files := make([]logfile.File, len(fs))
	at := map[string]LogFile{}
	for i, f := range fs {
		files[i] = f.File
		at[f.Path] = f
	}
	files = logfile.Order(files)
	out := make([]LogFile, len(files))
	for i, f := range files {
		w := at[f.Path]
		w.File = f
		out[i] = w
	}
	return out
}
