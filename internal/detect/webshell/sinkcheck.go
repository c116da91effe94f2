package webshell

import "strings"

// recvArg stands for "the receiver of the method" in a sink's argument positions.
const recvArg = -4

// argRange returns the tokens of argument n of a call (ok false when it has none); for a
// call without parentheses, argument 0 is everything to the statement's end when the call
// takes one argument.
func (c *call) argRange(n int) ([2]int, bool) {
	if n < 0 || n >= len(c.args) {
		return [2]int{}, false
	}
	a := c.args[n]
	return a, a[0] < a[1]
}

// allArgs is the tokens of all arguments.
func (c *call) allArgs() [2]int {
	if len(c.args) == 0 {
		return [2]int{c.open + 1, c.open + 1}
	}
	return [2]int{c.args[0][0], c.args[len(c.args)-1][1]}
}

// callEvidence is the call's text.
func (u *unit) callEvidence(c *call) string {
	lo := c.at
	if c.kind == cMethod && c.recvLo < c.at {
		lo = c.recvLo
	}
	if c.kind == cNew && lo > 0 {
		for lo > 0 && !u.isIdent(lo, "new") && (u.memberOp(lo-1) || u.t[lo-1].k == tkIdent) {
			lo--
		}
	}
	return u.evidence(lo, c.close+1)
}

// withSource appends where the input came from.
func withSource(ev string, v val) string {
	if v.src == "" || strings.Contains(ev, v.src) {
		return ev
	}
	return clip([]byte(ev + " <- " + v.src))
}

