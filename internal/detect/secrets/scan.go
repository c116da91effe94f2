package secrets

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/accounts"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
)

// Options tune a scan.
type Options struct {
	// Key keys the fingerprints (keep it with the case, so later runs compare). Required.
	Key []byte
	// AppRoots replaces the folders searched for application configuration (nil: the catalog's
	// web, service and home folders, catalog.CredAppRoots).
	AppRoots []string
	// ExtraAppRoots are searched as well.
	ExtraAppRoots []string
	// AppDepth bounds the search below each app root (0: 6 levels).
	AppDepth int
	// NoRules turns the maintained token rule set (gitleaks) off; the server-file readers stay.
	NoRules bool
	// Now is the time ages are measured at (zero: time.Now()).
	Now time.Time
}

const (
	fileLimit    = 4 << 20 // per file read
	maxAppFiles  = 200000  // entries visited under the app roots
	defaultDepth = 6
)

type scanner struct {
	ctx     context.Context
	fs      *hostfs.FS
	fp      *Fingerprinter
	opt     Options
	inv     *Inventory
	accts   []probe.Account
	homes   []probe.Account // accounts with a real home, deduplicated by home
	seen    map[string]bool // path\x00line\x00fingerprint already reported
	visited int
	done    map[string]bool // files already read
}

// Scan inventories the credentials under fsys.
func Scan(ctx context.Context, fsys *hostfs.FS, opt Options) (*Inventory, error) {
	fp, err := NewFingerprinter(opt.Key)
	if err != nil {
		return nil, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.AppDepth <= 0 {
		opt.AppDepth = defaultDepth
	}
	s := &scanner{ctx: ctx, fs: fsys, fp: fp, opt: opt, seen: map[string]bool{}, done: map[string]bool{},
		inv: &Inventory{Root: fsys.Dir(), Taken: opt.Now.UTC()}}
	s.inv.Rules = "nowwhat server-file readers"
	if !opt.NoRules {
		if n, err := ruleCount(); err == nil {
			s.inv.Rules += fmt.Sprintf(" + gitleaks %s (%d rules)", gitleaksVersion, n)
		} else {
			s.notCovered("gitleaks rules", err)
		}
	}
	s.loadAccounts()
	s.shadow()
	s.ssh()
	var apps []*catalog.Location
	for _, l := range catalog.Credentials() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := l.Cred
		switch {
		case c.Reader == fmtShadow:
			// read above, with the accounts
		case l.Anywhere():
			apps = append(apps, l)
		case l.IsFolder():
			for _, p := range s.expand(strings.TrimSuffix(l.Path, "/")) {
				s.folder(p, c, 0)
			}
		default:
			for _, p := range s.expand(l.Path) {
				s.file(p, c.Kind, c.Reader, c.App)
			}
		}
	}
	roots := catalog.Dirs(catalog.CredAppRoots...)
	if opt.AppRoots != nil {
		roots = opt.AppRoots
	}
	for _, r := range append(append([]string(nil), roots...), opt.ExtraAppRoots...) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.walkApps(hostfs.Clean(r), 0, apps)
	}
	for i := range s.inv.Items {
		setRotation(&s.inv.Items[i])
	}
	s.inv.sort()
	return s.inv, ctx.Err()
}

func (s *scanner) notCovered(what string, err error) {
	s.inv.NotCovered = append(s.inv.NotCovered, what+": "+err.Error())
}

func (s *scanner) loadAccounts() {
	data, err := s.fs.ReadFile(accounts.PasswdPath, 64<<20)
	if err != nil && data == nil {
		s.notCovered(accounts.PasswdPath, err)
	}
	ents, _ := accounts.ParsePasswd(data)
	seenHome := map[string]bool{}
	for _, e := range ents {
		a := probe.Account{Name: e.Name, UID: e.UID, GID: e.GID, Home: e.Home, Shell: e.Shell}
		s.accts = append(s.accts, a)
		h := hostfs.Clean(e.Home)
		if e.Home == "" || h == "/" || h == "/nonexistent" || seenHome[h] {
			continue
		}
		if st, err := s.fs.Stat(h); err != nil || !st.IsDir() {
			continue
		}
		seenHome[h] = true
		s.homes = append(s.homes, a)
	}
	if root := catalog.Dir("home.root"); !seenHome[root] {
		if st, err := s.fs.Stat(root); err == nil && st.IsDir() {
			s.homes = append(s.homes, probe.Account{Name: "root", Home: root})
		}
	}
}

