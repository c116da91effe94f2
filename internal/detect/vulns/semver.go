package vulns

import (
	"strconv"
	"strings"
)

// CompareSemver orders versions by semantic versioning's precedence (npm): numeric major,
// minor and patch, a pre-release before its release, pre-release fields compared numerically
// or as text; build metadata ignored. A leading "v" or "=" is dropped; missing parts are 0.
func CompareSemver(a, b string) int {
	ma, pa := splitSemver(a)
	mb, pb := splitSemver(b)
	for i := 0; i < 3; i++ {
		if ma[i] != mb[i] {
			if ma[i] < mb[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa == "" && pb == "":
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	}
	fa, fb := strings.Split(pa, "."), strings.Split(pb, ".")
	for i := 0; i < len(fa) && i < len(fb); i++ {
		na, ea := strconv.ParseUint(fa[i], 10, 64)
		nb, eb := strconv.ParseUint(fb[i], 10, 64)
		switch {
		case ea == nil && eb == nil:
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		default:
			if c := strings.Compare(fa[i], fb[i]); c != 0 {
				return c
			}
		}
	}
	return sign(len(fa) - len(fb))
}

func splitSemver(s string) (nums [3]uint64, pre string) {
	s = strings.TrimLeft(strings.TrimSpace(s), "v=")
	s, _, _ = strings.Cut(s, "+")
	core, pre, _ := strings.Cut(s, "-")
	for i, p := range strings.SplitN(core, ".", 3) {
		n, _ := strconv.ParseUint(p, 10, 64)
		nums[i] = n
	}
	return nums, pre
}

// ComparePackagist orders Composer versions: "v" dropped, up to four numeric parts, then the
// stability (dev < alpha < beta < RC < stable < patch) and its number.
func ComparePackagist(a, b string) int {
	na, sa, ka := splitComposer(a)
	nb, sb, kb := splitComposer(b)
	for i := range na {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	if sa != sb {
		return sign(sa - sb)
	}
	return sign(ka - kb)
}

func splitComposer(s string) (nums [4]int, stability, n int) {
	s = strings.ToLower(strings.TrimLeft(strings.TrimSpace(s), "vV"))
	stability = 4 // stable
	core := s
	if i := strings.IndexAny(s, "-_+"); i >= 0 {
		core, s = s[:i], s[i+1:]
		rest := strings.TrimLeft(s, "-_.")
		for _, st := range []struct {
			p string
			w int
		}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"rc", 3}, {"patch", 5}, {"pl", 5}, {"p", 5}} {
			if strings.HasPrefix(rest, st.p) {
				stability = st.w
				n, _ = strconv.Atoi(strings.TrimLeft(rest[len(st.p):], "-_."))
				break
			}
		}
	}
	for i, p := range strings.SplitN(core, ".", 4) {
		v, _ := strconv.Atoi(p)
		nums[i] = v
	}
	return nums, stability, n
}
