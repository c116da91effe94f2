package webshell

import (
	"strings"
)

// Python and Ruby CGI scripts and handlers.

var pyProfile = &profile{
	name:           "python",
	lineStmt:       true,
	callParens:     true,
	globalFallback: true,
	assignOps:      set("=", "+=", ":="),
	joinOps:        set("+", "-", "*", "/", "%", "//", "**", "|", "&", "^"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">="),
	boolWords:      set("not", "in", "is", "isinstance", "len", "hasattr", "callable"),
	valueOrWords:   set("or", "and", "if", "else"),
	concatOps:      set("+"),
	keywordNoValue: set("return", "yield", "await", "lambda", "print", "del", "global", "nonlocal", "assert"),
	funcs: map[string]sinkSpec{
		"eval": sink(skCode, 0), "exec": sink(skCode, 0), "compile": sink(skCode, 0), "execfile": sink(skInclude, 0),
		"__import__": sink(skReflect, 0), "getattr": sink(skReflect, 1), "open": sink(skRead, 0),
	},
	methods: map[string]sinkSpec{
		"system": sinkOn(skExec, 0, "os"), "popen": sinkOn(skExec, 0, "os", "popen2", "os.popen"),
		"call": sinkOn(skExec, 0, "subprocess"), "run": sinkOn(skExec, 0, "subprocess"), "popen_": sink(skExec, 0),
		"check_output": sinkOn(skExec, 0, "subprocess"), "check_call": sinkOn(skExec, 0, "subprocess"),
		"getoutput": sink(skExec, 0), "getstatusoutput": sink(skExec, 0), "spawn": sinkOn(skExec, 0, "pty"),
		"execl": sinkOn(skExec, -1, "os"), "execlp": sinkOn(skExec, -1, "os"), "execv": sinkOn(skExec, -1, "os"),
		"execvp": sinkOn(skExec, -1, "os"), "execve": sinkOn(skExec, -1, "os"), "spawnl": sinkOn(skExec, -1, "os"),
		"startfile": sinkOn(skExec, 0, "os"), "loads": sinkOn(skCode, 0, "pickle", "marshal", "cpickle"),
		"import_module": sinkOn(skReflect, 0, "importlib"),
		"connect":       sink(skSocket, 0), "bind": sink(skListen, 0), "listen": sink(skListen, 0),
		"dup2": sinkOn(skFdDup, 0, "os"), "remove": sinkOn(skDelete, 0, "os"), "unlink": sinkOn(skDelete, 0, "os"),
		"rmtree": sinkOn(skDelete, 0, "shutil"), "rename": sinkOn(skDelete, 0, "os"), "chmod": sinkOn(skDelete, 0, "os"),
		"listdir": sinkOn(skList, 0, "os"), "walk": sinkOn(skList, 0, "os"), "scandir": sinkOn(skList, 0, "os"),
		"execute": sink(skSQL, 0), "executescript": sink(skSQL, 0),
	},
	sanitizers: set("len", "int", "float", "bool", "isdigit", "isalnum", "startswith", "endswith", "quote", "escape", "shlex.quote", "exists", "isfile", "isdir"),
	wrappers:   set("strip", "lower", "upper", "str", "decode", "encode", "read", "readline", "readlines", "getvalue", "getfirst", "getlist", "get", "b64decode", "unquote", "unquote_plus", "join", "format", "replace", "split"),
	decoders:   set("b64decode", "b32decode", "b16decode", "a2b_base64", "unhexlify", "decompress", "decodestring", "decodebytes", "fromhex", "loads"),
	danger:     set("system", "popen", "eval", "exec", "subprocess", "os.system", "check_output", "getoutput", "__import__", "pty"),
}

