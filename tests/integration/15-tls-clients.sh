#!/bin/sh
# The tls module against real clients (curl, openssl s_client), through build/tool-tls_echo: a
# blocking TLS server on our engine that answers one line describing the connection
# ("sni=.. cert=.. name=.. alpn=.. version=.. resumed=.."). Certificates come from cert = auto.
. "$OE_ROOT/tests/integration/lib.sh"

tool=$OE_BUILD/tool-tls_echo
[ -x "$tool" ] || skip "no $tool (make tools)"
command -v curl >/dev/null || skip "curl is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

# cert = auto: two demo PKIs, checked with openssl.
"$tool" --auto "$OE_TMP/a" --name a.example.test --name www.a.example.test --gen >"$OE_TMP/gen-a" ||
    fail "auto cert a"
grep -q 'result=3$' "$OE_TMP/gen-a" || fail "first auto cert run should make CA and leaf: $(cat "$OE_TMP/gen-a")"
"$tool" --auto "$OE_TMP/a" --name a.example.test --name www.a.example.test --gen >"$OE_TMP/gen-a2"
grep -q 'result=0$' "$OE_TMP/gen-a2" || fail "second auto cert run should reuse: $(cat "$OE_TMP/gen-a2")"
grep -q "curl --cacert $OE_TMP/a/ca.pem https://a.example.test/" "$OE_TMP/gen-a" || fail "trust hint"
"$tool" --auto "$OE_TMP/b" --name b.example.test --gen >/dev/null || fail "auto cert b"

expect_eq "$(stat -c %a "$OE_TMP/a/cert.key")" 600 "leaf key mode"
expect_eq "$(stat -c %a "$OE_TMP/a/ca.key")" 600 "CA key mode"
openssl x509 -in "$OE_TMP/a/cert.pem" -noout -text >"$OE_TMP/leaf.txt" || fail "openssl cannot read the leaf"
for want in 'DNS:a.example.test, DNS:www.a.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' \
    'TLS Web Server Authentication' 'CA:FALSE' 'ASN1 OID: prime256v1' 'ecdsa-with-SHA256'; do
    grep -qF "$want" "$OE_TMP/leaf.txt" || fail "leaf lacks '$want'"
done
openssl x509 -in "$OE_TMP/a/ca.pem" -noout -text | grep -qF 'CA:TRUE, pathlen:0' || fail "CA lacks CA:TRUE"
openssl verify -CAfile "$OE_TMP/a/ca.pem" -purpose sslserver "$OE_TMP/a/cert.pem" >/dev/null ||
    fail "openssl does not verify the leaf against the CA"
cat "$OE_TMP/a/ca.pem" "$OE_TMP/b/ca.pem" >"$OE_TMP/cas.pem"

port=$(oe_port)
oe_bg "$OE_TMP/server.log" "$tool" --port "$port" --alpn h2,http/1.1 \
    --cert "$OE_TMP/a/cert.pem" --key "$OE_TMP/a/cert.key" \
    --cert "$OE_TMP/b/cert.pem" --key "$OE_TMP/b/cert.key"
oe_wait_tcp "$port" || fail "tls_echo did not start: $(cat "$OE_TMP/server.log")"

# get HOST [curl options]: the response body through curl with our CAs.
get() {
    host=$1; shift
    curl -sS --http1.1 --max-time 10 --cacert "$OE_TMP/cas.pem" \
        --resolve "$host:$port:127.0.0.1" "$@" "https://$host:$port/"
}

expect_eq "$(get a.example.test --tlsv1.3)" \
    "sni=a.example.test cert=0 name=a.example.test alpn=http/1.1 version=1.3 resumed=0" "curl TLS 1.3, SNI a"
expect_eq "$(get b.example.test --tlsv1.3)" \
    "sni=b.example.test cert=1 name=b.example.test alpn=http/1.1 version=1.3 resumed=0" "curl TLS 1.3, SNI b"
expect_eq "$(get b.example.test --tls-max 1.2)" \
    "sni=b.example.test cert=1 name=b.example.test alpn=http/1.1 version=1.2 resumed=0" "curl TLS 1.2, SNI b"
expect_eq "$(get www.a.example.test --tls-max 1.2)" \
    "sni=www.a.example.test cert=0 name=a.example.test alpn=http/1.1 version=1.2 resumed=0" "curl TLS 1.2, second SAN"
# No SNI (an IP address): the default certificate, which covers 127.0.0.1.
expect_eq "$(curl -sS --http1.1 --max-time 10 --cacert "$OE_TMP/a/ca.pem" "https://127.0.0.1:$port/")" \
    "sni=- cert=0 name=a.example.test alpn=http/1.1 version=1.3 resumed=0" "curl without SNI"

