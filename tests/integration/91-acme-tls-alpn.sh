# cert = acme with TLS-ALPN-01 (RFC 8737) against pebble: no plain-HTTP listener at all; pebble
# validates by a handshake offering only acme-tls/1, which gets the validation certificate. The
# issued chain verifies against pebble's root; normal clients still negotiate h2 and never see
# a validation certificate; an acme-tls/1 handshake with no challenge pending fails. The account
# key is RSA (RS256 JWS), the certificate key P-384.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"

tport=$(oe_port); unused=$(oe_port)
acme_start_pebble "$unused" "$tport"
acme_www
{
    acme_conf_listen "$tport"
    acme_conf_site t t.acme.test u.acme.test
    acme_conf_acme
    printf 'challenge = tls-alpn-01\nkey-type = ecdsa-p384\naccount-key = rsa2048\n'
} > "$OE_TMP/edge.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/edge.conf" 2>&1) || fail "config check: $out"
echo "$out" | grep -q 'challenge: the first TLS listener is not on port 443' ||
    fail "no port-443 warning: $out"
acme_start_edge
acme_no_errors "$OE_TMP/edge.log"
grep -q 'u.acme.test validated' "$OE_TMP/edge.log" || fail "u.acme.test not validated"
grep -q 'generated an ACME account key (RSA 2048)' "$OE_TMP/edge.log" || fail "no RSA account key"
head -1 "$OE_TMP/state/acme/account-rsa.key" | grep -q 'BEGIN RSA PRIVATE KEY' ||
    fail "account-rsa.key is not an RSA key"
expect_eq "$(stat -c %a "$OE_TMP/state/acme/account-rsa.key")" 600 "mode of account-rsa.key"

for name in t.acme.test u.acme.test; do
    acme_verify_chain "$tport" "$name"
    out=$(curl -sS --fail --http2 -o "$OE_TMP/body" -w '%{http_version}' --cacert "$ACME_ROOT" \
        --resolve "$name:$tport:127.0.0.1" "https://$name:$tport/") || fail "curl ($name)"
    expect_eq "$out" "2" "HTTP version over the ACME certificate ($name)"
    expect_eq "$(cat "$OE_TMP/body")" "hello" "body over the ACME certificate ($name)"
done
# The key type asked for: P-384.
acme_served_chain "$tport" t.acme.test "$OE_TMP/chain.pem"
openssl x509 -in "$OE_TMP/chain.pem" -noout -text | grep -q 'NIST CURVE: P-384' ||
    fail "the leaf key is not P-384"
# No challenge pending: an acme-tls/1 handshake gets nothing.
if echo | openssl s_client -connect "127.0.0.1:$tport" -servername t.acme.test \
    -alpn acme-tls/1 > "$OE_TMP/alpn.out" 2>&1; then
    grep -q 'BEGIN CERTIFICATE\|Server certificate' "$OE_TMP/alpn.out" &&
        fail "acme-tls/1 without a challenge got a certificate"
fi
grep -q 'ALPN protocol: acme-tls/1' "$OE_TMP/alpn.out" && grep -q 'Server certificate' \
    "$OE_TMP/alpn.out" && fail "acme-tls/1 handshake completed without a challenge"
"$OE_BIN" acme status -c "$OE_TMP/edge.conf" > "$OE_TMP/status.out" 2>&1 || fail "acme status"
grep -q '^  issuer        CN=Pebble Intermediate CA' "$OE_TMP/status.out" ||
    fail "status: $(cat "$OE_TMP/status.out")"
echo "ok"
