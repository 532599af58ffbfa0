#!/bin/sh
# Key rotation is on for every target (issue 11 item 7), and a reload is not a change:
#   1. `odoh-edge keys list|rotate|export` work on the shipped config (a copy, so its state goes
#      to a temporary folder) and on the embedded default (a copy of the binary with no config
#      nearby): the first use makes a current key in STATE/keys, `keys rotate` makes a new
#      current one and leaves the old one previous, `keys export` prints the published configs
#   2. a target with no [keys] section runs the lifecycle with the defaults: the key it publishes
#      is the store's current key (rotate 24h), and a `keys rotate` reaches the running server
#      within its check-interval (1 s by default)
#   3. on-change and the zone file run at start and when the published list changes, not at each
#      SIGHUP: two reloads log "nothing to publish again" and run on-change no more; the next
#      `keys rotate` runs it once
#   4. 40 `keys rotate` in a row with rotate 5m and grace 2h all succeed (the store held 16 keys
#      and then stopped rotating for good), and `keys export` still publishes the current key
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

# wait_log FILE PATTERN COUNT WHAT: until PATTERN (grep -c) matches COUNT lines, at most 5 s.
wait_log() {
    _n=0
    until [ "$(grep -c "$2" "$1" || true)" -ge "$3" ]; do
        _n=$((_n + 1)); [ $_n -lt 50 ] || fail "$4: $(tail -n 5 "$1")"
        sleep 0.1
    done
}

# ---- 1. the shipped config and the embedded default ------------------------------------------------
S=$OE_TMP/shipped
mkdir -p "$S"
sed "s|^root = modules/website/demo|root = $OE_ROOT/modules/website/demo|" "$OE_ROOT/odoh-edge.conf" >"$S/odoh-edge.conf"
keys_cycle() { # WHAT CMD: list, rotate, list, export with `CMD list` etc.; STATE/keys is $KS
    _what=$1; shift
    "$@" list >"$OE_TMP/l1.out" 2>"$OE_TMP/l1.err" || fail "$_what: keys list: $(cat "$OE_TMP/l1.err")"
    expect_eq "$(head -n 1 "$OE_TMP/l1.out" | tr -s ' ')" "key id state active from retires accepted until " "$_what: keys list header"
    expect_eq "$(awk 'NR > 1' "$OE_TMP/l1.out" | awk '{ print $2 }' | tr '\n' ' ')" "current " "$_what: states after the first keys list"
    _k1=$(awk '$2 == "current" { print $1 }' "$OE_TMP/l1.out")
    [ -f "$KS/$_k1.key" ] || fail "$_what: no key file $KS/$_k1.key"
    expect_eq "$(stat -c %a "$KS/$_k1.key")" 600 "$_what: mode of the key file"
    "$@" rotate >"$OE_TMP/r.out" 2>&1 || fail "$_what: keys rotate: $(cat "$OE_TMP/r.out")"
    "$@" list >"$OE_TMP/l2.out" 2>&1 || fail "$_what: keys list after rotate: $(cat "$OE_TMP/l2.out")"
    expect_eq "$(awk -v k="$_k1" '$1 == k { print $2 }' "$OE_TMP/l2.out")" previous "$_what: the rotated-out key"
    _k2=$(awk '$2 == "current" { print $1 }' "$OE_TMP/l2.out")
    [ -n "$_k2" ] && [ "$_k2" != "$_k1" ] || fail "$_what: no new current key: $(cat "$OE_TMP/l2.out")"
    "$@" export >"$OE_TMP/e.out" 2>&1 || fail "$_what: keys export: $(cat "$OE_TMP/e.out")"
    _hex=$(sed -n 's/^hex     //p' "$OE_TMP/e.out")
    expect_eq "$(kl_keyid "$_hex")" "$_k2" "$_what: the exported configs' first key"
}
KS=$S/state/keys
shipped() { "$OE_BIN" keys "$@" -c "$S/odoh-edge.conf"; }
keys_cycle "shipped config" shipped
mkdir -p "$OE_TMP/bin" "$OE_TMP/cwd"
cp "$OE_BIN" "$OE_TMP/bin/odoh-edge"
KS=$OE_TMP/cwd/state/keys
embedded() { (cd "$OE_TMP/cwd" && "$OE_TMP/bin/odoh-edge" keys "$@"); }
keys_cycle "embedded default" embedded
echo "keys list, rotate, export: ok on the shipped config and on the embedded default"

