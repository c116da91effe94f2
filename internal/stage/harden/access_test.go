package harden

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// aliceKey is the fingerprint of the key fixture.Debian authorizes for alice.
func aliceKey(t *testing.T, r *fixture.Root) string {
	ks, _ := sshd.ParseAuthorizedKeys([]byte(r.Read("/home/alice/.ssh/authorized_keys")))
	if len(ks) != 1 {
		t.Fatal("fixture: alice's key")
	}
	return ks[0].Fingerprint
}

// operatorOn is alice, logged in over SSH from 198.51.100.7 port 50022 and running sudo.
func operatorOn(env *contain.Env) {
	env.Operator = contain.Operator{User: "alice", SSH: true, Source: "SSH_CONNECTION",
		Client: netip.MustParseAddrPort("198.51.100.7:50022"), Server: netip.MustParseAddrPort("203.0.113.10:22")}
}

// TestOperatorMustKeepTheirWayIn: turning passwords off is refused when the operator's own
// login (found in auth.log by their address and port) used a password, when the key they
// logged in with is no longer taken from their address, or when sshd wants a password besides
// the key; it passes when their key stays accepted. Near misses: a login line of another
// connection of the same address does not count.
func TestOperatorMustKeepTheirWayIn(t *testing.T) {
	const accept = "Dec  1 10:00:00 web1 sshd[4242]: Accepted %s for alice from 198.51.100.7 port %s ssh2%s\n"
	cases := []struct {
		name    string
		setup   func(r *fixture.Root, fp string)
		refused string // "" : allowed
		warns   string
	}{
		{"key login, key in place", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
		}, "", ""},
		{"password login", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "40000", ": ED25519 "+fp)) // another connection of the same address
			r.Append("/var/log/auth.log", sprintf(accept, "password", "50022", ""))
		}, "you logged in with password (/var/log/auth.log:2)", ""},
		{"keyboard-interactive login", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "keyboard-interactive/pam", "50022", ""))
		}, "you logged in with keyboard-interactive", ""},
		{"key login, key removed since", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/home/alice/.ssh/authorized_keys", "# emptied\n", 0o600)
		}, "the key you logged in with", ""},
		{"key login, key restricted to another network", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/home/alice/.ssh/authorized_keys", `from="10.0.0.0/8" `+r.Read("/home/alice/.ssh/authorized_keys"), 0o600)
		}, "is not in the authorized_keys files sshd reads for alice from 198.51.100.7", ""},
		{"key login, key in a file a Match block names for her address", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/etc/ssh/keys/alice", r.Read("/home/alice/.ssh/authorized_keys"), 0o644)
			r.File("/home/alice/.ssh/authorized_keys", "", 0o600)
			r.Append("/etc/ssh/sshd_config", "Match Address 198.51.100.0/24\n\tAuthorizedKeysFile /etc/ssh/keys/%u\n")
		}, "", ""},
		{"Match for another network names the file: near miss", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/etc/ssh/keys/alice", r.Read("/home/alice/.ssh/authorized_keys"), 0o644)
			r.File("/home/alice/.ssh/authorized_keys", "", 0o600)
			r.Append("/etc/ssh/sshd_config", "Match Address 192.0.2.0/24\n\tAuthorizedKeysFile /etc/ssh/keys/%u\n")
		}, "the key you logged in with", ""},
		{"password required besides the key", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/etc/ssh/sshd_config.d/10-2fa.conf", "AuthenticationMethods publickey,password\n", 0o644)
		}, "sshd asks for a password besides the key", ""},
		{"a key alone is one of the ways", func(r *fixture.Root, fp string) {
			r.Append("/var/log/auth.log", sprintf(accept, "publickey", "50022", ": ED25519 "+fp))
			r.File("/etc/ssh/sshd_config.d/10-2fa.conf", "AuthenticationMethods publickey,password publickey\n", 0o644)
		}, "", ""},
		{"no login line, a key to fall back on", func(r *fixture.Root, fp string) {}, "", "is not in the host's logs"},
		{"no login line and no key", func(r *fixture.Root, fp string) {
			r.File("/home/alice/.ssh/authorized_keys", "", 0o600)
		}, "have no key in the authorized_keys files", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture.Debian(t)
			tc.setup(r, aliceKey(t, r))
			j, _ := OpenJournal(t.TempDir())
			env, err := contain.NewEnv(r.Dir, j)
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			operatorOn(env)
			out, err := contain.Run(env, Change{Def: Lookup("ssh-no-password")}, true)
			if tc.refused != "" {
				if !errors.Is(err, contain.ErrRefused) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("want refused with %q, got %v", tc.refused, err)
				}
				if env.FS.Exists("/etc/ssh/sshd_config.d/00-nowwhat-no-password.conf") {
					t.Error("the drop-in was written although refused")
				}
				return
			}
			if err != nil || !out.Applied {
				t.Fatalf("refused: %v", err)
			}
			if w := strings.Join(out.Plan.Warn, "\n"); tc.warns != "" && !strings.Contains(w, tc.warns) {
				t.Errorf("warnings %q lack %q", w, tc.warns)
			}
		})
	}
}

// TestOperatorOnConsole: no SSH session, nothing to keep: allowed.
func TestOperatorOnConsole(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/home/alice/.ssh/authorized_keys", "", 0o600)
	j, _ := OpenJournal(t.TempDir())
	env, _ := contain.NewEnv(r.Dir, j)
	defer env.Close()
	env.Operator = contain.Operator{User: "alice"}
	if _, err := contain.Run(env, Change{Def: Lookup("ssh-no-password")}, true); err != nil {
		t.Fatal(err)
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
