#!/usr/bin/env bash
# bench/collect.sh [ROOT]: a quick evidence collection (nowwhat collect --profile quick,
# encrypted to a throw-away age key, streamed to /dev/null) of ROOT (default /, this live host),
# against the physical limit: plain `tar | zstd -T0 | age` of exactly the host files the
# collection copied, in the same run, warm cache. nowwhat also takes a snapshot (hashing every
# file in scope), runs check, reads /proc and writes a bodyfile of the whole file system: the
# step times come from the archive's own collection.log.
# Needs age, zstd and tar (apt-get install age zstd tar); run as root for a full collection.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:-/}
OUT=$(mktemp -d /tmp/nowwhat-collectbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
for t in age age-keygen zstd tar; do command -v $t >/dev/null || { echo "$t not installed (apt-get install age zstd tar)"; exit 1; }; done
CGO_ENABLED=0 go build -o "$OUT/nowwhat" ./cmd/nowwhat
age-keygen -o "$OUT/key" 2>"$OUT/pub"
PUB=$(grep -o 'age1[0-9a-z]*' "$OUT/pub")
echo "root $ROOT, $(nproc) cores; warming the cache with a first run..."
"$OUT/nowwhat" collect --root "$ROOT" -q -o "$OUT/a.tar.zst.age" -r "$PUB" --exclude "$OUT" 2>/dev/null || true

/usr/bin/time -f "%e %M %P" -o "$OUT/nw.time" "$OUT/nowwhat" collect --root "$ROOT" -q -o - -r "$PUB" --exclude "$OUT" 2>"$OUT/nw.err" >/dev/null || true
age -d -i "$OUT/key" "$OUT/a.tar.zst.age" | zstd -dc | tar -x -C "$OUT" manifest.json collection.log
# The host files the collection copied (regular files, not /proc), relative to ROOT.
python3 - "$OUT/manifest.json" "$ROOT" >"$OUT/list" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for it in m["items"]:
    if it["how"] in ("copied", "truncated") and it.get("path") and not it["path"].startswith("/proc/"):
        print(it["path"].lstrip("/"))
EOF
FILES=$(wc -l <"$OUT/list")
BYTES=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(sum(i["size"] for i in m["items"] if i["how"] in ("copied","truncated") and i.get("path") and not i["path"].startswith("/proc/")))' "$OUT/manifest.json")
ALL=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(len(m["items"]), sum(i["size"] for i in m["items"]))' "$OUT/manifest.json")
/usr/bin/time -f "%e %M %P" -o "$OUT/tar.time" sh -c 'tar -C "$1" --no-recursion -cf - -T "$2" 2>/dev/null | zstd -T0 -3 -q | age -r "$3" >/dev/null' sh "$ROOT" "$OUT/list" "$PUB" || true

N=$(awk '{print $1}' "$OUT/nw.time" | tail -1); NM=$(awk '{print $2}' "$OUT/nw.time" | tail -1)
T=$(awk '{print $1}' "$OUT/tar.time" | tail -1)
echo
echo "archive: $(echo $ALL | awk '{printf "%d items, %.1f MB of content", $1, $2/1e6}'); host files copied: $FILES, $(awk -v b="$BYTES" 'BEGIN{printf "%.1f MB", b/1e6}')"
printf '%-58s %9s %10s\n' "run" "seconds" "peak MB"
printf '%-58s %9s %10s\n' "nowwhat collect (quick, encrypted, whole run)" "$N" "$(awk -v k="$NM" 'BEGIN{printf "%.0f", k/1024}')"
printf '%-58s %9s %10s\n' "tar | zstd -T0 | age of the same host files (copy limit)" "$T" ""
echo
echo "nowwhat's steps (from collection.log):"
grep -o 'step .*' "$OUT/collection.log" | sed 's/^/  /'