var rbProfile = &profile{
	name:           "ruby",
	lineStmt:       true,
	callParens:     true,
	globalFallback: true,
	assignOps:      set("=", "+=", "||=", "<<"),
	joinOps:        set("+", "-", "*", "/", "%", "<<"),
	valueOrOps:     set("||", "&&"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">=", "!", "=~", "!~", "<=>", "==="),
	boolWords:      set("not", "defined?", "nil?", "empty?", "include?"),
	valueOrWords:   set("or", "and"),
	concatOps:      set("+", "<<"),
	stmtWords:      set("if", "unless", "while", "until", "rescue", "do"),
	keywordNoValue: set("return", "puts", "print", "p", "then", "else", "elsif", "yield"),
	funcs: map[string]sinkSpec{
		"system": sink(skExec, -1), "exec": sink(skExec, -1), "spawn": sink(skExec, -1), "eval": sink(skCode, 0),
		"instance_eval": sink(skCode, 0), "class_eval": sink(skCode, 0), "module_eval": sink(skCode, 0),
		"send": sink(skCallback, 0), "public_send": sink(skCallback, 0), "__send__": sink(skCallback, 0),
		"load": sink(skInclude, 0), "require": sink(skInclude, 0), "open": sink(skRead, 0), "syscall": sink(skExec, -1),
	},
	methods: map[string]sinkSpec{
		"popen": sink(skExec, 0), "popen3": sink(skExec, 0), "popen2": sink(skExec, 0), "popen2e": sink(skExec, 0),
		"capture2": sink(skExec, 0), "capture2e": sink(skExec, 0), "capture3": sink(skExec, 0), "pipeline": sink(skExec, -1),
		"system": sink(skExec, -1), "exec": sink(skExec, -1), "spawn": sink(skExec, -1), "eval": sink(skCode, 0),
		"instance_eval": sink(skCode, 0), "class_eval": sink(skCode, 0), "send": sink(skCallback, 0), "public_send": sink(skCallback, 0),
		"constantize": sink(skReflect, recvArg), "const_get": sink(skReflect, 0),
		"write": sinkOn(skWrite, 0, "file", "io"), "binwrite": sinkOn(skWrite, 0, "file", "io"), "delete": sinkOn(skDelete, 0, "file", "fileutils"),
		"rm_rf": sink(skDelete, 0), "rm": sinkOn(skDelete, 0, "fileutils"), "entries": sinkOn(skList, 0, "dir"),
		"glob": sinkOn(skList, 0, "dir"), "read": sinkOn(skRead, 0, "file", "io"), "reopen": sink(skFdDup, 0),
		"for_fd": sink(skFdDup, 0), "execute": sink(skSQL, 0), "query": sink(skSQL, 0),
	},
	ctors:      map[string]sinkSpec{},
	sanitizers: set("length", "size", "to_i", "to_f", "empty?", "nil?", "include?", "escape", "shellescape", "escape_html", "h", "exist?", "file?", "directory?"),
	wrappers:   set("strip", "chomp", "downcase", "upcase", "to_s", "to_str", "read", "gets", "unpack", "unpack1", "decode64", "strict_decode64", "urlsafe_decode64", "first", "last", "join", "gsub", "sub", "tr", "dup", "force_encoding"),
	decoders:   set("decode64", "strict_decode64", "urlsafe_decode64", "unpack", "unpack1", "inflate", "pack"),
	danger:     set("system", "exec", "spawn", "eval", "instance_eval", "class_eval", "popen", "send", "syscall", "`"),
}

