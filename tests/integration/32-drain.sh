# SIGTERM drains: a download in flight when the signal arrives finishes with every byte, new
# connections are refused, and the process exits 0 once the download is done.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
"$OE_BIN" -V | grep -q website || skip "no website module in this build"
port=$(oe_port)
mkdir -p "$OE_TMP/www"
head -c 48000000 /dev/urandom > "$OE_TMP/www/big.bin"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
shutdown-timeout = 20s
[listen "https"]
address = 127.0.0.1:$port
[site "demo"]
host = demo.test
cert = auto
root = www
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
ca="$OE_TMP/state/tls/ca.pem"
for proto in --http2 --http1.1; do
    # About 3 s of transfer at 16 MB/s (more than the kernel buffers hold, so the server is still
    # writing); the signal comes once 4 MB have arrived, and the download must still be short of
    # its end then, or this would test nothing.
    rm -f "$OE_TMP/got.bin"
    curl -sS $proto --limit-rate 16M -o "$OE_TMP/got.bin" --cacert "$ca" \
        --resolve "demo.test:$port:127.0.0.1" "https://demo.test:$port/big.bin" &
    cpid=$!
    n=200
    until [ "$(stat -c %s "$OE_TMP/got.bin" 2>/dev/null || echo 0)" -ge 4000000 ]; do
        n=$((n - 1)); [ $n -gt 0 ] || fail "$proto download did not start within 10 s"
        sleep 0.05
    done
    if [ "$proto" = --http2 ]; then
        kill -TERM "$pid"
        [ "$(stat -c %s "$OE_TMP/got.bin")" -lt 48000000 ] || fail "download finished before SIGTERM"
        oe_wait_log "$OE_TMP/edge.log" 'info: core: stopping'
        # Each worker closes its listeners on its own thread after "stopping", and logs nothing
        # then: a moment for that, so the new connection below meets closed listeners.
        sleep 0.3
        # New connections are refused while the old one drains.
        if curl -sS -o /dev/null --max-time 2 --cacert "$ca" --resolve "demo.test:$port:127.0.0.1" \
            "https://demo.test:$port/" 2>/dev/null; then
            fail "a new connection was accepted while stopping"
        fi
        kill -0 "$pid" 2>/dev/null || fail "exited before the download finished"
    fi
    wait "$cpid" || fail "$proto download failed during the drain"
    cmp -s "$OE_TMP/got.bin" "$OE_TMP/www/big.bin" || fail "$proto download differs"
    if [ "$proto" = --http2 ]; then
        set +e; wait "$pid"; rc=$?; set -e
        expect_eq "$rc" 0 "exit code after draining"
        oe_bg "$OE_TMP/edge2.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
        pid=$OE_LASTPID
        oe_wait_tcp "$port" || fail "restart failed"
    fi
done
kill -TERM "$pid"
echo "drain ok"
