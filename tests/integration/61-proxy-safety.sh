# The ODoH proxy's safety rules, against a recording target (recording_target.py: an HTTPS server
# speaking HTTP/1.1 only, so the proxy's client also falls back from h2) that logs the exact
# request it receives. Two proxy instances: A with an explicit allow-list, B with "allow-target = *".
#   - What reaches the target: exactly "POST /dns-query HTTP/1.1" with host, content-length,
#     content-type and accept, whatever the client sent (cookie, user-agent, forwarded,
#     x-forwarded-for, x-real-ip, via, authorization, referer...), over h2 and HTTP/1.1 to the
#     proxy; nothing of the client's in the recorded request; extra query parameters ignored
#     and not forwarded; the target's set-cookie and other headers not passed back.
#   - Exact statuses and Proxy-Status values: not in the allow-list 403 destination_not_allowed;
#     reached only through "*" at a loopback/private/special-purpose address, IPv4 embedded in
#     IPv6 included (name via resolve, via DNS, or an IP literal) 403 destination_ip_prohibited; closed port 502 connection_refused; a target
#     that accepts TCP and never does TLS 504 (connect-timeout), one that never answers the
#     request 504 within request-timeout; 401 passed through with received-status=401; a 301
#     passed through, not followed; body over max-body-size 413; text/plain 415; GET 405 with
#     Allow: POST; missing targethost / targetpath / body, bad port 400; CR/LF in targetpath 400.
#   - An explicitly allowed name looked up through the proxy's DNS upstream is relayed.
#   - The proxies' logs (debug level) hold no client address, header value or
#     body of the client's.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/odoh_lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
py=/usr/bin/python3
rec=$OE_ROOT/tests/integration/recording_target.py

checks=0
ok() { checks=$((checks + 1)); }

# ---- a CA and a certificate for the recording target's names ---------------------------------
cd "$OE_TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=rec-test-ca \
    -keyout rec-ca.key -out rec-ca.pem -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign >openssl.log 2>&1 || fail "openssl CA: $(cat openssl.log)"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=rec.test \
    -keyout rec.key -out rec.csr >>openssl.log 2>&1 || fail "openssl csr: $(cat openssl.log)"
printf 'subjectAltName=DNS:rec.test,DNS:dnsrec.test,DNS:wild.test,DNS:any.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext.cnf
openssl x509 -req -in rec.csr -CA rec-ca.pem -CAkey rec-ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out rec.pem >>openssl.log 2>&1 || fail "openssl sign: $(cat openssl.log)"

# ---- the recording target, a silent TCP listener, a DNS server, a closed port ----------------
rport=$(oe_port); hport=$(oe_port); dport=$(oe_port); cport=$(oe_port); tport=$(oe_port)
pa=$(oe_port); pb=$(oe_port)
reclog=$OE_TMP/recorded.jsonl
: >"$reclog"
oe_bg "$OE_TMP/rec.out" "$py" "$rec" https "$rport" rec.pem rec.key "$reclog"
oe_bg "$OE_TMP/hang.out" "$py" "$rec" tcp-hang "$hport"
oe_bg "$OE_TMP/dns.out" "$py" "$rec" dns "$dport" 127.0.0.1
oe_bg "$OE_TMP/trunc.out" "$py" "$rec" h2-truncate "$tport" rec.pem rec.key
oe_wait_tcp "$rport" || fail "recording target did not start: $(cat "$OE_TMP/rec.out")"
oe_wait_tcp "$tport" || fail "h2-truncate target did not start: $(cat "$OE_TMP/trunc.out")"
oe_wait_tcp "$hport" || fail "tcp-hang did not start: $(cat "$OE_TMP/hang.out")"

# ---- proxy A: explicit allow-list; proxy B: "*" -------------------------------------------------
mkdir a b
# Both: debug logging, so the log checks at the end see everything.
oe_odoh_conf proxy "$pa" 2 'global:log-level = debug' 'listen:max-body-size = 2K' \
    "allow-target = rec.test:$rport" "allow-target = rec.test:$hport" "allow-target = rec.test:$cport" \
    "allow-target = dnsrec.test:$rport" "allow-target = rec.test:$tport" 'resolve = rec.test=127.0.0.1' "upstream = 127.0.0.1:$dport" \
    "ca-file = $OE_TMP/rec-ca.pem" 'connect-timeout = 1s' 'request-timeout = 2s' >a/edge.conf
