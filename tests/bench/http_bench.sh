#!/bin/bash
# odoh-edge vs nginx, static files over HTTP/2 + TLS 1.3, in one run, as ratios (issue 3).
#
#   tests/bench/http_bench.sh            (as root; `make bench` runs it through run.sh)
#
# Both servers serve the same folder (a 4 KiB and a 1 MiB file of random bytes, made at run time)
# with the same ECDSA P-256 certificate for bench.test, 2 workers each, TLS 1.3 only, on free
# 127.0.0.1 ports. h2load (-t 1) alternates between them:
#   static-4k-rps    h2load -t 1 -c 32 -m 10 -n N  /4k.bin   requests/s
#   static-1m-MBps   h2load -t 1 -c 8  -m 1  -n M  /1m.bin   MB/s (h2load's figure, 2^20 bytes)
# three rounds each, the median of each server, and odoh-edge/nginx (higher is better for
# odoh-edge). h2load shares the machine's cores with the server under test, so these are
# ratios on a saturated machine, not absolute capacities.
#   idle-conn-KiB    RSS growth of the server (nginx: sum over its workers; odoh-edge: the one
#                    process) over IDLE idle TLS 1.3 h2 connections, per connection (lower is
#                    better for odoh-edge: the ratio is odoh-edge/nginx too), on fresh servers;
#   after-1m-conn-KiB the same over BUSY connections that have each downloaded the 1 MiB file
#                    once and then stay idle (buffers kept after a download).
# The summary goes to stdout and to build/bench/http_bench.txt.
#
# Environment: ODOH_EDGE (binary, default ./odoh-edge), BENCH_ROUNDS (3), BENCH_SECONDS (target
# seconds per h2load run, 5), IDLE (1000), BUSY (200), BENCH_OUT (build/bench/http_bench.txt),
# BENCH_KEEP=1 keeps the temporary folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
ODOH_EDGE=${ODOH_EDGE:-$ROOT/odoh-edge}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
IDLE=${IDLE:-1000}
BUSY=${BUSY:-200}
OUT=${BENCH_OUT:-$ROOT/build/bench/http_bench.txt}
WORKERS=2
H2LOAD_TIMEOUT=60
PY=/usr/bin/python3
SCRIPT_START=$(date +%s)

say() { printf '[http_bench] %s\n' "$*" >&2; }
die() {
    say "FAIL: $*"
    exit 1
}

# ---- tools ------------------------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v h2load >/dev/null 2>&1 || need_apt+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "needs ${need_apt[*]} (run as root to install them)"
    pkgs=()
    for p in "${need_apt[@]}"; do
        if [ "$p" = nginx ]; then pkgs+=(nginx-light); else pkgs+=("$p"); fi
    done
    say "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 ||
            apt-get install -y -q --no-install-recommends "${pkgs[@]/nginx-light/nginx}" >/dev/null ||
            die "cannot install ${pkgs[*]}"
    fi
    # The Debian package starts a system nginx on port 80; it is not ours, leave it alone.
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$ODOH_EDGE" ] || make -s odoh-edge >/dev/null || die "cannot build odoh-edge"
[ -x "$PY" ] || die "$PY is missing"

# Idle connections need file descriptors in this shell (the client) and in both servers.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((IDLE + 256)) ] ||
    die "ulimit -n is $(ulimit -n); need at least $((IDLE + 256))"

