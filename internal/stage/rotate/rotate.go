// Package rotate is step 6's credential rotation: it inventories every credential the host
// holds (internal/detect/secrets), rotates on the host what can be rotated there (account
// passwords, unknown SSH keys, host keys, application secrets, database passwords with their
// configuration), guides the operator with exact steps for the rest (cloud keys, certificates,
// tokens at their issuers), and proves the old credentials dead.
//
// The response's order is kept: rotation warns when no containment is in force; everything is
// rotated in one go and the affected accounts' sessions are ended with it; new secrets are made
// by nowwhat and written only encrypted to the operator's age recipient; users' SSH keys are
// never made on the host. Every change goes through the containment journal's machinery in the
// case's rotation.jsonl (intent fsync'd before, outcome after).
package rotate

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
)

// States of an item.
const (
	StatePending  = "pending"  // to be rotated on the host (rotate --apply)
	StateGuided   = "guided"   // waiting for the operator or a provider (exact steps given)
	StateApplied  = "applied"  // rotated by nowwhat, not yet proven (rotate verify)
	StateRotated  = "rotated"  // proven: the fingerprint changed, or the old one is refused
	StateKept     = "kept"     // an SSH key known to the baseline or kept by the operator
	StateWaived   = "waived"   // the operator decided it needs no rotation, and said why
	StateGone     = "gone"     // no longer on the host (removed), proven where it could be
	StateFailed   = "failed"   // a rotation failed (see the journal)
	StateUnproven = "unproven" // rotated, but the old one could not be shown dead
)

// Done reports whether a state counts as dealt with for the return to service.
func Done(state string) bool {
	switch state {
	case StateRotated, StateKept, StateWaived, StateGone:
		return true
	}
	return false
}

// Item is a credential with its rotation state and the evidence for it.
type Item struct {
	secrets.Item
	State    string   `json:"state"`
	First    string   `json:"first_fingerprint,omitempty"` // as first seen in this case
	Evidence []string `json:"evidence,omitempty"`
	Action   string   `json:"action,omitempty"` // journal id of the rotation
	Waiver   string   `json:"waiver,omitempty"`
}

// Result is what a rotate command found and did; it is kept in the case (results/rotate-*.json).
type Result struct {
	Command     string         `json:"command"` // inventory, apply, verify
	Root        string         `json:"root"`
	Taken       time.Time      `json:"taken"`
	Items       []Item         `json:"items"`
	Counts      map[string]int `json:"counts"` // by state
	Containment string         `json:"containment"`
	Warnings    []string       `json:"warnings,omitempty"`
	NotCovered  []string       `json:"not_covered,omitempty"`
	Rules       string         `json:"rules"`
	Baseline    string         `json:"baseline,omitempty"`
	Ephemeral   bool           `json:"ephemeral_key,omitempty"` // no case: fingerprints not comparable with later runs
	Actions     []ActionResult `json:"actions,omitempty"`
	Sealed      []string       `json:"sealed,omitempty"` // encrypted files written (new secrets, backups)
	HostKeys    []string       `json:"new_host_keys,omitempty"`
}

