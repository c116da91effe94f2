package collect

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// ErrEncrypted is returned for an encrypted archive when no identity was given.
var ErrEncrypted = errors.New("the archive is encrypted with age: give the identity (secret key) file with --identity")

// maxRecord bounds the archive's own records read into memory (the manifest of a big
// collection is tens of megabytes).
const maxRecord = 512 << 20

// Report is what Verify found.
type Report struct {
	Encrypted bool
	Entries   int // tar entries read
	Checked   int // manifest items checked against their entries
	Problems  []string
	Manifest  *Manifest
	Custody   *Custody
}

// OK reports whether every item matched and the archive was whole.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.Manifest != nil }

func (r *Report) problem(format string, a ...any) {
	if len(r.Problems) < 1000 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
	} else if len(r.Problems) == 1000 {
		r.Problems = append(r.Problems, "... more problems not listed")
	}
}

type entry struct {
	typ    byte
	size   int64
	sha    string
	link   string
	offset int64 // of the entry's data in the tar stream
}

// open undoes the encryption (when there is one) and the compression.
func open(r io.Reader, ids []age.Identity) (io.Reader, bool, func(), error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(64)
	encrypted := false
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("age-encryption.org/v1\n")):
		encrypted = true
	case bytes.HasPrefix(head, []byte(armor.Header)):
		encrypted = true
		src = armor.NewReader(br)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
	default:
		return nil, false, nil, errors.New("not a nowwhat evidence archive: neither age-encrypted nor zstd-compressed")
	}
	if encrypted {
		if len(ids) == 0 {
			return nil, true, nil, ErrEncrypted
		}
		dr, err := age.Decrypt(src, ids...)
		if err != nil {
			return nil, true, nil, fmt.Errorf("decrypt the archive: %w (is this the right identity?)", err)
		}
		src = dr
	}
	zr, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, encrypted, nil, fmt.Errorf("decompress the archive: %w", err)
	}
	return zr, encrypted, zr.Close, nil
}

