package secrets

// Where credentials live on a Linux server. This is the one list the inventory reads from, so
// that moving it into the project's catalog of locations is a single change.
//
// A path starting with "~/" is looked for in every account's home (and /root); other paths are
// host paths. Paths may hold glob patterns (*, ?, [...]) in any element; "**" is not a pattern:
// folders searched below are listed in AppRoots.

// Formats of the files, each read by its own reader in parse.go.
const (
	fmtShadow   = "shadow"
	fmtPEM      = "pem"      // one or more PEM private keys (TLS, SSH, DKIM, OpenVPN static key)
	fmtINI      = "ini"      // key = value with [sections]: my.cnf, AWS, rclone
	fmtEnv      = "env"      // KEY=value: .env, EnvironmentFile=, restic/borg env files
	fmtPHP      = "php"      // define('K','v'), $v = 'x', $cfg['k'] = 'x', 'k' => 'x'
	fmtPython   = "python"   // NAME = 'x', 'KEY': 'x'
	fmtYAML     = "yaml"     // key: value, with nesting by indentation
	fmtJSON     = "json"     // any string under a sensitive key
	fmtPgpass   = "pgpass"   // host:port:db:user:password
	fmtNetrc    = "netrc"    // machine M login L password P
	fmtURLCreds = "urlcreds" // https://user:token@host, one a line
	fmtRedis    = "redis"    // requirepass / masterauth, ACL users with >password
	fmtSASL     = "sasl"     // [host]:port user:password
	fmtWG       = "wireguard"
	fmtOpenVPN  = "openvpn" // inline <key>, <tls-auth>, <tls-crypt> blocks
	fmtWhole    = "whole"   // the whole file is the secret (tokens, credstore, master.key)
	fmtKeytab   = "keytab"  // binary Kerberos keytab
	fmtSystemd  = "systemd" // unit files: Environment=, EnvironmentFile=, SetCredential=, LoadCredential=
	fmtShell    = "shell"   // crontabs, histories, scripts: secrets on command lines
)

// location is one place to look.
type location struct {
	path   string
	kind   string
	format string
	app    string // the program the file belongs to, for people and for rotation
}

