#!/bin/sh
# Runs each tests/integration/NN-*.sh against the real binary. A script exits 0 when it passes,
# 77 when it cannot run here (counted as skipped, with its reason), anything else when it fails.
# Scripts see OE_BIN (the binary), OE_ROOT, OE_BUILD, OE_VECTORS and source lib.sh for helpers.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
OE_BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OE_ROOT=$root
case ${BUILD:-build} in /*) OE_BUILD=$BUILD ;; *) OE_BUILD=$root/${BUILD:-build} ;; esac
OE_VECTORS=${OE_VECTORS:-$root/tests/vectors}
export OE_BIN OE_ROOT OE_BUILD OE_VECTORS
shift
pass=0; fail=0; skip=0; n=0
scripts=$(ls "$root"/tests/integration/[0-9][0-9]-*.sh 2>/dev/null)
echo "1..$(echo "$scripts" | grep -c .)"
for s in $scripts; do
    name=$(basename "$s" .sh)
    if [ $# -gt 0 ] && ! echo "$name" | grep -q "$1"; then continue; fi
    n=$((n + 1))
    log=$(mktemp)
    start=$(date +%s)
    timeout -k 5 "${OE_IT_TIMEOUT:-300}" sh "$s" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); echo "ok $n - $name (${secs}s)"
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); echo "ok $n - $name # SKIP $(tail -n 1 "$log")"
    else
        fail=$((fail + 1)); echo "not ok $n - $name (exit $rc, ${secs}s)"
        sed 's/^/#   /' "$log" | tail -n 40
    fi
    rm -f "$log"
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
