package debrepo

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Entry is one package of a Packages index.
type Entry struct {
	Package, Version, Architecture, Filename, SHA256 string
	Size                                             int64
}

// maxIndex caps a decompressed Packages index (bookworm's main/amd64 is about 45 MB).
const maxIndex = 512 << 20

// decompressIndex opens an index by the extension of its name.
func decompressIndex(name string, data []byte) (io.Reader, error) {
	switch {
	case strings.HasSuffix(name, ".xz"):
		return xz.NewReader(bytes.NewReader(data))
	case strings.HasSuffix(name, ".gz"):
		return gzip.NewReader(bytes.NewReader(data))
	case strings.HasSuffix(name, ".zst"):
		z, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxIndex))
		if err != nil {
			return nil, err
		}
		return z.IOReadCloser(), nil
	}
	return bytes.NewReader(data), nil
}

// FindPackage scans a Packages index (stanzas separated by blank lines) for a package, version
// ("": the first listed) and architecture. Memory stays flat: one stanza at a time.
func FindPackage(r io.Reader, name, version, arch string) (*Entry, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxIndex))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var cur Entry
	match := func() *Entry {
		if cur.Package == name && (cur.Version == version || version == "") && (cur.Architecture == arch || cur.Architecture == "all" || arch == "") {
			e := cur
			return &e
		}
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if e := match(); e != nil {
				return e, nil
			}
			cur = Entry{}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Package = v
		case "Version":
			cur.Version = v
		case "Architecture":
			cur.Architecture = v
		case "Filename":
			cur.Filename = v
		case "SHA256":
			cur.SHA256 = strings.ToLower(v)
		case "Size":
			cur.Size, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("Packages index: %w", err)
	}
	if e := match(); e != nil {
		return e, nil
	}
	return nil, nil
}

// Source is one line (or deb822 stanza) of the host's APT sources: a mirror, a suite and its
// components.
type Source struct {
	URI        string
	Suite      string
	Components []string
}

// ParseSourcesList reads a one-line-style sources.list.
func ParseSourcesList(data []byte) []Source {
	var out []Source
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // options: [arch=amd64 signed-by=...]
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) == 0 {
				continue
			}
			f = f[1:]
		}
		if len(f) < 2 {
			continue
		}
		out = append(out, Source{URI: f[0], Suite: f[1], Components: f[2:]})
	}
	return out
}

// ParseDeb822Sources reads a deb822-style .sources file.
func ParseDeb822Sources(data []byte) []Source {
	var out []Source
	for _, stanza := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") || line == "" || line[0] == ' ' || line[0] == '\t' {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !strings.Contains(" "+fields["types"]+" ", " deb ") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			for _, suite := range strings.Fields(fields["suites"]) {
				out = append(out, Source{URI: uri, Suite: suite, Components: strings.Fields(fields["components"])})
			}
		}
	}
	return out
}
