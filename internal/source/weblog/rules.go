package weblog

import (
	"bytes"
	"strconv"
	"strings"
)

// MITRE ATT&CK techniques used by the rules.
var (
	attExploit    = []string{"T1190"}                       // Exploit Public-Facing Application
	attTraversal  = []string{"T1190", "T1083"}              // ... and File and Directory Discovery
	attCmd        = []string{"T1190", "T1059.004"}          // ... and Unix Shell
	attRFI        = []string{"T1190", "T1105"}              // ... and Ingress Tool Transfer
	attPHP        = []string{"T1190", "T1059"}              // ... and Command and Scripting Interpreter
	attWebshell   = []string{"T1505.003"}                   // Server Software Component: Web Shell
	attUpload     = []string{"T1190", "T1105", "T1505.003"} // a script put on the server
	attVulnScan   = []string{"T1595.002"}                   // Active Scanning: Vulnerability Scanning
	attWordlist   = []string{"T1595.003"}                   // Active Scanning: Wordlist Scanning
	attSecrets    = []string{"T1595.003", "T1552.001"}      // ... and Credentials In Files
	attProxy      = []string{"T1090"}                       // Proxy
	attXSS        = []string{"T1189"}                       // Drive-by Compromise
	attLogin      = []string{"T1110.001"}                   // Brute Force: Password Guessing
	attAdminShare = []string{"T1021.002"}                   // SMB/Windows Admin Shares (worms)
)

