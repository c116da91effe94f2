package weblog

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Hit is one rule that matched a request.
type Hit struct {
	Rule     string   // stable id: "web.sqli.union-select"
	Category string   // "sqli", "traversal", "cmd-injection", "lfi", "rfi", "log4shell", ...
	Severity string   // "info", "low", "medium", "high" or "critical"
	Evidence string   // what matched where, the request and its status
	Attack   []string // MITRE ATT&CK technique ids (shared: do not modify)
}

// Categories of hits.
const (
	CatSQLi         = "sqli"
	CatTraversal    = "traversal"
	CatCmdInjection = "cmd-injection"
	CatLFI          = "lfi"
	CatRFI          = "rfi"
	CatLog4Shell    = "log4shell"
	CatShellshock   = "shellshock"
	CatCVEProbe     = "cve-probe"
	CatWebshell     = "webshell-access"
	CatScanner      = "scanner"
	CatUpload       = "upload"
	CatXSS          = "xss"
	CatAdminProbe   = "admin-probe"
	CatProxyAbuse   = "proxy-abuse"
	CatPHPInjection = "php-injection"
	CatLogin        = "login-attempt"
)

var sevNames = [...]string{"info", "low", "medium", "high", "critical"}

const (
	sevInfo = iota
	sevLow
	sevMedium
	sevHigh
	sevCritical
)

// SeverityRank orders severity names: 0 for "info" up to 4 for "critical" (-1 if unknown).
func SeverityRank(s string) int {
	return slices.Index(sevNames[:], s)
}

// RuleInfo describes one rule, for catalogues and documentation.
type RuleInfo struct {
	ID       string
	Category string
	Severity string // when the request failed; one level higher with a 2xx status if Raise
	Raise    bool
	Attack   []string
	Title    string
}

// Rules lists every rule Classify applies, in a stable order.
func Rules() []RuleInfo {
	out := make([]RuleInfo, len(rules))
	for i, r := range rules {
		out[i] = RuleInfo{ID: r.id, Category: r.cat, Severity: sevNames[r.sev], Raise: r.raise,
			Attack: r.attack, Title: r.title}
	}
	return out
}

// Classify tells which attack rules a request matches, strongest first; nil for a request
// that matches none. Severity is the rule's, raised one level when the server answered 2xx to an
// exploit attempt (a scanner's user agent or a login attempt is not raised); the status is in
// the evidence, so the caller can weigh success itself.
//
// URL encoding is undone up to three times (%XX, %uXXXX, "+"), overlong UTF-8 and backslashes
// folded, case ignored. Path and query are searched for exploits; the user agent for scanners,
// Log4Shell, Shellshock and PHP code; the referer and user for Log4Shell and Shellshock.
func Classify(r Request) []Hit {
	c := classifiers.Get().(*Classifier)
	h := c.Classify(&r)
	classifiers.Put(c)
	return h
}

var classifiers = sync.Pool{New: func() any { return new(Classifier) }}

// Classifier is Classify with its scratch buffers kept between calls (one per goroutine).
type Classifier struct {
	path, query, ua, ref, user, raw, a, b []byte
	seen                                  [(maxRules + 63) / 64]uint64
	hits                                  []Hit
	r                                     *Request
	cleanUA                               string // the last user agent that matched nothing
}

