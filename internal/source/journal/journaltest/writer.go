// Package journaltest writes systemd journal files the way systemd-journald lays them out,
// so the journal reader can be tested on files built by code: regular or compact layout,
// Jenkins or keyed (siphash24) hashes, and DATA payloads compressed with XZ, LZ4 or ZSTD.
// The files it writes pass `journalctl --verify --file`.
package journaltest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// Compression algorithms for Options.Compression.
const (
	None = ""
	XZ   = "xz"
	LZ4  = "lz4"
	ZSTD = "zstd"
)

// Options shape the file. The zero value is a regular (non-compact), unkeyed, uncompressed,
// offline file with a current (272-byte) header.
type Options struct {
	Compact           bool
	KeyedHash         bool
	Compression       string // None, XZ, LZ4 or ZSTD
	CompressThreshold int    // payloads of at least this many bytes are compressed (default 512)
	State             uint8  // 0 offline, 1 online, 2 archived
	HeaderSize        int    // 208, 216, ... 272 (default 272)
	DataBuckets       int    // data hash table size in items (default 2047)
	FieldBuckets      int    // field hash table size in items (default 333)
	FileID            [16]byte
	MachineID         [16]byte
	SeqnumID          [16]byte
	BootID            [16]byte // for entries that name none
}

// Entry is one entry to write.
type Entry struct {
	Seqnum    uint64   // 0: one more than the previous entry
	Realtime  uint64   // microseconds since the epoch; 0: one second after the previous entry
	Monotonic uint64   // microseconds since boot; 0: one second after the previous entry
	BootID    [16]byte // zero: Options.BootID
	Fields    []string // "NAME=value", in any order; values may hold any bytes
	// Unlinked writes the entry and its data but links it nowhere, as a writer that died
	// before linking would leave it.
	Unlinked bool
}

const (
	objData           = 1
	objField          = 2
	objEntry          = 3
	objDataHashTable  = 4
	objFieldHashTable = 5
	objEntryArray     = 6

	flagXZ   = 1
	flagLZ4  = 2
	flagZSTD = 4
)

var le = binary.LittleEndian

// Writer builds one journal file in memory.
type Writer struct {
	o      Options
	buf    []byte
	dataHT int64 // offset of the data hash table items
	fldHT  int64
	data   map[string]*dataObj
	fields map[string]int64 // name -> FIELD object

	global                    chain
	nObjects, nEntries        uint64
	nData, nFields, nArrays   uint64
	headSeq, tailSeq          uint64
	headRT, tailRT, tailMono  uint64
	tailBoot                  [16]byte
	tailEntry, tailObject     int64
	lastSeq, lastRT, lastMono uint64
	zenc                      *zstd.Encoder
}

type dataObj struct {
	off   int64
	hash  uint64
	jhash uint64 // Jenkins hash, for the entry's xor_hash
	n     uint64
	ch    chain
}

// chain is an entry array chain: head, tail array, items in the tail array and its capacity.
type chain struct {
	head, tail    int64
	tailN, tailCp int64
	count         uint64
}

