package webshell

import "strings"

// Perl CGI scripts.

// cgiEnvInput reports the CGI environment variables the client writes.
func cgiEnvInput(key string) bool {
	k := strings.ToUpper(strings.Trim(key, "'\" "))
	return strings.HasPrefix(k, "HTTP_") || k == "QUERY_STRING" || k == "REQUEST_URI" || k == "PATH_INFO" ||
		k == "PATH_TRANSLATED" || k == "REQUEST_BODY"
}

var perlProfile = &profile{
	name:           "perl",
	varSigil:       true,
	dotConcat:      true,
	globalFallback: true,
	paramHashes:    true,
	assignOps:      set("=", ".=", "||=", "//=", "+=", "&&=", "x="),
	joinOps:        set(".", "+", "-", "*", "/", "%", "x", "=>", ".."),
	valueOrOps:     set("||", "//", "&&"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">=", "!", "=~", "!~", "<=>"),
	boolWords:      set("eq", "ne", "lt", "gt", "le", "ge", "not", "defined", "exists", "length", "scalar", "ref"),
	valueOrWords:   set("or", "and"),
	concatOps:      set("."),
	stmtWords:      set("or", "and", "if", "unless", "foreach", "for", "while", "until"),
	keywordNoValue: set("my", "our", "local", "return", "print", "else", "elsif"),
	funcs: map[string]sinkSpec{
		"system": sink(skExec, -1), "exec": sink(skExec, -1), "eval": sink(skCode, 0), "do": sink(skInclude, 0),
		"require": sink(skInclude, 0), "unlink": sink(skDelete, -1), "rmdir": sink(skDelete, 0), "rename": sink(skDelete, 0),
		"chmod": sink(skDelete, -1), "mkdir": sink(skDelete, 0), "opendir": sink(skList, 1), "connect": sink(skSocket, 1),
		"bind": sink(skListen, 0), "listen": sink(skListen, 0), "syscall": sink(skExec, -1), "dup2": sink(skFdDup, 0),
	},
	methods: map[string]sinkSpec{
		"do": sink(skSQL, 0), "prepare": sink(skSQL, 0), "selectall_arrayref": sink(skSQL, 0), "selectrow_array": sink(skSQL, 0),
		"connect": sinkOn(skDBConnect, -1, "dbi"), "new": sinkOn(skSocket, -1, "inet", "io::socket::inet", "socket"),
		"fdopen": sink(skFdDup, 0),
	},
	sanitizers: set("length", "defined", "exists", "scalar", "int", "hex", "oct", "ref", "escapehtml", "quotemeta", "uri_escape", "md5_hex", "sha1_hex"),
	wrappers:   set("lc", "uc", "lcfirst", "ucfirst", "join", "reverse", "decode_base64", "unescape", "uri_unescape", "chomp", "substr", "sprintf", "pack", "unpack", "url_decode", "decode"),
	decoders:   set("decode_base64", "unpack", "pack", "uncompress", "inflate", "memgunzip"),
	danger:     set("system", "exec", "eval", "qx", "open"),
}

func init() {
	p := perlProfile
	p.source = perlSource
	p.interpSource = func(name string) (val, bool) { return val{}, false }
	p.collect = perlCollect
	p.funcDefs = perlFuncDefs
	p.returns = returnsAfter
	p.sinkHook = perlSinkHook
	p.features = scriptFeatures
	p.foldCall = perlFolds
	p.foldMethod = map[string]foldFn{}
	p.parenless = perlParenless
	p.callHook = func(u *unit, name string, at, lo, hi int) (val, bool) {
		if name == "split" && len(u.splitArgs(lo, hi)) < 2 {
			// split /PATTERN/: of $_
			return u.lookupVal(at, u.topicAt(at)), true
		}
		if (name == "get" || name == "getstore") && lo < hi {
			// LWP::Simple's get(URL): what a remote host sent
			if s, _, ok := u.fold(u.splitArgs(lo, hi)[0][0], u.splitArgs(lo, hi)[0][1]); ok && remoteURL(s) {
				return val{net: true}, true
			}
		}
		if name == "shift" && (lo >= hi || u.tk(lo).k == tkVar && u.tk(lo).lc == "_") && at < len(u.scope) && u.scope[at] != 0 {
			// shift in a sub: its next argument
			return u.lookupVal(at, "_"), true
		}
		return val{}, false
	}
	p.netReaders = set("getline", "getlines", "recv", "sysread", "read", "readline")
	p.netMakers = set("new", "io::socket::inet", "io::socket::ip", "io::socket::inet6", "io::socket::ssl", "io::socket")
	p.nest = func(u *unit, code string) {
		n := newUnit(perlProfile, []byte(code), lexPerl([]byte(code)), u.an, u.depth+1)
		n.run()
	}
	langAnalyzers[LangPerl] = func(an *analysis, content []byte) *unit {
		return newUnit(perlProfile, content, lexPerl(content), an, 0)
	}
}