// locations are the fixed places. Application configuration found under AppRoots is added by
// appFiles.
var locations = []location{
	// Accounts.
	{"/etc/shadow", KindPassword, fmtShadow, ""},

	// SSH private keys of users (authorized keys and host keys come from sshd's configuration).
	{"~/.ssh/*", KindSSHPrivate, fmtPEM, "ssh"},

	// TLS keys and the ACME account.
	{"/etc/ssl/private/*", KindTLS, fmtPEM, ""},
	{"/etc/pki/tls/private/*", KindTLS, fmtPEM, ""},
	{"/etc/letsencrypt/archive/*/privkey*.pem", KindTLS, fmtPEM, "certbot"},
	{"/etc/letsencrypt/accounts/*/directory/*/private_key.json", KindACME, fmtWhole, "certbot"},
	{"/etc/nginx/*.key", KindTLS, fmtPEM, "nginx"},
	{"/etc/nginx/*/*.key", KindTLS, fmtPEM, "nginx"},
	{"/etc/nginx/*/*.pem", KindTLS, fmtPEM, "nginx"},
	{"/etc/apache2/*/*.key", KindTLS, fmtPEM, "apache2"},
	{"/etc/apache2/*/*.pem", KindTLS, fmtPEM, "apache2"},
	{"/etc/haproxy/*.pem", KindTLS, fmtPEM, "haproxy"},
	{"/etc/haproxy/*/*.pem", KindTLS, fmtPEM, "haproxy"},
	{"/etc/postfix/*.key", KindTLS, fmtPEM, "postfix"},
	{"/etc/postfix/*.pem", KindTLS, fmtPEM, "postfix"},
	{"/etc/dovecot/private/*", KindTLS, fmtPEM, "dovecot"},
	{"/etc/mysql/*.pem", KindTLS, fmtPEM, "mysql"},
	{"/var/lib/mysql/*-key.pem", KindTLS, fmtPEM, "mysql"},
	{"/etc/postgresql/*/main/*.key", KindTLS, fmtPEM, "postgresql"},
	{"/var/lib/postgresql/*/main/server.key", KindTLS, fmtPEM, "postgresql"},

	// Database client files and server-side maintenance accounts.
	{"~/.my.cnf", KindDB, fmtINI, "mysql"},
	{"~/.mylogin.cnf", KindDB, fmtWhole, "mysql"},
	{"/etc/mysql/debian.cnf", KindDB, fmtINI, "mysql"},
	{"~/.pgpass", KindDB, fmtPgpass, "postgresql"},
	{"/etc/phpmyadmin/config-db.php", KindDB, fmtPHP, "phpmyadmin"},
	{"/etc/phpmyadmin/config.inc.php", KindAppSecret, fmtPHP, "phpmyadmin"},
	{"/var/lib/phpmyadmin/blowfish_secret.inc.php", KindAppSecret, fmtPHP, "phpmyadmin"},
	{"/etc/wordpress/config-*.php", KindDB, fmtPHP, "wordpress"},
	{"/etc/dbconfig-common/*.conf", KindDB, fmtEnv, "dbconfig-common"},

	// Redis.
	{"/etc/redis/*.conf", KindRedis, fmtRedis, "redis"},
	{"/etc/redis.conf", KindRedis, fmtRedis, "redis"},
	{"/etc/redis/users.acl", KindRedis, fmtRedis, "redis"},

	// Cloud.
	{"~/.aws/credentials", KindCloud, fmtINI, "aws"},
	{"~/.aws/config", KindCloud, fmtINI, "aws"},
	{"~/.config/gcloud/application_default_credentials.json", KindCloud, fmtJSON, "gcloud"},
	{"~/.config/gcloud/legacy_credentials/*/adc.json", KindCloud, fmtJSON, "gcloud"},
	{"~/.config/gcloud/credentials.db", KindCloud, fmtWhole, "gcloud"},
	{"~/.config/gcloud/access_tokens.db", KindCloud, fmtWhole, "gcloud"},
	{"~/.azure/accessTokens.json", KindCloud, fmtJSON, "azure"},
	{"~/.azure/msal_token_cache.json", KindCloud, fmtJSON, "azure"},
	{"~/.azure/service_principal_entries.json", KindCloud, fmtJSON, "azure"},

	// Tokens for services.
	{"~/.kube/config", KindToken, fmtYAML, "kubernetes"},
	{"/etc/kubernetes/admin.conf", KindToken, fmtYAML, "kubernetes"},
	{"/etc/rancher/k3s/k3s.yaml", KindToken, fmtYAML, "kubernetes"},
	{"~/.docker/config.json", KindToken, fmtJSON, "docker"},
	{"~/.git-credentials", KindToken, fmtURLCreds, "git"},
	{"~/.config/git/credentials", KindToken, fmtURLCreds, "git"},
	{"~/.netrc", KindToken, fmtNetrc, "netrc"},
	{"~/.npmrc", KindToken, fmtINI, "npm"},
	{"~/.composer/auth.json", KindToken, fmtJSON, "composer"},
	{"~/.config/composer/auth.json", KindToken, fmtJSON, "composer"},
	{"~/.vault-token", KindToken, fmtWhole, "vault"},
	{"~/.config/gh/hosts.yml", KindToken, fmtYAML, "github-cli"},
	{"~/.pypirc", KindToken, fmtINI, "pypi"},

	// Backups.
	{"~/.config/rclone/rclone.conf", KindBackup, fmtINI, "rclone"},
	{"/etc/restic/*", KindBackup, fmtEnv, "restic"},
	{"~/.config/restic/*", KindBackup, fmtEnv, "restic"},
	{"/etc/borgmatic/config.yaml", KindBackup, fmtYAML, "borgmatic"},
	{"/etc/borgmatic.d/*.yaml", KindBackup, fmtYAML, "borgmatic"},
	{"~/.config/borg/keys/*", KindBackup, fmtWhole, "borg"},

	// Mail relay and DKIM.
	{"/etc/postfix/sasl_passwd", KindMail, fmtSASL, "postfix"},
	{"/etc/postfix/sasl/sasl_passwd", KindMail, fmtSASL, "postfix"},
	{"/etc/msmtprc", KindMail, fmtINI, "msmtp"},
	{"~/.msmtprc", KindMail, fmtINI, "msmtp"},
	{"/etc/ssmtp/ssmtp.conf", KindMail, fmtINI, "ssmtp"},
	{"/etc/dkimkeys/*", KindDKIM, fmtPEM, "opendkim"},
	{"/etc/opendkim/keys/*", KindDKIM, fmtPEM, "opendkim"},
	{"/etc/opendkim/keys/*/*", KindDKIM, fmtPEM, "opendkim"},
	{"/var/lib/rspamd/dkim/*", KindDKIM, fmtPEM, "rspamd"},
	{"/etc/exim4/dkim/*", KindDKIM, fmtPEM, "exim4"},

	// VPN and Kerberos.
	{"/etc/wireguard/*.conf", KindVPN, fmtWG, "wireguard"},
	{"/etc/openvpn/*.conf", KindVPN, fmtOpenVPN, "openvpn"},
	{"/etc/openvpn/*/*.conf", KindVPN, fmtOpenVPN, "openvpn"},
	{"/etc/openvpn/*.key", KindVPN, fmtPEM, "openvpn"},
	{"/etc/openvpn/*/*.key", KindVPN, fmtPEM, "openvpn"},
	{"/etc/openvpn/*/*/*.key", KindVPN, fmtPEM, "openvpn"},
	{"/etc/krb5.keytab", KindKeytab, fmtKeytab, "kerberos"},
	{"/etc/*.keytab", KindKeytab, fmtKeytab, "kerberos"},
	{"/etc/*/*.keytab", KindKeytab, fmtKeytab, "kerberos"},

	// systemd.
	{"/etc/systemd/system/*.service", KindSystemd, fmtSystemd, "systemd"},
	{"/etc/systemd/system/*.d/*.conf", KindSystemd, fmtSystemd, "systemd"},
	{"/etc/credstore/*", KindSystemd, fmtWhole, "systemd"},
	{"/etc/credstore.encrypted/*", KindSystemd, fmtWhole, "systemd"},
	{"/etc/default/*", KindSystemd, fmtEnv, ""},

	// Crontabs and histories.
	{"/etc/crontab", KindCron, fmtShell, "cron"},
	{"/etc/cron.d/*", KindCron, fmtShell, "cron"},
	{"/var/spool/cron/crontabs/*", KindCron, fmtShell, "cron"},
	{"/var/spool/cron/*", KindCron, fmtShell, "cron"},
	{"~/.bash_history", KindHistory, fmtShell, "bash"},
	{"~/.zsh_history", KindHistory, fmtShell, "zsh"},
	{"~/.sh_history", KindHistory, fmtShell, "sh"},
	{"~/.ash_history", KindHistory, fmtShell, "ash"},
	{"~/.local/share/fish/fish_history", KindHistory, fmtShell, "fish"},
	{"~/.mysql_history", KindHistory, fmtShell, "mysql"},
	{"~/.mariadb_history", KindHistory, fmtShell, "mariadb"},
	{"~/.psql_history", KindHistory, fmtShell, "psql"},
	{"~/.python_history", KindHistory, fmtShell, "python"},
	{"~/.rediscli_history", KindHistory, fmtShell, "redis-cli"},
}

