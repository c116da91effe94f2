// Package diff shows what changed between two snapshots of a host: every added, removed and
// modified record of every kind of state (accounts, SSH keys, sudo rules, hooks, services, jobs,
// files, packages, listeners, ...), most security-relevant first, with the text of changed
// configuration files and, where a package upgrade explains a changed file, that explanation.
//
// Both snapshots are read in key order and merged in one pass, so memory stays flat however
// many files they hold.
package diff

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// Change is one difference.
type Change struct {
	Kind        string            `json:"kind"`
	Change      string            `json:"change"` // added, removed, modified
	Subject     string            `json:"subject"`
	Path        string            `json:"path,omitempty"`
	Area        string            `json:"area,omitempty"`
	Fields      []string          `json:"fields,omitempty"` // for modified: what differs
	Before      map[string]string `json:"before,omitempty"`
	After       map[string]string `json:"after,omitempty"`
	TextDiff    string            `json:"text_diff,omitempty"`
	Explanation string            `json:"explanation,omitempty"`
	rank        int
	areaRank    int
	row         map[string]string
}

// Result is the comparison of a baseline with another snapshot.
type Result struct {
	Changes []Change `json:"changes"`
}

// Options tune a comparison.
type Options struct {
	// Kinds limits the comparison to these kinds (nil: all).
	Kinds []string
}

// KindNames lists the kinds diff compares, most security-relevant first.
func KindNames() []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k.name)
	}
	return out
}

// Compare lists the changes from baseline a to snapshot b.
func Compare(ctx context.Context, a, b *snapshot.Reader, opt Options) (*Result, error) {
	want := map[string]bool{}
	for _, k := range opt.Kinds {
		want[k] = true
	}
	res := &Result{Changes: []Change{}}
	for _, k := range kinds {
		if len(want) > 0 && !want[k.name] {
			continue
		}
		changes, err := compareKind(ctx, k, a, b)
		if err != nil {
			return nil, err
		}
		res.Changes = append(res.Changes, changes...)
	}
	filterDigests(res)
	if err := explain(ctx, res, a, b); err != nil {
		return nil, err
	}
	if err := textDiffs(ctx, res, a, b); err != nil {
		return nil, err
	}
	sort.SliceStable(res.Changes, func(i, j int) bool {
		x, y := res.Changes[i], res.Changes[j]
		if x.rank != y.rank {
			return x.rank < y.rank
		}
		if x.areaRank != y.areaRank {
			return x.areaRank < y.areaRank
		}
		return false
	})
	return res, nil
}

func (k *kind) columns() []string {
	seen := map[string]bool{}
	var out []string
	for _, group := range [][]string{k.keys, k.vals, k.show} {
		for _, c := range group {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func (k *kind) query() string {
	cols := k.columns()
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "CAST(" + c + " AS TEXT)"
	}
	order := make([]string, len(k.keys))
	for i, c := range k.keys {
		// Text keys sort bytewise (as the merge compares them) and can use the index;
		// integer keys are sorted as text for the same reason.
		order[i] = c
		if !snapshot.IsText(k.table, c) {
			order[i] = "CAST(" + c + " AS TEXT)"
		}
	}
	d := ""
	if k.distinct {
		d = "DISTINCT "
	}
	q := "SELECT " + d + strings.Join(sel, ", ") + " FROM " + k.table
	if k.where != "" {
		q += " WHERE " + k.where
	}
	return q + " ORDER BY " + strings.Join(order, ", ")
}

type rowIter struct {
	rows *sql.Rows
	cols []string
	keys []string
	cur  map[string]string
	key  []string
	err  error
}

func newIter(ctx context.Context, db *sql.DB, k *kind) (*rowIter, error) {
	rows, err := db.QueryContext(ctx, k.query())
	if err != nil {
		return nil, err
	}
	it := &rowIter{rows: rows, cols: k.columns(), keys: k.keys}
	it.next()
	return it, nil
}

func (it *rowIter) next() {
	it.cur = nil
	if it.err != nil || !it.rows.Next() {
		if it.err == nil {
			it.err = it.rows.Err()
		}
		return
	}
	vals := make([]sql.NullString, len(it.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := it.rows.Scan(ptrs...); err != nil {
		it.err = err
		return
	}
	it.cur = make(map[string]string, len(it.cols))
	for i, c := range it.cols {
		it.cur[c] = vals[i].String
	}
	it.key = it.key[:0]
	for _, c := range it.keys {
		it.key = append(it.key, it.cur[c])
	}
}

func cmpKeys(a, b []string) int {
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareKind(ctx context.Context, k *kind, a, b *snapshot.Reader) ([]Change, error) {
	ia, err := newIter(ctx, a.DB(), k)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", k.table, a.Name(), err)
	}
	defer ia.rows.Close()
	ib, err := newIter(ctx, b.DB(), k)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", k.table, b.Name(), err)
	}
	defer ib.rows.Close()
	var out []Change
	for ia.cur != nil || ib.cur != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var c int
		switch {
		case ia.cur == nil:
			c = 1
		case ib.cur == nil:
			c = -1
		default:
			c = cmpKeys(ia.key, ib.key)
		}
		switch {
		case c < 0:
			out = append(out, k.change("removed", ia.cur, nil, nil))
			ia.next()
		case c > 0:
			out = append(out, k.change("added", nil, ib.cur, nil))
			ib.next()
		default:
			var fields []string
			if k.compare != nil {
				fields = k.compare(ia.cur, ib.cur)
			} else {
				for _, v := range k.vals {
					if ia.cur[v] != ib.cur[v] {
						fields = append(fields, v)
					}
				}
			}
			if len(fields) > 0 {
				out = append(out, k.change("modified", ia.cur, ib.cur, fields))
			}
			ia.next()
			ib.next()
		}
	}
	if ia.err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", k.table, a.Name(), ia.err)
	}
	if ib.err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", k.table, b.Name(), ib.err)
	}
	return out, nil
}