func init() {
	for _, p := range []*profile{pyProfile, rbProfile} {
		p.collect = scriptCollect
		p.returns = returnsAfter
		p.features = scriptFeatures
		p.funcDefs = indentFuncDefs
	}
	pyProfile.netMakers = set("socket", "create_connection", "accept", "socketpair", "urlopen")
	pyProfile.netReaders = set("recv", "recvfrom", "recv_into", "read", "readline", "makefile")
	rbProfile.netMakers = set("new", "open", "tcpsocket", "tcpserver", "accept", "sslsocket", "socket")
	rbProfile.netReaders = set("gets", "read", "recv", "readline", "readpartial", "recvfrom", "each_line", "read_nonblock")
	pyProfile.source = pySource
	rbProfile.source = rbSource
	pyProfile.sinkHook = pySinkHook
	rbProfile.sinkHook = rbSinkHook
	pyProfile.foldCall = pyFolds
	pyProfile.foldMethod = pyFoldMethods
	rbProfile.foldCall = map[string]foldFn{"decode64": foldArg(0, decodeBase64), "strict_decode64": foldArg(0, decodeBase64), "urlsafe_decode64": foldArg(0, decodeBase64)}
	rbProfile.foldMethod = rbFoldMethods
	pyProfile.nest = func(u *unit, code string) {
		n := newUnit(pyProfile, []byte(code), lexPython([]byte(code)), u.an, u.depth+1)
		n.run()
	}
	rbProfile.nest = func(u *unit, code string) {
		n := newUnit(rbProfile, []byte(code), lexRuby([]byte(code)), u.an, u.depth+1)
		n.run()
	}
	langAnalyzers[LangPython] = func(an *analysis, content []byte) *unit {
		return newUnit(pyProfile, content, lexPython(content), an, 0)
	}
	langAnalyzers[LangRuby] = func(an *analysis, content []byte) *unit {
		return newUnit(rbProfile, content, lexRuby(content), an, 0)
	}
}

// pySource: cgi.FieldStorage(), os.environ's request variables, sys.stdin, and the request
// objects of Flask and Django handlers.
func pySource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	if t.k != tkIdent {
		return 0, "", false
	}
	switch t.lc {
	case "fieldstorage":
		if u.isOp(i+1, "(") {
			if c := u.closeOf(i + 1); c > 0 {
				return c + 1, "cgi.FieldStorage()", false
			}
		}
	case "environ":
		if u.isOp(i+1, "[") {
			c := u.closeOf(i + 1)
			if c > 0 && cgiEnvInput(u.evidence(i+2, c)) {
				return c + 1, "os.environ[" + u.evidence(i+2, c) + "]", false
			}
		}
		if u.isOp(i+1, ".") && u.isIdent(i+2, "get") && u.isOp(i+3, "(") {
			c := u.closeOf(i + 3)
			if a := u.splitArgs(i+4, c); c > 0 && len(a) > 0 && cgiEnvInput(u.evidence(a[0][0], a[0][1])) {
				return c + 1, "os.environ.get(" + u.evidence(a[0][0], a[0][1]) + ")", false
			}
		}
	case "getenv":
		if u.isOp(i+1, "(") {
			c := u.closeOf(i + 1)
			if a := u.splitArgs(i+2, c); c > 0 && len(a) > 0 && cgiEnvInput(u.evidence(a[0][0], a[0][1])) {
				return c + 1, "os.getenv(" + u.evidence(a[0][0], a[0][1]) + ")", false
			}
		}
	case "stdin":
		if i > 1 && u.isOp(i-1, ".") && u.isIdent(i-2, "sys") {
			return i + 1, "sys.stdin", false
		}
	case "request":
		if u.isOp(i+1, ".") && i+2 < len(u.t) {
			switch u.t[i+2].lc {
			case "args", "form", "values", "data", "json", "get_json", "get_data", "files", "cookies", "headers", "get", "post", "body", "query_string", "params", "stream":
				end := i + 3
				if u.isOp(end, "(") {
					if c := u.closeOf(end); c > end {
						end = c + 1
					}
				}
				return end, "request." + u.t[i+2].s, u.t[i+2].lc == "files"
			}
		}
	}
	return 0, "", false
}

