#!/bin/bash
# odoh-edge vs nginx vs h2o: static files over TLS 1.3, in one run, as ratios (issues 3 and 17).
#
#   tests/bench/http_bench.sh            (as root; `make bench` runs it through run.sh)
#
# The three servers serve the same folder (a 4 KiB and a 1 MiB file of random bytes, made at run
# time) with the same ECDSA P-256 certificate for bench.test, TLS 1.3, access logs off, on free
# 127.0.0.1 ports. Two modes (BENCH_MODES):
#   pinned   one worker per server, the server on core 0 (taskset -c 0), the load on core 1:
#            what one core of the server does;
#   shared   two workers per server and the load, unpinned, on the machine's cores.
# Rows (BENCH_ROWS), each one run of BENCH_SECONDS per server per round, rounds alternating the
# order of the servers, medians over BENCH_ROUNDS:
#   h2-4k     h2load -c 32 -m 10 /4k.bin over h2                     requests/s
#   h2-1m     h2load -c 8 -m 1 /1m.bin over h2                       MB/s (2^20 bytes)
#   h1-4k     h2load --h1 -c 32 -m 1 /4k.bin (keep-alive, no pipelining)  requests/s
#   hs-full   handshakes.py full: a new connection per request (a full TLS 1.3 handshake,
#             ECDHE + ECDSA P-256), GET /4k.bin, connection: close    connections/s
#   hs-resumed the same with the previous connection's session ticket (PSK + ECDHE)
# For each row: the median, the server's CPU time per request or connection (utime + stime of
# all its processes from /proc/PID/stat over the run, divided by what completed; the figure that
# stays meaningful when the load generator, not the server, is the limit), and the ratios
# odoh-edge/nginx and odoh-edge/h2o (for CPU/request lower is better).
# Memory (once, pinned configuration, fresh servers): RSS growth per idle TLS 1.3 h2 connection
# over IDLE connections (idle_conns.py), then per connection over BUSY connections that have each
# downloaded the 1 MiB file once and idle (buffers kept after a download).
# The summary goes to stdout and to build/bench/http_bench.txt.
#
# Environment: ODOH_EDGE (binary, default ./odoh-edge), BENCH_MODES ("pinned shared"),
# BENCH_ROWS ("h2-4k h2-1m h1-4k hs-full hs-resumed"), BENCH_SERVERS ("odoh-edge nginx h2o"),
# BENCH_ROUNDS (5), BENCH_SECONDS (3), IDLE (1000), BUSY (200; 0 skips both memory rows with
# IDLE=0), BENCH_OUT (build/bench/http_bench.txt), BENCH_KEEP=1 keeps the temporary folder.
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
ODOH_EDGE=${ODOH_EDGE:-$ROOT/odoh-edge}
MODES=${BENCH_MODES:-pinned shared}
ROWS=${BENCH_ROWS:-h2-4k h2-1m h1-4k hs-full hs-resumed}
SERVERS=${BENCH_SERVERS:-odoh-edge nginx h2o}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECONDS:-3}
IDLE=${IDLE:-1000}
BUSY=${BUSY:-200}
OUT=${BENCH_OUT:-$ROOT/build/bench/http_bench.txt}
PY=/usr/bin/python3
TCK=$(getconf CLK_TCK)
SCRIPT_START=$(date +%s)

say() { printf '[http_bench] %s\n' "$*" >&2; }
die() {
    say "FAIL: $*"
    exit 1
}

# ---- tools (tests/bench/deps.apt) ---------------------------------------------------------------
# The Debian packages may start system servers on ports 80/443; not ours, leave them alone.
bench_install nginx:nginx-light h2o:h2o h2load:nghttp2-client openssl:openssl ||
    die "benchmark tools missing"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
