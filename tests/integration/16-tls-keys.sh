#!/bin/sh
# Key types and chains, both directions, TLS 1.3 and 1.2 (issue 11 item 2: an RSA key failed
# every TLS 1.3 handshake, "no suitable signature algorithm", because mbedtls had no RSASSA-PSS).
# openssl makes a root CA (RSA 2048) and an intermediate (ECDSA P-256), then one leaf per key:
# RSA 2048 as PKCS#1 and as PKCS#8, RSA 3072, ECDSA P-256 (PKCS#8) and P-384 (SEC1), each once
# signed by the root and once by the intermediate (chain file = leaf + intermediate), plus an RSA
# leaf whose certificate the root signed with RSASSA-PSS.
#   server: build/tool-tls_echo with all of them (chosen by SNI), against curl and s_client;
#   client: tool-tls_echo --connect (our client engine) against openssl s_server;
#   odoh-edge itself: serves the RSA 3072 chain over TLS 1.3; an ODoH target with an RSA 2048
#   chain is reached through an odoh-edge proxy (the proxy's client could not reach RSA TLS 1.3
#   targets); `check` names the file and the cause of each unusable certificate or key at its
#   config line (issue 11 item 10).
. "$OE_ROOT/tests/integration/lib.sh"

tool=$OE_BUILD/tool-tls_echo
[ -x "$tool" ] || skip "no $tool (make tools)"
command -v curl >/dev/null || skip "curl is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

d=$OE_TMP
ossl() { openssl "$@" 2>>"$d/openssl.log" || fail "openssl $*: $(tail -3 "$d/openssl.log")"; }

# newkey FILE TYPE: a private key, mode 0600, in the encoding the type names.
newkey() {
    case $2 in
    rsa2048-pkcs1) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.tmp"
        ossl rsa -in "$1.tmp" -traditional -out "$1"; rm -f "$1.tmp" ;;
    rsa2048*) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
    rsa3072) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1" ;;
    p256) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
    p384) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.tmp"
        ossl ec -in "$1.tmp" -out "$1"; rm -f "$1.tmp" ;;
    *) fail "newkey: $2" ;;
    esac
    chmod 600 "$1"
}

newkey "$d/root.key" rsa2048
ossl req -x509 -new -key "$d/root.key" -out "$d/root.pem" -days 30 -subj /CN=Test-Root \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
newkey "$d/inter.key" p256
ossl req -new -key "$d/inter.key" -out "$d/inter.csr" -subj /CN=Test-Intermediate
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$d/inter.ext"
ossl x509 -req -in "$d/inter.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial \
    -days 30 -extfile "$d/inter.ext" -out "$d/inter.pem"

# Cases: NAME (also the host name's first label) KEYTYPE ISSUER
cases='rsa2048-pkcs1 rsa2048-pkcs1 root
rsa2048-pkcs8 rsa2048-pkcs8 root
rsa3072 rsa3072 root
p256 p256 root
p384 p384 root
rsa2048-pkcs1-i rsa2048-pkcs1 inter
rsa2048-pkcs8-i rsa2048-pkcs8 inter
rsa3072-i rsa3072 inter
p256-i p256 inter
p384-i p384 inter
rsa-psssig rsa2048-pkcs8 root-pss'

while read -r name type issuer; do
    newkey "$d/$name.key" "$type"
    ossl req -new -key "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name.keys.test"
    printf 'subjectAltName=DNS:%s.keys.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        "$name" >"$d/$name.ext"
    ca=${issuer%-pss}
    set --
    [ "$issuer" = root-pss ] && set -- -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
    ossl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial \
        -days 30 -extfile "$d/$name.ext" -sha256 "$@" -out "$d/$name.pem"
    cp "$d/$name.pem" "$d/$name.chain"
    [ "$ca" != inter ] || cat "$d/inter.pem" >>"$d/$name.chain"
