#!/usr/bin/env bash
# bench/authlog/run.sh [LINES]: nowwhat's auth.log parser (internal/source/authlog) against grep and
# fail2ban-regex on the same generated auth.log, in the same run, warm page cache.
#
#   the log     LINES lines (default 5,000,000) replaying shared/testdata/loghub/OpenSSH/
#               OpenSSH_2k.log with new time stamps 6 s apart (spans a new year), and a
#               1,000,000-line one, to compare peak memory at both sizes
#   nowwhat     bench/authlog parse: file listing, year pass and full parse through hostfs,
#               every line classified into events (every line of this log is of interest)
#   grep        grep -c 'Failed password' (counts lines only, parses nothing)
#   fail2ban    fail2ban-regex FILE sshd (Debian package fail2ban, installed with apt-get when
#               missing and root); it is slow, so it runs on the first 200,000 lines and its time
#               is extrapolated linearly to the full size
#
# Needs: go, GNU time (/usr/bin/time). Prints seconds, lines/s, peak memory (GNU time -v) and
# ratios.
set -euo pipefail
N=${1:-5000000}
SMALL=1000000
F2B_LINES=200000
cd "$(dirname "$0")/../.."

SRC=""
for d in . .. ../..; do
	if [ -f "$d/shared/testdata/loghub/OpenSSH/OpenSSH_2k.log" ]; then
		SRC="$d/shared/testdata/loghub/OpenSSH/OpenSSH_2k.log"
		break
	fi
done
if [ -z "$SRC" ]; then
	echo "shared/testdata/loghub/OpenSSH/OpenSSH_2k.log not found" >&2
	exit 1
fi

OUT=$(mktemp -d /tmp/nowwhat-authlog.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CGO_ENABLED=0 go build -o "$OUT/authlog" ./bench/authlog
CGO_ENABLED=0 go build -o "$OUT/nowwhat-bin" ./cmd/nowwhat

"$OUT/authlog" gen -src "$SRC" -n "$N" -o "$OUT/big/var/log/auth.log"
"$OUT/authlog" gen -src "$SRC" -n "$SMALL" -o "$OUT/small/var/log/auth.log"
BIG="$OUT/big/var/log/auth.log"
echo "log: $(wc -l <"$BIG") lines, $(du -h "$BIG" | cut -f1), cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$BIG" "$OUT/small/var/log/auth.log" >/dev/null # warm the page cache

# timed NAME CMD...: runs CMD (stdout to $OUT/NAME.out), records "seconds peakKB" in $OUT/NAME
timed() {
	local name=$1
	shift
	/usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out"
	local secs kb
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/$name.time")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$name.time")
	echo "$secs $kb" >"$OUT/$name"
}

timed nowwhat_small "$OUT/authlog" parse -root "$OUT/small"
timed nowwhat "$OUT/authlog" parse -root "$OUT/big"
timed grep grep -c 'Failed password' "$BIG"
# the whole investigation of a root holding only that log (check, every log, the timeline)
timed investigate "$OUT/nowwhat-bin" investigate -q --root "$OUT/big" --format json

if ! command -v fail2ban-regex >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing fail2ban..."
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fail2ban) >"$OUT/apt.log" 2>&1 ||
		echo "fail2ban could not be installed (see apt-get)" >&2
fi
F2B=""
if command -v fail2ban-regex >/dev/null; then
	head -n "$F2B_LINES" "$BIG" >"$OUT/f2b.log"
	timed f2b fail2ban-regex "$OUT/f2b.log" sshd
	F2B=1
fi

read -r NS NKB <"$OUT/nowwhat_small"
read -r NB NBKB <"$OUT/nowwhat"
read -r GS GKB <"$OUT/grep"
LINES=$(awk '{print $2; exit}' "$OUT/nowwhat.out")
OURFAILED=$(awk '/failed_password_lines/ {print $2}' "$OUT/nowwhat.out")
GREPFAILED=$(cat "$OUT/grep.out")

echo
echo "nowwhat parse, $SMALL lines:"
sed 's/^/  /' "$OUT/nowwhat_small.out"
echo "nowwhat parse, $LINES lines:"
sed 's/^/  /' "$OUT/nowwhat.out"
echo
printf "%-34s %10s %14s %12s\n" "tool" "seconds" "lines/s" "peak MB"
printf "%-34s %10.2f %14.0f %12.1f\n" "nowwhat (authlog), $SMALL lines" "$NS" "$(awk -v n=$SMALL -v s="$NS" 'BEGIN{print n/s}')" "$(awk -v k="$NKB" 'BEGIN{print k/1024}')"
printf "%-34s %10.2f %14.0f %12.1f\n" "nowwhat (authlog), $LINES lines" "$NB" "$(awk -v n="$LINES" -v s="$NB" 'BEGIN{print n/s}')" "$(awk -v k="$NBKB" 'BEGIN{print k/1024}')"
printf "%-34s %10.2f %14.0f %12.1f\n" "grep -c 'Failed password'" "$GS" "$(awk -v n="$LINES" -v s="$GS" 'BEGIN{print n/(s>0?s:0.001)}')" "$(awk -v k="$GKB" 'BEGIN{print k/1024}')"
if [ -n "$F2B" ]; then
	read -r FS FKB <"$OUT/f2b"
	FEST=$(awk -v s="$FS" -v a="$F2B_LINES" -v n="$LINES" 'BEGIN{print s*n/a}')
	printf "%-34s %10.2f %14.0f %12.1f\n" "fail2ban-regex sshd, $F2B_LINES lines" "$FS" "$(awk -v n=$F2B_LINES -v s="$FS" 'BEGIN{print n/s}')" "$(awk -v k="$FKB" 'BEGIN{print k/1024}')"
	printf "%-34s %10.0f %14s %12s\n" "fail2ban-regex, $LINES (extrap.)" "$FEST" "" ""
	echo "  fail2ban-regex: $(grep -E '^Lines:' "$OUT/f2b.out" || true)"
else
	echo "fail2ban-regex: not installed, skipped"
fi
read -r IS IKB <"$OUT/investigate"
printf "%-34s %10.2f %14.0f %12.1f\n" "nowwhat investigate (whole run)" "$IS" "$(awk -v n="$LINES" -v s="$IS" 'BEGIN{print n/s}')" "$(awk -v k="$IKB" 'BEGIN{print k/1024}')"
echo
echo "ratios: nowwhat/grep time $(awk -v a="$NB" -v b="$GS" 'BEGIN{printf "%.1f", a/(b>0?b:0.001)}')x" \
	"$([ -n "$F2B" ] && awk -v a="$FEST" -v b="$NB" 'BEGIN{printf "; fail2ban-regex (extrapolated)/nowwhat time %.0fx", a/b}')"
echo "memory: peak $(awk -v k="$NKB" 'BEGIN{printf "%.1f", k/1024}') MB at $SMALL lines," \
	"$(awk -v k="$NBKB" 'BEGIN{printf "%.1f", k/1024}') MB at $LINES lines"
if [ "$OURFAILED" = "$GREPFAILED" ]; then
	echo "check: 'Failed password' lines agree with grep ($GREPFAILED)"
else
	echo "check: 'Failed password' lines DISAGREE: nowwhat $OURFAILED, grep $GREPFAILED"
	exit 1
fi
