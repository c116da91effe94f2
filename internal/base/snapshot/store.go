package snapshot

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"github.com/nowwhat/nowwhat/internal/base/localfile"
	"github.com/nowwhat/nowwhat/internal/base/sqlitefile"
)

// Sink receives records from collectors. Put may be called from many goroutines.
type Sink interface {
	Put(rec any)
	Problem(collector, path string, err error)
}

const batchRows = 64

// Writer builds a snapshot file. Records are queued to one writing goroutine, so collectors
// never wait on the database; Close commits, indexes and moves the file into place.
type Writer struct {
	db      *sql.DB
	conn    *sql.Conn
	tx      *sql.Tx
	final   string // where the finished file goes ("" for memory)
	tmp     string
	keep    bool // never replace an existing file at final (CreateNew)
	memory  bool
	closed  bool
	queue   chan any
	done    chan struct{}
	mu      sync.Mutex
	err     error
	meta    map[string]string
	pending map[*table][][]any
	stmts   map[*table]*sql.Stmt
	batch   map[*table]*sql.Stmt
	counts  map[string]int
}

// Create starts a snapshot that Close writes to path (atomically, mode 0600).
func Create(path string) (*Writer, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create snapshot %s: %w (is the folder there and writable?)", path, err)
	}
	tmp := f.Name()
	f.Close()
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("create snapshot %s: %w", path, err)
	}
	w, err := newWriter(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	w.final, w.tmp = path, tmp
	return w, nil
}

// ErrExists is returned by CreateNew (and its Close) when the destination already exists.
var ErrExists = errors.New("file exists")

// CreateNew is Create that never replaces an existing file: it refuses one at once, and Close
// moves the finished snapshot into place only if nothing appeared there meanwhile. A baseline
// may be the only trusted record a user has.
func CreateNew(path string) (*Writer, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrExists)
	}
	w, err := Create(path)
	if err != nil {
		return nil, err
	}
	w.keep = true
	return w, nil
}

// CreateMemory starts a snapshot held in memory, for `-o -` and for comparisons with the live
// host: nothing is written to the host's disks. After Close, WriteTo streams it and Reader reads it.
func CreateMemory() (*Writer, error) {
	w, err := newWriter(":memory:")
	if err != nil {
		return nil, err
	}
	w.memory = true
	return w, nil
}

func newWriter(path string) (*Writer, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("open snapshot database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open snapshot database: %w", err)
	}
	for _, p := range []string{
		"PRAGMA page_size=8192", "PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF",
		"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-32000",
	} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			db.Close()
			return nil, fmt.Errorf("prepare snapshot database (%s): %w", p, err)
		}
	}
	w := &Writer{db: db, conn: conn, queue: make(chan any, 4096), done: make(chan struct{}),
		meta: map[string]string{}, pending: map[*table][][]any{}, stmts: map[*table]*sql.Stmt{},
		batch: map[*table]*sql.Stmt{}, counts: map[string]int{}}
	if err := w.schema(ctx); err != nil {
		w.closeDB()
		return nil, err
	}
	go w.loop()
	return w, nil
}

func (w *Writer) schema(ctx context.Context) error {
	stmts := []string{"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"}
	allTables()
	for _, t := range tableList {
		stmts = append(stmts, t.create)
	}
	for _, s := range stmts {
		if _, err := w.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create snapshot schema: %w", err)
		}
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	w.tx = tx
	return nil
}

// Put queues a record. Safe for concurrent use.
func (w *Writer) Put(rec any) { w.queue <- rec }

// Problem records something that could not be read; nil errors are ignored.
func (w *Writer) Problem(collector, path string, err error) {
	if err == nil {
		return
	}
	w.Put(Problem{Collector: collector, Path: path, Error: err.Error()})
}

// SetMeta records a fact about the snapshot (host name, time, tool version, ...).
func (w *Writer) SetMeta(key, value string) {
	w.mu.Lock()
	w.meta[key] = value
	w.mu.Unlock()
}

