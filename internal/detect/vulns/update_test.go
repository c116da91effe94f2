package vulns

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdate downloads from a local server laid out as osv.dev's bucket: the good export lands,
// a broken one does not replace what was there, and the result loads.
func TestUpdate(t *testing.T) {
	var good bytes.Buffer
	zw := zip.NewWriter(&good)
	data, err := os.ReadFile("testdata/osv/Debian/DSA-5724-1.json")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := zw.Create("DSA-5724-1.json")
	w.Write(data)
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Debian/all.zip":
			w.Write(good.Bytes())
		case "/npm/all.zip":
			w.Write([]byte("<html>not a zip</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "npm"), 0o755)
	os.WriteFile(filepath.Join(dir, "npm", "all.zip"), []byte("previous"), 0o644)
	got, err := Update(context.Background(), srv.Client(), srv.URL, dir, []string{"Debian", "npm", "Packagist", "../x"})
	if err == nil || !strings.Contains(err.Error(), "npm") || !strings.Contains(err.Error(), "Packagist") || !strings.Contains(err.Error(), "not a name") {
		t.Errorf("errors: %v", err)
	}
	if len(got) != 1 || got[0].Ecosystem != "Debian" || got[0].Records != 1 {
		t.Fatalf("downloaded %+v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "npm", "all.zip")); string(b) != "previous" {
		t.Error("a broken download replaced the data there")
	}
	os.Remove(filepath.Join(dir, "npm", "all.zip"))
	db, err := Load(dir, nil)
	if err != nil || len(db.For(Key{"Debian:12", "openssh"})) != 1 {
		t.Fatalf("load: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "Debian")); len(ents) != 1 {
		t.Errorf("left over files: %v", ents)
	}
}
