package webshell

// marker is a group of strings typical of web-shell user interfaces, authors and tooling.
// A group fires once, whatever string of it is found; together they add at most
// maxMarkerScore.
type marker struct {
	rule    string
	weight  int
	needles []string // lower case
}

var markerGroups = []marker{
	{"marker.known-shell", 40, []string{
		"c99shell", "c99 shell", "c99madshell", "c99sh_", "r57shell", "r57 shell", "wso shell",
		"wso_version", "filesman", "b374k", "phpspy", "php spy", "jspspy", "jsp spy", "aspxspy",
		"antsword", "behinder", "rebeyond", "chopper", "caidao", "webshell", "web shell", "web-shell",
		"sh3ll", "phpshell", "php shell", "jspshell", "jsp shell", "aspshell", "cgi-shell", "cgishell",
		"devilzshell", "indoxploit", "fx29sh", "madspot", "phpremoteview", "cyb3r", "smowu",
		"\xe8\x8f\x9c\xe5\x88\x80", "\xb2\xcb\xb5\xb6", // 菜刀 (UTF-8, GBK)
		"\xe4\xb8\x80\xe5\x8f\xa5\xe8\xaf\x9d", "\xd2\xbb\xbe\xe4\xbb\xb0", // 一句话
		"\xe6\x9c\xa8\xe9\xa9\xac", "\xc4\xbe\xc2\xed", // 木马
		"\xe5\xa4\xa7\xe9\xa9\xac", "\xb4\xf3\xc2\xed", // 大马
	}},
	{"marker.hacker-words", 25, []string{
		"hacked by", "hacker", "h4ck", "h4x0r", "hax0r", "r00t", "priv8", "0day", "defacer",
		"deface", "greetz", "greets to", "cr3w", "milw0rm", "exploit-db", "packetstorm",
		"backdoor", "back-door", "rootkit", "warez", "k4l0nk", "d3vil", "sh4d0w",
		"\xe5\x90\x8e\xe9\x97\xa8", "\xba\xf3\xc3\xc5", // 后门
		"\xe6\x8f\x90\xe6\x9d\x83", "\xcc\xe1\xc8\xa8", // 提权
		"\xe8\x84\xb1\xe8\xa3\xa4", "\xcd\xd1\xbf\xe3", // 脱裤
	}},
	{"marker.exec-ui", 20, []string{
		"name=\"cmd\"", "name='cmd'", "name=cmd", "execute command", "run command", "command execute",
		"exec cmd", "cmd shell", "cmdshell", "command shell", "remote shell",
		"\xe6\x89\xa7\xe8\xa1\x8c\xe5\x91\xbd\xe4\xbb\xa4", "\xd6\xb4\xd0\xd0\xc3\xfc\xc1\xee", // 执行命令
		"\xe5\x91\xbd\xe4\xbb\xa4\xe6\x89\xa7\xe8\xa1\x8c", "\xc3\xfc\xc1\xee\xd6\xb4\xd0\xd0", // 命令执行
	}},
	{"marker.os-recon", 15, []string{
		"uname -a", "/etc/passwd", "/etc/shadow", "whoami", "net user", "cat /etc/", "/proc/version",
		"ipconfig", "ifconfig", "netstat -an", "ps aux", "systeminfo", "/etc/issue", "cmd /c",
		"cmd.exe /c", "/usr/bin/id",
	}},
	{"marker.shell-path", 10, []string{"/bin/sh", "/bin/bash", "cmd.exe", "command.com", "%comspec%"}},
	{"marker.back-connect", 25, []string{
		"backconnect", "back connect", "back-connect", "connect back", "connectback", "bind port",
		"bindport", "bind shell", "bindshell", "reverse shell", "netcat", "nc -l", "nc -e", "/dev/tcp/",
	}},
	{"marker.safe-mode", 10, []string{"safe_mode", "safe mode", "safemode", "disable_functions", "open_basedir"}},
	{"marker.safe-mode-bypass", 30, []string{"safe_mode bypass", "safe mode bypass", "safemode bypass", "bypass safe", "disable_functions bypass", "open_basedir bypass"}},
	{"marker.priv-esc-recon", 25, []string{
		"-perm -04000", "-perm -4000", "-perm -02000", "-perm -2000", "-perm -u=s", "config.inc.php",
		"find / -name", "find / -type", ".bash_history", "grep -li password", "locate config",
		"/etc/named.conf", "/var/cpanel", "/etc/httpd/conf", ".htpasswd", "suid", "localroot",
	}},
	{"marker.attack-tool", 25, []string{
		"ddos", "udp flood", "flooder", "portscan", "port scan", "port scanner", "brute force",
		"bruteforce", "brute-force", "ftp brute", "mass deface", "massdeface", "mass mailer",
		"massmailer", "symlink bypass", "sql dumper", "db dumper",
	}},
	{"marker.file-manager-ui", 10, []string{
		"\xe6\x96\x87\xe4\xbb\xb6\xe7\xae\xa1\xe7\x90\x86", "\xce\xc4\xbc\xfe\xb9\xdc\xc0\xed", // 文件管理
		"\xe4\xb8\x8a\xe4\xbc\xa0\xe6\x96\x87\xe4\xbb\xb6", "\xc9\xcf\xb4\xab\xce\xc4\xbc\xfe", // 上传文件
		"file manager", "filemanager", "file browser", "uploadfile", "change dir",
		"chmod 777",
	}},
}

var (
	markerMatcher *multi
	markerGroupOf []int // needle index -> group index
)

func init() {
	var all []string
	for gi, g := range markerGroups {
		for _, n := range g.needles {
			all = append(all, n)
			markerGroupOf = append(markerGroupOf, gi)
		}
	}
	markerMatcher = newMulti(all)
}

// markers adds the marker groups found in the lower-cased text.
func (s *scanner) markers() {
	left := len(markerGroups)
	markerMatcher.each(s.lc, func(n, at int) bool {
		g := markerGroups[markerGroupOf[n]]
		if !s.fired[g.rule] {
			s.addMarker(g.rule, g.weight, lineAt(s.raw, at))
			left--
		}
		return left > 0
	})
}
