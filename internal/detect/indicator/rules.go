package indicator

import (
	"bytes"
	"path"
	"strings"
)

// rule is one detection. It runs only on lines that hold one of its anchor strings.
type rule struct {
	id, cat, sev string
	attack       []string
	anchorWords  []string // lower case
	anchors      uint64   // bits of anchorWords' groups, set in init
	match        func(l *line) bool
}

var (
	attShell    = []string{"T1059.004"}
	attRevShell = []string{"T1059.004", "T1095"}
	attDownload = []string{"T1105", "T1059.004"}
	attObf      = []string{"T1027", "T1140", "T1059.004"}
	attMiner    = []string{"T1496"}
	attHistory  = []string{"T1070.003"}
	attLogs     = []string{"T1070.002"}
	attAudit    = []string{"T1562.012"}
	attDefense  = []string{"T1562.001"}
	attPreload  = []string{"T1574.006"}
	attChattr   = []string{"T1222.002"}
	attSSHKeys  = []string{"T1098.004"}
	attCron     = []string{"T1053.003"}
	attAccount  = []string{"T1136.001"}
	attSetuid   = []string{"T1548.001"}
)

var rules = []rule{
	// --- reverse shells
	{"reverse-shell.bash-dev-tcp", CatReverseShell, Critical, attRevShell, []string{"/dev/tcp/", "/dev/udp/"}, 0, devTCPInteractive},
	{"reverse-shell.dev-tcp", CatReverseShell, Medium, attRevShell, []string{"/dev/tcp/", "/dev/udp/"}, 0, func(l *line) bool {
		return hasDevTCP(l.lc) && !devTCPInteractive(l)
	}},
	{"reverse-shell.interactive-shell-redirect", CatReverseShell, Critical, attRevShell, []string{"-i"}, 0, interactiveRedirect},
	{"reverse-shell.nc-exec", CatReverseShell, Critical, attRevShell, []string{"nc", "netcat"}, 0, ncExec},
	{"reverse-shell.fifo-pipe", CatReverseShell, Critical, attRevShell, []string{"mkfifo", "mknod"}, 0, fifoPipe},
	{"reverse-shell.socat", CatReverseShell, Critical, attRevShell, []string{"socat"}, 0, socatShell},
	{"reverse-shell.python", CatReverseShell, Critical, []string{"T1059.006", "T1095"}, []string{"socket"}, 0, func(l *line) bool {
		return containsAny(l.lc, "socket.socket", "socket(") && bytes.Contains(l.lc, []byte("connect")) &&
			containsAny(l.lc, "dup2", "subprocess", "pty.spawn", "os.system", "popen", "/bin/sh", "/bin/bash", "call([") &&
			containsAny(l.lc, "python", "import ")
	}},
	{"reverse-shell.perl", CatReverseShell, Critical, attRevShell, []string{"socket"}, 0, func(l *line) bool {
		return bytes.Contains(l.lc, []byte("perl")) && containsAny(l.lc, "socket(", "io::socket") &&
			containsAny(l.lc, "connect(", "peeraddr") && containsAny(l.lc, "exec", "system", "open(stdin", "/bin/sh", "/bin/bash")
	}},
	{"reverse-shell.ruby", CatReverseShell, Critical, attRevShell, []string{"tcpsocket"}, 0, func(l *line) bool {
		return containsAny(l.lc, "exec", "spawn", "popen", "/bin/sh", "/bin/bash", "system")
	}},
	{"reverse-shell.php", CatReverseShell, Critical, attRevShell, []string{"fsockopen", "stream_socket_client", "socket_create"}, 0, func(l *line) bool {
		return containsAny(l.lc, "exec", "system", "passthru", "proc_open", "popen", "/bin/sh", "/bin/bash", "`")
	}},
	{"reverse-shell.lua", CatReverseShell, Critical, attRevShell, []string{"socket"}, 0, func(l *line) bool {
		return bytes.Contains(l.lc, []byte("connect")) && containsAny(l.lc, "io.popen", "os.execute")
	}},
	{"reverse-shell.node", CatReverseShell, Critical, []string{"T1059.007", "T1095"}, []string{"child_process"}, 0, func(l *line) bool {
		return containsAny(l.lc, "net.socket", ".connect(", "createconnection") && containsAny(l.lc, "spawn", "exec", "/bin/sh", "/bin/bash")
	}},
	{"reverse-shell.awk-inet", CatReverseShell, Critical, attRevShell, []string{"/inet/tcp/", "/inet/udp/", "/inet4/tcp/", "/inet6/tcp/"}, 0, func(l *line) bool {
		return true
	}},
	{"reverse-shell.telnet-pipe", CatReverseShell, Critical, attRevShell, []string{"telnet"}, 0, func(l *line) bool {
		return pipeBetween(l, func(c string) bool { return c == "telnet" }, func(c string) bool { return plainShells[c] })
	}},
	{"reverse-shell.openssl", CatReverseShell, Critical, attRevShell, []string{"s_client"}, 0, func(l *line) bool {
		return pipeBetween(l, func(c string) bool { return c == "openssl" }, func(c string) bool { return plainShells[c] }) ||
			containsAny(l.lc, "sh -i", "bash -i") || (bytes.Contains(l.lc, []byte("mkfifo")) && containsAny(l.lc, "/bin/sh", "/bin/bash"))
	}},

	{"reverse-shell.xterm", CatReverseShell, Critical, attRevShell, []string{"xterm"}, 0, func(l *line) bool {
		for _, sg := range l.segs {
			if c, i := sg.cmd(); c == "xterm" {
				ws := sg.words[i+1:]
				for k, w := range ws {
					if w == "-display" && k+1 < len(ws) && strings.Contains(ws[k+1], ":") && !strings.HasPrefix(ws[k+1], ":") {
						return true
					}
				}
			}
		}
		return false
	}},

	// --- download and execute
	{"download-exec.pipe-shell", CatDownloadExec, High, attDownload, []string{"curl", "wget", "fetch", "lwp-download", "tftp", "aria2c"}, 0, func(l *line) bool {
		return pipeBetween(l, func(c string) bool { return downloaders[c] }, func(c string) bool { return shells[c] })
	}},
	{"download-exec.subshell", CatDownloadExec, High, attDownload, []string{"curl", "wget"}, 0, downloadSubshell},
	{"download-exec.raw-ip", CatDownloadExec, Medium, []string{"T1105"}, []string{"curl", "wget", "fetch", "tftp", "aria2c"}, 0, downloadRawIP},
	{"download-exec.paste-site", CatDownloadExec, Medium, []string{"T1105", "T1102"}, pasteHosts, 0, func(l *line) bool {
		return hasWordIn(l.lc, "curl", "wget", "fetch", "aria2c") || containsAny(l.lc, "urllib", "urlopen", "requests.get", "invoke-webrequest", "lwp::simple", "file_get_contents(")
	}},

	// --- decode and execute
	{"obfuscation.base64-shell", CatObfuscation, High, attObf, []string{"base64"}, 0, func(l *line) bool {
		return pipeBetween(l, func(c string) bool { return c == "base64" || c == "openssl" }, func(c string) bool { return shells[c] }) &&
			decodeFlag(l)
	}},
	{"obfuscation.decode-pipe-shell", CatObfuscation, High, attObf, []string{"xxd", `\x`, "rev", "gunzip", "zcat", "gzip", "tr ", "uudecode", "bzcat", "xzcat"}, 0, func(l *line) bool {
		return pipeBetween(l, func(c string) bool {
			return c == "xxd" || c == "rev" || c == "gunzip" || c == "zcat" || c == "gzip" || c == "tr" || c == "uudecode" || c == "bzcat" || c == "xzcat" ||
				((c == "printf" || c == "echo") && bytes.Contains(l.lc, []byte(`\x`)))
		}, func(c string) bool { return shells[c] })
	}},
	{"obfuscation.exec-base64", CatObfuscation, High, attObf, []string{"base64", "b64decode", "decode_base64", "frombase64", "atob("}, 0, execBase64},
	{"obfuscation.base64-shebang", CatObfuscation, Medium, []string{"T1027"}, []string{"iyevymlul", "iyevdxnyl2jpbi9"}, 0, func(l *line) bool {
		return true // "#!/bin/" and "#!/usr/bin/" in base64
	}},
	{"obfuscation.encoded-blob", CatObfuscation, Medium, []string{"T1027"}, []string{"eval", "exec", "python", "perl", "php", "bash", "sh "}, 0, encodedBlob},

	// --- miners
	{"miner.stratum-url", CatMiner, Critical, attMiner, []string{"stratum+tcp://", "stratum+ssl://", "stratum+tls://", "stratum2+tcp://", "stratum+udp://", "stratum1+tcp://", "stratum2+ssl://"}, 0, func(l *line) bool { return true }},
	{"miner.pool-host", CatMiner, High, attMiner, minerPools, 0, func(l *line) bool { return true }},
	{"miner.binary-name", CatMiner, High, attMiner, minerNames, 0, func(l *line) bool { return hasWordIn(l.lc, minerNames...) }},
	{"miner.config", CatMiner, High, attMiner, []string{"donate-level", "donate_level", "pool_address", "\"pool_password\"", "--cpu-max-threads-hint", "\"rig-id\"", "nicehash\""}, 0, func(l *line) bool { return true }},
	{"miner.algorithm", CatMiner, Medium, attMiner, []string{"cryptonight", "randomx", "rx/0", "\"algo\"", "--algo", "-a rx", "kawpow", "ethash"}, 0, func(l *line) bool {
		return containsAny(l.lc, "cryptonight", "randomx", "rx/0", "kawpow", "ethash", "argon2/chukwa", "cn/r", "astrobwt")
	}},

	// --- shell history
	{"history-tamper.histfile-null", CatHistoryTamper, High, attHistory, []string{"histfile"}, 0, func(l *line) bool {
		v, ok := assignment(l.lc, "histfile")
		return ok && (v == "/dev/null" || v == "")
	}},
	{"history-tamper.unset-histfile", CatHistoryTamper, High, attHistory, []string{"histfile"}, 0, func(l *line) bool {
		for _, s := range l.segs {
			if c, i := s.cmd(); c == "unset" && i >= 0 {
				for _, w := range s.words[i+1:] {
					if w == "histfile" {
						return true
					}
				}
			}
		}
		return false
	}},
	{"history-tamper.histsize-zero", CatHistoryTamper, High, attHistory, []string{"histsize", "histfilesize", "savehist"}, 0, func(l *line) bool {
		for _, n := range []string{"histsize", "histfilesize", "savehist"} {
			if v, ok := assignment(l.lc, n); ok && (v == "0" || v == "") {
				return true
			}
		}
		return false
	}},
	{"history-tamper.history-clear", CatHistoryTamper, Medium, attHistory, []string{"history"}, 0, func(l *line) bool {
		for _, s := range l.segs {
			if c, i := s.cmd(); c == "history" && i >= 0 {
				for _, w := range s.words[i+1:] {
					if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.ContainsAny(w, "c") {
						return true
					}
				}
			}
		}
		return false
	}},
	{"history-tamper.history-off", CatHistoryTamper, High, attHistory, []string{"+o history", "-u -o history"}, 0, func(l *line) bool { return true }},
	{"history-tamper.histignore-all", CatHistoryTamper, Medium, attHistory, []string{"histignore"}, 0, func(l *line) bool {
		v, ok := assignment(l.lc, "histignore")
		return ok && (v == "*" || strings.HasPrefix(v, "*:") || strings.HasSuffix(v, ":*"))
	}},
	{"history-tamper.history-file", CatHistoryTamper, High, attHistory, []string{"_history", ".history"}, 0, historyFile},

	// --- logs
	{"log-tamper.truncate", CatLogTamper, High, attLogs, logAnchors, 0, logTruncate},
	{"log-tamper.delete", CatLogTamper, High, attLogs, logAnchors, 0, logDelete},
	{"log-tamper.journal-vacuum", CatLogTamper, Medium, attLogs, []string{"--vacuum-"}, 0, func(l *line) bool {
		return bytes.Contains(l.lc, []byte("journalctl"))
	}},
	{"log-tamper.utmpdump", CatLogTamper, Medium, attLogs, []string{"utmpdump"}, 0, func(l *line) bool {
		return hasWordIn(l.lc, "utmpdump")
	}},
	{"log-tamper.audit-off", CatLogTamper, High, attAudit, []string{"auditctl"}, 0, func(l *line) bool {
		for _, s := range l.segs {
			if c, i := s.cmd(); c == "auditctl" {
				ws := s.words[i+1:]
				for k, w := range ws {
					if w == "-d" || (w == "-e" && k+1 < len(ws) && ws[k+1] == "0") || w == "-e0" {
						return true
					}
				}
			}
		}
		return false
	}},
	{"log-tamper.logger-stopped", CatLogTamper, High, attDefense, []string{"rsyslog", "syslog", "journald", "auditd"}, 0, loggerStopped},

	// --- persistence hints
	{"persistence-hint.chattr-immutable", CatPersistenceHint, High, attChattr, []string{"chattr"}, 0, func(l *line) bool {
		t, ok := chattrTarget(l)
		return ok && persistencePath(t)
	}},
	{"persistence-hint.chattr", CatPersistenceHint, Medium, attChattr, []string{"chattr"}, 0, func(l *line) bool {
		t, ok := chattrTarget(l)
		return ok && !persistencePath(t)
	}},
	{"persistence-hint.ld-preload", CatPersistenceHint, High, attPreload, []string{"ld_preload"}, 0, func(l *line) bool {
		// a literal library path; "$VAR" values are how tools (fakeroot, heaptrack) use it
		v, ok := assignment(l.lc, "ld_preload")
		return ok && v != "" && !strings.Contains(v, "$") && (strings.HasPrefix(v, "/") || strings.Contains(v, ".so"))
	}},
	{"persistence-hint.ld-so-preload-write", CatPersistenceHint, Critical, attPreload, []string{"ld.so.preload"}, 0, func(l *line) bool {
		return writesTo(l, func(t string) bool { return t == "/etc/ld.so.preload" })
	}},
	{"persistence-hint.authorized-keys-write", CatPersistenceHint, High, attSSHKeys, []string{"authorized_keys"}, 0, func(l *line) bool {
		return writesTo(l, func(t string) bool {
			return strings.HasSuffix(t, "authorized_keys") || strings.HasSuffix(t, "authorized_keys2")
		})
	}},
	{"persistence-hint.crontab-write", CatPersistenceHint, High, attCron, []string{"crontab", "/etc/cron", "/var/spool/cron"}, 0, crontabWrite},
	{"persistence-hint.uid0-user", CatPersistenceHint, High, attAccount, []string{"useradd", "usermod", "adduser", ":0:0:"}, 0, uid0User},
	{"persistence-hint.suid-shell", CatPersistenceHint, High, attSetuid, []string{"chmod"}, 0, suidShell},
	{"persistence-hint.hidden-tmp-exec", CatPersistenceHint, High, attShell, []string{"/tmp/.", "/dev/shm/.", "/var/tmp/."}, 0, func(l *line) bool {
		return runsFrom(l, []string{"/tmp/.", "/dev/shm/.", "/var/tmp/."})
	}},
	{"persistence-hint.tmp-exec", CatPersistenceHint, Medium, attShell, []string{"/tmp/", "/dev/shm/", "/var/tmp/"}, 0, func(l *line) bool {
		return runsFrom(l, []string{"/tmp/", "/dev/shm/", "/var/tmp/"}) && !runsFrom(l, []string{"/tmp/.", "/dev/shm/.", "/var/tmp/."})
	}},
}

