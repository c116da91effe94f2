package capture

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
)

// module is nowwhat's module path, as a source checkout's go.mod declares it.
const module = "github.com/nowwhat/nowwhat"

// recordSelf notes, on a live host, what is nowwhat's own there: its process, its program and
// the source checkout it was built in, so that check does not report nowwhat to its user.
func recordSelf(fsys *hostfs.FS, w *snapshot.Writer) {
	w.SetMeta("self.pid", strconv.Itoa(os.Getpid()))
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil || strings.HasSuffix(exe, " (deleted)") {
		return
	}
	w.SetMeta("self.exe", exe)
	if src := sourceTree(fsys, exe); src != "" {
		w.SetMeta("self.source", src)
	}
}

// sourceTree finds the nowwhat checkout this program was built in, when it is on this host: the
// folder of the source files the compiler recorded (a build without -trimpath), or the
// program's own folder or the one above it (go build -o nowwhat ./cmd/nowwhat in the checkout).
// A folder counts only if its go.mod declares nowwhat's module.
func sourceTree(fsys *hostfs.FS, exe string) string {
	var cands []string
	if _, file, _, ok := runtime.Caller(0); ok && path.IsAbs(file) {
		if d, ok := strings.CutSuffix(file, "/internal/probe/capture/self.go"); ok {
			cands = append(cands, d)
		}
	}
	cands = append(cands, path.Dir(exe), path.Dir(path.Dir(exe)))
	for _, d := range cands {
		if d == "/" || d == "." {
			continue
		}
		data, err := fsys.ReadFile(d+"/go.mod", 64<<10)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == module {
				return d
			}
		}
	}
	return ""
}
