package webshell

import (
	"bytes"
	"strings"
)

// ASP (VBScript, JScript) and ASP.NET (C#, VB.NET, JScript.NET) pages.

// aspRequestMembers are the Request object's members that hold what the client sent.
var aspRequestMembers = set("form", "querystring", "item", "cookies", "params", "inputstream", "files", "headers",
	"binaryread", "body", "rawurl", "querystring", "unvalidated")

// aspSource recognizes Request("x"), Request.Form("x"), Request["x"], Request.Params[...],
// Request.ServerVariables("HTTP_..."), HttpContext.Current.Request.Form[...] (at the Request
// token).
func aspSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	if t.k == tkIdent && u.controls != nil && !(i > 0 && u.memberOp(i-1)) {
		// a form control of the page (<asp:TextBox id="x" runat="server">): x.Text is what
		// the visitor typed; an upload control is the uploaded file
		if file, ok := u.controls[t.lc]; ok {
			if file {
				return i + 1, t.s + " (an upload control)", true
			}
			if u.isOp(i+1, ".") && i+2 < len(u.t) && aspControlValue[u.t[i+2].lc] {
				return i + 3, t.s + "." + u.t[i+2].s + " (a form control)", false
			}
		}
	}
	if t.k != tkIdent || t.lc != "request" {
		return 0, "", false
	}
	n := i + 1
	switch {
	case u.isOp(n, "(") || u.isOp(n, "["):
		c := u.closeOf(n)
		if c < 0 {
			return 0, "", false
		}
		return c + 1, "Request(" + u.evidence(n+1, c) + ")", false
	case u.isOp(n, ".") && n+1 < len(u.t) && u.t[n+1].k == tkIdent:
		m := u.t[n+1].lc
		end := n + 2
		if u.isOp(end, "(") || u.isOp(end, "[") {
			if c := u.closeOf(end); c > end {
				end = c + 1
			}
		}
		switch {
		case m == "servervariables":
			if s := strings.ToUpper(u.evidence(n+3, end-1)); strings.Contains(s, "HTTP_") || strings.Contains(s, "QUERY_STRING") || strings.Contains(s, "ALL_RAW") {
				return end, "Request.ServerVariables(" + u.evidence(n+3, end-1) + ")", false
			}
		case m == "files":
			return end, "Request.Files", true
		case aspRequestMembers[m]:
			return end, "Request." + u.t[n+1].s, false
		}
	}
	return 0, "", false
}

// aspControlValue are the members of a form control that hold what the visitor sent.
var aspControlValue = set("text", "value", "selectedvalue", "selecteditem", "innertext", "checked")

// aspControls finds the form controls an ASP.NET page declares to run at the server
// (<asp:TextBox>, <input runat="server">, <textarea>, <asp:FileUpload>...) by their ids, lower
// case; true for upload controls.
func aspControls(src []byte) map[string]bool {
	lc := toLower(src)
	var out map[string]bool
	for i := 0; ; {
		j := bytes.Index(lc[i:], []byte("runat"))
		if j < 0 {
			return out
		}
		at := i + j
		i = at + 5
		lt := bytes.LastIndexByte(lc[max(0, at-2000):at], '<')
		gt := bytes.IndexByte(lc[at:], '>')
		if lt < 0 || gt < 0 {
			continue
		}
		tag := lc[max(0, at-2000)+lt : at+gt]
		if !bytes.Contains(tag, []byte("server")) {
			continue
		}
		name := tag[1:]
		if e := bytes.IndexAny(name, " \t\r\n/"); e >= 0 {
			name = name[:e]
		}
		file := false
		switch string(name) {
		case "asp:textbox", "asp:hiddenfield", "asp:dropdownlist", "asp:listbox", "asp:radiobuttonlist", "textarea", "select":
		case "input":
			file = bytes.Contains(tag, []byte(`type="file"`)) || bytes.Contains(tag, []byte("type=file"))
		case "asp:fileupload", "htmlinputfile":
			file = true
		default:
			continue
		}
		id := attrValue(tag, "id")
		if id == "" {
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[id] = file
	}
}

// attrValue returns the value of an attribute of a lower-cased tag ("" when none).
func attrValue(tag []byte, name string) string {
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte(name))
		if j < 0 {
			return ""
		}
		at := i + j
		i = at + len(name)
		if at > 0 && !isSpace(tag[at-1]) {
			continue
		}
		k := at + len(name)
		for k < len(tag) && isSpace(tag[k]) {
			k++
		}
		if k >= len(tag) || tag[k] != '=' {
			continue
		}
		k++
		for k < len(tag) && isSpace(tag[k]) {
			k++
		}
		if k < len(tag) && (tag[k] == '"' || tag[k] == '\'') {
			q := tag[k]
			e := bytes.IndexByte(tag[k+1:], q)
			if e < 0 {
				return ""
			}
			return string(tag[k+1 : k+1+e])
		}
		e := k
		for e < len(tag) && !isSpace(tag[e]) && tag[e] != '>' && tag[e] != '/' {
			e++
		}
		return string(tag[k:e])
	}
}