// Classify is the package's Classify, reusing c's buffers. The result is the caller's.
func (c *Classifier) Classify(r *Request) []Hit {
	c.r = r
	c.hits = nil
	c.seen = [len(c.seen)]uint64{}
	c.path, c.query = c.path[:0], c.query[:0]
	if r.Method != "" || r.Target != "" {
		target := r.Target
		q := strings.IndexByte(target, '?')
		pathPart, query := target, ""
		if q >= 0 {
			pathPart, query = target[:q], target[q+1:]
		}
		c.path, c.a, c.b = normalize(c.path[:0], pathPart, true, c.a, c.b)
		c.scan(c.path, fPath)
		if query != "" {
			c.query, c.a, c.b = normalize(c.query[:0], query, true, c.a, c.b)
			c.scan(c.query, fQuery)
		}
		if strings.IndexByte(target, '%') >= 0 || q >= 0 {
			// The raw target only matters for encodings and literals that span path and query.
			c.raw = fold(c.raw[:0], target)
			c.scan(c.raw, fRaw)
		}
	}
	if r.UserAgent != "" && r.UserAgent != c.cleanUA {
		// Most requests come with one of a few user agents: one that matched nothing is
		// remembered and not searched again.
		n := len(c.hits)
		c.ua, c.a, c.b = normalize(c.ua[:0], r.UserAgent, false, c.a, c.b)
		c.scan(c.ua, fUA)
		if len(c.hits) == n {
			c.cleanUA = r.UserAgent
		}
	}
	if r.Referer != "" && suspectHeader(r.Referer) {
		c.ref, c.a, c.b = normalize(c.ref[:0], r.Referer, false, c.a, c.b)
		c.scan(c.ref, fRef)
	}
	if r.User != "" && suspectHeader(r.User) {
		c.user, c.a, c.b = normalize(c.user[:0], r.User, false, c.a, c.b)
		c.scan(c.user, fUser)
	}
	c.requestRules()
	if len(c.hits) > 1 {
		slices.SortStableFunc(c.hits, func(a, b Hit) int {
			return SeverityRank(b.Severity) - SeverityRank(a.Severity)
		})
	}
	h := c.hits
	c.hits, c.r = nil, nil
	return h
}

// suspectHeader is a quick test for the only things looked for in referers and user names:
// "${" and "() {", plain or URL-encoded.
func suspectHeader(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		switch s[i] {
		case '$', '(', '%':
			return true
		}
	}
	return false
}

// Fields of a request the patterns apply to.
const (
	fPath     uint8 = 1 << iota // decoded path
	fQuery                      // decoded query
	fUA                         // user agent
	fRef                        // referer
	fUser                       // authenticated user name
	fRaw                        // the target as sent, lower case, encoding kept
	numFields = 6

	fPQ  = fPath | fQuery
	fAny = fPath | fQuery | fUA | fRef | fUser
)

func fieldName(f uint8) string {
	switch f {
	case fPath:
		return "path"
	case fQuery:
		return "query"
	case fUA:
		return "user agent"
	case fRef:
		return "referer"
	case fUser:
		return "user"
	}
	return "target"
}

const maxRules = 256

// rule is one detection with its classification.
type rule struct {
	idx    int
	id     string
	cat    string
	sev    int
	raise  bool // one level up when the server answered 2xx
	attack []string
	title  string
}

// checkFn confirms a literal found at s[i:j] of a normalized field.
type checkFn func(s []byte, i, j int) bool

// pat is a literal (lower case, at least two bytes) that fires a rule in some fields.
type pat struct {
	lit    string
	fields uint8
	idx    int // of the rule
	rule   *rule
	check  checkFn
}

var (
	rules []*rule
	pats  []pat
	// present has, per field, a bit for the first two bytes of every literal searched in the
	// field; byField holds those literals by their first two bytes.
	present [numFields][1 << 16 / 64]uint64
	byField [numFields]fieldIndex
)

func newRule(id, cat string, sev int, raise bool, attack []string, title string) *rule {
	r := &rule{idx: len(rules), id: id, cat: cat, sev: sev, raise: raise, attack: attack, title: title}
	if r.idx >= maxRules {
		panic("weblog: too many rules")
	}
	rules = append(rules, r)
	return r
}

func add(r *rule, fields uint8, check checkFn, lits ...string) {
	for _, l := range lits {
		if len(l) < 2 || l != strings.ToLower(l) || strings.IndexByte(l, '\\') >= 0 {
			panic("weblog: bad literal " + strconv.Quote(l))
		}
		f := fields
		if strings.IndexByte(l, '?') >= 0 && f&fPQ != 0 {
			f |= fRaw // path and query are searched apart: the raw target holds both
		}
		pats = append(pats, pat{lit: l, fields: f, idx: r.idx, rule: r, check: check})
	}
}

