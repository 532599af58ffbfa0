# ACME Renewal Information (RFC 9773): a directory with renewalInfo (acme_fake.py in "ari" mode:
# pebble's directory plus its own renewalInfo) is asked with the certificate's CertID, which
# must equal the one computed independently (python3-cryptography: AKI keyIdentifier and serial);
# a window far ahead keeps the certificate (and acme status shows the window); a window moved
# into the past makes the server renew at once, with "replaces" accepted by pebble.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"

tport=$(oe_port); hport=$(oe_port); fport=$(oe_port)
acme_start_pebble "$hport" "$tport"
echo "2099-01-01T00:00:00Z 2099-01-02T00:00:00Z" > "$OE_TMP/fake.requests.window"
ACME_FAKE_UPSTREAM=$ACME_DIR ACME_FAKE_CA=$ACME_CA oe_bg "$OE_TMP/fake.log" /usr/bin/python3 \
    "$OE_ROOT/tests/integration/acme_fake.py" "$fport" "$ACME_CA" "$OE_TMP/pebble.key" \
    "$OE_TMP/fake.requests"
oe_wait_tcp "$fport" || fail "acme_fake did not start: $(cat "$OE_TMP/fake.log")"
acme_www
{
    acme_conf_listen "$tport" "$hport"
    acme_conf_site a a.acme.test
    acme_conf_acme "https://localhost:$fport/ari/dir"
} > "$OE_TMP/edge.conf"
acme_start_edge
oe_wait_log "$OE_TMP/edge.log" 'renewalInfo: window 2099-01-01T00:00:00Z .. 2099-01-02T00:00:00Z; renewing at 40' 10
acme_served_chain "$tport" a.acme.test "$OE_TMP/chain.pem"
want=$(/usr/bin/python3 - "$OE_TMP/chain.pem" <<'PY'
import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
n = c.serial_number
serial = n.to_bytes((n.bit_length() + 8) // 8, "big")  # DER INTEGER content (sign bit clear)
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(b(aki) + "." + b(serial))
PY
)
grep -q "^GET /ari/renewal-info/$want\$" "$OE_TMP/fake.requests" ||
    fail "renewalInfo CertID: want $want, asked $(grep renewal-info "$OE_TMP/fake.requests" | head -2)"
"$OE_BIN" acme status -c "$OE_TMP/edge.conf" > "$OE_TMP/status.out" 2>&1 || fail "acme status"
grep -q '^  next renewal  2099-01-01T.* (renewalInfo window 2099-01-01T00:00:00Z .. 2099-01-02T00:00:00Z)$' \
    "$OE_TMP/status.out" || fail "status: $(cat "$OE_TMP/status.out")"
old=$(acme_serial "$tport" a.acme.test)
grep -q 'ordering a certificate (renewal due)' "$OE_TMP/edge.log" && fail "renewed before the window"

# The server moves the window into the past: renew now (§4.2), at the next look (Retry-After 1).
echo "2020-01-01T00:00:00Z 2020-01-01T00:00:01Z" > "$OE_TMP/fake.requests.window"
oe_wait_log "$OE_TMP/edge.log" 'ordering a certificate (renewal due)' 10
acme_wait_count "$OE_TMP/edge.log" 'new certificate from' 2 30
[ "$(acme_serial "$tport" a.acme.test)" != "$old" ] || fail "the serial did not change"
acme_no_errors "$OE_TMP/edge.log"
echo "ok"
