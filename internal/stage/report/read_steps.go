package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// stepResult is what the report reads from the result of a step it does not know in detail
// (loophole, clean, rotate, harden, verify): a summary, and lists of items (actions, changes,
// credentials, checks) whose entries say what, about what, and in which state. Field names are
// matched loosely, so a step's result is readable without the report importing the step.
type stepResult map[string]any

// genericStep reads a step: its journal entries are actions on the timeline, and its newest
// saved result gives the section. lacks says what the report is missing when the step never ran.
func (b *builder) genericStep(name, phase, lacks string) (*StepSection, stepResult) {
	es := b.noteRuns(name)
	for _, e := range es {
		what := name
		if d := firstNonEmpty(e.Detail, e.Facts["summary"]); d != "" {
			what += ": " + d
		}
		b.entryEvent(e, phase, what)
		if e.Outcome != "planned" {
			b.entryAction(e, name, firstNonEmpty(e.Detail, strings.Join(e.Args, " ")))
		}
	}
	var raw stepResult
	res, ok := b.latest(name, &raw)
	if !ok {
		if len(es) == 0 {
			b.missing(name, lacks)
		} else {
			b.r.NotCovered = append(b.r.NotCovered, say([]Ref{journalRef(es[len(es)-1])},
				"%s ran, but its result is not in the case (results/%s-*.json): only its journal entries are reported", name, name))
		}
		return nil, nil
	}
	sec := &StepSection{Step: name, Summary: raw.text("summary", "verdict", "result", "status"), Items: []Statement{}, Source: Ref{File: res.rel}}
	n := 0
	for _, key := range raw.listKeys() {
		for _, it := range raw.list(key) {
			if n == 100 {
				sec.Items = append(sec.Items, say([]Ref{{File: res.rel}}, "... more in %s", res.rel))
				break
			}
			if s := it.describe(); s != "" {
				sec.Items = append(sec.Items, say([]Ref{{File: res.rel}}, "%s", s))
				n++
			}
		}
	}
	b.step(name).Section = sec
	return sec, raw
}

// text returns the first of keys that holds a string (or a number or a flag, written out).
func (m stepResult) text(keys ...string) string {
	for _, k := range keys {
		for mk, v := range m {
			if !strings.EqualFold(mk, k) {
				continue
			}
			switch x := v.(type) {
			case string:
				if strings.TrimSpace(x) != "" {
					return x
				}
			case float64:
				return fmt.Sprint(x)
			case bool:
				return fmt.Sprint(x)
			case []any:
				var parts []string
				for _, e := range x {
					if s, ok := e.(string); ok {
						parts = append(parts, s)
					}
				}
				if len(parts) > 0 {
					return strings.Join(parts, "; ")
				}
			}
		}
	}
	return ""
}

// flag returns the first of keys that holds true or false.
func (m stepResult) flag(keys ...string) (bool, bool) {
	for _, k := range keys {
		for mk, v := range m {
			if b, ok := v.(bool); ok && strings.EqualFold(mk, k) {
				return b, true
			}
		}
	}
	return false, false
}

// object returns the first of keys that holds an object.
func (m stepResult) object(keys ...string) stepResult {
	for _, k := range keys {
		for mk, v := range m {
			if o, ok := v.(map[string]any); ok && strings.EqualFold(mk, k) {
				return o
			}
		}
	}
	return nil
}

// listKeys names the fields that hold lists of objects, in a stable order.
func (m stepResult) listKeys() []string {
	var keys []string
	for k, v := range m {
		if l, ok := v.([]any); ok && len(l) > 0 {
			if _, ok := l[0].(map[string]any); ok {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func (m stepResult) list(key string) []stepResult {
	var out []stepResult
	if l, ok := m[key].([]any); ok {
		for _, e := range l {
			if o, ok := e.(map[string]any); ok {
				out = append(out, o)
			}
		}
	}
	return out
}

// describe writes an item in one line: what, about what, its state, when, and by whom.
func (m stepResult) describe() string {
	what := m.text("title", "what", "summary", "description", "change", "name", "id")
	about := m.text("target", "path", "subject", "kind", "where", "user", "owner")
	state := m.text("status", "state", "outcome", "phase", "result")
	if what == "" && about == "" {
		return ""
	}
	s := what
	if about != "" && about != what {
		if s != "" {
			s += " — "
		}
		s += about
	}
	if state != "" {
		s += " [" + state + "]"
	}
	if t := m.text("time", "at", "applied_at", "done_at"); t != "" {
		s += " at " + t
	}
	if op := m.text("operator", "by"); op != "" {
		s += " by " + op
	}
	return s
}

func (m stepResult) json() string {
	b, _ := json.Marshal(m)
	return string(b)
}
