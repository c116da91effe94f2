package report

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/casedir"
)

func init() { register(30, "collect", readCollect) }

// readCollect: each collection is an evidence archive with its custody, as the journal recorded
// it (who, when, from where, the archive's SHA-256 and item count); when the archive's
// FILE.sha256 is here too, it is compared with the journal.
func readCollect(b *builder) {
	es := b.noteRuns("collect")
	for _, e := range es {
		if e.Outcome == "failed" || e.Outcome == "refused" {
			b.entryEvent(e, PhaseResponse, "collect failed: "+e.Detail)
			continue
		}
		a := Archive{File: "standard output", SHA256: e.Facts["sha256"], Items: e.Facts["items"], Problems: e.Facts["problems"], Outcome: e.Outcome,
			By: e.Operator, At: e.Time.UTC(), Machine: e.Machine, Target: e.Target, Ref: journalRef(e), Sidecar: "not here", Encrypted: encrypted(e.Args)}
		for _, o := range e.Outputs {
			a.File, a.Size = o.Path, o.Size
			if a.SHA256 == "" {
				a.SHA256 = o.SHA256
			}
		}
		if a.File != "standard output" {
			a.Sidecar = sidecar(b.v.c, a.File, a.SHA256)
		} else {
			a.Sidecar = "streamed to standard output: the receiving side keeps the file; compare its SHA-256 with the one here"
		}
		b.r.Custody.Archives = append(b.r.Custody.Archives, a)
		b.archives++
		what := "evidence archive " + filepath.Base(a.File) + " (" + a.Outcome + ", " + a.Items + " items)"
		b.entryEvent(e, PhaseResponse, "collect: "+what)
		b.entryAction(e, "collect", "collected "+what+", sha256 "+a.SHA256, Ref{})
		b.r.Actions[len(b.r.Actions)-1].Refs = b.r.Actions[len(b.r.Actions)-1].Refs[:1]
	}
	if b.archives == 0 {
		b.missing("collect", "no evidence archive was made: the chain of custody covers only the case folder itself, and nothing kept the host's state before it was changed")
	}
}

// encrypted says whether collect was given a recipient to encrypt to.
func encrypted(args []string) bool {
	for _, a := range args {
		if a == "--recipient" || a == "-r" || a == "--recipients-file" || a == "-R" ||
			strings.HasPrefix(a, "--recipient=") || strings.HasPrefix(a, "--recipients-file=") {
			return true
		}
	}
	return false
}

// sidecar compares FILE.sha256 (beside the archive where it was written, or in the case folder
// under its base name, for a case copied elsewhere) with the digest the journal recorded.
func sidecar(c *casedir.Case, file, want string) string {
	for _, p := range []string{file + ".sha256", filepath.Join(c.Dir, filepath.Base(file)+".sha256")} {
		data, err := readSmall(p, 4096)
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			return p + " is empty"
		}
		if f[0] == want {
			return "matches " + filepath.Base(p)
		}
		return "DIFFERS: " + filepath.Base(p) + " says " + Visible(f[0], 80)
	}
	return "no " + filepath.Base(file) + ".sha256 on this machine to compare with (nowwhat collect verify checks the archive itself)"
}

// readSmall reads a regular file of the case up to max bytes, never through a FIFO or a device.
func readSmall(p string, max int64) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, os.ErrInvalid
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, max)
	n, _ := f.Read(buf)
	return buf[:n], nil
}
