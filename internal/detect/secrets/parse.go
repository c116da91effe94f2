package secrets

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// assign is one setting read from a configuration file: name and value, with the section (INI
// [section], YAML parent keys) and the 1-based line. Readers return every setting, secret or
// not, so database settings can be put together (user, host, database) around the password.
type assign struct {
	line    int
	section string
	name    string
	value   string
}

// lines calls fn for each line with its 1-based number.
func lines(text string, fn func(n int, line string)) {
	n := 0
	for len(text) > 0 {
		n++
		i := strings.IndexByte(text, '\n')
		var l string
		if i < 0 {
			l, text = text, ""
		} else {
			l, text = text[:i], text[i+1:]
		}
		fn(n, strings.TrimRight(l, "\r"))
	}
}

// unquote strips one level of matching quotes, and for unquoted values a trailing comment.
func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'' || v[0] == '`') {
		q := v[0]
		if j := strings.LastIndexByte(v, q); j > 0 {
			inner := v[1:j]
			if q == '"' {
				inner = strings.ReplaceAll(inner, `\"`, `"`)
			}
			return inner
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, " ;"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

var envLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$`)

// parseEnv reads KEY=value files (dotenv, EnvironmentFile=, /etc/default, Java properties).
func parseEnv(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			return
		}
		m := envLine.FindStringSubmatch(l)
		if m == nil {
			return
		}
		out = append(out, assign{line: n, name: m[1], value: unquote(m[2])})
	})
	return out
}

var iniLine = regexp.MustCompile(`^\s*([A-Za-z0-9_.:/@-][A-Za-z0-9_.:/@ -]*?)\s*[=:]?\s*=\s*(.*)$`)
var iniBare = regexp.MustCompile(`^\s*([A-Za-z0-9_.-]+)\s+(.+)$`)

// parseINI reads key = value files with [sections] (my.cnf, AWS, rclone, npmrc, msmtprc).
// msmtprc and ssmtp style "key value" lines are read too.
func parseINI(text string) []assign {
	var out []assign
	section := ""
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			return
		}
		if t[0] == '[' && strings.HasSuffix(t, "]") {
			section = strings.TrimSpace(t[1 : len(t)-1])
			return
		}
		if i := strings.IndexByte(t, '='); i > 0 {
			out = append(out, assign{line: n, section: section, name: strings.TrimSpace(t[:i]), value: unquote(t[i+1:])})
			return
		}
		if m := iniBare.FindStringSubmatch(t); m != nil {
			out = append(out, assign{line: n, section: section, name: m[1], value: unquote(m[2])})
		}
	})
	return out
}

var (
	phpDefine = regexp.MustCompile(`define\s*\(\s*['"]([A-Za-z0-9_]+)['"]\s*,\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\)`)
	phpVar    = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)((?:\s*\[\s*['"]?[A-Za-z0-9_$]*['"]?\s*\])*)\s*=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*;`)
	phpArrow  = regexp.MustCompile(`['"]([A-Za-z0-9_.-]+)['"]\s*=>\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`)
	phpIndex  = regexp.MustCompile(`\[\s*['"]?([A-Za-z0-9_]+)['"]?\s*\]`)
)

// phpString turns a PHP string literal into its value (no interpolation: a "$" inside a
// double-quoted string makes it a reference, dropped later as a placeholder).
func phpString(lit string) string {
	if len(lit) < 2 {
		return ""
	}
	inner := lit[1 : len(lit)-1]
	if lit[0] == '\'' {
		return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(inner)
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`).Replace(inner)
}

// parsePHP reads literal settings from PHP configuration: define('NAME', 'value'),
// $var = 'value'; $cfg['a']['b'] = 'value'; and 'key' => 'value'.
func parsePHP(text string) []assign {
	var out []assign
	inComment := false
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if inComment {
			if strings.Contains(t, "*/") {
				inComment = false
			}
			return
		}
		if strings.HasPrefix(t, "/*") && !strings.Contains(t, "*/") {
			inComment = true
			return
		}
		if strings.HasPrefix(t, "//") || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "*") {
			return
		}
		for _, m := range phpDefine.FindAllStringSubmatch(l, -1) {
			out = append(out, assign{line: n, name: m[1], value: phpString(m[2])})
		}
		for _, m := range phpVar.FindAllStringSubmatch(l, -1) {
			name := m[1]
			if idx := phpIndex.FindAllStringSubmatch(m[2], -1); len(idx) > 0 {
				name = idx[len(idx)-1][1]
			}
			out = append(out, assign{line: n, section: m[1], name: name, value: phpString(m[3])})
		}
		for _, m := range phpArrow.FindAllStringSubmatch(l, -1) {
			out = append(out, assign{line: n, name: m[1], value: phpString(m[2])})
		}
	})
	return out
}

var (
	pyAssign = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:[rbuf]?)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*(?:#.*)?$`)
	pyDict   = regexp.MustCompile(`['"]([A-Za-z0-9_]+)['"]\s*:\s*(?:[rbu]?)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`)
	pyList   = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[\[(]\s*(.*)$`)
)

// parsePython reads literal settings from Python modules (Django settings): NAME = 'value',
// 'KEY': 'value' inside dicts, and NAME = ['a', 'b'] lists (joined, for SECRET_KEY_FALLBACKS).
func parsePython(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			return
		}
		if m := pyAssign.FindStringSubmatch(l); m != nil {
			out = append(out, assign{line: n, name: m[1], value: phpString(m[2])})
			return
		}
		if m := pyList.FindStringSubmatch(l); m != nil {
			var vals []string
			for _, s := range regexp.MustCompile(`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`).FindAllString(m[2], -1) {
				vals = append(vals, phpString(s))
			}
			out = append(out, assign{line: n, name: m[1], value: strings.Join(vals, "\n")})
			return
		}
		for _, m := range pyDict.FindAllStringSubmatch(l, -1) {
			out = append(out, assign{line: n, name: m[1], value: phpString(m[2])})
		}
	})
	return out
}

var yamlLine = regexp.MustCompile(`^(\s*)(?:-\s+)?([A-Za-z0-9_.-]+)\s*:\s*(.*)$`)

// parseYAML reads key: value lines; section is the dotted path of the parent keys by indentation
// (enough for database.yml, kubeconfig, borgmatic; anchors and flow style are not followed).
func parseYAML(text string) []assign {
	var out []assign
	type level struct {
		indent int
		key    string
	}
	var stack []level
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			return
		}
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			return
		}
		ind := len(m[1])
		for len(stack) > 0 && stack[len(stack)-1].indent >= ind {
			stack = stack[:len(stack)-1]
		}
		var sec []string
		for _, s := range stack {
			sec = append(sec, s.key)
		}
		v := strings.TrimSpace(m[3])
		if v == "" || v == "|" || v == ">" {
			stack = append(stack, level{ind, m[2]})
			return
		}
		if strings.HasPrefix(v, "&") || strings.HasPrefix(v, "*") {
			return
		}
		out = append(out, assign{line: n, section: strings.Join(sec, "."), name: m[2], value: unquote(v)})
	})
	return out
}

// parseJSON reads every string value of a JSON document, named by its key path.
func parseJSON(text string) []assign {
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil
	}
	var out []assign
	var walk func(prefix, key string, v any)
	walk = func(prefix, key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			p := prefix
			if key != "" {
				p = strings.TrimPrefix(prefix+"."+key, ".")
			}
			for _, k := range keys {
				walk(p, k, x[k])
			}
		case []any:
			for _, e := range x {
				walk(prefix, key, e)
			}
		case string:
			out = append(out, assign{line: lineOf(text, x), section: prefix, name: key, value: x})
		}
	}
	walk("", "", doc)
	return out
}

// lineOf is the 1-based line of the first occurrence of s in text (0 when not found as is).
func lineOf(text, s string) int {
	if s == "" {
		return 0
	}
	i := strings.Index(text, s)
	if i < 0 {
		return 0
	}
	return strings.Count(text[:i], "\n") + 1
}

// parsePgpass reads hostname:port:database:username:password lines (\: and \\ escapes).
func parsePgpass(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.TrimSpace(l) == "" {
			return
		}
		var f []string
		var b strings.Builder
		for i := 0; i < len(l); i++ {
			switch {
			case l[i] == '\\' && i+1 < len(l):
				i++
				b.WriteByte(l[i])
			case l[i] == ':' && len(f) < 4:
				f = append(f, b.String())
				b.Reset()
			default:
				b.WriteByte(l[i])
			}
		}
		f = append(f, b.String())
		if len(f) != 5 {
			return
		}
		sec := strings.Join(f[:4], ":")
		out = append(out, assign{line: n, section: sec, name: "host", value: f[0]},
			assign{line: n, section: sec, name: "port", value: f[1]},
			assign{line: n, section: sec, name: "database", value: f[2]},
			assign{line: n, section: sec, name: "user", value: f[3]},
			assign{line: n, section: sec, name: "password", value: f[4]})
	})
	return out
}

// parseNetrc reads machine/login/password tokens, which may span lines.
func parseNetrc(text string) []assign {
	var out []assign
	machine, login := "", ""
	var words []struct {
		w string
		n int
	}
	lines(text, func(n int, l string) {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			return
		}
		for _, w := range strings.Fields(l) {
			words = append(words, struct {
				w string
				n int
			}{w, n})
		}
	})
	for i := 0; i < len(words); i++ {
		switch words[i].w {
		case "machine", "default":
			login = ""
			if words[i].w == "default" {
				machine = "default"
			} else if i+1 < len(words) {
				machine = words[i+1].w
				i++
			}
		case "login", "account":
			if i+1 < len(words) {
				login = words[i+1].w
				i++
			}
		case "password":
			if i+1 < len(words) {
				out = append(out, assign{line: words[i+1].n, section: machine, name: "password of " + login + "@" + machine, value: words[i+1].w})
				i++
			}
		}
	}
	return out
}

// parseURLCreds reads scheme://user:secret@host lines (.git-credentials).
func parseURLCreds(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		u, err := url.Parse(strings.TrimSpace(l))
		if err != nil || u.User == nil {
			return
		}
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, assign{line: n, section: u.Host, name: "token of " + u.User.Username() + "@" + u.Host, value: p})
		}
	})
	return out
}

// parseRedis reads requirepass and masterauth, and ACL users' >password rules.
func parseRedis(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			return
		}
		switch strings.ToLower(f[0]) {
		case "requirepass", "masterauth":
			out = append(out, assign{line: n, name: strings.ToLower(f[0]), value: unquote(strings.Join(f[1:], " "))})
		case "user":
			for _, r := range f[2:] {
				if strings.HasPrefix(r, ">") && len(r) > 1 {
					out = append(out, assign{line: n, name: "password of ACL user " + f[1], value: r[1:]})
				}
			}
		}
	})
	return out
}

// parseSASL reads postfix sasl_passwd: "[relay]:port user:password".
func parseSASL(text string) []assign {
	var out []assign
	lines(text, func(n int, l string) {
		f := strings.Fields(l)
		if len(f) != 2 || strings.HasPrefix(f[0], "#") {
			return
		}
		user, pass, ok := strings.Cut(f[1], ":")
		if !ok {
			return
		}
		out = append(out, assign{line: n, section: f[0], name: "relay password of " + user + " at " + f[0], value: pass})
	})
	return out
}

// parseWireGuard reads PrivateKey and PresharedKey.
func parseWireGuard(text string) []assign {
	var out []assign
	section := ""
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			section = strings.Trim(t, "[]")
			return
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return
		}
		k = strings.TrimSpace(k)
		if strings.EqualFold(k, "PrivateKey") || strings.EqualFold(k, "PresharedKey") {
			out = append(out, assign{line: n, section: section, name: k, value: strings.TrimSpace(v)})
		}
	})
	return out
}

// parseOpenVPN reads inline key blocks (<key>, <tls-auth>, <tls-crypt>, <secret>).
func parseOpenVPN(text string) []assign {
	var out []assign
	open, start := "", 0
	var b strings.Builder
	lines(text, func(n int, l string) {
		t := strings.TrimSpace(l)
		if open == "" {
			for _, tag := range []string{"key", "tls-auth", "tls-crypt", "tls-crypt-v2", "secret", "pkcs12"} {
				if t == "<"+tag+">" {
					open, start = tag, n
					b.Reset()
				}
			}
			return
		}
		if t == "</"+open+">" {
			out = append(out, assign{line: start, name: "inline <" + open + ">", value: b.String()})
			open = ""
			return
		}
		b.WriteString(t)
		b.WriteByte('\n')
	})
	return out
}

// pemBlock is one private key found in a PEM file.
type pemBlock struct {
	line  int
	label string // "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "OpenVPN Static key V1", ...
	text  string
}

// parsePEM finds the private key blocks of a file (certificates and public keys are not secret).
func parsePEM(data []byte) []pemBlock {
	var out []pemBlock
	text := string(data)
	for {
		i := strings.Index(text, "-----BEGIN ")
		if i < 0 {
			return out
		}
		rest := text[i+len("-----BEGIN "):]
		j := strings.Index(rest, "-----")
		if j < 0 || j > 64 {
			return out
		}
		label := rest[:j]
		end := "-----END " + label + "-----"
		k := strings.Index(rest, end)
		if k < 0 {
			return out
		}
		block := text[i : i+len("-----BEGIN ")+k+len(end)]
		if strings.Contains(label, "PRIVATE KEY") || strings.HasPrefix(label, "OpenVPN Static key") {
			out = append(out, pemBlock{line: strings.Count(string(data[:len(data)-len(text)+i]), "\n") + 1, label: label, text: block})
		}
		text = rest[k+len(end):]
	}
}

// isKeytab reports whether data is a Kerberos keytab (version 0x0502 or 0x0501).
func isKeytab(data []byte) bool {
	return len(data) > 2 && data[0] == 0x05 && (data[1] == 0x02 || data[1] == 0x01)
}

// isText reports whether data looks like text (no NUL in its first 8 KiB).
func isText(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	return !bytes.Contains(head, []byte{0})
}
