package sshd

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKey is one key line of an authorized_keys file.
type AuthorizedKey struct {
	Line        int
	Marker      string // "@cert-authority" or "@revoked" when a known_hosts-style marker starts the line (sshd rejects such lines)
	Options     string // the options field as written: command="...",from="...",no-pty
	Type        string // the key type as written: ssh-ed25519, ssh-rsa, ...-cert-v01@openssh.com
	Fingerprint string // SHA256:... exactly as ssh-keygen -l prints it (for a certificate: of its key)
	Comment     string
	// Verified is true when golang.org/x/crypto/ssh understood the key; false for key types
	// it does not know (ssh-dss, XMSS, newer types), fingerprinted from the blob as written.
	Verified bool
	// OptionError says why sshd would reject the options (the key is then not usable).
	OptionError string
}

// KeyOption is one option of an authorized_keys line.
type KeyOption struct {
	Name     string // lower-case as sshd compares it: command, from, no-pty, ...
	Value    string // unquoted value ("" without one)
	HasValue bool
}

// keyOptions are the options sshd accepts in authorized_keys, and whether they take a value.
var keyOptions = map[string]bool{
	"agent-forwarding": false, "cert-authority": false, "command": true, "environment": true,
	"expiry-time": true, "from": true, "no-agent-forwarding": false, "no-port-forwarding": false,
	"no-pty": false, "no-user-rc": false, "no-x11-forwarding": false, "no-touch-required": false,
	"permitlisten": true, "permitopen": true, "port-forwarding": false, "principals": true, "pty": false,
	"restrict": false, "tunnel": true, "user-rc": false, "verify-required": false, "x11-forwarding": false,
	"touch-required": false,
}

// ParseKeyOptions splits an options field the way sshd does: comma separated, names compared
// without case, values in double quotes with \" for a quote. It fails on an unknown option, a
// missing or unexpected value, or an unterminated quote (sshd then rejects the whole line),
// returning the options read so far.
func ParseKeyOptions(s string) ([]KeyOption, error) {
	var out []KeyOption
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '=' && s[i] != ',' {
			i++
		}
		name := strings.ToLower(s[:i])
		wantValue, known := keyOptions[name]
		if !known {
			return out, fmt.Errorf("unsupported option %q", truncate(name, 40))
		}
		opt := KeyOption{Name: name}
		s = s[i:]
		if strings.HasPrefix(s, "=") {
			if !wantValue {
				return out, fmt.Errorf("option %q takes no value", name)
			}
			if len(s) < 2 || s[1] != '"' {
				return out, fmt.Errorf("option %q: value not in double quotes", name)
			}
			var b strings.Builder
			j := 2
			closed := false
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) && s[j+1] == '"' {
					b.WriteByte('"')
					j++
					continue
				}
				if s[j] == '"' {
					closed = true
					j++
					break
				}
				b.WriteByte(s[j])
			}
			if !closed {
				return out, fmt.Errorf("option %q: unterminated quote", name)
			}
			opt.Value, opt.HasValue = b.String(), true
			s = s[j:]
		} else if wantValue {
			return out, fmt.Errorf("option %q needs a value", name)
		}
		out = append(out, opt)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return out, fmt.Errorf("option %q: junk after the value", name)
		}
		s = s[1:]
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// knownTypes are the key types OpenSSH reads in authorized_keys.
var knownTypes = map[string]bool{
	"ssh-rsa": true, "ssh-dss": true, "ssh-ed25519": true, "ecdsa-sha2-nistp256": true,
	"ecdsa-sha2-nistp384": true, "ecdsa-sha2-nistp521": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
	"sk-ssh-ed25519@openssh.com": true, "ssh-xmss@openssh.com": true,
	"ssh-rsa-cert-v01@openssh.com": true, "ssh-dss-cert-v01@openssh.com": true,
	"ssh-ed25519-cert-v01@openssh.com": true, "ecdsa-sha2-nistp256-cert-v01@openssh.com": true,
	"ecdsa-sha2-nistp384-cert-v01@openssh.com": true, "ecdsa-sha2-nistp521-cert-v01@openssh.com": true,
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": true, "sk-ssh-ed25519-cert-v01@openssh.com": true,
	"ssh-xmss-cert-v01@openssh.com": true,
}

// plausibleType reports whether a word may be a key type a newer sshd knows: lower-case
// letters, digits, "-", "@" and ".", starting with "ssh-", "ecdsa-", "sk-" or "mldsa".
func plausibleType(t string) bool {
	if knownTypes[t] {
		return true
	}
	if len(t) > 64 || !(strings.HasPrefix(t, "ssh-") || strings.HasPrefix(t, "ecdsa-") || strings.HasPrefix(t, "sk-") || strings.HasPrefix(t, "mldsa")) {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '@' || c == '.') {
			return false
		}
	}
	return true
}