done <<EOF
$cases
EOF
grep -q 'BEGIN RSA PRIVATE KEY' "$d/rsa2048-pkcs1.key" || fail "rsa2048-pkcs1 is not PKCS#1"
grep -q 'BEGIN PRIVATE KEY' "$d/rsa2048-pkcs8.key" || fail "rsa2048-pkcs8 is not PKCS#8"
grep -q 'BEGIN EC PRIVATE KEY' "$d/p384.key" || fail "p384 is not SEC1"
openssl x509 -in "$d/rsa-psssig.pem" -noout -text | grep -q 'Signature Algorithm: rsassaPss' ||
    fail "rsa-psssig is not signed with RSASSA-PSS"
openssl verify -CAfile "$d/root.pem" -untrusted "$d/inter.pem" "$d/p384-i.pem" >/dev/null ||
    fail "openssl does not verify its own chain"

# ---- server direction: one tls_echo holding every certificate, chosen by SNI ----
names=$(echo "$cases" | cut -d' ' -f1)
set --
for name in $names; do set -- "$@" --cert "$d/$name.chain" --key "$d/$name.key"; done
port=$(oe_port)
oe_bg "$d/server.log" "$tool" --port "$port" --alpn http/1.1 "$@"
oe_wait_tcp "$port" || fail "tls_echo did not start: $(cat "$d/server.log")"

i=0
for name in $names; do
    host=$name.keys.test
    for v in 1.3 1.2; do
        if [ $v = 1.3 ]; then copt=--tlsv1.3; sopt=-tls1_3; else copt='--tls-max 1.2'; sopt=-tls1_2; fi
        # curl: exact status and body.
        got=$(curl -sS --http1.1 --max-time 10 $copt --cacert "$d/root.pem" \
            --resolve "$host:$port:127.0.0.1" -w '%{http_code}' "https://$host:$port/" 2>&1) ||
            fail "curl TLS $v $name: $got; server: $(tail -2 "$d/server.log")"
        expect_eq "$got" "sni=$host cert=$i name=$host alpn=http/1.1 version=$v resumed=0
200" "curl TLS $v $name"
        # s_client: protocol and verification.
        echo | openssl s_client -connect "127.0.0.1:$port" $sopt -servername "$host" \
            -CAfile "$d/root.pem" -verify_return_error >"$d/s_client.out" 2>&1 ||
            fail "s_client TLS $v $name: $(grep -iE 'error|alert' "$d/s_client.out" | head -3)"
        grep -q "^New, TLSv$v, Cipher is " "$d/s_client.out" ||
            fail "s_client TLS $v $name: $(grep -E "^New|error|alert" "$d/s_client.out")"
        grep -q '^Verification: OK$' "$d/s_client.out" || fail "s_client TLS $v $name: not verified"
        # The CertificateVerify signature: RSASSA-PSS in TLS 1.3 (PKCS#1 v1.5 is not allowed).
        case $v-$name in
        1.3-rsa*) sig=RSA-PSS ;;
        1.2-rsa*) sig=RSA ;;
        *) sig=ECDSA ;;
        esac
        expect_eq "$(sed -n 's/^Peer signature type: //p' "$d/s_client.out")" "$sig" "s_client TLS $v $name signature"
    done
    i=$((i + 1))
done

# ---- client direction: our client engine against openssl s_server ----
for name in $names; do
    host=$name.keys.test
    for v in 1.3 1.2; do
        if [ $v = 1.3 ]; then sopt=-tls1_3; else sopt=-tls1_2; fi
        sport=$(oe_port)
        set -- -cert "$d/$name.pem" -key "$d/$name.key"
        case $name in *-i) set -- "$@" -cert_chain "$d/inter.pem" ;; esac
        oe_bg "$d/s_server-$name-$v.log" openssl s_server -accept "127.0.0.1:$sport" $sopt -www -naccept 1 "$@"
        spid=$OE_LASTPID
        n=200
        until grep -q '^ACCEPT' "$d/s_server-$name-$v.log" 2>/dev/null; do
            n=$((n - 1)); [ $n -gt 0 ] || fail "s_server $name did not start: $(cat "$d/s_server-$name-$v.log")"
            sleep 0.05
        done
        "$tool" --connect "$sport" --host "$host" --ca "$d/root.pem" --tls $v >"$d/client.out" 2>&1 ||
            fail "our client TLS $v against s_server $name: $(cat "$d/client.out")"
        case $v-$name in
        1.3-*) suite=TLS1-3-AES-128-GCM-SHA256 ;;
        1.2-rsa*) suite=TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256 ;;
        1.2-p*) suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256 ;;
        esac
        expect_eq "$(head -1 "$d/client.out")" "version=$v cipher=$suite" "our client against $name"
        grep -q '^HTTP/1.0 200 ok' "$d/client.out" || fail "client $name: $(sed -n 3p "$d/client.out")"
        grep -q "Protocol  : TLSv$v" "$d/client.out" || fail "client $name: s_server did not see TLS $v"
        wait "$spid" 2>/dev/null || true
    done