var pasteHosts = []string{
	"pastebin.com", "paste.ee", "hastebin.com", "ghostbin", "transfer.sh", "ngrok.io", "ngrok-free.app",
	"ngrok.app", "termbin.com", "0x0.st", "temp.sh", "file.io", "anonfiles.com", "rentry.co",
	"controlc.com", "bashupload.com", "oshi.at", "pastebin.pl", "dpaste.", "ix.io", "sprunge.us",
	"trycloudflare.com", "serveo.net", "localhost.run", "paste.c-net.org", "pastie.org", "gofile.io",
}

var minerPools = []string{
	"minexmr.com", "supportxmr.com", "nanopool.org", "moneroocean.stream", "c3pool.com", "c3pool.org",
	"hashvault.pro", "xmrpool.eu", "minergate.com", "f2pool.com", "2miners.com", "herominers.com",
	"monerohash.com", "dwarfpool.com", "nicehash.com", "unmineable.com", "xmrpool.net", "moneropool.com",
	"minemonero.pro", "pool.hashvault", "xmr.pool.", "zergpool.com", "viabtc.com", "antpool.com",
	"ethermine.org", "miningpoolhub.com", "kryptex.network", "p2pool.io", "gntl.co.uk", "skypool.org",
}

var minerNames = []string{
	"xmrig", "xmr-stak", "xmr-stak-cpu", "xmr-stak-rx", "ccminer", "cpuminer", "cpuminer-multi",
	"cpuminer-opt", "minerd", "cgminer", "bfgminer", "ethminer", "nbminer", "lolminer",
	"phoenixminer", "nanominer", "kdevtmpfsi", "kinsing", "srbminer", "srbminer-multi",
	"teamredminer", "xmrig-notls", "xmr-node-proxy", "xmrminer",
}