H2O=$(command -v h2o)
[ -x "$ODOH_EDGE" ] || make -s odoh-edge >/dev/null || die "cannot build odoh-edge"
[ -x "$PY" ] || die "$PY is missing"
command -v taskset >/dev/null 2>&1 || die "taskset (util-linux) is missing"
[ "$(nproc)" -ge 2 ] || MODES=${MODES//pinned/}

# Idle connections need file descriptors in this shell (the client) and in the servers.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((IDLE + 256)) ] ||
    die "ulimit -n is $(ulimit -n); need at least $((IDLE + 256))"

# ---- workspace and clean-up ---------------------------------------------------------------------
T=$(mktemp -d /tmp/oe-http-bench.XXXXXX)
declare -A PID=()
IDLE_PID=
stop_servers() {
    local s
    for s in "${!PID[@]}"; do bench_stop "${PID[$s]}"; done # nginx's master stops its workers
    PID=()
}
cleanup() {
    exec 9>&- 2>/dev/null || true
    bench_stop "$IDLE_PID"
    stop_servers
    if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- content, certificate, ports ----------------------------------------------------------------
mkdir -p "$T/www" "$T/state" "$(dirname "$OUT")"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
head -c 1048576 /dev/urandom >"$T/www/1m.bin"
bench_cert "$T" bench.test || die "openssl req failed"
declare -A PORT=()
for s in odoh-edge nginx h2o; do
    while :; do
        p=$(bench_port)
        case " ${PORT[*]} " in *" $p "*) ;; *) break ;; esac
    done
    PORT[$s]=$p
