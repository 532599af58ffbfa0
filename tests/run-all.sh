#!/bin/sh
# make test: unit tests, a short fuzz smoke run, integration tests, then the router targets in
# OE_CROSS under qemu-user (tests/cross/run.sh). Prints one closing line "N passed, N failed,
# N skipped" summing every stage. BUILD (build) and OE_BIN (./odoh-edge) come
# from make.
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
# Router builds (make test builds them): unit tests and a smoke run under qemu-user.
stages="$out/unit $out/fuzz $out/integration"
for t in ${OE_CROSS:-}; do
    echo "# router target $t"
    "$root/tests/cross/run.sh" "$t" "build/$t" "${OE_BIN:-$root/odoh-edge}" | tee "$out/cross-$t"
    stages="$stages $out/cross-$t"
done

# Each stage ends with "N passed, N failed" (the integration stage adds ", N skipped") after a
# TAP plan "1..N"; a stage whose results do not add up to its plan stopped early or miscounted.
p=0; f=0; k=0
for s in $stages; do
    stage=$(basename "$s")
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$s" | tail -n 1)
    if [ -z "$line" ]; then f=$((f + 1)); echo "# $stage stage printed no summary"; continue; fi
    sp=$(echo "$line" | cut -d' ' -f1)
    sf=$(echo "$line" | cut -d' ' -f3 | tr -d ,)
    sk=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped$/\1/p')
    p=$((p + sp)); f=$((f + sf)); k=$((k + ${sk:-0}))
    plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$s" | head -n 1)
    results=$(grep -cE '^(not )?ok [0-9]+ ' "$s")
    if [ "${plan:-x}" != "$results" ] || [ "$results" -ne $((sp + sf + ${sk:-0})) ]; then
        f=$((f + 1))
        echo "# $stage stage: plan 1..${plan:-?}, $results results, summary '$line': they disagree"
    fi
done
echo "$p passed, $f failed, $k skipped"
[ "$f" -eq 0 ]
