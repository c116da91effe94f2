package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

const (
	maxEntrySize  = 4 << 20 // an ENTRY object of more than 262144 regular items is not believed
	arrayChunk    = 4096    // entry array items read at once
	cacheMaxItems = 1 << 16 // shared DATA objects kept decoded
	cacheMaxBytes = 32 << 20
)

var le = binary.LittleEndian

// budgetBase is the field data every walk may produce whatever the file's size.
var budgetBase int64 = 1 << 30

var errBudget = errors.New("the walk has produced more field data than 64 times the file size (a hostile or damaged file); field skipped")

// File is one journal file open for reading. It is not safe for concurrent use.
type File struct {
	// Name is the host path of the file (set by OpenPath) and names it in errors.
	Name string

	h        Header
	p        pager
	closer   io.Closer
	itemSize int64 // bytes per ENTRY item: 16 regular, 4 compact
	arrItem  int64 // bytes per ENTRY_ARRAY item: 8 regular, 4 compact
	dataOff  int64 // where a DATA object's payload starts

	items      []int64
	budget     int64             // field bytes the current walk may still produce
	names      map[string]string // interned field names
	cache      map[int64]field   // decoded DATA objects shared by several entries
	cacheBytes int
}

type field struct{ name, value string }

// Open reads the header of the journal file in r (size bytes long). Objects are read later,
// as Entries walks them.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("journal: negative size %d", size)
	}
	n := int64(HeaderSizeCurrent)
	if size < n {
		n = size
	}
	b := make([]byte, n)
	if got, err := r.ReadAt(b, 0); int64(got) < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("journal: read header: %w", err)
	}
	h, err := parseHeader(b, size)
	if err != nil {
		return nil, fmt.Errorf("journal: header: %w", err)
	}
	f := &File{
		h:        h,
		p:        pager{r: r, size: size},
		itemSize: 16,
		arrItem:  8,
		dataOff:  dataPayloadOffset,
		names:    map[string]string{},
		cache:    map[int64]field{},
		budget:   budgetBase + 64*size,
	}
	if h.Compact() {
		f.itemSize, f.arrItem, f.dataOff = 4, 4, dataPayloadCompct
	}
	return f, nil
}

// OpenPath opens the journal file at a host path through hostfs (no links out of the root, no
// FIFOs or devices, access time left alone). Close releases it.
func OpenPath(fsys *hostfs.FS, name string) (*File, error) {
	fh, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("journal: stat %s: %w", name, err)
	}
	f, err := Open(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", hostfs.Clean(name), err)
	}
	f.Name = hostfs.Clean(name)
	f.closer = fh
	return f, nil
}

// Close releases the file opened by OpenPath; for Open it does nothing.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Header returns what the file's header says.
func (f *File) Header() Header { return f.h }

// Entry is one journal entry.
type Entry struct {
	Seqnum    uint64
	Realtime  time.Time // UTC wall clock when the entry was written
	Monotonic uint64    // microseconds since boot BootID
	BootID    string    // 32 hex digits
	// Fields holds each field's value (names as written: MESSAGE, _PID, _SYSTEMD_UNIT, ...).
	// Values may hold any bytes. A field given several values keeps its first here.
	Fields map[string]string
	// Repeated holds the further values of fields given more than once (nil when none is).
	Repeated map[string][]string
	// Offset is where the ENTRY object sits in the file.
	Offset int64
	// Recovered is set for an entry found by walking the objects after the end of the entry
	// index rather than through it: written but never linked (a writer that stopped, or an
	// index edited to hide it).
	Recovered bool
}

// Message is the MESSAGE field.
func (e Entry) Message() string { return e.Fields["MESSAGE"] }

// Get returns the (first) value of a field, "" when absent.
func (e Entry) Get(name string) string { return e.Fields[name] }

// All returns every value of a field, in the order of the entry's items.
func (e Entry) All(name string) []string {
	v, ok := e.Fields[name]
	if !ok {
		return nil
	}
	return append([]string{v}, e.Repeated[name]...)
}

// CorruptError says what is wrong where in a journal file.
type CorruptError struct {
	File   string // host path, when known
	Offset int64  // of the object concerned
	Object string // "entry", "entry array", "data object", "object", "header"
	Err    error
}

func (e *CorruptError) Error() string {
	s := fmt.Sprintf("%s at offset %#x: %v", e.Object, e.Offset, e.Err)
	if e.File != "" {
		s = e.File + ": " + s
	}
	return s
}

func (e *CorruptError) Unwrap() error { return e.Err }

// DamageError is returned by Entries after the walk when the file was inconsistent somewhere:
// everything that could be read around the damage was still delivered.
type DamageError struct {
	File     string
	Problems []*CorruptError // the first few
	Total    int             // how many problems in all
}

const maxProblems = 20