// expand turns a location into the host paths that exist: "~/" in every home, globs expanded.
func (s *scanner) expand(p string) []string {
	if !strings.HasPrefix(p, "~/") {
		return sshd.Glob(s.fs, p)
	}
	var out []string
	for _, a := range s.homes {
		out = append(out, sshd.Glob(s.fs, path.Join(a.Home, p[2:]))...)
	}
	return out
}

// owner names whose a file is: the account whose home holds it, else the file's owner.
func (s *scanner) owner(p string, uid uint32, haveUID bool) string {
	best := ""
	for _, a := range s.homes {
		if hostfs.HasPrefix(p, hostfs.Clean(a.Home)) && len(a.Home) > len(best) {
			best = a.Home
		}
	}
	if best != "" {
		for _, a := range s.homes {
			if a.Home == best {
				return a.Name
			}
		}
	}
	if haveUID {
		for _, a := range s.accts {
			if a.UID == int64(uid) {
				return a.Name
			}
		}
		return fmt.Sprintf("uid %d", uid)
	}
	return ""
}

// add records an item unless the same secret at the same place is already there.
func (s *scanner) add(it Item, secret string) {
	it.Fingerprint = s.fp.Of(secret)
	key := it.Path + "\x00" + fmt.Sprint(it.Line) + "\x00" + it.Fingerprint
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	if it.ID == "" {
		it.ID = itemID(it.Kind, it.Path, it.Name, it.Owner, it.PublicKey)
	}
	for _, o := range s.inv.Items {
		if o.ID == it.ID {
			it.ID = itemID(it.Kind, it.Path, fmt.Sprintf("%s#%d", it.Name, it.Line), it.Owner, it.PublicKey)
			break
		}
	}
	it.secret = &box{secret}
	s.inv.Items = append(s.inv.Items, it)
}

// shadow lists every account's password.
func (s *scanner) shadow() {
	data, err := s.fs.ReadFile(accounts.ShadowPath, 64<<20)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			s.notCovered(accounts.ShadowPath, err)
		}
		if data == nil {
			return
		}
	}
	ents, _ := accounts.ParseShadow(data)
	for _, e := range ents {
		state, alg := accounts.Classify(e.Hash)
		if state == accounts.StateDisabled {
			continue // no password at all: nothing to rotate
		}
		it := Item{Kind: KindPassword, Path: accounts.ShadowPath, Line: e.Line, Name: "password of " + e.Name, Owner: e.Name, Rule: "shadow"}
		switch state {
		case accounts.StateEmpty:
			it.Note = "empty password: anyone can log in as " + e.Name + " where PAM allows it"
		case accounts.StateLocked:
			it.Note = "locked (" + alg + "): the hash was still readable and unlocks with usermod -U"
		default:
			it.Note = alg
		}
		if e.LastChange > 0 {
			it.Modified = time.Unix(e.LastChange*86400, 0).UTC()
		}
		s.add(it, e.Hash)
	}
}

// ssh lists host keys and every key sshd would accept for any account.
func (s *scanner) ssh() {
	cfg, _ := sshd.LoadConfig(s.ctx, s.fs, sshd.MainConfig)
	hostKeys := sshd.Glob(s.fs, catalog.Path("ssh.host-keys"))
	for _, d := range cfg.Directives {
		if d.Key == "HostKey" && d.Match == "" && len(d.Args) > 0 {
			hostKeys = append(hostKeys, hostfs.Clean(d.Args[0]))
		}
	}
	sort.Strings(hostKeys)
	for i, p := range hostKeys {
		if i > 0 && hostKeys[i-1] == p {
			continue
		}
		s.file(p, KindHostKey, fmtPEM, "sshd")
	}
	accts := s.accts
	if len(accts) == 0 {
		accts = []probe.Account{{Name: "root", Home: catalog.Dir("home.root"), Shell: "/bin/sh"}}
	}
	for _, a := range accts {
		seen := map[string]bool{}
		for _, pat := range sshd.KeyFilePatterns(cfg) {
			file, err := sshd.ExpandKeyFile(pat, a, accts)
			if err != nil || seen[file] {
				continue
			}
			seen[file] = true
			s.authorizedKeys(a.Name, file)
		}
	}
}

