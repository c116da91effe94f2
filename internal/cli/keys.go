package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

func keygenCmd(g *globals) *cobra.Command {
	var noPassword bool
	var passwordFile string
	cmd := &cobra.Command{
		Use:   "keygen PREFIX",
		Short: "Make the key pair that seals baselines (keep the secret key off the servers)",
		Long: `keygen writes PREFIX.key (the secret key, mode 0600) and PREFIX.pub (the public key).

Seal baselines with the secret key on your own machine, never on a server: an intruder with
root on the server could otherwise seal a doctored baseline. Copy only PREFIX.pub to where
baselines are checked. The keys are minisign keys: 'minisign -Vm FILE -p PREFIX.pub' checks a
baseline without nowwhat. The secret key is encrypted with a password unless --no-password.`,
		Example: `  nowwhat keygen ~/.nowwhat/admin
  nowwhat keygen --no-password /media/usb/nowwhat   # for scripts; keep the file safe`,
		GroupID: "keys",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, "")
			if err != nil {
				return err
			}
			password := ""
			if !noPassword {
				password, err = g.readPassword(passwordFile, "Password for the new secret key: ", passwordFile == "")
				if err != nil {
					return j.done("", "", fmt.Errorf("%w (or use --no-password)", err))
				}
				if password == "" {
					return j.done("", "", errors.New("empty password: give one, or say --no-password"))
				}
			}
			secret, public, err := seal.GenerateKey(args[0], password)
			if err != nil {
				return j.done("", "", err)
			}
			fmt.Fprintf(g.stdout, "secret key: %s (keep it off the servers: on your own machine or a USB stick)\n", secret)
			fmt.Fprintf(g.stdout, "public key: %s\n", public)
			fmt.Fprintf(g.stdout, "next: nowwhat baseline --key %s -o HOST.snap   (or snapshot on the host, seal here)\n", secret)
			j.output(public)
			return j.done("", "", nil)
		},
	}
	cmd.Flags().BoolVar(&noPassword, "no-password", false, "write the secret key unencrypted (for scripts)")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the key's password from this file instead of asking")
	return cmd
}

func loadKey(g *globals, path, passwordFile string) (keyText string, err error) {
	enc, err := seal.KeyIsEncrypted(path)
	if err != nil {
		return "", err
	}
	if !enc {
		return "", nil
	}
	return g.readPassword(passwordFile, "Password for "+path+": ", false)
}

func sealCmd(g *globals) *cobra.Command {
	var keyPath, passwordFile string
	cmd := &cobra.Command{
		Use:   "seal --key PREFIX.key SNAPSHOT...",
		Short: "Sign snapshots so they can serve as trusted baselines",
		Long: `seal signs each snapshot with your secret key and writes SNAPSHOT.minisig beside it.
Do it on your own machine, after copying the snapshot off the server. A sealed snapshot is a
baseline: diff and check refuse it if a single byte changed since.`,
		Example: `  ssh web1 sudo nowwhat snapshot -o - > web1-2026-11-26.snap
  nowwhat seal --key ~/.nowwhat/admin.key web1-2026-11-26.snap
  minisign -Vm web1-2026-11-26.snap -p ~/.nowwhat/admin.pub   # the standard tool agrees`,
		GroupID: "keys",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(cmd, "")
			if err != nil {
				return err
			}
			if keyPath == "" {
				return j.done("", "", errors.New("--key PREFIX.key is required (made by `nowwhat keygen`)"))
			}
			pw, err := loadKey(g, keyPath, passwordFile)
			if err != nil {
				return j.done("", "", err)
			}
			key, err := seal.LoadSecretKey(keyPath, pw)
			if err != nil {
				return j.done("", "", err)
			}
			for _, p := range args {
				r, err := snapshot.Open(p)
				if err != nil {
					return j.done("", "", fmt.Errorf("will not seal %s: %w", p, err))
				}
				trusted := trustedComment(r)
				r.Close()
				sig, err := seal.Sign(p, key, trusted)
				if err != nil {
					return j.done("", "", err)
				}
				fmt.Fprintf(g.stdout, "sealed %s -> %s\n", p, sig)
				j.output(sig)
			}
			return j.done("", "", nil)
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "secret key file (PREFIX.key)")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the key's password from this file instead of asking")
	return cmd
}

func trustedComment(r *snapshot.Reader) string {
	parts := []string{"nowwhat-snapshot"}
	for _, k := range []string{"host.hostname", "host.machine_id", "taken_at", "tool_version"} {
		if v := r.Meta(k); v != "" {
			parts = append(parts, strings.TrimPrefix(k, "host.")+"="+strings.ReplaceAll(v, " ", "_"))
		}
	}
	return strings.Join(parts, " ")
}
