package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/stage/report"
	"github.com/nowwhat/nowwhat/internal/stage/report/ioc"
)

func init() { registerStep("report", reportCmd) }

// reportFormats are the forms report writes, with their file names in the output folder.
var reportFormats = []struct{ name, file string }{
	{"md", "report.md"},
	{"html", "report.html"},
	{"json", "report.json"},
	{"stix", "indicators.stix.json"},
	{"misp", "indicators.misp.json"},
	{"timesketch", "timeline.timesketch.jsonl"},
	{"letters", "letters"},
}

func reportCmd(g *globals) *cobra.Command {
	var format, out, now string
	cmd := &cobra.Command{
		Use:   "report [--case DIR] [--format md|html|json|stix|misp|timesketch|letters|all] [-o DIR]",
		Short: "Step 8: the incident report, the indicators, and the letters to the people affected",
		Long: `report writes the incident report from the case folder alone, with no new look at the host, so
it also works on a case copied to another machine. It reads the case journal (and checks its hash
chain), the results check, investigate, loophole, clean, rotate, harden and verify saved, collect's
custody records and the containment journal. What a step never recorded is reported missing, never
made up.

Formats (all by default, into DIR, which is CASE/report unless -o says otherwise):
  md, html, json  the report: summary, timeline, way in and hole, what the intruder did (ATT&CK),
                  affected systems, accounts and data, evidence and chain of custody, actions with
                  time and operator, what was not covered, lessons learned (NIST SP 800-61), each
                  statement with its evidence; the HTML is one printable file with no script
  stix            the indicators as a STIX 2.1 bundle
  misp            the indicators as a MISP event (JSON import)
  timesketch      the timeline as Timesketch JSONL
  letters         drafts to the data protection authority (GDPR Art. 33, with the 72-hour
                  deadline), to the affected people (Art. 34), an abuse report for the hosting
                  provider, and a one-page note for management

-o - writes one format (not letters or all) to standard output.`,
		Example: `  nowwhat --case /media/usb/web1-case report
  nowwhat report --case web1-case --format html -o /tmp/out
  nowwhat report --case web1-case --format json -o - | jq .summary
  nowwhat report --case web1-case --format letters`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.caseDir == "" {
				return errors.New("report works from a case folder: give --case DIR (or set NOWWHAT_CASE)")
			}
			want, err := reportWanted(format)
			if err != nil {
				return err
			}
			if st, err := os.Stat(g.caseDir); err != nil || !st.IsDir() {
				return fmt.Errorf("case folder %s not found: give the folder the other steps were run with (--case)", g.caseDir)
			}
			opt := report.Options{}
			if now != "" {
				if opt.Now, err = parseTime(now); err != nil {
					return fmt.Errorf("--now: %w", err)
				}
			}
			c, err := casedir.Open(g.caseDir)
			if err != nil {
				return err
			}
			rep, err := report.Build(c, opt)
			if err != nil {
				return err
			}
			if out == "-" {
				if len(want) != 1 || want[0] == "letters" {
					return errors.New("-o - writes one format: give --format md, html, json, stix, misp or timesketch")
				}
				return writeReportFormat(rep, want[0], g.stdout)
			}
			// The report never touches the host: where the case sits is no concern of this command
			// (the steps that do touch it have warned already).
			quiet := g.quiet
			g.quiet = true
			j, err := g.openJournal(cmd, "")
			g.quiet = quiet
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(c.Dir, "report")
			}
			written, err := writeReport(rep, want, out)
			for _, p := range written {
				j.output(p)
				fmt.Fprintln(g.stdout, p)
			}
			if err != nil {
				return j.done("", "", err)
			}
			g.info("report: verdict %s; state: %s", firstOr(rep.Verdict.Last, "none recorded"), rep.State)
			if rep.Clock != nil {
				g.info("GDPR Art. 33 deadline: %s (%s)", rep.Clock.Deadline.Format("2006-01-02 15:04 UTC"), rep.Clock.Left)
			}
			if !rep.Custody.Journal.Intact {
				g.info("warning: the case journal's hash chain is broken: %s", rep.Custody.Journal.Problem)
			}
			for _, s := range rep.Steps {
				if s.Missing != "" {
					g.info("missing: %s: %s", s.Name, s.Missing)
				}
			}
			j.facts["formats"] = strings.Join(want, ",")
			return j.done("ok", fmt.Sprintf("%d files in %s", len(written), out), nil)
		},
	}
	cmd.Flags().StringVar(&format, "format", "all", "md, html, json, stix, misp, timesketch, letters or all (comma-separated for several)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "folder to write into (default CASE/report); - for standard output (one format)")
	cmd.Flags().StringVar(&now, "now", "", "the report's time, which the notification deadline is measured against (default: now)")
	cmd.Flags().MarkHidden("now")
	return cmd
}

func firstOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func reportWanted(format string) ([]string, error) {
	var want []string
	for _, f := range strings.Split(format, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if f == "all" {
			want = want[:0]
			for _, rf := range reportFormats {
				want = append(want, rf.name)
			}
			return want, nil
		}
		ok := false
		for _, rf := range reportFormats {
			if rf.name == f {
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("--format %q: use md, html, json, stix, misp, timesketch, letters or all", f)
		}
		want = append(want, f)
	}
	return want, nil
}

// writeReportFormat writes one format of the report.
func writeReportFormat(rep *report.Report, format string, w io.Writer) error {
	switch format {
	case "md":
		return rep.WriteMarkdown(w)
	case "html":
		return rep.WriteHTML(w)
	case "json":
		return rep.WriteJSON(w)
	case "stix":
		return ioc.WriteSTIX(w, rep)
	case "misp":
		return ioc.WriteMISP(w, rep)
	case "timesketch":
		return ioc.WriteTimesketch(w, rep)
	}
	return fmt.Errorf("format %s cannot go to one stream", format)
}

// writeReport writes the wanted formats into dir (0700; files 0600, each written whole or not
// at all) and returns the files written.
func writeReport(rep *report.Report, want []string, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("report folder: %w", err)
	}
	var written []string
	for _, f := range want {
		if f == "letters" {
			ld := filepath.Join(dir, "letters")
			if err := os.MkdirAll(ld, 0o700); err != nil {
				return written, fmt.Errorf("letters folder: %w", err)
			}
			for _, l := range rep.Letters() {
				p := filepath.Join(ld, l.File)
				if err := writeFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, l.Text); return err }); err != nil {
					return written, err
				}
				written = append(written, p)
			}
			continue
		}
		for _, rf := range reportFormats {
			if rf.name != f {
				continue
			}
			p := filepath.Join(dir, rf.file)
			if err := writeFileAtomic(p, func(w io.Writer) error { return writeReportFormat(rep, f, w) }); err != nil {
				return written, err
			}
			written = append(written, p)
		}
	}
	return written, nil
}

// writeFileAtomic writes a file 0600 through a temporary file in the same folder, synced and
// renamed into place.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
