package vulns

import (
	"errors"
	"strings"
)

// DebVersion is a Debian package version split as dpkg splits it: [epoch:]upstream[-revision].
type DebVersion struct {
	Epoch    int
	Upstream string
	Revision string
}

// ErrBadVersion is a version dpkg would refuse.
var ErrBadVersion = errors.New("not a Debian version")

// ParseDebVersion splits a Debian version. It refuses what dpkg refuses outright: an empty
// version, a non-numeric or too large epoch, an upstream part that is empty or does not start
// with a digit, and characters outside the allowed set.
func ParseDebVersion(s string) (DebVersion, error) {
	s = strings.TrimSpace(s)
	var v DebVersion
	if s == "" {
		return v, ErrBadVersion
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e := s[:i]
		if e == "" || len(e) > 9 {
			return v, ErrBadVersion
		}
		n := 0
		for _, c := range e {
			if c < '0' || c > '9' {
				return v, ErrBadVersion
			}
			n = n*10 + int(c-'0')
		}
		v.Epoch, s = n, s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.Upstream, v.Revision = s[:i], s[i+1:]
		if v.Revision == "" {
			return v, ErrBadVersion
		}
	} else {
		v.Upstream = s
	}
	if v.Upstream == "" || v.Upstream[0] < '0' || v.Upstream[0] > '9' {
		return v, ErrBadVersion
	}
	for _, c := range v.Upstream {
		if !isAlnum(c) && !strings.ContainsRune(".+-~:", c) {
			return v, ErrBadVersion
		}
	}
	for _, c := range v.Revision {
		if !isAlnum(c) && !strings.ContainsRune(".+~", c) {
			return v, ErrBadVersion
		}
	}
	return v, nil
}

func isAlnum(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// order is dpkg's weight of a character in the non-digit parts: "~" sorts before everything,
// even the end of the part, letters before other characters.
func order(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

// verrevcmp compares two upstream versions or two revisions the way dpkg does: alternating
// runs of non-digits (compared character by character with order) and digits (compared as
// numbers, leading zeros ignored).
func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		first := 0
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for at(a, i) == '0' {
			i++
		}
		for at(b, j) == '0' {
			j++
		}
		for isDigit(at(a, i)) && isDigit(at(b, j)) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if isDigit(at(a, i)) {
			return 1
		}
		if isDigit(at(b, j)) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Compare orders two parsed versions: epoch, then upstream, then revision.
func (a DebVersion) Compare(b DebVersion) int {
	if a.Epoch != b.Epoch {
		return sign(a.Epoch - b.Epoch)
	}
	if c := verrevcmp(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	return verrevcmp(a.Revision, b.Revision)
}

// CompareDeb orders two Debian version strings as dpkg --compare-versions does. A version that
// does not parse sorts by its raw text after every valid one, so a bad record never makes a
// package look fixed.
func CompareDeb(a, b string) int {
	va, ea := ParseDebVersion(a)
	vb, eb := ParseDebVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return 1
	case eb != nil:
		return -1
	}
	return va.Compare(vb)
}
