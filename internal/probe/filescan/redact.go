package filescan

import "strings"

// secretWords mark a configuration key that may hold a secret.
var secretWords = []string{"pass", "secret", "token", "api_key", "apikey", "api-key", "private_key",
	"private-key", "credential", "auth_key", "access_key", "bearer"}

// Redact replaces the value of every line that assigns a secret ("PASSWORD=...",
// "export API_TOKEN=...", "  db_pass: ...") with "[redacted]", so kept file texts never hold
// secrets in clear. The key stays, so a diff still shows that the line changed. Only a single
// word before the "=" or ":" counts as a key, so PAM and sudoers lines are left alone.
func Redact(text string) string {
	if !containsSecretWord(strings.ToLower(text)) {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		cut := strings.IndexAny(l, "=:")
		if cut <= 0 {
			continue
		}
		key := strings.TrimSpace(l[:cut])
		key = strings.TrimPrefix(key, "export ")
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		if key == "" || key == "passwd" || strings.ContainsAny(key, " \t[") || !containsSecretWord(strings.ToLower(key)) {
			continue
		}
		nl := ""
		if strings.HasSuffix(l, "\n") {
			nl = "\n"
		}
		lines[i] = l[:cut+1] + "[redacted]" + nl
	}
	return strings.Join(lines, "")
}

func containsSecretWord(low string) bool {
	for _, w := range secretWords {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}
