package secrets

import (
	"strings"
	"testing"
)

// Every reader of a foreign format must take any bytes without panicking or hanging, and report
// lines that exist.
func fuzzParser(f *testing.F, parse func(string) []assign, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n := strings.Count(text, "\n") + 1
		for _, a := range parse(text) {
			if a.line < 0 || a.line > n {
				t.Fatalf("line %d of a %d-line text", a.line, n)
			}
		}
	})
}

func FuzzParseEnv(f *testing.F) {
	fuzzParser(f, parseEnv, "A=1\nexport B='x y' # c\n", "DB_PASSWORD=\"p\\\"w\"\n", "=\n\x00")
}
func FuzzParseINI(f *testing.F) {
	fuzzParser(f, parseINI, "[client]\nuser = a\npassword=\"b\"\n", "[\n]\n;x\nkey value\n")
}
func FuzzParsePHP(f *testing.F) {
	fuzzParser(f, parsePHP, "<?php\ndefine( 'DB_PASSWORD', 'x\\'y' );\n$cfg['Servers'][$i]['password'] = \"z\";\n'k' => 'v',\n/* a\n*/", "define('A',")
}
func FuzzParsePython(f *testing.F) {
	fuzzParser(f, parsePython, "SECRET_KEY = 'x'\nDATABASES = {'default': {'PASSWORD': \"y\"}}\nSECRET_KEY_FALLBACKS = ['a', 'b']\n", "X = [")
}
func FuzzParseYAML(f *testing.F) {
	fuzzParser(f, parseYAML, "production:\n  adapter: mysql2\n  password: 'x'\nusers:\n- name: a\n  user:\n    token: t\n", ": :\n  -")
}
func FuzzParseJSON(f *testing.F) {
	fuzzParser(f, parseJSON, `{"auths":{"r":{"auth":"eA=="}},"a":[{"b":"c"}]}`, `{"a":`, `[[[[[]]]]]`)
}
func FuzzParsePgpass(f *testing.F) {
	fuzzParser(f, parsePgpass, "localhost:5432:*:app:p\\:w\n", "a:b\\")
}
func FuzzParseNetrc(f *testing.F) {
	fuzzParser(f, parseNetrc, "machine m login l password p\ndefault password q", "password")
}
func FuzzParseURLCreds(f *testing.F) {
	fuzzParser(f, parseURLCreds, "https://u:t@github.com\n", "://@\n%zz")
}
func FuzzParseRedis(f *testing.F) {
	fuzzParser(f, parseRedis, "requirepass \"a b\"\nuser default on >pw ~* +@all\n", "user")
}
func FuzzParseSASL(f *testing.F) {
	fuzzParser(f, parseSASL, "[smtp.example]:587 u@example:pw\n", "a b")
}
func FuzzParseWireGuard(f *testing.F) {
	fuzzParser(f, parseWireGuard, "[Interface]\nPrivateKey = abc=\n[Peer]\nPresharedKey=x\n", "[")
}
func FuzzParseOpenVPN(f *testing.F) {
	fuzzParser(f, parseOpenVPN, "<tls-crypt>\n-----BEGIN OpenVPN Static key V1-----\nab\n</tls-crypt>\n", "<key>\n")
}
func FuzzParsePEM(f *testing.F) {
	fuzzParser(f, func(s string) []assign {
		var out []assign
		for _, b := range parsePEM([]byte(s)) {
			out = append(out, assign{line: b.line})
		}
		return out
	}, "x\n-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n", "-----BEGIN ", "-----BEGIN X-----")
}