// The rules. Severity is for a failed attempt; Raise adds one level when the answer was 2xx.
var (
	rSQLiUnion     = newRule("web.sqli.union-select", CatSQLi, sevMedium, true, attExploit, "SQL injection: UNION SELECT")
	rSQLiTaut      = newRule("web.sqli.tautology", CatSQLi, sevMedium, true, attExploit, "SQL injection: always-true condition (' or 1=1)")
	rSQLiComment   = newRule("web.sqli.quote-comment", CatSQLi, sevMedium, true, attExploit, "SQL injection: quote closed and rest commented out")
	rSQLiFunc      = newRule("web.sqli.function", CatSQLi, sevMedium, true, attExploit, "SQL injection: database functions or catalog tables (sleep(, benchmark(, information_schema)")
	rTraversal     = newRule("web.traversal.dotdot", CatTraversal, sevMedium, true, attTraversal, "path traversal: ../ (any encoding)")
	rSensitiveFile = newRule("web.traversal.sensitive-file", CatTraversal, sevMedium, true, attTraversal, "system file named in the request (/etc/passwd, win.ini, boot.ini)")
	rCmdMeta       = newRule("web.cmdi.shell-meta", CatCmdInjection, sevHigh, true, attCmd, "command injection: shell separator and command (;id, |uname, $( ), backticks)")
	rCmdDownload   = newRule("web.cmdi.shell-command", CatCmdInjection, sevHigh, true, attCmd, "command injection: shell or download command (/bin/sh, wget http, curl http, nc -e)")
	rLFIWrapper    = newRule("web.lfi.php-wrapper", CatLFI, sevMedium, true, attTraversal, "file inclusion: PHP stream wrapper (php://filter, php://input, data://, expect://)")
	rLFIProc       = newRule("web.lfi.proc", CatLFI, sevMedium, true, attTraversal, "file inclusion: /proc/self files")
	rLFINull       = newRule("web.lfi.null-byte", CatLFI, sevMedium, true, attTraversal, "file inclusion: %00 null byte to cut a file name")
	rLFIConfig     = newRule("web.lfi.config-file", CatLFI, sevMedium, true, attTraversal, "file inclusion: application configuration named in a parameter (wp-config.php)")
	rRFI           = newRule("web.rfi.remote-url", CatRFI, sevMedium, true, attRFI, "remote file inclusion: URL in an include-like parameter")
	rLog4Shell     = newRule("web.log4shell.jndi", CatLog4Shell, sevHigh, true, attExploit, "Log4Shell (CVE-2021-44228): ${jndi: lookup, obfuscated or not")
	rShellshock    = newRule("web.shellshock", CatShellshock, sevHigh, true, attCmd, "Shellshock (CVE-2014-6271): () { function definition in a header")
	rPHPCode       = newRule("web.php.code", CatPHPInjection, sevHigh, true, attPHP, "PHP code injection (<?php, eval(, system(, base64_decode()")
	rPHPCGI        = newRule("web.php.cgi-args", CatPHPInjection, sevHigh, true, attPHP, "PHP-CGI argument injection (CVE-2012-1823, CVE-2024-4577): allow_url_include, auto_prepend_file")
	rJavaExpr      = newRule("web.rce.java-expression", CatCVEProbe, sevHigh, true, attExploit, "Java expression injection (OGNL/SpEL: Struts, Confluence, Spring)")
	rXSS           = newRule("web.xss", CatXSS, sevLow, true, attXSS, "cross-site scripting probe (<script, javascript:, onerror=)")

	rNimda      = newRule("web.worm.nimda", CatCVEProbe, sevLow, true, attExploit, "Nimda / IIS traversal worm probe (root.exe, cmd.exe, winnt/system32)")
	rCodeRed    = newRule("web.worm.codered", CatCVEProbe, sevLow, true, attExploit, "Code Red worm probe (default.ida overflow)")
	rIIS        = newRule("web.cve.iis", CatCVEProbe, sevLow, true, attExploit, "old IIS / FrontPage exploit probe (_vti_bin, msadc, nsiislog.dll, fp30reg.dll, .ida/.idq)")
	rWebDAV     = newRule("web.cve.webdav-overflow", CatCVEProbe, sevMedium, true, attExploit, "WebDAV request with an overlong target (MS03-007 SEARCH overflow and the like)")
	rDAVSearch  = newRule("web.cve.webdav-search", CatCVEProbe, sevLow, true, attExploit, "WebDAV SEARCH request (probe before the MS03-007 ntdll.dll overflow)")
	rOverflow   = newRule("web.cve.overflow", CatCVEProbe, sevMedium, true, attExploit, "overlong request target full of binary (buffer overflow attempt)")
	rAdminShare = newRule("web.worm.admin-share", CatAdminProbe, sevLow, false, attAdminShare, "Windows admin share over WebDAV (/admin$, /c$): a worm on a Windows client")
	rCGITrav    = newRule("web.cve.apache-traversal", CatCVEProbe, sevHigh, true, attTraversal, "Apache 2.4.49/50 path traversal and RCE (CVE-2021-41773, CVE-2021-42013)")
	rPHPUnit    = newRule("web.cve.phpunit", CatCVEProbe, sevMedium, true, attExploit, "PHPUnit eval-stdin.php RCE (CVE-2017-9841)")
	rThinkPHP   = newRule("web.cve.thinkphp", CatCVEProbe, sevMedium, true, attExploit, "ThinkPHP invokefunction RCE (CVE-2018-20062, CVE-2019-9082)")
	rStruts     = newRule("web.cve.struts", CatCVEProbe, sevMedium, true, attExploit, "Apache Struts OGNL (%{(#..., redirect:${)")
	rSpring     = newRule("web.cve.spring", CatCVEProbe, sevMedium, true, attExploit, "Spring4Shell / Spring Cloud (CVE-2022-22965, CVE-2022-22947) or Actuator endpoints")
	rSolr       = newRule("web.cve.solr", CatCVEProbe, sevMedium, true, attExploit, "Apache Solr admin API (CVE-2019-17558, CVE-2019-0193)")
	rWordPress  = newRule("web.cve.wordpress-plugin", CatCVEProbe, sevMedium, true, attExploit, "known vulnerable WordPress plugin endpoint (revslider, wp-file-manager, ...)")
	rDrupal     = newRule("web.cve.drupalgeddon", CatCVEProbe, sevMedium, true, attExploit, "Drupalgeddon 2 (CVE-2018-7600): #post_render, element_parents")
	rJavaApp    = newRule("web.cve.java-appserver", CatCVEProbe, sevMedium, true, attExploit, "WebLogic / JBoss / Jenkins exploit endpoints (wls-wsat, _async, jmx-console, invoker)")
	rLaravel    = newRule("web.cve.laravel-ignition", CatCVEProbe, sevMedium, true, attExploit, "Laravel Ignition RCE (CVE-2021-3129)")
	rVPN        = newRule("web.cve.vpn-appliance", CatCVEProbe, sevMedium, true, attExploit, "VPN / load balancer appliance exploit (Fortinet, Pulse, Citrix, F5, VMware)")
	rExchange   = newRule("web.cve.exchange", CatCVEProbe, sevMedium, true, attExploit, "Microsoft Exchange ProxyShell/ProxyLogon probe")
	rIoT        = newRule("web.cve.iot", CatCVEProbe, sevMedium, true, attExploit, "router / IoT exploit (HNAP1, boaform, GponForm, setup.cgi, Mirai paths)")
	rOldCGI     = newRule("web.cve.cgi", CatCVEProbe, sevMedium, true, attExploit, "old CGI exploit (formmail, phf, test-cgi, awstats configdir)")
	rPMASetup   = newRule("web.cve.phpmyadmin-setup", CatCVEProbe, sevMedium, true, attExploit, "phpMyAdmin setup.php RCE (CVE-2009-1151)")
	rInfoPage   = newRule("web.probe.info-page", CatAdminProbe, sevLow, true, attWordlist, "server information page probe (/phpinfo.php, /server-status)")
	rSecretFile = newRule("web.probe.secret-file", CatCVEProbe, sevMedium, true, attSecrets, "secret or repository file (/.env, /.git/config, /.aws/credentials)")

	rShellName   = newRule("web.webshell.known-name", CatWebshell, sevMedium, true, attWebshell, "request to a well-known web shell name (c99.php, r57.php, wso.php, cmd.jsp, ...)")
	rShellParam  = newRule("web.webshell.command-param", CatWebshell, sevMedium, true, attWebshell, "command passed in a cmd=/exec= parameter to a script")
	rShellUpload = newRule("web.webshell.upload-dir-post", CatWebshell, sevMedium, true, attWebshell, "POST to a script inside an upload or image folder")

	rPutScript = newRule("web.upload.put-script", CatUpload, sevMedium, true, attUpload, "HTTP PUT/MOVE/COPY of a server-side script")
	rPut       = newRule("web.upload.put", CatUpload, sevLow, true, attUpload, "HTTP PUT of a file")
	rUploader  = newRule("web.upload.handler", CatUpload, sevMedium, true, attUpload, "known exploitable upload handler (uploadify, kcfinder, fckeditor, elfinder, jQuery-File-Upload)")

	rScannerUA   = newRule("web.scanner.user-agent", CatScanner, sevInfo, false, attVulnScan, "vulnerability scanner by its user agent (nikto, sqlmap, nmap, nuclei, ...)")
	rScannerPath = newRule("web.scanner.probe", CatScanner, sevInfo, false, attVulnScan, "scanner's signature request (w00tw00t, Nmap's Trinity.txt.bak, muieblackcat)")

	rDBAdmin    = newRule("web.admin.db-admin", CatAdminProbe, sevLow, true, attWordlist, "database admin tool probe (/phpmyadmin, /pma, /adminer)")
	rTomcat     = newRule("web.admin.tomcat-manager", CatAdminProbe, sevLow, true, attWordlist, "Tomcat manager probe (/manager/html)")
	rLoginProbe = newRule("web.admin.login-page", CatAdminProbe, sevLow, false, attWordlist, "probe for a CMS login page that is not there (/wp-login.php, /administrator/)")

	rProxyAbs     = newRule("web.proxy.absolute-uri", CatProxyAbuse, sevLow, true, attProxy, "proxy request: absolute URI to another host (open proxy test)")
	rProxyConnect = newRule("web.proxy.connect", CatProxyAbuse, sevLow, true, attProxy, "CONNECT request (open proxy test)")
	rProxySOCKS   = newRule("web.proxy.socks", CatProxyAbuse, sevLow, false, attProxy, "SOCKS 4/5 handshake sent to the web server (open proxy scan)")
	rProxyJudge   = newRule("web.proxy.judge", CatProxyAbuse, sevLow, true, attProxy, "proxy judge script (azenv.php, prxjdg.cgi)")

	rWPLogin     = newRule("web.login.wp-login", CatLogin, sevLow, false, attLogin, "WordPress login POST (count them: many from one source is a brute force)")
	rXMLRPCLogin = newRule("web.login.xmlrpc", CatLogin, sevLow, false, attLogin, "WordPress xmlrpc.php POST (system.multicall password guessing)")
)

