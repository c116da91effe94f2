// Package contain stops the damage on a compromised host while keeping the rest running: it
// stops and masks a service, cuts the host off the network except for the operator, stops or
// freezes processes, locks accounts and revokes SSH keys. Every action is a plan first (nothing
// changes without Apply), is written to the containment journal with fsync before the change
// (what, who, when, how to undo), and can be undone, also after a crash or a reboot.
package contain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// Phases of an action in the journal.
const (
	PhaseIntent     = "intent"      // about to change the host (written before the change)
	PhaseApplied    = "applied"     // the change is in force
	PhaseFailed     = "failed"      // the change failed and what was done of it was rolled back
	PhaseUndone     = "undone"      // reversed
	PhaseConfirmed  = "confirmed"   // an isolation the operator kept (no automatic rollback)
	PhaseRolledBack = "rolled-back" // an isolation reversed by its own timer
)

// Record is one line of the containment journal.
type Record struct {
	ID       string          `json:"id"`
	Time     string          `json:"time"`
	Operator string          `json:"operator"`
	Phase    string          `json:"phase"`
	Kind     string          `json:"kind"`
	Target   string          `json:"target"`
	Root     string          `json:"root"`
	What     []string        `json:"what,omitempty"`     // what the action changes
	UndoHow  string          `json:"undo_how,omitempty"` // how to undo it, for people
	Undo     json.RawMessage `json:"undo,omitempty"`     // what undo needs
	Expires  string          `json:"expires,omitempty"`  // an isolation rolls back at this time unless confirmed
	Group    string          `json:"group,omitempty"`    // actions one command made together (a service and its maintenance page): undone together
	Error    string          `json:"error,omitempty"`
}

// Journal is the containment journal: an append-only file of records, each written with fsync.
type Journal struct {
	Path string
}

// JournalName is the journal's file name in the case (or state) folder.
const JournalName = "containment.jsonl"

// OpenJournal opens the journal in the case folder dir (created 0700).
func OpenJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("containment journal: %w", err)
	}
	return &Journal{Path: filepath.Join(dir, JournalName)}, nil
}

// Append writes one record and syncs it (and, on creation, its folder) to disk.
func (j *Journal) Append(r Record) error {
	if r.Time == "" {
		r.Time = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if r.Operator == "" {
		r.Operator, _ = casedir.Operator()
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("containment journal: %w", err)
	}
	_, statErr := os.Stat(j.Path)
	f, err := os.OpenFile(j.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("containment journal: %w (nothing was changed)", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("containment journal: %w (nothing was changed)", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("containment journal: %w (nothing was changed)", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if d, err := os.Open(filepath.Dir(j.Path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// Records reads the journal (an absent journal is empty). A damaged line is skipped and named.
func (j *Journal) Records() ([]Record, []string, error) {
	data, err := os.ReadFile(j.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("containment journal: %w", err)
	}
	var out []Record
	var bad []string
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			bad = append(bad, fmt.Sprintf("%s line %d: %v", j.Path, i+1, err))
			continue
		}
		out = append(out, r)
	}
	return out, bad, nil
}

// Entry is an action as the journal tells it: its first record, and the phase it reached.
type Entry struct {
	Record          // the intent (with what, undo)
	Phase    string // the latest phase
	LastTime string
	Expires  string
}

// Entries folds the journal into one entry per action, in the order they were started.
func (j *Journal) Entries() ([]Entry, []string, error) {
	recs, bad, err := j.Records()
	if err != nil {
		return nil, bad, err
	}
	idx := map[string]int{}
	var out []Entry
	for _, r := range recs {
		i, ok := idx[r.ID]
		if !ok {
			idx[r.ID] = len(out)
			out = append(out, Entry{Record: r, Phase: r.Phase, LastTime: r.Time, Expires: r.Expires})
			continue
		}
		e := &out[i]
		e.Phase, e.LastTime = r.Phase, r.Time
		if r.Expires != "" {
			e.Expires = r.Expires
		}
		if len(r.Undo) > 0 {
			e.Undo = r.Undo
		}
		if r.Error != "" {
			e.Error = r.Error
		}
	}
	return out, bad, nil
}

// InForce reports whether an entry's change may be on the host: applied (or confirmed), or
// interrupted between intent and applied (a crash: undo must look).
func (e Entry) InForce() bool {
	return e.Phase == PhaseApplied || e.Phase == PhaseConfirmed || e.Phase == PhaseIntent
}

// Env is what actions work with: the host's root, read through the confined reader and written
// through a confined os.Root, and the journal.
type Env struct {
	Root     string     // "/" for this host
	FS       *hostfs.FS // confined reads
	W        *os.Root   // confined writes
	Live     bool       // the root is the running system: processes, systemd and the network are real
	Journal  *Journal
	Operator Operator
	Out      io.Writer // progress messages (may be io.Discard)
	NetNS    int       // network namespace fd for isolation (tests); 0: this process's
	Group    string    // journaled with each action: actions of one group are undone together
}

// NewEnv opens a root for containment.
func NewEnv(root string, journal *Journal) (*Env, error) {
	if root == "" {
		root = "/"
	}
	fsys, err := hostfs.Open(root)
	if err != nil {
		return nil, err
	}
	w, err := os.OpenRoot(fsys.Dir())
	if err != nil {
		fsys.Close()
		return nil, fmt.Errorf("open %s for writing: %w", root, err)
	}
	env := &Env{Root: fsys.Dir(), FS: fsys, W: w, Live: fsys.IsLive(), Journal: journal, Out: io.Discard}
	if env.Live {
		env.Operator = FindOperator()
	}
	return env, nil
}

// Close releases the root.
func (e *Env) Close() {
	e.W.Close()
	e.FS.Close()
}

// rel turns a host path into a path relative to the root, for os.Root.
func rel(p string) string { return strings.TrimPrefix(hostfs.Clean(p), "/") }

// ErrRefused marks a plan the safety rules refuse (it would cut the operator off, stop PID 1...).
var ErrRefused = errors.New("refused")

func refuse(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, a...))
}

// NeedRoot is the error for an action on the live host without root.
func NeedRoot(what string) error {
	if os.Geteuid() == 0 {
		return nil
	}
	return fmt.Errorf("%s needs root (it changes the running system): run it with sudo", what)
}
