// Package wseval loads the web-shell evaluation data (real web shells from
// shared/testdata/webshells, read from the .tar.gz in memory and never written to disk, and
// the benign WordPress and Tomcat example files listed in shared/testdata/benign-web, fetched
// as Debian packages into a cache folder) and measures a classifier's recall and false alarms
// on them per language.
package wseval

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Sample is one file of the evaluation data.
type Sample struct {
	Path    string // path in the archive or after extraction
	Class   string // manifest class: php, php(txt), jsp, jsp(txt), perl-cgi, cfm, other:.rb, ...
	Content []byte
}

// maxSample bounds what is read of one sample.
const maxSample = 16 << 20

// FindTestdata returns the shared/testdata folder seen from dir or one of its parents, or ""
// when there is none.
func FindTestdata(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		for _, c := range []string{filepath.Join(d, "shared", "testdata"), filepath.Join(d, "..", "shared", "testdata")} {
			if st, err := os.Stat(filepath.Join(c, "webshells")); err == nil && st.IsDir() {
				return filepath.Clean(c)
			}
		}
		p := filepath.Dir(d)
		if p == d {
			return ""
		}
		d = p
	}
}

// LoadShells reads the web-shell archive in memory, with each file's class from the manifest.
func LoadShells(testdata string) ([]Sample, error) {
	dir := filepath.Join(testdata, "webshells")
	classes, err := readManifest(filepath.Join(dir, "MANIFEST-dev.tsv"), 0, 3)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "webshells-dev.tar.gz"))
	if err != nil {
		return nil, fmt.Errorf("open web-shell archive: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read web-shell archive: %w", err)
	}
	tr := tar.NewReader(gz)
	var out []Sample
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read web-shell archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(h.Name, "./")
		b, err := io.ReadAll(io.LimitReader(tr, maxSample))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		class := classes[name]
		if class == "" {
			class = "unlisted"
		}
		out = append(out, Sample{Path: name, Class: class, Content: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func readManifest(path string, keyCol, valCol int) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open manifest: %w", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) > keyCol && len(cols) > valCol {
			m[cols[keyCol]] = cols[valCol]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return m, nil
}

// BenignPackage is one Debian package of the benign set.
type BenignPackage struct{ Name, Version string }

// BenignPackages lists the packages and versions named in the benign manifest.
func BenignPackages(testdata string) ([]BenignPackage, error) {
	m, err := readManifest(filepath.Join(testdata, "benign-web", "MANIFEST-dev.tsv"), 1, 1)
	if err != nil {
		return nil, err
	}
	var out []BenignPackage
	for k := range m {
		name, ver, ok := strings.Cut(k, " ")
		if ok {
			out = append(out, BenignPackage{name, ver})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CacheDir is where extracted benign packages are kept between runs.
func CacheDir() string {
	return filepath.Join(os.TempDir(), "nowwhat-benign-web")
}

// FetchBenign makes sure each package is extracted under cache/<name>_<version>/<name>/,
// downloading it with apt-get download and unpacking it with dpkg-deb when missing. When the
// pinned version is gone from the archive it takes the current one and says so in notes.
func FetchBenign(ctx context.Context, pkgs []BenignPackage, cache string) (notes []string, err error) {
	for _, p := range pkgs {
		dir := filepath.Join(cache, p.Name+"_"+p.Version)
		if _, err := os.Stat(filepath.Join(dir, ".done")); err == nil {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return notes, fmt.Errorf("make cache folder: %w", err)
		}
		dl, err := os.MkdirTemp(cache, "dl-")
		if err != nil {
			return notes, fmt.Errorf("make download folder: %w", err)
		}
		defer os.RemoveAll(dl)
		if err := run(ctx, dl, "apt-get", "download", "-q", p.Name+"="+p.Version); err != nil {
			if err2 := run(ctx, dl, "apt-get", "download", "-q", p.Name); err2 != nil {
				return notes, fmt.Errorf("apt-get download %s: %w", p.Name, err)
			}
			notes = append(notes, fmt.Sprintf("%s %s is gone from the archive; the current version was used", p.Name, p.Version))
		}
		debs, _ := filepath.Glob(filepath.Join(dl, p.Name+"_*.deb"))
		if len(debs) == 0 {
			return notes, fmt.Errorf("apt-get download %s: no .deb", p.Name)
		}
		if err := run(ctx, dl, "dpkg-deb", "-x", debs[0], filepath.Join(dir, p.Name)); err != nil {
			return notes, fmt.Errorf("dpkg-deb -x %s: %w", debs[0], err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".done"), []byte(filepath.Base(debs[0])+"\n"), 0o644); err != nil {
			return notes, fmt.Errorf("mark cache: %w", err)
		}
	}
	return notes, nil
}

func run(ctx context.Context, dir, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// LoadBenign reads the benign files listed in the manifest from the cache. Class is the
// language by extension (php, jsp). Files of the manifest that are missing (a newer package
// version) are counted in missing.
func LoadBenign(testdata, cache string, pkgs []BenignPackage) (samples []Sample, missing int, err error) {
	m, err := readManifest(filepath.Join(testdata, "benign-web", "MANIFEST-dev.tsv"), 0, 1)
	if err != nil {
		return nil, 0, err
	}
	roots := map[string]string{}
	for _, p := range pkgs {
		roots[p.Name] = filepath.Join(cache, p.Name+"_"+p.Version)
	}
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		pkg, _, _ := strings.Cut(p, "/")
		root, ok := roots[pkg]
		if !ok {
			missing++
			continue
		}
		full := filepath.Join(root, filepath.FromSlash(p))
		b, err := readLimited(full)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				missing++
				continue
			}
			return nil, missing, err
		}
		class := strings.TrimPrefix(filepath.Ext(p), ".")
		if strings.HasPrefix(class, "jsp") {
			class = "jsp"
		}
		samples = append(samples, Sample{Path: p, Class: class, Content: b})
	}
	return samples, missing, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open benign file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSample))
	if err != nil {
		return nil, fmt.Errorf("read benign file: %w", err)
	}
	return b, nil
}