// shellCommands are the commands injection payloads run first.
var shellCommands = []string{
	"id", "uname", "whoami", "cat", "ls", "wget", "curl", "echo", "sleep", "ping", "nc", "ncat",
	"bash", "sh", "rm", "chmod", "cd", "pwd", "ifconfig", "netstat", "ps", "perl", "python",
	"php", "busybox", "tftp", "mail", "telnet", "nslookup", "kill", "reboot", "sudo", "touch",
	"dir", "type", "net", "ipconfig", "systeminfo", "powershell", "cmd", "env", "printenv",
}

// knownShells are base names (without extension) of widely used web shells.
var knownShells = map[string]bool{
	"c99": true, "c99shell": true, "c100": true, "r57": true, "r57shell": true, "wso": true,
	"wso2": true, "b374k": true, "alfa": true, "alfashell": true, "shell": true, "cmd": true,
	"webshell": true, "indoxploit": true, "priv8": true, "filesman": true, "madspot": true,
	"sym": true, "sym403": true, "bypass": true, "cmdasp": true, "cmdjsp": true, "jspspy": true,
	"aspxspy": true, "aspxshell": true, "antsword": true, "godzilla": true, "behinder": true,
	"chopper": true, "china-chopper": true, "mini": true, "minishell": true, "phpspy": true,
	"safe0ver": true, "nstview": true, "gfs": true, "kacak": true, "r00t": true, "k2ll33d": true,
	"leafmailer": true, "marijuana": true, "ghost": true, "xleet": true, "wp-shell": true,
	"1n73ction": true, "h4x0r": true, "haxor": true, "0x": true, "404shell": true,
}

// execExts are extensions a web server runs as code.
var execExts = map[string]bool{
	".php": true, ".php3": true, ".php4": true, ".php5": true, ".php7": true, ".phtml": true,
	".phar": true, ".pht": true, ".jsp": true, ".jspx": true, ".asp": true, ".aspx": true,
	".ashx": true, ".asmx": true, ".cer": true, ".cgi": true, ".pl": true, ".py": true, ".shtml": true,
	".cfm": true,
}

var extNames = func() map[string]string {
	m := map[string]string{}
	for k := range execExts {
		m[k] = k
	}
	return m
}()

// uploadDirs are folder names where uploads land.
var uploadDirs = map[string]bool{
	"uploads": true, "upload": true, "images": true, "image": true, "img": true, "files": true,
	"file": true, "media": true, "tmp": true, "temp": true, "cache": true, "userfiles": true,
	"attachments": true, "attachment": true, "avatars": true, "photos": true, "pictures": true,
	"assets": true, "static": true,
}

