#!/bin/sh
# Fleet mode: two instances A and B with the same key-seed file (48 random bytes, mode 0600)
# and the same schedule (rotate 6s) publish identical /.well-known/odohconfigs at the same time,
# before and after an epoch change, and each opens the other's queries: sealed with the configs
# fetched from A, sent to B (--configs HEX), and the reverse. A third instance C with another
# seed publishes other keys and refuses A's with 401. A seed file readable by others, or shorter
# than 32 bytes, stops the start with a message naming the file; `keys rotate` refuses (the
# clock rotates fleet keys). Fleet mode writes no key files.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

seed=$OE_TMP/fleet.seed
head -c 48 /dev/urandom >"$seed"; chmod 600 "$seed"
other=$OE_TMP/other.seed
head -c 48 /dev/urandom >"$other"; chmod 600 "$other"
pa=$(oe_port); kl_conf "$OE_TMP/a" "$pa" "key-seed = $seed"
pb=$(oe_port); kl_conf "$OE_TMP/b" "$pb" "key-seed = $seed"
pc=$(oe_port); kl_conf "$OE_TMP/c" "$pc" "key-seed = $other"
kl_start "$OE_TMP/a" "$pa"
kl_start "$OE_TMP/b" "$pb"
kl_start "$OE_TMP/c" "$pc"
grep -q "fleet mode: keys derived from $seed" "$OE_TMP/a/edge.log" || fail "A: no fleet-mode line: $(cat "$OE_TMP/a/edge.log")"

# same: A, B, A fetched back to back must agree. Each instance applies a state change at its
# own next check (200 ms apart at most), so a triple that straddles a change is tried again; a
# real disagreement persists over all 10 tries (3 s).
same() {
    _k=0
    while :; do
        CA=$(kl_configs "$OE_TMP/a" "$pa"); CB=$(kl_configs "$OE_TMP/b" "$pb")
        [ -n "$CA" ] && [ "$CB" = "$CA" ] && [ "$(kl_configs "$OE_TMP/a" "$pa")" = "$CA" ] && return 0
        _k=$((_k + 1)); [ $_k -lt 10 ] || break
        sleep 0.3
    done
    expect_eq "$CB" "$CA" "configs of B vs A ($1)"
}
cross() {
    kl_query "$OE_TMP/b" "$pb" --configs "$CA" >"$OE_TMP/x.out" 2>&1 || fail "A's configs at B ($1): $(cat "$OE_TMP/x.out")"
    grep -q '^demo.odoh.test.	300	IN	A	127.0.0.1$' "$OE_TMP/x.out" || fail "A's configs at B ($1): $(cat "$OE_TMP/x.out")"
    kl_query "$OE_TMP/a" "$pa" --configs "$CB" >"$OE_TMP/x.out" 2>&1 || fail "B's configs at A ($1): $(cat "$OE_TMP/x.out")"
    grep -q '^demo.odoh.test.	300	IN	A	127.0.0.1$' "$OE_TMP/x.out" || fail "B's configs at A ($1): $(cat "$OE_TMP/x.out")"
}
same "at start"
cross "at start"
first=$(kl_keyid "$CA")
# Every config in the list (current and, near an epoch change, next) opens at the other side.
if [ ${#CA} -gt 92 ]; then
    second=$(printf '%s' "$CA" | cut -c93-180)
    kl_query "$OE_TMP/b" "$pb" --configs "002c$second" >"$OE_TMP/x.out" 2>&1 || fail "A's next config at B: $(cat "$OE_TMP/x.out")"
fi

# C: another seed, other keys; A's configs are unknown there.
CC=$(kl_configs "$OE_TMP/c" "$pc")
[ "$CC" != "$CA" ] || fail "C with another seed publishes A's configs"
rc=0; kl_query "$OE_TMP/c" "$pc" --configs "$CA" >"$OE_TMP/x.out" 2>&1 || rc=$?
expect_eq "$rc" 1 "A's configs at C: exit code"
grep -q 'HTTP status 401' "$OE_TMP/x.out" || fail "A's configs at C: $(cat "$OE_TMP/x.out")"

# After the next epoch change (and a while into it), the same again.
n=0
until [ "$(kl_keyid "$(kl_configs "$OE_TMP/a" "$pa")")" != "$first" ]; do
    n=$((n + 1)); [ $n -lt 80 ] || fail "A did not rotate within 8 s"
    sleep 0.1
done
sleep 0.5
same "after a rotation"
cross "after a rotation"
# The schedule is the clock's: keys activate at multiples of rotate since the epoch.
[ -z "$(ls -A "$OE_TMP/a/state/keys" 2>/dev/null)" ] || fail "fleet mode wrote key files: $(ls "$OE_TMP/a/state/keys")"
"$OE_BIN" keys list -c "$OE_TMP/a/edge.conf" >"$OE_TMP/l.out" 2>&1 || fail "keys list (fleet): $(cat "$OE_TMP/l.out")"
awk '$2 == "current" { print $3 }' "$OE_TMP/l.out" | grep -q ':[0-5][0-9]Z$' || fail "keys list (fleet): $(cat "$OE_TMP/l.out")"
act=$(awk '$2 == "current" { print $3 }' "$OE_TMP/l.out")
secs=$(date -u -d "$act" +%s)
expect_eq "$((secs % 6))" 0 "fleet key activation is a multiple of rotate"
rc=0; "$OE_BIN" keys rotate -c "$OE_TMP/a/edge.conf" >"$OE_TMP/r.out" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q 'fleet mode' "$OE_TMP/r.out" || fail "keys rotate in fleet mode: exit $rc: $(cat "$OE_TMP/r.out")"

# A bad seed file stops the start, naming it.
chmod 644 "$other"
pd=$(oe_port); kl_conf "$OE_TMP/d" "$pd" "key-seed = $other"
rc=0; "$OE_BIN" -c "$OE_TMP/d/edge.conf" >"$OE_TMP/d.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "started with a 0644 key-seed"
grep -q "key-seed $other is readable by group or others" "$OE_TMP/d.out" || fail "0644 key-seed: $(cat "$OE_TMP/d.out")"
head -c 16 /dev/urandom >"$other"; chmod 600 "$other"
rc=0; "$OE_BIN" -c "$OE_TMP/d/edge.conf" >"$OE_TMP/d.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "started with a 16-byte key-seed"
grep -q "key-seed $other: needs at least 32 bytes" "$OE_TMP/d.out" || fail "short key-seed: $(cat "$OE_TMP/d.out")"
echo "fleet: identical configs at A and B before and after an epoch change, cross-opened both ways; C (other seed) 401"
echo ok
