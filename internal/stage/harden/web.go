package harden

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

// uploadDirs are the folders under a document root where applications put uploaded files
// (WordPress, most PHP apps, Drupal).
var uploadDirs = []string{"wp-content/uploads", "uploads", "upload", "sites/default/files"}

// phpExt matches what PHP-FPM setups run: .php, .php5, .phtml, .phar, .pht, .phps, also with
// a path after it (/x.php/y, which "location ~ [^/]\.php(/|$)" passes to PHP).
const phpExt = `\.(php[0-9]?|phtml|phar|pht|phps)(/|$)`

// apacheConf is the Apache change: PHP off, .php files refused, in every uploads folder.
const apacheConf = "<DirectoryMatch \"/(wp-content/)?uploads?/\">\n  <FilesMatch \"\\.(php[0-9]?|phtml|phar|pht|phps)$\">\n    Require all denied\n  </FilesMatch>\n  php_admin_flag engine off\n</DirectoryMatch>\n"

func apacheConfPath() string {
	return path.Join(catalog.Dir("apache2"), "conf-enabled/nowwhat-uploads-noexec.conf")
}

func apacheMain() string { return path.Join(catalog.Dir("apache2"), "apache2.conf") }

// uploadFolders are the upload folders that exist under a document root, and the folders
// loophole named under it.
func uploadFolders(fsys *hostfs.FS, root string, named []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		f = hostfs.Clean(f)
		if !seen[f] && hostfs.HasPrefix(f, root) {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, f := range named {
		add(f)
	}
	for _, d := range uploadDirs {
		if st, err := fsys.Stat(path.Join(root, d)); err == nil && st.IsDir() {
			add(path.Join(root, d))
		}
	}
	return out
}

// resolve follows a file's own symbolic links inside the root (nginx's sites-enabled/default
// is a link to sites-available/default): harden edits the file the link names.
func resolve(fsys *hostfs.FS, p string) string {
	for i := 0; i < 8; i++ {
		st, err := fsys.Lstat(p)
		if err != nil || !st.IsSymlink() {
			return p
		}
		t, err := fsys.Readlink(p)
		if err != nil {
			return p
		}
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		p = hostfs.Clean(t)
	}
	return p
}

// nginxInsert is one location block put at the start of a server block.
type nginxInsert struct {
	at   int
	text string
}

// uploadsEdit puts, at the start of every nginx server block whose root holds an upload folder
// that runs PHP, a location that refuses PHP files there (a regular expression location put
// before the others, so it is the first nginx tries), and adds Apache's drop-in when Apache
// runs PHP.
func uploadsEdit(fsys *hostfs.FS, c Change) ([]FileChange, []string, error) {
	var files []FileChange
	var notes []string
	conf, problems := loophole.LoadNginx(fsys)
	notes = append(notes, problems...)
	inserts := map[string][]nginxInsert{} // file -> inserts
	checked := 0
	loophole.Each(conf, "server", func(srv *loophole.Block) {
		root := loophole.NginxRoot(srv)
		if root == "" || srv.Open == 0 {
			return
		}
		var lines []string
		for _, f := range uploadFolders(fsys, root, c.Folders) {
			checked++
			res := loophole.NginxServerPHP(srv, f)
			if res == nil || !res.Executes {
				continue
			}
			uri := strings.TrimPrefix(f, root)
			if !strings.HasPrefix(uri, "/") {
				uri = "/" + uri
			}
			lines = append(lines, fmt.Sprintf("\tlocation ~* ^%s/.*%s { deny all; }", regexp.QuoteMeta(strings.TrimSuffix(uri, "/")), phpExt))
		}
		if len(lines) > 0 {
			text := "\n\t# nowwhat harden (php-uploads-noexec): no PHP in upload folders; undo: nowwhat harden undo --apply\n" + strings.Join(lines, "\n") + "\n"
			inserts[srv.File] = append(inserts[srv.File], nginxInsert{srv.Open, text})
		}
	})
	var names []string
	for f := range inserts {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := fsys.ReadFile(name, 4<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		ins := inserts[name]
		sort.Slice(ins, func(i, j int) bool { return ins[i].at > ins[j].at })
		s := string(data)
		for _, in := range ins {
			if in.at > len(s) {
				return nil, nil, fmt.Errorf("%s changed while it was read", name)
			}
			s = s[:in.at] + in.text + s[in.at:]
		}
		files = append(files, FileChange{Path: resolve(fsys, name), Content: s})
	}
	if len(conf) > 0 && len(inserts) == 0 {
		notes = append(notes, fmt.Sprintf("nginx: none of the %d upload folders under its servers' roots runs PHP", checked))
	}
	if fsys.Exists(apacheMain()) {
		want := fmt.Sprintf(header, "php-uploads-noexec") + apacheConf
		if data, err := fsys.ReadFile(apacheConfPath(), 1<<20); err != nil || string(data) != want {
			files = append(files, FileChange{Path: apacheConfPath(), Content: want})
		}
	}
	return files, notes, nil
}

// apacheRoots are Apache's DocumentRoots in its enabled sites.
func apacheRoots(fsys *hostfs.FS) []string {
	var out []string
	for _, f := range sshd.Glob(fsys, path.Join(catalog.Dir("apache2"), "sites-enabled/*")) {
		data, err := fsys.ReadFile(f, 4<<20)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			fs := strings.Fields(l)
			if len(fs) >= 2 && strings.EqualFold(fs[0], "DocumentRoot") {
				out = append(out, hostfs.Clean(strings.Trim(fs[1], `"`)))
			}
		}
	}
	return out
}

// uploadsVerify lists the upload folders where nginx or Apache still runs PHP, per loophole's
// reading of their configuration.
func uploadsVerify(fsys *hostfs.FS, named []string) []string {
	var problems []string
	conf, _ := loophole.LoadNginx(fsys)
	loophole.Each(conf, "server", func(srv *loophole.Block) {
		root := loophole.NginxRoot(srv)
		if root == "" {
			return
		}
		for _, f := range uploadFolders(fsys, root, named) {
			if res := loophole.NginxServerPHP(srv, f); res != nil && res.Executes {
				problems = append(problems, "nginx runs PHP in "+f+": "+strings.Join(res.Evidence, "; "))
			}
		}
	})
	if fsys.Exists(apacheMain()) {
		if !fsys.Exists(apacheConfPath()) {
			problems = append(problems, apacheConfPath()+" is missing")
		}
		for _, root := range apacheRoots(fsys) {
			for _, f := range uploadFolders(fsys, root, named) {
				if res := loophole.ApachePHP(fsys, f); res != nil && res.Executes {
					problems = append(problems, "Apache runs PHP in "+f+": "+strings.Join(res.Evidence, "; "))
				}
			}
		}
	}
	return problems
}

// disabledFunctions are what a web shell runs commands with.
var disabledFunctions = []string{"exec", "passthru", "shell_exec", "system", "proc_open", "popen", "pcntl_exec"}

// poolFiles are PHP-FPM's pool files (Debian: /etc/php/VERSION/fpm/pool.d/*.conf).
func poolFiles(fsys *hostfs.FS) []string { return sshd.Glob(fsys, "/etc/php/*/fpm/pool.d/*.conf") }

// poolLine is one line of a pool file, with the pool (section) it is in.
type poolLine struct {
	text, pool string
	key, value string
}

var (
	sectionRe = regexp.MustCompile(`^\s*\[([^\]]+)\]\s*$`)
	settingRe = regexp.MustCompile(`^\s*([A-Za-z0-9_.\[\]-]+)\s*=\s*(.*?)\s*$`)
)

func poolLines(data string) []poolLine {
	var out []poolLine
	pool := ""
	for _, l := range strings.Split(data, "\n") {
		pl := poolLine{text: l}
		if m := sectionRe.FindStringSubmatch(l); m != nil {
			pool = m[1]
		} else if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, ";") && !strings.HasPrefix(t, "#") {
			if m := settingRe.FindStringSubmatch(l); m != nil {
				pl.key, pl.value = strings.ToLower(m[1]), strings.Trim(m[2], `"'`)
			}
		}
		pl.pool = pool
		out = append(out, pl)
	}
	return out
}

