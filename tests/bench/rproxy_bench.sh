#!/bin/bash
# odoh-edge's reverse proxy vs nginx proxy_pass, to the same fast backend, in one run (issue 18).
#
#   tests/bench/rproxy_bench.sh          (as root; `make bench` runs it through run.sh)
#
# The backend is a separate nginx (1 worker, plain HTTP/1.1 on 127.0.0.1) answering /small.txt
# (64 bytes) from memory-cached disk. In front of it, on free 127.0.0.1 ports, with the same ECDSA
# P-256 certificate for bench.test, 2 workers each, TLS 1.3, h2:
#   odoh-edge   [site] backend = http://127.0.0.1:BACKEND (pooled keep-alive, its default)
#   nginx       proxy_pass to an upstream with keepalive 256 (as many idle connections per
#               worker as odoh-edge keeps), proxy_http_version 1.1 and Connection "" (nginx's
#               documented way to pool upstream connections)
# h2load (-t 1) alternates between them, three rounds, medians:
#   proxied-rps  h2load -c 32 -m 10 -n N /small.txt          requests/s (higher is better)
#   p50-ms       h2load -c 1 -m 1 -n L --log-file: the median time of a request, one at a time on
#                one connection (lower is better); also for the backend alone (plain HTTP/1.1
#                through h2load's h1 mode), so the summary shows what each proxy adds.
# h2load and all three servers share the machine's 2 cores: the ratios are what to read.
# The summary goes to stdout and to build/bench/rproxy_bench.txt.
#
# Environment: ODOH_EDGE (binary, default ./odoh-edge), BENCH_ROUNDS (3), BENCH_SECONDS (target
# seconds per throughput run, 5), LAT_N (2000), NGINX_KEEPALIVE (256), BENCH_OUT, BENCH_KEEP=1
# keeps the folder.
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
ODOH_EDGE=${ODOH_EDGE:-$ROOT/odoh-edge}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
LAT_N=${LAT_N:-2000}
OUT=${BENCH_OUT:-$ROOT/build/bench/rproxy_bench.txt}
WORKERS=2
PY=/usr/bin/python3

say() { printf '[rproxy_bench] %s\n' "$*" >&2; }
die() {
    say "FAIL: $*"
    exit 1
}

bench_install nginx:nginx-light h2load:nghttp2-client || die "benchmark tools missing"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$ODOH_EDGE" ] || make -s odoh-edge >/dev/null || die "cannot build odoh-edge"
"$ODOH_EDGE" -V | grep -q '^  modules .* rproxy\( \|$\)' || die "no rproxy module in $ODOH_EDGE"

