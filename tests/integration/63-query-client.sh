# `odoh-edge query`: output and exit codes (0 answered whatever the rcode, 1 the query failed,
# 64 usage, 78 configs unusable), against a target instance (local-data only), a proxy instance
# and small Python servers (recording_target.py configs) that play a target's configs endpoint.
#   - The answer: header line, exact ANSWER SECTION line, query-time line; REFUSED is exit 0;
#     --doh; --configs HEX and --configs FILE; --insecure instead of --ca; load mode line.
#   - 401 then refresh: the client fetches configs whose key the target no longer has (a configs
#     server on 127.0.0.2 with the target's port answers an old key first, the current one
#     after), the query goes through the proxy to the real target on 127.0.0.1, gets 401
#     (passed through by the proxy), fetches again, retries, answers: exit 0, two fetches.
#   - --configs with an old key: 401 and no refresh (by design): exit 1 with a clear message.
#   - Usage errors exit 64; unusable configs (given, or fetched) exit 78; unreachable target,
#     untrusted certificate, 404 path, proxy denial (with its proxy-status) exit 1.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
command -v xxd >/dev/null || skip "xxd is not installed"
/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    skip "127.0.0.2 is not usable on this machine"
py=/usr/bin/python3
rec=$OE_ROOT/tests/integration/recording_target.py
checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
tport=$(oe_port); oport=$(oe_port); pport=$(oe_port); cport=$(oe_port); bport=$(oe_port)

target_conf() { # PORT
    oe_odoh_conf target "$1" 1 'local-data = "q.test. 60 IN A 192.0.2.63"' \
        'local-data = "q.test. 60 IN TXT \"query client\""'
}
mkdir t old p
target_conf "$tport" >t/edge.conf
target_conf "$oport" >old/edge.conf
oe_odoh_proxy_conf "$pport" 1 "$tport" "$OE_TMP/t/state/tls/ca.pem" >p/edge.conf
oe_edge_start t "$tport"
oe_edge_start old "$oport"
oe_edge_start p "$pport"
tca=$OE_TMP/t/state/tls/ca.pem
turl=https://target.test:$tport/dns-query
R="--resolve target.test:$tport:127.0.0.1"

# configs HEX of a target instance, fetched with curl.
configs_of() {
    curl -sS -m 5 --cacert "$1/state/tls/ca.pem" --resolve "target.test:$2:127.0.0.1" \
        "https://target.test:$2/.well-known/odohconfigs" | xxd -p | tr -d '\n'
}
new_hex=$(configs_of t "$tport"); old_hex=$(configs_of old "$oport")
expect_eq "${#new_hex}" 92 "configs length (46 bytes, in hex)"
[ "$new_hex" != "$old_hex" ] || fail "the two targets have the same key"