# ---- workspace and clean-up ---------------------------------------------------------------------
T=$(mktemp -d /tmp/oe-http-bench.XXXXXX)
NGINX_PID=
OE_PID=
IDLE_PID=
stop_pid() { # pid: TERM, wait up to 5 s, then KILL
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    exec 9>&- 2>/dev/null || true
    stop_pid "$IDLE_PID"
    stop_pid "$OE_PID"
    stop_pid "$NGINX_PID" # the master stops its workers
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- content, certificate, configs ------------------------------------------------------------
mkdir -p "$T/www" "$T/state" "$(dirname "$OUT")"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
head -c 1048576 /dev/urandom >"$T/www/1m.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || die "openssl req failed"
chmod 600 "$T/key.pem"

NGINX_PORT=$(free_port)
OE_PORT=$(free_port)
[ "$NGINX_PORT" != "$OE_PORT" ] || OE_PORT=$(free_port)

# nginx 1.22 (Debian 12): "listen ... ssl http2" (the "http2 on" directive is 1.25.1+).
# reuseport: the same kernel load balancing across the two workers as odoh-edge's SO_REUSEPORT.
nginx_ver=$("$NGINX" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
if printf '%s\n1.25.1\n' "$nginx_ver" | sort -V -C; then
    listen_line="listen 127.0.0.1:$NGINX_PORT ssl http2 reuseport;"
    http2_line=""
else
    listen_line="listen 127.0.0.1:$NGINX_PORT ssl reuseport;"
    http2_line="http2 on;"
fi
cat >"$T/nginx.conf" <<EOF
user root;
worker_processes $WORKERS;
worker_rlimit_nofile 65536;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    # Default 1000: nginx then ends each connection with GOAWAY and h2load does not reconnect,
    # so a run of N > 32000 requests would fail. Not a throughput setting.
    keepalive_requests 10000000;
    default_type application/octet-stream;
    sendfile off;
    server {
        $listen_line
        $http2_line
        server_name bench.test;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        ssl_protocols TLSv1.3;
        root $T/www;
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
max-connections = 20000

[site "bench"]
host = bench.test
cert = $T/cert.pem
key = $T/key.pem
root = $T/www
EOF

# ---- servers ------------------------------------------------------------------------------------
wait_port() { # port: until a TLS handshake succeeds (10 s)
    for _ in $(seq 100); do
        if timeout 2 openssl s_client -connect "127.0.0.1:$1" -servername bench.test -tls1_3 \
            </dev/null >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}
"$NGINX" -t -q -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" 2>"$T/nginx-t.log" ||
    die "nginx -t: $(cat "$T/nginx-t.log")"
nginx_workers() { ps -o pid= --ppid "$NGINX_PID" | tr -d ' '; }
start_servers() {
    "$NGINX" -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" >>"$T/nginx.out" 2>&1 &
    NGINX_PID=$!
    "$ODOH_EDGE" -c "$T/odoh-edge.conf" >>"$T/odoh-edge.log" 2>&1 &
    OE_PID=$!
    wait_port "$NGINX_PORT" || die "nginx does not answer: $(cat "$T/nginx-error.log" "$T/nginx.out")"
    wait_port "$OE_PORT" || die "odoh-edge does not answer: $(cat "$T/odoh-edge.log")"
    [ "$(nginx_workers | wc -l)" = "$WORKERS" ] || die "nginx has $(nginx_workers | wc -l) workers"
}
stop_servers() {
    stop_pid "$OE_PID"
    stop_pid "$NGINX_PID"
    OE_PID=''
    NGINX_PID=''
}
start_servers

# Both serve the same bytes?
command -v curl >/dev/null 2>&1 && for f in 4k.bin 1m.bin; do
    for p in "$NGINX_PORT" "$OE_PORT"; do
        curl -sf --http2 --tlsv1.3 --cacert "$T/cert.pem" --resolve "bench.test:$p:127.0.0.1" \
            -o "$T/check" "https://bench.test:$p/$f" 2>/dev/null || die "GET $f on port $p failed"
        cmp -s "$T/check" "$T/www/$f" || die "$f on port $p differs"
    done
done

rss_kib() { # pids...: sum of VmRSS in KiB
    local s=0 p v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
server_rss() { # name
    if [ "$1" = nginx ]; then
        # shellcheck disable=SC2046
        rss_kib $(nginx_workers)
    else rss_kib "$OE_PID"; fi
}
port_of() { if [ "$1" = nginx ]; then echo "$NGINX_PORT"; else echo "$OE_PORT"; fi; }

# ---- memory per idle TLS connection (on fresh servers, before any load) -------------------------
declare -A KIB
idle_test() { # name key n [path]: RSS growth per connection over n idle connections
    local name=$1 key=$2 n=$3 path=${4:-} port before after
    port=$(port_of "$name")
    before=$(server_rss "$name")
    rm -f "$T/hold" "$T/idle.out"
    mkfifo "$T/hold"
    timeout 120 "$PY" "$ROOT/tests/bench/idle_conns.py" 127.0.0.1 "$port" bench.test \
        "$T/cert.pem" "$n" ${path:+"$path"} <"$T/hold" >"$T/idle.out" 2>&1 &
    IDLE_PID=$!
    exec 9>"$T/hold"
    for _ in $(seq 900); do
        grep -q '^ready\|^error' "$T/idle.out" 2>/dev/null && break
        kill -0 "$IDLE_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^ready' "$T/idle.out" || die "$name idle connections: $(cat "$T/idle.out")"
    [ -z "$path" ] || grep -q "^ready $n body $((n * 1048576))\$" "$T/idle.out" ||
        die "$name: downloads incomplete: $(cat "$T/idle.out")"
    sleep 1 # let the server process the last prefaces
    after=$(server_rss "$name")
    exec 9>&-
    wait "$IDLE_PID" 2>/dev/null || true
    IDLE_PID=
    KIB[$name-$key]=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN {printf "%.1f", (a - b) / n}')
    say "$name $key: RSS ${before} KiB -> ${after} KiB over $n connections = ${KIB[$name-$key]} KiB/conn"
    sleep 1 # the server notices the closed connections
}
idle_test odoh-edge idle "$IDLE"
idle_test nginx idle "$IDLE"
# Connections that have each served one 1 MiB download, then idle (fresh servers again).
stop_servers
start_servers
idle_test odoh-edge busy "$BUSY" /1m.bin
idle_test nginx busy "$BUSY" /1m.bin

# ---- throughput -------------------------------------------------------------------------------
declare -A RES
h2run() { # name kind n -> prints the metric (req/s or MB/s)
    local name=$1 kind=$2 n=$3 port file args log metric
    port=$(port_of "$name")
    if [ "$kind" = 4k ]; then
        file=4k.bin
        args=(-t 1 -c 32 -m 10 -n "$n")
    else
        file=1m.bin
        args=(-t 1 -c 8 -m 1 -n "$n")
    fi
    log="$T/h2load-$name-$kind.log"
    # h2load's own first choice, made explicit so both servers use the same AEAD.
    args+=(--tls13-ciphers=TLS_AES_128_GCM_SHA256)
    timeout "$H2LOAD_TIMEOUT" h2load "${args[@]}" --connect-to="127.0.0.1:$port" \
        "https://bench.test:$port/$file" >"$log" 2>&1 || true
    # Every request must have succeeded with a 2xx, over TLS 1.3 with h2.
    local total ok
    total=$(sed -n 's/^requests: \([0-9]*\) total.*/\1/p' "$log")
    ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$log")
    if [ -z "$total" ] || [ "$total" != "$n" ] || [ "$ok" != "$n" ]; then
        say "$name $kind: h2load did not complete $n requests ($ok 2xx):"
        sed 's/^/    /' "$log" >&2
        die "h2load against $name"
    fi
    grep -q 'TLS Protocol: TLSv1.3' "$log" || die "$name did not negotiate TLS 1.3"
    grep -q 'Application protocol: h2' "$log" || die "$name did not negotiate h2"
    if [ "$kind" = 4k ]; then
        metric=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log")
    else
        # "finished in 6.01s, 110.0 req/s, 110.1MB/s" (also GB/s or KB/s)
        metric=$(sed -n 's/^finished in [^,]*, [^,]*, \([0-9.]*\)\([KMG]\)B\/s.*/\1 \2/p' "$log" |
            awk '{m = $1; if ($2 == "G") m *= 1024; if ($2 == "K") m /= 1024; printf "%.1f", m}')
    fi
    [ -n "$metric" ] || die "cannot parse h2load output for $name $kind"
    echo "$metric"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Calibrate N and M so that a run of the faster server lasts about SECONDS_PER_RUN.
calib() { # kind n -> largest metric of the two servers
    local a b
    a=$(h2run odoh-edge "$1" "$2")
    b=$(h2run nginx "$1" "$2")
    awk -v a="$a" -v b="$b" 'BEGIN {print (a > b ? a : b)}'
}
rps=$(calib 4k 20000)
N=$(awk -v r="$rps" -v s="$SECONDS_PER_RUN" 'BEGIN {n = int(r * s / 1000) * 1000; if (n < 20000) n = 20000; if (n > 2000000) n = 2000000; print n}')
mbps=$(calib 1m 200)
M=$(awk -v r="$mbps" -v s="$SECONDS_PER_RUN" 'BEGIN {n = int(r * s / 8) * 8; if (n < 200) n = 200; if (n > 100000) n = 100000; print n}')
say "calibration: ~$rps req/s (4 KiB), ~$mbps MB/s (1 MiB) -> N=$N, M=$M"

for r in $(seq "$ROUNDS"); do
    # Alternate which server goes first so that drifts in the machine's noise hit both.
    if [ $((r % 2)) = 1 ]; then order="odoh-edge nginx"; else order="nginx odoh-edge"; fi
    for kind in 4k 1m; do
        for name in $order; do
            if [ "$kind" = 4k ]; then n=$N; else n=$M; fi
            v=$(h2run "$name" "$kind" "$n")
            RES[$name-$kind]="${RES[$name-$kind]:-} $v"
            say "round $r: $name $kind = $v $([ "$kind" = 4k ] && echo req/s || echo MB/s)"
        done
    done
done

# ---- summary ----------------------------------------------------------------------------------
cipher() { sed -n 's/.*Cipher: \([^,]*\).*/\1/p' "$T/h2load-$1-4k.log" | head -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
# shellcheck disable=SC2086
{
    oe4=$(median ${RES[odoh-edge-4k]})
    ng4=$(median ${RES[nginx-4k]})
    oe1=$(median ${RES[odoh-edge-1m]})
    ng1=$(median ${RES[nginx-1m]})
}
{
    echo "== http_bench: odoh-edge vs nginx $nginx_ver, HTTP/2 + TLS 1.3, $WORKERS workers each, loopback =="
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ) cores $(nproc) odoh-edge $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- modules 2>/dev/null || echo '+dirty')"
    echo "cipher odoh-edge=$(cipher odoh-edge) nginx=$(cipher nginx)"
    echo "h2load (shares the $(nproc) cores with the server): 4k: -t 1 -c 32 -m 10 -n $N; 1m: -t 1 -c 8 -m 1 -n $M; TLS_AES_128_GCM_SHA256; $ROUNDS rounds, medians"
    echo "runs static-4k-rps odoh-edge=[${RES[odoh-edge-4k]# }] nginx=[${RES[nginx-4k]# }]"
    echo "runs static-1m-MBps odoh-edge=[${RES[odoh-edge-1m]# }] nginx=[${RES[nginx-1m]# }]"
    echo "static-4k-rps odoh-edge=$oe4 nginx=$ng4 ratio=$(ratio "$oe4" "$ng4")"
    echo "static-1m-MBps odoh-edge=$oe1 nginx=$ng1 ratio=$(ratio "$oe1" "$ng1")"
    echo "idle-conn-KiB odoh-edge=${KIB[odoh-edge-idle]} nginx=${KIB[nginx-idle]} ratio=$(ratio "${KIB[odoh-edge-idle]}" "${KIB[nginx-idle]}") (n=$IDLE, lower is better)"
    echo "after-1m-conn-KiB odoh-edge=${KIB[odoh-edge-busy]} nginx=${KIB[nginx-busy]} ratio=$(ratio "${KIB[odoh-edge-busy]}" "${KIB[nginx-busy]}") (n=$BUSY idle after one 1 MiB GET each, lower is better)"
    echo "elapsed $(($(date +%s) - SCRIPT_START))s"
} | tee "$OUT"
