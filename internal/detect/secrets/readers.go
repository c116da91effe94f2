package secrets

// Where credentials live is the catalog's (internal/base/catalog: every location with a Cred);
// this file names the readers those locations use, and what the search for application
// configuration leaves out.

// Readers of the catalog's credential locations (catalog.Cred.Reader), each in parse.go.
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

// skipDirs are never entered under AppRoots: dependencies, caches and version control, which
// hold examples and test fixtures rather than this server's secrets.
var skipDirs = map[string]bool{
	"node_modules": true, "vendor": true, ".git": true, ".svn": true, ".hg": true, "cache": true,
	".cache": true, "tmp": true, "__pycache__": true, "site-packages": true, "dist-packages": true,
	"test": true, "tests": true, "spec": true, "fixtures": true, "examples": true, "docs": true,
	".npm": true, ".cargo": true, "go": true, ".local": true, "uploads": true, "proc": true,
}
