package rotate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// errProbe ends a probe once sshd has answered.
var errProbe = errors.New("probe done")

// probeSigner offers a public key without its private half: sshd answers a query for the key
// (RFC 4252 7, no signature) with PK_OK when it would accept it, and only then does the client
// ask for a signature, which this signer refuses. So a real sshd tells whether it accepts a key
// whose private key nobody here has (the intruder's).
type probeSigner struct {
	pub      ssh.PublicKey
	accepted *bool
}

func (p probeSigner) PublicKey() ssh.PublicKey { return p.pub }
func (p probeSigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	*p.accepted = true
	return nil, errProbe
}
func (p probeSigner) SignWithAlgorithm(r io.Reader, d []byte, _ string) (*ssh.Signature, error) {
	return p.Sign(r, d)
}
func (p probeSigner) Algorithms() []string {
	if p.pub.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{p.pub.Type()}
}

// SSHAccepts asks the sshd at addr whether it would accept key for user.
func SSHAccepts(addr, user string, key ssh.PublicKey) (bool, error) {
	accepted := false
	var signer ssh.Signer = probeSigner{pub: key, accepted: &accepted}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // only asking; nothing is sent but the public key
		Timeout:         10 * time.Second,
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if c != nil {
		c.Close()
	}
	if accepted {
		return true, nil
	}
	if err == nil {
		return true, nil
	}
	var ne net.Error
	if errors.As(err, &ne) || isDialErr(err) {
		return false, err
	}
	return false, nil
}

func isDialErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// HostKeys asks the sshd at addr for its host key of each type, returning the fingerprints
// offered.
func HostKeys(addr string) ([]string, error) {
	var out []string
	var firstErr error
	for _, alg := range []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512} {
		var got ssh.PublicKey
		cfg := &ssh.ClientConfig{
			User:              "nowwhat-hostkey-probe",
			Auth:              []ssh.AuthMethod{ssh.Password(randomString(16, alnum))},
			HostKeyAlgorithms: []string{alg},
			HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
				got = k
				return errProbe
			},
			Timeout: 10 * time.Second,
		}
		c, err := ssh.Dial("tcp", addr, cfg)
		if c != nil {
			c.Close()
		}
		if got != nil {
			out = append(out, got.Type()+" "+ssh.FingerprintSHA256(got))
			continue
		}
		if err != nil && isDialErr(err) && firstErr == nil {
			firstErr = err
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, fmt.Errorf("reach sshd at %s: %w", addr, firstErr)
	}
	return out, nil
}

var _ = rand.Reader