T=$(mktemp -d /tmp/oe-rproxy-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do bench_stop "$p"; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/www" "$T/state" "$T/b" "$T/p" "$(dirname "$OUT")"
printf 'hello from the backend, a small response of sixty-four bytes..\n' >"$T/www/small.txt"
bench_cert "$T" bench.test || die "openssl req failed"
BACKEND_PORT=$(bench_port)
NGINX_PORT=$(bench_port)
OE_PORT=$(bench_port)

nginx_ver=$("$NGINX" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
if printf '%s\n1.25.1\n' "$nginx_ver" | sort -V -C; then
    listen_line="listen 127.0.0.1:$NGINX_PORT ssl http2 reuseport;"
    http2_line=""
else
    listen_line="listen 127.0.0.1:$NGINX_PORT ssl reuseport;"
    http2_line="http2 on;"
fi
cat >"$T/b/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $T/b/nginx.pid;
error_log $T/b/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    default_type text/plain;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$BACKEND_PORT;
        root $T/www;
    }
}
EOF
cat >"$T/p/nginx.conf" <<EOF
user root;
worker_processes $WORKERS;
worker_rlimit_nofile 65536;
daemon off;
pid $T/p/nginx.pid;
error_log $T/p/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 10000000;
    upstream app {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive ${NGINX_KEEPALIVE:-256};
    }
    server {
        $listen_line
        $http2_line
        server_name bench.test;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        ssl_protocols TLSv1.3;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
EOF
cat >"$T/odoh-edge.conf" <<EOF
[global]
workers = $WORKERS
state-dir = $T/state
log-level = warn
[listen "bench"]
address = 127.0.0.1:$OE_PORT
[site "bench"]
host = bench.test
cert = $T/cert.pem
key = $T/key.pem
backend = http://127.0.0.1:$BACKEND_PORT
EOF

for d in b p; do
    "$NGINX" -t -q -p "$T/$d" -e "$T/$d/error.log" -c "$T/$d/nginx.conf" 2>"$T/$d/t.log" ||
        die "nginx -t ($d): $(cat "$T/$d/t.log")"
    "$NGINX" -p "$T/$d" -e "$T/$d/error.log" -c "$T/$d/nginx.conf" >>"$T/$d/out" 2>&1 &
    PIDS+=($!)
done
"$ODOH_EDGE" -c "$T/odoh-edge.conf" >>"$T/odoh-edge.log" 2>&1 &
PIDS+=($!)
for p in "$NGINX_PORT" "$OE_PORT"; do
    for _ in $(seq 100); do
        curl -sf --cacert "$T/cert.pem" --resolve "bench.test:$p:127.0.0.1" \
            "https://bench.test:$p/small.txt" -o "$T/check" 2>/dev/null && break
        sleep 0.1
    done
    cmp -s "$T/check" "$T/www/small.txt" || die "the proxy on port $p does not serve small.txt"
done

port_of() { if [ "$1" = nginx ]; then echo "$NGINX_PORT"; else echo "$OE_PORT"; fi; }
run_h2load() { # log args...: every request must succeed
    local log=$1 n
    shift
    timeout 120 h2load "$@" >"$log" 2>&1 || true
    n=$(sed -n 's/.*-n \([0-9]*\).*/\1/p' <<<"$*")
    grep -q "^status codes: $n 2xx" "$log" || die "h2load $*: $(tail -n 5 "$log")"
}
rps() { # name n
    local port log
    port=$(port_of "$1")
    log="$T/rps-$1.log"
    run_h2load "$log" -t 1 -c 32 -m 10 -n "$2" --tls13-ciphers=TLS_AES_128_GCM_SHA256 \
        --connect-to="127.0.0.1:$port" "https://bench.test:$port/small.txt"
    sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log"
}
p50() { # name: median ms of LAT_N sequential requests on one connection
    local log="$T/lat-$1.log" url
    rm -f "$T/lat-$1.tsv"
    if [ "$1" = backend ]; then
        run_h2load "$log" -t 1 -c 1 -m 1 -n "$LAT_N" --h1 --log-file="$T/lat-$1.tsv" \
            "http://127.0.0.1:$BACKEND_PORT/small.txt"
    else
        url="https://bench.test:$(port_of "$1")/small.txt"
        run_h2load "$log" -t 1 -c 1 -m 1 -n "$LAT_N" --log-file="$T/lat-$1.tsv" \
            --connect-to="127.0.0.1:$(port_of "$1")" "$url"
    fi
    cut -f3 "$T/lat-$1.tsv" | sort -n | awk '{v[NR] = $1} END {printf "%.3f", v[int((NR + 1) / 2)] / 1000}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

a=$(rps odoh-edge 20000)
b=$(rps nginx 20000)
N=$(awk -v a="$a" -v b="$b" -v s="$SECONDS_PER_RUN" 'BEGIN {r = a > b ? a : b; n = int(r * s / 1000) * 1000; if (n < 20000) n = 20000; if (n > 1000000) n = 1000000; print n}')
say "calibration: odoh-edge ~$a, nginx ~$b req/s -> N=$N"
declare -A R
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="odoh-edge nginx"; else order="nginx odoh-edge"; fi
    for name in $order; do
        v=$(rps "$name" "$N")
        R[$name-rps]="${R[$name-rps]:-} $v"
        l=$(p50 "$name")
        R[$name-p50]="${R[$name-p50]:-} $l"
        say "round $r: $name $v req/s, p50 $l ms"
    done
    l=$(p50 backend)
    R[backend-p50]="${R[backend-p50]:-} $l"
    say "round $r: backend alone p50 $l ms"
done

# shellcheck disable=SC2086
{
    oe_rps=$(median ${R[odoh-edge-rps]})
    ng_rps=$(median ${R[nginx-rps]})
    oe_p50=$(median ${R[odoh-edge-p50]})
    ng_p50=$(median ${R[nginx-p50]})
    be_p50=$(median ${R[backend-p50]})
    echo "rproxy_bench: odoh-edge $("$ODOH_EDGE" -V | head -n1 | awk '{print $2}') vs nginx $nginx_ver, $WORKERS workers each, TLS 1.3 h2, backend nginx (1 worker, HTTP/1.1 keep-alive), $ROUNDS rounds, medians"
    printf '%-16s %12s %12s %10s\n' metric odoh-edge nginx ratio
    printf '%-16s %12s %12s %10s\n' proxied-rps "$oe_rps" "$ng_rps" "$(awk -v a="$oe_rps" -v b="$ng_rps" 'BEGIN {printf "%.2f", a / b}')"
    printf '%-16s %12s %12s %10s\n' p50-ms "$oe_p50" "$ng_p50" "$(awk -v a="$oe_p50" -v b="$ng_p50" 'BEGIN {printf "%.2f", a / b}')"
    printf '%-16s %12s %12s\n' added-p50-ms "$(awk -v a="$oe_p50" -v b="$be_p50" 'BEGIN {printf "%.3f", a - b}')" "$(awk -v a="$ng_p50" -v b="$be_p50" 'BEGIN {printf "%.3f", a - b}')"
    echo "(backend alone, plain HTTP/1.1: p50 $be_p50 ms; added = proxy p50 - backend p50, which includes TLS and h2)"
} | tee "$OUT"
