package authlog

import (
	"fmt"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/source/logfile"
)

// LogFile is one authentication log on the host, current or rotated (Family is the host path of
// its current file: "/var/log/auth.log").
type LogFile = logfile.File

// LogDir is where Files looks.
var LogDir = catalog.Dir("logs")

var families = [...]string{"auth.log", "secure"}

// Files lists the authentication logs under /var/log, oldest first: for each family
// (auth.log, then secure) the dated rotations by date, then the numbered ones from the highest
// number down, then the current file. Entries that cannot be read are listed all the same (a
// log replaced by a link to /dev/null is a finding): reading them reports why.
func Files(fs *hostfs.FS) []LogFile {
	files, _ := ListFiles(fs)
	return files
}

// ListFiles is Files that also tells why /var/log could not be listed (a host without
// /var/log gives no files and no error).
func ListFiles(fs *hostfs.FS) ([]LogFile, error) {
	files, err := logfile.Families(fs, LogDir, families[:]...)
	if err != nil {
		return nil, fmt.Errorf("list authentication logs: %w", err)
	}
	return files, nil
}

// FamilyFiles lists other syslog files the same way (for example "kern.log", "syslog",
// "messages"), oldest first.
func FamilyFiles(fs *hostfs.FS, fams ...string) []LogFile {
	files, _ := logfile.Families(fs, LogDir, fams...)
	return files
}
