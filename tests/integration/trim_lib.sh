# Shared by 42-idle-trim, 43-idle-trim-partial and 44-h2-trim-header: one worker serving www/
# (small.txt, and big.bin, 1 MiB of random bytes, when trim_start is given "big") for trim.test
# with a fresh P-256 certificate. Sets port and pid.
trim_start() {
    "$OE_BIN" -V | grep -q '^  modules .* website\( \|$\)' || skip "no website module in this build"
    mkdir -p "$OE_TMP/www"
    [ "${1:-}" != big ] || head -c 1048576 /dev/urandom > "$OE_TMP/www/big.bin"
    printf 'small file\n' > "$OE_TMP/www/small.txt"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=trim.test -addext subjectAltName=DNS:trim.test \
        -keyout "$OE_TMP/key.pem" -out "$OE_TMP/cert.pem" >/dev/null 2>&1 || fail "openssl req"
    chmod 600 "$OE_TMP/key.pem"
    port=$(oe_port)
    cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
[site "t"]
host = trim.test
cert = $OE_TMP/cert.pem
key = $OE_TMP/key.pem
root = www
CONF
    oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
    pid=$OE_LASTPID
    oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
}
