#!/bin/sh
# The OHTTP chain across two odoh-edge instances (each with its own demo CA and certificate):
# client -> relay (relay.test) -> gateway (gateway.test, with the DoH target in-process).
#   - odoh-edge query --ohttp: the answer, and 300 queries with 30 in flight, none failed.
#   - tests/node/ohttp-client.mjs (@hpke/core + bhttp-js): the keys come from the gateway, the
#     sealed query goes to the relay; a name only the gateway's local-data holds resolves;
#     Proxy-Status received-status=200; a wrong key id comes back through the relay as the
#     gateway's 400 ohttp-key problem.
#   - The relay is not open: query parameters naming another destination change nothing (the
#     configured gateway answers); a wrong media type 415, GET 405, an empty body 400; a relay
#     whose gateway is down answers 502 with Proxy-Status error=connection_refused.
#   - Privacy: a relay and a gateway on one site are refused at config time; the gateway saw no
#     client-identifying header (a recording of what it received is not possible from outside, so
#     the relay's outgoing headers are pinned by the shared engine's tests, 61-proxy-safety); no
#     log line of either instance holds an address other than its own listener.
. "$OE_ROOT/tests/integration/lib.sh"
oe_node_need bhttp-js @hpke/core
. "$OE_ROOT/tests/integration/odoh_lib.sh"
cd "$OE_TMP"
gport=$(oe_port); rport=$(oe_port); dead=$(oe_port); oport=$(oe_port)
mkdir g r r2 o o/www
# An HTTPS origin the gateway may forward to (allow-origin), on a third instance.
echo "hello from the origin" >o/www/hello.txt
{
    printf '[global]\nworkers = 1\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n' "$oport"
    printf '[site "origin"]\nhost = origin.test\ncert = auto\nroot = www\n'
} >o/edge.conf
oe_edge_start o "$oport"
{
    oe_odoh_conf target "$gport" 2 'local-data = "secret.gw.test. 60 IN A 198.51.100.56"'
    printf '[site "gateway"]\nhost = gateway.test\ncert = auto\n'
    printf '[ohttp-gateway]\nsite = gateway\nallow-origin = origin.test:%s\n' "$oport"
    printf 'resolve = origin.test=127.0.0.1\nca-file = %s\n' "$OE_TMP/o/state/tls/ca.pem"
} >g/edge.conf
oe_edge_start g "$gport"
gca=$OE_TMP/g/state/tls/ca.pem
relay_conf() {
    printf '[global]\nworkers = 2\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n' "$1"
    printf '[site "relay"]\nhost = relay.test\ncert = auto\n'
    printf '[ohttp-relay]\nsite = relay\ngateway = https://gateway.test:%s/.well-known/ohttp-gateway\n' "$2"
    printf 'resolve = gateway.test=127.0.0.1\nca-file = %s\n' "$gca"
}
relay_conf "$rport" "$gport" >r/edge.conf
oe_edge_start r "$rport"
rca=$OE_TMP/r/state/tls/ca.pem
cmp -s "$rca" "$gca" && fail "the two instances share a CA"
cat "$rca" "$gca" >client-ca.pem
cl() { (cd "$node_dir" && node ohttp-client.mjs --ca "$OE_TMP/client-ca.pem" --gw-port "$gport" \
    --relay-host relay.test --relay-port "$rport" "$@"); }

out=$(cl --name secret.gw.test) || fail "client: $out"
expect_eq "$(echo "$out" | grep -E '^(status|content-type:|proxy-status:|inner-status|rcode|rr) ')" \
    "status 200
content-type: message/ohttp-res
proxy-status: odoh-edge; received-status=200
inner-status 200
rcode NOERROR AA
rr secret.gw.test. 60 IN A 198.51.100.56" "query through the relay"
# The project's own client: odoh-edge query --ohttp, one query and a bounded load run.
res="--resolve relay.test:$rport:127.0.0.1 --resolve gateway.test:$gport:127.0.0.1"
oq() { "$OE_BIN" query "$@" --target "https://target.test:$gport/dns-query" \
    --ohttp "https://relay.test:$rport/relay" --ohttp-keys "https://gateway.test:$gport/ohttp-keys" \
    --ca client-ca.pem $res; }
