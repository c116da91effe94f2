package secrets

import (
	"regexp"
	"strings"
)

// sensitiveName matches setting names that hold a secret.
var sensitiveName = regexp.MustCompile(`(?i)(pass(word|wd|phrase)?$|pass(word|wd|phrase)?[_.-]|pwd|secret|token|api[_-]?key|apikey|auth[_-]?key|private[_-]?key|access[_-]?key|client[_-]?secret|_salt$|^salt$|credential|app[_-]?key|^_auth$|^auth$|requirepass|masterauth|encryption[_-]?key|signing[_-]?key|^client-key-data$|_key$|^key$|^privatekey$|^presharedkey$)`)

// notSecretName matches names that look sensitive but hold no secret: identifiers, paths,
// switches and limits.
var notSecretName = regexp.MustCompile(`(?i)(_id$|^id$|key_?id$|_file$|_path$|_dir$|_url_?path$|_enabled?$|_length$|_len$|_ttl$|_timeout$|_expire|_lifetime$|_algo(rithm)?$|_cipher$|_type$|_name$|_user(name)?$|_host$|_port$|_driver$|_min$|_max$|_reset$|_hint$|_policy$|_required$|_rounds$|_cost$|_size$|_header$|_field$|_prefix$|_suffix$|_version$|_mode$|_format$|_method$|_scheme$|_store$|_storage$|_provider$|_class$|_table$|_column$|_route$|_endpoint$|_param$|_query$|_cache$|_lock$|_count$|_sample$|_minimum$|_maximum$|_strength$|_command$|^fingerprint$|_fingerprint$|keyring|keymap|keyboard|keyserver|keytype|sort_?key|_ssl_key$|^ssl_key$|^key_file$|partition_?key|primary_?key|foreign_?key|cache_?key|api_?key_?header|token_?url|token_?uri|auth_?uri|auth_?url|auth_?type|auth_?method|auth_?mode|auth_?provider|_key_(name|id|path|file)$)`)

// placeholder reports whether a value is not a real secret: empty, a well-known example, or a
// reference to another place (environment variable, template, another variable).
func placeholder(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" || len(t) < 3 {
		return true
	}
	l := strings.ToLower(t)
	switch l {
	case "password", "passwd", "changeme", "change_me", "change-me", "changeit", "secret", "xxx", "xxxx",
		"xxxxxx", "your_password", "yourpassword", "your-password", "your_secret", "null", "none", "nil",
		"true", "false", "yes", "no", "on", "off", "example", "default", "required", "optional",
		"put your unique phrase here", "database_name_here", "username_here", "password_here",
		"your-secret-key", "your_secret_key", "secret_key", "mysecret", "mypassword", "redacted",
		"<password>", "<secret>", "<token>", "***", "*****", "********", "undefined", "empty",
		"some_password", "somepassword", "root", "test", "dummy", "foo", "bar", "s3cret":
		return true
	}
	if strings.Trim(l, "x*.-_ ") == "" {
		return true
	}
	for _, p := range []string{"$", "${", "%(", "{{", "<%", "#{", "env(", "getenv(", "os.environ", "env[", "env.fetch", "process.env",
		"config(", "secrets.", "vault:", "keyring:", "!vault", "[redacted", "<your", "your_", "your-", "<insert", "insert_", "replace_me", "replace-me", "todo"} {
		if strings.HasPrefix(l, p) || (len(p) > 3 && strings.Contains(l, p)) {
			return true
		}
	}
	if strings.HasPrefix(t, "/") && !strings.ContainsAny(t, " ") && strings.Count(t, "/") > 1 {
		// a path, not a secret (EnvironmentFile, key files); the file itself is read where listed
		return true
	}
	return false
}

// isSecretSetting reports whether an assignment holds a real secret.
func isSecretSetting(name, value string) bool {
	if !sensitiveName.MatchString(name) || notSecretName.MatchString(name) {
		return false
	}
	return !placeholder(value)
}

// classifyName sorts a secret setting of an application into a kind by its name.
func classifyName(name string, fallback string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "aws_secret") || strings.Contains(n, "aws_session") || strings.Contains(n, "azure_client_secret") ||
		strings.Contains(n, "google_") || strings.Contains(n, "gcp_") || strings.Contains(n, "do_token") || strings.Contains(n, "digitalocean") ||
		strings.Contains(n, "hcloud") || strings.Contains(n, "linode") || strings.Contains(n, "ovh_") || strings.Contains(n, "cloudflare"):
		return KindCloud
	case strings.Contains(n, "redis"):
		return KindRedis
	case strings.Contains(n, "mail") || strings.Contains(n, "smtp"):
		return KindMail
	case strings.Contains(n, "restic") || strings.Contains(n, "borg") || strings.Contains(n, "rclone"):
		return KindBackup
	case dbPasswordName(n):
		return KindDB
	case appSecretName(n):
		return KindAppSecret
	}
	if fallback == "" {
		return KindToken
	}
	return fallback
}

