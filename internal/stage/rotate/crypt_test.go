package rotate

import (
	"os/exec"
	"strings"
	"testing"
)

func TestSHA512Crypt(t *testing.T) {
	// Vectors from Drepper's SHA-crypt specification; the third (rounds below the minimum)
	// checked against libxcrypt's crypt(3).
	for _, c := range []struct {
		pw, salt string
		rounds   int
		want     string
	}{
		{"Hello world!", "saltstring", 5000, "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "saltstringsaltstring", 10000, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"we have a short salt string but not a short password", "roundstoolow", 10, "$6$rounds=1000$roundstoolow$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1"},
	} {
		if got := sha512Crypt(c.pw, c.salt, c.rounds); got != c.want {
			t.Errorf("sha512Crypt(%q, %q, %d) = %s, want %s", c.pw, c.salt, c.rounds, got, c.want)
		}
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		h := hashPassword("Ünïcode pass 1")
		salt := strings.Split(h, "$")[3]
		out, err := exec.Command(openssl, "passwd", "-6", "-salt", salt, "Ünïcode pass 1").Output()
		if err == nil && sha512Crypt("Ünïcode pass 1", salt, 5000) != strings.TrimSpace(string(out)) {
			t.Errorf("openssl passwd -6 disagrees: %s vs %s", out, sha512Crypt("Ünïcode pass 1", salt, 5000))
		}
	}
}

func TestRandomString(t *testing.T) {
	a, b := newPassword(), newPassword()
	if a == b || len(a) != 24 || strings.Trim(a, alnum) != "" {
		t.Fatalf("passwords %q %q", a, b)
	}
}