// perlSource recognizes CGI input: param(...) and ->param(...), Vars, $ENV{QUERY_STRING} and
// the HTTP_ variables, <STDIN>, the %in hash cgi-lib's ReadParse fills, upload handles.
func perlSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	switch t.k {
	case tkIdent:
		switch t.lc {
		case "param", "url_param", "multi_param", "vars", "cgi::param", "cgi::vars", "upload", "uploadinfo", "raw_cookie", "cookie", "query_string", "keywords", "http", "https":
			if t.lc == "http" || t.lc == "https" || t.lc == "cookie" || t.lc == "keywords" {
				if !(i > 0 && u.isOp(i-1, "->")) {
					return 0, "", false
				}
			}
			end := i + 1
			if u.isOp(end, "(") {
				if c := u.closeOf(end); c > end {
					end = c + 1
				}
			}
			return end, t.s + "()", t.lc == "upload"
		case "<stdin>", "<>", "<argv>":
			// the request body, on a CGI script's standard input
			return i + 1, t.s, false
		case "stdin":
			if i > 1 && u.isOp(i-1, "(") && (u.isIdent(i-2, "read") || u.isIdent(i-2, "sysread")) {
				return i + 1, "STDIN (the request body)", false
			}
		}
	case tkVar:
		if t.lc == "env" && (u.isOp(i+1, "{") || u.isOp(i+1, "[")) {
			c := u.closeOf(i + 1)
			if c > i+1 && cgiEnvInput(u.evidence(i+2, c)) {
				return c + 1, "$ENV{" + u.evidence(i+2, c) + "}", false
			}
		}
		if u.readParse()[t.lc] {
			return i + 1, "%" + t.s + " (ReadParse)", false
		}
	}
	return 0, "", false
}

// readParse returns the hashes cgi-lib's ReadParse fills with the request (%in, or the one
// passed as ReadParse(*name)).
func (u *unit) readParse() map[string]bool {
	if u.reqNames == nil {
		u.reqNames = map[string]bool{}
		for i := range u.t {
			if (u.t[i].k == tkIdent || u.t[i].k == tkVar) && strings.EqualFold(u.t[i].s, "ReadParse") {
				name := "in"
				if u.isOp(i+1, "(") && i+3 < len(u.t) && (u.isOp(i+2, "*") && u.t[i+3].k == tkIdent || u.t[i+2].k == tkVar) {
					if u.t[i+2].k == tkVar {
						name = u.t[i+2].lc
					} else {
						name = u.t[i+3].lc
					}
				}
				u.reqNames[name] = true
			}
		}
	}
	return u.reqNames
}

// perlWriteHandle returns the path argument of the open that made fh a handle for writing.
func (u *unit) perlWriteHandle(fh string) ([2]int, bool) {
	for i := 0; i+1 < len(u.t); i++ {
		if !u.isIdent(i, "open") {
			continue
		}
		lo, hi := i+1, u.stmtEnd(i+1)
		if u.isOp(lo, "(") {
			hi = u.closeOf(lo)
			lo++
		}
		if hi <= lo {
			continue
		}
		args := u.splitArgs(lo, hi)
		if len(args) < 2 || u.tk(args[0][0]).lc != fh {
			continue
		}
		mode := ""
		if t := u.tk(args[1][0]); t.k == tkStr {
			mode = strings.TrimSpace(t.s)
		}
		if strings.HasPrefix(mode, ">") || strings.HasPrefix(mode, "+>") {
			if len(args) > 2 {
				return args[2], true
			}
			return args[1], true
		}
	}
	return [2]int{}, false
}

