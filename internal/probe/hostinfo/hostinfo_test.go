package hostinfo

import (
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"debian", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
			map[string]string{"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "NAME": "Debian GNU/Linux", "VERSION_ID": "12", "VERSION_CODENAME": "bookworm", "ID": "debian"}},
		{"quoting rules", "# comment\n" +
			"A='single $HOME \"x\"'\n" +
			"B=\"double \\\"q\\\" \\\\ \\$HOME \\` \\n\"\n" +
			"C=bare\\ word\\\"s\n" +
			"D=\"joined\"'parts'bare\n" +
			"E=  spaced value  \n" +
			"F=\"unclosed\n" +
			"G=\n" +
			"export H=exported\n",
			map[string]string{"A": `single $HOME "x"`, "B": "double \"q\" \\ $HOME ` \\n", "C": `bare word"s`, "D": "joinedpartsbare",
				"E": "spaced value", "F": "unclosed", "G": "", "H": "exported"}},
		{"not assignments", "just text\n1KEY=x\nKEY WITH SPACE=y\n=z\nOK=1\r\n", map[string]string{"OK": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseOSRelease([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	in := []string{"6.10.0-1-amd64", "5.10.0-28-amd64", "6.1.0-21-amd64", "6.1.0-9-amd64", "6.1.0-18-cloud-amd64", "6.1.0-18-amd64"}
	sort.Slice(in, func(i, j int) bool { return CompareVersions(in[i], in[j]) < 0 })
	want := []string{"5.10.0-28-amd64", "6.1.0-9-amd64", "6.1.0-18-amd64", "6.1.0-18-cloud-amd64", "6.1.0-21-amd64", "6.10.0-1-amd64"}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("sorted %v\nwant   %v", in, want)
	}
	if CompareVersions("1.0", "1.0") != 0 || CompareVersions("1.0", "1.0.1") >= 0 || CompareVersions("007", "7") != 0 {
		t.Error("basic comparisons")
	}
}

func open(t *testing.T, dir string) *hostfs.FS {
	t.Helper()
	fs, err := hostfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

func TestRead(t *testing.T) {
	debian := Info{Hostname: "web1", MachineID: "0123456789abcdef0123456789abcdef", OSPrettyName: "Debian GNU/Linux 12 (bookworm)", OSID: "debian", OSVersionID: "12"}
	tests := []struct {
		name  string
		build func(r *fixture.Root)
		want  func(i *Info)
	}{
		{"debian fixture", func(r *fixture.Root) {}, func(i *Info) {}},
		{"installed kernels and a zone link", func(r *fixture.Root) {
			r.MkdirAll("/usr/lib/modules/6.1.0-18-amd64", 0o755).MkdirAll("/usr/lib/modules/6.1.0-21-amd64", 0o755)
			r.File("/boot/vmlinuz-5.10.0-28-amd64", "x", 0o644).File("/boot/config-6.9.0", "x", 0o644)
			r.File("/usr/share/zoneinfo/Europe/Berlin", "TZif", 0o644).Symlink("/usr/share/zoneinfo/Europe/Berlin", "/etc/localtime")
		}, func(i *Info) { i.Kernel, i.Timezone = "6.1.0-21-amd64", "Europe/Berlin" }},
		{"live proc and /etc/timezone", func(r *fixture.Root) {
			r.MkdirAll("/usr/lib/modules/6.1.0-21-amd64", 0o755)
			r.File("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n", 0o444)
			r.File("/proc/sys/kernel/random/boot_id", "4c1b0d5e-2f0e-4a8e-9d8e-0f6f1d2c3b4a\n", 0o444)
			r.File("/etc/timezone", "Etc/UTC\n", 0o644)
		}, func(i *Info) {
			i.Kernel, i.BootID, i.Timezone = "6.1.0-18-amd64", "4c1b0d5e-2f0e-4a8e-9d8e-0f6f1d2c3b4a", "Etc/UTC"
		}},
		{"fallbacks", func(r *fixture.Root) {
			r.File("/etc/hostname", "# set by installer\n\n", 0o644)
			r.File("/etc/sysconfig/network", "NETWORKING=yes\nHOSTNAME=db2.example.org\n", 0o644)
			r.Remove("/etc/machine-id").File("/var/lib/dbus/machine-id", "fedcba9876543210fedcba9876543210\n", 0o444)
			r.Remove("/etc/os-release").File("/usr/lib/os-release", "NAME=Fedora\nVERSION=\"40 (Server Edition)\"\nID=fedora\nVERSION_ID=40\n", 0o644)
		}, func(i *Info) {
			i.Hostname, i.MachineID = "db2.example.org", "fedcba9876543210fedcba9876543210"
			i.OSPrettyName, i.OSID, i.OSVersionID = "Fedora 40 (Server Edition)", "fedora", "40"
		}},
		{"hostile values are clipped", func(r *fixture.Root) {
			r.File("/etc/hostname", "evil\x1b[31mred\n", 0o644)
			r.File("/etc/os-release", "PRETTY_NAME="+strings.Repeat("a", 1000)+"\n", 0o644)
		}, func(i *Info) {
			i.Hostname = "evil[31mred"
			i.OSPrettyName = strings.Repeat("a", maxValue)
			i.OSID, i.OSVersionID = "", ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture.Debian(t)
			tt.build(r)
			want := debian
			tt.want(&want)
			if got := Read(open(t, r.Dir)); got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestMeta(t *testing.T) {
	m := Info{Hostname: "web1", MachineID: "m", OSPrettyName: "Debian", OSID: "debian", OSVersionID: "12", Kernel: "6.1", BootID: "b", Timezone: "UTC"}.Meta()
	want := map[string]string{"host.hostname": "web1", "host.machine_id": "m", "host.os": "Debian", "host.os_id": "debian",
		"host.os_version": "12", "host.kernel": "6.1", "host.boot_id": "b", "host.timezone": "UTC"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %v", m)
	}
	if len(Info{}.Meta()) != 8 {
		t.Error("empty info must still give every key")
	}
}

func TestReadThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux")
	}
	i := Read(open(t, "/"))
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	if rel := unix.ByteSliceToString(u.Release[:]); i.Kernel != rel {
		t.Errorf("kernel %q, uname says %q", i.Kernel, rel)
	}
	if len(i.BootID) != 36 || i.Hostname == "" {
		t.Errorf("info %+v", i)
	}
}
