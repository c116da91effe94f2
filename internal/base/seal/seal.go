// Package seal signs snapshots and checks their signatures, so a baseline that an attacker on the
// host rewrote is refused instead of trusted. Keys and signatures are minisign's (Ed25519 over a
// BLAKE2b-512 digest of the file), so a baseline can also be checked with the standard tool:
// `minisign -Vm host.snap -p nowwhat.pub`. The secret key is meant to stay off the server.
package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"aead.dev/minisign"
	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// SigSuffix is appended to a file's name to name its detached signature, as minisign does.
const SigSuffix = ".minisig"

// ErrUnsigned means a snapshot has no signature file.
var ErrUnsigned = errors.New("no signature")

// KeyPaths gives the secret and public key files of a prefix.
func KeyPaths(prefix string) (secret, public string) {
	return prefix + ".key", prefix + ".pub"
}

// GenerateKey writes PREFIX.key (mode 0600; encrypted with password unless it is empty) and
// PREFIX.pub. Existing files are never overwritten.
func GenerateKey(prefix, password string) (secretPath, publicPath string, err error) {
	secretPath, publicPath = KeyPaths(prefix)
	for _, p := range []string{secretPath, publicPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("%s already exists: choose another prefix or move the old key away (never overwrite a key that sealed baselines)", p)
		}
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	var secret []byte
	if password != "" {
		secret, err = minisign.EncryptKey(password, priv)
	} else {
		secret, err = priv.MarshalText()
	}
	if err != nil {
		return "", "", fmt.Errorf("encode secret key: %w", err)
	}
	pubText, err := pub.MarshalText()
	if err != nil {
		return "", "", fmt.Errorf("encode public key: %w", err)
	}
	pubFile := append(bytes.TrimSpace(pubText), '\n')
	if err := writeNew(secretPath, append(secret, '\n'), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(publicPath, pubFile, 0o644); err != nil {
		os.Remove(secretPath)
		return "", "", err
	}
	return secretPath, publicPath, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// KeyIsEncrypted reports whether the secret key file needs a password.
func KeyIsEncrypted(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("read secret key: %w", err)
	}
	return minisign.IsEncrypted(data), nil
}

// LoadSecretKey reads a secret key file (PREFIX.key); password is used when the key is encrypted.
func LoadSecretKey(path, password string) (minisign.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("read secret key: %w (give --key the PREFIX.key file made by `nowwhat keygen`)", err)
	}
	if minisign.IsEncrypted(data) {
		key, err := minisign.DecryptKey(password, data)
		if err != nil {
			return key, fmt.Errorf("secret key %s: wrong password or damaged key: %w", path, err)
		}
		return key, nil
	}
	var key minisign.PrivateKey
	if err := key.UnmarshalText(data); err != nil {
		return key, fmt.Errorf("secret key %s is not a minisign secret key: %w", path, err)
	}
	return key, nil
}

// LoadPublicKey reads a public key: a PREFIX.pub file, a PREFIX (".pub" added), or the key
// itself in minisign's base64 form (as `minisign -P` takes it).
func LoadPublicKey(ref string) (minisign.PublicKey, error) {
	var key minisign.PublicKey
	if _, err := os.Stat(ref); err != nil && strings.HasPrefix(ref, "RW") && len(ref) == 56 {
		if err := key.UnmarshalText([]byte(ref)); err == nil {
			return key, nil
		}
	}
	path := ref
	if _, err := os.Stat(path); err != nil && !strings.HasSuffix(path, ".pub") {
		if _, err2 := os.Stat(path + ".pub"); err2 == nil {
			path += ".pub"
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return key, fmt.Errorf("read public key: %w (give --pubkey the PREFIX.pub file made by `nowwhat keygen`)", err)
	}
	if err := key.UnmarshalText(lastLine(data)); err != nil {
		return key, fmt.Errorf("%s is not a minisign public key: %w", path, err)
	}
	return key, nil
}

func lastLine(data []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	return bytes.TrimSpace(lines[len(lines)-1])
}

// Sign writes FILE.minisig for the file at path. trusted is signed along with the file (minisign's
// trusted comment): nowwhat puts the host name and time of the snapshot there.
func Sign(path string, key minisign.PrivateKey, trusted string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	defer f.Close()
	r := minisign.NewReader(f)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", fmt.Errorf("seal: read %s: %w", path, err)
	}
	trusted = "timestamp:" + strconv.FormatInt(time.Now().Unix(), 10) + "\t" + strings.ReplaceAll(trusted, "\n", " ")
	sig := r.SignWithComments(key, trusted, fmt.Sprintf("signature from nowwhat secret key %X", key.ID()))
	out := path + SigSuffix
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, sig, 0o644); err != nil {
		return "", fmt.Errorf("seal: write signature: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("seal: write signature: %w", err)
	}
	return out, nil
}

