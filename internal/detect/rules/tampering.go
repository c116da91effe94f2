package rules

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

var (
	_ = find(Finder{Name: "log-emptied", Rules: []*Rule{ruleLogEmptied}, Find: (*Index).tampering})
	_ = find(Finder{Name: "history-disabled", Rules: []*Rule{ruleHistoryNull}, EachFile: (*Index).historyNull})
	_ = find(Finder{Name: "file-times", Rules: []*Rule{ruleTimestomp}, EachFile: (*Index).fileTime})
)

var (
	ruleTamperPattern = rule(Rule{ID: "tamper.pattern", Severity: finding.High,
		Title:  "a script or start-up file disables logging or history",
		Attack: []string{"T1070.003", "T1562"},
		Why:    "Intruders switch off shell history and logging so their commands leave no trace.",
		Action: "Remove the line, and treat the missing records as a sign that someone had something to hide."})
	ruleLogEmptied = rule(Rule{ID: "tamper.log-emptied", Severity: finding.High,
		Title:  "a log was emptied",
		Attack: []string{"T1070.002"},
		Why:    "An authentication or login log that was written and then emptied outside log rotation means someone erased the record of what happened.",
		Action: "Look for the missing period elsewhere: the systemd journal, rotated logs, a central log server, wtmp and lastlog."})
	ruleHistoryNull = rule(Rule{ID: "tamper.history-disabled", Severity: finding.High,
		Title:  "a shell history is sent to /dev/null",
		Attack: []string{"T1070.003"},
		Why:    "Linking ~/.bash_history to /dev/null silently discards every command typed: a classic step after a break-in.",
		Action: "Remove the link; look at the account's sessions in the authentication logs to see when it was used."})
	ruleTimestomp = rule(Rule{ID: "tamper.file-time", Severity: finding.Medium,
		Title:  "a file's modification time was set back",
		Attack: []string{"T1070.006"},
		Why:    "touch -d or touch -r make a new file look old so it blends in. The file system's own birth and change times, which user tools cannot set, show the real date.",
		Action: "Treat the file as recent (its change time); find what else changed at that time."})
)

// watchedLogs are the logs whose emptying matters.
var watchedLogs = catalog.With(catalog.Watch)

var wtmp = catalog.Path("log.wtmp")

func (s *Index) tampering(o *Out) error {
	for _, l := range watchedLogs {
		p := l.Path
		f := s.file(p)
		if f.Type != "file" || f.Size != 0 {
			continue
		}
		// A log created by rotation is empty with its birth and modification time together;
		// one written after its creation and now empty was truncated.
		if f.Btime != 0 && f.Mtime-f.Btime > int64(time.Minute) {
			o.add(ruleLogEmptied, finding.Finding{Path: p, Evidence: append([]string{"the file is empty but was written after it was created"}, fileEvidence(f)...),
				Time: stampRFC(f.Mtime), New: s.fileNew(p), Title: p + " was emptied"})
			continue
		}
		if p == wtmp && s.sessionsSeen() {
			o.add(ruleLogEmptied, finding.Finding{Path: p, Severity: finding.Medium, Evidence: append([]string{"wtmp is empty while the authentication logs show logins"}, fileEvidence(f)...),
				Time: stampRFC(f.Mtime), Title: "wtmp (login records) is empty while logins were logged"})
		}
	}
	return nil
}

// historyNull reports a shell history sent to /dev/null (a link to it, or a device).
func (s *Index) historyNull(f *snapshot.File, o *Out) {
	// Like the SQL pattern '%_history' it replaces: any name ending in "history", any case.
	if !strings.HasSuffix(strings.ToLower(f.Path), "history") || f.Type != "chardev" && (f.Type != "symlink" || f.Link != "/dev/null") {
		return
	}
	o.add(ruleHistoryNull, finding.Finding{Path: f.Path, Evidence: fileEvidence(*f), Time: changeTime(*f), New: s.fileNew(f.Path),
		User: homeUser(f.Path), Title: f.Path + " is sent to /dev/null"})
}

var rootHome, userHomes = catalog.Get("home.root"), catalog.Get("home.users")

// homeUser names the account whose home holds p (root, or the folder's name below /home).
func homeUser(p string) string {
	if strings.HasPrefix(p, rootHome.Path) {
		return "root"
	}
	if rest, ok := strings.CutPrefix(p, userHomes.Path); ok {
		return strings.SplitN(rest, "/", 2)[0]
	}
	return ""
}

func (s *Index) sessionsSeen() bool {
	var n int
	s.Cur.DB().QueryRow("SELECT count(*) FROM sessions WHERE via IN ('ssh', 'console')").Scan(&n)
	return n > 0
}

// timeAreas are where a back-dated file matters.
var timeAreas = catalog.Where(catalog.Backdate)

// fileTimes flags files no package installed, in places that decide what runs, whose
// modification time is older than their birth (a copy made with preserved times, or a time set
// back), and, with a baseline, files added since it that claim to be older than it.
func (s *Index) fileTime(fp *snapshot.File, o *Out) {
	if fp.Type != "file" {
		return
	}
	f := *fp
	{
		if !timeAreas.Covers(f.Path) && !inTmp(f.Path) {
			return
		}
		if _, owned := s.owner[f.Path]; owned {
			return
		}
		switch {
		case s.hasBaseline() && s.added[f.Path] && !s.taken.IsZero() && f.Mtime != 0 && f.Mtime < s.baseTime():
			o.add(ruleTimestomp, finding.Finding{Path: f.Path, Severity: finding.High, New: true, Time: changeTime(f),
				Evidence: append([]string{fmt.Sprintf("the file is not in the baseline of %s, yet its modification time is %s", stamp(s.baseTime()), stamp(f.Mtime))}, fileEvidence(f)...),
				Title:    f.Path + " appeared after the baseline but is dated before it"})
		case f.Btime != 0 && f.Mtime != 0 && f.Btime-f.Mtime > int64(24*time.Hour) && f.Ctime-f.Mtime > int64(24*time.Hour):
			if strings.HasSuffix(path.Base(f.Path), ".dpkg-old") {
				return
			}
			// Copies that keep times (cp -a, tar, rsync, container image layers) look the same,
			// so without a baseline this is a hint, not an alarm, except for programs and
			// scripts in places that run them.
			sev := finding.Low
			if (f.Mode&0o111 != 0 || f.Format != "") && timeAreas.Covers(f.Path) {
				sev = finding.Medium
			}
			o.add(ruleTimestomp, finding.Finding{Path: f.Path, Severity: sev, Time: changeTime(f), New: s.fileNew(f.Path),
				Evidence: append([]string{fmt.Sprintf("modified %s but created %s", stamp(f.Mtime), stamp(f.Btime))}, fileEvidence(f)...),
				Title:    f.Path + " claims to be older than it is"})
		}
	}
}

// baseTime is when the baseline was taken (unix ns).
func (s *Index) baseTime() int64 {
	if s.Base == nil {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, s.Base.Meta("taken_at"))
	if err != nil {
		return 0
	}
	return t.UnixNano()
}
