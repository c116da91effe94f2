package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
	"github.com/nowwhat/nowwhat/internal/detect/sessions"
)

// Rule describes one detection: its stable id, default severity (a finding may raise or lower
// it), title, MITRE ATT&CK techniques, why it matters and what to do.
type Rule struct {
	ID       string
	Severity finding.Severity
	Title    string
	Attack   []string
	Why      string
	Action   string
	// Stage is the step that raises it: StageCheck (a Finder of this package, from the
	// snapshot) or StageInvestigate (package investigate, from the logs and the timeline).
	Stage string
}

// Stages that raise rules.
const (
	StageCheck       = "check"
	StageInvestigate = "investigate"
)

// Finder finds what some rules describe. Most finders serve one rule; one that judges a thing
// several ways (a process: hidden, disguised, deleted, from /tmp, and then its sockets) declares
// each rule it may raise, and may raise no other.
type Finder struct {
	Name  string
	Rules []*Rule
	// EachFile, when set, sees every file record of the snapshot during the one walk of the
	// files that all finders share (instead of each querying the whole table again).
	EachFile func(ix *Index, f *snapshot.File, out *Out)
	// Find runs after the shared walk; it queries the index and reports what it finds.
	Find func(ix *Index, out *Out) error
	// Late finders run after all others and may read what they reported (Out.Reported): the
	// baseline's changes that no other rule explained.
	Late bool
}

var (
	all     []*Rule
	finders []*Finder
)

// rule registers a rule's description (with the finder that raises it, see find).
func rule(r Rule) *Rule {
	if r.Stage == "" {
		r.Stage = StageCheck
	}
	p := &r
	all = append(all, p)
	return p
}

// find registers a finder. It is called from package-level var declarations
// (var _ = find(Finder{...})), after the rules it names.
func find(f Finder) *Finder {
	p := &f
	finders = append(finders, p)
	return p
}

