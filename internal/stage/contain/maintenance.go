package contain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/nowwhat/nowwhat/internal/probe/live"
)

// ListeningPorts finds the TCP addresses a running service listens on: the listening sockets
// held by the processes of its control group. Addresses come back as --listen takes them
// (":80" for every address, "192.0.2.1:8080" for one).
func ListeningPorts(service string) ([]string, error) {
	unit := unitName(service)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	inodes := map[uint64]bool{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil || !strings.Contains(string(cg), "/"+unit+"\n") && !strings.Contains(string(cg), "/"+unit+"/") {
			continue
		}
		for n := range socketInodes(pid) {
			inodes[n] = true
		}
	}
	set := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		eachTCP(table, func(e live.NetEntry) bool {
			if e.State != 10 || !inodes[e.Inode] {
				return true
			}
			a := e.Local.Unmap()
			if a.IsUnspecified() {
				set[":"+strconv.Itoa(e.LocalPort)] = true
			} else {
				set[netip.AddrPortFrom(a, uint16(e.LocalPort)).String()] = true
			}
			return true
		})
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// Maintenance serves the maintenance page in place of a stopped service, as a transient systemd
// unit running this binary (nowwhat maintenance), so it outlives the operator's session.
type Maintenance struct {
	Service string
	Ports   []string // --listen addresses
}

// MaintenanceUndo names the transient unit.
type MaintenanceUndo struct {
	Unit string `json:"unit"`
}

func init() { undoers["maintenance"] = undoMaintenance }

func (m Maintenance) Kind() string   { return "maintenance" }
func (m Maintenance) Target() string { return m.unit() }

func (m Maintenance) unit() string {
	return "nowwhat-maintenance-" + strings.TrimSuffix(unitName(m.Service), ".service") + ".service"
}

// tlsPort reports ports that carry TLS: a plain page there would only give browsers an error.
func tlsPort(addr string) bool {
	return strings.HasSuffix(addr, ":443") || strings.HasSuffix(addr, ":8443")
}

func (m Maintenance) args() ([]string, []string) {
	exe, _ := os.Executable()
	args := []string{exe, "maintenance"}
	var skipped []string
	for _, p := range m.Ports {
		if tlsPort(p) {
			skipped = append(skipped, p)
			continue
		}
		args = append(args, "--listen", p)
	}
	return args, skipped
}

func (m Maintenance) Prepare(env *Env) (*Plan, error) {
	if !env.Live {
		return nil, errors.New("the maintenance page runs on this host: not with --root")
	}
	if err := NeedRoot("serving on the service's ports"); err != nil {
		return nil, err
	}
	args, skipped := m.args()
	p := &Plan{Undo: MaintenanceUndo{Unit: m.unit()}, UndoHow: "stop " + m.unit()}
	if len(args) == 2 {
		p.Noop = "no plain HTTP port to serve on"
	} else {
		p.What = append(p.What, fmt.Sprintf("start %s: %s", m.unit(), strings.Join(args[1:], " ")))
	}
	for _, s := range skipped {
		p.Warn = append(p.Warn, s+" carries TLS: serve it with the site's certificate, nowwhat maintenance --tls-listen "+s+" --tls-cert FULLCHAIN --tls-key KEY")
	}
	return p, nil
}

func (m Maintenance) Apply(env *Env, p *Plan) error {
	args, _ := m.args()
	bus, err := systemdConn()
	if err != nil {
		return err
	}
	defer bus.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ch := make(chan string, 1)
	props := []sddbus.Property{sddbus.PropDescription("nowwhat maintenance page in place of " + unitName(m.Service)), sddbus.PropExecStart(args, false)}
	if _, err := bus.StartTransientUnitContext(ctx, m.unit(), "replace", props, ch); err != nil {
		return fmt.Errorf("start %s: %w", m.unit(), err)
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("start %s: %s", m.unit(), res)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func undoMaintenance(env *Env, raw json.RawMessage) error {
	var u MaintenanceUndo
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	bus, err := systemdConn()
	if err != nil {
		return err
	}
	defer bus.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := stopUnit(ctx, bus, u.Unit); err != nil && !strings.Contains(err.Error(), "not loaded") {
		return err
	}
	return nil
}
