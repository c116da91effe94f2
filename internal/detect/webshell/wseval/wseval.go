// Package wseval loads the web-shell evaluation data and measures a classifier on it.
//
// The malicious side is the real web shells of shared/testdata/webshells, read from the
// .tar.gz in memory and never written to disk, split by family into a tuning half and a
// held-out half (split.tsv, see Families and AssignHalves). The benign side is real web
// applications and admin tools from Debian's archive (BenignPackages), fetched with apt-get
// download into a cache folder, unpacked with dpkg-deb -x the way the package lays them out,
// and copied into a web root keeping the archive's times, the way admins deploy a release.
//
// Nothing here skips quietly: a missing archive, a package that cannot be fetched or a sample
// the fixed split does not know is an error, and the caller fails.
package wseval

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sample is one file of the evaluation data.
type Sample struct {
	Path    string // path in the archive, or in the web root for benign files
	Class   string // manifest class: php, php(txt), jsp, jsp(txt), perl-cgi, cfm, other:.rb; the package for benign files
	SHA256  string
	Family  string // web shells: the family (see Families)
	Half    string // web shells: Tuning or HeldOut
	Content []byte
	// Benign files: the file as installed (for the context a host would give, see Installed).
	Installed *Installed
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
		c := filepath.Join(d, "shared", "testdata")
		if st, err := os.Stat(filepath.Join(c, "webshells")); err == nil && st.IsDir() {
			return filepath.Clean(c)
		}
		p := filepath.Dir(d)
		if p == d {
			return ""
		}
		d = p
	}
}

// LoadShells reads the web-shell archive in memory, with each file's class from the manifest
// and its family and half from the fixed split. A file of the archive that the manifest or the
// split does not know is an error: the corpus changed, and the split must be written again.
func LoadShells(testdata string) ([]Sample, error) {
	samples, err := ReadShellArchive(testdata)
	if err != nil {
		return nil, err
	}
	sp, err := FixedSplit()
	if err != nil {
		return nil, err
	}
	if unknown := sp.Apply(samples); len(unknown) > 0 {
		return nil, fmt.Errorf("%d web-shell samples are not in the fixed split (first: %s): the corpus changed; run go run ./bench/webshell-eval -write-split internal/detect/webshell/wseval/split.tsv and say so", len(unknown), unknown[0])
	}
	return samples, nil
}

// ReadShellArchive reads the web-shell archive in memory with the manifest's classes, without
// the split.
func ReadShellArchive(testdata string) ([]Sample, error) {
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
			return nil, fmt.Errorf("web-shell archive: %s is not in MANIFEST-dev.tsv", name)
		}
		sum := sha256.Sum256(b)
		out = append(out, Sample{Path: name, Class: class, SHA256: hex.EncodeToString(sum[:]), Content: b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("web-shell archive %s holds no files", f.Name())
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
