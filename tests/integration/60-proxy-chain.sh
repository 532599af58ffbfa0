# The full ODoH chain across two odoh-edge instances, each with its own port, host name, state
# directory and demo CA: client -> proxy (proxy.test) -> target (target.test) -> unbound.
#   - `odoh-edge query --proxy`: status and ANSWER/AUTHORITY records equal kdig @unbound's, for
#     A, AAAA, TXT, MX, NXDOMAIN, NODATA; the same through the proxy as straight to the target;
#     local-data answered by the target (unbound never asked).
#   - tests/node/odoh-proxy-client.mjs (HPKE from @hpke/core; configs fetched from the target,
#     query posted to the proxy over HTTP/2 and HTTP/1.1): the DNS message is byte-equal to
#     unbound's own answer to the same query bytes, records equal kdig's, and the response carries
#     proxy-status received-status=200 and cache-control no-cache, no-store.
#   - Trust is per hop: the client trusts the proxy's CA (and the target's, for the configs
#     fetch); the proxy trusts only the target's CA. A proxy without that CA gets 502.
#   - Load through the proxy (h2 to the proxy, pooled h2 to the target): 300 queries, 30 in
#     flight, none failed.
. "$OE_ROOT/tests/integration/lib.sh"
command -v kdig >/dev/null || skip "kdig (knot-dnsutils) is not installed"
oe_node_need @hpke/core
. "$OE_ROOT/tests/integration/unbound_lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
oe_unbound_need

checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
uport=$(oe_port); tport=$(oe_port); pport=$(oe_port); p2port=$(oe_port)

# ---- unbound with local data only (the zone it.test., unbound_lib.sh) -------------------------
oe_unbound_start "$uport"

# ---- the target instance and the proxy instance ---------------------------------------------------
mkdir t p p2
oe_odoh_conf target "$tport" 2 "upstream = 127.0.0.1:$uport" "upstream-timeout = 1s" \
    'local-data = "local.it.test. 60 IN A 198.51.100.70"' >t/edge.conf
oe_edge_start t "$tport"
tca=$OE_TMP/t/state/tls/ca.pem
oe_odoh_proxy_conf "$pport" 2 "$tport" "$tca" >p/edge.conf
oe_edge_start p "$pport"
pca=$OE_TMP/p/state/tls/ca.pem
cmp -s "$pca" "$tca" && fail "the two instances share a CA"
# The client trusts both CAs: the proxy's for the relay, the target's for the configs fetch.
cat "$pca" "$tca" >client-ca.pem

turl=https://target.test:$tport/dns-query
purl=https://proxy.test:$pport/proxy
res="--resolve target.test:$tport:127.0.0.1 --resolve proxy.test:$pport:127.0.0.1"
q() { "$OE_BIN" query "$@" --target "$turl" --ca client-ca.pem $res; }

norm() {
    awk '
        /->>HEADER<<-.*status: / { s = $0; sub(/.*status: /, "", s); sub(/[,;].*/, "", s); print "status " s }
        /^;; (ANSWER|AUTHORITY) SECTION:/ { sec = ($2 == "ANSWER:" || $2 == "ANSWER") ? "rr" : "auth"; on = 1; next }
        /^;; / || /^$/ { on = 0; next }
        on { $1 = $1; print sec " " $0 }'
}
direct() { kdig @127.0.0.1 -p "$uport" "$@" 2>/dev/null | norm; }

