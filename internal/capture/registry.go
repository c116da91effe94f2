package capture

import (
	"github.com/nowwhat/nowwhat/internal/accounts"
	"github.com/nowwhat/nowwhat/internal/collector"
	"github.com/nowwhat/nowwhat/internal/hooks"
	"github.com/nowwhat/nowwhat/internal/hostfs"
	"github.com/nowwhat/nowwhat/internal/hostinfo"
	"github.com/nowwhat/nowwhat/internal/hostlogs"
	"github.com/nowwhat/nowwhat/internal/kmod"
	"github.com/nowwhat/nowwhat/internal/live"
	"github.com/nowwhat/nowwhat/internal/packages"
	"github.com/nowwhat/nowwhat/internal/schedule"
	"github.com/nowwhat/nowwhat/internal/services"
	"github.com/nowwhat/nowwhat/internal/sshd"
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
		sshd.Collector{},
		hooks.Collector,
		live.Collector{},
		hostlogs.Collector{},
	}
}

// HostInfo reads the host's identity for the snapshot's meta table.
func HostInfo(fsys *hostfs.FS) map[string]string {
	return hostinfo.Read(fsys).Meta()
}
