package harden

import (
	"os"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

const wpSite = `server {
	listen 80 default_server;
	root /var/www/html;
	index index.php index.html;
	server_name _;
	location / {
		try_files $uri $uri/ /index.php?$args;
	}
	location ~ \.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}
}
`

// wordpressNginx is Debian's nginx layout (sites-enabled/default a link to sites-available)
// serving WordPress with PHP-FPM, and an upload folder.
func wordpressNginx(t *testing.T) *fixture.Root {
	r := fixture.Debian(t)
	r.File("/etc/nginx/nginx.conf", "events {}\nhttp {\n\tinclude /etc/nginx/sites-enabled/*;\n}\n", 0o644)
	r.File("/etc/nginx/sites-available/default", wpSite, 0o644)
	r.Symlink("/etc/nginx/sites-available/default", "/etc/nginx/sites-enabled/default")
	r.File("/var/www/html/index.php", "<?php require 'wp-blog-header.php';\n", 0o644)
	r.File("/var/www/html/wp-content/uploads/2026/11/cat.jpg", "\xff\xd8\xff", 0o644)
	return r
}

func phpIn(t *testing.T, fsys *hostfs.FS, folder string) bool {
	conf, _ := loophole.LoadNginx(fsys)
	res := loophole.NginxPHP(conf, folder)
	if res == nil {
		t.Fatalf("no nginx server holds %s", folder)
	}
	return res.Executes
}

// TestNginxUploadsNoExec: the location goes into the site file the link names (the link
// stays a link), nginx's location choice then refuses PHP in the upload folder and in the
// folder loophole named, while PHP still runs elsewhere; a second run has nothing to do, and
// undo puts the file back byte for byte.
func TestNginxUploadsNoExec(t *testing.T) {
	r := wordpressNginx(t)
	r.File("/var/www/html/files/shell.php", "<?php system($_GET['c']);\n", 0o644) // the folder loophole named
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	uploads, named := "/var/www/html/wp-content/uploads/2026/11", "/var/www/html/files"
	if !phpIn(t, env.FS, uploads) || !phpIn(t, env.FS, named) {
		t.Fatal("before harden, nginx does not run PHP in the folders: the test proves nothing")
	}
	ch := Change{Def: Lookup("php-uploads-noexec"), Folders: []string{named}}
	out, err := contain.Run(env, ch, true)
	if err != nil || !out.Applied {
		t.Fatalf("apply: %v %+v", err, out)
	}
	plan := strings.Join(out.Plan.What, "\n")
	t.Log(plan)
	for _, want := range []string{"replace /etc/nginx/sites-available/default", `+ 	location ~* ^/wp-content/uploads/.*\.(php[0-9]?|phtml|phar|pht|phps)(/|$) { deny all; }`,
		`location ~* ^/files/.*`, "nginx -t && systemctl reload nginx"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	if st, err := env.FS.Lstat("/etc/nginx/sites-enabled/default"); err != nil || !st.IsSymlink() {
		t.Error("sites-enabled/default is no longer a link")
	}
	if phpIn(t, env.FS, uploads) || phpIn(t, env.FS, named) {
		t.Error("nginx still runs PHP in the upload folders")
	}
	if !phpIn(t, env.FS, "/var/www/html") || !phpIn(t, env.FS, "/var/www/html/wp-admin") {
		t.Error("PHP no longer runs outside the upload folders: the site is broken")
	}
	if p := CheckFolders(env.FS, ch.Def, ch.Folders); len(p) != 0 {
		t.Errorf("check: %v", p)
	}
	if again, err := contain.Run(env, ch, false); err != nil || again.Plan.Noop == "" {
		t.Errorf("second run: %v %+v", err, again)
	}
	es, _, _ := j.Entries()
	if err := contain.Undo(env, es[0], ""); err != nil {
		t.Fatal(err)
	}
	if got := r.Read("/etc/nginx/sites-available/default"); got != wpSite {
		t.Errorf("undo left:\n%s", got)
	}
	if st, err := env.FS.Lstat("/etc/nginx/sites-enabled/default"); err != nil || !st.IsSymlink() {
		t.Error("undo replaced the link")
	}
}

// TestNginxPrefixLocationWins: a ^~ prefix location for the folder that passes PHP (nginx
// tries no regular expression after it) is beyond a regular expression location: the change
// is found not in force and put back, rather than reported done.
func TestNginxPrefixLocationWins(t *testing.T) {
	r := wordpressNginx(t)
	site := strings.Replace(wpSite, "\tlocation / {", "\tlocation ^~ /wp-content/uploads/ {\n\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;\n\t}\n\tlocation / {", 1)
	r.File("/etc/nginx/sites-available/default", site, 0o644)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	_, err := contain.Run(env, Change{Def: Lookup("php-uploads-noexec")}, true)
	if err == nil || !strings.Contains(err.Error(), "not in force") {
		t.Fatalf("want not in force, got %v", err)
	}
	if got := r.Read("/etc/nginx/sites-available/default"); got != site {
		t.Errorf("not put back:\n%s", got)
	}
}

// TestApacheUploadsNoExec: with Apache running PHP, the drop-in turns it off in the upload
// folder by loophole's own reading of Apache's configuration.
func TestApacheUploadsNoExec(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/apache2/apache2.conf", "IncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n", 0o644)
	r.File("/etc/apache2/mods-enabled/php8.2.load", "LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so\n", 0o644)
	r.File("/etc/apache2/sites-enabled/000-default.conf", "<VirtualHost *:80>\n\tDocumentRoot /var/www/html\n</VirtualHost>\n", 0o644)
	r.File("/var/www/html/wp-content/uploads/2026/11/cat.jpg", "\xff\xd8\xff", 0o644)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	if res := loophole.ApachePHP(env.FS, "/var/www/html/wp-content/uploads"); res == nil || !res.Executes {
		t.Fatalf("before: %+v", res)
	}
	ch := Change{Def: Lookup("php-uploads-noexec")}
	if _, err := contain.Run(env, ch, true); err != nil {
		t.Fatal(err)
	}
	if res := loophole.ApachePHP(env.FS, "/var/www/html/wp-content/uploads/2026/11"); res == nil || res.Executes {
		t.Errorf("after: %+v", res)
	}
	if res := loophole.ApachePHP(env.FS, "/var/www/html/wp-admin"); res == nil || !res.Executes {
		t.Errorf("PHP turned off outside the uploads: %+v", res)
	}
	if p := Check(env.FS, ch.Def); len(p) != 0 {
		t.Errorf("check: %v", p)
	}
}

const wwwPool = `; Start a new pool named 'www'.
[www]
user = www-data
group = www-data
listen = /run/php/php8.2-fpm.sock
pm = dynamic
pm.max_children = 5

`

const twoPools = `[shop]
user = shop
listen = /run/php/shop.sock
php_admin_value[disable_functions] = exec,system,mail
php_admin_flag[log_errors] = on

[blog]
user = blog
listen = /run/php/blog.sock
`

// TestPHPFPMDisableFunctions: each pool gets the line at its end, a pool with its own list
// gets the missing functions added to it (its own entries kept), the CLI's php.ini is left
// alone, the reload is named, and undo puts every pool file back.
func TestPHPFPMDisableFunctions(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/php/8.2/fpm/pool.d/www.conf", wwwPool, 0o644)
	r.File("/etc/php/8.2/fpm/pool.d/sites.conf", twoPools, 0o640)
	r.File("/etc/php/8.2/cli/php.ini", "disable_functions =\n", 0o644)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	d := Lookup("php-disable-functions")
	if p := Check(env.FS, d); len(p) != 3 {
		t.Fatalf("before, three pools should be open: %v", p)
	}
	out, err := contain.Run(env, Change{Def: d}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(strings.Join(out.Plan.What, "\n"))
	if !strings.Contains(strings.Join(out.Plan.What, "\n"), "systemctl reload php8.2-fpm") {
		t.Error("the reload is not named")
	}
	if p := Check(env.FS, d); len(p) != 0 {
		t.Errorf("after: %v", p)
	}
	www := r.Read("/etc/php/8.2/fpm/pool.d/www.conf")
	if !strings.HasSuffix(www, "php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec\n") {
		t.Errorf("www.conf:\n%s", www)
	}
	sites := r.Read("/etc/php/8.2/fpm/pool.d/sites.conf")
	if !strings.Contains(sites, "php_admin_value[disable_functions] = exec,system,mail,passthru,shell_exec,proc_open,popen,pcntl_exec\n") {
		t.Errorf("shop's own list not kept and completed:\n%s", sites)
	}
	if i, k := strings.Index(sites, "[blog]"), strings.LastIndex(sites, "php_admin_value[disable_functions]"); k < i {
		t.Errorf("blog's line is not in blog's section:\n%s", sites)
	}
	if strings.Count(sites, "php_admin_value[disable_functions]") != 2 {
		t.Errorf("one line per pool:\n%s", sites)
	}
	if st, _ := os.Stat(r.Path("/etc/php/8.2/fpm/pool.d/sites.conf")); st.Mode().Perm() != 0o640 {
		t.Errorf("mode changed: %v", st.Mode())
	}
	if r.Read("/etc/php/8.2/cli/php.ini") != "disable_functions =\n" {
		t.Error("the command line's php.ini was changed")
	}
	es, _, _ := j.Entries()
	if err := contain.Undo(env, es[0], ""); err != nil {
		t.Fatal(err)
	}
	if r.Read("/etc/php/8.2/fpm/pool.d/www.conf") != wwwPool || r.Read("/etc/php/8.2/fpm/pool.d/sites.conf") != twoPools {
		t.Error("undo did not put the pools back")
	}
}

// TestNoPHPNothingToDo: a host without PHP-FPM or nginx gets a plain "nothing to do".
func TestNoPHPNothingToDo(t *testing.T) {
	r := fixture.Debian(t)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	for _, id := range []string{"php-disable-functions", "php-uploads-noexec"} {
		out, err := contain.Run(env, Change{Def: Lookup(id)}, true)
		if err != nil || out.Plan.Noop == "" || out.Applied {
			t.Errorf("%s: %v %+v", id, err, out)
		}
	}
}
