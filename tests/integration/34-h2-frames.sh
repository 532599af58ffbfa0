# HTTP/2 robustness with raw frames (h2_frames.py): a bad preface, DATA on stream 0, HEADERS on
# an even stream, the concurrent-stream limit, a rapid-reset burst, a CONTINUATION flood, a
# header block over max-header-size, an upper-case header name, request bodies over
# max-body-size, and flow control with a tiny window. After every abuse the process is
# alive and a normal curl --http2 request is served.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"

port=$(oe_port)
mkdir "$OE_TMP/www"
echo "hello" > "$OE_TMP/www/index.html"
head -c 300000 /dev/urandom > "$OE_TMP/www/big.bin"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
max-streams = 4
max-header-size = 4K
max-body-size = 8K
[site "a"]
host = a.test
alias = b.test
cert = auto
root = www
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
ca="$OE_TMP/state/tls/ca.pem"

# still_serving WHAT: the process lives and a fresh connection is served over h2.
still_serving() {
    kill -0 "$pid" 2>/dev/null || fail "server died after $1: $(tail -n 20 "$OE_TMP/edge.log")"
    got=$(curl -sS --max-time 5 --http2 -w ' %{http_code} %{http_version}' --cacert "$ca" \
        --resolve "a.test:$port:127.0.0.1" "https://a.test:$port/") ||
        fail "no answer after $1"
    expect_eq "$(echo $got)" "hello 200 2" "normal request after $1"
}
# frames CMD ARGS...: h2_frames.py CMD against a.test; its output in $out.
frames() {
    cmd=$1; shift
    out=$(timeout 60 /usr/bin/python3 "$OE_ROOT/tests/integration/h2_frames.py" "$cmd" "$port" \
        a.test "$ca" "$@" 2>&1) || fail "$cmd $*: $out"
    echo "--- $cmd $*"; echo "$out"
}

still_serving "start"

# A wrong client preface: the server's own SETTINGS (and ORIGIN) went out at the handshake; then
# the connection is closed without a response (nghttp2: BAD_CLIENT_MAGIC, no GOAWAY).
frames preface
expect_eq "$out" "frames: SETTINGS ORIGIN
headers: no
closed: yes" "bad preface"
still_serving "a bad preface"

# DATA on stream 0 and HEADERS on an even (server-initiated) stream id are connection errors.
frames data0
expect_eq "$out" "goaway: PROTOCOL_ERROR
closed: yes" "DATA on stream 0"
still_serving "DATA on stream 0"
frames even
expect_eq "$out" "goaway: PROTOCOL_ERROR
closed: yes" "HEADERS on stream 2"
still_serving "HEADERS on an even stream"

# max-streams = 4, a 5th open stream. nghttp2 enforces the limit in two steps: while the client
# has not acknowledged the server's SETTINGS, the extra stream is refused (RST_STREAM
# REFUSED_STREAM, retryable) and the connection goes on; once acknowledged, exceeding it is a
# connection error (GOAWAY PROTOCOL_ERROR, last stream id 7, the 4 streams before it).
frames streams 4 noack
expect_eq "$out" "stream 9: RST_STREAM(9,REFUSED_STREAM)
stream 1 after: 200" "5th stream before the SETTINGS ACK"
still_serving "a refused 5th stream"
frames streams 4 ack
expect_eq "$out" "stream 9: GOAWAY(PROTOCOL_ERROR) last-stream-id 7
goaway: PROTOCOL_ERROR
closed: yes" "5th stream after the SETTINGS ACK"
still_serving "a 5th stream after the ACK"

