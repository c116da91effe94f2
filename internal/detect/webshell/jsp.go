package webshell

import (
	"bytes"
)

// Request input in JSP (compacted, lower-cased).
var jspSources = []string{
	"request.getparameter(", "request.getinputstream(", "request.getreader(", "request.getheader(",
	"request.getquerystring(", "request.getparametervalues(", "request.getparametermap(",
	"request.getpart(", "request.getparts(", "getrequest().getparameter(",
	"request.getcookies(", "req.getparameter(",
}

// javaTaint finds "name = ...source..." assignments (Java, C#, VBScript) and returns the
// names fed by the sources, following one level of copying.
func javaTaint(cp []byte, sources []string) map[string]bool {
	tainted := map[string]bool{}
	type assign struct {
		name   string
		lo, hi int
	}
	var as []assign
	for i := 1; i < len(cp)-1; i++ {
		if cp[i] != '=' || cp[i+1] == '=' || cp[i-1] == '=' || cp[i-1] == '!' || cp[i-1] == '<' || cp[i-1] == '>' {
			continue
		}
		name, at := identBefore(cp, i)
		if name == "" || at == i {
			continue
		}
		end := i + 1
		for end < len(cp) && end < i+500 && cp[end] != ';' && cp[end] != '\n' {
			end++
		}
		as = append(as, assign{name, i + 1, end})
	}
	for _, a := range as {
		for _, src := range sources {
			if bytes.Contains(cp[a.lo:a.hi], []byte(src)) {
				tainted[a.name] = true
				break
			}
		}
	}
	for round := 0; round < 3; round++ {
		changed := false
		for _, a := range as {
			if tainted[a.name] {
				continue
			}
			if identsIn(cp[a.lo:a.hi], tainted) {
				tainted[a.name] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return tainted
}

// identsIn reports whether b mentions one of the names as a whole word.
func identsIn(b []byte, names map[string]bool) bool {
	if len(names) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !isIdent(b[i]) || (i > 0 && isIdent(b[i-1])) {
			continue
		}
		id := identAt(b, i)
		if i > 0 && (b[i-1] == '"' || b[i-1] == '.') {
			i += len(id)
			continue
		}
		if names[string(id)] {
			return true
		}
		i += len(id)
	}
	return false
}

func containsAnyOf(b []byte, subs []string) (int, bool) {
	for _, s := range subs {
		if i := bytes.Index(b, []byte(s)); i >= 0 {
			return i, true
		}
	}
	return 0, false
}

func (s *scanner) jsp() {
	cp := s.cp
	_, input := containsAnyOf(cp, jspSources)
	tainted := javaTaint(cp, jspSources)
	inputAt := func(lo, hi int) bool {
		if lo < 0 || hi > len(cp) || lo >= hi {
			return false
		}
		if _, ok := containsAnyOf(cp[lo:hi], jspSources); ok {
			return true
		}
		return identsIn(cp[lo:hi], tainted)
	}
	exec := false
	for _, sink := range []string{".exec(", "processbuilder(", ".command(", "processimpl", "unixprocess", "forkandexec"} {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(sink))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(sink)
			open := at + len(sink) - 1
			if sink == "processimpl" || sink == "unixprocess" || sink == "forkandexec" {
				exec = true
				s.add("jsp.exec", 50, around(cp, at, 20, 60))
				continue
			}
			if sink == ".exec(" && !bytes.Contains(cp[max(0, at-40):at], []byte("getruntime()")) &&
				!bytes.Contains(cp[max(0, at-20):at], []byte("runtime")) {
				// some other object's exec(): only with a shell string or input nearby
				end := argEnd(cp, open, 300)
				if !inputAt(open, end) {
					continue
				}
			}
			if sink == ".command(" && !bytes.Contains(cp, []byte("processbuilder")) {
				continue
			}
			exec = true
			end := argEnd(cp, open, 400)
			ev := around(cp, at, 30, min(end-at+1, 70))
			if inputAt(open, end) {
				s.add("jsp.input-exec", 100, ev)
			} else {
				s.add("jsp.exec", 50, ev)
			}
		}
	}
	if exec && input {
		s.add("jsp.exec-with-input", 40, nil)
	}
	// reflection to reach Runtime.exec or ProcessBuilder
	if i, ok := containsAnyOf(cp, []string{`getruntime(),"exec"`, `"java.lang.runtime"`, `"getruntime"`, `"java.lang.processbuilder"`, `"java.lang.processimpl"`, `"java.lang.unixprocess"`}); ok {
		s.add("jsp.reflect-exec", 70, around(cp, i, 30, 60))
	}
	// a class loader that defines classes from bytes (Behinder, Godzilla, memory shells)
	if i := bytes.Index(cp, []byte("defineclass(")); i >= 0 {
		_, crypt := containsAnyOf(cp, []string{"cipher", "aes", "xor"})
		_, enc := containsAnyOf(cp, []string{"base64", "decodebuffer(", "getinputstream(", "getreader(", "getparameter("})
		if enc && crypt {
			s.add("jsp.classloader", 100, around(cp, i, 40, 60))
		} else if enc {
			s.add("jsp.classloader", 90, around(cp, i, 40, 60))
		} else {
			s.add("jsp.classloader", 50, around(cp, i, 40, 60))
		}
	}
	if i := bytes.Index(cp, []byte("urlclassloader")); i >= 0 && input {
		s.add("jsp.url-classloader", 40, around(cp, i, 20, 60))
	}
	// script engines fed by input
	if i := bytes.Index(cp, []byte("scriptenginemanager")); i >= 0 {
		if j := bytes.Index(cp, []byte(".eval(")); j >= 0 {
			end := argEnd(cp, j+5, 300)
			if inputAt(j+5, end) {
				s.add("jsp.input-eval", 100, around(cp, j, 30, 60))
			} else if input {
				s.add("jsp.script-eval", 50, around(cp, i, 0, 60))
			}
		}
	}
	// expression-language or OGNL evaluation of input
	// writing files named by input
	if input {
		if i, ok := containsAnyOf(cp, []string{"fileoutputstream(", "filewriter(", "printwriter(", "randomaccessfile(", ".transferto(", "files.write("}); ok {
			if fileFromInput(cp, inputAt) {
				s.add("jsp.write-input", 40, around(cp, i, 20, 60))
				if j := bytes.Index(cp, []byte("getrealpath(")); j >= 0 {
					s.add("jsp.write-webroot", 40, around(cp, j, 20, 60))
				}
			}
		}
		if bytes.Contains(cp, []byte("listfiles()")) && bytes.Contains(cp, []byte(".delete()")) && fileFromInput(cp, inputAt) {
			s.add("jsp.file-manager", 30, nil)
		}
		if i := bytes.Index(cp, []byte("drivermanager.getconnection(")); i >= 0 {
			end := argEnd(cp, i+27, 300)
			if inputAt(i+27, end) {
				s.add("jsp.db-client-input", 40, around(cp, i, 0, 80))
			}
		}
	}
	// sockets next to a shell: reverse or bind shells
	if i, ok := containsAnyOf(cp, []string{"newsocket(", "new socket(", "serversocket("}); ok {
		if _, sh := containsAnyOf(cp, []string{"cmd.exe", "/bin/sh", "/bin/bash", "getruntime()"}); sh {
			s.add("jsp.socket-shell", 60, around(cp, i, 20, 60))
		}
	}
	s.jspHiddenStrings()
	if input && (exec || s.has("jsp.classloader") || s.has("jsp.write-input") || s.has("jsp.reflect-exec")) && len(s.raw) < 2000 {
		s.add("jsp.small-input-exec", 30, nil)
	}
	// obfuscation
	if n := countAll(s.lc, `\u00`); n >= 30 {
		s.add("jsp.obf-unicode", 30, nil)
	}
	if n, at := longestB64Run(s.raw); n >= 1000 && entropy(s.raw[at:at+min(n, 4096)]) > 4.5 {
		s.add("jsp.obf-blob", 20, around(s.raw, at, 0, 40))
	}
}

