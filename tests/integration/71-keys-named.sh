#!/bin/sh
# Key publication by DNS UPDATE + TSIG against a real BIND (Debian bind9: named -g in the
# foreground, a temporary folder, recursion off, no rndc) on loopback: zone odoh.test, TSIG key
# update-key (hmac-sha256), update-policy granting only target.odoh.test./HTTPS to that key.
#   A  the right key: after start and after each of >= 2 rotations (rotate 6s), the key32769
#      value dig gets from named (RFC 3597 form via +unknownformat, and the \DDD presentation)
#      is byte-equal to /.well-known/odohconfigs; every change is confirmed in A's log.
#   B  a wrong TSIG secret: NOTAUTH + BADSIG logged, retried; B still rotates and answers.
#   C  a name outside the policy (evil.odoh.test, which exists): REFUSED logged; not served.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
kl_apt bind9 named
kl_apt bind9-dnsutils dig

nport=$(oe_port)
secret=$(head -c 32 /dev/urandom | base64)
nd=$OE_TMP/named
mkdir -p "$nd"
cat >"$nd/odoh.test.zone" <<'ZONE'
$ORIGIN odoh.test.
$TTL 300
@ SOA ns1.odoh.test. hostmaster.odoh.test. 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.1
target A 127.0.0.1
evil A 127.0.0.1
ZONE
cat >"$nd/named.conf" <<CONF
options {
    directory "$nd";
    pid-file "$nd/named.pid";
    session-keyfile "$nd/session.key";
    managed-keys-directory "$nd";
    listen-on port $nport { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    allow-query { any; };
    dnssec-validation no;
    notify no;
};
controls { };
key "update-key" {
    algorithm hmac-sha256;
    secret "$secret";
};
zone "odoh.test" {
    type primary;
    file "$nd/odoh.test.zone";
    update-policy { grant update-key name target.odoh.test. HTTPS; };
};
CONF
oe_bg "$OE_TMP/named.log" named -g -c "$nd/named.conf"
oe_wait_tcp "$nport" 15 || fail "named did not start: $(tail -n 20 "$OE_TMP/named.log")"
n=0
until dig @127.0.0.1 -p "$nport" +short +time=1 +tries=1 odoh.test SOA | grep -q ns1; do
    [ $n -lt 30 ] || fail "named does not serve odoh.test: $(tail -n 20 "$OE_TMP/named.log")"
    sleep 0.2; n=$((n + 1))
done

upd="update-server = 127.0.0.1:$nport
update-zone = odoh.test
update-timeout = 1s"
pa=$(oe_port); kl_conf "$OE_TMP/a" "$pa" "$upd" "tsig-name = update-key" "tsig-secret = $secret"
pb=$(oe_port); kl_conf "$OE_TMP/b" "$pb" "$upd" "tsig-name = update-key" "tsig-secret = $(head -c 32 /dev/urandom | base64)"
pc=$(oe_port); kl_conf "$OE_TMP/c" "$pc" "$upd" "tsig-name = update-key" "tsig-secret = $secret" "record-name = evil.odoh.test"
kl_start "$OE_TMP/a" "$pa"; pid_a=$KL_PID
kl_start "$OE_TMP/b" "$pb"; pid_b=$KL_PID
kl_start "$OE_TMP/c" "$pc"
b_first=$(kl_keyid "$(kl_configs "$OE_TMP/b" "$pb")")

named_generic() { dig @127.0.0.1 -p "$nport" +short +unknownformat +time=2 +tries=1 "$KL_HOST" HTTPS | kl_py generic; }

kl_follow named_generic "$OE_TMP/a" "$pa" 14 2
kill -0 "$pid_a" 2>/dev/null || fail "odoh-edge A died: $(tail -n 20 "$OE_TMP/a/edge.log")"

# dig's own presentation (key32769="\DDD...") decodes to the same bytes.
# A rotation between the two reads makes them differ for a moment: read both again until they
# agree, every 0.1 s for at most 3 s.
n=0
while :; do
    wk=$(kl_configs "$OE_TMP/a" "$pa")
    pres=$(dig @127.0.0.1 -p "$nport" +short "$KL_HOST" HTTPS | kl_py presentation)
    [ "$pres" != "$wk" ] && [ $n -lt 30 ] || break
    sleep 0.1; n=$((n + 1))
done
[ -n "$wk" ] || fail "A publishes no configs"
expect_eq "$pres" "$wk" "dig presentation key32769 vs well-known"
dig @127.0.0.1 -p "$nport" +short "$KL_HOST" HTTPS | grep -q "^1 \. alpn=\"\{0,1\}h2\"\{0,1\} port=$pa key7=\"/dns-query{?dns}\" key32769=\"" ||
    fail "named serves: $(dig @127.0.0.1 -p "$nport" +short "$KL_HOST" HTTPS)"
confirmed=$(grep -c "DNS UPDATE: 127.0.0.1:$nport serves the new HTTPS record for target.odoh.test" "$OE_TMP/a/edge.log" || true)
[ "$confirmed" -ge 4 ] || fail "A confirmed only $confirmed updates: $(grep 'DNS UPDATE' "$OE_TMP/a/edge.log" | tail -n 5)"
grep -q 'DNS UPDATE.*failed' "$OE_TMP/a/edge.log" && fail "A had failed updates: $(grep 'failed' "$OE_TMP/a/edge.log" | head -n 3)"

kill -0 "$pid_b" 2>/dev/null || fail "odoh-edge B died: $(tail -n 20 "$OE_TMP/b/edge.log")"
grep -q "error: keys: DNS UPDATE to 127.0.0.1:$nport for target.odoh.test.* failed: NOTAUTH.*BADSIG" "$OE_TMP/b/edge.log" ||
    fail "B: no clear BADSIG error: $(grep 'DNS UPDATE' "$OE_TMP/b/edge.log" | head -n 3)"
retries=$(grep -c 'DNS UPDATE: retrying in' "$OE_TMP/b/edge.log" || true)
[ "$retries" -ge 3 ] || fail "B: $retries retries logged (want >= 3)"
[ "$(kl_keyid "$(kl_configs "$OE_TMP/b" "$pb")")" != "$b_first" ] || fail "B: local rotation stopped"
kl_query "$OE_TMP/b" "$pb" >"$OE_TMP/qb" 2>&1 || fail "B no longer answers: $(cat "$OE_TMP/qb")"

grep -q "error: keys: DNS UPDATE to 127.0.0.1:$nport for evil.odoh.test.* failed: \(REFUSED\|NOTAUTH\)" "$OE_TMP/c/edge.log" ||
    fail "C: no REFUSED/NOTAUTH error: $(grep 'DNS UPDATE' "$OE_TMP/c/edge.log" | head -n 3)"
[ "$(dig @127.0.0.1 -p "$nport" +short evil.odoh.test HTTPS)" = "" ] || fail "named accepted evil.odoh.test HTTPS"
grep -q "update failed: rejected by secure update (REFUSED)" "$OE_TMP/named.log" || fail "named did not log the refusal"

grep -m1 'failed' "$OE_TMP/b/edge.log"
grep -m1 'failed' "$OE_TMP/c/edge.log"
echo ok