func init() {
	// SQL injection.
	add(rSQLiUnion, fPQ, checkUnion, "union")
	add(rSQLiTaut, fPQ, checkTautology, "or", "and", "||", "&&")
	add(rSQLiComment, fPQ, nil, "'--", "' --", "'-- ", "';--", "')--", "'/*", "'#", "')#", "\"--", "' -- -")
	add(rSQLiComment, fPQ, checkOrderBy, "order by")
	add(rSQLiFunc, fPQ, boundaryBefore, "sleep(", "benchmark(", "pg_sleep(", "waitfor delay", "load_file(",
		"into outfile", "into dumpfile", "xp_cmdshell", "extractvalue(", "updatexml(", "@@version",
		"information_schema", "sysobjects", "mysql.user", "concat(0x", "concat_ws(", "group_concat(",
		"filetoclob(", "dbms_pipe", "utl_inaddr", "sqlite_master", "pg_catalog", "(select", "sys.user_objects",
		"make_set(", "elt(", "0x7e7e")
	add(rSQLiFunc, fPQ, checkCharNum, "char(", "chr(")

	// Traversal and files.
	add(rTraversal, fPQ, nil, "../", "..;/")
	add(rTraversal, fPQ, checkDotDotEnd, "/..")
	add(rSensitiveFile, fPQ, nil, "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hosts", "/etc/issue",
		"/etc/master.passwd", "win.ini", "boot.ini", "system.ini", "/.ssh/id_", "/.ssh/authorized_keys",
		".bash_history", "/windows/system32/", "/etc/httpd/", "/etc/apache2/", "/etc/nginx/")
	add(rLFIProc, fPQ, nil, "/proc/self/", "/proc/version", "/proc/net/")
	add(rLFINull, fRaw, nil, "%00", "%2500")
	add(rLFIConfig, fQuery, nil, "wp-config.php", "configuration.php", "localsettings.php", "/.env")
	add(rLFIWrapper, fQuery, checkValueStart, "php://", "data://", "data:text/", "data:;base64", "expect://", "zip://",
		"phar://", "file://", "glob://", "compress.zlib://", "zlib://")
	add(rRFI, fQuery, checkRFI, "=http://", "=https://", "=ftp://", "=//")

	// Command injection.
	var metas []string
	for _, m := range []string{";", "|", "`", "&&", "${ifs}"} {
		for _, cmd := range shellCommands {
			metas = append(metas, m+cmd)
		}
	}
	for _, cmd := range []string{"id", "uname", "whoami", "wget", "curl", "nc", "ping"} {
		metas = append(metas, "\n"+cmd) // %0a
	}
	add(rCmdMeta, fPQ, checkCommandEnd, metas...)
	add(rCmdMeta, fPQ, nil, "${ifs}", "$ifs$")
	add(rCmdMeta, fPQ, checkSubshell, "$(")
	for c := byte('a'); c <= 'z'; c++ {
		add(rCmdMeta, fPQ, checkBacktick, "`"+string(c))
	}
	add(rCmdDownload, fPQ, boundaryBefore, "/bin/sh", "/bin/bash", "/bin/busybox", "/bin/cat", "/bin/mail",
		"/bin/echo", "/usr/bin/id", "/bin/id", "/bin/uname", "nc -e", "ncat -e", "sh -c ", "bash -c ", "bash -i",
		"/dev/tcp/", "/dev/udp/", "chmod 777", "chmod +x", "chmod 755", "chmod 0777", "python -c", "python3 -c",
		"perl -e", "php -r", "powershell", "cmd /c", "cmd.exe /c", "tftp -g", "tftp -i", "mkfifo /tmp", "rm -rf /tmp")
	add(rCmdDownload, fPQ, checkDownload, "wget ", "curl ")

	// Header injections.
	add(rLog4Shell, fAny, checkJNDI, "${")
	add(rShellshock, fAny, checkShellshock, "() {", "(){")

	// PHP.
	add(rPHPCode, fPQ|fUA, nil, "<?php", "<?=", "base64_decode(", "shell_exec(", "passthru(", "proc_open(",
		"pcntl_exec(", "phpinfo(", "call_user_func", "file_put_contents(", "create_function(", "gzinflate(",
		"str_rot13(", "$_get[", "$_post[", "$_request[", "$_cookie[", "$_server[", "die(md5(", "print(md5(",
		"echo(md5(", "var_dump(md5(", "fwrite(", "fputs(", "move_uploaded_file(")
	add(rPHPCode, fPQ|fUA, checkCall, "eval(", "assert(", "system(", "popen(", "exec(")
	add(rPHPCGI, fPQ, nil, "allow_url_include", "auto_prepend_file", "auto_append_file", "disable_functions",
		"safe_mode", "open_basedir", "suhosin.simulation")
	add(rPHPCGI, fRaw, nil, "%add+", "%add ")
	add(rJavaExpr, fPQ|fUA|fRef, nil, "java.lang.runtime", "getruntime().exec", "java.lang.processbuilder",
		"@java.lang", "new java.", "processbuilder(", "#_memberaccess", "@ognl", "#context[", "ognlcontext",
		"t(java.lang", "class.forname(", "javax.script.scriptenginemanager")
	add(rXSS, fPQ, nil, "<script", "</script", "javascript:", "vbscript:", "alert(", "prompt(", "document.cookie",
		"document.domain", "<img", "<svg", "<iframe", "<body", "&lt;script", "expression(", "<a href", "\"><", "'><",
		"<object", "<embed", "fromcharcode(", "string.fromcharcode")
	add(rXSS, fPQ, boundaryBefore, "onerror=", "onload=", "onmouseover=", "onfocus=", "onclick=", "ontoggle=")

	// Worms and old IIS.
	add(rNimda, fPQ, nil, "root.exe", "cmd.exe", "winnt/system32", "admin.dll")
	add(rCodeRed, fPath, nil, "default.ida")
	add(rCodeRed, fRaw, nil, "%u9090%u6858%ucbd3%u7801")
	add(rIIS, fPath, nil, "/_vti_bin/", "/_vti_pvt/", "/_mem_bin/", "/msadc/", "msadcs.dll", "nsiislog.dll",
		"fp30reg.dll", "fp4areg.dll", "shtml.exe", "shtml.dll", "/iisadmpwd/", "/iisadmin", ".printer", "owssvr.dll",
		"/scripts/..", "htimage.exe", "ism.dll", "+.htr")
	add(rIIS, fPath, checkEnd, ".idq", ".ida", ".htw")

	// CVE and exploit endpoints.
	add(rCGITrav, fRaw, nil, "/.%2e/", ".%%32%65", "%%32%65%%32%65", "%%32%65.")
	add(rPHPUnit, fPath, nil, "eval-stdin.php", "/phpunit/src/util/php/")
	add(rThinkPHP, fPQ, nil, "invokefunction", "think/app", "think/container", "/think/request/input",
		"think/template/driver")
	add(rStruts, fPQ, nil, "%{(#", "${(#", "redirect:${", "redirectaction:${", "action:${", "(#dm=", "(#_=",
		"(#context", "(#cmd=", "struts2-showcase", "/struts/utils.js")
	add(rSpring, fPQ, nil, "class.module.classloader", "/actuator/gateway", "/actuator/env", "/actuator/heapdump",
		"/actuator/jolokia", "/actuator/logfile", "/actuator/configprops", "/jolokia/exec",
		"spring.cloud.function.routing")
	add(rSolr, fPath, nil, "/solr/admin", "/dataimport")
	add(rWordPress, fPQ, nil, "revslider_show_image", "/revslider/temp/", "connector.minimal.php",
		"/wp-content/plugins/wp-file-manager/", "/wp-content/plugins/wpdiscuz/", "/wp-content/plugins/formcraft/",
		"/wp-content/plugins/wp-symposium/", "/wp-content/plugins/mailpoet/", "/wp-content/plugins/cherry-plugin/",
		"/wp-content/plugins/wp-mobile-detector/", "/wp-content/plugins/gravityforms/", "/wp-content/plugins/ultimate-member/",
		"/wp-content/plugins/elementor/", "/wp-content/plugins/duplicator/", "/wp-content/plugins/wp-fastest-cache/",
		"/wp-content/plugins/hello.php", "/wp-content/plugins/akismet/akismet.php", "/wp-content/plugins/revslider/",
		"/wp-content/plugins/woocommerce-payments/", "/wp-content/plugins/simple-file-list/", "/wp-content/themes/twentyfifteen/404.php",
		"/wp-admin/admin-ajax.php?action=revslider", "/xmlrpc.php?rsd")
	add(rDrupal, fPQ, nil, "element_parents=", "#post_render", "#lazy_builder", "[#markup]", "#access_callback",
		"/user/register?element")
	add(rJavaApp, fPath, nil, "/wls-wsat/", "/_async/asyncresponseservice", "/bea_wls_internal/",
		"/console/css/%2e", "/console/images/%2e", "/invoker/jmxinvokerservlet", "/invoker/ejbinvokerservlet",
		"/invoker/readonly", "/jmx-console/", "/web-console/", "/jbossmq-httpil/", "/jenkins/script",
		"/script/text", "/securityrealm/user/admin/descriptorbyname", "/api/jsonws/invoke", "/uddiexplorer/")
	add(rLaravel, fPath, nil, "/_ignition/execute-solution")
	add(rVPN, fPath, nil, "/remote/fgt_lang", "/dana-na/", "/dana-cached/", "/vpns/", "/vpn/../", "/tmui/login.jsp/..",
		"/mgmt/tm/util/bash", "/tmui/locallb/", "/ui/vropspluginui/", "/hue/", "/cgi-bin/kerbynet",
		"/global-protect/", "/ssl-vpn/hipreport.esp", "/remote/logincheck")
	add(rExchange, fPQ, nil, "autodiscover.json?@", "autodiscover.json@", "/owa/auth/x.js", "/ecp/y.js",
		"/powershell/?x-rps-cat=", "/aspnet_client/")
	add(rIoT, fPQ, nil, "/hnap1", "/boaform/", "/gponform/", "/setup.cgi?next_file=", "/tmunblock.cgi",
		"/cgi-bin/luci/;stok=", "/picsdesc.xml", "/ctrlt/deviceupgrade", "/soap.cgi?service=",
		"/cgi-bin/mainfunction.cgi", "/goform/set", "/goform/formsyscmd", "/shell?cd", "/cgi-bin/viewlog.asp",
		"/apply.cgi", "/userrpm/", "/cgi-bin/supervisor/", "/language/swedish", "/cgi-bin/nobody/",
		"/device.rsp", "/cgi-bin/jarrewrite.sh", "/mozi.")
	add(rOldCGI, fPath, nil, "formmail", "/cgi-bin/phf", "/cgi-bin/test-cgi", "/cgi-bin/php", "/cgi-bin/php5",
		"/cgi-bin/php-cgi", "/cgi-bin/printenv", "/cgi-bin/count.cgi", "/cgi-bin/handler", "/cgi-bin/websendmail",
		"/cgi-bin/campas", "/cgi-bin/view-source", "/cgi-bin/info2www", "/cgi-bin/excite", "/cgi-bin/lastlines.cgi",
		"/cgi-bin/bash", "/cgi-bin/sh", "/cgi-bin/test.cgi", "/openwebmail/userstat.pl")
	add(rOldCGI, fQuery, nil, "configdir=")
	add(rPMASetup, fPath, nil, "/scripts/setup.php", "/setup/index.php")
	add(rSecretFile, fPath, checkSecretFile, "/.env", "/.git/", "/.svn/", "/.hg/", "/.bzr/", "/.aws/",
		"/.docker/", "/.ssh/", "/.htpasswd", "/.ds_store", "/.idea/", "/.vscode/", "/wp-config.php.",
		"/wp-config.php~", "/config.php.bak", "/.bash_history", "/.npmrc", "/.git-credentials",
		"/web.config")
	add(rInfoPage, fPath, checkEnd, "/phpinfo.php", "/info.php", "/test.php", "/server-status", "/server-info",
		"/php_info.php", "/i.php")

	// Upload handlers.
	add(rUploader, fPath, nil, "uploadify.php", "/kcfinder/", "/fckeditor/editor/filemanager/", "/elfinder/php/",
		"/jquery-file-upload/", "/server/php/index.php", "/ckfinder/core/connector", "/filemanager/upload.php",
		"/plupload/", "/ajax_upload", "/php-upload/")

	// Scanners.
	add(rScannerUA, fUA, nil, "nikto", "sqlmap", "nmap", "masscan", "zgrab", "nuclei", "dirbuster", "gobuster",
		"wpscan", "acunetix", "nessus", "openvas", "w3af", "whatweb", "netsparker", "qualys", "zmeu", "morfeus",
		"jorgee", "l9explore", "feroxbuster", "fuzz faster", "wfuzz", "hydra", "havij", "paros", "webinspect",
		"appscan", "arachni", "skipfish", "commix", "xsser", "fimap", "dirb/", "(dirb", "burpcollaborator",
		"censysinspect", "internet-measurement", "expanse", "nimbostratus", "zmap", "brutus", "webshag",
		"httpx -", "projectdiscovery", "interactsh", "struts-pwn", "jaeles", "xray", "sysscan", "netcraft survey",
		"muhstik")
	add(rScannerPath, fPQ, nil, "w00tw00t", "/nice ports,/trinity.txt.bak", "trinity.txt.bak", "muieblackcat",
		"/sumthin", "muiemuie", "/cfide/administrator", "/hello.world", "/testing-put.txt")
	add(rProxyJudge, fPath, nil, "azenv.php", "prxjdg.cgi", "/proxyheader.php", "/testproxy.php", "/proxy.txt")

	// Admin probes.
	add(rDBAdmin, fPath, checkFolder, "/phpmyadmin", "/pma/", "/myadmin", "/mysqladmin", "/mysql-admin", "/phpmyadmin2",
		"/sqlmanager", "/websql", "/dbadmin", "/adminer", "/sqlweb", "/pgadmin", "/phppgadmin", "/mysql/admin",
		"/db/phpmyadmin", "/sql/phpmyadmin", "/mysqlmanager")
	// (with checkFolder: "/phpmyadmin/", "/phpMyAdmin-4.8/", not "/docs/phpmyadmin.html")
	add(rTomcat, fPath, checkFolder, "/manager/html", "/host-manager/", "/manager/text/", "/manager/status")

	buildIndex()
}

