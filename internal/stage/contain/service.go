package contain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// unitDirs are where systemd looks for system units, most local first.
var unitDirs = catalog.Dirs("systemd.etc", "systemd.run", "systemd.local", "systemd.lib", "systemd.usr")

// maskDir is where a mask goes: a link to /dev/null, as systemctl mask makes it.
var maskDir = catalog.Dir("systemd.etc")

// vital units are never stopped: the host, or every administrator's way in, would go with them.
var vital = map[string]string{
	"ssh.service": "every remote administrator, you included, logs in through it", "sshd.service": "every remote administrator, you included, logs in through it",
	"ssh.socket": "every remote administrator, you included, logs in through it", "sshd.socket": "every remote administrator, you included, logs in through it",
	"dbus.service": "the system's message bus: systemd and logins need it", "systemd-journald.service": "it records the logs you need as evidence",
	"systemd-logind.service": "logins need it", "init.scope": "it is the system itself",
}

// Service stops a service and masks its units (and its socket, which would start it again).
type Service struct {
	Name string
}

// ServiceUndo is what undoing a service containment needs.
type ServiceUndo struct {
	Units   []UnitState `json:"units"`
	MadeDir string      `json:"made_dir,omitempty"` // the first folder above the mask that did not exist (a bare root)
}

// UnitState is a unit as it was before masking.
type UnitState struct {
	Unit   string `json:"unit"`
	Active bool   `json:"active"` // running before (live host)
	// The file at /etc/systemd/system/UNIT before the mask: none, a link, or a file kept here.
	Prior  string    `json:"prior"` // none, link, file
	Link   string    `json:"link,omitempty"`
	Data   []byte    `json:"data,omitempty"`
	Mode   uint32    `json:"mode,omitempty"`
	UID    int       `json:"uid,omitempty"`
	GID    int       `json:"gid,omitempty"`
	Mtime  time.Time `json:"mtime,omitempty"`
	Masked bool      `json:"masked"` // already masked before: left as it was
}

func init() { undoers["service"] = undoService }

func (s Service) Kind() string   { return "service" }
func (s Service) Target() string { return unitName(s.Name) }

// unitName adds ".service" to a bare name.
func unitName(n string) string {
	for _, suf := range []string{".service", ".socket", ".timer", ".path", ".mount", ".target", ".scope", ".slice"} {
		if strings.HasSuffix(n, suf) {
			return n
		}
	}
	return n + ".service"
}

