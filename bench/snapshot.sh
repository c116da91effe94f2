#!/usr/bin/env bash
# bench/snapshot.sh [TREE]: nowwhat snapshot against its peers on the same tree, same run, warm cache.
#
#   the limit   one core's SHA-256 rate (Go standard library) x cores over the tree's bytes,
#               plus the time of a stat-only walk (nowwhat snapshot --no-hash)
#   sha256sum   find TREE -type f -print0 | xargs -0 -P2 -n 200 sha256sum
#   AIDE        aide --init and aide --check (sha256 + perms/owner/size/times/inode, num_workers=2)
#   nowwhat     nowwhat snapshot --root TREE --include / (full hashing), and again with --reuse
#
# Needs: go, aide (Debian package), GNU time. Prints seconds, peak memory and ratios.
set -euo pipefail
TREE=${1:-/usr}
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/nowwhat-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CORES=$(nproc)

CGO_ENABLED=0 go build -o "$OUT/nowwhat" ./cmd/nowwhat
RATE=$(go run ./bench/sha256rate)
FILES=$(find "$TREE" -xdev -type f | wc -l)
BYTES=$(find "$TREE" -xdev -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}')

echo "tree $TREE: $FILES files, $(awk -v b="$BYTES" 'BEGIN{printf "%.2f GB", b/1e9}'), $CORES cores"
echo "warming the page cache..."
tar -cf - "$TREE" 2>/dev/null | cat >/dev/null || true

# timed NAME CMD...: runs CMD, records "seconds peakKB cpu%" in $OUT/NAME
timed() {
	local name=$1
	shift
	if ! /usr/bin/time -f "%e %M %P" -o "$OUT/$name.time" "$@" >/dev/null 2>"$OUT/$name.err"; then
		case $name in aide_check) ;; *) echo "$name failed:" >&2; cat "$OUT/$name.err" >&2 ;; esac
	fi
	tail -1 "$OUT/$name.time" >"$OUT/res.$name"
}
secs() { awk '{print $1}' "$OUT/res.$1"; }
mem() { awk '{printf "%d MB", $2/1024}' "$OUT/res.$1"; }
cpu() { awk '{print $3}' "$OUT/res.$1"; }

timed walk "$OUT/nowwhat" snapshot -q --root "$TREE" --include / --no-hash -o "$OUT/walk.snap"
timed nowwhat "$OUT/nowwhat" snapshot -q --root "$TREE" --include / -o "$OUT/full.snap"
timed nowwhat2 "$OUT/nowwhat" snapshot -q --root "$TREE" --include / -o "$OUT/full2.snap"
timed reuse "$OUT/nowwhat" snapshot -q --root "$TREE" --include / --reuse "$OUT/full.snap" -o "$OUT/reuse.snap"
timed sha256sum bash -c "find '$TREE' -xdev -type f -print0 | xargs -0 -P$CORES -n 200 sha256sum"

cat >"$OUT/aide.conf" <<CONF
database_in=file:$OUT/aide.db
database_out=file:$OUT/aide.db.new
database_new=file:$OUT/aide.db.new
num_workers=$CORES
report_url=stdout
R = p+u+g+s+m+c+i+sha256
$TREE R
CONF
if command -v aide >/dev/null; then
	timed aide_init aide --init -c "$OUT/aide.conf"
	mv "$OUT/aide.db.new" "$OUT/aide.db" 2>/dev/null || true
	timed aide_check aide --check -c "$OUT/aide.conf"
else
	echo "aide not installed (apt-get install aide): skipped"
fi

best() { # the faster of two runs
	awk -v a="$(secs "$1")" -v b="$(secs "$2")" 'BEGIN{print (a<b)?a:b}'
}
NW=$(best nowwhat nowwhat2)
LIMIT=$(awk -v b="$BYTES" -v r="$RATE" -v c="$CORES" -v w="$(secs walk)" 'BEGIN{printf "%.2f", b/(r*c)+w}')
printf '\n%-34s %9s %10s %7s %14s\n' "run" "seconds" "peak mem" "cpu" "vs nowwhat"
row() { printf '%-34s %9s %10s %7s %14s\n' "$1" "$2" "$3" "$4" "$5"; }
ratio() { awk -v x="$1" -v n="$NW" 'BEGIN{printf "%.1fx", x/n}'; }
row "limit (sha256 $(awk -v r="$RATE" 'BEGIN{printf "%.2f", r/1e9}') GB/s/core + walk)" "$LIMIT" "-" "-" "$(ratio "$LIMIT")"
row "stat-only walk (--no-hash)" "$(secs walk)" "$(mem walk)" "$(cpu walk)" "$(ratio "$(secs walk)")"
row "nowwhat snapshot (best of 2)" "$NW" "$(mem nowwhat)" "$(cpu nowwhat)" "1.0x"
row "nowwhat snapshot --reuse" "$(secs reuse)" "$(mem reuse)" "$(cpu reuse)" "$(ratio "$(secs reuse)")"
row "find | xargs -P$CORES sha256sum" "$(secs sha256sum)" "$(mem sha256sum)" "$(cpu sha256sum)" "$(ratio "$(secs sha256sum)")"
if [ -f "$OUT/res.aide_init" ]; then
	row "aide --init" "$(secs aide_init)" "$(mem aide_init)" "$(cpu aide_init)" "$(ratio "$(secs aide_init)")"
	row "aide --check" "$(secs aide_check)" "$(mem aide_check)" "$(cpu aide_check)" "$(ratio "$(secs aide_check)")"
fi
awk -v n="$NW" -v l="$LIMIT" 'BEGIN{printf "\nnowwhat / limit = %.2f (goal: at most 1.5)\n", n/l}'
