package packages

import (
	"context"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// TestCollectThisHost reads the machine's own package database, when it has one.
func TestCollectThisHost(t *testing.T) {
	fs, err := hostfs.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if !fs.Exists(dpkgStatus) {
		t.Skip("no dpkg database here")
	}
	rec := &probe.Recorder{}
	if err := (Collector{}).Collect(context.Background(), &probe.Env{FS: fs, Sink: rec, Live: true}); err != nil {
		t.Fatal(err)
	}
	pkgs := probe.Of[snapshot.Package](rec)
	files := probe.Of[snapshot.PackageFile](rec)
	t.Logf("%d packages, %d files, %d problems", len(pkgs), len(files), len(rec.Problems))
	for _, p := range rec.Problems {
		t.Logf("problem: %+v", p)
	}
	if len(pkgs) == 0 || len(files) == 0 {
		t.Fatalf("nothing read from a host with a dpkg database")
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "/") || (f.Alg == "md5" && f.Digest != "" && len(f.Digest) != 32) || (f.Alg == "diverted" && !strings.HasPrefix(f.Digest, "/")) {
			t.Fatalf("bad record %+v", f)
		}
	}
}