// New starts a file.
func New(o Options) *Writer {
	if o.HeaderSize == 0 {
		o.HeaderSize = 272
	}
	if o.HeaderSize < 208 || o.HeaderSize > 272 || o.HeaderSize%8 != 0 {
		panic(fmt.Sprintf("journaltest: header size %d", o.HeaderSize))
	}
	if o.CompressThreshold == 0 {
		o.CompressThreshold = 512
	}
	if o.DataBuckets == 0 {
		o.DataBuckets = 2047
	}
	if o.FieldBuckets == 0 {
		o.FieldBuckets = 333
	}
	if o.FileID == ([16]byte{}) {
		o.FileID = [16]byte{0x5e, 0x1f, 0x11, 0xe1, 0xd0, 0x5e, 0x4a, 0x77, 0x9c, 0x21, 0x42, 0x0f, 0x0d, 0x1d, 0xea, 0x01}
	}
	if o.MachineID == ([16]byte{}) {
		o.MachineID = [16]byte{0x3d, 0x12, 0x19, 0xc7, 0xc4, 0xc5, 0x40, 0x4a, 0xaa, 0x1f, 0x6d, 0x2a, 0x48, 0xad, 0xfd, 0xa4}
	}
	if o.SeqnumID == ([16]byte{}) {
		o.SeqnumID = o.FileID
	}
	if o.BootID == ([16]byte{}) {
		o.BootID = [16]byte{0xb0, 0x07, 0x1d, 0x00, 0x11, 0x22, 0x43, 0x33, 0x84, 0x44, 0x55, 0x55, 0x66, 0x66, 0x77, 0x77}
	}
	w := &Writer{
		o:        o,
		buf:      make([]byte, o.HeaderSize),
		data:     map[string]*dataObj{},
		fields:   map[string]int64{},
		tailBoot: o.BootID,
		lastRT:   1700000000000000 - 1000000,
	}
	p := w.appendObject(objDataHashTable, 0, make([]byte, 16*o.DataBuckets))
	w.dataHT = p + 16
	p = w.appendObject(objFieldHashTable, 0, make([]byte, 16*o.FieldBuckets))
	w.fldHT = p + 16
	if o.Compression == ZSTD {
		w.zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	}
	return w
}

func (w *Writer) u64(off int64) uint64       { return le.Uint64(w.buf[off:]) }
func (w *Writer) put64(off int64, v uint64)  { le.PutUint64(w.buf[off:], v) }
func (w *Writer) put32(off int64, v uint32)  { le.PutUint32(w.buf[off:], v) }
func (w *Writer) putItem(off int64, v int64) { w.putSized(off, v, w.arrItem()) }

func (w *Writer) putSized(off, v int64, size int64) {
	if size == 4 {
		w.put32(off, uint32(v))
	} else {
		w.put64(off, uint64(v))
	}
}

func (w *Writer) arrItem() int64 {
	if w.o.Compact {
		return 4
	}
	return 8
}

func (w *Writer) hash(b []byte) uint64 {
	if w.o.KeyedHash {
		return SipHash24(b, w.o.FileID)
	}
	return Jenkins64(b)
}

// appendObject appends an object (header plus body) at the next 8-byte boundary.
func (w *Writer) appendObject(typ, flags byte, body []byte) int64 {
	for len(w.buf)%8 != 0 {
		w.buf = append(w.buf, 0)
	}
	p := int64(len(w.buf))
	var h [16]byte
	h[0], h[1] = typ, flags
	le.PutUint64(h[8:], uint64(16+len(body)))
	w.buf = append(w.buf, h[:]...)
	w.buf = append(w.buf, body...)
	if w.o.Compact && len(w.buf) > 1<<32-1 {
		panic("journaltest: compact file past 4 GiB")
	}
	w.nObjects++
	w.tailObject = p
	return p
}

// linkHash appends object p with the given hash to a hash table's bucket chain; next is the
// offset of the next_hash_offset field within such objects.
func (w *Writer) linkHash(table int64, buckets int, h uint64, p int64) {
	item := table + int64(h%uint64(buckets))*16
	if tail := int64(w.u64(item + 8)); tail != 0 {
		w.put64(tail+24, uint64(p)) // next_hash_offset of DATA and FIELD objects
	} else {
		w.put64(item, uint64(p))
	}
	w.put64(item+8, uint64(p))
}