# Rapid reset (CVE-2023-44487): the rate limit is a burst of 1000 resets, then 33/s. 500 are
# tolerated (the connection still serves); 2000 get GOAWAY INTERNAL_ERROR (what nghttp2 sends
# for this limit) and the connection is closed.
frames rapid 500
expect_eq "$out" "stream after: 200
goaway: none" "500 HEADERS+RST_STREAM"
frames rapid 2000
expect_eq "$out" "stream after: None
goaway: INTERNAL_ERROR
closed: yes" "2000 HEADERS+RST_STREAM"
still_serving "a rapid-reset burst"
# ... and the process keeps serving under repeated bursts on parallel connections.
i=0; bursts=
while [ $i -lt 4 ]; do
    timeout 60 /usr/bin/python3 "$OE_ROOT/tests/integration/h2_frames.py" rapid "$port" a.test \
        "$ca" 2000 > "$OE_TMP/rapid.$i" 2>&1 &
    bursts="$bursts $!"
    i=$((i + 1))
done
for b in $bursts; do wait "$b" || true; done
for i in 0 1 2 3; do
    grep -qx 'goaway: INTERNAL_ERROR' "$OE_TMP/rapid.$i" || fail "parallel burst $i: $(cat "$OE_TMP/rapid.$i")"
done
still_serving "parallel rapid-reset bursts"

# CONTINUATION: 7 continuation frames are fine (limit 8); 9 and a flood of 100 are a
# connection error (GOAWAY PROTOCOL_ERROR) before any request is dispatched.
frames continuation 7
expect_eq "$out" "stream 1: 200" "HEADERS + 7 CONTINUATION"
frames continuation 9
expect_eq "$out" "stream 1: None
goaway: PROTOCOL_ERROR
closed: yes" "HEADERS + 9 CONTINUATION"
frames continuation 100
expect_eq "$out" "stream 1: None
goaway: PROTOCOL_ERROR
closed: yes" "CONTINUATION flood"
still_serving "a CONTINUATION flood"

# A header block over max-header-size (4K): 431 on that stream, the connection goes on. Also
# for a field larger than nghttp2's own per-field bound (64K, spread over CONTINUATION frames).
frames bigheader 6000
expect_eq "$out" "stream 1: 431
stream 3 after: 200" "6000-byte header field"
frames bigheader 70000
expect_eq "$out" "stream 1: 431
stream 3 after: 200" "70000-byte header field"
still_serving "oversized headers"

# An upper-case header name is malformed (RFC 9113 8.2.1): a stream error, not a connection one.
frames uppercase
expect_eq "$out" "stream 1: RST_STREAM(PROTOCOL_ERROR)
stream 3 after: 200" "upper-case header name"
still_serving "an upper-case header name"

# A request body over max-body-size (8K) is answered 413 as soon as that is known, from the
# declared content-length or the DATA that crossed the limit, while the client is still sending;
# a request still open 2 s after the response gets RST_STREAM NO_ERROR (RFC 9113 8.1), one that
# ends in time closes normally, and the connection goes on. (Before the fix the 413 came only
# after END_STREAM, which the first two requests never send.)
frames bigbody declared
expect_eq "$out" "stream 1: 413
then: RST_STREAM(1,NO_ERROR)
stream 3 after: 200" "declared body over max-body-size"
frames bigbody data
expect_eq "$out" "stream 1: 413
then: RST_STREAM(1,NO_ERROR)
stream 3 after: 200" "body over max-body-size"
frames bigbody ends
expect_eq "$out" "stream 1: 413
then: None
stream 3 after: 200" "body over max-body-size that ends"
still_serving "bodies over max-body-size"

# Flow control: SETTINGS_INITIAL_WINDOW_SIZE = 100; the client grants credit only for what it
# received. The server never overruns the stream or connection window (checked per frame), and
# the whole body arrives byte-exact in DATA frames of at most 100 bytes.
frames flow 100 /big.bin
want=$(sha256sum "$OE_TMP/www/big.bin" | cut -d' ' -f1)
expect_eq "$(echo "$out" | sed -n 1,4p)" "status: 200
bytes: 300000
sha256: $want
largest DATA: 100" "download with a 100-byte window"
still_serving "a tiny window"

grep -q 'Assertion\|AddressSanitizer\|runtime error' "$OE_TMP/edge.log" &&
    fail "server log: $(grep 'Assertion\|AddressSanitizer\|runtime error' "$OE_TMP/edge.log")"
echo "34-h2-frames ok"
