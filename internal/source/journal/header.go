// Package journal reads the systemd journal's own binary files (/var/log/journal/*/*.journal,
// archived system@….journal and corrupt *.journal~ files) without journalctl, libsystemd or
// cgo, so logs of a suspect host can be read without running any of its programs.
//
// The format is the one systemd documents as the "Journal File Format": a header, then
// objects (DATA, FIELD, ENTRY, hash tables, ENTRY_ARRAY, TAG) aligned to 8 bytes. Both the
// regular and the compact layout (HEADER_INCOMPATIBLE_COMPACT: 32-bit offsets in entry items
// and entry arrays) are read, and DATA payloads compressed with XZ, LZ4 or ZSTD are expanded.
//
// Entries are found by walking the objects in file order merged with the entry index that
// journalctl follows (the chain of entry arrays starting at the header): damage in one is
// bridged by the other, and an entry written but never linked (a file not cleanly closed, or an
// index edited to hide it) is still seen, marked Recovered. Nothing in a file is trusted: every
// offset and size is checked against the file, walks only move forward (so no cycle can loop),
// expanded payloads are capped at MaxPayload and all field data a walk produces at a multiple
// of the file size, objects are read with ReadAt through a 1 MiB window cache, and damage is
// reported (DamageError) while the entries around it are still delivered.
package journal

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Signature is what every journal file starts with.
const Signature = "LPKSHHRH"

// Header flags (the header's incompatible_flags and compatible_flags).
const (
	IncompatibleCompressedXZ   = 1 << 0
	IncompatibleCompressedLZ4  = 1 << 1
	IncompatibleKeyedHash      = 1 << 2
	IncompatibleCompressedZSTD = 1 << 3
	IncompatibleCompact        = 1 << 4
	incompatibleKnown          = 0x1f

	CompatibleSealed          = 1 << 0
	CompatibleTailEntryBootID = 1 << 1
)

// Object types.
const (
	ObjectUnused = iota
	ObjectData
	ObjectField
	ObjectEntry
	ObjectDataHashTable
	ObjectFieldHashTable
	ObjectEntryArray
	ObjectTag
	objectTypeMax
)

// Object flags (compression of DATA payloads).
const (
	ObjectCompressedXZ   = 1 << 0
	ObjectCompressedLZ4  = 1 << 1
	ObjectCompressedZSTD = 1 << 2
)

// Sizes of the fixed parts of the format.
const (
	HeaderSizeMin     = 208 // every header holds the fields up to n_data
	HeaderSizeCurrent = 272 // systemd 254 and later
	ObjectHeaderSize  = 16
	entryItemsOffset  = 64 // ENTRY: object header, seqnum, realtime, monotonic, boot_id, xor_hash
	arrayItemsOffset  = 24 // ENTRY_ARRAY: object header, next_entry_array_offset
	dataPayloadOffset = 64 // DATA: object header, hash, next_hash, next_field, entry, entry_array, n_entries
	dataPayloadCompct = 72 // DATA in compact files: plus tail_entry_array_offset and _n_entries
	fieldPayloadOffs  = 40
)

// State is the header's record of how the file was left.
type State uint8

// States a journal file can be in.
const (
	StateOffline  State = 0 // closed cleanly after writing
	StateOnline   State = 1 // open for writing, or the writer died: read as far as consistent
	StateArchived State = 2 // rotated away, never written again
)

func (s State) String() string {
	switch s {
	case StateOffline:
		return "offline"
	case StateOnline:
		return "online"
	case StateArchived:
		return "archived"
	}
	return fmt.Sprintf("unknown(%d)", uint8(s))
}

// Header is what a journal file says about itself. Counters a header too old to hold
// (systemd before 187/189/246/252/254) are zero.
type Header struct {
	Compatible   uint32
	Incompatible uint32
	State        State
	FileID       string // 32 hex digits
	MachineID    string
	TailBootID   string // boot of the last entry (or of the writer that created the file)
	SeqnumID     string

	HeaderSize           uint64
	ArenaSize            uint64
	DataHashTableOffset  uint64
	DataHashTableSize    uint64
	FieldHashTableOffset uint64
	FieldHashTableSize   uint64
	TailObjectOffset     uint64
	Objects              uint64 // n_objects
	Entries              uint64 // n_entries
	TailSeqnum           uint64
	HeadSeqnum           uint64
	EntryArrayOffset     uint64
	HeadRealtime         time.Time // UTC; zero when the file holds no entry
	TailRealtime         time.Time
	TailMonotonic        uint64 // microseconds, on the boot TailBootID

	Data                  uint64 // n_data (header size >= 216)
	Fields                uint64 // n_fields (>= 224)
	Tags                  uint64 // n_tags (>= 232)
	EntryArrays           uint64 // n_entry_arrays (>= 240)
	TailEntryArrayOffset  uint32 // (>= 264)
	TailEntryArrayEntries uint32
	TailEntryOffset       uint64 // (>= 272)

	FileSize int64 // bytes actually in the file
}

