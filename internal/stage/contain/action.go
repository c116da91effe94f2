package contain

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"syscall"
	"time"
)

// Plan is what an action would change, and what undoing it needs.
type Plan struct {
	What    []string  // each change, for people
	UndoHow string    // how it is undone, for people
	Undo    any       // what undo needs (stored in the journal as JSON)
	Noop    string    // non-empty: the host is already as asked (idempotence), and this says so
	Expires time.Time // an isolation rolls back at this time unless confirmed
	Warn    []string  // things the operator should know before applying
}

// Action is one containment step.
type Action interface {
	Kind() string
	Target() string
	// Prepare looks at the host and says what Apply would change, or why it refuses. It
	// changes nothing.
	Prepare(env *Env) (*Plan, error)
	// Apply makes the change. On failure it reverses what it did of it before returning.
	Apply(env *Env, p *Plan) error
}

// undoers reverse an applied action of a kind from what its plan recorded.
var undoers = map[string]func(env *Env, undo json.RawMessage) error{}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._@-]+`)

func newID(kind, target string) string {
	var b [3]byte
	rand.Read(b[:])
	t := unsafeID.ReplaceAllString(target, "_")
	if len(t) > 40 {
		t = t[:40]
	}
	return fmt.Sprintf("%s-%s-%s-%s", time.Now().UTC().Format("20060102T150405Z"), kind, t, hex.EncodeToString(b[:]))
}

// Outcome is what Run did.
type Outcome struct {
	ID      string
	Plan    *Plan
	Applied bool
}

// Run prepares an action and, with apply, carries it out: the intent (with what undo needs) is
// journaled with fsync first, then the change is made, then the outcome is journaled. A failed
// change is rolled back by the action and journaled as failed.
func Run(env *Env, a Action, apply bool) (*Outcome, error) {
	p, err := a.Prepare(env)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Plan: p}
	if !apply || p.Noop != "" {
		return out, nil
	}
	if env.Journal == nil {
		return out, errors.New("no containment journal: give a case folder (--case DIR), so every change can be undone")
	}
	undo, err := json.Marshal(p.Undo)
	if err != nil {
		return out, fmt.Errorf("record how to undo: %w", err)
	}
	out.ID = newID(a.Kind(), a.Target())
	rec := Record{ID: out.ID, Phase: PhaseIntent, Kind: a.Kind(), Target: a.Target(), Root: env.Root, What: p.What, UndoHow: p.UndoHow, Undo: undo, Group: env.Group}
	if !p.Expires.IsZero() {
		rec.Expires = p.Expires.UTC().Format(time.RFC3339)
	}
	if err := env.Journal.Append(rec); err != nil {
		return out, err
	}
	crashAt("intent")
	if err := a.Apply(env, p); err != nil {
		jerr := env.Journal.Append(Record{ID: out.ID, Phase: PhaseFailed, Kind: a.Kind(), Target: a.Target(), Root: env.Root, Error: err.Error()})
		if jerr != nil {
			return out, fmt.Errorf("%w (and the journal could not record it: %v)", err, jerr)
		}
		return out, err
	}
	out.Applied = true
	crashAt("applied")
	return out, env.Journal.Append(Record{ID: out.ID, Phase: PhaseApplied, Kind: a.Kind(), Target: a.Target(), Root: env.Root, Expires: rec.Expires})
}

// crashAt kills this process with SIGKILL at a point of Run named by NOWWHAT_TEST_CRASH
// ("intent": after the intent is journaled, before the change; "applied": after the change,
// before its outcome is journaled). The tests use it to prove that a crash there leaves a
// journal that undo can reverse; nothing else sets it.
func crashAt(point string) {
	if os.Getenv("NOWWHAT_TEST_CRASH") == point {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}

// Undo reverses one journaled action and journals that it did.
func Undo(env *Env, e Entry, phase string) error {
	fn, ok := undoers[e.Kind]
	if !ok {
		return fmt.Errorf("%s: no way to undo actions of kind %q", e.ID, e.Kind)
	}
	if e.Root != "" && e.Root != env.Root {
		return fmt.Errorf("%s was applied to root %s, not %s: give --root %s", e.ID, e.Root, env.Root, e.Root)
	}
	if err := fn(env, e.Undo); err != nil {
		return fmt.Errorf("undo %s %s: %w", e.Kind, e.Target, err)
	}
	if phase == "" {
		phase = PhaseUndone
	}
	return env.Journal.Append(Record{ID: e.ID, Phase: phase, Kind: e.Kind, Target: e.Target, Root: e.Root})
}

// Latest is what a plain undo reverses: the newest action in force, with the actions made
// together with it by the same command (its group), newest first.
func Latest(in []Entry) []Entry {
	if len(in) == 0 {
		return nil
	}
	out := in[:1]
	if g := in[0].Group; g != "" {
		for _, e := range in[1:] {
			if e.Group == g {
				out = append(out[:len(out):len(out)], e)
			}
		}
	}
	return out
}

// InForce lists the actions whose change may be on the host, newest first.
func InForce(j *Journal) ([]Entry, error) {
	es, _, err := j.Entries()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].InForce() {
			out = append(out, es[i])
		}
	}
	return out, nil
}
