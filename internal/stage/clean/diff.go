package clean

import (
	"fmt"
	"strings"
)

// maxDiffLines bounds the line diff (quadratic in the lines): larger files get no hunks.
const maxDiffLines = 4000

// lineHunks computes the hunks that turn cur into want (a longest-common-subsequence diff),
// positions in cur. ok is false when the files are too large to compare.
func lineHunks(cur, want []string) ([]Hunk, bool) {
	n, m := len(cur), len(want)
	if n > maxDiffLines || m > maxDiffLines {
		return nil, false
	}
	// lcs[i][j]: length of the LCS of cur[i:] and want[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if cur[i] == want[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Hunk
	var h *Hunk
	flush := func() {
		if h != nil {
			out = append(out, *h)
			h = nil
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && cur[i] == want[j]:
			flush()
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			if h == nil {
				h = &Hunk{Line: i + 1}
			}
			h.Insert = append(h.Insert, want[j])
			j++
		default:
			if h == nil {
				h = &Hunk{Line: i + 1}
			}
			h.Remove = append(h.Remove, cur[i])
			i++
		}
	}
	flush()
	return out, true
}

// showDiff renders hunks for people: "-" the host's line, "+" the baseline's.
func showDiff(path string, hunks []Hunk) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s on the host\n+++ %s in the baseline\n", path, path)
	for _, h := range hunks {
		fmt.Fprintf(&b, "@@ line %d @@\n", h.Line)
		for _, r := range h.Remove {
			b.WriteString("-" + clip(r) + "\n")
		}
		for _, in := range h.Insert {
			b.WriteString("+" + clip(in) + "\n")
		}
	}
	return b.String()
}
