package casedir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// TrustName is the file of the case that lists what the operators vouch for.
const TrustName = "trust.json"

// Trust is an address range and/or an SSH key that an operator vouches for (`nowwhat trust
// add`): a login from it is a colleague's, and what that session changed is theirs, unless
// something marks the session hostile (a guessing burst before it, an exploit).
type Trust struct {
	ID       string    `json:"id"`
	Address  string    `json:"address,omitempty"` // a prefix in CIDR form (an address alone is /32 or /128)
	Key      string    `json:"key,omitempty"`     // SHA256:... fingerprint of an SSH key
	Who      string    `json:"who"`
	Note     string    `json:"note,omitempty"`
	Added    time.Time `json:"added"`
	Operator string    `json:"operator"`
}

// Matches reports whether a login from ip with key fingerprint key is vouched for: every field
// the entry sets must match.
func (t Trust) Matches(ip, key string) bool {
	if t.Address == "" && t.Key == "" {
		return false
	}
	if t.Address != "" {
		p, err := netip.ParsePrefix(t.Address)
		if err != nil {
			return false
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || !p.Contains(a.Unmap()) {
			return false
		}
	}
	if t.Key != "" && t.Key != key {
		return false
	}
	return true
}

// NormalizeTrust checks an entry's fields and puts them in canonical form: an address becomes
// a prefix, a key must be a SHA256 fingerprint as sshd logs it.
func NormalizeTrust(t Trust) (Trust, error) {
	t.Address = strings.TrimSpace(t.Address)
	t.Key = strings.TrimSpace(t.Key)
	t.Who = strings.TrimSpace(t.Who)
	if t.Address == "" && t.Key == "" {
		return t, errors.New("give --address CIDR, --key SHA256:..., or both")
	}
	if t.Who == "" {
		return t, errors.New("give --who NAME: the person this address or key belongs to")
	}
	if t.Address != "" {
		if p, err := netip.ParsePrefix(t.Address); err == nil {
			t.Address = p.Masked().String()
		} else if a, err := netip.ParseAddr(t.Address); err == nil {
			a = a.Unmap()
			t.Address = netip.PrefixFrom(a, a.BitLen()).String()
		} else {
			return t, fmt.Errorf("--address %q: give an address or a prefix such as 192.0.2.10 or 192.0.2.0/24", t.Address)
		}
		if p, _ := netip.ParsePrefix(t.Address); p.Bits() < 16 && p.Addr().Is4() || p.Bits() < 32 && p.Addr().Is6() {
			return t, fmt.Errorf("--address %s is too wide to vouch for people (at most a /16 for IPv4, a /32 for IPv6)", t.Address)
		}
	}
	if t.Key != "" {
		b64, ok := strings.CutPrefix(t.Key, "SHA256:")
		if !ok || len(b64) != 43 || strings.Trim(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
			return t, fmt.Errorf("--key %q: give the key's SHA256 fingerprint as sshd logs it (SHA256: and 43 characters; ssh-keygen -lf KEY.pub prints it)", t.Key)
		}
	}
	return t, nil
}

// Trusts reads the case's trust entries (none when the file is absent).
func (c *Case) Trusts() ([]Trust, error) {
	var out []Trust
	err := ReadResult(filepath.Join(c.Dir, TrustName), &out)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("trust list of the case: %w", err)
	}
	return out, nil
}

// AddTrust checks, completes and records an entry, and returns it with its id. The same
// address and key again is refused.
func (c *Case) AddTrust(t Trust) (Trust, error) {
	t, err := NormalizeTrust(t)
	if err != nil {
		return t, err
	}
	list, err := c.Trusts()
	if err != nil {
		return t, err
	}
	for _, x := range list {
		if x.Address == t.Address && x.Key == t.Key {
			return x, fmt.Errorf("already trusted as %s (%s)", x.ID, x.Who)
		}
	}
	if t.Added.IsZero() {
		t.Added = time.Now().UTC()
	}
	if t.Operator == "" {
		t.Operator, _ = Operator()
	}
	sum := sha256.Sum256([]byte(t.Address + "\x00" + t.Key))
	t.ID = "T-" + hex.EncodeToString(sum[:])[:8]
	list = append(list, t)
	return t, c.writeTrust(list)
}

// RemoveTrust removes the entry with the given id and returns it.
func (c *Case) RemoveTrust(id string) (Trust, error) {
	list, err := c.Trusts()
	if err != nil {
		return Trust{}, err
	}
	for i, x := range list {
		if x.ID == id {
			return x, c.writeTrust(append(list[:i:i], list[i+1:]...))
		}
	}
	return Trust{}, fmt.Errorf("no trust entry %q in this case (nowwhat trust list shows them)", id)
}

func (c *Case) writeTrust(list []Trust) error {
	sort.Slice(list, func(i, j int) bool { return list[i].Added.Before(list[j].Added) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.Dir, ".trust-*")
	if err != nil {
		return fmt.Errorf("write trust list: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write trust list: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write trust list: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write trust list: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(c.Dir, TrustName)); err != nil {
		return fmt.Errorf("write trust list: %w", err)
	}
	return nil
}