// perlFuncDefs finds sub name { ... }; its parameters are what it takes from @_ or shift.
func perlFuncDefs(u *unit) {
	t := u.t
	for i := 0; i+2 < len(t); i++ {
		if !u.isIdent(i, "sub") || t[i+1].k != tkIdent {
			continue
		}
		// sub name(PROTO) :attr { ... }: a prototype and attributes before the body
		b := i + 2
		if u.isOp(b, "(") {
			if c := u.closeOf(b); c > b {
				b = c + 1
			}
		}
		for u.isOp(b, ":") && b+1 < len(t) && t[b+1].k == tkIdent {
			b += 2
		}
		if !u.isOp(b, "{") {
			continue
		}
		e := u.closeOf(b)
		if e < 0 {
			continue
		}
		var params []string
		for k := b + 1; k < e && k < b+80; k++ {
			// my ($a, $b) = @_;   my $x = shift;
			if u.isIdent(k, "my") && u.isOp(k+1, "(") {
				c := u.closeOf(k + 1)
				if c > 0 && u.isOp(c+1, "=") && c+2 < len(t) && t[c+2].k == tkVar && t[c+2].s == "_" {
					for j := k + 2; j < c; j++ {
						if t[j].k == tkVar {
							params = append(params, t[j].lc)
						}
					}
				}
			}
			if u.isIdent(k, "my") && k+3 < e && t[k+1].k == tkVar && u.isOp(k+2, "=") && u.isIdent(k+3, "shift") {
				params = append(params, t[k+1].lc)
			}
		}
		u.funcs = append(u.funcs, &fdef{name: t[i+1].lc, params: params, rest: "_", lo: b + 1, hi: e})
	}
}

// perlCollect adds Perl's calls without parentheses (system $cmd; exec "...";), foreach,
// read(STDIN, $buf, ...) and the two forms of open that run a command.
func perlCollect(u *unit) {
	perlScopes(u)
	perlTopics(u)
	collectGeneric(u)
	t := u.t
	for i := 0; i < len(t); i++ {
		tk := &t[i]
		if tk.k == tkVar && tk.sig == '&' {
			// &name(...): a call of the script's sub
			if c := u.closeOf(i + 1); u.isOp(i+1, "(") && c > i {
				u.calls = append(u.calls, call{name: tk.lc, kind: cPlain, at: i, open: i + 1, close: c, args: u.splitArgs(i+2, c)})
			}
			continue
		}
		if tk.k != tkIdent {
			continue
		}
		switch tk.lc {
		case "system", "exec", "eval", "do", "require", "unlink", "open", "socket", "connect", "rmdir", "chmod", "opendir", "print", "syswrite":
			if u.isOp(i+1, "(") && tk.lc != "print" || i > 0 && (u.isOp(i-1, "->") || u.isOp(i-1, "::")) || u.isOp(i+1, "{") && tk.lc == "eval" || u.isOp(i+1, "=>") {
				continue
			}
			if tk.lc == "print" || tk.lc == "syswrite" {
				// print FH LIST: a write to a file handle the script opened for writing
				j := i + 1
				if u.isOp(j, "(") {
					j++
				}
				if j < len(t) && (t[j].k == tkIdent && !u.isOp(j+1, "(") && !u.isOp(j+1, ",") || t[j].k == tkVar && t[j].sig == '$' && j+1 < len(t) && t[j+1].k != tkOp) {
					if path, ok := u.perlWriteHandle(t[j].lc); ok {
						e := u.stmtEnd(j + 1)
						u.calls = append(u.calls, call{name: "print", kind: cKeyword, at: i, open: i, close: e, args: [][2]int{path, {j + 1, e}}})
					}
				}
				continue
			}
			e := u.stmtEnd(i + 1)
			if e > i+1 {
				u.calls = append(u.calls, call{name: tk.lc, kind: cKeyword, at: i, open: i, close: e, args: u.splitArgs(i+1, e)})
			}
		case "foreach", "for":
			// foreach my $x (LIST)
			k := i + 1
			if u.isIdent(k, "my") || u.isIdent(k, "our") {
				k++
			}
			if k < len(t) && t[k].k == tkVar && u.isOp(k+1, "(") {
				c := u.closeOf(k + 1)
				if c > 0 {
					u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k, t[k].lc)}, lo: k + 2, hi: c, op: "=", each: true})
				}
				continue
			}
			// foreach (LIST) and the modifiers: see perlTopics
		case "read", "sysread":
			// read(STDIN, $buf, $ENV{CONTENT_LENGTH}): $buf is the request body
			if !u.isOp(i+1, "(") {
				continue
			}
			args := u.splitArgs(i+2, u.closeOf(i+1))
			if len(args) > 1 && u.isIdent(args[0][0], "stdin") {
				for k := args[1][0]; k < args[1][1]; k++ {
					if t[k].k == tkVar {
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k, t[k].lc)}, lo: args[0][0], hi: args[0][1], op: "=", outParam: true})
						u.stdinBody = true
						break
					}
				}
			}
		}
	}
}

