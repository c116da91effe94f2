package capture

import (
	"github.com/nowwhat/nowwhat/internal/base/hostfs"
	"github.com/nowwhat/nowwhat/internal/probe"
	"github.com/nowwhat/nowwhat/internal/probe/accounts"
	"github.com/nowwhat/nowwhat/internal/probe/hooks"
	"github.com/nowwhat/nowwhat/internal/probe/hostinfo"
	"github.com/nowwhat/nowwhat/internal/probe/hostlogs"
	"github.com/nowwhat/nowwhat/internal/probe/kmod"
	"github.com/nowwhat/nowwhat/internal/probe/live"
	"github.com/nowwhat/nowwhat/internal/probe/packages"
	"github.com/nowwhat/nowwhat/internal/probe/schedule"
	"github.com/nowwhat/nowwhat/internal/probe/services"
	"github.com/nowwhat/nowwhat/internal/probe/sshd"
	"github.com/nowwhat/nowwhat/internal/probe/sudoers"
)

// Registry lists every collector a snapshot runs.
func Registry() []probe.Collector {
	return []probe.Collector{
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
