package capture

import (
	"strings"

	"github.com/nowwhat/nowwhat/internal/accounts"
	"github.com/nowwhat/nowwhat/internal/collector"
	"github.com/nowwhat/nowwhat/internal/hostfs"
	"github.com/nowwhat/nowwhat/internal/kmod"
	"github.com/nowwhat/nowwhat/internal/packages"
	"github.com/nowwhat/nowwhat/internal/schedule"
	"github.com/nowwhat/nowwhat/internal/services"
	"github.com/nowwhat/nowwhat/internal/sudoers"
)

// Registry lists every collector a snapshot runs.
func Registry() []collector.Collector {
	return []collector.Collector{
		accounts.Collector{},
		sudoers.Collector{},
		schedule.Collector,
		services.Collector,
		kmod.Collector,
		packages.Collector{},
	}
}

// HostInfo reads the host's identity for the snapshot's meta table.
func HostInfo(fsys *hostfs.FS, live bool) map[string]string {
	out := map[string]string{}
	if b, err := fsys.ReadFile("/etc/hostname", 4096); err == nil {
		out["host.hostname"] = strings.TrimSpace(string(b))
	}
	if b, err := fsys.ReadFile("/etc/machine-id", 4096); err == nil {
		out["host.machine_id"] = strings.TrimSpace(string(b))
	}
	return out
}
