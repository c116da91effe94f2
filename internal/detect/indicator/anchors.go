package indicator

import "bytes"

// anchorTable finds the anchor strings of all rules in one pass over a line: each position
// is looked up by its first two bytes.
type anchorTable struct {
	needles [][]byte
	masks   []uint64 // rules (bit = rule index mod 64) that need the needle
	buckets [4096][]int32
}

func bucketOf(a, b byte) int { return (int(a)<<4 ^ int(b)) & 4095 }

var anchors = func() *anchorTable {
	t := &anchorTable{}
	index := map[string]int{}
	for k := range rules {
		bit := uint64(1) << (uint(k) % 64)
		rules[k].anchors = bit
		for _, w := range rules[k].anchorWords {
			if len(w) < 2 {
				continue
			}
			if n, ok := index[w]; ok {
				t.masks[n] |= bit
				continue
			}
			index[w] = len(t.needles)
			b := bucketOf(w[0], w[1])
			t.buckets[b] = append(t.buckets[b], int32(len(t.needles)))
			t.needles = append(t.needles, []byte(w))
			t.masks = append(t.masks, bit)
		}
	}
	return t
}()

// anchorHits returns the rule bits whose anchors occur in lc.
func anchorHits(lc []byte) uint64 {
	var hits uint64
	t := anchors
	for i := 0; i+1 < len(lc); i++ {
		for _, c := range t.buckets[bucketOf(lc[i], lc[i+1])] {
			n := t.needles[c]
			if len(n) <= len(lc)-i && bytes.Equal(lc[i:i+len(n)], n) {
				hits |= t.masks[c]
			}
		}
	}
	return hits
}
