# The ODoH proxy host and the target host are never coalesced (DESIGN.md, privacy rule): with the
# shipped odoh-edge.conf (demo + target + proxy sites on one listener, cert = auto; only the ports
# and the document root changed), checked with nghttp -v, raw frames (h2_origin.py) and curl:
#   - SNI proxy.odoh.test: exactly one ORIGIN frame, = {https://proxy.odoh.test:PORT}; the
#     target's and the demo's hosts are 421 on that connection. The same the other way round
#     for SNI target.odoh.test, and the demo set names neither.
#   - The proxy's certificate does not cover the target's name, nor the target's the proxy's.
#   - `odoh-edge origins` prints the same sets.
#   - The shipped proxy relays a demo query to its own target (`odoh-edge query --proxy`).
#   - The same for the shipped OHTTP pair: SNI relay.odoh.test and gateway.odoh.test each get an
#     ORIGIN set of their own host alone, every other role's host is 421 there, neither
#     certificate covers the other's name, and `odoh-edge query --ohttp` through the relay and
#     the gateway gets the demo's records, byte for byte.
#   - Known bugs, reported at the end as a skip until fixed: two sites that share one wildcard
#     certificate share one ORIGIN set, so a proxy site and a target site on *.example both land
#     in it (and the config check says nothing); [odoh-proxy] may name the target's own site.
. "$OE_ROOT/tests/integration/lib.sh"
command -v nghttp >/dev/null || skip "nghttp not installed (nghttp2-client)"
command -v openssl >/dev/null || skip "openssl not installed"
command -v curl >/dev/null || skip "curl not installed"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"
checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
port=$(oe_port); hport=$(oe_port)

# The shipped configuration, on free ports, loopback IPv4 only, with an absolute document root.
sed -e "s/8443/$port/g; s/8080/$hport/g; /^address = \[::1\]/d; s#^root = #root = $OE_ROOT/#" \
    "$OE_ROOT/odoh-edge.conf" >edge.conf
grep -q '^\[odoh-proxy\]' edge.conf && grep -q '^\[odoh-target\]' edge.conf ||
    fail "the shipped config no longer runs both the proxy and the target"
grep -q '^\[ohttp-relay\]' edge.conf && grep -q '^\[ohttp-gateway\]' edge.conf ||
    fail "the shipped config no longer runs both the OHTTP relay and the gateway"
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c edge.conf
oe_wait_tcp "$port" || fail "odoh-edge did not start: $(cat edge.log)"
ca=$OE_TMP/state/tls/ca.pem
P=https://proxy.odoh.test:$port
T=https://target.odoh.test:$port
R=https://relay.odoh.test:$port
G=https://gateway.odoh.test:$port
demo_set=$(for h in demo img css js fonts api cdn static; do printf 'https://%s.odoh.test:%s ' $h "$port"; done)
demo_set=${demo_set% }

# ---- nghttp -v: one ORIGIN frame per connection, its entries --------------------------------------
nghttp_origin() {
    nghttp -v -n -t 5 -H ":authority: $1:$port" "https://127.0.0.1:$port/" 2>&1 |
        awk '/recv ORIGIN frame/ {n++; on=1; next} on && /^ +\[https?:/ {gsub(/[][ ]/, ""); printf "%s%s", sep, $0; sep=" "; next} {on=0} END {if (n != 1) printf " (%d ORIGIN frames)", n}'
}
expect_eq "$(nghttp_origin proxy.odoh.test)" "$P" "nghttp ORIGIN for SNI proxy.odoh.test"; ok
expect_eq "$(nghttp_origin target.odoh.test)" "$T" "nghttp ORIGIN for SNI target.odoh.test"; ok
expect_eq "$(nghttp_origin demo.odoh.test)" "$demo_set" "nghttp ORIGIN for SNI demo.odoh.test"; ok
expect_eq "$(nghttp_origin relay.odoh.test)" "$R" "nghttp ORIGIN for SNI relay.odoh.test"; ok
expect_eq "$(nghttp_origin gateway.odoh.test)" "$G" "nghttp ORIGIN for SNI gateway.odoh.test"; ok

