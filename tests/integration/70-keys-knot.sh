#!/bin/sh
# Key publication by DNS UPDATE + TSIG against a real knotd (Debian knot) on loopback, zone
# odoh.test, TSIG key update-key (hmac-sha256), update ACL limited to target.odoh.test./HTTPS.
#   A  the right key: after start and after each of >= 2 rotations (rotate 6s) the key32769
#      value kdig gets from knotd (RFC 3597 form via +generic, and the \DDD presentation) is
#      byte-equal to /.well-known/odohconfigs; each change is confirmed in A's log; `odoh-edge
#      query --configs dns --dns knotd` reaches the target before and after a rotation.
#   B  a wrong TSIG secret: refused (NOTAUTH + BADSIG in the log, with server and name), retried
#      with back-off; B's keys still rotate and B keeps answering; knotd never serves B's keys.
#   C  a name outside the ACL (record-name evil.odoh.test, which exists): REFUSED/NOTAUTH logged.
#   D  an unknown TSIG key name: BADKEY logged.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

kport=$(oe_port)
secret=$(head -c 32 /dev/urandom | base64)
kl_knot_start "$kport" "$secret"

upd="update-server = 127.0.0.1:$kport
update-zone = odoh.test
update-timeout = 1s"
pa=$(oe_port); kl_conf "$OE_TMP/a" "$pa" "$upd" "tsig-name = update-key" "tsig-secret = $secret"
pb=$(oe_port); kl_conf "$OE_TMP/b" "$pb" "$upd" "tsig-name = update-key" "tsig-secret = $(head -c 32 /dev/urandom | base64)"
pc=$(oe_port); kl_conf "$OE_TMP/c" "$pc" "$upd" "tsig-name = update-key" "tsig-secret = $secret" "record-name = evil.odoh.test"
pd=$(oe_port); kl_conf "$OE_TMP/d" "$pd" "$upd" "tsig-name = other-key" "tsig-secret = $secret"
kl_start "$OE_TMP/a" "$pa"; pid_a=$KL_PID
kl_start "$OE_TMP/b" "$pb"; pid_b=$KL_PID
kl_start "$OE_TMP/c" "$pc"
kl_start "$OE_TMP/d" "$pd"
b_first=$(kl_keyid "$(kl_configs "$OE_TMP/b" "$pb")")

knot_generic() { kdig @127.0.0.1 -p "$kport" +short +generic +timeout=2 +retry=0 "$KL_HOST" HTTPS | kl_py generic; }

# --configs dns before a rotation: the client reads key32769 from knotd and reaches the target.
dns_query() {
    kl_query "$OE_TMP/a" "$pa" --configs dns --dns "127.0.0.1:$kport" >"$OE_TMP/q.out" 2>"$OE_TMP/q.err" ||
        fail "query --configs dns ($1): $(cat "$OE_TMP/q.out" "$OE_TMP/q.err")"
    grep -q 'configs from the HTTPS record' "$OE_TMP/q.err" || fail "query --configs dns ($1) did not use the record"
    grep -q '^demo.odoh.test.	300	IN	A	127.0.0.1$' "$OE_TMP/q.out" || fail "query --configs dns ($1): $(cat "$OE_TMP/q.out")"
}
n=0
until [ "$(knot_generic)" = "$(kl_configs "$OE_TMP/a" "$pa")" ]; do
    n=$((n + 1)); [ $n -lt 100 ] || fail "knot does not serve A's configs after 100 tries: $(grep 'DNS UPDATE' "$OE_TMP/a/edge.log" | tail -n 3)"
    sleep 0.1
done
dns_query "before a rotation"
cur0=$(kl_keyid "$(kl_configs "$OE_TMP/a" "$pa")")

# A: follow the published lists over >= 2 rotations (14 s; each list lives >= 2 s).
kl_follow knot_generic "$OE_TMP/a" "$pa" 14 2
kill -0 "$pid_a" 2>/dev/null || fail "odoh-edge A died: $(tail -n 20 "$OE_TMP/a/edge.log")"
[ "$(kl_keyid "$(kl_configs "$OE_TMP/a" "$pa")")" != "$cur0" ] || fail "A did not rotate"
dns_query "after rotations"