// checkSink judges one call of a sink by what its arguments carry.
func (u *unit) checkSink(c *call, spec sinkSpec) {
	get := func(n int) (val, [2]int, bool) {
		if n == recvArg {
			if c.kind != cMethod || c.recvLo >= c.at-1 {
				return val{}, [2]int{}, false
			}
			r := [2]int{c.recvLo, c.at - 1}
			return u.eval(r[0], r[1]), r, true
		}
		if n == -1 {
			r := c.allArgs()
			return u.argsVal(r[0], r[1]), r, r[0] < r[1]
		}
		r, ok := c.argRange(n)
		if !ok {
			return val{}, r, false
		}
		return u.eval(r[0], r[1]), r, true
	}
	ev := u.callEvidence(c)
	switch spec.kind {
	case skCode, skExec:
		if r := c.allArgs(); r[0] < r[1] && !u.constantArgs(c) && !u.knownConstants(r[0], r[1]) {
			u.an.dynSink = true
		}
	}
	switch spec.kind {
	case skCode:
		v, r, ok := get(spec.arg)
		if !ok {
			return
		}
		u.codeArg(c, v, r, ev, "flow.code", wFlowCode)
	case skExec:
		v, r, ok := get(spec.arg)
		if !ok && c.kind != cNew {
			return
		}
		if !ok {
			v, r = u.eval(c.open+1, c.close), [2]int{c.open + 1, c.close}
		}
		u.an.exec = true
		if v.in {
			u.an.add("flow.exec", strength(v, wFlowExec), withSource(ev, v))
			return
		}
		if v.net {
			u.an.add("net.exec", wFlowExec, clip([]byte(ev+" <- read from a network connection")))
			return
		}
		if v.dec {
			u.an.add("exec.decoded", wCodeDecoded, ev)
			return
		}
		for k := r[0]; k < r[1]; k++ {
			if u.t[k].k == tkStr && shellSpawn(u.t[k].s) {
				u.an.shellSpawn = true
			}
		}
		for _, a := range append(c.args, r) {
			if s, _, ok := u.fold(a[0], a[1]); ok && shellSpawn(s) {
				u.an.shellSpawn = true
				if interactiveShell(s) {
					u.an.interactive = true
				}
			}
		}
		u.an.add("exec.const", wExecConst, ev)
	case skCallback:
		u.callback(c, spec, ev)
	case skInclude:
		v, r, ok := get(spec.arg)
		if !ok {
			return
		}
		switch {
		case v.in && v.pure:
			u.an.add("flow.include", wFlowInclude, withSource(ev, v))
		case v.dec && v.pure:
			u.an.add("code.decoded", wCodeDecoded, ev)
		case v.in && u.streamPrefix(r[0], r[1]):
			// include 'data:text/plain;base64,' . $_GET['d']: the request's bytes as a file
			u.an.add("flow.include", wFlowInclude, withSource(ev, v))
		case v.in:
			u.an.add("flow.include-mixed", wFlowInclMixed, withSource(ev, v))
		default:
			if s, _, ok := u.fold(r[0], r[1]); ok {
				l := strings.ToLower(s)
				if strings.HasPrefix(l, "data:") || strings.HasPrefix(l, "php://input") {
					u.an.add("flow.include", wFlowInclude, ev)
				}
			}
		}
	case skClassLoad:
		v, _, ok := get(spec.arg)
		if !ok && c.kind != cNew {
			return
		}
		if !ok {
			v = u.eval(c.open+1, c.close)
		}
		switch {
		case v.in:
			u.an.add("flow.classload", wFlowClassLoad, withSource(ev, v))
		case v.dec:
			u.an.add("classload.decoded", wCodeDecoded, ev)
		default:
			u.an.add("classload.dynamic", wClassDynamic, ev)
		}
	case skDeserialize:
		v, _, ok := get(spec.arg)
		if !ok && c.kind == cNew {
			v, ok = u.eval(c.open+1, c.close), true
		}
		if ok && v.in && near(v) {
			u.an.add("flow.deserialize", wDeserialize, withSource(ev, v))
		}
	case skReflect:
		if v, _, ok := get(spec.arg); ok && v.in {
			u.an.add("flow.reflect", wFlowReflect, withSource(ev, v))
		}
	case skWrite:
		p, pr, okp := get(spec.arg)
		d, dr, okd := get(spec.arg2)
		switch {
		case okp && okd && p.in && !p.up && d.in && (near(p) || near(d)):
			// (a path from an upload is its temporary file's, not one the request chose)
			u.an.add("flow.write", wFlowWrite, withSource(ev, d))
		case okp && okd && d.in && d.pure && (u.webRootPath(pr[0], pr[1]) || u.scriptName(pr[0], pr[1])):
			// the request's data saved as a file of the site itself: an upload by hand
			u.an.inputWrite = true
			u.an.add("flow.upload", wFlowUpload, withSource(ev, d))
		case okd && d.dec:
			// decoded data written: a dropper when the data is a literal of the page, or the
			// file is a page of the site; an application writing out what it decompressed
			// (a PDF's streams, a download) otherwise
			if s, _, ok := u.fold(dr[0], dr[1]); ok {
				u.an.add("write.decoded", wWriteDecoded, ev)
				u.nest(s, "dropped file")
			} else if okp && (u.scriptName(pr[0], pr[1]) || u.webRootPath(pr[0], pr[1])) {
				u.an.add("write.decoded", wWriteDecoded, ev)
			}
		case okd && d.in:
			u.an.inputWrite = true
			u.an.add("write.data", wWriteData, withSource(ev, d))
		case okp && p.in:
			u.an.add("write.path", wWritePath, withSource(ev, p))
		}
	case skUpload:
		src, _, oks := get(spec.arg)
		dst, dr, okd := get(spec.arg2)
		if oks && src.in && !(src.up && src.pure) && (src.pure || src.hops <= strongHops) {
			// copy($_GET['f'], ...): a file the request names, read
			u.an.add("flow.read", wFlowRead, withSource(ev, src))
			return
		}
		if !oks || !src.up {
			return
		}
		switch {
		case okd && dst.in && u.inputOrFixed(dr[0], dr[1]):
			u.an.add("flow.upload", wFlowUpload, withSource(ev, dst))
		case okd && u.webRootPath(dr[0], dr[1]) && u.inputOrFixed(dr[0], dr[1]):
			// saved into the site's own folder, where the web server runs it
			u.an.add("flow.upload", wFlowUpload, ev)
		case okd && u.scriptName(dr[0], dr[1]):
			// the uploaded file becomes a page of the site, under a fixed script name
			u.an.add("flow.upload", wFlowUpload, ev)
		default:
			u.an.add("upload.const", wUploadConst, ev)
		}
	case skSQL:
		if v, _, ok := get(spec.arg); ok && v.in && v.pure {
			u.an.add("flow.sql", wFlowSQL, withSource(ev, v))
		}
	case skDBConnect:
		for _, a := range c.args {
			if v := u.eval(a[0], a[1]); v.in {
				u.an.add("flow.dbconnect", wFlowDBConnect, withSource(ev, v))
				break
			}
		}
	case skSocket:
		u.an.socket = true
		v, _, ok := get(spec.arg)
		if !ok && c.kind == cNew {
			v, ok = u.eval(c.open+1, c.close), true
		}
		if ok && v.in {
			u.an.add("flow.socket", wFlowSocket, withSource(ev, v))
		}
	case skListen:
		u.an.listen = true
	case skFdDup:
		u.an.fdDup = true
	case skRead:
		// (Perl's two-argument open puts the mode in front of the path: "< $path")
		if v, r, ok := get(spec.arg); ok && v.in && (v.pure || u.p.name == "perl" && c.name == "open" && near(v) && u.modeAndOne(r[0], r[1])) && !v.up {
			u.an.add("flow.read", wFlowRead, withSource(ev, v))
		}
	case skList:
		if v, _, ok := get(spec.arg); ok && v.in && near(v) && !v.up {
			u.an.add("flow.list", wFlowList, withSource(ev, v))
		}
	case skDelete:
		if v, _, ok := get(spec.arg); ok && v.in && near(v) && !v.up {
			u.an.add("flow.delete", wFlowDelete, withSource(ev, v))
		}
	case skMail:
		if v, _, ok := get(spec.arg); ok && v.in {
			u.an.add("flow.mail", wFlowMail, withSource(ev, v))
		}
	}
}

