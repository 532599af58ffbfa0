# Renewal driven by time: pebble issues certificates valid for 18 s, so renewal falls due a third
# of the lifetime before expiry (renew-before unset) and the running server renews on its own,
# twice, while a bounded loop of requests (each on a new connection) sees no failure; the
# ORIGIN frame on the renewed certificate lists both names; acme status moves with it.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/acme_lib.sh"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"

tport=$(oe_port); hport=$(oe_port)
acme_start_pebble "$hport" "$tport" 18
mkdir "$OE_TMP/www"
echo "hello" > "$OE_TMP/www/index.html"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$tport
[listen "plain"]
address = 127.0.0.1:$hport
tls = no
[site "r"]
host = r.acme.test
alias = s.acme.test
cert = acme
root = www
[acme]
directory = $ACME_DIR
ca-file = $ACME_CA
agree-tos = yes
check-interval = 200ms
retry-min = 1s
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_wait_log "$OE_TMP/edge.log" 'new certificate from CN=Pebble Intermediate CA' 30
first=$(acme_serial "$tport" r.acme.test)
nb=$(echo | openssl s_client -connect "127.0.0.1:$tport" -servername r.acme.test 2>/dev/null |
    openssl x509 -noout -dates)
echo "first certificate: $first; $nb" | tr '\n' ' '; echo
: > "$OE_TMP/codes"
(
    i=0
    while [ $i -lt 600 ] && [ ! -e "$OE_TMP/stop" ]; do
        curl -sS -o /dev/null -w '%{http_code}\n' --max-time 5 --cacert "$ACME_ROOT" \
            --resolve "r.acme.test:$tport:127.0.0.1" "https://r.acme.test:$tport/" \
            >> "$OE_TMP/codes" 2>> "$OE_TMP/curl.err" || echo fail >> "$OE_TMP/codes"
        i=$((i + 1))
        sleep 0.05
    done
) &
loop=$!
OE_PIDS="$OE_PIDS $loop"
acme_wait_count "$OE_TMP/edge.log" 'ordering a certificate (renewal due)' 2 40
acme_wait_count "$OE_TMP/edge.log" 'new certificate from' 3 40
sleep 0.5
touch "$OE_TMP/stop"
wait $loop || true
last=$(acme_serial "$tport" r.acme.test)
[ "$first" != "$last" ] || fail "the serial did not change ($first)"
total=$(wc -l < "$OE_TMP/codes")
ok=$(grep -cx 200 "$OE_TMP/codes" || true)
[ "$total" -ge 20 ] || fail "only $total requests in the loop"
expect_eq "$ok" "$total" "requests answered 200 across two renewals ($(sort "$OE_TMP/codes" | uniq -c | tr '\n' ' '); $(head -3 "$OE_TMP/curl.err" 2>/dev/null))"
echo "two renewals under load: $ok/$total requests answered 200, serial $first -> $last"
out=$(/usr/bin/python3 "$OE_ROOT/tests/integration/h2_origin.py" origin "$tport" r.acme.test \
    "$ACME_ROOT" r.acme.test s.acme.test) || fail "h2_origin on the renewed certificate: $out"
echo "$out" | grep -qx "origin: https://r.acme.test:$tport https://s.acme.test:$tport" ||
    fail "ORIGIN frame on the renewed certificate: $out"
echo "$out" | grep -qx "s.acme.test 200" || fail "coalesced request: $out"
grep -q '^error' "$OE_TMP/edge.log" && fail "errors logged: $(grep '^error' "$OE_TMP/edge.log")"
echo "ok"
