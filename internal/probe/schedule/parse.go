// Package schedule collects the jobs a host runs on a timetable: crontabs (system and per
// user), anacron, at jobs, the run-parts folders /etc/cron.{hourly,daily,weekly,monthly} and
// systemd timers. Files are parsed here; nothing on the host is run.
package schedule

import (
	"github.com/nowwhat/nowwhat/internal/base/textline"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCommand bounds the length of a command kept in a record.
const MaxCommand = 4096

// CronEntry is one job line of a crontab.
type CronEntry struct {
	Line     int
	Schedule string // the five time fields, or an @keyword, joined by single spaces
	User     string // system crontabs only
	Command  string // the rest of the line as written (trimmed, cut to MaxCommand)
}

// LineError lists the lines of a file that were not understood (and were skipped).
type LineError = textline.Skipped

// envLine matches an environment assignment of cron and anacron (NAME=value, "NAME" = value).
var envLine = regexp.MustCompile(`^("[^"]*"|'[^']*'|[^\s=]+)\s*=`)

// cronField is what one of the five time fields may hold: numbers, names (jan, mon), *, lists,
// ranges, steps, and the extensions some crons accept (?, L, W, #, ~).
var cronField = regexp.MustCompile(`^[0-9A-Za-z*,/\-?#~]+$`)

var cronKeywords = map[string]bool{
	"@reboot": true, "@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true,
}

// nextField cuts the first whitespace-separated field off s.
func nextField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// ParseCrontab parses a crontab. system is true for /etc/crontab and /etc/cron.d (a user field
// follows the schedule), false for the per-user crontabs of the spool. Comments, empty lines
// and environment assignments (SHELL=, PATH=, MAILTO=) are skipped; lines that are not
// understood are skipped and reported in the error (a *LineError).
func ParseCrontab(data []byte, system bool) ([]CronEntry, error) {
	var out []CronEntry
	var bad LineError
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if envLine.MatchString(line) {
			continue
		}
		rest := line
		if len(rest) > 1 && rest[0] == '-' && rest[1] != ' ' && rest[1] != '\t' {
			rest = rest[1:] // "-" prefix: do not log the job (Debian cron, cronie)
		}
		var fields []string
		f, r := nextField(rest)
		if strings.HasPrefix(f, "@") {
			if !cronKeywords[f] {
				bad.Add(n)
				continue
			}
			fields = []string{f}
			rest = r
		} else {
			ok := true
			for k := 0; k < 5; k++ {
				if k > 0 {
					f, r = nextField(rest)
				}
				if f == "" || !cronField.MatchString(f) {
					ok = false
					break
				}
				fields = append(fields, f)
				rest = r
			}
			if !ok {
				bad.Add(n)
				continue
			}
		}
		e := CronEntry{Line: n, Schedule: strings.Join(fields, " ")}
		if system {
			e.User, rest = nextField(rest)
		}
		e.Command = truncate(strings.TrimSpace(rest), MaxCommand)
		if e.Command == "" || (system && e.User == "") {
			bad.Add(n)
			continue
		}
		out = append(out, e)
	}
	return out, bad.Err()
}

// AnacronEntry is one job line of /etc/anacrontab: period (days or @keyword), delay
// (minutes), job identifier, command.
type AnacronEntry struct {
	Line    int
	Period  string
	Delay   string
	ID      string
	Command string
}

// Schedule is the period, delay and identifier joined by single spaces.
func (a AnacronEntry) Schedule() string { return a.Period + " " + a.Delay + " " + a.ID }

var anacronPeriods = map[string]bool{"@daily": true, "@weekly": true, "@monthly": true, "@yearly": true, "@annually": true}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseAnacrontab parses /etc/anacrontab. Environment assignments (SHELL=, START_HOURS_RANGE=)
// and comments are skipped; lines not understood are reported in the error (a *LineError).
func ParseAnacrontab(data []byte) ([]AnacronEntry, error) {
	var out []AnacronEntry
	var bad LineError
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || line[0] == '#' || envLine.MatchString(line) {
			continue
		}
		period, rest := nextField(line)
		delay, rest := nextField(rest)
		id, rest := nextField(rest)
		cmd := truncate(strings.TrimSpace(rest), MaxCommand)
		if !(isDigits(period) || anacronPeriods[period]) || !isDigits(delay) || id == "" || strings.Contains(id, "/") || cmd == "" {
			bad.Add(n)
			continue
		}
		out = append(out, AnacronEntry{Line: n, Period: period, Delay: delay, ID: id, Command: cmd})
	}
	return out, bad.Err()
}

// heredoc is how at (3.1.14 and later) hands the job's commands to the shell.
var heredoc = regexp.MustCompile(`^\$\{SHELL:-/bin/sh\} << '?([^' ]+)'?$`)

// ParseAtJob returns the commands of an at job file: what follows the environment preamble that
// at writes (umask, exported variables, the cd into the working folder), taken from the here
// document when there is one, non-empty lines joined by newlines, cut to MaxCommand bytes.
func ParseAtJob(data []byte) string {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	start := -1
	// The preamble ends with the block "cd DIR || {" ... "}".
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "cd ") && strings.HasSuffix(strings.TrimSpace(lines[i]), "|| {") {
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) == "}" {
					start = j + 1
					break
				}
			}
			break
		}
	}
	if start < 0 {
		// No recognisable block: skip what looks like preamble.
		start = 0
		for start < len(lines) && isPreamble(lines[start]) {
			start++
		}
	}
	var cmd []string
	delim := ""
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if delim == "" && len(cmd) == 0 {
			if m := heredoc.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				delim = m[1]
				continue
			}
		}
		if delim != "" && l == delim {
			break
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		cmd = append(cmd, l)
	}
	return truncate(strings.Join(cmd, "\n"), MaxCommand)
}

var exportLine = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=.*; export [A-Za-z_][A-Za-z0-9_]*$`)

func isPreamble(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "umask ") ||
		strings.HasPrefix(t, "export ") || exportLine.MatchString(t)
}

// AtTime decodes the run time at writes into a job's file name ("a0000a01b2c3d4": queue letter,
// 5 hex digits of job number, 8 hex digits of minutes since 1970). ok is false for other names.
func AtTime(name string) (t time.Time, queue byte, ok bool) {
	if len(name) != 14 {
		return time.Time{}, 0, false
	}
	q := name[0]
	if !(q >= 'a' && q <= 'z' || q >= 'A' && q <= 'Z' || q == '=') {
		return time.Time{}, 0, false
	}
	if _, err := strconv.ParseUint(name[1:6], 16, 32); err != nil {
		return time.Time{}, 0, false
	}
	mins, err := strconv.ParseUint(name[6:], 16, 32)
	if err != nil {
		return time.Time{}, 0, false
	}
	return time.Unix(int64(mins)*60, 0).UTC(), q, true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// collapse joins the whitespace-separated fields of s with single spaces.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
