package rules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// What an unowned program can do decides how bad it is. An ELF program can do anything and
// hides what it does; a script says what it does, and one that only exits (the policy-rc.d an
// image builder leaves so that package installs start no service, the initctl stub of old
// container images) does nothing at all. Such a do-nothing script that was written with the
// system (no later than the package database's first installation, and not changed since) is
// the image's own: info, with the reason.

// imageWindow is how long after the first package installation a file still counts as part of
// the image: building an image (debootstrap, then its configuration) takes minutes to hours.
const imageWindow = int64(24 * time.Hour)

// doNothingLine matches the only commands a do-nothing script holds.
var doNothingLine = regexp.MustCompile(`^(exit( +[0-9]{1,3})?|true|:)\s*;?$`)

// doNothing reports whether a script only exits: shebang, comments and blank lines aside, its
// commands are exit N, true or ":". It returns that command.
func doNothing(text string) (string, bool) {
	var cmds []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			if i == 0 && strings.HasPrefix(line, "#!") && !shellShebang(line) {
				return "", false // not a shell script: its commands are another language's
			}
			continue
		}
		if !doNothingLine.MatchString(line) {
			return "", false
		}
		cmds = append(cmds, line)
	}
	if len(cmds) == 0 || len(cmds) > 3 {
		return "", false
	}
	return cmds[0], true
}

func shellShebang(line string) bool {
	f := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(f) == 0 {
		return false
	}
	sh := f[0]
	if sh == "/usr/bin/env" && len(f) > 1 {
		sh = f[1]
	}
	sh = sh[strings.LastIndexByte(sh, '/')+1:]
	return sh == "sh" || sh == "bash" || sh == "dash"
}

// firstInstall is when the package database was first written: the oldest modification and
// change times of dpkg's per-package file lists. Zero when there are none.
func firstInstall(cur *snapshot.Reader) (mtime, ctime int64) {
	info := catalog.Get("dpkg.info")
	lists, _ := snapshot.All[snapshot.File](cur, likeAny("path", info)+" AND type = 'file' AND path LIKE '%.list'")
	for _, f := range lists {
		if f.Mtime > 0 && (mtime == 0 || f.Mtime < mtime) {
			mtime = f.Mtime
		}
		if f.Ctime > 0 && (ctime == 0 || f.Ctime < ctime) {
			ctime = f.Ctime
		}
	}
	return mtime, ctime
}

// unownedSeverity grades an executable no package installed by what it can do, and says why.
func unownedSeverity(cur *snapshot.Reader, f snapshot.File) (finding.Severity, []string) {
	if f.Format == "elf" {
		return finding.High, nil
	}
	texts, _ := snapshot.All[snapshot.Content](cur, "path = ?", f.Path)
	if len(texts) == 0 {
		return finding.Medium, []string{"a script, not a compiled program (its text was not kept: read it)"}
	}
	cmd, ok := doNothing(texts[0].Text)
	if !ok {
		return finding.Medium, []string{"a script, not a compiled program: read what it does"}
	}
	ev := []string{fmt.Sprintf("a script that does nothing but %q", cmd)}
	m0, c0 := firstInstall(cur)
	if m0 == 0 || c0 == 0 {
		return finding.Low, append(ev, "the package database's first installation time is unknown: its age could not be compared")
	}
	if f.Mtime <= m0+imageWindow && f.Ctime <= c0+imageWindow {
		return finding.Info, append(ev, fmt.Sprintf("written with the system image (modified %s, changed %s; the first package was installed %s) and not changed since: an image builder's file",
			stamp(f.Mtime), stamp(f.Ctime), stamp(m0)))
	}
	return finding.Low, append(ev, fmt.Sprintf("changed %s, after the system was installed (%s): who put it there?", stamp(f.Ctime), stamp(c0)))
}
