package clean

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// Hunk is one change of a file's lines: at Line (1-based, in the file as it is before the
// change) the lines Remove are taken out and Insert put in their place.
type Hunk struct {
	Line   int      `json:"line"`
	Remove []string `json:"remove,omitempty"`
	Insert []string `json:"insert,omitempty"`
}

// EditLines removes (or puts back the baseline's text of) some lines of a file, the rest of the
// file untouched: the smallest unit of a cron job, a key, a PAM or profile line.
type EditLines struct {
	Path  string
	Hunks []Hunk
	Why   string // what the lines are, for the plan
}

// LinesUndo is what undoing an edit needs: the inverse hunks (the removed lines are the
// intruder's own text: nothing secret of the host's), the file's digest after and before,
// and its metadata before.
type LinesUndo struct {
	Path   string    `json:"path"`
	Hunks  []Hunk    `json:"hunks"` // to apply to the edited file
	Before string    `json:"sha256_before"`
	After  string    `json:"sha256_after"`
	Mode   uint32    `json:"mode"`
	UID    uint32    `json:"uid"`
	GID    uint32    `json:"gid"`
	Atime  time.Time `json:"atime"`
	Mtime  time.Time `json:"mtime"`
	Sudo   bool      `json:"sudoers,omitempty"`
	Parent Parent    `json:"parent"` // the folder's times before (the rewrite changes them)
}

const kindLines = "clean-lines"

func init() { contain.RegisterUndo(kindLines, undoLines) }

func (e EditLines) Kind() string   { return kindLines }
func (e EditLines) Target() string { return e.Path }

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// applyHunks applies hunks (positions in lines as given, any order) and returns the new lines
// with the inverse hunks (positions in the new lines).
func applyHunks(lines []string, hunks []Hunk) ([]string, []Hunk, error) {
	sorted := append([]Hunk(nil), hunks...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Line < sorted[j-1].Line; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var out []string
	var inverse []Hunk
	next := 1 // next line of the input to copy
	for _, h := range sorted {
		if h.Line < next || h.Line-1+len(h.Remove) > len(lines) {
			return nil, nil, fmt.Errorf("line %d is not where the plan saw it", h.Line)
		}
		out = append(out, lines[next-1:h.Line-1]...)
		for k, r := range h.Remove {
			if lines[h.Line-1+k] != r {
				return nil, nil, fmt.Errorf("line %d changed since the plan: plan again", h.Line+k)
			}
		}
		inverse = append(inverse, Hunk{Line: len(out) + 1, Remove: h.Insert, Insert: h.Remove})
		out = append(out, h.Insert...)
		next = h.Line + len(h.Remove)
	}
	out = append(out, lines[next-1:]...)
	return out, inverse, nil
}

func (e EditLines) Prepare(env *contain.Env) (*contain.Plan, error) {
	st, err := env.FS.Lstat(e.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Path, err)
	}
	if !st.IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not a file: not edited", e.Path, st.Type())
	}
	data, err := env.FS.ReadFile(e.Path, 16<<20)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	out, inverse, err := applyHunks(lines, e.Hunks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Path, err)
	}
	next := []byte(strings.Join(out, "\n"))
	u := LinesUndo{Path: e.Path, Hunks: inverse, Before: sum(data), After: sum(next), Mode: st.Raw & 0o7777, UID: st.UID, GID: st.GID,
		Atime: st.Atime, Mtime: st.Mtime, Sudo: isSudoers(e.Path)}
	if pst, err := env.FS.Lstat(path.Dir(e.Path)); err == nil {
		u.Parent = Parent{Path: path.Dir(e.Path), Atime: pst.Atime, Mtime: pst.Mtime}
	}
	p := &contain.Plan{Undo: u}
	for _, h := range e.Hunks {
		for k, r := range h.Remove {
			p.What = append(p.What, fmt.Sprintf("remove %s line %d: %s", e.Path, h.Line+k, clip(r)))
		}
		for _, in := range h.Insert {
			p.What = append(p.What, fmt.Sprintf("put back the baseline's line in %s: %s", e.Path, clip(in)))
		}
	}
	if u.Sudo {
		before, after := sudoProblems(data), sudoProblems(next)
		if after > before {
			return nil, fmt.Errorf("%s: the edited file would not parse as sudoers (%d problems, %d before): not changed, so sudo keeps working; edit it with visudo", e.Path, after, before)
		}
		p.What = append(p.What, "the sudoers policy is parsed before and after: sudo keeps working")
	}
	p.UndoHow = "the lines are put back at their place, and the file gets back its times"
	if len(e.Hunks) == 0 {
		p.Noop = e.Path + ": no line to change"
	}
	return p, nil
}

func clip(s string) string {
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return textsafe.Escape(s)
}

func (e EditLines) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(LinesUndo)
	data, err := env.FS.ReadFile(e.Path, 16<<20)
	if err != nil {
		return err
	}
	if sum(data) != u.Before {
		return fmt.Errorf("%s changed since the plan: plan again", e.Path)
	}
	lines := strings.Split(string(data), "\n")
	out, _, err := applyHunks(lines, e.Hunks)
	if err != nil {
		return err
	}
	var policyBefore int
	if u.Sudo {
		policyBefore = hostSudoProblems(env)
	}
	it := Item{Path: e.Path, Mode: u.Mode, UID: u.UID, GID: u.GID, Atime: time.Now(), Mtime: time.Now()}
	if err := writeFile(env, it, []byte(strings.Join(out, "\n"))); err != nil {
		return err
	}
	if u.Sudo {
		if after := hostSudoProblems(env); after > policyBefore {
			back := Item{Path: e.Path, Mode: u.Mode, UID: u.UID, GID: u.GID, Atime: u.Atime, Mtime: u.Mtime}
			writeFile(env, back, data)
			return fmt.Errorf("after the edit the sudoers policy has %d problems (%d before): the file is back as it was", after, policyBefore)
		}
	}
	return nil
}

func undoLines(env *contain.Env, raw json.RawMessage) error {
	var u LinesUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	data, err := env.FS.ReadFile(u.Path, 16<<20)
	if hostfs.IsNotExist(err) {
		return fmt.Errorf("%s is gone: the removed lines are in the clean journal (undo data)", u.Path)
	}
	if err != nil {
		return err
	}
	cur := sum(data)
	if cur == u.Before {
		return nil // never changed (an interrupted apply)
	}
	out, _, err := applyHunks(strings.Split(string(data), "\n"), u.Hunks)
	if err != nil {
		return fmt.Errorf("%s was changed after clean edited it (%v): put the lines back by hand, they are in the clean journal", u.Path, err)
	}
	next := []byte(strings.Join(out, "\n"))
	it := Item{Path: u.Path, Mode: u.Mode, UID: u.UID, GID: u.GID, Atime: u.Atime, Mtime: u.Mtime}
	if cur != u.After {
		// Edited since by someone else: put the lines back, keep the file's time as it is now.
		it.Atime, it.Mtime = time.Now(), time.Now()
	}
	if err := writeFile(env, it, next); err != nil {
		return err
	}
	if cur == u.After && u.Parent.Path != "" {
		restoreParents(env, []Parent{u.Parent})
	}
	if cur == u.After && sum(next) != u.Before {
		return errors.New(u.Path + ": the lines are back but the file differs from before the edit")
	}
	return nil
}
