package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/stage/rotate"
)

func init() { registerStep("rotate", rotateCmd) }

type rotateFlags struct {
	root, format           string
	baseline, pubkey       string
	unsignedOK             bool
	keep, only, appRoots   []string
	passwords, recipient   string
	apply, noRules         bool
	mysqlSock, pgDir, pgPt string
	ssh, identity          string
}

func (g *globals) rotateOptions(f *rotateFlags, needCase bool) (rotate.Options, func(), error) {
	opt := rotate.Options{Root: f.root, Keep: f.keep, Only: f.only, Passwords: f.passwords, Recipient: f.recipient,
		AppRoots: f.appRoots, NoRules: f.noRules, SSHAddr: f.ssh, Out: g.stderr,
		DB: rotate.DBAccess{MySQLSocket: f.mysqlSock, PGSocketDir: f.pgDir, PGPort: f.pgPt}}
	cleanup := func() {}
	if g.caseDir != "" {
		c, err := rotate.OpenCase(g.caseDir)
		if err != nil {
			return opt, cleanup, err
		}
		opt.Case = c
	} else if needCase {
		return opt, cleanup, rotate.ErrNoCase
	}
	if f.baseline != "" {
		if f.pubkey == "" && !f.unsignedOK {
			return opt, cleanup, errors.New("--baseline needs --pubkey PREFIX.pub to check its signature (or --unsigned-ok)")
		}
		var base *snapshot.Reader
		if f.pubkey != "" {
			k, err := seal.LoadPublicKey(f.pubkey)
			if err != nil {
				return opt, cleanup, err
			}
			base, _, err = seal.Open(f.baseline, &k, false)
			if err != nil {
				return opt, cleanup, err
			}
		} else {
			var err error
			base, _, err = seal.Open(f.baseline, nil, true)
			if err != nil {
				return opt, cleanup, err
			}
		}
		opt.Baseline = base
		cleanup = func() { base.Close() }
	}
	return opt, cleanup, nil
}

func (f *rotateFlags) common(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.root, "root", "/", "root of the host: / for this host, or a mounted disk image")
	cmd.PersistentFlags().StringVar(&f.format, "format", "text", "text or json")
	cmd.PersistentFlags().StringVar(&f.baseline, "baseline", "", "trusted baseline snapshot: the SSH keys it knew are kept, the others removed")
	cmd.PersistentFlags().StringVar(&f.pubkey, "pubkey", "", "public key that sealed the baseline (PREFIX.pub)")
	cmd.PersistentFlags().BoolVar(&f.unsignedOK, "unsigned-ok", false, "use a baseline without checking its signature")
	cmd.PersistentFlags().StringArrayVar(&f.keep, "keep", nil, "an SSH key fingerprint (SHA256:...) to keep (repeatable)")
	cmd.PersistentFlags().StringArrayVar(&f.appRoots, "app-root", nil, "another folder to search for application configuration (repeatable)")
	cmd.PersistentFlags().BoolVar(&f.noRules, "no-rules", false, "skip the token rule set (gitleaks); the server-file readers still run")
	cmd.PersistentFlags().StringVar(&f.mysqlSock, "mysql-socket", "", "MariaDB/MySQL socket of the host (default on this host: the one the config names, else /run/mysqld/mysqld.sock)")
	cmd.PersistentFlags().StringVar(&f.pgDir, "pg-socket-dir", "", "PostgreSQL socket folder of the host (default on this host: /var/run/postgresql)")
	cmd.PersistentFlags().StringVar(&f.pgPt, "pg-port", "", "PostgreSQL port (default 5432)")
}

func (g *globals) writeRotate(f *rotateFlags, res *rotate.Result) error {
	if f.format == "json" {
		return res.WriteJSON(g.stdout)
	}
	return res.WriteText(g.stdout, time.Now())
}

