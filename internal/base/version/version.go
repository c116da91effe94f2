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
