#!/bin/bash
# req_cost.sh A B [...]: what one static-file request costs odoh-edge, binary against binary.
#
# One worker (workers = 1) pinned to core 0, h2load on core 1, the binaries taking turns round by
# round; per binary and round: the server's CPU time per request from /proc (utime + stime) and
# h2load's own CPU per request (what the client pays for our responses). With CALLGRIND=1 each
# binary also runs once under valgrind's callgrind: user-space instructions per request, which
# do not move with the machine's other load (valgrind hides VAES and AVX-512 from the program,
# so the AES-GCM share there is the AES-NI path's; compare binaries with each other only).
#
# Environment: ROWS ("h2 h1": HTTP/2 -c 32 -m 10, HTTP/1.1 keep-alive -c 32), ROUNDS (3),
# SECONDS_PER_RUN (4), CALLGRIND (0), CG_REQUESTS (20000). As root; about 30 s per binary, row
# and round. Not a test: nothing here is timed against a limit.
set -eu
. "$(dirname "$0")/bench_lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BINARY [BINARY...]" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "$0: $b is not an executable" >&2; exit 2; }; done
command -v h2load >/dev/null || { echo "$0: h2load missing (apt-get install nghttp2-client)" >&2; exit 2; }
ROWS=${ROWS:-h2 h1}
ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_RUN:-4}
T=$(mktemp -d /tmp/oe-req-cost.XXXXXX)
SRV=
cleanup() {
    [ -z "$SRV" ] || kill "$SRV" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/www" "$T/state"
head -c 4096 /dev/urandom >"$T/www/4k.bin"
touch -d '-1 hour' "$T/www/4k.bin" # as a deployed site's files are: old enough to be cached
bench_cert "$T" bench.test
PORT=$(bench_port)
bench_edge_conf "$T/edge.conf" "$T" "$PORT" 1

up() { # until a TLS handshake succeeds (20 s: valgrind is slow to start)
    for _ in $(seq 200); do
        timeout 2 openssl s_client -connect "127.0.0.1:$PORT" -servername bench.test \
            </dev/null >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$0: server did not start: $(cat "$T/edge.log")" >&2
    exit 1
}
PFX=() # before h2load: timing and pinning
load() { # row extra-h2load-args...
    local row=$1
    shift
    local mode=(-c 32 -m 10)
    [ "$row" = h1 ] && mode=(--h1 -c 32 -m 1)
    "${PFX[@]}" h2load -t 1 --tls13-ciphers=TLS_AES_128_GCM_SHA256 --connect-to="127.0.0.1:$PORT" \
        "${mode[@]}" "$@" "https://bench.test:$PORT/4k.bin"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

one() { # binary row: prints "server_us client_us req/s"
    taskset -c 0 "$1" -c "$T/edge.conf" >"$T/edge.log" 2>&1 &
    SRV=$!
    up
    local t0 t1 c
    t0=$(ticks "$SRV")
    PFX=(/usr/bin/time -f '%U %S' -o "$T/time" taskset -c 1)
    load "$2" -D "$SECS" >"$T/load" 2>&1
    PFX=()
    t1=$(ticks "$SRV")
    kill "$SRV"
    wait "$SRV" 2>/dev/null || true
    SRV=
    local done ok
    done=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$T/load")
    ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$T/load")
    if [ -z "$done" ] || [ "$done" = 0 ] || [ "$ok" -lt "$done" ]; then
        echo "$0: h2load against $1 failed:" >&2
        cat "$T/load" >&2
        exit 1
    fi
    c=$(awk '{print $1 + $2}' "$T/time")
    awk -v a="$t0" -v b="$t1" -v n="$done" -v hz="$hz" -v c="$c" -v s="$SECS" \
        'BEGIN {printf "%.2f %.2f %.0f\n", (b - a) / hz * 1e6 / n, c * 1e6 / n, n / s}'
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

for row in $ROWS; do
    declare -A S=() C=()
    for r in $(seq "$ROUNDS"); do
        for b in "$@"; do
            read -r s c rps < <(one "$b" "$row")
            echo "round $r $row $b: server ${s} us/req, client ${c} us/req, ${rps} req/s"
            S[$b]+="$s "
            C[$b]+="$c "
        done
    done
    for b in "$@"; do
        echo "$row $b: median server $(echo ${S[$b]} | tr ' ' '\n' | median) us/req," \
            "client $(echo ${C[$b]} | tr ' ' '\n' | median) us/req"
    done
    unset S C
done

[ "${CALLGRIND:-0}" = 1 ] || exit 0
command -v valgrind >/dev/null || { echo "$0: valgrind missing" >&2; exit 2; }
N=${CG_REQUESTS:-20000}
for row in $ROWS; do
    for b in "$@"; do
        rm -f "$T"/cg.*
        valgrind --tool=callgrind --callgrind-out-file="$T/cg.%p" --collect-atstart=no \
            --toggle-collect=uv_run "$b" -c "$T/edge.conf" >"$T/edge.log" 2>&1 &
        SRV=$!
        up
        load "$row" -n 2000 >/dev/null # connections made, files cached
        callgrind_control -z "$SRV" >/dev/null 2>&1
        load "$row" -n "$N" >"$T/load"
        callgrind_control -d "$SRV" >/dev/null 2>&1
        kill "$SRV"
        wait "$SRV" 2>/dev/null || true
        SRV=
        ir=$(cat "$T"/cg.*.1 | sed -n 's/^summary: //p' | head -1)
        echo "$row $b: callgrind $((ir / N)) instructions/request (user space, $N requests)"
    done
done
