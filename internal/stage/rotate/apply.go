package rotate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"filippo.io/age"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
	"github.com/nowwhat/nowwhat/internal/probe/live"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// ErrNoCase is returned when a change is asked for without a case folder.
var ErrNoCase = errors.New("rotation keeps its journal, its fingerprint key and your new secrets (encrypted) in the case folder: give --case DIR")

// planned is one action with the items it rotates.
type planned struct {
	a     contain.Action
	items []string
}

// Rotate plans (apply false) or carries out (apply true) the rotation of every credential that
// can be rotated on the host, in one go, and lists the guided steps for the rest.
func Rotate(ctx context.Context, opt Options, apply bool) (*Result, error) {
	if opt.Passwords == "" {
		opt.Passwords = "new"
	}
	if opt.Passwords != "new" && opt.Passwords != "expire" {
		return nil, fmt.Errorf("--passwords %q: use new or expire", opt.Passwords)
	}
	for _, k := range opt.Only {
		if !secrets.KnownKind(k) {
			return nil, fmt.Errorf("--only %q is not a kind: use %s", k, strings.Join(secrets.Kinds, ", "))
		}
	}
	var recips []age.Recipient
	if apply {
		if opt.Case == nil {
			return nil, ErrNoCase
		}
		if opt.Recipient == "" {
			return nil, errors.New("give --recipient age1... (your age public key, made on your own machine with age-keygen): new passwords are written only encrypted to it")
		}
		r, err := age.ParseX25519Recipient(opt.Recipient)
		if err != nil {
			return nil, fmt.Errorf("--recipient: %w", err)
		}
		recips = []age.Recipient{r}
	}
	res, inv, err := Inventory(ctx, opt)
	if err != nil {
		return nil, err
	}
	res.Command = "plan"
	if apply {
		res.Command = "apply"
	}
	if strings.HasPrefix(res.Containment, "none") || strings.HasPrefix(res.Containment, "unknown") {
		res.Warnings = append(res.Warnings, "no containment is in force (containment journal: "+res.Containment+"): an intruder still connected sees and takes the new secrets. Cut them off first (nowwhat contain isolate, or contain service), then rotate")
	}
	var journal *contain.Journal
	if opt.Case != nil {
		journal = opt.Case.Journal()
	}
	env, err := contain.NewEnv(opt.Root, journal)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	env.Out = opt.out()

	acts, newSecrets, oldSecrets, warns := build(env, &opt, res, inv, recips)
	res.Warnings = append(res.Warnings, warns...)

	if !apply {
		for _, p := range acts {
			pl, err := p.a.Prepare(env)
			ar := ActionResult{Kind: p.a.Kind(), Target: p.a.Target(), Items: p.items}
			if err != nil {
				ar.Error = err.Error()
			} else {
				ar.What, ar.UndoHow = pl.What, pl.UndoHow
				if pl.Noop != "" {
					ar.What = []string{"nothing to do: " + pl.Noop}
				}
			}
			res.Actions = append(res.Actions, ar)
		}
		return res, nil
	}

	// The new secrets are sealed before anything changes: a crash never loses a password that is
	// already in force.
	t := stamp(opt.now())
	if len(newSecrets) > 0 {
		p, err := opt.Case.sealTo(fmt.Sprintf(secretsName, t), newSecrets, recips)
		if err != nil {
			return nil, err
		}
		res.Sealed = append(res.Sealed, p)
	}
	if len(oldSecrets) > 0 {
		p, err := opt.Case.sealTo(fmt.Sprintf(oldName, t), oldSecrets, recips)
		if err != nil {
			return nil, err
		}
		res.Sealed = append(res.Sealed, p)
	}
	var errs []error
	for _, p := range acts {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		out, err := contain.Run(env, p.a, true)
		ar := ActionResult{Kind: p.a.Kind(), Target: p.a.Target(), Items: p.items}
		if out != nil {
			ar.ID, ar.Applied = out.ID, out.Applied
			if out.Plan != nil {
				ar.What, ar.UndoHow = out.Plan.What, out.Plan.UndoHow
				if out.Plan.Noop != "" {
					ar.What = []string{"nothing to do: " + out.Plan.Noop}
				}
			}
		}
		if err != nil {
			ar.Error = err.Error()
			errs = append(errs, fmt.Errorf("%s %s: %w", p.a.Kind(), p.a.Target(), err))
		}
		switch a := p.a.(type) {
		case *dbAction:
			ar.Evidence = a.Evidence
		case *hostKeysAction:
			res.HostKeys = append(res.HostKeys, a.New...)
		}
		for _, u := range backupsOf(out) {
			if _, err := os.Stat(u); err == nil {
				res.Sealed = append(res.Sealed, u)
			}
		}
		res.Actions = append(res.Actions, ar)
	}
	// Fold the outcome into the items' states.
	again, _, err := Inventory(ctx, opt)
	if err == nil {
		again.Command, again.Warnings, again.Actions, again.Sealed, again.HostKeys = res.Command, res.Warnings, res.Actions, res.Sealed, res.HostKeys
		res = again
	}
	return res, errors.Join(errs...)
}