// Compact reports the compact layout (32-bit offsets in entries and entry arrays).
func (h Header) Compact() bool { return h.Incompatible&IncompatibleCompact != 0 }

// KeyedHash reports siphash24 keyed by the file id instead of Jenkins lookup3.
func (h Header) KeyedHash() bool { return h.Incompatible&IncompatibleKeyedHash != 0 }

// Sealed reports Forward Secure Sealing (TAG objects).
func (h Header) Sealed() bool { return h.Compatible&CompatibleSealed != 0 }

// Truncated reports a file shorter than its header says it is (copied while being written, or
// cut): what lies past the end is lost, what is before it is still read.
func (h Header) Truncated() bool {
	end := h.HeaderSize + h.ArenaSize
	return end < h.HeaderSize || end > uint64(h.FileSize)
}

// Flags names the flags set in the header, as journalctl --header spells them.
func (h Header) Flags() []string {
	var out []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{
		{IncompatibleCompressedXZ, "COMPRESSED-XZ"},
		{IncompatibleCompressedLZ4, "COMPRESSED-LZ4"},
		{IncompatibleKeyedHash, "KEYED-HASH"},
		{IncompatibleCompressedZSTD, "COMPRESSED-ZSTD"},
		{IncompatibleCompact, "COMPACT"},
	} {
		if h.Incompatible&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	if h.Compatible&CompatibleSealed != 0 {
		out = append(out, "SEALED")
	}
	if h.Compatible&CompatibleTailEntryBootID != 0 {
		out = append(out, "TAIL_ENTRY_BOOT_ID")
	}
	return out
}

// ErrNotJournal is returned by Open for data that does not start with the journal signature.
var ErrNotJournal = errors.New("not a journal file (no LPKSHHRH signature)")

// ErrUnsupported is returned by Open for a file using incompatible features this reader does
// not know (a newer systemd): reading it could only give wrong entries.
var ErrUnsupported = errors.New("journal file uses unknown incompatible features")

func id128(b []byte) string { return hex.EncodeToString(b[:16]) }

// usecTime turns microseconds since the epoch into UTC time; 0 and values past year 292277
// give the zero time.
func usecTime(u uint64) time.Time {
	if u == 0 || u > 1<<62 {
		return time.Time{}
	}
	return time.UnixMicro(int64(u)).UTC()
}

// parseHeader decodes the header from the first bytes of a file of the given size.
func parseHeader(b []byte, size int64) (Header, error) {
	if len(b) < 8 || string(b[:8]) != Signature {
		return Header{}, ErrNotJournal
	}
	if len(b) < HeaderSizeMin {
		return Header{}, fmt.Errorf("file of %d bytes is too short for a journal header (%d bytes at least)", size, HeaderSizeMin)
	}
	le := binary.LittleEndian
	u64 := func(off int) uint64 { return le.Uint64(b[off:]) }
	h := Header{
		Compatible:           le.Uint32(b[8:]),
		Incompatible:         le.Uint32(b[12:]),
		State:                State(b[16]),
		FileID:               id128(b[24:]),
		MachineID:            id128(b[40:]),
		TailBootID:           id128(b[56:]),
		SeqnumID:             id128(b[72:]),
		HeaderSize:           u64(88),
		ArenaSize:            u64(96),
		DataHashTableOffset:  u64(104),
		DataHashTableSize:    u64(112),
		FieldHashTableOffset: u64(120),
		FieldHashTableSize:   u64(128),
		TailObjectOffset:     u64(136),
		Objects:              u64(144),
		Entries:              u64(152),
		TailSeqnum:           u64(160),
		HeadSeqnum:           u64(168),
		EntryArrayOffset:     u64(176),
		HeadRealtime:         usecTime(u64(184)),
		TailRealtime:         usecTime(u64(192)),
		TailMonotonic:        u64(200),
		FileSize:             size,
	}
	if h.HeaderSize < HeaderSizeMin {
		return h, fmt.Errorf("header size %d is below the minimum %d", h.HeaderSize, HeaderSizeMin)
	}
	if h.HeaderSize%8 != 0 {
		return h, fmt.Errorf("header size %d is not a multiple of 8", h.HeaderSize)
	}
	if h.HeaderSize > uint64(size) {
		return h, fmt.Errorf("header size %d is beyond the end of the file (%d bytes)", h.HeaderSize, size)
	}
	if unknown := h.Incompatible &^ incompatibleKnown; unknown != 0 {
		return h, fmt.Errorf("%w (incompatible flags %#x)", ErrUnsupported, unknown)
	}
	has := func(end int) bool { return h.HeaderSize >= uint64(end) && len(b) >= end }
	if has(216) {
		h.Data = u64(208)
	}
	if has(224) {
		h.Fields = u64(216)
	}
	if has(232) {
		h.Tags = u64(224)
	}
	if has(240) {
		h.EntryArrays = u64(232)
	}
	if has(264) {
		h.TailEntryArrayOffset = le.Uint32(b[256:])
		h.TailEntryArrayEntries = le.Uint32(b[260:])
	}
	if has(272) {
		h.TailEntryOffset = u64(264)
	}
	return h, nil
}
