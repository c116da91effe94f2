package wseval

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
)

// Halves of the web-shell corpus.
const (
	Tuning  = "tuning"  // the half the detector may be tuned on
	HeldOut = "heldout" // the half nobody looks at while tuning; its figures are the ones reported
)

// Split is the corpus's fixed division into families and halves, keyed by SHA-256.
type Split struct {
	Family map[string]string // sha256 -> family id
	Half   map[string]string // sha256 -> Tuning or HeldOut
}

//go:embed split.tsv
var splitTSV []byte

// FixedSplit is the split kept in split.tsv (written by `go run ./bench/webshell-eval
// -write-split`): the same files always land in the same half, whatever the detector does.
func FixedSplit() (Split, error) {
	return ReadSplit(bytes.NewReader(splitTSV))
}

// ReadSplit reads a split table: sha256, family, half, path (tab separated, # comments).
func ReadSplit(r io.Reader) (Split, error) {
	sp := Split{Family: map[string]string{}, Half: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 || len(f[0]) != 64 || (f[2] != Tuning && f[2] != HeldOut) {
			return Split{}, fmt.Errorf("split table line %d: want sha256, family, %s or %s", n, Tuning, HeldOut)
		}
		sp.Family[f[0]], sp.Half[f[0]] = f[1], f[2]
	}
	if err := sc.Err(); err != nil {
		return Split{}, fmt.Errorf("read split table: %w", err)
	}
	return sp, nil
}

// Apply sets each sample's Family and Half from the split. Samples the split does not know
// are returned (a corpus that changed: write the split again and say so).
func (sp Split) Apply(samples []Sample) (unknown []string) {
	for i := range samples {
		h, ok := sp.Half[samples[i].SHA256]
		if !ok {
			unknown = append(unknown, samples[i].Path)
			continue
		}
		samples[i].Family, samples[i].Half = sp.Family[samples[i].SHA256], h
	}
	return unknown
}

// Similarity thresholds for putting two samples in one family: Jaccard similarity of their
// token 6-grams, or how much of the smaller one the larger contains.
const (
	familyJaccard     = 0.3
	familyContainment = 0.6
	familyMinShingles = 30 // containment counts only for samples at least this long
)

// Families groups samples into families by content: two files whose token 6-grams overlap
// enough (familyJaccard, or familyContainment of the smaller one) are of one family, and
// families are closed under that relation. A renamed copy, a translated or re-branded
// variant and a shell with a few features added all land with their original, so no half
// holds a near twin of a file of the other. It returns each sample's family id: the name of
// its lexically first member's file, lower-cased, with the member count.
func Families(samples []Sample) []string {
	sh := make([]map[uint64]struct{}, len(samples))
	for i := range samples {
		sh[i] = shingles(samples[i].Content)
	}
	parent := make([]int, len(samples))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			a, b := sh[i], sh[j]
			if len(a) > len(b) {
				a, b = b, a
			}
			if len(a) == 0 {
				continue
			}
			inter := 0
			for x := range a {
				if _, ok := b[x]; ok {
					inter++
				}
			}
			jac := float64(inter) / float64(len(a)+len(b)-inter)
			cont := float64(inter) / float64(len(a))
			if jac >= familyJaccard || (cont >= familyContainment && len(a) >= familyMinShingles) {
				parent[find(i)] = find(j)
			}
		}
	}
	members := map[int][]int{}
	for i := range samples {
		r := find(i)
		members[r] = append(members[r], i)
	}
	out := make([]string, len(samples))
	for _, m := range members {
		first := samples[m[0]].Path
		for _, i := range m {
			if samples[i].Path < first {
				first = samples[i].Path
			}
		}
		id := strings.ToLower(first)
		if k := strings.LastIndexByte(id, '/'); k >= 0 {
			id = id[k+1:]
		}
		id = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == ' ' {
				return '_'
			}
			return r
		}, id)
		id = fmt.Sprintf("%s(%d)", id, len(m))
		for _, i := range m {
			out[i] = id
		}
	}
	return out
}

