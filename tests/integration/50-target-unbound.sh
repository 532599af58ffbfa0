# The ODoH target and DoH endpoint against a real upstream (unbound on loopback, local data only),
# checked with clients this project did not write:
#   - DoH: kdig +https (POST) and +https-get, dig +https and +https-get; every answer (status,
#     answer and authority sections) equals what unbound returns to kdig directly.
#   - ODoH: tests/node/odoh-client.mjs (HPKE from @hpke/core, HKDF/AEAD from node:crypto) fetches
#     /.well-known/odohconfigs, seals, posts over HTTP/2 and HTTP/1.1, opens; the DNS message is
#     byte-equal to unbound's direct answer to the same query bytes, and its records equal kdig's.
#   - A query without EDNS whose answer is > 512 bytes: unbound truncates over UDP, so the
#     target must have asked again over TCP (unbound's TCP query counter says so).
#   - Status cases with exact codes and Cache-Control: no-cache, no-store: unknown key_id 401,
#     corrupted ciphertext / encapsulated key / message type / truncated message 400, GET for ODoH
#     405, text/plain 415, empty body 400, oversized body 413, NXDOMAIN 200 with the sealed answer.
#   - local-data names are answered by the target without asking unbound.
#
# Why dig needs "alias = 127.0.0.1": dig 9.18 sends no SNI at all (even with +tls-hostname, which
# only names the certificate to verify) and sends ":authority: 127.0.0.1:PORT". odoh-edge routes
# by :authority, so without a site for 127.0.0.1 the answer is 421 (dig: "communications error:
# failure"); with several sites, no SNI also gets the default certificate, whose names need not
# include the --tls-hostname given, hence dig's "hostname mismatch".
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/unbound_lib.sh"

node_dir=$OE_ROOT/tests/node
command -v kdig >/dev/null || skip "kdig (knot-dnsutils) is not installed"
command -v dig >/dev/null || skip "dig (bind9-dnsutils) is not installed"
command -v curl >/dev/null || skip "curl is not installed"
command -v node >/dev/null || skip "node is not installed"
if [ ! -d "$node_dir/node_modules/@hpke/core" ]; then
    (cd "$node_dir" && npm install --no-audit --no-fund --no-package-lock --silent) >"$OE_TMP/npm.log" 2>&1 ||
        skip "npm install failed (offline?): $(tail -n 1 "$OE_TMP/npm.log")"
fi
oe_unbound_need

checks=0
ok() { checks=$((checks + 1)); }

uport=$(oe_port)
port=$(oe_port)
oe_unbound_start "$uport"

cat >"$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
max-body-size = 4K
[site "target"]
host = target.odoh.test
alias = 127.0.0.1
cert = auto
[odoh-target]
site = target
upstream = 127.0.0.1:$uport
upstream-timeout = 1s
upstream-attempts = 2
local-data = "local.it.test. 60 IN A 198.51.100.7"
local-data = "local.it.test. 60 IN TXT \"from odoh-edge local-data\""
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
edge_pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "odoh-edge did not start: $(cat "$OE_TMP/edge.log")"
ca=$OE_TMP/state/tls/ca.pem
host=target.odoh.test
url=https://$host:$port/dns-query
tls="+tls-ca=$ca +tls-hostname=$host"

# norm: the status, then the answer and authority records, one per line, blanks collapsed (kdig
# and dig print the same presentation format apart from the header punctuation).
norm() {
    awk '
        /->>HEADER<<-.*status: / { s = $0; sub(/.*status: /, "", s); sub(/[,;].*/, "", s); print "status " s }
        /^;; (ANSWER|AUTHORITY) SECTION:/ { sec = ($2 == "ANSWER:" || $2 == "ANSWER") ? "rr" : "auth"; on = 1; next }
        /^;; / || /^$/ { on = 0; next }
        on { $1 = $1; print sec " " $0 }'
}
direct() { kdig @127.0.0.1 -p "$uport" +noedns "$@" 2>/dev/null | norm; }

