# Helpers for the ACME scripts (9x): pebble (a test ACME server) and pebble-challtestsrv (as the
# DNS server pebble resolves the sites' names with: every name is 127.0.0.1), on loopback ports.
# Source after lib.sh.
command -v pebble >/dev/null || skip "pebble not installed (Debian package pebble)"
command -v pebble-challtestsrv >/dev/null || skip "pebble-challtestsrv not installed (pebble)"
command -v openssl >/dev/null || skip "openssl not installed"

# acme_start_pebble HTTP_PORT TLS_PORT [VALIDITY_SECONDS]: pebble validating http-01 on
# HTTP_PORT and tls-alpn-01 on TLS_PORT of 127.0.0.1, resolving names with challtestsrv, or with
# the DNS server ACME_DNS_SERVER (IP:PORT) when set. Sets ACME_DIR (directory URL), ACME_CA
# (pebble's own HTTPS certificate, for ca-file), ACME_ROOT (the root that signs what it issues)
# and ACME_MGMT (management port).
acme_start_pebble() {
    ACME_PORT=$(oe_port); ACME_MGMT=$(oe_port); ACME_DNS=$(oe_port); ACME_CTS=$(oe_port)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$OE_TMP/pebble.key" -out "$OE_TMP/pebble.pem" 2>/dev/null
    cat > "$OE_TMP/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME_PORT",
 "managementListenAddress": "127.0.0.1:$ACME_MGMT",
 "certificate": "$OE_TMP/pebble.pem", "privateKey": "$OE_TMP/pebble.key",
 "httpPort": $1, "tlsPort": $2, "ocspResponderURL": "",
 "externalAccountBindingRequired": false, "certificateValidityPeriod": ${3:-7776000}}}
JSON
    if [ -z "${ACME_DNS_SERVER:-}" ]; then
        oe_bg "$OE_TMP/challtestsrv.log" pebble-challtestsrv -dns01 "127.0.0.1:$ACME_DNS" \
            -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$ACME_CTS" \
            -defaultIPv6 ""
    fi
    acme_run_pebble
}

# acme_run_pebble: (re)starts pebble as configured by acme_start_pebble; a restart forgets every
# account, order and key (new roots too). Sets ACME_PEBBLE_PID.
acme_run_pebble() {
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=${PEBBLE_WFE_NONCEREJECT:-0} \
        oe_bg "$OE_TMP/pebble.log" pebble -config "$OE_TMP/pebble.json" \
        -dnsserver "${ACME_DNS_SERVER:-127.0.0.1:$ACME_DNS}"
    ACME_PEBBLE_PID=$OE_LASTPID
    oe_wait_tcp "$ACME_PORT" || fail "pebble did not start: $(tail -5 "$OE_TMP/pebble.log")"
    oe_wait_tcp "$ACME_MGMT" || fail "pebble's management port did not open"
    ACME_DIR="https://localhost:$ACME_PORT/dir"
    ACME_CA="$OE_TMP/pebble.pem"
    ACME_ROOT="$OE_TMP/pebble-root.pem"
    curl -sS --fail --cacert "$ACME_CA" "https://127.0.0.1:$ACME_MGMT/roots/0" > "$ACME_ROOT" ||
        fail "cannot fetch pebble's root"
    curl -sS --fail --cacert "$ACME_CA" "https://127.0.0.1:$ACME_MGMT/intermediates/0" \
        > "$OE_TMP/pebble-intermediate.pem" || fail "cannot fetch pebble's intermediate"
}

# acme_served_chain PORT SNI OUT: the chain the server sends for SNI, as PEM.
acme_served_chain() {
    echo | openssl s_client -connect "127.0.0.1:$1" -servername "$2" -showcerts 2>/dev/null |
        awk '/BEGIN CERT/,/END CERT/' > "$3"
}

# acme_serial PORT SNI: the serial of the leaf served for SNI.
acme_serial() {
    echo | openssl s_client -connect "127.0.0.1:$1" -servername "$2" 2>/dev/null |
        openssl x509 -noout -serial
}

# acme_wait_count FILE PATTERN N SECONDS: wait until N lines of FILE contain PATTERN (fixed
# string).
acme_wait_count() {
    _n=$(( $4 * 20 ))
    until [ "$(grep -cF -e "$2" "$1" 2>/dev/null)" -ge "$3" ]; do
        [ $_n -gt 0 ] || fail "fewer than $3 lines with '$2' in $1 within $4 s; it ends with:
$(tail -n 15 "$1" | sed 's/^/    /')"
        sleep 0.05; _n=$((_n - 1))
    done
}

# acme_conf_listen TLS_PORT [HTTP_PORT]: the start of an edge.conf, on stdout: two workers,
# state-dir = state, an HTTPS listener on TLS_PORT and, with HTTP_PORT, a plain-HTTP one there
# (its section last, so that the caller may add to it).
acme_conf_listen() {
    printf '[global]\nworkers = 2\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n' "$1"
    [ -z "${2:-}" ] || printf '[listen "plain"]\naddress = 127.0.0.1:%s\ntls = no\n' "$2"
}

