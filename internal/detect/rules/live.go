package rules

import (
	"fmt"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/finding"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

var _ = find(Finder{Name: "live", Rules: []*Rule{ruleHiddenProcess, ruleKthreadMimic, ruleDeletedExe, ruleTmpProcess, ruleNetwork}, Find: (*Index).liveState})

var (
	ruleDeletedExe = rule(Rule{ID: "live.deleted-binary", Severity: finding.High,
		Title:  "a running program's file was deleted",
		Attack: []string{"T1070.004", "T1036"},
		Why:    "Intruders start their tool and delete it so no file is left to find. (A program whose package was upgraded while it ran also shows as deleted; it then has a new file at the same path.)",
		Action: "Copy the program out of memory before anything else (nowwhat collect keeps /proc/PID/exe), then stop it (nowwhat contain suspend PID)."})
	ruleTmpProcess = rule(Rule{ID: "live.tmp-process", Severity: finding.High,
		Title:  "a process runs a program from a temporary folder",
		Attack: []string{"T1059", "T1036"},
		Why:    "Services run programs installed in system folders; a program started from /tmp, /var/tmp or /dev/shm is usually something dropped there.",
		Action: "Keep a copy of the program and its memory (nowwhat collect), then stop it (nowwhat contain suspend PID)."})
	ruleHiddenProcess = rule(Rule{ID: "live.hidden-process", Severity: finding.Critical,
		Title:  "a process is hidden from the process list",
		Attack: []string{"T1014", "T1564"},
		Why:    "The kernel answers for this process id, but it is missing from the /proc listing that ps and top read: a rootkit hides it.",
		Action: "Do not trust this host: keep the evidence and rebuild it from trusted media. A rootkit cannot be cleaned from inside."})
	ruleKthreadMimic = rule(Rule{ID: "live.kernel-thread-mimic", Severity: finding.Critical,
		Title:  "a process pretends to be a kernel thread",
		Attack: []string{"T1036.004"},
		Why:    "Kernel threads ([kworker/0:1], [kthreadd], ...) have no program file. A process with such a name and a program file behind it is disguised.",
		Action: "Keep a copy of its program and memory (nowwhat collect), then stop it (nowwhat contain suspend PID)."})
	ruleNetwork = rule(Rule{ID: "live.network", Severity: finding.High,
		Title:  "a suspicious process uses the network",
		Attack: []string{"T1071", "T1571"},
		Why:    "A listening port or a connection owned by a suspicious process is the intruder's way in or out (back door, command and control, exfiltration).",
		Action: "Cut the host off (nowwhat contain isolate) after noting the remote addresses; block them at your firewall."})
)

func (s *Index) liveState(o *Out) error {
	procs, err := snapshot.All[snapshot.Process](s.Cur, "")
	if err != nil {
		return err
	}
	socks, err := snapshot.All[snapshot.Socket](s.Cur, "pid != 0")
	if err != nil {
		return err
	}
	byPID := map[int64][]snapshot.Socket{}
	for _, k := range socks {
		byPID[k.PID] = append(byPID[k.PID], k)
	}
	for _, p := range procs {
		ev := []string{fmt.Sprintf("pid %d (parent %d, uid %d %s): %s", p.PID, p.PPID, p.UID, s.byUID[p.UID], finding.Clip(p.Cmdline, 300))}
		if p.Exe != "" {
			ev = append(ev, "program "+p.Exe+map[bool]string{true: " (deleted)", false: ""}[p.ExeDeleted])
		}
		if p.Cwd != "" {
			ev = append(ev, "working folder "+p.Cwd)
		}
		user := s.byUID[p.UID]
		suspicious := false
		switch {
		case !p.Listed:
			o.add(ruleHiddenProcess, finding.Finding{PID: p.PID, User: user, Evidence: ev, Strong: true,
				Title: fmt.Sprintf("process %d (%s) is hidden from the process list", p.PID, p.Comm)})
			suspicious = true
		case p.Exe != "" && (strings.HasPrefix(p.Cmdline, "[") || strings.HasPrefix(p.Comm, "[")) && masquerades(strings.Fields(p.Cmdline + " x")[0]):
			o.add(ruleKthreadMimic, finding.Finding{PID: p.PID, Path: p.Exe, User: user, Evidence: ev, Strong: true,
				Title: fmt.Sprintf("process %d calls itself %s but runs %s", p.PID, finding.Clip(p.Cmdline, 40), p.Exe)})
			suspicious = true
		case p.ExeDeleted:
			sev, strong := finding.Medium, false
			replaced := s.file(p.Exe).Type == "file"
			if inTmp(p.Exe) || hiddenDir(p.Exe) {
				sev, strong = finding.Critical, true
			} else if replaced {
				sev = finding.Low
				ev = append(ev, "a new file exists at that path: probably an upgrade while it ran (restart it)")
			}
			o.add(ruleDeletedExe, finding.Finding{PID: p.PID, Path: p.Exe, User: user, Evidence: ev, Severity: sev, Strong: strong,
				Title: fmt.Sprintf("process %d runs %s, which was deleted", p.PID, p.Exe)})
			suspicious = sev >= finding.Medium && !replaced
		case inTmp(p.Exe):
			sev := finding.High
			if sharedMemory.Covers(p.Exe) || hiddenDir(p.Exe) {
				sev = finding.Critical
			}
			o.add(ruleTmpProcess, finding.Finding{PID: p.PID, Path: p.Exe, User: user, Evidence: ev, Severity: sev,
				Title: fmt.Sprintf("process %d runs %s from a temporary folder", p.PID, p.Exe)})
			suspicious = true
		}
		if !suspicious {
			continue
		}
		for _, k := range byPID[p.PID] {
			what := "listens on"
			addr := fmt.Sprintf("%s %s:%d", k.Proto, k.LocalAddr, k.LocalPort)
			if k.State != "LISTEN" && k.State != "UNCONN" {
				what = "is connected to"
				addr = fmt.Sprintf("%s %s:%d (from %s:%d, %s)", k.Proto, k.RemoteAddr, k.RemotePort, k.LocalAddr, k.LocalPort, k.State)
			}
			o.add(ruleNetwork, finding.Finding{PID: p.PID, Path: p.Exe, User: user, Evidence: append([]string{"socket " + addr}, ev...),
				SourceIP: k.RemoteAddr, Title: fmt.Sprintf("suspicious process %d (%s) %s %s", p.PID, p.Comm, what, addr)})
		}
	}
	return nil
}
