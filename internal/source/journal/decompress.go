package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

// MaxPayload caps the size of one field (name, "=" and value) after decompression: a larger
// field is skipped and reported, so a hostile file cannot make the reader allocate without bound.
const MaxPayload = 16 << 20

var errTooLarge = fmt.Errorf("payload larger than %d bytes", MaxPayload)

// decompress expands a DATA payload according to the object's compression flags.
func decompress(flags uint8, src []byte) ([]byte, error) {
	switch flags & (ObjectCompressedXZ | ObjectCompressedLZ4 | ObjectCompressedZSTD) {
	case 0:
		return src, nil
	case ObjectCompressedXZ:
		b, err := unxz(src, MaxPayload)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return b, nil
	case ObjectCompressedLZ4:
		b, err := unlz4(src, MaxPayload)
		if err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return b, nil
	case ObjectCompressedZSTD:
		b, err := unzstd(src, MaxPayload)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("more than one compression flag set (%#x)", flags)
}

// unlz4 expands systemd's LZ4 form: the uncompressed size as 64-bit little endian, then one
// LZ4 block.
func unlz4(src []byte, limit int) ([]byte, error) {
	if len(src) < 8 {
		return nil, errors.New("shorter than its 8-byte size prefix")
	}
	size := binary.LittleEndian.Uint64(src)
	if size > uint64(limit) {
		return nil, errTooLarge
	}
	// An LZ4 block expands at most about 255 times; refuse to allocate for a size that the
	// compressed bytes cannot produce.
	if size > uint64(len(src)-8)*255+16 {
		return nil, fmt.Errorf("claims %d bytes from %d compressed bytes", size, len(src)-8)
	}
	out := make([]byte, size)
	n, err := lz4.UncompressBlock(src[8:], out)
	if err != nil {
		return nil, err
	}
	if uint64(n) != size {
		return nil, fmt.Errorf("expanded to %d bytes, prefix says %d", n, size)
	}
	return out, nil
}

var (
	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// unzstd expands one or more zstd frames, refusing output above limit.
func unzstd(src []byte, limit int) ([]byte, error) {
	zstdOnce.Do(func() {
		zstdDec, zstdErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(MaxPayload),
			zstd.WithDecoderMaxWindow(MaxPayload))
	})
	if zstdErr != nil {
		return nil, zstdErr
	}
	out, err := zstdDec.DecodeAll(src, nil)
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) ||
			errors.Is(err, zstd.ErrFrameSizeExceeded) {
			return nil, errTooLarge
		}
		return nil, err
	}
	if len(out) > limit {
		return nil, errTooLarge
	}
	return out, nil
}

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// unxz expands an .xz stream as systemd writes it (LZMA2 blocks, any check). The container is
// parsed here rather than by the xz package so that the dictionary a block header asks for is
// never allocated beyond the block's output: a match can only reach back over bytes already
// produced, so a dictionary as large as the output (which the LZMA2 chunk headers tell) decodes
// the block exactly, and output beyond the limit is refused before any decoding.
func unxz(src []byte, limit int) ([]byte, error) {
	if len(src) < 12 || !bytes.Equal(src[:6], xzMagic) {
		return nil, errors.New("no xz stream header")
	}
	if src[6] != 0 || src[7]&0xf0 != 0 {
		return nil, fmt.Errorf("bad stream flags %#x %#x", src[6], src[7])
	}
	checkSize := [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}[src[7]&0x0f]
	out := &capBuffer{limit: limit}
	pos := 12
	for blocks := 0; ; blocks++ {
		if pos >= len(src) {
			return nil, io.ErrUnexpectedEOF
		}
		if src[pos] == 0 { // index indicator: no more blocks
			return out.b, nil
		}
		start := pos
		hsize := (int(src[pos]) + 1) * 4
		if hsize > len(src)-pos {
			return nil, fmt.Errorf("block header of %d bytes past the end", hsize)
		}
		dict, err := xzBlockDict(src[pos : pos+hsize])
		if err != nil {
			return nil, err
		}
		pos += hsize
		size, err := lzma2Size(src[pos:])
		if err != nil {
			return nil, err
		}
		if size > int64(limit-len(out.b)) {
			return nil, errTooLarge
		}
		dictCap := size
		if dict < dictCap {
			dictCap = dict
		}
		if dictCap < lzma.MinDictCap {
			dictCap = lzma.MinDictCap
		}
		br := bytes.NewReader(src[pos:])
		r2, err := lzma.Reader2Config{DictCap: int(dictCap)}.NewReader2(br)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(out, r2); err != nil {
			return nil, err
		}
		pos = len(src) - br.Len()
		for (pos-start)%4 != 0 {
			pos++
		}
		pos += checkSize
	}
}