// requestRules are the rules on the request as a whole rather than on literals.
func (c *Classifier) requestRules() {
	r := c.r
	m := r.Method
	lp := c.path // normalized path
	ext := execExt(lp)
	switch {
	case m == "CONNECT":
		c.hit(rProxyConnect, "CONNECT to "+printable(r.Target, 120))
	case hasSchemePrefix(r.Target):
		c.hit(rProxyAbs, "absolute URI target (a proxy request) for "+printable(hostOfURL(r.Target), 120))
	}
	if m == "" && len(r.Target) >= 2 && (r.Target[0] == 4 || r.Target[0] == 5) && r.Target[1] <= 2 {
		c.hit(rProxySOCKS, "request line starts with a SOCKS"+itoa(int(r.Target[0]))+" greeting")
	}
	// WebDAV and overflows.
	if len(r.Target) >= 1024 {
		switch m {
		case "SEARCH", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MKCOL", "COPY", "MOVE":
			c.hit(rWebDAV, m+" with a "+itoa(len(r.Target))+"-byte target")
		default:
			if len(r.Target) >= 2048 && binaryCount(r.Target) >= 64 {
				c.hit(rOverflow, itoa(len(r.Target))+"-byte target with "+itoa(binaryCount(r.Target))+" binary bytes")
			}
		}
	}
	if m == "SEARCH" && len(r.Target) < 1024 {
		c.hit(rDAVSearch, "SEARCH method")
	}
	if isAdminShare(lp) {
		c.hit(rAdminShare, m+" to Windows share "+printable(r.Path, 40))
	}
	// Uploads.
	switch m {
	case "PUT", "MOVE", "COPY":
		if ext != "" {
			c.hit(rPutScript, m+" of a "+ext+" script")
		} else if m == "PUT" {
			c.hit(rPut, "PUT of "+printable(r.Path, 120))
		}
	}
	// Web shells.
	if ext != "" {
		base := lp[bytes.LastIndexByte(lp, '/')+1:]
		if knownShells[string(base[:len(base)-len(ext)])] {
			c.hit(rShellName, "web shell name "+printable(string(base), 60))
		}
		if m == "POST" && inUploadDir(lp) {
			c.hit(rShellUpload, "POST to script "+printable(r.Path, 120)+" in an upload folder")
		}
		if name, val, ok := commandParam(c.query); ok {
			c.hit(rShellParam, "parameter "+name+"="+printable(val, 80))
		}
	}
	// Logins.
	if m == "POST" {
		switch {
		case hasSuffix(lp, "/wp-login.php"):
			c.hit(rWPLogin, "POST /wp-login.php")
		case hasSuffix(lp, "/xmlrpc.php"):
			c.hit(rXMLRPCLogin, "POST /xmlrpc.php")
		}
	} else if r.Status >= 400 && r.Status < 500 && (hasSuffix(lp, "/wp-login.php") ||
		hasSuffix(lp, "/administrator/index.php") || hasSuffix(lp, "/administrator/") ||
		hasSuffix(lp, "/user/login") || hasSuffix(lp, "/admin/login.php")) {
		c.hit(rLoginProbe, "login page "+printable(r.Path, 80)+" absent")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func hasSuffix(s []byte, suf string) bool {
	return len(s) >= len(suf) && string(s[len(s)-len(suf):]) == suf
}

// execExt gives the extension of the last element of a normalized path, with its dot, when it
// is one a web server runs as code ("" otherwise).
func execExt(p []byte) string {
	for i := len(p) - 1; i >= 0 && p[i] != '/'; i-- {
		if p[i] == '.' {
			return extNames[string(p[i:])] // no string is made
		}
	}
	return ""
}

// inUploadDir reports whether a folder of the normalized path p (not the file itself) is one
// where uploads land.
func inUploadDir(p []byte) bool {
	end := len(p)
	for end > 0 && p[end-1] != '/' {
		end--
	}
	start := 0
	for i := 0; i < end; i++ {
		if p[i] == '/' {
			if i > start && uploadDirs[string(p[start:i])] {
				return true
			}
			start = i + 1
		}
	}
	return false
}

func isAdminShare(p []byte) bool {
	for _, s := range [...]string{"/admin$", "/c$", "/d$", "/e$", "/ipc$", "/print$"} {
		if string(p) == s || len(p) > len(s) && string(p[:len(s)]) == s && p[len(s)] == '/' {
			return true
		}
	}
	return false
}

func hasSchemePrefix(t string) bool {
	h := strings.Index(t, "://")
	return h > 0 && h <= 16 && isScheme(t[:h])
}

func hostOfURL(t string) string {
	h := strings.Index(t, "://")
	rest := t[h+3:]
	if s := strings.IndexAny(rest, "/?#"); s >= 0 {
		rest = rest[:s]
	}
	return t[:h+3] + rest
}

func binaryCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			n++
		}
	}
	return n
}