done

# ---- odoh-edge: an RSA site over TLS 1.3, then `check` on files it cannot use ----
hport=$(oe_port)
cat >"$d/rsa.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "https"]
address = 127.0.0.1:$hport
[site "rsa"]
host = rsa3072-i.keys.test
cert = rsa3072-i.chain
key = rsa3072-i.key
root = www
CONF
mkdir -p "$d/www" && echo hello >"$d/www/index.html"
out=$("$OE_BIN" check -c "$d/rsa.conf" 2>&1) || fail "check of the RSA site: $out"
expect_eq "$out" "$d/rsa.conf: configuration ok" "check of the RSA site"
oe_bg "$d/edge.log" "$OE_BIN" -c "$d/rsa.conf"
oe_wait_tcp "$hport" || fail "odoh-edge did not start: $(cat "$d/edge.log")"
for copt in --tlsv1.3 '--tls-max 1.2'; do
    got=$(curl -sS --max-time 10 $copt --cacert "$d/root.pem" -w ' %{http_code} %{http_version}' \
        --resolve "rsa3072-i.keys.test:$hport:127.0.0.1" "https://rsa3072-i.keys.test:$hport/") ||
        fail "curl $copt to odoh-edge with an RSA certificate: $got"
    expect_eq "$got" "hello
 200 2" "odoh-edge RSA site, curl $copt"
done

# The ODoH chain: query client -> proxy (cert = auto) -> target with an RSA 2048 (PKCS#1) leaf
# under the intermediate. The proxy trusts only the root; the client fetches the target's configs
# over TLS too, so both of our client's uses meet RSASSA-PSS.
newkey "$d/target.key" rsa2048-pkcs1
ossl req -new -key "$d/target.key" -out "$d/target.csr" -subj /CN=target.test
printf 'subjectAltName=DNS:target.test\nbasicConstraints=CA:FALSE\n' >"$d/target.ext"
ossl x509 -req -in "$d/target.csr" -CA "$d/inter.pem" -CAkey "$d/inter.key" -CAcreateserial \
    -days 30 -extfile "$d/target.ext" -out "$d/target.pem"
cat "$d/target.pem" "$d/inter.pem" >"$d/target.chain"
tport=$(oe_port); pport=$(oe_port)
mkdir -p "$d/t" "$d/p"
cat >"$d/t/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "https"]
address = 127.0.0.1:$tport
[site "target"]
host = target.test
cert = ../target.chain
key = ../target.key
[odoh-target]
site = target
local-data = "rsa.it.test. 60 IN A 192.0.2.16"
CONF
cat >"$d/p/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "https"]
address = 127.0.0.1:$pport
[site "proxy"]
host = proxy.test
cert = auto
[odoh-proxy]
site = proxy
allow-target = target.test:$tport
resolve = target.test=127.0.0.1
ca-file = ../root.pem
CONF
oe_bg "$d/t.log" "$OE_BIN" -c "$d/t/edge.conf"
oe_wait_tcp "$tport" || fail "target did not start: $(cat "$d/t.log")"
oe_bg "$d/p.log" "$OE_BIN" -c "$d/p/edge.conf"
oe_wait_tcp "$pport" || fail "proxy did not start: $(cat "$d/p.log")"
cat "$d/root.pem" "$d/p/state/tls/ca.pem" >"$d/client-ca.pem"
# First with the configs given (fetched by curl), so only the proxy talks to the RSA target; then
# letting our query client fetch them from the target itself.
hex=$(curl -sS --max-time 10 --cacert "$d/root.pem" --resolve "target.test:$tport:127.0.0.1" \
    "https://target.test:$tport/.well-known/odohconfigs" | od -An -v -tx1 | tr -d ' \n')
