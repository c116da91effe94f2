package live

import (
	"testing"

	"github.com/nowwhat/nowwhat/internal/base/fixture"
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
)

// TestProbeLimit: the probe stops a little above the last pid handed out while the pid counter
// cannot have wrapped, and covers everything up to pid_max when it may have, or when it cannot
// tell.
func TestProbeLimit(t *testing.T) {
	const max = 4194304
	tests := []struct {
		name, last, stat string
		want             int
	}{
		{"fresh host", "5123\n", "cpu 1 2 3\nprocesses 60211\nprocs_running 1\n", 5123 + 4096},
		{"wrapped", "5123\n", "processes 5000000\n", max},
		{"exactly pid_max forks", "5123\n", "processes 4194304\n", max},
		{"no processes line", "5123\n", "cpu 1 2 3\n", max},
		{"garbage last pid", "x\n", "processes 10\n", max},
		{"no ns_last_pid", "", "processes 10\n", max},
		{"near the top", "4194000\n", "processes 4194100\n", max},
	}
	for _, tc := range tests {
		r := fixture.New(t)
		if tc.last != "" {
			r.File("/proc/sys/kernel/ns_last_pid", tc.last, 0o444)
		}
		r.File("/proc/stat", tc.stat, 0o444)
		fs, err := hostfs.Open(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := probeLimit(fs, max); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
		fs.Close()
	}
}
