package accounts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Password states, as stored in snapshot.User.Password.
const (
	StateSet      = "set"      // a usable crypt hash: the password logs in
	StateLocked   = "locked"   // a real hash behind "!" or "*": locked, unlocks with usermod -U
	StateDisabled = "disabled" // no hash at all ("*", "!", "!!", "*LK*", "x" in shadow...): no password login
	StateEmpty    = "empty"    // empty field: no password needed at all
	StateMissing  = "missing"  // passwd says "x" but shadow has no line for the account
	StateUnknown  = "unknown"  // passwd says "x" and shadow could not be read
)

// HashAlg names the crypt(3) scheme of a hash from its prefix: md5crypt, sha256crypt,
// sha512crypt, yescrypt, gost-yescrypt, scrypt, bcrypt, sha1crypt, sunmd5, nthash, bsdicrypt,
// des (13-character legacy DES), "unknown" for another "$id$" scheme, and "" when the text
// cannot be a hash at all (crypt would fail on it, so no password can match).
func HashAlg(h string) string {
	if strings.HasPrefix(h, "$") {
		for _, p := range []struct{ prefix, name string }{
			{"$1$", "md5crypt"},
			{"$5$", "sha256crypt"},
			{"$6$", "sha512crypt"},
			{"$y$", "yescrypt"},
			{"$gy$", "gost-yescrypt"},
			{"$7$", "scrypt"},
			{"$2a$", "bcrypt"},
			{"$2b$", "bcrypt"},
			{"$2x$", "bcrypt"},
			{"$2y$", "bcrypt"},
			{"$sha1$", "sha1crypt"},
			{"$md5", "sunmd5"},
			{"$3$", "nthash"},
		} {
			if strings.HasPrefix(h, p.prefix) {
				return p.name
			}
		}
		return "unknown"
	}
	if len(h) == 20 && h[0] == '_' && cryptChars(h[1:]) {
		return "bsdicrypt"
	}
	if len(h) == 13 && cryptChars(h) {
		return "des"
	}
	return ""
}

func cryptChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Classify tells the state and algorithm of a password field as pam_unix would use it:
// "" is empty; a hash is set; a hash behind leading "!" or "*" is locked; anything else that
// starts with "!" or "*", or that cannot be a hash, is disabled. alg is "" when there is no hash.
func Classify(field string) (state, alg string) {
	if field == "" {
		return StateEmpty, ""
	}
	rest := strings.TrimLeft(field, "!*")
	locked := len(rest) != len(field)
	alg = HashAlg(rest)
	switch {
	case alg == "":
		return StateDisabled, ""
	case locked:
		return StateLocked, alg
	}
	return StateSet, alg
}

// Fingerprint is the keyed fingerprint of a password field: the first 16 hex characters of
// HMAC-SHA256(key, field). It changes when the field changes, and reveals nothing of it
// without the key.
func Fingerprint(key []byte, field string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(field))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// LoginShell reports whether a shell lets an account log in interactively. Shells whose last
// element is nologin, false, true, sync, shutdown or halt do not. An empty shell DOES: login(1)
// and sshd run /bin/sh for an account whose shell field is empty.
func LoginShell(shell string) bool {
	s := strings.TrimSpace(shell)
	if s == "" {
		return true
	}
	base := s[strings.LastIndexByte(s, '/')+1:]
	switch base {
	case "nologin", "false", "true", "sync", "shutdown", "halt":
		return false
	}
	return true
}
