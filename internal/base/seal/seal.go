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

	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// maxKeyFile bounds a key file (a real one is under a kilobyte).
const maxKeyFile = 64 << 10

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
	data, err := localfile.ReadFile(path, "the PREFIX.key file made by `nowwhat keygen`", maxKeyFile)
	if err != nil {
		return false, fmt.Errorf("read secret key: %w", err)
	}
	return minisign.IsEncrypted(data), nil
}

// LoadSecretKey reads a secret key file (PREFIX.key); password is used when the key is encrypted.
func LoadSecretKey(path, password string) (minisign.PrivateKey, error) {
	data, err := localfile.ReadFile(path, "the PREFIX.key file made by `nowwhat keygen`", maxKeyFile)
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
	data, err := localfile.ReadFile(path, "the PREFIX.pub file made by `nowwhat keygen`", maxKeyFile)
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

// maxSignature bounds a .minisig file (a real one is a few hundred bytes).
const maxSignature = 64 << 10

// Open reads the snapshot at path. With a public key the signature in PATH.minisig must verify;
// the bytes verified are copied into private memory and only that copy is read, so the file
// cannot be swapped between the check and the reading. Without a key (unsignedOK) the snapshot is
// opened unverified, read in place. path "-" reads standard input (into private memory).
//
// Nothing is read past the size the snapshot's own header gives (SQLite's page size times its
// page count): a device, a FIFO or a link is refused before it is read, and a stream that goes
// on past that size is refused rather than followed.
func Open(path string, pub *minisign.PublicKey, unsignedOK bool) (*snapshot.Reader, *Verified, error) {
	var src io.Reader
	var size int64 = -1 // of a regular file
	name := path
	var file *os.File
	if path == "-" {
		src, name = os.Stdin, "standard input"
	} else {
		f, st, err := localfile.Open(path, "a snapshot file written by `nowwhat snapshot` or `nowwhat baseline`")
		if err != nil {
			return nil, nil, fmt.Errorf("open snapshot: %w", err)
		}
		file, src, size = f, f, st.Size()
		defer func() {
			if file != nil {
				file.Close()
			}
		}()
	}
	var sig minisign.Signature
	var sigBytes []byte
	if pub != nil && path != "-" {
		var err error
		sigBytes, err = localfile.ReadFile(path+SigSuffix, "the minisign signature written by `nowwhat seal`", maxSignature)
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
	if pub == nil && file != nil {
		// Unverified and a regular file: read in place (OpenFile checks its header and size).
		r, err := snapshot.OpenFile(file, name)
		if err != nil {
			return nil, nil, err
		}
		file = nil // the Reader owns it now
		return r, nil, nil
	}
	// What is copied into private memory: a regular file's size, or what a stream's header gives.
	limit := size
	var prefix []byte
	if size < 0 {
		head := make([]byte, 100)
		if _, err := io.ReadFull(src, head); err != nil {
			return nil, nil, fmt.Errorf("%s is not a nowwhat snapshot (%v before the end of an SQLite header); give a file written by `nowwhat snapshot` or `nowwhat baseline`", name, err)
		}
		declared, err := snapshot.DeclaredSize(head, name)
		if err != nil {
			return nil, nil, err
		}
		limit, prefix = declared, head
	}
	if lim := memoryCap(); limit > lim {
		return nil, nil, fmt.Errorf("snapshot %s is %d bytes, more than half of this machine's memory (%d bytes), where it would be copied to be checked: use a machine with more memory", name, limit, lim)
	}
	fd, err := unix.MemfdCreate("nowwhat-baseline", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("open snapshot: private memory: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:"+filepath.Base(name))
	mr := minisign.NewReader(io.MultiReader(bytes.NewReader(prefix), src))
	n, err := io.Copy(mem, io.LimitReader(mr, limit))
	if err == nil && n < limit {
		err = fmt.Errorf("it ended after %d bytes, where %d were expected", n, limit)
	}
	if err == nil && path == "-" {
		// A stream that goes on is not this snapshot (and may never end): look one byte further.
		if k, _ := src.Read(make([]byte, 1)); k > 0 {
			err = fmt.Errorf("more bytes follow the %d its header gives", limit)
		}
	}
	if err != nil {
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

// memoryCap is the most a snapshot copied into private memory may take: half of this machine's
// memory (1 GiB when the kernel does not say).
func memoryCap() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil || si.Totalram == 0 {
		return 1 << 30
	}
	return int64(si.Totalram) * int64(si.Unit) / 2
}
