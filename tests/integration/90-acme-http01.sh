# cert = acme with HTTP-01 against pebble: the site starts on a temporary certificate, gets one
# from pebble (validated over the plain-HTTP listener), serves it without a restart (a chain
# that openssl verify and curl accept against pebble's root, and the ORIGIN frame for both
# names), keeps it across a restart without a new order, and `acme renew` swaps in a new one
# while a bounded loop of requests sees no failure. `acme status` shows issuer and expiry.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"

tport=$(oe_port); hport=$(oe_port)
acme_start_pebble "$hport" "$tport"
acme_www
{
    acme_conf_listen "$tport" "$hport"
    echo "redirect = yes"
    acme_conf_site a a.acme.test www.acme.test
    acme_conf_acme
    echo "email = admin@acme.test"
} > "$OE_TMP/edge.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/edge.conf" 2>&1) || fail "config check: $out"
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_wait_log "$OE_TMP/edge.log" 'cert = acme: no certificate yet; serving a temporary one'
oe_wait_log "$OE_TMP/edge.log" 'registered ACME account https://localhost' 20
oe_wait_log "$OE_TMP/edge.log" 'new certificate from CN=Pebble Intermediate CA' 30
acme_no_errors "$OE_TMP/edge.log"

# The served chain verifies against pebble's root, for both names.
for name in a.acme.test www.acme.test; do
    acme_verify_chain "$tport" "$name"
    expect_eq "$(grep -c 'BEGIN CERT' "$OE_TMP/chain.pem")" 2 "certificates served for $name"
    acme_expect_hello "$tport" "$name"
done
# The challenge path is answered only while a challenge is pending; the redirect spares it.
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: a.acme.test' \
    "http://127.0.0.1:$hport/.well-known/acme-challenge/nothing")
expect_eq "$code" 404 "unknown challenge token"
# Files in STATE/acme: private ones 0600.
for f in account.key a.key account.url; do
    expect_eq "$(stat -c %a "$OE_TMP/state/acme/$f")" 600 "mode of $f"
done

# ORIGIN frame of the new certificate: both names.
acme_expect_origin "$tport" a.acme.test www.acme.test

# acme status, from the state folder alone.
"$OE_BIN" acme status -c "$OE_TMP/edge.conf" > "$OE_TMP/status.out" 2>&1 || fail "acme status"
grep -q '^  issuer        CN=Pebble Intermediate CA' "$OE_TMP/status.out" ||
    fail "status: $(cat "$OE_TMP/status.out")"
grep -q '^  last error    none$' "$OE_TMP/status.out" || fail "status: $(cat "$OE_TMP/status.out")"
grep -Eq '^  next renewal  20[0-9-]+T' "$OE_TMP/status.out" || fail "status: no next renewal"

# A forced renewal under load: a bounded loop of requests, each on a new connection, across
# the swap; none may fail, and the serial changes.
old=$(acme_serial "$tport" a.acme.test)
acme_load_start "$tport" a.acme.test 400
sleep 0.5
"$OE_BIN" acme renew a -c "$OE_TMP/edge.conf" > "$OE_TMP/renew.out" 2>&1 || fail "acme renew"
oe_wait_log "$OE_TMP/edge.log" 'ordering a certificate (renewal asked for)'
acme_wait_count "$OE_TMP/edge.log" 'new certificate from' 2 30
acme_load_stop 10 "requests answered 200 during the renewal"
new=$(acme_serial "$tport" a.acme.test)
[ "$old" != "$new" ] || fail "the serial did not change after acme renew ($old)"
echo "renewal under load: $ACME_LOAD_OK/$ACME_LOAD_TOTAL requests answered 200, serial $old -> $new"

# A restart serves the stored certificate at once and orders nothing.
kill "$OE_LASTPID"; wait "$OE_LASTPID" 2>/dev/null || true
oe_bg "$OE_TMP/edge2.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_wait_tcp "$tport" || fail "no restart"
sleep 1
expect_eq "$(acme_serial "$tport" a.acme.test)" "$new" "serial after a restart"
grep -q 'ordering a certificate\|temporary one' "$OE_TMP/edge2.log" &&
    fail "restart ordered again: $(cat "$OE_TMP/edge2.log")"

# A reload (SIGHUP) in the middle of an order cancels it cleanly; the new configuration serves
# the stored certificate and orders afresh.
"$OE_BIN" acme renew -c "$OE_TMP/edge.conf" >/dev/null || fail "acme renew"
oe_wait_log "$OE_TMP/edge2.log" 'ordering a certificate (renewal asked for)'
kill -HUP "$OE_LASTPID"
oe_wait_log "$OE_TMP/edge2.log" 'configuration reloaded'
kill -HUP "$OE_LASTPID"
acme_wait_count "$OE_TMP/edge2.log" 'configuration reloaded' 2 10
acme_wait_count "$OE_TMP/edge2.log" 'new certificate from' 1 30
kill -0 "$OE_LASTPID" || fail "odoh-edge died across reloads: $(tail -5 "$OE_TMP/edge2.log")"
body=$(curl -sS --fail --cacert "$ACME_ROOT" --resolve "a.acme.test:$tport:127.0.0.1" \
    "https://a.acme.test:$tport/") || fail "curl after reloads"
expect_eq "$body" "hello" "body after reloads"
echo "ok"
