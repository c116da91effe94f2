package webshell

import (
	"strconv"
	"strings"
)

// Java in JSP and JSPX pages (and Java decoded out of them).

// javaRequestMethods are the request's methods that return what the client sent.
var javaRequestMethods = set("getparameter", "getparametervalues", "getparametermap", "getparameternames",
	"getheader", "getheaders", "getquerystring", "getcookies", "getinputstream", "getreader", "getpart", "getparts",
	"getattribute")

// javaAnyReceiver: these names mean request input whatever the receiver is called.
var javaAnyReceiver = set("getparameter", "getparametervalues", "getparametermap", "getquerystring")

var javaProfile = &profile{
	name:           "java",
	commaEnds:      true,
	globalFallback: true,
	assignOps:      set("=", "+="),
	joinOps:        set("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">=", "&&", "||", "!"),
	boolWords:      set("instanceof"),
	concatOps:      set("+"),
	keywordNoValue: set("return", "throw", "final", "static", "else", "case", "this", "super"),
	methods: map[string]sinkSpec{
		"exec": sink(skExec, -1), "command": sink(skExec, -1),
		"eval": sink(skCode, 0), "compile": sink(skCode, 0), "parseexpression": sink(skCode, 0),
		"createvalueexpression": sink(skCode, 1), "getvalue": sinkOn(skCode, 0, "ognl"),
		"defineclass": sink(skClassLoad, -1), "defineanonymousclass": sink(skClassLoad, -1),
		"forname": sink(skReflect, 0), "loadclass": sink(skReflect, 0), "getmethod": sink(skReflect, 0),
		"getdeclaredmethod": sink(skReflect, 0), "lookup": sink(skReflect, 0), "load": sinkOn(skClassLoad, 0, "getruntime", "system"),
		"loadlibrary":  sinkOn(skClassLoad, 0, "getruntime", "system"),
		"executequery": sink(skSQL, 0), "executeupdate": sink(skSQL, 0), "execute": sink(skSQL, 0),
		"addbatch": sink(skSQL, 0), "preparestatement": sink(skSQL, 0), "preparecall": sink(skSQL, 0),
		"getconnection": sinkOn(skDBConnect, -1, "drivermanager"),
		"listfiles":     sink(skList, recvArg), "list": sinkOn(skList, recvArg, "file"),
		"delete": sink(skDelete, recvArg), "renameto": sink(skDelete, recvArg), "setexecutable": sink(skDelete, recvArg),
		"transferto": sink2(skWrite, 0, recvArg), "copy": sinkOn(skWrite, 1, "files"),
		"saveas":       sink2(skUpload, recvArg, 0),
		"readallbytes": sinkOn(skRead, 0, "files"), "readalllines": sinkOn(skRead, 0, "files"),
		// scripting engines other than javax.script's, and decoders that build any object
		"evaluate":   sinkOn(skCode, 0, "groovyshell", "groovy", "shell", "interpreter"),
		"parseclass": sink(skClassLoad, 0), "fromxml": sinkOn(skCode, 0, "xstream"),
	},
	ctors: map[string]sinkSpec{
		"processbuilder": sink(skExec, -1), "urlclassloader": sink(skClassLoad, -1),
		"fileinputstream": sink(skRead, 0), "filereader": sink(skRead, 0), "randomaccessfile": sink(skRead, 0),
		"socket": sink(skSocket, 0), "serversocket": sink(skListen, 0), "inetsocketaddress": sink(skSocket, 0),
		// XMLDecoder calls what the XML names (new ProcessBuilder(...).start() spelled in XML)
		"xmldecoder": sink(skCode, 0), "objectinputstream": sink(skDeserialize, 0),
	},
	sanitizers: set("equals", "equalsignorecase", "length", "size", "isempty", "contains", "startswith", "endswith",
		"indexof", "lastindexof", "matches", "parseint", "parselong", "parsedouble", "hashcode", "compareto", "exists",
		"isdirectory", "isfile", "canread", "canwrite", "escapehtml", "escapehtml4", "escapexml", "encodeforhtml",
		"encode", "urlencode", "valueof_int", "booleanvalue", "intvalue", "containskey", "getname"),
	wrappers: set("trim", "getbytes", "tostring", "readline", "tolowercase", "touppercase", "substring", "string",
		"stringbuilder", "stringbuffer", "inputstreamreader", "bufferedreader", "bytearrayinputstream", "valueof",
		"decode", "decodebuffer", "decodebase64", "parsebase64binary", "dofinal", "frombase64string", "concat", "intern",
		"tochararray", "getinputstream", "getreader", "replace", "replaceall", "split", "join", "openstream"),
	decoders: set("decode", "decodebuffer", "decodebase64", "parsebase64binary", "dofinal", "frombase64string", "decompress", "inflate"),
	danger:   set("exec", "getruntime", "java.lang.runtime", "processbuilder", "java.lang.processbuilder", "defineclass", "forname", "java.lang.processimpl", "java.lang.unixprocess", "start", "eval"),
}

func init() {
	p := javaProfile
	p.source = javaSource
	p.isGlobal = nil
	p.funcDefs = funcDefsC
	p.returns = returnsAfter
	p.collect = javaCollect
	p.sinkHook = javaSinkHook
	p.foldCall = javaFolds
	p.foldMethod = javaFoldMethods
	p.features = javaFeatures
	p.watch = set("java.lang.runtime", "getruntime", "exec", "processbuilder", "/bin/sh", "/bin/bash", "cmd.exe", "defineclass")
	p.funcWord = func(u *unit, k int) bool { return false }
	p.netReaders = set("getinputstream", "readline", "read", "readutf", "readallbytes", "readobject")
	p.netMakers = set("socket", "accept", "sslsocket", "createsocket")
	p.nest = func(u *unit, code string) {
		src := javaUnicode([]byte(code))
		n := newUnit(javaProfile, src, lexC(src), u.an, u.depth+1)
		n.run()
	}
	langAnalyzers[LangJSP] = func(an *analysis, content []byte) *unit {
		src := javaUnicode(content)
		code, any, el := jspCodeEL(src)
		if !any {
			// a JSP without scriptlets may still be plain Java (a renamed class file's source)
			if !strings.Contains(string(src[:min(len(src), 4096)]), "<%") && !strings.Contains(string(src[:min(len(src), 4096)]), "jsp:") {
				code = src
			}
		}
		u := newUnit(javaProfile, code, lexC(code), an, 0)
		u.el = el
		return u
	}
}

// elInput recognizes the Expression Language's request objects at token i of an EL range:
// param.x, param['x'], paramValues.x, header.x, headerValues.x, cookie.x.
func elInput(u *unit, i int) (int, string) {
	t := &u.t[i]
	switch t.lc {
	case "param", "paramvalues", "header", "headervalues", "cookie":
	default:
		return 0, ""
	}
	if i > 0 && u.memberOp(i-1) || !u.inEL(int(t.pos)) {
		return 0, ""
	}
	switch {
	case u.isOp(i+1, ".") && i+2 < len(u.t) && u.t[i+2].k == tkIdent:
		return i + 3, t.s + "." + u.t[i+2].s + " (EL)"
	case u.isOp(i+1, "["):
		if c := u.closeOf(i + 1); c > i {
			return c + 1, t.s + "[" + u.evidence(i+2, c) + "] (EL)"
		}
	}
	return 0, ""
}

// inEL reports whether a code offset is inside an EL expression of the page.
func (u *unit) inEL(pos int) bool {
	for _, r := range u.el {
		if r[0] <= pos && pos < r[1] {
			return true
		}
	}
	return false
}

// javaSource recognizes request input at token i: request.getParameter(...) and kin (the
// method's token), and FileUpload's parseRequest(request).
func javaSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	if len(u.el) > 0 && t.k == tkIdent {
		if end, what := elInput(u, i); end > i {
			return end, what, false
		}
	}
	if t.k != tkIdent || !u.isOp(i+1, "(") || i == 0 || !u.memberOp(i-1) {
		return 0, "", false
	}
	c := u.closeOf(i + 1)
	if c < 0 {
		return 0, "", false
	}
	switch {
	case (t.lc == "getfile" || t.lc == "getfiles") && u.recvMentions(i, "upload"):
		// jspSmartUpload and kin: the uploaded files
		return c + 1, "the uploaded files (" + t.s + ")", true
	case t.lc == "parserequest" || t.lc == "getfileitemiterator":
		return c + 1, t.s + "(request)", true
	case t.lc == "getpart" || t.lc == "getparts":
		return c + 1, "request." + t.s + "()", true
	case javaAnyReceiver[t.lc]:
		return c + 1, "request." + t.s + "(" + u.evidence(i+2, c) + ")", false
	case javaRequestMethods[t.lc]:
		recv, lo := u.receiver(i - 1)
		if javaRequestName(u, recv, lo, i) {
			if t.lc == "getattribute" {
				return 0, "", false
			}
			return c + 1, "request." + t.s + "(" + u.evidence(i+2, c) + ")", false
		}
	}
	return 0, "", false
}