func backupsOf(out *contain.Outcome) []string {
	if out == nil || out.Plan == nil {
		return nil
	}
	if u, ok := out.Plan.Undo.(backupUndo); ok {
		return u.Backups
	}
	return nil
}

// build turns the inventory into actions, and gathers the new secrets (for the operator) and
// the old database passwords (so verify can try them), both to be sealed.
func build(env *contain.Env, opt *Options, res *Result, inv *secrets.Inventory, recips []age.Recipient) (acts []planned, newSecrets, oldSecrets []byte, warns []string) {
	var ns, os_ bytes.Buffer
	affected := map[string]bool{}
	byID := map[string]*secrets.Item{}
	for i := range inv.Items {
		byID[inv.Items[i].ID] = &inv.Items[i]
	}
	// Passwords.
	for _, it := range res.Items {
		if it.Kind != secrets.KindPassword || !wanted(opt, it.Kind) || Done(it.State) || it.State == StateGone {
			continue
		}
		a := &passwordAction{User: it.Owner, Expire: opt.Passwords == "expire", Items: []string{it.ID}}
		if !a.Expire {
			a.password = newPassword()
			fmt.Fprintf(&ns, "account %s: %s\n", it.Owner, a.password)
		}
		acts = append(acts, planned{a, a.Items})
		affected[it.Owner] = true
	}
	// Authorized keys: unknown ones go, if something tells them from the known.
	haveRef := opt.Baseline != nil || len(opt.Keep) > 0
	pruned := 0
	for _, it := range res.Items {
		if it.Kind != secrets.KindAuthorized || !wanted(opt, it.Kind) || it.Known != "unknown" || it.State == StateGone {
			continue
		}
		if !haveRef {
			pruned++
			continue
		}
		a := &pruneKey{RevokeKey: contain.RevokeKey{Fingerprint: it.PublicKey, File: it.Path}, Items: []string{it.ID}}
		acts = append(acts, planned{a, a.Items})
		affected[it.Owner] = true
	}
	if pruned > 0 {
		warns = append(warns, fmt.Sprintf("%d authorized keys are left in place: without a baseline (--baseline FILE) or the keys to keep (--keep FINGERPRINT), nowwhat cannot tell yours from the intruder's", pruned))
	}
	// Host keys, all at once.
	if wanted(opt, secrets.KindHostKey) {
		hk := &hostKeysAction{c: opt.Case, recips: recips}
		for _, it := range res.Items {
			if it.Kind == secrets.KindHostKey && !Done(it.State) && it.State != StateGone && !slices.Contains(hk.Files, it.Path) {
				hk.Files = append(hk.Files, it.Path)
				hk.Items = append(hk.Items, it.ID)
			}
		}
		if len(hk.Files) > 0 {
			acts = append(acts, planned{hk, hk.Items})
		}
	}
	// Application secrets, one action per file.
	if wanted(opt, secrets.KindAppSecret) {
		byFile := map[string]*appSecretAction{}
		var order []string
		for _, it := range res.Items {
			if it.Kind != secrets.KindAppSecret || it.Method != secrets.MethodAppSecret || Done(it.State) || it.State == StateGone {
				continue
			}
			a := byFile[it.Path]
			if a == nil {
				a = &appSecretAction{File: it.Path, App: it.App, c: opt.Case, recips: recips}
				byFile[it.Path] = a
				order = append(order, it.Path)
			}
			a.Items = append(a.Items, it.ID)
			a.Names = append(a.Names, secretNames(&it.Item)...)
		}
		for _, f := range order {
			acts = append(acts, planned{byFile[f], byFile[f].Items})
		}
	}
	// Database accounts: one action per account and password, every file holding it updated.
	if wanted(opt, secrets.KindDB) {
		groups := map[string]*dbAction{}
		var order []string
		for _, it := range res.Items {
			if it.Kind != secrets.KindDB || it.Method != secrets.MethodDB || Done(it.State) || it.State == StateGone {
				continue
			}
			src := byID[it.ID]
			if src == nil || !src.HasSecret() {
				continue
			}
			t, err := target(it.DB, opt.DB, env.Live)
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s (%s): %v", it.ID, it.Where(), err))
				continue
			}
			key := t.String() + "\x00" + it.Fingerprint
			a := groups[key]
			if a == nil {
				a = &dbAction{T: t, old: src.Secret(), nw: newPassword(), c: opt.Case, recips: recips}
				groups[key] = a
				order = append(order, key)
				fmt.Fprintf(&ns, "%s user %s: %s\n", t.Engine, t.User, a.nw)
				fmt.Fprintf(&os_, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Fingerprint, t.Engine, t.User, t.Net, t.Addr, t.Port, t.Database, a.old)
			}
			a.Items = append(a.Items, it.ID)
			a.Edits = append(a.Edits, edit{File: it.Path, Line: it.Line})
		}
		// Other files holding the same password (a .my.cnf beside the app's config) go with it.
		for _, it := range res.Items {
			if it.Kind != secrets.KindDB || it.Method == secrets.MethodDB || it.Path == "" || it.Line == 0 {
				continue
			}
			for _, key := range order {
				a := groups[key]
				if strings.HasSuffix(key, "\x00"+it.Fingerprint) && it.DB != nil && it.DB.User == a.T.User {
					a.Items = append(a.Items, it.ID)
					a.Edits = append(a.Edits, edit{File: it.Path, Line: it.Line})
				}
			}
		}
		for _, k := range order {
			acts = append(acts, planned{groups[k], groups[k].Items})
		}
	}
	// The affected accounts' running sessions end with the rotation (never the operator's own).
	if env.Live && env.Operator.User != "" && affected[env.Operator.User] {
		delete(affected, env.Operator.User)
		warns = append(warns, "your own account's ("+env.Operator.User+") other sessions are not ended: end them yourself once you are done")
	}
	if env.Live && len(affected) > 0 {
		if pids := sessionPIDs(affected, env.Operator.Ancestors); len(pids) > 0 {
			acts = append(acts, planned{contain.Signal{PIDs: pids}, nil})
		}
	}
	return acts, ns.Bytes(), os_.Bytes(), warns
}