func isDisableFunctions(key string) bool {
	return key == "php_admin_value[disable_functions]" || key == "php_value[disable_functions]"
}

// missingFunctions are the functions of the list a disable_functions value leaves on.
func missingFunctions(value string) []string {
	have := map[string]bool{}
	for _, f := range strings.Split(value, ",") {
		have[strings.ToLower(strings.TrimSpace(f))] = true
	}
	var out []string
	for _, f := range disabledFunctions {
		if !have[f] {
			out = append(out, f)
		}
	}
	return out
}

// poolsEdit sets php_admin_value[disable_functions] in every PHP-FPM pool (the web's PHP; the
// command line's php.ini, which cron jobs and admin scripts use, stays as it is): a pool that
// has a list gets the missing functions added to it, a pool without one gets the line at its
// end. php_admin_value cannot be undone by the application's ini_set.
func poolsEdit(fsys *hostfs.FS, c Change) ([]FileChange, []string, error) {
	var files []FileChange
	var notes []string
	pools := poolFiles(fsys)
	if len(pools) == 0 {
		return nil, []string{"no PHP-FPM pool on this host (/etc/php/*/fpm/pool.d/*.conf)"}, nil
	}
	for _, f := range pools {
		data, err := fsys.ReadFile(f, 1<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		lines := poolLines(string(data))
		done := map[string]bool{}
		var out []string
		changed := false
		for i, l := range lines {
			if l.pool != "" && l.pool != "global" && isDisableFunctions(l.key) && !done[l.pool] {
				done[l.pool] = true
				if miss := missingFunctions(l.value); len(miss) > 0 {
					v := strings.TrimSpace(l.value)
					if v != "" {
						v += ","
					}
					out = append(out, "; nowwhat harden (php-disable-functions) added "+strings.Join(miss, ",")+" to this pool's list; undo: nowwhat harden undo --apply")
					out = append(out, "php_admin_value[disable_functions] = "+v+strings.Join(miss, ","))
					changed = true
					continue
				}
			}
			out = append(out, l.text)
			// The end of a pool's section: before the next section, or at the end of the file.
			last := i == len(lines)-1 || lines[i+1].pool != l.pool
			if last && l.pool != "" && l.pool != "global" && !done[l.pool] {
				done[l.pool] = true
				for len(out) > 1 && strings.TrimSpace(out[len(out)-1]) == "" {
					out = out[:len(out)-1]
				}
				out = append(out, "; nowwhat harden (php-disable-functions): no running of programs from this pool's PHP; undo: nowwhat harden undo --apply",
					"php_admin_value[disable_functions] = "+strings.Join(disabledFunctions, ","))
				if i < len(lines)-1 {
					out = append(out, "")
				}
				changed = true
			}
		}
		if changed {
			s := strings.Join(out, "\n")
			if !strings.HasSuffix(s, "\n") {
				s += "\n"
			}
			files = append(files, FileChange{Path: resolve(fsys, f), Content: s})
		} else {
			notes = append(notes, f+": its pools disable these functions already")
		}
	}
	if len(files) > 0 {
		notes = append(notes, "an application that runs programs from PHP (some backup, image or mail plugins) stops doing so; nowwhat harden undo --apply puts the pool back")
	}
	return files, notes, nil
}

// poolsVerify lists the pools that still let PHP run programs.
func poolsVerify(fsys *hostfs.FS, _ []string) []string {
	var problems []string
	for _, f := range poolFiles(fsys) {
		data, err := fsys.ReadFile(f, 1<<20)
		if err != nil {
			problems = append(problems, f+": "+err.Error())
			continue
		}
		set := map[string][]string{}
		var pools []string
		for _, l := range poolLines(string(data)) {
			if l.pool == "" || l.pool == "global" {
				continue
			}
			if _, ok := set[l.pool]; !ok {
				set[l.pool] = nil
				pools = append(pools, l.pool)
			}
			if isDisableFunctions(l.key) && set[l.pool] == nil {
				set[l.pool] = missingFunctions(l.value)
				if len(set[l.pool]) == 0 {
					set[l.pool] = []string{}
				}
			}
		}
		for _, p := range pools {
			switch miss := set[p]; {
			case miss == nil:
				problems = append(problems, fmt.Sprintf("%s: pool [%s] sets no disable_functions", f, p))
			case len(miss) > 0:
				problems = append(problems, fmt.Sprintf("%s: pool [%s] leaves %s on", f, p, strings.Join(miss, ", ")))
			}
		}
	}
	return problems
}

// reloadFor names what makes the running services read the files written.
func reloadFor(d *Def, files []FileChange) string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range files {
		switch {
		case hostfs.HasPrefix(f.Path, "/etc/php"):
			if parts := strings.Split(f.Path, "/"); len(parts) > 3 {
				add("systemctl reload php" + parts[3] + "-fpm")
			}
		case hostfs.HasPrefix(f.Path, catalog.Dir("apache2")):
			add("apache2ctl configtest && systemctl reload apache2")
		case strings.Contains(f.Path, "nginx"):
			add("nginx -t && systemctl reload nginx")
		}
	}
	if len(out) == 0 {
		return d.Reload
	}
	return strings.Join(out, "; ")
}