// javaRequestName reports whether a receiver is the request: named request or req, got from
// getRequest(), or a variable declared as a ...Request.
func javaRequestName(u *unit, recv string, lo, at int) bool {
	switch recv {
	case "request", "req", "getrequest", "httprequest", "servletrequest", "r", "httpservletrequest":
		return true
	}
	for k := lo; k < at; k++ {
		if u.isIdent(k, "getrequest") || u.isIdent(k, "request") {
			return true
		}
	}
	// HttpServletRequest x: a declaration of the receiver
	if u.reqNames == nil {
		u.reqNames = map[string]bool{}
		for k := 1; k < len(u.t); k++ {
			if u.t[k].k == tkIdent && u.t[k-1].k == tkIdent && strings.HasSuffix(u.t[k-1].lc, "request") {
				u.reqNames[u.t[k].lc] = true
			}
		}
	}
	return u.reqNames[recv]
}

// javaFileStream reports whether the receiver chain of a method call is a file output stream:
// made with new FileOutputStream / FileWriter / ... inline, or a variable assigned one.
func javaFileStream(u *unit, c *call) bool {
	for k := c.recvLo; k < c.at; k++ {
		if u.t[k].k == tkIdent && javaFileWriters[u.t[k].lc] {
			return true
		}
		if u.t[k].k == tkIdent {
			for _, a := range u.asg {
				if len(a.lhs) == 1 && a.lhs[0].name == u.t[k].lc {
					for j := a.lo; j < a.hi; j++ {
						if u.t[j].k == tkIdent && javaFileWriters[u.t[j].lc] {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

var javaFileWriters = set("fileoutputstream", "filewriter", "randomaccessfile", "newoutputstream", "newbufferedwriter")

// javaSinkHook: writes to file streams (path from where the stream was made), uploads saved
// with FileItem.write / Part.write, Files.write.
func javaSinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	switch c.kind {
	case cMethod:
		switch c.name {
		case "write", "print", "println", "append", "writebytes", "writeutf":
			// FileItem.write(File), Part.write(name): an upload saved
			recv := u.eval(c.recvLo, c.at-1)
			if recv.up {
				return sink2(skUpload, recvArg, 0), true, true
			}
			if javaFileStream(u, c) {
				return sink2(skWrite, recvArg, 0), true, true
			}
			if len(c.args) > 0 && c.recv != "out" {
				// a write of request input to some other stream (a process's input, a socket)
				if v := u.eval(c.args[0][0], c.args[0][1]); v.in {
					u.an.inputWrite = true
				}
			}
			if c.recv == "files" && len(c.args) >= 2 {
				return sink2(skWrite, 0, 1), true, true
			}
			return sinkSpec{}, false, true
		case "start":
			if u.recvIs(c, []string{"processbuilder", "pb", "process"}) {
				return sink(skExec, recvArg), true, true
			}
			return sinkSpec{}, false, true
		case "exec":
			// Runtime.exec and kin; a statement's exec on a database is SQL
			if u.recvIs(c, []string{"statement", "stmt", "st"}) {
				return sink(skSQL, 0), true, true
			}
		}
	case cNew:
		switch c.name {
		case "fileoutputstream", "filewriter", "printwriter", "bufferedwriter", "file":
			// the stream's path is judged where the stream is written
			return sinkSpec{}, false, true
		}
	}
	return sinkSpec{}, false, false
}

// javaFeatures: class files hidden in literals, reflection spelled in strings.
func javaFeatures(u *unit) {
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkStr {
			continue
		}
		switch t.s {
		case "java.lang.Runtime", "java.lang.ProcessBuilder", "java.lang.ProcessImpl", "java.lang.UNIXProcess", "getRuntime", "exec", "defineClass":
			// reaching command execution through reflection (Class.forName("java.lang.Runtime"))
			if u.reflectedAt(i) {
				u.an.add("exec.reflection", wDynamicCall, u.evidence(i-3, i+2))
			}
		}
		if len(t.s) >= 200 && encodedLooking(t.s) {
			if d, ok := decodeBase64(t.s); ok && strings.HasPrefix(d, "\xca\xfe\xba\xbe") {
				u.an.add("obf.hidden-class", wDynamicCall, u.evidence(i, i+1))
			}
		}
	}
	for ci := range u.calls {
		c := &u.calls[ci]
		switch c.name {
		case "forname", "getmethod", "getdeclaredmethod", "loadclass", "findvirtual", "findstatic":
			if len(c.args) == 0 {
				continue
			}
			if c.name == "findvirtual" || c.name == "findstatic" {
				// lookup.findVirtual(Runtime.class, "exec", type): the method's name second
				if len(c.args) > 1 {
					if s, _, ok := u.fold(c.args[1][0], c.args[1][1]); ok && u.p.dangerName(s) {
						u.an.add("exec.reflection", wDynamicCall, u.callEvidence(c))
					}
				}
				continue
			}
			if s, fi, ok := u.fold(c.args[0][0], c.args[0][1]); ok && u.p.dangerName(s) {
				u.an.add("exec.reflection", wDynamicCall, u.callEvidence(c))
				if fi.built || fi.escaped || fi.layers > 0 {
					u.an.add("obf.built-name", wBuiltName, u.callEvidence(c))
				}
			}
		}
	}
	if u.an.has("exec.reflection") {
		// the reflected method invoked with the request's data
		for ci := range u.calls {
			c := &u.calls[ci]
			if c.name == "invoke" || c.name == "newinstance" || c.name == "invokeexact" || c.name == "invokewitharguments" {
				if v := u.argsVal(c.open+1, c.close); v.in {
					u.an.add("flow.exec", wFlowExec, withSource(u.callEvidence(c), v))
				}
			}
		}
	}
	// a filter, servlet, listener, valve or WebSocket endpoint registered from a page at run
	// time: how memory-resident shells install themselves in the container
	for ci := range u.calls {
		c := &u.calls[ci]
		switch c.name {
		case "addfilterdef", "addfiltermap", "addfiltermapbefore", "addservletmappingdecoded", "addservletmapping",
			"addapplicationeventlistener", "addvalve", "addendpoint", "addchild", "addlistener", "addfilter", "addservlet", "registerfilter":
			if c.kind == cMethod {
				u.an.add("jsp.memory-shell", wDynamicCall, u.callEvidence(c))
			}
		}
	}
	if u.depth == 0 {
		obfuscation(u)
		u.hiddenLiterals()
	}
}

// recvMentions reports whether the receiver chain of the method at token i has a name
// containing s.
func (u *unit) recvMentions(i int, s string) bool {
	_, lo := u.receiver(i - 1)
	for k := lo; k < i; k++ {
		if (u.t[k].k == tkIdent || u.t[k].k == tkVar) && strings.Contains(u.t[k].lc, s) {
			return true
		}
		if u.t[k].k == tkIdent {
			for _, a := range u.asg {
				if len(a.lhs) == 1 && a.lhs[0].name == u.t[k].lc {
					for j := a.lo; j < a.hi && j < a.lo+8; j++ {
						if u.t[j].k == tkIdent && strings.Contains(u.t[j].lc, s) {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// reflectedAt reports whether the string at token i is an argument of a reflective call
// (forName, getMethod, getDeclaredMethod, loadClass, invoke).
func (u *unit) reflectedAt(i int) bool {
	for k := i - 1; k >= 0 && k >= i-6; k-- {
		if u.t[k].k == tkIdent {
			switch u.t[k].lc {
			case "forname", "getmethod", "getdeclaredmethod", "loadclass", "invoke", "getdeclaredfield", "getfield", "getconstructor",
				"findvirtual", "findstatic", "findspecial", "findconstructor":
				return true
			}
		}
	}
	return false
}

const javaDecoderMark = "\x00\x01decoder\x00"

var javaFolds = map[string]foldFn{
	"getdecoder":     func(a []string) (string, bool) { return javaDecoderMark, true },
	"getmimedecoder": func(a []string) (string, bool) { return javaDecoderMark, true },
	"geturldecoder":  func(a []string) (string, bool) { return javaDecoderMark, true },
	"base64decoder":  func(a []string) (string, bool) { return javaDecoderMark, true },
	"base64":         func(a []string) (string, bool) { return javaDecoderMark, true },
	"string": func(a []string) (string, bool) {
		if len(a) == 0 {
			return "", true
		}
		return a[0], true
	},
	"stringbuilder":     func(a []string) (string, bool) { return strings.Join(a, ""), len(a) <= 1 },
	"stringbuffer":      func(a []string) (string, bool) { return strings.Join(a, ""), len(a) <= 1 },
	"valueof":           func(a []string) (string, bool) { return strings.Join(a, ""), len(a) == 1 },
	"decodebase64":      foldArg(0, decodeBase64),
	"parsebase64binary": foldArg(0, decodeBase64),
	"frombase64string":  foldArg(0, decodeBase64),
	"array":             foldArray,
}

var javaFoldMethods = map[string]foldFn{
	"decode": func(a []string) (string, bool) {
		if len(a) == 2 && a[0] == javaDecoderMark {
			return decodeBase64(a[1])
		}
		return "", false
	},
	"decodebuffer": func(a []string) (string, bool) {
		if len(a) == 2 && a[0] == javaDecoderMark {
			return decodeBase64(a[1])
		}
		return "", false
	},
	"reverse":     pureArg(0, reverseString),
	"tostring":    pureArg(0, func(s string) string { return s }),
	"getbytes":    pureArg(0, func(s string) string { return s }),
	"trim":        pureArg(0, strings.TrimSpace),
	"tolowercase": pureArg(0, strings.ToLower),
	"touppercase": pureArg(0, strings.ToUpper),
	"intern":      pureArg(0, func(s string) string { return s }),
	"replace": func(a []string) (string, bool) {
		if len(a) != 3 || a[1] == "" {
			return "", false
		}
		return strings.ReplaceAll(a[0], a[1], a[2]), true
	},
	"concat": func(a []string) (string, bool) { return strings.Join(a, ""), true },
	"substring": func(a []string) (string, bool) {
		if len(a) < 2 {
			return "", false
		}
		st, ok := strconv.Atoi(a[1])
		if ok != nil || st < 0 || st > len(a[0]) {
			return "", false
		}
		end := len(a[0])
		if len(a) > 2 {
			e, err := strconv.Atoi(a[2])
			if err != nil || e < st || e > len(a[0]) {
				return "", false
			}
			end = e
		}
		return a[0][st:end], true
	},
}

// javaMemoryStreams are the streams and buffers that keep what is written to them (what the
// code reads back out of them is what went in).
var javaMemoryStreams = set("bytearrayoutputstream", "stringwriter", "chararraywriter", "stringbuilder", "stringbuffer")

// javaCollect adds Java's for-each loops (for (T x : list)) and writes into memory streams
// (bos.write(buf, 0, n): bos holds buf) to the generic assignments and calls.
func javaCollect(u *unit) {
	collectGeneric(u)
	t := u.t
	for i := 0; i+1 < len(t); i++ {
		if !u.isIdent(i, "for") || !u.isOp(i+1, "(") {
			continue
		}
		c := u.closeOf(i + 1)
		for k := i + 2; k < c; k++ {
			if u.isOp(k, ";") {
				break
			}
			if u.isOp(k, ":") && k > i+2 && t[k-1].k == tkIdent {
				u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k-1, t[k-1].lc)}, lo: k + 1, hi: c, op: "=", each: true})
				break
			}
		}
	}
	for ci := range u.calls {
		cl := &u.calls[ci]
		r := cl.at - 2
		if cl.kind != cMethod || cl.name != "write" && cl.name != "print" && cl.name != "println" || len(cl.args) == 0 || r < 0 || t[r].k != tkIdent || !u.isOp(r+1, ".") || r > 0 && u.memberOp(r-1) {
			continue
		}
		if u.assignedFrom(r, javaMemoryStreams) {
			u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(r, t[r].lc)}, lo: cl.args[0][0], hi: cl.args[0][1], op: "=", elem: true})
		}
	}
}

// assignedFrom reports whether the variable at token k is assigned a value made by one of the
// named constructors or calls.
func (u *unit) assignedFrom(k int, makers map[string]bool) bool {
	key := u.varKey(k, u.t[k].lc)
	for _, a := range u.asg {
		if len(a.lhs) != 1 || a.lhs[0] != key {
			continue
		}
		for j := a.lo; j < a.hi && j < a.lo+8; j++ {
			if u.t[j].k == tkIdent && makers[u.t[j].lc] {
				return true
			}
		}
	}
	return false
}
