#!/usr/bin/env bash
# bench/authlog/spray.sh [N]: peak memory of nowwhat check and investigate on the worst case for
# per-address state: N (default 2,000,000) failed SSH logins from one address, each for a
# different account name, then a root login from it. The goal is a flat peak (under 150 MB for
# 2M names) and the login judged the intruder's. Needs go and GNU time (/usr/bin/time).
set -euo pipefail
N=${1:-2000000}
cd "$(dirname "$0")/../.."
OUT=$(mktemp -d /tmp/nowwhat-spray.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CGO_ENABLED=0 go build -o "$OUT/authlog" ./bench/authlog
CGO_ENABLED=0 go build -o "$OUT/nowwhat" ./cmd/nowwhat
mkdir -p "$OUT/root/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$OUT/root/etc/passwd"
echo 'Etc/UTC' >"$OUT/root/etc/timezone"
"$OUT/authlog" spray -n "$N" -o "$OUT/root/var/log/auth.log"
echo "log: $(wc -l <"$OUT/root/var/log/auth.log") lines, $(du -h "$OUT/root/var/log/auth.log" | cut -f1), cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
for cmd in check investigate; do
	/usr/bin/time -v -o "$OUT/$cmd.time" "$OUT/nowwhat" "$cmd" -q --root "$OUT/root" --format json >"$OUT/$cmd.json" || true
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/$cmd.time")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$cmd.time")
	verdict=$(grep -m1 '"verdict"' "$OUT/$cmd.json" | tr -d ' ,')
	printf "%-12s %8.1f s %8.1f MB peak   %s\n" "$cmd" "$secs" "$(awk -v k="$kb" 'BEGIN{print k/1024}')" "$verdict"
done
grep -o '"rule": "entry.ssh-bruteforce"' "$OUT/investigate.json" >/dev/null && echo "investigate: the root login is named the intruder's way in" || { echo "investigate: the way in was NOT found"; exit 1; }
