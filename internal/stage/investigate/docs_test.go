package investigate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/testdata"

	"github.com/nowwhat/nowwhat/internal/source/weblog"
)

// ruleID is the shape of the finding ids investigate raises itself.
var ruleID = regexp.MustCompile(`^(entry|ssh|login|privilege|package|kernel|tamper|web)\.[a-z0-9-]+$`)

// TestRuleCatalog keeps docs/investigate.md's table of findings and the code in step: every id
// the code can raise is documented, and every documented id is raised somewhere.
func TestRuleCatalog(t *testing.T) {
	inCode := map[string]bool{}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "HasPrefix" {
					return false // a family of ids, not one
				}
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && ruleID.MatchString(s) {
					inCode[s] = true
				}
			}
			return true
		})
	}
	for _, r := range weblog.Rules() {
		inCode["web."+r.Category] = true // investigate raises one finding per client and category
	}
	doc, err := os.ReadFile(testdata.Repo(t, "docs/investigate.md"))
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9.-]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		inDoc[m[1]] = true
	}
	if len(inCode) < 20 {
		t.Fatalf("found only %d rule ids in the code: the scan is broken", len(inCode))
	}
	for id := range inCode {
		if !inDoc[id] {
			t.Errorf("%s is raised but not in docs/investigate.md's table of findings", id)
		}
	}
	for id := range inDoc {
		if !inCode[id] && ruleID.MatchString(id) {
			t.Errorf("docs/investigate.md documents %s, which nothing raises", id)
		}
	}
}
