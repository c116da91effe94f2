package loophole

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe/live"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
)

// Listener is something that accepts connections: a live socket, or what a configuration says.
type Listener struct {
	Service string `json:"service"` // sshd, nginx, apache, mysql, redis, php-fpm, or "unknown"
	Address string `json:"address"` // "0.0.0.0", "::", "127.0.0.1", a unix socket path
	Port    int    `json:"port,omitempty"`
	Public  bool   `json:"public"` // reachable from other hosts (not loopback, not a unix socket)
	Source  string `json:"source"` // "socket" or FILE:LINE of the configuration
	Used    bool   `json:"used_by_entry"`
	Note    string `json:"note,omitempty"`
}

func public(addr string) bool {
	if strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "unix:") {
		return false
	}
	a, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return addr != "localhost"
	}
	return !a.Unmap().IsLoopback()
}

// exposure lists what listens: on a live host the listening TCP sockets (named by the port the
// configurations give each service), on a mounted root what the configurations say.
func exposure(ctx context.Context, fsys *hostfs.FS, sshCfg *sshd.Config) ([]Listener, []string) {
	conf, problems := configured(fsys, sshCfg)
	if !fsys.IsLive() {
		return conf, problems
	}
	byPort := map[int]string{}
	for _, l := range conf {
		if l.Port > 0 {
			byPort[l.Port] = l.Service
		}
	}
	var out []Listener
	seen := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := fsys.ReadFile(table, 64<<20)
		if err != nil {
			problems = append(problems, table+": "+err.Error())
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			e, err := live.ParseNetLine(sc.Text())
			if err != nil || e.State != 10 { // LISTEN
				continue
			}
			addr := e.Local.Unmap().String()
			k := addr + ":" + strconv.Itoa(int(e.LocalPort))
			if seen[k] {
				continue
			}
			seen[k] = true
			svc := byPort[int(e.LocalPort)]
			if svc == "" {
				svc = "unknown"
			}
			out = append(out, Listener{Service: svc, Address: addr, Port: int(e.LocalPort), Public: public(addr), Source: "socket"})
		}
	}
	// Unix sockets and configured services that do not listen now are kept from the configs.
	for _, l := range conf {
		if l.Port == 0 {
			out = append(out, l)
		}
	}
	sortListeners(out)
	return out, problems
}

func sortListeners(ls []Listener) {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].Public != ls[j].Public {
			return ls[i].Public
		}
		if ls[i].Port != ls[j].Port {
			return ls[i].Port < ls[j].Port
		}
		return ls[i].Address < ls[j].Address
	})
}