// counter counts the bytes of the tar stream read so far.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Verify reads a whole archive and checks every item of its manifest against the entry in the
// archive (size and SHA-256), every entry against the manifest, and the manifest and collection
// log against the custody record. ids open an encrypted archive.
func Verify(r io.Reader, ids []age.Identity) (*Report, error) {
	zr, encrypted, closeZ, err := open(r, ids)
	rep := &Report{Encrypted: encrypted}
	if err != nil {
		return rep, err
	}
	defer closeZ()
	cr := &counter{r: zr}
	tr := tar.NewReader(cr)
	entries := map[string]entry{}
	records := map[string][]byte{}
	last := "the start"
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rep.problem("the archive is damaged after %s (about byte %d of the tar stream): %v", last, cr.n, err)
			break
		}
		rep.Entries++
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if _, dup := entries[name]; dup {
			rep.problem("%s is in the archive twice", name)
		}
		e := entry{typ: h.Typeflag, size: h.Size, link: h.Linkname, offset: cr.n}
		if h.Typeflag == tar.TypeReg {
			hs := sha256.New()
			var src io.Reader = tr
			var rec *bytes.Buffer
			if name == ManifestName || name == LogName || name == CustodyName {
				rec = &bytes.Buffer{}
				src = io.TeeReader(io.LimitReader(tr, maxRecord), rec)
			}
			n, err := io.CopyBuffer(hs, src, buf)
			if err != nil {
				rep.problem("the archive is damaged inside %s (about byte %d of the tar stream): %v", name, cr.n, err)
				break
			}
			if n != h.Size && rec == nil {
				rep.problem("%s: %d bytes in the archive, its header says %d", name, n, h.Size)
			}
			e.sha = hex.EncodeToString(hs.Sum(nil))
			if rec != nil {
				records[name] = rec.Bytes()
			}
		}
		entries[name] = e
		last = name
	}
	// The compressed stream must also end cleanly (its checksum is checked at the end of a frame).
	if _, err := io.Copy(io.Discard, cr); err != nil && len(rep.Problems) == 0 {
		rep.problem("the archive is damaged after %s: %v", last, err)
	}
	mj, ok := records[ManifestName]
	if !ok {
		if len(rep.Problems) > 0 {
			rep.problem("%s, written at the end, lies beyond the damage: no item after it could be checked", ManifestName)
		} else {
			rep.problem("the archive has no %s: it is not a nowwhat evidence archive, or it was cut short", ManifestName)
		}
		return rep, nil
	}
	var m Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		rep.problem("%s is damaged: %v", ManifestName, err)
		return rep, nil
	}
	rep.Manifest = &m
	if m.Format != FormatID {
		rep.problem("%s: unknown format %q", ManifestName, m.Format)
	}
	if cj, ok := records[CustodyName]; !ok {
		rep.problem("the archive has no %s", CustodyName)
	} else {
		var c Custody
		if err := json.Unmarshal(cj, &c); err != nil {
			rep.problem("%s is damaged: %v", CustodyName, err)
		} else {
			rep.Custody = &c
			if s := sha256.Sum256(mj); hex.EncodeToString(s[:]) != c.ManifestSHA256 {
				rep.problem("%s does not match the digest the custody record gives for it: the manifest was changed", ManifestName)
			}
			if lg, ok := records[LogName]; !ok {
				rep.problem("the archive has no %s", LogName)
			} else if s := sha256.Sum256(lg); hex.EncodeToString(s[:]) != c.LogSHA256 {
				rep.problem("%s does not match the digest the custody record gives for it: the log was changed", LogName)
			}
		}
	}
	listed := map[string]bool{ManifestName: true, LogName: true, CustodyName: true}
	for _, it := range m.Items {
		if it.ArchivePath == "" {
			continue // skipped: not in the archive
		}
		listed[it.ArchivePath] = true
		e, ok := entries[it.ArchivePath]
		if !ok {
			rep.problem("%s (%s) is in the manifest but not in the archive", it.ArchivePath, orName(it))
			continue
		}
		rep.Checked++
		switch it.How {
		case HowLink:
			if e.typ != tar.TypeSymlink || e.link != it.Link {
				rep.problem("%s: the manifest records a link to %q, the archive holds %q", it.ArchivePath, it.Link, e.link)
			}
		default:
			if e.typ != tar.TypeReg {
				rep.problem("%s: not a regular file in the archive", it.ArchivePath)
			} else if e.size != it.Size {
				rep.problem("%s (%s): %d bytes in the archive, %d in the manifest", it.ArchivePath, orName(it), e.size, it.Size)
			} else if e.sha != it.SHA256 {
				rep.problem("%s (%s): SHA-256 %s in the archive, %s in the manifest: the content changed (data at about byte %d of the tar stream)",
					it.ArchivePath, orName(it), short(e.sha), short(it.SHA256), e.offset)
			}
		}
	}
	var extra []string
	for name, e := range entries {
		if !listed[name] && e.typ != tar.TypeDir {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		rep.problem("%s is in the archive but not in the manifest", name)
	}
	return rep, nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "..."
	}
	return h
}

// ExtractOptions choose what Extract writes.
type ExtractOptions struct {
	// Only, when not empty, lists the archive folders to write ("snapshot/", "files/"); the
	// rest is verified but not written.
	Only []string
}

