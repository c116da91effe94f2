// Package secrets inventories the credentials a host holds, the way an intruder with root would
// find them: account passwords, SSH keys (authorized, private and host keys), TLS and ACME keys,
// database passwords in application and client configuration, application secrets, cloud and
// service tokens, backup passphrases, mail, DKIM, VPN and Kerberos keys, systemd credentials,
// and secrets left in crontabs and shell histories.
//
// Every read goes through hostfs. No secret ever leaves this package in clear: an Item says what
// the secret is, where it lives, whose it is, how old it is and how it is rotated, and carries a
// keyed fingerprint (HMAC-SHA256 under a key the caller keeps, such as the case's), so a later
// run can tell the same secret from a new one. The value itself is held only in memory, behind
// an accessor, for the rotation step that must use it (to log in with an old database password
// and set a new one, or to prove the old one dead).
package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kinds of credential. They are a contract: `nowwhat rotate --only KIND` takes them.
const (
	KindPassword    = "password"           // account passwords in /etc/shadow
	KindAuthorized  = "ssh-authorized-key" // a key that lets someone in over SSH
	KindSSHPrivate  = "ssh-private-key"    // a user's private SSH key stored on the host
	KindHostKey     = "ssh-host-key"       // the host's own SSH keys
	KindTLS         = "tls-key"            // TLS private keys
	KindACME        = "acme-account"       // the ACME (Let's Encrypt) account key
	KindDB          = "db-password"        // database credentials in app configs and client files
	KindRedis       = "redis-password"     // Redis requirepass / masterauth
	KindAppSecret   = "app-secret"         // WordPress salts, Laravel APP_KEY, Django SECRET_KEY, ...
	KindCloud       = "cloud-key"          // AWS, Google Cloud, Azure credentials
	KindToken       = "token"              // kubeconfig, registry, git, npm, composer, vault, API tokens
	KindBackup      = "backup-passphrase"  // rclone, restic, borg
	KindMail        = "mail-relay"         // SMTP relay passwords (postfix sasl_passwd)
	KindDKIM        = "dkim-key"           // DKIM signing keys
	KindVPN         = "vpn-key"            // WireGuard and OpenVPN keys
	KindKeytab      = "keytab"             // Kerberos keytabs
	KindSystemd     = "systemd-credential" // Environment=, EnvironmentFile=, credstore
	KindCron        = "cron-secret"        // secrets written into crontabs
	KindHistory     = "history-secret"     // secrets typed into shell and client histories
	KindUnspecified = "other-secret"       // a secret a rule found where no structured reader looked
)

// Kinds lists every kind, in the order the inventory prints them.
var Kinds = []string{KindPassword, KindAuthorized, KindSSHPrivate, KindHostKey, KindTLS, KindACME,
	KindDB, KindRedis, KindAppSecret, KindCloud, KindToken, KindBackup, KindMail, KindDKIM, KindVPN,
	KindKeytab, KindSystemd, KindCron, KindHistory, KindUnspecified}

// KnownKind reports whether k is one of Kinds.
func KnownKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Rotation methods: how an item is rotated.
const (
	MethodPassword  = "password"   // on the host: a new random password, or expiry with a forced change
	MethodPrune     = "prune"      // on the host: an unknown authorized key is removed
	MethodKeep      = "keep"       // an authorized key known to the baseline or listed by the operator stays
	MethodHostKey   = "host-key"   // on the host: new host keys made in Go
	MethodAppSecret = "app-secret" // on the host: the secret regenerated in its file, atomically
	MethodDB        = "db"         // on the host: a new password set over the database's local socket, config updated
	MethodGuided    = "guided"     // by the operator, with exact steps: at a provider, on another machine
)

// DBRef says which database account a credential opens (never its password).
type DBRef struct {
	Engine   string `json:"engine"` // mysql or postgresql
	User     string `json:"user"`
	Host     string `json:"host,omitempty"`
	Port     string `json:"port,omitempty"`
	Socket   string `json:"socket,omitempty"`
	Database string `json:"database,omitempty"`
}

// Local reports whether the database runs on this host (loopback, a socket, or no host).
func (d *DBRef) Local() bool {
	if d == nil {
		return false
	}
	h := strings.ToLower(strings.TrimSpace(d.Host))
	return h == "" || h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "[::1]" || strings.HasPrefix(h, "/") || d.Socket != ""
}

