# The HTTPS server with real clients: curl over h2 and HTTP/1.1, TLS 1.3 and 1.2, SNI picking
# between two certificates, 421 for hosts the certificate does not cover, the plain-HTTP redirect,
# and SIGHUP with a broken and then a grown configuration.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
command -v openssl >/dev/null || skip "openssl not installed"

port=$(oe_port); hport=$(oe_port)
# A second certificate for other.test, made with openssl (a self-signed ECDSA P-256 leaf).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=other.test -addext "subjectAltName=DNS:other.test,DNS:*.wild.test" \
    -keyout "$OE_TMP/other.key" -out "$OE_TMP/other.pem" 2>/dev/null
chmod 600 "$OE_TMP/other.key"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
header-timeout = 1s
[listen "http"]
address = 127.0.0.1:$hport
tls = no
redirect = yes
[site "demo"]
host = demo.odoh.test
alias = a.odoh.test
cert = auto
[site "other"]
host = other.test
alias = x.wild.test
cert = other.pem
key = other.key
CONF
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
ca="$OE_TMP/state/tls/ca.pem"
grep -q "trust $ca to connect" "$OE_TMP/edge.log" || fail "no trust hint: $(cat "$OE_TMP/edge.log")"

# get NAME ARGS...: status and protocol of https://NAME:port/missing
get() {
    name=$1; shift
    curl -sS -o "$OE_TMP/body" -w '%{http_code} %{http_version}' --cacert "$ca" \
        --resolve "$name:$port:127.0.0.1" "$@" "https://$name:$port/missing"
}
expect_eq "$(get demo.odoh.test --http2)" "404 2" "h2"
expect_eq "$(cat "$OE_TMP/body")" "404 Not Found" "404 body"
expect_eq "$(get demo.odoh.test --http1.1)" "404 1.1" "http/1.1"
expect_eq "$(get a.odoh.test --http2 --tlsv1.3)" "404 2" "alias over TLS 1.3"
expect_eq "$(get demo.odoh.test --http2 --tls-max 1.2)" "404 2" "TLS 1.2"
v=$(curl -sS -v -o /dev/null --cacert "$ca" --resolve "demo.odoh.test:$port:127.0.0.1" --tls-max 1.2 \
    "https://demo.odoh.test:$port/" 2>&1 | grep -o 'SSL connection using TLSv1.2 / [A-Z0-9-]*')
case $v in *ECDHE-ECDSA-AES*GCM* | *ECDHE-ECDSA-CHACHA20-POLY1305*) ;; *) fail "TLS 1.2 suite: $v" ;; esac
# TLS 1.1 is refused.
if openssl s_client -connect "127.0.0.1:$port" -tls1_1 -servername demo.odoh.test </dev/null >/dev/null 2>&1; then
    fail "TLS 1.1 accepted"
fi

# SNI picks the certificate; no SNI gets the default (the first site's).
subject() {
    openssl s_client -connect "127.0.0.1:$port" $1 </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null
}
case $(subject "-servername other.test") in *CN*=*other.test*) ;; *) fail "SNI other.test" ;; esac
case $(subject "-servername x.wild.test") in *CN*=*other.test*) ;; *) fail "SNI wildcard" ;; esac
case $(subject "-servername demo.odoh.test") in *other.test*) fail "SNI demo got other" ;; esac
case $(subject "-noservername") in *other.test*) fail "no SNI got other" ;; esac
expect_eq "$(get other.test --http2 -k)" "404 2" "second site"

# :authority decides the site, never SNI: a host the certificate does not cover is misdirected.
st=$(curl -sS -o /dev/null -w '%{http_code}' -k --resolve "demo.odoh.test:$port:127.0.0.1" \
    -H "Host: other.test" "https://demo.odoh.test:$port/")
expect_eq "$st" 421 "authority outside the certificate"
st=$(curl -sS -o /dev/null -w '%{http_code}' -k --http1.1 --resolve "demo.odoh.test:$port:127.0.0.1" \
    -H "Host: nowhere.test" "https://demo.odoh.test:$port/")
expect_eq "$st" 421 "unknown host over HTTP/1.1"

# Plain HTTP redirects to https with path and query, but serves /.well-known/ itself.
loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: demo.odoh.test' \
    "http://127.0.0.1:$hport/a/b?c=d")
expect_eq "$loc" "301 https://demo.odoh.test:$port/a/b?c=d" "redirect"
st=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: demo.odoh.test' "http://127.0.0.1:$hport/.well-known/x")
expect_eq "$st" 404 "well-known over plain http"
# Dot segments cannot smuggle a path out of the exemption (issue 12 item 12): judged after
# dot-segment removal, as the file handler sees the path.
for p in '/.well-known/../a/b' '/.well-known/%2e%2e/a/b' '/.well-known/.%2E/a/b' '/.well-known/x/../../a/b'; do
    loc=$(curl -sS --path-as-is -o /dev/null -w '%{http_code}' -H 'Host: demo.odoh.test' "http://127.0.0.1:$hport$p")
    expect_eq "$loc" 301 "plain http $p"
done
for p in '/a/../.well-known/x' '/.well-known/./x' '/.well-known/y/../x'; do
    st=$(curl -sS --path-as-is -o /dev/null -w '%{http_code}' -H 'Host: demo.odoh.test' "http://127.0.0.1:$hport$p")
    expect_eq "$st" 404 "plain http $p stays under /.well-known/"
done

# SIGHUP with a broken file: logged, still serving. Then a new site appears on reload.
cp "$OE_TMP/edge.conf" "$OE_TMP/good.conf"
printf '[site "new"]\nhost = new.test\ncert = nope.pem\n' >> "$OE_TMP/edge.conf"
kill -HUP "$pid"
oe_wait_log "$OE_TMP/edge.log" 'reload failed'
grep -q 'edge.conf:.*\[site "new"\] cert: a certificate needs "key = FILE" too' "$OE_TMP/edge.log" ||
    fail "broken reload not reported: $(cat "$OE_TMP/edge.log")"
expect_eq "$(get demo.odoh.test --http2)" "404 2" "serving after a broken reload"
cp "$OE_TMP/good.conf" "$OE_TMP/edge.conf"
printf '[site "new"]\nhost = new.odoh.test\ncert = auto\n' >> "$OE_TMP/edge.conf"
kill -HUP "$pid"
oe_wait_log "$OE_TMP/edge.log" 'configuration reloaded'
ca="$OE_TMP/state/tls/ca.pem"
expect_eq "$(get new.odoh.test --http2)" "404 2" "site added by reload"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 0 "exit after SIGTERM"
echo "https ok"
