// Package version tells which nowwhat this is: the release set at build time with
// -ldflags "-X github.com/nowwhat/nowwhat/internal/version.Version=v1.2.3", else what the Go
// build recorded (module version or VCS revision), and the digest of the running binary.
package version

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// Version is set at build time; "dev" otherwise.
var Version = "dev"

// String is the version to show and record.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return Version
}

// Build is what the Go toolchain recorded in the binary about how it was built.
type Build struct {
	Module    string // the module's version: a release tag, a pseudo-version, or "(devel)"
	Revision  string // VCS commit ("" when the build recorded none)
	Time      string // the commit's time
	Modified  bool   // the tree had uncommitted changes when it was built
	GoVersion string
	Platform  string // GOOS/GOARCH
	CGO       string // CGO_ENABLED
	Trimpath  bool
}

// BuildInfo reads the build information of the running binary.
func BuildInfo() Build {
	var b Build
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.GoVersion = bi.Main.Version, bi.GoVersion
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		case "CGO_ENABLED":
			b.CGO = s.Value
		case "-trimpath":
			b.Trimpath = s.Value == "true"
		}
	}
	if goos != "" {
		b.Platform = goos + "/" + goarch
	}
	return b
}

var (
	digestOnce sync.Once
	digest     string
)

// Digest is the SHA-256 of the running executable, so a journal or chain-of-custody record says
// exactly which binary produced it.
func Digest() string {
	digestOnce.Do(func() {
		f, err := os.Open("/proc/self/exe")
		if err != nil {
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err == nil {
			digest = hex.EncodeToString(h.Sum(nil))
		}
	})
	return digest
}