func cutSpace(s string) (word, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

var errNoKey = errors.New("no key")

// parseKeyAt reads "type base64 [comment]" at the start of s.
func parseKeyAt(s string) (k AuthorizedKey, err error) {
	typ, rest := cutSpace(s)
	if !plausibleType(typ) {
		return k, errNoKey
	}
	b64, comment := cutSpace(rest)
	if b64 == "" {
		return k, fmt.Errorf("key type %s without a key", typ)
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		blob, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "="))
	}
	if err != nil {
		return k, fmt.Errorf("%s key is not valid base64", typ)
	}
	if len(blob) < 4 {
		return k, fmt.Errorf("%s key too short", typ)
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || string(blob[4:4+n]) != typ {
		return k, fmt.Errorf("key type %s does not match the key it names", typ)
	}
	k.Type = typ
	k.Comment = strings.TrimSpace(comment)
	pub, perr := ssh.ParsePublicKey(blob)
	switch {
	case perr == nil:
		k.Verified = true
		if cert, ok := pub.(*ssh.Certificate); ok {
			// ssh-keygen -l fingerprints a certificate by its key.
			pub = cert.Key
		}
		k.Fingerprint = ssh.FingerprintSHA256(pub)
	case supportedByXCrypto(typ):
		return k, fmt.Errorf("%s key is malformed: %w", typ, perr)
	default:
		sum := sha256.Sum256(blob)
		k.Fingerprint = "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	}
	return k, nil
}

// supportedByXCrypto reports whether golang.org/x/crypto/ssh parses keys of this type, so a
// parse failure means the key itself is broken.
func supportedByXCrypto(typ string) bool {
	switch typ {
	case "ssh-dss", "ssh-dss-cert-v01@openssh.com", "ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com":
		return false
	}
	return knownTypes[typ]
}

// skipOptions returns the length of the options field at the start of s: up to the first
// blank outside double quotes (\" does not end a quote), as sshd skips it.
func skipOptions(s string) int {
	quoted := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !quoted && (c == ' ' || c == '\t') {
			break
		}
		if c == '\\' && i+1 < len(s) && s[i+1] == '"' {
			i++
			continue
		}
		if c == '"' {
			quoted = !quoted
		}
	}
	return i
}

// ParseAuthorizedKeys parses an authorized_keys file (or a TrustedUserCAKeys file). As sshd
// does, each line is first read as a key, and failing that as options followed by a key.
// Blank lines and comments are skipped; lines that hold no key are LineErrors (which never
// quote the line: a private key pasted by mistake must not end up in a report). Keys whose
// options sshd would reject are returned with OptionError set, and reported too.
func ParseAuthorizedKeys(data []byte) ([]AuthorizedKey, []LineError) {
	var out []AuthorizedKey
	var bad []LineError
	n := 0
	sawPrivate := false
	for len(data) > 0 {
		n++
		var raw []byte
		if i := indexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "-----BEGIN") && strings.Contains(line, "PRIVATE KEY") {
			if !sawPrivate {
				bad = append(bad, LineError{Line: n, Reason: "a private key is stored here (it should never be in an authorized keys file)"})
				sawPrivate = true
			}
			continue
		}
		marker := ""
		if line[0] == '@' {
			marker, line = cutSpace(line)
			marker = truncate(marker, 32)
		}
		k, err := parseKeyAt(line)
		if err != nil {
			o := skipOptions(line)
			opts := line[:o]
			k2, err2 := parseKeyAt(strings.TrimLeft(line[o:], " \t"))
			if err2 != nil {
				reason := "no public key on this line (sshd ignores it)"
				if err != errNoKey {
					reason = err.Error()
				} else if err2 != errNoKey {
					reason = err2.Error()
				}
				bad = append(bad, LineError{Line: n, Reason: reason})
				continue
			}
			k = k2
			k.Options = opts
			if _, oerr := ParseKeyOptions(opts); oerr != nil {
				k.OptionError = oerr.Error()
			}
		}
		k.Line = n
		k.Marker = marker
		if marker != "" {
			bad = append(bad, LineError{Line: n, Reason: "marker " + marker + " is not valid in an authorized keys file (sshd rejects the line)"})
		}
		if k.OptionError != "" {
			bad = append(bad, LineError{Line: n, Reason: "bad options, sshd rejects this key: " + k.OptionError})
		}
		out = append(out, k)
	}
	return out, bad
}

// OptionsText is the options of a key as stored in snapshot.SSHKey.Options: the marker, if
// any, then the options as written.
func (k AuthorizedKey) OptionsText() string {
	switch {
	case k.Marker != "" && k.Options != "":
		return k.Marker + " " + k.Options
	case k.Marker != "":
		return k.Marker
	}
	return k.Options
}
