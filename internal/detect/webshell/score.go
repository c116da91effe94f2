package webshell

import (
	"math"
	"sort"
)

// Weights of what the analysis finds. A web shell is a page that lets its visitor run code or
// commands: request input reaching code or command execution, a callback, a class loader or an
// include is one on its own (ScoreWebshell). So is code hidden in an encoding and run, and a
// script that hands a shell to a socket. File, database, mail and network tools driven by the
// request add up: a file manager with an SQL console is a web shell too; one of them alone is
// suspicious at most.
const (
	wFlowCode      = 100 // request input run as code
	wFlowExec      = 100 // request input run as a command
	wFlowCallback  = 100 // a function named by the request called, or a code-running function called with request input
	wFlowClassLoad = 100 // a class defined from request bytes
	wFlowInclude   = 100 // a file named by the request loaded as code
	wCodeDecoded   = 100 // decoded data run as code
	wReverseShell  = 100 // a shell handed to a socket
	wFlowReflect   = 60  // a class or method named by the request reached by reflection
	wDeserialize   = 60  // objects rebuilt from the request's bytes (gadget chains run code)
	wFlowUpload    = 60  // an uploaded file saved where the request says, or under the client's name
	wFlowWrite     = 60  // request data written to a file the request names
	wFlowSQL       = 50  // request input run as SQL as it came: a database console
	wDynamicCall   = 60  // a code- or command-running function called through a computed name
	wPolyglot      = 60  // PHP in a file that starts as an image
	wEmbeddedShell = 50  // a web shell's code kept in a string (to be written out or injected)
	wFlowSocket    = 40  // a connection to a host the request names
	wBuiltName     = 40  // a code- or command-running function's name assembled at run time
	wCallbackConst = 40  // a code-running function used as a callback
	wWriteDecoded  = 40  // decoded data written to a file (a dropper)
	wFlowDBConnect = 30  // a database connection with the request's host, user or password
	wCodeDynamic   = 30  // code built at run time run (not from the request, not decoded)
	wClassDynamic  = 30  // classes defined from bytes at run time
	wHiddenCode    = 30  // code with sinks hidden in an encoded literal
	wFlowMail      = 25
	wFileManager   = 20 // two or more file operations on paths the request names
	wSQLDump       = 25 // every table of a database selected  // mail to a recipient the request names
	wObfNames      = 25 // names made of unreadable bytes
	wFlowInclMixed = 20 // a file path with request input in it loaded as code
	wFlowRead      = 20 // a file the request names read
	wFlowList      = 20 // a folder the request names listed
	wObfLayers     = 20 // more than one layer of encoding
	wObfBlob       = 20 // a long high-entropy literal
	wSelfDelete    = 20
	wFlowDelete    = 15 // a file the request names removed, renamed or changed
	wWriteData     = 15 // request data written to a file
	wObfEscaped    = 15 // strings written with escapes
	wPasswordGate  = 15 // a hard-coded password hash guarding the page
	wExecConst     = 10 // a command run (not from the request)
	wSmallBoth     = 50 // a small page that reads the request and runs code or commands, not seen to be linked
	wUploadConst   = 20 // an uploaded file saved at a fixed place
	wWritePath     = 10 // a file the request names written
)

// reason is a Reason with a flag for marker strings, whose sum is capped.
type reason struct {
	Reason
	marker bool
}

// analysis collects what one file's analysis finds, across the code decoded out of it.
type analysis struct {
	reasons map[string]*reason
	// what the file can do, for reverse and bind shells
	socket, listen, shellSpawn, fdDup, exec bool
	// interactive: a shell started without a command (it reads them on its standard input);
	// inputWrite: request input written to a stream
	interactive, inputWrite bool
	// input: the code reads request input somewhere; dynSink: it runs code or commands, or
	// calls back, with something that is not a literal
	input, dynSink bool
	size           int
	nestBudget     int
	lang           string
}

func newAnalysis(lang string) *analysis {
	return &analysis{reasons: map[string]*reason{}, nestBudget: 16, lang: lang}
}

// add records a rule (once; a later hit with more weight raises it).
func (a *analysis) add(rule string, w int, ev string) {
	if r := a.reasons[rule]; r != nil {
		if w > r.Weight {
			r.Weight = w
		}
		return
	}
	a.reasons[rule] = &reason{Reason: Reason{Rule: rule, Weight: w, Evidence: ev}}
}

func (a *analysis) addMarker(rule string, w int, ev string) {
	if a.reasons[rule] != nil {
		return
	}
	a.reasons[rule] = &reason{Reason: Reason{Rule: rule, Weight: w, Evidence: ev}, marker: true}
}

func (a *analysis) has(rule string) bool { return a.reasons[rule] != nil }

// maxMarkerScore caps what strings typical of web shells' pages add together: they tip a
// borderline file over, they never make a verdict alone.
const maxMarkerScore = 30

// result sums the reasons into a Result.
func (a *analysis) result(lang string) Result {
	r := Result{Language: lang, Verdict: VerdictClean}
	markers := 0
	list := make([]reason, 0, len(a.reasons))
	for _, x := range a.reasons {
		list = append(list, *x)
		if x.marker {
			markers += x.Weight
			continue
		}
		r.Score += x.Weight
	}
	r.Score += min(markers, maxMarkerScore)
	sort.Slice(list, func(i, j int) bool {
		if list[i].Weight != list[j].Weight {
			return list[i].Weight > list[j].Weight
		}
		return list[i].Rule < list[j].Rule
	})
	for _, x := range list {
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

const maxEvidence = 100

// clip makes printable, short evidence.
func clip(b []byte) string {
	if len(b) > maxEvidence {
		b = b[:maxEvidence]
	}
	out := make([]byte, 0, len(b))
	sp := false
	for _, c := range b {
		switch {
		case c == '\n' || c == '\r' || c == '\t' || c == ' ':
			if !sp {
				out = append(out, ' ')
			}
			sp = true
			continue
		case c < 0x20 || c >= 0x7f:
			out = append(out, '.')
		default:
			out = append(out, c)
		}
		sp = false
	}
	return string(out)
}

// entropy is the Shannon entropy in bits per byte of s.
func entropy(s string) float64 {
	if len(s) == 0 {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