# curl -v names the certificate it got.
get b.example.test -v -o /dev/null 2>"$OE_TMP/curl-v" || fail "curl -v"
grep -q 'subject: CN=b.example.test' "$OE_TMP/curl-v" || fail "curl -v: $(grep subject "$OE_TMP/curl-v")"
grep -q 'SSL certificate verify ok' "$OE_TMP/curl-v" || fail "curl -v did not verify"

# Verification failures: a CA that did not sign the served certificate, a name it does not cover.
rc=0; curl -sS --http1.1 --max-time 10 --cacert "$OE_TMP/b/ca.pem" --resolve "a.example.test:$port:127.0.0.1" \
    "https://a.example.test:$port/" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 60 "curl with an untrusted CA"
rc=0; get c.example.test >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 60 "curl with a host the default certificate does not cover"

# openssl s_client: certificate by SNI, verification, ALPN h2 when offered.
s_client() {
    openssl s_client -connect "127.0.0.1:$port" -CAfile "$OE_TMP/cas.pem" "$@" 2>&1
}
echo | s_client -servername b.example.test -alpn h2,http/1.1 >"$OE_TMP/s1" || fail "s_client b: $(tail -5 "$OE_TMP/s1")"
grep -q '^subject=CN = b.example.test' "$OE_TMP/s1" || fail "s_client b: wrong certificate"
grep -q 'Verify return code: 0 (ok)' "$OE_TMP/s1" || fail "s_client b: not verified"
grep -q 'ALPN protocol: h2' "$OE_TMP/s1" || fail "s_client b: ALPN h2 not chosen"
echo | s_client -servername a.example.test >"$OE_TMP/s2" || fail "s_client a"
grep -q '^subject=CN = a.example.test' "$OE_TMP/s2" || fail "s_client a: wrong certificate"
grep -q 'No ALPN negotiated' "$OE_TMP/s2" || fail "s_client without ALPN got one"

# Refused: TLS 1.1 (the client is allowed to offer it), and CBC suites on TLS 1.2.
if echo | s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' >"$OE_TMP/s3"; then fail "TLS 1.1 accepted"; fi
grep -q 'alert protocol version' "$OE_TMP/s3" || fail "TLS 1.1: $(grep -i error "$OE_TMP/s3")"
if echo | s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA >"$OE_TMP/s4"; then fail "CBC suite accepted"; fi
grep -q 'alert handshake failure' "$OE_TMP/s4" || fail "CBC: $(grep -i error "$OE_TMP/s4")"

# Session resumption with a ticket, TLS 1.3 and 1.2: openssl says Reused, our server agrees.
for v in -tls1_3 -tls1_2; do
    req='GET / HTTP/1.0\r\n\r\n'
    printf "$req" | s_client $v -servername a.example.test -sess_out "$OE_TMP/sess$v" -ign_eof >"$OE_TMP/r1"
    grep -q '^New, TLSv1' "$OE_TMP/r1" || fail "$v first: $(grep -E '^(New|Reused)' "$OE_TMP/r1")"
    grep -q 'resumed=0' "$OE_TMP/r1" || fail "$v first handshake reported as resumed"
    printf "$req" | s_client $v -servername a.example.test -sess_in "$OE_TMP/sess$v" -ign_eof >"$OE_TMP/r2"
    grep -q '^Reused, TLSv1' "$OE_TMP/r2" || fail "$v second: $(grep -E '^(New|Reused)' "$OE_TMP/r2")"
    grep -q 'resumed=1' "$OE_TMP/r2" || fail "$v resumption not seen by the server"
    # RFC 6066 §3: not under another name, even one the same certificate covers (issue 12 item
    # 13); the same name in capitals is the same name.
    printf "$req" | s_client $v -servername www.a.example.test -sess_in "$OE_TMP/sess$v" -ign_eof >"$OE_TMP/r3"
    grep -q '^New, TLSv1' "$OE_TMP/r3" || fail "$v under another name: $(grep -E '^(New|Reused)' "$OE_TMP/r3")"
    grep -q 'resumed=0 *$' "$OE_TMP/r3" || fail "$v resumed under another name by the server"
    printf "$req" | s_client $v -servername A.Example.TEST -sess_in "$OE_TMP/sess$v" -ign_eof >"$OE_TMP/r4"
    grep -q '^Reused, TLSv1' "$OE_TMP/r4" || fail "$v same name in capitals: $(grep -E '^(New|Reused)' "$OE_TMP/r4")"
done

# The server is still alive after all the failed handshakes.
expect_eq "$(get a.example.test)" \
    "sni=a.example.test cert=0 name=a.example.test alpn=http/1.1 version=1.3 resumed=0" "final request"
echo "tls clients: ok"
