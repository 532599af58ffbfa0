#!/bin/sh
# DNS UPDATE over TCP (RFC 7766 framing) against a real knotd: with update-tcp = yes every
# exchange (the signed UPDATE and the confirming query) goes over TCP, and after a rotation
# knotd serves key32769 byte-equal to /.well-known/odohconfigs.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

kport=$(oe_port)
secret=$(head -c 32 /dev/urandom | base64)
kl_knot_start "$kport" "$secret"
pa=$(oe_port)
kl_conf "$OE_TMP/a" "$pa" "update-server = 127.0.0.1:$kport
update-zone = odoh.test
update-timeout = 1s
update-tcp = yes" "tsig-name = update-key" "tsig-secret = $secret"
kl_start "$OE_TMP/a" "$pa"

knot_generic() { kdig @127.0.0.1 -p "$kport" +short +generic +timeout=2 +retry=0 "$KL_HOST" HTTPS | kl_py generic; }
# Two published lists in a row (a rotation in between) must reach knotd.
kl_follow knot_generic "$OE_TMP/a" "$pa" 14 2
n=$(grep -c "serves the new HTTPS record" "$OE_TMP/a/edge.log" || true)
[ "$n" -ge 2 ] || fail "fewer than 2 confirmed updates over TCP: $(grep keys: "$OE_TMP/a/edge.log" | tail -n 5)"
! grep -q "DNS UPDATE.*failed\|over TCP:" "$OE_TMP/a/edge.log" ||
    fail "errors over TCP: $(grep 'DNS UPDATE' "$OE_TMP/a/edge.log" | tail -n 5)"
echo "update over TCP: $n updates confirmed"
