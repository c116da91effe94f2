package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"aead.dev/minisign"
	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/diff"
)

func diffCmd(g *globals) *cobra.Command {
	f := &snapFlags{}
	var pubkey, format string
	var unsignedOK, all, noText bool
	var kinds []string
	cmd := &cobra.Command{
		Use:   "diff --pubkey PREFIX.pub BASELINE [OTHER]",
		Short: "Step 4: show every change since a trusted baseline",
		Long: `diff compares a baseline with another snapshot, or with the live host (--root, default /)
when OTHER is left out. The baseline's signature (BASELINE.minisig) must verify against
--pubkey: a baseline changed by even one byte is refused. A snapshot without a signature is used
only with --unsigned-ok, and the result then says it is unverified.

Changes are grouped by kind of state, most security-relevant first (accounts, sudo, SSH keys,
hooks, modules, services, jobs, files by area, packages, listeners, programs), with counts.
A changed file that a package upgrade in between accounts for says so.

Exit status: 0 no changes, 1 changes found, 2 could not compare.`,
		Example: `  # the live host against its baseline
  sudo nowwhat diff --pubkey admin.pub web1-baseline.snap

  # two snapshots, on your own machine, for scripts
  nowwhat diff --pubkey admin.pub web1-baseline.snap web1-today.snap --format json | jq '.changes[] | select(.kind=="account")'`,
		GroupID: "steps",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &ExitError{Code: 2, Err: fmt.Errorf("--format %q: use text or json", format)}
			}
			for _, k := range kinds {
				if !validKind(k) {
					return &ExitError{Code: 2, Err: fmt.Errorf("--kind %q: use one of %v", k, diff.KindNames())}
				}
			}
			target := f.root
			if len(args) == 2 {
				target = ""
			}
			j, err := g.openJournal(cmd, target)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			fail := func(err error) error { return &ExitError{Code: 2, Err: j.done("", "", err)} }
			var pub *minisign.PublicKey
			if pubkey != "" {
				k, err := seal.LoadPublicKey(pubkey)
				if err != nil {
					return fail(err)
				}
				pub = &k
			} else if !unsignedOK {
				return fail(errors.New("--pubkey PREFIX.pub is required to check the baseline's signature (or --unsigned-ok to use it unverified)"))
			}
			base, verified, err := seal.Open(args[0], pub, unsignedOK)
			if err != nil {
				return fail(err)
			}
			defer base.Close()
			var warnings []string
			if verified == nil {
				warnings = append(warnings, "UNVERIFIED: the baseline's signature was not checked; an attacker could have changed it")
			}
			var cur *snapshot.Reader
			curName := ""
			if len(args) == 2 {
				var curPub *minisign.PublicKey
				if _, err := os.Stat(args[1] + seal.SigSuffix); err == nil && pub != nil {
					curPub = pub
				}
				cur, _, err = seal.Open(args[1], curPub, true)
				if err != nil {
					return fail(err)
				}
				curName = args[1]
			} else {
				fsys, err := hostfs.Open(f.root)
				if err != nil {
					return fail(err)
				}
				defer fsys.Close()
				w, err := snapshot.CreateMemory()
				if err != nil {
					return fail(err)
				}
				ctx, cancel := interruptible()
				defer cancel()
				if _, err := g.take(ctx, f, fsys, w); err != nil {
					w.Abort()
					return fail(err)
				}
				if err := w.Close(); err != nil {
					return fail(err)
				}
				cur, err = w.Reader("live host " + f.root)
				if err != nil {
					return fail(err)
				}
				curName = "the live host (" + f.root + ")"
			}
			defer cur.Close()
			warnings = append(warnings, sameHost(base, cur)...)
			if base.Meta("hashing") == "off" || cur.Meta("hashing") == "off" {
				warnings = append(warnings, "one side was recorded with --no-hash: file contents are compared by size and time only")
			}
			ctx, cancel := interruptible()
			defer cancel()
			res, err := diff.Compare(ctx, base, cur, diff.Options{Kinds: kinds})
			if err != nil {
				return fail(err)
			}
			if format == "json" {
				err = res.WriteJSON(g.stdout, base.MetaAll(), cur.MetaAll(), verified != nil, warnings)
			} else {
				limit := 40
				if all {
					limit = 1 << 30
				}
				header := []string{describe("baseline", args[0], base)}
				if verified != nil {
					header = append(header, fmt.Sprintf("          signature OK (key %s)", verified.KeyID))
				}
				header = append(header, describe("compared", curName, cur))
				for _, w := range warnings {
					header = append(header, "warning: "+w)
				}
				err = res.WriteText(g.stdout, diff.TextOptions{Limit: limit, TextDiffs: !noText, Header: header})
			}
			if err != nil {
				return fail(err)
			}
			j.facts["changes"] = fmt.Sprint(len(res.Changes))
			j.facts["verified"] = fmt.Sprint(verified != nil)
			if err := j.done("", fmt.Sprintf("%d changes", len(res.Changes)), nil); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if len(res.Changes) > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "public key that sealed the baseline (PREFIX.pub)")
	cmd.Flags().BoolVar(&unsignedOK, "unsigned-ok", false, "use a baseline without checking its signature (the result says it is unverified)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringArrayVar(&kinds, "kind", nil, "only these kinds of state (repeatable): account, ssh_key, file, package, ...")
	cmd.Flags().BoolVar(&all, "all", false, "list every change (text output shows 40 per group otherwise)")
	cmd.Flags().BoolVar(&noText, "no-text-diffs", false, "do not show line diffs of changed configuration files")
	return cmd
}

func validKind(k string) bool {
	for _, n := range diff.KindNames() {
		if n == k {
			return true
		}
	}
	return false
}

func describe(label, name string, r *snapshot.Reader) string {
	when := r.Meta("taken_at")
	if t, err := time.Parse(time.RFC3339Nano, when); err == nil {
		when = t.UTC().Format("2006-01-02 15:04 UTC")
	}
	host := r.Meta("host.hostname")
	if host == "" {
		host = "unknown host"
	}
	return fmt.Sprintf("%-9s %s: %s, taken %s", label+":", name, host, when)
}

// sameHost warns when two snapshots seem to be of different hosts.
func sameHost(a, b *snapshot.Reader) []string {
	am, bm := a.Meta("host.machine_id"), b.Meta("host.machine_id")
	if am != "" && bm != "" && am != bm {
		return []string{fmt.Sprintf("the two snapshots have different machine ids (%s, %s): are they of the same host?", am, bm)}
	}
	ah, bh := a.Meta("host.hostname"), b.Meta("host.hostname")
	if ah != "" && bh != "" && ah != bh {
		return []string{fmt.Sprintf("the two snapshots have different host names (%s, %s)", ah, bh)}
	}
	return nil
}