# ---- 2. a target without [keys] ---------------------------------------------------------------------
D=$OE_TMP/nokeys
port=$(oe_port)
mkdir -p "$D"
{
    printf '[global]\nworkers = 1\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n' "$port"
    printf '[site "target"]\nhost = %s\ncert = auto\n' "$KL_HOST"
    printf '[odoh-target]\nsite = target\nlocal-data = "demo.odoh.test. 300 IN A 127.0.0.1"\n'
} >"$D/edge.conf"
kl_start "$D" "$port"
c0=$(kl_configs "$D" "$port")
cur=$(kl_current "$D")
expect_eq "$(kl_keyid "$c0")" "$cur" "published key vs the store's current key (no [keys])"
expect_eq "$(( $(kl_field "$D/state/keys/$cur.key" retire-ms) - $(kl_field "$D/state/keys/$cur.key" activate-ms) ))" 86400000 "rotate (default 24h)"
kl_query "$D" "$port" >"$OE_TMP/q.out" 2>&1 || fail "query (no [keys]): $(cat "$OE_TMP/q.out")"
"$OE_BIN" keys rotate -c "$D/edge.conf" >"$OE_TMP/r.out" 2>&1 || fail "keys rotate (no [keys]): $(cat "$OE_TMP/r.out")"
new=$(kl_current "$D")
[ "$new" != "$cur" ] || fail "keys rotate made no new key"
n=0
until [ "$(kl_keyid "$(kl_configs "$D" "$port")")" = "$new" ]; do
    n=$((n + 1)); [ $n -lt 40 ] || fail "the server did not take the rotated key within 4 s"
    sleep 0.1
done
kl_query "$D" "$port" --configs "$c0" >"$OE_TMP/q.out" 2>&1 || fail "the previous key is refused at once: $(cat "$OE_TMP/q.out")"
kill "$KL_PID"; wait "$KL_PID" 2>/dev/null || true
echo "no [keys]: the target rotates with the defaults ($cur then $new)"

# ---- 3. reloads publish nothing again ---------------------------------------------------------------
D=$OE_TMP/reload
port=$(oe_port)
KL_SCHED="rotate = 1h"
kl_conf "$D" "$port" "on-change = \"echo \$ODOH_CONFIGS_HEX >>$D/changes\""
kl_start "$D" "$port"
wait_log "$D/changes" . 1 "on-change at start"
wait_log "$D/edge.log" "zone-file .* updated" 1 "zone file at start"
expect_eq "$(sed -n 1p "$D/changes")" "$(kl_configs "$D" "$port")" "on-change at start: the configs"
for i in 1 2; do
    kill -HUP "$KL_PID"
    wait_log "$D/edge.log" "configuration reloaded from $D/edge.conf" $i "reload $i"
    wait_log "$D/edge.log" "the published configs are unchanged: nothing to publish again" $i "reload $i: publication"
done
expect_eq "$(grep -c . "$D/changes")" 1 "on-change runs after two reloads"
expect_eq "$(grep -c 'zone-file .* updated' "$D/edge.log")" 1 "zone-file writes after two reloads"
"$OE_BIN" keys rotate -c "$D/edge.conf" >"$OE_TMP/r.out" 2>&1 || fail "keys rotate: $(cat "$OE_TMP/r.out")"
wait_log "$D/changes" . 2 "on-change after keys rotate"
wait_log "$D/edge.log" "zone-file .* updated" 2 "zone file after keys rotate"
expect_eq "$(sed -n 2p "$D/changes")" "$(kl_configs "$D" "$port")" "on-change after keys rotate: the configs"
kill -0 "$KL_PID" || fail "odoh-edge died"
echo "reloads: on-change and zone-file ran once at start, not at two SIGHUPs, once more at keys rotate"
kill "$KL_PID"; wait "$KL_PID" 2>/dev/null || true

# ---- 4. many rotations by hand within grace (issue 12 item 7) ---------------------------------------
# The store held 16 keys: the 16th `keys rotate` within grace failed, and from then on nothing
# rotated and `keys export` said nothing was published.
D=$OE_TMP/many
KL_SCHED="rotate = 5m
grace = 2h"
kl_conf "$D" "$(oe_port)"
i=0
while [ $i -lt 40 ]; do
    i=$((i + 1))
    "$OE_BIN" keys rotate -c "$D/edge.conf" >"$OE_TMP/r.out" 2>&1 || fail "keys rotate number $i: $(cat "$OE_TMP/r.out")"
done
"$OE_BIN" keys list -c "$D/edge.conf" >"$OE_TMP/l.out" 2>&1 || fail "keys list: $(cat "$OE_TMP/l.out")"
expect_eq "$(awk 'NR > 1 { print $2 }' "$OE_TMP/l.out" | sort | uniq -c | tr -s ' ' | tr '\n' ,)" " 1 current, 39 previous," "states after 40 rotations by hand"
"$OE_BIN" keys export -c "$D/edge.conf" >"$OE_TMP/e.out" 2>&1 || fail "keys export: $(cat "$OE_TMP/e.out")"
expect_eq "$(kl_keyid "$(sed -n 's/^hex     //p' "$OE_TMP/e.out")")" "$(awk '$2 == "current" { print $1 }' "$OE_TMP/l.out")" "exported key after 40 rotations"
echo "40 rotations by hand within grace: all done, 1 current and 39 previous keys, export ok"
echo ok
