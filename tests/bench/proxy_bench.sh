#!/bin/bash
# The ODoH proxy's cost, in one run (issue 7): the same load generator straight to a target and
# through a proxy, alternating, on loopback.
#
#   tests/bench/proxy_bench.sh           (`make bench` runs it through run.sh; not in make test)
#
# Two odoh-edge instances, one worker each (so "per core" means per worker): a target
# (target.test, local-data only: no upstream in the measurement) and a proxy (proxy.test, allowed
# to relay to that target). Three load shapes:
#   query-C     odoh-edge query --count N --concurrency C: the client seals every query itself
#               (HPKE on one thread), posts it (h2, one connection), opens the answer. qps, p50
#               and p99 direct and through the proxy, median of ROUNDS runs each.
#   query-1     the same with one query in flight: the proxy's added latency (p50 difference).
#   h2load      h2load -t 1 -c 4 -m 16 replaying one sealed query (tests/node/odoh-proxy-client.mjs
#               --emit-query): the target opens and seals every one afresh; the client does no
#               crypto, so the servers are the limit. Direct and through the proxy.
# For every run the CPU time of each process is read (/proc/PID/task/*/schedstat for the
# servers, `times` for the client): CPU% of wall time says who is the bottleneck, and queries per CPU-second of
# the proxy's process is its throughput per core (a machine with more cores gives the proxy
# more workers). Summary on stdout and in build/bench/proxy_bench.txt.
#
# Environment: ODOH_EDGE (binary, default ./odoh-edge), BENCH_N (4000), BENCH_C (32),
# BENCH_ROUNDS (3), BENCH_H2LOAD_N (20000), BENCH_OUT, BENCH_KEEP=1 keeps the temporary folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${ODOH_EDGE:-$ROOT/odoh-edge}
N=${BENCH_N:-4000}
C=${BENCH_C:-32}
ROUNDS=${BENCH_ROUNDS:-3}
HN=${BENCH_H2LOAD_N:-20000}
OUT=${BENCH_OUT:-$ROOT/build/bench/proxy_bench.txt}
PY=/usr/bin/python3
. "$ROOT/tests/integration/odoh_lib.sh"   # oe_odoh_conf, oe_odoh_proxy_conf

