package clean

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/stage/contain"
)

// QuarantineDir is the case folder's quarantine: what clean took off the host, each file with
// its metadata, 0600 and never executable.
const QuarantineDir = "quarantine"

// maxQuarantine caps one quarantined file (a larger one is refused: collect it, then remove it
// by hand).
const maxQuarantine = 1 << 30

// Item is one entry taken off the host: where it was, what it was, and where its bytes are kept.
type Item struct {
	Path   string            `json:"path"` // host path
	Type   string            `json:"type"` // file, dir, symlink
	Mode   uint32            `json:"mode"` // permission bits with setuid, setgid, sticky
	UID    uint32            `json:"uid"`
	GID    uint32            `json:"gid"`
	Size   int64             `json:"size"`
	Atime  time.Time         `json:"atime"`
	Mtime  time.Time         `json:"mtime"`
	Link   string            `json:"link,omitempty"`
	SHA256 string            `json:"sha256,omitempty"`
	Xattrs map[string]string `json:"xattrs,omitempty"` // name -> base64 value (file capabilities among them)
	Kept   string            `json:"kept,omitempty"`   // the quarantined copy, relative to the case folder
}

// Parent is a folder whose times a removal changes (put back by undo).
type Parent struct {
	Path  string    `json:"path"`
	Atime time.Time `json:"atime"`
	Mtime time.Time `json:"mtime"`
}

// QuarantineUndo is what undoing a quarantine needs.
type QuarantineUndo struct {
	Case    string   `json:"case"` // the case folder holding the copies
	Dir     string   `json:"dir"`  // the quarantine folder of this action, relative to the case
	Items   []Item   `json:"items"`
	Parents []Parent `json:"parents"`
}

// Quarantine moves files, links and whole folders off the host into the case's quarantine.
type Quarantine struct {
	Paths  []string // host paths; a folder goes with everything below it
	Case   string   // the case folder
	Reason string   // for the journal's target
}

const kindQuarantine = "clean-quarantine"

func init() { contain.RegisterUndo(kindQuarantine, undoQuarantine) }

func (q Quarantine) Kind() string   { return kindQuarantine }
func (q Quarantine) Target() string { return strings.Join(q.Paths, " ") }

func token() string {
	var b [4]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Prepare lists every entry that would be taken, with its digest and metadata.
func (q Quarantine) Prepare(env *contain.Env) (*contain.Plan, error) {
	if q.Case == "" {
		return nil, errors.New("quarantine needs a case folder (--case DIR): what is removed is kept there")
	}
	u := QuarantineUndo{Case: q.Case, Dir: path.Join(QuarantineDir, token())}
	p := &contain.Plan{}
	seenParent := map[string]bool{}
	for _, hp := range q.Paths {
		hp = hostfs.Clean(hp)
		if hp == "/" {
			return nil, fmt.Errorf("refusing to quarantine /")
		}
		st, err := env.FS.Lstat(hp)
		if hostfs.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", hp, err)
		}
		if err := collectItems(env, hp, st, &u.Items, 0); err != nil {
			return nil, err
		}
		par := path.Dir(hp)
		if !seenParent[par] {
			seenParent[par] = true
			if pst, err := env.FS.Lstat(par); err == nil {
				u.Parents = append(u.Parents, Parent{Path: par, Atime: pst.Atime, Mtime: pst.Mtime})
			}
		}
		what := "move " + hp + " into the case's quarantine"
		switch st.Type() {
		case "dir":
			n := 0
			for _, it := range u.Items {
				if strings.HasPrefix(it.Path, hp+"/") {
					n++
				}
			}
			what += fmt.Sprintf(" (a folder with %d entries)", n)
		case "symlink":
			l, _ := env.FS.Readlink(hp)
			what += " (a link to " + l + ")"
		case "file":
			for _, it := range u.Items {
				if it.Path == hp {
					what += fmt.Sprintf(" (%d bytes, sha256 %s)", it.Size, it.SHA256)
				}
			}
		}
		p.What = append(p.What, what)
	}
	for i := range u.Items {
		if u.Items[i].Type == "file" {
			u.Items[i].Kept = path.Join(u.Dir, fmt.Sprintf("%04d.bin", i))
		}
	}
	if len(u.Items) == 0 {
		p.Noop = "already gone: " + strings.Join(q.Paths, ", ")
	}
	p.Undo = u
	p.UndoHow = "each entry is put back byte for byte from the quarantine, with its owner, mode, capabilities and times"
	return p, nil
}

