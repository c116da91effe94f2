package catalog

// Cred says how rotate's credential inventory (internal/detect/secrets) reads the secrets a
// location holds. A file location is read with Reader; a folder location, every regular file
// below it (links not followed, bounded depth); a "**/" location, the files of that name under
// the web, service and home folders.
type Cred struct {
	Kind   string // the credential kind (nowwhat rotate --only KIND): password, tls-key, db-password, ...
	Reader string // the reader of its format: shadow, pem, ini, env, php, python, yaml, json, pgpass, netrc, urlcreds, redis, sasl, wireguard, openvpn, whole, keytab, systemd, shell
	App    string // the program it belongs to, for the rotation steps (aws, certbot, wordpress, ...)
}

var attBackup = []string{"T1552.001", "T1490"}

// credentialLocations are the places only the credential inventory reads (more precise than
// the folders above: one reader per file), appended to the catalog at init.
var credentialLocations = []Location{
	{ID: "cred.letsencrypt.keys", Path: "/etc/letsencrypt/archive/*/privkey*.pem", Kind: Credential, What: "every private key certbot made, current and past", Attack: attKeys, Use: Rotate,
		Secret: "TLS keys: new keys and certificates, the old certificates revoked", Cred: &Cred{"tls-key", "pem", "certbot"}},
	{ID: "cred.letsencrypt.account", Path: "/etc/letsencrypt/accounts/*/directory/*/private_key.json", Kind: Credential, What: "the ACME account key", Attack: attKeys, Use: Rotate,
		Secret: "the ACME account key: certbot unregister, then a new account", Cred: &Cred{"acme-account", "whole", "certbot"}},
	{ID: "cred.nginx.keys", Path: "/etc/nginx/*.key", Kind: Credential, What: "nginx's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "nginx"}},
	{ID: "cred.nginx.keys.sub", Path: "/etc/nginx/*/*.key", Kind: Credential, What: "nginx's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "nginx"}},
	{ID: "cred.nginx.pem", Path: "/etc/nginx/*/*.pem", Kind: Credential, What: "nginx's TLS keys and certificates", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "nginx"}},
	{ID: "cred.apache.keys", Path: "/etc/apache2/*/*.key", Kind: Credential, What: "Apache's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "apache2"}},
	{ID: "cred.apache.pem", Path: "/etc/apache2/*/*.pem", Kind: Credential, What: "Apache's TLS keys and certificates", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "apache2"}},
	{ID: "cred.haproxy.pem", Path: "/etc/haproxy/*.pem", Kind: Credential, What: "HAProxy's certificate and key bundles", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "haproxy"}},
	{ID: "cred.haproxy.pem.sub", Path: "/etc/haproxy/*/*.pem", Kind: Credential, What: "HAProxy's certificate and key bundles", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "haproxy"}},
	{ID: "cred.postfix.keys", Path: "/etc/postfix/*.key", Kind: Credential, What: "Postfix's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "postfix"}},
	{ID: "cred.postfix.pem", Path: "/etc/postfix/*.pem", Kind: Credential, What: "Postfix's TLS keys and certificates", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "postfix"}},
	{ID: "cred.dovecot.keys", Path: "/etc/dovecot/private/", Kind: Credential, What: "Dovecot's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "dovecot"}},
	{ID: "cred.mysql.pem", Path: "/etc/mysql/*.pem", Kind: Credential, What: "MySQL/MariaDB's TLS keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "mysql"}},
	{ID: "cred.mysql.datadir.keys", Path: "/var/lib/mysql/*-key.pem", Kind: Credential, What: "MySQL's generated TLS and RSA keys", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "mysql"}},
	{ID: "cred.postgresql.keys", Path: "/etc/postgresql/*/main/*.key", Kind: Credential, What: "PostgreSQL's TLS key", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "postgresql"}},
	{ID: "cred.postgresql.datadir.key", Path: "/var/lib/postgresql/*/main/server.key", Kind: Credential, What: "PostgreSQL's TLS key", Attack: attKeys, Use: Rotate, Secret: "TLS keys", Cred: &Cred{"tls-key", "pem", "postgresql"}},

	{ID: "cred.mylogin", Path: "~/.mylogin.cnf", Kind: Credential, What: "an account's obfuscated MySQL logins (mysql_config_editor)", Attack: attCreds, Use: Rotate,
		Secret: "each database password it holds", Cred: &Cred{"db-password", "whole", "mysql"}},
	{ID: "cred.phpmyadmin.db", Path: "/etc/phpmyadmin/config-db.php", Kind: Credential, What: "phpMyAdmin's control user password", Attack: attCreds, Use: Rotate,
		Secret: "the control user's database password", Cred: &Cred{"db-password", "php", "phpmyadmin"}},
	{ID: "cred.phpmyadmin.config", Path: "/etc/phpmyadmin/config.inc.php", Kind: Credential, What: "phpMyAdmin's configuration (blowfish_secret)", Attack: attCreds, Use: Rotate,
		Secret: "the cookie encryption secret", Cred: &Cred{"app-secret", "php", "phpmyadmin"}},
	{ID: "cred.phpmyadmin.blowfish", Path: "/var/lib/phpmyadmin/blowfish_secret.inc.php", Kind: Credential, What: "phpMyAdmin's generated blowfish_secret", Attack: attCreds, Use: Rotate,
		Secret: "the cookie encryption secret", Cred: &Cred{"app-secret", "php", "phpmyadmin"}},
	{ID: "cred.wordpress.debian", Path: "/etc/wordpress/config-*.php", Kind: Credential, What: "Debian's WordPress site configurations", Attack: attCreds, Use: Rotate,
		Secret: "the database password and the keys and salts", Cred: &Cred{"db-password", "php", "wordpress"}},
	{ID: "cred.dbconfig", Path: "/etc/dbconfig-common/*.conf", Kind: Credential, What: "database passwords dbconfig-common set up for packages", Attack: attCreds, Use: Rotate,
		Secret: "each package's database password", Cred: &Cred{"db-password", "env", "dbconfig-common"}},

	{ID: "cred.redis", Path: "/etc/redis/*.conf", Kind: Credential, What: "Redis's requirepass and masterauth", Attack: attCreds, Use: Rotate,
		Secret: "the Redis password", Cred: &Cred{"redis-password", "redis", "redis"}},
	{ID: "cred.redis.rhel", Path: "/etc/redis.conf", Kind: Credential, What: "Redis's requirepass and masterauth", Attack: attCreds, Use: Rotate,
		Secret: "the Redis password", Cred: &Cred{"redis-password", "redis", "redis"}},
	{ID: "cred.redis.acl", Path: "/etc/redis/users.acl", Kind: Credential, What: "Redis ACL users' passwords", Attack: attCreds, Use: Rotate,
		Secret: "each ACL user's password", Cred: &Cred{"redis-password", "redis", "redis"}},

	{ID: "cred.gcloud.adc", Path: "~/.config/gcloud/application_default_credentials.json", Kind: Credential, What: "Google Cloud application default credentials", Attack: attCloud, Use: Rotate,
		Secret: "the refresh token or service account key", Cred: &Cred{"cloud-key", "json", "gcloud"}},
	{ID: "cred.gcloud.legacy", Path: "~/.config/gcloud/legacy_credentials/*/adc.json", Kind: Credential, What: "Google Cloud per-account credentials", Attack: attCloud, Use: Rotate,
		Secret: "the refresh token", Cred: &Cred{"cloud-key", "json", "gcloud"}},
	{ID: "cred.gcloud.db", Path: "~/.config/gcloud/credentials.db", Kind: Credential, What: "gcloud's credential store", Attack: attCloud, Use: Rotate,
		Secret: "every account's tokens", Cred: &Cred{"cloud-key", "whole", "gcloud"}},
	{ID: "cred.gcloud.tokens", Path: "~/.config/gcloud/access_tokens.db", Kind: Credential, What: "gcloud's cached access tokens", Attack: attCloud, Use: Rotate,
		Secret: "short-lived tokens (revoke the accounts)", Cred: &Cred{"cloud-key", "whole", "gcloud"}},

	{ID: "cred.kube.admin", Path: "/etc/kubernetes/admin.conf", Kind: Credential, What: "the cluster administrator's kubeconfig", Attack: attCloud, Use: Rotate,
		Secret: "the cluster admin certificate", Cred: &Cred{"token", "yaml", "kubernetes"}},
	{ID: "cred.k3s", Path: "/etc/rancher/k3s/k3s.yaml", Kind: Credential, What: "k3s's admin kubeconfig", Attack: attCloud, Use: Rotate,
		Secret: "the cluster admin credentials", Cred: &Cred{"token", "yaml", "kubernetes"}},
	{ID: "cred.git-credentials.xdg", Path: "~/.config/git/credentials", Kind: Credential, What: "an account's git hosting tokens", Attack: attCreds, Use: Rotate,
		Secret: "each token", Cred: &Cred{"token", "urlcreds", "git"}},
	{ID: "cred.npmrc", Path: "~/.npmrc", Kind: Credential, What: "an account's npm registry token", Attack: attCreds, Use: Rotate,
		Secret: "the registry token", Cred: &Cred{"token", "ini", "npm"}},
	{ID: "cred.composer", Path: "~/.composer/auth.json", Kind: Credential, What: "Composer's registry and forge tokens", Attack: attCreds, Use: Rotate,
		Secret: "each token", Cred: &Cred{"token", "json", "composer"}},
	{ID: "cred.composer.xdg", Path: "~/.config/composer/auth.json", Kind: Credential, What: "Composer's registry and forge tokens", Attack: attCreds, Use: Rotate,
		Secret: "each token", Cred: &Cred{"token", "json", "composer"}},
	{ID: "cred.vault", Path: "~/.vault-token", Kind: Credential, What: "a HashiCorp Vault token", Attack: attCreds, Use: Rotate,
		Secret: "the Vault token", Cred: &Cred{"token", "whole", "vault"}},
	{ID: "cred.gh", Path: "~/.config/gh/hosts.yml", Kind: Credential, What: "GitHub CLI's OAuth token", Attack: attCreds, Use: Rotate,
		Secret: "the OAuth token", Cred: &Cred{"token", "yaml", "github-cli"}},
	{ID: "cred.pypirc", Path: "~/.pypirc", Kind: Credential, What: "PyPI upload tokens", Attack: attCreds, Use: Rotate,
		Secret: "each upload token", Cred: &Cred{"token", "ini", "pypi"}},

	{ID: "cred.rclone", Path: "~/.config/rclone/rclone.conf", Kind: Credential, What: "rclone's remotes (passwords, tokens)", Attack: attBackup, Use: Rotate,
		Secret: "each remote's password or token", Cred: &Cred{"backup-passphrase", "ini", "rclone"}},
	{ID: "cred.restic", Path: "/etc/restic/*", Kind: Credential, What: "restic's repository passwords", Attack: attBackup, Use: Rotate,
		Secret: "the repository password", Cred: &Cred{"backup-passphrase", "env", "restic"}},
	{ID: "cred.restic.home", Path: "~/.config/restic/*", Kind: Credential, What: "restic's repository passwords", Attack: attBackup, Use: Rotate,
		Secret: "the repository password", Cred: &Cred{"backup-passphrase", "env", "restic"}},
	{ID: "cred.borgmatic", Path: "/etc/borgmatic/config.yaml", Kind: Credential, What: "borgmatic's encryption passphrase", Attack: attBackup, Use: Rotate,
		Secret: "the repository passphrase", Cred: &Cred{"backup-passphrase", "yaml", "borgmatic"}},
	{ID: "cred.borgmatic.d", Path: "/etc/borgmatic.d/*.yaml", Kind: Credential, What: "borgmatic's encryption passphrases", Attack: attBackup, Use: Rotate,
		Secret: "the repository passphrase", Cred: &Cred{"backup-passphrase", "yaml", "borgmatic"}},
	{ID: "cred.borg.keys", Path: "~/.config/borg/keys/*", Kind: Credential, What: "borg repository key files", Attack: attBackup, Use: Rotate,
		Secret: "the repository key (and its passphrase)", Cred: &Cred{"backup-passphrase", "whole", "borg"}},

	{ID: "cred.postfix.sasl.sub", Path: "/etc/postfix/sasl/sasl_passwd", Kind: Credential, What: "the mail relay's password", Attack: attCreds, Use: Rotate,
		Secret: "the relay account's password", Cred: &Cred{"mail-relay", "sasl", "postfix"}},
	{ID: "cred.msmtp", Path: "/etc/msmtprc", Kind: Credential, What: "msmtp's relay password", Attack: attCreds, Use: Rotate,
		Secret: "the relay password", Cred: &Cred{"mail-relay", "ini", "msmtp"}},
	{ID: "cred.msmtp.home", Path: "~/.msmtprc", Kind: Credential, What: "an account's msmtp relay password", Attack: attCreds, Use: Rotate,
		Secret: "the relay password", Cred: &Cred{"mail-relay", "ini", "msmtp"}},
	{ID: "cred.ssmtp", Path: "/etc/ssmtp/ssmtp.conf", Kind: Credential, What: "ssmtp's relay password", Attack: attCreds, Use: Rotate,
		Secret: "the relay password", Cred: &Cred{"mail-relay", "ini", "ssmtp"}},
	{ID: "cred.dkim", Path: "/etc/dkimkeys/", Kind: Credential, What: "OpenDKIM's signing keys (Debian)", Attack: attKeys, Use: Rotate,
		Secret: "the DKIM keys", Cred: &Cred{"dkim-key", "pem", "opendkim"}},
	{ID: "cred.opendkim", Path: "/etc/opendkim/keys/", Kind: Credential, What: "OpenDKIM's signing keys", Attack: attKeys, Use: Rotate,
		Secret: "the DKIM keys", Cred: &Cred{"dkim-key", "pem", "opendkim"}},
	{ID: "cred.rspamd.dkim", Path: "/var/lib/rspamd/dkim/", Kind: Credential, What: "rspamd's DKIM keys", Attack: attKeys, Use: Rotate,
		Secret: "the DKIM keys", Cred: &Cred{"dkim-key", "pem", "rspamd"}},
	{ID: "cred.exim.dkim", Path: "/etc/exim4/dkim/", Kind: Credential, What: "Exim's DKIM keys", Attack: attKeys, Use: Rotate,
		Secret: "the DKIM keys", Cred: &Cred{"dkim-key", "pem", "exim4"}},

	{ID: "cred.openvpn.conf", Path: "/etc/openvpn/*.conf", Kind: Credential, What: "OpenVPN configurations with inline keys", Attack: attKeys, Use: Rotate,
		Secret: "inline keys", Cred: &Cred{"vpn-key", "openvpn", "openvpn"}},
	{ID: "cred.openvpn.conf.sub", Path: "/etc/openvpn/*/*.conf", Kind: Credential, What: "OpenVPN configurations with inline keys", Attack: attKeys, Use: Rotate,
		Secret: "inline keys", Cred: &Cred{"vpn-key", "openvpn", "openvpn"}},
	{ID: "cred.openvpn.keys", Path: "/etc/openvpn/*.key", Kind: Credential, What: "OpenVPN keys", Attack: attKeys, Use: Rotate,
		Secret: "OpenVPN keys", Cred: &Cred{"vpn-key", "pem", "openvpn"}},
	{ID: "cred.openvpn.keys.sub", Path: "/etc/openvpn/*/*.key", Kind: Credential, What: "OpenVPN keys", Attack: attKeys, Use: Rotate,
		Secret: "OpenVPN keys", Cred: &Cred{"vpn-key", "pem", "openvpn"}},
	{ID: "cred.openvpn.keys.sub2", Path: "/etc/openvpn/*/*/*.key", Kind: Credential, What: "OpenVPN keys (easy-rsa)", Attack: attKeys, Use: Rotate,
		Secret: "OpenVPN keys", Cred: &Cred{"vpn-key", "pem", "openvpn"}},
	{ID: "cred.keytabs", Path: "/etc/*.keytab", Kind: Credential, What: "service keytabs", Attack: attKeys, Use: Rotate,
		Secret: "the services' Kerberos keys", Cred: &Cred{"keytab", "keytab", "kerberos"}},
	{ID: "cred.keytabs.sub", Path: "/etc/*/*.keytab", Kind: Credential, What: "service keytabs", Attack: attKeys, Use: Rotate,
		Secret: "the services' Kerberos keys", Cred: &Cred{"keytab", "keytab", "kerberos"}},

	{ID: "cred.credstore", Path: "/etc/credstore/", Kind: Credential, What: "systemd's credential store", Attack: attCreds, Use: Rotate,
		Secret: "each credential", Cred: &Cred{"systemd-credential", "whole", "systemd"}},
	{ID: "cred.credstore.encrypted", Path: "/etc/credstore.encrypted/", Kind: Credential, What: "systemd's encrypted credential store", Attack: attCreds, Use: Rotate,
		Secret: "each credential (encrypted with the host's key, which root reads)", Cred: &Cred{"systemd-credential", "whole", "systemd"}},
	{ID: "cred.history.mariadb", Path: "~/.mariadb_history", Kind: Credential, What: "MariaDB client history", Attack: attHistory, Use: Rotate,
		Secret: "passwords typed into SQL", Cred: &Cred{"history-secret", "shell", "mariadb"}},
	{ID: "cred.history.redis", Path: "~/.rediscli_history", Kind: Credential, What: "redis-cli history", Attack: attHistory, Use: Rotate,
		Secret: "passwords typed at AUTH", Cred: &Cred{"history-secret", "shell", "redis-cli"}},

	// Application configuration, recognised by name under the web, service and home folders.
	{ID: "cred.app.env.production", Path: "**/.env.production", Kind: Credential, What: "an application's production environment file", Attack: attCreds, Use: Rotate,
		Secret: "every password, key and token it holds", Cred: &Cred{"app-secret", "env", "dotenv"}},
	{ID: "cred.app.env.local", Path: "**/.env.local", Kind: Credential, What: "an application's local environment file", Attack: attCreds, Use: Rotate,
		Secret: "every password, key and token it holds", Cred: &Cred{"app-secret", "env", "dotenv"}},
	{ID: "cred.app.env.prod", Path: "**/.env.prod", Kind: Credential, What: "an application's production environment file", Attack: attCreds, Use: Rotate,
		Secret: "every password, key and token it holds", Cred: &Cred{"app-secret", "env", "dotenv"}},
	{ID: "cred.app.django", Path: "**/settings.py", Kind: Credential, What: "Django settings (SECRET_KEY, DATABASES)", Attack: attCreds, Use: Rotate,
		Secret: "SECRET_KEY (and its fallbacks) and the database password", Cred: &Cred{"app-secret", "python", "django"}},
	{ID: "cred.app.django.local", Path: "**/local_settings.py", Kind: Credential, What: "Django local settings", Attack: attCreds, Use: Rotate,
		Secret: "SECRET_KEY and the database password", Cred: &Cred{"app-secret", "python", "django"}},
	{ID: "cred.app.django.production", Path: "**/production.py", Kind: Credential, What: "Django production settings", Attack: attCreds, Use: Rotate,
		Secret: "SECRET_KEY and the database password", Cred: &Cred{"app-secret", "python", "django"}},
	{ID: "cred.app.rails.secrets", Path: "**/config/secrets.yml", Kind: Credential, What: "a Rails application's secret_key_base", Attack: attCreds, Use: Rotate,
		Secret: "secret_key_base", Cred: &Cred{"app-secret", "yaml", "rails"}},
	{ID: "cred.app.rails.master", Path: "**/config/master.key", Kind: Credential, What: "a Rails application's master key", Attack: attCreds, Use: Rotate,
		Secret: "the key of credentials.yml.enc", Cred: &Cred{"app-secret", "whole", "rails"}},
	{ID: "cred.app.rails.env-key", Path: "**/credentials/production.key", Kind: Credential, What: "a Rails application's production credentials key", Attack: attCreds, Use: Rotate,
		Secret: "the key of production.yml.enc", Cred: &Cred{"app-secret", "whole", "rails"}},
	{ID: "cred.app.phpmyadmin", Path: "**/config.inc.php", Kind: Credential, What: "phpMyAdmin's configuration", Attack: attCreds, Use: Rotate,
		Secret: "blowfish_secret and the control user's password", Cred: &Cred{"app-secret", "php", "phpmyadmin"}},
	{ID: "cred.app.magento", Path: "**/app/etc/env.php", Kind: Credential, What: "Magento's database password and crypt key", Attack: attCreds, Use: Rotate,
		Secret: "the database password and crypt key", Cred: &Cred{"app-secret", "php", "magento"}},
	{ID: "cred.app.php.config", Path: "**/config.php", Kind: Credential, What: "a PHP application's configuration", Attack: attCreds, Use: Rotate,
		Secret: "the passwords and keys it holds", Cred: &Cred{"app-secret", "php", "php"}},
	{ID: "cred.app.symfony", Path: "**/parameters.yml", Kind: Credential, What: "Symfony's parameters (database password, secret)", Attack: attCreds, Use: Rotate,
		Secret: "the database password and secret", Cred: &Cred{"app-secret", "yaml", "symfony"}},
	{ID: "cred.app.dotnet", Path: "**/appsettings.json", Kind: Credential, What: "an ASP.NET application's settings", Attack: attCreds, Use: Rotate,
		Secret: "connection strings and keys", Cred: &Cred{"app-secret", "json", "dotnet"}},
	{ID: "cred.app.spring", Path: "**/application.properties", Kind: Credential, What: "a Spring application's properties", Attack: attCreds, Use: Rotate,
		Secret: "datasource passwords and keys", Cred: &Cred{"app-secret", "env", "spring"}},
	{ID: "cred.app.composer", Path: "**/auth.json", Kind: Credential, What: "a project's Composer tokens", Attack: attCreds, Use: Rotate,
		Secret: "each token", Cred: &Cred{"token", "json", "composer"}},
}

// CredAppRoots are the folders searched for the "**/" credential locations: web content,
// services, optional software and homes.
var CredAppRoots = []string{"www", "srv", "opt", "nginx.html", "home.users", "home.root"}

// Credentials lists the locations the credential inventory reads, in declaration order.
func Credentials() []*Location {
	var out []*Location
	for _, l := range All() {
		if l.Cred != nil {
			out = append(out, l)
		}
	}
	return out
}
