#!/bin/sh
# Runs each tests/integration/NN-*.sh against the real binary. A script exits 0 when it passes,
# 77 when it cannot run here (counted as skipped, with its reason), anything else when it fails.
# Scripts see OE_BIN (the binary), OE_ROOT, OE_BUILD, OE_VECTORS and source lib.sh for helpers.
#
#   tests/integration/run.sh ./odoh-edge [PATTERN]   only the scripts whose name matches PATTERN
#
# Under CI (CI=true) a skip is a failure: make test installs everything the scripts need, so a
# script that skips there has stopped guarding what it exists to guard, and nobody would see it.
# A script that may honestly skip in CI is listed in ci_may_skip below, with the reason.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
OE_BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OE_ROOT=$root
case ${BUILD:-build} in /*) OE_BUILD=$BUILD ;; *) OE_BUILD=$root/${BUILD:-build} ;; esac
OE_VECTORS=${OE_VECTORS:-$root/tests/vectors}
export OE_BIN OE_ROOT OE_BUILD OE_VECTORS
shift

# One "NAME: reason" a line. Empty: on a machine that ran tests/deps.sh no script skips.
ci_may_skip=''

pass=0; fail=0; skip=0; n=0
scripts=
for s in "$root"/tests/integration/[0-9][0-9]-*.sh; do
    [ -f "$s" ] || continue
    if [ $# -gt 0 ] && ! basename "$s" .sh | grep -q -e "$1"; then continue; fi
    scripts="$scripts $s"
done
# The plan counts what will run, so a filtered run is a valid TAP stream too.
echo "1..$(echo $scripts | wc -w)"
for s in $scripts; do
    name=$(basename "$s" .sh)
    n=$((n + 1))
    log=$(mktemp)
    start=$(date +%s)
    timeout -k 5 "${OE_IT_TIMEOUT:-300}" sh "$s" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    why=$(tail -n 1 "$log")
    if [ $rc -eq 77 ] && [ "${why#SKIP: }" = "$why" ]; then
        rc="77 without calling skip" # some command's own status 77, with no reason: a failure
    fi
    if [ "$rc" = 77 ] && [ "${CI:-}" = true ] &&
        ! printf '%s\n' "$ci_may_skip" | grep -q "^$name:"; then
        fail=$((fail + 1))
        echo "not ok $n - $name (skipped under CI=true, which counts as a failure: ${why#SKIP: })"
    elif [ "$rc" = 0 ]; then
        pass=$((pass + 1)); echo "ok $n - $name (${secs}s)"
    elif [ "$rc" = 77 ]; then
        skip=$((skip + 1)); echo "ok $n - $name # SKIP ${why#SKIP: }"
    else
        fail=$((fail + 1)); echo "not ok $n - $name (exit $rc, ${secs}s)"
        sed 's/^/#   /' "$log" | tail -n 40
    fi
    rm -f "$log"
done
echo "$pass passed, $fail failed, $skip skipped"
# A pattern that matches nothing ran nothing: that is a mistake, not a pass.
[ $n -gt 0 ] || { echo "# no script matches '${1:-}'"; exit 1; }
[ $fail -eq 0 ]