// commandParam finds a cmd=, exec=, command=, execute= or shell= parameter in a normalized query
// whose value looks like a shell command.
func commandParam(q []byte) (name, val string, ok bool) {
	for len(q) > 0 {
		amp := indexByte(q, '&')
		pair := q
		if amp >= 0 {
			pair, q = q[:amp], q[amp+1:]
		} else {
			q = nil
		}
		eq := indexByte(pair, '=')
		if eq <= 0 {
			continue
		}
		n, v := pair[:eq], pair[eq+1:]
		switch string(n) {
		case "cmd", "exec", "command", "execute", "shell", "run", "cmd_exec", "c_cmd":
		default:
			continue
		}
		if looksLikeCommand(v) {
			return string(n), string(v), true
		}
	}
	return "", "", false
}

// looksLikeCommand: the value starts with a shell command word ("id", "cat /etc/passwd",
// "dir c:"), a program path ("/bin/..."), or holds a shell separator or substitution.
func looksLikeCommand(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if bytes.HasPrefix(v, []byte("/bin/")) || bytes.HasPrefix(v, []byte("/usr/")) ||
		bytes.ContainsAny(v, ";|`") || bytes.Contains(v, []byte("$(")) {
		return true
	}
	w := v
	if e := bytes.IndexAny(v, " \t"); e >= 0 {
		w = v[:e]
	}
	for _, cmd := range shellCommands {
		if string(w) == cmd {
			return true
		}
	}
	return false
}

// Checks on literal matches.

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 'A' && c <= 'Z'
}

func boundaryBefore(s []byte, i, _ int) bool { return i == 0 || !isWordByte(s[i-1]) }