var vbProfile = &profile{
	name:           "vb",
	lineStmt:       true,
	globalFallback: true,
	callParens:     false,
	assignOps:      set("=", "&=", "+="),
	joinOps:        set("&", "+", "-", "*", "/", "\\", "^"),
	boolOps:        set("<>", "<", ">", "<=", ">="),
	boolWords:      set("and", "or", "not", "xor", "is", "andalso", "orelse", "isnothing", "isempty", "isnull", "isnumeric", "isarray", "isobject", "len", "instr", "instrrev", "cint", "clng", "cbool", "cdbl"),
	concatOps:      set("&", "+"),
	stmtWords:      set("then"),
	keywordNoValue: set("set", "let", "dim", "call", "byval", "byref", "new", "response", "const", "public", "private", "redim", "preserve"),
	noAssignStart:  set("if", "elseif", "while", "until", "case", "select", "do", "loop", "for", "return", "response", "and", "or", "not"),
	funcs: map[string]sinkSpec{
		"execute": sink(skCode, 0), "executeglobal": sink(skCode, 0), "eval": sink(skCode, 0),
		"shell": sink(skExec, 0),
	},
	methods: map[string]sinkSpec{
		"run": sink(skExec, 0), "exec": sink(skExec, 0), "shellexecute": sink(skExec, -1),
		"execute": sink(skSQL, 0), "open": sinkOn(skDBConnect, 0, "conn", "adodb.connection", "connection", "objconn", "cn"),
		"opentextfile": sink(skRead, 0), "deletefile": sink(skDelete, 0),
		"deletefolder": sink(skDelete, 0), "movefile": sink(skDelete, 0), "copyfile": sink(skDelete, 0),
		"createfolder": sink(skDelete, 0), "getfolder": sink(skList, 0),
		"loadfromfile": sink(skRead, 0), "saveas": sink2(skUpload, recvArg, 0),
		"start":        sinkOn(skExec, -1, "process", "diagnostics"),
		"load":         sinkOn(skClassLoad, 0, "assembly", "reflection"),
		"writealltext": sink2(skWrite, 0, 1), "writeallbytes": sink2(skWrite, 0, 1), "appendalltext": sink2(skWrite, 0, 1),
		"readalltext": sink(skRead, 0), "readallbytes": sink(skRead, 0), "getfiles": sink(skList, 0),
		"getdirectories": sink(skList, 0), "delete": sink(skDelete, 0), "copy": sink(skDelete, 0), "move": sink(skDelete, 0),
	},
	ctors: map[string]sinkSpec{
		"processstartinfo": sink(skExec, -1), "tcpclient": sink(skSocket, 0), "tcplistener": sink(skListen, 0),
		"sqlconnection":   sink(skDBConnect, 0),
		"oledbconnection": sink(skDBConnect, 0), "odbcconnection": sink(skDBConnect, 0), "sqlcommand": sink(skSQL, 0),
		"oledbcommand": sink(skSQL, 0), "directoryinfo": sink(skList, 0),
	},
	sanitizers: set("len", "isnumeric", "isempty", "isnull", "cint", "clng", "cbool", "cdbl", "instr", "server.htmlencode",
		"htmlencode", "urlencode", "ubound", "lbound", "count", "isnullorempty", "equals", "contains", "startswith", "endswith",
		"indexof", "exists", "fileexists", "folderexists", "length", "parse", "tryparse", "toint32"),
	wrappers: set("trim", "ltrim", "rtrim", "lcase", "ucase", "cstr", "mid", "left", "right", "replace", "tostring",
		"tolower", "toupper", "substring", "frombase64string", "getstring", "urldecode", "htmldecode", "readtoend",
		"readall", "join", "split"),
	decoders: set("frombase64string", "strreverse", "decode"),
	danger:   set("execute", "executeglobal", "eval", "wscript.shell", "shell.application", "run", "exec", "cmd.exe", "shellexecute"),
}

