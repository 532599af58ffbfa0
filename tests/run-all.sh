#!/bin/sh
# make test: unit tests, a short fuzz smoke run, then integration tests. Prints one closing line
# "N passed, N failed" summing every stage. BUILD (build) and OE_BIN (./odoh-edge) come from make.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
build=${BUILD:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# unit tests"
"$build/unit-tests" | tee "$out/unit"
echo "# fuzz smoke runs"
"$root/tests/fuzz/smoke.sh" | tee "$out/fuzz"
echo "# integration tests"
"$root/tests/integration/run.sh" "${OE_BIN:-$root/odoh-edge}" | tee "$out/integration"

p=0; f=0
for s in "$out/unit" "$out/fuzz" "$out/integration"; do
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$s" | tail -n 1)
    if [ -z "$line" ]; then f=$((f + 1)); echo "# $(basename "$s") stage printed no summary"; continue; fi
    p=$((p + $(echo "$line" | cut -d' ' -f1)))
    f=$((f + $(echo "$line" | cut -d' ' -f3)))
done
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
