package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

func xzBytes(t testing.TB, data []byte, cfg xz.WriterConfig) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := cfg.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lz4Bytes(t testing.TB, data []byte) []byte {
	t.Helper()
	dst := make([]byte, 8+lz4.CompressBlockBound(len(data)))
	binary.LittleEndian.PutUint64(dst, uint64(len(data)))
	n, err := lz4.CompressBlock(data, dst[8:], nil)
	if err != nil || n == 0 {
		t.Fatalf("lz4: %v", err)
	}
	return dst[:8+n]
}

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

func TestDecompress(t *testing.T) {
	text := []byte("MESSAGE=" + strings.Repeat("kernel: audit: type=1400 apparmor=\"DENIED\" operation=\"open\"\n", 300))
	var random []byte
	x := uint32(1)
	for i := 0; i < 5000; i++ {
		x = x*1664525 + 1013904223
		random = append(random, byte(x>>24))
	}
	multiBlock := xzBytes(t, text, xz.WriterConfig{BlockSize: 1000, CheckSum: xz.CRC32})
	tests := []struct {
		name  string
		flags uint8
		in    []byte
		want  []byte
	}{
		{"plain", 0, text, text},
		{"xz no check (systemd)", ObjectCompressedXZ, xzBytes(t, text, xz.WriterConfig{CheckSum: xz.None}), text},
		{"xz crc64", ObjectCompressedXZ, xzBytes(t, text, xz.WriterConfig{CheckSum: xz.CRC64}), text},
		{"xz sha256", ObjectCompressedXZ, xzBytes(t, text, xz.WriterConfig{CheckSum: xz.SHA256}), text},
		{"xz several blocks", ObjectCompressedXZ, multiBlock, text},
		{"xz incompressible (uncompressed chunks)", ObjectCompressedXZ, xzBytes(t, random, xz.WriterConfig{}), random},
		{"lz4", ObjectCompressedLZ4, lz4Bytes(t, text), text},
		{"zstd", ObjectCompressedZSTD, zstdBytes(t, text), text},
		{"zstd empty", ObjectCompressedZSTD, zstdBytes(t, nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decompress(tc.flags, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

func TestDecompressHostile(t *testing.T) {
	text := []byte(strings.Repeat("0123456789abcdef", 1000))
	big := make([]byte, MaxPayload+1)
	// A block header claiming a 4 GiB dictionary: decoded with a dictionary the size of the
	// output, so nothing large is allocated and the result is right.
	hugeDict := xzBytes(t, text, xz.WriterConfig{CheckSum: xz.None})
	hugeDict = setXZDict(t, hugeDict, 40)
	lz4Lie := lz4Bytes(t, text)
	binary.LittleEndian.PutUint64(lz4Lie, uint64(len(text)+5))
	tests := []struct {
		name  string
		flags uint8
		in    []byte
		ok    bool
		is    error
	}{
		{"xz huge dictionary claim", ObjectCompressedXZ, hugeDict, true, nil},
		{"xz bomb", ObjectCompressedXZ, xzBytes(t, big, xz.WriterConfig{}), false, errTooLarge},
		{"xz cut", ObjectCompressedXZ, xzBytes(t, text, xz.WriterConfig{})[:40], false, nil},
		{"xz garbage", ObjectCompressedXZ, []byte("\xfd7zXZ\x00\x00\x00garbagegarbage"), false, nil},
		{"xz empty", ObjectCompressedXZ, nil, false, nil},
		{"lz4 bomb", ObjectCompressedLZ4, lz4Bytes(t, big), false, errTooLarge},
		{"lz4 size prefix too large", ObjectCompressedLZ4, lz4Lie, false, nil},
		{"lz4 size beyond any ratio", ObjectCompressedLZ4, append(binary.LittleEndian.AppendUint64(nil, 1<<20), 0x10, 'a'), false, nil},
		{"lz4 short", ObjectCompressedLZ4, []byte{1, 2, 3}, false, nil},
		{"zstd bomb", ObjectCompressedZSTD, zstdBytes(t, big), false, errTooLarge},
		{"zstd garbage", ObjectCompressedZSTD, []byte("(\xb5/\xfdgarbage"), false, nil},
		{"two flags", ObjectCompressedZSTD | ObjectCompressedLZ4, text, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decompress(tc.flags, tc.in)
			if tc.ok {
				if err != nil || !bytes.Equal(got, text) {
					t.Fatalf("got %d bytes, err %v", len(got), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %d bytes", len(got))
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
		})
	}
}

// setXZDict rewrites the dictionary size code of the first block's LZMA2 filter (and the block
// header's CRC32, which this reader does not check but a careful test keeps right).
func setXZDict(t *testing.T, b []byte, code byte) []byte {
	t.Helper()
	hsize := (int(b[12]) + 1) * 4
	h := b[12 : 12+hsize]
	i := bytes.Index(h, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatal("no LZMA2 filter in block header")
	}
	h[i+2] = code
	return b
}

func FuzzDecompress(f *testing.F) {
	text := []byte("MESSAGE=" + strings.Repeat("pam_unix(sshd:session): session opened for user root\n", 40))
	f.Add(uint8(ObjectCompressedXZ), xzBytes(f, text, xz.WriterConfig{CheckSum: xz.None}))
	f.Add(uint8(ObjectCompressedLZ4), lz4Bytes(f, text))
	f.Add(uint8(ObjectCompressedZSTD), zstdBytes(f, text))
	f.Add(uint8(0), text)
	f.Fuzz(func(t *testing.T, flags uint8, in []byte) {
		out, err := decompress(flags, in)
		if err == nil && len(out) > MaxPayload {
			t.Fatalf("%d bytes out", len(out))
		}
	})
}