var logAnchors = []string{"/var/log", "wtmp", "btmp", "lastlog", "utmp", "/var/spool/mail", "/var/mail"}

// --- helpers of the rules

func hasDevTCP(lc []byte) bool {
	return bytes.Contains(lc, []byte("/dev/tcp/")) || bytes.Contains(lc, []byte("/dev/udp/"))
}

// devTCPInteractive: bash's /dev/tcp with a shell's standard streams tied to it.
func devTCPInteractive(l *line) bool {
	if !hasDevTCP(l.lc) {
		return false
	}
	if containsAny(l.lc, "sh -i", "bash -i", "0>&1", "0<&", ">&0", "<&0", "1>&0", "0>&2", "<&3", ">&3", "<&196", "<&5", ">&5") {
		return true
	}
	for _, s := range l.segs {
		if c, _ := s.cmd(); plainShells[c] && !s.hasWord("-c") {
			// "bash > /dev/tcp/h/p": a shell with its output sent to the socket
			if bytes.Contains(s.text, []byte("/dev/tcp/")) || bytes.Contains(s.text, []byte("/dev/udp/")) {
				return true
			}
		}
	}
	// exec 5<>/dev/tcp/h/p; cat <&5 | while read line; do $line ...
	return bytes.Contains(l.lc, []byte("<>/dev/")) && containsAny(l.lc, "while read", "$line", "sh", "bash")
}

