#!/bin/bash
# Memory after a peak (issue 12): RSS of odoh-edge before, at the peak of and 2 s after N
# concurrent TLS connections that each fetch a 64 KiB file and close (h2load -c N -n N, one
# request per connection), over HTTP/2 and HTTP/1.1. A measurement, not a test: it prints the
# numbers and fails only when the run itself fails.
#
#   tests/bench/mem_peak.sh              ODOH_EDGE (default ./odoh-edge), CONNS (2000)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ODOH_EDGE=${ODOH_EDGE:-$ROOT/odoh-edge}
CONNS=${CONNS:-2000}
command -v h2load >/dev/null || { echo "mem_peak: h2load not installed" >&2; exit 1; }
ulimit -n $((CONNS * 2 + 1000))
TMP=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$TMP"' EXIT
. "$(dirname "$0")/bench_lib.sh"
port=$(bench_port)
mkdir "$TMP/www"
head -c 65536 /dev/urandom > "$TMP/www/64k.bin"
cat > "$TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = $TMP/state
[listen "https"]
address = 127.0.0.1:$port
max-connections = $((CONNS * 2))
[site "a"]
host = a.test
cert = auto
root = $TMP/www
CONF
"$ODOH_EDGE" -c "$TMP/edge.conf" > "$TMP/edge.log" 2>&1 &
pid=$!
url="https://a.test:$port/64k.bin"
for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$TMP/state/tls/ca.pem" --resolve "a.test:$port:127.0.0.1" \
        "$url" && break
    sleep 0.1
done
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
for proto in h2 h1; do
    before=$(rss)
    flag=; [ "$proto" = h1 ] && flag=--h1
    (while kill -0 "$pid" 2>/dev/null; do rss; sleep 0.05; done) > "$TMP/samples" &
    sampler=$!
    timeout 120 h2load $flag -t 1 -c "$CONNS" -n "$CONNS" --connect-to="127.0.0.1:$port" "$url" \
        > "$TMP/h2load.out" 2>&1 || { cat "$TMP/h2load.out"; exit 1; }
    grep -q "$CONNS succeeded" "$TMP/h2load.out" || { cat "$TMP/h2load.out"; exit 1; }
    sleep 2
    kill "$sampler"
    wait "$sampler" 2>/dev/null || true
    echo "$proto: $CONNS connections x 64 KiB: RSS before $before KiB, peak" \
        "$(sort -n "$TMP/samples" | tail -1) KiB, 2 s after the last close $(rss) KiB"
done
