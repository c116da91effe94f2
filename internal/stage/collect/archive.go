// Package collect is nowwhat's evidence archive: a standard tar stream, compressed with zstd and,
// for one or more recipients, encrypted with age, that holds copies of a host's volatile state,
// logs, configuration and suspicious files with a manifest of every item's digest, a collection
// log and a chain-of-custody record. It writes archives (Writer), checks them item by item
// (Verify) and opens them for analysis on a clean machine (Extract).
//
// An archive opens with everyday tools: age -d -i KEY FILE | zstd -d | tar -x.
package collect

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// Names of the archive's own records, at the top of its tree. They are written last, once every
// item's digest is known, so the archive can be streamed.
const (
	ManifestName = "manifest.json"
	LogName      = "collection.log"
	CustodyName  = "custody.json"
	// FormatID names the layout of the manifest.
	FormatID = "nowwhat-evidence/1"
)

// How an item came into the archive.
const (
	HowCopied    = "copied"    // the whole file, as read
	HowTruncated = "truncated" // the first bytes only (a size cap); OriginalSize says how big it was
	HowGenerated = "generated" // written by nowwhat (a listing, a report, the snapshot)
	HowLink      = "link"      // a symbolic link, kept as a link (its target in Link)
	HowSkipped   = "skipped"   // not in the archive; Error says why
)

// Item is one entry of the manifest.
type Item struct {
	Path         string `json:"path,omitempty"` // as on the host; empty for generated items
	ArchivePath  string `json:"archive_path"`
	Step         string `json:"step"` // live, snapshot, logs, config, flagged, timeline
	SHA256       string `json:"sha256,omitempty"`
	Size         int64  `json:"size"` // bytes in the archive
	OriginalSize int64  `json:"original_size,omitempty"`
	Offset       int64  `json:"offset,omitempty"` // where in the file the copy starts (a log truncated to its end)
	Mtime        string `json:"mtime,omitempty"`
	Ctime        string `json:"ctime,omitempty"`
	Mode         string `json:"mode,omitempty"` // permission bits in octal, with the type: "file 0644"
	UID          *int64 `json:"uid,omitempty"`
	GID          *int64 `json:"gid,omitempty"`
	How          string `json:"how"`
	Link         string `json:"link,omitempty"`
	Note         string `json:"note,omitempty"`
	Error        string `json:"error,omitempty"`
}

// itemFields is Item without its JSON methods.
type itemFields Item

// itemWire is an item as JSON: a name that is not valid UTF-8 (attackers use such names, and
// JSON would turn their bytes into U+FFFD) is written escaped for the eye in its own field and
// exactly, in base64, in a *_b64 field beside it; reading takes the exact form.
type itemWire struct {
	itemFields
	PathB64        string `json:"path_b64,omitempty"`
	ArchivePathB64 string `json:"archive_path_b64,omitempty"`
	LinkB64        string `json:"link_b64,omitempty"`
}

// MarshalJSON keeps every name byte for byte (see itemWire).
func (it Item) MarshalJSON() ([]byte, error) {
	w := itemWire{itemFields: itemFields(it)}
	w.Path, w.PathB64 = textsafe.ForJSON(it.Path)
	w.ArchivePath, w.ArchivePathB64 = textsafe.ForJSON(it.ArchivePath)
	w.Link, w.LinkB64 = textsafe.ForJSON(it.Link)
	return json.Marshal(w)
}

// UnmarshalJSON reads the exact names back.
func (it *Item) UnmarshalJSON(data []byte) error {
	var w itemWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*it = Item(w.itemFields)
	var err error
	for _, f := range []struct {
		dst *string
		b64 string
	}{{&it.Path, w.PathB64}, {&it.ArchivePath, w.ArchivePathB64}, {&it.Link, w.LinkB64}} {
		if *f.dst, err = textsafe.FromJSON(*f.dst, f.b64); err != nil {
			return err
		}
	}
	return nil
}

// Manifest lists every item of an archive.
type Manifest struct {
	Format      string            `json:"format"`
	Host        map[string]string `json:"host"`
	CollectedAt string            `json:"collected_at"`
	FinishedAt  string            `json:"finished_at"`
	ToolVersion string            `json:"tool_version"`
	Profile     string            `json:"profile,omitempty"`
	Encrypted   bool              `json:"encrypted"`
	Complete    bool              `json:"complete"` // no item failed, none truncated or skipped, not interrupted
	// Interrupted says where and why the collection stopped before its end (a signal, a
	// cancelled run); NotAttempted lists the steps it never began.
	Interrupted  string   `json:"interrupted,omitempty"`
	NotAttempted []string `json:"not_attempted,omitempty"`
	Limits       Limits   `json:"limits"`
	// NotCovered lists the limits the collection reached (a depth, a size cap) and what it
	// therefore left out: coverage gaps, never silent.
	NotCovered []string `json:"not_covered"`
	Items      []Item   `json:"items"`
}

