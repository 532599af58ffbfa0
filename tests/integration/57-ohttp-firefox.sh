#!/bin/sh
# Firefox ESR (headless) resolving DNS over Oblivious HTTP through two odoh-edge instances, with
# nothing but the OHTTP preferences: network.trr.mode = 3 (TRR only), network.trr.use_ohttp,
# network.trr.ohttp.relay_uri (the relay instance), network.trr.ohttp.config_uri (the gateway's
# /ohttp-keys) and network.trr.ohttp.uri (the gateway instance's own DoH endpoint). Only the relay
# and gateway names are in network.dns.localDomains; the page's names (*.gw.test) exist only in the
# gateway instance's local-data, so the page loads only if Firefox's lookups went through OHTTP.
#   load 1: page one.gw.test with 6 images on h1..h6.gw.test;
#   then `odoh-edge keys rotate` on the gateway plus a reload (SIGHUP) while Firefox keeps
#   running; load 2 (the page navigates itself after the rotation): two.gw.test with images on
#   h7..h12.gw.test, sealed with the key configuration Firefox fetched before the rotation.
# Asserted: every resource of both pages served (access log), no failed lookup in Firefox's log,
# the relay relayed only message/ohttp-req (its metrics: relays ok > 0, no 415/400 result), the
# gateway's and relay's logs hold no address but their listeners'.
# What Firefox needs (found here, see modules/ohttp_gateway/README.md): config_uri must return ONE
# key configuration without the list's length prefix (its ohttp glue decodes a single config;
# with the RFC 9458 list form every TRR request fails before it is sent), hence
# keys-form = single; its Binary HTTP field names are mixed case ("Content-Type"); it fetches the
# configuration once per session (not on a 400 ohttp-key), so a rotation is seamless only
# because the key it holds stays accepted for the grace period (with a key that expired, page
# two's lookup fails: this test's lookup count catches it). The pages site runs origin = off:
# with ORIGIN frames Firefox reuses page one's connection and loads page two even when its
# lookups fail. No bootstrap address is needed: the relay and config hosts are
# in network.dns.localDomains (Firefox fetches both with TRR disabled).
. "$OE_ROOT/tests/integration/lib.sh"
command -v firefox-esr >/dev/null || skip "firefox-esr is not installed"
command -v certutil >/dev/null || skip "certutil (libnss3-tools) is not installed"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
FF_TIMEOUT=${OE_FIREFOX_TIMEOUT:-60}
export HOME="$OE_TMP/home"
mkdir -p "$HOME"
cd "$OE_TMP"
gport=$(oe_port); rport=$(oe_port); mport=$(oe_port)
mkdir g r g/www

# ---- pages -------------------------------------------------------------------------------------
/usr/bin/python3 - g/www "$gport" <<'PY'
import os, sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.environ["OE_ROOT"] + "/tests/integration")
from solid_png import png
d, port = sys.argv[1], sys.argv[2]
for i in range(1, 13):
    open("%s/h%d.png" % (d, i), "wb").write(png(20 * i, 100, 200, 32, 32))
def page(name, imgs, then):
    body = "\n".join('<img src="https://h%d.gw.test:%s/h%d.png" width="32" height="32">' % (i, port, i)
                     for i in imgs)
    nav = ('<script>fetch("/go-wait").then(() => { location = "%s"; })</script>' % then) if then else ""
    open("%s/%s.html" % (d, name), "w").write(
        '<!doctype html><html><head><meta charset="utf-8"><title>%s</title></head><body>\n'
        '<h1>%s via OHTTP</h1>\n%s\n%s</body></html>\n' % (name, name, body, nav))
page("one", range(1, 7), "https://two.gw.test:%s/two.html" % port)
page("two", range(7, 13), None)
PY
# The first page asks /go-wait before it navigates: a file that exists only after the rotation
# (404 until then: the script polls it below by retrying).
sed -i 's|fetch("/go-wait").then(() => { location = "\([^"]*\)"; })|(function poll() { fetch("/go-wait").then((r) => { if (r.ok) location = "\1"; else setTimeout(poll, 200); }, () => setTimeout(poll, 200)); })()|' g/www/one.html

# ---- the gateway instance (target, gateway, the pages) and the relay instance -------------------
{
    oe_odoh_conf target "$gport" 2
    for i in $(seq 1 12) one two; do
        h=$i; case $i in [0-9]*) h=h$i ;; esac
        printf 'local-data = "%s.gw.test. 60 IN A 127.0.0.1"\n' "$h"
    done
    printf '[site "gateway"]\nhost = gateway.test\ncert = auto\n'
    printf '[ohttp-gateway]\nsite = gateway\nkeys-form = single\n'
    printf '[site "pages"]\nhost = one.gw.test\nalias = two.gw.test'
    for i in $(seq 1 12); do printf ' h%s.gw.test' "$i"; done
    # origin = off: with an ORIGIN frame Firefox would reuse page one's connection for every
    # name and load page two even with failed lookups; without it, each name needs its lookup.
    printf '\ncert = auto\norigin = off\nroot = www\naccess-log = access.log\n'
} >g/edge.conf
oe_edge_start g "$gport"
gpid=$OE_LASTPID
gca=$OE_TMP/g/state/tls/ca.pem
{
    printf '[global]\nworkers = 2\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n' "$rport"
    printf '[site "relay"]\nhost = relay.test\ncert = auto\n'
    printf '[ohttp-relay]\nsite = relay\ngateway = https://gateway.test:%s/.well-known/ohttp-gateway\n' "$gport"
    printf 'resolve = gateway.test=127.0.0.1\nca-file = %s\n' "$gca"
    printf '[metrics]\naddress = 127.0.0.1:%s\n' "$mport"
} >r/edge.conf
oe_edge_start r "$rport"
rca=$OE_TMP/r/state/tls/ca.pem

