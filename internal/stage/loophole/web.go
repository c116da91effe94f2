package loophole

import (
	"path"
	"regexp"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
)

// PHPExec is whether a web server runs PHP files in a folder, and why.
type PHPExec struct {
	Server   string   `json:"server"` // nginx, apache
	Folder   string   `json:"folder"`
	URI      string   `json:"uri,omitempty"`
	Executes bool     `json:"executes"`
	Evidence []string `json:"evidence"`
}

// NginxPHP tells whether nginx would hand a .php file in folder to PHP: the server whose root
// holds the folder, then nginx's location choice (an exact or ^~ prefix match first, then the
// regular expressions in order, then the longest prefix).
func NginxPHP(conf []*Block, folder string) *PHPExec {
	var out *PHPExec
	each(conf, "server", func(srv *Block) {
		if out != nil && out.Executes {
			return
		}
		if res := NginxServerPHP(srv, folder); res != nil {
			out = res
		}
	})
	return out
}

// NginxRoot is a server block's document root ("" when it sets none).
func NginxRoot(srv *Block) string {
	if r := child(srv, "root"); r != nil && len(r.Args) > 0 {
		return hostfs.Clean(r.Args[0])
	}
	return ""
}

// NginxServerPHP tells whether one server block would hand a .php file in folder to PHP; nil
// when the folder is not under the server's root.
func NginxServerPHP(srv *Block, folder string) *PHPExec {
	root := NginxRoot(srv)
	if root == "" || !hostfs.HasPrefix(folder, root) {
		return nil
	}
	uri := strings.TrimPrefix(folder, root) + "/nowwhat-probe.php"
	if !strings.HasPrefix(uri, "/") {
		uri = "/" + uri
	}
	res := &PHPExec{Server: "nginx", Folder: folder, URI: uri}
	res.Executes, res.Evidence = nginxLocation(srv, uri)
	res.Evidence = append([]string{where(srv) + ": server with root " + root}, res.Evidence...)
	return res
}