// interactiveRedirect: "bash -i >& ..." / "sh -i 2>&1 | nc ...".
func interactiveRedirect(l *line) bool {
	for k, s := range l.segs {
		c, i := s.cmd()
		if !plainShells[c] || i < 0 {
			continue
		}
		interactive := false
		for _, w := range s.words[i+1:] {
			if w == "-i" || (strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.Contains(w, "i") && len(w) <= 4) {
				interactive = true
			}
		}
		if !interactive {
			continue
		}
		if containsAny(s.text, ">&", "&>", "<&", "/dev/tcp", "/dev/udp") {
			return true
		}
		if s.next == "|" && k+1 < len(l.segs) {
			n, _ := l.segs[k+1].cmd()
			if n == "nc" || n == "ncat" || n == "netcat" || n == "telnet" || n == "openssl" || n == "socat" {
				return true
			}
		}
	}
	return false
}

var ncNames = map[string]bool{"nc": true, "ncat": true, "netcat": true, "nc.traditional": true, "nc.openbsd": true, "busybox-nc": true}

// ncExec: nc/ncat/netcat running a program for the connection.
func ncExec(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if !ncNames[c] {
			continue
		}
		ws := s.words[i+1:]
		for k, w := range ws {
			if w == "--exec" || w == "--sh-exec" || w == "--lua-exec" || strings.HasPrefix(w, "--exec=") || strings.HasPrefix(w, "--sh-exec=") {
				return true
			}
			if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.ContainsAny(w, "ec") && len(w) <= 6 {
				// -e prog, -c cmd, -lvpe prog: the program follows the flag word
				if k+1 < len(ws) && (isShellWord(ws[k+1]) || strings.Contains(ws[k+1], "sh") || strings.Contains(ws[k+1], "cmd")) {
					return true
				}
			}
		}
	}
	return false
}