// Count returns how many records of a table were written so far (after Close: all of them).
func (w *Writer) Count(tableName string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts[tableName]
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *Writer) loop() {
	defer close(w.done)
	for rec := range w.queue {
		t, rv, err := tableOf(rec)
		if err != nil {
			w.fail(err)
			continue
		}
		w.pending[t] = append(w.pending[t], t.values(rv))
		if len(w.pending[t]) >= batchRows {
			w.flush(t)
		}
	}
	for _, t := range tableList {
		w.flush(t)
	}
}

func (w *Writer) flush(t *table) {
	rows := w.pending[t]
	if len(rows) == 0 {
		return
	}
	w.pending[t] = rows[:0]
	w.mu.Lock()
	w.counts[t.name] += len(rows)
	w.mu.Unlock()
	ctx := context.Background()
	if len(rows) == batchRows {
		st := w.batch[t]
		if st == nil {
			one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",") + ")"
			q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", t.name, strings.Join(t.cols, ","),
				strings.TrimSuffix(strings.Repeat(one+",", batchRows), ","))
			var err error
			st, err = w.tx.PrepareContext(ctx, q)
			if err != nil {
				w.fail(fmt.Errorf("write snapshot: %w", err))
				return
			}
			w.batch[t] = st
		}
		args := make([]any, 0, batchRows*len(t.cols))
		for _, r := range rows {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			w.fail(fmt.Errorf("write snapshot %s: %w", t.name, err))
		}
		return
	}
	st := w.stmts[t]
	if st == nil {
		var err error
		st, err = w.tx.PrepareContext(ctx, t.insert)
		if err != nil {
			w.fail(fmt.Errorf("write snapshot: %w", err))
			return
		}
		w.stmts[t] = st
	}
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			w.fail(fmt.Errorf("write snapshot %s: %w", t.name, err))
			return
		}
	}
}

func (w *Writer) finish() error {
	close(w.queue)
	<-w.done
	ctx := context.Background()
	w.mu.Lock()
	meta := make(map[string]string, len(w.meta)+2)
	for k, v := range w.meta {
		meta[k] = v
	}
	for name, n := range w.counts {
		meta["count."+name] = strconv.Itoa(n)
	}
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	meta["format"] = Format
	meta["version"] = strconv.Itoa(Version)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := w.tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", k, meta[k]); err != nil {
			return fmt.Errorf("write snapshot meta: %w", err)
		}
	}
	for _, t := range tableList {
		for _, ix := range t.indexes {
			if _, err := w.tx.ExecContext(ctx, ix); err != nil {
				return fmt.Errorf("index snapshot: %w", err)
			}
		}
	}
	for _, st := range w.stmts {
		st.Close()
	}
	for _, st := range w.batch {
		st.Close()
	}
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("commit snapshot: %w", err)
	}
	return nil
}

func (w *Writer) closeDB() {
	if w.conn != nil {
		w.conn.Close()
	}
	w.db.Close()
}

// Close finishes the snapshot: commits, indexes, and (for a file) fsyncs and renames it into
// place. On error nothing is left at the destination.
func (w *Writer) Close() error {
	err := w.finish()
	w.closed = true
	if w.memory {
		if err != nil {
			w.closeDB()
		}
		return err
	}
	w.closeDB()
	if err == nil {
		err = syncFile(w.tmp)
	}
	if err == nil {
		if rerr := w.moveIntoPlace(); rerr != nil {
			err = fmt.Errorf("move snapshot into place: %w", rerr)
		}
	}
	if err != nil {
		os.Remove(w.tmp)
	}
	return err
}

