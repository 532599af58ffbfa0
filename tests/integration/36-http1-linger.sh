# Lingering close after an early HTTP/1.1 error (regression, issue 11 item 6): a POST whose body
# is over max-body-size is answered 413 at its headers; the server used to close at once with the
# body unread, so the kernel reset the connection and the client got a broken pipe or a reset
# instead of the status. Now (RFC 9112 §9.6) it sends close_notify and FIN, then reads and drops
# the client's bytes for at most 2 s and 256 KiB before it closes.
#   - 70,000-byte bodies (Content-Length, and chunked) against max-body-size = 64K, 10 runs each
#     over HTTPS and plain HTTP: every run writes its whole body, reads "HTTP/1.1 413 " and a
#     clean end of the connection (big_body.py status);
#   - curl, 10 runs over HTTPS with and without Expect: 100-continue: 413 every time;
#   - the linger is bounded: a client that keeps sending fast is cut off by the byte bound, one
#     that sends 1 KiB every 50 ms by the 2 s bound (plain HTTP, big_body.py bounded).
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
py=/usr/bin/python3
bb=$OE_ROOT/tests/integration/big_body.py
checks=0
ok() { checks=$((checks + 1)); }
cd "$OE_TMP"
port=$(oe_port); plain=$(oe_port)
mkdir t
{
    oe_odoh_conf target "$port" 1 "listen:max-body-size = 64K"
    printf '[listen "plain"]\naddress = 127.0.0.1:%s\ntls = no\nmax-body-size = 64K\n' "$plain"
} >t/edge.conf
oe_edge_start t "$port"
oe_wait_tcp "$plain" || fail "the plain listener did not start: $(cat "$OE_TMP/t.log")"

for proto in "tls $port" "plain $plain"; do
    out=$("$py" "$bb" status $proto 10 70000) || fail "Content-Length over $proto: $out"
    expect_eq "$(echo "$out" | tail -n 1)" "413 in 10 of 10 runs" "Content-Length over ${proto% *}"; ok
    out=$("$py" "$bb" status $proto 10 70000 chunked) || fail "chunked over $proto: $out"
    expect_eq "$(echo "$out" | tail -n 1)" "413 in 10 of 10 runs" "chunked over ${proto% *}"; ok
done

head -c 70000 /dev/zero | tr '\0' x >body
for expect in "Expect:" "Expect: 100-continue"; do
    codes=
    for i in 1 2 3 4 5 6 7 8 9 10; do
        code=$(curl -sS -m 10 --http1.1 -H "$expect" --cacert t/state/tls/ca.pem \
            --resolve "target.test:$port:127.0.0.1" --data-binary @body \
            -H 'content-type: application/oblivious-dns-message' -o /dev/null -w '%{http_code}' \
            "https://target.test:$port/dns-query" 2>curl.err) || code="curl-failed($(cat curl.err))"
        codes="$codes $code"
    done
    expect_eq "$codes" " 413 413 413 413 413 413 413 413 413 413" "curl with '$expect'"; ok
done

t0=$(date +%s%N)
out=$("$py" "$bb" bounded plain "$plain" 4) || fail "fast sender: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1500 ] || fail "fast sender cut off after $ms ms: not by the byte bound? $out"
echo "fast sender: $out"; ok
t0=$(date +%s%N)
out=$("$py" "$bb" bounded plain "$plain" 4 slow) || fail "slow sender: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1800 ] || fail "slow sender cut off after $ms ms, before the 2 s linger: $out"
echo "slow sender: $out"; ok
echo "36-http1-linger: $checks checks passed"
