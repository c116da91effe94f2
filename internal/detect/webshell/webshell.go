// Package webshell judges a web-application file (PHP, JSP/JSPX, ASP/ASP.NET, Perl, Python and
// Ruby CGI, ColdFusion) by what its code does: each language is tokenized by a lexer of its own,
// and request input ($_GET, $_POST, $_COOKIE, headers, php://input, request.getParameter,
// Request.Form, CGI parameters, the request body) is followed through assignments, function
// parameters and returns into sinks: code and command execution, callbacks with a function
// name from the request, includes, class loading, file writes and uploads, SQL, sockets.
// Constant strings are folded and decoded (concatenation, chr(), base64, base32, hex, rot13,
// gzinflate and kin), so functions called through computed names and code hidden in layered
// encodings are seen, and decoded code is read again as code. Obfuscation (unreadable names,
// escapes, high-entropy literals) and a few page strings typical of shells add weight; the
// marker strings are capped so that they never make a verdict alone.
//
// Scan is a pure function over the file's name and bytes. It never runs, loads or writes
// anything. Each rule that fires adds its weight to the score once, and the score gives the
// verdict: VerdictWebshell at ScoreWebshell or more, VerdictSuspicious at ScoreSuspicious or
// more, else VerdictClean. Judge then weighs a result with what the host knows of the file (a
// package or a known release ships it, its age and owner against its application's).
package webshell

import "fmt"

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
	Tool     string // the known admin tool or release the file is (VerdictKnown)
	Score    int
	Verdict  string // VerdictWebshell, VerdictSuspicious, VerdictKnown or VerdictClean
	Language string // one of the Lang constants
	Reasons  []Reason
}

// Scan judges one file. name is used for its extension only (it may be a full path); content
// is the file's bytes (only the first MaxScan bytes are looked at). A file identical to a known
// release's, or a single-file admin tool in its released form, gets VerdictKnown with its name
// in Result.Tool (see tools.go).
func Scan(name string, content []byte) Result {
	r := ScanCode(name, content)
	if len(content) > MaxScan {
		content = content[:MaxScan]
	}
	recognize(&r, content)
	return r
}

// ScanCode is Scan without recognizing known releases and tools: what the code alone says. A
// file the analysis cannot finish (a fault in it, which the fuzz tests hunt) is reported with
// the rule scan.incomplete instead of bringing the scan down.
func ScanCode(name string, content []byte) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Verdict: VerdictClean, Language: DetectLanguage(name, content[:min(len(content), MaxScan)]),
				Reasons: []Reason{{Rule: "scan.incomplete", Evidence: clip([]byte(fmt.Sprint("the analysis stopped: ", p)))}}}
		}
	}()
	return scanCode(name, content)
}

func scanCode(name string, content []byte) Result {
	if len(content) > MaxScan {
		content = content[:MaxScan]
	}
	content = fromUTF16(content)
	lang := DetectLanguage(name, content)
	an := newAnalysis(lang)
	an.size = len(content)
	u := analyze(an, lang, content)
	an.finish()
	if u != nil {
		markers(an, u.text())
	}
	return an.result(lang)
}

// analyze reads content as code of lang into an and returns the unit it read.
func analyze(an *analysis, lang string, content []byte) *unit {
	var u *unit
	switch lang {
	case LangPHP:
		u = newUnit(phpProfile, content, lexPHP(content, false), an, 0)
	default:
		if f := langAnalyzers[lang]; f != nil {
			u = f(an, content)
		}
	}
	if u != nil {
		u.run()
	}
	return u
}

// langAnalyzers make the unit of the languages other than PHP.
var langAnalyzers = map[string]func(an *analysis, content []byte) *unit{}

// finish adds what needs the whole file: a shell handed to a socket.
func (a *analysis) finish() {
	if a.socket && (a.shellSpawn || a.fdDup && a.exec) {
		a.add("shell.reverse", wReverseShell, "a network socket and an interactive shell")
	}
	// a file manager: the request names the files read, the folders listed, the files written
	// or removed (two of them or more)
	fm := 0
	for _, r := range []string{"flow.read", "flow.list", "flow.write", "flow.delete", "flow.upload"} {
		if a.has(r) {
			fm++
		}
	}
	if fm >= 2 {
		a.add("flow.file-manager", wFileManager, "the request chooses the files read, listed, written or removed")
	}
	// a page that reads the request and runs code or commands with values it computes, the link
	// between them not followed (syntax the analysis does not read through): small pages are
	// what one-line shells and their disguises are
	if a.input && a.dynSink && !a.flowFound() {
		switch {
		case a.size > 0 && a.size < 2048:
			a.add("fallback.input-and-exec", wSmallBoth, "a small page that reads the request and runs code or commands")
		}
	}
	if a.has("flow.socket") && a.inputWrite {
		// connects where the request says and passes the request's data on: a tunnel into
		// the network behind the server (reGeorg and kin)
		a.add("flow.tunnel", wFlowExec, "a connection to a host the request names, fed with the request's data")
	}
	if a.interactive && a.inputWrite {
		a.add("flow.exec", wFlowExec, "request input written to an interactive shell's input")
	}
	if a.listen && a.shellSpawn {
		a.add("shell.bind", wReverseShell, "a listening socket and an interactive shell")
	}
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

// flowFound reports whether a flow of request input into code, commands, callbacks, class
// loading or an include was found.
func (a *analysis) flowFound() bool {
	for _, r := range []string{"flow.code", "flow.exec", "flow.callback", "flow.classload", "flow.include", "code.decoded", "exec.decoded", "classload.decoded"} {
		if a.has(r) {
			return true
		}
	}
	return false
}