// csProfile reads ASP.NET's C#, JScript and JScript.NET.
var csProfile = &profile{
	name:           "c",
	commaEnds:      true,
	globalFallback: true,
	assignOps:      set("=", "+="),
	joinOps:        set("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"),
	valueOrOps:     set("??"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">=", "&&", "||", "!", "===", "!=="),
	boolWords:      set("is"),
	concatOps:      set("+"),
	keywordNoValue: set("return", "throw", "var", "else", "case", "this", "using", "await"),
	funcs: map[string]sinkSpec{
		"eval": sink(skCode, 0),
	},
	methods:    vbProfile.methods,
	ctors:      vbProfile.ctors,
	sanitizers: vbProfile.sanitizers,
	wrappers:   vbProfile.wrappers,
	decoders:   vbProfile.decoders,
	danger:     set("eval", "start", "process", "cmd.exe", "processstartinfo", "load", "invoke"),
}

func init() {
	for _, p := range []*profile{vbProfile, csProfile} {
		p.source = aspSource
		p.collect = aspCollect
		p.sinkHook = aspSinkHook
		p.features = aspFeatures
		p.foldCall = aspFolds
		p.foldMethod = javaFoldMethods
		p.returns = returnsAfter
	}
	vbProfile.funcDefs = vbFuncDefs
	vbProfile.returns = func(u *unit, f *fdef) [][2]int {
		// VBScript returns by assigning the function's name
		out := returnsAfter(u, f)
		for _, a := range u.asg {
			if a.lo >= f.lo && a.hi <= f.hi && len(a.lhs) == 1 && a.lhs[0].name == f.name && !a.elem {
				out = append(out, [2]int{a.lo, a.hi})
			}
		}
		return out
	}
	csProfile.funcDefs = funcDefsC
	vbProfile.nest = func(u *unit, code string) {
		n := newUnit(vbProfile, []byte(code), lexVB([]byte(code)), u.an, u.depth+1)
		n.run()
	}
	csProfile.nest = func(u *unit, code string) {
		n := newUnit(csProfile, []byte(code), lexC([]byte(code)), u.an, u.depth+1)
		n.run()
	}
	asp := func(classic bool) func(an *analysis, content []byte) *unit {
		return func(an *analysis, content []byte) *unit {
			code, lang := aspCode(content, classic)
			var u *unit
			if lang == "vb" {
				u = newUnit(vbProfile, code, lexVB(code), an, 0)
			} else {
				u = newUnit(csProfile, code, lexC(code), an, 0)
			}
			if !classic {
				u.controls = aspControls(content)
			}
			return u
		}
	}
	langAnalyzers[LangASP] = asp(true)
	langAnalyzers[LangASPX] = asp(false)
}

