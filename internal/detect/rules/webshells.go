package rules

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/webshell"
)

// webServerUsers are the accounts web servers and application servers run as.
var webServerUsers = []string{"www-data", "apache", "nginx", "http", "httpd", "wwwrun", "tomcat", "tomcat9", "tomcat10", "lighttpd"}

// webshellVerdict reads back the verdict capture recorded in an indicator's rule
// ("webshell.webshell", "webshell.suspicious", "webshell.known").
func webshellVerdict(ind snapshot.Indicator) webshell.Result {
	return webshell.Result{Verdict: strings.TrimPrefix(ind.Rule, "webshell."), Score: ind.Score}
}

// webshellContext is what the snapshot tells about a file the web-shell scan judged: the package
// that ships it (unchanged or not, or the packaged file it is a copy of), its times and owner
// against the other files of its folder, and the web server's account.
func (s *Index) webshellContext(f snapshot.File) webshell.Context {
	var c webshell.Context
	if owned, changed := s.ownedOK(f.Path); owned {
		if changed {
			c.PackageChanged = true
		} else {
			c.Package = "package " + s.owner[f.Path]
		}
	} else if p := s.copyOfPackaged(f.SHA256); p != "" {
		c.Package = "a copy of the packaged " + p
	}
	if f.Mtime != 0 {
		c.ModTime, c.ChangeTime = time.Unix(f.Mtime, 0), time.Unix(f.Ctime, 0)
		c.Owner, c.HasOwner = f.UID, true
	}
	// the folder's other files: their median change time and their most common owner
	rows, err := s.Cur.DB().Query("SELECT ctime, uid FROM files WHERE type = 'file' AND path LIKE ? AND path != ? LIMIT 500",
		strings.ReplaceAll(path.Dir(f.Path), "%", "\\%")+"/%", f.Path)
	if err == nil {
		var times []int64
		owners := map[uint32]int{}
		for rows.Next() {
			var ct int64
			var uid uint32
			if rows.Scan(&ct, &uid) == nil {
				times = append(times, ct)
				owners[uid]++
			}
		}
		rows.Close()
		if len(times) >= 3 {
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			c.AppChangeTime = time.Unix(times[len(times)/2], 0)
			best := -1
			for uid, n := range owners {
				if n > best || n == best && uid < c.AppOwner {
					c.AppOwner, best = uid, n
				}
			}
		}
	}
	for _, name := range webServerUsers {
		var uid int64
		if s.Cur.DB().QueryRow("SELECT uid FROM users WHERE name = ?", name).Scan(&uid) == nil {
			c.WebUser, c.HasWebUser = uint32(uid), true
			break
		}
	}
	return c
}