func key(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

// fieldIndex finds a field's literals by their first two bytes: first[a][b] is the number of
// the list in lists (0, an empty list, when none starts so). Second-level tables exist only for
// first bytes in use.
type fieldIndex struct {
	first [256]*[256]uint16
	lists [][]pat
}

func (fi *fieldIndex) add(p pat) {
	if fi.lists == nil {
		fi.lists = [][]pat{nil}
	}
	t := fi.first[p.lit[0]]
	if t == nil {
		t = new([256]uint16)
		fi.first[p.lit[0]] = t
	}
	if t[p.lit[1]] == 0 {
		t[p.lit[1]] = uint16(len(fi.lists))
		fi.lists = append(fi.lists, nil)
	}
	fi.lists[t[p.lit[1]]] = append(fi.lists[t[p.lit[1]]], p)
}

// buildIndex sorts the literals by their first two bytes and fills present and index.
func buildIndex() {
	slices.SortStableFunc(pats, func(a, b pat) int {
		return int(key(a.lit[0], a.lit[1])) - int(key(b.lit[0], b.lit[1]))
	})
	for _, p := range pats {
		k := key(p.lit[0], p.lit[1])
		for b := range numFields {
			if p.fields&(1<<b) != 0 {
				present[b][k>>6] |= 1 << (k & 63)
				byField[b].add(p)
			}
		}
	}
}

// scan looks for every literal in s.
func (c *Classifier) scan(s []byte, f uint8) {
	b := bits.TrailingZeros8(f)
	pr, fi := &present[b], &byField[b]
	for i := 0; i+1 < len(s); i++ {
		k := key(s[i], s[i+1])
		if pr[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		list := fi.lists[fi.first[s[i]][s[i+1]]]
		for n := range list {
			p := &list[n]
			if c.seen[p.idx>>6]&(1<<(p.idx&63)) != 0 {
				continue
			}
			j := i + len(p.lit)
			if j > len(s) || string(s[i:j]) != p.lit {
				continue
			}
			if p.check != nil && !p.check(s, i, j) {
				continue
			}
			c.hitLit(p.rule, p.lit, f)
		}
	}
}

func (c *Classifier) seenRule(r *rule) bool { return c.seen[r.idx>>6]&(1<<(r.idx&63)) != 0 }

func (c *Classifier) hitLit(r *rule, lit string, f uint8) {
	var b strings.Builder
	b.WriteString(`matched "`)
	b.WriteString(printable(lit, 40))
	b.WriteString(`" in `)
	b.WriteString(fieldName(f))
	switch f {
	case fUA:
		b.WriteString(` "` + printable(c.r.UserAgent, 160) + `"`)
	case fRef:
		b.WriteString(` "` + printable(c.r.Referer, 160) + `"`)
	case fUser:
		b.WriteString(` "` + printable(c.r.User, 80) + `"`)
	}
	c.hit(r, b.String())
}

// hit records a rule's hit once per request, with the request and status after the evidence.
func (c *Classifier) hit(r *rule, what string) {
	if c.seenRule(r) {
		return
	}
	c.seen[r.idx>>6] |= 1 << (r.idx & 63)
	sev := r.sev
	if r.raise && c.r.Status >= 200 && c.r.Status < 300 && sev < sevCritical {
		sev++
	}
	req := c.r.Target
	if c.r.Method != "" {
		req = c.r.Method + " " + req
	}
	ev := what + "; request " + printable(req, 200) + "; status " + strconv.Itoa(c.r.Status)
	c.hits = append(c.hits, Hit{Rule: r.id, Category: r.cat, Severity: sevNames[sev], Evidence: ev, Attack: r.attack})
}

// printable clips s to max bytes (on a character boundary) and writes control bytes and invalid
// UTF-8 as \xHH, so evidence is safe to print.
func printable(s string, max int) string {
	clean := len(s) <= max
	if clean {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f {
				clean = false
				break
			}
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= max {
			b.WriteString("...")
			break
		}
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		if c >= 0x80 {
			if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError && r >= 0xa0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		const hex = "0123456789abcdef"
		b.WriteString(`\x`)
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
		i++
	}
	return b.String()
}