// ActionResult is one change made (or planned) by rotate --apply.
type ActionResult struct {
	ID       string   `json:"id,omitempty"` // journal id
	Kind     string   `json:"kind"`
	Target   string   `json:"target"`
	Items    []string `json:"items"`
	What     []string `json:"what"`
	Applied  bool     `json:"applied"`
	Error    string   `json:"error,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	UndoHow  string   `json:"undo_how,omitempty"`
}

// Options are what a rotate command works with.
type Options struct {
	Root      string
	Case      *Case // nil: inventory only, with a key for this run alone
	Baseline  *snapshot.Reader
	Keep      []string // SSH key fingerprints the operator keeps
	Only      []string // kinds to rotate (empty: all)
	Passwords string   // "new" or "expire"
	Recipient string   // age1... for new secrets
	AppRoots  []string // extra folders searched for application configuration
	NoRules   bool
	DB        DBAccess
	SSHAddr   string // the host's sshd, for verify (default 127.0.0.1:22 on the live host)
	Out       io.Writer
	Now       time.Time
}

// DBAccess says how to reach the host's database servers (defaults on the live host: the
// distributions' sockets).
type DBAccess struct {
	MySQLSocket string // unix socket path of MariaDB/MySQL
	PGSocketDir string // folder of PostgreSQL's socket
	PGPort      string
}

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o *Options) out() io.Writer {
	if o.Out == nil {
		return io.Discard
	}
	return o.Out
}

// scan inventories the root with the case's key.
func scan(ctx context.Context, opt *Options) (*secrets.Inventory, bool, error) {
	var key []byte
	ephemeral := false
	if opt.Case != nil {
		k, err := opt.Case.Key()
		if err != nil {
			return nil, false, err
		}
		key = k
	} else {
		key = make([]byte, 32)
		rand.Read(key)
		ephemeral = true
	}
	fsys, err := hostfs.Open(opt.Root)
	if err != nil {
		return nil, false, err
	}
	defer fsys.Close()
	inv, err := secrets.Scan(ctx, fsys, secrets.Options{Key: key, ExtraAppRoots: opt.AppRoots, NoRules: opt.NoRules, Now: opt.now()})
	return inv, ephemeral, err
}

// knownKeys reads the baseline's SSH keys: user -> fingerprints.
func knownKeys(base *snapshot.Reader) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	if base == nil {
		return out, nil
	}
	keys, err := snapshot.All[snapshot.SSHKey](base, "")
	if err != nil {
		return nil, fmt.Errorf("baseline ssh keys: %w", err)
	}
	for _, k := range keys {
		if out[k.User] == nil {
			out[k.User] = map[string]bool{}
		}
		out[k.User][normFP(k.Fingerprint)] = true
	}
	return out, nil
}

func normFP(fp string) string {
	fp = strings.TrimRight(strings.TrimSpace(fp), "=")
	if fp != "" && !strings.HasPrefix(fp, "SHA256:") && !strings.HasPrefix(fp, "MD5:") {
		fp = "SHA256:" + fp
	}
	return fp
}

// markKeys sets Known on authorized keys and their method (keep or prune).
func markKeys(items []secrets.Item, known map[string]map[string]bool, keep []string, haveBaseline bool) {
	kept := map[string]bool{}
	for _, k := range keep {
		kept[normFP(k)] = true
	}
	for i := range items {
		it := &items[i]
		if it.Kind != secrets.KindAuthorized {
			continue
		}
		fp := normFP(it.PublicKey)
		switch {
		case known[it.Owner][fp]:
			it.Known = "baseline"
		case kept[fp]:
			it.Known = "operator"
		default:
			it.Known = "unknown"
		}
		if it.Known != "unknown" {
			it.Method = secrets.MethodKeep
			it.How = "kept: " + map[string]string{"baseline": "the baseline knew it for " + it.Owner, "operator": "you listed it with --keep"}[it.Known]
		} else if !haveBaseline && len(keep) == 0 {
			it.How = "unknown: no baseline to tell it from a legitimate key; give --baseline FILE or --keep FINGERPRINT for the keys to keep, the others are then removed"
		}
	}
}

// wanted reports whether an item's kind is among --only (all when none).
func wanted(opt *Options, kind string) bool {
	return len(opt.Only) == 0 || slices.Contains(opt.Only, kind)
}

// Inventory lists every credential with its state in this case.
func Inventory(ctx context.Context, opt Options) (*Result, *secrets.Inventory, error) {
	inv, eph, err := scan(ctx, &opt)
	if err != nil {
		return nil, nil, err
	}
	known, err := knownKeys(opt.Baseline)
	if err != nil {
		return nil, nil, err
	}
	markKeys(inv.Items, known, opt.Keep, opt.Baseline != nil)
	res := &Result{Command: "inventory", Root: inv.Root, Taken: inv.Taken, NotCovered: inv.NotCovered, Rules: inv.Rules, Ephemeral: eph}
	if opt.Baseline != nil {
		res.Baseline = opt.Baseline.Name()
	}
	if err := fill(&opt, res, inv); err != nil {
		return nil, nil, err
	}
	return res, inv, nil
}

// fill puts the inventory's items into the result with their states, updates the ledger and
// reads the containment state.
func fill(opt *Options, res *Result, inv *secrets.Inventory) error {
	ledger := Ledger{}
	waivers := map[string]Waiver{}
	var applied map[string]journaled
	if opt.Case != nil {
		var err error
		if ledger, err = opt.Case.Ledger(); err != nil {
			return err
		}
		if waivers, err = opt.Case.Waivers(); err != nil {
			return err
		}
		applied = journalItems(opt.Case)
		forced, err := opt.Case.Containment()
		switch {
		case err != nil:
			res.Containment = "unknown: " + err.Error()
		case len(forced) == 0:
			res.Containment = "none in force"
		default:
			var ks []string
			for _, e := range forced {
				ks = append(ks, e.Kind+" "+e.Target)
			}
			res.Containment = "in force: " + strings.Join(ks, ", ")
		}
	} else {
		res.Containment = "unknown (no case folder)"
	}
	changed := false
	for _, si := range inv.Items {
		it := Item{Item: si}
		le, ok := ledger[si.ID]
		if !ok {
			le = LedgerEntry{Kind: si.Kind, Where: si.Where(), Name: si.Name, Owner: si.Owner, First: si.Fingerprint, FirstSeen: inv.Taken, PublicKey: si.PublicKey}
			if si.Kind == secrets.KindAuthorized {
				le.KeyLine = keyLine(opt.Root, si.Path, si.Line)
			}
			ledger[si.ID] = le
			changed = true
		}
		it.First = le.First
		it.State = baseState(&it)
		if j, ok := applied[si.ID]; ok {
			it.Action = j.id
			switch j.phase {
			case "applied":
				if it.State != StateKept {
					it.State = StateApplied
				}
			case "failed", "intent":
				it.State = StateFailed
				it.Evidence = append(it.Evidence, "rotation "+j.id+" "+j.phase+": "+j.err)
			}
		}
		if it.Fingerprint != it.First {
			it.State = StateRotated
			it.Evidence = append(it.Evidence, fmt.Sprintf("fingerprint changed: %s then, %s now", it.First, it.Fingerprint))
		}
		if w, ok := waivers[si.ID]; ok && !Done(it.State) {
			it.State, it.Waiver = StateWaived, w.Reason+" ("+w.Operator+", "+w.Time+")"
		}
		res.Items = append(res.Items, it)
	}
	// Items seen before and no longer there: removed (a pruned key, a deleted file).
	present := map[string]bool{}
	for _, si := range inv.Items {
		present[si.ID] = true
	}
	for id, le := range ledger {
		if present[id] {
			continue
		}
		it := Item{Item: secrets.Item{ID: id, Kind: le.Kind, Name: le.Name, Owner: le.Owner, PublicKey: le.PublicKey, Fingerprint: "", Method: "removed"}, First: le.First, State: StateGone}
		it.Path, it.Line = splitWhere(le.Where)
		it.Evidence = append(it.Evidence, "no longer on the host")
		if j, ok := applied[id]; ok {
			it.Action = j.id
		}
		if w, ok := waivers[id]; ok {
			it.Waiver = w.Reason
		}
		res.Items = append(res.Items, it)
	}
	if changed && opt.Case != nil {
		if err := opt.Case.saveLedger(ledger); err != nil {
			return err
		}
	}
	res.count()
	return nil
}

func splitWhere(w string) (string, int) {
	if i := strings.LastIndexByte(w, ':'); i > 0 {
		n := 0
		if _, err := fmt.Sscanf(w[i+1:], "%d", &n); err == nil {
			return w[:i], n
		}
	}
	return w, 0
}

func baseState(it *Item) string {
	switch it.Method {
	case secrets.MethodKeep:
		return StateKept
	case secrets.MethodGuided:
		return StateGuided
	}
	return StatePending
}

func (r *Result) count() {
	r.Counts = map[string]int{}
	for _, it := range r.Items {
		r.Counts[it.State]++
	}
}

// keyLine reads one authorized_keys line (a public key: no secret) for the ledger.
func keyLine(root, file string, line int) string {
	fsys, err := hostfs.Open(root)
	if err != nil {
		return ""
	}
	defer fsys.Close()
	data, err := fsys.ReadFile(file, 4<<20)
	if err != nil {
		return ""
	}
	ls := strings.Split(string(data), "\n")
	if line < 1 || line > len(ls) {
		return ""
	}
	return strings.TrimSpace(ls[line-1])
}
