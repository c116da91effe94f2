package sshd

import (
	"net/netip"
	"strings"
	"testing"
)

func TestMatchCriteria(t *testing.T) {
	conn := Conn{User: "alice", Groups: []string{"alice", "sudo"}, Addr: netip.MustParseAddr("198.51.100.7"),
		LocalAddr: netip.MustParseAddr("203.0.113.10"), LocalPort: 22}
	cases := []struct {
		criteria  string
		ok, known bool
	}{
		{"All", true, true},
		{"User alice", true, true},
		{"User bob", false, true},
		{"User a*", true, true},
		{"User *,!alice", false, true}, // a negated pattern wins
		{"Group sudo", true, true},
		{"Group wheel", false, true},
		{"Group *,!sudo", false, true},
		{"Address 198.51.100.0/24", true, true},
		{"Address 198.51.100.*", true, true},
		{"Address 192.0.2.0/24", false, true},
		{"Address 198.51.100.0/24,!198.51.100.7", false, true},
		{"User alice Address 192.0.2.0/24", false, true}, // every criterion must hold
		{"LocalPort 22", true, true},
		{"LocalPort 2222", false, true},
		{"LocalAddress 203.0.113.10", true, true},
		{"Host *.example.org", false, false}, // needs DNS
		{"Address 198.51.100.0/99", false, false},
		{"User", false, false},
	}
	for _, tc := range cases {
		ok, known := MatchCriteria(tc.criteria, conn)
		if ok != tc.ok || known != tc.known {
			t.Errorf("Match %s: ok=%v known=%v, want %v %v", tc.criteria, ok, known, tc.ok, tc.known)
		}
	}
}

// TestEffectiveFor: a matching block overrides the global value, the first matching block
// wins, a block that does not match is left out, and one that cannot be judged is named.
func TestEffectiveFor(t *testing.T) {
	ds, _ := ParseConfig([]byte(strings.Join([]string{
		"PasswordAuthentication no",
		"Match Address 10.0.0.0/8",
		"  PasswordAuthentication yes",
		"Match User alice",
		"  PasswordAuthentication maybe",
		"  AuthorizedKeysFile /etc/ssh/keys/%u",
		"Match Host *.example.org",
		"  PermitRootLogin yes",
	}, "\n")))
	cfg := &Config{Found: true, Directives: ds}
	alice := cfg.For(Conn{User: "alice", Addr: netip.MustParseAddr("10.1.2.3")})
	if got := alice.Get("PasswordAuthentication"); got[0] != "yes" {
		t.Errorf("first matching block should win: %v", got)
	}
	if got := alice.Get("AuthorizedKeysFile"); got[0] != "/etc/ssh/keys/%u" {
		t.Errorf("AuthorizedKeysFile: %v", got)
	}
	if got := alice.Get("PermitRootLogin"); got[0] != "prohibit-password" {
		t.Errorf("an unjudged block was applied: %v", got)
	}
	if len(alice.Unknown) != 1 || alice.Unknown[0] != "Host *.example.org" {
		t.Errorf("unknown: %v", alice.Unknown)
	}
	bob := cfg.For(Conn{User: "bob", Addr: netip.MustParseAddr("192.0.2.1")})
	if got := bob.Get("PasswordAuthentication"); got[0] != "no" {
		t.Errorf("bob from outside: %v", got)
	}
	if got := bob.Get("AuthorizedKeysFile"); strings.Join(got, " ") != ".ssh/authorized_keys .ssh/authorized_keys2" {
		t.Errorf("default: %v", got)
	}
}
