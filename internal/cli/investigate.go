package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/probe/filescan"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
)

func investigateCmd(g *globals) *cobra.Command {
	f := &snapFlags{}
	var since, until, format string
	bf := &baselineFlags{}
	var evidenceFile, identity string
	var rows int
	cmd := &cobra.Command{
		Use:   "investigate [--root DIR] [--since TIME] [--until TIME] [--format text|json|csv]",
		Short: "Step 5: how did they get in, and what did they do?",
		Long: `investigate reads every log the host kept (auth.log or secure, or the systemd journal; wtmp and
btmp; dpkg and apt logs; web server access and error logs), adds check's findings and the file
changes of the snapshot, and builds one timeline. It names the most likely way in (password
guessing that succeeded, a web shell, an exploited web application, a valid account used from a
new place) with its evidence and confidence, the attacker's addresses and accounts, the first and
last malicious events and what was done after.

Password guessing that never succeeds is reported as the background noise it is; an operator who
mistypes a password now and then is not a brute force.

--format csv gives the timeline only; --format json everything.

Exit status, as check's: 0 clean, 1 suspicious, 2 compromised, 3 cannot tell (too little could
be read to judge: the report names what is missing) or could not run.`,
		Example: `  sudo nowwhat investigate
  sudo nowwhat investigate --since 2026-11-20 --format csv > timeline.csv
  sudo nowwhat investigate --since 3d
  nowwhat investigate --root /mnt/web1-disk --format json | jq .entry
  nowwhat investigate --evidence web1.tar.zst.age --identity case.agekey`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "csv" {
				return fmt.Errorf("--format %q: use text, json or csv", format)
			}
			opt := investigate.Options{}
			var err error
			if opt.Since, err = parseTime(since); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if opt.Until, err = parseTime(until); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			j, err := g.openJournal(cmd, f.root)
			if err != nil {
				return err
			}
			opt.Check.Root = f.root
			if evidenceFile != "" {
				dir, cleanup, err := g.openEvidence(evidenceFile, identity)
				if err != nil {
					return j.done("", "", err)
				}
				defer cleanup()
				opt.Check.Root, opt.Check.Snapshot = filepath.Join(dir, "files"), filepath.Join(dir, "snapshot", "host.snap")
			}
			stats := &filescan.Stats{}
			opt.Check.Capture.Stats = stats
			if opt.Check.Capture.MaxHashSize, err = parseSize(f.maxHashSize); err != nil {
				return j.done("", "", err)
			}
			opt.Check.UnsignedOK = bf.unsignedOK
			if err := bf.apply(&opt.Check); err != nil {
				return j.done("", "", err)
			}
			g.caseFacts(j, &opt.Check)
			ctx, cancel := interruptible()
			defer cancel()
			m := g.meter("investigate", stats)
			rep, err := investigate.Run(ctx, opt)
			m.Stop()
			if err != nil {
				return j.done("", "", err)
			}
			switch format {
			case "json":
				err = rep.WriteJSON(g.stdout)
			case "csv":
				err = rep.WriteCSV(g.stdout)
			default:
				err = rep.WriteText(g.stdout, investigate.TextOptions{Rows: rows})
			}
			if err != nil {
				return j.done("", "", err)
			}
			j.save("investigate", rep)
			j.facts["entry"] = rep.Entry.Vector
			j.facts["confidence"] = rep.Entry.Confidence
			if err := j.done(string(rep.Verdict), fmt.Sprintf("way in: %s (%s)", rep.Entry.Vector, rep.Entry.Confidence), nil); err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			// The same exit status as check for the same verdict: "cannot tell" is never 0.
			if code := rep.Verdict.ExitCode(); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&since, "since", "", "keep timeline rows from this time (2026-11-20, 2026-11-20T13:00:00Z, or 72h / 3d back from now)")
	addEvidenceFlags(cmd, &evidenceFile, &identity)
	bf.add(cmd)
	cmd.Flags().StringVar(&until, "until", "", "keep timeline rows up to this time")
	cmd.Flags().StringVar(&format, "format", "text", "text, json or csv (the timeline)")
	cmd.Flags().IntVar(&rows, "rows", 60, "timeline rows shown in the text report")
	return cmd
}

// parseTime reads a date or a date and time (UTC unless an offset is given), or a time back
// from now: a Go duration (72h, 90m) or a number of days (3d).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := backFromNow(s); ok {
		return time.Now().UTC().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write 2026-11-20, 2026-11-20T13:00:00Z, or 72h or 3d back from now", s)
}

// backFromNow reads "72h", "90m" or "3d" as a positive span of time.
func backFromNow(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*366 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
