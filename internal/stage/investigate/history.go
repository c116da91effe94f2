package investigate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/indicator"
)

// maxHistoryRows bounds the commands one history puts on the timeline.
const maxHistoryRows = 2000

// histories puts what users typed on the timeline: every command when the history records times
// (HISTTIMEFORMAT writes "#<unix time>" before each), else the commands that match an attack
// pattern, at the history's last change.
func (v *investigation) histories() {
	files, err := snapshot.All[snapshot.File](v.cur, "type = 'file' AND (path LIKE '%/.bash_history' OR path LIKE '%/.zsh_history' OR path LIKE '%/.sh_history' OR path LIKE '%/.ash_history')")
	if err != nil {
		v.problem("histories", err)
		return
	}
	for _, f := range files {
		if v.inNested(f.Path) {
			continue // another system's root (chroot, image): not this host's users
		}
		data, err := v.fs.ReadFile(f.Path, 8<<20)
		if err != nil && len(data) == 0 {
			v.problem(f.Path, err)
			continue
		}
		user := homeOwner(f.Path)
		rows := ParseHistory(data)
		timed := false
		for _, h := range rows {
			timed = timed || !h.Time.IsZero()
		}
		n := 0
		for _, h := range rows {
			ms := indicator.Scan([]byte(h.Command))
			if !timed && len(ms) == 0 {
				continue
			}
			t := h.Time
			if t.IsZero() {
				t = time.Unix(0, f.Mtime).UTC()
			}
			row := Event{Time: t, Source: "history", Event: "command", User: user, Path: f.Path, Detail: user + "$ " + h.Command, weight: 1}
			if len(ms) > 0 {
				row.Event, row.weight = "command-"+ms[0].Category, 4
				row.Detail += "  [" + ms[0].Rule + "]"
			}
			v.timeline = append(v.timeline, row)
			if n++; n >= maxHistoryRows {
				break
			}
		}
	}
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("shell histories: %d files", len(files)))
}

// HistoryLine is one command of a shell history, with its time when the history records one.
type HistoryLine struct {
	Time    time.Time
	Command string
}

// ParseHistory reads a bash history (with or without "#<unix time>" lines) or a zsh extended
// history (": <unix time>:<duration>;command").
func ParseHistory(data []byte) []HistoryLine {
	var out []HistoryLine
	var t time.Time
	for _, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		if line == "" {
			continue
		}
		if line[0] == '#' && len(line) > 1 {
			if sec, err := strconv.ParseInt(line[1:], 10, 64); err == nil && sec > 0 && sec < 1<<40 {
				t = time.Unix(sec, 0).UTC()
				continue
			}
		}
		if strings.HasPrefix(line, ": ") {
			if i := strings.IndexByte(line, ';'); i > 0 {
				head := strings.TrimPrefix(line[:i], ": ")
				if j := strings.IndexByte(head, ':'); j > 0 {
					if sec, err := strconv.ParseInt(strings.TrimSpace(head[:j]), 10, 64); err == nil && sec > 0 && sec < 1<<40 {
						if line[i+1:] == "" {
							continue
						}
						out = append(out, HistoryLine{Time: time.Unix(sec, 0).UTC(), Command: clip(line[i+1:])})
						continue
					}
				}
			}
		}
		out = append(out, HistoryLine{Time: t, Command: clip(line)})
		t = time.Time{}
	}
	return out
}

// clip bounds a command line kept on the timeline.
func clip(s string) string {
	if len(s) > 1000 {
		return s[:1000]
	}
	return s
}

// homeOwner guesses the account of a file in a home folder.
func homeOwner(p string) string {
	if strings.HasPrefix(p, catalog.Path("home.root")) {
		return "root"
	}
	if rest, ok := strings.CutPrefix(p, catalog.Path("home.users")); ok {
		return strings.SplitN(rest, "/", 2)[0]
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) > 1 {
		return parts[len(parts)-2]
	}
	return ""
}