// perlSinkHook: eval BLOCK is no code sink; open runs a command when its mode or its one
// argument has a pipe; open(STDIN, ">&S") joins a socket to the shell's streams.
func perlSinkHook(u *unit, c *call) (sinkSpec, bool, bool) {
	if c.kind == cMethod {
		return sinkSpec{}, false, false
	}
	switch c.name {
	case "system", "exec":
		// the list forms run a program without a shell: input among its arguments is data,
		// unless the program itself is a shell or an interpreter given the code
		if len(c.args) == 0 {
			break
		}
		if a := c.args[0]; u.isOp(a[0], "{") {
			// exec { PROGRAM } LIST
			if b := u.closeOf(a[0]); b > a[0] {
				if prog, _, ok := u.fold(a[0]+1, b); ok && !interpreter(prog) || !ok && !u.eval(a[0]+1, b).in {
					if ok {
						u.an.exec = true
						u.an.add("exec.const", wExecConst, u.callEvidence(c))
					}
					return sinkSpec{}, false, true
				}
			}
		}
		if len(c.args) >= 2 {
			if prog, _, ok := u.fold(c.args[0][0], c.args[0][1]); ok && !interpreter(prog) {
				return sink(skExec, 0), true, true
			}
		}
	case "eval":
		if len(c.args) > 0 && u.isOp(c.args[0][0], "{") {
			return sinkSpec{}, false, true
		}
	case "print":
		if c.kind == cKeyword && len(c.args) == 2 {
			return sink2(skWrite, 0, 1), true, true
		}
		return sinkSpec{}, false, true
	case "open":
		if len(c.args) < 2 {
			return sinkSpec{}, false, true
		}
		mode, _, mok := u.fold(c.args[1][0], c.args[1][1])
		if len(c.args) == 2 {
			// two-argument open: the mode is part of the second argument
			m := strings.TrimSpace(mode)
			if !mok {
				if tk := u.tk(c.args[1][0]); tk.k == tkStr {
					m = strings.TrimSpace(tk.s)
				}
			}
			switch {
			case strings.HasPrefix(m, ">&") || strings.HasPrefix(m, "<&") || strings.HasPrefix(m, "+<&"):
				u.an.fdDup = true
				return sinkSpec{}, false, true
			case strings.HasPrefix(m, "|") || strings.HasSuffix(m, "|"):
				return sink(skExec, 1), true, true
			case strings.HasPrefix(m, ">"):
				return sink(skWrite, 1), true, true
			}
			return sink(skRead, 1), true, true
		}
		m := strings.TrimSpace(mode)
		switch {
		case strings.Contains(m, "|"):
			return sink(skExec, -1), true, true
		case strings.HasPrefix(m, ">&") || strings.HasPrefix(m, "<&"):
			u.an.fdDup = true
			return sinkSpec{}, false, true
		case strings.HasPrefix(m, ">") || strings.HasPrefix(m, "+>"):
			return sink(skWrite, 2), true, true
		}
		return sink(skRead, 2), true, true
	case "socket":
		u.an.socket = true
		return sinkSpec{}, false, true
	}
	return sinkSpec{}, false, false
}

var perlFolds = map[string]foldFn{
	"decode_base64": foldArg(0, decodeBase64),
	"pack":          func(a []string) (string, bool) { return foldPack(a[0], a[1:]) },
	"unpack":        func(a []string) (string, bool) { return foldPack(a[0], a[1:]) },
	"chr":           foldChr,
	"reverse":       pureArg(0, reverseString),
	"lc":            pureArg(0, strings.ToLower),
	"uc":            pureArg(0, strings.ToUpper),
	"join": func(a []string) (string, bool) {
		if len(a) < 1 {
			return "", false
		}
		return strings.Join(a[1:], a[0]), true
	},
}

