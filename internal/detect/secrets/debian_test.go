package secrets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/detect/secrets/secretstest"
)

// fpPackages: WordPress and phpMyAdmin as Debian ships them, with the libraries whose PHP files
// hold the most setting-like text.
var fpPackages = []string{"wordpress", "wordpress-theme-twentytwentythree", "phpmyadmin", "php-phpmyadmin-sql-parser",
	"php-phpmyadmin-motranslator", "php-phpmyadmin-shapefile", "php-google-recaptcha", "php-composer-ca-bundle", "dbconfig-common", "ca-certificates"}

// debs fetches the packages with apt-get download into a cache kept between runs.
func debs(t *testing.T) []string {
	cache := filepath.Join(os.TempDir(), "nowwhat-debcache-rotate")
	os.MkdirAll(cache, 0o755)
	var have []string
	var missing []string
	for _, p := range fpPackages {
		m, _ := filepath.Glob(filepath.Join(cache, p+"_*.deb"))
		if len(m) > 0 {
			have = append(have, m[0])
		} else {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		if _, err := exec.LookPath("apt-get"); err != nil {
			t.Skip("apt-get not available to fetch the Debian packages")
		}
		cmd := exec.Command("apt-get", append([]string{"download", "-q"}, missing...)...)
		cmd.Dir = cache
		if out, err := cmd.CombinedOutput(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("apt-get download %v: %v\n%s", missing, err, out)
			}
			t.Skipf("apt-get download: %v", err)
		}
		for _, p := range missing {
			m, _ := filepath.Glob(filepath.Join(cache, p+"_*.deb"))
			if len(m) == 0 {
				t.Fatalf("apt-get download %s left no .deb", p)
			}
			have = append(have, m[0])
		}
	}
	return have
}

// TestFalsePositivesDebianWordPressPhpMyAdmin: on a clean Debian root with WordPress and
// phpMyAdmin installed from Debian's packages (extracted in Go; no maintainer script runs, so
// no secret is generated), every package folder is searched and nothing may be reported but
// the root's own real credentials (the two account passwords and alice's key of the fixture).
func TestFalsePositivesDebianWordPressPhpMyAdmin(t *testing.T) {
	r := fixture.Debian(t)
	files := 0
	for _, d := range debs(t) {
		fs, err := secretstest.ExtractDeb(r.Dir, d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		files += len(fs)
	}
	// Debian's README tells admins to link WordPress under the web root; search it directly.
	roots := []string{"/usr/share/wordpress", "/usr/share/phpmyadmin", "/etc/wordpress", "/etc/phpmyadmin", "/var/lib/phpmyadmin", "/usr/share/php", "/usr/share/dbconfig-common"}
	start := time.Now()
	inv := scan(t, r.Dir, secrets.Options{ExtraAppRoots: roots})
	took := time.Since(start)
	real := 0
	fp := 0
	for _, it := range inv.Items {
		switch {
		case it.Path == "/etc/shadow", it.Path == "/home/alice/.ssh/authorized_keys":
			real++
		default:
			fp++
			t.Errorf("false positive: %s %s %s (%s)", it.Kind, it.Where(), it.Name, it.Rule)
		}
	}
	if files < 1000 {
		t.Fatalf("only %d files extracted: the packages are not what this test expects", files)
	}
	if inv.FilesRead < 5 {
		t.Errorf("only %d files read: the packages' configuration was not searched", inv.FilesRead)
	}
	if real != 3 {
		t.Errorf("the fixture's own credentials: %d found, want 3", real)
	}
	t.Logf("false positives on Debian WordPress + phpMyAdmin: %d items over %d package files, %d configuration files read (%s, %d real credentials of the base root found; scan %s)",
		fp, files, inv.FilesRead, strings.Join(fpPackages, " "), real, took.Round(time.Millisecond))
}
