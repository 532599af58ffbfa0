# Reverse proxy (modules/rproxy) to a real Node.js application (tests/node/rproxy-backend.mjs) on
# loopback, with curl over HTTP/2 and HTTP/1.1: pages with the site's header policy, hop-by-hop
# fields removed, a prefix backend beside a static root, chunked responses, pooled backend
# connections, a unix-socket backend, WebSocket echoes (HTTP/1.1 Upgrade and HTTP/2 extended
# CONNECT), privacy (no client address reaches the backend unless
# forward-client-address = yes; a client's own X-Forwarded-For is dropped), 504 from a backend
# that hangs, 502 from one that resets and one that is down, a body cut short (HTTP/2 reset,
# HTTP/1.1 close), 100 MB streamed up and down with the server's peak RSS bounded, and config
# errors at FILE:LINE.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/site_lib.sh"
command -v curl >/dev/null || skip "curl not installed"
"$OE_BIN" -V | grep -q '^  modules .* rproxy\( \|$\)' || skip "no rproxy module in this build"
oe_node_need -f ws

app=$(oe_port)
apptls=$(oe_port)
down=$(oe_port) # nothing listens there
port=$(oe_port)
sock=$OE_TMP/app.sock
# The application's own certificate for its HTTPS listener, under a CA only the proxy trusts.
(
    cd "$OE_TMP"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout bca.key \
        -out bca.pem -days 2 -subj /CN=test-backend-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout b.key -out b.csr \
        -subj /CN=backend.test
    printf 'subjectAltName=DNS:backend.test\nextendedKeyUsage=serverAuth\n' > b.ext
    openssl x509 -req -in b.csr -CA bca.pem -CAkey bca.key -CAcreateserial -out b.pem -days 2 \
        -extfile b.ext
) >"$OE_TMP/openssl.log" 2>&1 || fail "openssl: $(cat "$OE_TMP/openssl.log")"
oe_bg "$OE_TMP/node.log" node "$node_dir/rproxy-backend.mjs" "$app" "$sock" "$apptls" \
    "$OE_TMP/b.pem" "$OE_TMP/b.key"
oe_wait_log "$OE_TMP/node.log" '^listening'

mkdir -p "$OE_TMP/www"
printf 'static page\n' > "$OE_TMP/www/index.html"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
[site "app"]
host = app.test
cert = auto
backend = http://127.0.0.1:$app
backend-timeout = 1s
hsts = 1y
header = X-Frame-Options: DENY
header = Cache-Control: no-cache
[site "mixed"]
host = mixed.test
cert = auto
root = www
backend = /app http://127.0.0.1:$app
[site "priv"]
host = priv.test
cert = auto
backend = http://localhost:$app/
forward-client-address = yes
via = yes
[site "sock"]
host = sock.test
cert = auto
backend = unix:$sock
[site "down"]
host = down.test
cert = auto
backend = http://127.0.0.1:$down
[site "tls"]
host = tls.test
cert = auto
backend = https://127.0.0.1:$apptls
backend-ca-file = bca.pem
backend-server-name = backend.test
[site "tlsname"]
host = tlsname.test
cert = auto
backend = https://127.0.0.1:$apptls
backend-ca-file = bca.pem
backend-server-name = other.test
CONF
site_start
json() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "-"))' "$OE_TMP/body" "$1"; }

