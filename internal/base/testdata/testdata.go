// Package testdata finds the data that tests read in place but the repository does not hold:
// the real logs, web shells and rule sets under ../shared/testdata (written by nobody on this
// project), and the repository's own docs, which some tests keep in step with the code.
//
// A test whose data is missing must not pass as if it had measured something. Without the data
// it skips with a message that says what was not measured; with NOWWHAT_REQUIRE_TESTDATA=1
// (CI sets it whenever ../shared/testdata exists) it fails instead, so a path that moved or a
// sample that vanished is caught rather than silently skipped.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv names the variable that turns a missing data set into a failure.
const RequireEnv = "NOWWHAT_REQUIRE_TESTDATA"

// Shared returns the folder shared/testdata/<parts...>, searched from the working folder up, or
// skips (fails under RequireEnv) when it is not there.
func Shared(t testing.TB, parts ...string) string {
	t.Helper()
	if p := FindShared(parts...); p != "" {
		return p
	}
	missing(t, filepath.Join(append([]string{"shared", "testdata"}, parts...)...))
	return ""
}

// FindShared is Shared without a test: "" when the folder is absent.
func FindShared(parts ...string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(append([]string{dir, "shared", "testdata"}, parts...)...)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Repo returns the path of a file of the repository (docs/check.md, say), found from the working
// folder up to the folder that holds go.mod. A repository file is never optional: it fails.
func Repo(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("repository file %s: %v", rel, err)
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above %s: cannot find %s", dir, rel)
		}
		dir = parent
	}
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s not found, and %s=1: the data this test measures is missing", what, RequireEnv)
	}
	t.Skipf("%s not found: nothing measured (set %s=1 to make this a failure)", what, RequireEnv)
}