// fifoPipe: a named pipe glued between a shell and a network tool.
func fifoPipe(l *line) bool {
	if !hasWordIn(l.lc, "mkfifo") && !(hasWordIn(l.lc, "mknod") && hasWordIn(l.lc, "p")) {
		return false
	}
	return hasWordIn(l.lc, "nc", "ncat", "netcat", "telnet", "openssl", "socat") && containsAny(l.lc, "sh", "bash")
}

// socatShell: socat joining a program or a pty to a TCP/UDP/SSL address.
func socatShell(l *line) bool {
	for _, s := range l.segs {
		c, _ := s.cmd()
		if c != "socat" {
			continue
		}
		prog := containsAny(s.text, "exec:", "system:", "pty", "file:`tty`", "file:$(tty)")
		netw := containsAny(s.text, "tcp:", "tcp4:", "tcp6:", "tcp-connect:", "tcp4-connect:", "tcp-listen:", "tcp4-listen:", "tcp6-listen:", "udp:", "udp-connect:", "openssl:", "openssl-connect:", "openssl-listen:", "ssl:", "sctp:")
		if prog && netw {
			return true
		}
	}
	return false
}

// pipeBetween reports a pipeline where a command accepted by from is (directly or through
// more pipes) piped into a command accepted by to.
func pipeBetween(l *line, from, to func(string) bool) bool {
	for k := 0; k < len(l.segs); k++ {
		c, _ := l.segs[k].cmd()
		if !from(c) || l.segs[k].next != "|" {
			continue
		}
		for j := k + 1; j < len(l.segs); j++ {
			n, _ := l.segs[j].cmd()
			if to(n) {
				return true
			}
			if l.segs[j].next != "|" {
				break
			}
		}
	}
	return false
}

// downloadSubshell: "bash <(curl ...)", "sh -c "$(wget -O- ...)"", "eval "$(curl ...)"", ". <(curl ...)".
func downloadSubshell(l *line) bool {
	lc := l.lc
	for _, p := range []string{"<(curl", "<(wget", "<( curl", "<( wget"} {
		if i := bytes.Index(lc, []byte(p)); i >= 0 {
			before := bytes.TrimSpace(lc[:i])
			for _, sh := range []string{"sh", "bash", "source", ".", "zsh", "dash", "ksh", "python", "python3", "perl"} {
				if bytes.HasSuffix(before, []byte(sh)) {
					return true
				}
			}
		}
	}
	if containsAny(lc, "$(curl", "$(wget", "`curl", "`wget", "$( curl", "$( wget") {
		return containsAny(lc, "sh -c", "bash -c", "eval", "zsh -c", "dash -c", "python -c", "python3 -c", "perl -e")
	}
	return false
}

// downloadRawIP: a downloader fetching from a literal public IPv4 address.
func downloadRawIP(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if !downloaders[c] {
			continue
		}
		for _, w := range s.words[i+1:] {
			if strings.HasPrefix(w, "-") {
				continue
			}
			host := w
			if k := strings.Index(host, "://"); k >= 0 {
				host = host[k+3:]
			}
			if k := strings.LastIndexByte(host, '@'); k >= 0 {
				host = host[k+1:]
			}
			if k := strings.IndexAny(host, "/:?"); k >= 0 {
				host = host[:k]
			}
			if publicIPv4(host) {
				return true
			}
		}
	}
	return false
}

// publicIPv4 reports a dotted-quad address outside loopback, private, link-local and
// unspecified ranges.
func publicIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	var b [4]int
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return false
		}
		b[i] = n
	}
	switch {
	case b[0] == 0, b[0] == 10, b[0] == 127, b[0] >= 224:
		return false
	case b[0] == 172 && b[1] >= 16 && b[1] <= 31, b[0] == 192 && b[1] == 168, b[0] == 169 && b[1] == 254:
		return false
	case b[0] == 100 && b[1] >= 64 && b[1] <= 127:
		return false
	}
	return true
}

// decodeFlag: base64 (or openssl base64/enc) asked to decode.
func decodeFlag(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if c != "base64" && c != "openssl" {
			continue
		}
		for _, w := range s.words[i+1:] {
			if w == "-d" || w == "--decode" || w == "-di" || w == "-id" || (c == "openssl" && (w == "-d" || w == "-a")) {
				return true
			}
		}
	}
	return false
}

