package secretstest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// ExtractDeb unpacks a Debian package's files into the folder root (as dpkg would, without its
// maintainer scripts), in pure Go: the ar archive, then data.tar.{xz,zst,gz}. It returns the
// host paths of the regular files written. Entries that would leave root are refused.
func ExtractDeb(root, deb string) ([]string, error) {
	f, err := os.Open(deb)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, fmt.Errorf("%s: not an ar archive", deb)
	}
	for {
		hdr := make([]byte, 60)
		if _, err := io.ReadFull(br, hdr); err != nil {
			return nil, fmt.Errorf("%s: no data member", deb)
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%s: bad member size", deb)
		}
		body := io.LimitReader(br, size)
		if strings.HasPrefix(name, "data.tar") {
			var r io.Reader
			switch path.Ext(name) {
			case ".xz":
				r, err = xz.NewReader(body)
			case ".zst":
				var d *zstd.Decoder
				d, err = zstd.NewReader(body)
				if d != nil {
					defer d.Close()
				}
				r = d
			case ".gz":
				r, err = gzip.NewReader(body)
			case ".tar":
				r = body
			default:
				err = fmt.Errorf("%s: %s not supported", deb, name)
			}
			if err != nil {
				return nil, err
			}
			return untar(root, r)
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return nil, err
		}
		if size%2 == 1 {
			br.ReadByte()
		}
	}
}

func untar(root string, r io.Reader) ([]string, error) {
	var files []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return files, err
		}
		hp := path.Clean("/" + h.Name)
		if hp == "/" {
			continue
		}
		dst := filepath.Join(root, filepath.FromSlash(hp))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(dst), 0o755)
			var b bytes.Buffer
			if _, err := io.Copy(&b, io.LimitReader(tr, 64<<20)); err != nil {
				return files, err
			}
			if err := os.WriteFile(dst, b.Bytes(), os.FileMode(h.Mode)&0o777); err != nil {
				return files, err
			}
			files = append(files, hp)
		case tar.TypeSymlink:
			os.MkdirAll(filepath.Dir(dst), 0o755)
			os.Remove(dst)
			os.Symlink(h.Linkname, dst) // read later through hostfs, which keeps links inside the root
		}
	}
}
