package hostinfo

import (
	"bytes"
	"strings"
)

// ParseOSRelease reads an os-release file (os-release(5)): KEY=VALUE lines in shell syntax,
// "#" comments, values in double quotes (where \" \\ \$ \` are escapes), single quotes
// (literal) or bare (where a backslash escapes the next character); quoted and bare parts
// join, as the shell joins them. Lines that are not assignments are skipped. The same syntax
// serves /etc/sysconfig/network.
func ParseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		key, value, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || !validKey(key) {
			continue
		}
		out[key] = shellValue(strings.TrimLeft(value, " \t"))
	}
	return out
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// shellValue undoes shell quoting of one value. An unclosed quote runs to the end of the line;
// trailing unquoted blanks are dropped.
func shellValue(v string) string {
	var b strings.Builder
	keep := 0 // length of b up to the last character that is not an unquoted blank
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
			keep = b.Len()
		case '\'':
			end := strings.IndexByte(v[i+1:], '\'')
			if end < 0 {
				end = len(v) - i - 1
			}
			b.WriteString(v[i+1 : i+1+end])
			i += end + 1
			keep = b.Len()
		case '"':
			i++
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\`$", v[i+1]) >= 0 {
					i++
				}
				b.WriteByte(v[i])
			}
			keep = b.Len()
		default:
			b.WriteByte(c)
			if c != ' ' && c != '\t' {
				keep = b.Len()
			}
		}
	}
	return b.String()[:keep]
}
