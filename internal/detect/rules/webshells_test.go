package rules

import (
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// TestWebshellContext: the web-shell scan's verdict is weighed with what the snapshot knows of
// the file: its package's own unchanged file is named as a known release, a copy in a web root
// is not; a suspicious page the web server's account wrote into a folder of root's files weighs
// more than the same page of root's.
func TestWebshellContext(t *testing.T) {
	ind := func(p, verdict string, score int) snapshot.Indicator {
		return snapshot.Indicator{Path: p, Rule: "webshell." + verdict, Category: "webshell", Severity: "high", Evidence: "flow.sql: $db->query($_POST['q'])", Score: score}
	}
	page := func(p string, uid uint32) snapshot.File {
		return snapshot.File{Path: p, Type: "file", Mode: 0o644, UID: uid, Size: 100, Mtime: later, Ctime: later, Btime: later}
	}
	app := []any{page("/var/www/html/a.php", 0), page("/var/www/html/b.php", 0), page("/var/www/html/c.php", 0),
		snapshot.User{Name: "www-data", UID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin"}}
	for _, c := range []struct {
		name string
		recs []any
		want finding.Severity
	}{
		{"packaged and unchanged", []any{page("/usr/share/adminer/adminer.php", 0), owned("/usr/share/adminer/adminer.php", "adminer"), ind("/usr/share/adminer/adminer.php", "webshell", 130)}, finding.Info},
		{"not packaged", []any{page("/var/www/html/adminer.php", 0), ind("/var/www/html/adminer.php", "webshell", 130)}, finding.Critical},
		{"known tool", []any{page("/var/www/html/adminer.php", 0), ind("/var/www/html/adminer.php", "known", 130)}, finding.Info},
		{"suspicious, root's", append([]any{page("/var/www/html/q.php", 0), ind("/var/www/html/q.php", "suspicious", 60)}, app...), finding.High},
		{"suspicious, written by the web server", append([]any{page("/var/www/html/q.php", 33), ind("/var/www/html/q.php", "suspicious", 80)}, app...), finding.Critical},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := analyzeOnly(t, "implant.webshell", host(c.recs...), nil)
			if len(fs) != 1 || fs[0].Severity != c.want {
				t.Fatalf("findings %+v, want one of severity %v", fs, c.want)
			}
		})
	}
}
