package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
)

// caseView is the case folder as the readers see it: the journal (with its chain checked) and
// the saved results, read once.
type caseView struct {
	c          *casedir.Case
	entries    []casedir.Entry
	journalErr error // the chain is broken or a line is damaged
}

// ErrEmptyCase says the folder holds no journal and no results: probably not a case folder.
var ErrEmptyCase = errors.New("no case journal and no saved results")

func openCase(c *casedir.Case) (*caseView, error) {
	v := &caseView{c: c}
	v.entries, v.journalErr = c.Entries()
	if v.journalErr != nil && len(v.entries) == 0 && !errors.Is(v.journalErr, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(c.Dir, casedir.JournalName)); err != nil || !strings.Contains(v.journalErr.Error(), "line") {
			return nil, fmt.Errorf("read the case journal: %w", v.journalErr)
		}
	}
	if len(v.entries) == 0 {
		if ents, _ := os.ReadDir(filepath.Join(c.Dir, casedir.ResultsDir)); len(ents) == 0 {
			return nil, fmt.Errorf("%s: %w (is this the folder given as --case to check, collect and the other steps?)", c.Dir, ErrEmptyCase)
		}
	}
	return v, nil
}

func (v *caseView) journalState() JournalState {
	s := JournalState{File: casedir.JournalName, Entries: len(v.entries), Intact: v.journalErr == nil}
	if v.journalErr != nil {
		s.Problem = v.journalErr.Error()
	}
	if len(v.entries) > 0 {
		s.First, s.Last = v.entries[0].Time.UTC(), v.entries[len(v.entries)-1].Time.UTC()
	}
	return s
}

// stepOf names the step a journal entry belongs to: the first argument that is a step's command
// (contain's "service" or "undo" entries are contain's), else the entry's command.
func stepOf(e casedir.Entry) string {
	skip := false
	for _, a := range e.Args {
		if skip {
			skip = false
			continue
		}
		if a == "--case" || a == "--cpuprofile" {
			skip = true
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		if _, ok := stepTitles[a]; ok || a == "report" || a == "diff" || a == "note" || a == "baseline" || a == "snapshot" || a == "maintenance" {
			return a
		}
		break
	}
	return e.Command
}

// entriesOf lists the journal entries of a step, oldest first.
func (v *caseView) entriesOf(step string) []casedir.Entry {
	var out []casedir.Entry
	for _, e := range v.entries {
		if stepOf(e) == step {
			out = append(out, e)
		}
	}
	return out
}

func journalRef(e casedir.Entry) Ref { return Ref{File: casedir.JournalName, Line: e.Line} }

// result is one saved result of a step with the journal entry that lists it.
type result struct {
	rel   string // results/STEP-TIME.json
	path  string
	entry *casedir.Entry
	file  ResultFile
}

// results lists a step's saved results, oldest first, each checked against the digest the
// journal recorded for it.
func (v *caseView) results(step string) ([]result, error) {
	paths, err := v.c.Results(step)
	if err != nil {
		return nil, err
	}
	var out []result
	for _, p := range paths {
		rel := filepath.ToSlash(filepath.Join(casedir.ResultsDir, filepath.Base(p)))
		res := result{rel: rel, path: p, file: ResultFile{Step: step, File: rel, Check: "not in the journal"}}
		sum := casedir.FileOutput(p).SHA256
		res.file.SHA256 = sum
		for i := range v.entries {
			for _, o := range v.entries[i].Outputs {
				if filepath.Base(o.Path) != filepath.Base(p) {
					continue
				}
				res.entry = &v.entries[i]
				res.file.Ref = journalRef(v.entries[i])
				if o.SHA256 == sum {
					res.file.Check = fmt.Sprintf("matches %s line %d", casedir.JournalName, v.entries[i].Line)
				} else {
					res.file.Check = fmt.Sprintf("DIFFERS from %s line %d (sha256 %s there): the file was changed after it was saved", casedir.JournalName, v.entries[i].Line, o.SHA256)
				}
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// latest decodes a step's newest saved result into dst; ok is false when the step saved none.
func (b *builder) latest(step string, dst any) (result, bool) {
	list, err := b.v.results(step)
	if err != nil {
		b.r.Problems = append(b.r.Problems, err.Error())
		return result{}, false
	}
	for _, res := range list {
		b.r.Custody.Results = append(b.r.Custody.Results, res.file)
		if strings.HasPrefix(res.file.Check, "DIFFERS") {
			b.r.Problems = append(b.r.Problems, res.rel+": "+res.file.Check)
		}
	}
	// The newest result that can be read.
	for i := len(list) - 1; i >= 0; i-- {
		if err := casedir.ReadResult(list[i].path, dst); err != nil {
			b.r.Problems = append(b.r.Problems, err.Error())
			continue
		}
		b.source(list[i].rel)
		return list[i], true
	}
	return result{}, false
}

// noteRuns records in the step list how often a step ran and when last.
func (b *builder) noteRuns(step string) []casedir.Entry {
	es := b.v.entriesOf(step)
	s := b.step(step)
	s.Runs = len(es)
	s.Ran = len(es) > 0
	if len(es) > 0 {
		s.Last = es[len(es)-1].Time.UTC()
		b.source(casedir.JournalName)
	}
	return es
}

func parseTime(s string) time.Time {
	for _, l := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func readResult(path string, v any) error { return casedir.ReadResult(path, v) }