// Limits bound what one collection may copy.
type Limits struct {
	MaxFileSize int64 `json:"max_file_size"` // bytes per file; 0: no limit
	MaxTotal    int64 `json:"max_total"`     // bytes of items in all; 0: no limit
}

// Custody is the chain-of-custody record: who collected, from where, when, on which host, with
// which tool, and the digests that tie it to the manifest and the log.
type Custody struct {
	Operator       string            `json:"operator"`
	UID            int               `json:"uid"`
	SudoUser       string            `json:"sudo_user,omitempty"`
	From           string            `json:"from,omitempty"` // SSH_CONNECTION's client, or "console"
	Command        []string          `json:"command"`
	Host           map[string]string `json:"host"`
	Root           string            `json:"root"`
	Live           bool              `json:"live"`
	StartedAt      string            `json:"started_at"`
	FinishedAt     string            `json:"finished_at"`
	ToolVersion    string            `json:"tool_version"`
	ToolSHA256     string            `json:"tool_sha256"`
	ManifestSHA256 string            `json:"manifest_sha256"`
	LogSHA256      string            `json:"log_sha256"`
	Items          int               `json:"items"`
	Problems       int               `json:"problems"`
	Recipients     []string          `json:"recipients,omitempty"`
}

// Writer writes one archive. Its methods record a problem with one item in the manifest and the
// log and go on; only a failure to write the archive itself (a full disk, a closed pipe) stops
// the collection, and Err then says so.
type Writer struct {
	sink    *sink
	enc     io.WriteCloser // age, when encrypting
	zw      *zstd.Encoder
	tw      *tar.Writer
	limits  Limits
	items   []Item
	log     bytes.Buffer
	total   int64
	names   map[string]bool // archive paths written
	copied  map[string]bool // host paths copied
	dirs    map[string]bool
	started time.Time
	buf     []byte
	stats   *Stats
	gaps    []string
	gapSeen map[string]bool
	ctx     context.Context // when done, file copies stop (and are padded, so the archive stays whole)
}

// Stats count what a collection has written so far (for a progress display).
type Stats struct {
	Items atomic.Int64
	Bytes atomic.Int64
}

// sink hashes and counts what leaves the writer, and remembers the first write error.
type sink struct {
	w   io.Writer
	h   hashWriter
	n   int64
	err error
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (s *sink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	if err != nil {
		s.err = err
	}
	return n, err
}

// NewWriter starts an archive on out, encrypted to recipients when there are any.
func NewWriter(out io.Writer, recipients []age.Recipient, limits Limits, stats *Stats) (*Writer, error) {
	if stats == nil {
		stats = &Stats{}
	}
	w := &Writer{stats: stats, sink: &sink{w: out, h: sha256.New()}, limits: limits, names: map[string]bool{}, copied: map[string]bool{},
		dirs: map[string]bool{}, started: time.Now().UTC(), buf: make([]byte, 1<<20)}
	var dst io.Writer = w.sink
	if len(recipients) > 0 {
		enc, err := age.Encrypt(w.sink, recipients...)
		if err != nil {
			return nil, fmt.Errorf("start age encryption: %w", err)
		}
		w.enc = enc
		dst = enc
	}
	zw, err := zstd.NewWriter(dst, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("start zstd: %w", err)
	}
	w.zw = zw
	w.tw = tar.NewWriter(zw)
	return w, nil
}

// Err is the archive's write error, if writing it failed: the collection cannot go on.
func (w *Writer) Err() error {
	if w.sink.err != nil {
		return fmt.Errorf("writing the archive failed: %w (the archive is incomplete; write it to another disk, or stream it with -o - over ssh)", w.sink.err)
	}
	return nil
}

// Logf adds a line to the collection log.
func (w *Writer) Logf(format string, a ...any) {
	fmt.Fprintf(&w.log, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, a...))
}

// Items are the manifest entries so far.
func (w *Writer) Items() []Item { return w.items }

// Copied reports whether the host file was already copied into the archive.
func (w *Writer) Copied(hostPath string) bool { return w.copied[hostfs.Clean(hostPath)] }

