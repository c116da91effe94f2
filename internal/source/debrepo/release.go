// Package debrepo fetches a package from a Debian archive and proves it is Debian's, in pure Go
// and without the host's apt: the suite's InRelease is checked against the Debian archive keys
// (embedded at build time, or a keyring the operator gives), the Packages index against the
// SHA-256 the signed InRelease lists, and the .deb against the SHA-256 that index lists. Nothing
// the suspect host says is trusted beyond which package and version to look for and where its
// mirrors are: a mirror can only serve what Debian signed.
package debrepo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// keyFiles are the Debian archive's signing keys, as the debian-archive-keyring package ships
// them (/etc/apt/trusted.gpg.d/*.asc), copied into the source tree on a clean machine and
// checked against pinned fingerprints by the package's tests.
//
//go:embed keys/*.asc
var keyFiles embed.FS

// Keyring is a set of OpenPGP public keys that may sign a suite, and where it came from.
type Keyring struct {
	Source string
	keys   openpgp.EntityList
}

// Fingerprints lists the primary keys' fingerprints (upper-case hex).
func (k *Keyring) Fingerprints() []string {
	var out []string
	for _, e := range k.keys {
		out = append(out, strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)))
	}
	sort.Strings(out)
	return out
}

// DebianKeyring is the Debian archive keyring embedded in nowwhat at build time.
func DebianKeyring() (*Keyring, error) {
	k := &Keyring{Source: "the Debian archive keys built into nowwhat"}
	err := fs.WalkDir(keyFiles, "keys", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := keyFiles.ReadFile(p)
		if err != nil {
			return err
		}
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("embedded key %s: %w", p, err)
		}
		k.keys = append(k.keys, el...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// LoadKeyring reads a keyring file the operator gives (armored or binary, one or more keys),
// or every *.asc, *.gpg and *.pgp file of a folder.
func LoadKeyring(p string) (*Keyring, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	files := []string{p}
	if st.IsDir() {
		files = nil
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		for _, e := range ents {
			if ext := path.Ext(e.Name()); ext == ".asc" || ext == ".gpg" || ext == ".pgp" {
				files = append(files, path.Join(p, e.Name()))
			}
		}
	}
	k := &Keyring{Source: p}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		if len(data) > 16<<20 {
			return nil, fmt.Errorf("keyring %s: larger than 16 MiB", f)
		}
		var el openpgp.EntityList
		if bytes.Contains(data[:min(len(data), 64)], []byte("-----BEGIN PGP")) {
			el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		} else {
			el, err = openpgp.ReadKeyRing(bytes.NewReader(data))
		}
		if err != nil {
			return nil, fmt.Errorf("keyring %s: %w", f, err)
		}
		k.keys = append(k.keys, el...)
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("keyring %s: no key in it", p)
	}
	return k, nil
}

// Release is a verified InRelease file: the suite and the digests of its indices.
type Release struct {
	Suite, Codename, Origin string
	Date, ValidUntil        time.Time
	Components              []string
	Architectures           []string
	SHA256                  map[string]Digest // index path (main/binary-amd64/Packages.xz) -> digest
	Signer                  string            // fingerprint of the key that signed it
}

// Digest is an index's size and SHA-256.
type Digest struct {
	Size   int64
	SHA256 string
}

// ErrSignature marks an InRelease whose signature does not verify against the keyring.
var ErrSignature = errors.New("bad signature")

// VerifyInRelease checks an InRelease file's signature and reads what it signs. Only the signed
// text is read: anything around the signed block is ignored.
func VerifyInRelease(data []byte, k *Keyring, now time.Time) (*Release, error) {
	if len(data) > 64<<20 {
		return nil, errors.New("InRelease larger than 64 MiB")
	}
	b, _ := clearsign.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: InRelease is not a clear-signed message", ErrSignature)
	}
	cfg := &packet.Config{Time: func() time.Time { return now }}
	signer, err := b.VerifySignature(k.keys, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: InRelease does not verify against %s: %v", ErrSignature, k.Source, err)
	}
	r := &Release{SHA256: map[string]Digest{}}
	if signer != nil {
		r.Signer = strings.ToUpper(hex.EncodeToString(signer.PrimaryKey.Fingerprint))
	}
	if err := parseRelease(b.Plaintext, r); err != nil {
		return nil, err
	}
	if !r.ValidUntil.IsZero() && now.After(r.ValidUntil) {
		// The installed version is what is looked for, not the newest: an expired index still
		// lists Debian's own digests for what it held. Said, not refused.
		r.Origin += " (expired " + r.ValidUntil.Format(time.DateOnly) + ")"
	}
	return r, nil
}

func parseRelease(text []byte, r *Release) error {
	var inSHA bool
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if inSHA {
				f := strings.Fields(line)
				if len(f) != 3 || len(f[0]) != 64 {
					continue
				}
				n, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil || n < 0 {
					continue
				}
				r.SHA256[f[2]] = Digest{Size: n, SHA256: strings.ToLower(f[0])}
			}
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		inSHA = k == "SHA256"
		switch k {
		case "Suite":
			r.Suite = v
		case "Codename":
			r.Codename = v
		case "Origin":
			r.Origin = v
		case "Components":
			r.Components = strings.Fields(v)
		case "Architectures":
			r.Architectures = strings.Fields(v)
		case "Date":
			r.Date, _ = time.Parse(time.RFC1123, strings.Replace(v, "UTC", "GMT", 1))
		case "Valid-Until":
			r.ValidUntil, _ = time.Parse(time.RFC1123, strings.Replace(v, "UTC", "GMT", 1))
		}
	}
	if len(r.SHA256) == 0 {
		return errors.New("InRelease lists no SHA256 digests")
	}
	return nil
}

// CheckSHA256 compares data with a digest.
func CheckSHA256(what string, data []byte, size int64, want string) error {
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if size >= 0 && int64(len(data)) != size {
		return fmt.Errorf("%w: %s is %d bytes, the signed index says %d", ErrDigest, what, len(data), size)
	}
	if got != strings.ToLower(want) {
		return fmt.Errorf("%w: %s has SHA-256 %s, the signed index says %s", ErrDigest, what, got, want)
	}
	return nil
}

// ErrDigest marks a file whose digest differs from what the signed chain says.
var ErrDigest = errors.New("digest mismatch")
