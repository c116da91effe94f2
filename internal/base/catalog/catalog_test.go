package catalog

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var attackID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// TestEntries checks what every location must say: a known kind, ATT&CK ids that look like
// ids, an undo where clean works, a secret where rotate works, a known area, a record name
// where a probe reads it, and a path that is absolute, home-relative or any-depth.
func TestEntries(t *testing.T) {
	kinds := []Kind{Persistence, Credential, Log, Config, Program, Library, Kernel, Temp, Web, Home, PackageDB}
	for _, l := range All() {
		if !slices.Contains(kinds, l.Kind) {
			t.Errorf("%s: unknown kind %q", l.ID, l.Kind)
		}
		if l.What == "" {
			t.Errorf("%s: says nothing of what lives there", l.ID)
		}
		for _, a := range l.Attack {
			if !attackID.MatchString(a) {
				t.Errorf("%s: %q is not an ATT&CK technique id", l.ID, a)
			}
		}
		if l.Has(Clean) && (l.Undo == nil || l.Undo.Unit == "" || l.Undo.How == "") {
			t.Errorf("%s: clean works there, but how a removal is undone is not said", l.ID)
		}
		if l.Has(Rotate) && (l.Secret == "" || l.Kind != Credential) {
			t.Errorf("%s: rotate works there, but it is not a credential with its secret said", l.ID)
		}
		if l.Has(Record) != (l.Record != "") {
			t.Errorf("%s: Record use and record name %q disagree", l.ID, l.Record)
		}
		if l.Area != "" {
			if _, ok := areaIndex(l.Area); !ok {
				t.Errorf("%s: unknown area %q", l.ID, l.Area)
			}
		}
		if !strings.HasPrefix(l.Path, "/") && !l.InHomes() && !l.Anywhere() {
			t.Errorf("%s: path %q is neither absolute, home-relative nor any-depth", l.ID, l.Path)
		}
		if l.Has(Keep) && l.Kind == Credential && l.Has(Rotate) {
			t.Errorf("%s: a secret's text would be kept in the snapshot", l.ID)
		}
		for _, seg := range strings.Split(l.Path, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				t.Errorf("%s: bad pattern %q", l.ID, l.Path)
			}
		}
	}
}

func areaIndex(name string) (int, bool) {
	for i, a := range Areas {
		if a.Name == name {
			return i, true
		}
	}
	return 0, false
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		id, p string
		want  bool
	}{
		{"cron.d", "/etc/cron.d/backup", true},
		{"cron.d", "/etc/cron.d", true},
		{"cron.d", "/etc/cron.daily/logrotate", false},
		{"cron.crontab", "/etc/crontab", true},
		{"cron.crontab", "/etc/crontab.bak", false},
		{"cron.all", "/etc/crontab", true},
		{"cron.all", "/etc/cron.daily/logrotate", true},
		{"cron.all", "/etc/cups/x", false},
		{"rc.links", "/etc/rc2.d/S01ssh", true},
		{"rc.links", "/etc/rc.d/S01ssh", false},
		{"ssh.authorized-keys", "/root/.ssh/authorized_keys", true},
		{"ssh.authorized-keys", "/home/bob/.ssh/authorized_keys", true},
		{"ssh.authorized-keys", "/var/lib/postgresql/.ssh/authorized_keys", true},
		{"ssh.authorized-keys", "/tmp/.ssh/authorized_keys", false},
		{"ssh.authorized-keys", "/home/bob/x/.ssh/authorized_keys", false},
		{"ssh.authorized-keys.any", "/etc/ssh/keys/authorized_keys.bob", true},
		{"ssh.host-keys", "/etc/ssh/ssh_host_ed25519_key", true},
		{"ssh.host-keys", "/etc/ssh/ssh_host_ed25519_key.pub", false},
		{"systemd.user.home", "/home/bob/.config/systemd/user/evil.service", true},
		{"systemd.user.home", "/home/bob/.config/systemd/evil.service", false},
		{"systemd.home.config", "/opt/app/.config/systemd/user/x.service", true},
		{"app.wordpress", "/var/www/html/wp-config.php", true},
		{"app.drupal", "/var/www/d/sites/default/settings.php", true},
		{"tomcat", "/var/lib/tomcat9/webapps/ROOT/x.jsp", true},
	} {
		if got := Get(c.id).Covers(c.p); got != c.want {
			t.Errorf("%s covers %s: %v, want %v", c.id, c.p, got, c.want)
		}
	}
}

