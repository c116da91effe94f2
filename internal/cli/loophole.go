package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/detect/vulns"
	"github.com/nowwhat/nowwhat/internal/stage/check"
	"github.com/nowwhat/nowwhat/internal/stage/investigate"
	"github.com/nowwhat/nowwhat/internal/stage/loophole"
)

func init() { registerStep("loophole", loopholeCmd) }

// defaultOSVDir is where loophole update puts the OSV data and loophole reads it.
func defaultOSVDir() string {
	if d := os.Getenv("NOWWHAT_OSV"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/nowwhat/osv"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "nowwhat", "osv")
	}
	return "osv"
}

func loopholeCmd(g *globals) *cobra.Command {
	var root, osv, format string
	cmd := &cobra.Command{
		Use:   "loophole [--root DIR] [--osv DIR] [--format text|json]",
		Short: "Step 6: name the hole they came through (entry + configuration + known CVEs)",
		Long: `loophole names the hole the intruder came through. It joins three things: investigate's way
in (read from the case folder when investigate ran with the same --case, else investigated now),
the host's configuration (sshd's effective settings, whether the web server runs PHP in the
upload folder the web shell was put in, what listens on which address), and the known
vulnerabilities of what is installed (Debian packages by source package and release, WordPress
core and plugins, composer.lock, package-lock.json) from OSV data read offline.

Each hole comes with its confidence, its evidence and the nowwhat harden changes that close it.
The OSV data is the per-ecosystem all.zip files osv.dev publishes: nowwhat loophole update
downloads them (on a machine with internet; copy the folder to the one without).`,
		Example: `  sudo nowwhat --case /cases/web1 investigate
  sudo nowwhat --case /cases/web1 loophole --osv /var/lib/nowwhat/osv
  nowwhat loophole --root /mnt/web1 --osv ~/osv --format json | jq '.holes[] | select(.used)'
  nowwhat loophole update --osv ~/osv`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			j, err := g.openJournal(cmd, root)
			if err != nil {
				return err
			}
			ctx, cancel := interruptible()
			defer cancel()
			opt := loophole.Options{Root: root}
			if osv != "" {
				opt.OSVDir = osv
			} else if d := defaultOSVDir(); dirExists(d) {
				opt.OSVDir = d
			}
			opt.Investigation, err = g.investigation(ctx, j, root)
			if err != nil {
				return j.done("", "", err)
			}
			rep, err := loophole.Run(ctx, opt)
			if err != nil {
				return j.done("", "", err)
			}
			if format == "json" {
				err = rep.WriteJSON(g.stdout)
			} else {
				err = rep.WriteText(g.stdout)
			}
			if err != nil {
				return j.done("", "", err)
			}
			j.save("loophole", rep)
			var used []string
			for _, h := range rep.Used() {
				used = append(used, h.ID+" "+h.Subject)
			}
			j.facts["holes"] = fmt.Sprint(len(rep.Holes))
			j.facts["used"] = strings.Join(used, "; ")
			if len(used) == 0 {
				return j.done("", "no hole tied to the way in", nil)
			}
			return j.done("", "hole: "+strings.Join(used, "; "), nil)
		},
	}
	cmd.Flags().StringVar(&root, "root", "/", "root of the host: / for this host, or a mounted disk")
	cmd.Flags().StringVar(&osv, "osv", "", "folder of OSV data (ECOSYSTEM/all.zip; default $NOWWHAT_OSV, /var/lib/nowwhat/osv for root, else ~/.cache/nowwhat/osv)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")

	var source string
	var ecos []string
	update := &cobra.Command{
		Use:   "update [--osv DIR] [--ecosystem NAME ...]",
		Short: "Download the OSV data (osv.dev's ECOSYSTEM/all.zip) for offline matching",
		Long: `update downloads osv.dev's per-ecosystem exports (Debian, Packagist and npm by default) into
the OSV folder as ECOSYSTEM/all.zip. Each file is checked to be a zip of records before it
replaces the one there, so a cut download keeps the old data. Run it on a machine with internet
and copy the folder to the investigation machine.`,
		Example: `  nowwhat loophole update --osv ~/osv
  nowwhat loophole update --osv ~/osv --ecosystem Debian --ecosystem PyPI`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := osv
			if dir == "" {
				dir = defaultOSVDir()
			}
			ctx, cancel := interruptible()
			defer cancel()
			g.info("downloading OSV data into %s ...", dir)
			got, err := vulns.Update(ctx, nil, source, dir, ecos)
			for _, d := range got {
				fmt.Fprintf(g.stdout, "%s: %d records, %d bytes -> %s\n", d.Ecosystem, d.Records, d.Bytes, d.Path)
			}
			if err != nil {
				return fmt.Errorf("%w (what downloaded is kept; run update again)", err)
			}
			return nil
		},
	}
	update.Flags().StringVar(&osv, "osv", "", "folder to put the data in (default as for loophole)")
	update.Flags().StringArrayVar(&ecos, "ecosystem", vulns.DefaultEcosystems, "ecosystem to download (repeatable)")
	update.Flags().StringVar(&source, "source", vulns.DefaultSource, "where the exports are (osv.dev's bucket, or a mirror)")
	cmd.AddCommand(update)
	return cmd
}

func dirExists(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir()
}

// investigation reads investigate's result from the case (when it examined the same root),
// else investigates now.
func (g *globals) investigation(ctx context.Context, j *journal, root string) (*investigate.Report, error) {
	if j.c != nil {
		var rep investigate.Report
		p, err := j.c.LatestResult("investigate", &rep)
		switch {
		case err == nil:
			g.info("way in: from %s", p)
			return &rep, nil
		case !errors.Is(err, casedir.ErrNoResult):
			g.info("warning: investigate's result in the case could not be read (%v); investigating again", err)
		}
	}
	g.info("no investigate result in the case: investigating %s now (nowwhat --case DIR investigate keeps it)...", root)
	return investigate.Run(ctx, investigate.Options{Check: check.Options{Root: root}})
}