// collectItems records an entry (and, for a folder, what is below it) in walk order: parents
// before children.
func collectItems(env *contain.Env, hp string, st hostfs.Stat, items *[]Item, depth int) error {
	if depth > 32 || len(*items) > 100000 {
		return fmt.Errorf("%s: too deep or too many entries to quarantine", hp)
	}
	it := Item{Path: hp, Type: st.Type(), Mode: uint32(st.Raw & 0o7777), UID: st.UID, GID: st.GID, Size: st.Size, Atime: st.Atime, Mtime: st.Mtime}
	switch it.Type {
	case "file":
		if st.Size > maxQuarantine {
			return fmt.Errorf("%s is %d bytes: too large to quarantine (collect it, then move it off the host by hand)", hp, st.Size)
		}
		f, err := env.FS.Open(hp)
		if err != nil {
			return fmt.Errorf("%s: %w", hp, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, io.LimitReader(f, maxQuarantine))
		it.Xattrs = readXattrs(int(f.Fd()))
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", hp, err)
		}
		it.SHA256 = hex.EncodeToString(h.Sum(nil))
		*items = append(*items, it)
	case "symlink":
		l, err := env.FS.Readlink(hp)
		if err != nil {
			return fmt.Errorf("%s: %w", hp, err)
		}
		it.Link = l
		*items = append(*items, it)
	case "dir":
		*items = append(*items, it)
		names := env.FS.ReadDirNames(hp)
		sort.Strings(names)
		for _, n := range names {
			cp := path.Join(hp, n)
			cst, err := env.FS.Lstat(cp)
			if err != nil {
				return fmt.Errorf("%s: %w", cp, err)
			}
			if err := collectItems(env, cp, cst, items, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s is a %s: not quarantined (only files, links and folders are)", hp, it.Type)
	}
	return nil
}

// readXattrs reads a file's extended attributes (security.capability and the like).
func readXattrs(fd int) map[string]string {
	buf := make([]byte, 4096)
	n, err := unix.Flistxattr(fd, buf)
	if err != nil || n <= 0 {
		return nil
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		v := make([]byte, 64<<10)
		m, err := unix.Fgetxattr(fd, name, v)
		if err == nil {
			out[name] = base64.StdEncoding.EncodeToString(v[:m])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Apply copies every file into the quarantine (synced, with a metadata file each), then removes
// the entries from the host, children first. A failure puts back what was removed.
func (q Quarantine) Apply(env *contain.Env, p *contain.Plan) error {
	u := p.Undo.(QuarantineUndo)
	if err := keepCopies(env, &u); err != nil {
		return err
	}
	sudo, policyBefore := false, 0
	for _, hp := range q.Paths {
		sudo = sudo || isSudoers(hp)
	}
	if sudo {
		policyBefore = hostSudoProblems(env)
	}
	var removed []Item
	for i := len(u.Items) - 1; i >= 0; i-- {
		it := u.Items[i]
		if err := env.W.Remove(rel(it.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			putBack(env, q.Case, removed)
			return fmt.Errorf("remove %s: %w (what was removed is back)", it.Path, err)
		}
		removed = append([]Item{it}, removed...)
	}
	syncDirs(env, u.Parents)
	if sudo {
		if after := hostSudoProblems(env); after > policyBefore {
			putBack(env, q.Case, u.Items)
			restoreParents(env, u.Parents)
			return fmt.Errorf("without %s the sudoers policy has %d problems (%d before; an include names it?): it is back, sudo keeps working; fix the include with visudo first", strings.Join(q.Paths, ", "), after, policyBefore)
		}
	}
	return nil
}

// keepCopies writes each file's bytes and its metadata into the case's quarantine, checking
// the digest again (the file must not have changed since the plan).
func keepCopies(env *contain.Env, u *QuarantineUndo) error {
	dir := filepath.Join(u.Case, u.Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	for i := range u.Items {
		it := &u.Items[i]
		name := fmt.Sprintf("%04d", i)
		if it.Type == "file" {
			if err := copyOut(env, it, filepath.Join(u.Case, it.Kept)); err != nil {
				return err
			}
		}
		meta, _ := json.MarshalIndent(it, "", "  ")
		if err := writeSynced(filepath.Join(dir, name+".json"), meta); err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func copyOut(env *contain.Env, it *Item, dst string) error {
	f, err := env.FS.Open(it.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", it.Path, err)
	}
	defer f.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), io.LimitReader(f, maxQuarantine))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("quarantine %s: %w", it.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != it.SHA256 {
		os.Remove(dst)
		return fmt.Errorf("%s changed since the plan (sha256 %s, planned %s): plan again", it.Path, got, it.SHA256)
	}
	return nil
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDirs(env *contain.Env, ps []Parent) {
	for _, p := range ps {
		if d, err := env.W.Open(rel(p.Path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
}

// rel turns a host path into a path relative to the root, for os.Root.
func rel(p string) string {
	r := strings.TrimPrefix(hostfs.Clean(p), "/")
	if r == "" {
		return "."
	}
	return r
}

func undoQuarantine(env *contain.Env, raw json.RawMessage) error {
	var u QuarantineUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	if err := putBack(env, u.Case, u.Items); err != nil {
		return err
	}
	restoreParents(env, u.Parents)
	return nil
}

// putBack recreates entries from the quarantine, parents first, then sets folders' times
// (children change them). An entry already present with the same content is left as it is (an
// interrupted apply may not have removed it).
func putBack(env *contain.Env, caseDir string, items []Item) error {
	var errs []error
	for _, it := range items {
		if err := putItem(env, caseDir, it); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].Type == "dir" {
			setTimes(env, items[i].Path, items[i].Atime, items[i].Mtime)
		}
	}
	return errors.Join(errs...)
}

func putItem(env *contain.Env, caseDir string, it Item) error {
	r := rel(it.Path)
	if st, err := env.FS.Lstat(it.Path); err == nil {
		switch {
		case it.Type == "dir" && st.Type() == "dir":
			return setMeta(env, it)
		case it.Type == "symlink" && st.Type() == "symlink":
			if l, _ := env.FS.Readlink(it.Path); l == it.Link {
				return nil
			}
			return fmt.Errorf("%s exists and is another link: not replaced", it.Path)
		case it.Type == "file" && st.Type() == "file":
			if sum, err := hashHost(env, it.Path); err == nil && sum == it.SHA256 {
				return setMeta(env, it) // never removed (an interrupted apply)
			}
			return fmt.Errorf("%s exists with other content: not replaced (move it aside, then undo again)", it.Path)
		default:
			return fmt.Errorf("%s exists as a %s: not replaced", it.Path, st.Type())
		}
	}
	switch it.Type {
	case "dir":
		if err := env.W.Mkdir(r, 0o700); err != nil {
			return fmt.Errorf("put back %s: %w", it.Path, err)
		}
		return setMeta(env, it)
	case "symlink":
		if err := env.W.Symlink(it.Link, r); err != nil {
			return fmt.Errorf("put back %s: %w", it.Path, err)
		}
		env.W.Lchown(r, int(it.UID), int(it.GID))
		setTimes(env, it.Path, it.Atime, it.Mtime)
		return nil
	case "file":
		data, err := os.ReadFile(filepath.Join(caseDir, it.Kept))
		if err != nil {
			return fmt.Errorf("put back %s: the quarantined copy: %w", it.Path, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != it.SHA256 {
			return fmt.Errorf("put back %s: the quarantined copy %s does not match its digest (it was changed): not put back", it.Path, it.Kept)
		}
		return writeFile(env, it, data)
	}
	return nil
}

// writeFile writes a file atomically with its owner, mode, extended attributes and times.
func writeFile(env *contain.Env, it Item, data []byte) error {
	r := rel(it.Path)
	tmp := path.Join(path.Dir(r), ".nowwhat-"+path.Base(r)+".tmp")
	env.W.Remove(tmp)
	f, err := env.W.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", it.Path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		if cerr := f.Chown(int(it.UID), int(it.GID)); cerr != nil && os.Geteuid() == 0 {
			err = cerr
		}
	}
	if err == nil {
		err = f.Chmod(fileMode(it.Mode))
	}
	if err == nil {
		for name, v := range it.Xattrs {
			b, derr := base64.StdEncoding.DecodeString(v)
			if derr != nil {
				continue
			}
			if xerr := unix.Fsetxattr(int(f.Fd()), name, b, 0); xerr != nil && os.Geteuid() == 0 {
				err = fmt.Errorf("extended attribute %s: %w", name, xerr)
				break
			}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = env.W.Chtimes(tmp, it.Atime, it.Mtime)
	}
	if err == nil {
		err = env.W.Rename(tmp, r)
	}
	if err != nil {
		env.W.Remove(tmp)
		return fmt.Errorf("write %s: %w", it.Path, err)
	}
	if d, err := env.W.Open(path.Dir(r)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// fileMode turns permission bits with setuid, setgid and sticky into an os.FileMode.
func fileMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

func setMeta(env *contain.Env, it Item) error {
	r := rel(it.Path)
	if err := env.W.Chown(r, int(it.UID), int(it.GID)); err != nil && os.Geteuid() == 0 {
		return fmt.Errorf("put back %s: %w", it.Path, err)
	}
	if err := env.W.Chmod(r, fileMode(it.Mode)); err != nil {
		return fmt.Errorf("put back %s: %w", it.Path, err)
	}
	setTimes(env, it.Path, it.Atime, it.Mtime)
	return nil
}

// setTimes sets an entry's access and modification times without following a link.
func setTimes(env *contain.Env, hp string, atime, mtime time.Time) {
	if atime.IsZero() && mtime.IsZero() {
		return
	}
	d, err := env.W.Open(rel(path.Dir(hostfs.Clean(hp))))
	if err != nil {
		return
	}
	defer d.Close()
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	unix.UtimesNanoAt(int(d.Fd()), path.Base(hp), ts, unix.AT_SYMLINK_NOFOLLOW)
}

func restoreParents(env *contain.Env, ps []Parent) {
	for _, p := range ps {
		setTimes(env, p.Path, p.Atime, p.Mtime)
	}
}

// hashHost is the SHA-256 of a host file.
func hashHost(env *contain.Env, hp string) (string, error) {
	f, err := env.FS.Open(hp)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxQuarantine)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
