# `odoh-edge query` finding its target (issue 11 item 10): --resolve in curl's forms, the resolver
# path with IPv6-only names, and --help.
#   - --resolve target.test:PORT:[::1] (and ::1 unbracketed) reaches a target that listens on
#     [::1] only, and asks no DNS server (regression: the bracketed form was silently ignored and
#     the name went to the resolver); --resolve ...:127.0.0.1 reaches the IPv4 listener;
#   - a --resolve value that is not HOST:PORT:ADDRESS exits 64 with a message naming it;
#   - through --dns, a name with only an AAAA record resolves (A asked first, then AAAA) and the
#     query answers over IPv6 (regression: A only, "the name has no IPv4 address");
#   - a name with neither exits 1 with "no IPv4 or IPv6 address";
#   - query --help and -h print the usage on stdout and exit 0 (regression: exit 64).
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
    skip "::1 is not usable on this machine"
py=/usr/bin/python3
rec=$OE_ROOT/tests/integration/recording_target.py
checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
port=$(oe_port); dport=$(oe_port); d6port=$(oe_port); d0port=$(oe_port)
mkdir t
oe_odoh_conf target "$port" 1 'local-data = "q.test. 60 IN A 192.0.2.65"' >t/edge.conf
# A second listener on [::1] with its own port (the IPv4 one stays for oe_edge_start).
v6port=$(oe_port)
printf '[listen "v6"]\naddress = [::1]:%s\n' "$v6port" >>t/edge.conf
oe_edge_start t "$port"
ca=$OE_TMP/t/state/tls/ca.pem
# A resolver that knows target.test as 127.0.0.9 (where nothing listens), and one that knows it
# as ::1 only (no A record), and one that knows no address at all.
oe_bg "$OE_TMP/dns.out" "$py" "$rec" dns "$dport" 127.0.0.9
oe_bg "$OE_TMP/dns6.out" "$py" "$rec" dns "$d6port" - ::1
oe_bg "$OE_TMP/dns0.out" "$py" "$rec" dns "$d0port" -
# UDP servers: wait until each has bound its port (binding it here fails while it holds it).
for p in $dport $d6port $d0port; do
    n=100
    while [ $n -gt 0 ] && "$py" -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(('127.0.0.1', $p))" 2>/dev/null; do
        sleep 0.05; n=$((n - 1))
    done
    [ $n -gt 0 ] || fail "the DNS server on $p did not start"
done

run() { rc=0; "$OE_BIN" "$@" >out 2>err || rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, want $1; stdout: $(cat out); stderr: $(cat err)"; }
answer() { expect_eq "$(sed -n '/^;; ANSWER SECTION:$/{n;p}' out)" "$(printf 'q.test.\t60\tIN\tA\t192.0.2.65')" "$1"; }

# ---- --resolve ------------------------------------------------------------------------------------
for addr in "[::1]" "::1"; do
    run query q.test A --target "https://target.test:$v6port/dns-query" --ca "$ca" \
        --dns "127.0.0.1:$dport" --resolve "target.test:$v6port:$addr"
    expect_rc 0 "--resolve target.test:$v6port:$addr"
    answer "answer via --resolve $addr"; ok
done
run query q.test A --target "https://target.test:$port/dns-query" --ca "$ca" \
    --dns "127.0.0.1:$dport" --resolve "target.test:$port:127.0.0.1"
expect_rc 0 "--resolve with IPv4"
answer "answer via --resolve 127.0.0.1"; ok
[ -e "$dport.dns.log" ] && fail "a --resolve'd name went to the resolver: $(cat "$dport.dns.log")"
ok
for bad in "target.test:$port:not-an-ip" "target.test:$port:[::1" "target.test:$port:" \
    "target.test:$port" "target.test::127.0.0.1" "target.test:99999:127.0.0.1" ":$port:127.0.0.1" \
    "target.test:$port:127.0.0.1:1" "target.test:+$port:127.0.0.1"; do
    run query q.test A --target "https://target.test:$port/dns-query" --ca "$ca" --resolve "$bad"
    expect_rc 64 "--resolve $bad"
    grep -q "^query: --resolve" err || fail "--resolve $bad: message: $(cat err)"; ok
done
run query q.test A --target "https://target.test:$port/dns-query" --ca "$ca" --resolve "target.test:$port:not-an-ip"
expect_eq "$(head -n 1 err)" "query: --resolve target.test:$port:not-an-ip: \"not-an-ip\" is not an IP address" "the message"; ok

# ---- the resolver: AAAA when there is no A ------------------------------------------------------------
run query q.test A --target "https://target.test:$v6port/dns-query" --ca "$ca" --dns "127.0.0.1:$d6port"
expect_rc 0 "a name with only an AAAA record"
answer "answer over IPv6 via the resolver"
expect_eq "$(cat "$d6port.dns-types.log")" "target.test A
target.test AAAA" "questions asked"; ok
run query q.test A --target "https://target.test:$v6port/dns-query" --ca "$ca" --dns "127.0.0.1:$d0port"
expect_rc 1 "a name with no address"
grep -q "^query: cannot resolve target.test through 127.0.0.1:$d0port: the name has no IPv4 or IPv6 address$" err ||
    fail "no address message: $(cat err)"; ok

# ---- --help ---------------------------------------------------------------------------------------------
for h in --help -h; do
    run query $h
    expect_rc 0 "query $h"
    grep -q '^usage: odoh-edge query NAME' out || fail "query $h: stdout: $(cat out)"
    [ -s err ] && fail "query $h wrote to stderr: $(cat err)"
    ok
done
echo "65-query-resolve: $checks checks passed"