# ---- raw frames: position and entries, 421 for the other role's host ----------------------------
h2o() { /usr/bin/python3 "$OE_ROOT/tests/integration/h2_origin.py" origin "$port" "$@"; }
# raw SNI ORIGIN-SET "HOST STATUS"...: the ORIGIN frame on a connection for SNI, then each host
# asked on it with the status it must get (404 for the connection's own host: no such path).
raw() {
    sni=$1 oset=$2
    shift 2
    hosts='' want="origin: $oset"
    for hs in "$@"; do
        hosts="$hosts ${hs% *}"
        want="$want
$hs"
    done
    # shellcheck disable=SC2086 # the host names are one word each
    got=$(h2o "$sni" "$ca" $hosts 2>h2.err) || fail "h2_origin $sni: $(cat h2.err)"
    expect_eq "$got" "$want" "raw frames, SNI $sni"
    ok
}
raw proxy.odoh.test "$P" "proxy.odoh.test 404" "target.odoh.test 421" "demo.odoh.test 421" \
    "relay.odoh.test 421" "gateway.odoh.test 421"
raw target.odoh.test "$T" "target.odoh.test 404" "proxy.odoh.test 421" "demo.odoh.test 421" \
    "relay.odoh.test 421" "gateway.odoh.test 421"
raw demo.odoh.test "$demo_set" "proxy.odoh.test 421" "target.odoh.test 421" \
    "relay.odoh.test 421" "gateway.odoh.test 421"
raw relay.odoh.test "$R" "relay.odoh.test 404" "gateway.odoh.test 421" "target.odoh.test 421" \
    "proxy.odoh.test 421" "demo.odoh.test 421"
raw gateway.odoh.test "$G" "gateway.odoh.test 404" "relay.odoh.test 421" \
    "target.odoh.test 421" "proxy.odoh.test 421" "demo.odoh.test 421"

# ---- the ODoH endpoints are unreachable through the other role's connection (curl, h2 and h1) --
st() { # SNI-HOST AUTHORITY-HOST METHOD PATH [CURL-ARGS]
    _s=$1; _a=$2; _m=$3; _p=$4; shift 4
    curl -sS -m 5 -o /dev/null -w '%{http_code}' --cacert "$ca" --resolve "$_s:$port:127.0.0.1" \
        -X "$_m" -H "host: $_a:$port" -H 'content-type: application/oblivious-dns-message' \
        --data-binary 'x' "$@" "https://$_s:$port$_p"
}
for v in --http2 --http1.1; do
    expect_eq "$(st target.odoh.test proxy.odoh.test POST "/proxy?targethost=target.odoh.test:$port&targetpath=/dns-query" $v)" 421 "proxy endpoint on the target's connection ($v)"; ok
    expect_eq "$(st proxy.odoh.test target.odoh.test POST /dns-query $v)" 421 "target endpoint on the proxy's connection ($v)"; ok
    expect_eq "$(st proxy.odoh.test target.odoh.test GET /.well-known/odohconfigs $v)" 421 "configs on the proxy's connection ($v)"; ok
    expect_eq "$(st gateway.odoh.test relay.odoh.test POST /relay $v -H 'content-type: message/ohttp-req')" 421 "relay endpoint on the gateway's connection ($v)"; ok
    expect_eq "$(st relay.odoh.test gateway.odoh.test POST /.well-known/ohttp-gateway $v -H 'content-type: message/ohttp-req')" 421 "gateway endpoint on the relay's connection ($v)"; ok
    expect_eq "$(st relay.odoh.test gateway.odoh.test GET /ohttp-keys $v)" 421 "OHTTP keys on the relay's connection ($v)"; ok
done

# ---- certificates: neither covers the other's name ---------------------------------------------------
sans() {
    openssl s_client -connect "127.0.0.1:$port" -servername "$1" </dev/null 2>/dev/null |
        openssl x509 -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' '
}
psan=$(sans proxy.odoh.test); tsan=$(sans target.odoh.test)
echo "$psan" | grep -q 'DNS:proxy.odoh.test' || fail "proxy certificate: $psan"
echo "$tsan" | grep -q 'DNS:target.odoh.test' || fail "target certificate: $tsan"
echo "$psan" | grep -q 'target\|DNS:\*' && fail "the proxy's certificate covers the target: $psan"
echo "$tsan" | grep -q 'proxy\|DNS:\*' && fail "the target's certificate covers the proxy: $tsan"
rsan=$(sans relay.odoh.test); gsan=$(sans gateway.odoh.test)
loop=IPAddress:127.0.0.1,IPAddress:0:0:0:0:0:0:0:1 # cert = auto adds the loopback addresses
expect_eq "$rsan" "DNS:relay.odoh.test,$loop" "the relay's certificate names"
expect_eq "$gsan" "DNS:gateway.odoh.test,$loop" "the gateway's certificate names"
ok