func (w *Writer) moveIntoPlace() error {
	if !w.keep {
		return os.Rename(w.tmp, w.final)
	}
	err := unix.Renameat2(unix.AT_FDCWD, w.tmp, unix.AT_FDCWD, w.final, unix.RENAME_NOREPLACE)
	if err == unix.EEXIST {
		return fmt.Errorf("%s: %w (it appeared while the snapshot was taken)", w.final, ErrExists)
	}
	if err == unix.EINVAL || err == unix.ENOSYS {
		// A file system without RENAME_NOREPLACE: a hard link never replaces either.
		if err := os.Link(w.tmp, w.final); err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s: %w (it appeared while the snapshot was taken)", w.final, ErrExists)
			}
			return err
		}
		return os.Remove(w.tmp)
	}
	return err
}

// TempPath is the file being written until Close moves it into place ("" in memory), so a
// command stopped by a signal can remove it.
func (w *Writer) TempPath() string { return w.tmp }

// Abort discards the snapshot.
func (w *Writer) Abort() {
	if !w.closed {
		close(w.queue)
		<-w.done
		if w.tx != nil {
			w.tx.Rollback()
		}
	}
	w.closed = true
	w.closeDB()
	if w.tmp != "" {
		os.Remove(w.tmp)
	}
}

func (w *Writer) serialize() ([]byte, error) {
	var data []byte
	err := w.conn.Raw(func(dc any) error {
		s, ok := dc.(interface{ Serialize() ([]byte, error) })
		if !ok {
			return errors.New("sqlite driver cannot serialize")
		}
		var err error
		data, err = s.Serialize()
		return err
	})
	return data, err
}

// Bytes returns a finished in-memory snapshot as the bytes of its SQLite file (one copy, for a
// caller that must know the size before writing it).
func (w *Writer) Bytes() ([]byte, error) {
	if !w.memory || !w.closed {
		return nil, errors.New("snapshot: Bytes needs a finished in-memory snapshot")
	}
	data, err := w.serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize snapshot: %w", err)
	}
	return data, nil
}

// WriteTo streams a finished in-memory snapshot to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if !w.memory || !w.closed {
		return 0, errors.New("snapshot: WriteTo needs a finished in-memory snapshot")
	}
	data, err := w.serialize()
	if err != nil {
		return 0, fmt.Errorf("serialize snapshot: %w", err)
	}
	n, err := out.Write(data)
	return int64(n), err
}