for proto in --http2 --http1.1; do
    # A page: the backend's fields pass, its hop-by-hop ones (Connection and what it names) do
    # not, and the site's policy (header =, hsts =) replaces the backend's Cache-Control.
    expect_eq "$(req app.test '/hello?x=1' $proto)" 200 "page $proto"
    expect_eq "$(body)" "hello from node: GET /hello?x=1" "page body $proto"
    expect_eq "$(hdr x-app)" node "backend field $proto"
    expect_eq "$(hdr x-frame-options)" DENY "header = $proto"
    expect_eq "$(hdr cache-control)" no-cache "header = replaces $proto"
    expect_eq "$(hdr strict-transport-security)" "max-age=31536000" "hsts = 1y $proto"
    expect_eq "$(hdr server)" odoh-edge "server $proto"
    no_hdr x-private "named by the backend's Connection field"
    no_hdr connection "hop-by-hop"
    no_hdr keep-alive "hop-by-hop"
    no_hdr via "via = no"
    # Methods the router has no bit for go through too.
    expect_eq "$(req app.test /hello $proto -X PATCH -d x)" 200 "PATCH $proto"
    expect_eq "$(body)" "hello from node: PATCH /hello" "PATCH body $proto"
    # A prefix backend beside a static root on one site.
    expect_eq "$(req mixed.test /app/hello $proto)" 200 "prefix $proto"
    expect_eq "$(body)" "hello from node: GET /app/hello" "prefix body $proto"
    expect_eq "$(req mixed.test / $proto)" 200 "root $proto"
    expect_eq "$(body)" "static page" "root body $proto"
    # Chunked from the backend: re-chunked on HTTP/1.1, DATA frames on HTTP/2.
    expect_eq "$(req app.test /chunked $proto)" 200 "chunked $proto"
    expect_eq "$(body | tr '\n' ' ')" "part 0 part 1 part 2 " "chunked body $proto"
    [ "$proto" = --http2 ] || expect_eq "$(hdr transfer-encoding)" chunked "re-chunked"
    # A unix-socket backend.
    expect_eq "$(req sock.test /hello $proto)" 200 "unix $proto"
    expect_eq "$(body)" "hello from node: GET /hello" "unix body $proto"
    # An HTTPS backend, verified against backend-ca-file with backend-server-name; a name its
    # certificate does not have is a 502, never a connection without verification.
    expect_eq "$(req tls.test /hello $proto)" 200 "https backend $proto"
    expect_eq "$(body)" "hello from node: GET /hello" "https backend body $proto"
    expect_eq "$(req tlsname.test /hello $proto)" 502 "https backend, wrong name $proto"

    # Privacy by default: no client address, and the client's own claims are dropped.
    expect_eq "$(req app.test /headers $proto -H 'X-Forwarded-For: 192.0.2.7' -H 'Forwarded: for=192.0.2.7' -H 'X-Real-IP: 192.0.2.7')" 200 "headers $proto"
    expect_eq "$(json x-forwarded-for)" - "no X-Forwarded-For by default $proto"
    expect_eq "$(json forwarded)" - "no Forwarded by default $proto"
    expect_eq "$(json x-real-ip)" - "no X-Real-IP $proto"
    expect_eq "$(json x-forwarded-proto)" https "X-Forwarded-Proto $proto"
    expect_eq "$(json x-forwarded-host)" app.test "X-Forwarded-Host $proto"
    expect_eq "$(json host)" app.test "Host $proto"
    expect_eq "$(json via)" - "no Via by default $proto"
    grep -q '127\.0\.0\.1' "$OE_TMP/body" && fail "a client address reached the backend: $(body)"
    # ... and with forward-client-address = yes the proxy says it, replacing the client's claim.
    expect_eq "$(req priv.test /headers $proto -H 'X-Forwarded-For: 192.0.2.7')" 200 "priv $proto"
    expect_eq "$(json x-forwarded-for)" 127.0.0.1 "X-Forwarded-For on request $proto"
    expect_eq "$(json forwarded)" "for=127.0.0.1;proto=https" "Forwarded on request $proto"
    v=2; [ "$proto" = --http2 ] || v=1.1
    expect_eq "$(json via)" "$v odoh-edge" "Via $proto"
    expect_eq "$(req priv.test /hello $proto)" 200 "priv page $proto"
    expect_eq "$(hdr via)" "1.1 odoh-edge" "Via on the response $proto"

    # Failures: a backend that hangs (504 after backend-timeout = 1s), one that resets (502),
    # one that is down (502), each with a short body; the server goes on.
    t0=$(date +%s%N)
    expect_eq "$(req app.test /hang $proto)" 504 "hang $proto"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ] || fail "504 after $ms ms, want about 1000 ($proto)"
    expect_eq "$(body)" "504 Gateway Timeout" "504 body $proto"
    expect_eq "$(req app.test /reset $proto)" 502 "reset $proto"
    expect_eq "$(body)" "502 Bad Gateway" "502 body $proto"
    expect_eq "$(req down.test /hello $proto)" 502 "down $proto"
    # A body cut short after its head: the client must not take it for a whole one.
    set +e
    curl -sS -o /dev/null --cacert "$ca" --resolve "app.test:$port:127.0.0.1" $proto \
        "https://app.test:$port/cut" 2>"$OE_TMP/cut.err"
    rc=$?
    set -e
    want=18; [ "$proto" = --http2 ] && want=92 # closed early / stream reset
    expect_eq "$rc" "$want" "cut body $proto: $(cat "$OE_TMP/cut.err")"
    expect_eq "$(req app.test /hello $proto)" 200 "after the failures $proto"
done

# WebSocket echo through the proxy: an HTTP/1.1 Upgrade, and an HTTP/2 extended CONNECT (RFC
# 8441) with a page on another stream of the same connection meanwhile.
for host in app.test tls.test; do
    for mode in h1 h2; do
        out=$(timeout 30 /usr/bin/python3 "$OE_ROOT/tests/integration/ws_echo.py" $mode $host "$port" "$ca" 2>&1) ||
            fail "WebSocket $mode to $host: $out"
        expect_eq "$out" ok "WebSocket $mode to $host"
    done
done

# Backend connections are pooled: five more requests, no new backend connection.
req app.test /connections >/dev/null
before=$(body)
for i in 1 2 3 4 5; do req app.test /hello --http1.1 >/dev/null; done
req app.test /connections >/dev/null
expect_eq "$(body)" "$before" "backend connections after 5 requests"

