# Faults: (1) a challenge that fails (pebble's DNS sends it to an address where nothing listens)
# leaves the site on its current certificate, logs the problem document (type and detail) and
# `acme status` shows it; (2) bad ACME servers (acme_fake.py: garbage directory, 500, a server
# that never answers, a badNonce storm) neither crash nor block serving: while each fails, a
# normal HTTPS request to the same process is answered within a second.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"

tport=$(oe_port); hport=$(oe_port)
PEBBLE_AUTHZREUSE=0 acme_start_pebble "$hport" "$tport"
export PEBBLE_AUTHZREUSE=0
acme_www
site_conf() { # DIR TLS_PORT HTTP_PORT DIRECTORY
    mkdir -p "$1"
    ln -sf "$OE_TMP/www" "$1/www"
    {
        acme_conf_listen "$2" "$3"
        acme_conf_site a a.acme.test
        acme_conf_acme "$4"
    } > "$1/edge.conf"
}

# (1) a failing challenge.
site_conf "$OE_TMP/p" "$tport" "$hport" "$ACME_DIR"
acme_start_edge "$OE_TMP/p"
old=$(acme_serial "$tport" a.acme.test)
curl -sS --fail -X POST -d '{"host":"a.acme.test.","addresses":["127.0.0.2"]}' \
    "http://127.0.0.1:$ACME_CTS/add-a" >/dev/null || fail "challtestsrv add-a"
"$OE_BIN" acme renew -c "$OE_TMP/p/edge.conf" >/dev/null || fail "acme renew"
oe_wait_log "$OE_TMP/p/edge.log" 'certificate order failed: authorization of a.acme.test is invalid: urn:ietf:params:acme:error:' 30
grep 'certificate order failed' "$OE_TMP/p/edge.log" | head -1 |
    grep -q 'the current certificate stays; next attempt in 1s' || fail "no back-off logged"
expect_eq "$(acme_serial "$tport" a.acme.test)" "$old" "serial after a failed renewal"
body=$(curl -sS --fail --cacert "$ACME_ROOT" --resolve "a.acme.test:$tport:127.0.0.1" \
    "https://a.acme.test:$tport/") || fail "curl after a failed renewal"
expect_eq "$body" "hello" "body after a failed renewal"
"$OE_BIN" acme status -c "$OE_TMP/p/edge.conf" > "$OE_TMP/status.out" 2>&1
grep -q '^  last error    20.*authorization of a.acme.test is invalid: urn:ietf:params:acme:error:' \
    "$OE_TMP/status.out" || fail "status: $(cat "$OE_TMP/status.out")"
# Back-off doubles: 1s, 2s, 4s.
acme_wait_count "$OE_TMP/p/edge.log" 'next attempt in 4s' 1 30
edge=$OE_LASTPID

# A restarted ACME server that forgot the account: the account is registered again, and the
# renewal asked for goes through.
curl -sS --fail -X POST -d '{"host":"a.acme.test."}' "http://127.0.0.1:$ACME_CTS/clear-a" \
    >/dev/null || fail "challtestsrv clear-a"
kill "$ACME_PEBBLE_PID"; wait "$ACME_PEBBLE_PID" 2>/dev/null || true
acme_run_pebble
oe_wait_log "$OE_TMP/p/edge.log" 'the ACME server no longer knows the account; registering again' 30
acme_wait_count "$OE_TMP/p/edge.log" 'registered ACME account' 2 30
acme_wait_count "$OE_TMP/p/edge.log" 'new certificate from' 2 30
[ "$(acme_serial "$tport" a.acme.test)" != "$old" ] || fail "no new certificate after re-registering"
kill "$edge"

# (2) bad ACME servers, one odoh-edge each, all at once.
fport=$(oe_port)
oe_bg "$OE_TMP/fake.log" /usr/bin/python3 "$OE_ROOT/tests/integration/acme_fake.py" "$fport" \
    "$ACME_CA" "$OE_TMP/pebble.key" "$OE_TMP/fake.requests"
oe_wait_tcp "$fport" || fail "acme_fake did not start: $(cat "$OE_TMP/fake.log")"
for mode in garbage 500 slow nonce; do
    p=$(oe_port); h=$(oe_port)
    echo "$p" > "$OE_TMP/port.$mode"
    site_conf "$OE_TMP/$mode" "$p" "$h" "https://localhost:$fport/$mode/dir"
    oe_bg "$OE_TMP/$mode/edge.log" "$OE_BIN" -c "$OE_TMP/$mode/edge.conf"
    echo "$OE_LASTPID" > "$OE_TMP/pid.$mode"
done
oe_wait_log "$OE_TMP/garbage/edge.log" 'certificate order failed: directory: the answer is not JSON'
oe_wait_log "$OE_TMP/500/edge.log" 'certificate order failed: directory: HTTP 500, urn:ietf:params:acme:error:serverInternal: injected failure'
oe_wait_log "$OE_TMP/nonce/edge.log" 'certificate order failed: newAccount: HTTP 400, urn:ietf:params:acme:error:badNonce: storm'
acme_wait_count "$OE_TMP/fake.requests" 'GET /nonce/dir' 2 10
# The badNonce storm: one POST and five retries, then the attempt ends. Each attempt starts with
# GET /nonce/dir; every attempt but the last (maybe still running) made exactly 6 POSTs.
per=$(awk '/^GET \/nonce\/dir$/ { if (n != "") printf "%s ", n; n = 0 } /^POST \/nonce\// { n++ }' \
    "$OE_TMP/fake.requests")
[ -n "$per" ] || fail "no complete badNonce attempt yet"
for n in $per; do expect_eq "$n" 6 "POSTs in one attempt during a badNonce storm ($per)"; done
oe_wait_log "$OE_TMP/slow/edge.log" 'ordering a certificate (none yet)'
sleep 1
for mode in garbage 500 slow nonce; do
    p=$(cat "$OE_TMP/port.$mode")
    kill -0 "$(cat "$OE_TMP/pid.$mode")" || fail "odoh-edge ($mode) died: $(tail -5 "$OE_TMP/$mode/edge.log")"
    t0=$(date +%s%N)
    body=$(curl -sS --fail --max-time 2 --cacert "$OE_TMP/$mode/state/tls/ca.pem" \
        --resolve "a.acme.test:$p:127.0.0.1" "https://a.acme.test:$p/") ||
        fail "HTTPS request while the ACME server is $mode"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    expect_eq "$body" "hello" "body while the ACME server is $mode"
    [ "$ms" -lt 1000 ] || fail "a request took $ms ms while the ACME server is $mode"
    echo "$mode: served in $ms ms"
done
grep -q 'certificate order failed' "$OE_TMP/slow/edge.log" &&
    fail "slow: failed before the request time-out: $(grep failed "$OE_TMP/slow/edge.log")"
oe_wait_log "$OE_TMP/slow/edge.log" 'certificate order failed: directory: ' 20
echo "ok"
