package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
)

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := New(&out, &errb)
	root.SetArgs(args)
	err := root.Execute()
	code := 0
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case err != nil:
		code = 1
	}
	return out.String() + errb.String(), code
}

// TestTrustCommands: entries are added, listed (text and JSON), refused when malformed, too wide
// or repeated, removed, and every change is in the case's journal.
func TestTrustCommands(t *testing.T) {
	dir := t.TempDir()
	if out, code := runCLI(t, "--case", dir, "-q", "trust", "add", "--address", "198.51.100.23", "--who", "alice"); code != 0 || !strings.Contains(out, "198.51.100.23/32") {
		t.Fatalf("add: %d %s", code, out)
	}
	for _, bad := range [][]string{
		{"--address", "198.51.100.23", "--who", "alice"}, // twice
		{"--address", "10.0.0.0/8", "--who", "x"},        // too wide
		{"--key", "not a key", "--who", "x"},
		{"--address", "198.51.100.24"}, // nobody
		{"--who", "x"},                 // nothing
	} {
		if out, code := runCLI(t, append([]string{"--case", dir, "-q", "trust", "add"}, bad...)...); code == 0 {
			t.Errorf("add %v accepted: %s", bad, out)
		}
	}
	out, code := runCLI(t, "--case", dir, "trust", "list", "--format", "json")
	var list []casedir.Trust
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Who != "alice" || list[0].ID == "" {
		t.Fatalf("list: %d %s", code, out)
	}
	if out, code := runCLI(t, "--case", dir, "-q", "trust", "remove", list[0].ID); code != 0 {
		t.Fatalf("remove: %d %s", code, out)
	}
	if out, code := runCLI(t, "--case", dir, "-q", "trust", "remove", list[0].ID); code == 0 {
		t.Errorf("removed twice: %s", out)
	}
	if out, _ := runCLI(t, "--case", dir, "trust", "list"); !strings.Contains(out, "nothing trusted") {
		t.Errorf("list after remove: %s", out)
	}
	if _, code := runCLI(t, "trust", "add", "--address", "198.51.100.23", "--who", "alice"); code == 0 {
		t.Error("trust add without a case folder accepted")
	}
	c, _ := casedir.Open(dir)
	es, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, e := range es {
		cmds = append(cmds, e.Command+":"+e.Outcome)
	}
	if got := strings.Join(cmds, " "); !strings.Contains(got, "trust add:ok") || !strings.Contains(got, "trust remove:ok") || !strings.Contains(got, "trust add:refused") {
		t.Errorf("journal: %s", got)
	}
}
