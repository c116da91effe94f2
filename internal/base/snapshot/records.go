package snapshot

// The records of a snapshot. Each type is one table of the snapshot file; the `db` tag names
// the column, and ",key" marks the columns that identify a record across two snapshots (what
// diff matches on). Times are Unix nanoseconds in UTC (0: unknown); users can turn them into
// dates in SQL with datetime(mtime/1e9,'unixepoch').

// File is one entry of the file system in scope.
type File struct {
	Path   string `db:"path,key"`
	Type   string `db:"type"` // file, dir, symlink, fifo, socket, chardev, blockdev
	Mode   uint32 `db:"mode"` // permission bits with setuid (04000), setgid (02000), sticky (01000)
	UID    uint32 `db:"uid"`
	GID    uint32 `db:"gid"`
	Size   int64  `db:"size"`
	Mtime  int64  `db:"mtime"`
	Ctime  int64  `db:"ctime"`
	Btime  int64  `db:"btime"`
	Inode  uint64 `db:"inode"`
	Dev    uint64 `db:"dev"`
	Nlink  uint32 `db:"nlink"`
	Link   string `db:"link"`   // target of a symbolic link, as written
	SHA256 string `db:"sha256"` // hex; empty when not hashed (see Note)
	MD5    string `db:"md5"`    // hex, only for files whose package records an MD5 digest (dpkg)
	Caps   string `db:"caps"`   // file capabilities (security.capability), getcap style
	Format string `db:"format"` // what the first bytes say: elf, script (#!), or empty
	Note   string `db:"note"`   // why something is missing or doubtful: changed while hashed, too large, unreadable
}

// Content is the text of a small, security-relevant configuration file (cron, units, PAM,
// profiles, sshd_config, ...) kept so diff can show what changed inside it. Lines that look
// like they carry a secret are redacted before storing.
type Content struct {
	Path string `db:"path,key"`
	Text string `db:"text"`
}

// User is one account from passwd, joined with what shadow says about its password. The password
// hash itself is never stored: only its state, algorithm and a keyed fingerprint.
type User struct {
	Name        string `db:"name,key"`
	UID         int64  `db:"uid"`
	GID         int64  `db:"gid"`
	Gecos       string `db:"gecos"`
	Home        string `db:"home"`
	Shell       string `db:"shell"`
	Password    string `db:"password"` // set, locked, empty, disabled (* or !), missing (no shadow line)
	HashAlg     string `db:"hash_alg"` // yescrypt, sha512crypt, ...
	HashFP      string `db:"hash_fp"`  // keyed fingerprint: changes when the hash changes
	LastChange  int64  `db:"last_change"`
	Expire      int64  `db:"expire"` // days since 1970, -1: never
	ShadowLine  bool   `db:"in_shadow"`
	LoginShell  bool   `db:"login_shell"` // shell lets the account log in interactively
	PasswdEntry int    `db:"line"`
}

// Group is one group from /etc/group.
type Group struct {
	Name    string `db:"name,key"`
	GID     int64  `db:"gid"`
	Members string `db:"members"` // comma separated, as in /etc/group
}

// SudoRule is one logical line of sudoers or a file under sudoers.d (continuations joined).
type SudoRule struct {
	File string `db:"file,key"`
	Text string `db:"text,key"`
	Kind string `db:"kind"` // grant, defaults, alias, include
	Line int    `db:"line"`
}

// SSHOption is one effective sshd option (first value wins, as sshd reads them).
type SSHOption struct {
	Key   string `db:"key,key"`
	Value string `db:"value"`
	File  string `db:"file"`
	Line  int    `db:"line"`
}

// SSHKey is one key in an authorized_keys file that sshd would read for a user.
type SSHKey struct {
	User        string `db:"user,key"`
	File        string `db:"file,key"`
	Fingerprint string `db:"fingerprint,key"` // SHA256:... as ssh-keygen -l prints it
	Type        string `db:"type"`
	Comment     string `db:"comment"`
	Options     string `db:"options"` // command=, from=, ... as written
	Line        int    `db:"line"`
}

// Job is one scheduled job: cron, anacron, at, or a systemd timer.
type Job struct {
	Kind     string `db:"kind,key"`   // cron, anacron, at, timer, cron-script
	Source   string `db:"source,key"` // file it comes from
	User     string `db:"user,key"`
	Schedule string `db:"schedule,key"`
	Command  string `db:"command,key"`
	Line     int    `db:"line"`
}

// Service is one service or boot hook: a systemd unit (system or per user), a SysV init script,
// rc.local.
type Service struct {
	Scope     string `db:"scope,key"` // system, user (all users), user:NAME
	Name      string `db:"name,key"`
	Kind      string `db:"kind"`  // systemd, sysv, rc.local
	Path      string `db:"path"`  // the file that defines it (as on the host)
	State     string `db:"state"` // enabled, disabled, masked, static, linked, alias, generated
	ExecStart string `db:"exec"`  // ExecStart (and ExecStartPre/Post), or the script itself
	WantedBy  string `db:"wanted_by"`
	RunAs     string `db:"user"`
	Summary   string `db:"description"`
}

// Module is a kernel module: loaded now, or configured to load at boot.
type Module struct {
	Name   string `db:"name,key"`
	State  string `db:"state,key"` // loaded, autoload, install-hook, remove-hook
	Source string `db:"source"`    // /proc/modules, /etc/modules-load.d/x.conf, ...
	Size   int64  `db:"size"`
	Taint  string `db:"taint"`  // taint flags the kernel shows for it (O: out of tree, E: unsigned)
	Detail string `db:"detail"` // install-hook/remove-hook: the command modprobe runs instead
}

