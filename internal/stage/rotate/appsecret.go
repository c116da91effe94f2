package rotate

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// appSecretAction regenerates the application secrets of one file in place, atomically, and
// removes previous-key fallbacks (APP_PREVIOUS_KEYS, SECRET_KEY_FALLBACKS) that would still
// accept the leaked key.
type appSecretAction struct {
	File   string
	App    string
	Items  []string
	Names  []string // settings to regenerate
	c      *Case
	recips []age.Recipient
	id     string
	data   []byte // the new content, in memory only
}

func (a *appSecretAction) Kind() string   { return "rotate-app-secret" }
func (a *appSecretAction) Target() string { return a.File }

func (a *appSecretAction) Prepare(env *contain.Env) (*contain.Plan, error) {
	data, err := env.FS.ReadFile(a.File, 16<<20)
	if err != nil {
		return nil, err
	}
	out, what, err := regenerate(string(data), a.App, a.Names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.File, err)
	}
	a.data = []byte(out)
	a.id = stamp(time.Now())
	p := &contain.Plan{What: what}
	p.Undo = backupUndo{Items: a.Items, Files: []string{a.File}, Backups: []string{a.c.path(fmt.Sprintf("backup-%s-0-%s.age", a.id, baseName(a.File)))}}
	p.UndoHow = "the old file is kept only encrypted to you (it holds the leaked secrets)"
	p.Warn = []string{"reload: " + reloadText(a.App)}
	return p, nil
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

func reloadText(app string) string {
	it := secrets.Item{App: app}
	switch app {
	case "wordpress":
		return "none needed (PHP reads wp-config.php on each request); every logged-in user is logged out"
	case "laravel":
		return "php artisan config:clear && php artisan queue:restart, then reload php-fpm (systemctl reload php*-fpm)"
	case "django":
		return "restart the application server (systemctl restart gunicorn, or uwsgi)"
	case "phpmyadmin":
		return "none needed; phpMyAdmin users log in again"
	case "rails":
		return "restart the application server (systemctl restart puma)"
	}
	_ = it
	return "restart the application that reads this file"
}

func (a *appSecretAction) Apply(env *contain.Env, p *contain.Plan) error {
	if _, err := backup(env, a.c, a.recips, a.id, []string{a.File}); err != nil {
		return err
	}
	st, err := env.FS.Lstat(a.File)
	if err != nil {
		return err
	}
	return contain.WriteFile(env, a.File, a.data, st.Mode.Perm(), int(st.UID), int(st.GID))
}

// newSecretFor makes a new value for a setting, in the form its application expects.
func newSecretFor(app, name string) string {
	n := strings.ToUpper(name)
	switch {
	case n == "APP_KEY":
		b := make([]byte, 32)
		rand.Read(b)
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	case n == "SECRET_KEY_BASE":
		b := make([]byte, 64)
		rand.Read(b)
		return hex.EncodeToString(b)
	case n == "BLOWFISH_SECRET":
		return randomString(32, alnum)
	case app == "wordpress":
		// wp salts: 64 printable characters, no quote or backslash
		return randomString(64, alnum+"!#%()*+,-.:;<=>?@[]^_{|}~")
	case n == "SECRET_KEY":
		return randomString(50, alnum+"!#%^*(-_=+)")
	}
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var fallbackSetting = map[string]bool{"APP_PREVIOUS_KEYS": true, "SECRET_KEY_FALLBACKS": true}

// regenerate replaces the values of the named settings in a configuration text, keeping the
// quoting, and empties previous-key fallbacks. It fails when a named setting is not found on
// a single line (a multi-line value is edited by hand).
func regenerate(text, app string, names []string) (string, []string, error) {
	lines := strings.Split(text, "\n")
	var what []string
	for _, name := range names {
		done := false
		esc := regexp.QuoteMeta(name)
		pats := []*regexp.Regexp{
			regexp.MustCompile(`^(\s*define\s*\(\s*['"]` + esc + `['"]\s*,\s*)('[^']*'|"[^"]*")(\s*\).*)$`),     // PHP define
			regexp.MustCompile(`^(\s*\$cfg\s*\[\s*['"]` + esc + `['"]\s*\]\s*=\s*)('[^']*'|"[^"]*")(\s*;.*)$`),  // phpMyAdmin
			regexp.MustCompile(`^(\s*(?:export\s+)?` + esc + `\s*=\s*)("[^"]*"|'[^']*'|[^\s#]*)(\s*(?:#.*)?)$`), // env, python
			regexp.MustCompile(`^(\s*` + esc + `\s*:\s*)("[^"]*"|'[^']*'|[^\s#]*)(\s*(?:#.*)?)$`),               // yaml
			regexp.MustCompile(`^(\s*` + esc + `\s*=\s*)(\[[^\]]*\]|\([^)]*\))(\s*(?:#.*)?)$`),                  // python list
		}
		for i, l := range lines {
			for _, re := range pats {
				m := re.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				old := m[2]
				var nv string
				switch {
				case fallbackSetting[strings.ToUpper(name)] && (strings.HasPrefix(old, "[") || strings.HasPrefix(old, "(")):
					nv = "[]"
				case fallbackSetting[strings.ToUpper(name)]:
					nv = ""
					if len(old) > 0 && (old[0] == '"' || old[0] == '\'') {
						nv = old[:1] + old[:1]
					}
				default:
					v := newSecretFor(app, name)
					if len(old) > 0 && (old[0] == '"' || old[0] == '\'') {
						nv = old[:1] + v + old[:1]
					} else {
						nv = v
					}
				}
				lines[i] = m[1] + nv + m[3]
				done = true
				if fallbackSetting[strings.ToUpper(name)] {
					what = append(what, fmt.Sprintf("empty %s (line %d): the previous keys it lists would still accept the leaked ones", name, i+1))
				} else {
					what = append(what, fmt.Sprintf("a new %s (line %d)", name, i+1))
				}
				break
			}
			if done {
				break
			}
		}
		if !done {
			return "", nil, fmt.Errorf("%s is not set on one line in a form nowwhat rewrites: change it by hand", name)
		}
	}
	return strings.Join(lines, "\n"), what, nil
}

// secretNames lists the settings an app-secret item stands for.
func secretNames(it *secrets.Item) []string {
	if strings.HasPrefix(it.Name, "WordPress") {
		return strings.Split(it.Note, ", ")
	}
	n := it.Name
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	return []string{n}
}
