package diff

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
)

// kind describes how one kind of host state is compared.
type kind struct {
	name  string // stable name used in JSON ("account", "file", ...)
	title string // heading for people
	rank  int    // lower is more security-relevant
	table string
	where string   // SQL condition selecting the rows that take part
	keys  []string // identify a record
	vals  []string // compared; a difference makes the record "modified"
	// extra columns shown in before/after but not compared
	show []string
	// subject names the record for people; row holds keys, vals and show by column name
	subject func(row map[string]string) string
	// path gives the host path the record is about, if any
	path func(row map[string]string) string
	// compare, when set, replaces the plain comparison of vals: it returns the fields that differ
	compare func(a, b map[string]string) []string
	// distinct selects DISTINCT rows (kinds keyed on a non-unique column, such as process exe)
	distinct bool
}

func col(name string) func(map[string]string) string {
	return func(r map[string]string) string { return r[name] }
}

var kinds = []*kind{
	{name: "account", title: "Accounts", rank: 10, table: "users", keys: []string{"name"},
		vals: []string{"uid", "gid", "gecos", "home", "shell", "password", "hash_alg", "hash_fp", "expire", "login_shell"},
		show: []string{"last_change"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("user %s (uid %s, shell %s, password %s)", r["name"], r["uid"], r["shell"], r["password"])
		}},
	{name: "sudoers", title: "Sudo rules", rank: 11, table: "sudoers", keys: []string{"file", "text"}, vals: []string{"kind"},
		subject: func(r map[string]string) string { return fmt.Sprintf("%s: %s", r["file"], r["text"]) },
		path:    col("file")},
	{name: "ssh_key", title: "SSH authorized keys", rank: 12, table: "ssh_keys", keys: []string{"user", "file", "fingerprint"},
		vals: []string{"type", "comment", "options"},
		subject: func(r map[string]string) string {
			s := fmt.Sprintf("key %s for %s in %s (%s %q)", r["fingerprint"], r["user"], r["file"], r["type"], r["comment"])
			if r["options"] != "" {
				s += " options " + r["options"]
			}
			return s
		},
		path: col("file")},
	// Only settings written in a file: built-in defaults appear when sshd_config does, and
	// would bury the one line that matters.
	{name: "ssh_option", title: "SSH server settings", rank: 13, table: "ssh_options", where: "file != ''", keys: []string{"key"}, vals: []string{"value"},
		show:    []string{"file"},
		subject: func(r map[string]string) string { return fmt.Sprintf("sshd %s %s", r["key"], r["value"]) }},
	{name: "hook", title: "Loader, PAM and other hooks", rank: 14, table: "hooks", keys: []string{"kind", "path", "value"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("%s hook in %s: %s", r["kind"], r["path"], r["value"])
		},
		path: col("path")},
	{name: "kernel_module", title: "Kernel modules", rank: 15, table: "kernel_modules", keys: []string{"name", "state"},
		vals: []string{"source", "taint"},
		subject: func(r map[string]string) string {
			s := fmt.Sprintf("module %s (%s from %s)", r["name"], r["state"], r["source"])
			if r["taint"] != "" {
				s += " taint " + r["taint"]
			}
			return s
		}},
	{name: "service", title: "Services and boot", rank: 16, table: "services", keys: []string{"scope", "name"},
		vals: []string{"kind", "path", "state", "exec", "wanted_by", "user"}, show: []string{"description"},
		subject: func(r map[string]string) string {
			s := fmt.Sprintf("%s %s (%s)", r["kind"], r["name"], r["state"])
			if r["scope"] != "system" {
				s += " for " + strings.TrimPrefix(r["scope"], "user:")
			}
			if r["exec"] != "" {
				s += ": " + r["exec"]
			}
			return s
		},
		path: col("path")},
	{name: "job", title: "Scheduled jobs", rank: 17, table: "jobs", keys: []string{"kind", "source", "user", "schedule", "command"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("%s job of %s in %s: %s %s", r["kind"], r["user"], r["source"], r["schedule"], r["command"])
		},
		path: col("source")},
	{name: "file", title: "Files", rank: 20, table: "files", keys: []string{"path"},
		vals:    []string{"type", "mode", "uid", "gid", "size", "sha256", "link", "caps"},
		show:    []string{"mtime", "ctime", "inode", "note"},
		subject: col("path"), path: col("path"), compare: compareFiles},
	{name: "package", title: "Packages", rank: 40, table: "packages", keys: []string{"manager", "name", "arch"},
		vals: []string{"version", "status"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("%s package %s %s (%s)", r["manager"], r["name"], r["version"], r["status"])
		}},
	{name: "package_digest", title: "Package digest lists", rank: 41, table: "package_files", where: "alg NOT IN ('', 'diverted')", keys: []string{"path", "manager"},
		vals: []string{"package", "alg", "digest", "conffile"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("recorded %s digest of %s (package %s)", r["alg"], r["path"], r["package"])
		},
		path: col("path")},
	{name: "listener", title: "Listening sockets", rank: 42, table: "sockets", where: "state IN ('LISTEN','UNCONN') AND proto != 'unix'",
		keys: []string{"proto", "local_addr", "local_port"}, vals: []string{"process"}, distinct: true,
		subject: func(r map[string]string) string {
			return fmt.Sprintf("%s %s port %s (%s)", r["proto"], r["local_addr"], r["local_port"], r["process"])
		}},
	{name: "process", title: "Running programs", rank: 43, table: "processes", where: "exe != ''", keys: []string{"exe"},
		vals: []string{"exe_deleted"}, distinct: true,
		subject: func(r map[string]string) string {
			s := "program " + r["exe"]
			if r["exe_deleted"] == "1" {
				s += " (deleted from disk)"
			}
			return s
		},
		path: col("exe")},
	{name: "group", title: "Groups", rank: 44, table: "groups", keys: []string{"name"}, vals: []string{"gid", "members"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("group %s (gid %s, members %s)", r["name"], r["gid"], r["members"])
		}},
	{name: "mount", title: "Mounts", rank: 45, table: "mounts", keys: []string{"target"}, vals: []string{"source", "fstype", "options"},
		subject: func(r map[string]string) string {
			return fmt.Sprintf("%s on %s (%s)", r["source"], r["target"], r["fstype"])
		},
		path: col("target")},
}

