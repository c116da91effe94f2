package hooks

import "strings"

// UdevPair is one KEY{attr}OP"value" of a udev rule.
type UdevPair struct {
	Line  int
	Key   string
	Attr  string
	Op    string // ==, !=, =, +=, -=, :=
	Value string
}

var udevOps = []string{"==", "!=", "+=", "-=", ":=", "="}

// parseUdevLine splits one rule into its pairs; ok is false when the rule is malformed (udev
// then ignores the whole rule).
func parseUdevLine(l string, n int) (pairs []UdevPair, ok bool) {
	i := 0
	for {
		for i < len(l) && (l[i] == ' ' || l[i] == '\t' || l[i] == ',') {
			i++
		}
		if i >= len(l) {
			return pairs, true
		}
		j := i
		for j < len(l) && (l[j] >= 'A' && l[j] <= 'Z' || l[j] >= 'a' && l[j] <= 'z' || l[j] >= '0' && l[j] <= '9' || l[j] == '_') {
			j++
		}
		if j == i {
			return pairs, false
		}
		p := UdevPair{Line: n, Key: l[i:j]}
		if j < len(l) && l[j] == '{' {
			end := strings.IndexByte(l[j:], '}')
			if end < 0 {
				return pairs, false
			}
			p.Attr = l[j+1 : j+end]
			j += end + 1
		}
		for j < len(l) && (l[j] == ' ' || l[j] == '\t') {
			j++
		}
		for _, op := range udevOps {
			if strings.HasPrefix(l[j:], op) {
				p.Op = op
				j += len(op)
				break
			}
		}
		if p.Op == "" {
			return pairs, false
		}
		for j < len(l) && (l[j] == ' ' || l[j] == '\t') {
			j++
		}
		if j < len(l) && l[j] == 'e' {
			j++ // e"..." : a value with C escapes
		}
		if j >= len(l) || l[j] != '"' {
			return pairs, false
		}
		j++
		var v strings.Builder
		closed := false
		for j < len(l) {
			c := l[j]
			if c == '\\' && j+1 < len(l) && l[j+1] == '"' {
				v.WriteByte('"')
				j += 2
				continue
			}
			if c == '"' {
				closed = true
				j++
				break
			}
			v.WriteByte(c)
			j++
		}
		if !closed {
			return pairs, false
		}
		p.Value = truncate(v.String(), MaxValue)
		pairs = append(pairs, p)
		i = j
	}
}

// ParseUdevRules parses a udev rules file into its pairs: one rule per line (lines continued
// with a backslash are joined), comments starting with #. Malformed rules are skipped whole, as
// udev does, and reported in the error (a *LineError).
func ParseUdevRules(data []byte) ([]UdevPair, error) {
	var out []UdevPair
	var bad LineError
	ls := lines(data)
	for i := 0; i < len(ls); i++ {
		start := i + 1
		l := strings.TrimSpace(ls[i])
		for strings.HasSuffix(l, `\`) && i+1 < len(ls) {
			i++
			l = strings.TrimSuffix(l, `\`) + strings.TrimSpace(ls[i])
		}
		l = strings.TrimSuffix(l, `\`)
		if l == "" || l[0] == '#' {
			continue
		}
		pairs, ok := parseUdevLine(l, start)
		if !ok {
			bad.Add(start)
			continue
		}
		out = append(out, pairs...)
	}
	return out, bad.Err()
}

// UdevPrograms filters the pairs that run a program: RUN (any {type}, added or assigned),
// PROGRAM and IMPORT{program} (IMPORT without a type too, which old udev ran as a program).
func UdevPrograms(pairs []UdevPair) []UdevPair {
	var out []UdevPair
	for _, p := range pairs {
		if p.Value == "" || p.Op == "!=" || p.Op == "-=" {
			continue
		}
		switch {
		case p.Key == "RUN" && p.Op != "==",
			p.Key == "PROGRAM",
			p.Key == "IMPORT" && (p.Attr == "program" || p.Attr == ""):
			out = append(out, p)
		}
	}
	return out
}