// AppRoots are the folders searched (to a bounded depth) for web and application configuration.
var AppRoots = []string{"/var/www", "/srv", "/opt", "/home", "/root", "/usr/local/www", "/usr/share/nginx"}

// appFile is an application configuration file recognised by name under AppRoots.
type appFile struct {
	name   string // base name, or "dir/name" for a file that must sit in a folder named dir
	format string
	app    string
}

var appFiles = []appFile{
	{"wp-config.php", fmtPHP, "wordpress"},
	{".env", fmtEnv, "dotenv"},
	{".env.production", fmtEnv, "dotenv"},
	{".env.local", fmtEnv, "dotenv"},
	{".env.prod", fmtEnv, "dotenv"},
	{"settings.py", fmtPython, "django"},
	{"local_settings.py", fmtPython, "django"},
	{"production.py", fmtPython, "django"},
	{"config/database.yml", fmtYAML, "rails"},
	{"config/secrets.yml", fmtYAML, "rails"},
	{"config/master.key", fmtWhole, "rails"},
	{"credentials/production.key", fmtWhole, "rails"},
	{"config.inc.php", fmtPHP, "phpmyadmin"},
	{"configuration.php", fmtPHP, "joomla"},
	{"settings.php", fmtPHP, "drupal"},
	{"env.php", fmtPHP, "magento"},
	{"config.php", fmtPHP, "php"},
	{"parameters.yml", fmtYAML, "symfony"},
	{"appsettings.json", fmtJSON, "dotnet"},
	{"application.properties", fmtEnv, "spring"},
	{"auth.json", fmtJSON, "composer"},
}

// skipDirs are never entered under AppRoots: dependencies, caches and version control, which
// hold examples and test fixtures rather than this server's secrets.
var skipDirs = map[string]bool{
	"node_modules": true, "vendor": true, ".git": true, ".svn": true, ".hg": true, "cache": true,
	".cache": true, "tmp": true, "__pycache__": true, "site-packages": true, "dist-packages": true,
	"test": true, "tests": true, "spec": true, "fixtures": true, "examples": true, "docs": true,
	".npm": true, ".cargo": true, "go": true, ".local": true, "uploads": true, "proc": true,
}
