package webshell

import (
	"bytes"
)

// Template pages (JSP, ASP, ASP.NET) mix markup and code. The code views below have the length
// of the page: markup and delimiters become spaces (line breaks kept), the code stays where it
// was, and an expression (<%= x %>) is closed as a statement, so the lexers read only code and
// offsets still point into the page.

// blankRange turns b[lo:hi] into spaces, keeping line breaks.
func blankRange(b []byte, lo, hi int) {
	for i := max(lo, 0); i < hi && i < len(b); i++ {
		if b[i] != '\n' {
			b[i] = ' '
		}
	}
}

// xmlEntities resolves the entities of XML text in place (the entity's other bytes become
// spaces) and drops CDATA markers: JSPX pages and <jsp:scriptlet> bodies are XML.
func xmlEntities(b []byte, lo, hi int) {
	for i := lo; i < hi && i < len(b); i++ {
		if b[i] == '<' && bytes.HasPrefix(b[i:], []byte("<![CDATA[")) {
			blankRange(b, i, i+9)
			e := bytes.Index(b[i+9:hi], []byte("]]>"))
			if e < 0 {
				return
			}
			blankRange(b, i+9+e, i+9+e+3)
			i += 9 + e + 2
			continue
		}
		if b[i] != '&' {
			continue
		}
		for _, ent := range []struct {
			name string
			c    byte
		}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}} {
			if bytes.HasPrefix(b[i:hi], []byte(ent.name)) {
				b[i] = ent.c
				blankRange(b, i+1, i+len(ent.name))
				break
			}
		}
	}
}

// jspCode returns the Java code of a JSP or JSPX page (see above), the page's directives'
// imports and whether the page had any code at all.
func jspCode(src []byte) (code []byte, any bool) {
	code, any, _ = jspCodeEL(src)
	return code, any
}

// jspCodeEL is jspCode with the Expression Language of the page's text: each ${...} and
// #{...} outside the scriptlets and comments is kept as an expression statement, and its
// ranges are returned (the EL's implicit objects param, header, cookie are the request's).
func jspCodeEL(src []byte) (code []byte, any bool, el [][2]int) {
	code = make([]byte, len(src))
	copy(code, src)
	keep := make([]bool, len(src)) // bytes that are code
	skip := make([]bool, len(src)) // comments and directives
	lc := toLower(src)
	for i := 0; i < len(src); {
		j := bytes.IndexByte(lc[i:], '<')
		if j < 0 {
			break
		}
		at := i + j
		rest := lc[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<%--")):
			e := bytes.Index(lc[at+4:], []byte("--%>"))
			if e < 0 {
				i = len(src)
			} else {
				i = at + 4 + e + 4
			}
			for k := at; k < i; k++ {
				skip[k] = true
			}
		case bytes.HasPrefix(rest, []byte("<%@")):
			e := bytes.Index(lc[at:], []byte("%>"))
			if e < 0 {
				i = len(src)
			} else {
				i = at + e + 2
			}
			for k := at; k < i; k++ {
				skip[k] = true
			}
		case bytes.HasPrefix(rest, []byte("<%")):
			start := at + 2
			expr := false
			if start < len(src) && (src[start] == '=' || src[start] == '!') {
				expr = src[start] == '='
				start++
			}
			start = min(start, len(src))
			e := bytes.Index(src[start:], []byte("%>"))
			end := len(src)
			if e >= 0 {
				end = start + e
			}
			for k := start; k < end; k++ {
				keep[k] = true
			}
			if end < len(src) {
				keep[end] = true
				code[end] = ';'
			}
			if expr && start > 0 {
				// out.print(expr): the expression's value goes to the page
				keep[start-1] = true
				code[start-1] = ' '
			}
			any = true
			i = end + 2
		case bytes.HasPrefix(rest, []byte("<jsp:scriptlet")) || bytes.HasPrefix(rest, []byte("<jsp:declaration")) || bytes.HasPrefix(rest, []byte("<jsp:expression")):
			gt := bytes.IndexByte(lc[at:], '>')
			if gt < 0 {
				i = len(src)
				break
			}
			start := at + gt + 1
			if lc[at+gt-1] == '/' {
				i = start
				break
			}
			e := bytes.Index(lc[start:], []byte("</jsp:"))
			end := len(src)
			if e >= 0 {
				end = start + e
			}
			for k := start; k < end; k++ {
				keep[k] = true
			}
			if end < len(src) {
				keep[end] = true
				code[end] = ';'
			}
			xmlEntities(code, start, end)
			any = true
			i = end + 1
		default:
			i = at + 1
		}
	}
	// the Expression Language in the page's text
	for i := 0; i+2 < len(src); i++ {
		if src[i+1] != '{' || src[i] != '$' && src[i] != '#' || keep[i] || skip[i] || i > 0 && src[i-1] == '\\' {
			continue
		}
		end := elEnd(src, i+2)
		if end < 0 {
			continue
		}
		for k := i + 2; k < end; k++ {
			keep[k] = true
		}
		keep[end] = true
		code[end] = ';'
		xmlEntities(code, i+2, end)
		el = append(el, [2]int{i + 2, end})
		any = true
		i = end
	}
	for k := range code {
		if !keep[k] && code[k] != '\n' {
			code[k] = ' '
		}
	}
	return code, any, el
}