func (s *scanner) authorizedKeys(user, file string) {
	f, st, err := s.fs.OpenStat(file)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			s.notCovered(file, err)
		}
		return
	}
	f.Close()
	data, err := s.fs.ReadFile(file, fileLimit)
	if err != nil && data == nil {
		s.notCovered(file, err)
		return
	}
	keys, _ := sshd.ParseAuthorizedKeys(data)
	for _, k := range keys {
		it := Item{Kind: KindAuthorized, Path: file, Line: k.Line, Name: k.Type + " " + k.Comment, Owner: user,
			PublicKey: k.Fingerprint, Modified: st.Mtime, Rule: "sshd-authorized-keys"}
		it.Name = strings.TrimSpace(it.Name)
		if k.Options != "" {
			it.Note = "options: " + k.Options
		}
		// A public key is no secret; its fingerprint (keyed like the rest) tells it apart.
		s.add(it, k.Fingerprint)
	}
}

// readFile reads a file once, giving its data and status; problems go to not covered.
func (s *scanner) readFile(p string) ([]byte, hostfs.Stat, bool) {
	if s.done[p] {
		return nil, hostfs.Stat{}, false
	}
	s.done[p] = true
	f, st, err := s.fs.OpenStat(p)
	if err != nil {
		if !hostfs.IsNotExist(err) && !errors.Is(err, hostfs.ErrNotRegular) {
			s.notCovered(p, err)
		}
		return nil, st, false
	}
	f.Close()
	s.inv.FilesRead++
	data, err := s.fs.ReadFile(p, fileLimit)
	if err != nil {
		if errors.Is(err, hostfs.ErrTooLarge) {
			s.notCovered(p, fmt.Errorf("read only the first %d bytes", fileLimit))
		} else {
			s.notCovered(p, err)
			return nil, st, false
		}
	}
	return data, st, true
}

// file reads one file in its format and records the secrets it holds.
func (s *scanner) file(p, kind, format, app string) {
	data, st, ok := s.readFile(p)
	if !ok || len(data) == 0 {
		return
	}
	owner := s.owner(p, st.UID, true)
	base := Item{Kind: kind, Path: p, Owner: owner, App: app, Modified: st.Mtime, Rule: "nowwhat:" + format}
	text := string(data)
	switch format {
	case fmtPEM:
		for _, b := range parsePEM(data) {
			it := base
			it.Line = b.line
			it.Name = b.label
			if kind == KindSSHPrivate || kind == KindHostKey {
				it.PublicKey = sshPublic(s.fs, p, b.text)
			}
			if kind == KindTLS && strings.Contains(p, "snakeoil") {
				it.Note = "the self-signed snake-oil key made at install time"
			}
			s.add(it, b.text)
		}
		return
	case fmtWhole:
		if kind == KindDB && !isText(data) {
			base.Note = "obfuscated login path file (mysql_config_editor): readable by anyone with the file"
		}
		it := base
		it.Name = path.Base(p)
		s.add(it, text)
		return
	case fmtKeytab:
		if isKeytab(data) {
			it := base
			it.Name = "Kerberos keys"
			s.add(it, text)
		}
		return
	case fmtShell:
		if isText(data) {
			s.shell(base, text)
		}
		return
	case fmtSystemd:
		s.systemd(base, text)
		return
	}
	if !isText(data) {
		return
	}
	var as []assign
	switch format {
	case fmtINI:
		as = parseINI(text)
	case fmtEnv:
		as = parseEnv(text)
	case fmtPHP:
		as = parsePHP(text)
	case fmtPython:
		as = parsePython(text)
	case fmtYAML:
		as = parseYAML(text)
	case fmtJSON:
		as = parseJSON(text)
	case fmtPgpass:
		as = parsePgpass(text)
	case fmtNetrc:
		as = parseNetrc(text)
	case fmtURLCreds:
		as = parseURLCreds(text)
	case fmtRedis:
		as = parseRedis(text)
	case fmtSASL:
		as = parseSASL(text)
	case fmtWG:
		as = parseWireGuard(text)
	case fmtOpenVPN:
		as = parseOpenVPN(text)
	}
	s.settings(base, format, as)
	s.rules(base, text)
}