# acme_conf_site NAME HOST [ALIAS]: a [site] with cert = acme serving the folder www.
acme_conf_site() {
    printf '[site "%s"]\nhost = %s\n' "$1" "$2"
    [ -z "${3:-}" ] || printf 'alias = %s\n' "$3"
    printf 'cert = acme\nroot = www\n'
}

# acme_conf_acme [DIRECTORY]: an [acme] section for pebble (or DIRECTORY, a directory URL that
# pebble's certificate serves), checking often and retrying after 1 s; more keys may follow.
acme_conf_acme() {
    printf '[acme]\ndirectory = %s\nca-file = %s\nagree-tos = yes\n' "${1:-$ACME_DIR}" "$ACME_CA"
    printf 'check-interval = 200ms\nretry-min = 1s\n'
}

# acme_www: the folder www (under OE_TMP) the sites serve, with index.html saying hello.
acme_www() {
    mkdir "$OE_TMP/www"
    echo "hello" > "$OE_TMP/www/index.html"
}

# acme_start_edge [DIR]: odoh-edge with DIR/edge.conf (DIR defaults to OE_TMP), logging to
# DIR/edge.log, until its first certificate from pebble.
acme_start_edge() {
    _d=${1:-$OE_TMP}
    oe_bg "$_d/edge.log" "$OE_BIN" -c "$_d/edge.conf"
    oe_wait_log "$_d/edge.log" 'new certificate from CN=Pebble Intermediate CA' 30
}

# acme_no_errors LOG: fails if LOG has an error line.
acme_no_errors() {
    ! grep -q '^error' "$1" || fail "errors logged: $(grep '^error' "$1")"
}

# acme_verify_chain PORT NAME: the chain served for NAME verifies against pebble's root.
acme_verify_chain() {
    acme_served_chain "$1" "$2" "$OE_TMP/chain.pem"
    openssl verify -CAfile "$ACME_ROOT" -untrusted "$OE_TMP/chain.pem" "$OE_TMP/chain.pem" \
        > "$OE_TMP/verify.out" 2>&1 || fail "openssl verify ($2): $(cat "$OE_TMP/verify.out")"
}

# acme_expect_hello PORT NAME: https://NAME:PORT/ answers "hello" with a certificate that
# pebble's root verifies.
acme_expect_hello() {
    _body=$(curl -sS --fail --cacert "$ACME_ROOT" --resolve "$2:$1:127.0.0.1" \
        "https://$2:$1/") || fail "curl with pebble's root ($2)"
    expect_eq "$_body" "hello" "body over the ACME certificate ($2)"
}

# acme_load_start PORT NAME COUNT [PAUSE]: in the background, at most COUNT requests to
# https://NAME:PORT/ (each on a new connection, PAUSE seconds apart), their statuses in
# OE_TMP/codes ("fail" for a failed one), until acme_load_stop.
acme_load_start() {
    : > "$OE_TMP/codes"
    (
        i=0
        while [ $i -lt "$3" ] && [ ! -e "$OE_TMP/stop" ]; do
            curl -sS -o /dev/null -w '%{http_code}\n' --max-time 5 --cacert "$ACME_ROOT" \
                --resolve "$2:$1:127.0.0.1" "https://$2:$1/" \
                >> "$OE_TMP/codes" 2>> "$OE_TMP/curl.err" || echo fail >> "$OE_TMP/codes"
            i=$((i + 1))
            [ -z "${4:-}" ] || sleep "$4"
        done
    ) &
    ACME_LOAD_PID=$!
    OE_PIDS="$OE_PIDS $ACME_LOAD_PID"
}

# acme_load_stop MIN WHAT: stops the loop half a second later; fails unless it made at least MIN
# requests, every one answered 200. Sets ACME_LOAD_OK and ACME_LOAD_TOTAL.
acme_load_stop() {
    sleep 0.5
    touch "$OE_TMP/stop"
    wait "$ACME_LOAD_PID" || true
    ACME_LOAD_TOTAL=$(wc -l < "$OE_TMP/codes")
    ACME_LOAD_OK=$(grep -cx 200 "$OE_TMP/codes" || true)
    [ "$ACME_LOAD_TOTAL" -ge "$1" ] || fail "only $ACME_LOAD_TOTAL requests in the loop"
    expect_eq "$ACME_LOAD_OK" "$ACME_LOAD_TOTAL" "$2 ($(sort "$OE_TMP/codes" | uniq -c | tr '\n' ' '); $(head -3 "$OE_TMP/curl.err" 2>/dev/null))"
}

# acme_expect_origin PORT HOST ALIAS: the ORIGIN frame over HOST's certificate lists both names,
# and a request for ALIAS on that connection is answered 200 (h2_origin.py, python3-h2).
acme_expect_origin() {
    _out=$(/usr/bin/python3 "$OE_ROOT/tests/integration/h2_origin.py" origin "$1" "$2" \
        "$ACME_ROOT" "$2" "$3") || fail "h2_origin: $_out"
    echo "$_out" | grep -qx "origin: https://$2:$1 https://$3:$1" || fail "ORIGIN frame: $_out"
    echo "$_out" | grep -qx "$3 200" || fail "coalesced request: $_out"
}
