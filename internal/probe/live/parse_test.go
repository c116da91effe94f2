package live

import (
	"encoding/binary"
	"testing"
)

func littleEndian(t testing.TB) {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	if b[0] != 1 {
		t.Skip("fixture /proc/net lines are written for little-endian machines")
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		in   string
		want Stat
		ok   bool
	}{
		{"1 (systemd) S 0 1 1 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 42 10000000 100 18446744073709551615 0 0\n",
			Stat{PID: 1, Comm: "systemd", State: "S", PPID: 0, Flags: 4194560, StartTicks: 42}, true},
		{"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0 18446744073709551615 0 0\n",
			Stat{PID: 2, Comm: "kthreadd", State: "S", PPID: 0, Flags: 2129984, StartTicks: 7}, true},
		{"1 (a) S 0 1 1 0 -1 notanumber 0 0 0 0 0 0 0 0 0 0 0 0 5", Stat{}, false},
		{"4242 (evil) (x) y) R 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0",
			Stat{PID: 4242, Comm: "evil) (x) y", State: "R", PPID: 1, StartTicks: 987654}, true},
		{"7 () Z 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5", Stat{PID: 7, State: "Z", PPID: 1, StartTicks: 5}, true},
		{"1 (short) S 0 1", Stat{}, false},
		{"x (a) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 5", Stat{}, false},
		{"1 (a) S -4 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 5", Stat{}, false},
		{"1 a) S 0", Stat{}, false},
		{"", Stat{}, false},
	}
	for _, tt := range tests {
		got, err := ParseStat([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want Status
	}{
		{"Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nNgid:\t0\nPid:\t812\nPPid:\t1\nUid:\t0\t0\t0\t0\n",
			Status{Name: "sshd", Tgid: 812, PPID: 1, UID: 0}},
		{"Name:\tworker\nTgid:\t900\nPid:\t905\nPPid:\t1\nUid:\t1000\t0\t1000\t1000\n", Status{Name: "worker", Tgid: 900, PPID: 1, UID: 1000}},
		{"garbage\nUid:\n", Status{Tgid: -1, PPID: -1, UID: -1}},
	}
	for _, tt := range tests {
		if got := ParseStatus([]byte(tt.in)); got != tt.want {
			t.Errorf("ParseStatus(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := ParseBootTime([]byte("cpu 1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n")); got != 1700000000 {
		t.Errorf("btime %d", got)
	}
	if got := ParseBootTime([]byte("cpu 1\n")); got != 0 {
		t.Errorf("btime %d", got)
	}
	if got := startTime(1700000000, 250); got != 1700000002500000000 {
		t.Errorf("start %d", got)
	}
	if got := startTime(0, 250); got != 0 {
		t.Errorf("start without btime %d", got)
	}
	if got := Cmdline([]byte("/usr/sbin/sshd\x00-D\x00-o\x00a b\x00\x00")); got != "/usr/sbin/sshd -D -o a b" {
		t.Errorf("cmdline %q", got)
	}
	if p, del := ExeTarget("/tmp/.x (deleted)"); p != "/tmp/.x" || !del {
		t.Errorf("exe %q %v", p, del)
	}
	if p, del := ExeTarget("/usr/bin/bash"); p != "/usr/bin/bash" || del {
		t.Errorf("exe %q %v", p, del)
	}
	for link, want := range map[string]uint64{"socket:[12345]": 12345, "pipe:[5]": 0, "socket:[x]": 0, "socket:[1": 0, "/dev/null": 0} {
		if got, _ := SocketInode(link); got != want {
			t.Errorf("SocketInode(%q) = %d, want %d", link, got, want)
		}
	}
}

func TestParseNetLine(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		line             string
		local, remote    string
		lport, rport, st int
		uid              int64
		inode            uint64
		ok               bool
	}{
		{"   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   116        0 29512 1 0000000000000000 100 0 0 10 0",
			"127.0.0.1", "0.0.0.0", 3306, 0, 10, 116, 29512, true},
		{"   1: 0500000A:0016 097100CB:C802 01 00000000:00000000 02:000AD7F0 00000000     0        0 40001 4 0000000000000000 20 4 31 10 -1",
			"10.0.0.5", "203.0.113.9", 22, 51202, 1, 0, 40001, true},
		{"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0",
			"::", "::", 22, 0, 10, 0, 2001, true},
		{"   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000500000A:D431 01 00000000:00000000 00:00000000 00000000  33 0 3003 1",
			"::ffff:127.0.0.1", "::ffff:10.0.0.5", 8080, 54321, 1, 33, 3003, true},
		{"   2: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 7 1",
			"2001:db8::1", "::", 443, 0, 10, 0, 7, true},
		{"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", "", "", 0, 0, 0, 0, 0, false},
		{"   0: 0100007F:0CEA 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 7 1", "", "", 0, 0, 0, 0, 0, false},
		{"   0: 0100007G:0CEA 00000000:0000 0A 0:0 0:0 0 0 0 7 1", "", "", 0, 0, 0, 0, 0, false},
		{"   0: 0100007F:0CEA 00000000:0000 0A 0:0 0:0 0 -5 0 7 1", "", "", 0, 0, 0, 0, 0, false},
	}
	for _, tt := range tests {
		e, err := ParseNetLine(tt.line)
		if (err == nil) != tt.ok {
			t.Errorf("ParseNetLine(%q): err %v, want ok=%v", tt.line, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if e.Local.String() != tt.local || e.Remote.String() != tt.remote || e.LocalPort != tt.lport || e.RemotePort != tt.rport ||
			e.State != tt.st || e.UID != tt.uid || e.Inode != tt.inode {
			t.Errorf("ParseNetLine(%q) = %+v (%s, %s)", tt.line, e, e.Local, e.Remote)
		}
	}
}

func TestStateName(t *testing.T) {
	tests := []struct {
		proto string
		st    int
		want  string
	}{
		{"tcp", 10, "LISTEN"}, {"tcp6", 1, "ESTABLISHED"}, {"tcp", 6, "TIME_WAIT"}, {"tcp", 7, "CLOSE"},
		{"udp", 7, "UNCONN"}, {"udp6", 1, "ESTABLISHED"}, {"raw", 7, "UNCONN"}, {"tcp", 99, "UNKNOWN(99)"},
	}
	for _, tt := range tests {
		if got := StateName(tt.proto, tt.st); got != tt.want {
			t.Errorf("StateName(%s, %d) = %q, want %q", tt.proto, tt.st, got, tt.want)
		}
	}
}

func TestParseUnixLine(t *testing.T) {
	tests := []struct {
		line   string
		want   UnixEntry
		listen bool
		ok     bool
	}{
		{"ffff8880062b1c00: 00000002 00000000 00010000 0001 01 21340 /run/systemd/private",
			UnixEntry{Flags: 0x10000, Type: 1, State: 1, Inode: 21340, Path: "/run/systemd/private"}, true, true},
		{"ffff8880062b1c00: 00000002 00000000 00010000 0001 01 21341 /run/my app/with space.sock",
			UnixEntry{Flags: 0x10000, Type: 1, State: 1, Inode: 21341, Path: "/run/my app/with space.sock"}, true, true},
		{"0000000000000000: 00000003 00000000 00000000 0001 03 21342", UnixEntry{Type: 1, State: 3, Inode: 21342}, false, true},
		{"0000000000000000: 00000002 00000000 00000000 0002 01 21343 /run/systemd/notify",
			UnixEntry{Type: 2, State: 1, Inode: 21343, Path: "/run/systemd/notify"}, true, true},
		{"0000000000000000: 00000002 00000000 00010000 0005 01 21344 @/tmp/.X11-unix/X0",
			UnixEntry{Flags: 0x10000, Type: 5, State: 1, Inode: 21344, Path: "@/tmp/.X11-unix/X0"}, true, true},
		{"Num       RefCount Protocol Flags    Type St Inode Path", UnixEntry{}, false, false},
		{"0000000000000000: 00000002 00000000 00010000 0001 01", UnixEntry{}, false, false},
		{"0000000000000000: 00000002 00000000 00010000 0001 01 12x /a", UnixEntry{}, false, false},
	}
	for _, tt := range tests {
		got, err := ParseUnixLine(tt.line)
		if (err == nil) != tt.ok || got != tt.want || got.Listening() != tt.listen {
			t.Errorf("ParseUnixLine(%q) = %+v, %v (listening %v)", tt.line, got, err, got.Listening())
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		line string
		want MountEntry
		opts string
		ok   bool
	}{
		{"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
			MountEntry{Root: "/mnt1", Target: "/mnt2", Options: "rw,noatime", FSType: "ext3", Source: "/dev/root", SuperOptions: "rw,errors=continue"},
			"rw,noatime,errors=continue", true},
		{"29 1 0:26 / /tmp rw,nosuid,nodev,noexec shared:2 - tmpfs tmpfs rw,size=4096k,mode=1777",
			MountEntry{Root: "/", Target: "/tmp", Options: "rw,nosuid,nodev,noexec", FSType: "tmpfs", Source: "tmpfs", SuperOptions: "rw,size=4096k,mode=1777"},
			"rw,nosuid,nodev,noexec,size=4096k,mode=1777", true},
		{`40 29 8:1 / /mnt/my\040disk\134x ro,relatime - vfat /dev/sdb\0401 ro`,
			MountEntry{Root: "/", Target: `/mnt/my disk\x`, Options: "ro,relatime", FSType: "vfat", Source: "/dev/sdb 1", SuperOptions: "ro"},
			"ro,relatime", true},
		{"41 29 0:50 / /proc rw - proc", MountEntry{}, "", false},
		{"41 29 0:50 / /proc rw shared:1 master:2", MountEntry{}, "", false},
		{"41 29 0:50 / relative rw - proc proc rw", MountEntry{}, "", false},
	}
	for _, tt := range tests {
		got, err := ParseMountinfo(tt.line)
		if (err == nil) != tt.ok || got != tt.want || got.AllOptions() != tt.opts {
			t.Errorf("ParseMountinfo(%q) = %+v, %v (options %q)", tt.line, got, err, got.AllOptions())
		}
	}
	for in, want := range map[string]string{`a\040b`: "a b", `a\0b`: `a\0b`, `x\777`: `x\777`, `tail\04`: `tail\04`, `\011\012`: "\t\n"} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