// skipSQLSpace skips what SQL treats as space between tokens: white space, "+", comments
// (/**/, MySQL's versioned /*!50000 opener) and opening parentheses if paren is set.
func skipSQLSpace(s []byte, j int, paren bool) int {
	for j < len(s) {
		switch c := s[j]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '+' || c == 0xa0:
			j++
		case paren && c == '(':
			j++
		case c == '*' && j+1 < len(s) && s[j+1] == '/':
			j += 2 // the end of a versioned comment
		case c == '/' && j+1 < len(s) && s[j+1] == '*':
			if j+2 < len(s) && s[j+2] == '!' {
				j += 3
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				continue
			}
			e := bytes.Index(s[j+2:], []byte("*/"))
			if e < 0 {
				return len(s)
			}
			j += 2 + e + 2
		default:
			return j
		}
	}
	return j
}

// afterVersionedComment: s[:i] ends with MySQL's "/*!" and optional version digits.
func afterVersionedComment(s []byte, i int) bool {
	k := i
	for k > 0 && isDigit(s[k-1]) {
		k--
	}
	return k >= 3 && string(s[k-3:k]) == "/*!"
}

func hasWordAt(s []byte, j int, w string) bool {
	return len(s)-j >= len(w) && string(s[j:j+len(w)]) == w && (j+len(w) == len(s) || !isWordByte(s[j+len(w)]))
}

// checkUnion: "union" [all|distinct] "select", with any SQL spacing.
func checkUnion(s []byte, i, j int) bool {
	if !boundaryBefore(s, i, j) && !afterVersionedComment(s, i) {
		return false
	}
	k := skipSQLSpace(s, j, true)
	if k == j && (k >= len(s) || isWordByte(s[k])) {
		return false
	}
	for _, w := range [...]string{"all", "distinct"} {
		if hasWordAt(s, k, w) {
			k = skipSQLSpace(s, k+len(w), true)
		}
	}
	return hasWordAt(s, k, "select")
}

// checkTautology: or/and/||/&& followed by a comparison of equal operands (1=1, 'a'='a',
// "1"="1", 2>1 is not looked for) or, after a quote, by a lone true value and a comment.
func checkTautology(s []byte, i, j int) bool {
	word := s[i] == 'o' || s[i] == 'a'
	if word {
		if j < len(s) && isWordByte(s[j]) {
			return false
		}
		if i > 0 {
			switch s[i-1] {
			case ' ', '\'', '"', ')', '/', '+', '\t', '\n', '`':
			default:
				return false
			}
		}
	}
	quoted := false
	for p := i - 1; p >= 0; p-- {
		if s[p] == ' ' || s[p] == '+' {
			continue
		}
		quoted = s[p] == '\'' || s[p] == '"' || s[p] == ')'
		break
	}
	k := skipSQLSpace(s, j, false)
	if word && k == j {
		return false
	}
	a, k, ok := sqlOperand(s, k)
	if !ok {
		return false
	}
	k2 := skipSQLSpace(s, k, false)
	switch {
	case k2 < len(s) && s[k2] == '=':
		k2++
	case hasWordAt(s, k2, "like"):
		k2 += 4
	default:
		// "' or 1-- -", "' or true#"
		if quoted && (a == "1" || a == "true") {
			return hasPrefixAt(s, k2, "--") || hasPrefixAt(s, k2, "#") || hasPrefixAt(s, k2, "/*")
		}
		return false
	}
	k2 = skipSQLSpace(s, k2, false)
	b, _, ok := sqlOperand(s, k2)
	return ok && a == b && (quoted || !word || isNumber(a))
}

func hasPrefixAt(s []byte, k int, p string) bool {
	return len(s)-k >= len(p) && string(s[k:k+len(p)]) == p
}

func isNumber(a string) bool { return num(a) >= 0 }

// sqlOperand reads a number, a word or a quoted string (its closing quote may be missing: the
// application adds it).
func sqlOperand(s []byte, k int) (string, int, bool) {
	if k >= len(s) {
		return "", k, false
	}
	if q := s[k]; q == '\'' || q == '"' {
		e := k + 1
		for e < len(s) && s[e] != q && e-k < 32 {
			e++
		}
		v := string(s[k+1 : e])
		if e < len(s) && s[e] == q {
			e++
		}
		return v, e, true
	}
	e := k
	for e < len(s) && isWordByte(s[e]) && e-k < 32 {
		e++
	}
	if e == k {
		return "", k, false
	}
	return string(s[k:e]), e, true
}

// checkOrderBy: "order by N" followed by a comment (column counting).
func checkOrderBy(s []byte, i, j int) bool {
	k := skipSQLSpace(s, j, false)
	n := k
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == k {
		return false
	}
	n = skipSQLSpace(s, n, false)
	return n == len(s) || hasPrefixAt(s, n, "--") || hasPrefixAt(s, n, "#") || hasPrefixAt(s, n, "/*")
}

// checkCharNum: char(/chr( followed by a number (char(58), chr(112)).
func checkCharNum(s []byte, i, j int) bool {
	return boundaryBefore(s, i, j) && j < len(s) && isDigit(s[j])
}

// checkDotDotEnd: "/.." ending the field or followed by ";", "?" or "%".
func checkDotDotEnd(s []byte, _, j int) bool {
	return j == len(s) || s[j] == ';' || s[j] == '?' || s[j] == '%' || s[j] == 0
}

// checkCommandEnd: the command word ends there (";id" not ";identity", nor "&id=").
func checkCommandEnd(s []byte, _, j int) bool {
	if j == len(s) {
		return true
	}
	switch s[j] {
	case ' ', ';', '|', '&', '`', ')', '\'', '"', '>', '<', '\n', '\t', '$', '/', 0:
		return true
	}
	return false
}

// checkSubshell: "$(" a command ")".
func checkSubshell(s []byte, _, j int) bool {
	if j >= len(s) || !(s[j] >= 'a' && s[j] <= 'z' || s[j] == ' ' || s[j] == '/') {
		return false
	}
	e := indexByte(s[j:], ')')
	return e > 0 && e < 200
}

// checkBacktick: "`cmd ...`".
func checkBacktick(s []byte, i, _ int) bool {
	e := indexByte(s[i+1:], '`')
	return e > 0 && e < 200
}