// Reader turns a finished in-memory snapshot into a Reader (the Writer is then spent).
func (w *Writer) Reader(name string) (*Reader, error) {
	if !w.memory || !w.closed {
		return nil, errors.New("snapshot: Reader needs a finished in-memory snapshot")
	}
	w.conn.Close()
	w.conn = nil
	r := &Reader{db: w.db, name: name}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

var sqliteMagic = []byte("SQLite format 3\x00")

// Reader reads a finished snapshot.
type Reader struct {
	db     *sql.DB
	meta   map[string]string
	name   string
	keep   *os.File
	tables map[string]map[string]bool // tables present, with their columns (nil: not loaded)
	vfs    io.Closer
}

// Open opens the snapshot file at path for reading. It does not check a seal: callers that need
// a trusted snapshot go through package seal first. Only a regular file is opened (never a
// link, a FIFO or a device).
func Open(path string) (*Reader, error) {
	f, _, err := localfile.Open(path, "a snapshot file written by `nowwhat snapshot` or `nowwhat baseline`")
	if err != nil {
		return nil, fmt.Errorf("open snapshot: %w", err)
	}
	r, err := OpenFile(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// DeclaredSize is the size of a snapshot file as its first 100 bytes (the SQLite header) give
// it: page size times page count. Readers never read past it, whatever the file or stream holds.
func DeclaredSize(head []byte, name string) (int64, error) {
	if len(head) < 100 || !bytes.Equal(head[:len(sqliteMagic)], sqliteMagic) {
		return 0, fmt.Errorf("%s is not a nowwhat snapshot (not an SQLite file); give a file written by `nowwhat snapshot` or `nowwhat baseline`", name)
	}
	pageSize := int64(head[16])<<8 | int64(head[17])
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(head[28])<<24 | int64(head[29])<<16 | int64(head[30])<<8 | int64(head[31])
	if pageSize < 512 || pageSize&(pageSize-1) != 0 || pages == 0 {
		return 0, fmt.Errorf("snapshot %s is damaged: its header gives no valid size (page size %d, %d pages); use an intact copy", name, pageSize, pages)
	}
	return pages * pageSize, nil
}

// OpenFile opens the snapshot in an open file; the Reader keeps f open until Close. SQLite reads
// through that descriptor only (never by path), so what was verified is what is read.
// name is used in messages.
func OpenFile(f *os.File, name string) (*Reader, error) {
	head := make([]byte, 100)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read snapshot %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("snapshot %s is not a regular file", name)
	}
	declared, err := DeclaredSize(head[:n], name)
	if err != nil {
		return nil, err
	}
	if pageSize := int64(head[16])<<8 | int64(head[17]); st.Size() < declared || pageSize > 1 && st.Size()%pageSize != 0 {
		return nil, fmt.Errorf("snapshot %s is truncated or damaged (%d bytes, the file says %d); use an intact copy", name, st.Size(), declared)
	}
	db, vf, err := sqlitefile.Open(f)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %s: %w", name, err)
	}
	r := &Reader{db: db, name: name, keep: f, vfs: vf}
	if err := r.load(); err != nil {
		db.Close()
		vf.Close()
		return nil, err
	}
	var check string
	if err := db.QueryRow("PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		db.Close()
		vf.Close()
		if err == nil {
			err = errors.New(check)
		}
		return nil, fmt.Errorf("snapshot %s is damaged: %w", name, err)
	}
	return r, nil
}

func (r *Reader) load() error {
	r.meta = map[string]string{}
	rows, err := r.db.Query("SELECT key, value FROM meta")
	if err != nil {
		return fmt.Errorf("%s is not a nowwhat snapshot or is damaged: %w", r.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("snapshot %s is damaged: %w", r.name, err)
		}
		r.meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("snapshot %s is damaged: %w", r.name, err)
	}
	if r.meta["format"] != Format {
		return fmt.Errorf("%s is an SQLite file but not a nowwhat snapshot", r.name)
	}
	if v, _ := strconv.Atoi(r.meta["version"]); v > Version || v < 1 {
		return fmt.Errorf("snapshot %s has format version %s; this nowwhat reads version %d: use a matching nowwhat", r.name, r.meta["version"], Version)
	}
	// The tables and columns present: a snapshot written by an older nowwhat lacks those added
	// since, which then read as empty (tables) or zero (columns).
	r.tables = map[string]map[string]bool{}
	trows, err := r.db.Query("SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'")
	if err != nil {
		return fmt.Errorf("snapshot %s is damaged: %w", r.name, err)
	}
	defer trows.Close()
	for trows.Next() {
		var tbl, col string
		if err := trows.Scan(&tbl, &col); err != nil {
			return fmt.Errorf("snapshot %s is damaged: %w", r.name, err)
		}
		if r.tables[tbl] == nil {
			r.tables[tbl] = map[string]bool{}
		}
		r.tables[tbl][col] = true
	}
	return trows.Err()
}

// HasTable reports whether the snapshot holds a table: one written by an older nowwhat lacks
// the tables added since, and reads of them give no records (HasTable tells "none" from "not
// recorded").
func (r *Reader) HasTable(name string) bool { return r.tables[name] != nil }

// Close releases the snapshot.
func (r *Reader) Close() error {
	err := r.db.Close()
	if r.vfs != nil {
		r.vfs.Close()
	}
	if r.keep != nil {
		r.keep.Close()
	}
	return err
}

// Name is the file the snapshot came from.
func (r *Reader) Name() string { return r.name }

// Meta returns a fact recorded about the snapshot ("" when absent).
func (r *Reader) Meta(key string) string { return r.meta[key] }

// MetaAll returns all recorded facts.
func (r *Reader) MetaAll() map[string]string {
	out := make(map[string]string, len(r.meta))
	for k, v := range r.meta {
		out[k] = v
	}
	return out
}

// DB gives direct SQL access (read-only) for analyzers that need joins.
func (r *Reader) DB() *sql.DB { return r.db }

// columns is the select list of a table for this snapshot: a column added since the snapshot was
// written reads as ” or 0; false when the table itself did not exist yet.
func (r *Reader) columns(t *table) ([]string, bool) {
	if r.tables == nil {
		return t.cols, true
	}
	have := r.tables[t.name]
	if have == nil {
		return nil, false
	}
	sel := make([]string, len(t.cols))
	for i, c := range t.cols {
		switch {
		case have[c]:
			sel[i] = c
		case t.kinds[i] == reflect.String:
			sel[i] = "'' AS " + c
		default:
			sel[i] = "0 AS " + c
		}
	}
	return sel, true
}

// Each calls fn for every record of type T matching the optional SQL condition, in key order.
func Each[T any](r *Reader, where string, args []any, fn func(T) error) error {
	var zero T
	t, _, err := tableOf(zero)
	if err != nil {
		return err
	}
	sel, ok := r.columns(t)
	if !ok {
		return nil // an older snapshot: the table did not exist yet
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(sel, ","), t.name)
	if where != "" {
		q += " WHERE " + where
	}
	if len(t.keys) > 0 {
		q += " ORDER BY " + strings.Join(t.keys, ",")
	}
	rows, err := r.db.Query(q, args...)
	if err != nil {
		return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
		}
		var rec T
		t.set(reflect.ValueOf(&rec).Elem(), vals)
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
	}
	return nil
}