var logs = catalog.Get("logs")

// compareFiles compares two records of the same path. Directories differ only by type, mode
// and owner (their size and times change with their content); logs (unhashed, under /var/log)
// only when they shrink, change owner or mode, or are replaced: growth is what logs do.
func compareFiles(a, b map[string]string) []string {
	var out []string
	diff := func(f string) {
		if a[f] != b[f] {
			out = append(out, f)
		}
	}
	diff("type")
	diff("mode")
	diff("uid")
	diff("gid")
	if a["type"] != b["type"] {
		return out
	}
	switch a["type"] {
	case "dir":
		return out
	case "symlink":
		diff("link")
		return out
	case "file":
		if a["sha256"] != "" && b["sha256"] != "" {
			diff("sha256")
			if a["sha256"] != b["sha256"] {
				diff("size")
			}
		} else if logs.Covers(a["path"]) {
			if atoi(b["size"]) < atoi(a["size"]) {
				out = append(out, "size")
			}
		} else {
			diff("size")
			diff("mtime")
		}
		diff("caps")
	}
	return out
}

func atoi(s string) int64 {
	var n int64
	neg := false
	for i, c := range s {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// AreaOf names the part of the system a host path belongs to, and its rank (the catalog's
// areas: lower is more sensitive).
func AreaOf(p string) (string, int) {
	a := catalog.AreaOf(p)
	return a.Name, a.Rank
}
