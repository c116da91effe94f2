package webshell

import (
	"bytes"
	"strings"
)

// ColdFusion pages. The tags that act (cfexecute, cffile, cfquery, cfinclude, cfhttp,
// cfdirectory, cfset, cfoutput's #expressions#) are rewritten as CFScript statements, which
// the C-family lexer reads: <cfexecute name="#form.c#"> becomes cfexecute((form.c));.

var cfmProfile = &profile{
	name:           "cfm",
	commaEnds:      false,
	globalFallback: true,
	assignOps:      set("=", "&=", "+="),
	joinOps:        set("&", "+", "-", "*", "/"),
	boolOps:        set("==", "!=", "<", ">", "<=", ">=", "&&", "||", "!"),
	boolWords:      set("eq", "neq", "is", "not", "and", "or", "gt", "lt", "gte", "lte", "contains", "len", "isdefined", "structkeyexists"),
	concatOps:      set("&", "+"),
	keywordNoValue: set("var", "return", "new"),
	funcs: map[string]sinkSpec{
		"cfexecute": sink(skExec, -1), "evaluate": sink(skCode, 0), "precisionevaluate": sink(skCode, 0),
		"cfinclude": sink(skInclude, 0), "cffile_write": sink2(skWrite, 0, 1), "cffile_append": sink2(skWrite, 0, 1),
		"cffile_read": sink(skRead, 0), "cffile_delete": sink(skDelete, 0), "cffile_rename": sink(skDelete, 0),
		"cffile_move": sink(skDelete, 0), "cffile_copy": sink(skDelete, 0), "cfdirectory": sink(skList, 0),
		"cfquery": sink(skSQL, 0), "cfhttp": sink(skSocket, 0), "filewrite": sink2(skWrite, 0, 1),
		"fileread": sink(skRead, 0), "filedelete": sink(skDelete, 0), "directorylist": sink(skList, 0),
		"cffile_upload": sink2(skUpload, 0, 1),
	},
	methods:    javaProfile.methods,
	sanitizers: set("len", "isdefined", "structkeyexists", "val", "htmleditformat", "encodeforhtml", "xmlformat", "urlencodedformat", "isnumeric", "fileexists", "directoryexists"),
	wrappers:   set("trim", "lcase", "ucase", "tostring", "urldecode", "tobinary", "charsetencode", "charsetdecode", "replace", "mid", "left", "right"),
	decoders:   set("tobinary", "tobase64", "binarydecode", "charsetencode"),
	danger:     set("cfexecute", "evaluate", "java.lang.runtime", "java.lang.processbuilder"),
}

func init() {
	p := cfmProfile
	p.source = cfmSource
	p.collect = collectGeneric
	p.features = cfmFeatures
	p.foldCall = map[string]foldFn{"chr": foldChr, "tobinary": foldArg(0, decodeBase64), "reverse": pureArg(0, reverseString), "lcase": pureArg(0, strings.ToLower)}
	p.foldMethod = javaFoldMethods
	p.nest = func(u *unit, code string) {
		src := cfmCode([]byte(code))
		n := newUnit(cfmProfile, src, lexCF(src), u.an, u.depth+1)
		n.run()
	}
	langAnalyzers[LangCFM] = func(an *analysis, content []byte) *unit {
		src := cfmCode(content)
		return newUnit(cfmProfile, src, lexCF(src), an, 0)
	}
}

// cfmSource: url.x, form.x, cookie.x, the cgi variables the client writes, and
// getHttpRequestData().
func cfmSource(u *unit, i int) (int, string, bool) {
	t := &u.t[i]
	if t.k != tkIdent {
		return 0, "", false
	}
	switch t.lc {
	case "url", "form", "cookie", "client":
		if i > 0 && u.memberOp(i-1) {
			return 0, "", false
		}
		if t.lc == "form" && i > 1 && u.isOp(i-1, "(") && u.isIdent(i-2, "cffile_upload") && u.isOp(i+1, ".") {
			return i + 3, "the uploaded file (form." + u.t[i+2].s + ")", true
		}
		if u.isOp(i+1, ".") && i+2 < len(u.t) && u.t[i+2].k == tkIdent {
			return i + 3, t.s + "." + u.t[i+2].s, false
		}
		if u.isOp(i+1, "[") {
			if c := u.closeOf(i + 1); c > 0 {
				return c + 1, t.s + "[" + u.evidence(i+2, c) + "]", false
			}
		}
	case "cgi":
		if u.isOp(i+1, ".") && i+2 < len(u.t) && cgiEnvInput(u.t[i+2].s) {
			return i + 3, "cgi." + u.t[i+2].s, false
		}
	case "gethttprequestdata":
		if u.isOp(i+1, "(") {
			if c := u.closeOf(i + 1); c > 0 {
				return c + 1, "getHttpRequestData()", false
			}
		}
	}
	return 0, "", false
}

// cfmFeatures: Java's Runtime reached through createObject, uploads.
func cfmFeatures(u *unit) {
	for ci := range u.calls {
		c := &u.calls[ci]
		if c.name == "createobject" && len(c.args) > 1 {
			if s, _, ok := u.fold(c.args[1][0], c.args[1][1]); ok && u.p.dangerName(s) {
				u.an.add("exec.reflection", wDynamicCall, u.callEvidence(c))
			}
		}
	}
	if u.depth == 0 {
		obfuscation(u)
		u.hiddenLiterals()
	}
}

