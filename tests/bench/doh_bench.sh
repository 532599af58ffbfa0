#!/bin/bash
# DoH (RFC 8484) through odoh-edge in front of unbound vs unbound's own DoH, on the same cores
# (issue 17). One unbound (1 thread, local data only) answers plain DNS for odoh-edge and DoH on
# its own https-port; h2load GETs /dns-query?dns=<www.it.test A> over h2 and TLS 1.3
# AES-128-GCM with the same ECDSA P-256 certificate from both.
#   pinned (default): unbound and odoh-edge (1 worker) on core 0, h2load on core 1: unbound's
#     DoH gets the core to itself, odoh-edge shares it with the unbound behind it;
# Rounds alternate; medians. Prints q/s and CPU per query (odoh-edge + unbound, from /proc),
# and odoh-edge/unbound (issue 17's goal: >= 0.8).
#   tests/bench/doh_bench.sh          (as root; about 40 s; BENCH_ROUNDS (3), BENCH_SECONDS (3))
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OE_ROOT=$ROOT
OE_TMP=$(mktemp -d /tmp/oe-doh-bench.XXXXXX)
. "$ROOT/tests/integration/unbound_lib.sh"
ODOH_EDGE=${ODOH_EDGE:-$ROOT/odoh-edge}
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-3}
PY=/usr/bin/python3
TCK=$(getconf CLK_TCK)
say() { printf '[doh_bench] %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
skip() { echo "doh_bench: skipped: $*"; exit 0; }
command -v h2load >/dev/null || skip "h2load (nghttp2-client) is not installed"
[ "$(nproc)" -ge 2 ] || skip "needs 2 cores"
oe_unbound_need
unbound -V 2>/dev/null | grep -q -- '--with-libnghttp2' || skip "this unbound has no DoH (nghttp2)"
[ -x "$ODOH_EDGE" ] || die "$ODOH_EDGE is missing"
OE_PID=
UB_PID=
cleanup() {
    [ -z "$OE_PID" ] || kill "$OE_PID" 2>/dev/null || true
    [ -z "$UB_PID" ] || kill "$UB_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $OE_TMP"; else rm -rf "$OE_TMP"; fi
}
trap cleanup EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(port)
DOHP=$(port)
OEP=$(port)
bench_cert "$OE_TMP" doh.test || die "openssl req"
# unbound: plain DNS on UP (odoh-edge's upstream) and DoH on DOHP, one thread.
cat >"$OE_TMP/unbound.conf" <<EOC
server:
    interface: 127.0.0.1@$UP
    interface: 127.0.0.1@$DOHP
    https-port: $DOHP
    http-endpoint: "/dns-query"
    http-notls-downstream: no
    tls-service-key: "$OE_TMP/key.pem"
    tls-service-pem: "$OE_TMP/cert.pem"
    do-ip6: no
    do-not-query-localhost: no
    chroot: ""
    username: ""
    directory: "$OE_TMP"
    pidfile: "$OE_TMP/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    minimal-responses: yes
    incoming-num-tcp: 256
    http-max-streams: 100
    local-zone: "it.test." static
    local-data: "it.test. 3600 IN SOA ns.it.test. admin.it.test. 1 3600 600 86400 300"
    local-data: "www.it.test. 300 IN A 192.0.2.10"
EOC
taskset -c 0 unbound -d -c "$OE_TMP/unbound.conf" >"$OE_TMP/unbound.out" 2>&1 &
UB_PID=$!
cat >"$OE_TMP/edge.conf" <<EOC
[global]
workers = 1
state-dir = $OE_TMP/state
log-level = warn
[listen "https"]
address = 127.0.0.1:$OEP
max-connections = 20000
[site "doh"]
host = doh.test
cert = $OE_TMP/cert.pem
key = $OE_TMP/key.pem
[odoh-target]
site = doh
upstream = 127.0.0.1:$UP
EOC
mkdir -p "$OE_TMP/state"
taskset -c 0 "$ODOH_EDGE" -c "$OE_TMP/edge.conf" >"$OE_TMP/edge.log" 2>&1 &
OE_PID=$!
# www.it.test A, id 0, RD (RFC 8484 §4.1: id 0 for GET caching), base64url without padding.
Q=$("$PY" -c 'import base64; q=bytes.fromhex("000001000001000000000000")+b"\x03www\x02it\x04test\x00"+b"\x00\x01\x00\x01"; print(base64.urlsafe_b64encode(q).decode().rstrip("="))')
for p in "$OEP" "$DOHP"; do
    for _ in $(seq 100); do
        curl -sf --http2 --cacert "$OE_TMP/cert.pem" --resolve "doh.test:$p:127.0.0.1" \
            -o "$OE_TMP/answer" "https://doh.test:$p/dns-query?dns=$Q" 2>/dev/null && break
        sleep 0.1
    done
    # The answer carries 192.0.2.10.
    od -An -tx1 "$OE_TMP/answer" 2>/dev/null | tr -d ' \n' | grep -q c000020a ||
        die "no DoH answer on port $p: $(cat "$OE_TMP/edge.log" "$OE_TMP/unbound.out")"
done
ticks() { local s=0 p; for p in "$@"; do s=$((s + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done; echo "$s"; }
run() { # name port pids... -> "q/s us/query"
    local name=$1 p=$2 t0 t1 log=$OE_TMP/h2load-$1.log succ rps
    shift 2
    t0=$(ticks "$@")
    timeout $((SECS + 60)) taskset -c 1 h2load -t 1 -c 32 -m 10 -D "$SECS" \
        --tls13-ciphers=TLS_AES_128_GCM_SHA256 --connect-to="127.0.0.1:$p" \
        "https://doh.test:$p/dns-query?dns=$Q" >"$log" 2>&1 || true
    t1=$(ticks "$@")
    succ=$(sed -n 's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1 \2/p' "$log")
    [ -n "$succ" ] && [ "${succ#* }" = 0 ] && [ "${succ% *}" -gt 0 ] || { sed 's/^/    /' "$log" >&2; die "h2load against $name"; }
    grep -q 'Application protocol: h2' "$log" || die "$name: not h2"
    rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log")
    echo "$rps $(awk -v t=$((t1 - t0)) -v k="$TCK" -v d="${succ% *}" 'BEGIN {printf "%.2f", t * 1e6 / k / d}')"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
declare -A R=() C=()
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="odoh-edge unbound"; else order="unbound odoh-edge"; fi
    for s in $order; do
        if [ "$s" = odoh-edge ]; then read -r v c < <(run "$s" "$OEP" "$OE_PID" "$UB_PID")
        else read -r v c < <(run "$s" "$DOHP" "$UB_PID"); fi
        R[$s]="${R[$s]:-} $v"
        C[$s]="${C[$s]:-} $c"
        say "round $r: $s $v q/s, $c us CPU per query"
    done
done
# shellcheck disable=SC2086
{ oq=$(median ${R[odoh-edge]}); uq=$(median ${R[unbound]}); oc=$(median ${C[odoh-edge]}); uc=$(median ${C[unbound]}); }
echo "doh pinned (core 0: server(s), core 1: h2load -c 32 -m 10 GET): odoh-edge+unbound=$oq q/s ($oc us CPU) unbound-native=$uq q/s ($uc us CPU) ratio=$(awk -v a="$oq" -v b="$uq" 'BEGIN {printf "%.2f", a / b}') cpu-ratio=$(awk -v a="$oc" -v b="$uc" 'BEGIN {printf "%.2f", a / b}') runs odoh-edge=[${R[odoh-edge]# }] unbound=[${R[unbound]# }]"