// Catalog lists every rule, of check and of investigate, sorted by id.
func Catalog() []*Rule {
	out := append([]*Rule(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns a rule by id (nil if there is none).
func Get(id string) *Rule {
	for _, r := range all {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Finding fills what a finding of rule id leaves unsaid (title, severity, ATT&CK ids, why,
// action) from the rule's description: how stages that raise rules themselves (investigate)
// describe their findings from the one catalog. An unknown id is a programming error, caught by
// the tests of the stage that uses it.
func Finding(id string, f finding.Finding) finding.Finding {
	r := Get(id)
	if r == nil {
		panic("rules: no rule " + id)
	}
	return fill(r, f)
}

func fill(r *Rule, f finding.Finding) finding.Finding {
	f.Rule = r.ID
	if f.Severity == 0 {
		f.Severity = r.Severity
	}
	if f.Title == "" {
		f.Title = r.Title
	}
	if f.Attack == nil {
		f.Attack = r.Attack
	}
	if f.Why == "" {
		f.Why = r.Why
	}
	if f.Action == "" {
		f.Action = r.Action
	}
	if f.Evidence == nil {
		f.Evidence = []string{}
	}
	return f
}

// Sessions is the sessions and trust model (who was logged in, how, when, doing what, and
// whether that session is trusted, package detect/sessions). The check fills Input.Sessions;
// rules must work without it (nil).
type Sessions = *sessions.Model

// Input is what the rules judge.
type Input struct {
	Cur  *snapshot.Reader
	Base *snapshot.Reader // nil without a baseline
	// Changes since the baseline (nil without one).
	Changes []diff.Change
	// Sessions, when known.
	Sessions Sessions
	// Only, when set, runs only the rules whose id starts with one of these prefixes
	// ("accounts.", "integrity.modified-", "persistence.cron").
	Only []string
}

// Index is the read-only view of a snapshot that rules judge: the snapshot, the baseline and the
// changes since, the sessions, and what most rules need, loaded once (package ownership and
// digests, accounts, nested system roots).
type Index struct {
	Cur      *snapshot.Reader
	Base     *snapshot.Reader
	Changes  []diff.Change
	Sessions Sessions

	owner   map[string]string // path -> package that records it
	digest  map[string]string // path -> recorded md5 (non-conffile, dpkg)
	conf    map[string]bool   // conffiles
	divert  map[string]bool   // diverted paths (both ends)
	users   []snapshot.User
	byUID   map[int64]string
	changed map[string]diff.Change // "kind\x00path-or-subject" -> change since baseline
	added   map[string]bool        // paths added since the baseline
	taken   time.Time
	// nested are system roots inside the host's tree (chroots, container images, debootstrap
	// trees): their files belong to another system, checked on its own with --root.
	nested []string
	memo   map[string]any
}

// NewIndex loads what rules share from a snapshot.
func NewIndex(in *Input) (*Index, error) {
	s := &Index{Cur: in.Cur, Base: in.Base, Changes: in.Changes, Sessions: in.Sessions, memo: map[string]any{}}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// once computes a value several finders share the first time one asks for it.
func once[T any](s *Index, key string, f func() T) T {
	if v, ok := s.memo[key]; ok {
		return v.(T)
	}
	v := f()
	s.memo[key] = v
	return v
}

// Out receives the findings of one finder at a time.
type Out struct {
	ix      *Index
	cur     *Finder
	only    []string
	found   []finding.Finding
	skipped map[string]int // nested root -> findings left out
	err     error
}

// add records a finding of rule r (unless it is about a nested system root, or r is not asked
// for).
func (o *Out) add(r *Rule, f finding.Finding) {
	if o.cur != nil && !slices.Contains(o.cur.Rules, r) {
		if o.err == nil {
			o.err = fmt.Errorf("rules: finder %s raised %s, which it does not declare", o.cur.Name, r.ID)
		}
		return
	}
	if !o.wants(r.ID) {
		return
	}
	if root := o.ix.inNested(f.Path); root != "" && f.PID == 0 {
		o.skipped[root]++
		return
	}
	o.found = append(o.found, fill(r, f))
}

// Reported lists the findings reported so far (for late finders).
func (o *Out) Reported() []finding.Finding { return o.found }

func (o *Out) wants(id string) bool {
	if len(o.only) == 0 {
		return true
	}
	for _, p := range o.only {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func (o *Out) wantsAny(rs []*Rule) bool {
	for _, r := range rs {
		if o.wants(r.ID) {
			return true
		}
	}
	return false
}

// Analyze runs the rules (those of in.Only, or all) and returns the findings, de-duplicated,
// in report order.
func Analyze(ctx context.Context, in *Input) ([]finding.Finding, error) {
	ix, err := NewIndex(in)
	if err != nil {
		return nil, err
	}
	out := &Out{ix: ix, only: in.Only, skipped: map[string]int{}}
	var run, walkers []*Finder
	for _, f := range finders {
		if out.wantsAny(f.Rules) {
			run = append(run, f)
			if f.EachFile != nil {
				walkers = append(walkers, f)
			}
		}
	}
	if len(walkers) > 0 {
		n := 0
		// In batches: finders may look other records up while they judge a file.
		err := snapshot.EachBatch(ix.Cur, 4096, func(f snapshot.File) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			for _, w := range walkers {
				out.cur = w
				w.EachFile(ix, &f, out)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, late := range []bool{false, true} {
		for _, f := range run {
			if f.Late != late || f.Find == nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			out.cur = f
			if err := f.Find(ix, out); err != nil {
				return nil, fmt.Errorf("rules %s: %w", f.Name, err)
			}
		}
	}
	if out.err != nil {
		return nil, out.err
	}
	if out.wants(ruleNested.ID) {
		ix.reportNested(out)
	}
	fs := finding.Dedupe(out.found)
	finding.Sort(fs)
	return fs, nil
}