// execBase64: an interpreter running a base64-decoded payload.
func execBase64(l *line) bool {
	lc := l.lc
	if !containsAny(lc, "b64decode", "decode_base64", "base64_decode", "frombase64string", "atob(", "base64 -d", "base64 --decode", "base64 -d", "base64.decode", "decodebytes") {
		return false
	}
	return containsAny(lc, "exec(", "exec (", "eval(", "eval ", "eval\"", "sh -c", "bash -c", "compile(", "system(", "exec \"", "iex", "invoke-expression", "popen(", "| sh", "|sh", "| bash", "|bash")
}

// encodedBlob: a long base64 word next to an interpreter.
func encodedBlob(l *line) bool {
	if execBase64(l) {
		return false // reported as obfuscation.exec-base64
	}
	run := 0
	for _, c := range l.raw {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '+' || c == '/' || c == '=' {
			run++
			if run >= 300 {
				break
			}
			continue
		}
		run = 0
	}
	if run < 300 {
		return false
	}
	return hasWordIn(l.lc, "eval", "exec", "python", "python3", "perl", "php", "bash", "sh")
}

// assignment finds "name=value" (maybe after export/declare/typeset/env/set) and returns the
// value with quotes stripped.
func assignment(lc []byte, name string) (string, bool) {
	for _, s := range lowerSegs(lc) {
		for _, w := range s.words {
			if !strings.HasPrefix(w, name+"=") {
				continue
			}
			v := strings.Trim(w[len(name)+1:], "\"'")
			return v, true
		}
		// set -x NAME value (fish) is not handled; csh "set savehist = 0"
		for k, w := range s.words {
			if w == name && k+2 < len(s.words) && s.words[k+1] == "=" && k > 0 && (s.words[k-1] == "set" || s.words[k-1] == "setenv") {
				return strings.Trim(s.words[k+2], "\"'"), true
			}
			if w == name && k+1 < len(s.words) && k > 0 && s.words[k-1] == "setenv" {
				return strings.Trim(s.words[k+1], "\"'"), true
			}
		}
	}
	return "", false
}

func lowerSegs(lc []byte) []seg { return segments(lc) }

// historyFile: removing, emptying or linking away a shell history file.
func historyFile(l *line) bool {
	isHist := func(w string) bool {
		b := path.Base(w)
		return strings.HasSuffix(b, "_history") || b == ".history" || b == ".sh_history"
	}
	for _, s := range l.segs {
		c, i := s.cmd()
		var args []string
		if i >= 0 {
			args = s.words[i+1:]
		}
		hist := false
		for _, w := range args {
			if isHist(w) {
				hist = true
			}
		}
		switch c {
		case "ln":
			if hist && s.hasWord("/dev/null") {
				return true
			}
		case "rm", "shred", "unlink", "wipe", "srm":
			if hist {
				return true
			}
		case "truncate":
			if hist && (s.hasWord("0") || s.hasWord("-s0") || s.hasWord("--size=0")) {
				return true
			}
		case "cp", "cat", "mv":
			if hist && s.hasWord("/dev/null") {
				return true
			}
		}
		// emptying redirect: "> ~/.bash_history", "echo > .bash_history", "cat /dev/null > x"
		if t, ok := emptyRedirect(s); ok && isHist(t) {
			return true
		}
	}
	return false
}

// emptyRedirect reports a segment that only truncates a file ("> f", ": > f", "true > f",
// "echo > f", "echo ” > f", "cat /dev/null > f", "printf ” > f") and returns the file.
func emptyRedirect(s seg) (string, bool) {
	t := bytes.TrimSpace(s.text)
	gt := bytes.IndexByte(t, '>')
	if gt < 0 || (gt+1 < len(t) && t[gt+1] == '>') || (gt > 0 && (t[gt-1] == '&' || t[gt-1] == '2' || t[gt-1] == '1')) {
		return "", false
	}
	producer := string(bytes.TrimSpace(t[:gt]))
	target := words(t[gt+1:])
	if len(target) == 0 {
		return "", false
	}
	switch producer {
	case "", ":", "true", "echo", "echo ''", `echo ""`, "echo -n", "echo -n ''", `echo -n ""`, "cat /dev/null", "printf ''", `printf ""`, "printf", "echo -e ''", "0":
		return target[0], true
	}
	return "", false
}

func isLogPath(t string) bool {
	b := path.Base(t)
	switch b {
	case "wtmp", "btmp", "lastlog", "utmp", "faillog":
		return true
	}
	return strings.HasPrefix(t, "/var/log/") || t == "/var/log" || strings.HasPrefix(t, "/var/spool/mail/") || strings.HasPrefix(t, "/var/mail/") || strings.HasPrefix(t, "/var/run/utmp")
}