// rbSource: CGI.new, cgi['x'], params[...] (Rails, Sinatra), request.body, ENV's request
// variables, $stdin.
func rbSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	switch t.k {
	case tkIdent:
		switch t.lc {
		case "params":
			if !(i > 0 && u.memberOp(i-1)) || u.isIdent(i-2, "request") || u.isIdent(i-2, "cgi") {
				return i + 1, "params", false
			}
		case "new":
			if i > 1 && u.isOp(i-1, ".") && u.t[i-2].s == "CGI" {
				end := i + 1
				if u.isOp(end, "(") {
					if c := u.closeOf(end); c > 0 {
						end = c + 1
					}
				}
				return end, "CGI.new", false
			}
		case "request":
			if u.isOp(i+1, ".") && i+2 < len(u.t) {
				switch u.t[i+2].lc {
				case "body", "params", "query_string", "cookies", "headers", "post", "get", "raw_post", "env", "form_data?":
					return i + 3, "request." + u.t[i+2].s, false
				}
			}
		case "env", "stdin":
			if t.s == "ENV" && u.isOp(i+1, "[") {
				c := u.closeOf(i + 1)
				if c > 0 && cgiEnvInput(u.evidence(i+2, c)) {
					return c + 1, "ENV[" + u.evidence(i+2, c) + "]", false
				}
			}
			if t.s == "STDIN" {
				return i + 1, "STDIN", false
			}
		case "gets":
			if !(i > 0 && u.memberOp(i-1)) {
				return i + 1, "gets", false
			}
		}
	case tkVar:
		if t.s == "stdin" && t.sig == '$' {
			return i + 1, "$stdin", false
		}
	}
	return 0, "", false
}

// indentFuncDefs finds Python's def and Ruby's def: the body runs to the next line indented no
// deeper than the definition (Ruby: to the end at that indentation).
func indentFuncDefs(u *unit) {
	t := u.t
	col := func(k int) int {
		p := int(t[k].pos)
		c := 0
		for p > 0 && u.src[p-1] != '\n' {
			p--
			c++
		}
		return c
	}
	for i := 0; i+1 < len(t); i++ {
		if !u.isIdent(i, "def") || t[i+1].k != tkIdent {
			continue
		}
		name := i + 1
		if u.isOp(name+1, ".") && name+2 < len(t) {
			name += 2 // def self.name
		}
		dc := col(i)
		var params []string
		b := name + 1
		if u.isOp(b, "(") {
			c := u.closeOf(b)
			if c < 0 {
				continue
			}
			for _, a := range u.splitArgs(b+1, c) {
				for k := a[0]; k < a[1]; k++ {
					if t[k].k == tkIdent {
						params = append(params, t[k].lc)
						break
					}
				}
			}
			b = c + 1
		}
		e := len(t)
		for k := b; k < len(t); k++ {
			if t[k].k == tkNL || k == 0 || t[k-1].k != tkNL {
				continue
			}
			if c := col(k); c <= dc {
				if u.isIdent(k, "end") {
					e = k
				} else {
					e = k
				}
				break
			}
		}
		u.funcs = append(u.funcs, &fdef{name: t[name].lc, params: params, lo: b, hi: e})
	}
}