// settings turns a file's settings into items: database credentials with their account,
// application secrets, and every other secret setting under the location's kind.
func (s *scanner) settings(base Item, format string, as []assign) {
	app := base.App
	if app == "dotenv" {
		app = detectEnvApp(as)
	}
	base.App = app
	db := dbSettings(base, format, as)
	var salts []assign
	for _, a := range as {
		if s.ctx.Err() != nil {
			return
		}
		it := base
		it.Line = a.line
		it.Name = a.name
		if a.section != "" && format != fmtPHP && format != fmtPgpass && format != fmtNetrc && format != fmtURLCreds && format != fmtSASL {
			it.Name = a.section + "." + a.name
		}
		upper := strings.ToUpper(a.name)
		switch {
		case base.App == "wordpress" && isWPSalt(upper):
			if !placeholder(a.value) {
				salts = append(salts, a)
			}
			continue
		case db != nil && db.password == a:
			it.Kind = KindDB
			it.DB = &db.ref
			it.Name = a.name
			if base.Kind != KindDB && base.Kind != KindSystemd && base.Kind != KindBackup {
				it.Kind = KindDB
			}
			if placeholder(a.value) {
				continue
			}
			s.add(it, a.value)
			continue
		case format == fmtNetrc || format == fmtURLCreds || format == fmtSASL || format == fmtWG || format == fmtOpenVPN || format == fmtRedis:
			if placeholder(a.value) {
				continue
			}
			s.add(it, a.value)
			continue
		}
		fallback, isFallback := fallbackNames[strings.ToLower(a.name)]
		if isFallback {
			if strings.TrimSpace(a.value) == "" || placeholder(a.value) && !strings.Contains(a.value, ",") {
				continue
			}
			it.Kind = KindAppSecret
			if fallback != "" && it.App == "" {
				it.App = fallback
			}
			it.Note = "previous keys the application still accepts: they are leaked too, and rotation removes them"
			s.add(it, a.value)
			continue
		}
		if !isSecretSetting(a.name, a.value) {
			continue
		}
		switch base.Kind {
		case KindDB, KindAppSecret, KindSystemd:
			it.Kind = classifyName(a.name, base.Kind)
			if base.Kind == KindSystemd && it.Kind == KindToken {
				it.Kind = KindSystemd
			}
		case KindCloud, KindToken, KindBackup, KindMail, KindRedis, KindVPN:
			// the location says what it is
		default:
			it.Kind = classifyName(a.name, KindToken)
		}
		if it.Kind == KindAppSecret && it.App == "" {
			it.App = appOfSecret(a.name)
		}
		s.add(it, a.value)
	}
	if len(salts) > 0 {
		it := base
		it.Kind = KindAppSecret
		it.Line = salts[0].line
		it.Name = "WordPress keys and salts"
		var names, vals []string
		for _, a := range salts {
			names = append(names, a.name)
			vals = append(vals, a.name+"="+a.value)
		}
		it.Note = strings.Join(names, ", ")
		s.add(it, strings.Join(vals, "\n"))
	}
}

func appOfSecret(name string) string {
	switch strings.ToLower(name) {
	case "app_key":
		return "laravel"
	case "secret_key":
		return "django"
	case "secret_key_base":
		return "rails"
	case "blowfish_secret":
		return "phpmyadmin"
	}
	return ""
}

// detectEnvApp tells which framework a .env belongs to.
func detectEnvApp(as []assign) string {
	for _, a := range as {
		switch a.name {
		case "APP_KEY":
			if strings.HasPrefix(a.value, "base64:") {
				return "laravel"
			}
		case "DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE":
			return "django"
		case "SECRET_KEY_BASE", "RAILS_MASTER_KEY":
			return "rails"
		case "APP_SECRET":
			return "symfony"
		}
	}
	return ""
}

// dbCreds is a database account put together from a file's settings.
type dbCreds struct {
	ref      DBRef
	password assign
}