oe_odoh_conf proxy "$pb" 1 'global:log-level = debug' \
    'allow-target = *' 'resolve = wild.test=127.0.0.1' 'resolve = nat64.test=64:ff9b::7f00:1' "upstream = 127.0.0.1:$dport" \
    "ca-file = $OE_TMP/rec-ca.pem" 'connect-timeout = 1s' 'request-timeout = 2s' >b/edge.conf
# allow-target ports are numbers, nothing else.
for v in "rec.test:443x" "rec.test:" "rec.test:0"; do
    sed "s/^allow-target = \*/allow-target = $v/" b/edge.conf >bad.conf
    rc=0; "$OE_BIN" -t -c bad.conf >bad.log 2>&1 || rc=$?
    expect_eq "$rc" 78 "allow-target = $v"
    grep -q "bad.conf:[0-9]*: \[odoh-proxy\] allow-target: \"$v\": bad port" bad.log || fail "allow-target = $v: $(cat bad.log)"; ok
done
# Privacy: the proxy and the target in one process must be different sites. The proxy finds the
# target through the module table (it was a weak symbol, which a link without the target's object
# would have turned into no check at all).
cat >same.conf <<CONF
[global]
state-dir = same-state
[listen "https"]
address = 127.0.0.1:$cport
[site "one"]
host = one.test
cert = auto
[odoh-target]
site = one
upstream = 127.0.0.1:$dport
[odoh-proxy]
site = one
allow-target = *
CONF
rc=0; "$OE_BIN" -t -c same.conf >same.log 2>&1 || rc=$?
expect_eq "$rc" 78 "proxy and target on one site"
grep -q '^same.conf:12: \[odoh-proxy\] site: the proxy and the target must be different sites' same.log ||
    fail "proxy and target on one site: $(cat same.log)"; ok
"$OE_BIN" -t -c b/edge.conf >b/check.log 2>&1 || fail "proxy B config: $(cat b/check.log)"
grep -q 'open relay' b/check.log || fail "no warning about allow-target = *: $(cat b/check.log)"; ok
oe_edge_start a "$pa"
oe_edge_start b "$pb"

# A body that stands for a sealed query (the recording target does not open it), with a marker
# that must never show up in a log.
printf 'SEALEDQUERYMARKER-%0100d' 7 >q.bin
qlen=$(wc -c <q.bin)
media=application/oblivious-dns-message

# pcurl PORT QUERY-STRING [CURL-ARGS...]: POSTs q.bin (unless the args say otherwise) to
# https://proxy.test:PORT/proxy?QUERY; prints "STATUS|proxy-status value"; headers in hdrs,
# body in body.
pcurl() {
    _p=$1; _q=$2; shift 2
    curl -sS -m 10 -o body -D hdrs -w '%{http_code}' --cacert "$_ca" \
        --resolve "proxy.test:$_p:127.0.0.1" "$@" "https://proxy.test:$_p/proxy?$_q" >code 2>curl.err || true
    printf '%s|%s' "$(cat code)" "$(sed -n 's/^proxy-status: *//Ip' hdrs | tr -d '\r')"
}
hdr() { sed -n "s/^$1: *//Ip" hdrs | tr -d '\r'; }
post() { _ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "$@" -H "content-type: $media" --data-binary @q.bin; }
postb() { _ca=$OE_TMP/b/state/tls/ca.pem pcurl "$pb" "$@" -H "content-type: $media" --data-binary @q.bin; }
nrec() { wc -l <"$reclog" | tr -d ' '; }
# last_rec: the last recorded request as "LINE" then "name: value" lines, in order received.
last_rec() {
    tail -n 1 "$reclog" | "$py" -c 'import json,sys
e = json.loads(sys.stdin.read())
print(e["line"])
for k, v in e["headers"]: print("%s: %s" % (k, v))
print("body_len %d" % e["body_len"])'
}
th=rec.test:$rport
want_req="POST /dns-query HTTP/1.1
host: rec.test:$rport
content-length: $qlen
content-type: $media
accept: $media
body_len $qlen"

