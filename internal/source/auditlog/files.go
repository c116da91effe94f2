package auditlog

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

// MaxBytes bounds what is read of one audit log, after decompression.
const MaxBytes = 4 << 30

// Files lists the audit logs (audit.log and its rotations audit.log.1, audit.log.2, ...,
// compressed or not), oldest first.
func Files(fs *hostfs.FS) ([]logfile.File, error) {
	return logfile.Family(fs, catalog.Path("log.audit"))
}

// ReadFiles reads the records of files, in order, and gives each to fn with its file's path
// until fn returns false; problem hears of files that could not be read, wholly or in part.
func ReadFiles(fs *hostfs.FS, files []logfile.File, problem func(path string, err error), fn func(path string, r Record) bool) {
	for _, f := range files {
		rc, err := logfile.Open(fs, f.Path, MaxBytes)
		if err != nil {
			problem(f.Path, err)
			continue
		}
		more := true
		err = Parse(rc, func(r Record) bool {
			more = fn(f.Path, r)
			return more
		})
		rc.Close()
		if err != nil {
			problem(f.Path, err)
		}
		if !more {
			return
		}
	}
}

// Summary is what a record of interest tells a person: its kind (the record type, lower case),
// the account, the remote address, a sentence, and how much it weighs on a timeline (1 to 4).
type Summary struct {
	Kind   string
	User   string
	Addr   string
	Detail string
	Weight int
}

// Summarize describes the records worth keeping (logins, account changes, commands run through
// sudo, programs run, module loads, changes to auditing, anomalies, services started); ok is
// false for the others, and for failed logins (the authentication logs count those).
func Summarize(r Record) (s Summary, ok bool) {
	res := r.Get("res")
	if res == "" {
		res = r.Get("success")
	}
	s.User = r.Get("acct")
	if s.User == "" {
		s.User = r.Get("auid")
	}
	s.Kind, s.Addr, s.Weight = strings.ToLower(r.Type), strings.Trim(r.Get("addr"), "?"), 1
	switch r.Type {
	case "USER_LOGIN":
		s.Detail = fmt.Sprintf("login of %s from %s via %s: %s", s.User, orDash(s.Addr), r.Get("exe"), res)
		if res != "success" {
			return s, false
		}
	case "ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_MGMT", "USER_CHAUTHTOK", "GRP_MGMT", "ROLE_ASSIGN":
		s.Detail = fmt.Sprintf("%s %s (by auid %s, %s): %s", s.Kind, r.Get("op"), r.Get("auid"), r.Get("exe"), res)
		s.Weight = 3
	case "USER_CMD":
		s.Detail = fmt.Sprintf("auid %s ran %s in %s: %s", r.Get("auid"), r.Get("cmd"), r.Get("cwd"), res)
		s.Weight = 2
	case "EXECVE":
		var args []string
		for i := 0; i < 32; i++ {
			a, ok := r.Fields[fmt.Sprintf("a%d", i)]
			if !ok {
				break
			}
			args = append(args, a)
		}
		s.Detail = "ran: " + finding.Clip(strings.Join(args, " "), 300)
	case "KERN_MODULE":
		s.Detail = "kernel module loaded: " + r.Get("name")
		s.Weight = 4
	case "CONFIG_CHANGE", "DAEMON_END", "DAEMON_START", "DAEMON_ABORT":
		s.Detail = fmt.Sprintf("%s %s %s (auid %s)", s.Kind, r.Get("op"), r.Get("key"), r.Get("auid"))
		s.Weight = 3
	case "ANOM_PROMISCUOUS", "ANOM_ABEND", "ANOM_LINK", "ANOM_EXEC":
		s.Detail = fmt.Sprintf("%s: %s %s", s.Kind, r.Get("comm"), r.Get("exe"))
		s.Weight = 3
	case "SERVICE_START":
		s.Detail = "service started: " + r.Get("unit")
	default:
		return s, false
	}
	return s, true
}

// Tampering reports whether a record shows auditing weakened or stopped (rules removed,
// auditing disabled, the daemon ended).
func Tampering(r Record) bool {
	return r.Type == "CONFIG_CHANGE" && (strings.Contains(r.Get("op"), "remove") || r.Get("enabled") == "0") || r.Type == "DAEMON_END"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
