// Package sshd reads the OpenSSH server's effective configuration and the public keys it
// accepts, the way sshd itself reads them, without running sshd.
//
// ParseConfig splits one sshd_config file into directives (case-insensitive keywords in their
// canonical spelling, sshd's quoting and comment rules, Match blocks). LoadConfig follows
// Include directives (globs, relative to /etc/ssh, bounded depth) and gives a Config whose
// Options are the effective values: first value wins, list keywords accumulate, Match-scoped
// values are kept apart, and the defaults that matter are filled in. ParseAuthorizedKeys reads
// authorized_keys files (options, key type, key, comment) and fingerprints each key exactly
// as ssh-keygen -l prints it. The Collector ties them together for every account's home.
package sshd

import (
	"errors"
	"strconv"
	"strings"
)

// Directive is one configuration line.
type Directive struct {
	Key     string   // canonical keyword ("PermitRootLogin"); as written when unknown
	Args    []string // arguments, quotes removed
	File    string   // host path, set by LoadConfig
	Line    int
	Match   string // the criteria of the Match block it is in ("User bob"), "" outside Match
	Unknown bool   // not a keyword sshd knows: sshd refuses to start with it
}

// Value is the arguments joined by spaces, quoted where they hold white space.
func (d Directive) Value() string { return joinArgs(d.Args) }

func joinArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t") {
			a = `"` + a + `"`
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// LineError is a line ParseConfig or ParseAuthorizedKeys could not use.
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Reason }

// keywords maps lower-case sshd_config keywords to their canonical spelling. Deprecated
// spellings that sshd still accepts map to the keyword they stand for.
var keywords = map[string]string{}

func init() {
	for _, k := range []string{
		"AcceptEnv", "AddressFamily", "AllowAgentForwarding", "AllowGroups", "AllowStreamLocalForwarding",
		"AllowTcpForwarding", "AllowUsers", "AuthenticationMethods", "AuthorizedKeysCommand",
		"AuthorizedKeysCommandUser", "AuthorizedKeysFile", "AuthorizedPrincipalsCommand",
		"AuthorizedPrincipalsCommandUser", "AuthorizedPrincipalsFile", "Banner", "CASignatureAlgorithms",
		"ChannelTimeout", "ChrootDirectory", "Ciphers", "ClientAliveCountMax", "ClientAliveInterval",
		"Compression", "DebianBanner", "DenyGroups", "DenyUsers", "DisableForwarding", "ExposeAuthInfo",
		"FingerprintHash", "ForceCommand", "GatewayPorts", "GSSAPIAuthentication", "GSSAPICleanupCredentials",
		"GSSAPIKexAlgorithms", "GSSAPIKeyExchange", "GSSAPIStoreCredentialsOnRekey", "GSSAPIStrictAcceptorCheck",
		"HostbasedAcceptedAlgorithms", "HostbasedAuthentication", "HostbasedUsesNameFromPacketOnly",
		"HostCertificate", "HostKey", "HostKeyAgent", "HostKeyAlgorithms", "IgnoreRhosts",
		"IgnoreUserKnownHosts", "Include", "IPQoS", "KbdInteractiveAuthentication", "KerberosAuthentication",
		"KerberosGetAFSToken", "KerberosOrLocalPasswd", "KerberosTicketCleanup", "KexAlgorithms",
		"ListenAddress", "LoginGraceTime", "LogLevel", "LogVerbose", "MACs", "Match", "MaxAuthTries",
		"MaxSessions", "MaxStartups", "ModuliFile", "PasswordAuthentication", "PermitEmptyPasswords",
		"PermitListen", "PermitOpen", "PermitRootLogin", "PermitTTY", "PermitTunnel", "PermitUserEnvironment",
		"PermitUserRC", "PerSourceMaxStartups", "PerSourceNetBlockSize", "PerSourcePenalties",
		"PerSourcePenaltyExemptList", "PidFile", "Port", "PrintLastLog", "PrintMotd",
		"PubkeyAcceptedAlgorithms", "PubkeyAuthentication", "PubkeyAuthOptions", "RDomain",
		"RefuseConnection", "RekeyLimit", "RequiredRSASize", "RevokedKeys", "SecurityKeyProvider", "SetEnv",
		"SshdAuthPath", "SshdSessionPath", "StreamLocalBindMask", "StreamLocalBindUnlink", "StrictModes",
		"Subsystem", "SyslogFacility", "TCPKeepAlive", "TrustedUserCAKeys", "UnusedConnectionTimeout",
		"UseBlacklist", "UseBlocklist", "UseDNS", "UsePAM", "VersionAddendum", "X11DisplayOffset",
		"X11Forwarding", "X11UseLocalhost", "XAuthLocation",
		// Deprecated or removed: sshd logs and ignores them.
		"AuthorizedKeysFile2", "KeyRegenerationInterval", "Protocol", "RhostsRSAAuthentication",
		"RSAAuthentication", "ServerKeyBits", "UseLogin", "UsePrivilegeSeparation", "PrintLastLog",
	} {
		keywords[strings.ToLower(k)] = k
	}
	for old, k := range map[string]string{
		"ChallengeResponseAuthentication": "KbdInteractiveAuthentication",
		"SkeyAuthentication":              "KbdInteractiveAuthentication",
		"DSAAuthentication":               "PubkeyAuthentication",
		"PubkeyAcceptedKeyTypes":          "PubkeyAcceptedAlgorithms",
		"HostbasedAcceptedKeyTypes":       "HostbasedAcceptedAlgorithms",
		"KerberosTGTPassing":              "KerberosGetAFSToken",
		"AFSTokenPassing":                 "KerberosGetAFSToken",
	} {
		keywords[strings.ToLower(old)] = k
	}
}