func (e *DamageError) Error() string {
	var b bytes.Buffer
	b.WriteString("journal ")
	if e.File != "" {
		b.WriteString(e.File + " ")
	}
	fmt.Fprintf(&b, "damaged (%d problems): ", e.Total)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		q := *p
		q.File = ""
		b.WriteString(q.Error())
	}
	if more := e.Total - len(e.Problems); more > 0 {
		fmt.Fprintf(&b, "; and %d more", more)
	}
	return b.String()
}

// Unwrap gives the recorded problems to errors.Is and errors.As.
func (e *DamageError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Entries calls fn for each entry of the file, oldest first (in file order, which is seqnum
// order). An error from fn stops the walk and is returned as it is. Damage met on the way (bad
// offsets, truncation, undecodable payloads, fewer entries than the header counts) does not
// stop the walk: the entries around it are delivered and a *DamageError is returned at the end.
//
// Entries are found by walking the objects from the start of the file, merged with the entry
// index (the chain of entry arrays journalctl follows): where an object is damaged the walk
// resumes at the next entry the index names, and an entry the walk finds that the index lacks
// is delivered with Recovered set.
//
// A file in state online is being written (or its writer died): damage at its end is what an
// interrupted append leaves, and Recovered entries there are normal. Entries may be called
// again to walk the file again.
func (f *File) Entries(fn func(Entry) error) error {
	w := &walker{f: f, fn: fn}
	// Field bytes produced (copied or expanded) are bounded by the file's size, so that a
	// hostile file (many entries naming the same large or compressed objects) cannot make a
	// walk run without end. Real files stay far below this.
	f.budget = budgetBase + 64*f.p.size
	if err := w.walk(); err != nil {
		return err
	}
	h := f.h
	switch {
	case w.n < h.Entries:
		w.problem(0, "header", fmt.Errorf("header counts %d entries, %d could be read", h.Entries, w.n))
	case w.recovered > 0 && h.State != StateOnline:
		w.problem(0, "header", fmt.Errorf("%d entries are not in the entry index of this %s file (found by walking the objects)", w.recovered, h.State))
	}
	if w.dmg != nil {
		return w.dmg
	}
	return nil
}

type walker struct {
	f         *File
	fn        func(Entry) error
	last      int64 // offset of the last entry delivered
	n         uint64
	recovered uint64
	dmg       *DamageError
}

func (w *walker) problem(off int64, what string, err error) {
	if w.dmg == nil {
		w.dmg = &DamageError{File: w.f.Name}
	}
	w.dmg.Total++
	if len(w.dmg.Problems) < maxProblems {
		w.dmg.Problems = append(w.dmg.Problems, &CorruptError{File: w.f.Name, Offset: off, Object: what, Err: err})
	}
}

// walk goes through the objects in file order and the entry index side by side.
func (w *walker) walk() error {
	f := w.f
	idx := &index{w: w}
	if f.h.EntryArrayOffset > uint64(f.p.size) {
		w.problem(0, "header", fmt.Errorf("entry array offset %#x: %w", f.h.EntryArrayOffset, errBeyondEOF))
	} else {
		idx.arr = int64(f.h.EntryArrayOffset)
	}
	next, more := idx.next()
	tail := int64(min(f.h.TailObjectOffset, uint64(f.p.size)))
	p := int64(f.h.HeaderSize)
	for {
		// Entries of the index that the walk went past without meeting them (an object size
		// was wrong): take them as the index names them.
		for more && next < p {
			if next > w.last {
				if err := w.deliver(next, false); err != nil {
					return err
				}
			}
			next, more = idx.next()
		}
		if p+ObjectHeaderSize > f.p.size {
			break
		}
		typ, size, err := f.objectAt(p)
		if err != nil {
			unwritten := typ == ObjectUnused && size == 0
			switch {
			case more && next == p:
				if err := w.deliver(next, false); err != nil { // fails, and says why
					return err
				}
				next, more = idx.next()
			case more:
				w.problem(p, "object", fmt.Errorf("%w; resuming at the next indexed entry %#x", err, next))
			case p <= tail:
				if unwritten {
					err = errors.New("unwritten space before the header's last object")
				}
				w.problem(p, "object", fmt.Errorf("%w; walk of objects stopped", err))
			}
			if !more {
				break
			}
			p = next
			continue
		}
		if typ == ObjectEntry {
			indexed := more && next == p
			if indexed {
				next, more = idx.next()
			}
			if err := w.deliver(p, !indexed); err != nil {
				return err
			}
		}
		p += size
	}
	// Entries the index names past the last object walked (a truncated file).
	for ; more; next, more = idx.next() {
		if next > w.last {
			if err := w.deliver(next, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// index iterates the entry offsets of the chain of entry arrays, in increasing order.
type index struct {
	w         *walker
	arr, prev int64   // current array, previous one
	nextArr   uint64  // the current array's successor
	items     int64   // items in the current array
	i         int64   // next item to read from it
	buf       []int64 // decoded items
	bi        int
	last      int64
	done      bool
}

func (x *index) next() (int64, bool) {
	for !x.done {
		if x.bi < len(x.buf) {
			e := x.buf[x.bi]
			x.bi++
			if e == 0 { // unused slots: the end of the index
				x.done = true
				break
			}
			if e <= x.last {
				x.w.problem(x.arr, "entry array", fmt.Errorf("item %#x does not lie after the previous entry %#x", e, x.last))
				continue
			}
			x.last = e
			return e, true
		}
		if x.i < x.items {
			x.fill()
			continue
		}
		x.advance()
	}
	return 0, false
}

// fill decodes the next chunk of items of the current array.
func (x *index) fill() {
	f := x.w.f
	k := min(arrayChunk, x.items-x.i)
	b, err := f.p.get(x.arr+arrayItemsOffset+x.i*f.arrItem, int(k*f.arrItem))
	if err != nil {
		x.w.problem(x.arr, "entry array", err)
		x.done = true
		return
	}
	x.buf, x.bi = x.buf[:0], 0
	for j := int64(0); j < k; j++ {
		if f.arrItem == 4 {
			x.buf = append(x.buf, int64(le.Uint32(b[j*4:])))
		} else {
			x.buf = append(x.buf, int64(le.Uint64(b[j*8:])&(1<<63-1)))
		}
	}
	x.i += k
}

// advance moves to the next array of the chain (the first one on the first call).
func (x *index) advance() {
	f := x.w.f
	if x.items != 0 || x.prev != 0 {
		if x.nextArr > uint64(f.p.size) {
			x.w.problem(x.arr, "entry array", fmt.Errorf("next array at %#x: %w", x.nextArr, errBeyondEOF))
			x.done = true
			return
		}
		x.prev, x.arr = x.arr, int64(x.nextArr)
	}
	if x.arr == 0 {
		x.done = true
		return
	}
	if x.arr <= x.prev {
		x.w.problem(x.prev, "entry array", fmt.Errorf("next array at %#x does not lie after this one (a cycle or damage)", x.arr))
		x.done = true
		return
	}
	_, size, err := f.object(x.arr, ObjectEntryArray)
	if err == nil && (size < arrayItemsOffset+f.arrItem || (size-arrayItemsOffset)%f.arrItem != 0) {
		err = fmt.Errorf("size %d does not hold whole items", size)
	}
	var b []byte
	if err == nil {
		b, err = f.p.get(x.arr+ObjectHeaderSize, 8)
	}
	if err != nil {
		x.w.problem(x.arr, "entry array", err)
		x.done = true
		return
	}
	x.nextArr = le.Uint64(b)
	x.items = (size - arrayItemsOffset) / f.arrItem
	x.i = 0
	x.buf, x.bi = x.buf[:0], 0
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

func (w *walker) deliver(off int64, scanned bool) error {
	e, err := w.f.entry(off, w)
	if err != nil {
		w.problem(off, "entry", err)
		return nil
	}
	w.last = off
	w.n++
	if scanned {
		e.Recovered = true
		w.recovered++
	}
	return w.fn(e)
}

// objectAt reads the object header at p during the walk: its type and aligned size. An
// error says why no object can be taken there; typ and size are then as read.
func (f *File) objectAt(p int64) (uint8, int64, error) {
	b, err := f.p.get(p, ObjectHeaderSize)
	if err != nil {
		return 0, 0, err
	}
	typ, size := b[0], le.Uint64(b[8:])
	switch {
	case typ == ObjectUnused && size == 0:
		return typ, 0, errors.New("no object (unwritten space)")
	case typ == ObjectUnused || typ >= objectTypeMax:
		return typ, int64(size & (1<<62 - 1)), fmt.Errorf("object type %d is unknown", typ)
	case size < ObjectHeaderSize:
		return typ, int64(size), fmt.Errorf("object size %d is smaller than an object header", size)
	case size > uint64(f.p.size-p):
		return typ, int64(size & (1<<62 - 1)), fmt.Errorf("object of %d bytes runs past the end of the file (%d bytes)", size, f.p.size)
	}
	return typ, int64(align8(size)), nil
}

// object checks the object header at off and returns its type and size.
func (f *File) object(off int64, want uint8) (uint8, int64, error) {
	if off%8 != 0 {
		return 0, 0, errors.New("offset not aligned to 8 bytes")
	}
	if off < int64(f.h.HeaderSize) {
		return 0, 0, errors.New("offset inside the file header")
	}
	b, err := f.p.get(off, ObjectHeaderSize)
	if err != nil {
		return 0, 0, err
	}
	typ, size := b[0], le.Uint64(b[8:])
	if want != ObjectUnused && typ != want {
		return typ, 0, fmt.Errorf("found a %s object, expected a %s object", typeName(typ), typeName(want))
	}
	if size < ObjectHeaderSize {
		return typ, 0, fmt.Errorf("object size %d is smaller than an object header", size)
	}
	if size > uint64(f.p.size-off) {
		return typ, 0, fmt.Errorf("object of %d bytes runs past the end of the file (%d bytes)", size, f.p.size)
	}
	return typ, int64(size), nil
}

func typeName(t uint8) string {
	switch t {
	case ObjectUnused:
		return "unused"
	case ObjectData:
		return "DATA"
	case ObjectField:
		return "FIELD"
	case ObjectEntry:
		return "ENTRY"
	case ObjectDataHashTable:
		return "DATA_HASH_TABLE"
	case ObjectFieldHashTable:
		return "FIELD_HASH_TABLE"
	case ObjectEntryArray:
		return "ENTRY_ARRAY"
	case ObjectTag:
		return "TAG"
	}
	return fmt.Sprintf("unknown(%d)", t)
}

// entry reads the ENTRY object at off and the DATA objects it names. Damaged fields are
// reported to w and left out; a damaged ENTRY object is an error.
func (f *File) entry(off int64, w *walker) (Entry, error) {
	_, size, err := f.object(off, ObjectEntry)
	if err != nil {
		return Entry{}, err
	}
	if size < entryItemsOffset+f.itemSize || (size-entryItemsOffset)%f.itemSize != 0 {
		return Entry{}, fmt.Errorf("size %d does not hold whole items", size)
	}
	if size > maxEntrySize {
		return Entry{}, fmt.Errorf("size %d is beyond %d bytes", size, maxEntrySize)
	}
	b, err := f.p.get(off, int(size))
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		Seqnum:    le.Uint64(b[16:]),
		Realtime:  usecTime(le.Uint64(b[24:])),
		Monotonic: le.Uint64(b[32:]),
		BootID:    id128(b[40:]),
		Offset:    off,
	}
	n := (size - entryItemsOffset) / f.itemSize
	f.items = f.items[:0]
	for i := int64(0); i < n; i++ {
		p := b[entryItemsOffset+i*f.itemSize:]
		if f.itemSize == 4 {
			f.items = append(f.items, int64(le.Uint32(p)))
		} else {
			f.items = append(f.items, int64(le.Uint64(p)&(1<<63-1)))
		}
	}
	slices.Sort(f.items) // journald sorts them already; a hostile file gains nothing by not
	e.Fields = make(map[string]string, len(f.items))
	var prev int64 = -1
	for _, d := range f.items {
		if d == prev { // the same DATA object twice in one entry
			continue
		}
		prev = d
		fl, err := f.data(d)
		if err != nil {
			w.problem(d, "data object", fmt.Errorf("of entry %#x (seqnum %d): %w", off, e.Seqnum, err))
			continue
		}
		if _, dup := e.Fields[fl.name]; dup {
			if e.Repeated == nil {
				e.Repeated = map[string][]string{}
			}
			e.Repeated[fl.name] = append(e.Repeated[fl.name], fl.value)
			continue
		}
		e.Fields[fl.name] = fl.value
	}
	return e, nil
}

// data reads the DATA object at off: one "NAME=value" field.
func (f *File) data(off int64) (field, error) {
	if fl, ok := f.cache[off]; ok {
		return fl, nil
	}
	_, size, err := f.object(off, ObjectData)
	if err != nil {
		return field{}, err
	}
	if size <= f.dataOff {
		return field{}, fmt.Errorf("size %d leaves no room for a payload", size)
	}
	if size-f.dataOff > MaxPayload {
		return field{}, fmt.Errorf("%d bytes: %w", size-f.dataOff, errTooLarge)
	}
	b, err := f.p.get(off, int(size))
	if err != nil {
		return field{}, err
	}
	shared := le.Uint64(b[56:]) > 1
	if f.budget < 0 {
		return field{}, errBudget
	}
	payload, err := decompress(b[1], b[f.dataOff:])
	if err != nil {
		return field{}, err
	}
	f.budget -= int64(len(payload))
	eq := bytes.IndexByte(payload, '=')
	if eq <= 0 {
		return field{}, errors.New("payload is not NAME=value")
	}
	name, ok := f.names[string(payload[:eq])]
	if !ok {
		name = string(payload[:eq])
		if len(f.names) < 4096 {
			f.names[name] = name
		}
	}
	fl := field{name: name, value: string(payload[eq+1:])}
	if shared {
		if len(f.cache) >= cacheMaxItems || f.cacheBytes+len(fl.value) > cacheMaxBytes {
			clear(f.cache)
			f.cacheBytes = 0
		}
		f.cache[off] = fl
		f.cacheBytes += len(fl.value) + 64
	}
	return fl, nil
}
