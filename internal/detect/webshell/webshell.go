// Package webshell scores a web-application file (PHP, JSP/JSPX, ASP/ASPX, Perl or Python CGI,
// ColdFusion, Ruby) for signs of a web shell: request input flowing into code or command
// execution, obfuscated payloads, file managers and uploaders next to execution, known web-shell
// strings and PHP hidden in images.
//
// Scan is a pure function over the file's name and bytes. It never runs, loads or writes
// anything; it looks at text only, with byte scanning and literal searches. Each feature that
// fires adds its weight to the score once, and the score gives the verdict: VerdictWebshell at
// ScoreWebshell or more, VerdictSuspicious at ScoreSuspicious or more, else VerdictClean.
package webshell

import (
	"sort"
)

// Verdicts.
const (
	VerdictWebshell   = "webshell"
	VerdictSuspicious = "suspicious"
	VerdictClean      = "clean"
)

// Score thresholds for the verdicts.
const (
	ScoreWebshell   = 100
	ScoreSuspicious = 50
)

// MaxScan is how many bytes of a file Scan examines: the head of a longer file only.
const MaxScan = 8 << 20

// Languages reported in Result.Language.
const (
	LangPHP     = "php"
	LangJSP     = "jsp"
	LangASP     = "asp"  // classic ASP (VBScript/JScript)
	LangASPX    = "aspx" // ASP.NET
	LangPerl    = "perl"
	LangPython  = "python"
	LangCFM     = "cfm"
	LangRuby    = "ruby"
	LangUnknown = "unknown"
)

// Reason is one feature that added to a file's score.
type Reason struct {
	Rule     string // stable id, e.g. "php.input-exec"
	Evidence string // short excerpt of the text that fired the rule (at most 100 bytes)
	Weight   int
}

// Result is the verdict on one file.
type Result struct {
	Score    int
	Verdict  string // VerdictWebshell, VerdictSuspicious or VerdictClean
	Language string // one of the Lang constants
	Reasons  []Reason
}

// Scan scores one file. name is used for its extension only (it may be a full path); content
// is the file's bytes (only the first MaxScan bytes are looked at).
func Scan(name string, content []byte) Result {
	if len(content) > MaxScan {
		content = content[:MaxScan]
	}
	content = fromUTF16(content)
	lang := DetectLanguage(name, content)
	var s *scanner
	if lang == LangPHP {
		s = newPHPScanner(content)
	} else {
		s = newScanner(content)
	}
	switch lang {
	case LangPHP:
		s.php()
	case LangJSP:
		s.jsp()
	case LangASP, LangASPX:
		s.asp()
	case LangPerl, LangPython, LangRuby:
		s.cgi(lang)
	case LangCFM:
		s.cfm()
	}
	if lang != LangUnknown {
		s.markers()
	}
	return s.result(lang)
}

// result sums the reasons into a Result, markers capped so strings alone cannot convict.
func (s *scanner) result(lang string) Result {
	r := Result{Language: lang, Verdict: VerdictClean}
	markers, groups := 0, 0
	for _, x := range s.reasons {
		if x.marker {
			markers += x.Weight
			groups++
			continue
		}
		r.Score += x.Weight
	}
	limit := maxMarkerScore
	if groups >= manyMarkerGroups {
		limit = maxManyMarkerScore
	}
	if markers > limit {
		markers = limit
	}
	r.Score += markers
	sort.SliceStable(s.reasons, func(i, j int) bool { return s.reasons[i].Weight > s.reasons[j].Weight })
	for _, x := range s.reasons {
		r.Reasons = append(r.Reasons, x.Reason)
	}
	switch {
	case r.Score >= ScoreWebshell:
		r.Verdict = VerdictWebshell
	case r.Score >= ScoreSuspicious:
		r.Verdict = VerdictSuspicious
	}
	return r
}

// fromUTF16 turns UTF-16 text (with a byte-order mark, or ASCII with every other byte zero)
// into 8-bit text: ASCII stays, anything else becomes '?'. Other content is returned as is.
func fromUTF16(b []byte) []byte {
	le, be := false, false
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		le, b = true, b[2:]
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		be, b = true, b[2:]
	case len(b) >= 64:
		zo, ze := 0, 0
		for i := 0; i+1 < 64; i += 2 {
			if b[i] == 0 {
				ze++
			}
			if b[i+1] == 0 {
				zo++
			}
		}
		le, be = zo >= 28 && ze == 0, ze >= 28 && zo == 0
	}
	if !le && !be {
		return b
	}
	out := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		lo, hi := b[i], b[i+1]
		if be {
			lo, hi = hi, lo
		}
		if hi == 0 && lo < 0x80 {
			out = append(out, lo)
		} else {
			out = append(out, '?')
		}
	}
	return out
}
