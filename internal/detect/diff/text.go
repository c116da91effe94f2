package diff

import (
	"fmt"
	"strings"
)

// maxDiffLines bounds the work and output of a text diff.
const maxDiffLines = 5000

// Unified returns a unified diff of two texts with ctx lines of context ("" when equal).
// Texts longer than maxDiffLines lines are summarized instead of compared line by line.
func Unified(a, b string, ctx int) string {
	if a == b {
		return ""
	}
	la, lb := splitLines(a), splitLines(b)
	if len(la) > maxDiffLines || len(lb) > maxDiffLines {
		return fmt.Sprintf("@@ text too long to compare line by line (%d and %d lines) @@\n", len(la), len(lb))
	}
	ops := myers(la, lb)
	if ops == nil {
		return fmt.Sprintf("@@ texts differ in more than %d lines (%d lines before, %d after) @@\n", maxEdits, len(la), len(lb))
	}
	if out := render(ops, la, lb, ctx); out != "" {
		return out
	}
	return "@@ only the newline at the end of the file differs @@\n"
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

type op struct {
	kind byte // ' ', '-', '+'
	a, b int  // line index in a (for ' ' and '-') and b (for ' ' and '+')
}

// maxEdits bounds the edit distance worked out line by line (memory grows with its square).
const maxEdits = 2000

// myers computes a shortest edit script (Myers' O(ND) algorithm); nil when the texts differ in
// more than maxEdits lines.
func myers(a, b []string) []op {
	n, m := len(a), len(b)
	max := n + m
	v := make([]int, 2*max+2)
	var trace [][]int // trace[d] holds v[max-d .. max+d] before step d
	for d := 0; d <= max && d <= maxEdits; d++ {
		trace = append(trace, append([]int(nil), v[max-d:max+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[max+k-1] < v[max+k+1] {
				x = v[max+k+1]
			} else {
				x = v[max+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[max+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, d)
			}
		}
	}
	return nil
}

func backtrack(trace [][]int, a, b []string, d int) []op {
	x, y := len(a), len(b)
	var ops []op
	for ; d > 0; d-- {
		t := trace[d] // values of v (indices -d..d) before step d, i.e. after step d-1
		at := func(k int) int { return t[k+d] }
		k := x - y
		var pk int
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			ops = append(ops, op{' ', x, y})
		}
		if x == px {
			y--
			ops = append(ops, op{'+', x, y})
		} else {
			x--
			ops = append(ops, op{'-', x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		ops = append(ops, op{' ', x, y})
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}

func render(ops []op, a, b []string, ctx int) string {
	var sb strings.Builder
	i := 0
	for i < len(ops) {
		// find next change
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i >= len(ops) {
			break
		}
		start := i - ctx
		if start < 0 {
			start = 0
		}
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// run of equal lines: stop if longer than 2*ctx
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end += min(ctx, run-end)
				break
			}
			end = run
		}
		aStart, bStart, aLen, bLen := -1, -1, 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				if aStart < 0 {
					aStart = o.a
				}
				aLen++
			}
			if o.kind != '-' {
				if bStart < 0 {
					bStart = o.b
				}
				bLen++
			}
		}
		if aStart < 0 {
			aStart = ops[start].a
		}
		if bStart < 0 {
			bStart = ops[start].b
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", aStart+1, aLen, bStart+1, bLen)
		for _, o := range ops[start:end] {
			switch o.kind {
			case ' ':
				sb.WriteString(" " + a[o.a] + "\n")
			case '-':
				sb.WriteString("-" + a[o.a] + "\n")
			case '+':
				sb.WriteString("+" + b[o.b] + "\n")
			}
		}
		i = end
	}
	return sb.String()
}
