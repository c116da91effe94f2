package filescan

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// capNames are the Linux capability names by bit number, as getcap prints them.
var capNames = []string{
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
	"cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
	"cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct",
	"cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
	"cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control",
	"cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
}

// DecodeCaps turns a security.capability extended attribute (struct vfs_cap_data, revision 1, 2
// or 3) into getcap's text form, e.g. "cap_net_raw=ep" or "cap_setuid,cap_setgid+ep". An
// attribute that does not parse is returned as "unparsed:HEX" so it is never silently lost.
func DecodeCaps(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) < 4 {
		return fmt.Sprintf("unparsed:%x", b)
	}
	magic := binary.LittleEndian.Uint32(b)
	rev := magic & 0xFF000000
	effective := magic&1 != 0
	var permitted, inheritable uint64
	var rootid uint32
	switch rev {
	case 0x01000000:
		if len(b) < 12 {
			return fmt.Sprintf("unparsed:%x", b)
		}
		permitted = uint64(binary.LittleEndian.Uint32(b[4:]))
		inheritable = uint64(binary.LittleEndian.Uint32(b[8:]))
	case 0x02000000, 0x03000000:
		if len(b) < 20 {
			return fmt.Sprintf("unparsed:%x", b)
		}
		permitted = uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
		inheritable = uint64(binary.LittleEndian.Uint32(b[8:])) | uint64(binary.LittleEndian.Uint32(b[16:]))<<32
		if rev == 0x03000000 && len(b) >= 24 {
			rootid = binary.LittleEndian.Uint32(b[20:])
		}
	default:
		return fmt.Sprintf("unparsed:%x", b)
	}
	// Group capabilities by their flag set, as getcap does.
	groups := map[string][]string{}
	var order []string
	for bit := 0; bit < 64; bit++ {
		m := uint64(1) << bit
		if permitted&m == 0 && inheritable&m == 0 {
			continue
		}
		flags := ""
		if effective {
			flags += "e"
		}
		if inheritable&m != 0 {
			flags += "i"
		}
		if permitted&m != 0 {
			flags += "p"
		}
		name := fmt.Sprintf("cap_%d", bit)
		if bit < len(capNames) {
			name = capNames[bit]
		}
		if _, ok := groups[flags]; !ok {
			order = append(order, flags)
		}
		groups[flags] = append(groups[flags], name)
	}
	if len(order) == 0 {
		return "empty"
	}
	parts := make([]string, 0, len(order))
	for _, fl := range order {
		parts = append(parts, strings.Join(groups[fl], ",")+"="+fl)
	}
	s := strings.Join(parts, " ")
	if rootid != 0 {
		s += fmt.Sprintf(" [rootid=%d]", rootid)
	}
	return s
}
