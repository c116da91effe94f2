package catalog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// contentPatterns are files whose path strings are text an intruder types or requests (command
// lines, URLs), matched in file contents and logs: they name no place nowwhat reads.
var contentPatterns = map[string]string{
	"internal/detect/indicator/rules.go":  "command-line patterns (what a reverse shell or a miner's installer types)",
	"internal/detect/webshell/markers.go": "strings inside web shells",
	"internal/source/weblog/rules.go":     "paths requested in attack URLs",
}

// pending are files with their own list of places, still to move into the catalog.
var pending = map[string]string{}

// prose are the fields of texts written for people (a rule's why and action, a command's
// help), which may name a place the way a person would.
var prose = map[string]bool{"Why": true, "Action": true, "Title": true, "Short": true, "Long": true, "Example": true}

// isProse reports whether a literal is a sentence for people (a help text, a message), which
// may name a place the way a person would: four words or more, and no SQL.
func isProse(s string) bool {
	if strings.Count(s, " ") < 4 {
		return false
	}
	for _, kw := range []string{"SELECT ", " WHERE ", " LIKE ", " AND ", " OR "} {
		if strings.Contains(s, kw) {
			return false
		}
	}
	return true
}

// pathToken finds absolute paths inside a string literal (also inside SQL: 'path%').
var pathToken = regexp.MustCompile(`(?:^|[\s'"(,=])(/[A-Za-z0-9._/\-*?]+)`)

func normal(p string) string {
	p = strings.TrimRight(p, "%")
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// TestNoLiteralElsewhere fails when a catalog location is written as a string literal in
// the code outside this package: the place must be read from the catalog, so that every step
// (probes, rules, diff, collect, clean, rotate) agrees on it.
func TestNoLiteralElsewhere(t *testing.T) {
	abs := map[string]string{} // normalized path -> id
	rel := map[string]string{} // home-relative part -> id
	for _, l := range All() {
		switch {
		case l.InHomes():
			rel[l.Rel()] = l.ID
		case l.Anywhere():
		default:
			abs[normal(l.Path)] = l.ID
		}
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var bad []string
	scanned := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := "internal/" + strings.TrimPrefix(filepath.ToSlash(p), "../../")
		if d.IsDir() {
			// The catalog itself, and test helpers that build fixture roots.
			if name == "internal/base/catalog" || name == "internal/base/fixture" || d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if _, ok := contentPatterns[name]; ok {
			return nil
		}
		if _, ok := pending[name]; ok {
			return nil
		}
		scanned++
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok && prose[k.Name] {
					return false
				}
			}
			bl, ok := n.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(bl.Value)
			if err != nil {
				return true
			}
			if isProse(s) {
				return true
			}
			pos := fset.Position(bl.Pos())
			where := name + ":" + strconv.Itoa(pos.Line)
			if id, ok := rel[strings.TrimPrefix(s, "~/")]; ok {
				bad = append(bad, where+": "+strconv.Quote(s)+" is catalog location "+id)
				return true
			}
			for _, m := range pathToken.FindAllStringSubmatch(s, -1) {
				if id, ok := abs[normal(m[1])]; ok {
					bad = append(bad, where+": "+strconv.Quote(m[1])+" is catalog location "+id)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 100 {
		t.Fatalf("only %d Go files scanned under %s: the test is not looking at the code", scanned, root)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
	if len(bad) > 0 {
		t.Logf("%d literals: read them from the catalog (catalog.Path, catalog.Dir, catalog.With, catalog.Recorded)", len(bad))
	}
}
