# HTTP/1.1 edge cases with raw bytes: exact statuses for malformed requests and limits,
# pipelining order, and slow-header connections closed on time.
. "$OE_ROOT/tests/integration/lib.sh"
port=$(oe_port)
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "plain"]
address = 127.0.0.1:$port
tls = no
header-timeout = 1s
keepalive-timeout = 2s
max-url-size = 1K
max-header-size = 2K
max-headers = 20
max-body-size = 1K
[site "demo"]
host = demo.test
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
/usr/bin/python3 "$OE_ROOT/tests/integration/http1_raw.py" "$port"
