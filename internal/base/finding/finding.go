// Package finding holds what nowwhat concludes about a host: findings (each with a stable rule
// id, a severity, the subject, its evidence, MITRE ATT&CK techniques, what explains it if anything
// and what to do), what was and was not covered, and the verdict drawn from them.
package finding

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

// Severity orders findings.
type Severity int

// Severities, lowest first (0 is "not set").
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var sevNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return "info"
	}
	return sevNames[s-1]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range sevNames {
		if n == string(b) {
			*s = Severity(i + 1)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Finding is one thing nowwhat found, with its evidence.
type Finding struct {
	Rule     string   `json:"rule"`     // stable id, e.g. "persistence.ld-preload"
	Severity Severity `json:"severity"` // info .. critical
	Title    string   `json:"title"`    // one line for people
	Path     string   `json:"path,omitempty"`
	PID      int64    `json:"pid,omitempty"`
	User     string   `json:"user,omitempty"`
	Evidence []string `json:"evidence"`
	Attack   []string `json:"attack"` // MITRE ATT&CK technique ids
	// Why says why this matters, for a non-expert.
	Why string `json:"why,omitempty"`
	// Strong marks an indicator that means compromise whoever was logged in (a known implant
	// pattern, a modified binary no package explains, a preload rootkit).
	Strong      bool   `json:"strong"`
	Explained   bool   `json:"explained"`
	Explanation string `json:"explanation,omitempty"`
	Action      string `json:"action"`
	// New says the finding concerns something absent from the baseline (with a baseline only).
	New bool `json:"new,omitempty"`
	// Time of the change the finding is about (file change time, event time), if known.
	Time string `json:"time,omitempty"`
	// SourceIP and Since are filled by analyzers that read logs.
	SourceIP string `json:"source_ip,omitempty"`
	// Session is the login session the change is tied to, with its judgement (see package
	// detect/sessions): a change made in a hostile session is the intruder's, whoever's account.
	Session *SessionRef `json:"session,omitempty"`
}

// SessionRef names a login session and how it was judged.
type SessionRef struct {
	ID        string   `json:"id"`
	User      string   `json:"user"`
	Via       string   `json:"via"`
	SourceIP  string   `json:"source_ip,omitempty"`
	Key       string   `json:"key,omitempty"`
	Start     string   `json:"start"`
	Judgement string   `json:"judgement"` // trusted, hostile, unknown
	Reasons   []string `json:"reasons"`
	How       string   `json:"how"` // command, root, owner, present: how it could have made the change
}

// Hostile reports whether the finding is tied to a hostile session and nothing explains it.
func (f Finding) Hostile() bool {
	return f.Session != nil && f.Session.Judgement == "hostile" && !f.Explained
}

// findingFields is Finding without its JSON methods.
type findingFields Finding

// findingWire is a finding as JSON: a path or user name that is not valid UTF-8 is written
// escaped for the eye, with its exact bytes in base64 beside it (textsafe.ForJSON).
type findingWire struct {
	findingFields
	PathB64 string `json:"path_b64,omitempty"`
	UserB64 string `json:"user_b64,omitempty"`
}

// MarshalJSON keeps the subject's name byte for byte.
func (f Finding) MarshalJSON() ([]byte, error) {
	w := findingWire{findingFields: findingFields(f)}
	w.Path, w.PathB64 = textsafe.ForJSON(f.Path)
	w.User, w.UserB64 = textsafe.ForJSON(f.User)
	return json.Marshal(w)
}

// UnmarshalJSON reads the exact names back.
func (f *Finding) UnmarshalJSON(data []byte) error {
	var w findingWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*f = Finding(w.findingFields)
	var err error
	if f.Path, err = textsafe.FromJSON(f.Path, w.PathB64); err != nil {
		return err
	}
	f.User, err = textsafe.FromJSON(f.User, w.UserB64)
	return err
}

// Key identifies a finding for de-duplication: the same rule about the same subject.
func (f Finding) Key() string {
	return f.Rule + "\x00" + f.Path + "\x00" + fmt.Sprint(f.PID) + "\x00" + f.User + "\x00" + f.Title
}

// Verdict is the answer to "is this server compromised?".
type Verdict string

// Verdicts.
const (
	Clean       Verdict = "clean"
	Suspicious  Verdict = "suspicious"
	Compromised Verdict = "compromised"
	Incomplete  Verdict = "incomplete"
)

// ExitCode follows the monitoring-plugin convention: 0 clean, 1 suspicious (warning),
// 2 compromised (critical), 3 unknown.
func (v Verdict) ExitCode() int {
	switch v {
	case Clean:
		return 0
	case Suspicious:
		return 1
	case Compromised:
		return 2
	}
	return 3
}

// Coverage says what the check could look at and what it could not.
type Coverage struct {
	Root         string            `json:"root"`
	Live         bool              `json:"live"`
	Privileged   bool              `json:"privileged"`
	Baseline     string            `json:"baseline,omitempty"`
	Verified     bool              `json:"baseline_verified"`
	Collectors   []string          `json:"collectors"`
	Counts       map[string]int    `json:"counts"`
	NotCovered   []string          `json:"not_covered"`
	Problems     int               `json:"problems"`
	Explainers   []string          `json:"explainers"`
	Facts        map[string]string `json:"facts,omitempty"`
	Insufficient bool              `json:"insufficient"` // too little could be read to call the host clean
}

// Decide draws the verdict: compromised when a strong indicator, a change tied to a hostile
// session, or an unexplained critical finding is present; suspicious for unexplained high or medium findings; incomplete when the
// rest is quiet but coverage is insufficient; clean otherwise. Explained findings never make a
// host compromised unless they are strong indicators.
func Decide(fs []Finding, cov Coverage) Verdict {
	worst := Info
	for _, f := range fs {
		if f.Strong || f.Hostile() {
			return Compromised
		}
		if f.Explained {
			continue
		}
		if f.Severity > worst {
			worst = f.Severity
		}
	}
	switch {
	case worst >= Critical:
		return Compromised
	case worst >= Medium:
		return Suspicious
	case cov.Insufficient:
		return Incomplete
	}
	return Clean
}

// Sort orders findings for people: unexplained before explained, then by severity (worst first),
// then by rule and subject.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Strong != b.Strong {
			return a.Strong
		}
		if a.Explained != b.Explained {
			return !a.Explained
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Path+a.User+a.Title < b.Path+b.User+b.Title
	})
}

// Dedupe drops repeated findings (same rule and subject), keeping the first.
func Dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := f.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}

// Clip shortens evidence lines for display and storage.
func Clip(s string, n int) string {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