// Hook is one entry of a login, shell, loader or package-manager hook: a line of ld.so.preload,
// a PAM module line, an APT/DPkg Pre/Post-Invoke command, a udev RUN, ...
type Hook struct {
	Kind  string `db:"kind,key"` // preload, ldconf, pam, apt, udev, profile, motd
	Path  string `db:"path,key"`
	Value string `db:"value,key"`
	Line  int    `db:"line"`
}

// Package is an installed package.
type Package struct {
	Manager string `db:"manager,key"` // dpkg, rpm
	Name    string `db:"name,key"`
	Arch    string `db:"arch,key"`
	Version string `db:"version"`
	Status  string `db:"status"`
}

// PackageFile is one file a package manager recorded, with its recorded digest.
type PackageFile struct {
	Path     string `db:"path,key"`
	Manager  string `db:"manager,key"`
	Package  string `db:"package"`
	Alg      string `db:"alg"` // md5, sha256, ...
	Digest   string `db:"digest"`
	Conffile bool   `db:"conffile"`
}

// Process is one process seen in /proc of a live host.
type Process struct {
	PID        int64  `db:"pid"`
	PPID       int64  `db:"ppid"`
	UID        int64  `db:"uid"`
	Comm       string `db:"comm"`
	Exe        string `db:"exe,key"`
	ExeDeleted bool   `db:"exe_deleted"`
	Cmdline    string `db:"cmdline"`
	Cwd        string `db:"cwd"`
	Start      int64  `db:"start"`
	State      string `db:"state"`
	Listed     bool   `db:"listed"` // false: answered when probed by pid, missing from the /proc listing
}

// Socket is one network socket of a live host.
type Socket struct {
	Proto      string `db:"proto,key"` // tcp, tcp6, udp, udp6, raw, unix
	LocalAddr  string `db:"local_addr,key"`
	LocalPort  int    `db:"local_port,key"`
	RemoteAddr string `db:"remote_addr,key"`
	RemotePort int    `db:"remote_port,key"`
	State      string `db:"state"`
	Inode      uint64 `db:"inode"`
	UID        int64  `db:"uid"`
	PID        int64  `db:"pid"`
	Process    string `db:"process"`
}

// Mount is one mounted file system of a live host.
type Mount struct {
	Target  string `db:"target,key"`
	Source  string `db:"source"`
	FSType  string `db:"fstype"`
	Options string `db:"options"`
}

// Indicator is a pattern of attack found in a file's content while it was read for hashing: a
// reverse shell, a download-and-run, a miner configuration, history or log tampering in a
// script or configuration file (package indicator), or a web shell (package webshell).
type Indicator struct {
	Path     string `db:"path,key"`
	Rule     string `db:"rule,key"` // indicator rule id, or "webshell" (Evidence lists the reasons)
	Category string `db:"category"` // reverse-shell, download-exec, miner, obfuscation, history-tamper, log-tamper, persistence-hint, webshell
	Severity string `db:"severity"` // low, medium, high, critical
	Line     int    `db:"line"`
	Evidence string `db:"evidence"`
	Attack   string `db:"attack"` // ATT&CK technique ids, comma separated
	Score    int    `db:"score"`  // web shell score (100+: web shell, 50+: suspicious)
}

// Event is one thing a host's logs recorded that later steps need to explain changes and to
// rebuild the timeline: package operations (dpkg.log, apt history), logins, sudo commands,
// account changes (auth.log, secure, the systemd journal).
type Event struct {
	Time     int64  `db:"time,key"`
	Source   string `db:"source,key"` // dpkg, apt, auth, journal
	Kind     string `db:"kind,key"`   // package-install, package-upgrade, package-remove, apt, ssh-accepted, sudo-command, useradd, ...
	User     string `db:"user"`       // who acted (or the account acted upon, for account changes)
	Target   string `db:"target"`     // sudo run-as, su target, package name
	SourceIP string `db:"source_ip"`
	Subject  string `db:"subject,key"` // the command, the package and versions, the method and key
	File     string `db:"file"`
	Line     int    `db:"line"`
}

// Session is a stretch of time someone was logged in (ssh, console, su, sudo), rebuilt from the
// authentication logs, with the number of sudo commands run in it.
type Session struct {
	User     string `db:"user,key"`
	Via      string `db:"via"`    // ssh, console, su, sudo, cron
	Target   string `db:"target"` // su: the account switched to; sudo: who the first command ran as
	SourceIP string `db:"source_ip"`
	Method   string `db:"method"`
	Key      string `db:"key"` // fingerprint of the SSH key used
	Start    int64  `db:"start,key"`
	End      int64  `db:"end"` // 0: still open, or its end was not logged
	Sudo     int    `db:"sudo"`
	File     string `db:"file"`
	Line     int    `db:"line"`
}

// Burst is a run of failed logins from one address that looks like password guessing (10 or
// more attempts, or 5 or more accounts, with no pause over 30 minutes), kept so a later judge can
// tell a login that followed guessing from an operator's typo. Failed logins themselves are not
// stored one by one: a brute force writes millions.
type Burst struct {
	SourceIP string `db:"source_ip,key"`
	Start    int64  `db:"start,key"`
	End      int64  `db:"end"`
	Attempts int    `db:"attempts"`
	Invalid  int    `db:"invalid"`  // on accounts that do not exist
	Accounts int    `db:"accounts"` // distinct names tried (a lower bound when capped)
	Capped   bool   `db:"accounts_capped"`
	Top      string `db:"top"` // most tried names, comma-separated
	Spray    bool   `db:"spray"`
	File     string `db:"file"`
	Line     int    `db:"line"`
}

// Problem is something a collector could not read or could not judge: the coverage gaps.
type Problem struct {
	Collector string `db:"collector"`
	Path      string `db:"path"`
	Error     string `db:"error"`
}