// Canonical returns the canonical spelling of a keyword and whether sshd knows it.
func Canonical(keyword string) (string, bool) {
	k, ok := keywords[strings.ToLower(keyword)]
	if !ok {
		return keyword, false
	}
	return k, true
}

var errQuote = errors.New("unterminated quote")

// splitArgs splits the arguments of a line as sshd's argv_split does: white space separates,
// single and double quotes group, a backslash escapes a quote, a backslash or (outside quotes)
// a space, and a "#" at the start of an argument ends the line.
func splitArgs(s string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] == '#' {
			return out, nil
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				n := s[i+1]
				if n == '\'' || n == '"' || n == '\\' || quote == 0 && n == ' ' {
					b.WriteByte(n)
					i++
					continue
				}
				b.WriteByte(c)
				continue
			}
			if quote == 0 && (c == '\'' || c == '"') {
				quote = c
				continue
			}
			if quote != 0 && c == quote {
				quote = 0
				continue
			}
			if quote == 0 && isSpace(c) {
				break
			}
			b.WriteByte(c)
		}
		if quote != 0 {
			return out, errQuote
		}
		out = append(out, b.String())
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// splitKeyword cuts the keyword off a line: it ends at white space or "=", and one "=" (with
// blanks around it) may separate it from the arguments ("Port=22", "Port = 22").
func splitKeyword(line string) (kw, rest string) {
	i := 0
	for i < len(line) && !isSpace(line[i]) && line[i] != '=' {
		i++
	}
	kw, rest = line[:i], line[i:]
	rest = strings.TrimLeft(rest, " \t\r\v\f")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t\r\v\f")
	}
	return kw, rest
}

// ParseConfig parses one sshd_config file without following Include. Each directive after a
// Match line carries that Match's criteria, up to the next Match or the end of the file; the
// Match lines themselves are directives too (Key "Match"). Lines sshd would refuse are
// returned as LineErrors; unknown keywords are kept (Unknown set) and reported.
func ParseConfig(data []byte) ([]Directive, []LineError) {
	var out []Directive
	var bad []LineError
	match := ""
	n := 0
	for len(data) > 0 {
		n++
		var raw []byte
		if i := indexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		line := strings.TrimLeft(string(raw), " \t\r\v\f")
		if line == "" || line[0] == '#' {
			continue
		}
		kw, rest := splitKeyword(line)
		if kw == "" {
			bad = append(bad, LineError{Line: n, Reason: "line starts with \"=\""})
			continue
		}
		args, err := splitArgs(rest)
		if err != nil {
			bad = append(bad, LineError{Line: n, Reason: err.Error()})
			continue
		}
		key, known := Canonical(kw)
		if !known {
			bad = append(bad, LineError{Line: n, Reason: "unknown keyword " + strconv.Quote(kw) + " (sshd refuses to start)"})
		}
		if key == "Match" {
			match = strings.Join(args, " ")
			if strings.EqualFold(match, "all") {
				match = "all"
			}
		}
		out = append(out, Directive{Key: key, Args: args, Line: n, Match: match, Unknown: !known})
	}
	return out, bad
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