# ---- the profile: OHTTP preferences, both CAs trusted -------------------------------------------
p=$OE_TMP/profile
mkdir -p "$p"
certutil -N -d "sql:$p" --empty-password
certutil -A -n odoh-edge-gateway-ca -t "C,," -i "$gca" -d "sql:$p"
certutil -A -n odoh-edge-relay-ca -t "C,," -i "$rca" -d "sql:$p"
cat >"$p/user.js" <<PREFS
user_pref("network.trr.mode", 3);
user_pref("network.trr.use_ohttp", true);
user_pref("network.trr.ohttp.relay_uri", "https://relay.test:$rport/relay");
user_pref("network.trr.ohttp.config_uri", "https://gateway.test:$gport/ohttp-keys");
user_pref("network.trr.ohttp.uri", "https://target.test:$gport/dns-query");
user_pref("network.trr.confirmationNS", "skip");
user_pref("network.trr.allow-rfc1918", true);
user_pref("network.dns.localDomains", "relay.test,gateway.test");
PREFS
cat "$OE_ROOT/tests/integration/firefox_quiet.js" >>"$p/user.js"

served() { grep -c " GET $1 200 " g/access.log 2>/dev/null || true; }
wait_served() { # wait_served PATH SECONDS
    n=$(($2 * 10))
    until [ "$(served "$1")" -ge 1 ]; do
        n=$((n - 1)); [ $n -gt 0 ] || return 1
        sleep 0.1
    done
}
MOZ_LOG=${OE_MOZ_LOG:-timestamp,nsHostResolver:5} MOZ_LOG_FILE="$OE_TMP/moz.log" \
    oe_bg "$OE_TMP/firefox.out" timeout -k 5 "$FF_TIMEOUT" firefox-esr --headless --no-remote \
    --profile "$p" "https://one.gw.test:$gport/one.html"
ffpid=$OE_LASTPID
wait_served /one.html "$FF_TIMEOUT" || fail "page one was not served: $(tail -n 5 "$OE_TMP/firefox.out")"
for i in 1 2 3 4 5 6; do wait_served "/h$i.png" 20 || fail "page one: h$i.png not served"; done
echo "load 1: one.html and 6 images via OHTTP"

# ---- rotate during browsing ---------------------------------------------------------------------
before=$(curl -sS --cacert "$gca" --resolve "gateway.test:$gport:127.0.0.1" "https://gateway.test:$gport/.well-known/ohttp-gateway" | od -An -tx1 | tr -d ' \n')
"$OE_BIN" keys rotate -c g/edge.conf >rotate.out 2>&1 || fail "keys rotate: $(cat rotate.out)"
kill -HUP "$gpid"
n=100
until after=$(curl -sS --cacert "$gca" --resolve "gateway.test:$gport:127.0.0.1" "https://gateway.test:$gport/.well-known/ohttp-gateway" | od -An -tx1 | tr -d ' \n') &&
    [ "$(echo "$after" | cut -c5-6)" != "$(echo "$before" | cut -c5-6)" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "the gateway's current key id did not change: $before"
    sleep 0.1
done
echo "rotated: current key id $(echo "$before" | cut -c5-6) -> $(echo "$after" | cut -c5-6)"
: >g/www/go-wait
wait_served /two.html 20 || fail "page two was not served after the rotation"
for i in 7 8 9 10 11 12; do wait_served "/h$i.png" 20 || fail "page two: h$i.png not served"; done
echo "load 2: two.html and 6 images via OHTTP after the rotation"
# Firefox writes its log asynchronously: wait (bounded) until every name's lookup is in it.
resolved_names() {
    cat "$OE_TMP"/moz.log* 2>/dev/null |
        sed -n 's/.*CompleteLookup: \([a-z0-9]*\.gw\.test\) has .*/\1/p' | sort -u | wc -l
}
n=50
until [ "$(resolved_names)" -ge 14 ] || [ $n -le 0 ]; do n=$((n - 1)); sleep 0.1; done
kill "$ffpid" 2>/dev/null || true
sleep 0.5

# ---- what the servers and Firefox saw ----------------------------------------------------------
cat "$OE_TMP"/moz.log* 2>/dev/null >moz.txt || true
failed=$(grep -c 'CompleteLookup: [a-z0-9]*\.gw\.test has NO address' moz.txt || true)
resolved=$(sed -n 's/.*CompleteLookup: \([a-z0-9]*\.gw\.test\) has 127\.0\.0\.1.*/\1/p' moz.txt | sort -u | wc -l)
echo "lookups: $resolved names resolved over OHTTP, $failed failed"
expect_eq "$failed" 0 "failed lookups in Firefox's log"
expect_eq "$resolved" 14 "names resolved (one, two, h1..h12)"
m=$(curl -sS "http://127.0.0.1:$mport/metrics")
ok=$(echo "$m" | sed -n 's/^odoh_edge_ohttp_relays_total{result="ok"} //p')
[ "${ok:-0}" -ge 1 ] || fail "the relay relayed nothing: $(echo "$m" | grep relays)"
bad=$(echo "$m" | grep '^odoh_edge_ohttp_relays_total{result="\(400\|415\|403\|other\)"}' | awk '{s += $2} END {print s + 0}')
expect_eq "$bad" 0 "relay requests that were not message/ohttp-req"
echo "relay: $ok sealed requests relayed, nothing else"
for l in g r; do
    oe_expect_no_addr "$OE_TMP/$l.log" "$l" 'serving /metrics and /healthz on 127\.0\.0\.1'
done
echo "ok: 57-ohttp-firefox"
