#!/bin/sh
# The OHTTP gateway (RFC 9458) against an independent client: tests/node/ohttp-client.mjs seals
# with @hpke/core and encodes Binary HTTP with bhttp-js (npm), then:
#   - key configurations at /ohttp-keys and /.well-known/ohttp-gateway (RFC 9540), exactly
#     application/ohttp-keys, one 41-byte configuration per published key;
#   - a DoH query for a name only the gateway instance's local-data holds is answered in-process:
#     outer 200 message/ohttp-res, inner 200 application/dns-message, the A record;
#   - bad input gets exact statuses: a wrong key id and a tampered ciphertext 400 with the
#     "ohttp-key" problem type (clients refetch keys), a truncated encapsulation 400, a wrong
#     outer media type 415, Binary HTTP with a lying length inner 400, a target outside the
#     allow-list inner 403, an inner media type other than DNS inner 415;
#   - the target's HTTPS record gets the empty "ohttp" SvcParam (key 8, RFC 9540) only when the
#     gateway shares the target's site.
. "$OE_ROOT/tests/integration/lib.sh"
oe_node_need bhttp-js @hpke/core
. "$OE_ROOT/tests/integration/odoh_lib.sh"
cd "$OE_TMP"
gport=$(oe_port)
mkdir g
{
    oe_odoh_conf target "$gport" 2 'local-data = "secret.gw.test. 60 IN A 198.51.100.55"'
    printf '[site "gateway"]\nhost = gateway.test\ncert = auto\n'
    printf '[ohttp-gateway]\nsite = gateway\n'
} >g/edge.conf
oe_edge_start g "$gport"
ca=$OE_TMP/g/state/tls/ca.pem
cl() { (cd "$node_dir" && node ohttp-client.mjs --ca "$ca" --gw-port "$gport" "$@"); }

# ---- key configurations ----------------------------------------------------------------------
keys() {
    curl -sS --cacert "$ca" --resolve "gateway.test:$gport:127.0.0.1" -o "$OE_TMP/keys.bin" \
        -w '%{http_code} %{content_type}' "https://gateway.test:$gport$1"
}
expect_eq "$(keys /ohttp-keys)" "200 application/ohttp-keys" "GET /ohttp-keys"
expect_eq "$(wc -c <keys.bin | tr -d ' ')" 43 "one configuration: 2-byte length + 41 bytes"
expect_eq "$(od -An -tx1 -j2 -N3 keys.bin | tr -d ' ')" "$(od -An -tx1 -j2 -N1 keys.bin | tr -d ' ')0020" \
    "key id then KEM 0x0020"
cp keys.bin keys1.bin
expect_eq "$(keys /.well-known/ohttp-gateway)" "200 application/ohttp-keys" "GET well-known"
cmp -s keys.bin keys1.bin || fail "the two key endpoints differ"

# ---- a query answered in-process ----------------------------------------------------------------
out=$(cl --name secret.gw.test) || fail "client: $out"
expect_eq "$(echo "$out" | grep -E '^(status|content-type:|inner-status|inner-content-type:|rcode|rr) ')" \
    "status 200
content-type: message/ohttp-res
inner-status 200
inner-content-type: application/dns-message
rcode NOERROR AA
rr secret.gw.test. 60 IN A 198.51.100.55" "query through the gateway"

# ---- bad input -------------------------------------------------------------------------------
st() { cl "$@" | grep -E '^(status|problem|inner-status) ' | tr '\n' ' '; }
expect_eq "$(st --corrupt keyid)" \
    "status 400 problem https://iana.org/assignments/http-problem-types#ohttp-key " "wrong key id"
expect_eq "$(st --corrupt ct)" \
    "status 400 problem https://iana.org/assignments/http-problem-types#ohttp-key " "tampered"
expect_eq "$(st --corrupt trunc)" "status 400 " "truncated encapsulation"
expect_eq "$(st --ctype application/octet-stream)" "status 415 " "outer media type"
expect_eq "$(st --corrupt bhttp-lie)" "status 200 inner-status 400 " "lying BHTTP length"
expect_eq "$(st --corrupt bhttp-response)" "status 200 inner-status 400 " "a BHTTP response as the request"
expect_eq "$(st --target evil.test)" "status 200 inner-status 403 " "target outside the allow-list"
expect_eq "$(st --target-path /other)" "status 200 inner-status 403 " "path outside the allow-list"
expect_eq "$(st --inner-ctype text/plain)" "status 200 inner-status 415 " "inner media type"
# RFC 9540 §4: the target's HTTPS record (zone file, DNS UPDATE, its own answer) carries the
# empty "ohttp" SvcParam (key8) only when the gateway is on the target's own site.
"$OE_BIN" keys export -c g/edge.conf >export-apart.txt 2>&1 || fail "keys export: $(cat export-apart.txt)"
grep -q ' key8=' export-apart.txt && fail "key8 published for a gateway on another site: $(cat export-apart.txt)"
mkdir same
{
    oe_odoh_conf target "$(oe_port)" 1
    printf '[ohttp-gateway]\nsite = target\n'
} >same/edge.conf
"$OE_BIN" keys export -c same/edge.conf >export-same.txt 2>&1 || fail "keys export: $(cat export-same.txt)"
grep -q '^target\.test\.	300	IN	HTTPS	1 \. alpn=h2 port=[0-9]* key7="/dns-query{?dns}" key8="" key32769=' export-same.txt ||
    fail "no key8 for a gateway on the target's site: $(cat export-same.txt)"

# The only address in the log is the listener's own.
oe_expect_no_addr "$OE_TMP/g.log" "the gateway"
echo "ok: 55-ohttp-gateway"
