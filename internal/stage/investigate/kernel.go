package investigate

import (
	"context"
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/detect/rules"
	"github.com/nowwhat/nowwhat/internal/source/authlog"
)

// kernelLog reads kern.log (or syslog/messages when there is none) for the kernel's own record
// of modules loaded from outside the distribution: a rootkit module taints the kernel when it
// loads, and the time is where the intrusion was.
func (v *investigation) kernelLog(ctx context.Context) {
	files := authlog.FamilyFiles(v.fs, "kern.log")
	if len(files) == 0 {
		files = authlog.FamilyFiles(v.fs, "syslog", "messages")
	}
	if len(files) == 0 {
		return
	}
	r := &authlog.Reader{FS: v.fs, Location: authlog.HostLocation(v.fs), AllPrograms: true, Problem: v.problem}
	n, hits := 0, 0
	for ev := range r.Events(ctx, files) {
		if ev.Program != "kernel" {
			continue
		}
		n++
		msg := ev.Raw
		low := strings.ToLower(msg)
		var what string
		switch {
		case strings.Contains(low, "module verification failed"):
			what = "an unsigned kernel module was loaded"
		case strings.Contains(low, "loading out-of-tree module taints kernel"):
			what = "a kernel module built outside the kernel was loaded"
		case strings.Contains(low, "taints kernel"):
			what = "the kernel was tainted"
		default:
			continue
		}
		hits++
		if hits > 200 {
			continue
		}
		v.timeline = append(v.timeline, Event{Time: ev.Time, Source: "kernel", Host: ev.Host, Event: "kernel-taint", Detail: what + ": " + finding.Clip(msg, 200), weight: 5})
		v.findings = append(v.findings, rules.Finding("kernel.module-loaded", finding.Finding{Severity: finding.Medium, Time: ev.Time.UTC().Format("2006-01-02T15:04:05Z07:00"),
			Attack: []string{"T1547.006", "T1014"}, Evidence: []string{fmt.Sprintf("%s line %d: %s", ev.File, ev.Line, ev.Raw)},
			Title: what + " at " + stamp(ev.Time)}))
	}
	v.rep.Sources = append(v.rep.Sources, fmt.Sprintf("kernel log: %d kernel lines", n))
}