# 100 MB each way, streamed: sums match and the server's peak RSS stays small.
head -c 100000000 /dev/urandom > "$OE_TMP/up.bin"
sum=$(sha256sum "$OE_TMP/up.bin" | cut -c1-64)
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
hwm0=$(hwm)
expect_eq "$(req app.test /upload --http2 --data-binary @"$OE_TMP/up.bin")" 200 "upload h2"
expect_eq "$(body)" "100000000 $sum" "upload h2 body"
expect_eq "$(req app.test /upload --http1.1 --data-binary @"$OE_TMP/up.bin")" 200 "upload h1"
expect_eq "$(body)" "100000000 $sum" "upload h1 body"
expect_eq "$(req app.test /upload --http1.1 -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' --data-binary @"$OE_TMP/up.bin")" 200 "upload h1 chunked"
expect_eq "$(body)" "100000000 $sum" "upload h1 chunked body"
want=$(/usr/bin/python3 -c '
import hashlib
b = bytes(((i * 7 + 3) & 255) for i in range(65536)); h = hashlib.sha256()
for _ in range(100000000 // 65536): h.update(b)
h.update(b[:100000000 % 65536]); print(h.hexdigest())')
for proto in --http2 --http1.1; do
    got=$(curl -sS --cacert "$ca" --resolve "app.test:$port:127.0.0.1" $proto \
        "https://app.test:$port/download?n=100000000" | sha256sum | cut -c1-64)
    expect_eq "$got" "$want" "download $proto"
done
# The same through TLS on both sides.
expect_eq "$(req tls.test /upload --http2 --data-binary @"$OE_TMP/up.bin")" 200 "upload to https"
expect_eq "$(body)" "100000000 $sum" "upload to https body"
got=$(curl -sS --cacert "$ca" --resolve "tls.test:$port:127.0.0.1" \
    "https://tls.test:$port/download?n=100000000" | sha256sum | cut -c1-64)
expect_eq "$got" "$want" "download from https"
hwm1=$(hwm)
echo "peak RSS: ${hwm0} kB before, ${hwm1} kB after 400 MB up and 300 MB down"
# The bound holds for the real binary; a sanitizer build (OE_SANITIZED) keeps freed memory in
# quarantine on purpose.
[ -n "${OE_SANITIZED:-}" ] || [ "$hwm1" -lt $((hwm0 + 16384)) ] ||
    fail "peak RSS grew from $hwm0 kB to $hwm1 kB"
kill -0 "$pid" || fail "the server died"

# Config errors, each at its line (the [site] keys first; the backends once those pass).
bad() {
    printf '[listen "https"]\naddress = 127.0.0.1:%s\n[site "a"]\nhost = a.test\ncert = auto\nroot = www\n' "$port" > "$OE_TMP/bad.conf"
    cat >> "$OE_TMP/bad.conf"
    set +e
    "$OE_BIN" -t -c "$OE_TMP/bad.conf" >"$OE_TMP/bad.log" 2>&1
    rc=$?
    set -e
    expect_eq "$rc" 78 "bad config exit code"
}
want() {
    grep -q "$1" "$OE_TMP/bad.log" || fail "no '$1' in: $(cat "$OE_TMP/bad.log")"
}
bad <<CONF
header = Bad Name: x
header = Date: today
hsts = forever
CONF
want "bad.conf:7: \[site \"a\"\] header: \"Bad Name: x\" is not \"Name: value\""
want "bad.conf:8: \[site \"a\"\] header: date is set by the server itself"
want "bad.conf:9: \[site \"a\"\] hsts: \"forever\" is not a max-age"
bad <<CONF
backend = http://127.0.0.1:1
backend = /x ftp://127.0.0.1:1
backend = /y http://app.example:80
backend = /y unix:relative.sock
backend = /z http://127.0.0.1:2
backend = /z http://127.0.0.1:3
CONF
want "bad.conf:7: \[site \"a\"\] backend: a backend for every path leaves nothing to root"
want "bad.conf:8: \[site \"a\"\] backend: \"ftp://127.0.0.1:1\" is not http(s)://IP:PORT or unix:/PATH"
want "bad.conf:9: \[site \"a\"\] backend: \"http://app.example:80\": the host must be an IP address or localhost"
want "bad.conf:10: \[site \"a\"\] backend: \"unix:relative.sock\": unix: needs an absolute path"
want "bad.conf:12: \[site \"a\"\] backend: prefix /z already has a backend"
bad <<CONF
backend = /h https://127.0.0.1:3
backend-ca-file = missing.pem
[site "b"]
host = b.test
cert = auto
backend = http://127.0.0.1:3
backend-server-name = b.internal
CONF
want "bad.conf:8: \[site \"a\"\] backend-ca-file: .*missing.pem"
want "bad.conf:13: \[site \"b\"\] backend-server-name: only for https:// backends, and this site has none"
# The server's log names no client (its address, or the port it connected from).
grep -q '127\.0\.0\.1[^:]\|127\.0\.0\.1$' "$OE_TMP/edge.log" && fail "the log names an address: $(cat "$OE_TMP/edge.log")"
echo "ok"