# ---- DoH: kdig (POST and GET) and dig (POST and GET) against kdig @unbound ---------------------
cases="www.it.test:A www.it.test:AAAA www.it.test:TXT it.test:MX big.it.test:TXT nope.it.test:A www.it.test:MX"
for c in $cases; do
    name=${c%%:*}; type=${c#*:}
    want=$(direct "$name" "$type")
    echo "$want" | grep -q '^status NOERROR\|^status NXDOMAIN' || fail "unbound $name $type: $want"
    got=$(kdig @127.0.0.1 -p "$port" +https=/dns-query $tls "$name" "$type" | norm)
    expect_eq "$got" "$want" "kdig +https $name $type"; ok
    got=$(kdig @127.0.0.1 -p "$port" +https-get $tls "$name" "$type" | norm)
    expect_eq "$got" "$want" "kdig +https-get $name $type"; ok
    got=$(dig @127.0.0.1 -p "$port" +https $tls +tries=1 +timeout=5 "$name" "$type" | norm)
    expect_eq "$got" "$want" "dig +https $name $type"; ok
    got=$(dig @127.0.0.1 -p "$port" +https-get $tls +tries=1 +timeout=5 "$name" "$type" | norm)
    expect_eq "$got" "$want" "dig +https-get $name $type"; ok
done
# The long answer really is truncated over UDP without EDNS.
kdig @127.0.0.1 -p "$uport" +noedns +notcp +ignore big.it.test TXT | grep -q 'Flags: qr aa tc' ||
    fail "unbound did not truncate the long TXT answer over UDP"

# ---- ODoH with the Node client ------------------------------------------------------------------
odoh() { (cd "$node_dir" && node odoh-client.mjs --host "$host" --port "$port" --ca "$ca" "$@") 2>&1; }
field() { echo "$1" | sed -n "s/^$2 //p"; }
check_headers() { # OUTPUT STATUS WHAT
    expect_eq "$(field "$1" status)" "$2" "$3: status"
    expect_eq "$(echo "$1" | sed -n 's/^cache-control: //p')" "no-cache, no-store" "$3: cache-control"
}

for c in $cases; do
    name=${c%%:*}; type=${c#*:}
    tcp=; [ "$name" = big.it.test ] && tcp=--tcp
    tcp_before=$(oe_unbound_stat num.query.tcp)
    out=$(odoh --name "$name" --type "$type" --direct "127.0.0.1:$uport" $tcp) || fail "odoh $name $type: $out"
    tcp_after=$(oe_unbound_stat num.query.tcp)
    check_headers "$out" 200 "odoh $name $type"
    expect_eq "$(echo "$out" | sed -n 's/^content-type: //p')" application/oblivious-dns-message "odoh $name $type: content-type"
    [ -n "$(field "$out" answer)" ] || fail "odoh $name $type: no answer bytes to compare: $out"
    expect_eq "$(field "$out" answer)" "$(field "$out" direct)" "odoh $name $type: answer bytes vs unbound's"; ok
    want=$(direct "$name" "$type")
    got=$( (echo "status $(field "$out" rcode | cut -d' ' -f1)"; echo "$out" | grep '^rr \|^auth ') )
    expect_eq "$got" "$want" "odoh $name $type: records vs kdig @unbound"; ok
    if [ "$name" = big.it.test ]; then
        # The target's UDP query was truncated, so it asked again over TCP (+1), and the Node
        # client's own direct TCP query (+1).
        expect_eq "$((tcp_after - tcp_before))" 2 "TCP queries at unbound for the long answer"; ok
        [ "$(field "$out" padded)" -gt 845 ] || fail "long answer padded to $(field "$out" padded)"
    fi
done
# HTTP/1.1 as well, and the configs' max-age.
out=$(odoh --http1 --name www.it.test --type A --direct "127.0.0.1:$uport") || fail "odoh http/1.1: $out"
check_headers "$out" 200 "odoh over HTTP/1.1"
[ -n "$(field "$out" answer)" ] || fail "odoh over HTTP/1.1: no answer bytes to compare: $out"
expect_eq "$(field "$out" answer)" "$(field "$out" direct)" "odoh over HTTP/1.1: answer"; ok
expect_eq "$(echo "$out" | sed -n 's/^configs-cache-control: //p')" "max-age=3600" "odohconfigs cache-control"; ok
# NXDOMAIN is a 200 with the sealed NXDOMAIN answer (checked above); say so explicitly.
out=$(odoh --name nope.it.test --type A) || fail "odoh nxdomain: $out"
check_headers "$out" 200 "odoh NXDOMAIN"
expect_eq "$(field "$out" rcode)" "NXDOMAIN AA" "odoh NXDOMAIN rcode"; ok

# ---- local-data: answered by the target, never by unbound (which has another address) ----------
# Over HTTP/2 this is a response produced inside the request handler (no upstream round trip);
# it has to come out as well-formed as the asynchronous ones. A failure here is recorded and the
# rest still runs.
later=
for proto in --http1 --http2; do
    p=; [ "$proto" = --http1 ] && p=--http1
    if ! out=$(odoh $p --name local.it.test --type A); then
        later="$later
odoh local-data over ${proto#--}: $(echo "$out" | grep -v '^    at ' | tail -n 2)"
        continue
    fi
    check_headers "$out" 200 "odoh local-data ${proto#--}"
    expect_eq "$(echo "$out" | grep '^rr ')" "rr local.it.test. 60 IN A 198.51.100.7" "odoh local-data ${proto#--}"; ok
done
got=$(kdig @127.0.0.1 -p "$port" +https $tls local.it.test TXT | norm)
expect_eq "$got" "$(printf 'status NOERROR\nrr local.it.test. 60 IN TXT "from odoh-edge local-data"')" "DoH local-data TXT"; ok
got=$(kdig @127.0.0.1 -p "$port" +https $tls local.it.test AAAA | norm)
expect_eq "$got" "status NOERROR" "DoH local-data NODATA"; ok
grep -q 'local\.it\.test' "$OE_TMP/unbound.log" && fail "unbound was asked for a local-data name: $(grep local "$OE_TMP/unbound.log")"
grep -q 'www\.it\.test\. A IN' "$OE_TMP/unbound.log" || fail "unbound's query log is empty: $(tail -n 5 "$OE_TMP/unbound.log")"
ok

# ---- status cases ---------------------------------------------------------------------------------
for c in keyid:401 ct:400 enc:400 type:400 trunc:400; do
    out=$(odoh --corrupt "${c%%:*}" --name www.it.test) || fail "odoh --corrupt ${c%%:*}: $out"
    check_headers "$out" "${c#*:}" "corrupt ${c%%:*}"; ok
done
# curl CURL-ARGS...: prints "STATUS|cache-control value" (over HTTP/2).
hcurl() {
    curl -sS -o /dev/null -D "$OE_TMP/hdrs" -w '%{http_code}' --cacert "$ca" \
        --resolve "$host:$port:127.0.0.1" "$@" >"$OE_TMP/code"
    printf '%s|%s' "$(cat "$OE_TMP/code")" \
        "$(sed -n 's/^cache-control: *//Ip' "$OE_TMP/hdrs" | tr -d '\r')"
}
nc='no-cache, no-store'
expect_eq "$(hcurl -H 'accept: application/oblivious-dns-message' "$url")" "405|$nc" "GET for ODoH"; ok
expect_eq "$(hcurl -H 'accept: application/oblivious-dns-message' "$url?dns=AAABAAABAAAAAAAAA3d3dwJpdAR0ZXN0AAABAAE")" "405|$nc" "GET ?dns= for ODoH"; ok
expect_eq "$(hcurl -H 'content-type: text/plain' --data-binary 'hello' "$url")" "415|$nc" "text/plain POST"; ok
expect_eq "$(hcurl -H 'content-type: application/oblivious-dns-message' --data-binary '' "$url")" "400|$nc" "empty ODoH body"; ok
head -c 5000 /dev/urandom >"$OE_TMP/big.bin"
# 413 comes from the HTTP layer (modules/http), before the request reaches the target: the code
# must be exact; a missing Cache-Control is recorded (the target's rule is that every response
# carries it) and the rest still runs.
for v in --http2 --http1.1; do
    got=$(hcurl $v -H 'content-type: application/oblivious-dns-message' --data-binary "@$OE_TMP/big.bin" "$url")
    expect_eq "${got%%|*}" 413 "oversized body ($v)"; ok
    [ "${got#*|}" = "$nc" ] || later="$later
oversized body ($v): 413 without 'cache-control: $nc' (got '${got#*|}'; the HTTP layer answers it)"
done
# A garbage ODoH body of a plausible size is 400, never a crash.
head -c 300 /dev/urandom >"$OE_TMP/junk.bin"
expect_eq "$(hcurl -H 'content-type: application/oblivious-dns-message' --data-binary "@$OE_TMP/junk.bin" "$url")" "400|$nc" "random ODoH body"; ok
kill -0 "$edge_pid" 2>/dev/null || fail "odoh-edge died: $(tail "$OE_TMP/edge.log")"
[ -z "$later" ] || fail "$checks checks passed, but:$later"
echo "50-target-unbound: $checks checks passed"
