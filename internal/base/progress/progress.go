// Package progress shows how long work is going on a terminal (files, bytes, rate, time left)
// and stays silent when output is piped or the user asked for quiet.
package progress

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Counters is what a long job exposes while it runs.
type Counters interface {
	// Progress returns items done, bytes done, bytes known so far, and whether the total is known.
	Progress() (items, done, total int64, totalKnown bool)
}

// Meter prints a one-line status to a terminal every few hundred milliseconds.
type Meter struct {
	out   io.Writer
	label string
	c     Counters
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	on    bool
}

// LinesEnv is the environment variable that asks for progress as lines (NOWWHAT_PROGRESS=lines):
// the guide runs a step as a child process with its output in a file, and reads these lines to
// draw its own progress bar.
const LinesEnv = "NOWWHAT_PROGRESS"

// LinePrefix starts each progress line written in lines mode.
const LinePrefix = "nowwhat-progress: "

func linesMode() bool { return os.Getenv(LinesEnv) == "lines" }

// Enabled reports whether progress should be shown on f: a terminal (or lines mode), and not
// quiet.
func Enabled(f *os.File, quiet bool) bool {
	return !quiet && (linesMode() || term.IsTerminal(int(f.Fd())))
}

// Start begins showing progress of c on out (when on is false nothing is shown).
func Start(out io.Writer, on bool, label string, c Counters) *Meter {
	m := &Meter{out: out, label: label, c: c, start: time.Now(), stop: make(chan struct{}), on: on}
	if !on {
		return m
	}
	m.wg.Add(1)
	if linesMode() {
		go func() {
			defer m.wg.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-m.stop:
					return
				case <-t.C:
					fmt.Fprintln(m.out, m.Record())
				}
			}
		}()
		return m
	}
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				fmt.Fprint(m.out, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(m.out, "\r\033[K"+m.Line())
			}
		}
	}()
	return m
}

// Line is the current status line.
func (m *Meter) Line() string {
	items, done, total, known := m.c.Progress()
	el := time.Since(m.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	line := fmt.Sprintf("%s: %s files, %s, %s/s, %s", m.label, Count(items), Bytes(done), Bytes(int64(rate)), Duration(el))
	if known && rate > 0 && total > done {
		line += ", about " + Duration(time.Duration(float64(total-done)/rate*float64(time.Second))) + " left"
	} else if !known {
		line += ", still finding files"
	}
	return line
}

// Record is the current status as one progress line of lines mode: the counters, then the
// status line for people.
func (m *Meter) Record() string {
	items, done, total, known := m.c.Progress()
	return fmt.Sprintf("%s%d %d %d %t %s", LinePrefix, items, done, total, known, m.Line())
}

// Status is a progress line read back (ParseRecord).
type Status struct {
	Items, Done, Total int64
	TotalKnown         bool
	Text               string
}

// ParseRecord reads a line written in lines mode; ok is false for any other line.
func ParseRecord(line string) (s Status, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimRight(line, "\r\n"), LinePrefix)
	if !found {
		return s, false
	}
	f := strings.SplitN(rest, " ", 5)
	if len(f) < 5 {
		return s, false
	}
	var err error
	if s.Items, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return s, false
	}
	if s.Done, err = strconv.ParseInt(f[1], 10, 64); err != nil {
		return s, false
	}
	if s.Total, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return s, false
	}
	s.TotalKnown = f[3] == "true"
	s.Text = f[4]
	return s, true
}

// Stop clears the status line.
func (m *Meter) Stop() {
	if !m.on {
		return
	}
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
}

// Bytes formats a size for people (1.2 GB).
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// Count formats a count with thousands separators.
func Count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Duration formats a duration as m:ss (or h:mm:ss).
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
