package webshell

import "bytes"

// CGI request input for Perl, Python and Ruby (lower case, spacing as written).
var cgiSources = map[string][]string{
	LangPerl: {"param(", "->param", "$env{'query_string'}", "$env{query_string}", `$env{"query_string"}`,
		"<stdin>", "$form{", "$in{", "%in", "readparse", "$env{'http_", `$env{"http_`, "$env{http_",
		"$env{'request_uri'}", "$env{'path_info'}", "$query{", "$input{", "$cgi{", "$formdata", "$in ="},
	LangPython: {"cgi.fieldstorage", "getvalue(", "getfirst(", "form[", "os.environ['query_string'",
		`os.environ["query_string"`, "request.args", "request.form", "request.get_data", "sys.stdin"},
	LangRuby: {"cgi.new", "params[", "cgi[", "$stdin", "cgi.params", "request.params", "env['query_string'"},
}

// CGI command execution (lower case).
var cgiSinks = map[string][]string{
	LangPerl:   {"system(", "system ", "exec(", "exec ", "`", "qx(", "qx{", "qx/", "qx|", "popen", "open(", "open "},
	LangPython: {"os.system(", "os.popen(", "subprocess.", "commands.getoutput(", "commands.getstatusoutput(", "pty.spawn(", "os.exec", "exec(", "eval("},
	LangRuby:   {"system(", "system ", "`", "%x(", "%x{", "io.popen(", "open3.", "exec(", "exec ", "eval(", "instance_eval(", "spawn("},
}

func (s *scanner) cgi(lang string) {
	lc := s.lc
	sources, sinks := cgiSources[lang], cgiSinks[lang]
	_, input := containsAnyOf(lc, sources)
	// variables fed by input: "$cmd = param('cmd')", "cmd = form.getvalue('cmd')"
	tainted := cgiTaint(lc, sources)
	exec := false
	for line, rest := []byte(nil), lc; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		if len(line) > 2000 {
			line = line[:2000]
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		for _, sink := range sinks {
			k := bytes.Index(line, []byte(sink))
			if k < 0 || (k > 0 && isIdent(line[k-1]) && sink != "`") {
				continue
			}
			if sink == "open(" || sink == "open " {
				// a pipe open: open(FH, "cmd |") or open(FH, "|cmd")
				if !bytes.Contains(line[k:], []byte("|")) {
					continue
				}
			}
			if sink == "`" && bytes.Count(line, []byte("`")) < 2 {
				continue
			}
			if (sink == "exec " || sink == "system ") && !bytes.ContainsAny(line[k:], "$\"'(") {
				continue
			}
			exec = true
			_, direct := containsAnyOf(line[k:], sources)
			if direct {
				s.add("cgi.input-exec", 100, t)
			} else if identsInVars(line[k:], tainted, lang) {
				s.add("cgi.input-exec", 90, t)
			}
			break
		}
	}
	if exec && input {
		s.add("cgi.exec-with-input", 50, nil)
		if len(s.raw) < 3000 {
			s.add("cgi.small-input-exec", 30, nil)
		}
	}
	// reverse and bind shells
	sock := bytes.Contains(lc, []byte("socket(")) || bytes.Contains(lc, []byte("io::socket")) || bytes.Contains(lc, []byte("socket.socket")) || bytes.Contains(lc, []byte("tcpsocket"))
	if sock {
		_, shell := containsAnyOf(lc, []string{"/bin/sh", "/bin/bash", "cmd.exe", "pty.spawn", "exec "})
		_, redirect := containsAnyOf(lc, []string{"open(stdin", "open(stdout", "open stdin", "open(std", "dup2(", "fileno()", ">&", "<&"})
		switch {
		case shell && redirect && bytes.Contains(lc, []byte("connect")):
			s.add("cgi.reverse-shell", 80, nil)
		case shell && bytes.Contains(lc, []byte("listen")) && bytes.Contains(lc, []byte("accept")):
			s.add("cgi.bind-shell", 80, nil)
		}
	}
	if lang == LangPerl {
		if i := bytes.Index(lc, []byte("eval(unpack")); i >= 0 {
			s.add("cgi.obf-eval", 60, around(lc, i, 0, 60))
		}
		if i, ok := containsAnyOf(s.cp, []string{"eval(decode_base64", "eval decode_base64", "eval(pack(", "eval pack(", "eval(b64decode(", "eval(base64_decode(", "eval(unpack(", "eval(&b64decode("}); ok {
			s.add("cgi.obf-eval", 60, around(s.cp, i, 0, 60))
		}
	}
	if lang == LangPython {
		if i, ok := containsAnyOf(s.cp, []string{"exec(base64", "exec(zlib", "exec(marshal", "eval(base64", "exec(__import__('base64')", "exec(codecs.decode"}); ok {
			s.add("cgi.obf-eval", 60, around(s.cp, i, 0, 60))
		}
	}
}

// cgiTaint returns variables assigned from input ("$cmd = param('c')", "cmd = form['c']").
func cgiTaint(lc []byte, sources []string) map[string]bool {
	tainted := map[string]bool{}
	for line, rest := []byte(nil), lc; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		if len(line) > 1000 {
			line = line[:1000]
		}
		eq := bytes.IndexByte(line, '=')
		if eq <= 0 || eq+1 >= len(line) || line[eq+1] == '=' || line[eq+1] == '~' || line[eq-1] == '!' {
			continue
		}
		if _, ok := containsAnyOf(line[eq:], sources); !ok && !identsInVars(line[eq:], tainted, "") {
			continue
		}
		lhs := bytes.TrimSpace(line[:eq])
		for _, pre := range [][]byte{[]byte("my "), []byte("local "), []byte("our ")} {
			lhs = bytes.TrimPrefix(lhs, pre)
		}
		lhs = bytes.TrimLeft(lhs, "($@%")
		lhs = bytes.TrimRight(lhs, ") ")
		for _, part := range bytes.Split(lhs, []byte(",")) {
			part = bytes.TrimLeft(bytes.TrimSpace(part), "$@%")
			if id := identAt(part, 0); len(id) > 0 {
				tainted[string(id)] = true
			}
		}
	}
	return tainted
}

// identsInVars reports a tainted variable in b ($name for Perl, bare names otherwise).
func identsInVars(b []byte, names map[string]bool, lang string) bool {
	if len(names) == 0 {
		return false
	}
	return identsIn(bytes.ReplaceAll(b, []byte("$"), []byte(" ")), names)
}