# ---- what reaches the target ----------------------------------------------------------------------
for v in --http2 --http1.1; do
    before=$(nrec)
    got=$(post "targethost=$th&targetpath=/dns-query" $v \
        -H 'cookie: session=CLIENTCOOKIE' -H 'user-agent: ClientAgent/1.0' \
        -H 'x-forwarded-for: 203.0.113.7' -H 'forwarded: for=203.0.113.7;proto=https' \
        -H 'x-forwarded-host: client.example' -H 'x-forwarded-proto: https' -H 'x-real-ip: 203.0.113.8' \
        -H 'via: 1.1 clientvia' -H 'authorization: Bearer CLIENTSECRET' -H 'referer: https://client.example/' \
        -H 'accept-language: xx-CLIENTLANG' -H 'dnt: 1' -H "accept: $media")
    expect_eq "$got" "200|odoh-edge; received-status=200" "relay ($v)"; ok
    expect_eq "$(cat body)" "recorded-answer" "relayed body ($v)"; ok
    expect_eq "$(hdr content-type)" "$media" "relayed content-type ($v)"; ok
    expect_eq "$(hdr cache-control)" "no-cache, no-store" "relayed cache-control ($v)"; ok
    [ -z "$(hdr set-cookie)$(hdr x-target-only)" ] || fail "the target's own headers came back ($v): $(cat hdrs)"; ok
    expect_eq "$(nrec)" "$((before + 1))" "requests recorded ($v)"
    expect_eq "$(last_rec)" "$want_req" "the request the target received ($v)"; ok
done
grep -q 'CLIENT\|ClientAgent\|203\.0\.113\|client\.example\|clientvia' "$reclog" &&
    fail "client data reached the target: $reclog: $(cat "$reclog")"
ok

# Unknown query parameters are ignored and never forwarded; the parameters may be percent-encoded.
got=$(post "dnscrypt=1&xtargethost=evil.test&targethost=rec.test%3A$rport&foo=bar&targetpath=%2Fdns-query&dns=AAAB&body")
expect_eq "$got" "200|odoh-edge; received-status=200" "extra query parameters"; ok
expect_eq "$(last_rec)" "$want_req" "request after extra query parameters"; ok

# An explicitly allowed name without a resolve line is looked up through the proxy's upstream
# (the test DNS server answers 127.0.0.1: explicit names may be loopback).
got=$(post "targethost=dnsrec.test:$rport&targetpath=/dns-query")
expect_eq "$got" "200|odoh-edge; received-status=200" "allowed name looked up by DNS"; ok
expect_eq "$(last_rec | sed -n 2p)" "host: dnsrec.test:$rport" "host of the DNS-resolved target"; ok
grep -qx dnsrec.test "$dport.dns.log" || fail "the proxy did not ask its DNS upstream: $(cat "$dport.dns.log" 2>/dev/null)"; ok

# 401 is passed through, body and all.
got=$(post "targethost=$th&targetpath=/stale")
expect_eq "$got" "401|odoh-edge; received-status=401" "401 passthrough"; ok
expect_eq "$(cat body)" "stale key" "401 body"; ok
expect_eq "$(last_rec | sed -n 1p)" "POST /stale HTTP/1.1" "401 request line"; ok
# A redirect is a response like any other: passed through, never followed.
before=$(nrec)
got=$(post "targethost=$th&targetpath=/redirect")
expect_eq "$got" "301|odoh-edge; received-status=301" "301 passthrough"; ok
[ -z "$(hdr location)" ] || fail "location passed back: $(hdr location)"
sleep 0.3 # time for a followed redirect to reach the target, which must not happen (no log line)
expect_eq "$(nrec)" "$((before + 1))" "requests after a redirect (not followed)"; ok

# ---- denials ----------------------------------------------------------------------------------------
before=$(nrec)
expect_eq "$(post "targethost=other.test:$rport&targetpath=/dns-query")" \
    "403|odoh-edge; error=destination_not_allowed" "host not in the allow-list"; ok
expect_eq "$(hdr cache-control)" "no-cache, no-store" "403 cache-control"; ok
expect_eq "$(post "targethost=rec.test:$dport&targetpath=/dns-query")" \
    "403|odoh-edge; error=destination_not_allowed" "port not in the allow-list"; ok
expect_eq "$(post "targethost=rec.test&targetpath=/dns-query")" \
    "403|odoh-edge; error=destination_not_allowed" "default port 443 not in the allow-list"; ok
