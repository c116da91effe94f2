package webshell

import (
	"bytes"
	"path"
	"strings"
)

var extLang = map[string]string{
	".php": LangPHP, ".php3": LangPHP, ".php4": LangPHP, ".php5": LangPHP, ".php7": LangPHP,
	".php8": LangPHP, ".pht": LangPHP, ".phtml": LangPHP, ".phar": LangPHP, ".phps": LangPHP,
	".inc": LangPHP,
	".jsp": LangJSP, ".jspx": LangJSP, ".jspf": LangJSP, ".jsw": LangJSP, ".jsv": LangJSP,
	".jhtml": LangJSP,
	".asp":   LangASP, ".asa": LangASP, ".cer": LangASP, ".cdx": LangASP,
	".aspx": LangASPX, ".ashx": LangASPX, ".asmx": LangASPX, ".ascx": LangASPX, ".asax": LangASPX,
	".cshtml": LangASPX,
	".pl":     LangPerl, ".pm": LangPerl, ".py": LangPython, ".rb": LangRuby,
	".cfm": LangCFM, ".cfml": LangCFM, ".cfc": LangCFM,
}

// sniffLen is how much of the head of a file language sniffing looks at.
const sniffLen = 64 << 10

// DetectLanguage names the language of a web file from its extension, or, when the extension
// says nothing (.txt, .cgi, no extension, an image), from its content. It returns LangUnknown
// when neither tells.
func DetectLanguage(name string, content []byte) string {
	if imageMagic(content) && !imagePHP(content[:min(len(content), MaxScan)]) {
		// an image whose bytes happen to hold "<?" somewhere: no code
		return LangUnknown
	}
	ext := strings.ToLower(path.Ext(name))
	if l, ok := extLang[ext]; ok {
		if l == LangPHP && !hasPHPOpen(lowerHead(content)) {
			// a .php file without PHP in it: the content decides (shell kits rename files)
			if c := sniff(content); c != LangUnknown {
				return c
			}
		}
		if l == LangASP || l == LangASPX {
			// .asp and .aspx are often mixed up by shell authors; the content decides.
			if c := sniffASP(lowerHead(content)); c != "" {
				return c
			}
		}
		return l
	}
	return sniff(content)
}

func lowerHead(content []byte) []byte {
	n := len(content)
	if n > sniffLen {
		n = sniffLen
	}
	return toLower(content[:n])
}

// sniff guesses a language from content only.
func sniff(content []byte) string {
	lc := lowerHead(content)
	if bytes.HasPrefix(lc, []byte("#!")) {
		first := lc
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		switch {
		case bytes.Contains(first, []byte("perl")):
			return LangPerl
		case bytes.Contains(first, []byte("python")):
			return LangPython
		case bytes.Contains(first, []byte("ruby")):
			return LangRuby
		case bytes.Contains(first, []byte("php")):
			return LangPHP
		}
	}
	if hasPHPOpen(lc) {
		return LangPHP
	}
	if containsAny(lc, "<cfset", "<cfoutput", "<cfexecute", "<cfscript", "<cfif", "<cffile", "<cfquery", "<cfdirectory") {
		return LangCFM
	}
	if bytes.Contains(lc, []byte("<%")) || bytes.Contains(lc, []byte("<jsp:")) {
		if l := sniffASP(lc); l != "" {
			return l
		}
		if containsAny(lc, "<%@ page", "<%@page", "<jsp:", "request.getparameter", "out.print", "java.io.", "<%!") {
			return LangJSP
		}
	}
	if lineStarts(lc, "import os", "import sys", "import socket", "import subprocess", "import cgi", "from flask", "from django", "import base64") {
		return LangPython
	}
	if lineStarts(lc, "require 'socket'", "require 'cgi'", "require \"socket\"", "require \"cgi\"", "require 'open3'") {
		return LangRuby
	}
	if containsAny(lc, "use cgi", "$env{'query_string'}", "$env{\"query_string\"}", "$env{query_string}", "#!/usr/bin/perl", "#!/usr/local/bin/perl") {
		return LangPerl
	}
	return LangUnknown
}

// sniffASP tells classic ASP from ASP.NET, or "" when the text is neither.
func sniffASP(lc []byte) string {
	switch {
	case containsAny(lc, `language="c#"`, `language=c#`, "language=\"vb\"", `runat="server"`, "system.diagnostics", "<%@ import", "<%@import", `language="jscript"`, "page language=\"c#", "webhandler"):
		return LangASPX
	case containsAny(lc, "<%@ language", "<%@language", "server.createobject", "request.form(", "request.querystring(", "response.write ", "response.write(", "request(\"", "language=\"vbscript\"", "on error resume next", "execute(request", "eval request", "eval(request"):
		if containsAny(lc, "request.getparameter", "out.print", "<%@ page import", "<%@page import") {
			return ""
		}
		return LangASP
	}
	return ""
}

// hasPHPOpen reports whether lower-cased text has a PHP open tag.
func hasPHPOpen(lc []byte) bool {
	if bytes.Contains(lc, []byte("<?php")) || bytes.Contains(lc, []byte("<?=")) || bytes.Contains(lc, []byte(`<script language="php"`)) {
		return true
	}
	// short tag "<?" followed by space or "$", not "<?xml".
	for i := 0; ; {
		j := bytes.Index(lc[i:], []byte("<?"))
		if j < 0 {
			return false
		}
		i += j + 2
		if i < len(lc) {
			c := lc[i]
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '$' || c == '@' {
				return true
			}
		}
	}
}

func containsAny(b []byte, subs ...string) bool {
	for _, s := range subs {
		if bytesContainsString(b, s) {
			return true
		}
	}
	return false
}

func bytesContainsString(b []byte, s string) bool {
	return bytes.Contains(b, []byte(s))
}

// lineStarts reports a line of lc that starts with one of the prefixes.
func lineStarts(lc []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		for i := 0; ; {
			j := bytes.Index(lc[i:], []byte(p))
			if j < 0 {
				break
			}
			at := i + j
			if at == 0 || lc[at-1] == '\n' {
				return true
			}
			i = at + 1
		}
	}
	return false
}

// imageMagic reports content that starts like an image.
func imageMagic(r []byte) bool {
	return bytes.HasPrefix(r, []byte("GIF8")) || bytes.HasPrefix(r, []byte("\xff\xd8\xff")) ||
		bytes.HasPrefix(r, []byte("\x89PNG")) || bytes.HasPrefix(r, []byte("BM")) && len(r) > 2 && r[2] != ' '
}

// imagePHP reports an image that carries PHP code: an open tag followed by readable code with
// a call or a variable in it before the close tag, not the random bytes of compressed pixels
// that happen to spell "<?".
func imagePHP(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("<?"))
		if j < 0 {
			return false
		}
		st := i + j + 2
		i = st
		if st+4 <= len(b) && bytes.EqualFold(b[st:st+3], []byte("php")) && isSpace(b[st+3]) {
			return true // "<?php ": no pixels spell that by chance
		}
		end := min(len(b), st+512)
		if k := bytes.Index(b[st:end], []byte("?>")); k >= 0 {
			end = st + k
		}
		code := b[st:end]
		if len(code) < 4 {
			continue
		}
		bad := 0
		for _, c := range code {
			if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7f {
				bad++
			}
		}
		if bad*20 > len(code) {
			continue
		}
		if bytes.IndexByte(code, '(') >= 0 && (bytes.IndexByte(code, '$') >= 0 || bytes.IndexByte(code, ';') >= 0) {
			return true
		}
	}
}
