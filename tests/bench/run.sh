#!/bin/bash
# `make bench`: runs every benchmark that exists, one after the other, and prints its output:
#   - build/bench-* (the C programs from tests/bench/*.c, built by `make bench-build`);
#   - tests/bench/*_bench.sh (scripts, e.g. http_bench.sh: odoh-edge vs nginx).
# Benchmarks are not tests: nothing here is timed against a limit. A benchmark that fails is
# reported and the others still run; the exit status is 1 if any failed.
# BENCH_FILTER=REGEX runs only the benchmarks whose name matches.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
filter=${BENCH_FILTER:-.}
failed=()
ran=0
run_one() { # name command...
    local name=$1 rc start
    shift
    printf '%s\n' "$name" | grep -Eq -- "$filter" || return 0
    printf '\n==== %s ====\n' "$name"
    start=$(date +%s)
    "$@"
    rc=$?
    printf -- '---- %s: exit %d, %ds\n' "$name" "$rc" "$(($(date +%s) - start))"
    ran=$((ran + 1))
    [ "$rc" = 0 ] || failed+=("$name")
}
for b in "$BUILD"/bench-*; do
    if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
    run_one "$(basename "$b")" "$b"
done
for s in tests/bench/*_bench.sh; do
    [ -f "$s" ] || continue
    run_one "$(basename "$s")" bash "$s"
done
printf '\n%d benchmark(s) run, %d failed%s\n' "$ran" "${#failed[@]}" \
    "$([ ${#failed[@]} -gt 0 ] && printf ': %s' "${failed[*]}")"
[ ${#failed[@]} = 0 ]
