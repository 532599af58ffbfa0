#!/bin/bash
# A/B of two odoh-edge binaries on the crypto costs of issue 17: server CPU per full TLS 1.3
# handshake, per resumed one, and per MiB of an HTTP/2 download. One worker pinned to CPU 0, the
# clients pinned to CPU 1; rounds alternate A and B so that other load on a shared machine hits
# both alike. CPU is the server process's utime+stime from /proc, divided by the work done.
#
#   tests/bench/crypto_ab.sh A_BINARY B_BINARY      (ROUNDS=3, CONNS=1500, MIB=200)
#
# Either binary may be the word "nginx": nginx with one worker (pinned the same way), TLS 1.3,
# HTTP/2, the same certificate and files, access_log off; its worker's CPU is what counts.
#
# Full handshakes: `openssl s_time -new` (one request of /4k.bin per connection, ALPN none);
# resumed: `openssl s_time -reuse` (TLS 1.3 tickets); download: h2load -c 4 -m 1 over h2.
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
A=${1:?A binary}
B=${2:?B binary}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-1500}
MIB=${MIB:-200}
T=$(mktemp -d /tmp/oe-crypto-ab.XXXXXX)
PID=
MASTER=
cleanup() {
    [ -n "$MASTER" ] && kill "$MASTER" 2>/dev/null && wait "$MASTER" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/www" "$T/state"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
head -c 1048576 /dev/urandom >"$T/www/1m.bin"
bench_cert "$T" bench.test
PORT=$(bench_port)
bench_edge_conf "$T/conf" "$T" "$PORT" 1
cat >"$T/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    default_type application/octet-stream;
    sendfile off;
    server {
        listen 127.0.0.1:$PORT ssl http2;
        server_name bench.test;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        ssl_protocols TLSv1.3;
        root $T/www;
    }
}
EOF
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
start() {
    if [ "$1" = nginx ]; then
        taskset -c 0 "$(command -v nginx || echo /usr/sbin/nginx)" -p "$T" -c "$T/nginx.conf" \
            >"$T/log" 2>&1 &
    else
        taskset -c 0 "$1" -c "$T/conf" >"$T/log" 2>&1 &
    fi
    MASTER=$!
    for _ in $(seq 100); do
        if timeout 2 openssl s_client -connect 127.0.0.1:$PORT -servername bench.test </dev/null \
            >/dev/null 2>&1; then
            PID=$MASTER
            if [ "$1" = nginx ]; then PID=$(pgrep -P "$MASTER" | head -n1); fi
            return 0
        fi
        sleep 0.1
    done
    echo "server did not start: $(cat "$T/log")" >&2
    exit 1
}
stop() {
    kill "$MASTER"
    wait "$MASTER" 2>/dev/null || true
    PID=
    MASTER=
}
# measure KIND -> prints microseconds of server CPU per unit
measure() {
    local t0 t1 n
    t0=$(cpu_ticks)
    case $1 in
    full | resumed)
        local flag=-new
        [ "$1" = resumed ] && flag=-reuse
        n=0
        # s_time runs for a time, not a count: run it until CONNS connections are done.
        while [ "$n" -lt "$CONNS" ]; do
            got=$(taskset -c 1 openssl s_time -connect 127.0.0.1:$PORT -www /4k.bin $flag \
                -time 2 -tls1_3 2>/dev/null | sed -n 's/^\([0-9]*\) connections in.*/\1/p' | tail -n1)
            [ -n "$got" ] && [ "$got" -gt 0 ] || { echo "s_time failed" >&2; exit 1; }
            n=$((n + got))
        done
        ;;
    mib)
        taskset -c 1 h2load -c 4 -m 1 -n "$MIB" --tls13-ciphers=TLS_AES_128_GCM_SHA256 \
            "https://127.0.0.1:$PORT/1m.bin" -H ':authority: bench.test' >"$T/h2load" 2>&1
        grep -q "status codes: $MIB 2xx" "$T/h2load" || { cat "$T/h2load" >&2; exit 1; }
        n=$MIB
        ;;
    esac
    t1=$(cpu_ticks)
    echo "$(((t1 - t0) * 1000000 / hz / n))"
}
declare -A sum
for r in $(seq "$ROUNDS"); do
    for side in A B; do
        bin=$A
        [ $side = B ] && bin=$B
        start "$bin"
        for k in full resumed mib; do
            v=$(measure $k)
            echo "round $r $side $k ${v}us"
            sum[$side$k]=$((${sum[$side$k]:-0} + v))
        done
        stop
    done
done
for k in full resumed mib; do
    a=$((${sum[A$k]} / ROUNDS))
    b=$((${sum[B$k]} / ROUNDS))
    unit="us/handshake"
    [ $k = mib ] && unit="us/MiB"
    echo "$k A=$a B=$b $unit B/A=$(awk -v a=$a -v b=$b 'BEGIN { printf "%.2f", b / a }')"
done
