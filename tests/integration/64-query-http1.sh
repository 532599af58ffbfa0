# `odoh-edge query` against a target that speaks HTTP/1.1 only (regression, issue 11 item 5:
# the outbound client ran the completion callback inside llhttp's on_message_complete; the
# callback's next request on the same connection re-initialised the parser under
# llhttp_execute, later responses were ignored and every second request waited for the 10 s
# time-out). The front is recording_target.py h1-front (ALPN http/1.1, keep-alive) before a real
# odoh-edge target.
#   - the configs fetch, then the sealed query, on one kept-alive connection: exit 0, the exact
#     ANSWER line, well under the 10 s time-out, and one connection for both requests;
#   - --count 20 (one in flight, every request reuses the connection) and --count 40
#     --concurrency 4: all ok, in bounded time;
#   - --doh --count 10: the same for plain DoH.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed"
py=/usr/bin/python3
rec=$OE_ROOT/tests/integration/recording_target.py
checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
tport=$(oe_port); fport=$(oe_port)
mkdir t
oe_odoh_conf target "$tport" 1 'local-data = "q.test. 60 IN A 192.0.2.64"' >t/edge.conf
oe_edge_start t "$tport"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=front-ca \
    -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign >openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=target.test \
    -keyout front.key -out front.csr >>openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
printf 'subjectAltName=DNS:target.test\nbasicConstraints=CA:FALSE\n' >ext.cnf
openssl x509 -req -in front.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out front.pem >>openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
oe_bg "$OE_TMP/front.out" "$py" "$rec" h1-front "$fport" front.pem front.key "$tport" \
    "$OE_TMP/t/state/tls/ca.pem"
oe_wait_tcp "$fport" || fail "the HTTP/1.1 front did not start: $(cat front.out)"

furl=https://target.test:$fport/dns-query
R="--resolve target.test:$fport:127.0.0.1"
# run CMD...: odoh-edge with the args; stdout in out, stderr in err, exit code in $rc, time in
# $ms (milliseconds).
run() {
    rc=0; t0=$(date +%s%N)
    "$OE_BIN" "$@" >out 2>err || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, want $1; stdout: $(cat out); stderr: $(cat err)"; }
# The client's request time-out is 10 s: a stall shows as 10,000 ms or more.
expect_fast() { [ "$ms" -lt "$1" ] || fail "$2 took $ms ms, want under $1 ms (a stalled request?)"; }

# ---- configs fetch, then the query, on one connection ---------------------------------------------
: >"$fport.front.log"
run query q.test A --target "$furl" --ca ca.pem $R
expect_rc 0 "query over HTTP/1.1"
expect_fast 3000 "query over HTTP/1.1"
expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(printf 'q.test.\t60\tIN\tA\t192.0.2.64')" "ANSWER line"
expect_eq "$(cat "$fport.front.log")" "conn
GET /.well-known/odohconfigs 200
POST /dns-query 200" "the front's log (one connection, two requests)"
echo "configs + query over HTTP/1.1: $ms ms"; ok

# ---- load mode ---------------------------------------------------------------------------------------
: >"$fport.front.log"
run query q.test A --target "$furl" --ca ca.pem $R --count 20
expect_rc 0 "--count 20 over HTTP/1.1"
expect_fast 8000 "--count 20 over HTTP/1.1"
grep -qx 'queries 20 ok 20 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*' out ||
    fail "--count 20 line: $(cat out)"
expect_eq "$(grep -c '^conn$' "$fport.front.log")" 1 "connections for --count 20"
expect_eq "$(grep -c '^POST /dns-query 200$' "$fport.front.log")" 20 "queries for --count 20"
echo "--count 20 over HTTP/1.1: $ms ms"; ok

run query q.test A --target "$furl" --ca ca.pem $R --count 40 --concurrency 4
expect_rc 0 "--count 40 --concurrency 4 over HTTP/1.1"
expect_fast 8000 "--count 40 --concurrency 4 over HTTP/1.1"
grep -qx 'queries 40 ok 40 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*' out ||
    fail "--count 40 line: $(cat out)"
echo "--count 40 --concurrency 4 over HTTP/1.1: $ms ms"; ok

run query q.test A --target "$furl" --ca ca.pem $R --doh --count 10
expect_rc 0 "--doh --count 10 over HTTP/1.1"
expect_fast 5000 "--doh --count 10 over HTTP/1.1"
grep -qx 'queries 10 ok 10 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*' out ||
    fail "--doh --count 10 line: $(cat out)"; ok
echo "64-query-http1: $checks checks passed"
