package rotate

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// Files of the rotation in the case folder.
const (
	stateDir    = "rotate"             // folder in the case: key, ledger, waivers, encrypted files
	keyName     = "fingerprint.key"    // the HMAC key of fingerprints (0600)
	ledgerName  = "ledger.json"        // every credential as first seen (fingerprints, never values)
	waiverName  = "waivers.jsonl"      // rotate waive ID "reason"
	JournalName = "rotation.jsonl"     // the rotation journal, in the case folder beside containment.jsonl
	resultStep  = "rotate"             // results/rotate-TIME.json
	secretsName = "new-secrets-%s.age" // new passwords, encrypted to the operator's recipient
	oldName     = "old-secrets-%s.age" // old database passwords, encrypted, so verify can try them
)

// Case is the rotation's part of a case folder.
type Case struct {
	Dir string // the case folder
	c   *casedir.Case
}

// OpenCase opens (and creates) the rotation's folder in a case.
func OpenCase(dir string) (*Case, error) {
	c, err := casedir.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(c.Dir, stateDir), 0o700); err != nil {
		return nil, fmt.Errorf("case folder: %w", err)
	}
	os.Chmod(filepath.Join(c.Dir, stateDir), 0o700)
	return &Case{Dir: c.Dir, c: c}, nil
}

func (c *Case) path(name string) string { return filepath.Join(c.Dir, stateDir, name) }

// Key returns the case's fingerprint key, made on first use (32 random bytes, 0600).
func (c *Case) Key() ([]byte, error) {
	p := c.path(keyName)
	if b, err := os.ReadFile(p); err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("%s is damaged (%d bytes): restore it from a copy of the case; without it fingerprints cannot be compared", p, len(b))
		}
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := writeFileSync(p, key, 0o600, true); err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	return key, nil
}

// writeFileSync writes a case file and syncs it; excl refuses to replace one.
func writeFileSync(p string, data []byte, mode os.FileMode, excl bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if excl {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	tmp := p
	if !excl {
		tmp = p + ".tmp"
	}
	f, err := os.OpenFile(tmp, flags, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && tmp != p {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LedgerEntry is a credential as first seen: the baseline of "has it changed".
type LedgerEntry struct {
	Kind      string    `json:"kind"`
	Where     string    `json:"where"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	First     string    `json:"first_fingerprint"`
	FirstSeen time.Time `json:"first_seen"`
	PublicKey string    `json:"public_key,omitempty"`
	KeyLine   string    `json:"key_line,omitempty"` // an authorized_keys line (public), so verify can ask sshd about it
}

// Ledger maps item IDs to their first sighting.
type Ledger map[string]LedgerEntry

// Ledger reads the ledger (empty when none yet).
func (c *Case) Ledger() (Ledger, error) {
	b, err := os.ReadFile(c.path(ledgerName))
	if errors.Is(err, os.ErrNotExist) {
		return Ledger{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rotation ledger: %w", err)
	}
	l := Ledger{}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("rotation ledger %s is damaged: %w", c.path(ledgerName), err)
	}
	return l, nil
}

// saveLedger writes the ledger atomically.
func (c *Case) saveLedger(l Ledger) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(c.path(ledgerName), b, 0o600, false)
}

// Waiver is the operator's decision not to rotate an item, with the reason.
type Waiver struct {
	ID       string `json:"id"`
	Reason   string `json:"reason"`
	Time     string `json:"time"`
	Operator string `json:"operator"`
}

// Waive records a waiver (appended, fsync'd).
func (c *Case) Waive(id, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("say why the credential needs no rotation: nowwhat rotate waive ID \"reason\"")
	}
	op, _ := casedir.Operator()
	b, _ := json.Marshal(Waiver{ID: id, Reason: reason, Time: time.Now().UTC().Format(time.RFC3339), Operator: op})
	f, err := os.OpenFile(c.path(waiverName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Waivers reads the waivers, the latest per item winning.
func (c *Case) Waivers() (map[string]Waiver, error) {
	f, err := os.Open(c.path(waiverName))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]Waiver{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Waiver{}
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var w Waiver
		if json.Unmarshal(sc.Bytes(), &w) == nil && w.ID != "" {
			out[w.ID] = w
		}
	}
	return out, sc.Err()
}

// Journal is the rotation journal: the containment journal's format and guarantees (intent
// fsync'd before each change, outcome after), in its own file.
func (c *Case) Journal() *contain.Journal {
	return &contain.Journal{Path: filepath.Join(c.Dir, JournalName)}
}

// Containment tells whether containment is in force, from the case's containment journal.
func (c *Case) Containment() (inForce []contain.Entry, err error) {
	j, err := contain.OpenJournal(c.Dir)
	if err != nil {
		return nil, err
	}
	return contain.InForce(j)
}

// sealTo encrypts text to the recipients into a new case file (0600), synced before returning:
// a secret made by nowwhat exists in clear only in memory, and on disk only encrypted.
func (c *Case) sealTo(name string, text []byte, recips []age.Recipient) (string, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recips...)
	if err != nil {
		return "", fmt.Errorf("encrypt to the recipient: %w", err)
	}
	if _, err := w.Write(text); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	p := c.path(name)
	if err := writeFileSync(p, buf.Bytes(), 0o600, true); err != nil {
		return "", fmt.Errorf("keep the encrypted secrets: %w", err)
	}
	return p, nil
}

// open decrypts a sealed case file with the operator's identities.
func (c *Case) open(p string, ids []age.Identity) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := age.Decrypt(f, ids...)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", p, err)
	}
	return io.ReadAll(io.LimitReader(r, 64<<20))
}

// sealed lists the case's sealed files of a pattern ("old-secrets-*.age"), oldest first.
func (c *Case) sealed(pattern string) []string {
	m, _ := filepath.Glob(c.path(pattern))
	sort.Strings(m)
	return m
}

func stamp(t time.Time) string { return t.UTC().Format("20060102T150405.000000000Z") }
