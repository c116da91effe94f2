package report

import "strings"

// attackNames are the MITRE ATT&CK (Enterprise) techniques nowwhat's rules name, with their
// usual tactic (the kill chain phase STIX and MISP exports carry).
var attackNames = map[string][2]string{
	"T1014":     {"Rootkit", "defense-evasion"},
	"T1021.002": {"SMB/Windows Admin Shares", "lateral-movement"},
	"T1021.004": {"Remote Services: SSH", "lateral-movement"},
	"T1027":     {"Obfuscated Files or Information", "defense-evasion"},
	"T1036":     {"Masquerading", "defense-evasion"},
	"T1036.004": {"Masquerading: Masquerade Task or Service", "defense-evasion"},
	"T1036.005": {"Masquerading: Match Legitimate Resource Name or Location", "defense-evasion"},
	"T1037":     {"Boot or Logon Initialization Scripts", "persistence"},
	"T1037.004": {"Boot or Logon Initialization Scripts: RC Scripts", "persistence"},
	"T1053":     {"Scheduled Task/Job", "persistence"},
	"T1053.003": {"Scheduled Task/Job: Cron", "persistence"},
	"T1053.006": {"Scheduled Task/Job: Systemd Timers", "persistence"},
	"T1059":     {"Command and Scripting Interpreter", "execution"},
	"T1059.004": {"Command and Scripting Interpreter: Unix Shell", "execution"},
	"T1059.006": {"Command and Scripting Interpreter: Python", "execution"},
	"T1059.007": {"Command and Scripting Interpreter: JavaScript", "execution"},
	"T1070":     {"Indicator Removal", "defense-evasion"},
	"T1070.002": {"Indicator Removal: Clear Linux or Mac System Logs", "defense-evasion"},
	"T1070.003": {"Indicator Removal: Clear Command History", "defense-evasion"},
	"T1070.004": {"Indicator Removal: File Deletion", "defense-evasion"},
	"T1070.006": {"Indicator Removal: Timestomp", "defense-evasion"},
	"T1071":     {"Application Layer Protocol", "command-and-control"},
	"T1072":     {"Software Deployment Tools", "execution"},
	"T1078":     {"Valid Accounts", "initial-access"},
	"T1078.003": {"Valid Accounts: Local Accounts", "initial-access"},
	"T1083":     {"File and Directory Discovery", "discovery"},
	"T1090":     {"Proxy", "command-and-control"},
	"T1095":     {"Non-Application Layer Protocol", "command-and-control"},
	"T1098":     {"Account Manipulation", "persistence"},
	"T1098.004": {"Account Manipulation: SSH Authorized Keys", "persistence"},
	"T1102":     {"Web Service", "command-and-control"},
	"T1105":     {"Ingress Tool Transfer", "command-and-control"},
	"T1110":     {"Brute Force", "credential-access"},
	"T1110.001": {"Brute Force: Password Guessing", "credential-access"},
	"T1110.003": {"Brute Force: Password Spraying", "credential-access"},
	"T1136":     {"Create Account", "persistence"},
	"T1136.001": {"Create Account: Local Account", "persistence"},
	"T1140":     {"Deobfuscate/Decode Files or Information", "defense-evasion"},
	"T1189":     {"Drive-by Compromise", "initial-access"},
	"T1190":     {"Exploit Public-Facing Application", "initial-access"},
	"T1204.002": {"User Execution: Malicious File", "execution"},
	"T1222.002": {"File and Directory Permissions Modification: Linux and Mac", "defense-evasion"},
	"T1496":     {"Resource Hijacking", "impact"},
	"T1505.003": {"Server Software Component: Web Shell", "persistence"},
	"T1543":     {"Create or Modify System Process", "persistence"},
	"T1543.002": {"Create or Modify System Process: Systemd Service", "persistence"},
	"T1546":     {"Event Triggered Execution", "persistence"},
	"T1546.004": {"Event Triggered Execution: Unix Shell Configuration Modification", "persistence"},
	"T1547.006": {"Boot or Logon Autostart Execution: Kernel Modules and Extensions", "persistence"},
	"T1548":     {"Abuse Elevation Control Mechanism", "privilege-escalation"},
	"T1548.001": {"Abuse Elevation Control Mechanism: Setuid and Setgid", "privilege-escalation"},
	"T1548.003": {"Abuse Elevation Control Mechanism: Sudo and Sudo Caching", "privilege-escalation"},
	"T1552.001": {"Unsecured Credentials: Credentials In Files", "credential-access"},
	"T1554":     {"Compromise Host Software Binary", "persistence"},
	"T1556":     {"Modify Authentication Process", "credential-access"},
	"T1556.003": {"Modify Authentication Process: Pluggable Authentication Modules", "credential-access"},
	"T1562":     {"Impair Defenses", "defense-evasion"},
	"T1562.001": {"Impair Defenses: Disable or Modify Tools", "defense-evasion"},
	"T1562.012": {"Impair Defenses: Disable or Modify Linux Audit System", "defense-evasion"},
	"T1564":     {"Hide Artifacts", "defense-evasion"},
	"T1564.001": {"Hide Artifacts: Hidden Files and Directories", "defense-evasion"},
	"T1565.001": {"Data Manipulation: Stored Data Manipulation", "impact"},
	"T1571":     {"Non-Standard Port", "command-and-control"},
	"T1574.006": {"Hijack Execution Flow: Dynamic Linker Hijacking", "persistence"},
	"T1595.002": {"Active Scanning: Vulnerability Scanning", "reconnaissance"},
	"T1595.003": {"Active Scanning: Wordlist Scanning", "reconnaissance"},
}

// attackName names a technique and its tactic; an id the table lacks keeps its id as its name
// (the export still carries the id, which is what tools match on).
func attackName(id string) (name, tactic string) {
	if n, ok := attackNames[id]; ok {
		return n[0], n[1]
	}
	if parent, _, ok := strings.Cut(id, "."); ok {
		if n, ok := attackNames[parent]; ok {
			return n[0] + " (" + id + ")", n[1]
		}
	}
	return id, "unknown"
}

// tactics in the order an intrusion goes through them.
var tactics = []string{"reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation",
	"defense-evasion", "credential-access", "discovery", "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"}

func tacticOrder(t string) int {
	for i, x := range tactics {
		if x == t {
			return i
		}
	}
	return len(tactics)
}

// AttackURL is the technique's page on the ATT&CK site.
func AttackURL(id string) string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(id, ".", "/") + "/"
}