// EachBatch calls fn for every record of type T, in key order, reading n records at a time and
// releasing the database between batches: fn may query the snapshot itself (Each holds the one
// connection while it reads). The table must have a single key column, unique per record.
func EachBatch[T any](r *Reader, n int, fn func(T) error) error {
	var zero T
	t, _, err := tableOf(zero)
	if err != nil {
		return err
	}
	if len(t.keys) != 1 {
		return fmt.Errorf("read %s in batches: the table has no single key", t.name)
	}
	sel, ok := r.columns(t)
	if !ok {
		return nil // an older snapshot: the table did not exist yet
	}
	key := t.keys[0]
	ki := slices.Index(t.cols, key)
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s > ? ORDER BY %s LIMIT %d", strings.Join(sel, ","), t.name, key, key, max(n, 1))
	var last any = ""
	if t.kinds[ki] != reflect.String {
		last = int64(-1 << 62)
	}
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	batch := make([]T, 0, n)
	for {
		batch = batch[:0]
		rows, err := r.db.Query(q, last)
		if err != nil {
			return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
			}
			var rec T
			t.set(reflect.ValueOf(&rec).Elem(), vals)
			batch = append(batch, rec)
			last = vals[ki]
			if b, ok := last.([]byte); ok {
				last = string(b)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read %s from snapshot %s: %w", t.name, r.name, err)
		}
		for _, rec := range batch {
			if err := fn(rec); err != nil {
				return err
			}
		}
		if len(batch) < n {
			return nil
		}
	}
}

// All returns every record of type T matching the optional SQL condition.
func All[T any](r *Reader, where string, args ...any) ([]T, error) {
	var out []T
	err := Each(r, where, args, func(rec T) error {
		out = append(out, rec)
		return nil
	})
	return out, err
}

// IsText reports whether a column of a table holds text (else integers).
func IsText(tableName, column string) bool {
	allTables()
	for _, t := range tableList {
		if t.name != tableName {
			continue
		}
		for i, c := range t.cols {
			if c == column {
				return t.kinds[i] == reflect.String
			}
		}
	}
	return false
}

// Columns returns the stored column names of a table, and which of them are keys.
func Columns(tableName string) (cols, keys []string) {
	allTables()
	for _, t := range tableList {
		if t.name == tableName {
			return append([]string(nil), t.cols...), append([]string(nil), t.keys...)
		}
	}
	return nil, nil
}
