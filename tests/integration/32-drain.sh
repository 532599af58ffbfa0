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
    # writing); the signal comes after 0.5 s.
    curl -sS $proto --limit-rate 16M -o "$OE_TMP/got.bin" --cacert "$ca" \
        --resolve "demo.test:$port:127.0.0.1" "https://demo.test:$port/big.bin" &
    cpid=$!
    sleep 0.5
    if [ "$proto" = --http2 ]; then
        kill -TERM "$pid"
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