expect_eq "$(post "targethost=127.0.0.1:$rport&targetpath=/dns-query")" \
    "403|odoh-edge; error=destination_not_allowed" "IP literal not in the allow-list"; ok
# "*" never reaches loopback or private addresses, whichever way the name resolves.
for t in "wild.test:$rport" "any.test:$rport" "127.0.0.1:$rport" "10.1.2.3:$rport" "192.168.1.1" \
    "169.254.1.1:$rport" "::1" "0.0.0.0:$rport"; do
    expect_eq "$(postb "targethost=$t&targetpath=/dns-query")" \
        "403|odoh-edge; error=destination_ip_prohibited" "\"*\" to $t"; ok
done
# ... nor any other special-purpose address (IANA registries), also when IPv4 hides in IPv6:
# IETF assignments, TEST-NETs, benchmarking, IPv4-compatible, -mapped, NAT64 and 6to4 forms of
# loopback, site-local, discard, documentation, ULA, link-local (issue 12 item 11; each of the
# new ones went out and failed with 502 before).
for t in "192.0.0.1:$rport" "192.0.2.1:$rport" "198.51.100.1:$rport" "203.0.113.1:$rport" \
    "198.18.0.1:$rport" "240.0.0.1:$rport" "::7f00:1" "::127.0.0.1" "::ffff:127.0.0.1" \
    "64:ff9b::7f00:1" "64:ff9b:1::1" "2002:7f00:1::1" "fec0::1" "100::1" "2001:db8::1" "3fff::1" \
    "fc00::1" "fe80::1" "nat64.test:$rport"; do
    expect_eq "$(postb "targethost=$t&targetpath=/dns-query")" \
        "403|odoh-edge; error=destination_ip_prohibited" "\"*\" to $t"; ok
done
grep -qx any.test "$dport.dns.log" || fail "proxy B did not look up any.test: $(cat "$dport.dns.log")"
sleep 0.3 # time for a request that must not happen to reach the target
expect_eq "$(nrec)" "$before" "requests recorded after the denials"; ok

# ---- failures on the way to the target ------------------------------------------------------------
expect_eq "$(post "targethost=rec.test:$cport&targetpath=/dns-query")" \
    "502|odoh-edge; error=connection_refused" "closed port"; ok
# A truncated HTTP/2 answer is never relayed as a success (issue 12 item 10): RST_STREAM(NO_ERROR)
# before END_STREAM, or END_STREAM short of the content-length, is a 502; a complete answer,
# even one followed by RST_STREAM(NO_ERROR), is relayed whole.
for p in /full /full-then-rst; do
    expect_eq "$(post "targethost=rec.test:$tport&targetpath=$p")" \
        "200|odoh-edge; received-status=200" "h2 target $p"; ok
    expect_eq "$(wc -c <body | tr -d ' ')" 3000 "body relayed from $p"; ok
done
for p in /rst-no-error /short; do
    expect_eq "$(post "targethost=rec.test:$tport&targetpath=$p")" \
        "502|odoh-edge; error=http_protocol_error" "h2 target $p (truncated)"; ok
done
t0=$(date +%s%N)
got=$(post "targethost=rec.test:$hport&targetpath=/dns-query")
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$got" "504|odoh-edge; error=connection_timeout" "target that never does TLS"; ok
[ "$ms" -ge 800 ] && [ "$ms" -lt 2500 ] || fail "TLS time-out after ${ms} ms (connect-timeout = 1s)"; ok
t0=$(date +%s%N)
got=$(post "targethost=$th&targetpath=/hang")
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$got" "504|odoh-edge; error=connection_timeout" "target that never answers"; ok
[ "$ms" -ge 1800 ] && [ "$ms" -lt 3500 ] || fail "request time-out after ${ms} ms (request-timeout = 2s)"; ok
expect_eq "$(last_rec | sed -n 1p)" "POST /hang HTTP/1.1" "the hanging request reached the target"; ok
# The proxy still relays afterwards (the timed-out connection is not reused for the next call).
expect_eq "$(post "targethost=$th&targetpath=/dns-query")" "200|odoh-edge; received-status=200" "relay after a time-out"; ok

