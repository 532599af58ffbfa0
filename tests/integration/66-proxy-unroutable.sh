# A target address with no route is labelled as such (issue 12, smaller items): the proxy, in a
# network namespace of its own that has only loopback, relays to an allowed name that resolves
# to an IPv6 address; connect() fails at once with "network unreachable", and the answer is
# 502 with Proxy-Status error=destination_ip_unroutable (it was connection_refused). Nothing
# leaves the namespace: it has no other interface.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
command -v unshare >/dev/null && command -v ip >/dev/null || skip "unshare and ip (util-linux, iproute2) are needed"
[ "$(id -u)" = 0 ] || skip "a network namespace needs root"

cd "$OE_TMP"
port=$(oe_port)
mkdir p
oe_odoh_conf proxy "$port" 1 'allow-target = v6.test:8443' 'resolve = v6.test=2001:db8::1' \
    'connect-timeout = 2s' >p/edge.conf
printf 'q' >q.bin
cat >inside.sh <<EOS
set -u
ip link set lo up
"$OE_BIN" -c p/edge.conf >edge.log 2>&1 &
pid=\$!
n=0
until curl -s -o /dev/null --cacert p/state/tls/ca.pem --resolve proxy.test:$port:127.0.0.1 https://proxy.test:$port/ 2>/dev/null; do
    n=\$((n + 1)); [ \$n -lt 100 ] || { echo "no start: \$(cat edge.log)"; kill \$pid; exit 1; }
    sleep 0.05
done
curl -sS -m 10 -o /dev/null -D hdrs -w '%{http_code}' --cacert p/state/tls/ca.pem \
    --resolve proxy.test:$port:127.0.0.1 -H 'content-type: application/oblivious-dns-message' \
    --data-binary @q.bin "https://proxy.test:$port/proxy?targethost=v6.test:8443&targetpath=/dns-query"
echo "|\$(sed -n 's/^proxy-status: *//Ip' hdrs | tr -d '\r')"
kill \$pid
EOS
got=$(unshare -n sh inside.sh) || fail "inside the namespace: $got"
expect_eq "$got" "502|odoh-edge; error=destination_ip_unroutable" "an IPv6 target with no route"
echo "66-proxy-unroutable: ok"