func (o ExtractOptions) wants(name string) bool {
	if len(o.Only) == 0 {
		return true
	}
	for _, p := range o.Only {
		if name == strings.TrimSuffix(p, "/") || strings.HasPrefix(name, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// Extract verifies an archive, then writes its files (the host's files, the snapshot, the
// reports) under dir, which must be empty or absent; it is created 0700.
//
// Nothing is written before the whole archive has verified, and then each entry is written only
// as the verified manifest describes it: a regular item at most its manifest's size and with its
// manifest's SHA-256 (checked again as it is written, since the file is read twice), a link as a
// link (read later through the confined reader, it never leads out), nothing the manifest does
// not list. Runs of zeros become holes, so a huge sparse file costs no disk; the space the
// manifest's sizes need must be free first. On any error dir is removed.
func Extract(src io.ReadSeeker, ids []age.Identity, dir string, opt ExtractOptions) (*Report, error) {
	rep, err := Verify(src, ids)
	if err == nil && !rep.OK() {
		err = fmt.Errorf("the archive did not verify (%d problems, first: %s); nothing was extracted", len(rep.Problems), first(rep.Problems))
	}
	if err != nil {
		return rep, err
	}
	items := map[string]Item{}
	var need int64
	for _, it := range rep.Manifest.Items {
		if it.ArchivePath == "" || !opt.wants(it.ArchivePath) {
			continue
		}
		items[it.ArchivePath] = it
		if it.How != HowLink {
			need += it.Size
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, fmt.Errorf("create %s: %w", dir, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		return rep, fmt.Errorf("extract into %s: the folder is not empty", dir)
	}
	if free, ok := freeSpace(dir); ok && need > free {
		os.RemoveAll(dir)
		return rep, fmt.Errorf("extracting needs up to %d bytes and %s has %d free: set TMPDIR to a folder on a larger disk", need, dir, free)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		os.RemoveAll(dir)
		return rep, fmt.Errorf("read the archive again to extract it: %w", err)
	}
	if err := extract(src, ids, dir, items); err != nil {
		os.RemoveAll(dir)
		return rep, err
	}
	return rep, nil
}

// extract writes the entries that items list, as they list them.
func extract(src io.Reader, ids []age.Identity, dir string, items map[string]Item) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	zr, _, closeZ, err := open(src, ids)
	if err != nil {
		return err
	}
	defer closeZ()
	tr := tar.NewReader(zr)
	buf := make([]byte, 1<<16)
	done := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("the archive changed after it was verified: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag == tar.TypeDir {
			continue // folders are made as their files need them
		}
		it, ok := items[name]
		if !ok {
			continue // not wanted, or the archive's own records
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe name %q in the archive", h.Name)
		}
		if err := root.MkdirAll(path.Dir(name), 0o700); err != nil {
			return fmt.Errorf("extract %s: %w", name, err)
		}
		switch {
		case it.How == HowLink:
			if h.Typeflag != tar.TypeSymlink || h.Linkname != it.Link {
				return fmt.Errorf("%s: the archive changed after it was verified (not the link its manifest records)", name)
			}
			if err := root.Symlink(h.Linkname, name); err != nil {
				return fmt.Errorf("extract %s: %w", name, err)
			}
		case h.Typeflag == tar.TypeReg && h.Size == it.Size:
			if err := writeSparse(root, name, io.LimitReader(tr, it.Size), it, buf); err != nil {
				return err
			}
			if !h.ModTime.IsZero() {
				root.Chtimes(name, h.ModTime, h.ModTime)
			}
		default:
			return fmt.Errorf("%s: the archive changed after it was verified (type %q, %d bytes; the manifest says %s, %d bytes)", name, h.Typeflag, h.Size, it.How, it.Size)
		}
		delete(items, name)
		done++
	}
	if len(items) > 0 {
		return fmt.Errorf("the archive changed after it was verified: %d items are missing", len(items))
	}
	return nil
}

// writeSparse writes one regular item, leaving holes for blocks of zeros, and checks its digest.
func writeSparse(root *os.Root, name string, r io.Reader, it Item, buf []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("extract %s: %w", name, err)
	}
	h := sha256.New()
	var n int64
	for {
		k, rerr := io.ReadFull(r, buf)
		if k > 0 {
			h.Write(buf[:k])
			if allZero(buf[:k]) {
				_, err = f.Seek(int64(k), io.SeekCurrent)
			} else {
				_, err = f.Write(buf[:k])
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("extract %s: %w", name, err)
			}
			n += int64(k)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			f.Close()
			return fmt.Errorf("extract %s: %w", name, rerr)
		}
	}
	if err := f.Truncate(n); err != nil {
		f.Close()
		return fmt.Errorf("extract %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("extract %s: %w", name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != it.Size || sum != it.SHA256 {
		return fmt.Errorf("%s: the archive changed after it was verified (%d bytes, SHA-256 %s; the manifest says %d, %s)", name, n, short(sum), it.Size, short(it.SHA256))
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// freeSpace is how many bytes an unprivileged writer may still put on dir's file system.
func freeSpace(dir string) (int64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

func first(s []string) string {
	if len(s) == 0 {
		return "no manifest"
	}
	return s[0]
}