say() { printf '[proxy_bench] %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (make, or set ODOH_EDGE)"

TMP=$(mktemp -d /tmp/oe-proxy-bench-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${BENCH_KEEP:-}" ] && say "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_tcp() {
    for _ in $(seq 200); do
        $PY -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# cpu PID: seconds on CPU of all the process's threads (schedstat: nanoseconds, finer than the
# 10 ms ticks of /proc/PID/stat; the worker threads live as long as the process).
cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.6f\n", s / 1e9 }'; }
med() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

cd "$TMP"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
tport=$(port); pport=$(port)
mkdir t p
bench_conf=('global:log-level = warn' 'listen:max-streams = 256')
oe_odoh_conf target "$tport" 1 "${bench_conf[@]}" 'local-data = "bench.test. 60 IN A 192.0.2.77"' >t/edge.conf
oe_odoh_proxy_conf "$pport" 1 "$tport" "$TMP/t/state/tls/ca.pem" "${bench_conf[@]}" >p/edge.conf
"$BIN" -c t/edge.conf >t.log 2>&1 &
tpid=$!; PIDS+=("$tpid")
wait_tcp "$tport" || die "target did not start: $(cat t.log)"
"$BIN" -c p/edge.conf >p.log 2>&1 &
ppid=$!; PIDS+=("$ppid")
wait_tcp "$pport" || die "proxy did not start: $(cat p.log)"
cat p/state/tls/ca.pem t/state/tls/ca.pem >ca.pem
turl=https://target.test:$tport/dns-query
purl=https://proxy.test:$pport/proxy
RES=(--resolve "target.test:$tport:127.0.0.1" --resolve "proxy.test:$pport:127.0.0.1")
configs=$(curl -sS --cacert t/state/tls/ca.pem --resolve "target.test:$tport:127.0.0.1" \
    "https://target.test:$tport/.well-known/odohconfigs" | xxd -p | tr -d '\n')
[ -n "$configs" ] || die "cannot fetch the target's configs"

# run_query MODE(direct|proxy) N C: one load run; prints
#   "qps p50 p99 client_cpu% target_cpu% proxy_cpu% target_cpu_s proxy_cpu_s ok client_cpu_s"
run_query() {
    local mode=$1 n=$2 c=$3 via=()
    [ "$mode" = proxy ] && via=(--proxy "$purl")
    local t0 p0 t1 p1 w0 w1
    t0=$(cpu "$tpid"); p0=$(cpu "$ppid"); w0=$(date +%s.%N)
    bash -c '"$@" >q.out 2>q.err; rc=$?; times >q.times; exit $rc' _ \
        "$BIN" query bench.test A --target "$turl" "${via[@]}" --ca ca.pem "${RES[@]}" \
        --configs "$configs" --count "$n" --concurrency "$c" || die "query run failed: $(cat q.out q.err)"
    w1=$(date +%s.%N); t1=$(cpu "$tpid"); p1=$(cpu "$ppid")
    # `times` line 2: the children's user and system time, e.g. "0m1.234s 0m0.100s"
    local ccpu
    ccpu=$(sed -n 2p q.times | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }')
    awk -v w="$(echo "$w1 - $w0" | bc -l)" -v cc="$ccpu" -v t="$(echo "$t1 - $t0" | bc -l)" \
        -v p="$(echo "$p1 - $p0" | bc -l)" \
        '{ printf "%s %s %s %.0f %.0f %.0f %.3f %.3f %s %.3f\n", $10, $12, $14, 100*cc/w, 100*t/w, 100*p/w, t, p, $4, cc }' q.out
}

# run_h2load URL AUTHORITY: prints "rps target_cpu% proxy_cpu% target_cpu_s proxy_cpu_s succeeded"
run_h2load() {
    local t0 p0 t1 p1 w0 w1
    t0=$(cpu "$tpid"); p0=$(cpu "$ppid"); w0=$(date +%s.%N)
    h2load -t 1 -c 4 -m 16 -n "$HN" -d query.bin -H ":authority: $2" \
        -H 'content-type: application/oblivious-dns-message' -H 'accept: application/oblivious-dns-message' \
        "$1" >h2load.out 2>&1 || die "h2load: $(tail -n 5 h2load.out)"
    w1=$(date +%s.%N); t1=$(cpu "$tpid"); p1=$(cpu "$ppid")
    local rps ok w
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' h2load.out)
    ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' h2load.out)
    w=$(echo "$w1 - $w0" | bc -l)
    awk -v r="$rps" -v w="$w" -v t="$(echo "$t1 - $t0" | bc -l)" -v p="$(echo "$p1 - $p0" | bc -l)" -v ok="$ok" \
        'BEGIN { printf "%s %.0f %.0f %.3f %.3f %s\n", r, 100*t/w, 100*p/w, t, p, ok }'
}

say "warm-up"
run_query direct 200 8 >/dev/null
run_query proxy 200 8 >/dev/null

: >d.runs; : >p.runs; : >d1.runs; : >p1.runs
for r in $(seq "$ROUNDS"); do
    say "round $r/$ROUNDS: query --count $N --concurrency $C, direct then via proxy; then --concurrency 1"
    run_query direct "$N" "$C" >>d.runs
    run_query proxy "$N" "$C" >>p.runs
    run_query direct $((N / 8)) 1 >>d1.runs
    run_query proxy $((N / 8)) 1 >>p1.runs
done
col() { awk -v c="$2" '{ print $c }' "$1" | med; }
# us FILE COL: CPU microseconds per query (column COL seconds / queries of that run, column 9)
us() { awk -v c="$2" '{ if ($9 > 0) printf "%.0f\n", 1e6 * $c / $9 }' "$1" | med; }

# h2load with one sealed query (the Node client seals it; its crypto is not odoh-edge's)
h2=
if command -v h2load >/dev/null && command -v node >/dev/null && [ -d "$ROOT/tests/node/node_modules/@hpke/core" ]; then
    (cd "$ROOT/tests/node" && node odoh-proxy-client.mjs --target-host target.test --target-port "$tport" \
        --target-ca "$TMP/t/state/tls/ca.pem" --proxy-host proxy.test --proxy-port "$pport" \
        --proxy-ca "$TMP/p/state/tls/ca.pem" --name bench.test --emit-query "$TMP/query.bin") >/dev/null ||
        die "cannot seal a query for h2load"
    : >hd.runs; : >hp.runs
    for r in $(seq "$ROUNDS"); do
        say "round $r/$ROUNDS: h2load -n $HN, direct then via proxy"
        run_h2load "https://127.0.0.1:$tport/dns-query" "target.test:$tport" >>hd.runs
        run_h2load "https://127.0.0.1:$pport/proxy?targethost=target.test:$tport&targetpath=/dns-query" "proxy.test:$pport" >>hp.runs
    done
    h2=1
else
    say "h2load, node or @hpke/core missing: no h2load figures"
fi

mkdir -p "$(dirname "$OUT")"
{
    echo "proxy_bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $("$BIN" version 2>/dev/null | head -n 1)"
    echo "target and proxy: 1 worker each; target answers local-data; medians of $ROUNDS rounds"
    echo "load average at the start: $LOAD0 (other processes share the cores: rates are what this run got;"
    echo "CPU microseconds per query do not depend on that)"
    echo
    printf '%-34s %9s %8s %8s %7s %7s %7s   %s\n' "load (odoh-edge query)" qps p50_ms p99_ms client% target% proxy% "CPU us/query: client target proxy"
    for m in d p d1 p1; do
        case $m in
            d) l="direct, concurrency $C" ;; p) l="via proxy, concurrency $C" ;;
            d1) l="direct, concurrency 1" ;; p1) l="via proxy, concurrency 1" ;;
        esac
        printf '%-34s %9s %8s %8s %7s %7s %7s   %6s %6s %6s\n' "$l" "$(col $m.runs 1)" "$(col $m.runs 2)" "$(col $m.runs 3)" \
            "$(col $m.runs 4)" "$(col $m.runs 5)" "$(col $m.runs 6)" "$(us $m.runs 10)" "$(us $m.runs 7)" "$(us $m.runs 8)"
    done
    awk '$9 != ok' ok="$N" d.runs p.runs | grep -q . && echo "WARNING: some runs had failed queries"
    echo
    added1=$(echo "$(col p1.runs 2) - $(col d1.runs 2)" | bc -l)
    addedc=$(echo "$(col p.runs 2) - $(col d.runs 2)" | bc -l)
    printf 'proxy added latency (p50): %.2f ms at concurrency 1, %.2f ms at concurrency %s\n' "$added1" "$addedc" "$C"
    printf 'throughput via proxy / direct (odoh-edge query): %.2f\n' "$(echo "$(col p.runs 1) / $(col d.runs 1)" | bc -l)"
    # queries per CPU-second of each server process, from the concurrency-C runs
    qpc() { awk -v n="$N" -v c="$2" '{ if ($c > 0) print n / $c }' "$1" | med; }
    printf 'proxy throughput per core: %.0f queries per CPU-second of the proxy (target: %.0f per CPU-second)\n' \
        "$(qpc p.runs 8)" "$(qpc p.runs 7)"
    if [ -n "$h2" ]; then
        echo
        printf '%-34s %9s %7s %7s\n' "load (h2load -c 4 -m 16, 1 query)" req/s target% proxy%
        printf '%-34s %9s %7s %7s\n' "direct" "$(col hd.runs 1)" "$(col hd.runs 2)" "$(col hd.runs 3)"
        printf '%-34s %9s %7s %7s\n' "via proxy" "$(col hp.runs 1)" "$(col hp.runs 2)" "$(col hp.runs 3)"
        awk '$6 != n' n="$HN" hd.runs hp.runs | grep -q . && echo "WARNING: some h2load requests were not 2xx: $(cat hd.runs hp.runs)"
        qph() { awk -v n="$HN" -v c="$2" '{ if ($c > 0) print n / $c }' "$1" | med; }
        printf 'h2load: via proxy / direct %.2f; proxy %.0f req per CPU-second, target %.0f (direct) / %.0f (via proxy)\n' \
            "$(echo "$(col hp.runs 1) / $(col hd.runs 1)" | bc -l)" "$(qph hp.runs 5)" "$(qph hd.runs 4)" "$(qph hp.runs 4)"
        printf 'h2load CPU us/request: target %.0f direct, %.0f via proxy; proxy %.0f\n' \
            "$(echo "1000000 / $(qph hd.runs 4)" | bc -l)" "$(echo "1000000 / $(qph hp.runs 4)" | bc -l)" "$(echo "1000000 / $(qph hp.runs 5)" | bc -l)"
    fi
    echo
    # Capacity of each process on one core of its own = 1e6 / (CPU us per query): the smallest is
    # the bottleneck of the query-C shape.
    cu=$(us p.runs 10); tu=$(us p.runs 7); pu=$(us p.runs 8)
    printf 'one core each (via proxy, concurrency %s): client %.0f q/s, target %.0f q/s, proxy %.0f q/s -> bottleneck: %s\n' \
        "$C" "$(echo "1000000 / $cu" | bc -l)" "$(echo "1000000 / $tu" | bc -l)" "$(echo "1000000 / $pu" | bc -l)" \
        "$(printf 'client %s\ntarget %s\nproxy %s\n' "$cu" "$tu" "$pu" | sort -k2 -g | tail -n 1 | cut -d' ' -f1)"
    echo "(the client seals and opens every query with HPKE on one thread; with h2load the client does"
    echo "no crypto. A process near 100% in the % columns was saturated during the run.)"
} | tee "$OUT"