func (w *Writer) compress(payload []byte) ([]byte, byte) {
	if w.o.Compression == None || len(payload) < w.o.CompressThreshold {
		return payload, 0
	}
	var out []byte
	var flag byte
	switch w.o.Compression {
	case XZ:
		var b bytes.Buffer
		zw, err := xz.WriterConfig{CheckSum: xz.None}.NewWriter(&b)
		if err != nil {
			panic(err)
		}
		zw.Write(payload)
		if err := zw.Close(); err != nil {
			panic(err)
		}
		out, flag = b.Bytes(), flagXZ
	case LZ4:
		dst := make([]byte, 8+lz4.CompressBlockBound(len(payload)))
		le.PutUint64(dst, uint64(len(payload)))
		n, err := lz4.CompressBlock(payload, dst[8:], nil)
		if err != nil || n == 0 {
			return payload, 0
		}
		out, flag = dst[:8+n], flagLZ4
	case ZSTD:
		out, flag = w.zenc.EncodeAll(payload, nil), flagZSTD
	default:
		panic("journaltest: unknown compression " + w.o.Compression)
	}
	if len(out) >= len(payload) {
		return payload, 0
	}
	return out, flag
}

// dataFor finds or appends the DATA object (and FIELD object) for one "NAME=value" payload.
func (w *Writer) dataFor(payload string) *dataObj {
	if d, ok := w.data[payload]; ok {
		return d
	}
	raw := []byte(payload)
	d := &dataObj{hash: w.hash(raw), jhash: Jenkins64(raw)}
	stored, flag := w.compress(raw)
	head := 48
	if w.o.Compact {
		head = 56
	}
	body := make([]byte, head, head+len(stored))
	le.PutUint64(body, d.hash)
	body = append(body, stored...)
	d.off = w.appendObject(objData, flag, body)
	w.nData++
	w.linkHash(w.dataHT, w.o.DataBuckets, d.hash, d.off)
	w.data[payload] = d

	name, _, _ := strings.Cut(payload, "=")
	f, ok := w.fields[name]
	if !ok {
		h := w.hash([]byte(name))
		fb := make([]byte, 24, 24+len(name))
		le.PutUint64(fb, h)
		fb = append(fb, name...)
		f = w.appendObject(objField, 0, fb)
		w.nFields++
		w.linkHash(w.fldHT, w.o.FieldBuckets, h, f)
		w.fields[name] = f
	}
	// Prepend the data object to the field's list (DATA next_field_offset, FIELD head_data_offset).
	w.put64(d.off+32, w.u64(f+32))
	w.put64(f+32, uint64(d.off))
	return d
}

// link appends entry offset p to an entry array chain, growing it the way journald does.
func (w *Writer) link(c *chain, p int64) {
	if c.tail != 0 && c.tailN < c.tailCp {
		w.putItem(c.tail+24+c.tailN*w.arrItem(), p)
		c.tailN++
		c.count++
		return
	}
	n := c.tailCp
	if int64(c.count) > n {
		n = (int64(c.count) + 1) * 2
	} else {
		n *= 2
	}
	if n < 4 {
		n = 4
	}
	q := w.appendObject(objEntryArray, 0, make([]byte, 8+n*w.arrItem()))
	w.nArrays++
	w.putItem(q+24, p)
	if c.tail == 0 {
		c.head = q
	} else {
		w.put64(c.tail+16, uint64(q))
	}
	c.tail, c.tailN, c.tailCp = q, 1, n
	c.count++
}

