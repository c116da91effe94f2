package live

import (
	"strings"
	"testing"
)

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (systemd) S 0 1 1 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 42 10000000 100 18446744073709551615 0 0\n"))
	f.Add([]byte("4242 (evil) (x) y) R 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0"))
	f.Add([]byte("7 () Z 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 99999999999999999999"))
	f.Add([]byte("Name:\tsshd\nTgid:\t812\nPid:\t812\nPPid:\t1\nUid:\t0\t0\t0\t0\nbtime 1700000000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStat(data)
		if err == nil {
			if st.PID <= 0 || st.PPID < 0 || st.State == "" || strings.ContainsAny(st.State, " \t\n") {
				t.Fatalf("stat %+v", st)
			}
			_ = startTime(1700000000, st.StartTicks)
		}
		s := ParseStatus(data)
		if s.Tgid < -1 || s.PPID < -1 || s.UID < -1 {
			t.Fatalf("status %+v", s)
		}
		if b := ParseBootTime(data); b < 0 {
			t.Fatalf("btime %d", b)
		}
		_ = Cmdline(data)
	})
}

func FuzzParseNetLine(f *testing.F) {
	f.Add("   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   116        0 29512 1 0000000000000000 100 0 0 10 0")
	f.Add("   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000500000A:D431 01 00000000:00000000 00:00000000 00000000  33 0 3003 1")
	f.Add("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")
	f.Add("  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1005 2 0000000000000000 0")
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseNetLine(line)
		if err != nil {
			return
		}
		if !e.Local.IsValid() || !e.Remote.IsValid() || e.Local.Is4() != e.Remote.Is4() {
			t.Fatalf("addresses %+v", e)
		}
		if e.LocalPort < 0 || e.LocalPort > 65535 || e.RemotePort < 0 || e.RemotePort > 65535 || e.UID < 0 || e.State < 0 || e.State > 255 {
			t.Fatalf("entry %+v", e)
		}
		if StateName("tcp", e.State) == "" || StateName("udp", e.State) == "" {
			t.Fatal("empty state name")
		}
	})
}

func FuzzParseUnixLine(f *testing.F) {
	f.Add("ffff8880062b1c00: 00000002 00000000 00010000 0001 01 21340 /run/systemd/private")
	f.Add("0000000000000000: 00000003 00000000 00000000 0001 03 21342")
	f.Add("0000000000000000: 00000002 00000000 00000000 0002 01 21343 /run/a b\tc")
	f.Add("0000000000000000: 00000002 00000000 00010000 0005 01 21344 @/tmp/.X11-unix/X0")
	f.Add("Num       RefCount Protocol Flags    Type St Inode Path")
	f.Fuzz(func(t *testing.T, line string) {
		u, err := ParseUnixLine(line)
		if err != nil {
			return
		}
		if len(u.Path) > len(line) || !strings.HasSuffix(line, u.Path) {
			t.Fatalf("path %q from %q", u.Path, line)
		}
		_ = u.Listening()
	})
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue")
	f.Add(`40 29 8:1 / /mnt/my\040disk\134x ro,relatime - vfat /dev/sdb\0401 ro`)
	f.Add("29 1 0:26 / /tmp rw,nosuid,nodev,noexec shared:2 - tmpfs tmpfs rw,size=4096k,mode=1777")
	f.Add("41 29 0:50 / /proc rw - proc")
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ParseMountinfo(line)
		if err != nil {
			return
		}
		if !strings.HasPrefix(m.Target, "/") || m.FSType == "" {
			t.Fatalf("mount %+v", m)
		}
		if len(m.Target) > len(line) || len(m.Source) > len(line) {
			t.Fatalf("unescaping grew a field: %+v", m)
		}
		opts := m.AllOptions()
		if strings.Contains(opts, ",,") || strings.HasPrefix(opts, ",") {
			t.Fatalf("options %q", opts)
		}
	})
}