done
nginx_ver=$("$NGINX" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
h2o_ver=$("$H2O" --version | sed -n 's/^h2o version //p')

# ---- configs (per worker count) -----------------------------------------------------------------
write_configs() { # workers
    local w=$1 listen_line http2_line
    # nginx 1.22 (Debian 12): "listen ... ssl http2" (the "http2 on" directive is 1.25.1+).
    # reuseport: the same kernel load balancing across workers as odoh-edge's SO_REUSEPORT.
    if printf '%s\n1.25.1\n' "$nginx_ver" | sort -V -C; then
        listen_line="listen 127.0.0.1:${PORT[nginx]} ssl http2 reuseport;"
        http2_line=""
    else
        listen_line="listen 127.0.0.1:${PORT[nginx]} ssl reuseport;"
        http2_line="http2 on;"
    fi
    cat >"$T/nginx.conf" <<EOF
user root;
worker_processes $w;
worker_rlimit_nofile 65536;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx-error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    # Default 1000: nginx then ends each connection with GOAWAY and h2load does not reconnect.
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
    # h2o 2.2: no access-log directive = no access log; TLS 1.3 through the system OpenSSL.
    cat >"$T/h2o.conf" <<EOF
user: root
num-threads: $w
pid-file: $T/h2o.pid
error-log: $T/h2o-error.log
max-connections: 20000
listen:
  host: 127.0.0.1
  port: ${PORT[h2o]}
  ssl:
    certificate-file: $T/cert.pem
    key-file: $T/key.pem
    ocsp-update-interval: 0
hosts:
  "bench.test:${PORT[h2o]}":
    paths:
      /:
        file.dir: $T/www
EOF
    cat >"$T/odoh-edge.conf" <<EOF
[global]
workers = $w
state-dir = $T/state
log-level = warn

[listen "bench"]
address = 127.0.0.1:${PORT[odoh-edge]}
max-connections = 20000

[site "bench"]
host = bench.test
cert = $T/cert.pem
key = $T/key.pem
root = $T/www
EOF
}

# ---- servers ------------------------------------------------------------------------------------
SRV_CPU=() # taskset prefix for the servers
LOAD_CPU=() # and for the load generators
wait_port() { # port: until a TLS handshake succeeds (10 s)
    for _ in $(seq 100); do
        if timeout 2 openssl s_client -connect "127.0.0.1:$1" -servername bench.test -tls1_3 \
            </dev/null >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}
start_server() { # name
    case $1 in
    nginx)
        "${SRV_CPU[@]}" "$NGINX" -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" \
            >>"$T/nginx.out" 2>&1 &
        ;;
    h2o) "${SRV_CPU[@]}" "$H2O" -c "$T/h2o.conf" >>"$T/h2o.out" 2>&1 & ;;
    odoh-edge) "${SRV_CPU[@]}" "$ODOH_EDGE" -c "$T/odoh-edge.conf" >>"$T/odoh-edge.log" 2>&1 & ;;
    esac
    PID[$1]=$!
    wait_port "${PORT[$1]}" || die "$1 does not answer: $(cat "$T/$1"*.log "$T/$1.out" 2>/dev/null)"
}
start_servers() {
    local s
    "$NGINX" -t -q -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" 2>"$T/nginx-t.log" ||
        die "nginx -t: $(cat "$T/nginx-t.log")"
    for s in $SERVERS; do start_server "$s"; done
}
server_pids() { # name: the process and its children (nginx's workers, h2o's helpers)
    echo "${PID[$1]}"
    ps -o pid= --ppid "${PID[$1]}" | tr -d ' '
}
cpu_ticks() { # name: utime + stime of server_pids, clock ticks
    local s=0 p v
    for p in $(server_pids "$1"); do
        # fields 14 and 15 after the ")" that ends the command name
        v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
rss_kib() { # name: VmRSS summed over server_pids, KiB (nginx's master is idle and constant)
    local s=0 p v
    for p in $(server_pids "$1"); do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}

# ---- memory per connection ----------------------------------------------------------------------
declare -A KIB=()
idle_test() { # name key n [path]: RSS growth per connection over n idle connections
    local name=$1 key=$2 n=$3 path=${4:-} before after
    before=$(rss_kib "$name")
    rm -f "$T/hold" "$T/idle.out"
    mkfifo "$T/hold"
    timeout 120 "${LOAD_CPU[@]}" "$PY" "$ROOT/tests/bench/idle_conns.py" 127.0.0.1 \
        "${PORT[$name]}" bench.test "$T/cert.pem" "$n" ${path:+"$path"} <"$T/hold" \
        >"$T/idle.out" 2>&1 &
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
    # Idle connections, measured once idle: odoh-edge gives back what an idle connection does
    # not need within two rounds of its 1 s tidy timer (OE_HTTP_TIDY_MS); the others do not
    # change in this time.
    sleep 3
    after=$(rss_kib "$name")
    exec 9>&-
    wait "$IDLE_PID" 2>/dev/null || true
    IDLE_PID=
    KIB[$name-$key]=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN {printf "%.1f", (a - b) / n}')
    say "$name $key: RSS ${before} KiB -> ${after} KiB over $n connections = ${KIB[$name-$key]} KiB/conn"
    sleep 1 # the server notices the closed connections
}

# ---- one run ------------------------------------------------------------------------------------
# run_row name row -> prints "METRIC CPU_US_PER_UNIT"
run_row() {
    local name=$1 row=$2 port=${PORT[$1]} log=$T/load-$1-$2.log args=() t0 t1 done metric
    case $row in
    h2-4k) args=(-c 32 -m 10 "https://bench.test:$port/4k.bin") ;;
    h2-1m) args=(-c 8 -m 1 "https://bench.test:$port/1m.bin") ;;
    h1-4k) args=(--h1 -c 32 -m 1 "https://bench.test:$port/4k.bin") ;;
    esac
    t0=$(cpu_ticks "$name")
    if [ ${#args[@]} -gt 0 ]; then
        # TLS_AES_128_GCM_SHA256 is h2load's own first choice, made explicit for every server.
        timeout $((SECS + 60)) "${LOAD_CPU[@]}" h2load -t 1 -D "$SECS" \
            --tls13-ciphers=TLS_AES_128_GCM_SHA256 --connect-to="127.0.0.1:$port" "${args[@]}" \
            >"$log" 2>&1 || true
        t1=$(cpu_ticks "$name")
        # Every request that started must have succeeded with a 2xx, over TLS 1.3.
        local ok succ bad
        succ=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$log")
        bad=$(sed -n 's/^requests: .* \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1\2\3/p' "$log")
        # "status codes" also counts responses that ended after the measured duration.
        ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx, \([0-9]*\) 3xx, \([0-9]*\) 4xx, \([0-9]*\) 5xx.*/\1 \2\3\4/p' "$log")
        if [ -z "$succ" ] || [ "$succ" = 0 ] || [ "${ok#* }" != 000 ] || [ "${ok% *}" -lt "$succ" ] ||
            [ "$bad" != 000 ]; then
            sed 's/^/    /' "$log" >&2
            die "h2load against $name ($row)"
        fi
        grep -q 'TLS Protocol: TLSv1.3' "$log" || die "$name did not negotiate TLS 1.3"
        grep -q 'Cipher: TLS_AES_128_GCM_SHA256' "$log" || die "$name: not AES-128-GCM"
        if [ "$row" = h1-4k ]; then
            grep -q 'Application protocol: http/1.1' "$log" || die "$name did not speak HTTP/1.1"
        else
            grep -q 'Application protocol: h2' "$log" || die "$name did not negotiate h2"
        fi
        done=$succ
        if [ "$row" = h2-1m ]; then
            # "finished in 6.01s, 110.0 req/s, 110.1MB/s" (also GB/s or KB/s)
            metric=$(sed -n 's/^finished in [^,]*, [^,]*, \([0-9.]*\)\([KMG]\)B\/s.*/\1 \2/p' "$log" |
                awk '{m = $1; if ($2 == "G") m *= 1024; if ($2 == "K") m /= 1024; printf "%.1f", m}')
        else
            metric=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$log")
        fi
    else
        local mode=${row#hs-} secs_run
        timeout $((SECS + 90)) "${LOAD_CPU[@]}" "$PY" "$ROOT/tests/bench/handshakes.py" \
            127.0.0.1 "$port" bench.test "$T/cert.pem" "$SECS" "$mode" /4k.bin 4 >"$log" 2>&1 || true
        t1=$(cpu_ticks "$name")
        read -r _ done _ _ _ errs _ secs_run < <(grep '^done ' "$log" || echo "done 0 resumed 0 errors 1 seconds 1")
        if [ "${done:-0}" = 0 ] || [ "$errs" != 0 ]; then
            sed 's/^/    /' "$log" >&2
            die "handshakes against $name ($row)"
        fi
        metric=$(awk -v d="$done" -v s="$SECS" 'BEGIN {printf "%.1f", d / s}')
    fi
    [ -n "$metric" ] || die "cannot parse the output for $name $row"
    echo "$metric $(awk -v t=$((t1 - t0)) -v k="$TCK" -v d="$done" 'BEGIN {printf "%.2f", t * 1e6 / k / d}')"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
unit_of() { case $1 in h2-1m) echo MB/s ;; hs-*) echo conn/s ;; *) echo req/s ;; esac; }

