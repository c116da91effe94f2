// Package casedir keeps one incident in one place: a case folder (mode 0700) with a journal of
// every command run against the host (UTC time, operator, arguments, outcome, what it produced)
// and the files those commands wrote. The journal is append-only JSON lines, each written with
// fsync and chained to the one before by its SHA-256, so an edited or deleted entry shows.
package casedir

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// JournalName is the journal's file name inside a case folder.
const JournalName = "journal.jsonl"

// Case is an open case folder.
type Case struct {
	Dir string
}

// Output is a file a command produced.
type Output struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Entry is one line of the journal.
type Entry struct {
	Time     time.Time         `json:"time"`
	Operator string            `json:"operator"`
	UID      int               `json:"uid"`
	Machine  string            `json:"machine"` // where nowwhat ran
	Target   string            `json:"target,omitempty"`
	Command  string            `json:"command"`
	Args     []string          `json:"args"`
	Outcome  string            `json:"outcome"` // ok, failed, refused, note, ...
	Detail   string            `json:"detail,omitempty"`
	Outputs  []Output          `json:"outputs,omitempty"`
	Facts    map[string]string `json:"facts,omitempty"`
	Duration float64           `json:"duration_s,omitempty"`
	Prev     string            `json:"prev"` // SHA-256 of the previous line ("" for the first)
	// Line is the entry's line number in the journal file, set by Entries (never written).
	Line int `json:"-"`
}

// Open opens (creating, mode 0700) the case folder at dir.
func Open(dir string) (*Case, error) {
	if dir == "" {
		return nil, errors.New("no case folder given: use --case DIR or set NOWWHAT_CASE")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("case folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("create case folder %s: %w (choose a folder you can write, ideally on removable or remote storage)", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("case folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("case folder %s is not a folder", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(abs, 0o700); err != nil {
			return nil, fmt.Errorf("case folder %s is readable by others and cannot be made private: %w", dir, err)
		}
	}
	return &Case{Dir: abs}, nil
}

// Path is where a file named rel lives in the case; parent folders are created 0700.
func (c *Case) Path(rel string) (string, error) {
	p := filepath.Join(c.Dir, filepath.Clean("/" + rel)[1:])
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("case folder: %w", err)
	}
	return p, nil
}

// Operator names the person running nowwhat: the sudo user if any, else the login name.
func Operator() (string, int) {
	uid := os.Getuid()
	name := os.Getenv("SUDO_USER")
	if name == "" {
		name = os.Getenv("LOGNAME")
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
			name = u.Username
		} else {
			name = "uid " + strconv.Itoa(uid)
		}
	}
	if os.Getenv("SUDO_USER") != "" {
		name += " (via sudo)"
	}
	return name, uid
}

// Append writes an entry to the journal with fsync, chained to the last entry. Time, operator
// and machine are filled in when empty.
func (c *Case) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Time = e.Time.UTC()
	if e.Operator == "" {
		e.Operator, e.UID = Operator()
	}
	if e.Machine == "" {
		e.Machine, _ = os.Hostname()
	}
	p := filepath.Join(c.Dir, JournalName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open case journal: %w", err)
	}
	defer f.Close()
	prev, err := lastLineHash(f)
	if err != nil {
		return fmt.Errorf("read case journal: %w", err)
	}
	e.Prev = prev
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode journal entry: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write case journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync case journal: %w", err)
	}
	return nil
}

func lastLineHash(f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return "", err
	}
	// Read the tail; journal lines are short, 1 MiB always holds the last one.
	n := st.Size()
	if n > 1<<20 {
		n = 1 << 20
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, st.Size()-n); err != nil && err != io.EOF {
		return "", err
	}
	buf = bytes.TrimRight(buf, "\n")
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), nil
}

// Entries reads the journal; a broken chain is reported as an error naming the line, after
// returning every entry that could be read.
func (c *Case) Entries() ([]Entry, error) {
	f, err := os.Open(filepath.Join(c.Dir, JournalName))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("open case journal: %w", err)
	}
	defer f.Close()
	var out []Entry
	var chainErr error
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	prev := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			if chainErr == nil {
				chainErr = fmt.Errorf("case journal line %d is damaged: %w", n, err)
			}
			continue
		}
		if e.Prev != prev && chainErr == nil {
			chainErr = fmt.Errorf("case journal line %d does not follow line %d: an entry was changed, removed or inserted", n, n-1)
		}
		sum := sha256.Sum256(line)
		prev = hex.EncodeToString(sum[:])
		e.Line = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read case journal: %w", err)
	}
	return out, chainErr
}

// FileOutput describes a produced file with its size and SHA-256.
func FileOutput(path string) Output {
	o := Output{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return o
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		o.SHA256 = hex.EncodeToString(h.Sum(nil))
		o.Size = n
	}
	return o
}

// mountOf finds the mount holding path from a mountinfo text: mount point and file system type.
func mountOf(mountinfo, path string) (point, fstype string) {
	for _, line := range strings.Split(mountinfo, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 10 {
			continue
		}
		mp := unescapeMount(fields[4])
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) {
			continue
		}
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(point) {
			point, fstype = mp, fields[sep+1]
		}
	}
	return point, fstype
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var remoteFS = map[string]bool{"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "fuse.sshfs": true,
	"9p": true, "virtiofs": true, "fuse.rclone": true, "ceph": true, "glusterfs": true}

// Placement warns when the case folder sits where an attacker on the host can reach it: on the
// suspect host's own disk (when the target is this machine, root "/"), or inside the examined
// root (when the target is a mounted image). It returns "" when the placement looks safe.
func Placement(caseDir, targetRoot string) string {
	return PlacementOf("the case folder "+caseDir, caseDir, targetRoot)
}

// PlacementOf is Placement for any evidence a command writes (an archive, a snapshot): what
// names it in the warning, dir is the folder it goes to.
func PlacementOf(what, dir, targetRoot string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if targetRoot != "" && targetRoot != "/" {
		root, _ := filepath.Abs(targetRoot)
		if abs == root || strings.HasPrefix(abs, strings.TrimSuffix(root, "/")+"/") {
			return fmt.Sprintf("%s is inside the examined root %s: keep evidence outside the image (for example in your home folder on this analysis machine)", what, targetRoot)
		}
		return ""
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	point, fstype := mountOf(string(mi), abs)
	if remoteFS[fstype] || hasMountPrefix(point, "/media", "/mnt", "/run/media") && point != "/" {
		return ""
	}
	return fmt.Sprintf("%s is on this server's own disk (%s, mounted at %s): an attacker with root here can read or change it, and writing there can overwrite deleted evidence. "+
		"Better: a USB disk (mounted under /media or /mnt), a network share, or run from your own machine with -o - over ssh", what, fstype, point)
}

func hasMountPrefix(p string, prefixes ...string) bool {
	for _, x := range prefixes {
		if p == x || strings.HasPrefix(p, x+"/") {
			return true
		}
	}
	return false
}
