package sshd

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Keys made with ssh-keygen 9.2 and the fingerprints `ssh-keygen -lf` printed for them.
const (
	aliceKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
	aliceFP  = "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
	rsaKey   = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCozp4RF1TqQ/zWAPYt1yoBBHj/N56nrNyos+QX6vruIPVqhGJ1OCzXLK+Aj/srwRrAPAosl+EFJ5f3JU4BU/weXR4yldQIFf3DaZFtQY5xkTO/xIUUyrN1Y1gXggEzAI0e2ARqx9rXrgpdbSAcD2jrCLqSggRI8Wl6OEJBbaZBgw== rsa@test"
	rsaFP    = "SHA256:SIxLRRbACdF/sqPYzN6Rrf0FwvYMZUPe/41plyfEeD8"
	ecdsaKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBiz7roBZkPTxWUH3z9neqG0juhLz0UcWXTiupSjxeWUx4gTv+HTvGXnBUfXA2Fyw/IM9JPZPw8pj30v/lCZThU= ecdsa@test"
	ecdsaFP  = "SHA256:t2RxhbcvNpVRyxPzIX10bnMpq8YFbbD/Z0Ng6tEuxQ0"
	dsaKey   = "ssh-dss AAAAB3NzaC1kc3MAAACBAM/LTJWMTkAOyak/HdPZRh7LTqAweP+qMDkietlXSzJfD14MQeptKN8G9+kHNRoiXaHILmU2EToT6aX8ujrfk65d1P2lRZx9ng2rp8d7aI+WALBPRxBSm7wye4GzarA+Jl0bKJLBkCiWZOchVaX6ftW6NSI/AgtsfX7zQD6NSFHXAAAAFQCZ8M36+4cq/cIM4cD0n2WhRyYf+QAAAIAUdfk/u/1/05vo+wR0G7MJ9mVgjX9unijfM9/O+bO+gBZhqI+3yESFy2ATJqUcMTkvMyZI1g7gNxpP3sR30HVHbVa3FPMu8613HjHEK7bHiTMNhBoX/R2ZiI53B+eMJfJvS0VT7g+X/ABszZ2KH4UKFc1o0e4LsIm9wOL0aFbErAAAAIBuzpOvXWm0onyUgF6Q1D6cBUXWlwfMHivfoq7S2h/StCsSHQj0/LWgMXnmwwPAyANK48UsmvmEJLxCbNV35/HXMFXuB6z5kPsKHwgPD0BI3mmMrn1lpNXe3riiDFW6S7SqGUDBnXqYCJkt/fP7aV8tZ4ADfrROHy18KupOCCvVfw== dsa@test"
	dsaFP    = "SHA256:EXu3zDW2rgiCPOT/JgPvSAQjk8Eu4eX8NHekbd+dSK8"
	certKey  = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAICnih8pmgWLdikF/LdaAc+PBDuDGw2BvSwTbPYDxDWKuAAAAICQ5mP7deXHO0VCDMWEwYCBB60PIMIlE+6JZFs7w1AAYAAAAAAAAAAAAAAABAAAABmNlcnRpZAAAAAkAAAAFYWxpY2UAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAgcxy8wSPI6KQfUrWosjTEWRj8285U3nsIO+sdYlNvHTsAAABTAAAAC3NzaC1lZDI1NTE5AAAAQFaNlpQxB7PTuzNJgUJzmPcKOesEQSS4Cnu8rXBKa2n7HoLADYLH4qU8PYpF/sUJTIFsCpkttdNAS0sNOvDYGgs= user"
	certFP   = "SHA256:O6YSr+dwK+3Mk62xEfWEJDIGmr4pqF0EyexkCGrchvo" // the certified key's fingerprint
	caKey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMcvMEjyOikH1K1qLI0xFkY/NvOVN57CDvrHWJTbx07 ca"
	caFP     = "SHA256:0SG1eXz9Zt/cL6/tKqKXn0bgo9WKm4xRm7BhNCXOea0"
)

func TestFingerprintMatchesXCrypto(t *testing.T) {
	for _, line := range []string{aliceKey, rsaKey, ecdsaKey, caKey} {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Fatalf("x/crypto: %v", err)
		}
		keys, bad := ParseAuthorizedKeys([]byte(line))
		if len(keys) != 1 || len(bad) != 0 {
			t.Fatalf("%q: keys %+v bad %v", line, keys, bad)
		}
		if keys[0].Fingerprint != ssh.FingerprintSHA256(pub) {
			t.Errorf("fingerprint %s, x/crypto says %s", keys[0].Fingerprint, ssh.FingerprintSHA256(pub))
		}
	}
}

