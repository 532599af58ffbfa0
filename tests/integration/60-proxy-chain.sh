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
command -v node >/dev/null || skip "node is not installed"
node_dir=$OE_ROOT/tests/node
if [ ! -d "$node_dir/node_modules/@hpke/core" ]; then
    (cd "$node_dir" && npm install --no-audit --no-fund --no-package-lock --silent) >"$OE_TMP/npm.log" 2>&1 ||
        skip "npm install failed (offline?): $(tail -n 1 "$OE_TMP/npm.log")"
fi
PATH=$PATH:/usr/sbin
if ! command -v unbound >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || skip "unbound is not installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unbound \
        >"$OE_TMP/apt.log" 2>&1 || skip "unbound is not installed and apt-get failed"
fi

checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
uport=$(oe_port); tport=$(oe_port); pport=$(oe_port); p2port=$(oe_port)

# ---- unbound with local data only ------------------------------------------------------------
cat >unbound.conf <<EOF
server:
    interface: 127.0.0.1@$uport
    port: $uport
    do-ip6: no
    do-not-query-localhost: no
    chroot: ""
    username: ""
    directory: "$OE_TMP"
    pidfile: "$OE_TMP/unbound.pid"
    use-syslog: no
    logfile: ""
    log-queries: yes
    verbosity: 1
    num-threads: 1
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    rrset-roundrobin: no
    minimal-responses: yes
    local-zone: "chain.test." static
    local-data: "chain.test. 3600 IN SOA ns.chain.test. admin.chain.test. 1 3600 600 86400 300"
    local-data: "chain.test. 300 IN MX 10 mail.chain.test."
    local-data: "www.chain.test. 300 IN A 192.0.2.20"
    local-data: "www.chain.test. 300 IN A 192.0.2.21"
    local-data: "www.chain.test. 300 IN AAAA 2001:db8::20"
    local-data: "www.chain.test. 300 IN TXT \"through the proxy\" \"and the target\""
EOF
unbound-checkconf unbound.conf >unbound-check.log 2>&1 || fail "unbound.conf: $(cat unbound-check.log)"
oe_bg "$OE_TMP/unbound.log" unbound -d -c unbound.conf
oe_wait_tcp "$uport" || fail "unbound did not start: $(cat unbound.log)"

# ---- the target instance and the proxy instance ---------------------------------------------------
mkdir t p p2
cat >t/edge.conf <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$tport
[site "target"]
host = target.test
cert = auto
[odoh-target]
site = target
upstream = 127.0.0.1:$uport
upstream-timeout = 1s
local-data = "local.chain.test. 60 IN A 198.51.100.70"
CONF
oe_bg "$OE_TMP/target.log" "$OE_BIN" -c t/edge.conf
oe_wait_tcp "$tport" || fail "target did not start: $(cat target.log)"
tca=$OE_TMP/t/state/tls/ca.pem
proxy_conf() { # PORT CA-FILE
    cat <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$1
[site "proxy"]
host = proxy.test
cert = auto
[odoh-proxy]
site = proxy
allow-target = target.test:$tport
resolve = target.test=127.0.0.1
ca-file = $2
CONF
}
proxy_conf "$pport" "$tca" >p/edge.conf
oe_bg "$OE_TMP/proxy.log" "$OE_BIN" -c p/edge.conf
oe_wait_tcp "$pport" || fail "proxy did not start: $(cat proxy.log)"
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
cases="www.chain.test:A www.chain.test:AAAA www.chain.test:TXT chain.test:MX nope.chain.test:A www.chain.test:MX"
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
out=$(q www.chain.test AAAA --proxy "$purl")
echo "$out" | grep -qx "$(printf 'www.chain.test.\t300\tIN\tAAAA\t2001:db8::20')" ||
    fail "ANSWER line for AAAA: $out"; ok
out=$(q local.chain.test A --proxy "$purl")
expect_eq "$(echo "$out" | norm)" "$(printf 'status NOERROR\nrr local.chain.test. 60 IN A 198.51.100.70')" "local-data via proxy"; ok
grep -q 'local\.chain\.test' unbound.log && fail "unbound was asked for a local-data name"
grep -q 'www\.chain\.test\. AAAA IN' unbound.log || fail "unbound's query log has no AAAA query: $(tail -n 5 unbound.log)"; ok

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
        expect_eq "$(field "$out" answer)" "$(field "$out" direct)" "node $proto $name $type: answer bytes vs unbound's"; ok
        got=$( (echo "status $(field "$out" rcode | cut -d' ' -f1)"; echo "$out" | grep '^rr \|^auth ') )
        expect_eq "$got" "$(kdig @127.0.0.1 -p "$uport" +noedns "$name" "$type" 2>/dev/null | norm)" "node $proto $name $type: records vs kdig"; ok
    done
done

# ---- load through the proxy --------------------------------------------------------------------------
out=$(q www.chain.test A --proxy "$purl" --count 300 --concurrency 30) || fail "load via proxy: $out"
echo "$out" | grep -q '^queries 300 ok 300 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*$' ||
    fail "load via proxy: $out"; ok

# ---- trust is per hop: a proxy that does not trust the target's CA ---------------------------------
proxy_conf "$p2port" "$pca" >p2/edge.conf
oe_bg "$OE_TMP/proxy2.log" "$OE_BIN" -c p2/edge.conf
oe_wait_tcp "$p2port" || fail "proxy 2 did not start: $(cat proxy2.log)"
cat "$OE_TMP/p2/state/tls/ca.pem" "$tca" >client2-ca.pem
out=$("$OE_BIN" query www.chain.test A --target "$turl" --proxy "https://proxy.test:$p2port/proxy" \
    --ca client2-ca.pem --resolve "target.test:$tport:127.0.0.1" --resolve "proxy.test:$p2port:127.0.0.1" 2>&1) &&
    fail "a proxy without the target's CA relayed: $out"
echo "$out" | grep -q '^;; proxy-status: odoh-edge; error=tls_certificate_error$' || fail "untrusted target: $out"
echo "$out" | grep -q '^;; HTTP status 502$' || fail "untrusted target status: $out"; ok

for l in target.log proxy.log; do
    grep -q 'error\|warn' "$l" && fail "$l: $(grep 'error\|warn' "$l")"
done
echo "60-proxy-chain: $checks checks passed"
