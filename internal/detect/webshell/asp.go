package webshell

import "bytes"

// Request input in classic ASP and ASP.NET (compacted, lower-cased).
var aspSources = []string{
	"request(", "request.form", "request.querystring", "request.item", "request.cookies",
	"request.servervariables", "request.binaryread", "request.params", "request[", "request.headers",
	"request.inputstream", "request.files", "context.request",
}

// aspLines splits lower-cased text into statements: lines, and ':' separated VBScript parts
// are kept together (a line is enough context).
func (s *scanner) asp() {
	cp, lc := s.cp, s.lc
	_, input := containsAnyOf(cp, aspSources)
	tainted := javaTaint(cp, aspSources)
	inputIn := func(b []byte) bool {
		if _, ok := containsAnyOf(b, aspSources); ok {
			return true
		}
		return identsIn(b, tainted)
	}
	// eval / execute / executeglobal of input, with or without parentheses
	for _, kw := range []string{"eval", "execute", "executeglobal", "executestatement"} {
		for i := 0; ; {
			j := bytes.Index(lc[i:], []byte(kw))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(kw)
			if at > 0 && (isIdent(lc[at-1]) || lc[at-1] == '.') {
				continue
			}
			k := at + len(kw)
			if k < len(lc) && isIdent(lc[k]) {
				continue
			}
			end := bytes.IndexByte(lc[k:min(len(lc), k+300)], '\n')
			if end < 0 {
				end = min(len(lc), k+300)
			} else {
				end += k
			}
			stmt, _ := compact(lc[k:end], nil)
			if len(stmt) == 0 || !(stmt[0] == '(' || lc[k] == ' ' || lc[k] == '\t') {
				continue
			}
			ev := around(lc, at, 0, min(end-at, 90))
			if inputIn(stmt) {
				s.add("asp.input-eval", 100, ev)
			} else if bytes.Contains(stmt, []byte(`"unsafe"`)) || bytes.Contains(stmt, []byte(`'unsafe'`)) {
				s.add("asp.unsafe-eval", 60, ev)
			}
		}
	}
	// command execution objects and their use
	if i, ok := containsAnyOf(cp, []string{"wscript.shell", "shell.application", "wscript.network", "{72c24dd5-d70a-438b-8a42-98424b88afb8}", "{13709620-c279-11ce-a49e-444553540000}"}); ok {
		s.add("asp.shell-object", 50, around(cp, i, 30, 50))
	}
	if i, ok := containsAnyOf(cp, []string{"process.start(", "processstartinfo", "diagnostics.process"}); ok {
		s.add("aspx.process", 50, around(cp, i, 20, 60))
	}
	for _, sink := range []string{".run(", ".exec(", "process.start(", ".filename=", ".arguments=", ".shellexecute(", "startinfo.filename"} {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(sink))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(sink)
			end := statementEnd(cp, at, 300)
			if (s.has("asp.shell-object") || s.has("aspx.process")) && inputIn(cp[at:end]) {
				s.add("asp.input-exec", 100, around(cp, at, 30, 70))
			}
		}
	}
	if (s.has("asp.shell-object") || s.has("aspx.process")) && input {
		s.add("asp.exec-with-input", 40, nil)
	}
	if i, ok := containsAnyOf(cp, []string{"xp_cmdshell"}); ok {
		s.add("asp.xp-cmdshell", 40, around(cp, i, 30, 40))
	}
	// file writers driven by input
	if input {
		if i, ok := containsAnyOf(cp, []string{"createtextfile(", ".savetofile", "file.writeallbytes(", "file.writealltext(", ".saveas(", "streamwriter("}); ok {
			end := statementEnd(cp, i, 300)
			if inputIn(cp[i:end]) {
				s.add("asp.file-write", 40, around(cp, i, 20, 50))
			} else {
				s.add("asp.file-write", 20, around(cp, i, 20, 50))
			}
		}
		if i, ok := containsAnyOf(cp, []string{"compileassemblyfromsource", "codedomprovider", "assembly.load(", "csharpcodeprovider", "vbcodeprovider"}); ok {
			s.add("aspx.runtime-compile", 60, around(cp, i, 20, 60))
		}
	}
	if i := bytes.Index(lc, []byte("#@~^")); i >= 0 {
		// VBScript.Encode: hidden server code, a classic of ASP shells
		s.add("asp.encoded-script", 50, around(s.raw, i, 0, 40))
	}
	if n := countAll(cp, "&chr("); n >= 15 {
		s.add("asp.obf-chr", 25, nil)
	}
	if n, at := longestB64Run(s.raw); n >= 1000 && entropy(s.raw[at:at+min(n, 4096)]) > 4.5 {
		s.add("asp.obf-blob", 20, around(s.raw, at, 0, 40))
	}
	if input && (s.has("asp.shell-object") || s.has("aspx.process") || s.has("asp.unsafe-eval")) && len(s.raw) < 2000 {
		s.add("asp.small-input-exec", 30, nil)
	}
}
