package capture

import (
	"path"
	"strings"

	"github.com/nowwhat/nowwhat/internal/base/catalog"
	"github.com/nowwhat/nowwhat/internal/base/snapshot"
	"github.com/nowwhat/nowwhat/internal/detect/indicator"
	"github.com/nowwhat/nowwhat/internal/detect/webshell"
)

// webDirs hold web content, where web shells are looked for.
var webDirs = catalog.Where(catalog.Served)

// inspected are scripts and configuration that decide what runs, homes' start-up files and
// histories: their content is scanned for attack patterns.
var inspected = catalog.Where(catalog.Inspect)

// temporary are the folders writable by everyone.
var temporary = catalog.NewSet(catalog.OfKind(catalog.Temp))

// webExt are the extensions a web server may execute (plus images, which polyglots hide in).
var webExt = map[string]bool{".php": true, ".phtml": true, ".php3": true, ".php4": true, ".php5": true, ".php7": true,
	".phar": true, ".pht": true, ".inc": true, ".jsp": true, ".jspx": true, ".jspf": true, ".asp": true, ".aspx": true,
	".ashx": true, ".asmx": true, ".cer": true, ".cgi": true, ".pl": true, ".py": true, ".rb": true, ".cfm": true,
	".cfml": true, ".shtml": true, ".txt": true, ".gif": true, ".jpg": true, ".jpeg": true, ".png": true, ".ico": true, "": true}

// tmpExt are the extensions of files in temporary folders whose content is inspected.
var tmpExt = map[string]bool{"": true, ".sh": true, ".bash": true, ".py": true, ".pl": true, ".rb": true, ".php": true,
	".phtml": true, ".jsp": true, ".conf": true, ".cfg": true, ".json": true, ".ini": true, ".txt": true, ".yml": true,
	".yaml": true, ".service": true, ".timer": true, ".desktop": true, ".cron": true, ".x": true, ".elf": true, ".bin": true}

// Inspect says whether a file's content is scanned for attack patterns: web content in web
// roots, everything in temporary folders, scripts and configuration that decide what runs,
// homes' start-up files and histories, and users' systemd units and autostart entries.
func Inspect(p string, size int64) bool {
	if inTmpDir(p) {
		// Intruders' scripts, configurations and web shells; documentation and archives in
		// unpacked trees are not worth the time.
		return size <= 512<<10 && tmpExt[strings.ToLower(path.Ext(p))]
	}
	if webExt[strings.ToLower(path.Ext(p))] && webDirs.Covers(p) {
		return true
	}
	return inspected.Covers(p)
}

func inTmpDir(p string) bool { return temporary.Covers(p) }

// inspector scans content for attack patterns and puts what it finds into the sink.
func inspector(sink snapshot.Sink) func(string, []byte) {
	return func(p string, data []byte) {
		if binary(data) {
			// Compiled programs, archives and images: the text patterns do not apply (and
			// strings inside them raise false alarms); web shells hidden in images start with
			// the image header but carry code in text, which webshell.Scan sniffs by name.
			if !imageName(p) {
				return
			}
		}
		ext := strings.ToLower(path.Ext(p))
		webLang := webExt[ext] && ext != "" && ext != ".txt" && ext != ".py" && ext != ".pl" && ext != ".rb"
		inWeb := webDirs.Covers(p)
		// Web shells: server-side pages in web roots (any of the web extensions), and pages
		// dropped in temporary folders.
		if inWeb || webLang {
			if r := webshell.Scan(p, data); r.Verdict != webshell.VerdictClean {
				var reasons []string
				for _, x := range r.Reasons {
					reasons = append(reasons, x.Rule+": "+x.Evidence)
					if len(reasons) == 6 {
						break
					}
				}
				sev := "high"
				switch r.Verdict {
				case webshell.VerdictWebshell:
					sev = "critical"
				case webshell.VerdictKnown:
					// a known release or admin tool in its released form: named, not alarmed
					sev = "info"
					reasons = append([]string{"known: " + r.Tool}, reasons...)
				}
				sink.Put(snapshot.Indicator{Path: p, Rule: "webshell." + r.Verdict, Category: "webshell", Severity: sev,
					Evidence: strings.Join(reasons, " | "), Attack: "T1505.003", Score: r.Score})
			}
			// Command-line patterns are for scripts and configuration, not for pages (whose
			// code legitimately opens sockets and runs programs).
			if webLang || inWeb && !looksLikeScript(data) {
				return
			}
		}
		// In temporary folders, data files (JSON, text, configuration) only count for miner
		// settings: their lines often just mention paths and commands.
		dataOnly := inTmpDir(p) && !looksLikeScript(data) && !scriptExt[ext]
		for _, m := range indicator.Scan(data) {
			// In data files only a pool address is specific enough: words such as "xmrig" or
			// "donate-level" also appear in notes, reports and documentation.
			if dataOnly && m.Rule != "miner.stratum-url" && m.Rule != "miner.pool-host" {
				continue
			}
			sink.Put(snapshot.Indicator{Path: p, Rule: m.Rule, Category: m.Category, Severity: strings.ToLower(m.Severity),
				Line: m.Line, Evidence: m.Evidence, Attack: strings.Join(m.Attack, ",")})
		}
	}
}

// scriptExt are extensions of shell and interpreter scripts.
var scriptExt = map[string]bool{".sh": true, ".bash": true, ".py": true, ".pl": true, ".rb": true, "": true, ".service": true,
	".timer": true, ".desktop": true, ".cron": true}

// binary reports whether content is not text: a NUL byte in its first 8 KiB.
func binary(data []byte) bool {
	n := min(len(data), 8<<10)
	for _, b := range data[:n] {
		if b == 0 {
			return true
		}
	}
	return false
}

func imageName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".gif", ".jpg", ".jpeg", ".png", ".ico":
		return true
	}
	return false
}

// looksLikeScript reports whether web content is a shell or interpreter script (worth the
// command-line patterns too) rather than a page.
func looksLikeScript(data []byte) bool {
	return len(data) > 2 && data[0] == '#' && data[1] == '!'
}
