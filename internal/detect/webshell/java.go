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
	},
	ctors: map[string]sinkSpec{
		"processbuilder": sink(skExec, -1), "urlclassloader": sink(skClassLoad, -1),
		"fileinputstream": sink(skRead, 0), "filereader": sink(skRead, 0), "randomaccessfile": sink(skRead, 0),
		"socket": sink(skSocket, 0), "serversocket": sink(skListen, 0), "inetsocketaddress": sink(skSocket, 0),
	},
	sanitizers: set("equals", "equalsignorecase", "length", "size", "isempty", "contains", "startswith", "endswith",
		"indexof", "lastindexof", "matches", "parseint", "parselong", "parsedouble", "hashcode", "compareto", "exists",
		"isdirectory", "isfile", "canread", "canwrite", "escapehtml", "escapehtml4", "escapexml", "encodeforhtml",
		"encode", "urlencode", "valueof_int", "booleanvalue", "intvalue", "containskey", "getname"),
	wrappers: set("trim", "getbytes", "tostring", "readline", "tolowercase", "touppercase", "substring", "string",
		"stringbuilder", "stringbuffer", "inputstreamreader", "bufferedreader", "bytearrayinputstream", "valueof",
		"decode", "decodebuffer", "decodebase64", "parsebase64binary", "dofinal", "frombase64string", "concat", "intern",
		"tochararray", "getinputstream", "getreader", "replace", "replaceall", "split", "join"),
	decoders: set("decode", "decodebuffer", "decodebase64", "parsebase64binary", "dofinal", "frombase64string", "decompress", "inflate"),
	danger:   set("exec", "getruntime", "java.lang.runtime", "processbuilder", "java.lang.processbuilder", "defineclass", "forname", "java.lang.processimpl", "java.lang.unixprocess", "start", "eval"),
}

func init() {
	p := javaProfile
	p.source = javaSource
	p.isGlobal = nil
	p.funcDefs = funcDefsC
	p.returns = returnsAfter
	p.collect = collectGeneric
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
		code, any := jspCode(src)
		if !any {
			// a JSP without scriptlets may still be plain Java (a renamed class file's source)
			if !strings.Contains(string(src[:min(len(src), 4096)]), "<%") && !strings.Contains(string(src[:min(len(src), 4096)]), "jsp:") {
				code = src
			}
		}
		return newUnit(javaProfile, code, lexC(code), an, 0)
	}
}

// javaSource recognizes request input at token i: request.getParameter(...) and kin (the
// method's token), and FileUpload's parseRequest(request).
func javaSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
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
		case "forname", "getmethod", "getdeclaredmethod", "loadclass":
			if len(c.args) == 0 {
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
			if c.name == "invoke" || c.name == "newinstance" {
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
			case "forname", "getmethod", "getdeclaredmethod", "loadclass", "invoke", "getdeclaredfield", "getfield", "getconstructor":
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