// codeArg judges the argument of a code sink: input, decoded data, a constant (read as code
// in its turn) or something else built at run time.
func (u *unit) codeArg(c *call, v val, r [2]int, ev, rule string, w int) {
	if v.in {
		if v.dec {
			// request data decoded and run: the encrypted payloads of weevely, Behinder, Godzilla
			u.an.add(rule, w, withSource(ev, v))
			return
		}
		u.an.add(rule, strength(v, w), withSource(ev, v))
		return
	}
	if v.net {
		u.an.add("net.exec", wFlowExec, clip([]byte(ev+" <- read from a network connection")))
		return
	}
	s, fi, ok := u.fold(r[0], r[1])
	if ok {
		if fi.layers > 0 || v.dec {
			// (a variable that held decoded data and a constant later is run decoded)
			u.an.add("code.decoded", wCodeDecoded, ev)
			if fi.layers > 1 {
				u.an.add("obf.layers", wObfLayers, ev)
			}
		}
		u.nest(s, "code")
		return
	}
	if v.dec {
		u.an.add("code.decoded", wCodeDecoded, ev)
		return
	}
	if !u.isPlainLiteral(r[0], r[1]) {
		u.an.add("code.dynamic", wCodeDynamic, ev)
	}
}

func (u *unit) isPlainLiteral(lo, hi int) bool {
	return hi == lo+1 && u.t[lo].k == tkStr && u.t[lo].fl&fInterp == 0
}

// callback judges a call of a function named by an argument: the name from the request, or a
// code- or command-running function given the request's data.
func (u *unit) callback(c *call, spec sinkSpec, ev string) {
	var data val
	var nameVal val
	nameArg := spec.arg
	if nameArg == -2 {
		// $f(args): the name is the variable or expression before the arguments
		nameVal = u.eval(c.callee[0], c.callee[1])
		for _, a := range c.args {
			data.merge(u.eval(a[0], a[1]))
		}
		u.nameFlow(nameVal, data, ev)
		return
	}
	for i, a := range c.args {
		v := u.eval(a[0], a[1])
		if i == nameArg {
			nameVal = v
			continue
		}
		data.merge(v)
	}
	if u.nameFlow(nameVal, data, ev) {
		return
	}
	r, ok := c.argRange(nameArg)
	if !ok {
		return
	}
	name, fi, ok := u.fold(r[0], r[1])
	if !ok || !u.p.dangerName(name) {
		return
	}
	if fi.built || fi.escaped {
		u.an.add("obf.built-name", wBuiltName, ev)
	}
	if data.in {
		u.an.add("flow.callback", strength(data, wFlowCallback), withSource(ev, data))
		return
	}
	u.an.add("callback.danger", wCallbackConst, ev)
}

// nameFlow judges a function's name that is not a constant: from the request (as it came, or
// close to where it came in), or decoded and given the request's data.
func (u *unit) nameFlow(name, data val, ev string) bool {
	switch {
	case name.obj:
		return false
	case name.in && (name.pure || name.hops <= strongHops):
		u.an.add("flow.callback", wFlowCallback, withSource(ev, name))
		return true
	case name.dec && data.in:
		u.an.add("flow.callback", wFlowCallback, withSource(ev, data))
		u.an.add("obf.built-name", wBuiltName, ev)
		return true
	}
	return false
}

