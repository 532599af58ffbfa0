# Three applications behind one connection, in Firefox ESR (headless): three [site] sections
# (app1, app2, app3.test) sharing one certificate, each a reverse proxy to the Node.js application
# (tests/node/rproxy-backend.mjs). The page on app1 loads a script from app3, an image from app2,
# and the script opens a WebSocket to app2 and reports its echo to app1. Only app1.test is in
# network.dns.localDomains: the other two names cannot be resolved, so everything must ride the
# first connection through the ORIGIN frame (and the WebSocket through RFC 8441 on it). Counted
# on the wire by firefox_relay.py (TCP connections, ClientHellos) and by the application's log.
. "$OE_ROOT/tests/integration/lib.sh"
oe_need_pkg firefox-esr firefox-esr
oe_need_pkg certutil libnss3-tools
"$OE_BIN" -V | grep -q '^  modules .* rproxy\( \|$\)' || skip "no rproxy module in this build"
oe_node_need -f ws
export HOME="$OE_TMP/home"
mkdir -p "$HOME"

# One certificate for the three names, under a CA the Firefox profile trusts.
(
    cd "$OE_TMP"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
        -out ca.pem -days 2 -subj /CN=test-apps-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout apps.key \
        -out apps.csr -subj /CN=app1.test
    printf 'subjectAltName=DNS:app1.test,DNS:app2.test,DNS:app3.test\nextendedKeyUsage=serverAuth\n' > apps.ext
    openssl x509 -req -in apps.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out apps.pem \
        -days 2 -extfile apps.ext
    chmod 600 apps.key
) >"$OE_TMP/openssl.log" 2>&1 || fail "openssl: $(cat "$OE_TMP/openssl.log")"

app=$(oe_port)
port=$(oe_port)
oe_bg "$OE_TMP/node.log" node "$node_dir/rproxy-backend.mjs" "$app"
oe_wait_log "$OE_TMP/node.log" '^listening'
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.2:$port
CONF
for n in 1 2 3; do
    cat >> "$OE_TMP/edge.conf" <<CONF
[site "app$n"]
host = app$n.test
cert = apps.pem
key = apps.key
backend = http://127.0.0.1:$app
CONF
done
"$OE_BIN" -t -c "$OE_TMP/edge.conf" >"$OE_TMP/check.log" 2>&1 ||
    fail "config check: $(cat "$OE_TMP/check.log")"
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_bg "$OE_TMP/relay.out" /usr/bin/python3 "$OE_ROOT/tests/integration/firefox_relay.py" \
    "$OE_TMP/relay.log" 127.0.0.2 "$port" "127.0.0.1:$port" "[::1]:$port"
rpid=$OE_LASTPID
oe_wait_log "$OE_TMP/edge.log" 'running'
oe_wait_log "$OE_TMP/relay.out" 'ready'
: > "$OE_TMP/relay.log"

p=$OE_TMP/profile
mkdir -p "$p"
certutil -N -d "sql:$p" --empty-password
certutil -A -n odoh-edge-apps-ca -t "C,," -i "$OE_TMP/ca.pem" -d "sql:$p"
cat > "$p/user.js" <<PREFS
user_pref("network.dns.localDomains", "app1.test");
user_pref("network.trr.mode", 5);
user_pref("network.http.http2.websockets", true);
user_pref("network.dns.native_https_query", false);
PREFS
cat "$OE_ROOT/tests/integration/firefox_quiet.js" >> "$p/user.js"
set +e
MOZ_LOG=timestamp,nsHttp:5,nsWebSocket:5 MOZ_LOG_FILE="$OE_TMP/moz.log" \
    timeout -k 5 "${OE_FIREFOX_TIMEOUT:-60}" firefox-esr --headless --no-remote --profile "$p" \
    --screenshot "$OE_TMP/out.png" "https://app1.test:$port/ff/page?port=$port" \
    > "$OE_TMP/firefox.out" 2>&1
ffrc=$?
set -e
[ $ffrc -ne 124 ] && [ $ffrc -ne 137 ] || fail "firefox did not finish"
sleep 0.3 # the relay writes a connection's line when it ends
kill "$rpid" 2>/dev/null || true

echo "relay: $(tr '\n' ';' < "$OE_TMP/relay.log")"
echo "application: $(grep '^ff \|^ws ' "$OE_TMP/node.log" | tr '\n' ';')"
for want in "ff app1.test /ff/page?port=$port" "ff app3.test /ff/app.js?port=$port" \
    "ff app2.test /ff/img.png?port=$port" "ws app2.test /ws" \
    "ff app1.test /ff/echo?port=$port&data=ping%20from%20app3" \
    "ff app3.test /ff/late.png?port=$port"; do
    grep -qxF "$want" "$OE_TMP/node.log" || fail "the application never got '$want' (firefox rc $ffrc: $(tail -n 3 "$OE_TMP/firefox.out"))"
done
conns=$(grep -c '^conn [0-9]* \(sni=\|not-tls\)' "$OE_TMP/relay.log" || true)
expect_eq "$conns" 1 "TCP connections for three applications, a WebSocket included"
expect_eq "$(grep -c ' sni=' "$OE_TMP/relay.log" || true)" 1 "TLS handshakes"
grep -q '^conn 1 sni=app1.test ' "$OE_TMP/relay.log" || fail "SNI: $(cat "$OE_TMP/relay.log")"
# The WebSocket went as an HTTP/2 extended CONNECT (RFC 8441), not a connection of its own.
cat "$OE_TMP"/moz.log*moz_log > "$OE_TMP/moz.txt" 2>/dev/null || true
[ -s "$OE_TMP/moz.txt" ] || fail "firefox-esr wrote no MOZ_LOG (rc $ffrc)"
grep -q 'Http2Compressor::ProcessHeader :protocol websocket' "$OE_TMP/moz.txt" ||
    fail "Firefox did not send :protocol websocket"
grep -q 'Enabling extended CONNECT' "$OE_TMP/moz.txt" ||
    fail "Firefox did not see SETTINGS_ENABLE_CONNECT_PROTOCOL"
echo "86-rproxy-firefox ok: 3 applications, a WebSocket, 1 connection"