// sessionPIDs finds the login sessions of the affected accounts on the running system: sshd's
// per-session processes ("sshd: NAME@pts/0", "sshd: NAME [priv]") and, for accounts other than
// root, every process they run; never this program or the operator's own session.
func sessionPIDs(users map[string]bool, ancestors []int) []int {
	uids := map[int64]string{}
	if data, err := os.ReadFile(catalog.Path("passwd")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Split(l, ":")
			if len(f) > 3 && users[f[0]] {
				if n, err := strconv.ParseInt(f[2], 10, 64); err == nil && n != 0 {
					uids[n] = f[0]
				}
			}
		}
	}
	self := os.Getpid()
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 2 || pid == self || slices.Contains(ancestors, pid) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		c := live.Cmdline(cmd)
		hit := false
		for u := range users {
			if strings.HasPrefix(c, "sshd: "+u+"@") || strings.HasPrefix(c, "sshd: "+u+" [") || strings.HasPrefix(c, "sshd-session: "+u+"@") || strings.HasPrefix(c, "sshd-session: "+u+" [") {
				hit = true
			}
		}
		if !hit {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status")); err == nil {
				for _, l := range strings.Split(string(st), "\n") {
					if strings.HasPrefix(l, "Uid:") {
						f := strings.Fields(l)
						if len(f) > 1 {
							if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
								_, hit = uids[n]
							}
						}
					}
				}
			}
		}
		if hit {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}
