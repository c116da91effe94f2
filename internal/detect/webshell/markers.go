package webshell

// marker is a group of strings typical of web-shell user interfaces, authors and tooling, read
// in what the page shows (its markup and string literals, not its comments). A group fires
// once, whatever string of it is found; together they add at most maxMarkerScore: they tip a
// borderline file over, they never make a verdict alone. Strings that match only one or two
// files of the development corpus were removed (they would only describe those files).
type marker struct {
	rule    string
	weight  int
	needles []string // lower case
}

var markerGroups = []marker{
	{"marker.known-shell", 40, []string{
		"c99shell", "c99sh_", "c99 shell", "r57shell", "r57 shell", "wso_version", "filesman", "b374k", "phpspy",
		"jspspy", "webshell", "web shell", "web-shell", "sh3ll", "phpshell", "php shell", "devilzshell",
		"phpremoteview", "smowu",
		"\xe8\x8f\x9c\xe5\x88\x80",                     // 菜刀
		"\xe4\xb8\x80\xe5\x8f\xa5\xe8\xaf\x9d",         // 一句话
		"\xe6\x9c\xa8\xe9\xa9\xac", "\xc4\xbe\xc2\xed", // 木马 (UTF-8, GBK)
	}},
	{"marker.hacker-words", 25, []string{
		"hacked by", "hacker", "h4ck", "r00t", "priv8", "0day", "defacer", "deface", "greetz", "milw0rm",
		"exploit-db", "packetstorm", "backdoor", "rootkit", "warez",
		"\xcc\xe1\xc8\xa8", // 提权 (GBK)
	}},
	{"marker.exec-ui", 20, []string{
		"name=\"cmd\"", "name='cmd'", "name=cmd", "execute command", "run command", "command execute",
		"cmdshell", "remote shell",
		"\xd6\xb4\xd0\xd0\xc3\xfc\xc1\xee", // 执行命令 (GBK)
	}},
	{"marker.os-recon", 15, []string{
		"uname -a", "/etc/passwd", "/etc/shadow", "whoami", "net user", "cat /etc/", "/proc/version",
		"ipconfig", "ifconfig", "netstat -an", "ps aux", "systeminfo", "/etc/issue", "cmd /c", "cmd.exe /c",
	}},
	{"marker.shell-path", 10, []string{"/bin/sh", "/bin/bash", "cmd.exe"}},
	{"marker.back-connect", 25, []string{
		"backconnect", "back connect", "back-connect", "connect back", "connectback", "bind port",
		"bindport", "bind shell", "bindshell", "reverse shell", "netcat", "nc -l", "nc -e",
	}},
	{"marker.safe-mode", 10, []string{"safe_mode", "safe mode", "safemode", "disable_functions", "open_basedir"}},
	{"marker.safe-mode-bypass", 30, []string{"safe_mode bypass", "safe mode bypass", "bypass safe"}},
	{"marker.priv-esc-recon", 25, []string{
		"-perm -04000", "-perm -4000", "-perm -02000", "config.inc.php", "find / -name", "find / -type",
		".bash_history", "grep -li password", "locate config", "/etc/named.conf", "/var/cpanel",
		"/etc/httpd/conf", ".htpasswd", "suid", "localroot",
	}},
	{"marker.attack-tool", 25, []string{
		"ddos", "udp flood", "portscan", "port scan", "port scanner", "brute force", "bruteforce", "ftp brute",
		"mass deface", "massdeface", "mass mailer", "sql dumper",
	}},
	{"marker.file-manager-ui", 10, []string{
		"\xe4\xb8\x8a\xe4\xbc\xa0\xe6\x96\x87\xe4\xbb\xb6", "\xc9\xcf\xb4\xab\xce\xc4\xbc\xfe", // 上传文件
		"file manager", "filemanager", "file browser", "uploadfile", "change dir", "chmod 777",
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

// text returns what a visitor of the page sees or the code prints: the markup and the string
// literals, not the comments or the code (marker strings are about a shell's user interface).
func (u *unit) text() []byte {
	var b []byte
	for i := range u.t {
		t := &u.t[i]
		switch t.k {
		case tkHTML:
			b = append(b, u.src[t.pos:t.end]...)
			b = append(b, '\n')
		case tkStr:
			if len(b) < 4<<20 {
				b = append(b, t.s...)
				b = append(b, '\n')
			}
		}
	}
	return b
}

// markers adds the marker groups found in the lower-cased text.
func markers(an *analysis, content []byte) {
	lc := toLower(content)
	left := len(markerGroups)
	markerMatcher.each(lc, func(n, at int) bool {
		if at > 0 && isLetter(lc[at-1]) && isLetter(lc[at]) {
			return true // inside a longer word ("/CIDSystemInfo" is no systeminfo)
		}
		g := markerGroups[markerGroupOf[n]]
		if an.reasons[g.rule] == nil {
			an.addMarker(g.rule, g.weight, clip(lineAround(content, at)))
			left--
		}
		return left > 0
	})
}

// lineAround returns the part of the line of b around index i.
func lineAround(b []byte, i int) []byte {
	lo := i
	for lo > 0 && b[lo-1] != '\n' && i-lo < 40 {
		lo--
	}
	hi := i
	for hi < len(b) && b[hi] != '\n' && hi-i < 60 {
		hi++
	}
	return b[lo:hi]
}

func toLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