// Item is one credential found on the host. It never holds the secret in a form that prints.
type Item struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Path        string    `json:"path,omitempty"`  // file on the host
	Line        int       `json:"line,omitempty"`  // 1-based line in Path, 0 for a whole file
	Store       string    `json:"store,omitempty"` // where it lives when not a file line: "mysql", "postgresql"
	Name        string    `json:"name"`            // what it is: "DB_PASSWORD", "AUTH_KEY", "password of alice"
	Owner       string    `json:"owner"`           // whose: an account, or the app
	App         string    `json:"app,omitempty"`   // wordpress, laravel, django, rails, phpmyadmin, ...
	Fingerprint string    `json:"fingerprint"`     // keyed: HMAC-SHA256 of the secret, 16 hex digits
	PublicKey   string    `json:"public_key,omitempty"`
	Modified    time.Time `json:"modified,omitzero"` // when the secret was last set (file time, shadow's last change)
	Method      string    `json:"method"`
	How         string    `json:"how"` // how it is rotated, for people
	Rule        string    `json:"rule"`
	DB          *DBRef    `json:"db,omitempty"`
	Known       string    `json:"known,omitempty"` // SSH keys: "baseline", "operator" or "unknown"
	Note        string    `json:"note,omitempty"`

	secret *box // the value, in memory only; a pointer, so even %+v of an Item prints no secret
}

type box struct{ v string }

// Secret returns the secret's value, for the rotation step that must use it. Never print it.
func (it *Item) Secret() string {
	if it.secret == nil {
		return ""
	}
	return it.secret.v
}

// HasSecret reports whether the value is held in memory (it is not after a round trip through JSON).
func (it *Item) HasSecret() bool { return it.secret != nil && it.secret.v != "" }

// Age says how long ago the secret was set, in days (-1 when unknown).
func (it *Item) Age(now time.Time) int {
	if it.Modified.IsZero() {
		return -1
	}
	return int(now.Sub(it.Modified).Hours() / 24)
}

// Where tells where the item lives, for people: path:line, or the store.
func (it *Item) Where() string {
	switch {
	case it.Path != "" && it.Line > 0:
		return fmt.Sprintf("%s:%d", it.Path, it.Line)
	case it.Path != "":
		return it.Path
	}
	return it.Store
}

// Fingerprinter keys fingerprints of secrets.
type Fingerprinter struct{ key []byte }

// NewFingerprinter keys fingerprints with key (at least 16 bytes).
func NewFingerprinter(key []byte) (*Fingerprinter, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("fingerprint key of %d bytes: need at least 16", len(key))
	}
	return &Fingerprinter{key: append([]byte(nil), key...)}, nil
}

// Of is the keyed fingerprint of a secret: the first 16 hex digits of HMAC-SHA256(key, value).
// Without the key it tells nothing of the value.
func (f *Fingerprinter) Of(value string) string {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// itemID is stable across runs for the same credential in the same place: it depends on the
// kind, the file, the setting's name, the owner and (for SSH keys) the public key, never on the
// secret, so a rotated secret keeps its ID.
func itemID(kind, path, name, owner, pub string) string {
	if kind != KindAuthorized {
		pub = "" // a host or user key keeps its ID when it is replaced
	}
	h := sha256.Sum256([]byte(kind + "\x00" + path + "\x00" + name + "\x00" + owner + "\x00" + pub))
	return shortKind(kind) + "-" + hex.EncodeToString(h[:])[:10]
}

func shortKind(k string) string {
	switch k {
	case KindPassword:
		return "pw"
	case KindAuthorized:
		return "ak"
	case KindSSHPrivate:
		return "sk"
	case KindHostKey:
		return "hk"
	case KindTLS:
		return "tls"
	case KindACME:
		return "acme"
	case KindDB:
		return "db"
	case KindRedis:
		return "redis"
	case KindAppSecret:
		return "app"
	case KindCloud:
		return "cloud"
	case KindToken:
		return "tok"
	case KindBackup:
		return "bak"
	case KindMail:
		return "mail"
	case KindDKIM:
		return "dkim"
	case KindVPN:
		return "vpn"
	case KindKeytab:
		return "ktab"
	case KindSystemd:
		return "sysd"
	case KindCron:
		return "cron"
	case KindHistory:
		return "hist"
	}
	return "sec"
}

// Inventory is every credential found under one root.
type Inventory struct {
	Root       string    `json:"root"`
	Taken      time.Time `json:"taken"`
	Items      []Item    `json:"items"`
	NotCovered []string  `json:"not_covered,omitempty"` // what could not be read, and why
	Rules      string    `json:"rules"`                 // the rule sets used
	FilesRead  int       `json:"files_read"`            // files the readers opened
}

// Counts tells how many items of each kind.
func (inv *Inventory) Counts() map[string]int {
	out := map[string]int{}
	for _, it := range inv.Items {
		out[it.Kind]++
	}
	return out
}

// ByID finds an item.
func (inv *Inventory) ByID(id string) (*Item, bool) {
	for i := range inv.Items {
		if inv.Items[i].ID == id {
			return &inv.Items[i], true
		}
	}
	return nil, false
}

func (inv *Inventory) sort() {
	order := map[string]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sort.SliceStable(inv.Items, func(i, j int) bool {
		a, b := inv.Items[i], inv.Items[j]
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Name < b.Name
	})
}
