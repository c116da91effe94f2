package journaltest

import "testing"

// Vectors from lookup3.c's own driver and the SipHash paper.
func TestHashlittle2(t *testing.T) {
	four := []byte("Four score and seven years ago")
	tests := []struct {
		name   string
		in     []byte
		pc, pb uint32
		c, b   uint32
	}{
		{"empty", nil, 0, 0, 0xdeadbeef, 0xdeadbeef},
		{"empty pb", nil, 0, 0xdeadbeef, 0xbd5b7dde, 0xdeadbeef},
		{"empty both", nil, 0xdeadbeef, 0xdeadbeef, 0x9c093ccd, 0xbd5b7dde},
		{"four score", four, 0, 0, 0x17770551, 0xce7226e6},
		{"four score pb", four, 0, 1, 0xe3607cae, 0xbd371de4},
		{"four score pc", four, 1, 0, 0xcd628161, 0x6cbea4b3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, b := hashlittle2(tc.in, tc.pc, tc.pb)
			if c != tc.c || b != tc.b {
				t.Errorf("hashlittle2 = %#x %#x, want %#x %#x", c, b, tc.c, tc.b)
			}
		})
	}
	if got, want := Jenkins64(four), uint64(0x17770551)<<32|0xce7226e6; got != want {
		t.Errorf("Jenkins64 = %#x, want %#x", got, want)
	}
}

func TestSipHash24(t *testing.T) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	tests := []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{1, 0x74f839c593dc67fd},
		{7, 0xab0200f58b01d137},
		{8, 0x93f5f5799a932462},
		{15, 0xa129ca6149be45e5},
		{63, 0x958a324ceb064572},
	}
	for _, tc := range tests {
		if got := SipHash24(msg[:tc.n], key); got != tc.want {
			t.Errorf("SipHash24(%d bytes) = %#x, want %#x", tc.n, got, tc.want)
		}
	}
}