// scriptFeatures: backtick commands (Perl, Ruby), obfuscation and hidden code.
func scriptFeatures(u *unit) {
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkCmd {
			continue
		}
		u.an.exec = true
		ev := u.evidence(i, i+1)
		v := val{}
		for _, p := range t.parts {
			if p.v != "" {
				v.merge(u.lookupVal(i, asciiLower(p.v)))
			}
		}
		if v.in {
			u.an.add("flow.exec", strength(v, wFlowExec), withSource(ev, v))
		} else if v.net {
			u.an.add("net.exec", wFlowExec, clip([]byte(ev+" <- read from a network connection")))
		} else {
			if shellSpawn(t.s) {
				u.an.shellSpawn = true
			}
			u.an.add("exec.const", wExecConst, ev)
		}
	}
	if u.p.features2 != nil {
		u.p.features2(u)
	}
	if u.depth == 0 {
		obfuscation(u)
		u.hiddenLiterals()
	}
}

// perlParenless: a line read from a handle (<$sock>, <S>: what a connection's other end sent
// when the handle is a socket) and split without parentheses or an expression ($_).
func perlParenless(u *unit, k, hi int) (int, val, bool) {
	t := &u.t[k]
	switch {
	case strings.HasPrefix(t.s, "<") && strings.HasSuffix(t.s, ">") && len(t.s) > 2:
		h := strings.TrimSuffix(strings.TrimPrefix(t.lc, "<"), ">")
		if strings.HasPrefix(h, "$") {
			v := u.lookupVal(k, h[1:])
			v.pure = false
			if v.sock {
				v.net = true
			}
			return k + 1, v, true
		}
		if u.perlSocketGlob(h) {
			return k + 1, val{net: true}, true
		}
		return k + 1, val{}, true
	case t.lc == "shift" && k < len(u.scope) && u.scope[k] != 0 && !u.isOp(k+1, "("):
		if n := u.tk(k + 1); n.k == tkVar && n.lc != "_" {
			return 0, val{}, false // shift @other
		}
		return k + 1, u.lookupVal(k, "_"), true
	case t.lc == "split":
		e := u.stmtEnd(k + 1)
		e = min(e, hi)
		args := u.splitArgs(k+1, e)
		if len(args) < 2 {
			return e, u.lookupVal(k, u.topicAt(k)), true
		}
	}
	return 0, val{}, false
}

// perlSocketGlob reports a bareword handle made by socket(NAME, ...) or accept(NAME, ...).
func (u *unit) perlSocketGlob(name string) bool {
	for ci := range u.calls {
		c := &u.calls[ci]
		if (c.name == "socket" || c.name == "accept") && len(c.args) > 0 {
			if a := c.args[0]; a[1] == a[0]+1 && u.t[a[0]].lc == name {
				return true
			}
		}
	}
	return false
}

// interpreter reports a program that runs the code or commands it is given (a shell, a
// scripting language), as the first word of a command or a program's path.
func interpreter(prog string) bool {
	f := strings.Fields(strings.ToLower(prog))
	if len(f) == 0 {
		return true
	}
	base := f[0][strings.LastIndexAny(f[0], "/\\")+1:]
	base = strings.TrimSuffix(base, ".exe")
	switch strings.TrimRight(base, "0123456789.") {
	case "sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "ash", "busybox", "cmd", "powershell", "pwsh",
		"perl", "python", "php", "ruby", "node", "env", "nohup", "sudo", "su", "xargs", "timeout", "nice", "setsid", "script":
		return true
	}
	return false
}

// perlScopes: a sub's variables are its own only when it declares them (my, local, state);
// any other name in its body is the script's global (%FORM filled by a parser sub and read
// by the main program).
func perlScopes(u *unit) {
	if len(u.funcs) == 0 {
		return
	}
	declared := map[vkey]bool{}
	for i := range u.t {
		if u.t[i].k != tkIdent || u.t[i].lc != "my" && u.t[i].lc != "local" && u.t[i].lc != "state" {
			continue
		}
		if i+1 < len(u.t) && u.t[i+1].k == tkVar {
			declared[vkey{u.scope[i+1], u.t[i+1].lc}] = true
		}
		if u.isOp(i+1, "(") {
			for k := i + 2; k < u.closeOf(i+1) && k < len(u.t); k++ {
				if u.t[k].k == tkVar {
					declared[vkey{u.scope[k], u.t[k].lc}] = true
				}
			}
		}
	}
	for i := range u.t {
		t := &u.t[i]
		if t.k != tkVar || u.scope[i] == 0 {
			continue
		}
		k := vkey{u.scope[i], t.lc}
		if !declared[k] && t.lc != "_" {
			u.globals[k] = true
		}
	}
}