// scriptCollect adds calls without parentheses (system cmd, exec "...", eval code), for
// loops and each blocks.
func scriptCollect(u *unit) {
	collectGeneric(u)
	t := u.t
	for i := 0; i < len(t); i++ {
		tk := &t[i]
		if tk.k != tkIdent {
			continue
		}
		if _, ok := u.p.funcs[tk.lc]; ok && !u.isOp(i+1, "(") && i+1 < len(t) && t[i+1].k != tkNL && !u.isOp(i+1, "=") && !u.isOp(i+1, ".") && !u.isOp(i+1, ")") && !u.isOp(i+1, ",") && !(i > 0 && u.memberOp(i-1)) {
			e := u.stmtEnd(i + 1)
			if e > i+1 {
				u.calls = append(u.calls, call{name: tk.lc, kind: cKeyword, at: i, open: i, close: e, args: u.splitArgs(i+1, e)})
			}
		}
		switch tk.lc {
		case "for":
			// for x in EXPR
			for k := i + 1; k < len(t) && k < i+12; k++ {
				if u.isIdent(k, "in") {
					e := u.stmtEnd(k + 1)
					var keys []vkey
					for j := i + 1; j < k; j++ {
						if t[j].k == tkIdent {
							keys = append(keys, u.varKey(j, t[j].lc))
						}
					}
					if len(keys) > 0 {
						u.asg = append(u.asg, assign{lhs: keys, lo: k + 1, hi: e, op: "=", each: true})
					}
					break
				}
			}
		case "each", "each_pair", "each_with_index", "map", "each_line", "collect":
			// EXPR.each do |x| / { |k, v|
			if i < 2 || !u.memberOp(i-1) {
				continue
			}
			b := i + 1
			if u.isIdent(b, "do") || u.isOp(b, "{") {
				b++
			}
			if !u.isOp(b, "|") {
				continue
			}
			var keys []vkey
			k := b + 1
			for ; k < len(t) && !u.isOp(k, "|"); k++ {
				if t[k].k == tkIdent {
					keys = append(keys, u.varKey(k, t[k].lc))
				}
			}
			_, lo := u.receiver(i - 1)
			if len(keys) > 0 {
				u.asg = append(u.asg, assign{lhs: keys, lo: lo, hi: i - 1, op: "=", each: true})
			}
		}
	}
}

// pySinkHook: writes to files opened for writing, subprocess.Popen.
func pySinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	switch c.name {
	case "popen":
		if u.recvIs(c, []string{"subprocess"}) || c.kind == cPlain {
			return sink(skExec, 0), true, true
		}
	case "write", "writelines":
		if c.kind == cMethod && u.recvFromOpen(c) {
			return sink2(skWrite, recvArg, 0), true, true
		}
		if c.kind == cMethod {
			if v := u.argsVal(c.open+1, c.close); v.in {
				u.an.inputWrite = true
			}
		}
		return sinkSpec{}, false, true
	case "socket":
		u.an.socket = true
	}
	return sinkSpec{}, false, false
}

// rbSinkHook: Kernel#open with a pipe runs a command; File.open(..., "w") then write.
func rbSinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	switch c.name {
	case "open":
		if c.kind == cMethod {
			switch c.recv {
			case "tcpsocket", "socket", "udpsocket":
				return sink(skSocket, 0), true, true
			case "tcpserver":
				return sink(skListen, 0), true, true
			}
		}
		if len(c.args) > 0 {
			if s, _, ok := u.fold(c.args[0][0], c.args[0][1]); ok && strings.HasPrefix(strings.TrimSpace(s), "|") {
				return sink(skExec, 0), true, true
			}
			if t := u.tk(c.args[0][0]); t.k == tkStr && strings.HasPrefix(t.s, "|") {
				return sink(skExec, 0), true, true
			}
		}
	case "write", "puts", "print", "syswrite", "<<":
		if c.kind == cMethod && u.recvFromOpen(c) {
			return sink2(skWrite, recvArg, 0), true, true
		}
		if c.kind == cMethod {
			if v := u.argsVal(c.open+1, c.close); v.in {
				u.an.inputWrite = true
			}
		}
		if c.kind == cMethod && (c.recv == "file" || c.recv == "io") && len(c.args) >= 2 {
			return sink2(skWrite, 0, 1), true, true
		}
		return sinkSpec{}, false, true
	case "new":
		if c.kind == cMethod {
			switch c.recv {
			case "tcpsocket", "socket", "udpsocket":
				return sink(skSocket, 0), true, true
			case "tcpserver":
				return sink(skListen, 0), true, true
			}
		}
	}
	return sinkSpec{}, false, false
}