// fileFromInput reports "new File(...)" built from input.
func fileFromInput(cp []byte, inputAt func(lo, hi int) bool) bool {
	for _, pat := range []string{"new file(", "new java.io.file(", "new fileoutputstream(", "new java.io.fileoutputstream(", "new filewriter(", "new fileinputstream(", "new printwriter("} {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(pat))
			if j < 0 {
				break
			}
			open := i + j + len(pat) - 1
			i = open + 1
			if inputAt(open, argEnd(cp, open, 300)) {
				return true
			}
		}
	}
	return false
}

// Strings that, hidden in a byte array or base64, give a JSP away.
var jspHidden = []string{"java.lang.runtime", "getruntime", "exec", "processbuilder", "cmd.exe", "/bin/sh", "/bin/bash", "cmd", "/c", "-c", "defineclass"}

// jspHiddenStrings decodes "new byte[]{106, 97, ...}" arrays and short base64 literals and
// looks for command-execution words in them.
func (s *scanner) jspHiddenStrings() {
	cp, cr := s.cp, s.cr
	found := map[string]bool{}
	for i := 0; ; {
		j := bytes.Index(cp[i:], []byte("byte[]{"))
		if j < 0 {
			break
		}
		at := i + j + 7
		i = at
		end := bytes.IndexByte(cp[at:min(len(cp), at+4000)], '}')
		if end < 0 {
			continue
		}
		var out []byte
		for _, f := range bytes.Split(cp[at:at+end], []byte(",")) {
			n, ok := atoi(bytes.TrimSpace(f))
			if !ok || n < -128 || n > 255 {
				out = nil
				break
			}
			out = append(out, byte(n))
		}
		for _, h := range jspHidden {
			if string(bytes.ToLower(out)) == h || (len(h) > 4 && bytes.Contains(bytes.ToLower(out), []byte(h))) {
				found[h] = true
			}
		}
	}
	lits := 0
	for i := 0; i < len(cr) && lits < 5000; i++ {
		if cr[i] != '"' {
			continue
		}
		e := bytes.IndexByte(cr[i+1:min(len(cr), i+200)], '"')
		if e < 0 {
			continue
		}
		lit := cr[i+1 : i+1+e]
		i += e + 1
		lits++
		if len(lit) < 4 || len(lit)%4 != 0 {
			continue
		}
		b64 := true
		for _, c := range lit {
			if !isB64(c) {
				b64 = false
				break
			}
		}
		if !b64 {
			continue
		}
		v, ok := decodeB64(lit)
		if !ok {
			continue
		}
		for _, h := range jspHidden {
			if string(bytes.ToLower(v)) == h || (len(h) > 4 && bytes.Contains(bytes.ToLower(v), []byte(h))) {
				found[h] = true
			}
		}
	}
	switch {
	case found["java.lang.runtime"] || found["processbuilder"] || found["getruntime"]:
		// the command-execution classes spelled in hiding: deliberate
		s.add("jsp.obf-strings", 100, []byte(joinKeys(found)))
	case len(found) >= 2 || found["defineclass"]:
		s.add("jsp.obf-strings", 70, []byte(joinKeys(found)))
	}
}