// logTruncate: emptying a log file.
func logTruncate(l *line) bool {
	for _, s := range l.segs {
		if t, ok := emptyRedirect(s); ok && isLogPath(t) {
			return true
		}
		c, i := s.cmd()
		if i < 0 {
			continue
		}
		args := s.words[i+1:]
		switch c {
		case "truncate":
			zero := false
			target := false
			for k, w := range args {
				if w == "-s0" || w == "--size=0" || ((w == "-s" || w == "--size") && k+1 < len(args) && args[k+1] == "0") {
					zero = true
				}
				if isLogPath(w) {
					target = true
				}
			}
			if zero && target {
				return true
			}
		case "cp", "cat":
			if s.hasWord("/dev/null") {
				for _, w := range args {
					if isLogPath(w) && w != "/dev/null" {
						return true
					}
				}
			}
		case "dd":
			in, out := false, false
			for _, w := range args {
				if w == "if=/dev/null" || w == "if=/dev/zero" {
					in = true
				}
				if strings.HasPrefix(w, "of=") && isLogPath(w[3:]) {
					out = true
				}
			}
			if in && out {
				return true
			}
		}
	}
	return false
}

// Logs whose removal is destruction of evidence rather than housekeeping.
func criticalLog(t string) bool {
	t = strings.TrimSuffix(t, "/")
	switch t {
	case "/var/log", "/var/log/*", "/var/log/journal", "/var/log/audit", "/var/log/journal/*", "/var/log/audit/*":
		return true
	}
	switch path.Base(t) {
	case "wtmp", "btmp", "lastlog", "utmp", "auth.log", "secure", "messages", "syslog", "kern.log", "audit.log", "faillog", "daemon.log", "user.log":
		return strings.HasPrefix(t, "/var/") || !strings.Contains(t, "/")
	}
	return false
}

// logDelete: deleting or shredding logs.
func logDelete(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if i < 0 {
			continue
		}
		args := s.words[i+1:]
		switch c {
		case "rm", "unlink", "srm", "wipe":
			for _, w := range args {
				if criticalLog(w) {
					return true
				}
			}
		case "shred":
			for _, w := range args {
				if isLogPath(w) {
					return true
				}
			}
		case "find":
			if len(args) > 0 && strings.HasPrefix(args[0], "/var/log") && (s.hasWord("-delete") || bytes.Contains(s.text, []byte("-exec rm")) || bytes.Contains(s.text, []byte("-exec shred"))) &&
				!s.hasWord("-mtime") && !s.hasWord("-mmin") && !s.hasWord("-ctime") && !s.hasWord("-atime") && !bytes.Contains(s.text, []byte(".gz")) {
				return true
			}
		}
	}
	return false
}

// loggerStopped: stopping, disabling or killing the system logger or auditd.
// signalledReload reports whether systemctl kill's arguments choose a signal that makes a daemon
// reload or reopen its files rather than stop.
func signalledReload(args []string) bool {
	for i, w := range args {
		sig := ""
		switch {
		case (w == "-s" || w == "--signal") && i+1 < len(args):
			sig = args[i+1]
		case strings.HasPrefix(w, "--signal="):
			sig = strings.TrimPrefix(w, "--signal=")
		case strings.HasPrefix(w, "-s") && len(w) > 2:
			sig = w[2:]
		}
		switch strings.TrimPrefix(strings.ToUpper(sig), "SIG") {
		case "HUP", "USR1", "USR2", "1", "10", "12":
			return true
		}
	}
	return false
}

func loggerStopped(l *line) bool {
	loggers := []string{"rsyslog", "rsyslogd", "syslog", "syslog-ng", "systemd-journald", "journald", "auditd", "rsyslog.service", "systemd-journald.service", "auditd.service", "syslog.socket", "systemd-journald.socket"}
	isLogger := func(w string) bool {
		for _, x := range loggers {
			if w == x {
				return true
			}
		}
		return false
	}
	for _, s := range l.segs {
		c, i := s.cmd()
		if i < 0 {
			continue
		}
		args := s.words[i+1:]
		switch c {
		case "systemctl":
			verb := false
			for j, w := range args {
				if w == "stop" || w == "disable" || w == "mask" {
					verb = true
				}
				// "kill -s HUP" (or USR1) asks a logger to reopen its files (log rotation);
				// only a kill with no signal or a terminating one stops it.
				if w == "kill" {
					verb = !signalledReload(args[j+1:])
				}
			}
			if verb {
				for _, w := range args {
					if isLogger(w) {
						return true
					}
				}
			}
		case "service", "invoke-rc.d":
			if len(args) >= 2 && isLogger(args[0]) && args[1] == "stop" {
				return true
			}
		case "pkill", "killall":
			for _, w := range args {
				if isLogger(w) {
					return true
				}
			}
		}
	}
	return false
}

// chattrTarget returns the file of "chattr +i/+a FILE".
func chattrTarget(l *line) (string, bool) {
	for _, s := range l.segs {
		c, i := s.cmd()
		if c != "chattr" {
			continue
		}
		set := false
		for _, w := range s.words[i+1:] {
			if strings.HasPrefix(w, "+") && strings.ContainsAny(w, "ia") {
				set = true
				continue
			}
			if set && !strings.HasPrefix(w, "-") {
				return w, true
			}
		}
	}
	return "", false
}

