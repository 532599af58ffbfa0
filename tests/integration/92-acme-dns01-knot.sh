# cert = acme for two sites against pebble, whose DNS is a real knotd: "h" by http-01 and "w"
# with a wildcard (*.w.acme.test) by dns-01, published by TSIG-signed DNS UPDATE to knotd
# (an ACL limited to TXT at _acme-challenge.w.acme.test) and removed after validation. Both
# chains verify against pebble's root; a name under the wildcard is served; a forced renewal of
# the wildcard site swaps its certificate while h2load (long-lived HTTP/2 connections opened
# before the swap) and a curl loop (new connections) see no failed request; a wildcard with
# challenge = http-01 and dns-01 without an update server are refused at FILE:LINE.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
kl_apt knot knotd
kl_apt knot-dnsutils kdig

kport=$(oe_port)
secret=$(head -c 32 /dev/urandom | base64)
mkdir -p "$OE_TMP/knot/db"
cat > "$OE_TMP/knot/acme.test.zone" <<'ZONE'
$ORIGIN acme.test.
$TTL 300
@ SOA ns1.acme.test. hostmaster.acme.test. 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.1
h A 127.0.0.1
w A 127.0.0.1
*.w A 127.0.0.1
ZONE
# Updates only with acme-key, only TXT at _acme-challenge.w.acme.test.
kl_knot_run "$kport" "$secret" acme.test acme-key TXT _acme-challenge.w.acme.test.

ACME_DNS_SERVER="127.0.0.1:$kport"
. "$OE_ROOT/tests/integration/acme_lib.sh"
tport=$(oe_port); hport=$(oe_port)
acme_start_pebble "$hport" "$tport"
acme_www
printf '%s\n' "$secret" > "$OE_TMP/tsig.secret"
chmod 600 "$OE_TMP/tsig.secret"
conf() {
    acme_conf_listen "$tport" "$hport"
    acme_conf_site h h.acme.test
    acme_conf_site w w.acme.test '*.w.acme.test'
    acme_conf_acme
    echo "$1"
}
# Refused combinations, at their lines.
conf "challenge = http-01" > "$OE_TMP/bad1.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/bad1.conf" 2>&1) && fail "wildcard with http-01 accepted"
echo "$out" | grep -q "bad1.conf:15: \[site \"w\"\] alias: \"\*.w.acme.test\": a wildcard name needs dns-01, not challenge = http-01" ||
    fail "wildcard with http-01: $out"
conf "" > "$OE_TMP/bad2.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/bad2.conf" 2>&1) && fail "dns-01 without an update server accepted"
echo "$out" | grep -q 'bad2.conf:[0-9]*: \[acme\] update-server: dns-01 (a wildcard name) needs update-server' ||
    fail "dns-01 without update-server: $out"

conf "update-server = 127.0.0.1:$kport
update-zone = acme.test
tsig-name = acme-key
tsig-secret-file = tsig.secret" > "$OE_TMP/edge.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/edge.conf" 2>&1) || fail "config check: $out"
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
acme_wait_count "$OE_TMP/edge.log" 'new certificate from CN=Pebble Intermediate CA' 2 60
acme_no_errors "$OE_TMP/edge.log"
grep -q '\[site "w"\] dns-01: _acme-challenge.w.acme.test published' "$OE_TMP/edge.log" ||
    fail "no dns-01 publication logged"
grep -q 'dns-01: removing' "$OE_TMP/edge.log" && fail "a record removal failed"

# The record is gone after validation.
n=0
while [ -n "$(kdig @127.0.0.1 -p "$kport" +short _acme-challenge.w.acme.test TXT)" ]; do
    n=$((n + 1)); [ $n -lt 50 ] || fail "the TXT record is still served after validation"
    sleep 0.1
done

for name in h.acme.test w.acme.test x.w.acme.test; do
    acme_verify_chain "$tport" "$name"
    acme_expect_hello "$tport" "$name"
done
acme_served_chain "$tport" x.w.acme.test "$OE_TMP/chain.pem"
openssl x509 -in "$OE_TMP/chain.pem" -noout -ext subjectAltName | grep -q 'DNS:\*.w.acme.test' ||
    fail "the wildcard is not in the certificate"
"$OE_BIN" acme status -c "$OE_TMP/edge.conf" > "$OE_TMP/status.out" 2>&1 || fail "acme status"
expect_eq "$(grep -c '^  issuer        CN=Pebble Intermediate CA' "$OE_TMP/status.out")" 2 \
    "issuers in acme status"

# A forced renewal of the wildcard site under load.
old=$(acme_serial "$tport" x.w.acme.test)
oldh=$(acme_serial "$tport" h.acme.test)
acme_load_start "$tport" x.w.acme.test 400
h2=
if command -v h2load >/dev/null; then
    # h2load does not verify certificates; it holds 2 connections for the whole swap.
    timeout 60 h2load -c 2 -m 1 -D 5 \
        --connect-to="127.0.0.1:$tport" "https://y.w.acme.test:$tport/" > "$OE_TMP/h2load.out" 2>&1 &
    h2=$!
fi
sleep 0.5
"$OE_BIN" acme renew w -c "$OE_TMP/edge.conf" > /dev/null || fail "acme renew w"
acme_wait_count "$OE_TMP/edge.log" 'new certificate from' 3 40
acme_load_stop 10 "curl requests answered 200 during the renewal"
[ "$(acme_serial "$tport" x.w.acme.test)" != "$old" ] || fail "the wildcard serial did not change"
expect_eq "$(acme_serial "$tport" h.acme.test)" "$oldh" "the other site's serial"
if [ -n "$h2" ]; then
    wait "$h2" || true
    grep -q 'requests: .* 0 failed, 0 errored' "$OE_TMP/h2load.out" ||
        fail "h2load across the swap: $(grep -E 'requests:|status codes' "$OE_TMP/h2load.out")"
    grep -q 'status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx' "$OE_TMP/h2load.out" ||
        fail "h2load status codes: $(grep 'status codes' "$OE_TMP/h2load.out")"
    echo "h2load across the swap: $(grep 'requests:' "$OE_TMP/h2load.out")"
fi
echo "curl across the swap: $ACME_LOAD_OK/$ACME_LOAD_TOTAL answered 200"
"$OE_BIN" acme status w -c "$OE_TMP/edge.conf" > "$OE_TMP/status.out" 2>&1 || fail "acme status w"
grep -q '^  last error    none$' "$OE_TMP/status.out" || fail "status: $(cat "$OE_TMP/status.out")"
echo "ok"