// vbFuncDefs finds Function name(params) ... End Function and Sub ... End Sub.
func vbFuncDefs(u *unit) {
	t := u.t
	for i := 0; i+1 < len(t); i++ {
		if !(u.isIdent(i, "function") || u.isIdent(i, "sub")) || i > 0 && u.isIdent(i-1, "end") || t[i+1].k != tkIdent {
			continue
		}
		kind := t[i].lc
		var params []string
		b := i + 2
		if u.isOp(b, "(") {
			c := u.closeOf(b)
			if c < 0 {
				continue
			}
			for _, a := range u.splitArgs(b+1, c) {
				for k := a[0]; k < a[1]; k++ {
					if t[k].k == tkIdent && t[k].lc != "byval" && t[k].lc != "byref" && t[k].lc != "optional" {
						params = append(params, t[k].lc)
						break
					}
				}
			}
			b = c + 1
		}
		e := len(t)
		for k := b; k+1 < len(t); k++ {
			if u.isIdent(k, "end") && u.isIdent(k+1, kind) {
				e = k
				break
			}
		}
		u.funcs = append(u.funcs, &fdef{name: t[i+1].lc, params: params, lo: b, hi: e})
	}
}

// aspCollect adds VBScript's calls without parentheses (Execute x, eval Request("x")) and
// For Each loops.
func aspCollect(u *unit) {
	collectGeneric(u)
	t := u.t
	for i := 0; i < len(t); i++ {
		tk := &t[i]
		if tk.k != tkIdent {
			continue
		}
		_, isFunc := u.p.funcs[tk.lc]
		_, isMethod := u.p.methods[tk.lc]
		isMethod = isMethod || tk.lc == "write" || tk.lc == "writeline" || tk.lc == "writetext"
		if u.p.name == "vb" && (isFunc || isMethod && i > 0 && u.isOp(i-1, ".")) && i+1 < len(t) && !u.isOp(i+1, "(") && !u.isOp(i+1, "=") && !u.isOp(i+1, ".") && t[i+1].k != tkNL && !u.isOp(i+1, ";") {
			e := u.stmtEnd(i + 1)
			if e > i+1 {
				cl := call{name: tk.lc, kind: cKeyword, at: i, open: i, close: e, args: u.splitArgs(i+1, e)}
				if i > 0 && u.isOp(i-1, ".") {
					cl.kind = cMethod
					cl.recv, cl.recvLo = u.receiver(i - 1)
				}
				u.calls = append(u.calls, cl)
			}
		}
		if tk.lc == "each" && i+2 < len(t) && t[i+1].k == tkIdent && u.isIdent(i+2, "in") {
			e := u.stmtEnd(i + 3)
			u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(i+1, t[i+1].lc)}, lo: i + 3, hi: e, op: "=", each: true})
		}
		if tk.lc == "foreach" && u.isOp(i+1, "(") {
			c := u.closeOf(i + 1)
			for k := i + 2; k < c; k++ {
				if u.isIdent(k, "in") && k > i+2 {
					u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k-1, t[k-1].lc)}, lo: k + 1, hi: c, op: "=", each: true})
					break
				}
			}
		}
	}
}

// aspSinkHook: ProcessStartInfo's FileName and Arguments set from input, JScript's eval
// with "unsafe", and VBScript's Execute called as a method.
func aspSinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	if c.kind == cMethod && c.name == "execute" && (c.recv == "" || c.recv == "server") {
		return sink(skCode, 0), true, true
	}
	if c.kind == cMethod {
		switch c.name {
		case "write", "writeline", "writetext", "writeblanklines":
			if c.recv == "response" {
				return sinkSpec{}, false, true
			}
			if u.streamRecv(c, aspFileStreams) {
				return sink2(skWrite, recvArg, 0), true, true
			}
		case "savetofile":
			// ADODB.Stream: what was written to the stream is saved at the path
			return sink2(skWrite, 0, recvArg), true, true
		}
	}
	return sinkSpec{}, false, false
}