// HostArchivePath is where a host file goes in the archive.
func HostArchivePath(hostPath string) string { return "files" + hostfs.Clean(hostPath) }

// Skip records an item that is not in the archive, and why.
func (w *Writer) Skip(step, hostPath, why string) {
	w.items = append(w.items, Item{Path: hostPath, Step: step, How: HowSkipped, Error: why})
	w.Logf("skipped %s: %s", hostPath, why)
}

// Leave records an item left out on purpose (a private host key, a FIFO that is never opened):
// listed in the manifest with the reason, and not a problem of the collection.
func (w *Writer) Leave(step, hostPath, why string) {
	w.items = append(w.items, Item{Path: hostPath, Step: step, How: HowSkipped, Note: why})
}

// Gap records a limit the collection reached at hostPath (a depth, a cap): the item is listed
// as skipped with why, which makes the archive incomplete, and the manifest's not_covered says
// it once per kind of limit.
func (w *Writer) Gap(hostPath, why string) {
	w.Skip("limit", hostPath, why)
	key := why
	if i := strings.Index(why, ";"); i > 0 {
		key = why[:i]
	}
	w.noteGap(key, why)
}

// noteGap adds a line to the manifest's not_covered, once per key.
func (w *Writer) noteGap(key, why string) {
	if w.gapSeen == nil {
		w.gapSeen = map[string]bool{}
	}
	if !w.gapSeen[key] {
		w.gapSeen[key] = true
		w.gaps = append(w.gaps, why)
	}
}

// Problem records a failure that belongs to no single item (a folder that could not be listed).
func (w *Writer) Problem(step, hostPath string, err error) {
	w.Skip(step, hostPath, err.Error())
}

// uniqueName makes an archive path unique (a second copy of the same name gets ".2").
func (w *Writer) uniqueName(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if !w.names[name] {
		w.names[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s.%d", name, i)
		if !w.names[n] {
			w.names[n] = true
			return n
		}
	}
}

// mkdirs writes the folders above name, so plain tar -x gives them sane permissions.
func (w *Writer) mkdirs(name string, mt time.Time) error {
	dir := path.Dir(name)
	if dir == "." || dir == "/" || w.dirs[dir] {
		return nil
	}
	if err := w.mkdirs(dir, mt); err != nil {
		return err
	}
	w.dirs[dir] = true
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o700, ModTime: mt, Format: tar.FormatPAX})
}

// header writes a regular file's header. A name tar cannot encode is the item's problem, not
// the archive's: nothing was written yet.
func (w *Writer) header(name string, size int64, mt time.Time) error {
	if err := w.mkdirs(name, w.started); err != nil {
		return err
	}
	if mt.IsZero() {
		mt = w.started
	}
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: mt, Format: tar.FormatPAX})
}

// AddBytes writes a generated item (a listing, a report): hostPath may name what it was read
// from (/proc/1/cmdline), or be empty.
func (w *Writer) AddBytes(step, archivePath, hostPath string, data []byte) {
	if w.sink.err != nil {
		return
	}
	name := w.uniqueName(archivePath)
	it := Item{Path: hostPath, ArchivePath: name, Step: step, How: HowGenerated, Size: int64(len(data))}
	if err := w.header(name, int64(len(data)), time.Time{}); err != nil {
		w.fail(it, err)
		return
	}
	if _, err := w.tw.Write(data); err != nil {
		w.fail(it, err)
		return
	}
	sum := sha256.Sum256(data)
	it.SHA256 = hex.EncodeToString(sum[:])
	w.add(it)
}

func (w *Writer) add(it Item) {
	w.items = append(w.items, it)
	w.total += it.Size
	w.stats.Items.Add(1)
	w.stats.Bytes.Add(it.Size)
}

// fail records an item that could not be written; a write error of the archive itself also
// shows in Err.
func (w *Writer) fail(it Item, err error) {
	it.How, it.Error, it.SHA256, it.Size = HowSkipped, err.Error(), "", 0
	it.ArchivePath = ""
	w.items = append(w.items, it)
	w.Logf("failed %s: %v", orName(it), err)
}

func orName(it Item) string {
	if it.Path != "" {
		return it.Path
	}
	return it.ArchivePath
}

// describe fills an item's metadata from a stat.
func describe(it *Item, st hostfs.Stat) {
	it.Mtime = st.Mtime.UTC().Format(time.RFC3339Nano)
	it.Ctime = st.Ctime.UTC().Format(time.RFC3339Nano)
	it.Mode = fmt.Sprintf("%s %04o", st.Type(), st.Perm())
	uid, gid := int64(st.UID), int64(st.GID)
	it.UID, it.GID = &uid, &gid
}