// dbSettings finds the database account a file configures (one per file: the first password
// setting that belongs to a database).
func dbSettings(base Item, format string, as []assign) *dbCreds {
	get := func(section string, names ...string) string {
		for _, n := range names {
			for _, a := range as {
				if (section == "*" || a.section == section) && strings.EqualFold(a.name, n) {
					return a.value
				}
			}
		}
		return ""
	}
	for _, a := range as {
		n := strings.ToLower(a.name)
		sec := a.section
		var d DBRef
		switch {
		case format == fmtPgpass && n == "password":
			d = DBRef{Engine: "postgresql", Host: get(sec, "host"), Port: get(sec, "port"), Database: get(sec, "database"), User: get(sec, "user")}
		case format == fmtINI && base.App == "mysql" && n == "password" && (sec == "client" || sec == "mysql" || sec == "mysqldump" || sec == "mysqladmin" || sec == "client-server" || sec == ""):
			d = DBRef{Engine: "mysql", User: get(sec, "user"), Host: get(sec, "host"), Port: get(sec, "port"), Socket: get(sec, "socket")}
		case base.App == "wordpress" && a.name == "DB_PASSWORD":
			d = DBRef{Engine: "mysql", User: get("*", "DB_USER"), Database: get("*", "DB_NAME")}
			host := get("*", "DB_HOST")
			d.Host, d.Port, d.Socket = splitWPHost(host)
		case (format == fmtEnv) && a.name == "DB_PASSWORD":
			d = DBRef{Engine: engineOf(get("*", "DB_CONNECTION", "DB_DRIVER", "DB_ENGINE")), User: get("*", "DB_USERNAME", "DB_USER"),
				Host: get("*", "DB_HOST"), Port: get("*", "DB_PORT"), Socket: get("*", "DB_SOCKET"), Database: get("*", "DB_DATABASE", "DB_NAME")}
		case format == fmtPython && a.name == "PASSWORD":
			d = DBRef{Engine: engineOf(get("*", "ENGINE")), User: get("*", "USER"), Host: get("*", "HOST"), Port: get("*", "PORT"), Database: get("*", "NAME")}
		case format == fmtYAML && base.App == "rails" && n == "password":
			d = DBRef{Engine: engineOf(get(sec, "adapter")), User: get(sec, "username"), Host: get(sec, "host"), Port: get(sec, "port"),
				Socket: get(sec, "socket"), Database: get(sec, "database")}
		case base.App == "phpmyadmin" && (n == "dbpass" || n == "controlpass"):
			d = DBRef{Engine: "mysql", User: get("*", "dbuser", "controluser"), Host: get("*", "dbserver", "host"), Port: get("*", "dbport"), Database: get("*", "dbname")}
		case base.App == "dbconfig-common" && a.name == "dbc_dbpass":
			d = DBRef{Engine: engineOf(get("*", "dbc_dbtype")), User: get("*", "dbc_dbuser"), Host: get("*", "dbc_dbserver"), Port: get("*", "dbc_dbport"), Database: get("*", "dbc_dbname")}
		default:
			continue
		}
		if d.Engine == "" {
			d.Engine = "mysql"
		}
		return &dbCreds{ref: d, password: a}
	}
	return nil
}

// splitWPHost reads WordPress's DB_HOST: "host", "host:port" or "host:/path/to/socket".
func splitWPHost(h string) (host, port, socket string) {
	host = h
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h, "]") || strings.Contains(h, "]:") {
		if i := strings.LastIndexByte(h, ':'); i > 0 {
			host = h[:i]
			rest := h[i+1:]
			if strings.HasPrefix(rest, "/") {
				socket = rest
			} else {
				port = rest
			}
		}
	}
	return
}

func engineOf(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "postgres") || strings.Contains(l, "pgsql") || l == "pg":
		return "postgresql"
	case strings.Contains(l, "mysql") || strings.Contains(l, "maria"):
		return "mysql"
	case strings.Contains(l, "sqlite"):
		return "sqlite"
	}
	return ""
}

// shell finds secrets on command lines (crontabs, histories, scripts).
func (s *scanner) shell(base Item, text string) {
	lines(text, func(n int, l string) {
		if len(l) > 8192 {
			l = l[:8192]
		}
		for _, p := range shellSecrets {
			for _, m := range p.re.FindAllStringSubmatch(l, 4) {
				val := firstGroup(m, 1)
				name := p.what
				if p.rule == "exported-secret" {
					if !isSecretSetting(m[1], firstGroup(m, 2)) {
						continue
					}
					val = firstGroup(m, 2)
					name = "exported " + m[1]
				}
				if placeholder(val) {
					continue
				}
				it := base
				it.Line = n
				it.Name = name
				it.Rule = "nowwhat:" + p.rule
				if p.kind != "" {
					it.Note = "a " + kindNoun(p.kind) + " written where every reader of this file sees it"
				}
				s.add(it, val)
			}
		}
	})
	s.rules(base, text)
}