# The \DDD presentation kdig prints decodes to the same bytes.
# A rotation between the two reads makes them differ for a moment: read both again until they
# agree, every 0.1 s for at most 3 s.
n=0
while :; do
    wk=$(kl_configs "$OE_TMP/a" "$pa")
    pres=$(kdig @127.0.0.1 -p "$kport" +short "$KL_HOST" HTTPS | kl_py presentation)
    [ "$pres" != "$wk" ] && [ $n -lt 30 ] || break
    sleep 0.1; n=$((n + 1))
done
[ -n "$wk" ] || fail "A publishes no configs"
expect_eq "$pres" "$wk" "kdig presentation key32769 vs well-known"
confirmed=$(grep -c 'DNS UPDATE: 127.0.0.1:'"$kport"' serves the new HTTPS record for target.odoh.test' "$OE_TMP/a/edge.log" || true)
[ "$confirmed" -ge 4 ] || fail "A confirmed only $confirmed updates: $(grep 'DNS UPDATE' "$OE_TMP/a/edge.log" | tail -n 5)"
grep -q 'DNS UPDATE.*failed' "$OE_TMP/a/edge.log" && fail "A had failed updates: $(grep 'failed' "$OE_TMP/a/edge.log" | head -n 3)"

# B: wrong secret.
kill -0 "$pid_b" 2>/dev/null || fail "odoh-edge B died: $(tail -n 20 "$OE_TMP/b/edge.log")"
grep -q "error: keys: DNS UPDATE to 127.0.0.1:$kport for target.odoh.test.* failed: NOTAUTH.*BADSIG" "$OE_TMP/b/edge.log" ||
    fail "B: no clear BADSIG error: $(grep 'DNS UPDATE' "$OE_TMP/b/edge.log" | head -n 3)"
fails=$(grep -c 'DNS UPDATE to.*failed' "$OE_TMP/b/edge.log" || true)
retries=$(grep -c 'DNS UPDATE: retrying in' "$OE_TMP/b/edge.log" || true)
[ "$fails" -ge 3 ] && [ "$retries" -ge 3 ] || fail "B: $fails failures, $retries retries logged (want >= 3 each)"
grep -q 'retrying in 2000 ms' "$OE_TMP/b/edge.log" || fail "B: no back-off (no 'retrying in 2000 ms')"
grep -q 'serves the new HTTPS record' "$OE_TMP/b/edge.log" && fail "B: an update with a wrong secret was confirmed"
b_now=$(kl_keyid "$(kl_configs "$OE_TMP/b" "$pb")")
[ "$b_now" != "$b_first" ] || fail "B: local rotation stopped (still $b_first)"
kl_query "$OE_TMP/b" "$pb" >"$OE_TMP/qb" 2>&1 || fail "B no longer answers: $(cat "$OE_TMP/qb")"
for v in $(knot_generic); do
    [ "$v" != "$(kl_configs "$OE_TMP/b" "$pb")" ] || fail "knotd serves B's configs"
done

# C: outside the ACL.
grep -q "error: keys: DNS UPDATE to 127.0.0.1:$kport for evil.odoh.test.* failed: \(REFUSED\|NOTAUTH\)" "$OE_TMP/c/edge.log" ||
    fail "C: no REFUSED/NOTAUTH error: $(grep 'DNS UPDATE' "$OE_TMP/c/edge.log" | head -n 3)"
[ "$(kdig @127.0.0.1 -p "$kport" +short evil.odoh.test HTTPS)" = "" ] || fail "knotd accepted evil.odoh.test HTTPS"
kl_query "$OE_TMP/c" "$pc" >"$OE_TMP/qc" 2>&1 || fail "C no longer answers: $(cat "$OE_TMP/qc")"

# D: unknown key.
grep -q "error: keys: DNS UPDATE to 127.0.0.1:$kport for target.odoh.test.* failed: NOTAUTH.*BADKEY" "$OE_TMP/d/edge.log" ||
    fail "D: no clear BADKEY error: $(grep 'DNS UPDATE' "$OE_TMP/d/edge.log" | head -n 3)"

echo "B: $fails refused updates, $retries retries; C and D refused as expected"
grep -m1 'failed' "$OE_TMP/b/edge.log"
grep -m1 'failed' "$OE_TMP/c/edge.log"
grep -m1 'failed' "$OE_TMP/d/edge.log"
echo ok
