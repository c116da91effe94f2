package vulns

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSource is where osv.dev publishes its per-ecosystem exports.
const DefaultSource = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultEcosystems are the exports a Debian web server needs.
var DefaultEcosystems = []string{"Debian", "Packagist", "npm"}

// maxDownload bounds one export (Debian's all.zip is the largest, well under this).
const maxDownload = 4 << 30

// Downloaded is one export fetched.
type Downloaded struct {
	Ecosystem string `json:"ecosystem"`
	Path      string `json:"path"`
	Bytes     int64  `json:"bytes"`
	Records   int    `json:"records"`
}

// Update downloads SOURCE/ECOSYSTEM/all.zip into DIR/ECOSYSTEM/all.zip for each ecosystem. Each
// file is written beside its place, checked to be a zip of JSON records, and only then moved in:
// a failed or cut download never replaces good data.
func Update(ctx context.Context, client *http.Client, source, dir string, ecosystems []string) ([]Downloaded, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if source == "" {
		source = DefaultSource
	}
	var out []Downloaded
	var errs []error
	for _, eco := range ecosystems {
		if eco == "" || strings.ContainsAny(eco, "/\\") || eco == "." || eco == ".." {
			errs = append(errs, fmt.Errorf("ecosystem %q: not a name", eco))
			continue
		}
		d, err := fetch(ctx, client, strings.TrimRight(source, "/")+"/"+eco+"/all.zip", filepath.Join(dir, eco))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", eco, err))
			continue
		}
		d.Ecosystem = eco
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

func fetch(ctx context.Context, client *http.Client, url, dir string) (Downloaded, error) {
	var d Downloaded
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return d, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return d, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("%s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, ".all.zip.*")
	if err != nil {
		return d, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err == nil && n > maxDownload {
		err = fmt.Errorf("larger than %d bytes", int64(maxDownload))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return d, fmt.Errorf("download %s: %w (the data already there is kept)", url, err)
	}
	zr, err := zip.OpenReader(tmp.Name())
	if err != nil {
		return d, fmt.Errorf("%s is not a zip: %w (the data already there is kept)", url, err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".json") {
			d.Records++
		}
	}
	zr.Close()
	final := filepath.Join(dir, "all.zip")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return d, err
	}
	d.Path, d.Bytes = final, n
	return d, nil
}