# run CMD...: runs odoh-edge with the args; stdout in out, stderr in err, exit code in $rc.
run() { rc=0; "$OE_BIN" "$@" >out 2>err || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, want $1; stdout: $(cat out); stderr: $(cat err)"; }

# ---- answers ---------------------------------------------------------------------------------------
line() { printf '%s\t%s\t%s\t%s\t%s' "$@"; }
run query q.test A --target "$turl" --ca "$tca" $R
expect_rc 0 "query A"
grep -qx ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 0' out || fail "header line: $(cat out)"
expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(line q.test. 60 IN A 192.0.2.63)" "ANSWER SECTION line"
grep -q "^;; Query time: [0-9.]* ms (ODoH to target.test)$" out || fail "query time line: $(cat out)"
[ -s err ] && fail "stderr for a good query: $(cat err)"
ok
run query q.test TXT --target "$turl" --ca "$tca" $R
expect_rc 0 "query TXT"
grep -qx "$(line q.test. 60 IN TXT '"query client"')" out || fail "TXT line: $(cat out)"; ok
run query other.test A --target "$turl" --ca "$tca" $R
expect_rc 0 "REFUSED is still an answer"
grep -q 'status: REFUSED' out || fail "REFUSED: $(cat out)"; ok
run query q.test A --target "$turl" --ca "$tca" $R --doh
expect_rc 0 "--doh"
expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(line q.test. 60 IN A 192.0.2.63)" "--doh ANSWER line"
grep -q "(DoH to target.test)$" out || fail "--doh query time line: $(cat out)"; ok
run query q.test A --target "$turl" --ca "$tca" $R --configs "$new_hex"
expect_rc 0 "--configs HEX"
expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(line q.test. 60 IN A 192.0.2.63)" "--configs HEX ANSWER line"; ok
echo "$new_hex" | xxd -r -p >configs.bin
run query q.test A --target "$turl" --ca "$tca" $R --configs configs.bin
expect_rc 0 "--configs FILE"; ok
run query q.test A --target "$turl" --insecure $R
expect_rc 0 "--insecure"; ok
run query q.test A --target "$turl" --ca "$tca" $R --count 40 --concurrency 8
expect_rc 0 "load mode"
grep -qx 'queries 40 ok 40 failed 0 seconds [0-9.]* qps [0-9.]* p50_ms [0-9.]* p99_ms [0-9.]*' out ||
    fail "load mode line: $(cat out)"; ok

# ---- 401 then refresh, through the proxy --------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=cfg-ca \
    -keyout cfg-ca.key -out cfg-ca.pem -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign >openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=target.test \
    -keyout cfg.key -out cfg.csr >>openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
printf 'subjectAltName=DNS:target.test\nbasicConstraints=CA:FALSE\n' >ext.cnf
openssl x509 -req -in cfg.csr -CA cfg-ca.pem -CAkey cfg-ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out cfg.pem >>openssl.log 2>&1 || fail "openssl: $(cat openssl.log)"
# The stale configs server shares the real target's port, on 127.0.0.2.
oe_bg "$OE_TMP/cfg1.out" "$py" "$rec" configs 127.0.0.2 "$tport" cfg.pem cfg.key "$old_hex" "$new_hex"
n=100; while [ $n -gt 0 ] && ! "$py" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.2',$tport)))"; do sleep 0.05; n=$((n - 1)); done
cat cfg-ca.pem "$OE_TMP/p/state/tls/ca.pem" >client-ca.pem
run query q.test A --target "$turl" --proxy "https://proxy.test:$pport/proxy" --ca client-ca.pem \
    --resolve "target.test:$tport:127.0.0.2" --resolve "proxy.test:$pport:127.0.0.1"
expect_rc 0 "401 then refresh"
expect_eq "$(cat err)" ";; 401 from the target: fetching its configs again" "401 refresh message"
expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(line q.test. 60 IN A 192.0.2.63)" "answer after the refresh"
expect_eq "$(cat "$tport.configs.log")" "1 /.well-known/odohconfigs
2 /.well-known/odohconfigs" "configs fetches"; ok
# Stale --configs: the client does not refresh (the configs came from elsewhere).
run query q.test A --target "$turl" --ca "$tca" $R --configs "$old_hex"
expect_rc 1 "stale --configs"
grep -q '401' err || fail "stale --configs message: $(cat err)"
grep -qi 'key\|configs' err || fail "stale --configs message does not say why: $(cat err)"
[ -s out ] && fail "stale --configs printed an answer: $(cat out)"
ok
# The same through the proxy: the 401 comes back with the proxy's status.
run query q.test A --target "$turl" --proxy "https://proxy.test:$pport/proxy" --ca client-ca.pem \
    --resolve "target.test:$tport:127.0.0.2" --resolve "proxy.test:$pport:127.0.0.1" --configs "$old_hex"
expect_rc 1 "stale --configs via proxy"
grep -qx ';; proxy-status: odoh-edge; received-status=401' err || fail "stale via proxy: $(cat err)"; ok

# ---- usage errors: 64 ------------------------------------------------------------------------------
for args in "" "q.test" "q.test A" "--target $turl" "q.test A --target http://target.test/dns-query" \
    "q.test A --target https://:443/x" "q.test A --target https://target.test:0/x" \
    "q.test A --target $turl --bogus" "q.test NOSUCHTYPE --target $turl" \
    "q.test A --target $turl --doh --proxy https://proxy.test/proxy" \
    "q.test A --target $turl --concurrency 0" "q.test A --target $turl --resolve target.test" \
    "q.test A extra --target $turl" "q.test A --target"; do
    run query $args
    expect_rc 64 "usage: query $args"; ok
done
grep -q '^usage: odoh-edge query NAME' err || fail "usage text: $(cat err)"
long=$(printf '%070d' 0)
run query "$long.test" A --target "$turl" --ca "$tca" $R --doh
expect_rc 64 "a 70-byte label"; ok

# ---- unusable configs: 78 ----------------------------------------------------------------------------
# no configs at all; one with an unknown KEM (0x0010, P-256) only; a wrong total; not hex nor a file
p256=002c00010028001000010001002000$(printf '%064d' 0)
for c in 0000 "$p256" 00ff0001 no-such-file.bin; do
    run query q.test A --target "$turl" --ca "$tca" $R --configs "$c"
    expect_rc 78 "--configs $c"; ok
done
# fetched configs that are unusable
oe_bg "$OE_TMP/cfg2.out" "$py" "$rec" configs 127.0.0.2 "$bport" cfg.pem cfg.key 0000 0000
n=100; while [ $n -gt 0 ] && ! "$py" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.2',$bport)))"; do sleep 0.05; n=$((n - 1)); done
run query q.test A --target "https://target.test:$bport/dns-query" --ca cfg-ca.pem --resolve "target.test:$bport:127.0.0.2"
expect_rc 78 "fetched configs unusable"
grep -q 'no usable ObliviousDoHConfig' err || fail "fetched configs message: $(cat err)"; ok

# ---- failures: 1 ---------------------------------------------------------------------------------------
run query q.test A --target "https://target.test:$cport/dns-query" --ca "$tca" --resolve "target.test:$cport:127.0.0.1"
expect_rc 1 "closed port"
grep -q '^query: ' err || fail "closed port message: $(cat err)"; ok
run query q.test A --target "https://target.test:$cport/dns-query" --ca "$tca" --resolve "target.test:$cport:127.0.0.1" --doh
expect_rc 1 "closed port (--doh)"; ok
run query q.test A --target "$turl" --ca cfg-ca.pem $R
expect_rc 1 "untrusted certificate"
grep -qi 'certificate\|TLS' err || fail "untrusted certificate message: $(cat err)"; ok
run query q.test A --target "https://target.test:$tport/nope" --ca "$tca" $R --configs "$new_hex"
expect_rc 1 "404 path"
grep -qx ';; HTTP status 404' err || fail "404 message: $(cat err)"; ok
cat "$tca" "$OE_TMP/p/state/tls/ca.pem" >both-ca.pem
run query q.test A --target "https://target.test:$oport/dns-query" --proxy "https://proxy.test:$pport/proxy" \
    --ca both-ca.pem --resolve "target.test:$oport:127.0.0.1" --resolve "proxy.test:$pport:127.0.0.1" --configs "$old_hex"
expect_rc 1 "proxy denial"
grep -qx ';; proxy-status: odoh-edge; error=destination_not_allowed' err || fail "proxy denial: $(cat err)"
grep -qx ';; HTTP status 403' err || fail "proxy denial status: $(cat err)"; ok
run query q.test A --target "https://target.test:$cport/dns-query" --ca "$tca" --resolve "target.test:$cport:127.0.0.1" --doh --count 5 --concurrency 2
expect_rc 1 "load mode against a closed port"
grep -q '^queries 5 ok 0 failed 5 ' out || fail "load mode failures: $(cat out)"; ok
echo "63-query-client: $checks checks passed"
