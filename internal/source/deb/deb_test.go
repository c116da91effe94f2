package deb_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/source/deb"
)

func TestReadBuilt(t *testing.T) {
	data := fixture.Deb(t, "procps", "2:4.0.2-3", "amd64", map[string]fixture.DebFile{
		"/usr/bin/ps":     {Mode: 0o755, Data: "ps program"},
		"/usr/bin/chage2": {Mode: 0o2755, Data: "odd", Gname: "shadow"},
	})
	p, err := deb.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ctl, ok, err := p.Control("control")
	if err != nil || !ok || deb.Field(ctl, "Version") != "2:4.0.2-3" {
		t.Fatalf("control: %q %v %v", ctl, ok, err)
	}
	sums, _, _ := p.Control("md5sums")
	f, ok, err := p.Extract("/usr/bin/ps")
	if err != nil || !ok || string(f.Data) != "ps program" || f.Mode != 0o755 || deb.Sums(sums)["/usr/bin/ps"] != f.MD5 {
		t.Fatalf("extract: %+v %v %v", f, ok, err)
	}
	g, _, _ := p.Extract("/usr/bin/chage2")
	if g.Mode != 0o2755 || g.Gname != "shadow" {
		t.Fatalf("mode and group: %+v", g)
	}
	if _, ok, _ := p.Extract("/usr/bin/nothere"); ok {
		t.Fatal("found a file the package lacks")
	}
	bad := append([]byte(nil), data...)
	copy(bad, "!<arxh>\n")
	if _, err := deb.Open(bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, deb.ErrFormat) {
		t.Fatalf("bad magic: %v", err)
	}
}

// FuzzOpen: a .deb of any shape is refused or read, never a panic, never unbounded.
func FuzzOpen(f *testing.F) {
	f.Add(fixture.Deb(f, "a", "1", "all", map[string]fixture.DebFile{"/usr/share/a": {Mode: 0o644, Data: "x"}}))
	f.Add([]byte("!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := deb.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		p.Control("md5sums")
		p.Extract("/usr/share/a")
		p.Files()
	})
}