func dbPasswordName(n string) bool {
	n = strings.ToLower(n)
	switch n {
	case "db_password", "db_pass", "dbpass", "dbpassword", "database_password", "mysql_password", "mysql_pwd",
		"pgpassword", "postgres_password", "postgresql_password", "mariadb_password", "db_passwd", "controlpass":
		return true
	}
	return false
}

// wpSalts are WordPress's authentication keys and salts: rotated together.
var wpSalts = []string{"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"}

func isWPSalt(n string) bool {
	for _, s := range wpSalts {
		if n == s {
			return true
		}
	}
	return false
}

// fallbackNames hold previous keys that an application still accepts: they must go.
var fallbackNames = map[string]string{
	"app_previous_keys":     "laravel",
	"secret_key_fallbacks":  "django",
	"previous_secret_keys":  "",
	"secret_key_base_dummy": "",
}

func appSecretName(n string) bool {
	n = strings.ToLower(n)
	if _, ok := fallbackNames[n]; ok {
		return true
	}
	switch n {
	case "app_key", "secret_key", "secret_key_base", "app_secret", "jwt_secret", "jwt_key", "jwt_secret_key",
		"session_secret", "cookie_secret", "nextauth_secret", "encryption_key", "blowfish_secret", "django_secret_key",
		"laravel_key", "signing_key", "hash_salt", "secret":
		return true
	}
	return isWPSalt(strings.ToUpper(n)) || strings.HasPrefix(n, "jwt_") && strings.Contains(n, "secret")
}

// shellSecret patterns: secrets on command lines and in crontabs, which code scanners miss
// because they look for token formats, not for how administrators pass passwords.
var shellSecrets = []struct {
	rule string
	re   *regexp.Regexp
	kind string
	what string
}{
	{"mysql-password-argument", regexp.MustCompile(`\b(?:mysql|mysqldump|mariadb|mariadb-dump|mysqladmin|mysqlimport|mysqlcheck)\b[^|;&\n]*?\s-p(?:'([^']+)'|"([^"]+)"|([^\s'"-][^\s]*))`), KindDB, "MySQL password on a command line"},
	{"password-option", regexp.MustCompile(`--pass(?:word)?[= ](?:'([^']+)'|"([^"]+)"|([^\s'"-][^\s]*))`), "", "--password on a command line"},
	{"pgpassword-env", regexp.MustCompile(`\b(?:PGPASSWORD|MYSQL_PWD)=(?:'([^']+)'|"([^"]+)"|([^\s'"]+))`), KindDB, "database password in the environment"},
	{"sshpass", regexp.MustCompile(`\bsshpass\s+-p\s*(?:'([^']+)'|"([^"]+)"|([^\s'"]+))`), "", "password for sshpass"},
	{"curl-user", regexp.MustCompile(`\bcurl\b[^|;&\n]*?\s(?:-u|--user)\s*(?:'[^':]*:([^']+)'|"[^":]*:([^"]+)"|[^\s:'"]+:([^\s'"]+))`), KindToken, "password for curl"},
	{"url-credentials", regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s:/@'"]+:([^\s@/'"]+)@[^\s'"]+`), "", "password in a URL"},
	{"backup-passphrase-env", regexp.MustCompile(`\b(?:RESTIC_PASSWORD|BORG_PASSPHRASE|RCLONE_CONFIG_PASS|PASSPHRASE)=(?:'([^']+)'|"([^"]+)"|([^\s'"]+))`), KindBackup, "backup passphrase in the environment"},
	{"chpasswd", regexp.MustCompile(`echo\s+(?:'[^':]+:([^']+)'|"[^":]+:([^"]+)"|[^\s:'"]+:([^\s'"|]+))\s*\|\s*(?:sudo\s+)?chpasswd`), KindPassword, "account password given to chpasswd"},
	{"htpasswd-batch", regexp.MustCompile(`\bhtpasswd\s+(?:-[a-zA-Z]*b[a-zA-Z]*)\s+\S+\s+\S+\s+(?:'([^']+)'|"([^"]+)"|([^\s'"]+))`), KindToken, "web password given to htpasswd -b"},
	{"exported-secret", regexp.MustCompile(`\bexport\s+([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']+)'|"([^"]+)"|([^\s'"]+))`), "", "secret exported in the environment"},
	{"identified-by", regexp.MustCompile(`(?i)\bidentified\s+(?:with\s+\S+\s+)?by\s+(?:password\s+)?'([^']+)'`), KindDB, "database password set in SQL"},
	{"alter-role-password", regexp.MustCompile(`(?i)\b(?:alter|create)\s+(?:role|user)\s+\S+.*?\bpassword\s+'([^']+)'`), KindDB, "database password set in SQL"},
}

// firstGroup is the first non-empty submatch after the whole match.
func firstGroup(m []string, from int) string {
	for _, g := range m[from:] {
		if g != "" {
			return g
		}
	}
	return ""
}