func where(b *Block) string { return b.File + ":" + itoa(b.Line) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func runsPHP(loc *Block) bool {
	for _, c := range loc.Children {
		if c.Name == "fastcgi_pass" || c.Name == "proxy_pass" && len(c.Args) > 0 && strings.Contains(c.Args[0], "php") {
			return true
		}
	}
	return false
}

func denies(loc *Block) bool {
	for _, c := range loc.Children {
		if c.Name == "deny" && len(c.Args) > 0 && c.Args[0] == "all" {
			return true
		}
		if c.Name == "return" && len(c.Args) > 0 && (strings.HasPrefix(c.Args[0], "4") || strings.HasPrefix(c.Args[0], "5")) {
			return true
		}
	}
	return false
}

func verdict(loc *Block, how string) (bool, []string) {
	switch {
	case denies(loc):
		return false, []string{where(loc) + ": location " + strings.Join(loc.Args, " ") + " " + how + " refuses it"}
	case runsPHP(loc):
		return true, []string{where(loc) + ": location " + strings.Join(loc.Args, " ") + " " + how + " passes it to PHP (fastcgi_pass)"}
	}
	return false, []string{where(loc) + ": location " + strings.Join(loc.Args, " ") + " " + how + " serves it as a file, not through PHP"}
}

func hasLocations(b *Block) bool { return child(b, "location") != nil }

// nestedLocation applies nginx's choice among a location's nested locations; ok is false when
// none of them matches the URI (the outer location then applies).
func nestedLocation(loc *Block, uri string) (bool, []string, bool) {
	ex, ev := nginxLocation(loc, uri)
	if len(ev) == 1 && strings.HasPrefix(ev[0], "no location") {
		return false, nil, false
	}
	return ex, append([]string{where(loc) + ": inside location " + strings.Join(loc.Args, " ")}, ev...), true
}

func nginxLocation(srv *Block, uri string) (bool, []string) {
	var longest *Block
	longestLen := -1
	var regexes []*Block
	for _, loc := range srv.Children {
		if loc.Name != "location" || len(loc.Args) == 0 {
			continue
		}
		a := loc.Args
		switch {
		case a[0] == "=" && len(a) > 1:
			if a[1] == uri {
				return verdict(loc, "(exact match)")
			}
		case (a[0] == "~" || a[0] == "~*") && len(a) > 1:
			regexes = append(regexes, loc)
		case a[0] == "^~" && len(a) > 1:
			if strings.HasPrefix(uri, a[1]) && len(a[1]) > longestLen {
				longest, longestLen = loc, len(a[1])
			}
		case a[0] == "@":
		default:
			if strings.HasPrefix(uri, a[0]) && len(a[0]) > longestLen {
				longest, longestLen = loc, len(a[0])
			}
		}
	}
	// A prefix location's own nested locations are searched before the regular expressions
	// around it (nginx's find_location recursion).
	if longest != nil && hasLocations(longest) {
		if ex, ev, ok := nestedLocation(longest, uri); ok {
			return ex, ev
		}
	}
	if longest != nil && longest.Args[0] == "^~" {
		return verdict(longest, "(prefix ^~, regular expressions not tried)")
	}
	for _, loc := range regexes {
		expr := loc.Args[1]
		if loc.Args[0] == "~*" {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			continue
		}
		if re.MatchString(uri) {
			return verdict(loc, "(first regular expression that matches)")
		}
	}
	if longest != nil {
		return verdict(longest, "(longest prefix)")
	}
	return false, []string{"no location of the server matches " + uri}
}

// ApachePHP tells whether Apache runs .php files in folder: a PHP module or PHP-FPM handler is
// enabled and nothing in a <Directory> of the configuration or an .htaccess between the
// document root and the folder turns PHP off or refuses .php files.
func ApachePHP(fsys *hostfs.FS, folder string) *PHPExec {
	if !fsys.Exists("/etc/apache2/apache2.conf") {
		return nil
	}
	res := &PHPExec{Server: "apache", Folder: folder}
	handler := ""
	for _, p := range append(sshd.Glob(fsys, "/etc/apache2/mods-enabled/php*.load"), sshd.Glob(fsys, "/etc/apache2/conf-enabled/php*-fpm.conf")...) {
		handler = p
		break
	}
	if handler == "" {
		res.Evidence = append(res.Evidence, "no PHP module or PHP-FPM handler enabled in /etc/apache2 (mods-enabled/php*.load, conf-enabled/php*-fpm.conf)")
		return res
	}
	res.Evidence = append(res.Evidence, handler+": PHP is enabled for every .php file by default")
	// A <Directory> in the enabled configuration that covers the folder.
	for _, f := range append(append(sshd.Glob(fsys, "/etc/apache2/sites-enabled/*"), sshd.Glob(fsys, "/etc/apache2/conf-enabled/*.conf")...), "/etc/apache2/apache2.conf") {
		data, err := fsys.ReadFile(f, confLimit)
		if err != nil {
			continue
		}
		for _, d := range directoryBlocks(string(data)) {
			if d.covers(folder) && phpOff(d.body) {
				res.Evidence = append(res.Evidence, f+": <"+d.kind+" "+d.dir+"> turns PHP off or refuses .php files")
				return res
			}
		}
	}
	for dir := folder; dir != "/" && dir != "."; dir = path.Dir(dir) {
		p := path.Join(dir, ".htaccess")
		data, err := fsys.ReadFile(p, 1<<20)
		if err == nil && phpOff(string(data)) {
			res.Evidence = append(res.Evidence, p+": turns PHP off or refuses .php files (if AllowOverride lets it)")
			return res
		}
	}
	res.Executes = true
	res.Evidence = append(res.Evidence, "nothing in the enabled configuration or an .htaccess above "+folder+" turns PHP off there")
	return res
}

var (
	directoryRe = regexp.MustCompile(`(?is)<(Directory|DirectoryMatch)\s+"?([^">\s]+)"?\s*>(.*?)</(?:Directory|DirectoryMatch)>`)
	phpOffRe    = regexp.MustCompile(`(?i)(php_(admin_)?flag\s+engine\s+off|RemoveHandler\s+[^\n]*\.php|SetHandler\s+none|<FilesMatch[^>]*ph[^>]*>\s*(Require\s+all\s+denied|Deny\s+from\s+all))`)
)

type dirBlock struct{ kind, dir, body string }

// covers tells whether the block applies to a folder: a <Directory> to the folders under it,
// a <DirectoryMatch> to the folders (with a trailing "/") its regular expression matches.
func (d dirBlock) covers(folder string) bool {
	if strings.EqualFold(d.kind, "DirectoryMatch") {
		re, err := regexp.Compile(d.dir)
		return err == nil && re.MatchString(folder+"/")
	}
	return hostfs.HasPrefix(folder, hostfs.Clean(d.dir))
}

func directoryBlocks(s string) []dirBlock {
	var out []dirBlock
	for _, m := range directoryRe.FindAllStringSubmatch(s, 1000) {
		out = append(out, dirBlock{m[1], m[2], m[3]})
	}
	return out
}

func phpOff(s string) bool { return phpOffRe.MatchString(s) }