# ---- odoh-edge query through the proxy ------------------------------------------------------------
cases="www.it.test:A www.it.test:AAAA www.it.test:TXT it.test:MX nope.it.test:A www.it.test:MX"
for c in $cases; do
    name=${c%%:*}; type=${c#*:}
    want=$(direct "$name" "$type")
    echo "$want" | grep -q '^status NOERROR\|^status NXDOMAIN' || fail "unbound $name $type: $want"
    out=$(q "$name" "$type" --proxy "$purl" 2>&1) || fail "query $name $type via proxy: $out"
    expect_eq "$(echo "$out" | norm)" "$want" "query $name $type via proxy vs kdig @unbound"; ok
    echo "$out" | grep -q "^;; Query time: .* ms (ODoH to target.test via proxy)$" || fail "query time line: $out"
    out2=$(q "$name" "$type" 2>&1) || fail "query $name $type direct: $out2"
    expect_eq "$(echo "$out2" | norm)" "$want" "query $name $type direct to the target"; ok
done
# One exact line, as dig prints it.
out=$(q www.it.test AAAA --proxy "$purl")
echo "$out" | grep -qx "$(printf 'www.it.test.\t300\tIN\tAAAA\t2001:db8::10')" ||
    fail "ANSWER line for AAAA: $out"; ok
out=$(q local.it.test A --proxy "$purl")
expect_eq "$(echo "$out" | norm)" "$(printf 'status NOERROR\nrr local.it.test. 60 IN A 198.51.100.70')" "local-data via proxy"; ok
grep -q 'local\.it\.test' unbound.log && fail "unbound was asked for a local-data name"
grep -q 'www\.it\.test\. AAAA IN' unbound.log || fail "unbound's query log has no AAAA query: $(tail -n 5 unbound.log)"; ok

# ---- the Node client (not odoh-edge's crypto) through the proxy -----------------------------------
nq() {
    (cd "$node_dir" && node odoh-proxy-client.mjs --target-host target.test --target-port "$tport" \
        --target-ca "$tca" --proxy-host proxy.test --proxy-port "$pport" --proxy-ca "$pca" "$@") 2>&1
}
field() { echo "$1" | sed -n "s/^$2 //p"; }
for proto in "" --http1; do
    for c in $cases; do
        name=${c%%:*}; type=${c#*:}
        out=$(nq $proto --name "$name" --type "$type" --direct "127.0.0.1:$uport") || fail "node $proto $name $type: $out"
        expect_eq "$(field "$out" status)" 200 "node $proto $name $type: status"
        expect_eq "$(echo "$out" | sed -n 's/^proxy-status: //p')" "odoh-edge; received-status=200" "node $proto $name $type: proxy-status"
        expect_eq "$(echo "$out" | sed -n 's/^cache-control: //p')" "no-cache, no-store" "node $proto $name $type: cache-control"
        expect_eq "$(echo "$out" | sed -n 's/^content-type: //p')" application/oblivious-dns-message "node $proto $name $type: content-type"
        [ -n "$(field "$out" answer)" ] || fail "node $proto $name $type: no answer bytes to compare: $out"
        expect_eq "$(field "$out" answer)" "$(field "$out" direct)" "node $proto $name $type: answer bytes vs unbound's"; ok
        got=$( (echo "status $(field "$out" rcode | cut -d' ' -f1)"; echo "$out" | grep '^rr \|^auth ') )
        expect_eq "$got" "$(kdig @127.0.0.1 -p "$uport" +noedns "$name" "$type" 2>/dev/null | norm)" "node $proto $name $type: records vs kdig"; ok
    done
done

# ---- load through the proxy --------------------------------------------------------------------------
out=$(q www.it.test A --proxy "$purl" --count 300 --concurrency 30) || fail "load via proxy: $out"
echo "$out" | grep -q '^queries 300 ok 300 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*$' ||
    fail "load via proxy: $out"; ok

# ---- trust is per hop: a proxy that does not trust the target's CA ---------------------------------
oe_odoh_proxy_conf "$p2port" 2 "$tport" "$pca" >p2/edge.conf
oe_edge_start p2 "$p2port"
cat "$OE_TMP/p2/state/tls/ca.pem" "$tca" >client2-ca.pem
out=$("$OE_BIN" query www.it.test A --target "$turl" --proxy "https://proxy.test:$p2port/proxy" \
    --ca client2-ca.pem --resolve "target.test:$tport:127.0.0.1" --resolve "proxy.test:$p2port:127.0.0.1" 2>&1) &&
    fail "a proxy without the target's CA relayed: $out"
echo "$out" | grep -q '^;; proxy-status: odoh-edge; error=tls_certificate_error$' || fail "untrusted target: $out"
echo "$out" | grep -q '^;; HTTP status 502$' || fail "untrusted target status: $out"; ok

for l in t.log p.log; do
    grep -q 'error\|warn' "$l" && fail "$l: $(grep 'error\|warn' "$l")"
done
echo "60-proxy-chain: $checks checks passed"
