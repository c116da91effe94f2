package loophole

import (
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

func openFS(t *testing.T, dir string) *hostfs.FS {
	fsys, err := hostfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}