// checkDownload: wget/curl followed by a URL, an option or an address.
func checkDownload(s []byte, i, j int) bool {
	if !boundaryBefore(s, i, j) {
		return false
	}
	return hasPrefixAt(s, j, "http") || hasPrefixAt(s, j, "ftp") || hasPrefixAt(s, j, "-") ||
		j < len(s) && isDigit(s[j])
}

// includeParams are parameter names PHP applications pass to include().
var includeParams = map[string]bool{
	"page": true, "file": true, "include": true, "inc": true, "inc_dir": true, "path": true, "dir": true,
	"template": true, "tpl": true, "mod": true, "module": true, "lang": true, "language": true,
	"doc": true, "document": true, "folder": true, "root": true, "pg": true, "style": true, "pdf": true,
	"view": true, "content": true, "layout": true, "conf": true, "config": true, "cat": true,
	"action": true, "board": true, "date": true, "detail": true, "download": true, "prefix": true,
	"show": true, "site": true, "type": true, "nivel": true, "option": true, "load": true, "read": true,
	"req": true, "body": true, "header": true, "main": true, "base": true, "base_path": true,
	"basepath": true, "rootpath": true, "root_path": true, "includepath": true, "include_path": true,
	"abspath": true, "path_to_root": true, "dirpath": true, "phpbb_root_path": true, "mosconfig_absolute_path": true,
	"_conf[path]": true, "gallery_basedir": true, "skin": true, "theme": true, "plugin": true,
}

// checkRFI: a URL as the value of an include-like parameter, or one ending in "?" (the rest of
// the include path cut off) or naming a text file.
func checkRFI(s []byte, i, j int) bool {
	start := i
	for start > 0 && s[start-1] != '&' && s[start-1] != '?' && s[start-1] != ';' {
		start--
	}
	name := string(s[start:i])
	end := j
	for end < len(s) && s[end] != '&' {
		end++
	}
	val := s[j:end]
	if includeParams[name] {
		return true
	}
	n := len(val)
	return n > 0 && (val[n-1] == '?' || val[n-1] == 0) || hasSuffix(val, ".txt") || hasSuffix(val, ".txt?")
}

// checkJNDI: a ${...} lookup that, once Log4j's nested lookups and defaults are resolved
// (${lower:j}, ${::-n}, ${env:X:-d}), starts with "jndi".
func checkJNDI(s []byte, i, _ int) bool {
	end := min(len(s), i+512)
	var stack [16][]byte
	var bufs [16][64]byte
	depth := 0
	for k := i; k < end; k++ {
		switch {
		case s[k] == '$' && k+1 < end && s[k+1] == '{':
			if depth == len(stack) {
				return false
			}
			stack[depth] = bufs[depth][:0]
			depth++
			k++
		case s[k] == '}' && depth > 0:
			depth--
			v := resolveLookup(stack[depth])
			if hasPrefixAt(v, 0, "jndi") {
				return true
			}
			if depth == 0 {
				return false
			}
			if len(stack[depth-1])+len(v) <= cap(stack[depth-1]) {
				stack[depth-1] = append(stack[depth-1], v...)
			}
		case depth > 0:
			if hasPrefixAt(stack[depth-1], 0, "jndi") {
				return true
			}
			if len(stack[depth-1]) < cap(stack[depth-1]) {
				stack[depth-1] = append(stack[depth-1], s[k])
			}
		}
	}
	return depth > 0 && hasPrefixAt(stack[0], 0, "jndi")
}

// resolveLookup gives what Log4j makes of a lookup's text: the default after ":-", the
// argument of lower:/upper:, else the text itself.
func resolveLookup(v []byte) []byte {
	if k := bytes.Index(v, []byte(":-")); k >= 0 {
		return v[k+2:]
	}
	for _, p := range [...]string{"lower:", "upper:"} {
		if hasPrefixAt(v, 0, p) {
			return v[len(p):]
		}
	}
	return v
}

// checkShellshock: "() {" at the start of a value, then a body with ";" before its "}"
// ("() { :; };", "() { _; } >_[$($())]"), not JavaScript's "function x(){v=1}".
func checkShellshock(s []byte, i, j int) bool {
	if !boundaryBefore(s, i, j) {
		return false
	}
	for k := j; k < len(s) && k < j+24; k++ {
		switch s[k] {
		case ';':
			return true
		case '}':
			return false
		}
	}
	return false
}

// checkCall: a function name as a word, called with an argument ("system('id')", not
// "c's assert() feature").
func checkCall(s []byte, i, j int) bool {
	return boundaryBefore(s, i, j) && j < len(s) && s[j] != ')'
}

// checkFolder: the literal names a folder, or a file without extension, not a document
// ("/phpmyadmin/", "/phpMyAdmin-4.8.1/", "/phpmyadmin"; not "/docs/phpmyadmin.html").
func checkFolder(s []byte, _, j int) bool {
	end := j
	for end < len(s) && s[end] != '/' {
		end++
	}
	if end < len(s) {
		return true // a folder
	}
	dot := bytes.LastIndexByte(s[j:end], '.')
	if dot < 0 {
		return true
	}
	for _, c := range s[j+dot+1 : end] {
		if c < 'a' || c > 'z' {
			return true // "-4.8.1"
		}
	}
	return false
}

// checkValueStart: the literal starts a parameter value ("page=php://filter/...").
func checkValueStart(s []byte, i, _ int) bool {
	if i == 0 {
		return true
	}
	switch s[i-1] {
	case '=', '&', '?', '"', '\'', '(', ' ':
		return true
	}
	return false
}

// checkEnd: the literal ends the field.
func checkEnd(s []byte, _, j int) bool { return j == len(s) }

// checkSecretFile: the secret file is the end of the path or a folder of it (/.git/config,
// /.env, /.env.production), not a longer name (/.envoy, /.github/).
func checkSecretFile(s []byte, _, j int) bool {
	if s[j-1] == '/' || s[j-1] == '.' || s[j-1] == '~' {
		return true
	}
	return j == len(s) || s[j] == '.' || s[j] == '/' || s[j] == '~' || s[j] == ';'
}