declare -A RES=() CPU=() M=() C=()
LINES=()
for mode in $MODES; do
    if [ "$mode" = pinned ]; then
        workers=1
        SRV_CPU=(taskset -c 0)
        LOAD_CPU=(taskset -c 1)
    else
        workers=2
        SRV_CPU=()
        LOAD_CPU=()
    fi
    write_configs "$workers"
    start_servers
    # All serve the same bytes?
    for f in 4k.bin 1m.bin; do
        for s in $SERVERS; do
            curl -sf --http2 --tlsv1.3 --cacert "$T/cert.pem" \
                --resolve "bench.test:${PORT[$s]}:127.0.0.1" -o "$T/check" \
                "https://bench.test:${PORT[$s]}/$f" 2>/dev/null || die "GET $f from $s failed"
            cmp -s "$T/check" "$T/www/$f" || die "$f from $s differs"
        done
    done
    if [ "$mode" = pinned ] && [ "$IDLE" -gt 0 ]; then
        for s in $SERVERS; do idle_test "$s" idle "$IDLE"; done
        if [ "$BUSY" -gt 0 ]; then
            stop_servers
            start_servers
            for s in $SERVERS; do idle_test "$s" busy "$BUSY" /1m.bin; done
        fi
        stop_servers
        start_servers
    fi
    for r in $(seq "$ROUNDS"); do
        # Rotate which server goes first so that drifts in the machine's noise hit all.
        # shellcheck disable=SC2086
        set -- $SERVERS
        order=()
        for i in $(seq 0 $(($# - 1))); do
            j=$(((i + r - 1) % $#))
            order+=("${@:j+1:1}")
        done
        for row in $ROWS; do
            for s in "${order[@]}"; do
                read -r v c < <(run_row "$s" "$row")
                RES[$mode-$row-$s]="${RES[$mode-$row-$s]:-} $v"
                CPU[$mode-$row-$s]="${CPU[$mode-$row-$s]:-} $c"
                say "$mode round $r: $s $row = $v $(unit_of "$row"), $c us CPU each"
            done
        done
    done
    stop_servers
    for row in $ROWS; do
        M=()
        C=()
        line="$mode $row $(unit_of "$row"):"
        for s in $SERVERS; do
            # shellcheck disable=SC2086
            M[$s]=$(median ${RES[$mode-$row-$s]})
            # shellcheck disable=SC2086
            C[$s]=$(median ${CPU[$mode-$row-$s]})
            line+=" $s=${M[$s]} (${C[$s]} us)"
        done
        for s in nginx h2o; do
            [ -n "${M[$s]:-}" ] && [ -n "${M[odoh-edge]:-}" ] || continue
            line+=" /$s=$(ratio "${M[odoh-edge]}" "${M[$s]}") cpu/$s=$(ratio "${C[odoh-edge]}" "${C[$s]}")"
        done
        LINES+=("$line")
    done
done

# ---- summary ----------------------------------------------------------------------------------
{
    echo "== http_bench: odoh-edge vs nginx $nginx_ver vs h2o $h2o_ver, TLS 1.3 AES-128-GCM, ECDSA P-256, loopback =="
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ) cores $(nproc) odoh-edge $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- modules vendor 2>/dev/null || echo '+dirty')"
    echo "modes: $MODES (pinned: 1 worker on core 0, load on core 1; shared: 2 workers, unpinned); $ROUNDS rounds of ${SECS}s, medians; (us) = server CPU per request or connection"
    echo "ratios: /nginx, /h2o = odoh-edge's median over theirs (higher is better); cpu/X = odoh-edge's CPU per unit over theirs (lower is better)"
    for s in $SERVERS; do
        for row in $ROWS; do
            for mode in $MODES; do
                echo "runs $mode $row $s=[${RES[$mode-$row-$s]# }]"
            done
        done
    done
    printf '%s\n' "${LINES[@]}"
    if [ -n "${KIB[odoh-edge-idle]:-}" ]; then
        line="idle-conn-KiB (n=$IDLE, lower is better):"
        for s in $SERVERS; do line+=" $s=${KIB[$s-idle]}"; done
        for s in nginx h2o; do [ -z "${KIB[$s-idle]:-}" ] || line+=" /$s=$(ratio "${KIB[odoh-edge-idle]}" "${KIB[$s-idle]}")"; done
        echo "$line"
    fi
    if [ -n "${KIB[odoh-edge-busy]:-}" ]; then
        line="after-1m-conn-KiB (n=$BUSY idle after one 1 MiB GET each, lower is better):"
        for s in $SERVERS; do line+=" $s=${KIB[$s-busy]}"; done
        for s in nginx h2o; do [ -z "${KIB[$s-busy]:-}" ] || line+=" /$s=$(ratio "${KIB[odoh-edge-busy]}" "${KIB[$s-busy]}")"; done
        echo "$line"
    fi
    echo "elapsed $(($(date +%s) - SCRIPT_START))s"
} | tee "$OUT"