// elEnd returns the index of the brace that closes an EL expression starting at i (skipping
// quoted strings and nested braces), or -1.
func elEnd(src []byte, i int) int {
	depth := 0
	for k := i; k < len(src) && k < i+4096; k++ {
		switch c := src[k]; c {
		case '"', '\'':
			e := bytes.IndexByte(src[k+1:min(len(src), k+4096)], c)
			if e < 0 {
				return -1
			}
			k += e + 1
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return k
			}
			depth--
		case '<':
			return -1 // markup: no EL (which spells less-than lt)
		}
	}
	return -1
}

// aspCode returns the code of an ASP or ASP.NET page (see above) and the language it is
// written in: "vb" (VBScript, VB.NET) or "c" (C#, JScript, JavaScript).
func aspCode(src []byte, classic bool) (code []byte, lang string) {
	code = make([]byte, len(src))
	copy(code, src)
	keep := make([]bool, len(src))
	lc := toLower(src)
	lang = ""
	for i := 0; i < len(src); {
		j := bytes.IndexByte(lc[i:], '<')
		if j < 0 {
			break
		}
		at := i + j
		rest := lc[at:]
		switch {
		case bytes.HasPrefix(rest, []byte("<%--")):
			e := bytes.Index(lc[at+4:], []byte("--%>"))
			if e < 0 {
				i = len(src)
			} else {
				i = at + 4 + e + 4
			}
		case bytes.HasPrefix(rest, []byte("<%@")):
			e := bytes.Index(lc[at:], []byte("%>"))
			end := len(src)
			if e >= 0 {
				end = at + e
			}
			if l := languageAttr(lc[at:end]); l != "" && lang == "" {
				lang = l
			}
			i = end + 2
		case bytes.HasPrefix(rest, []byte("<%")):
			start := at + 2
			if start < len(src) && (src[start] == '=' || src[start] == '#' || src[start] == ':') {
				start++
			}
			start = min(start, len(src))
			e := bytes.Index(src[start:], []byte("%>"))
			end := len(src)
			if e >= 0 {
				end = start + e
			}
			for k := start; k < end; k++ {
				keep[k] = true
			}
			if end < len(src) {
				// a statement ends here, in either language
				keep[end], keep[end+1] = true, true
				code[end], code[end+1] = ';', '\n'
			}
			i = end + 2
		case bytes.HasPrefix(rest, []byte("<script")):
			gt := bytes.IndexByte(lc[at:], '>')
			if gt < 0 {
				i = len(src)
				break
			}
			tag := lc[at : at+gt]
			if !bytes.Contains(tag, []byte("runat")) || !bytes.Contains(tag, []byte("server")) {
				i = at + gt + 1
				break
			}
			if l := languageAttr(tag); l != "" && lang == "" {
				lang = l
			}
			start := at + gt + 1
			e := bytes.Index(lc[start:], []byte("</script"))
			end := len(src)
			if e >= 0 {
				end = start + e
			}
			for k := start; k < end; k++ {
				keep[k] = true
			}
			if end < len(src) {
				keep[end] = true
				code[end] = '\n'
			}
			i = end + 1
		default:
			i = at + 1
		}
	}
	for k := range code {
		if !keep[k] && code[k] != '\n' {
			code[k] = ' '
		}
	}
	if lang == "" {
		lang = guessASPLang(code, classic)
	}
	return code, lang
}

// languageAttr reads language="..." from a directive or tag (lower case): "vb" or "c".
func languageAttr(tag []byte) string {
	i := bytes.Index(tag, []byte("language"))
	if i < 0 {
		return ""
	}
	v := bytes.TrimLeft(tag[i+8:], " \t=\"'")
	switch {
	case bytes.HasPrefix(v, []byte("vb")):
		return "vb"
	case bytes.HasPrefix(v, []byte("c#")), bytes.HasPrefix(v, []byte("csharp")), bytes.HasPrefix(v, []byte("jscript")), bytes.HasPrefix(v, []byte("javascript")), bytes.HasPrefix(v, []byte("js")):
		return "c"
	}
	return ""
}

// guessASPLang tells VB from C-family code by their habits when the page does not say.
func guessASPLang(code []byte, classic bool) string {
	lc := bytes.ToLower(code)
	vb, c := 0, 0
	for _, w := range []string{"dim ", "set ", "end if", " then", "end sub", "end function", "wend", "next\n", "response.write ", "on error resume"} {
		vb += bytes.Count(lc, []byte(w))
	}
	for _, w := range []string{"{", "}", "var ", "string ", "new ", "==", "!="} {
		c += bytes.Count(lc, []byte(w))
	}
	if classic {
		if c > 3*vb+3 {
			return "c"
		}
		return "vb"
	}
	if vb > c {
		return "vb"
	}
	return "c"
}