expect_eq "${#hex}" 92 "configs from the RSA target (46 bytes, in hex)"
for given in --configs ''; do
    set -- --target "https://target.test:$tport/dns-query" --proxy "https://proxy.test:$pport/proxy" \
        --ca "$d/client-ca.pem" --resolve "target.test:$tport:127.0.0.1" \
        --resolve "proxy.test:$pport:127.0.0.1"
    [ -z "$given" ] || set -- "$@" --configs "$hex"
    out=$("$OE_BIN" query rsa.it.test A "$@" 2>&1) ||
        fail "query ${given:-(configs fetched)} through the proxy to the RSA target: $out; proxy log: $(tail -2 "$d/p.log")"
    expect_eq "$(echo "$out" | sed -n '/^;; ANSWER SECTION:$/{n;p}')" \
        "$(printf 'rsa.it.test.\t60\tIN\tA\t192.0.2.16')" "answer ${given:-(configs fetched)} through the proxy"
done

# Files check must refuse, each reported at the line of the file at fault.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$d/small.key" 2>/dev/null
openssl req -x509 -new -key "$d/small.key" -out "$d/small.pem" -days 2 -subj /CN=small.test \
    -addext subjectAltName=DNS:small.test 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$d/p521.key" 2>/dev/null
openssl req -x509 -new -key "$d/p521.key" -out "$d/p521.pem" -days 2 -subj /CN=p521.test \
    -addext subjectAltName=DNS:p521.test 2>/dev/null
openssl pkey -in "$d/p256.key" -aes256 -passout pass:x -out "$d/enc.key"
chmod 600 "$d/small.key" "$d/p521.key" "$d/enc.key"
mkdir "$d/keydir"
cat >"$d/bad.conf" <<CONF
[listen "https"]
address = 127.0.0.1:$hport
[site "missing-cert"]
host = a.test
cert = nonexistent.pem
key = p256.key
[site "missing-key"]
host = b.test
cert = p256.pem
key = nonexistent.key
[site "key-is-a-folder"]
host = c.test
cert = p256.pem
key = keydir
[site "swapped"]
host = d.test
cert = p256.key
key = p256.pem
[site "encrypted"]
host = e.test
cert = p256.pem
key = enc.key
[site "small"]
host = f.test
cert = small.pem
key = small.key
[site "p521"]
host = g.test
cert = p521.pem
key = p521.key
[site "mismatch"]
host = h.test
cert = p256.pem
key = p384.key
CONF
rc=0; out=$(cd "$d" && "$OE_BIN" check -c bad.conf 2>&1) || rc=$?
expect_eq "$rc" 78 "check exit code"
expect_eq "$out" "bad.conf:5: [site \"missing-cert\"] cert: ./nonexistent.pem: cannot read the certificate file: No such file or directory
bad.conf:10: [site \"missing-key\"] key: ./nonexistent.key: cannot read the private key file: No such file or directory
bad.conf:14: [site \"key-is-a-folder\"] key: ./keydir: cannot read the private key file: Is a directory
bad.conf:17: [site \"swapped\"] cert: ./p256.key: holds a private key, not a certificate (cert and key swapped?)
bad.conf:22: [site \"encrypted\"] key: ./enc.key: the private key is encrypted; odoh-edge needs it unencrypted (mode 0600), e.g. openssl pkey -in ./enc.key -out NEW
bad.conf:26: [site \"small\"] key: ./small.key: RSA key of 1024 bits is too small (clients refuse it; use 2048 bits or more)
bad.conf:29: [site \"p521\"] cert: ./p521.pem: certificate 1: PK - Elliptic curve is unsupported (only NIST curves are supported) (-0x3a00); supported keys: RSA of 2048 bits or more, ECDSA P-256 or P-384
bad.conf:34: [site \"mismatch\"] key: ./p384.key: private key does not match the certificate ./p256.pem
bad.conf: 8 error(s)" "check of unusable files"

echo "tls keys: ok (${i} certificates, both directions, TLS 1.3 and 1.2)"