// Add appends an entry and returns the offset of its ENTRY object.
func (w *Writer) Add(e Entry) int64 {
	if len(e.Fields) == 0 {
		panic("journaltest: entry without fields")
	}
	if e.Seqnum == 0 {
		e.Seqnum = w.lastSeq + 1
	}
	if e.Realtime == 0 {
		e.Realtime = w.lastRT + 1000000
	}
	if e.Monotonic == 0 {
		e.Monotonic = w.lastMono + 1000000
	}
	if e.BootID == ([16]byte{}) {
		e.BootID = w.o.BootID
	}
	w.lastSeq, w.lastRT, w.lastMono = e.Seqnum, e.Realtime, e.Monotonic

	ds := make([]*dataObj, 0, len(e.Fields))
	var xor uint64
	for _, f := range e.Fields {
		d := w.dataFor(f)
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].off < ds[j].off })
	uniq := ds[:0]
	for i, d := range ds {
		if i == 0 || d.off != ds[i-1].off {
			uniq = append(uniq, d)
			xor ^= d.jhash
		}
	}
	ds = uniq

	itemSize := 16
	if w.o.Compact {
		itemSize = 4
	}
	body := make([]byte, 48+itemSize*len(ds))
	le.PutUint64(body[0:], e.Seqnum)
	le.PutUint64(body[8:], e.Realtime)
	le.PutUint64(body[16:], e.Monotonic)
	copy(body[24:40], e.BootID[:])
	le.PutUint64(body[40:], xor)
	for i, d := range ds {
		if w.o.Compact {
			le.PutUint32(body[48+4*i:], uint32(d.off))
		} else {
			le.PutUint64(body[48+16*i:], uint64(d.off))
			le.PutUint64(body[48+16*i+8:], d.hash)
		}
	}
	p := w.appendObject(objEntry, 0, body)
	if e.Unlinked {
		return p
	}
	if w.headSeq == 0 {
		w.headSeq = e.Seqnum
	}
	w.tailSeq = e.Seqnum
	w.tailBoot = e.BootID
	w.link(&w.global, p)
	w.nEntries++
	if w.headRT == 0 {
		w.headRT = e.Realtime
	}
	w.tailRT, w.tailMono, w.tailEntry = e.Realtime, e.Monotonic, p
	for _, d := range ds {
		if d.n == 0 {
			w.put64(d.off+40, uint64(p)) // entry_offset
		} else {
			w.link(&d.ch, p)
			w.put64(d.off+48, uint64(d.ch.head)) // entry_array_offset
			if w.o.Compact {
				w.put32(d.off+64, uint32(d.ch.tail))
				w.put32(d.off+68, uint32(d.ch.tailN))
			}
		}
		d.n++
		w.put64(d.off+56, d.n)
	}
	return p
}

// Bytes completes the header and returns the file.
func (w *Writer) Bytes() []byte {
	o := w.o
	b := w.buf
	copy(b, "LPKSHHRH")
	var incompat uint32
	switch o.Compression {
	case XZ:
		incompat |= 1
	case LZ4:
		incompat |= 2
	case ZSTD:
		incompat |= 8
	}
	if o.KeyedHash {
		incompat |= 4
	}
	if o.Compact {
		incompat |= 16
	}
	le.PutUint32(b[8:], 0)
	le.PutUint32(b[12:], incompat)
	b[16] = o.State
	copy(b[24:], o.FileID[:])
	copy(b[40:], o.MachineID[:])
	copy(b[56:], w.tailBoot[:])
	copy(b[72:], o.SeqnumID[:])
	hs := uint64(o.HeaderSize)
	put := func(off int, v uint64) {
		if uint64(off)+8 <= hs {
			le.PutUint64(b[off:], v)
		}
	}
	put(88, hs)
	put(96, uint64(len(b))-hs)
	put(104, uint64(w.dataHT))
	put(112, uint64(16*o.DataBuckets))
	put(120, uint64(w.fldHT))
	put(128, uint64(16*o.FieldBuckets))
	put(136, uint64(w.tailObject))
	put(144, w.nObjects)
	put(152, w.nEntries)
	put(160, w.tailSeq)
	put(168, w.headSeq)
	put(176, uint64(w.global.head))
	put(184, w.headRT)
	put(192, w.tailRT)
	put(200, w.tailMono)
	put(208, w.nData)
	put(216, w.nFields)
	put(224, 0) // n_tags
	put(232, w.nArrays)
	if hs >= 264 {
		le.PutUint32(b[256:], uint32(w.global.tail))
		le.PutUint32(b[260:], uint32(w.global.tailN))
	}
	put(264, uint64(w.tailEntry))
	return b
}

// WriteFile writes the file to path.
func (w *Writer) WriteFile(path string) error {
	return os.WriteFile(path, w.Bytes(), 0o644)
}
