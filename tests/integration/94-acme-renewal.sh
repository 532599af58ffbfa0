# Renewal driven by time: pebble issues certificates valid for 18 s, so renewal falls due a third
# of the lifetime before expiry (renew-before unset) and the running server renews on its own,
# twice, while a bounded loop of requests (each on a new connection) sees no failure; the
# ORIGIN frame on the renewed certificate lists both names; acme status moves with it.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"

tport=$(oe_port); hport=$(oe_port)
acme_start_pebble "$hport" "$tport" 18
acme_www
{
    acme_conf_listen "$tport" "$hport"
    acme_conf_site r r.acme.test s.acme.test
    acme_conf_acme
} > "$OE_TMP/edge.conf"
acme_start_edge
first=$(acme_serial "$tport" r.acme.test)
nb=$(echo | openssl s_client -connect "127.0.0.1:$tport" -servername r.acme.test 2>/dev/null |
    openssl x509 -noout -dates)
echo "first certificate: $first; $nb" | tr '\n' ' '; echo
acme_load_start "$tport" r.acme.test 600 0.05
acme_wait_count "$OE_TMP/edge.log" 'ordering a certificate (renewal due)' 2 40
acme_wait_count "$OE_TMP/edge.log" 'new certificate from' 3 40
acme_load_stop 20 "requests answered 200 across two renewals"
last=$(acme_serial "$tport" r.acme.test)
[ "$first" != "$last" ] || fail "the serial did not change ($first)"
echo "two renewals under load: $ACME_LOAD_OK/$ACME_LOAD_TOTAL requests answered 200, serial $first -> $last"
# The ORIGIN frame on the renewed certificate.
acme_expect_origin "$tport" r.acme.test s.acme.test
acme_no_errors "$OE_TMP/edge.log"
echo "ok"