// Verified says what a good signature vouches for.
type Verified struct {
	KeyID   string
	Trusted string // the signed comment
}

// Open reads the snapshot at path. With a public key the signature in PATH.minisig must verify;
// the bytes verified are copied into private memory and only that copy is read, so the file
// cannot be swapped between the check and the reading. Without a key (unsignedOK) the snapshot is
// opened unverified. path "-" reads standard input.
func Open(path string, pub *minisign.PublicKey, unsignedOK bool) (*snapshot.Reader, *Verified, error) {
	var src io.Reader
	name := path
	if path == "-" {
		src, name = os.Stdin, "standard input"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open snapshot: %w", err)
		}
		defer f.Close()
		src = f
	}
	var sig minisign.Signature
	var sigBytes []byte
	if pub != nil && path != "-" {
		var err error
		sigBytes, err = os.ReadFile(path + SigSuffix)
		switch {
		case err != nil && os.IsNotExist(err):
			if !unsignedOK {
				return nil, nil, fmt.Errorf("%s: %w: there is no signature file %s; seal it on your own machine with `nowwhat seal --key PREFIX.key %s`, or pass --unsigned-ok to use it unverified", name, ErrUnsigned, path+SigSuffix, path)
			}
			pub = nil
		case err != nil:
			return nil, nil, fmt.Errorf("read signature %s: %w", path+SigSuffix, err)
		default:
			if err := sig.UnmarshalText(sigBytes); err != nil {
				return nil, nil, fmt.Errorf("signature %s is damaged or not a minisign signature: %w", path+SigSuffix, err)
			}
		}
	} else if pub != nil && path == "-" {
		return nil, nil, errors.New("a baseline read from standard input cannot be verified: give the file name so its .minisig is found")
	} else if !unsignedOK {
		return nil, nil, fmt.Errorf("%s: refusing to use a snapshot without checking its signature: give --pubkey PREFIX.pub, or --unsigned-ok to use it unverified", name)
	}
	fd, err := unix.MemfdCreate("nowwhat-baseline", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot: private memory: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:"+filepath.Base(name))
	mr := minisign.NewReader(src)
	if _, err := io.Copy(mem, mr); err != nil {
		mem.Close()
		return nil, nil, fmt.Errorf("read snapshot %s: %w", name, err)
	}
	var v *Verified
	if pub != nil {
		if sig.KeyID != pub.ID() {
			mem.Close()
			return nil, nil, fmt.Errorf("signature check failed for %s: it was signed by key %X, but the public key given is %X; give the matching --pubkey", name, sig.KeyID, pub.ID())
		}
		if !mr.Verify(*pub, sigBytes) {
			mem.Close()
			return nil, nil, fmt.Errorf("signature check failed for %s: the file does not match its signature %s: it was changed after it was sealed (or the signature was); do not trust it, use another baseline", name, path+SigSuffix)
		}
		v = &Verified{KeyID: fmt.Sprintf("%X", pub.ID()), Trusted: sig.TrustedComment}
	}
	r, err := snapshot.OpenFile(mem, name)
	if err != nil {
		mem.Close()
		return nil, nil, err
	}
	return r, v, nil
}
