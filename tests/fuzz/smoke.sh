#!/bin/sh
# A bounded fuzz run of every target, for make test: each target replays its seed corpus and then
# runs OE_FUZZ_RUNS fresh inputs (default 20000), at most OE_FUZZ_SECONDS seconds (default 20).
# Longer campaigns: build/fuzz/fuzz-NAME -max_total_time=600 tests/fuzz/corpus/NAME
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${BUILD:-build}
runs=${OE_FUZZ_RUNS:-20000}
secs=${OE_FUZZ_SECONDS:-20}
pass=0; fail=0; n=0
targets=$(ls "$build"/fuzz/fuzz-* 2>/dev/null)
# No targets means make fuzz did not run or failed: a stage that checked nothing is not a pass.
if [ -z "$targets" ]; then
    echo "1..1"
    echo "not ok 1 - no fuzz targets in $build/fuzz (make fuzz)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1..$(echo "$targets" | grep -c .)"
for t in $targets; do
    name=${t##*/fuzz-}
    n=$((n + 1))
    work=$(mktemp -d)
    [ -d "$root/tests/fuzz/corpus/$name" ] && cp -R "$root/tests/fuzz/corpus/$name/." "$work/"
    dict=
    [ -f "$root/tests/fuzz/$name.dict" ] && dict="-dict=$root/tests/fuzz/$name.dict"
    log=$(mktemp)
    if "$t" $dict -runs="$runs" -max_total_time="$secs" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 "$work" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "ok $n - fuzz $name ($(grep -o 'Done [0-9]* runs' "$log" | cut -d' ' -f2) runs)"
    else
        fail=$((fail + 1))
        echo "not ok $n - fuzz $name"
        tail -n 30 "$log" | sed 's/^/#   /'
    fi
    rm -rf "$work" "$log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
