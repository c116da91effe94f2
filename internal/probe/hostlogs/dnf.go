package hostlogs

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/base/sqlitefile"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// dnfHistory is where dnf (libdnf's "swdb") records every transaction.
var dnfHistory = catalog.Path("log.dnf")

// dnfActions names libdnf's TransactionItemAction codes.
var dnfActions = map[int]string{1: "install", 2: "downgrade", 4: "install", 6: "upgrade", 8: "remove", 9: "reinstall"}

// dnf records the package operations of dnf's history (RHEL 8 and later, Fedora), read from a
// private copy of the database. Transactions still in its write-ahead log are not seen.
func (c Collector) dnf(env *probe.Env) {
	f, err := env.FS.Open(dnfHistory)
	if err != nil {
		return // no dnf here
	}
	defer f.Close()
	fd, err := unix.MemfdCreate("nowwhat-dnf", unix.MFD_CLOEXEC)
	if err != nil {
		env.Problem(c, dnfHistory, err)
		return
	}
	mem := os.NewFile(uintptr(fd), "memfd:dnf-history")
	defer mem.Close()
	if _, err := io.Copy(mem, io.LimitReader(f, 1<<30)); err != nil {
		env.Problem(c, dnfHistory, err)
		return
	}
	db, closer, err := sqlitefile.Open(mem)
	if err != nil {
		env.Problem(c, dnfHistory, err)
		return
	}
	defer closer.Close()
	defer db.Close()
	q := `SELECT t.id, t.dt_begin, t.user_id, COALESCE(t.cmdline, ''), ti.action, r.name, r.epoch, r.version, r.release, r.arch
	      FROM trans t JOIN trans_item ti ON ti.trans_id = t.id JOIN rpm r ON r.item_id = ti.item_id ORDER BY t.dt_begin, t.id`
	rows, err := db.Query(q)
	if err != nil {
		env.Problem(c, dnfHistory, fmt.Errorf("not a dnf history database: %w", err))
		return
	}
	defer rows.Close()
	seen := map[int64]bool{}
	n := 0
	for rows.Next() {
		var id, begin, uid, epoch int64
		var action int
		var cmdline, name, version, release, arch string
		if err := rows.Scan(&id, &begin, &uid, &cmdline, &action, &name, &epoch, &version, &release, &arch); err != nil {
			env.Problem(c, dnfHistory, err)
			return
		}
		t := time.Unix(begin, 0).UnixNano()
		user := fmt.Sprint(uid)
		for _, a := range env.Accounts {
			if a.UID == uid {
				user = a.Name
				break
			}
		}
		if !seen[id] {
			seen[id] = true
			env.Sink.Put(snapshot.Event{Time: t, Source: "dnf", Kind: "dnf", User: user, Subject: "dnf " + cmdline, File: dnfHistory, Line: int(id)})
		}
		kind, ok := dnfActions[action]
		if !ok || n >= MaxEvents {
			continue
		}
		n++
		ver := version + "-" + release
		if epoch != 0 {
			ver = fmt.Sprintf("%d:%s", epoch, ver)
		}
		env.Sink.Put(snapshot.Event{Time: t, Source: "dnf", Kind: "package-" + kind, User: user, Target: name,
			Subject: name + "." + arch + " " + ver, File: dnfHistory, Line: int(id)})
	}
	if err := rows.Err(); err != nil {
		env.Problem(c, dnfHistory, err)
	}
}