func kindNoun(k string) string {
	switch k {
	case KindDB:
		return "database password"
	case KindPassword:
		return "account password"
	case KindBackup:
		return "backup passphrase"
	}
	return "credential"
}

// systemd reads unit files: secret Environment= settings, SetCredential= values, and the files
// EnvironmentFile= and LoadCredential= name.
func (s *scanner) systemd(base Item, text string) {
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		switch k {
		case "Environment":
			for _, w := range splitUnitWords(v) {
				name, val, ok := strings.Cut(w, "=")
				if ok && isSecretSetting(name, val) {
					it := base
					it.Line, it.Name = n, "Environment "+name
					s.add(it, val)
				}
			}
		case "EnvironmentFile":
			p := strings.TrimPrefix(v, "-")
			if strings.HasPrefix(p, "/") {
				s.file(hostfs.Clean(p), KindSystemd, fmtEnv, base.App)
			}
		case "SetCredential":
			name, val, ok := strings.Cut(v, ":")
			if ok && val != "" {
				it := base
				it.Line, it.Name = n, "SetCredential "+name
				s.add(it, val)
			}
		case "LoadCredential":
			_, p, ok := strings.Cut(v, ":")
			if ok && strings.HasPrefix(p, "/") {
				s.file(hostfs.Clean(p), KindSystemd, fmtWhole, base.App)
			}
		}
	})
}

// splitUnitWords splits an Environment= value into its quoted words.
func splitUnitWords(v string) []string {
	var out []string
	var b strings.Builder
	var q byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && (c == ' ' || c == '\t'):
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// walkApps searches an app root for the catalog's "**/" credential locations, by name.
func (s *scanner) walkApps(dir string, depth int, apps []*catalog.Location) {
	if depth > s.opt.AppDepth || s.visited > maxAppFiles || s.ctx.Err() != nil {
		return
	}
	ents, err := s.fs.ReadDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) && depth == 0 {
			s.notCovered(dir, err)
		}
		return
	}
	for _, e := range ents {
		s.visited++
		p := path.Join(dir, e.Name)
		switch s.typeOf(p, e) {
		case "dir":
			if skipDirs[e.Name] || strings.HasPrefix(e.Name, ".") && e.Name != ".config" {
				continue
			}
			s.walkApps(p, depth+1, apps)
		case "file":
			for _, l := range apps {
				if matchTail(p, l.Rel()) {
					s.file(p, l.Cred.Kind, l.Cred.Reader, l.Cred.App)
					break
				}
			}
		}
	}
}

func (s *scanner) typeOf(p string, e hostfs.DirEntry) string {
	if e.Type != "" {
		return e.Type
	}
	st, err := s.fs.Lstat(p)
	if err != nil {
		return ""
	}
	return st.Type()
}

// folder reads every regular file below a folder location (links not followed, 4 levels).
func (s *scanner) folder(dir string, c *catalog.Cred, depth int) {
	if depth > 3 || s.ctx.Err() != nil {
		return
	}
	ents, err := s.fs.ReadDir(dir)
	if err != nil {
		if !hostfs.IsNotExist(err) {
			s.notCovered(dir, err)
		}
		return
	}
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		switch s.typeOf(p, e) {
		case "dir":
			s.folder(p, c, depth+1)
		case "file":
			s.file(p, c.Kind, c.Reader, c.App)
		}
	}
}

// matchTail reports whether the last segments of host path p match rel ("config/database.yml",
// "sites/*/settings.php"), segment by segment.
func matchTail(p, rel string) bool {
	ps := strings.Split(p, "/")
	rs := strings.Split(rel, "/")
	if len(rs) >= len(ps) {
		return false
	}
	ps = ps[len(ps)-len(rs):]
	for i := range rs {
		if ok, err := path.Match(rs[i], ps[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// sshPublic gives the SHA256 fingerprint of the public half of an SSH private key: from the key
// itself when it is not protected by a passphrase, else from the .pub file beside it.
func sshPublic(fsys *hostfs.FS, p, pemText string) string {
	if k, err := ssh.ParseRawPrivateKey([]byte(pemText)); err == nil {
		if signer, err := ssh.NewSignerFromKey(k); err == nil {
			return ssh.FingerprintSHA256(signer.PublicKey())
		}
	}
	if data, err := fsys.ReadFile(p+".pub", 64<<10); err == nil {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
			return ssh.FingerprintSHA256(pub)
		}
	}
	return ""
}