// shingles returns the hashes of a text's token 6-grams: words (letters, digits, '_' and
// non-ASCII bytes, lower-cased) and single punctuation marks, white space ignored.
func shingles(b []byte) map[uint64]struct{} {
	var toks []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range b {
		if c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80 {
			cur = append(cur, c)
			continue
		}
		flush()
		if c > ' ' {
			toks = append(toks, string(c))
		}
	}
	flush()
	const k = 6
	m := make(map[uint64]struct{}, len(toks))
	for i := 0; i+k <= len(toks); i++ {
		h := fnv.New64a()
		for _, t := range toks[i : i+k] {
			h.Write([]byte(t))
			h.Write([]byte{0})
		}
		m[h.Sum64()] = struct{}{}
	}
	return m
}

// AssignHalves splits families between the halves, language by language: families are taken
// in the order of a hash of their id (fixed, unrelated to any detector) and each goes to the
// half that holds fewer files of its language so far. A family's language is that of most of
// its files. It returns sha256 -> half.
func AssignHalves(samples []Sample, family []string) map[string]string {
	type fam struct {
		id    string
		lang  string
		files []int
		hash  uint64
	}
	fams := map[string]*fam{}
	for i := range samples {
		f := fams[family[i]]
		if f == nil {
			h := fnv.New64a()
			h.Write([]byte(family[i]))
			f = &fam{id: family[i], hash: h.Sum64()}
			fams[family[i]] = f
		}
		f.files = append(f.files, i)
	}
	byLang := map[string][]*fam{}
	for _, f := range fams {
		count := map[string]int{}
		for _, i := range f.files {
			count[SampleLanguage(samples[i].Class, "")]++
		}
		best := ""
		for l, n := range count {
			if n > count[best] || (n == count[best] && l < best) {
				best = l
			}
		}
		f.lang = best
		byLang[best] = append(byLang[best], f)
	}
	out := map[string]string{}
	for _, fs := range byLang {
		sort.Slice(fs, func(i, j int) bool {
			if fs[i].hash != fs[j].hash {
				return fs[i].hash < fs[j].hash
			}
			return fs[i].id < fs[j].id
		})
		n := map[string]int{}
		for _, f := range fs {
			half := Tuning
			if n[HeldOut] < n[Tuning] {
				half = HeldOut
			}
			n[half] += len(f.files)
			for _, i := range f.files {
				out[samples[i].SHA256] = half
			}
		}
	}
	return out
}

// WriteSplit writes the split table for samples (see ReadSplit), sorted by half, family and
// path, with a header that says how it was made.
func WriteSplit(w io.Writer, samples []Sample) error {
	family := Families(samples)
	half := AssignHalves(samples, family)
	idx := make([]int, len(samples))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		sa, sb := samples[idx[a]], samples[idx[b]]
		if half[sa.SHA256] != half[sb.SHA256] {
			return half[sa.SHA256] > half[sb.SHA256]
		}
		if family[idx[a]] != family[idx[b]] {
			return family[idx[a]] < family[idx[b]]
		}
		return sa.Path < sb.Path
	})
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# The web-shell corpus (shared/testdata/webshells) split by family into a tuning half and a\n")
	fmt.Fprintf(bw, "# held-out half. Written by `go run ./bench/webshell-eval -write-split FILE`; see\n")
	fmt.Fprintf(bw, "# wseval.Families (token 6-gram Jaccard >= %.1f or containment >= %.1f) and AssignHalves.\n", familyJaccard, familyContainment)
	fmt.Fprintf(bw, "# sha256\tfamily\thalf\tpath\n")
	for _, i := range idx {
		s := samples[i]
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\n", s.SHA256, family[i], half[s.SHA256], strings.ReplaceAll(s.Path, "\t", " "))
	}
	return bw.Flush()
}

// SampleLanguage names the language row a sample is counted in: its manifest class without
// the "(txt)" and "-cgi" suffixes, except that a renamed file whose content shows another
// language (an ASP page saved as .php.txt) counts under that one when detected is not empty.
func SampleLanguage(class, detected string) string {
	l := class
	txt := strings.HasSuffix(l, "(txt)")
	l = strings.TrimSuffix(l, "(txt)")
	l = strings.TrimSuffix(l, "-cgi")
	if l == "other:.rb" {
		l = "ruby"
	}
	if txt && detected != "" && detected != "unknown" {
		l = detected
	}
	return l
}
