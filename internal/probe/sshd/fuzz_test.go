package sshd

import (
	"strings"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n",
		"permitrootlogin=yes\nPort = 2222\nMatch User bob,carol Address 10.0.0.0/8\n  ForceCommand /usr/bin/id # x\nMatch all\n",
		"AuthorizedKeysFile \".ssh/my keys\" '/etc/ssh/keys/%u' a\\\"b\nBanner \"unterminated\n=x\nBogus yes\n",
		"ChallengeResponseAuthentication no\r\n\tPubkeyAcceptedKeyTypes +ssh-rsa\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dirs, bad := ParseConfig(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, d := range dirs {
			if d.Key == "" || d.Line < 1 || d.Line > lines {
				t.Fatalf("bad directive %+v", d)
			}
			if k, ok := Canonical(d.Key); ok == d.Unknown || ok && k != d.Key {
				t.Fatalf("keyword %q not canonical (unknown=%v)", d.Key, d.Unknown)
			}
			_ = d.Value()
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines {
				t.Fatalf("bad line error %+v", b)
			}
		}
		cfg := &Config{Found: true, Directives: dirs}
		seen := map[string]bool{}
		for _, o := range cfg.Options() {
			if seen[o.Key] {
				t.Fatalf("duplicate option %q", o.Key)
			}
			seen[o.Key] = true
		}
		KeyFilePatterns(cfg)
	})
}

func FuzzParseAuthorizedKeys(f *testing.F) {
	for _, s := range []string{
		aliceKey + "\n",
		rsaKey + "\n# comment\n\n" + ecdsaKey + "\n",
		`command="/usr/local/bin/backup --dir \"/srv/a b\",now",from="10.0.0.0/8,!10.0.0.1",no-pty ` + aliceKey + "\n",
		"restrict,pty,permitopen=\"localhost:8080\" " + dsaKey + "\n@cert-authority " + caKey + "\n",
		certKey + "\nssh-ed25519 not-base64!!\nhello world\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq x\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, bad := ParseAuthorizedKeys(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, k := range keys {
			if k.Line < 1 || k.Line > lines || k.Type == "" || !strings.HasPrefix(k.Fingerprint, "SHA256:") || len(k.Fingerprint) != 50 {
				t.Fatalf("bad key %+v", k)
			}
			if strings.ContainsAny(k.Options, " \t") && !strings.Contains(k.Options, `"`) {
				t.Fatalf("options with blanks outside quotes: %q", k.Options)
			}
			_ = k.OptionsText()
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines || b.Reason == "" {
				t.Fatalf("bad line error %+v", b)
			}
		}
	})
}

func FuzzParseKeyOptions(f *testing.F) {
	for _, s := range []string{
		`command="echo \"hi, there\"",NO-PTY`,
		`from="*.example.com,10.0.0.0/8",restrict`,
		`environment="A=1",permitlisten="0.0.0.0:2222",expiry-time="20300101"`,
		`command="/bin/sh`, `no-pty=yes`, `evil`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts, _ := ParseKeyOptions(s)
		for _, o := range opts {
			want, ok := keyOptions[o.Name]
			if !ok || want != o.HasValue {
				t.Fatalf("option %+v from %q", o, s)
			}
		}
	})
}
