# Deadlines for every state (issue 12), HTTP/2: responses that the peer's closed window stalls
# (send-timeout; the file descriptors they held are released), a header block that never ends
# (header-timeout), a request body that stops (body-timeout), and a connection kept busy only
# with PINGs (keepalive-timeout: PINGs are not requests). Each is closed with GOAWAY within its
# deadline plus a second of slack; a slow but steady reader is not. Also the request bodies one
# connection may hold (max-buffered-body). HTTP/1.1 and max-connections: 38-deadlines-h1.sh.
. "$OE_ROOT/tests/integration/lib.sh"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"
command -v curl >/dev/null || skip "curl not installed"

port=$(oe_port)
mkdir "$OE_TMP/www"
echo "hello" > "$OE_TMP/www/index.html"
head -c 300000 /dev/urandom > "$OE_TMP/www/big.bin"
head -c 64000000 /dev/zero > "$OE_TMP/www/huge.bin"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
header-timeout = 1s
body-timeout = 1s
send-timeout = 2s
keepalive-timeout = 2s
max-body-size = 16K
max-buffered-body = 30K
[site "a"]
host = a.test
cert = auto
root = www
# Descriptors are counted exactly here: no open-file cache holding files beyond their responses.
open-file-cache = no
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
ca="$OE_TMP/state/tls/ca.pem"
fds() { ls "/proc/$pid/fd" | wc -l; }

still_serving() {
    got=$(curl -sS --max-time 5 --http2 -w ' %{http_code}' --cacert "$ca" \
        --resolve "a.test:$port:127.0.0.1" "https://a.test:$port/") || fail "no answer after $1"
    expect_eq "$(echo $got)" "hello 200" "a normal request after $1"
}
# h2 LIMIT CMD ARGS...: h2_deadlines.py against a.test; its output in $out.
h2() {
    limit=$1; cmd=$2; shift 2
    out=$(timeout 60 /usr/bin/python3 "$OE_ROOT/tests/integration/h2_deadlines.py" "$cmd" \
        "$port" a.test "$ca" "$limit" "$@" 2>&1) || fail "$cmd $*: $out"
    echo "--- $cmd $*"; echo "$out"
}
# at_most SECONDS: the "seconds:" line of $out is at most SECONDS.
at_most() {
    s=$(echo "$out" | sed -n 's/^seconds: //p')
    [ "$s" -le "$1" ] || fail "closed after $s s, want at most $1 s: $out"
}

still_serving "start"
base=$(fds)

# (a) Three connections, each with 50 GETs of a file and SETTINGS_INITIAL_WINDOW_SIZE = 0: every
# response has its file open and cannot send a byte. While they hold, the files are open; at
# send-timeout (2 s) each connection gets GOAWAY and is closed, and the descriptors are back.
rm -f "$OE_TMP/ready."*
for i in 1 2 3; do
    timeout 60 /usr/bin/python3 "$OE_ROOT/tests/integration/h2_deadlines.py" ready "$port" a.test \
        "$ca" 10 "$OE_TMP/ready.$i" 50 /big.bin > "$OE_TMP/stall.$i" 2>&1 &
    eval "stall_$i=$!"
done
n=0
while [ $n -lt 100 ] && ! [ -f "$OE_TMP/ready.1" -a -f "$OE_TMP/ready.2" -a -f "$OE_TMP/ready.3" ]; do
    sleep 0.05; n=$((n + 1))
done
held=$(fds)
[ "$held" -ge $((base + 150)) ] || fail "150 stalled responses hold $held descriptors (base $base)"
for i in 1 2 3; do
    eval "wait \$stall_$i" || fail "stall $i: $(cat "$OE_TMP/stall.$i")"
    out=$(cat "$OE_TMP/stall.$i")
    expect_eq "$(echo "$out" | sed -n 1,3p)" "responses: 50
goaway: ENHANCE_YOUR_CALM
closed: yes" "stalled connection $i"
    at_most 3
done
n=0
while [ $n -lt 40 ] && [ "$(fds)" -gt "$base" ]; do sleep 0.05; n=$((n + 1)); done
expect_eq "$(fds)" "$base" "descriptors after the stalled connections closed"
still_serving "stalled windows"

# A client that reads slowly but steadily is not cut off: once the buffers are full, 50 kB/s
# for 6 s (three times send-timeout), although one 256 KiB write then takes five seconds to
# complete: the socket taking bytes is progress.
h2 6 slow 50000 /huge.bin "$pid"
expect_eq "$out" "received at 50000 bytes/s: yes
closed early: no" "HTTP/2 download read at 50 kB/s"

# (b) A header block without END_HEADERS, and a request body that stops: header-timeout and
# body-timeout (1 s). Both end the connection: GOAWAY, then close.
h2 10 headers
expect_eq "$(echo "$out" | sed -n 1,2p)" "goaway: ENHANCE_YOUR_CALM
closed: yes" "unfinished header block"
at_most 2
h2 10 body
expect_eq "$(echo "$out" | sed -n 1,2p)" "goaway: ENHANCE_YOUR_CALM
closed: yes" "unfinished request body"
at_most 2

# Request bodies held by one connection are capped (max-buffered-body = 30K): two unfinished
# bodies of 15,000 bytes fit, a third is refused unprocessed (REFUSED_STREAM, retryable); once
# the first request ended (405: the site serves files), a new body fits again.
h2 10 bodycap 15000
expect_eq "$out" "stream 1: 405
stream 5: RST_STREAM(REFUSED_STREAM)
stream 7 after: 405" "bodies over max-buffered-body"

# (c) PINGs every 200 ms are not requests: closed with GOAWAY NO_ERROR at keepalive-timeout (2 s).
h2 10 ping
expect_eq "$(echo "$out" | sed -n 1,2p)" "goaway: NO_ERROR
closed: yes" "a connection that only pings"
at_most 3
still_serving "unfinished requests and pings"

grep -q 'Assertion\|AddressSanitizer\|runtime error' "$OE_TMP/edge.log" &&
    fail "server log: $(grep 'Assertion\|AddressSanitizer\|runtime error' "$OE_TMP/edge.log")"
echo "38-deadlines ok"
