package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nowwhat/nowwhat/internal/base/seal"
	"github.com/nowwhat/nowwhat/internal/stage/check"
)

// baselineFlags are the flags that offer baselines: --baseline (a file or a folder of sealed
// snapshots, repeatable), --pubkey and --unsigned-ok.
type baselineFlags struct {
	baselines  []string
	pubkey     string
	unsignedOK bool
}

func (b *baselineFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&b.baselines, "baseline", nil, "trusted baseline snapshot, or a folder of them; repeat it to offer several: the newest taken before the intrusion is used")
	cmd.Flags().StringVar(&b.pubkey, "pubkey", "", "public key that sealed the baselines (PREFIX.pub)")
	cmd.Flags().BoolVar(&b.unsignedOK, "unsigned-ok", false, "use baselines without checking their signature (the report says so)")
}

// apply puts the baselines (folders expanded to the sealed snapshots in them) and the key into
// the check options.
func (b *baselineFlags) apply(opt *check.Options) error {
	if len(b.baselines) == 0 {
		return nil
	}
	if b.pubkey == "" && !b.unsignedOK {
		return errors.New("--baseline needs --pubkey PREFIX.pub to check its signature (or --unsigned-ok)")
	}
	if b.pubkey != "" {
		k, err := seal.LoadPublicKey(b.pubkey)
		if err != nil {
			return err
		}
		opt.PubKey = &k
	}
	for _, p := range b.baselines {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("--baseline %s: %w", p, err)
		}
		if !st.IsDir() {
			opt.Baselines = append(opt.Baselines, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return fmt.Errorf("--baseline %s: %w", p, err)
		}
		var found []string
		for _, e := range ents {
			n := e.Name()
			if !e.Type().IsRegular() || strings.HasSuffix(n, ".minisig") || strings.HasSuffix(n, ".sha256") || strings.HasPrefix(n, ".") {
				continue
			}
			// A sealed baseline has its signature beside it; without a key any snapshot file goes.
			if _, err := os.Stat(filepath.Join(p, n+".minisig")); err == nil || b.unsignedOK && strings.HasSuffix(n, ".snap") {
				found = append(found, filepath.Join(p, n))
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("--baseline %s: no sealed snapshot in this folder (FILE with FILE.minisig beside it)", p)
		}
		sort.Strings(found)
		opt.Baselines = append(opt.Baselines, found...)
	}
	return nil
}