func (k *kind) change(what string, before, after map[string]string, fields []string) Change {
	row := after
	if row == nil {
		row = before
	}
	c := Change{Kind: k.name, Change: what, Subject: k.subject(row), rank: k.rank, row: row}
	if k.path != nil {
		c.Path = k.path(row)
	}
	if k.name == "file" {
		c.Area, c.areaRank = AreaOf(c.Path)
	}
	switch what {
	case "modified":
		c.Fields = fields
		c.Before, c.After = map[string]string{}, map[string]string{}
		for _, f := range fields {
			c.Before[f], c.After[f] = before[f], after[f]
		}
		if k.name == "file" {
			for _, f := range []string{"mtime", "ctime"} {
				c.Before[f], c.After[f] = before[f], after[f]
			}
		}
	case "added":
		c.After = trim(after)
	case "removed":
		c.Before = trim(before)
	}
	return c
}

// trim drops empty values so records read well.
func trim(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// filterDigests drops digest-list changes of packages that were installed, upgraded or removed:
// those rewrite their lists. What remains is a digest list rewritten without a package change,
// a way to hide a replaced binary from package verification.
func filterDigests(res *Result) {
	changedPkg := map[string]bool{}
	for _, c := range res.Changes {
		if c.Kind == "package" {
			changedPkg[c.row["name"]] = true
		}
	}
	out := res.Changes[:0]
	for _, c := range res.Changes {
		if c.Kind == "package_digest" && changedPkg[c.row["package"]] {
			continue
		}
		out = append(out, c)
	}
	res.Changes = out
}

// explain attaches to changed files the package change that accounts for them: a file the new
// snapshot's package database lists, whose package was installed or upgraded in between.
func explain(ctx context.Context, res *Result, a, b *snapshot.Reader) error {
	pkgs := map[string]string{}
	for _, c := range res.Changes {
		if c.Kind != "package" {
			continue
		}
		name := c.row["name"]
		switch c.Change {
		case "added":
			pkgs[name] = fmt.Sprintf("package %s %s was installed", name, c.After["version"])
		case "modified":
			if c.Before["version"] != c.After["version"] {
				pkgs[name] = fmt.Sprintf("package %s was upgraded from %s to %s", name, c.Before["version"], c.After["version"])
			}
		case "removed":
			pkgs[name] = fmt.Sprintf("package %s %s was removed", name, c.Before["version"])
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	owner := func(stmt *sql.Stmt, p string) string {
		var name string
		if err := stmt.QueryRowContext(ctx, p).Scan(&name); err != nil {
			return ""
		}
		return name
	}
	sa, err := a.DB().PrepareContext(ctx, "SELECT package FROM package_files WHERE path = ? LIMIT 1")
	if err != nil {
		return fmt.Errorf("read package files: %w", err)
	}
	defer sa.Close()
	sb, err := b.DB().PrepareContext(ctx, "SELECT package FROM package_files WHERE path = ? LIMIT 1")
	if err != nil {
		return fmt.Errorf("read package files: %w", err)
	}
	defer sb.Close()
	for i := range res.Changes {
		c := &res.Changes[i]
		if c.Kind != "file" || c.Path == "" {
			continue
		}
		name := owner(sb, c.Path)
		if name == "" {
			name = owner(sa, c.Path)
		}
		if e, ok := pkgs[name]; ok {
			c.Explanation = e
		}
	}
	return nil
}

// textDiffs adds a line diff of kept configuration texts to modified files.
func textDiffs(ctx context.Context, res *Result, a, b *snapshot.Reader) error {
	q := "SELECT text FROM contents WHERE path = ?"
	sa, err := a.DB().PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read contents: %w", err)
	}
	defer sa.Close()
	sb, err := b.DB().PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read contents: %w", err)
	}
	defer sb.Close()
	for i := range res.Changes {
		c := &res.Changes[i]
		if c.Kind != "file" || c.Path == "" {
			continue
		}
		var before, after string
		errA := sa.QueryRowContext(ctx, c.Path).Scan(&before)
		errB := sb.QueryRowContext(ctx, c.Path).Scan(&after)
		switch {
		case c.Change == "modified" && errA == nil && errB == nil && before != after:
			c.TextDiff = Unified(before, after, 2)
		case c.Change == "added" && errB == nil:
			c.TextDiff = Unified("", after, 0)
		case c.Change == "removed" && errA == nil:
			c.TextDiff = Unified(before, "", 0)
		}
	}
	return nil
}

// Counts tallies changes per kind (and per file area) and per change type.
func (r *Result) Counts() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, c := range r.Changes {
		g := c.Kind
		if out[g] == nil {
			out[g] = map[string]int{}
		}
		out[g][c.Change]++
	}
	return out
}