// budget is how many bytes of a file of size may go in: the per-file and the total caps.
func (w *Writer) budget(size int64) (int64, string) {
	n, why := size, ""
	if w.limits.MaxFileSize > 0 && n > w.limits.MaxFileSize {
		n, why = w.limits.MaxFileSize, fmt.Sprintf("larger than the per-file cap of %d bytes", w.limits.MaxFileSize)
	}
	if w.limits.MaxTotal > 0 && w.total+n > w.limits.MaxTotal {
		n = max(0, w.limits.MaxTotal-w.total)
		why = fmt.Sprintf("the total cap of %d bytes was reached", w.limits.MaxTotal)
	}
	return n, why
}

// AddFile copies an open host file (described by st, taken when it was opened) into the archive
// at archivePath, within the caps. A file that shrinks while it is read is padded with zeros so
// the archive stays whole; a file that changes while it is read is copied and flagged.
func (w *Writer) AddFile(step, hostPath, archivePath string, f *os.File, st hostfs.Stat, note string) {
	if w.sink.err != nil {
		return
	}
	generated := hostPath == "" // built by nowwhat in memory (the bodyfile): no host metadata, no per-file cap
	it := Item{Step: step, How: HowCopied, Note: note}
	if generated {
		it.How = HowGenerated
	} else {
		hostPath = hostfs.Clean(hostPath)
		it.Path = hostPath
		describe(&it, st)
	}
	n, why := w.budget(st.Size)
	if generated && n < st.Size && (w.limits.MaxTotal == 0 || w.total+st.Size <= w.limits.MaxTotal) {
		n, why = st.Size, ""
	}
	if n < st.Size && why != "" {
		w.noteGap(why, "files were cut or left out: "+why+" (each is listed in the manifest with its original size; raise --max-file-size or --max-total)")
	}
	if n == 0 && st.Size > 0 {
		it.How, it.Error, it.OriginalSize = HowSkipped, why, st.Size
		w.items = append(w.items, it)
		w.Logf("skipped %s: %s", hostPath, why)
		return
	}
	live := isLog(hostPath)
	if n < st.Size {
		if !generated {
			it.How = HowTruncated
		}
		it.OriginalSize = st.Size
		it.Error = "truncated: " + why
		if live {
			// A log's newest lines are at its end: keep those.
			if _, err := f.Seek(st.Size-n, io.SeekStart); err == nil {
				it.Offset = st.Size - n
				it.Error += fmt.Sprintf("; the last %d bytes were kept (from byte %d)", n, it.Offset)
			}
		}
	}
	name := w.uniqueName(archivePath)
	it.ArchivePath, it.Size = name, n
	if err := w.header(name, n, st.Mtime); err != nil {
		w.fail(it, err)
		return
	}
	h := sha256.New()
	var copied int64
	var rerr error
	for copied < n {
		if w.ctx != nil && w.ctx.Err() != nil {
			rerr = fmt.Errorf("the collection was interrupted (%v)", context.Cause(w.ctx))
			break
		}
		chunk := w.buf[:min(int64(len(w.buf)), n-copied)]
		k, err := f.Read(chunk)
		if k > 0 {
			if _, werr := w.tw.Write(chunk[:k]); werr != nil {
				w.fail(it, werr)
				return
			}
			h.Write(chunk[:k])
			copied += int64(k)
		}
		if err != nil {
			rerr = err
			break
		}
	}
	if copied < n {
		// The file shrank or could not be read to the end: pad, so the tar stays well formed.
		pad := n - copied
		zero := make([]byte, min(pad, 1<<16))
		for pad > 0 {
			k := min(pad, int64(len(zero)))
			if _, werr := w.tw.Write(zero[:k]); werr != nil {
				w.fail(it, werr)
				return
			}
			h.Write(zero[:k])
			pad -= k
		}
		what := "the file shrank while it was read"
		if w.ctx != nil && w.ctx.Err() != nil {
			what = "the collection was interrupted"
		} else if rerr != nil && !errors.Is(rerr, io.EOF) {
			what = "read failed: " + rerr.Error()
		}
		it.Error = joinErr(it.Error, fmt.Sprintf("%s after %d of %d bytes; the rest is zeros", what, copied, n))
	}
	if after, err := hostfs.Fstat(f); err == nil && (after.Size != st.Size || !after.Mtime.Equal(st.Mtime) || !after.Ctime.Equal(st.Ctime)) {
		change := fmt.Sprintf("(size %d -> %d, mtime %s -> %s)", st.Size, after.Size,
			st.Mtime.UTC().Format(time.RFC3339Nano), after.Mtime.UTC().Format(time.RFC3339Nano))
		if live && after.Size >= st.Size && copied == n {
			// A log being written: what it held when the copy began is all here.
			it.Note = joinErr(it.Note, "was being written while it was read "+change+"; the copy holds what it held when the copy began")
		} else {
			it.Error = joinErr(it.Error, "changed while it was read "+change)
		}
	}
	it.SHA256 = hex.EncodeToString(h.Sum(nil))
	if it.Error != "" {
		w.Logf("%s: %s", hostPath, it.Error)
	}
	if !generated {
		w.copied[hostPath] = true
	}
	w.add(it)
}