// shellSpawn reports a command that starts an interactive shell.
func shellSpawn(cmd string) bool {
	l := strings.ToLower(cmd)
	for _, s := range []string{"/bin/sh", "/bin/bash", "/bin/zsh", "/bin/dash", "/bin/ksh", "cmd.exe", "powershell", "sh -i", "bash -i"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return strings.TrimSpace(l) == "sh" || strings.TrimSpace(l) == "bash" || strings.TrimSpace(l) == "cmd"
}

// interactiveShell reports a command that is a shell waiting for commands on its standard
// input (not "sh -c something").
func interactiveShell(cmd string) bool {
	f := strings.Fields(strings.ToLower(cmd))
	if len(f) == 0 || len(f) > 2 {
		return false
	}
	base := f[0][strings.LastIndexAny(f[0], "/\\")+1:]
	switch base {
	case "sh", "bash", "zsh", "dash", "ksh", "cmd", "cmd.exe", "powershell", "powershell.exe":
	default:
		return false
	}
	return len(f) == 1 || f[1] == "-i" || f[1] == "/k" || f[1] == "/q"
}

// nest reads code decoded out of the file as code in its turn.
func (u *unit) nest(code, what string) {
	if u.depth >= 4 || u.an.nestBudget <= 0 || len(code) < 4 || u.p.nest == nil {
		return
	}
	if !hasCodeWords(code) {
		return
	}
	u.an.nestBudget--
	u.p.nest(u, code)
}

// inputOrFixed reports whether every value in the expression lo..hi is request input or a
// constant (or the page's own folder): a destination the request controls, with nothing the
// application configured in it (an upload folder from the settings, a property).
func (u *unit) inputOrFixed(lo, hi int) bool {
	return u.inputOrFixedN(lo, hi, 0)
}

func (u *unit) inputOrFixedN(lo, hi, depth int) bool {
	if depth > 3 {
		return false
	}
	for k := lo; k < hi; k++ {
		t := &u.t[k]
		if end, _, ok := u.source(k); ok && end > k {
			k = end - 1
			if u.isOp(k+1, "[") {
				if c := u.closeOf(k + 1); c > k {
					k = c
				}
			}
			continue
		}
		switch t.k {
		case tkVar:
			if u.p.fieldKey != nil {
				if name, next, ok := u.p.fieldKey(u, k); ok {
					vi := u.lookup(k, name)
					if vi == nil {
						// an element of an input array ($f['name'] of $f = $_FILES['x'])
						vi = u.lookup(k, t.lc)
					}
					if vi == nil || !vi.v.in && !vi.hasConst {
						return false
					}
					k = next - 1
					continue
				}
			}
			vi := u.lookup(k, t.lc)
			if vi == nil || !vi.v.in && !vi.hasConst {
				return false
			}
			if vi.v.in && !vi.v.pure && !vi.hasConst {
				// input mixed with something: what the variable was made of
				key := u.varKey(k, t.lc)
				for _, a := range u.asg {
					for _, l := range a.lhs {
						if l == key && !u.inputOrFixedN(a.lo, a.hi, depth+1) {
							return false
						}
					}
				}
			}
		case tkIdent:
			if u.isOp(k+1, "(") {
				continue // the arguments are checked in turn
			}
			if !u.p.varSigil && !u.memberOp(max(k-1, 0)) {
				if vi := u.lookup(k, t.lc); vi != nil && !vi.v.in && !vi.hasConst {
					return false
				}
			}
		case tkStr:
			for _, p := range t.parts {
				if p.v != "" {
					vi := u.lookup(k, asciiLower(p.v))
					if _, src := u.interpSource(p.v); !src && (vi == nil || !vi.v.in && !vi.hasConst) {
						return false
					}
				}
			}
		}
	}
	return true
}

// strongHops is how far input may travel and still count in full when it is mixed with other
// text: request input as it came counts wherever it goes (within maxHops).
const strongHops = 3

// modeAndOne reports a path that is one variable with at most an open mode around it
// (Perl's "< $path", ">>$file"): the variable is the whole path.
func (u *unit) modeAndOne(lo, hi int) bool {
	if hi != lo+1 {
		return hi > lo && u.t[lo].k == tkVar
	}
	t := &u.t[lo]
	if t.k == tkVar {
		return true
	}
	if t.k != tkStr {
		return false
	}
	vars := 0
	for _, p := range t.parts {
		if p.v != "" {
			vars++
		} else if strings.Trim(p.text, "<>+|& \t") != "" {
			return false
		}
	}
	return vars == 1
}

// near reports input as it came or close to where it came in.
func near(v val) bool { return v.pure || v.hops <= strongHops }

// strength is a flow's weight: in full for input as it came or close to its source; less for
// input mixed into other text far from where it came in (a template engine's expressions,
// a command line an application builds from its settings).
func strength(v val, w int) int {
	if v.pure || v.hops <= strongHops {
		return w
	}
	return w * 2 / 5
}

// scriptName reports a constant file name with an extension the web server runs.
func (u *unit) scriptName(lo, hi int) bool {
	s, _, ok := u.fold(lo, hi)
	if !ok {
		// a handle: the file it was opened on (fopen('x.php', 'w'), new FileWriter("x.jsp"))
		if hi == lo+1 && (u.t[lo].k == tkVar || u.t[lo].k == tkIdent) {
			key := u.varKey(lo, u.t[lo].lc)
			for _, a := range u.asg {
				if len(a.lhs) != 1 || a.lhs[0] != key || a.hi-a.lo > 40 {
					continue
				}
				for j := a.lo; j < a.hi; j++ {
					if u.t[j].k == tkIdent && fileOpeners[u.t[j].lc] && u.isOp(j+1, "(") {
						if args := u.splitArgs(j+2, u.closeOf(j+1)); len(args) > 0 {
							if n, _, ok := u.fold(args[0][0], args[0][1]); ok && scriptExt(n) {
								return true
							}
						}
						break
					}
				}
			}
		}
		return false
	}
	return scriptExt(s)
}

// fileOpeners open a file for writing and give a handle.
var fileOpeners = set("fopen", "gzopen", "fileoutputstream", "filewriter", "printwriter", "createtextfile", "opentextfile", "streamwriter")

// scriptExt reports a file name with an extension the web server runs.
func scriptExt(s string) bool {
	l := strings.ToLower(s)
	for _, e := range []string{".php", ".phtml", ".php5", ".jsp", ".jspx", ".asp", ".aspx", ".cgi", ".pl", ".cfm"} {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return false
}

// webRootPath reports a path built on the site's folder: the document root, the page's own
// folder, the application's real path.
func (u *unit) webRootPath(lo, hi int) bool {
	return u.webRootPathN(lo, hi, 0)
}

func (u *unit) webRootPathN(lo, hi, depth int) bool {
	for k := lo; k < hi && k < len(u.t); k++ {
		t := &u.t[k]
		if (t.k == tkVar || t.k == tkIdent && !u.isOp(k+1, "(") && !u.p.varSigil) && depth < 3 {
			// a variable: what it was made of
			key := u.varKey(k, t.lc)
			for _, a := range u.asg {
				for _, l := range a.lhs {
					if l == key && a.hi-a.lo < 200 && u.webRootPathN(a.lo, a.hi, depth+1) {
						return true
					}
				}
			}
		}
		switch t.k {
		case tkIdent:
			switch t.lc {
			case "expandpath", "mappath", "getrealpath", "__dir__", "getcurrenttemplatepath", "getdirectoryfrompath":
				return true
			case "__file__":
				return k > 1 && u.isIdent(k-2, "dirname")
			}
		case tkStr:
			if strings.Contains(t.s, "DOCUMENT_ROOT") {
				return true
			}
		case tkVar:
			if t.lc == "_server" && k+2 < hi && u.t[k+2].k == tkStr && u.t[k+2].s == "DOCUMENT_ROOT" {
				return true
			}
		}
	}
	return false
}

// knownConstants reports an expression made only of variables the analysis knows to hold
// constants (a loop over a fixed list, a settings value): nothing it could not follow.
func (u *unit) knownConstants(lo, hi int) bool {
	vars := 0
	for k := lo; k < hi && k < len(u.t); k++ {
		t := &u.t[k]
		switch t.k {
		case tkVar:
			vi := u.lookup(k, t.lc)
			if vi == nil || vi.v.in || vi.v.dec || vi.v.net || !vi.hasConst && len(vi.alts) == 0 {
				return false
			}
			vars++
		case tkIdent:
			if u.isOp(k+1, "(") || !u.p.varSigil {
				return false
			}
		case tkStr, tkCmd:
			if len(t.parts) > 0 {
				return false
			}
		}
	}
	return vars > 0
}

// constantArgs reports a call whose arguments all fold to constants (a list of literals too).
func (u *unit) constantArgs(c *call) bool {
	for _, a := range c.args {
		if a[1] > a[0]+1 && u.tk(a[0]).k == tkIdent && u.isOp(a[0]+1, "=") {
			continue // a keyword argument (Python): an option, not the command
		}
		if _, _, ok := u.fold(a[0], a[1]); !ok {
			return false
		}
	}
	return true
}

// streamPrefix reports an expression that starts with a literal naming a stream whose bytes
// come from elsewhere than a file of the site (data:, php://, http://, ftp://).
func (u *unit) streamPrefix(lo, hi int) bool {
	for lo < hi && u.isOp(lo, "(") {
		lo++
	}
	if lo >= hi || u.t[lo].k != tkStr {
		return false
	}
	l := strings.ToLower(strings.TrimSpace(u.t[lo].s))
	for _, p := range []string{"data:", "php://", "http://", "https://", "ftp://", "expect://", "phar://", "zip://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
