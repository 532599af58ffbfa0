#!/bin/sh
# modules/dns against a real knotd: our presentation output equals kdig's for every record of a
# zone, and our TSIG-signed UPDATE (build/tool-dns_tool) is accepted, served, and its signed
# response verified; a wrong secret gives BADSIG, an unknown key BADKEY.
. "$OE_ROOT/tests/integration/lib.sh"
command -v knotd >/dev/null 2>&1 || skip "knotd not installed (Debian package knot)"
command -v kdig >/dev/null 2>&1 || skip "kdig not installed (knot-dnsutils)"
tool=$OE_BUILD/tool-dns_tool
[ -x "$tool" ] || skip "$tool not built (make tools)"

port=$(oe_port)
secret=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw==
mkdir -p "$OE_TMP/db"
cat >"$OE_TMP/odoh.test.zone" <<'ZONE'
$ORIGIN odoh.test.
$TTL 300
@ SOA ns1.odoh.test. hostmaster.odoh.test. 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.1
demo A 127.0.0.1
demo AAAA ::1
www CNAME demo
txt TXT "hello world" "quote\"back\\slash" "\001bin"
mx MX 10 mail.odoh.test.
target A 127.0.0.1
svc HTTPS 1 . alpn=h2,http/1.1 port=8443 ipv4hint=127.0.0.1 ipv6hint=::1 key7="/dns-query{?dns}" key32769="\000\002\255 x"
ZONE
cat >"$OE_TMP/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$port
    rundir: $OE_TMP
database:
    storage: $OE_TMP/db
key:
  - id: update-key
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: upd
    key: update-key
    action: update
zone:
  - domain: odoh.test
    storage: $OE_TMP
    file: odoh.test.zone
    acl: upd
log:
  - target: stderr
    any: info
CONF
oe_bg "$OE_TMP/knotd.log" knotd -c "$OE_TMP/knot.conf"
oe_wait_tcp "$port" 10 || { cat "$OE_TMP/knotd.log"; fail "knotd did not start"; }

# RDATA presentation: ours (dns_tool query) against kdig's, record by record.
for q in "demo.odoh.test A" "demo.odoh.test AAAA" "www.odoh.test A" "txt.odoh.test TXT" \
    "mx.odoh.test MX" "odoh.test SOA" "odoh.test NS" "svc.odoh.test HTTPS"; do
    set -- $q
    want=$(kdig @127.0.0.1 -p "$port" +noall +answer "$1" "$2" | awk -F'\t' '{print $NF}')
    # Two empty outputs would be equal too: knotd must have answered.
    [ -n "$want" ] || fail "kdig got no answer for $1 $2: $(tail -n 5 "$OE_TMP/knotd.log")"
    got=$("$tool" query "$port" "$1" "$2" | sed 1d | awk -F'\t' '{print $NF}')
    expect_eq "$got" "$want" "$1 $2"
done

rdata='1 . alpn=h2 port=8443 key7="/dns-query{?dns}" key32769="\000,\000\001\000(\000 \001\002\255"'
"$tool" update "$port" odoh.test. target.odoh.test. 300 update-key "$secret" "$rdata" >"$OE_TMP/up" ||
    { cat "$OE_TMP/up" "$OE_TMP/knotd.log"; fail "update refused"; }
grep -q '^tsig ok$' "$OE_TMP/up" || fail "response TSIG not verified"
got=$(kdig @127.0.0.1 -p "$port" +short target.odoh.test HTTPS)
expect_eq "$got" "$rdata" "published record"

# Cross-check the MAC with python's hmac over the same bytes (RFC 8945 §4.3.3).
req=$(sed -n 's/^request //p' "$OE_TMP/up")
/usr/bin/python3 - "$req" "$secret" <<'PY' || fail "python hmac disagrees"
import sys, hmac, hashlib, base64
m = bytes.fromhex(sys.argv[1]); key = base64.b64decode(sys.argv[2])
name = b"\x0aupdate-key\x00"; alg = b"\x0bhmac-sha256\x00"
i = m.rindex(name + b"\x00\xfa\x00\xff")            # the TSIG RR
rd = m[i + len(name) + 10:]
t = rd[len(alg):len(alg) + 8]                        # time (6) + fudge (2)
mac = rd[len(alg) + 10:len(alg) + 42]
body = bytearray(m[:i]); body[10:12] = (int.from_bytes(body[10:12], "big") - 1).to_bytes(2, "big")
data = bytes(body) + name + b"\x00\xff\x00\x00\x00\x00" + alg + t + b"\x00\x00\x00\x00"
sys.exit(0 if hmac.new(key, data, hashlib.sha256).digest() == mac else 1)
PY

"$tool" update "$port" odoh.test. target.odoh.test. 300 update-key c2VjcmV0 "$rdata" >"$OE_TMP/up" && fail "wrong secret accepted"
grep -q 'BADSIG' "$OE_TMP/up" || { cat "$OE_TMP/up"; fail "wrong secret: no BADSIG"; }
"$tool" update "$port" odoh.test. target.odoh.test. 300 other-key "$secret" "$rdata" >"$OE_TMP/up" && fail "unknown key accepted"
grep -q 'BADKEY' "$OE_TMP/up" || { cat "$OE_TMP/up"; fail "unknown key: no BADKEY"; }
echo "ok"
