#!/usr/bin/env bash
# bench/memory.sh [N]: peak memory of nowwhat snapshot over a generated tree of N small files
# (default 500,000), to show that memory stays flat as the number of files grows.
set -euo pipefail
N=${1:-500000}
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/nowwhat-mem.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CGO_ENABLED=0 go build -o "$OUT/nowwhat" ./cmd/nowwhat
TREE="$OUT/tree"
mkdir -p "$TREE"
# N files in folders of 1,000, each with distinct small content
awk -v n="$N" -v t="$TREE" 'BEGIN{for(i=0;i<n;i+=1000){printf "%s/d%06d\n", t, i}}' | xargs mkdir -p
(cd "$TREE" && for d in d*; do (cd "$d" && seq 1 1000 | xargs -n 200 sh -c 'for i; do echo "$i $PWD" > "f$i"; done' _); done)
echo "tree: $(find "$TREE" -type f | wc -l) files"
for n in 1 2; do
	/usr/bin/time -f "%e s, peak %M KB" -o "$OUT/t" "$OUT/nowwhat" snapshot -q --root "$TREE" --include / -o "$OUT/s.snap"
	echo "nowwhat snapshot run $n: $(cat "$OUT/t")"
done
echo "snapshot file: $(du -h "$OUT/s.snap" | cut -f1)"