# ---- odoh-edge origins agrees ---------------------------------------------------------------------------
"$OE_BIN" origins -c edge.conf >origins.out 2>&1 || fail "origins command: $(cat origins.out)"
origins_for() {
    awk -v sni="$1" '
        /^certificate / {cur=0}
        /chosen for SNI:/ {cur=0; for (i=4; i<=NF; i++) if ($i == sni) cur=1}
        cur && /ORIGIN frame on/ {if ($0 ~ /none/) {printf "none"}; if ($0 ~ /empty/) {printf "empty"}; inlist=1; next}
        cur && inlist && /^    https:/ {printf "%s%s", sep, $1; sep=" "; next}
        {inlist=0}' origins.out
}
expect_eq "$(origins_for proxy.odoh.test)" "$P" "origins command, proxy"; ok
expect_eq "$(origins_for target.odoh.test)" "$T" "origins command, target"; ok
expect_eq "$(origins_for demo.odoh.test)" "$demo_set" "origins command, demo"; ok
expect_eq "$(origins_for relay.odoh.test)" "$R" "origins command, relay"; ok
expect_eq "$(origins_for gateway.odoh.test)" "$G" "origins command, gateway"; ok

# ---- the shipped proxy relays to its own target --------------------------------------------------------
out=$("$OE_BIN" query demo.odoh.test A --target "$T/dns-query" --proxy "$P/proxy" --ca "$ca" \
    --resolve "target.odoh.test:$port:127.0.0.1" --resolve "proxy.odoh.test:$port:127.0.0.1" 2>&1) ||
    fail "demo query via the shipped proxy: $out"
echo "$out" | grep -qx "$(printf 'demo.odoh.test.\t300\tIN\tA\t127.0.0.1')" || fail "demo query answer: $out"
echo "$out" | grep -q '(ODoH to target.odoh.test via proxy)' || fail "demo query: $out"; ok

# ---- the shipped relay and gateway answer over OHTTP (the command printed in README.md) ------------
oq() { "$OE_BIN" query demo.odoh.test "$1" --ca "$ca" --target "$T/dns-query" --ohttp "$R/relay" \
    --ohttp-keys "$G/ohttp-keys" --resolve "relay.odoh.test:$port:127.0.0.1" \
    --resolve "gateway.odoh.test:$port:127.0.0.1" 2>&1; }
answer() { awk '/^;; ANSWER SECTION:/ {on = 1; next} on && /^$/ {exit} on'; }
for q in "A	127.0.0.1" "AAAA	::1" 'TXT	"served by odoh-edge, obliviously"'; do
    out=$(oq "${q%%	*}") || fail "OHTTP demo query ${q%%	*}: $out"
    expect_eq "$(echo "$out" | answer)" "$(printf 'demo.odoh.test.\t300\tIN\t%s' "$q")" "OHTTP demo answer ${q%%	*}"
    echo "$out" | grep -q "^;; ->>HEADER<<- opcode: QUERY, status: NOERROR, " || fail "OHTTP demo query: $out"
    echo "$out" | grep -q '(OHTTP to target.odoh.test via relay.odoh.test)$' || fail "OHTTP demo query: $out"
done
ok

# ---- known bug: one wildcard certificate for both roles puts both in one ORIGIN set -------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=wild \
    -addext 'subjectAltName=DNS:*.odoh.test' -keyout wild.key -out wild.pem 2>/dev/null
chmod 600 wild.key
awk -v d="$OE_TMP" '/^\[/ { s = /^\[site "(target|proxy)"\]/ }
    s && /^cert = auto/ { print "cert = " d "/wild.pem"; print "key = " d "/wild.key"; next } { print }' \
    edge.conf >wild.conf
wrc=0
"$OE_BIN" -t -c wild.conf >wild-check.log 2>&1 || wrc=$?
"$OE_BIN" origins -c wild.conf >origins.out 2>&1 || true
shared=$(origins_for proxy.odoh.test)
known=
if [ $wrc -eq 0 ] && echo " $shared " | grep -q " $T "; then
    known="sites \"proxy\" and \"target\" sharing a *.odoh.test certificate get one ORIGIN set with both hosts ($shared) and 'odoh-edge -t' accepts it"
fi
# ---- known bug: the proxy may be served by the target's own site (same host name) -----------------
awk '/^\[odoh-proxy\]/ { p = 1 } p && /^site = / { print "site = target"; next } { print }' edge.conf >same.conf
src=0
"$OE_BIN" -t -c same.conf >same-check.log 2>&1 || src=$?
if [ $src -eq 0 ]; then
    known="${known:+$known; }[odoh-proxy] site = target (the [odoh-target]'s site: proxy and target on one host name) passes 'odoh-edge -t'"
fi
echo "62-proxy-origin: $checks checks passed"
[ -z "$known" ] || skip "KNOWN BUG: $known"