// recvFromOpen reports whether a method's receiver is a file opened in the code: open(...) or
// File.open(...) inline, or a variable assigned one.
func (u *unit) recvFromOpen(c *call) bool {
	for k := c.recvLo; k < c.at; k++ {
		if u.isIdent(k, "open") || u.isIdent(k, "new") && k > 1 && u.isIdent(k-2, "file") {
			return true
		}
		if u.t[k].k == tkIdent {
			for _, a := range u.asg {
				if len(a.lhs) == 1 && a.lhs[0].name == u.t[k].lc {
					for j := a.lo; j < a.hi && j < a.lo+6; j++ {
						if u.isIdent(j, "open") {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

var pyFolds = map[string]foldFn{
	"b64decode":     foldArg(0, decodeBase64),
	"decodestring":  foldArg(0, decodeBase64),
	"decodebytes":   foldArg(0, decodeBase64),
	"a2b_base64":    foldArg(0, decodeBase64),
	"b32decode":     foldArg(0, decodeBase32),
	"b16decode":     foldArg(0, decodeHex),
	"unhexlify":     foldArg(0, decodeHex),
	"fromhex":       foldArg(0, decodeHex),
	"decompress":    foldArg(0, func(s string) (string, bool) { return inflate(s, "zlib") }),
	"chr":           foldChr,
	"str":           pureArg(0, func(s string) string { return s }),
	"bytes":         pureArg(0, func(s string) string { return s }),
	"codecs.decode": pyCodecs,
	"decode":        pyCodecs,
}

// pyCodecs folds codecs.decode(s, 'rot13' | 'hex' | 'base64' | 'zlib').
func pyCodecs(a []string) (string, bool) {
	if len(a) < 1 {
		return "", false
	}
	if len(a) == 1 {
		return a[0], true
	}
	switch strings.ReplaceAll(strings.ToLower(a[1]), "-", "_") {
	case "rot13", "rot_13":
		return rot13(a[0]), true
	case "hex", "hex_codec":
		return decodeHex(a[0])
	case "base64", "base64_codec":
		return decodeBase64(a[0])
	case "zlib", "zlib_codec":
		return inflate(a[0], "zlib")
	case "utf8", "utf_8", "ascii", "latin1", "latin_1":
		return a[0], true
	}
	return "", false
}

var pyFoldMethods = map[string]foldFn{
	"decode": pyCodecs,
	"encode": pureArg(0, func(s string) string { return s }),
	"lower":  pureArg(0, strings.ToLower),
	"upper":  pureArg(0, strings.ToUpper),
	"strip":  pureArg(0, strings.TrimSpace),
	"replace": func(a []string) (string, bool) {
		if len(a) != 3 || a[1] == "" {
			return "", false
		}
		return strings.ReplaceAll(a[0], a[1], a[2]), true
	},
	"join": func(a []string) (string, bool) {
		if len(a) != 2 {
			return "", false
		}
		el, ok := arrElems(a[1])
		return strings.Join(el, a[0]), ok
	},
	"b64decode": func(a []string) (string, bool) {
		if len(a) == 2 {
			return decodeBase64(a[1])
		}
		return "", false
	},
}

var rbFoldMethods = map[string]foldFn{
	"reverse":  pureArg(0, reverseString),
	"downcase": pureArg(0, strings.ToLower),
	"upcase":   pureArg(0, strings.ToUpper),
	"strip":    pureArg(0, strings.TrimSpace),
	"to_s":     pureArg(0, func(s string) string { return s }),
	"unpack": func(a []string) (string, bool) {
		if len(a) != 2 {
			return "", false
		}
		return foldPack(a[1], a[:1])
	},
	"unpack1": func(a []string) (string, bool) {
		if len(a) != 2 {
			return "", false
		}
		return foldPack(a[1], a[:1])
	},
	"gsub": func(a []string) (string, bool) {
		if len(a) != 3 || a[1] == "" {
			return "", false
		}
		return strings.ReplaceAll(a[0], a[1], a[2]), true
	},
	"decode64": func(a []string) (string, bool) {
		if len(a) == 2 {
			return decodeBase64(a[1])
		}
		return "", false
	},
}