// TestSetAgreesWithCovers checks the quick set against trying each location in turn.
func TestSetAgreesWithCovers(t *testing.T) {
	paths := []string{"/etc/crontab", "/etc/cron.d/x", "/home/bob/.bashrc", "/home/bob/sub/.bashrc", "/root/.profile",
		"/var/www/html/.bashrc", "/var/lib/pg/.zshrc", "/etc/skel/.bashrc", "/tmp/x", "/tmp", "/dev/shm/.x/y",
		"/etc/rc3.d/S01x", "/etc/ld.so.preload", "/etc/ld.so.conf.d/x.conf", "/opt/x/.config/autostart/a.desktop",
		"/home/bob/.local/share/fish/fish_history", "/srv/ftp/.ssh/rc", "/usr/lib/x86_64-linux-gnu/security/pam_x.so",
		"/etc/ssh/ssh_host_rsa_key", "/var/www/app/.env", "/var/log/nginx/access.log"}
	for _, u := range []Use{Keep, Inspect, Runs, Backdate, System, Exec, Collect, Clean, Rotate, Unowned} {
		set := Where(u)
		for _, p := range paths {
			want := false
			for _, l := range With(u) {
				if l.Covers(p) {
					want = true
				}
			}
			if got := set.Covers(p); got != want {
				t.Errorf("use %b, %s: set says %v, locations say %v", u, p, got, want)
			}
		}
	}
}

func TestIsHome(t *testing.T) {
	for dir, want := range map[string]bool{
		"/root": true, "/home/bob": true, "/home": false, "/home/bob/sub": false, "/var/lib/postgresql": true,
		"/var/www": true, "/srv/ftp": true, "/etc": false, "/": false, "/tmp": false,
	} {
		if got := IsHome(dir); got != want {
			t.Errorf("IsHome(%s) = %v, want %v", dir, got, want)
		}
	}
}

func TestAreaOf(t *testing.T) {
	for p, want := range map[string]string{
		"/boot/vmlinuz": "boot and kernel", "/etc/modules": "boot and kernel", "/etc/ld.so.cache": "loader and PAM",
		"/etc/passwd-": "accounts and access", "/etc/sudoers.d/x": "accounts and access", "/usr/sbin/sshd": "system programs",
		"/etc/cron.allow": "services and schedules", "/etc/rc3.d/S01x": "services and schedules", "/etc/profile.d/x.sh": "shell start-up",
		"/usr/lib/x86_64-linux-gnu/libc.so.6": "libraries", "/usr/lib/systemd/system/x.service": "services and schedules",
		"/dev/shm/x": "temporary and shared memory", "/srv/x": "web content", "/etc/hostname": "configuration",
		"/home/bob/.ssh/authorized_keys": "homes", "/opt/app/.ssh/authorized_keys": "accounts and access",
		"/var/lib/dpkg/status": "package database", "/var/log/syslog": "logs", "/opt/app/x": "other files",
	} {
		if got := AreaOf(p).Name; got != want {
			t.Errorf("AreaOf(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestUndoAt(t *testing.T) {
	for p, want := range map[string]Unit{
		"/etc/cron.d/backup":                       UnitLine,
		"/etc/cron.daily/evil":                     UnitFile,
		"/etc/systemd/system/evil.service":         UnitUnit,
		"/home/bob/.config/systemd/user/x.service": UnitUnit,
		"/root/.ssh/authorized_keys":               UnitLine,
		"/etc/pam.d/sshd":                          UnitLine,
		"/etc/sudoers.d/90-evil":                   UnitFile,
		"/etc/ld.so.preload":                       UnitLine,
		"/home/bob/.bashrc":                        UnitLine,
		"/etc/update-motd.d/99-x":                  UnitFile,
		"/etc/apt/apt.conf.d/99x":                  UnitFile,
		"/etc/udev/rules.d/99-x.rules":             UnitFile,
		"/etc/modules-load.d/x.conf":               UnitLine,
		"/lib/modules/6.1.0/extra/rk.ko":           UnitModule,
		"/var/www/html/shell.php":                  UnitFile,
	} {
		l, u, ok := UndoAt(p)
		if !ok || u.Unit != want {
			id := ""
			if l != nil {
				id = l.ID
			}
			t.Errorf("UndoAt(%s) = %q (%s, %v), want %q", p, u.Unit, id, ok, want)
		}
	}
	if _, _, ok := UndoAt("/etc/hostname"); ok {
		t.Error("clean has no business in /etc/hostname")
	}
}

func TestRecordedOrder(t *testing.T) {
	got := RecordedDirs("services:systemd", false)
	want := []string{"/etc/systemd/system.control", "/etc/systemd/system", "/etc/systemd/system.attached",
		"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}
	if !slices.Equal(got, want) {
		t.Errorf("system unit folders on a dead host: %v, want %v", got, want)
	}
	if live := RecordedDirs("services:systemd", true); len(live) <= len(want) || live[1] != "/run/systemd/system.control" {
		t.Errorf("system unit folders on a live host: %v", live)
	}
	if got := Recorded("hooks"); len(got) < 10 {
		t.Errorf("a table name selects all its kinds: %d", len(got))
	}
}

func TestLooksSecret(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/shadow": true, "/etc/gshadow-": true, "/etc/ssl/private/x.pem": true, "/root/.ssh/id_ed25519": true,
		"/root/.ssh/id_ed25519.pub": false, "/etc/ssh/ssh_host_rsa_key": true, "/etc/passwd": false, "/etc/krb5.keytab": true,
	} {
		if got := LooksSecret(p); got != want {
			t.Errorf("LooksSecret(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestGetUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Get of an unknown id did not panic")
		}
	}()
	Get("no.such.place")
}
