package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
	"github.com/nowwhat/nowwhat/internal/base/textsafe"
)

func init() { registerCommand(trustCmd) }

func trustCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Vouch for a colleague's address or SSH key, so what their sessions changed is theirs",
		Long: `Being logged in proves nothing: intruders log in too. check and investigate let a session
explain a change only when something vouches for it: an address or key that a baseline taken
before the incident saw log in, or an entry made here by an operator. A session that follows
password guessing, or comes back from where an intruder was, stays hostile whatever is trusted.

Entries live in the case folder (trust.json) and every change is journaled.`,
		Example: `  nowwhat --case /media/usb/case-web1 trust add --address 192.0.2.10 --who alice --note "office VPN"
  nowwhat --case /media/usb/case-web1 trust add --key SHA256:Kt7Q... --who bob
  nowwhat --case /media/usb/case-web1 trust list
  nowwhat --case /media/usb/case-web1 trust remove T-1a2b3c4d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var t casedir.Trust
	add := &cobra.Command{
		Use:   "add --address CIDR | --key SHA256:... --who NAME [--note TEXT]",
		Short: "Vouch for an address range and/or an SSH key",
		Example: `  nowwhat --case DIR trust add --address 192.0.2.0/24 --who "alice (office)"
  nowwhat --case DIR trust add --address 198.51.100.7 --key SHA256:Kt7QpKF2y6... --who bob`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			j, c, err := g.trustCase(cmd)
			if err != nil {
				return err
			}
			got, err := c.AddTrust(t)
			if err != nil {
				return &ExitError{Code: 2, Err: j.done("refused", "", err)}
			}
			j.facts["trust"] = got.ID
			fmt.Fprintf(g.stdout, "trusted %s: %s (%s)\n", got.ID, textsafe.Escape(trustWhat(got)), textsafe.Escape(got.Who))
			g.info("next: run check (or investigate) again; sessions from it are now trusted unless something marks them hostile")
			return j.done("ok", "trust "+got.ID+" "+trustWhat(got)+" "+got.Who, nil)
		},
	}
	add.Flags().StringVar(&t.Address, "address", "", "address or prefix (192.0.2.10, 192.0.2.0/24, 2001:db8::/48)")
	add.Flags().StringVar(&t.Key, "key", "", "SSH key fingerprint as sshd logs it (SHA256:...; ssh-keygen -lf KEY.pub)")
	add.Flags().StringVar(&t.Who, "who", "", "whose it is")
	add.Flags().StringVar(&t.Note, "note", "", "why it is trusted")
	var format string
	list := &cobra.Command{
		Use:     "list [--format text|json]",
		Short:   "List what is trusted in this case",
		Example: "  nowwhat --case DIR trust list --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.caseDir == "" {
				return errors.New("trust needs a case folder: --case DIR or NOWWHAT_CASE")
			}
			c, err := casedir.Open(g.caseDir)
			if err != nil {
				return err
			}
			ts, err := c.Trusts()
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if ts == nil {
					ts = []casedir.Trust{}
				}
				return enc.Encode(ts)
			}
			if len(ts) == 0 {
				fmt.Fprintln(g.stdout, "nothing trusted in this case yet (nowwhat trust add --address CIDR --who NAME)")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tADDRESS\tKEY\tWHO\tADDED BY\tNOTE")
			for _, x := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%s\n", x.ID, orDashStr(x.Address), orDashStr(x.Key), textsafe.Escape(x.Who),
					textsafe.Escape(x.Operator), x.Added.Format("2006-01-02 15:04"), textsafe.Escape(x.Note))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&format, "format", "text", "text or json")
	remove := &cobra.Command{
		Use:     "remove ID",
		Short:   "Stop vouching for an entry",
		Example: "  nowwhat --case DIR trust remove T-1a2b3c4d",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, c, err := g.trustCase(cmd)
			if err != nil {
				return err
			}
			got, err := c.RemoveTrust(args[0])
			if err != nil {
				return &ExitError{Code: 2, Err: j.done("refused", "", err)}
			}
			fmt.Fprintf(g.stdout, "no longer trusted: %s %s (%s)\n", got.ID, textsafe.Escape(trustWhat(got)), textsafe.Escape(got.Who))
			return j.done("ok", "untrust "+got.ID, nil)
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

func (g *globals) trustCase(cmd *cobra.Command) (*journal, *casedir.Case, error) {
	if g.caseDir == "" {
		return nil, nil, errors.New("trust needs a case folder: --case DIR or NOWWHAT_CASE (the entries live there)")
	}
	j, err := g.openJournal(cmd, "")
	if err != nil {
		return nil, nil, err
	}
	j.cmd = "trust " + cmd.Name()
	return j, j.c, nil
}

func trustWhat(t casedir.Trust) string {
	switch {
	case t.Address != "" && t.Key != "":
		return t.Key + " from " + t.Address
	case t.Address != "":
		return t.Address
	}
	return t.Key
}

func orDashStr(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