// isLog reports a host path under /var/log: written while it is read, newest at its end.
func isLog(p string) bool { return strings.HasPrefix(p, catalog.Path("logs")) }

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// AddLink records a symbolic link as a link (never followed).
func (w *Writer) AddLink(step, hostPath, target string, st hostfs.Stat) {
	if w.sink.err != nil {
		return
	}
	hostPath = hostfs.Clean(hostPath)
	name := w.uniqueName(HostArchivePath(hostPath))
	it := Item{Path: hostPath, ArchivePath: name, Step: step, How: HowLink, Link: target}
	describe(&it, st)
	if err := w.mkdirs(name, w.started); err != nil {
		w.fail(it, err)
		return
	}
	if err := w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: st.Mtime, Format: tar.FormatPAX}); err != nil {
		w.fail(it, err)
		return
	}
	w.copied[hostPath] = true
	w.add(it)
}

// Result is what a finished archive is.
type Result struct {
	SHA256   string // of the archive's bytes as written (encrypted, when encrypted)
	Size     int64
	Items    int
	Problems int // items skipped, truncated or with an error
	Manifest *Manifest
}

// Finish writes the manifest, the collection log and the custody record, and closes the
// streams. The archive's own digest comes back in the Result.
func (w *Writer) Finish(m *Manifest, c *Custody) (*Result, error) {
	if err := w.Err(); err != nil {
		return nil, err
	}
	problems := 0
	for _, it := range w.items {
		if it.Error != "" {
			problems++ // failed, truncated, changed while read; not what was left out on purpose
		}
	}
	m.Format = FormatID
	m.Items = w.items
	if m.Items == nil {
		m.Items = []Item{}
	}
	m.Complete = problems == 0 && m.Interrupted == ""
	m.Limits = w.limits
	m.NotCovered = append(m.NotCovered, w.gaps...)
	if m.NotCovered == nil {
		m.NotCovered = []string{}
	}
	m.FinishedAt = time.Now().UTC().Format(time.RFC3339Nano)
	mj, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	w.Logf("collection finished: %d items, %d problems", len(w.items), problems)
	logData := bytes.Clone(w.log.Bytes())
	ms, ls := sha256.Sum256(mj), sha256.Sum256(logData)
	c.ManifestSHA256, c.LogSHA256 = hex.EncodeToString(ms[:]), hex.EncodeToString(ls[:])
	c.FinishedAt, c.Items, c.Problems = m.FinishedAt, len(w.items), problems
	cj, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return nil, fmt.Errorf("custody record: %w", err)
	}
	for _, rec := range []struct {
		name string
		data []byte
	}{{ManifestName, mj}, {LogName, logData}, {CustodyName, cj}} {
		if err := w.header(rec.name, int64(len(rec.data)), time.Now()); err != nil {
			return nil, w.orErr(err)
		}
		if _, err := w.tw.Write(rec.data); err != nil {
			return nil, w.orErr(err)
		}
	}
	if err := w.tw.Close(); err != nil {
		return nil, w.orErr(err)
	}
	if err := w.zw.Close(); err != nil {
		return nil, w.orErr(err)
	}
	if w.enc != nil {
		if err := w.enc.Close(); err != nil {
			return nil, w.orErr(err)
		}
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	return &Result{SHA256: hex.EncodeToString(w.sink.h.Sum(nil)), Size: w.sink.n, Items: len(w.items), Problems: problems, Manifest: m}, nil
}

func (w *Writer) orErr(err error) error {
	if e := w.Err(); e != nil {
		return e
	}
	return fmt.Errorf("finish the archive: %w", err)
}
