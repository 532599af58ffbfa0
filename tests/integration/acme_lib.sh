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