// findUnit returns the unit file that defines a unit, if any.
func findUnit(env *Env, unit string) (string, bool) {
	for _, d := range unitDirs {
		p := d + "/" + unit
		if _, err := env.FS.Lstat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

func validUnit(u string) bool {
	if u == "" || len(u) > 255 || strings.ContainsAny(u, "/\x00") || strings.HasPrefix(u, ".") {
		return false
	}
	return true
}

func (s Service) Prepare(env *Env) (*Plan, error) {
	unit := unitName(s.Name)
	if !validUnit(unit) {
		return nil, fmt.Errorf("%q is not a unit name", s.Name)
	}
	if why, ok := vital[unit]; ok {
		return nil, refuse("%s is not stopped: %s", unit, why)
	}
	if _, ok := findUnit(env, unit); !ok {
		return nil, fmt.Errorf("no unit %s under %s (look for the service's name with: ls /etc/systemd/system /lib/systemd/system)", unit, env.Root)
	}
	units := []string{unit}
	if strings.HasSuffix(unit, ".service") {
		sock := strings.TrimSuffix(unit, ".service") + ".socket"
		if _, ok := findUnit(env, sock); ok {
			units = append(units, sock) // socket activation would start the service again
		}
	}
	var bus *sddbus.Conn
	if env.Live {
		if err := NeedRoot("stopping a service"); err != nil {
			return nil, err
		}
		c, err := systemdConn()
		if err != nil {
			return nil, err
		}
		bus = c
		defer bus.Close()
	}
	p := &Plan{}
	undo := ServiceUndo{}
	for d := maskDir; d != "/"; d = path.Dir(d) {
		if _, err := env.FS.Lstat(d); hostfs.IsNotExist(err) {
			undo.MadeDir = d
		}
	}
	for _, u := range units {
		st := UnitState{Unit: u, Prior: "none"}
		mp := maskDir + "/" + u
		if lst, err := env.FS.Lstat(mp); err == nil {
			switch {
			case lst.IsSymlink():
				target, _ := env.FS.Readlink(mp)
				st.Prior, st.Link = "link", target
				st.Masked = target == "/dev/null"
			case lst.IsRegular():
				data, err := env.FS.ReadFile(mp, 1<<20)
				if err != nil {
					return nil, fmt.Errorf("keep a copy of %s before masking: %w", mp, err)
				}
				st.Prior, st.Data, st.Mode, st.UID, st.GID, st.Mtime = "file", data, lst.Perm(), int(lst.UID), int(lst.GID), lst.Mtime
			default:
				return nil, fmt.Errorf("%s is a %s: not touched", mp, lst.Type())
			}
		} else if !hostfs.IsNotExist(err) {
			return nil, err
		}
		if bus != nil {
			prop, err := bus.GetUnitPropertyContext(context.Background(), u, "ActiveState")
			if err != nil {
				// Without it undo would not know to start the service again.
				return nil, fmt.Errorf("ask systemd whether %s runs: %w", u, err)
			}
			v := strings.Trim(prop.Value.String(), `"`)
			st.Active = v == "active" || v == "activating" || v == "reloading"
		}
		if st.Active {
			p.What = append(p.What, "stop "+u+" (it is running)")
		}
		if !st.Masked {
			what := fmt.Sprintf("mask %s: %s -> /dev/null, so nothing starts it again", u, mp)
			if st.Prior == "file" {
				what += " (the unit file there is kept in the journal and put back by undo)"
			}
			p.What = append(p.What, what)
		}
		undo.Units = append(undo.Units, st)
	}
	p.Undo = undo
	p.UndoHow = "unmask " + strings.Join(units, " and ") + ", put back what was there, and start what was running"
	if len(p.What) == 0 {
		p.Noop = unit + " is already stopped and masked"
	}
	if !env.Live {
		p.Warn = append(p.Warn, "not the running system ("+env.Root+"): the units are masked on disk; nothing is stopped")
	}
	return p, nil
}

func (s Service) Apply(env *Env, p *Plan) error {
	undo := p.Undo.(ServiceUndo)
	if env.Live {
		bus, err := systemdConn()
		if err != nil {
			return err
		}
		defer bus.Close()
		var masks []string
		for _, u := range undo.Units {
			if !u.Masked {
				masks = append(masks, u.Unit)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if len(masks) > 0 {
			if _, err := bus.MaskUnitFilesContext(ctx, masks, false, true); err != nil {
				// The call may have failed after systemd masked them (a lost answer): put
				// back what was there, over a fresh connection.
				if c, cerr := systemdConn(); cerr == nil {
					undoServiceLive(env, c, undo)
					c.Close()
				}
				return fmt.Errorf("mask %s: %w", strings.Join(masks, " "), err)
			}
			if err := bus.ReloadContext(ctx); err != nil {
				undoServiceLive(env, bus, undo)
				return fmt.Errorf("reload systemd: %w", err)
			}
		}
		// Stop the socket first, then the service.
		for i := len(undo.Units) - 1; i >= 0; i-- {
			u := undo.Units[i]
			if !u.Active {
				continue
			}
			if err := stopUnit(ctx, bus, u.Unit); err != nil {
				undoServiceLive(env, bus, undo)
				return err
			}
		}
		return nil
	}
	for i, u := range undo.Units {
		if u.Masked {
			continue
		}
		if err := maskOnDisk(env, u); err != nil {
			for _, done := range undo.Units[:i] {
				restoreOnDisk(env, done)
			}
			return err
		}
	}
	return nil
}

func stopUnit(ctx context.Context, bus *sddbus.Conn, unit string) error {
	ch := make(chan string, 1)
	if _, err := bus.StopUnitContext(ctx, unit, "replace", ch); err != nil {
		return fmt.Errorf("stop %s: %w", unit, err)
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("stop %s: %s", unit, res)
		}
	case <-ctx.Done():
		return fmt.Errorf("stop %s: %w", unit, ctx.Err())
	}
	return nil
}

// maskOnDisk replaces /etc/systemd/system/UNIT with a link to /dev/null.
func maskOnDisk(env *Env, u UnitState) error {
	mp := rel(maskDir + "/" + u.Unit)
	if err := env.W.MkdirAll(rel(maskDir), 0o755); err != nil {
		return fmt.Errorf("mask %s: %w", u.Unit, err)
	}
	if u.Prior != "none" {
		if err := env.W.Remove(mp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mask %s: %w", u.Unit, err)
		}
	}
	if err := env.W.Symlink("/dev/null", mp); err != nil {
		restoreOnDisk(env, u)
		return fmt.Errorf("mask %s: %w", u.Unit, err)
	}
	return nil
}

// restoreOnDisk puts back what was at /etc/systemd/system/UNIT before the mask, exactly.
func restoreOnDisk(env *Env, u UnitState) error {
	if u.Masked {
		return nil // masked before we came: left as it was
	}
	mp := rel(maskDir + "/" + u.Unit)
	if lst, err := env.FS.Lstat("/" + mp); err == nil {
		if !lst.IsSymlink() {
			return fmt.Errorf("%s is no longer the mask (a %s): left alone", "/"+mp, lst.Type())
		}
		if target, _ := env.FS.Readlink("/" + mp); target != "/dev/null" {
			return fmt.Errorf("%s now links to %s, not the mask: left alone", "/"+mp, target)
		}
		if err := env.W.Remove(mp); err != nil {
			return err
		}
	}
	switch u.Prior {
	case "link":
		return env.W.Symlink(u.Link, mp)
	case "file":
		return writeExact(env, "/"+mp, u.Data, os.FileMode(u.Mode), u.UID, u.GID, u.Mtime)
	}
	return nil
}

func undoService(env *Env, raw json.RawMessage) error {
	var undo ServiceUndo
	if err := json.Unmarshal(raw, &undo); err != nil {
		return err
	}
	if env.Live {
		bus, err := systemdConn()
		if err != nil {
			return err
		}
		defer bus.Close()
		return undoServiceLive(env, bus, undo)
	}
	var errs []error
	for _, u := range undo.Units {
		if err := restoreOnDisk(env, u); err != nil {
			errs = append(errs, err)
		}
	}
	if undo.MadeDir != "" && len(errs) == 0 {
		// Remove the folders the mask needed, only while empty: what they hold now is someone else's.
		for d := maskDir; len(d) >= len(undo.MadeDir); d = path.Dir(d) {
			if env.W.Remove(rel(d)) != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func undoServiceLive(env *Env, bus *sddbus.Conn, undo ServiceUndo) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	var unmask []string
	for _, u := range undo.Units {
		if !u.Masked {
			unmask = append(unmask, u.Unit)
		}
	}
	if len(unmask) > 0 {
		if _, err := bus.UnmaskUnitFilesContext(ctx, unmask, false); err != nil {
			errs = append(errs, fmt.Errorf("unmask: %w", err))
		}
	}
	for _, u := range undo.Units {
		if u.Prior == "file" || u.Prior == "link" {
			if err := restoreOnDisk(env, u); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := bus.ReloadContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("reload systemd: %w", err))
	}
	// The socket first (it was stopped last), then the service: a socket-activated service
	// started without its socket fails for want of the listening socket it is handed.
	for i := len(undo.Units) - 1; i >= 0; i-- {
		u := undo.Units[i]
		if !u.Active {
			continue
		}
		ch := make(chan string, 1)
		if _, err := bus.StartUnitContext(ctx, u.Unit, "replace", ch); err != nil {
			errs = append(errs, fmt.Errorf("start %s: %w", u.Unit, err))
			continue
		}
		select {
		case res := <-ch:
			if res != "done" {
				errs = append(errs, fmt.Errorf("start %s: %s (see journalctl -u %s)", u.Unit, res, u.Unit))
			}
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("start %s: %w", u.Unit, ctx.Err()))
		}
	}
	return errors.Join(errs...)
}

// systemdConn talks to systemd over D-Bus: the system bus, or systemd's private socket when
// there is no bus daemon. The host's systemctl is never run.
//
// The context given to go-systemd (and through it to godbus) lives as long as the connection:
// godbus closes a connection when its context ends, so a context cancelled once connected
// would close the connection under every later call ("use of closed network connection").
// Only a connection attempt that takes too long is cancelled.
func systemdConn() (*sddbus.Conn, error) {
	c, err := dialSystemd(sddbus.NewSystemConnectionContext)
	if err == nil {
		return c, nil
	}
	if c, err2 := dialSystemd(sddbus.NewSystemdConnectionContext); err2 == nil {
		return c, nil
	}
	return nil, fmt.Errorf("talk to systemd over D-Bus: %w (is this a systemd host? on a mounted disk give --root)", err)
}

func dialSystemd(dial func(context.Context) (*sddbus.Conn, error)) (*sddbus.Conn, error) {
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(10*time.Second, cancel)
	c, err := dial(ctx)
	if !timer.Stop() {
		if c != nil {
			c.Close()
		}
		return nil, errors.New("no answer in 10 s")
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return c, nil // ctx lives as long as c; c.Close ends it
}

// writeExact writes a file under the root with the given content, mode, owner and time,
// atomically (a temporary file renamed into place).
func writeExact(env *Env, hostPath string, data []byte, mode os.FileMode, uid, gid int, mtime time.Time) error {
	r := rel(hostPath)
	tmp := path.Join(path.Dir(r), ".nowwhat-"+path.Base(r)+".tmp")
	env.W.Remove(tmp)
	f, err := env.W.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", hostPath, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if cerr := env.W.Chown(tmp, uid, gid); cerr != nil && os.Geteuid() == 0 {
			err = cerr
		}
	}
	if err == nil {
		err = env.W.Chmod(tmp, mode)
	}
	if err == nil && !mtime.IsZero() {
		err = env.W.Chtimes(tmp, mtime, mtime)
	}
	if err == nil {
		err = env.W.Rename(tmp, r)
	}
	if err != nil {
		env.W.Remove(tmp)
		return fmt.Errorf("write %s: %w", hostPath, err)
	}
	if d, err := env.W.Open(path.Dir(r)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
