package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Kind of scenario.
const (
	Attack = "attack"
	Benign = "benign"
)

// Categories of the rule list (benign scenarios have their own).
const (
	CatPackage     = "package integrity"
	CatPersistence = "persistence"
	CatAccounts    = "accounts"
	CatPrivilege   = "privilege"
	CatImplants    = "implants"
	CatTampering   = "tampering"
	CatBenign      = "benign"
)

// Verdicts of nowwhat check, and their exit statuses.
const (
	VerdictClean       = "clean"
	VerdictSuspicious  = "suspicious"
	VerdictCompromised = "compromised"
	VerdictIncomplete  = "incomplete"
)

// verdictRank orders the verdicts that say something about the host; incomplete and unknown
// ones rank below clean (they catch nothing).
func verdictRank(v string) int {
	switch v {
	case VerdictClean:
		return 0
	case VerdictSuspicious:
		return 1
	case VerdictCompromised:
		return 2
	}
	return -1
}

// verdictExit is the exit status the contract gives each verdict.
var verdictExit = map[string]int{VerdictClean: 0, VerdictSuspicious: 1, VerdictCompromised: 2, VerdictIncomplete: 3}

// Scenario is one thing done to a clean root: an attack technique or ordinary admin work.
type Scenario struct {
	Name        string
	Category    string
	Kind        string
	Techniques  []string // MITRE ATT&CK ids the attack mirrors (benign: the one it could be mistaken for)
	Description string
	// Needs lists what Apply requires beyond a root folder: "real-root" (a debootstrapped root:
	// dpkg and the root's own programs run in it with chroot), "deb:NAME" (a downloaded .deb),
	// "useradd" (the host's useradd/chpasswd, as root), "note" (nowwhat note).
	Needs  []string
	Apply  func(e *Env) error
	Expect Expect
	// Changes are what must be on disk after Apply (checked by the tests, and by the runner
	// before it asks nowwhat).
	Changes []Want
}

// Expect is what nowwhat check should say.
type Expect struct {
	// Verdict: for an attack, the least verdict that counts as caught (suspicious, or
	// compromised for strong implants); for benign work the ideal verdict (never compromised
	// is the hard rule).
	Verdict string
	// A finding that is not explained must name one of these: a host path (a trailing "/" means
	// anything under it; /bin, /sbin and /lib are taken as their /usr twins), a user (on a
	// finding about the account files, or one without a path), or a text in its evidence or
	// title.
	Paths    []string
	Users    []string
	Evidence []string
}

// Env is what Apply gets.
type Env struct {
	Ctx   context.Context
	Root  Root
	Bin   string            // nowwhat binary (for note)
	Case  string            // a case folder for this scenario
	Debs  map[string]string // package name -> .deb file on this machine
	Clock func() time.Time

	// Set by Apply:
	CheckArgs []string // extra arguments for both checks (e.g. --case)
	Notes     []string // remarks for the report ("same version reinstalled")
}

func (e *Env) now() time.Time {
	if e.Clock != nil {
		return e.Clock()
	}
	return time.Now()
}

func (e *Env) note(format string, args ...any) {
	e.Notes = append(e.Notes, fmt.Sprintf(format, args...))
}

// errSkip says a scenario cannot run here (a missing tool or .deb); the runner reports it.
var errSkip = errors.New("skipped")

func skipf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errSkip, fmt.Sprintf(format, args...))
}

// Want is one change a scenario must have left on disk.
type Want struct {
	Path     string
	Contains string      // the file holds this text
	Mode     os.FileMode // these permission bits (0o4000 for setuid) are set
	Link     string      // a symbolic link to this target
	Empty    bool        // an empty regular file
	Xattr    string      // this extended attribute is present
	Owner    string      // owned by this user (name in the root's passwd)
	Absent   bool        // nothing is there
	Before   time.Time   // modification time before this
}

// verify checks the wants on a root and returns every failure.
func verify(r Root, wants []Want) error {
	var errs []error
	for _, w := range wants {
		if err := verifyOne(r, w); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.Path, err))
		}
	}
	return errors.Join(errs...)
}

func verifyOne(r Root, w Want) error {
	fi, err := r.Lstat(w.Path)
	if w.Absent {
		if err == nil {
			return errors.New("still there")
		}
		return nil
	}
	if err != nil {
		return err
	}
	if w.Link != "" {
		if fi.Mode()&os.ModeSymlink == 0 {
			return errors.New("not a symbolic link")
		}
		rp, _ := r.RealNoFollow(w.Path)
		t, err := os.Readlink(rp)
		if err != nil {
			return err
		}
		if t != w.Link {
			return fmt.Errorf("links to %q, not %q", t, w.Link)
		}
	}
	if w.Contains != "" {
		data, err := r.ReadFile(w.Path)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte(w.Contains)) {
			return fmt.Errorf("does not contain %q", w.Contains)
		}
	}
	if w.Empty && (!fi.Mode().IsRegular() || fi.Size() != 0) {
		return fmt.Errorf("not an empty file (%v, %d bytes)", fi.Mode(), fi.Size())
	}
	if w.Mode != 0 {
		rp, _ := r.Real(w.Path)
		var st unix.Stat_t
		if err := unix.Stat(rp, &st); err != nil {
			return err
		}
		if uint32(w.Mode)&st.Mode != uint32(w.Mode) {
			return fmt.Errorf("mode %o lacks %o", st.Mode&0o7777, uint32(w.Mode))
		}
	}
	if w.Xattr != "" {
		rp, _ := r.Real(w.Path)
		if _, err := unix.Getxattr(rp, w.Xattr, nil); err != nil {
			return fmt.Errorf("no %s attribute: %w", w.Xattr, err)
		}
	}
	if w.Owner != "" {
		uid, err := r.UID(w.Owner)
		if err != nil {
			return err
		}
		rp, _ := r.RealNoFollow(w.Path)
		var st unix.Stat_t
		if err := unix.Lstat(rp, &st); err != nil {
			return err
		}
		if int(st.Uid) != uid {
			return fmt.Errorf("owned by uid %d, not %s (%d)", st.Uid, w.Owner, uid)
		}
	}
	if !w.Before.IsZero() && !fi.ModTime().Before(w.Before) {
		return fmt.Errorf("modified %s, not before %s", fi.ModTime().UTC(), w.Before.UTC())
	}
	return nil
}

// usrMerged maps /bin, /sbin, /lib* to their /usr twins (Debian 12 is merged-/usr: dpkg may
// record either form).
func usrMerged(p string) string {
	p = path.Clean(p)
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "/usr" + p
		}
	}
	return p
}

// pathMatches says whether a finding's path meets a wanted path (trailing "/": anything under).
func pathMatches(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	g := usrMerged(got)
	if strings.HasSuffix(want, "/") {
		w := usrMerged(strings.TrimSuffix(want, "/"))
		return g == w || strings.HasPrefix(g, w+"/")
	}
	return g == usrMerged(want)
}

// allScenarios is the suite, attacks first.
func allScenarios() []*Scenario {
	all := attackScenarios()
	var attacks, benign []*Scenario
	for _, s := range sessionScenarios() {
		if s.Kind == Attack {
			attacks = append(attacks, s)
		} else {
			benign = append(benign, s)
		}
	}
	all = append(all, attacks...)
	all = append(all, benignScenarios()...)
	return append(all, benign...)
}
