#!/usr/bin/env bash
# bench/packages.sh: package verification of every installed package on this host, in the same
# run, warm cache: `debsums -s` (Debian package debsums) against `nowwhat check --packages`,
# with the MD5 limit (one core's MD5 rate x cores over the bytes of all files with a digest).
# Run as root on a Debian host.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/nowwhat-pkgbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CORES=$(nproc)
command -v debsums >/dev/null || { echo "debsums not installed (apt-get install debsums)"; exit 1; }
CGO_ENABLED=0 go build -o "$OUT/nowwhat" ./cmd/nowwhat
RATE=$(go run ./bench/md5rate)
# files and bytes that dpkg recorded digests for (merged-/usr paths resolved by the shell)
cat /var/lib/dpkg/info/*.md5sums 2>/dev/null | awk '{ $1=""; sub(/^ +/, ""); print "/" $0 }' | sort -u >"$OUT/paths"
PKGS=$(ls /var/lib/dpkg/info/*.md5sums | wc -l)
FILES=$(wc -l <"$OUT/paths")
BYTES=$( (tr '\n' '\0' <"$OUT/paths" | xargs -0 stat -L -c %s 2>/dev/null || true) | awk '{s+=$1} END {printf "%.0f", s}')
echo "$PKGS packages with digests, $FILES files, $(awk -v b="$BYTES" 'BEGIN{printf "%.2f GB", b/1e9}'), $CORES cores"
echo "warming the page cache..."
(tr '\n' '\0' <"$OUT/paths" | xargs -0 cat >/dev/null 2>&1) || true

/usr/bin/time -f "%e %M %P" -o "$OUT/debsums.time" debsums -s >"$OUT/debsums.out" 2>&1 || true
/usr/bin/time -f "%e %M %P" -o "$OUT/nowwhat.time" "$OUT/nowwhat" check --packages -q --format json >"$OUT/nowwhat.json" || true
/usr/bin/time -f "%e %M %P" -o "$OUT/nowwhat2.time" "$OUT/nowwhat" check --packages -q --format json >/dev/null || true

D=$(awk '{print $1}' "$OUT/debsums.time" | tail -1)
N1=$(tail -1 "$OUT/nowwhat.time" | awk '{print $1}')
N2=$(tail -1 "$OUT/nowwhat2.time" | awk '{print $1}')
N=$(awk -v a="$N1" -v b="$N2" 'BEGIN{print (a<b)?a:b}')
LIMIT=$(awk -v b="$BYTES" -v r="$RATE" -v c="$CORES" 'BEGIN{printf "%.2f", b/(r*c)}')
printf '\n%-38s %9s %10s\n' "run" "seconds" "vs nowwhat"
printf '%-38s %9s %10s\n' "MD5 limit ($(awk -v r="$RATE" 'BEGIN{printf "%.2f", r/1e9}') GB/s/core)" "$LIMIT" "$(awk -v x="$LIMIT" -v n="$N" 'BEGIN{printf "%.2fx", x/n}')"
printf '%-38s %9s %10s\n' "nowwhat check --packages (best of 2)" "$N" "1.0x"
printf '%-38s %9s %10s\n' "debsums -s" "$D" "$(awk -v x="$D" -v n="$N" 'BEGIN{printf "%.1fx", x/n}')"
echo
echo "debsums -s reported $(grep -c . "$OUT/debsums.out" || true) lines; nowwhat: $(grep -c '"rule": "integrity.modified' "$OUT/nowwhat.json" || true) modified-file findings"
awk -v d="$D" -v n="$N" 'BEGIN{printf "nowwhat is %.1fx faster than debsums -s (goal: 20x)\n", d/n}'
