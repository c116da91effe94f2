package rotate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/detect/secrets"
)

// Verify takes a fresh inventory and proves, item by item, that the old credentials are dead:
// a changed fingerprint; an expired password; host keys sshd no longer offers; removed keys a
// real sshd refuses; old database passwords the server refuses (tried, with the operator's
// identity to open the sealed old passwords).
func Verify(ctx context.Context, opt Options, ids []age.Identity) (*Result, error) {
	if opt.Case == nil {
		return nil, ErrNoCase
	}
	res, _, err := Inventory(ctx, opt)
	if err != nil {
		return nil, err
	}
	res.Command = "verify"
	ledger, err := opt.Case.Ledger()
	if err != nil {
		return nil, err
	}
	addr := opt.SSHAddr
	fsys, err := hostfs.Open(opt.Root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	if addr == "" && fsys.IsLive() {
		addr = "127.0.0.1:22"
	}
	var offered []string
	var offerErr error
	if addr != "" {
		offered, offerErr = HostKeys(addr)
	}
	old := oldDBPasswords(opt.Case, ids)
	shadow, _ := fsys.ReadFile(catalog.Path("shadow"), 64<<20)

	for i := range res.Items {
		it := &res.Items[i]
		le := ledger[it.ID]
		switch it.Kind {
		case secrets.KindPassword:
			if it.State == StateApplied || it.State == StatePending {
				if lastChange(shadow, it.Owner) == "0" {
					it.State = StateRotated
					it.Evidence = append(it.Evidence, "/etc/shadow: the password of "+it.Owner+" is expired; the old one only opens the prompt for a new one")
				}
			}
		case secrets.KindHostKey:
			if le.PublicKey == "" || it.State == StateWaived {
				break
			}
			switch {
			case addr == "":
				it.Evidence = append(it.Evidence, "sshd not asked (not the live host: give --ssh HOST:PORT)")
			case offerErr != nil:
				it.Evidence = append(it.Evidence, "could not ask sshd: "+offerErr.Error())
				if it.State == StateRotated {
					it.State = StateUnproven
				}
			case offersFP(offered, le.PublicKey):
				it.State = StateFailed
				it.Evidence = append(it.Evidence, "sshd at "+addr+" still offers the old host key "+le.PublicKey+" (reload or restart sshd)")
			default:
				it.Evidence = append(it.Evidence, "sshd at "+addr+" no longer offers the old host key "+le.PublicKey+"; it offers "+strings.Join(offered, ", "))
			}
		case secrets.KindAuthorized:
			if it.State != StateGone || le.KeyLine == "" {
				break
			}
			pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(le.KeyLine))
			if err != nil {
				// options before the key
				if j := strings.Index(le.KeyLine, " ssh-"); j >= 0 {
					pub, _, _, _, err = ssh.ParseAuthorizedKey([]byte(le.KeyLine[j+1:]))
				}
			}
			switch {
			case err != nil:
				it.Evidence = append(it.Evidence, "the removed key's line could not be read back to ask sshd")
			case addr == "":
				it.Evidence = append(it.Evidence, "sshd not asked (not the live host: give --ssh HOST:PORT)")
			default:
				ok, err := SSHAccepts(addr, it.Owner, pub)
				switch {
				case err != nil:
					it.State = StateUnproven
					it.Evidence = append(it.Evidence, "could not ask sshd: "+err.Error())
				case ok:
					it.State = StateFailed
					it.Evidence = append(it.Evidence, "sshd at "+addr+" STILL accepts the removed key "+le.PublicKey+" for "+it.Owner+" (another file or an AuthorizedKeysCommand lets it in)")
				default:
					it.Evidence = append(it.Evidence, "sshd at "+addr+" refuses the removed key "+le.PublicKey+" for "+it.Owner)
				}
			}
		case secrets.KindDB:
			if it.DB == nil || it.State == StateWaived {
				break
			}
			o, ok := old[it.First]
			if !ok {
				if it.State == StateRotated && len(ids) == 0 {
					it.Evidence = append(it.Evidence, "old password not tried: give --identity FILE (your age identity) to try it against the server")
				}
				break
			}
			dead, ev := proveDead(ctx, o.t, o.password, "")
			it.Evidence = append(it.Evidence, ev...)
			if dead && it.State != StateFailed {
				it.State = StateRotated
			} else if !dead {
				it.State = StateUnproven
				if strings.Contains(strings.Join(ev, " "), "OLD password still logs in") {
					it.State = StateFailed
				}
			}
		}
		if it.State == StateApplied {
			it.State = StateUnproven
			it.Evidence = append(it.Evidence, "applied, but nothing shows the old one dead yet")
		}
	}
	res.count()
	return res, nil
}

func offersFP(offered []string, fp string) bool {
	return slices.ContainsFunc(offered, func(s string) bool { return strings.HasSuffix(s, " "+fp) })
}

func lastChange(shadow []byte, user string) string {
	for _, l := range strings.Split(string(shadow), "\n") {
		if f := strings.Split(l, ":"); len(f) > 2 && f[0] == user {
			return f[2]
		}
	}
	return ""
}

type oldDB struct {
	t        dbTarget
	password string
}

// oldDBPasswords opens the sealed old database passwords with the operator's identities.
func oldDBPasswords(c *Case, ids []age.Identity) map[string]oldDB {
	out := map[string]oldDB{}
	if len(ids) == 0 {
		return out
	}
	for _, p := range c.sealed("old-secrets-*.age") {
		data, err := c.open(p, ids)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.SplitN(l, "\t", 8)
			if len(f) != 8 {
				continue
			}
			t := dbTarget{Engine: f[1], User: f[2], Net: f[3], Addr: f[4], Port: f[5], Database: f[6]}
			out[f[0]] = oldDB{t: t, password: f[7]}
		}
	}
	return out
}

// Status is the rotation's state from the case alone: the latest result, with the waivers
// given since.
func Status(c *Case) (*Result, error) {
	var res Result
	if _, err := c.c.LatestResult(resultStep, &res); err != nil {
		return nil, fmt.Errorf("no rotation in this case yet: run nowwhat rotate first (%w)", err)
	}
	ws, err := c.Waivers()
	if err != nil {
		return nil, err
	}
	for i := range res.Items {
		it := &res.Items[i]
		if w, ok := ws[it.ID]; ok && !Done(it.State) {
			it.State, it.Waiver = StateWaived, w.Reason+" ("+w.Operator+", "+w.Time+")"
		}
	}
	res.count()
	return &res, nil
}

// Pending lists the credentials of a case that are neither proven rotated, kept, gone nor
// waived: the gate (nowwhat verify) refuses the return to service while any is left. An error
// means the rotation's state is unknown (no rotation run in this case): the gate must treat
// that as not done.
func Pending(caseDir string) ([]Item, error) {
	c, err := OpenCase(caseDir)
	if err != nil {
		return nil, err
	}
	res, err := Status(c)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, it := range res.Items {
		if !Done(it.State) {
			out = append(out, it)
		}
	}
	return out, nil
}