# ---- malformed requests -------------------------------------------------------------------------------
before=$(nrec)
bad='400|odoh-edge; error=http_request_error; details="needs targethost, targetpath and a body"'
expect_eq "$(post "targetpath=/dns-query")" "$bad" "missing targethost"; ok
expect_eq "$(post "targethost=$th")" "$bad" "missing targetpath"; ok
expect_eq "$(post "targethost=&targetpath=/dns-query")" "$bad" "empty targethost"; ok
expect_eq "$(post "targethost=$th&targetpath=dns-query")" "$bad" "relative targetpath"; ok
expect_eq "$(post "targethost=rec%2Ftest&targetpath=/dns-query")" "$bad" "a slash in targethost"; ok
expect_eq "$(post "targethost=$th&targetpath=/dns%zzquery")" "$bad" "bad percent-encoding"; ok
expect_eq "$(post "")" "$bad" "no query at all"; ok
expect_eq "$(_ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "targethost=$th&targetpath=/dns-query" \
    -H "content-type: $media" --data-binary '')" "$bad" "empty body"; ok
expect_eq "$(post "targethost=rec.test:0&targetpath=/dns-query")" \
    '400|odoh-edge; error=http_request_error; details="bad port in targethost"' "port 0"; ok
expect_eq "$(post "targethost=rec.test:70000&targetpath=/dns-query")" \
    '400|odoh-edge; error=http_request_error; details="bad port in targethost"' "port 70000"; ok
for t in "rec.test:${rport}x" "rec.test:" "rec.test:-1" "rec.test:00$rport"; do
    expect_eq "$(post "targethost=$t&targetpath=/dns-query")" \
        '400|odoh-edge; error=http_request_error; details="bad port in targethost"' "targethost $t"; ok
done
# Control characters or spaces in targetpath would let a client write its own request line and
# header fields into the HTTP/1.1 request to the target.
for p in '/dns-query%0D%0Acookie:%20injected' '/dns-query%20HTTP/1.1%0D%0Ax-injected:%201%0D%0A' \
    '/dns-query%0Ax-injected:%201' '/dns%09query'; do
    got=$(post "targethost=$th&targetpath=$p")
    expect_eq "${got%%|*}" 400 "targetpath $p"; ok
done
grep -q 'injected' "$reclog" && fail "a header was injected into the request to the target: $(grep injected "$reclog")"
expect_eq "$(_ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "targethost=$th&targetpath=/dns-query" \
    -H 'content-type: text/plain' --data-binary @q.bin)" \
    '415|odoh-edge; error=http_request_error; details="content-type must be application/oblivious-dns-message"' "text/plain"; ok
expect_eq "$(_ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "targethost=$th&targetpath=/dns-query" \
    --data-binary @q.bin)" \
    '415|odoh-edge; error=http_request_error; details="content-type must be application/oblivious-dns-message"' "no content-type"; ok
for v in --http2 --http1.1; do
    expect_eq "$(_ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "targethost=$th&targetpath=/dns-query" $v)" \
        '405|odoh-edge; error=http_request_error; details="POST only"' "GET ($v)"; ok
    expect_eq "$(hdr allow)" POST "405 allow ($v)"; ok
done
head -c 3000 /dev/zero | tr '\0' 'x' >big.bin
for v in --http2 --http1.1; do
    got=$(_ca=$OE_TMP/a/state/tls/ca.pem pcurl "$pa" "targethost=$th&targetpath=/dns-query" $v \
        -H "content-type: $media" --data-binary @big.bin)
    expect_eq "${got%%|*}" 413 "body over max-body-size ($v)"; ok
done
sleep 0.3 # time for a request that must not happen to reach the target
expect_eq "$(nrec)" "$before" "requests recorded after the malformed ones"; ok

# ---- logs -----------------------------------------------------------------------------------------------
for p in $(echo $OE_PIDS | awk '{print $4, $5}'); do kill -0 "$p" 2>/dev/null || fail "a proxy died"; done
for l in a.log b.log; do
    grep -q 'relaying on proxy.test/proxy' "$l" || fail "$l: no start line: $(head "$l")"
    # The only 127.0.0.1 a log may name is the proxy's own listening address.
    leak=$(grep -v 'listening on 127\.0\.0\.1:' "$l" | grep -E '127\.0\.0\.1|203\.0\.113|CLIENT|ClientAgent|client\.example|clientvia|SEALEDQUERYMARKER|recorded-answer' || true)
    [ -z "$leak" ] || fail "$l records client data: $leak"
    ok
done
echo "61-proxy-safety: $checks checks passed"
