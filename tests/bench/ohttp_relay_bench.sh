#!/bin/bash
# The OHTTP relay's added latency, in one run: `odoh-edge query --ohttp` straight to the gateway
# and through the relay, alternating, ROUNDS times each, on loopback.
#   one-in-flight  --count N1 --concurrency 1: the p50/p99 difference is the relay's added latency
#                  (one more TLS hop, pooled h2 to the gateway);
#   loaded         --count N --concurrency C: qps and p50/p99 with C in flight.
# Two odoh-edge instances, one worker each: the gateway (target + [ohttp-gateway], local-data
# only: no upstream in the measurement) and the relay. Medians of the rounds.
# Environment: ODOH_EDGE (binary), BENCH_N (3000), BENCH_N1 (500), BENCH_C (16), BENCH_ROUNDS (3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${ODOH_EDGE:-$ROOT/odoh-edge}
N=${BENCH_N:-3000}
N1=${BENCH_N1:-500}
C=${BENCH_C:-16}
ROUNDS=${BENCH_ROUNDS:-3}
. "$ROOT/tests/integration/odoh_lib.sh" # oe_odoh_conf
say() { printf '[ohttp_relay_bench] %s\n' "$*" >&2; }
[ -x "$BIN" ] || { say "no binary at $BIN"; exit 1; }
TMP=$(mktemp -d /tmp/oe-ohttp-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
. "$(dirname "$0")/bench_lib.sh"
port() { bench_port; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
gport=$(port); rport=$(port)
mkdir -p "$TMP/g" "$TMP/r"
{
    oe_odoh_conf target "$gport" 1 'global:log-level = warn' 'local-data = "b.gw.test. 60 IN A 198.51.100.9"'
    printf '[site "gateway"]\nhost = gateway.test\ncert = auto\n[ohttp-gateway]\nsite = gateway\n'
} >"$TMP/g/edge.conf"
(cd "$TMP/g" && exec "$BIN" -c edge.conf >log 2>&1) &
pids+=($!)
wait_port "$gport" || { say "gateway did not start"; exit 1; }
{
    printf '[global]\nworkers = 1\nstate-dir = state\nlog-level = warn\n'
    printf '[listen "https"]\naddress = 127.0.0.1:%s\n[site "relay"]\nhost = relay.test\ncert = auto\n' "$rport"
    printf '[ohttp-relay]\nsite = relay\ngateway = https://gateway.test:%s/.well-known/ohttp-gateway\n' "$gport"
    printf 'resolve = gateway.test=127.0.0.1\nca-file = %s\n' "$TMP/g/state/tls/ca.pem"
} >"$TMP/r/edge.conf"
(cd "$TMP/r" && exec "$BIN" -c edge.conf >log 2>&1) &
pids+=($!)
wait_port "$rport" || { say "relay did not start"; exit 1; }
cat "$TMP/g/state/tls/ca.pem" "$TMP/r/state/tls/ca.pem" >"$TMP/ca.pem"
q() { # q VIA COUNT CONC: one "queries ..." line
    local to=https://gateway.test:$gport/.well-known/ohttp-gateway
    [ "$1" = relay ] && to=https://relay.test:$rport/relay
    "$BIN" query b.gw.test A --target "https://target.test:$gport/dns-query" --ohttp "$to" \
        --ohttp-keys "https://gateway.test:$gport/ohttp-keys" --ca "$TMP/ca.pem" \
        --resolve "gateway.test:$gport:127.0.0.1" --resolve "relay.test:$rport:127.0.0.1" \
        --count "$2" --concurrency "$3"
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for shape in one loaded; do
    if [ $shape = one ]; then n=$N1 c=1; else n=$N c=$C; fi
    for via in direct relay; do : >"$TMP/$shape-$via"; done
    for _ in $(seq "$ROUNDS"); do
        for via in direct relay; do
            line=$(q $via "$n" "$c")
            echo "$line" | grep -q " failed 0 " || { say "$shape $via: $line"; exit 1; }
            echo "$line" >>"$TMP/$shape-$via"
        done
    done
    for via in direct relay; do
        printf '%-6s %-6s qps %8.0f  p50_ms %6.2f  p99_ms %6.2f   (%s queries, %s in flight, median of %s)\n' \
            "$shape" "$via" "$(field qps <"$TMP/$shape-$via" | median)" \
            "$(field p50_ms <"$TMP/$shape-$via" | median)" "$(field p99_ms <"$TMP/$shape-$via" | median)" "$n" "$c" "$ROUNDS"
    done
    awk -v a="$(field p50_ms <"$TMP/$shape-relay" | median)" -v b="$(field p50_ms <"$TMP/$shape-direct" | median)" \
        -v c="$(field p99_ms <"$TMP/$shape-relay" | median)" -v d="$(field p99_ms <"$TMP/$shape-direct" | median)" \
        -v s="$shape" 'BEGIN { printf "relay_added_p50_ms_%s %.2f\nrelay_added_p99_ms_%s %.2f\n", s, a - b, s, c - d }'
done
echo "loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