var aspFileStreams = set("createtextfile", "opentextfile", "streamwriter", "filestream", "createtext", "appendtext", "openwrite")

// streamRecv reports whether a method's receiver is a stream made by one of the named calls:
// inline, or a variable assigned one.
func (u *unit) streamRecv(c *call, makers map[string]bool) bool {
	for k := c.recvLo; k < c.at; k++ {
		if u.t[k].k != tkIdent {
			continue
		}
		if makers[u.t[k].lc] {
			return true
		}
		for _, a := range u.asg {
			if len(a.lhs) == 1 && a.lhs[0].name == u.t[k].lc {
				for j := a.lo; j < a.hi; j++ {
					if u.t[j].k == tkIdent && makers[u.t[j].lc] {
						return true
					}
				}
			}
		}
	}
	return false
}

// aspFeatures: assignments to a process's FileName/Arguments, objects made from dangerous
// ProgIDs.
func aspFeatures(u *unit) {
	for _, a := range u.asg {
		if a.lo < 2 || !u.isOp(a.lo-1, "=") {
			continue
		}
		prev := &u.t[a.lo-2]
		if prev.k == tkIdent && (prev.lc == "filename" || prev.lc == "arguments") && a.lo >= 3 && u.isOp(a.lo-3, ".") {
			v := u.eval(a.lo, a.hi)
			ev := u.evidence(a.lo-4, a.hi)
			u.an.exec = true
			if v.in {
				u.an.add("flow.exec", strength(v, wFlowExec), withSource(ev, v))
			} else if s, _, ok := u.fold(a.lo, a.hi); ok && shellSpawn(s) {
				u.an.shellSpawn = true
				if interactiveShell(s) {
					u.an.interactive = true
				}
			}
		}
	}
	for ci := range u.calls {
		c := &u.calls[ci]
		switch c.name {
		case "createobject", "server.createobject", "getobject":
			if len(c.args) == 0 {
				continue
			}
			if s, fi, ok := u.fold(c.args[0][0], c.args[0][1]); ok {
				l := strings.ToLower(s)
				if l == "wscript.shell" || l == "shell.application" || l == "wscript.network" {
					u.an.exec = true
					if fi.built || fi.escaped || fi.layers > 0 {
						u.an.add("obf.built-name", wBuiltName, u.callEvidence(c))
					}
				}
			}
		case "write", "writeline", "writetext":
			if len(c.args) > 0 && c.kind == cMethod && c.recv != "response" {
				if v := u.eval(c.args[0][0], c.args[0][1]); v.in {
					u.an.inputWrite = true
				}
			}
		}
	}
	if u.depth == 0 {
		obfuscation(u)
		u.hiddenLiterals()
	}
}

var aspFolds = map[string]foldFn{
	"chr": foldChr, "chrw": foldChr, "chrb": foldChr,
	"strreverse":       pureArg(0, reverseString),
	"lcase":            pureArg(0, strings.ToLower),
	"ucase":            pureArg(0, strings.ToUpper),
	"trim":             pureArg(0, strings.TrimSpace),
	"frombase64string": foldArg(0, decodeBase64),
	"replace": func(a []string) (string, bool) {
		if len(a) < 3 {
			return "", false
		}
		return foldReplace([]string{a[1], a[2], a[0]})
	},
	"mid": func(a []string) (string, bool) {
		if len(a) < 2 {
			return "", false
		}
		st, ok := parseNum(a[1])
		if !ok || st < 1 {
			return "", false
		}
		args := []string{a[0], itoa(st - 1)}
		if len(a) > 2 {
			args = append(args, a[2])
		}
		return foldSubstr(args)
	},
	"getstring": func(a []string) (string, bool) {
		if len(a) == 2 {
			return a[1], true
		}
		return "", false
	},
	"utf8":    func(a []string) (string, bool) { return "", true },
	"default": func(a []string) (string, bool) { return "", true },
	"string":  func(a []string) (string, bool) { return strings.Join(a, ""), len(a) == 1 },
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