// lzma2Size adds up the uncompressed sizes that the chunk headers of an LZMA2 stream declare.
func lzma2Size(b []byte) (int64, error) {
	var total int64
	for p := 0; ; {
		if p >= len(b) {
			return 0, errors.New("lzma2: no end marker")
		}
		c := b[p]
		switch {
		case c == 0:
			return total, nil
		case c == 1 || c == 2: // uncompressed chunk
			if p+3 > len(b) {
				return 0, io.ErrUnexpectedEOF
			}
			n := int(b[p+1])<<8 | int(b[p+2]) + 1
			total += int64(n)
			p += 3 + n
		case c >= 0x80: // LZMA chunk
			if p+5 > len(b) {
				return 0, io.ErrUnexpectedEOF
			}
			unpacked := int(c&0x1f)<<16 | int(b[p+1])<<8 | int(b[p+2]) + 1
			packed := int(b[p+3])<<8 | int(b[p+4]) + 1
			head := 5
			if c >= 0xc0 { // new properties follow
				head = 6
			}
			total += int64(unpacked)
			p += head + packed
		default:
			return 0, fmt.Errorf("lzma2: bad chunk control byte %#x", c)
		}
		if total > 1<<40 {
			return 0, errTooLarge
		}
	}
}

// xzBlockDict checks an xz block header (LZMA2 as the only filter) and returns the dictionary
// size it names.
func xzBlockDict(h []byte) (int64, error) {
	if len(h) < 8 {
		return 0, errors.New("block header too short")
	}
	flags := h[1]
	if flags&0x3c != 0 {
		return 0, fmt.Errorf("reserved block flags %#x", flags)
	}
	body := h[2 : len(h)-4] // the last 4 bytes are the header's CRC32
	skip := func() error {
		_, n := binary.Uvarint(body)
		if n <= 0 {
			return errors.New("bad size field in block header")
		}
		body = body[n:]
		return nil
	}
	if flags&0x40 != 0 { // compressed size present
		if err := skip(); err != nil {
			return 0, err
		}
	}
	if flags&0x80 != 0 { // uncompressed size present
		if err := skip(); err != nil {
			return 0, err
		}
	}
	if flags&3 != 0 {
		return 0, errors.New("filters other than LZMA2 are not supported")
	}
	id, n := binary.Uvarint(body)
	if n <= 0 {
		return 0, errors.New("bad filter id")
	}
	body = body[n:]
	psize, n := binary.Uvarint(body)
	if n <= 0 {
		return 0, errors.New("bad filter properties size")
	}
	body = body[n:]
	if id != 0x21 || psize != 1 || len(body) < 1 {
		return 0, fmt.Errorf("filter %#x is not LZMA2", id)
	}
	return lzma.DecodeDictCap(body[0])
}

// capBuffer collects output and fails once it passes limit.
type capBuffer struct {
	b     []byte
	limit int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if len(c.b)+len(p) > c.limit {
		return 0, errTooLarge
	}
	c.b = append(c.b, p...)
	return len(p), nil
}
