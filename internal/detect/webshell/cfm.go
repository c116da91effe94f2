package webshell

import "bytes"

// ColdFusion request input (compacted, lower-cased).
var cfmSources = []string{"form.", "url.", "cgi.http_", "gethttprequestdata(", "attributes."}

func (s *scanner) cfm() {
	cp := s.cp
	_, input := containsAnyOf(cp, cfmSources)
	tagInput := func(tag string, rule string, hit, plain int) {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(tag))
			if j < 0 {
				return
			}
			at := i + j
			i = at + len(tag)
			end := bytes.IndexByte(cp[at:min(len(cp), at+600)], '>')
			if end < 0 {
				end = min(len(cp), at+600)
			} else {
				end += at
			}
			ev := around(cp, at, 0, min(end-at+1, 90))
			if _, ok := containsAnyOf(cp[at:end], cfmSources); ok {
				s.add(rule, hit, ev)
			} else if plain > 0 {
				s.add(rule, plain, ev)
			}
		}
	}
	tagInput("<cfexecute", "cfm.execute", 100, 60)
	tagInput("<cffile", "cfm.file-input", 40, 0)
	tagInput("<cfdirectory", "cfm.dir-input", 20, 0)
	if i, ok := containsAnyOf(cp, []string{`"java.lang.runtime"`, `'java.lang.runtime'`, `"java.lang.processbuilder"`}); ok {
		s.add("cfm.java-runtime", 80, around(cp, i, 30, 50))
	}
	for _, fn := range []string{"evaluate(", "precisionevaluate(", "iif("} {
		for i := 0; ; {
			j := bytes.Index(cp[i:], []byte(fn))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(fn)
			if at > 0 && isIdent(cp[at-1]) {
				continue
			}
			end := argEnd(cp, at+len(fn)-1, 300)
			if _, ok := containsAnyOf(cp[at:end], cfmSources); ok {
				s.add("cfm.input-eval", 100, around(cp, at, 0, 80))
			}
		}
	}
	// raw SQL from a form field: a SQL console
	for i := 0; ; {
		j := bytes.Index(cp[i:], []byte("<cfquery"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 8
		end := bytes.Index(cp[at:min(len(cp), at+2000)], []byte("</cfquery"))
		if end < 0 {
			continue
		}
		body := cp[at : at+end]
		if gt := bytes.IndexByte(body, '>'); gt >= 0 {
			b := bytes.TrimSpace(body[gt+1:])
			if len(b) > 2 && b[0] == '#' && bytes.IndexByte(b[1:], '#') == len(b)-2 {
				if _, ok := containsAnyOf(b, cfmSources); ok {
					s.add("cfm.sql-input", 60, around(cp, at, 0, 90))
				}
			}
		}
	}
	if input && (s.has("cfm.execute") || s.has("cfm.java-runtime")) && len(s.raw) < 3000 {
		s.add("cfm.small-input-exec", 30, nil)
	}
}