func TestParseAuthorizedKeys(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []AuthorizedKey
		bad  []string // reasons, in order
	}{
		{"ed25519", aliceKey, []AuthorizedKey{{Line: 1, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true}}, nil},
		{"rsa", rsaKey, []AuthorizedKey{{Line: 1, Type: "ssh-rsa", Fingerprint: rsaFP, Comment: "rsa@test", Verified: true}}, nil},
		{"ecdsa", ecdsaKey, []AuthorizedKey{{Line: 1, Type: "ecdsa-sha2-nistp256", Fingerprint: ecdsaFP, Comment: "ecdsa@test", Verified: true}}, nil},
		{"dsa is fingerprinted without x/crypto", dsaKey, []AuthorizedKey{{Line: 1, Type: "ssh-dss", Fingerprint: dsaFP, Comment: "dsa@test"}}, nil},
		{"certificate", certKey, []AuthorizedKey{{Line: 1, Type: "ssh-ed25519-cert-v01@openssh.com", Fingerprint: certFP, Comment: "user", Verified: true}}, nil},
		{"no comment", strings.TrimSuffix(aliceKey, " alice@laptop"), []AuthorizedKey{{Line: 1, Type: "ssh-ed25519", Fingerprint: aliceFP, Verified: true}}, nil},
		{"comment with spaces", aliceKey + "  and more words", []AuthorizedKey{{Line: 1, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop  and more words", Verified: true}}, nil},
		{"command and from",
			`command="/usr/local/bin/backup --dir \"/srv/a b\",now",from="10.0.0.0/8,!10.0.0.1",no-pty ` + aliceKey,
			[]AuthorizedKey{{Line: 1, Options: `command="/usr/local/bin/backup --dir \"/srv/a b\",now",from="10.0.0.0/8,!10.0.0.1",no-pty`, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true}}, nil},
		{"restrict and more", `restrict,pty,permitopen="localhost:8080",environment="PATH=/tmp",expiry-time="20300101",principals="a,b",tunnel="0" ` + rsaKey,
			[]AuthorizedKey{{Line: 1, Options: `restrict,pty,permitopen="localhost:8080",environment="PATH=/tmp",expiry-time="20300101",principals="a,b",tunnel="0"`, Type: "ssh-rsa", Fingerprint: rsaFP, Comment: "rsa@test", Verified: true}}, nil},
		{"cert-authority", "cert-authority,principals=\"root\" " + caKey,
			[]AuthorizedKey{{Line: 1, Options: `cert-authority,principals="root"`, Type: "ssh-ed25519", Fingerprint: caFP, Comment: "ca", Verified: true}}, nil},
		{"marker", "@cert-authority " + caKey,
			[]AuthorizedKey{{Line: 1, Marker: "@cert-authority", Type: "ssh-ed25519", Fingerprint: caFP, Comment: "ca", Verified: true}},
			[]string{"marker @cert-authority is not valid"}},
		{"unknown option", "no-pty,backdoor " + aliceKey,
			[]AuthorizedKey{{Line: 1, Options: "no-pty,backdoor", Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true, OptionError: `unsupported option "backdoor"`}},
			[]string{"bad options, sshd rejects this key: unsupported option"}},
		{"comments and blanks", "# a comment\n\n   \n\t" + aliceKey + "\n", []AuthorizedKey{{Line: 4, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true}}, nil},
		{"malformed lines", "ssh-ed25519 not-base64!!\nssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x\nhello world\nssh-ed25519\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq x\n" + aliceKey,
			[]AuthorizedKey{{Line: 6, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true}},
			[]string{"line 1: ssh-ed25519 key is not valid base64", "line 2: key type ssh-rsa does not match", "line 3: no public key", "line 4: key type ssh-ed25519 without a key", "line 5: ssh-ed25519 key is malformed"}},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n", nil,
			[]string{"line 1: a private key is stored here", "line 2: no public key", "line 3: no public key"}},
		{"crlf", aliceKey + "\r\n", []AuthorizedKey{{Line: 1, Type: "ssh-ed25519", Fingerprint: aliceFP, Comment: "alice@laptop", Verified: true}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, bad := ParseAuthorizedKeys([]byte(tc.line))
			if !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("keys:\n got  %+v\n want %+v", keys, tc.want)
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("line errors %v, want %d", bad, len(tc.bad))
			}
			for i, b := range bad {
				if !strings.Contains(b.Error(), tc.bad[i]) {
					t.Errorf("line error %q, want %q", b.Error(), tc.bad[i])
				}
				if strings.Contains(b.Error(), "b3BlbnNz") {
					t.Errorf("line error quotes the file: %q", b.Error())
				}
			}
		})
	}
}

func TestParseKeyOptions(t *testing.T) {
	tests := []struct {
		in      string
		want    []KeyOption
		wantErr string
	}{
		{`command="echo \"hi, there\"",NO-PTY`, []KeyOption{{"command", `echo "hi, there"`, true}, {"no-pty", "", false}}, ""},
		{`from="*.example.com,10.0.0.0/8",restrict`, []KeyOption{{"from", "*.example.com,10.0.0.0/8", true}, {"restrict", "", false}}, ""},
		{`environment="A=1",permitlisten="0.0.0.0:2222"`, []KeyOption{{"environment", "A=1", true}, {"permitlisten", "0.0.0.0:2222", true}}, ""},
		{`no-pty=yes`, nil, `takes no value`},
		{`command`, nil, `needs a value`},
		{`command=/bin/sh`, nil, `not in double quotes`},
		{`command="/bin/sh`, nil, `unterminated quote`},
		{`command="a"x`, nil, `junk after the value`},
		{`evil`, nil, `unsupported option`},
	}
	for _, tc := range tests {
		got, err := ParseKeyOptions(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseKeyOptions(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseKeyOptions(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}