// perlTopics gives each loop that sets $_ (foreach (LIST), while (<FH>), EXPR foreach LIST,
// map and grep blocks) a $_ of its own: in a script of thousands of lines, one $_ would join
// every loop's data with every other's.
func perlTopics(u *unit) {
	t := u.t
	name := func(i int) string { return "_#" + itoa(int64(i)) }
	for i := 0; i < len(t); i++ {
		if t[i].k != tkIdent {
			continue
		}
		switch t[i].lc {
		case "foreach", "for":
			k := i + 1
			if !u.isOp(k, "(") {
				if i > 0 && !u.isOp(i-1, "{") && !u.isOp(i-1, ";") && !u.isOp(i-1, "}") {
					// EXPR foreach LIST: a statement modifier
					e := u.stmtEnd(i + 1)
					if e > i+1 {
						st := u.perlStmtStart(i)
						n := name(i)
						u.renameTopic(st, i, n)
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(i, n)}, lo: i + 1, hi: e, op: "=", each: true})
					}
				}
				continue
			}
			c := u.closeOf(k)
			if c < 0 {
				continue
			}
			semi := false
			for j := k + 1; j < c; j++ {
				if u.isOp(j, ";") {
					semi = true // for (;;)
					break
				}
			}
			if semi || !u.isOp(c+1, "{") {
				continue
			}
			n := name(i)
			u.renameTopic(c+2, u.closeOf(c+1), n)
			u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(k, n)}, lo: k + 1, hi: c, op: "=", each: true})
		case "while", "until":
			// while (<FH>) { ... }
			if u.isOp(i+1, "(") && u.closeOf(i+1) == i+3 && t[i+2].k == tkIdent && strings.HasPrefix(t[i+2].s, "<") && u.isOp(i+4, "{") {
				n := name(i)
				u.renameTopic(i+5, u.closeOf(i+4), n)
				u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(i+2, n)}, lo: i + 2, hi: i + 3, op: "=", each: true})
			}
		case "map", "grep":
			// map { BLOCK } LIST
			if u.isOp(i+1, "{") {
				b := u.closeOf(i + 1)
				if b > i {
					e := u.stmtEnd(b + 1)
					n := name(i)
					u.renameTopic(i+2, b, n)
					if e > b+1 {
						u.asg = append(u.asg, assign{lhs: []vkey{u.varKey(i, n)}, lo: b + 1, hi: e, op: "=", each: true})
					}
				}
			}
		}
	}
}

// perlStmtStart returns the first token of the statement that holds token i.
func (u *unit) perlStmtStart(i int) int {
	for k := i - 1; k >= 0; k-- {
		if u.isOp(k, ";") || u.isOp(k, "{") || u.isOp(k, "}") && u.closeOf(k) < k {
			return k + 1
		}
		if u.isOp(k, ")") || u.isOp(k, "]") {
			if o := u.closeOf(k); o >= 0 && o < k {
				k = o
			}
		}
	}
	return 0
}

// renameTopic names $_ in tokens lo..hi (and in the strings and commands there) n, and
// records the range for the calls that read $_ implicitly (split without an expression).
func (u *unit) renameTopic(lo, hi int, n string) {
	if hi <= lo {
		return
	}
	u.topics = append(u.topics, topicRange{lo, hi, n})
	for k := lo; k < hi && k < len(u.t); k++ {
		t := &u.t[k]
		switch t.k {
		case tkVar:
			if t.lc == "_" && t.sig == '$' || strings.HasPrefix(t.lc, "_#") {
				t.lc = n
			}
		case tkStr, tkCmd:
			var parts []strPart
			for pi, p := range t.parts {
				if p.v == "_" || strings.HasPrefix(p.v, "_#") {
					if parts == nil {
						parts = append([]strPart(nil), t.parts...)
					}
					parts[pi].v = n
				}
			}
			if parts != nil {
				t.parts = parts
			}
		}
	}
}

// topicAt returns the name of $_ at token k (the innermost loop's).
func (u *unit) topicAt(k int) string {
	name, width := "_", -1
	for _, r := range u.topics {
		if r.lo <= k && k < r.hi && (width < 0 || r.hi-r.lo < width) {
			name, width = r.n, r.hi-r.lo
		}
	}
	return name
}