func rotateCmd(g *globals) *cobra.Command {
	f := &rotateFlags{}
	cmd := &cobra.Command{
		Use:   "rotate [--root DIR] [--format text|json] [--apply [--only KIND...] --recipient age1... [--passwords new|expire]]",
		Short: "Step 6: every credential of every user, found, rotated and proven dead",
		Long: `rotate lists every credential the server holds, never printing one: account passwords, SSH
keys (every authorized_keys file sshd reads, marked known or unknown to the baseline; users'
private keys; host keys), TLS and ACME keys, database passwords in application configs and
client files, Redis passwords, application secrets (WordPress salts, Laravel APP_KEY, Django
SECRET_KEY, Rails master.key, JWT secrets), cloud and service tokens, backup passphrases, mail
relay, DKIM, VPN and Kerberos keys, systemd credentials, and secrets left in crontabs and shell
histories. Each item says where it lives, whose it is, how old it is and how it is rotated, with
a fingerprint keyed by the case (so a later run tells a new secret from the old one).

With --apply it rotates, in one go, what can be rotated on the host: new random passwords (or
expiry, --passwords expire), unknown SSH keys removed (keys the baseline knew, or --keep, stay;
users make new keys on their own machines), new host keys, application secrets regenerated in
place (previous-key fallbacks removed), database passwords changed over the local socket with
the configuration updated in the same step; and it ends the affected accounts' sessions. New
secrets exist only encrypted to your --recipient, in the case. Everything else gets exact steps.

Rotate while the intruder is cut off (nowwhat contain): rotate warns when no containment is in
force. Every change is journaled in the case (rotation.jsonl) before it is made.

Kinds for --only: ` + strings.Join(secrets.Kinds, ", "),
		Example: `  sudo nowwhat --case /media/usb/case rotate
  sudo nowwhat --case /media/usb/case rotate --baseline web1.snap --pubkey admin.pub --format json
  sudo nowwhat --case /media/usb/case rotate --apply --recipient age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq --baseline web1.snap --pubkey admin.pub
  sudo nowwhat --case /media/usb/case rotate --apply --only password --passwords expire --recipient age1...
  sudo nowwhat --case /media/usb/case rotate verify --identity ~/.nowwhat/case.agekey
  nowwhat --case /media/usb/case rotate status
  nowwhat --case /media/usb/case rotate waive tls-3f2a9c0112 "snake-oil key, served nowhere"`,
		GroupID: "steps",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.format != "text" && f.format != "json" {
				return fmt.Errorf("--format %q: use text or json", f.format)
			}
			j, err := g.openJournal(cmd, f.root)
			if err != nil {
				return err
			}
			opt, cleanup, err := g.rotateOptions(f, f.apply)
			if err != nil {
				return j.done("", "", err)
			}
			defer cleanup()
			ctx, cancel := interruptible()
			defer cancel()
			res, rerr := rotate.Rotate(ctx, opt, f.apply)
			if res == nil {
				return j.done("", "", rerr)
			}
			if err := g.writeRotate(f, res); err != nil {
				return j.done("", "", err)
			}
			j.save("rotate", res)
			for k, v := range res.Counts {
				j.facts[k] = fmt.Sprint(v)
			}
			outcome := "planned"
			if f.apply {
				outcome = "applied"
			}
			if rerr != nil {
				return j.done("partly "+outcome, rerr.Error(), rerr)
			}
			return j.done(outcome, fmt.Sprintf("%d credentials", len(res.Items)), nil)
		},
	}
	f.common(cmd)
	cmd.Flags().BoolVar(&f.apply, "apply", false, "rotate (without it nothing changes)")
	cmd.Flags().StringArrayVar(&f.only, "only", nil, "rotate only this kind (repeatable)")
	cmd.Flags().StringVar(&f.passwords, "passwords", "new", "account passwords: new (random, given to you encrypted) or expire (a forced change at the next login)")
	cmd.Flags().StringVar(&f.recipient, "recipient", "", "your age public key (age1...): new secrets are written only encrypted to it")

	status := &cobra.Command{
		Use:     "status",
		Short:   "What is rotated, what waits for you or a provider, and what was waived",
		Example: "  nowwhat --case /media/usb/case rotate status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.caseDir == "" {
				return rotate.ErrNoCase
			}
			c, err := rotate.OpenCase(g.caseDir)
			if err != nil {
				return err
			}
			res, err := rotate.Status(c)
			if err != nil {
				return err
			}
			res.Command = "status"
			if err := g.writeRotate(f, res); err != nil {
				return err
			}
			pending, _ := rotate.Pending(g.caseDir)
			if len(pending) > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	waive := &cobra.Command{
		Use:     `waive ID "reason"`,
		Short:   "Record that a credential needs no rotation, and why",
		Example: `  nowwhat --case /media/usb/case rotate waive tls-3f2a9c0112 "snake-oil key, served nowhere"`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, "")
			if err != nil {
				return err
			}
			if g.caseDir == "" {
				return rotate.ErrNoCase
			}
			c, err := rotate.OpenCase(g.caseDir)
			if err != nil {
				return j.done("", "", err)
			}
			if res, err := rotate.Status(c); err == nil {
				found := false
				for _, it := range res.Items {
					found = found || it.ID == args[0]
				}
				if !found {
					return j.done("", "", fmt.Errorf("no credential %q in this case: nowwhat rotate status lists their IDs", args[0]))
				}
			}
			if err := c.Waive(args[0], args[1]); err != nil {
				return j.done("", "", err)
			}
			fmt.Fprintf(g.stdout, "waived %s: %s\n", args[0], args[1])
			j.facts["waived"] = args[0]
			return j.done("waived", args[0]+": "+args[1], nil)
		},
	}
	verify := &cobra.Command{
		Use:   "verify [--identity FILE] [--ssh HOST:PORT]",
		Short: "Prove the old credentials dead: fingerprints changed, old passwords and keys refused",
		Long: `verify takes a fresh inventory and gives each credential's state with its evidence: the
fingerprint changed; the password expired; sshd refuses a removed key (asked for real, with the
public key only) and no longer offers the old host keys; the database refuses the old password
(tried, with --identity to open the old passwords kept encrypted in the case).`,
		Example: `  sudo nowwhat --case /media/usb/case rotate verify --identity ~/.nowwhat/case.agekey
  nowwhat --case case rotate verify --root /mnt/web1 --ssh 192.0.2.10:22`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, f.root)
			if err != nil {
				return err
			}
			opt, cleanup, err := g.rotateOptions(f, true)
			if err != nil {
				return j.done("", "", err)
			}
			defer cleanup()
			ids, err := loadIdentities(f.identity)
			if err != nil && f.identity != "" {
				return j.done("", "", err)
			}
			ctx, cancel := interruptible()
			defer cancel()
			res, err := rotate.Verify(ctx, opt, ids)
			if err != nil {
				return j.done("", "", err)
			}
			if err := g.writeRotate(f, res); err != nil {
				return j.done("", "", err)
			}
			j.save("rotate", res)
			left := 0
			for _, it := range res.Items {
				if !rotate.Done(it.State) {
					left++
				}
			}
			j.facts["left"] = fmt.Sprint(left)
			if err := j.done("verified", fmt.Sprintf("%d of %d credentials still to deal with", left, len(res.Items)), nil); err != nil {
				return err
			}
			if left > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	verify.Flags().StringVar(&f.identity, "identity", "", "your age identity file: opens the old database passwords kept encrypted, so they are tried")
	verify.Flags().StringVar(&f.ssh, "ssh", "", "the host's sshd to ask (default on this host: 127.0.0.1:22)")
	cmd.AddCommand(status, waive, verify)
	return cmd
}