// cfmCode rewrites a ColdFusion page's acting tags as CFScript (see above).
func cfmCode(src []byte) []byte {
	var out bytes.Buffer
	lc := toLower(src)
	text := func(b []byte) {
		// #expr# in text: expressions the page prints
		for {
			i := bytes.IndexByte(b, '#')
			if i < 0 {
				return
			}
			j := bytes.IndexByte(b[i+1:], '#')
			if j < 0 {
				return
			}
			if j > 0 && j < 300 {
				out.WriteString("(")
				out.Write(b[i+1 : i+1+j])
				out.WriteString(");\n")
			}
			b = b[i+j+2:]
		}
	}
	for i := 0; i < len(src); {
		j := bytes.Index(lc[i:], []byte("<cf"))
		if j < 0 {
			text(src[i:])
			break
		}
		text(src[i : i+j])
		at := i + j
		end := cfmTagEnd(src, at)
		tag := src[at:end]
		name := tagName(lc[at+1 : end])
		attrs := cfmAttrs(tag)
		i = end
		switch name {
		case "cfset":
			if len(tag) < len("<cfset")+1 {
				continue
			}
			body := bytes.TrimSpace(bytes.TrimSuffix(tag[len("<cfset"):], []byte(">")))
			body = bytes.TrimSuffix(body, []byte("/"))
			out.Write(body)
			out.WriteString(";\n")
		case "cfscript":
			e := bytes.Index(lc[end:], []byte("</cfscript"))
			if e < 0 {
				e = len(src) - end
			}
			out.Write(src[end : end+e])
			out.WriteString(";\n")
			i = end + e
		case "cfexecute":
			fmt := "cfexecute(" + cfmValue(attrs["name"]) + ", " + cfmValue(attrs["arguments"]) + ");\n"
			out.WriteString(fmt)
		case "cffile":
			action := strings.ToLower(attrs["action"])
			switch action {
			case "upload", "uploadall":
				dst := attrs["destination"]
				out.WriteString("cffile_upload(form." + strings.Trim(attrs["filefield"], "#") + ", " + cfmValue(dst) + ");\n")
			case "write", "append":
				out.WriteString("cffile_" + action + "(" + cfmValue(attrs["file"]) + ", " + cfmValue(attrs["output"]) + ");\n")
			case "read", "readbinary":
				out.WriteString("cffile_read(" + cfmValue(attrs["file"]) + ");\n")
			case "delete", "rename", "move", "copy":
				out.WriteString("cffile_" + action + "(" + cfmValue(attrs["file"]+attrs["source"]) + ");\n")
			}
		case "cfquery":
			e := bytes.Index(lc[end:], []byte("</cfquery"))
			if e < 0 {
				e = len(src) - end
			}
			out.WriteString("cfquery(" + cfmValue(strings.TrimSpace(string(src[end:end+e]))) + ");\n")
			i = end + e
		case "cfinclude", "cfmodule":
			out.WriteString("cfinclude(" + cfmValue(attrs["template"]) + ");\n")
		case "cfhttp":
			out.WriteString("cfhttp(" + cfmValue(attrs["url"]) + ");\n")
		case "cfdirectory":
			out.WriteString("cfdirectory(" + cfmValue(attrs["directory"]) + ");\n")
		case "cfobject":
			out.WriteString("createObject(" + cfmValue(attrs["type"]) + ", " + cfmValue(attrs["class"]) + ");\n")
		case "cfoutput", "cfif", "cfelseif", "cfreturn", "cfloop", "cfparam", "cflocation", "cfcookie", "cfheader":
			text(tag)
		}
	}
	return out.Bytes()
}

// cfmTagEnd returns the index after the '>' that ends the tag at i (quotes respected).
func cfmTagEnd(src []byte, i int) int {
	var q byte
	for k := i; k < len(src); k++ {
		c := src[k]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '>':
			return k + 1
		}
	}
	return len(src)
}

func tagName(b []byte) string {
	e := 0
	for e < len(b) && (isIdentByte(b[e]) || b[e] == ':') {
		e++
	}
	return string(b[:e])
}

// cfmAttrs reads a tag's attributes (names lower-cased).
func cfmAttrs(tag []byte) map[string]string {
	m := map[string]string{}
	s := string(tag)
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		k := i - 1
		for k >= 0 && s[k] == ' ' {
			k--
		}
		e := k + 1
		for k >= 0 && isIdentByte(s[k]) {
			k--
		}
		name := strings.ToLower(s[k+1 : e])
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) {
			break
		}
		var v string
		if s[j] == '"' || s[j] == '\'' {
			// the closing quote, skipping #expressions# (which may hold quotes)
			q := s[j]
			e, hash := j+1, false
			for e < len(s) && (s[e] != q || hash) {
				if s[e] == '#' {
					hash = !hash
				}
				e++
			}
			if e >= len(s) {
				break
			}
			v = s[j+1 : e]
			i = e
		} else {
			e := j
			for e < len(s) && s[e] != ' ' && s[e] != '>' {
				e++
			}
			v = s[j:e]
			i = e
		}
		if name != "" {
			m[name] = v
		}
	}
	return m
}

// cfmValue turns an attribute value into a CFScript expression: text between #...# is code,
// the rest string literals, joined with &.
func cfmValue(v string) string {
	if v == "" {
		return `""`
	}
	var parts []string
	for {
		i := strings.IndexByte(v, '#')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i+1:], '#')
		if j < 0 {
			break
		}
		if i > 0 {
			parts = append(parts, cfmQuote(v[:i]))
		}
		parts = append(parts, "("+v[i+1:i+1+j]+")")
		v = v[i+j+2:]
	}
	if v != "" || len(parts) == 0 {
		parts = append(parts, cfmQuote(v))
	}
	return strings.Join(parts, " & ")
}

func cfmQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