// persistencePath: files an intruder locks to keep a foothold.
func persistencePath(t string) bool {
	for _, p := range []string{"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/crontab", "/etc/cron", "/var/spool/cron", "authorized_keys", "/etc/ld.so.preload", "/etc/rc.local", "/etc/systemd", "/lib/systemd", "/usr/lib/systemd", ".bashrc", ".profile", ".bash_profile", "/etc/profile", "/etc/bash.bashrc", "/etc/init.d", "/etc/hosts", "/etc/resolv.conf", ".ssh", "/root", "/etc/pam.d", "/etc/ssh"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// writesTo reports a segment writing to a file accepted by target: a redirect (> or >>),
// tee, cp, mv, install or dd of=.
func writesTo(l *line, target func(string) bool) bool {
	for _, s := range l.segs {
		t := s.text
		for k := 0; k < len(t); k++ {
			if t[k] != '>' {
				continue
			}
			k2 := k + 1
			if k2 < len(t) && t[k2] == '>' {
				k2++
			}
			ws := words(t[k2:])
			if len(ws) > 0 && target(ws[0]) {
				return true
			}
			k = k2
		}
		c, i := s.cmd()
		if i < 0 {
			continue
		}
		args := s.words[i+1:]
		switch c {
		case "tee":
			for _, w := range args {
				if target(w) {
					return true
				}
			}
		case "cp", "mv", "install", "ln":
			if len(args) > 0 && target(args[len(args)-1]) {
				return true
			}
		case "dd":
			for _, w := range args {
				if strings.HasPrefix(w, "of=") && target(w[3:]) {
					return true
				}
			}
		}
	}
	return false
}

// crontabWrite: installing cron entries from a script.
func crontabWrite(l *line) bool {
	for k, s := range l.segs {
		c, i := s.cmd()
		if c == "crontab" && i >= 0 {
			args := s.words[i+1:]
			// "... | crontab -" or "crontab /tmp/file"
			if len(args) > 0 && (args[len(args)-1] == "-" || strings.HasPrefix(args[len(args)-1], "/tmp/") || strings.HasPrefix(args[len(args)-1], "/dev/shm/") || strings.HasPrefix(args[len(args)-1], "/var/tmp/")) {
				if k > 0 || args[len(args)-1] != "-" || len(l.segs) > 1 {
					return true
				}
			}
		}
	}
	return writesTo(l, func(t string) bool {
		return t == "/etc/crontab" || strings.HasPrefix(t, "/etc/cron.d/") || strings.HasPrefix(t, "/var/spool/cron/") ||
			strings.HasPrefix(t, "/etc/cron.hourly/") || strings.HasPrefix(t, "/etc/cron.daily/") || strings.HasPrefix(t, "/etc/cron.weekly/") || strings.HasPrefix(t, "/etc/cron.monthly/")
	})
}

// uid0User: a second uid-0 account.
func uid0User(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if (c == "useradd" || c == "usermod" || c == "adduser") && i >= 0 {
			args := s.words[i+1:]
			for k, w := range args {
				if (w == "-u" || w == "--uid" || w == "-ou") && k+1 < len(args) && args[k+1] == "0" {
					return true
				}
				if w == "-u0" || w == "--uid=0" || w == "-ou0" {
					return true
				}
			}
		}
	}
	if bytes.Contains(l.lc, []byte(":0:0:")) && writesTo(l, func(t string) bool { return t == "/etc/passwd" }) {
		return true
	}
	return false
}

// suidShell: the set-uid bit on a shell or on a file in a temporary folder.
func suidShell(l *line) bool {
	for _, s := range l.segs {
		c, i := s.cmd()
		if c != "chmod" || i < 0 {
			continue
		}
		args := s.words[i+1:]
		suid := false
		for _, w := range args {
			if strings.Contains(w, "+s") || w == "u+s" || w == "g+s" || (len(w) == 4 && (w[0] == '4' || w[0] == '6' || w[0] == '2') && isOctal(w)) {
				suid = true
			}
		}
		if !suid {
			continue
		}
		for _, w := range args {
			if isShellWord(w) || strings.HasPrefix(w, "/tmp/") || strings.HasPrefix(w, "/dev/shm/") || strings.HasPrefix(w, "/var/tmp/") {
				return true
			}
		}
	}
	return false
}

func isOctal(w string) bool {
	for _, c := range w {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// runsFrom: a command run from one of the folders (as the command word, or as the script
// of a shell or interpreter).
func runsFrom(l *line, dirs []string) bool {
	under := func(w string) bool {
		for _, d := range dirs {
			if strings.HasPrefix(w, d) && len(w) > len(d) {
				return true
			}
		}
		return false
	}
	for _, s := range l.segs {
		c, i := s.cmd()
		if i < 0 {
			continue
		}
		if under(s.words[i]) {
			return true
		}
		if shells[c] && i+1 < len(s.words) {
			for _, w := range s.words[i+1:] {
				if strings.HasPrefix(w, "-") {
					continue
				}
				return under(w)
			}
		}
	}
	return false
}
