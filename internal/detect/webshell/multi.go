package webshell

import "bytes"

// multi finds many literal needles in one pass over a text: each position is looked up by its
// first two bytes in a table of candidate needles.
type multi struct {
	needles [][]byte
	buckets [4096][]int32
}

func bucketOf(a, b byte) int { return (int(a)<<4 ^ int(b)) & 4095 }

// newMulti builds a matcher; needles shorter than two bytes are ignored.
func newMulti(needles []string) *multi {
	m := &multi{}
	for _, n := range needles {
		if len(n) < 2 {
			continue
		}
		k := bucketOf(n[0], n[1])
		m.buckets[k] = append(m.buckets[k], int32(len(m.needles)))
		m.needles = append(m.needles, []byte(n))
	}
	return m
}

// each calls fn for every occurrence of a needle in text (needle index, offset) until fn
// returns false.
func (m *multi) each(text []byte, fn func(needle, at int) bool) {
	for i := 0; i+1 < len(text); i++ {
		cands := m.buckets[bucketOf(text[i], text[i+1])]
		for _, c := range cands {
			n := m.needles[c]
			if len(n) <= len(text)-i && bytes.Equal(text[i:i+len(n)], n) {
				if !fn(int(c), i) {
					return
				}
			}
		}
	}
}