// configured reads the listening addresses of sshd, nginx, apache, mysql or mariadb, redis and
// php-fpm from their configuration files.
func configured(fsys *hostfs.FS, sshCfg *sshd.Config) ([]Listener, []string) {
	var out []Listener
	var problems []string
	if sshCfg != nil && sshCfg.Found {
		out = append(out, sshdListeners(sshCfg)...)
	}
	nginx, np := LoadNginx(fsys)
	problems = append(problems, np...)
	each(nginx, "listen", func(b *Block) {
		if len(b.Args) == 0 {
			return
		}
		a := b.Args[0]
		host, port := "0.0.0.0", 0
		if strings.HasPrefix(a, "unix:") {
			out = append(out, Listener{Service: "nginx", Address: a, Source: where(b)})
			return
		}
		if h, p, ok := cutPort(a); ok {
			host, port = h, p
		} else if p, err := strconv.Atoi(a); err == nil {
			port = p
		} else {
			host, port = a, 80
		}
		out = append(out, Listener{Service: "nginx", Address: host, Port: port, Public: public(host), Source: where(b)})
	})
	for _, f := range append([]string{"/etc/apache2/ports.conf"}, sshd.Glob(fsys, "/etc/apache2/sites-enabled/*")...) {
		eachLine(fsys, f, func(n int, fields []string) {
			if len(fields) >= 2 && strings.EqualFold(fields[0], "Listen") {
				host, port := "0.0.0.0", 0
				if h, p, ok := cutPort(fields[1]); ok {
					host, port = h, p
				} else {
					port, _ = strconv.Atoi(fields[1])
				}
				out = append(out, Listener{Service: "apache", Address: host, Port: port, Public: public(host), Source: fmt.Sprintf("%s:%d", f, n)})
			}
		})
	}
	mysqlFiles := append(sshd.Glob(fsys, "/etc/mysql/*.cnf"), sshd.Glob(fsys, "/etc/mysql/*/*.cnf")...)
	if len(mysqlFiles) > 0 {
		bind, port, src, skip := "127.0.0.1", 3306, "default (Debian binds MySQL and MariaDB to 127.0.0.1)", false
		for _, f := range mysqlFiles {
			eachLine(fsys, f, func(n int, fields []string) {
				kv := strings.Join(fields, " ")
				k, v, _ := strings.Cut(kv, "=")
				k, v = strings.ReplaceAll(strings.TrimSpace(k), "_", "-"), strings.TrimSpace(v)
				switch k {
				case "bind-address":
					bind, src = v, fmt.Sprintf("%s:%d", f, n)
				case "port":
					port, _ = strconv.Atoi(v)
				case "skip-networking":
					skip = v == "" || v == "1" || v == "ON" || v == "on"
				}
			})
		}
		if !skip {
			out = append(out, Listener{Service: "mysql", Address: bind, Port: port, Public: public(bind) || bind == "*", Source: src})
		}
	}
	if fsys.Exists("/etc/redis/redis.conf") {
		f := "/etc/redis/redis.conf"
		binds, port, src, protected, pass := []string{}, 6379, f, true, false
		eachLine(fsys, f, func(n int, fields []string) {
			switch strings.ToLower(fields[0]) {
			case "bind":
				binds, src = fields[1:], fmt.Sprintf("%s:%d", f, n)
			case "port":
				if len(fields) > 1 {
					port, _ = strconv.Atoi(fields[1])
				}
			case "protected-mode":
				protected = len(fields) < 2 || fields[1] != "no"
			case "requirepass":
				pass = true
			}
		})
		if len(binds) == 0 {
			binds = []string{"0.0.0.0"}
		}
		for _, b := range binds {
			b = strings.TrimPrefix(b, "-")
			l := Listener{Service: "redis", Address: b, Port: port, Public: public(b), Source: src}
			if l.Public && !protected && !pass {
				l.Note = "protected-mode no and no requirepass: anyone who reaches it runs commands"
			}
			out = append(out, l)
		}
	}
	for _, f := range sshd.Glob(fsys, "/etc/php/*/fpm/pool.d/*.conf") {
		eachLine(fsys, f, func(n int, fields []string) {
			kv := strings.Join(fields, " ")
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) != "listen" {
				return
			}
			v = strings.TrimSpace(v)
			l := Listener{Service: "php-fpm", Address: v, Source: fmt.Sprintf("%s:%d", f, n)}
			if h, p, ok := cutPort(v); ok {
				l.Address, l.Port, l.Public = h, p, public(h)
			} else if p, err := strconv.Atoi(v); err == nil {
				l.Address, l.Port, l.Public = "0.0.0.0", p, true
			}
			if l.Public {
				l.Note = "PHP-FPM reachable from the network runs any PHP file it is asked to"
			}
			out = append(out, l)
		})
	}
	sortListeners(out)
	return out, problems
}

func cutPort(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return "", 0, false
	}
	host := s[:i]
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return "", 0, false // an IPv6 address without a port ("::1")
	}
	host = strings.Trim(host, "[]")
	if host == "*" || host == "" {
		host = "0.0.0.0"
	}
	return host, p, true
}

// eachLine calls fn with the fields of every line of a file that is not a comment.
func eachLine(fsys *hostfs.FS, name string, fn func(n int, fields []string)) {
	data, err := fsys.ReadFile(name, confLimit)
	if err != nil {
		return
	}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' || l[0] == ';' || l[0] == '[' {
			continue
		}
		fn(i+1, strings.Fields(l))
	}
}

// sshdListeners are the addresses and ports sshd listens on per its configuration.
func sshdListeners(sshCfg *sshd.Config) []Listener {
	var out []Listener
	ports := []int{}
	pd := ""
	for _, d := range sshCfg.Directives {
		if d.Match == "" && d.Key == "Port" && len(d.Args) > 0 {
			if p, err := strconv.Atoi(d.Args[0]); err == nil {
				ports = append(ports, p)
				pd = fmt.Sprintf("%s:%d", d.File, d.Line)
			}
		}
	}
	if len(ports) == 0 {
		ports, pd = []int{22}, sshd.MainConfig+" (default Port 22)"
	}
	addrs := []string{}
	for _, d := range sshCfg.Directives {
		if d.Match == "" && d.Key == "ListenAddress" && len(d.Args) > 0 {
			addrs = append(addrs, d.Args[0])
		}
	}
	if len(addrs) == 0 {
		addrs = []string{"0.0.0.0", "::"}
	}
	for _, a := range addrs {
		for _, p := range ports {
			host := a
			if h, port, ok := cutPort(a); ok {
				host, p = h, port
			}
			out = append(out, Listener{Service: "sshd", Address: host, Port: p, Public: public(host), Source: pd})
		}
	}
	return out
}

// SSHDPorts are the TCP ports sshd listens on per its configuration (its Port lines and the
// ports of its ListenAddress lines), 22 when none is set.
func SSHDPorts(cfg *sshd.Config) []int {
	seen := map[int]bool{}
	var out []int
	if cfg != nil {
		for _, l := range sshdListeners(cfg) {
			if !seen[l.Port] {
				seen[l.Port] = true
				out = append(out, l.Port)
			}
		}
	}
	if len(out) == 0 {
		out = []int{22}
	}
	sort.Ints(out)
	return out
}