out=$(oq secret.gw.test A 2>&1) || fail "query --ohttp: $out"
echo "$out" | grep -q '^secret\.gw\.test\.	60	IN	A	198\.51\.100\.56$' || fail "query --ohttp: $out"
echo "$out" | grep -q 'OHTTP to target.test via relay.test' || fail "query --ohttp: $out"
out=$(oq secret.gw.test A --count 300 --concurrency 30 2>&1) || fail "query --ohttp load: $out"
echo "$out" | grep -q '^queries 300 ok 300 failed 0 ' || fail "query --ohttp load: $out"
echo "load through the relay: $out"
st() { cl "$@" | grep -E '^(status|proxy-status:|problem|inner-status) ' | tr '\n' ' '; }
expect_eq "$(st --corrupt keyid)" \
    "status 400 proxy-status: odoh-edge; received-status=400 problem https://iana.org/assignments/http-problem-types#ohttp-key " \
    "wrong key id through the relay"
expect_eq "$(st --relay-path '/relay?targethost=evil.test&targetpath=/x' --name secret.gw.test)" \
    "status 200 proxy-status: odoh-edge; received-status=200 inner-status 200 " "parameters cannot redirect"
expect_eq "$(st --ctype application/oblivious-dns-message)" \
    "status 415 proxy-status: odoh-edge; error=http_request_error; details=\"content-type must be message/ohttp-req\" " \
    "wrong media type"
# An allowed origin: GET through relay and gateway to the third instance; another origin 403.
expect_eq "$(cl --target "origin.test:$oport" --inner-get /hello.txt | grep -E '^(status|inner-status|inner-body:) ' | tr '\n' ' ')" \
    "status 200 inner-status 200 inner-body: hello from the origin " "allowed origin"
expect_eq "$(cl --target "origin.test:$gport" --inner-get /hello.txt | grep -E '^(status|inner-status) ' | tr '\n' ' ')" \
    "status 200 inner-status 403 " "origin on another port"
rl() { curl -sS --cacert client-ca.pem --resolve "relay.test:$rport:127.0.0.1" -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "$(rl "https://relay.test:$rport/relay")" 405 "GET"
expect_eq "$(rl -X POST -H 'content-type: message/ohttp-req' --data-binary '' "https://relay.test:$rport/relay")" 400 "empty body"

# A relay whose gateway does not listen.
relay_conf "$(oe_port)" "$dead" >r2/edge.conf
r2port=$(sed -n 's/^address = 127.0.0.1://p' r2/edge.conf)
oe_edge_start r2 "$r2port"
out=$(curl -sS --cacert r2/state/tls/ca.pem --resolve "relay.test:$r2port:127.0.0.1" -D - -o /dev/null \
    -X POST -H 'content-type: message/ohttp-req' --data-binary 'sealed' "https://relay.test:$r2port/relay" | tr -d '\r')
echo "$out" | grep -q '^HTTP/2 502' || fail "dead gateway: $out"
echo "$out" | grep -q '^proxy-status: odoh-edge; error=connection_refused' || fail "dead gateway: $out"

# Privacy at config time: one site for relay and gateway.
{
    oe_odoh_conf target "$(oe_port)" 1
    printf '[ohttp-gateway]\nsite = target\n[ohttp-relay]\nsite = target\ngateway = https://x.test/g\n'
} >same.conf
rc=0; "$OE_BIN" -t -c same.conf >same.log 2>&1 || rc=$?
expect_eq "$rc" 78 "relay and gateway on one site"
grep -q '\[ohttp-relay\] site: the relay and the gateway must be different sites' same.log ||
    fail "no privacy error: $(cat same.log)"

for l in g r; do oe_expect_no_addr "$OE_TMP/$l.log" "$l"; done
echo "ok: 56-ohttp-relay"
